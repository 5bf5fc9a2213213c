/* The app callbacks worker (docs/compat.md): every status change of a message
 * an app sent with a StatusCallback (its own, or the app's default) is queued in
 * the store in the change's transaction (sg_store_app_callback_claim), then
 * sent by this worker as Twilio posts it (MessageSid, SmsSid, MessageStatus,
 * SmsStatus, ErrorCode, To, From, AccountSid, ApiVersion), signed with
 * X-Twilio-Signature under the app's auth token, or, for a message that came in
 * by a Clickatell-compatible endpoint, in Clickatell's fields, unsigned
 * (compat/clickatell_callbacks.h); so are replies to the app's messages. Each is
 * retried with back-off until a 2xx answer or 10 attempts. The URL's address is
 * judged by the outbound policy at every attempt. */
#ifndef SG_COMPAT_TWILIO_CALLBACKS_H
#define SG_COMPAT_TWILIO_CALLBACKS_H

#include "api/app.h"

typedef struct sg_tw_callbacks sg_tw_callbacks;

/* Start the worker thread (its own: one blocking POST at a time, 5 s at most
 * each). policy: the outbound policy (NULL: the strict default); must outlive
 * the worker. */
sg_err sg_tw_callbacks_start(sg_app *app, const struct sg_outbound_policy *policy,
                             sg_tw_callbacks **out, sg_error *e);
/* Stop it after the attempt in progress. NULL is ignored. */
void sg_tw_callbacks_stop(sg_tw_callbacks *w);

#endif
