/* The wire format of smsgate's Twilio-compatible Messages API (docs/compat.md):
 * pure translations with no I/O, unit-tested and fuzzed. A request's form
 * becomes the JSON object POST /v1/messages takes; a stored message becomes
 * Twilio's Message resource, field for field and type for type; a refusal
 * becomes Twilio's error body and code. The wire format is the one in
 * ../shared/providers.md part A (A.2-A.5). */
#ifndef SG_COMPAT_TWILIO_WIRE_H
#define SG_COMPAT_TWILIO_WIRE_H

#include "store/store.h"
#include "util/buf.h"
#include "util/form.h"

#include <jansson.h>

#define SG_TW_API_VERSION "2010-04-01"
#define SG_TW_SID_MAX     35 /* two letters + 32 hex + NUL */
#define SG_TW_DATE_MAX    40
#define SG_TW_URL_MAX     512

/* "SM" + the 128 bits of message id msg_id; false when it is not a message id. */
bool sg_tw_message_sid(const char *msg_id, char out[SG_TW_SID_MAX]);
/* The message id a Message SID ("SM" + 32 hex) names; false otherwise. */
bool sg_tw_message_id(const char *sid, char out[SG_ID_MAX]);

/* ms as RFC 2822 in GMT, as Twilio writes it: "Thu, 24 Aug 2023 05:01:45 +0000". */
void sg_tw_date(int64_t ms, char out[SG_TW_DATE_MAX]);

/* Twilio's integer error_code for a stored smsgate error code: the number
 * itself when it is one (a provider's code), 21610 for opted_out, 30001 for
 * expired, 30008 (unknown error) for any other word; 0 for none (""). */
int sg_tw_error_code(const char *code);

/* The Message resource of m (an app's message) for account_sid. */
json_t *sg_tw_message_json(const sg_message *m, const char *account_sid);

/* The same resource written straight into b as compact JSON: exactly the bytes
 * json_dumps(sg_tw_message_json(m, account_sid), JSON_COMPACT) gives, without
 * building and dumping a tree (the create answers this way: docs/performance.md).
 * messaging_service (NULL: none) fills messaging_service_sid and turns a queued
 * message's status into "accepted", as Twilio answers a create with a Messaging
 * Service. Text is valid UTF-8 (as smsgate stores it). SG_ERR_TOO_LARGE or
 * SG_ERR_NOMEM when b cannot take it (b then holds part of it). */
sg_err sg_tw_message_write(sg_buf *b, const sg_message *m, const char *account_sid,
                           const char *messaging_service);

/* Twilio's error body: {"code", "message", "more_info", "status"} (status an
 * integer: the HTTP status). */
json_t *sg_tw_error_json(int http_status, int code, const char *message);

/* How a refusal of smsgate's (its problem code and field) reads to a Twilio
 * client: the HTTP status and Twilio's code (21211 invalid To, 21614 not a
 * mobile number, 21610 opted out, 21212 invalid From, 21602 no body, 21617 body
 * too long, 21408 country not allowed, 20429 quota, 21606 no provider can send,
 * 21620 any other invalid parameter). */
void sg_tw_error_of(const char *problem_code, const char *field, int *http_status, int *code);

/* A refusal of a create request before smsgate's own checks. */
typedef struct sg_tw_fail {
    int http_status;
    int code;
    char message[160];
} sg_tw_fail;

/* A create request (the form of POST …/Messages.json) as the JSON object
 * POST /v1/messages takes: To → to, From → from, Body → body, SendAt with
 * ScheduleType=fixed → send_at, ValidityPeriod → validity_seconds, ShortenUrls
 * → track_clicks; unknown parameters are ignored as Twilio ignores them.
 * *status_callback gets StatusCallback (borrowed from f; NULL when absent) and
 * *messaging_service the MessagingServiceSid (NULL when absent). NULL with
 * *fail filled when a parameter cannot be read (a missing To is left to
 * smsgate's check, which answers 21211). */
json_t *sg_tw_create_request(const sg_form *f, const char **status_callback,
                             const char **messaging_service, sg_tw_fail *fail);

/* The text of the first <Message> of a TwiML answer (its <Body> when it has
 * one), XML entities decoded (&amp; &lt; &gt; &quot; &apos; and &#N; / &#xN;
 * below 128), into out (cap bytes, cut to fit). False when there is no
 * <Message> or its text is empty. Not an XML parser: TwiML's one element a
 * messaging answer has is found by name. */
bool sg_tw_twiml_message(const char *xml, size_t len, char *out, size_t cap);

#endif
