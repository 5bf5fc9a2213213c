/* Provider webhooks: /callbacks/{provider-id}/status and /callbacks/{provider-id}/inbound.
 *
 * Every request is authenticated before anything is read into the store: for
 * Twilio, X-Twilio-Signature over the URL the provider called (rebuilt from
 * --public-url) and the form parameters. A missing or wrong signature is a 403
 * and changes nothing. A status for a message smsgate does not know is answered
 * 200 (the provider must not retry it) and counted in /metrics. */
#include "callbacks/callbacks.h"
#include "api/app.h"
#include "core/cidr.h"
#include "core/errcodes.h"
#include "core/gsm7.h"
#include "core/keywords.h"
#include "core/phone.h"
#include "dispatch/dispatcher.h"
#include "dispatch/webhooks.h"
#include "http/problem.h"
#include "providers/clickatell_callbacks.h"
#include "providers/twilio_callbacks.h"
#include "providers/twilio_signature.h"
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

static void twiml(sg_http_req *req, const char *reply)
{
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    sg_twiml_response(reply, &b);
    sg_http_respond(req, 200, "text/xml", sg_buf_cstr(&b), b.len);
    sg_buf_free(&b);
}

/* Parse the form body and check Twilio's signature with the provider's auth
 * token. False after answering (400 or 403). */
static bool twilio_verified(sg_http_req *req, sg_app *app, const sg_provider *p, sg_form *form,
                            const char *what)
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
    bool ok = false;
    if (sig && json_is_string(token)) {
        sg_buf url;
        sg_buf_init(&url, 8192);
        sg_buf_printf(&url, "%s%s", app->public_url, sg_http_path(req));
        sg_buf query;
        sg_buf_init(&query, 4096);
        sg_http_query_string(req, &query);
        sg_buf_append_str(&url, sg_buf_cstr(&query));
        ok = sg_twilio_signature_valid(json_string_value(token), sg_buf_cstr(&url), form, sig);
        sg_buf_free(&query);
        sg_buf_free(&url);
    }
    if (!ok) {
        sg_form_free(form);
        sg_metrics_callback(what, "forbidden");
        sg_log(SG_LOG_WARN, "callback_forbidden", "provider=%s kind=%s reason=%s", p->name, what,
               sig ? "bad_signature" : "no_signature");
        sg_http_problem(req, 403, "forbidden", NULL,
                        sig ? "X-Twilio-Signature does not match this request (check "
                              "--public-url and the provider's auth token)"
                            : "X-Twilio-Signature is missing");
        return false;
    }
    return true;
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

sg_http_result sg_callback_status(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = find_provider(req, app, &set);
    if (!p) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
    sg_form form;
    if (!twilio_verified(req, app, p, &form, "status")) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
    sg_twilio_status_cb cb;
    sg_error e = {0};
    if (sg_twilio_parse_status(&form, &cb, &e) != SG_OK) {
        sg_form_free(&form);
        sg_registry_release(app->registry, set);
        sg_metrics_callback("status", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    sg_form_free(&form);
    if (!cb.has_status) {
        sg_registry_release(app->registry, set);
        sg_metrics_callback("status", "ignored");
        twiml(req, NULL);
        return SG_HTTP_DONE;
    }
    sg_http_result res = report_status(req, app, p, "twilio", cb.message_sid, cb.status,
                                       cb.status_raw, cb.error_code, cb.error_message, true);
    sg_registry_release(app->registry, set);
    return res;
}

/* An outbound reply (STOP/START/HELP confirmation) to the sender of `in`. */
static bool consent_reply(const sg_provider *p, const sg_message *in, const char *text,
                          int64_t now, sg_message *out)
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
    snprintf(out->from, sizeof out->from, "%s", in->to);
    snprintf(out->provider_id, sizeof out->provider_id, "%s", p->id);
    snprintf(out->purpose, sizeof out->purpose, "consent");
    out->status = SG_STATUS_QUEUED;
    out->segments = info.segments;
    out->encoding = info.encoding;
    out->created_at = out->updated_at = now;
    return true;
}

/* Store an inbound message (body stolen) with what it causes: the contact, a
 * consent change for a keyword, and its reply. False after answering 503. */
static bool apply_inbound(sg_http_req *req, sg_app *app, const sg_provider *p,
                          const char *provider_message_id, const char *from, const char *to,
                          char *body, unsigned segments)
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
        if (strcmp(text, "-") != 0)
            has_reply = consent_reply(p, &m, text, now, &reply);
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

sg_http_result sg_callback_inbound(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = find_provider(req, app, &set);
    if (!p) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
    sg_form form;
    if (!twilio_verified(req, app, p, &form, "inbound")) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
    sg_twilio_inbound tin;
    sg_error e = {0};
    sg_err err = sg_twilio_parse_inbound(&form, &tin, &e);
    sg_form_free(&form);
    if (err) {
        sg_registry_release(app->registry, set);
        sg_metrics_callback("inbound", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    char *body = tin.body;
    tin.body = NULL;
    bool ok = apply_inbound(req, app, p, tin.message_sid, tin.from, tin.to, body, tin.segments);
    sg_twilio_inbound_free(&tin);
    sg_registry_release(app->registry, set);
    if (ok)
        twiml(req, NULL);
    return SG_HTTP_DONE;
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
        sg_metrics_callback(what, "forbidden");
        sg_log(SG_LOG_WARN, "callback_forbidden", "provider=%s kind=%s reason=\"%s\"", p->name,
               what, why);
        sg_http_problem(req, 403, "forbidden", NULL, "%s", why);
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
    json_t *j = json_loadb(json, len, 0, NULL);
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
        if (json_is_null(v))
            continue;
        if (json_is_string(v)) {
            text = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            text = num;
        } else if (json_is_real(v)) {
            snprintf(num, sizeof num, "%g", json_real_value(v));
            text = num;
        }
        ok = text && sg_form_add(&b, key, text) == SG_OK;
        if (!ok)
            break;
    }
    json_decref(j);
    ok = ok && sg_form_parse(sg_buf_cstr(&b), b.len, out) == SG_OK;
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
        err = sg_form_parse(body, len, form);
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

sg_http_result sg_callback_secret_status(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = url_secret_provider(req, app, &set, "status");
    sg_form form = {0};
    const char *json;
    size_t json_len;
    if (!p || !callback_params(req, p, &form, &json, &json_len, "status")) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
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
        sg_registry_release(app->registry, set);
        sg_metrics_callback("status", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    if (!api_id_matches(req, p, cb.api_id, "status")) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
    sg_http_result res = SG_HTTP_DONE;
    if (cb.has_status) {
        res = report_status(req, app, p, "clickatell", cb.message_id, cb.status, cb.status_raw,
                            cb.error_code, cb.error_message, false);
    } else {
        sg_metrics_callback("status", "ignored");
        plain_ok(req);
    }
    sg_registry_release(app->registry, set);
    return res;
}

sg_http_result sg_callback_secret_inbound(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_provider_set *set;
    const sg_provider *p = url_secret_provider(req, app, &set, "inbound");
    sg_form form = {0};
    const char *json;
    size_t json_len;
    if (!p || !callback_params(req, p, &form, &json, &json_len, "inbound")) {
        sg_registry_release(app->registry, set);
        return SG_HTTP_DONE;
    }
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
        sg_registry_release(app->registry, set);
        sg_metrics_callback("inbound", "rejected");
        sg_http_problem(req, 400, "invalid_request", e.field, "%s", e.message);
        return SG_HTTP_DONE;
    }
    bool ok = api_id_matches(req, p, in.api_id, "inbound");
    if (ok) {
        char *text = in.text;
        in.text = NULL;
        ok = apply_inbound(req, app, p, in.message_id, in.from_e164[0] ? in.from_e164 : in.from,
                           in.to_e164[0] ? in.to_e164 : in.to, text, 0);
    }
    sg_clickatell_inbound_free(&in);
    sg_registry_release(app->registry, set);
    if (ok)
        plain_ok(req);
    return SG_HTTP_DONE;
}
