/* The simulator's side of Twilio's webhooks (providers.md A.7-A.9): building the
 * form bodies of a status callback and of an incoming message exactly as Twilio
 * sends them (space as '+'), signing them with X-Twilio-Signature, and one libcurl
 * easy handle per request with a bounded capture of the answer (also used for
 * Clickatell's GET/POST/JSON callbacks, sim/clickatell_wire.h). Used by the
 * callback sender (sim/sender.c) and by `smsgate simulate inject`. */
#ifndef SG_SIM_WEBHOOK_H
#define SG_SIM_WEBHOOK_H

#include "providers/twilio/signature.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/http_client.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_SIM_HTTP_TIMEOUT_S  5 /* connect and whole-transfer timeout of each request */
#define SG_SIM_HTTP_TIMEOUT_MS (SG_SIM_HTTP_TIMEOUT_S * 1000)
#define SG_SIM_ANSWER_MAX      (64 * 1024) /* answer bytes kept (Twilio's TwiML limit) */
#define SG_SIM_URL_MAX         2048
#define SG_SIM_USER_AGENT      "TwilioProxy/1.1"

/* Append key=value to b as Twilio encodes forms: A-Z a-z 0-9 - _ . * kept, space as
 * '+', every other byte %XX (upper-case hex); '&' first when b is not empty. */
sg_err sg_sim_form_add(sg_buf *b, const char *key, const char *value);

/* The X-Twilio-Signature of a POST of the form body to url, computed over the
 * parameters as the receiver decodes them (the body is parsed back). False when
 * the body is not a valid form. */
bool sg_sim_sign_body(const char *auth_token, const char *url, const char *body,
                      char out[SG_TWILIO_SIG_MAX]);

/* A status callback's parameters (A.7). error_code 0: no ErrorCode/ErrorMessage.
 * from and messaging_service_sid may be NULL (left out). done_ms > 0 adds
 * RawDlrDoneDate (YYMMDDhhmm, UTC) for delivered and undelivered. */
typedef struct sg_sim_status_params {
    const char *message_sid;
    const char *account_sid;
    const char *from;
    const char *to;
    const char *messaging_service_sid;
    const char *status;
    int error_code;
    int64_t done_ms;
} sg_sim_status_params;

sg_err sg_sim_status_body(const sg_sim_status_params *p, sg_buf *out);

/* The fixed ErrorMessage of a Twilio delivery error code the simulator emits, or
 * "Unknown error". */
const char *sg_sim_error_message(int code);

/* An incoming message's parameters (A.8). extra: n_extra key/value pairs that
 * replace a parameter of the same key or are appended. */
typedef struct sg_sim_inbound_params {
    const char *message_sid; /* "SM" + 32 hex */
    const char *account_sid;
    const char *from;
    const char *to;
    const char *body;
    const char *const *extra_keys;
    const char *const *extra_values;
    size_t n_extra;
} sg_sim_inbound_params;

sg_err sg_sim_inbound_body(const sg_sim_inbound_params *p, sg_buf *out);

/* A new message SID: "SM" + 32 random lower-case hex digits. */
void sg_sim_new_sid(char out[35]);

/* One request in progress (a POST, or a GET for Clickatell's GET callbacks): what
 * it sends and what came back (call.easy goes to a curl multi handle, or
 * sg_sim_post_perform runs it). */
typedef struct sg_sim_post {
    sg_http_call call;
    const char *method; /* static: "GET" or "POST" */
    char *url;          /* owned */
    char *body;         /* owned; NULL for a GET */
    char error[CURL_ERROR_SIZE + 64];
} sg_sim_post;

/* What a finished POST gave. http_status 0 means a transport error (error says
 * which); the strings stay valid until sg_sim_post_free. */
typedef struct sg_sim_result {
    long http_status;
    const char *error;        /* NULL unless http_status is 0 */
    const char *content_type; /* "" when the answer had none */
    const char *body;
    size_t body_len;
    bool truncated;
} sg_sim_result;

/* How a request goes out. All strings static or outliving the init call (curl
 * copies the headers). */
typedef struct sg_sim_http {
    const char *method;       /* "GET" (no body) or "POST" */
    const char *content_type; /* POST: the Content-Type header */
    const char *user_agent;
    const char *header; /* one more "Name: value" header line, or NULL */
} sg_sim_http;

/* Prepare p (zeroed by the caller) to send body (taken over: freed with p; NULL
 * for a GET, whose parameters are in url's query) to url as h says, through
 * util/http_client.h (no 100-continue, no redirects, http and https only).
 * Timeouts SG_SIM_HTTP_TIMEOUT_MS, no proxy, the answer kept up to
 * SG_SIM_ANSWER_MAX (the rest read and dropped), curl's detailed error texts.
 * Returns false on out of memory, a bad header line or a POST without a body (p
 * must still be freed). */
bool sg_sim_request_init(sg_sim_post *p, const sg_sim_http *h, const char *url, char *body);

/* Twilio's webhook POST: sg_sim_request_init with the form Content-Type,
 * User-Agent SG_SIM_USER_AGENT and X-Twilio-Signature: signature unless signature
 * is NULL. */
bool sg_sim_post_init(sg_sim_post *p, const char *url, char *body, const char *signature);
/* Run the prepared request to its end (blocking: `simulate inject`). */
CURLcode sg_sim_post_perform(sg_sim_post *p);
/* Fill r from the finished transfer's outcome rc. */
void sg_sim_post_result(sg_sim_post *p, CURLcode rc, sg_sim_result *r);
void sg_sim_post_free(sg_sim_post *p);

/* The end of `simulate inject`: run p, print "HTTP <status> content_type=<type>
 * <id_name>=<id>" and the answer's body on stdout (a failure, or an answer cut at
 * SG_SIM_ANSWER_MAX, one line on stderr naming url), and free p. Returns 0 for a
 * 2xx answer, else 1 (the simulators' exit codes). */
int sg_sim_inject_finish(sg_sim_post *p, const char *url, const char *id_name, const char *id);

#endif
