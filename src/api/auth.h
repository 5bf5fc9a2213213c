/* API keys: "sgk_<26 chars>_<secret>". The part before the second '_' names the
 * key (its id is "key_<26 chars>"); only a SHA-256 of the secret is stored. The
 * secret is 32 random bytes, so a fast hash is as strong as a slow one here and
 * keeps every request cheap. Roles nest: admin ⊃ sender ⊃ viewer. */
#ifndef SG_API_AUTH_H
#define SG_API_AUTH_H

#include "core/country_set.h"
#include "http/server.h"
#include "store/store.h"

#define SG_KEY_TEXT_MAX 128

typedef enum sg_role {
    SG_ROLE_PUBLIC = 0, /* route tag: no key needed */
    SG_ROLE_VIEWER,
    SG_ROLE_SENDER,
    SG_ROLE_ADMIN,
} sg_role;

/* "admin" -> SG_ROLE_ADMIN; false if unknown. */
bool sg_role_parse(const char *name, sg_role *out);
const char *sg_role_name(sg_role role);

/* Create a key; the full key text (shown once) goes to out. */
sg_err sg_key_create(sg_store *s, sg_role role, const char *name, char out[SG_KEY_TEXT_MAX],
                     sg_api_key *row, sg_error *e);

/* The part of a key's text that is not secret ("sgk_<26 chars>_"), from its id
 * ("key_<26 chars>"): what `key list` and GET /v1/keys show to recognise a key. */
#define SG_KEY_PREFIX_MAX 40
void sg_key_prefix(const char *id, char out[SG_KEY_PREFIX_MAX]);

/* Drop key id from this process's cache of verified keys (after revoking it).
 * Other processes drop it when they see the store's keys generation move. */
void sg_auth_forget(const char *id);

/* The authenticated caller of a request (set by sg_auth_before): an API key,
 * with its send limits (api/send_limits.h) as the key cache holds them: they
 * are read, cached and dropped with the key itself, so a revocation or a change
 * of limits (both bump the store's keys generation) reaches them together; or a
 * signed-in user (api/session.h), whose id is then in key_id, whose email is
 * set, and who has no per-key limits. */
typedef struct sg_caller {
    char key_id[SG_ID_MAX];
    sg_role role;
    sg_country_set countries; /* destinations the key may send to; empty: any */
    int64_t daily_quota;      /* messages per UTC day; 0: no quota */
    char email[SG_EMAIL_MAX]; /* "" for an API key */
} sg_caller;

/* Who the caller is for the audit log: the user's email, else the key id;
 * "unknown" for NULL. */
const char *sg_auth_actor(const sg_caller *c);

/* The server's `before` hook: 401 without a valid key, 403 when the key's role is
 * below the route's tag. ctx is the sg_app. */
sg_http_result sg_auth_before(sg_http_req *req, const sg_route *route, void *ctx);

const sg_caller *sg_auth_caller(const sg_http_req *req);

#endif
