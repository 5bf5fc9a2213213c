/* Twilio's webhooks to smsgate (providers.md A.6-A.8), sans-I/O: the status
 * callback and the incoming message, parsed from their form parameters, and the
 * TwiML answer. Signature checking is twilio_signature.h. */
#ifndef SG_PROVIDERS_TWILIO_CALLBACKS_H
#define SG_PROVIDERS_TWILIO_CALLBACKS_H

#include "core/status.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/form.h"

#include <stdbool.h>

typedef struct sg_twilio_status_cb {
    char message_sid[72]; /* MessageSid (or SmsSid) */
    char status_raw[32];  /* MessageStatus as sent (or SmsStatus) */
    bool has_status;      /* status_raw maps to an smsgate status */
    sg_status status;     /* the mapped status */
    char error_code[16];  /* ErrorCode, "" if none */
    char error_message[256]; /* ErrorMessage if present */
    char from[64], to[64];
    char raw_dlr_done_date[16]; /* RawDlrDoneDate, "" if none */
} sg_twilio_status_cb;

/* Parse a status callback. SG_ERR_INVALID (with e naming the parameter) when
 * MessageSid/SmsSid or MessageStatus/SmsStatus is missing or malformed, or when
 * a present ErrorCode (up to 10 digits), From or To is malformed. A SID is SM or
 * MM and then letters and digits, 64 characters at most; an empty value counts
 * as missing, and the legacy name is read only when the new one is missing.
 * ErrorMessage is cut to fit (at a UTF-8 character boundary); a RawDlrDoneDate
 * that is not all digits is dropped rather than rejected. Unknown parameters
 * are ignored (they still count for the signature). Status mapping (ASCII case
 * ignored; status is meaningful only when has_status is true):
 * accepted, queued, scheduled, sending -> no change (has_status false; smsgate is
 * already "sent" once Twilio accepted); sent -> sent; delivered, read ->
 * delivered; undelivered -> undelivered; failed -> failed; canceled -> canceled;
 * partially_delivered -> delivered; anything else -> has_status false. */
sg_err sg_twilio_parse_status(const sg_form *params, sg_twilio_status_cb *out, sg_error *e);

typedef struct sg_twilio_inbound {
    char message_sid[72];
    char account_sid[40];
    char messaging_service_sid[40]; /* MessagingServiceSid, "" if absent */
    char from[64], to[64];
    char *body;        /* owned (may be ""), free with sg_twilio_inbound_free */
    unsigned segments; /* NumSegments, 1 if absent */
    unsigned num_media;
} sg_twilio_inbound;

/* Parse an incoming message. SG_ERR_INVALID (with e naming the parameter) when
 * MessageSid, From or To is missing, or From/To is not a phone number or channel
 * address: "+" and 2-15 digits, a short code of 3-15 digits, "channel:address"
 * ("whatsapp:+1...") or an alphanumeric sender ID of up to 11 characters, 63
 * bytes at most; also when AccountSid (MessagingServiceSid) is present and not
 * AC (MG) plus letters and digits, when NumSegments or NumMedia is not a number, or when Body is not
 * UTF-8 or longer than 1600 characters (code points). A missing Body is "". On
 * failure out->body is NULL; on success free it with sg_twilio_inbound_free. */
sg_err sg_twilio_parse_inbound(const sg_form *params, sg_twilio_inbound *out, sg_error *e);
void sg_twilio_inbound_free(sg_twilio_inbound *in);

/* Append TwiML to out: `<?xml version="1.0" encoding="UTF-8"?><Response/>`, or
 * with one <Message> holding reply (& < > " ' escaped) when reply is not NULL.
 * SG_ERR_INVALID when reply is not UTF-8 or holds a control character XML
 * cannot carry (anything below 0x20 but tab, LF and CR); SG_ERR_TOO_LARGE past
 * out's maximum. On failure out is left as it was. */
sg_err sg_twiml_response(const char *reply, sg_buf *out);

#endif
