/* Provider webhooks: /callbacks/{provider-id}/status and /callbacks/{provider-id}/inbound
 * for providers that sign them, /callbacks/{provider-id}/{secret}/status and /inbound
 * for those that cannot (Clickatell; Twilio configured with an API key and no auth
 * token).
 *
 * Every request is authenticated before anything is read into the store: for
 * Twilio, X-Twilio-Signature over the URL the provider called (rebuilt from
 * --public-url) and the form parameters; for the others the secret in the URL.
 * A missing or wrong signature or secret is a 403 and changes nothing. A status
 * for a message smsgate does not know is answered 200 (the provider must not
 * retry it) and counted in /metrics.
 *
 * A consent keyword (STOP, START, HELP) gets its confirmation SMS from a sender
 * the provider really has (reply_from) and at most as often as core/reply_limit.h
 * allows per number. */
#include "callbacks/callbacks.h"
#include "api/app.h"
#include "core/cidr.h"
#include "core/errcodes.h"
#include "core/gsm7.h"
#include "core/keywords.h"
#include "core/phone.h"
#include "core/reply_limit.h"
#include "dispatch/dispatcher.h"
#include "dispatch/webhooks.h"
#include "http/problem.h"
#include "providers/clickatell/callbacks.h"
#include "providers/twilio/callbacks.h"
#include "providers/twilio/signature.h"
#include "util/log.h"
#include "util/crypto.h"
#include "util/metrics.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The provider named in the path, loaded; NULL after answering 404. The caller
 * releases *set. */
static const sg_provider *find_provider(sg_http_req *req, sg_app *app, sg_provider_set **set)
{
    *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(*set, sg_http_param(req, 0));
    if (!p || strcmp(p->id, sg_http_param(req, 0)) != 0) {
        sg_http_problem(req, 404, "not_found", NULL, "no provider with id %.64s",
                        sg_http_param(req, 0));
        return NULL;
    }
    if (p->broken || strcmp(p->kind->name, "twilio") != 0) {
        sg_http_problem(req, 404, "not_found", NULL,
                        "provider %s does not take callbacks at this URL", p->id);
        return NULL;
    }
    return p;
}

/* Answer 403 for p's callback of kind `what`: counted, logged with why (never a
 * secret), detail for the caller. */
static void forbidden(sg_http_req *req, const sg_provider *p, const char *what, const char *why,
                      const char *detail)
{
    sg_metrics_callback(what, "forbidden");
    sg_log(SG_LOG_WARN, "callback_forbidden", "provider=%s kind=%s reason=\"%s\"", p->name, what,
           why);
    sg_http_problem(req, 403, "forbidden", NULL, "%s", detail);
}

static void twiml(sg_http_req *req, const char *reply)
{
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    sg_twiml_response(reply, &b);
    sg_http_respond(req, 200, "text/xml", sg_buf_cstr(&b), b.len);
    sg_buf_free(&b);
}

/* Twilio's signature over this request: the URL it called (--public-url and
 * the path, query included) and the form parameters. */
static bool twilio_signature_ok(sg_http_req *req, sg_app *app, const char *token,
                                const sg_form *form, const char *sig)
{
    sg_buf url;
    sg_buf_init(&url, 8192);
    sg_buf_printf(&url, "%s%s", app->public_url, sg_http_path(req));
    sg_buf query;
    sg_buf_init(&query, 4096);
    sg_http_query_string(req, &query);
    sg_buf_append_str(&url, sg_buf_cstr(&query));
    bool ok = sg_twilio_signature_valid(token, sg_buf_cstr(&url), form, sig);
    sg_buf_free(&query);
    sg_buf_free(&url);
    return ok;
}

/* Parse the form body and authenticate it. With an auth token the signature must
 * match (on either URL); without one Twilio's signature cannot be checked, and
 * only a request to the provider's secret URL (secret_checked: the secret was
 * already compared) is taken. False after answering (400, 403 or 415). */
static bool twilio_verified(sg_http_req *req, sg_app *app, const sg_provider *p, sg_form *form,
                            const char *what, bool secret_checked)
{
    const char *ct = sg_http_header(req, "Content-Type");
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        sg_metrics_callback(what, "rejected");
        sg_http_problem(req, 415, "unsupported_media_type", NULL,
                        "Twilio webhooks are application/x-www-form-urlencoded");
        return false;
    }
    size_t len;
    const char *body = sg_http_body(req, &len);
    if (sg_form_parse(body, len, form) != SG_OK) {
        sg_metrics_callback(what, "rejected");
        sg_http_problem(req, 400, "invalid_request", NULL, "the form body cannot be parsed");
        return false;
    }
    const char *sig = sg_http_header(req, "X-Twilio-Signature");
    json_t *token = json_object_get(p->config, "auth_token");
    if (!json_is_string(token)) {
        if (secret_checked)
            return true;
        sg_form_free(form);
        forbidden(req, p, what, "no_auth_token",
                  "this provider has no auth_token to check Twilio's signature with: its "
                  "callbacks come to its secret URLs (callback_urls, shown to admin keys; a "
                  "provider created before smsgate made them gets one with any config edit)");
        return false;
    }
    if (sig && twilio_signature_ok(req, app, json_string_value(token), form, sig))
        return true;
    /* With a status_callback_url override, Twilio signed the override (a proxy
     * forwarded the report here). */
    if (sig && strcmp(what, "status") == 0 && p->common.status_callback_url[0] &&
        sg_twilio_signature_valid(json_string_value(token), p->common.status_callback_url, form,
                                  sig))
        return true;
    sg_form_free(form);
    forbidden(req, p, what, sig ? "bad_signature" : "no_signature",
              sig ? "X-Twilio-Signature does not match this request (check --public-url and the "
                    "provider's auth token)"
                  : "X-Twilio-Signature is missing");
    return false;
}

/* A status report on its way to the store; the request waits (suspended) for
 * the group commit, like a message insert. */
typedef struct pending_report {
    sg_status_report r;
    sg_http_req *req;
    sg_app *app;
    bool twiml_answer; /* Twilio wants TwiML; others plain "OK" */
    char provider_id[SG_ID_MAX];
    char provider_name[64];
    char provider_message_id[72];
    char status_raw[48];
    char error_code[16];
    char error_message[512];
    char detail[400];
} pending_report;

static void report_done(sg_status_report *r, sg_err err, const sg_error *e)
{
    pending_report *pr = (pending_report *)r;
    sg_http_req *req = pr->req;
    if (err) {
        sg_metrics_callback("status", "error");
        /* The provider retries on 5xx, which is what we want here. */
        sg_http_problem(req, 503, "store_error", NULL, "%s", e->message);
    } else {
        sg_metrics_callback("status", !r->found ? "unknown" : r->changed ? "applied" : "ignored");
        if (r->changed)
            sg_webhooks_wake(pr->app->webhooks); /* a message.status event may be waiting */
        if (!r->found)
            sg_log(SG_LOG_INFO, "callback_unknown_message",
                   "provider=%s provider_message_id=%s status=%s", pr->provider_name,
                   pr->provider_message_id, pr->status_raw);
        if (pr->twiml_answer)
            twiml(req, NULL);
        else
            sg_http_respond(req, 200, "text/plain", "OK\n", 3);
    }
    sg_http_resume(req);
    free(pr);
}

/* Record a provider's status report for its message id and answer the request
 * once it is committed. `catalogue` is the provider's name in the error-code
 * catalogue. Always SG_HTTP_PENDING (the answer comes from report_done) unless
 * memory ran out. */
static sg_http_result report_status(sg_http_req *req, sg_app *app, const sg_provider *p,
                                    const char *catalogue, const char *provider_message_id,
                                    sg_status status, const char *status_raw,
                                    const char *error_code, const char *error_message,
                                    bool twiml_answer)
{
    pending_report *pr = calloc(1, sizeof *pr);
    if (!pr) {
        sg_http_problem(req, 503, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    pr->req = req;
    pr->app = app;
    pr->twiml_answer = twiml_answer;
    snprintf(pr->provider_id, sizeof pr->provider_id, "%s", p->id);
    snprintf(pr->provider_name, sizeof pr->provider_name, "%s", p->name);
    snprintf(pr->provider_message_id, sizeof pr->provider_message_id, "%s", provider_message_id);
    snprintf(pr->status_raw, sizeof pr->status_raw, "%s", status_raw);
    snprintf(pr->error_code, sizeof pr->error_code, "%s", error_code);
    const sg_errcode *ec = error_code[0] ? sg_errcode_find(catalogue, error_code) : NULL;
    if (error_message && *error_message)
        snprintf(pr->error_message, sizeof pr->error_message, "%s", error_message);
    else if (ec)
        snprintf(pr->error_message, sizeof pr->error_message, "%s: %s", ec->title, ec->meaning);
    if (error_code[0])
        snprintf(pr->detail, sizeof pr->detail, "provider reported %s (%s%s%s)", status_raw,
                 error_code, ec ? " " : "", ec ? ec->title : "");
    else
        snprintf(pr->detail, sizeof pr->detail, "provider reported %s", status_raw);
    pr->r = (sg_status_report){
        .provider_id = pr->provider_id,
        .provider_message_id = pr->provider_message_id,
        .status = status,
        .error_code = pr->error_code,
        .error_message = pr->error_message[0] ? pr->error_message : NULL,
        .detail = pr->detail,
        .at = sg_time_now_ms(),
        .done = report_done,
    };
    sg_http_defer(req);
    if (sg_store_status_report_submit(app->store, &pr->r) != SG_OK) {
        sg_metrics_callback("status", "error");
        sg_http_problem(req, 503, "store_error", NULL, "the store is not taking writes");
        sg_http_resume(req);
        free(pr);
    }
    return SG_HTTP_PENDING;
}

/* A Twilio status callback, on either URL (secret_checked: the secret one). */
static sg_http_result twilio_status(sg_http_req *req, sg_app *app, const sg_provider *p,
                                    bool secret_checked)
{
    sg_form form;
    if (!twilio_verified(req, app, p, &form, "status", secret_checked))
        return SG_HTTP_DONE;
    sg_twilio_status_cb cb;
    sg_error e = {0};
    sg_err err = sg_twilio_parse_status(&form, &cb, &e);
    sg_form_free(&form);
    if (err) {
        sg_metrics_callback("status", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    if (!cb.has_status) {
        sg_metrics_callback("status", "ignored");
        twiml(req, NULL);
        return SG_HTTP_DONE;
    }
    return report_status(req, app, p, "twilio", cb.message_sid, cb.status, cb.status_raw,
                         cb.error_code, cb.error_message, true);
}

sg_http_result sg_callback_status(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = find_provider(req, app, &set);
    sg_http_result res = p ? twilio_status(req, app, p, false) : SG_HTTP_DONE;
    sg_registry_release(app->registry, set);
    return res;
}

/* Whether sender is one of p's own senders. */
static bool provider_has_sender(const sg_provider *p, const char *sender)
{
    const char *const *list;
    size_t n = p->kind->senders ? p->kind->senders(p->cfg, &list) : 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(list[i], sender) == 0)
            return true;
    }
    return false;
}

/* The sender of a confirmation to an inbound message written to `to` (as
 * normalised, and as the provider sent it: raw_to). The inbound's To is only what
 * the webhook says; anyone holding the callback URL could name any sender
 * ("PAYPAL"). So the reply goes from it only when it is one of the provider's
 * senders or, owned is true, the provider vouched for it (Twilio: the inbound
 * names the provider's Messaging Service); otherwise from "" (the dispatcher
 * picks from the provider's pool, or the provider chooses). */
static void reply_from(const sg_provider *p, const char *to, const char *raw_to, bool owned,
                       char *out, size_t cap)
{
    if (owned || provider_has_sender(p, to))
        snprintf(out, cap, "%s", to);
    else if (provider_has_sender(p, raw_to))
        snprintf(out, cap, "%s", raw_to);
    else
        out[0] = '\0';
}

/* An outbound reply (STOP/START/HELP confirmation) to the sender of `in`, from
 * `from` ("" lets the dispatcher choose). */
static bool consent_reply(const sg_provider *p, const sg_message *in, const char *from,
                          const char *text, int64_t now, sg_message *out)
{
    memset(out, 0, sizeof *out);
    sg_sms_info info;
    if (sg_sms_analyze(text, strlen(text), &info) != SG_TEXT_OK)
        return false;
    out->body = strdup(text);
    if (!out->body)
        return false;
    sg_id_new("msg", now, out->id);
    snprintf(out->direction, sizeof out->direction, "outbound");
    snprintf(out->to, sizeof out->to, "%.23s", in->from);
    snprintf(out->from, sizeof out->from, "%s", from);
    snprintf(out->provider_id, sizeof out->provider_id, "%s", p->id);
    snprintf(out->purpose, sizeof out->purpose, "consent");
    out->status = SG_STATUS_QUEUED;
    out->segments = info.segments;
    out->encoding = info.encoding;
    out->created_at = out->updated_at = now;
    return true;
}

/* May a confirmation of kind go to number now? A refusal is logged and counted. */
static bool reply_allowed(sg_app *app, const sg_provider *p, const char *number,
                          sg_keyword_kind kind, int64_t now)
{
    sg_reply_verdict v = sg_reply_limit_take(app->reply_limit, number, kind, now);
    if (v == SG_REPLY_OK)
        return true;
    sg_metrics_consent_reply_limited();
    sg_log(SG_LOG_INFO, "consent_reply_limited", "provider=%s keyword_kind=%s reason=%s", p->name,
           sg_keyword_kind_name(kind), sg_reply_verdict_name(v));
    return false;
}

/* Store an inbound message (body stolen) with what it causes: the contact, a
 * consent change for a keyword, and its reply. to_owned: the provider vouched
 * that `to` is its own (see reply_from). False after answering 503. */
static bool apply_inbound(sg_http_req *req, sg_app *app, const sg_provider *p,
                          const char *provider_message_id, const char *from, const char *to,
                          bool to_owned, char *body, unsigned segments)
{
    int64_t now = sg_time_now_ms();
    sg_message m = {0};
    sg_id_new("msg", now, m.id);
    snprintf(m.direction, sizeof m.direction, "inbound");
    m.status = SG_STATUS_RECEIVED;
    /* Normalise the numbers so the contact matches the one messages were sent to. */
    sg_phone_type type;
    if (sg_phone_normalize(from, NULL, m.from, &type) != SG_PHONE_OK)
        snprintf(m.from, sizeof m.from, "%.31s", from);
    if (sg_phone_normalize(to, NULL, m.to, &type) != SG_PHONE_OK)
        snprintf(m.to, sizeof m.to, "%.23s", to);
    m.body = body;
    snprintf(m.provider_id, sizeof m.provider_id, "%s", p->id);
    snprintf(m.provider_message_id, sizeof m.provider_message_id, "%s", provider_message_id);
    sg_sms_info info = {0};
    if (sg_sms_analyze(m.body, strlen(m.body), &info) == SG_TEXT_OK)
        m.encoding = info.encoding;
    m.segments = segments ? segments : info.segments;
    m.created_at = m.updated_at = now;

    const char *keyword = NULL;
    sg_keyword_kind kind = sg_keyword_classify(m.body, strlen(m.body), &keyword);
    sg_inbound in = {.msg = &m, .keyword = keyword};
    sg_message reply;
    bool has_reply = false;
    if (kind != SG_KEYWORD_NONE) {
        in.consent = kind == SG_KEYWORD_OPT_OUT  ? SG_CONSENT_OPT_OUT
                     : kind == SG_KEYWORD_OPT_IN ? SG_CONSENT_OPT_IN
                                                 : SG_CONSENT_NONE;
        const char *text = kind == SG_KEYWORD_OPT_OUT  ? app->reply_opt_out
                           : kind == SG_KEYWORD_OPT_IN ? app->reply_opt_in
                                                       : app->reply_help;
        if (!text[0])
            text = sg_keyword_default_reply(kind);
        char sender[sizeof m.from];
        reply_from(p, m.to, to, to_owned, sender, sizeof sender);
        if (strcmp(text, "-") != 0 && reply_allowed(app, p, m.from, kind, now))
            has_reply = consent_reply(p, &m, sender, text, now, &reply);
        if (has_reply)
            in.reply = &reply;
    }
    sg_error e = {0};
    sg_err err = sg_store_inbound(app->store, &in, &e);
    if (err) {
        sg_metrics_callback("inbound", "error");
        sg_http_problem(req, 503, "store_error", NULL, "%s", e.message);
    } else {
        sg_metrics_callback("inbound", in.duplicate ? "ignored" : "applied");
        if (!in.duplicate) {
            sg_webhooks_wake(app->webhooks);
            sg_log(SG_LOG_INFO, "inbound", "id=%s provider=%s keyword=%s consent_changed=%d",
                   m.id, p->name, keyword ? keyword : "-", in.consent_changed);
            if (has_reply) {
                sg_metrics_provider_add(p->name, SG_M_ACCEPTED, 1);
                sg_dispatcher_wake(app->dispatcher);
            }
        }
    }
    if (has_reply)
        sg_message_free(&reply);
    sg_message_free(&m);
    return err == SG_OK;
}

/* Whether a Twilio inbound names the provider's own Messaging Service: then
 * Twilio vouches that the number written to is one of that service's. */
static bool twilio_service_matches(const sg_provider *p, const sg_twilio_inbound *tin)
{
    json_t *mg = json_object_get(p->config, "messaging_service_sid");
    return tin->messaging_service_sid[0] && json_is_string(mg) &&
           strcmp(json_string_value(mg), tin->messaging_service_sid) == 0;
}

/* A Twilio incoming message, on either URL (secret_checked: the secret one). */
static sg_http_result twilio_inbound(sg_http_req *req, sg_app *app, const sg_provider *p,
                                     bool secret_checked)
{
    sg_form form;
    if (!twilio_verified(req, app, p, &form, "inbound", secret_checked))
        return SG_HTTP_DONE;
    sg_twilio_inbound tin;
    sg_error e = {0};
    sg_err err = sg_twilio_parse_inbound(&form, &tin, &e);
    sg_form_free(&form);
    if (err) {
        sg_metrics_callback("inbound", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    char *body = tin.body;
    tin.body = NULL;
    bool ok = apply_inbound(req, app, p, tin.message_sid, tin.from, tin.to,
                            twilio_service_matches(p, &tin), body, tin.segments);
    sg_twilio_inbound_free(&tin);
    if (ok)
        twiml(req, NULL);
    return SG_HTTP_DONE;
}

sg_http_result sg_callback_inbound(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = find_provider(req, app, &set);
    sg_http_result res = p ? twilio_inbound(req, app, p, false) : SG_HTTP_DONE;
    sg_registry_release(app->registry, set);
    return res;
}

/* ---- providers that cannot sign (Clickatell) ------------------------------------------ */

/* The provider of /callbacks/{id}/{secret}/..., checked: the secret in the URL
 * (constant time) and, when the provider lists networks, the client's address.
 * NULL after answering 404 or 403. The caller releases *set. */
static const sg_provider *url_secret_provider(sg_http_req *req, sg_app *app,
                                              sg_provider_set **set, const char *what)
{
    *set = sg_registry_get(app->registry);
    const char *id = sg_http_param(req, 0), *secret = sg_http_param(req, 1);
    const sg_provider *p = sg_provider_set_find(*set, id);
    if (!p || strcmp(p->id, id) != 0 || p->broken || !p->kind->url_secret) {
        sg_http_problem(req, 404, "not_found", NULL, "no provider with id %.64s", id);
        return NULL;
    }
    json_t *want = json_object_get(p->config, "callback_secret");
    size_t len = strlen(secret);
    bool ok = json_is_string(want) && json_string_length(want) == len &&
              sg_ct_equal(json_string_value(want), secret, len);
    const char *why = ok ? NULL : "wrong secret in the callback URL";
    json_t *allow = json_object_get(p->config, "allow_from");
    if (ok && json_is_array(allow) && json_array_size(allow) > 0) {
        char ip[64];
        sg_http_client_ip(req, ip);
        bool inside = false;
        size_t i;
        json_t *net;
        json_array_foreach(allow, i, net)
        {
            sg_cidr cidr;
            if (json_is_string(net) && sg_cidr_parse(json_string_value(net), &cidr) &&
                sg_cidr_contains(&cidr, ip))
                inside = true;
        }
        if (!inside) {
            ok = false;
            why = "the request comes from outside the provider's allow_from networks";
        }
    }
    if (!ok) {
        forbidden(req, p, what, why, why);
        return NULL;
    }
    return p;
}

/* A flat JSON object ({"apiMsgId": "...", "status": "004", "charge": 0.8}) as a
 * form, for legacy callbacks sent as JSON. False if it is not such an object. */
static bool json_to_form(const char *json, size_t len, sg_form *out)
{
    out->pairs = NULL;
    out->n = 0;
    json_t *j = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j) || json_object_size(j) > SG_FORM_MAX_PAIRS) {
        json_decref(j);
        return false;
    }
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    const char *key;
    json_t *v;
    bool ok = true;
    json_object_foreach(j, key, v)
    {
        char num[64];
        const char *text = NULL;
        size_t text_len = 0;
        if (json_is_null(v))
            continue;
        if (json_is_string(v)) { /* \u0000 kept, for the provider's text decoding */
            text = json_string_value(v);
            text_len = json_string_length(v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            text = num;
        } else if (json_is_real(v)) {
            snprintf(num, sizeof num, "%g", json_real_value(v));
            text = num;
        }
        if (text && !json_is_string(v))
            text_len = strlen(text);
        ok = text && sg_form_add_n(&b, key, text, text_len) == SG_OK;
        if (!ok)
            break;
    }
    json_decref(j);
    ok = ok && sg_form_parse_keep_nul(sg_buf_cstr(&b), b.len, out) == SG_OK;
    sg_buf_free(&b);
    return ok;
}

/* The callback's parameters: the query string for GET; for POST a form body or,
 * when the body is JSON, *json points at it (and the form holds the query). A
 * legacy provider's JSON is a flat object and is read as a form instead. */
static bool callback_params(sg_http_req *req, const sg_provider *p, sg_form *form,
                            const char **json, size_t *json_len, const char *what)
{
    *json = NULL;
    *json_len = 0;
    const char *ct = sg_http_header(req, "Content-Type");
    size_t len;
    const char *body = sg_http_body(req, &len);
    sg_err err;
    if (strcmp(sg_http_method(req), "POST") == 0 && ct &&
        strncasecmp(ct, "application/json", 16) == 0) {
        *json = body;
        *json_len = len;
        err = sg_http_query_form(req, form);
    } else if (strcmp(sg_http_method(req), "POST") == 0 && len > 0) {
        err = sg_form_parse_keep_nul(body, len, form);
    } else {
        err = sg_http_query_form(req, form);
    }
    if (!err && *json && strcmp(p->kind->name, "clickatell-platform") != 0) {
        sg_form_free(form);
        if (json_to_form(*json, *json_len, form))
            *json = NULL;
    }
    if (err) {
        sg_metrics_callback(what, "rejected");
        sg_http_problem(req, 400, "invalid_request", NULL, "the callback cannot be parsed");
        return false;
    }
    /* NUL bytes are kept for the text only (the provider's text decoding turns
     * them into U+FFFD); anywhere else a value would be cut short. */
    for (size_t i = 0; i < form->n; i++) {
        const sg_form_pair *pr = &form->pairs[i];
        bool text = strcmp(pr->key, "text") == 0 || strcmp(pr->key, "content") == 0;
        if (!text && strlen(pr->value) != pr->value_len) {
            sg_metrics_callback(what, "rejected");
            sg_http_problem(req, 400, "invalid_request", NULL,
                            "a parameter other than the text holds a NUL character");
            sg_form_free(form);
            return false;
        }
    }
    return true;
}

/* A legacy callback's api_id must be the provider's. */
static bool api_id_matches(sg_http_req *req, const sg_provider *p, const char *api_id,
                           const char *what)
{
    if (strcmp(p->kind->name, "clickatell") != 0)
        return true;
    json_t *want = json_object_get(p->config, "api_id");
    if (json_is_string(want) && strcmp(json_string_value(want), api_id) == 0)
        return true;
    sg_metrics_callback(what, "forbidden");
    sg_http_problem(req, 403, "forbidden", "api_id",
                    "the callback's api_id is not this provider's");
    return false;
}

static void plain_ok(sg_http_req *req)
{
    sg_http_respond(req, 200, "text/plain", "OK\n", 3);
}

static sg_http_result clickatell_status(sg_http_req *req, sg_app *app, const sg_provider *p,
                                        bool secret_checked)
{
    sg_form form = {0};
    const char *json;
    size_t json_len;
    if (!callback_params(req, p, &form, &json, &json_len, "status"))
        return SG_HTTP_DONE;
    sg_clickatell_status_cb cb;
    sg_error e = {0};
    sg_err err;
    bool platform = strcmp(p->kind->name, "clickatell-platform") == 0;
    if (json)
        err = sg_clickatell_parse_platform_status(json, json_len, &cb, &e);
    else if (platform)
        err = sg_clickatell_parse_platform_status_form(&form, &cb, &e);
    else
        err = sg_clickatell_parse_status(&form, &cb, &e);
    sg_form_free(&form);
    if (err) {
        sg_metrics_callback("status", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    if (!api_id_matches(req, p, cb.api_id, "status"))
        return SG_HTTP_DONE;
    if (cb.has_status)
        return report_status(req, app, p, "clickatell", cb.message_id, cb.status, cb.status_raw,
                             cb.error_code, cb.error_message, false);
    sg_metrics_callback("status", "ignored");
    plain_ok(req);
    return SG_HTTP_DONE;
}

static sg_http_result clickatell_inbound(sg_http_req *req, sg_app *app, const sg_provider *p,
                                         bool secret_checked)
{
    sg_form form = {0};
    const char *json;
    size_t json_len;
    if (!callback_params(req, p, &form, &json, &json_len, "inbound"))
        return SG_HTTP_DONE;
    sg_clickatell_inbound in;
    sg_error e = {0};
    sg_err err;
    bool platform = strcmp(p->kind->name, "clickatell-platform") == 0;
    if (json)
        err = sg_clickatell_parse_platform_reply(json, json_len, &in, &e);
    else if (platform)
        err = sg_clickatell_parse_platform_reply_form(&form, &in, &e);
    else
        err = sg_clickatell_parse_inbound(&form, &in, &e);
    sg_form_free(&form);
    if (err) {
        sg_metrics_callback("inbound", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    bool ok = api_id_matches(req, p, in.api_id, "inbound");
    if (ok) {
        char *text = in.text;
        in.text = NULL;
        ok = apply_inbound(req, app, p, in.message_id, in.from_e164[0] ? in.from_e164 : in.from,
                           in.to_e164[0] ? in.to_e164 : in.to, false, text, 0);
    }
    sg_clickatell_inbound_free(&in);
    if (ok)
        plain_ok(req);
    return SG_HTTP_DONE;
}

/* The handlers of the secret URLs, by provider kind. */
typedef sg_http_result (*kind_handler)(sg_http_req *req, sg_app *app, const sg_provider *p,
                                       bool secret_checked);
static const struct {
    const char *kind;
    kind_handler status, inbound;
} secret_handlers[] = {
    {"twilio", twilio_status, twilio_inbound},
    {"clickatell", clickatell_status, clickatell_inbound},
    {"clickatell-platform", clickatell_status, clickatell_inbound},
};

/* Authenticate /callbacks/{id}/{secret}/<what> and hand it to the kind's handler. */
static sg_http_result secret_callback(sg_http_req *req, sg_app *app, bool status)
{
    const char *what = status ? "status" : "inbound";
    sg_provider_set *set;
    const sg_provider *p = url_secret_provider(req, app, &set, what);
    sg_http_result res = SG_HTTP_DONE;
    for (size_t i = 0; p && i < sizeof secret_handlers / sizeof secret_handlers[0]; i++) {
        if (strcmp(secret_handlers[i].kind, p->kind->name) == 0) {
            kind_handler h = status ? secret_handlers[i].status : secret_handlers[i].inbound;
            res = h(req, app, p, true);
            p = NULL;
        }
    }
    if (p)
        sg_http_problem(req, 404, "not_found", NULL,
                        "provider %s does not take callbacks at this URL", p->id);
    sg_registry_release(app->registry, set);
    return res;
}

sg_http_result sg_callback_secret_status(sg_http_req *req, void *ctx)
{
    return secret_callback(req, ctx, true);
}

sg_http_result sg_callback_secret_inbound(sg_http_req *req, void *ctx)
{
    return secret_callback(req, ctx, false);
}
