/* Provider drivers are sans-I/O: a driver turns a message into an HTTP request and
 * an HTTP response into an outcome; it never opens a socket. The dispatcher does
 * the I/O. One sg_provider_kind per provider kind ("twilio", later "clickatell"),
 * found by name in a table (provider.c). */
#ifndef SG_PROVIDERS_PROVIDER_H
#define SG_PROVIDERS_PROVIDER_H

#include "core/errcodes.h"
#include "providers/callback_types.h"
#include "providers/errors.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sg_send_outcome {
    SG_SEND_ACCEPTED = 0, /* the provider took the message; message_id is set */
    SG_SEND_RETRYABLE,    /* try again later (429, 5xx, timeout, concurrency limit) */
    SG_SEND_PERMANENT,    /* never retry: the message fails with error_code */
} sg_send_outcome;

#define SG_PROV_MAX_HEADERS 8

/* An HTTP request to make. Every pointer is owned by the request; free it with
 * sg_prov_request_free. */
typedef struct sg_prov_request {
    const char *method;                 /* static string: "POST" or "GET" */
    char *url;                          /* absolute URL */
    char *headers[SG_PROV_MAX_HEADERS]; /* "Name: value" lines */
    size_t n_headers;
    char *body; /* may be NULL */
    size_t body_len;
} sg_prov_request;

void sg_prov_request_free(sg_prov_request *r);
/* Append a "Name: value" header (copied). SG_ERR_TOO_LARGE past SG_PROV_MAX_HEADERS. */
sg_err sg_prov_request_add_header(sg_prov_request *r, const char *name, const char *value);

/* The message a driver sends. All strings are borrowed for the call. */
typedef struct sg_prov_message {
    const char *id;              /* smsgate's message id */
    const char *to;              /* E.164 */
    const char *from;            /* the sender to use, or NULL to let the provider choose
                                    (e.g. a Twilio Messaging Service) */
    const char *body;            /* UTF-8 */
    const char *status_callback; /* smsgate's status callback URL, or NULL */
} sg_prov_message;

/* What a provider said about a send. */
typedef struct sg_prov_result {
    sg_send_outcome outcome;
    char message_id[72];     /* the provider's id when accepted, else "" */
    char error_code[16];     /* the provider's error code as text ("21211"), "" if none */
    char error_message[256]; /* readable reason, "" if none */
    unsigned segments;       /* as the provider counted them; 0 when unknown */
    bool opted_out;          /* the provider refused because the recipient unsubscribed */
} sg_prov_result;

/* What a provider says about a message whose send may or may not have reached it
 * (smsgate stopped while the request was in flight). */
typedef enum sg_lookup_outcome {
    SG_LOOKUP_FOUND = 0, /* the provider has messages like it: candidates in sg_lookup_matches */
    SG_LOOKUP_NOT_FOUND, /* the provider has nothing like it: send it */
    SG_LOOKUP_UNKNOWN,   /* no answer we can trust: send it */
} sg_lookup_outcome;

#define SG_LOOKUP_MAX 50 /* candidates kept from one answer (Twilio's lookup asks for 50) */

/* The provider's messages that look like the one looked up (same recipient, sender
 * and body, created since it), in the provider's order. A candidate is not proof:
 * several of smsgate's messages can have the same recipient, sender and body, so
 * the store attributes each provider id to one of them only
 * (sg_store_outcome_found). */
typedef struct sg_lookup_matches {
    size_t n;
    char ids[SG_LOOKUP_MAX][72];
} sg_lookup_matches;
/* One key a kind's config takes, described: the console's provider forms
 * (GET /v1/provider-kinds), the CLI's per-kind flags (--account-sid sets
 * account_sid) and `smsgate provider --help` are made from these rows, and the
 * kind's secrets are the rows flagged SG_CONFIG_SECRET. */
typedef enum sg_config_value {
    SG_CONFIG_STRING = 0,
    SG_CONFIG_NUMBER, /* a JSON number ("mps") */
    SG_CONFIG_BOOL,   /* true/false, or 1/0 */
    SG_CONFIG_LIST,   /* a JSON list of strings; on the command line "a,b" */
} sg_config_value;

/* sg_config_key.flags */
#define SG_CONFIG_REQUIRED 0x1u /* the config is refused without it */
#define SG_CONFIG_SECRET   0x2u /* sealed at rest, masked when shown, never logged */
#define SG_CONFIG_ADVANCED 0x4u /* rarely changed: a form folds it away */
#define SG_CONFIG_MULTILINE 0x8u /* text of several lines: a form shows a text box */

typedef struct sg_config_key {
    const char *key;     /* "account_sid"; NULL ends a table */
    const char *metavar; /* "AC..." */
    /* One or two sentences for a person filling the field in, without what the
     * other members say (required, default, secret: --help adds those). */
    const char *help;
    sg_config_value type;
    const char *label; /* "Account SID": the words the seed platforms' forms use */
    unsigned flags;    /* SG_CONFIG_REQUIRED | SECRET | ADVANCED | MULTILINE */
    const char *def;   /* the default as a flag's text ("1", "https://..."); NULL: none */
    /* "group:option" when the key is one of alternatives: the config needs, in
     * each group, every key of at least one option ("credentials:auth_token"
     * beside "credentials:api_key" on api_key_sid and api_key_secret). NULL: none. */
    const char *one_of;
} sg_config_key;

/* What `smsgate simulate <name>` runs: a kind's simulator, registered from its
 * table row (kinds of one provider may share one). */
typedef struct sg_kind_sim {
    const char *name;                   /* "twilio": the word after `simulate` */
    const char *summary;                /* one line for `smsgate simulate --help` */
    int (*main)(int argc, char **argv); /* argv[0] is name; returns the exit code */
} sg_kind_sim;

typedef struct sg_provider_kind {
    const char *name; /* "twilio" */
    /* Described for people (GET /v1/provider-kinds, `smsgate provider kinds`). */
    const char *label;       /* "Twilio" */
    const char *description; /* one sentence: which API of the provider it drives */
    /* The kind's rows of the error-code catalogue (src/providers/<kind>/errors.c),
     * ended by a NULL code; kinds of one provider may share a table. */
    const sg_errcode *errors;
    /* Its simulator (src/providers/<kind>/sim.c); NULL: none. */
    const sg_kind_sim *sim;
    /* How the provider's webhooks are authenticated: false = signed (Twilio checks
     * X-Twilio-Signature); true = the provider cannot sign, so its callback URLs carry
     * config.callback_secret and config.allow_from may list the networks (CIDR) they
     * may come from (Clickatell). */
    bool url_secret;
    /* Optional, for a url_secret kind whose provider can also sign: true when this
     * loaded config's webhooks carry a signature smsgate can check, so its callback
     * URLs need no secret (Twilio with an auth_token; with an API key alone Twilio's
     * signature cannot be checked). NULL: never signed. */
    bool (*callbacks_signed)(const void *cfg);

    /* Validate config (a JSON object holding secrets too) and normalise it in place
     * (defaults filled in, e.g. base_url; a "a|b" sender string turned into an
     * array). Unknown keys are refused. Returns the driver's parsed configuration,
     * or NULL with e filled in (e->field is "config.<key>"). The result does not
     * borrow from config. */
    void *(*config_load)(json_t *config, sg_error *e);
    void (*config_free)(void *cfg);

    /* The sender pool of a loaded config (borrowed from cfg); 0 senders means the
     * provider picks (a messaging service). */
    size_t (*senders)(const void *cfg, const char *const **out);

    /* Build the send request for m into req (zeroed first). On failure req holds
     * nothing to free. */
    sg_err (*build_send)(const void *cfg, const sg_prov_message *m, sg_prov_request *req,
                         sg_error *e);

    /* Classify the provider's answer: http_status (> 0) and len bytes of body (not
     * NUL-terminated, may be empty). Never fails; an unexpected answer becomes a
     * readable error message. */
    void (*parse_send)(const void *cfg, long http_status, const char *body, size_t len,
                       sg_prov_result *res);
    /* Optional (NULL when the provider offers no way to ask): the request that
     * looks for m at the provider (same recipient, sender and body, created at or
     * after since_ms), and the reading of its answer: SG_LOOKUP_FOUND with every
     * matching provider id in out (n >= 1, at most SG_LOOKUP_MAX), else out->n is 0. */
    sg_err (*build_lookup)(const void *cfg, const sg_prov_message *m, int64_t since_ms,
                           sg_prov_request *req, sg_error *e);
    sg_lookup_outcome (*parse_lookup)(const void *cfg, const sg_prov_message *m, int64_t since_ms,
                                      long http_status, const char *body, size_t len,
                                      sg_lookup_matches *out);
    /* Every key config takes, described (ended by a NULL key). */
    const sg_config_key *config_keys;

    /* ---- callbacks: the provider's webhooks (providers/callback_types.h) ----------------
     * callbacks/callbacks.c finds the provider, checks a secret URL's secret and
     * allow_from (url_secret above), and then asks these hooks, in this order, to
     * read, authenticate and parse the request (sg_cb_run_status / _inbound); it
     * stores what they return and answers. A kind without callback_read takes no
     * callbacks (404). cfg is the provider's loaded config. */

    /* The request's parameters into out (which request shapes the provider sends:
     * a form body, the query of a GET, a JSON body). False with r filled when the
     * request is malformed; out then holds nothing to free. */
    bool (*callback_read)(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                          sg_cb_refusal *r);
    /* Optional: authenticate rq (a signature over its URL and params). A kind that
     * has it takes its callbacks at /callbacks/{id}/status and /inbound too (no
     * secret in the URL); NULL: only at the secret URLs, whose secret is the proof.
     * False with r filled (403, log_reason set) when the request is not the
     * provider's. */
    bool (*callback_verify)(const void *cfg, const sg_cb_request *rq, const sg_cb_params *p,
                            sg_cb_refusal *r);
    /* A delivery report / an incoming message from the parameters, with the kind's
     * own checks (Clickatell's legacy api_id). False with r filled. */
    bool (*parse_status_cb)(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                            sg_cb_refusal *r);
    bool (*parse_inbound_cb)(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                             sg_cb_refusal *r);
    /* The 200 answer to a callback taken (static): content type and body (Twilio
     * wants empty TwiML, Clickatell "OK"). */
    const char *callback_answer_type;
    const char *callback_answer;
} sg_provider_kind;

/* The kind named name, or NULL. */
const sg_provider_kind *sg_provider_kind_find(const char *name);
/* NULL-terminated table of all kinds. */
const sg_provider_kind *const *sg_provider_kinds(void);

/* Whether key is one of kind k's secrets (its config_keys row is flagged
 * SG_CONFIG_SECRET). */
bool sg_provider_kind_secret(const sg_provider_kind *k, const char *key);
/* How kind k's webhooks are authenticated, as GET /v1/provider-kinds says it:
 * "signature" (the provider signs them), "url_secret" (the callback URLs carry a
 * secret), or "signature_or_url_secret" (signed when the loaded config allows it,
 * else a secret in the URLs). Static. */
const char *sg_provider_kind_callback_auth(const sg_provider_kind *k);

/* Kind k described for people and forms (describe.c): {"name", "label",
 * "description", "callback_auth", "fields": [sg_config_key_json of each config
 * key, in the table's order, then of each option every kind takes
 * (sg_prov_common_keys, providers/common_options.h) with "common": true]}. A new
 * reference (NULL when memory ran out). */
json_t *sg_provider_kind_json(const sg_provider_kind *k);
/* One config key: {"key", "label", "type" ("string", "number", "boolean" or
 * "list"), "required", "secret", "advanced", "help", "default"? (typed),
 * "one_of"? ({"group", "option"})}. A new reference. */
json_t *sg_config_key_json(const sg_config_key *c);

/* How a provider of kind k loaded as cfg authenticates its webhooks: true when its
 * callback URLs carry config.callback_secret (a url_secret kind whose config
 * cannot be signed), false when the provider signs them. */
bool sg_provider_url_secret(const sg_provider_kind *k, const void *cfg);

#endif
