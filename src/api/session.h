/* Console sessions (docs/users.md): POST /v1/session signs a user in with email
 * and password and sets the sg_session cookie (HttpOnly, SameSite=Strict,
 * Path=/, Secure when --public-url is https); GET /v1/session tells who is
 * signed in; DELETE /v1/session signs out. The cookie holds 256 random bits; the
 * store keeps only their SHA-256, with the session's CSRF token, so every node
 * on the database shares the sessions.
 *
 * The /v1 API takes the cookie besides Bearer keys (sg_session_authenticate),
 * with the user's role, and any method but GET and HEAD must then carry the
 * session's token in X-CSRF-Token. Sessions end after --session-idle without
 * use (sliding) and --session-max after sign-in at the latest. */
#ifndef SG_API_SESSION_H
#define SG_API_SESSION_H

#include "http/server.h"

#define SG_SESSION_COOKIE "sg_session"

/* True if the request carries a sg_session cookie (valid or not). */
bool sg_session_cookie_sent(const sg_http_req *req);
/* The authentication of a request that sent the cookie and no Authorization
 * header: 401 unauthorized when the session is unknown or over, 403
 * csrf_failed when a method other than GET/HEAD lacks the right X-CSRF-Token,
 * 403 forbidden when the user's role is below the route's tag; otherwise sets
 * the caller (sg_auth_caller) and returns SG_HTTP_PENDING. ctx is the sg_app. */
sg_http_result sg_session_authenticate(sg_http_req *req, const sg_route *route, void *ctx);

sg_http_result sg_api_session_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_session_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_session_delete(sg_http_req *req, void *ctx);

#endif
