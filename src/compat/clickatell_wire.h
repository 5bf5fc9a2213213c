/* The wire format of smsgate's Clickatell-compatible endpoints (docs/compat.md):
 * pure translations with no I/O, unit-tested and fuzzed. A request's parameters
 * become the JSON object POST /v1/messages takes, one per recipient; a refusal
 * becomes the legacy API's "ERR: NNN, text" or the platform's error code; a
 * stored message's status becomes the legacy status code. The wire format is
 * ../shared/providers.md part B (B.1, B.2) and what CiviCRM's Clickatell
 * extension sends (../shared/research.md). */
#ifndef SG_COMPAT_CLICKATELL_WIRE_H
#define SG_COMPAT_CLICKATELL_WIRE_H

#include "store/store.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SG_CKC_API_MSG_ID_MAX 33  /* 32 hex + NUL: the 128 bits of a message id */
#define SG_CKC_RCPT_MAX       100 /* recipients of one request */
#define SG_CKC_RAW_TO_MAX     40  /* a recipient as given, cut to fit, for "To:" */
#define SG_CKC_API_KEY_MAX    80

/* Legacy error codes (providers.md B.1) this surface answers. */
enum {
    SG_CKC_ERR_AUTH = 1,        /* Authentication failed */
    SG_CKC_ERR_SESSION = 3,     /* Session ID expired */
    SG_CKC_ERR_NO_SESSION = 5,  /* Missing session ID */
    SG_CKC_ERR_PARAMS = 101,    /* Invalid or missing parameters */
    SG_CKC_ERR_UNKNOWN_ID = 103,/* Unknown API message ID */
    SG_CKC_ERR_DEST = 105,      /* Invalid destination address */
    SG_CKC_ERR_EMPTY = 107,     /* Empty message */
    SG_CKC_ERR_API_ID = 108,    /* Invalid or missing API ID */
    SG_CKC_ERR_PARTS = 113,     /* Maximum message parts exceeded */
    SG_CKC_ERR_ROUTE = 114,     /* Cannot route message */
    SG_CKC_ERR_UNICODE = 116,   /* Invalid Unicode data */
    SG_CKC_ERR_OPTED_OUT = 122, /* Destination mobile opted out */
    SG_CKC_ERR_SENDER = 123,    /* Invalid Sender ID */
    SG_CKC_ERR_LIMIT = 130,     /* Maximum MT limit exceeded */
    SG_CKC_ERR_INTERNAL = 901,  /* Internal error */
};

/* The description of a legacy error code this surface answers ("Internal
 * error" for any other). */
const char *sg_ckc_error_text(int code);

/* apiKey as a client sent it, into out: surrounding spaces and any trailing '='
 * dropped (CiviCRM's extension appends "==" to what the user typed). False when
 * nothing is left or it does not fit. */
bool sg_ckc_api_key(const char *raw, char *out, size_t cap);

/* The text of a send request as UTF-8 (malloc'd): with unicode, raw is UCS-2 /
 * UTF-16BE hex (4 digits per unit); otherwise raw is UTF-8 when it is valid and
 * ISO-8859-1 (Latin-1) when it is not, as CiviCRM's extension sends it. NULL
 * with *bad true when the hex is invalid, *bad false when out of memory. */
char *sg_ckc_text(const char *raw, size_t len, bool unicode, bool *bad);

/* One recipient of a request: as given (for "To:" and "to" in answers) and as
 * POST /v1/messages takes it: digits in international format get a '+', a
 * leading "00" is dropped; anything else is passed on as it is (smsgate's own
 * check then refuses it). */
typedef struct sg_ckc_rcpt {
    char raw[SG_CKC_RAW_TO_MAX];
    char to[SG_CKC_RAW_TO_MAX];
} sg_ckc_rcpt;

/* Split to (comma-separated; spaces around each ignored; empty items skipped)
 * into out (room for max); the count, or max + 1 when there are more. */
size_t sg_ckc_recipients(const char *to, sg_ckc_rcpt *out, size_t max);

/* "concat" as a number of parts: 0 when absent, -1 when it is not 1..99. */
int sg_ckc_concat(const char *s);

/* The JSON object POST /v1/messages takes, for recipient r: to, body, from (when
 * not NULL or ""), and metadata {"climsgid"} when climsgid is not NULL or "". */
json_t *sg_ckc_message_request(const sg_ckc_rcpt *r, const char *text, const char *from,
                               const char *climsgid);

/* How a refusal of smsgate's (its problem code and field) reads to a
 * Clickatell client: the legacy error code (105 invalid to, 122 opted out,
 * 107 empty, 113 too long, 123 invalid from, 114 no provider, 130 quota,
 * 121 country not allowed, 101 any other) and the platform's (25 invalid
 * recipient, 26 opted out, 24 content too long, 23 any other invalid parameter,
 * 43 quota, 27 no route). */
int sg_ckc_legacy_error_of(const char *problem_code, const char *field);
int sg_ckc_platform_error_of(const char *problem_code, const char *field);
/* The platform's description of its error code. */
const char *sg_ckc_platform_error_text(int code);

/* The legacy status code (001-014) of an smsgate status: 002 queued or sending,
 * 011 scheduled, 003 sent, 004 delivered, 007 failed or undelivered, 006
 * canceled, 001 anything else. */
int sg_ckc_status_code(sg_status st);

/* ---- callbacks to the app, in Clickatell's format (providers.md B.1) --------------- */

/* The legacy "callback" levels: a bitmask of 1 intermediate (003), 2 final
 * (004 and the errors), 4 errors (005, 007, 009, 010, 012). */
#define SG_CKC_CALLBACK_ALL 7

/* "callback" as a level 0-7: dflt when s is NULL or "", -1 when it is anything
 * else (Clickatell's legacy API answers that with ERR: 101). */
int sg_ckc_callback_level(const char *s, int dflt);

/* The status code of a delivery report for a message now in status st with
 * error code error_code (may be NULL): 003 sent, 004 delivered, 006 canceled
 * (reported as final), 010 failed or undelivered because its validity period
 * ran out ("expired"), 007 failed or undelivered otherwise; 0 when no report is
 * due: another status (queued, sending, scheduled, ...), or a level that does
 * not ask for this one. */
int sg_ckc_report_status(sg_status st, const char *error_code, int level);

/* A delivery report as Clickatell's legacy API sends it. Numbers as stored
 * (a leading '+' is dropped on the wire); cli_msg_id "" when none. */
typedef struct sg_ckc_report {
    const char *api_id, *api_msg_id, *cli_msg_id, *to, *from;
    int64_t at_ms; /* the status change; sent as UNIX seconds */
    int status;    /* sg_ckc_report_status */
} sg_ckc_report;

/* r's parameters onto body, form-encoded, in Clickatell's order: api_id,
 * apiMsgId, cliMsgId, to, timestamp, from, status (3 digits), charge ("0":
 * smsgate does not know what the provider charged). */
sg_err sg_ckc_report_form(const sg_ckc_report *r, sg_buf *body);

/* An inbound message (MO) as Clickatell's reply path sends it. */
typedef struct sg_ckc_mo {
    const char *api_id, *mo_msg_id, *from, *to, *text;
    int64_t at_ms;
} sg_ckc_mo;

/* r's parameters onto body, form-encoded: api_id, moMsgId, from, to (numbers
 * without '+'), timestamp ("YYYY-MM-DD HH:MM:SS", UTC), text (UTF-8), charset
 * ("UTF-8"). No "status": that is how a client (CiviCRM) tells it from a
 * report. */
sg_err sg_ckc_mo_form(const sg_ckc_mo *r, sg_buf *body);

/* The apiMsgId of message id msg_id: the 32 hex digits of its 128 bits (the
 * Message SID without "SM"); false when it is not a message id. */
bool sg_ckc_api_msg_id(const char *msg_id, char out[SG_CKC_API_MSG_ID_MAX]);
/* The message id an apiMsgId names; false otherwise. */
bool sg_ckc_message_id(const char *api_msg_id, char out[SG_ID_MAX]);

/* The platform's send request (POST /messages, JSON: "content", "to" an array
 * of numbers or one string, "from", "clientMessageId", "charset"), read from
 * body. */
typedef struct sg_ckc_platform_req {
    json_t *root;       /* owns the strings below */
    const char *content;
    const char *from;   /* NULL when absent */
    const char *client_message_id;
    sg_ckc_rcpt *rcpt;  /* malloc'd */
    size_t n_rcpt;
} sg_ckc_platform_req;

/* False with *code (21 payload malformed, 23 missing content or to, 22 more
 * than SG_CKC_RCPT_MAX recipients) and why. */
bool sg_ckc_platform_parse(const char *body, size_t len, sg_ckc_platform_req *out, int *code,
                           char *why, size_t cap);
void sg_ckc_platform_free(sg_ckc_platform_req *r);

#endif
