/* smsgate's Twilio-compatible Messages API (docs/compat.md): an application
 * written for Twilio sends through smsgate by changing its base URL and
 * credentials to an app account's (api/app_accounts.h). Every message it sends
 * is an ordinary smsgate message (same checks, opt-outs, routing, limits,
 * stats), tagged with its app; an app sees only its own messages. */
#ifndef SG_COMPAT_TWILIO_API_H
#define SG_COMPAT_TWILIO_API_H

#include "api/app.h"
#include "http/server.h"

/* sg_route.flags of the compatible routes: authenticated by
 * sg_compat_twilio_authenticate (HTTP Basic, Account SID and auth token)
 * instead of an API key. The route's tag is the least role the app needs. */
#define SG_API_COMPAT_TWILIO 2

/* Authenticate a request to a compatible route as soon as its headers are in:
 * Basic auth whose user is the path's Account SID and whose password is that
 * app's auth token (compared in constant time). A failure answers 401 with
 * Twilio's code 20003, is counted (smsgate_compat_auth_failures_total) and
 * against the client's address: after 20 failures within 10 minutes the
 * address gets 429 (code 20429) until the 10 minutes are over. */
sg_http_result sg_compat_twilio_authenticate(sg_http_req *req, const sg_route *route,
                                             sg_app *app);

/* Drop app_id from this process's apps read recently (after changing or
 * removing it); other processes drop it when the store's keys generation moves
 * (within about a second). */
void sg_compat_twilio_forget(const char *app_id);

/* POST/GET /2010-04-01/Accounts/{sid}/Messages.json; GET, POST (cancel) and
 * DELETE /2010-04-01/Accounts/{sid}/Messages/{sid}.json. */
sg_http_result sg_compat_twilio_create(sg_http_req *req, void *ctx);
sg_http_result sg_compat_twilio_list(sg_http_req *req, void *ctx);
sg_http_result sg_compat_twilio_fetch(sg_http_req *req, void *ctx);
sg_http_result sg_compat_twilio_update(sg_http_req *req, void *ctx);
sg_http_result sg_compat_twilio_delete(sg_http_req *req, void *ctx);

#endif
