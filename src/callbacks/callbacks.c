/* Provider webhooks: /callbacks/{provider-id}/status and /callbacks/{provider-id}/inbound
 * for providers that sign them, /callbacks/{provider-id}/{secret}/status and /inbound
 * for those that cannot (or whose config cannot be checked: Twilio with an API key
 * and no auth token).
 *
 * Generic: nothing here knows a provider kind. The provider's kind reads,
 * authenticates and parses each request through the hooks of its table row
 * (sg_provider_kind's callbacks block, providers/callback_types.h); this file
 * finds the provider, checks a secret URL's secret and allow_from, and does the
 * HTTP, the store and the replies. Every request is authenticated before anything
 * is read into the store: a missing or wrong signature or secret is a 403 and
 * changes nothing. A status for a message smsgate does not know is answered 200
 * (the provider must not retry it) and counted in /metrics.
 *
 * A consent keyword (STOP, START, HELP) gets its confirmation SMS from a sender
 * the provider really has (reply_from) and at most as often as core/reply_limit.h
 * allows per number. An inbound that is no consent keyword is tried against the
 * enrolments of the sender waiting for a reply (journey_replies.c), then against
 * the keyword rules (keyword_rules.c), whose actions the store runs with the
 * message. */
#include "callbacks/callbacks.h"
#include "callbacks/journey_replies.h"
#include "callbacks/keyword_rules.h"
#include "api/app.h"
#include "core/cidr.h"
#include "core/errcodes.h"
#include "core/gsm7.h"
#include "core/keywords.h"
#include "core/phone.h"
#include "core/reply_limit.h"
#include "dispatch/dispatcher.h"
#include "dispatch/webhooks.h"
#include "audience/journeys.h"
#include "http/problem.h"
#include "providers/callback_types.h"
#include "util/log.h"
#include "util/crypto.h"
#include "util/metrics.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *what_name(sg_cb_what what)
{
    return what == SG_CB_STATUS ? "status" : "inbound";
}

/* The provider named in the path of a URL without a secret, loaded; NULL after
 * answering 404. Only a kind that checks its provider's signature
 * (callback_verify) takes callbacks there. The caller releases *set. */
static const sg_provider *find_provider(sg_http_req *req, sg_app *app, sg_provider_set **set)
{
    *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(*set, sg_http_param(req, 0));
    if (!p || strcmp(p->id, sg_http_param(req, 0)) != 0) {
        sg_http_problem(req, 404, "not_found", NULL, "no provider with id %.64s",
                        sg_http_param(req, 0));
        return NULL;
    }
    if (p->broken || !p->kind->callback_read || !p->kind->callback_verify) {
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

/* Answer a request the kind refused: counted as forbidden (403) or rejected,
 * logged when the kind says why it is not the provider's. */
static void refused(sg_http_req *req, const sg_provider *p, const char *what,
                    const sg_cb_refusal *r)
{
    sg_metrics_callback(what, r->http_status == 403 ? "forbidden" : "rejected");
    if (r->log_reason)
        sg_log(SG_LOG_WARN, "callback_forbidden", "provider=%s kind=%s reason=\"%s\"", p->name,
               what, r->log_reason);
    sg_http_problem(req, r->http_status, r->code, r->field[0] ? r->field : NULL, "%s", r->detail);
}

/* The 200 answer the kind's provider expects to a callback taken. */
static void taken(sg_http_req *req, const sg_provider_kind *k)
{
    sg_http_respond(req, 200, k->callback_answer_type, k->callback_answer,
                    strlen(k->callback_answer));
}

/* A status report on its way to the store; the request waits (suspended) for
 * the group commit, like a message insert. */
typedef struct pending_report {
    sg_status_report r;
    sg_http_req *req;
    sg_app *app;
    const sg_provider_kind *kind; /* static: its answer */
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
        taken(req, pr->kind);
    }
    sg_http_resume(req);
    free(pr);
}

/* Record p's status report st and answer the request once it is committed.
 * Always SG_HTTP_PENDING (the answer comes from report_done) unless memory ran
 * out. */
static sg_http_result report_status(sg_http_req *req, sg_app *app, const sg_provider *p,
                                    const sg_cb_status *st)
{
    pending_report *pr = calloc(1, sizeof *pr);
    if (!pr) {
        sg_http_problem(req, 503, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    pr->req = req;
    pr->app = app;
    pr->kind = p->kind;
    snprintf(pr->provider_id, sizeof pr->provider_id, "%s", p->id);
    snprintf(pr->provider_name, sizeof pr->provider_name, "%s", p->name);
    snprintf(pr->provider_message_id, sizeof pr->provider_message_id, "%s",
             st->provider_message_id);
    snprintf(pr->status_raw, sizeof pr->status_raw, "%s", st->status_raw);
    snprintf(pr->error_code, sizeof pr->error_code, "%s", st->error_code);
    const char *error_code = st->error_code, *status_raw = st->status_raw;
    const sg_errcode *ec = error_code[0] ? st->errcode : NULL;
    if (st->error_message[0])
        snprintf(pr->error_message, sizeof pr->error_message, "%s", st->error_message);
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
        .status = st->status,
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
    else if (provider_has_sender(p, raw_to)) /* a sender: it fits */
        snprintf(out, cap, "%.*s", (int)(cap - 1), raw_to);
    else
        out[0] = '\0';
}

bool sg_cb_reply_build(const sg_provider *p, const sg_message *in, const char *from,
                       const char *text, const char *purpose, int64_t now, sg_message *out)
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
    snprintf(out->purpose, sizeof out->purpose, "%s", purpose);
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

/* The consent keyword of m, in the inbound order (docs/keywords.md): an opt-out
 * keyword always; an opt-in keyword only from a number that is opted out (a YES
 * from anyone else answers a question of ours, not a resubscription, and goes on
 * to the keyword rules); help. */
static sg_keyword_kind inbound_kind(sg_app *app, const sg_message *m, const char **keyword)
{
    sg_keyword_kind kind = sg_keyword_classify_with(app->keywords_extra, m->body, strlen(m->body),
                                                    keyword);
    if (kind != SG_KEYWORD_OPT_IN)
        return kind;
    sg_optout o;
    if (sg_store_optout_get(app->store, m->from, &o) == SG_ERR_NOT_FOUND) {
        *keyword = NULL;
        return SG_KEYWORD_NONE;
    }
    return kind; /* opted out, or the store cannot tell: honour the opt-in */
}

/* How many replies of a matched rule's actions the store queued. */
static size_t actions_queued(const sg_inbound *in)
{
    size_t n = 0;
    for (size_t i = 0; i < in->n_actions; i++) {
        const sg_inbound_action *a = &in->actions[i];
        if (a->kind == SG_IA_REPLY)
            n += a->changed;
        else if (a->kind == SG_IA_GROUP_ADD || a->kind == SG_IA_GROUP_REMOVE)
            n += (a->changed ? a->reply : a->reply_else) != NULL;
    }
    return n;
}

/* Store an inbound message (its body stolen) with what it causes: the contact, a
 * consent change for a keyword, and its reply. False after answering 503. */
static bool apply_inbound(sg_http_req *req, sg_app *app, const sg_provider *p, sg_cb_inbound *cin)
{
    const char *from = cin->from, *to = cin->to;
    bool to_owned = cin->to_owned;
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
    m.body = cin->body;
    cin->body = NULL;
    snprintf(m.provider_id, sizeof m.provider_id, "%s", p->id);
    snprintf(m.provider_message_id, sizeof m.provider_message_id, "%s", cin->provider_message_id);
    sg_sms_info info = {0};
    if (sg_sms_analyze(m.body, strlen(m.body), &info) == SG_TEXT_OK)
        m.encoding = info.encoding;
    m.segments = cin->segments ? cin->segments : info.segments;
    m.created_at = m.updated_at = now;

    char sender[sizeof m.from];
    reply_from(p, m.to, to, to_owned, sender, sizeof sender);
    const char *keyword = NULL;
    sg_keyword_kind kind = inbound_kind(app, &m, &keyword);
    sg_inbound in = {.msg = &m, .keyword = keyword};
    sg_message reply;
    bool has_reply = false;
    /* The inbound order (docs/keywords.md): consent keywords, then (4) the
     * journeys waiting for a reply, then (5) keyword rules and keyword triggers. */
    sg_jr_plan jr = {0};
    bool taken = kind == SG_KEYWORD_NONE && sg_jr_plan_replies(app, &m, &jr);
    if (kind == SG_KEYWORD_NONE && !taken)
        sg_jr_plan_triggers(app, &m, &jr);
    if (kind == SG_KEYWORD_NONE) {
        in.journey_replies = jr.replies;
        in.n_journey_replies = jr.n_replies;
        in.enroll_journeys = jr.enroll;
        in.n_enroll_journeys = jr.n_enroll;
    }
    sg_kw_plan plan;
    bool matched = kind == SG_KEYWORD_NONE && !taken && sg_kw_plan_build(app, p, &m, sender, &plan);
    if (matched) {
        in.rule_id = plan.rule.id;
        in.rule_keyword = plan.rule.keyword;
        in.rule_json = plan.rule_json;
        in.actions = plan.actions;
        in.n_actions = plan.n_actions;
    } else if (kind != SG_KEYWORD_NONE) {
        in.consent = kind == SG_KEYWORD_OPT_OUT  ? SG_CONSENT_OPT_OUT
                     : kind == SG_KEYWORD_OPT_IN ? SG_CONSENT_OPT_IN
                                                 : SG_CONSENT_NONE;
        const char *text = kind == SG_KEYWORD_OPT_OUT  ? app->reply_opt_out
                           : kind == SG_KEYWORD_OPT_IN ? app->reply_opt_in
                                                       : app->reply_help;
        if (!text[0])
            text = sg_keyword_default_reply(kind);
        if (strcmp(text, "-") != 0 && reply_allowed(app, p, m.from, kind, now))
            has_reply = sg_cb_reply_build(p, &m, sender, text, "consent", now, &reply);
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
            if (in.n_journey_replies || in.n_enroll_journeys || matched)
                sg_journeys_wake(app->journeys);
            sg_log(SG_LOG_INFO, "inbound", "id=%s provider=%s keyword=%s consent_changed=%d rule=%s",
                   m.id, p->name, keyword ? keyword : "-", in.consent_changed,
                   in.rule_id ? in.rule_id : "-");
            size_t queued = (has_reply ? 1 : 0) + actions_queued(&in);
            if (queued) {
                sg_metrics_provider_add(p->name, SG_M_ACCEPTED, queued);
                sg_dispatcher_wake(app->dispatcher);
            }
        }
    }
    if (has_reply)
        sg_message_free(&reply);
    if (matched)
        sg_kw_plan_free(&plan);
    if (kind == SG_KEYWORD_NONE)
        sg_jr_plan_free(&jr);
    sg_message_free(&m);
    return err == SG_OK;
}

/* The provider of /callbacks/{id}/{secret}/... (a url_secret kind), checked: the
 * secret in the URL (constant time) and, when the provider lists networks, the
 * client's address. NULL after answering 404 or 403. The caller releases *set. */
static const sg_provider *url_secret_provider(sg_http_req *req, sg_app *app, sg_provider_set **set,
                                              const char *what)
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

/* A status callback, read and authenticated by p's kind (secret_url: it came to
 * the secret URL, whose secret was checked). */
static sg_http_result take_status(sg_http_req *req, sg_app *app, const sg_provider *p,
                                  const sg_cb_request *rq)
{
    sg_cb_status st;
    sg_cb_refusal r;
    if (!sg_cb_run_status(p->kind, p->cfg, rq, &st, &r)) {
        refused(req, p, "status", &r);
        return SG_HTTP_DONE;
    }
    if (!st.has_status) {
        sg_metrics_callback("status", "ignored");
        taken(req, p->kind);
        return SG_HTTP_DONE;
    }
    return report_status(req, app, p, &st);
}

/* An incoming message, read and authenticated by p's kind. */
static sg_http_result take_inbound(sg_http_req *req, sg_app *app, const sg_provider *p,
                                   const sg_cb_request *rq)
{
    sg_cb_inbound in;
    sg_cb_refusal r;
    if (!sg_cb_run_inbound(p->kind, p->cfg, rq, &in, &r)) {
        refused(req, p, "inbound", &r);
        return SG_HTTP_DONE;
    }
    if (apply_inbound(req, app, p, &in))
        taken(req, p->kind);
    sg_cb_inbound_free(&in);
    return SG_HTTP_DONE;
}

static const char *request_header(const void *ctx, const char *name)
{
    return sg_http_header(ctx, name);
}

/* The request as p's kind sees it (callback_types.h), and what it borrows. */
typedef struct cb_request {
    sg_cb_request rq;
    sg_buf url;
    sg_form query;
} cb_request;

/* The URL the provider called is --public-url and the path, query included. */
static void request_init(sg_http_req *req, sg_app *app, const sg_provider *p, sg_cb_what what,
                         bool secret_url, cb_request *c)
{
    sg_buf_init(&c->url, 8192);
    sg_buf_printf(&c->url, "%s%s", app->public_url, sg_http_path(req));
    sg_buf query;
    sg_buf_init(&query, 4096);
    sg_http_query_string(req, &query);
    sg_buf_append_str(&c->url, sg_buf_cstr(&query));
    sg_buf_free(&query);
    bool query_ok = sg_http_query_form(req, &c->query) == SG_OK;
    size_t len;
    const char *body = sg_http_body(req, &len);
    c->rq = (sg_cb_request){
        .what = what,
        .secret_url = secret_url,
        .method = sg_http_method(req),
        .url = sg_buf_cstr(&c->url),
        .content_type = sg_http_header(req, "Content-Type"),
        .body = body,
        .body_len = len,
        .query = query_ok ? &c->query : NULL,
        .header = request_header,
        .header_ctx = req,
        .status_callback_url = p->common.status_callback_url,
    };
}

static void request_free(cb_request *c)
{
    sg_form_free(&c->query);
    sg_buf_free(&c->url);
}

/* Every callback route: the provider from the path (and, on a secret URL, its
 * secret checked), then its kind's hooks and the generic work. */
static sg_http_result callback(sg_http_req *req, sg_app *app, sg_cb_what what, bool secret_url)
{
    sg_provider_set *set;
    const sg_provider *p = secret_url ? url_secret_provider(req, app, &set, what_name(what))
                                      : find_provider(req, app, &set);
    sg_http_result res = SG_HTTP_DONE;
    if (p && !p->kind->callback_read) {
        sg_http_problem(req, 404, "not_found", NULL,
                        "provider %s does not take callbacks at this URL", p->id);
    } else if (p) {
        cb_request c;
        request_init(req, app, p, what, secret_url, &c);
        res = what == SG_CB_STATUS ? take_status(req, app, p, &c.rq)
                                   : take_inbound(req, app, p, &c.rq);
        request_free(&c);
    }
    sg_registry_release(app->registry, set);
    return res;
}

sg_http_result sg_callback_status(sg_http_req *req, void *ctx)
{
    return callback(req, ctx, SG_CB_STATUS, false);
}

sg_http_result sg_callback_inbound(sg_http_req *req, void *ctx)
{
    return callback(req, ctx, SG_CB_INBOUND, false);
}

sg_http_result sg_callback_secret_status(sg_http_req *req, void *ctx)
{
    return callback(req, ctx, SG_CB_STATUS, true);
}

sg_http_result sg_callback_secret_inbound(sg_http_req *req, void *ctx)
{
    return callback(req, ctx, SG_CB_INBOUND, true);
}
