/* Console users (docs/users.md): /v1/users for admins, and what the API and the
 * `smsgate user` command share. */
#ifndef SG_API_USERS_H
#define SG_API_USERS_H

#include "http/server.h"
#include "store/store.h"

#include <jansson.h>

/* A user as the API shows it (never its hash). */
json_t *sg_user_json(const sg_user *u);

/* Check email, role and password and fill *u (a new id, times, the argon2id
 * hash of the password: slow, keep it off HTTP threads). SG_ERR_INVALID with
 * the field at fault (email, role, password). */
sg_err sg_user_prepare(const char *email, const char *role, const char *password, size_t pw_len,
                       int64_t now, sg_user *u, sg_error *e);

sg_http_result sg_api_users_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_users_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_users_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_users_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_users_delete(sg_http_req *req, void *ctx);

#endif
