/* /v1/messages: send one, send a batch, read one, list, cancel. */
#include "api/accept.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "api/idempotency.h"
#include "api/send_limits.h"
#include "core/idempotency.h"
#include "dispatch/dispatcher.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX 1000
#define LIST_MAX  1000

/* A send waiting for its group commit. */
typedef struct pending_send {
    sg_insert_req ins;
    sg_http_req *req;
    sg_app *app;
    sg_message *msgs;
    char (*provider_names)[64];
    size_t n;
    size_t reserved; /* messages stored claimed, for the dispatcher to take */
    char *response;  /* the answer to give once committed */
    int status;
    char idem_key[SG_IDEM_KEY_MAX + 1];
    char fingerprint[SG_IDEM_FINGERPRINT_LEN];
    char key_id[SG_ID_MAX];
    sg_api_sent_fn then; /* sg_api_send_one_then: takes the request over after commit */
    void *then_arg;
    const char *content_type; /* of the answer: JSON unless a hook says otherwise */
} pending_send;

static void pending_free(pending_send *p)
{
    sg_insert_req_clear(&p->ins);
    sg_messages_free(p->msgs, p->n);
    free(p->provider_names);
    free(p->response);
    free(p);
}

static void on_committed(sg_insert_req *ins)
{
    pending_send *p = (pending_send *)ins;
    sg_http_req *req = p->req;
    char then_id[SG_ID_MAX] = "";
    if (ins->err) {
        sg_api_store_error(req, ins->err, ins->error.message);
    } else if (ins->conflict) {
        sg_http_problem(req, 409, "idempotency_conflict", "Idempotency-Key",
                        "Idempotency-Key '%s' was used before with a different request",
                        p->idem_key);
    } else if (ins->replayed) {
        sg_http_respond(req, ins->replay_status, "application/json", ins->replay_body,
                        strlen(ins->replay_body));
        sg_http_add_header(req, "Idempotent-Replayed", "true");
    } else {
        /* the handoff below moves the message: keep its id for then */
        snprintf(then_id, sizeof then_id, "%s", p->msgs[0].id);
        if (!p->then)
            sg_http_respond(req, p->status, p->content_type, p->response, strlen(p->response));
        for (size_t i = 0; i < p->n; i++)
            sg_metrics_provider_add(p->provider_names[i], SG_M_ACCEPTED, 1);
        size_t moved = p->reserved ? sg_dispatcher_handoff(p->app->dispatcher, p->msgs, p->n) : 0;
        sg_dispatcher_unreserve(p->app->dispatcher, p->reserved - moved);
        p->reserved = 0;
        for (size_t i = 0; i < p->n; i++) {
            if (p->msgs[i].status == SG_STATUS_QUEUED) { /* not handed over: claimed later */
                sg_dispatcher_wake(p->app->dispatcher);
                break;
            }
        }
    }
    sg_dispatcher_unreserve(p->app->dispatcher, p->reserved);
    if (p->then && !ins->err && !ins->conflict && !ins->replayed)
        p->then(req, p->app, then_id, p->then_arg);
    else
        sg_http_resume(req);
    pending_free(p);
}

/* Idempotency-Key handling before any work; false after answering. */
static bool idempotency_precheck(sg_http_req *req, sg_app *app, pending_send *p)
{
    sg_idem_ctx ctx;
    if (!sg_api_idem_precheck(req, app, &ctx))
        return false;
    if (ctx.active) {
        snprintf(p->idem_key, sizeof p->idem_key, "%s", ctx.key);
        snprintf(p->key_id, sizeof p->key_id, "%s", ctx.key_id);
        snprintf(p->fingerprint, sizeof p->fingerprint, "%s", ctx.fingerprint);
    }
    return true;
}

/* Hand p to the writer with `answer` (202, stolen) to give once its group is
 * committed, and suspend the request until then. */
static sg_http_result commit_and_answer(sg_http_req *req, pending_send *p, json_t *answer)
{
    if (!p->status)
        p->status = 202;
    if (!p->content_type)
        p->content_type = "application/json";
    p->response = !answer               ? NULL
                  : json_is_string(answer) ? strdup(json_string_value(answer))
                                           : json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    if (!p->response) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        pending_free(p);
        return SG_HTTP_DONE;
    }
    /* Messages due now go to the dispatcher straight after the commit when it
     * has room for them, stored as already claimed. */
    size_t due = 0;
    for (size_t i = 0; i < p->n; i++)
        due += p->msgs[i].status == SG_STATUS_QUEUED;
    p->reserved = due ? sg_dispatcher_reserve(p->app->dispatcher, due) : 0;
    int64_t lease_until = sg_time_now_ms() + sg_dispatcher_lease_ms(p->app->dispatcher);
    for (size_t i = 0, k = 0; i < p->n && k < p->reserved; i++) {
        if (p->msgs[i].status == SG_STATUS_QUEUED) {
            p->msgs[i].lease_until = lease_until;
            k++;
        }
    }
    p->ins.msgs = p->msgs;
    p->ins.n = p->n;
    p->ins.done = on_committed;
    if (p->idem_key[0]) {
        p->ins.idem.key_id = p->key_id;
        p->ins.idem.key = p->idem_key;
        p->ins.idem.fingerprint = p->fingerprint;
        p->ins.idem.response_status = p->status;
        p->ins.idem.response_body = p->response;
    }
    sg_http_defer(req);
    sg_err err = sg_store_messages_insert(p->app->store, &p->ins);
    if (err) {
        sg_dispatcher_unreserve(p->app->dispatcher, p->reserved);
        sg_api_store_error(req, err, "cannot queue the write");
        sg_http_resume(req);
        pending_free(p);
    }
    return SG_HTTP_PENDING;
}

static pending_send *pending_new(sg_http_req *req, sg_app *app, size_t cap)
{
    pending_send *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->req = req;
    p->app = app;
    p->msgs = calloc(cap ? cap : 1, sizeof *p->msgs);
    p->provider_names = calloc(cap ? cap : 1, sizeof *p->provider_names);
    if (!p->msgs || !p->provider_names) {
        free(p->msgs);
        free(p->provider_names);
        free(p);
        return NULL;
    }
    return p;
}

/* A pending send for up to cap messages, after the Idempotency-Key check; NULL
 * after answering the request (replay, conflict, out of memory). */
static pending_send *pending_start(sg_http_req *req, sg_app *app, size_t cap)
{
    pending_send *p = pending_new(req, app, cap);
    if (!p) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return NULL;
    }
    if (!idempotency_precheck(req, app, p)) {
        pending_free(p);
        return NULL;
    }
    return p;
}

/* The toll-fraud limits (send_limits.h) for an accepted message m; on refusal m
 * is freed and rej says why. */
static bool limits_allow(sg_http_req *req, sg_app *app, sg_message *m, int64_t now,
                         sg_reject *rej)
{
    const sg_caller *c = sg_auth_caller(req);
    if (sg_send_limits_check(app->limits, c, m, now, rej))
        return true;
    sg_message_free(m);
    memset(m, 0, sizeof *m);
    return false;
}

sg_http_result sg_api_send_one(sg_http_req *req, sg_app *app, json_t *obj)
{
    return sg_api_send_one_then(req, app, obj, NULL, NULL);
}

sg_http_result sg_api_send_one_then(sg_http_req *req, sg_app *app, json_t *obj,
                                    sg_api_sent_fn then, void *arg)
{
    sg_api_send_hooks h = {.then = then, .arg = arg};
    return sg_api_send_one_hooked(req, app, obj, &h);
}

/* Answer a refusal of one message: by the hook when there is one, else as
 * problem+json (with Retry-After for the daily quota). */
static void answer_refusal(sg_http_req *req, const sg_api_send_hooks *h, const sg_reject *rej,
                           int64_t now)
{
    if (rej->status == 429) { /* the daily quota renews at 00:00 UTC */
        char secs[24];
        snprintf(secs, sizeof secs, "%lld",
                 (long long)((86400000LL - now % 86400000LL) / 1000 + 1));
        sg_http_add_header(req, "Retry-After", secs);
    }
    if (h->refuse)
        h->refuse(req, rej, h->arg);
    else
        sg_http_problem(req, rej->status, rej->code, rej->field, "%s", rej->detail);
}

sg_http_result sg_api_send_one_hooked(sg_http_req *req, sg_app *app, json_t *obj,
                                      const sg_api_send_hooks *h)
{
    pending_send *p = pending_start(req, app, 1);
    if (!p) {
        json_decref(obj);
        return SG_HTTP_DONE;
    }
    p->then = h->then;
    p->then_arg = h->arg;
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *prov;
    sg_reject rej;
    int64_t now = sg_time_now_ms();
    bool ok = sg_accept_message(app, set, obj, now, &p->msgs[0], &prov, &rej) &&
              limits_allow(req, app, &p->msgs[0], now, &rej);
    json_decref(obj);
    if (!ok) {
        sg_registry_release(app->registry, set);
        answer_refusal(req, h, &rej, now);
        pending_free(p);
        return SG_HTTP_DONE;
    }
    p->n = 1;
    snprintf(p->provider_names[0], sizeof p->provider_names[0], "%s", prov->name);
    if (h->tag && !h->tag(&p->msgs[0], h->arg)) {
        sg_registry_release(app->registry, set);
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        pending_free(p);
        return SG_HTTP_DONE;
    }
    json_t *answer = h->answer ? h->answer(&p->msgs[0], h->arg)
                               : sg_message_accepted_json(&p->msgs[0], prov->name);
    p->status = h->answer ? h->status : 202;
    p->content_type = h->content_type;
    sg_registry_release(app->registry, set);
    return commit_and_answer(req, p, answer);
}

/* Give answer (stolen; a JSON string as its text) at once with status. */
static void respond_now(sg_http_req *req, int status, const char *content_type, json_t *answer)
{
    char *text = !answer                 ? NULL
                 : json_is_string(answer) ? strdup(json_string_value(answer))
                                          : json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    if (!text) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return;
    }
    sg_http_respond(req, status, content_type ? content_type : "application/json", text,
                    strlen(text));
    free(text);
}

sg_http_result sg_api_send_many_hooked(sg_http_req *req, sg_app *app, json_t *arr,
                                       const sg_api_many_hooks *h)
{
    size_t n = json_array_size(arr);
    pending_send *p = pending_start(req, app, n);
    if (!p) {
        json_decref(arr);
        return SG_HTTP_DONE;
    }
    sg_provider_set *set = sg_registry_get(app->registry);
    int64_t now = sg_time_now_ms();
    bool oom = false;
    for (size_t i = 0; i < n && !oom; i++) {
        const sg_provider *prov;
        sg_reject rej;
        sg_message *m = &p->msgs[p->n];
        if (sg_accept_message(app, set, json_array_get(arr, i), now, m, &prov, &rej) &&
            limits_allow(req, app, m, now, &rej)) {
            snprintf(p->provider_names[p->n], sizeof p->provider_names[0], "%s", prov->name);
            p->n++;
            oom = h->tag && !h->tag(m, h->arg);
            h->row(i, m, NULL, h->arg);
        } else {
            h->row(i, NULL, &rej, h->arg);
        }
    }
    sg_registry_release(app->registry, set);
    json_decref(arr);
    if (oom) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        pending_free(p);
        return SG_HTTP_DONE;
    }
    json_t *answer = h->answer(p->n, h->arg);
    p->content_type = h->content_type;
    if (p->n == 0) {
        respond_now(req, h->status_none, h->content_type, answer);
        pending_free(p);
        return SG_HTTP_DONE;
    }
    p->status = h->status;
    return commit_and_answer(req, p, answer);
}

sg_http_result sg_api_messages_create(sg_http_req *req, void *ctx)
{
    json_t *j = sg_api_json_body(req);
    if (!j)
        return SG_HTTP_DONE;
    return sg_api_send_one(req, ctx, j);
}

sg_http_result sg_api_messages_batch(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *j = sg_api_json_body(req);
    if (!j)
        return SG_HTTP_DONE;
    json_t *arr = json_object_get(j, "messages");
    if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > BATCH_MAX) {
        json_decref(j);
        sg_http_problem(req, 400, "invalid_request", "messages",
                        "'messages' must be an array of 1 to %d messages", BATCH_MAX);
        return SG_HTTP_DONE;
    }
    size_t n = json_array_size(arr);
    pending_send *p = pending_start(req, app, n);
    if (!p) {
        json_decref(j);
        return SG_HTTP_DONE;
    }
    json_t *accepted = json_array(), *rejected = json_array();
    sg_provider_set *set = sg_registry_get(app->registry);
    int64_t now = sg_time_now_ms();
    for (size_t i = 0; i < n; i++) {
        const sg_provider *prov;
        sg_reject rej;
        if (sg_accept_message(app, set, json_array_get(arr, i), now, &p->msgs[p->n], &prov,
                              &rej) &&
            limits_allow(req, app, &p->msgs[p->n], now, &rej)) {
            json_t *row = sg_message_accepted_json(&p->msgs[p->n], prov->name);
            json_object_set_new(row, "index", json_integer((json_int_t)i));
            json_array_append_new(accepted, row);
            snprintf(p->provider_names[p->n], sizeof p->provider_names[0], "%s", prov->name);
            p->n++;
        } else {
            json_t *row = json_pack("{s:I, s:s, s:s}", "index", (json_int_t)i, "code", rej.code,
                                    "detail", rej.detail);
            if (rej.field[0])
                json_object_set_new(row, "field", json_string(rej.field));
            json_array_append_new(rejected, row);
        }
    }
    sg_registry_release(app->registry, set);
    json_decref(j);
    return commit_and_answer(req, p,
                             json_pack("{s:o, s:o}", "accepted", accepted, "rejected", rejected));
}

static const char *provider_name(sg_app *app, sg_provider_set *set, const char *id)
{
    const sg_provider *p = sg_provider_set_find(set, id);
    return p ? p->name : NULL;
}

sg_http_result sg_api_messages_get(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *id = sg_http_param(req, 0);
    sg_message m;
    sg_event *ev = NULL;
    size_t n = 0;
    sg_err err = sg_store_message_get_with_events(app->store, id, &m, &ev, &n);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no message %.64s", id);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the message");
        return SG_HTTP_DONE;
    }
    sg_provider_set *set = sg_registry_get(app->registry);
    json_t *j = sg_message_json(&m, ev, n, provider_name(app, set, m.provider_id));
    sg_registry_release(app->registry, set);
    sg_events_free(ev, n);
    sg_message_free(&m);
    sg_http_respond_json(req, 200, j);
    return SG_HTTP_DONE;
}

/* ?name=TIME (RFC 3339, or a date alone: its midnight UTC) into *ms_out, left 0
 * when absent. False after answering 400 for an unreadable time. */
static bool list_time_arg(sg_http_req *req, const char *name, int64_t *ms_out)
{
    const char *s = sg_http_query(req, name);
    char buf[40];
    *ms_out = 0;
    if (!s)
        return true;
    if (strlen(s) == 10) {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf;
    }
    if (!sg_time_parse(s, ms_out) || *ms_out <= 0) {
        sg_http_problem(req, 400, "invalid_request", name,
                        "'%s' must be a date (2026-11-01) or an RFC 3339 time", name);
        return false;
    }
    return true;
}

/* ?error_code=CODE: 1 to 64 printable ASCII characters. False after answering 400. */
static bool list_error_code_arg(sg_http_req *req, const char **out)
{
    const char *s = sg_http_query(req, "error_code");
    *out = s;
    if (!s)
        return true;
    size_t n = strlen(s);
    bool ok = n >= 1 && n <= 64;
    for (size_t i = 0; ok && i < n; i++)
        ok = s[i] > 0x20 && s[i] < 0x7f;
    if (!ok)
        sg_http_problem(req, 400, "invalid_request", "error_code",
                        "'error_code' must be 1 to 64 printable characters");
    return ok;
}

sg_http_result sg_api_messages_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_message_filter f = {0};
    if (!sg_api_limit(req, 50, LIST_MAX, &f.limit))
        return SG_HTTP_DONE;
    const char *status = sg_http_query(req, "status");
    if (status) {
        if (!sg_status_parse(status, &f.status)) {
            sg_http_problem(req, 400, "invalid_request", "status",
                            "unknown status '%.32s' (scheduled, queued, sending, sent, "
                            "delivered, undelivered, failed, canceled, received)",
                            status);
            return SG_HTTP_DONE;
        }
        f.has_status = true;
    }
    char to[SG_PHONE_MAX];
    const char *to_in = sg_http_query(req, "to");
    char to_fixed[64];
    if (to_in && to_in[0] == ' ') {
        /* "?to=+44..." unencoded: the '+' arrived as a space. */
        snprintf(to_fixed, sizeof to_fixed, "+%s", to_in + 1);
        to_in = to_fixed;
    }
    if (to_in) {
        sg_phone_type type;
        if (sg_phone_normalize(to_in, app->default_region, to, &type) != SG_PHONE_OK) {
            sg_http_problem(req, 400, "invalid_phone", "to", "'%.32s' is not a valid phone number",
                            to_in);
            return SG_HTTP_DONE;
        }
        f.to = to;
    }
    char provider_id[SG_ID_MAX];
    const char *prov_in = sg_http_query(req, "provider");
    if (prov_in) {
        sg_provider_set *set = sg_registry_get(app->registry);
        const sg_provider *p = sg_provider_set_find(set, prov_in);
        if (p)
            snprintf(provider_id, sizeof provider_id, "%s", p->id);
        sg_registry_release(app->registry, set);
        if (!p) {
            sg_http_problem(req, 422, "unknown_provider", "provider", "no provider named '%.64s'",
                            prov_in);
            return SG_HTTP_DONE;
        }
        f.provider = provider_id;
    }
    if (!list_error_code_arg(req, &f.error_code) || !list_time_arg(req, "since", &f.since_ms) ||
        !list_time_arg(req, "until", &f.until_ms))
        return SG_HTTP_DONE;
    const char *cursor = sg_http_query(req, "cursor");
    if (cursor) {
        if (!sg_id_valid("msg", cursor)) {
            sg_api_bad_cursor(req);
            return SG_HTTP_DONE;
        }
        f.cursor = cursor;
    }
    sg_message *msgs;
    size_t n;
    bool more;
    sg_err err = sg_store_message_list(app->store, &f, &msgs, &n, &more);
    if (err) {
        sg_api_store_error(req, err, "cannot list messages");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    sg_provider_set *set = sg_registry_get(app->registry);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            data, sg_message_json(&msgs[i], NULL, 0, provider_name(app, set, msgs[i].provider_id)));
    sg_registry_release(app->registry, set);
    json_t *resp = json_pack("{s:o, s:o}", "data", data, "next_cursor",
                             more && n ? json_string(msgs[n - 1].id) : json_null());
    sg_messages_free(msgs, n);
    sg_http_respond_json(req, 200, resp);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_messages_cancel(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *id = sg_http_param(req, 0);
    sg_message m;
    sg_error e = {0};
    sg_err err = sg_store_message_cancel(app->store, id, &m, &e);
    if (err == SG_ERR_CONFLICT) {
        sg_http_problem(req, 409, "invalid_state", "status", "%s", e.message);
    } else if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no message %.64s", id);
    } else if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        sg_provider_set *set = sg_registry_get(app->registry);
        sg_http_respond_json(req, 200,
                             sg_message_json(&m, NULL, 0, provider_name(app, set, m.provider_id)));
        sg_registry_release(app->registry, set);
    }
    sg_message_free(&m);
    return SG_HTTP_DONE;
}
