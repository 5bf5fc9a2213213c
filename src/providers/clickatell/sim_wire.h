/* Clickatell's side of the wire as the simulator speaks it (providers.md B.1,
 * B.2): the legacy API's error texts and text encodings, message-part counting,
 * and the outgoing requests Clickatell makes: delivery callbacks (legacy GET /
 * POST form / JSON, platform JSON) and replies (legacy MO by GET / POST / JSON,
 * platform reply JSON). Clickatell signs none of them. Used by the simulator
 * (sim/clickatell_sim.c) and by `smsgate simulate inject --kind clickatell`. */
#ifndef SG_SIM_CLICKATELL_WIRE_H
#define SG_SIM_CLICKATELL_WIRE_H

#include "sim/webhook.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* apiMsgId, apiMessageId, moMsgId and replyMessageId: lower-case hex digits */
#define SG_CK_ID_LEN                32
#define SG_CK_USER_AGENT            "Clickatell"             /* callbacks, platform replies */
#define SG_CK_USER_AGENT_MO         "Clickatell MO Callback" /* legacy replies (B.1) */
#define SG_CK_LEGACY_TEXT_MAX_PARTS 99                       /* concat accepted up to this */

/* How a legacy callback or reply is delivered (the portal's setting): GET with the
 * parameters in the query string, POST form-encoded, or a raw JSON POST. */
typedef enum sg_ck_method {
    SG_CK_GET = 0,
    SG_CK_POST,
    SG_CK_JSON,
} sg_ck_method;

/* "GET", "POST" or "JSON" (any case). */
bool sg_ck_method_parse(const char *s, sg_ck_method *out);
const char *sg_ck_method_name(sg_ck_method m);

/* A new id: SG_CK_ID_LEN random lower-case hex digits. */
void sg_ck_new_id(char out[SG_CK_ID_LEN + 1]);

/* The description of a legacy error code (B.1), or NULL for a code not in the
 * table. */
const char *sg_ck_error_text(int code);
/* The `error` text of a platform error code (B.2/B.3), or NULL. */
const char *sg_ck_platform_error_text(int code);
/* Platform status name and description of a legacy status code 3, 4 or 7
 * ("DELIVERED_TO_GATEWAY", "RECEIVED_BY_RECIPIENT", "ERROR_DELIVERING_MESSAGE");
 * "UNKNOWN" / "Message unknown" otherwise. */
const char *sg_ck_status_name(int code);
const char *sg_ck_status_description(int code);

/* A destination as Clickatell wants it: 2..15 digits, the first 1-9 (no '+', no
 * leading 0). */
bool sg_ck_msisdn_ok(const char *s);

/* Text of a legacy sendmsg with unicode=1: the UCS-2 / UTF-16BE hex string (4 hex
 * digits per unit, either case, surrogates paired, no U+0000). Returns a malloc'd
 * UTF-8 string, or NULL when the hex is invalid (*bad true) or out of memory
 * (*bad false). */
char *sg_ck_ucs2_hex_decode(const char *hex, bool *bad);
/* Text of a legacy sendmsg without unicode, as UTF-8: ISO-8859-1 bytes converted
 * (utf8 false), or kept when utf8 is true and it is valid UTF-8. malloc'd; NULL on
 * out of memory or invalid UTF-8 (*bad true). */
char *sg_ck_text_decode(const char *raw, bool utf8, bool *bad);
/* Message parts for UTF-8 text: GSM-7 (ucs2 false; characters outside GSM 03.38
 * count as one septet, as Clickatell would send '?') 160 in one part, else 153 per
 * part, an escape pair never split; UCS-2 70, else 67 per part, a surrogate pair
 * never split. 0 for "". */
unsigned sg_ck_parts(const char *utf8, bool ucs2);

/* ---- delivery callbacks ------------------------------------------------------------- */

/* A legacy status callback (B.1): api_id, apiMsgId, cliMsgId, to, timestamp (unix
 * seconds), from, status (3 digits), charge. */
typedef struct sg_ck_legacy_status {
    const char *api_id;
    const char *api_msg_id;
    const char *cli_msg_id; /* "" when the message had none */
    const char *to;
    const char *from; /* "" when the message had none */
    int64_t timestamp_s;
    int status;
    double charge;
} sg_ck_legacy_status;

/* A platform status callback (B.2), always a JSON POST. */
typedef struct sg_ck_platform_status {
    const char *integration_name;
    const char *message_id;
    const char *request_id;
    const char *client_message_id; /* NULL: null */
    const char *to;
    const char *from; /* NULL: null */
    int status_code;  /* 3, 4 or 7 */
    int64_t timestamp_ms;
} sg_ck_platform_status;

/* One outgoing request, ready for sg_sim_request_init(post, &http, url, body). */
typedef struct sg_ck_request {
    sg_sim_http http; /* static strings */
    char *url;        /* malloc'd: the target, plus the query for a GET */
    char *body;       /* malloc'd, NULL for a GET */
} sg_ck_request;

void sg_ck_request_free(sg_ck_request *r);

/* Build the request; false on out of memory (r freed). */
bool sg_ck_legacy_status_request(const sg_ck_legacy_status *p, sg_ck_method m, const char *url,
                                 sg_ck_request *r);
bool sg_ck_platform_status_request(const sg_ck_platform_status *p, const char *url,
                                   sg_ck_request *r);

/* ---- replies (MO) ------------------------------------------------------------------- */

typedef struct sg_ck_reply {
    bool platform;
    sg_ck_method method; /* legacy: how it is delivered; platform: always a JSON POST */
    const char *url;
    const char *api_id;           /* legacy */
    const char *integration_name; /* platform */
    const char *message_id;       /* platform: the MT it answers, or NULL (null) */
    const char *from, *to;
    const char *text;                    /* UTF-8 */
    const char *charset;                 /* NULL: ISO-8859-1 when the text fits, else UTF-16BE */
    const char *timestamp;               /* NULL: now (legacy "yyyy-mm-dd hh:mm:ss" in GMT+2, B.1;
                                            platform epoch milliseconds) */
    const char *udh, *network, *keyword; /* NULL: left out (legacy) or "" (platform) */
} sg_ck_reply;

/* Build a reply: legacy api_id, moMsgId, from, to, timestamp, text, charset[, udh,
 * network]; platform integrationName, messageId, replyMessageId, fromNumber,
 * toNumber, timestamp, text, charset, udh, network, keyword. charset
 * "ISO-8859-1" sends the text's bytes in that charset (JSON: as characters),
 * "UTF-8" as it is, "UTF-16BE" or "UCS-2" as upper-case hex of UTF-16BE. id gets
 * the new moMsgId / replyMessageId. False with why (unknown charset, text not
 * representable, out of memory). */
bool sg_ck_reply_request(const sg_ck_reply *p, char id[SG_CK_ID_LEN + 1], sg_ck_request *r,
                         char *why, size_t cap);

#endif
