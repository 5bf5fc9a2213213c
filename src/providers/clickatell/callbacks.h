/* Clickatell's callbacks to smsgate (providers.md B.1-B.3), sans-I/O: delivery
 * reports and replies, parsed from the form parameters of the legacy HTTP API's
 * GET / POST callbacks or from the JSON body of the Platform's (and the One
 * API's). Clickatell does not sign its callbacks: the endpoints check a secret
 * in the URL and the legacy api_id, not these parsers.
 *
 * Status mapping (legacy "status" and Platform "statusCode", 3 digits once
 * zero-padded; providers.md B.1). "undelivered" means the network took the
 * message and could not get it to the handset; "failed" that Clickatell did not
 * send it on, for a reason that is about the message or the account:
 *   001 unknown, 002 queued, 011 queued for later  -> no change (has_status false)
 *   003 delivered to gateway, 008 received by gateway -> sent
 *   004 received by recipient                      -> delivered
 *   007 error delivering message, 010 expired      -> undelivered
 *   005 error with message, 006 cancelled, 009 routing error, 012 out of credit,
 *   014 maximum MT limit exceeded                  -> failed
 *   anything else                                  -> no change
 * 006 maps to failed, not canceled: by the time Clickatell reports it the
 * message is "sent" in smsgate, and "canceled" only follows scheduled or queued.
 * Every undelivered or failed status sets error_code to "status-NNN", a key of
 * the error-code catalogue (provider "clickatell").
 *
 * Platform status strings, when recognised, decide over statusCode (ASCII case
 * ignored): RECEIVED_BY_RECIPIENT, DEVICE_ACK, READ -> delivered;
 * DELIVERED_TO_GATEWAY, RECEIVED_BY_GATEWAY, SENT_TO_SUPPLIER, EMULATED -> sent;
 * ERROR_DELIVERING_MESSAGE, DELIVERY_FAILURE, MESSAGE_EXPIRED, EXPIRED,
 * RECIPIENT_DOES_NOT_EXIST -> undelivered; ERROR_WITH_MESSAGE, USER_CANCELLED,
 * STOPPED_BY_USER, STOPPED_BY_ADMIN, ROUTING_ERROR, OUT_OF_CREDIT,
 * INSUFFICIENT_ACCOUNT_BALANCE, VOLUME_LIMIT, VOLUME_LIMIT_DAILY,
 * VOLUME_LIMIT_MONTHLY, MAX_MT_LIMIT_EXCEEDED -> failed; UNKNOWN, QUEUED,
 * SCHEDULED, MESSAGE_QUEUED -> no change. */
#ifndef SG_PROVIDERS_CLICKATELL_CALLBACKS_H
#define SG_PROVIDERS_CLICKATELL_CALLBACKS_H

#include "core/status.h"
#include "util/err.h"
#include "util/form.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sg_clickatell_status_cb {
    char api_id[40];            /* legacy api_id, "" if absent (always "" for platform) */
    char message_id[72];        /* apiMsgId / messageId: the provider_message_id */
    char client_message_id[72]; /* cliMsgId / clientMessageId (smsgate's id), "" if absent */
    char status_raw[48];        /* "004" (zero-padded) or the Platform status string */
    char status_code[8];        /* the status as 3 digits ("004"), "" if none was given */
    bool has_status;            /* the report moves the message to status */
    sg_status status;
    char error_code[16];     /* "status-NNN" when undelivered or failed, else "" */
    char error_message[256]; /* Platform statusDescription, "" if none */
    char from[40], to[40];   /* as sent, "" if absent */
    int64_t timestamp_ms;    /* the status time, 0 if not given */
    char charge[24];         /* legacy charge in credits, as sent ("0.800000"), "" if none */
} sg_clickatell_status_cb;

/* A legacy delivery report (HTTP GET query or POST form): api_id, apiMsgId,
 * cliMsgId, to, timestamp (unix seconds), from, status (1 to 3 digits), charge.
 * SG_ERR_INVALID with e->field naming the parameter when apiMsgId or status is
 * missing (an empty value counts as missing), or when a present parameter is
 * malformed: api_id (1 to 32 letters and digits), apiMsgId and cliMsgId (1 to 64
 * letters, digits, '-' and '_'), from / to (1 to 32 letters, digits, spaces,
 * '+', '.', '-' or '_'), timestamp (up to 15 digits: seconds, or milliseconds
 * when above 10^11), charge (a decimal number of at most 20 characters).
 * Unknown parameters are ignored. */
sg_err sg_clickatell_parse_status(const sg_form *params, sg_clickatell_status_cb *out, sg_error *e);

/* A Platform delivery report: the JSON object {"messageId", "clientMessageId",
 * "status", "statusCode", "statusDescription", "timestamp", "to", "from", ...},
 * or the One API's {"event": {"messageStatusUpdate": [{...}]}} (its first
 * element). messageId is required, and status or statusCode. statusCode may be
 * a number or a string of digits; timestamp a number or a string of digits, in
 * milliseconds when above 10^11 and in seconds otherwise (any other timestamp
 * is ignored). SG_ERR_INVALID with e->field naming the key (or "body" when it
 * is not a JSON object); SG_ERR_TOO_LARGE past 64 KiB. */
sg_err sg_clickatell_parse_platform_status(const char *json, size_t len,
                                           sg_clickatell_status_cb *out, sg_error *e);
/* The same report as GET query parameters. */
sg_err sg_clickatell_parse_platform_status_form(const sg_form *params, sg_clickatell_status_cb *out,
                                                sg_error *e);

typedef struct sg_clickatell_inbound {
    char api_id[40];                    /* legacy api_id, "" if absent */
    char message_id[72];                /* moMsgId / replyMessageId / One API messageId */
    char related_message_id[72];        /* the MT this replies to (Platform), "" if unknown */
    char related_client_message_id[72]; /* One API relatedClientMessageId, "" if none */
    char from[40], to[40];              /* as sent (Clickatell's digits, no '+') */
    char from_e164[20], to_e164[20];    /* "+" and the digits when the address is a phone
                                           number of 7 to 15 digits, else "" */
    char timestamp[32];                 /* as sent ("2015-02-04 09:30:36"), "" if none */
    int64_t timestamp_ms;               /* when the timestamp is a number, else 0 */
    char charset[32];                   /* as sent, "" if none */
    char udh[282];                      /* user data header, hex, "" if none */
    char network[40];                   /* network ID, "" if none */
    char keyword[64];                   /* Platform keyword, "" if none */
    char *text; /* owned UTF-8 (may be ""), free with sg_clickatell_inbound_free */
} sg_clickatell_inbound;

/* A legacy reply (MO) by HTTP GET or POST: api_id, moMsgId, from, to,
 * timestamp, text, charset, udh, network. moMsgId, from and to are required;
 * a missing text is "". The text is converted to UTF-8 with
 * sg_clickatell_text_to_utf8. SG_ERR_INVALID with e->field naming the
 * parameter when a required one is missing or any is malformed (ids as for the
 * status, addresses as for the status, udh up to 280 hex digits,
 * timestamp up to 31 digits, '-', ':', ' ', 'T', '+', '.', 'Z'). On failure
 * out->text is NULL; on success free it with sg_clickatell_inbound_free. */
sg_err sg_clickatell_parse_inbound(const sg_form *params, sg_clickatell_inbound *out, sg_error *e);

/* A Platform reply: {"messageId" (the MT replied to), "replyMessageId",
 * "fromNumber", "toNumber", "timestamp", "text", "charset", "udh", "network",
 * "keyword"}, or the One API's {"event": {"moText": [{"messageId",
 * "relatedMessageId", "relatedClientMessageId", "from", "to", "timestamp",
 * "content", "charset", "sms": {"network"}}]}} (its first element). Required:
 * the reply's own id (replyMessageId, or messageId in the One API shape) and
 * the sender. JSON strings are already Unicode; only a text declared UTF-16BE /
 * UCS-2 that is all hex is decoded from hex. Errors as for
 * sg_clickatell_parse_inbound, and SG_ERR_TOO_LARGE past 64 KiB. */
sg_err sg_clickatell_parse_platform_reply(const char *json, size_t len, sg_clickatell_inbound *out,
                                          sg_error *e);
/* The same reply as GET query parameters (Platform names). */
sg_err sg_clickatell_parse_platform_reply_form(const sg_form *params, sg_clickatell_inbound *out,
                                               sg_error *e);

void sg_clickatell_inbound_free(sg_clickatell_inbound *in);

/* Convert a reply's text to UTF-8 by its charset (ASCII case ignored; "" or
 * NULL for none):
 *   ISO-8859-1 / ISO_8859-1 / Latin1 / Latin-1  -> each byte is that code point;
 *   UTF-16BE / UTF-16 / UCS-2 / UCS2            -> text is hex, 4 digits a UTF-16
 *       code unit, big-endian; a lone surrogate becomes U+FFFD;
 *   UTF-8 / UTF8                                -> must be valid UTF-8;
 *   none, or a charset not listed               -> UTF-8 when valid, else ISO-8859-1.
 * A NUL (a 0 byte, or 0000 in hex) becomes U+FFFD, so a text is never cut short
 * or emptied by one. At most 1600 characters come out. SG_ERR_INVALID with
 * e->field "text" when
 * the hex is malformed, declared UTF-8 is not, or the text is longer;
 * *out is then NULL. On success *out is a new string (free it). */
sg_err sg_clickatell_text_to_utf8(const char *text, size_t len, const char *charset, char **out,
                                  sg_error *e);

#endif
