/* smsgate's Clickatell-compatible endpoints (docs/compat.md): an application
 * written for Clickatell (CiviCRM's Clickatell extension, a Kannel-style
 * client) sends through smsgate by pointing its API URL at smsgate and using an
 * app account's Clickatell-style credentials. The routes live at the root (not
 * under /v1), as Clickatell's do:
 *   GET|POST /http/sendmsg, /http/querymsg   the legacy API (B.1): api_id +
 *            user (the app's Account SID or name) + password (its auth token),
 *            or a session_id from GET|POST /http/auth (/http/ping keeps it);
 *   GET /messages/http/send                   the platform's HTTP GET (B.2) with
 *            apiKey (the app's api_key; trailing '=' ignored), text in UTF-8 or
 *            Latin-1;
 *   POST /messages                            the platform's REST send, JSON with
 *            "Authorization: <api_key>".
 * They authenticate in the handler (the credentials are in the query or body);
 * failures are counted and throttled per address (compat/auth_throttle.h). Every
 * message is an ordinary smsgate message tagged with its app; an app sees only
 * its own messages. */
#ifndef SG_COMPAT_CLICKATELL_API_H
#define SG_COMPAT_CLICKATELL_API_H

#include "api/app.h"
#include "http/server.h"

#include <jansson.h>

#define SG_CKC_API_ID_MAX 16

/* Give app app_id new Clickatell-style credentials (a new api_id and api_key,
 * replacing any it had) and store them; *out gets {"api_id", "username",
 * "api_key"} (the key shown this once; the password is the auth token). */
sg_err sg_compat_ck_issue(sg_app *app, const char *app_id, const char *account_sid, json_t **out,
                          sg_error *e);

/* GET|POST /http/auth: api_id, user, password -> "OK: <session_id>"; /http/ping:
 * session_id -> "OK: " (compat/clickatell_sessions.h). */
sg_http_result sg_compat_ck_auth(sg_http_req *req, void *ctx);
sg_http_result sg_compat_ck_ping(sg_http_req *req, void *ctx);
sg_http_result sg_compat_ck_sendmsg(sg_http_req *req, void *ctx);
sg_http_result sg_compat_ck_querymsg(sg_http_req *req, void *ctx);
sg_http_result sg_compat_ck_http_send(sg_http_req *req, void *ctx);
sg_http_result sg_compat_ck_messages(sg_http_req *req, void *ctx);

#endif
