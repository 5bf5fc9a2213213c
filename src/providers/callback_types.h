/* A provider's webhooks (delivery reports and inbound messages) as a kind reads
 * them: the records between a kind's callback hooks (sg_provider_kind's
 * "callbacks" block, implemented sans-I/O in the kind's folder) and
 * callbacks/callbacks.c, which does the HTTP, the store and the replies.
 *
 * A callback goes through the kind in three steps (sg_cb_run_status,
 * sg_cb_run_inbound): callback_read turns the request into parameters (a form,
 * the query, or a JSON body), callback_verify authenticates them (a signature;
 * NULL when the secret URL is all there is), and parse_status_cb /
 * parse_inbound_cb make the generic record, with the kind's own checks (a
 * legacy api_id). Any step may refuse the request with an sg_cb_refusal, which
 * callbacks.c answers as problem+json. */
#ifndef SG_PROVIDERS_CALLBACK_TYPES_H
#define SG_PROVIDERS_CALLBACK_TYPES_H

#include "core/errcodes.h"
#include "core/status.h"
#include "util/form.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum sg_cb_what {
    SG_CB_STATUS = 0, /* a delivery report: /callbacks/{id}[/{secret}]/status */
    SG_CB_INBOUND,    /* an incoming message: /callbacks/{id}[/{secret}]/inbound */
} sg_cb_what;

/* One webhook request as the kind sees it. Everything is borrowed for the call. */
typedef struct sg_cb_request {
    sg_cb_what what;
    /* It came to /callbacks/{id}/{secret}/...: the secret in the URL and the
     * provider's allow_from networks were checked already. */
    bool secret_url;
    const char *method;       /* "GET" or "POST" */
    const char *url;          /* the URL the provider called: --public-url, path and query */
    const char *content_type; /* NULL when absent */
    const char *body;         /* body_len bytes, not NUL-terminated; may be empty */
    size_t body_len;
    /* The query parameters (values keep decoded NUL bytes; value_len counts them),
     * or NULL when they could not be read (too many, out of memory). */
    const sg_form *query;
    /* A request header by name (ASCII case ignored), NULL when absent. */
    const char *(*header)(const void *ctx, const char *name);
    const void *header_ctx;
    /* The provider's status_callback_url override ("" when none): a proxy may
     * forward a report the provider signed for that URL. */
    const char *status_callback_url;
} sg_cb_request;

/* The parameters callback_read found. Free with sg_cb_params_free. */
typedef struct sg_cb_params {
    const sg_form *form; /* the parameters: &own, or the request's query */
    sg_form own;         /* parameters the kind read itself (a form body) */
    const char *json;    /* a JSON body kept as it is (borrowed from the request), or NULL */
    size_t json_len;
} sg_cb_params;

void sg_cb_params_free(sg_cb_params *p);

/* Why a kind refuses a request. callbacks.c answers http_status with code,
 * field (NULL when "") and detail, and counts it in /metrics as "forbidden"
 * (403) or "rejected" (anything else). */
typedef struct sg_cb_refusal {
    int http_status;  /* 400, 403 or 415 */
    const char *code; /* static: "invalid_request", "forbidden", "unsupported_media_type" */
    const char
        *log_reason; /* static; when set, a callback_forbidden line says it (never a secret) */
    char field[64];  /* the parameter at fault, "" for none */
    char detail[512];
} sg_cb_refusal;

/* Fill r (printf-style detail, field may be NULL) and return false, so a hook can
 * `return sg_cb_refuse(r, 400, "invalid_request", NULL, "...")`. */
bool sg_cb_refuse(sg_cb_refusal *r, int http_status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A delivery report. */
typedef struct sg_cb_status {
    char provider_message_id[72];
    /* The report moves the message to status; false: nothing to record (the
     * provider's intermediate states), answered 200 and counted "ignored". */
    bool has_status;
    sg_status status;
    char status_raw[48];       /* as the provider wrote it ("delivered", "004") */
    char error_code[16];       /* "" if none */
    char error_message[256];   /* the provider's words, "" if none */
    const sg_errcode *errcode; /* the catalogue row of error_code, NULL if none or unknown */
} sg_cb_status;

/* An incoming message. Free with sg_cb_inbound_free. */
typedef struct sg_cb_inbound {
    char provider_message_id[72];
    char from[64], to[64]; /* as the kind read them (E.164 where it could tell) */
    /* The provider vouched that `to` is its own (Twilio: the inbound names the
     * provider's Messaging Service), so a consent reply may go from it. */
    bool to_owned;
    unsigned segments; /* as the provider counted them, 0: smsgate counts */
    char *body;        /* owned UTF-8, may be "" */
} sg_cb_inbound;

void sg_cb_inbound_free(sg_cb_inbound *in);

struct sg_provider_kind;

/* Read, authenticate and parse one status callback with kind k's hooks (cfg is
 * the provider's loaded config). False with r filled when the request is refused.
 * k must have callback_read and parse_status_cb. */
bool sg_cb_run_status(const struct sg_provider_kind *k, const void *cfg, const sg_cb_request *rq,
                      sg_cb_status *out, sg_cb_refusal *r);
/* The same for an inbound message; on success free out with sg_cb_inbound_free. */
bool sg_cb_run_inbound(const struct sg_provider_kind *k, const void *cfg, const sg_cb_request *rq,
                       sg_cb_inbound *out, sg_cb_refusal *r);

#endif
