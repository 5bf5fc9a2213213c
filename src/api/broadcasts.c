/* /v1/broadcasts (create, list, show, send, pause, resume, cancel, stats),
 * /v1/stats, and the tracked-link redirect /l/{code}. */
#include "api/common.h"
#include "api/handlers.h"
#include "audience/broadcaster.h"
#include "core/quiet_hours.h"
#include "core/template.h"
#include "http/problem.h"
#include "providers/errors.h"
#include "util/log.h"
#include "util/time.h"
#include "util/tz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_MAX_LEN 4096
#define RATE_MAX     10000.0

/* ---- stats as JSON ------------------------------------------------------------------------ */

/* part / whole rounded to 4 decimals (answers are serialised with 15
 * significant digits, so 1/3 reads 0.3333, not 0.33329999999999999). */
static json_t *rate_json(int64_t part, int64_t whole)
{
    return whole > 0 ? json_real(round((double)part / (double)whole * 10000.0) / 10000.0)
                     : json_null();
}

static json_t *stats_row_json(const sg_stats_row *r, const sg_stats *st, const char *key_name)
{
    json_t *failures = json_array();
    for (size_t i = 0; i < st->n_errors; i++) {
        const sg_error_count *ec = &st->errors[i];
        if (strcmp(ec->key, r->key) != 0)
            continue;
        const char *desc = sg_errcode_describe(ec->code);
        json_array_append_new(failures,
                              json_pack("{s:s, s:I, s:o}", "code", ec->code[0] ? ec->code : "unknown",
                                        "count", (json_int_t)ec->count, "description",
                                        desc ? json_string(desc) : json_null()));
    }
    json_t *j = json_pack(
        "{s:I, s:{s:I, s:I, s:I}, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}",
        "recipients", (json_int_t)r->recipients, "skipped", "opted_out",
        (json_int_t)r->skipped_opted_out, "not_mobile", (json_int_t)r->skipped_not_mobile,
        "invalid", (json_int_t)r->skipped_invalid, "pending", (json_int_t)r->pending, "queued",
        (json_int_t)r->queued, "sent", (json_int_t)r->sent, "delivered", (json_int_t)r->delivered,
        "undelivered", (json_int_t)r->undelivered, "failed", (json_int_t)r->failed, "canceled",
        (json_int_t)r->canceled, "replied", (json_int_t)r->replied, "opted_out",
        (json_int_t)r->opted_out, "clicked", (json_int_t)r->clicked, "delivery_rate",
        rate_json(r->delivered, r->sent), "click_through_rate", rate_json(r->clicked, r->sent),
        "failures", failures);
    if (key_name && j) /* "": messages of no broadcast */
        json_object_set_new(j, key_name, r->key[0] ? json_string(r->key) : json_null());
    return j;
}

/* ---- broadcasts --------------------------------------------------------------------------- */

static json_t *broadcast_json(const sg_broadcast *b, const sg_stats *st, const char *provider)
{
    char quiet[16] = "";
    if (b->quiet_start >= 0 && b->quiet_end >= 0) {
        sg_quiet q = {b->quiet_start, b->quiet_end};
        sg_quiet_format(&q, quiet);
    }
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:s, s:o, s:o, s:o, s:o, s:s, s:b, s:o, s:o, s:o}",
        "id", b->id, "name", b->name, "status", sg_bcast_status_name(b->status), "body",
        b->body ? b->body : "", "template_id",
        b->template_id[0] ? json_string(b->template_id) : json_null(), "audience", "kind",
        b->audience_kind, "id", b->audience_id, "provider_id", b->provider_id, "provider",
        provider ? json_string(provider) : json_null(), "from",
        b->from[0] ? json_string(b->from) : json_null(), "send_at", sg_api_time_json(b->send_at),
        "rate", b->rate > 0 ? json_real(b->rate) : json_null(), "timezone", b->timezone,
        "track_clicks", b->track_clicks, "created_at", sg_api_time_json(b->created_at),
        "started_at", b->started_at ? sg_api_time_json(b->started_at) : json_null(), "finished_at",
        b->finished_at ? sg_api_time_json(b->finished_at) : json_null());
    json_object_set_new(j, "quiet_hours", quiet[0] ? json_string(quiet) : json_null());
    json_object_set_new(j, "error", b->error[0] ? json_string(b->error) : json_null());
    json_object_set_new(j, "external_template_id",
                        b->external_template_id[0] ? json_string(b->external_template_id)
                                                   : json_null());
    if (st && st->n) {
        json_t *counts = stats_row_json(&st->rows[0], st, NULL);
        json_object_set_new(j, "counts", counts);
    } else {
        json_object_set_new(
            j, "counts",
            json_pack("{s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "recipients",
                      (json_int_t)b->recipients, "pending", (json_int_t)b->pending, "queued",
                      (json_int_t)b->queued, "skipped", "opted_out",
                      (json_int_t)b->skipped_opted_out, "not_mobile",
                      (json_int_t)b->skipped_not_mobile, "invalid",
                      (json_int_t)b->skipped_invalid));
    }
    return j;
}

static bool bad(sg_http_req *req, const char *code, const char *field, const char *detail)
{
    sg_http_problem(req, 400, code, field, "%s", detail);
    return false;
}

/* Fill b from the request body; false after answering. */
static bool broadcast_fields(sg_http_req *req, sg_app *app, json_t *in, sg_broadcast *b,
                             bool *draft)
{
    static const char *const known[] = {"name",        "body",     "template_id", "group",
                                        "segment",     "provider", "from",        "send_at",
                                        "rate",        "quiet_hours", "timezone", "track_clicks",
                                        "draft",       NULL};
    if (!json_is_object(in))
        return bad(req, "invalid_request", NULL, "the body must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(key, known[i]) == 0;
        if (!ok) {
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: name, body, template_id, group, "
                            "segment, provider, from, send_at, rate, quiet_hours, timezone, "
                            "track_clicks, draft)",
                            key);
            return false;
        }
    }
    const char *name = json_string_value(json_object_get(in, "name"));
    if (!name || !*name || strlen(name) > 127)
        return bad(req, "invalid_request", "name", "'name' must be a string of 1 to 127 bytes");
    snprintf(b->name, sizeof b->name, "%s", name);

    json_t *body = json_object_get(in, "body"), *tpl = json_object_get(in, "template_id");
    if (!!body == !!tpl)
        return bad(req, "invalid_request", "body", "give either 'body' or 'template_id'");
    if (tpl) {
        sg_template t;
        const char *tid = json_string_value(tpl);
        if (!tid || sg_store_template_get(app->store, tid, &t) != SG_OK) {
            sg_http_problem(req, 422, "unknown_template", "template_id", "no template %.64s",
                            tid ? tid : "");
            return false;
        }
        snprintf(b->template_id, sizeof b->template_id, "%s", t.id);
        snprintf(b->external_template_id, sizeof b->external_template_id, "%s",
                 t.external_template_id);
        b->body = t.body; /* the text is copied: editing the template later changes nothing */
    } else {
        const char *text = json_string_value(body);
        if (!text || !*text || strlen(text) > BODY_MAX_LEN)
            return bad(req, "invalid_request", "body",
                       "'body' must be a non-empty string of at most 4096 bytes");
        b->body = strdup(text);
    }
    sg_tpl_error terr = {0};
    if (!b->body || sg_template_check(b->body, &terr) != SG_OK) {
        sg_http_problem(req, 400, "invalid_template", "body", "%s (at byte %zu)", terr.detail,
                        terr.offset);
        return false;
    }

    json_t *group = json_object_get(in, "group"), *segment = json_object_get(in, "segment");
    if (!!group == !!segment)
        return bad(req, "invalid_request", "group", "give either 'group' or 'segment'");
    const char *aud = json_string_value(group ? group : segment);
    if (!aud)
        return bad(req, "invalid_request", group ? "group" : "segment",
                   "the audience must be a name or an id");
    if (group) {
        sg_group g;
        if (sg_store_group_get(app->store, aud, &g) != SG_OK) {
            sg_http_problem(req, 422, "unknown_group", "group", "no group %.64s", aud);
            return false;
        }
        snprintf(b->audience_kind, sizeof b->audience_kind, "group");
        snprintf(b->audience_id, sizeof b->audience_id, "%s", g.id);
    } else {
        sg_segment g;
        if (sg_store_segment_get(app->store, aud, &g) != SG_OK) {
            sg_http_problem(req, 422, "unknown_segment", "segment", "no segment %.64s", aud);
            return false;
        }
        sg_segment_row_free(&g);
        snprintf(b->audience_kind, sizeof b->audience_kind, "segment");
        snprintf(b->audience_id, sizeof b->audience_id, "%s", g.id);
    }

    const char *prov = json_string_value(json_object_get(in, "provider"));
    if (json_object_get(in, "provider") && !prov)
        return bad(req, "invalid_request", "provider", "'provider' must be a name or an id");
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = prov ? sg_provider_set_find(set, prov) : sg_provider_set_default(set);
    if (p)
        snprintf(b->provider_id, sizeof b->provider_id, "%s", p->id);
    bool need_tid = p && p->common.require_template_id && !b->external_template_id[0];
    char pname[64] = "";
    if (p)
        snprintf(pname, sizeof pname, "%s", p->name);
    sg_registry_release(app->registry, set);
    if (need_tid) {
        sg_http_problem(req, 400, "template_id_required", "external_template_id",
                        "provider '%s' requires an external template id: broadcast a template "
                        "that has one ('template_id')",
                        pname);
        return false;
    }
    if (!p) {
        if (prov)
            sg_http_problem(req, 422, "unknown_provider", "provider", "no provider %.64s", prov);
        else
            sg_http_problem(req, 422, "no_default_provider", "provider",
                            "no provider given and no default provider is set up");
        return false;
    }

    json_t *from = json_object_get(in, "from");
    if (from) {
        const char *f = json_string_value(from);
        if (!f || !*f || strlen(f) >= sizeof b->from)
            return bad(req, "invalid_request", "from", "'from' must be a sender of 1 to 31 bytes");
        snprintf(b->from, sizeof b->from, "%s", f);
    }
    json_t *send_at = json_object_get(in, "send_at");
    b->send_at = b->created_at;
    if (send_at && (!json_is_string(send_at) ||
                    !sg_time_parse(json_string_value(send_at), &b->send_at)))
        return bad(req, "invalid_request", "send_at",
                   "'send_at' must be an RFC 3339 time such as 2026-12-01T09:00:00Z");
    json_t *rate = json_object_get(in, "rate");
    if (rate) {
        if (!json_is_number(rate) || json_number_value(rate) <= 0 ||
            json_number_value(rate) > RATE_MAX)
            return bad(req, "invalid_request", "rate",
                       "'rate' must be a number of messages per second, above 0 and at most 10000");
        b->rate = json_number_value(rate);
    }
    b->quiet_start = b->quiet_end = -1;
    json_t *quiet = json_object_get(in, "quiet_hours");
    if (quiet && !json_is_null(quiet)) {
        sg_quiet q;
        if (!json_is_string(quiet) || sg_quiet_parse(json_string_value(quiet), &q) != SG_OK)
            return bad(req, "invalid_request", "quiet_hours",
                       "'quiet_hours' must look like \"21:00-08:00\" (local time of each "
                       "recipient)");
        b->quiet_start = q.start_min;
        b->quiet_end = q.end_min;
    }
    const char *tz = json_string_value(json_object_get(in, "timezone"));
    if (json_object_get(in, "timezone")) {
        const sg_tz *z;
        if (!tz || sg_tz_get(tz, &z) != SG_OK)
            return bad(req, "invalid_request", "timezone",
                       "'timezone' must be a zone of the tz database, such as Europe/London");
        snprintf(b->timezone, sizeof b->timezone, "%s", tz);
    } else {
        snprintf(b->timezone, sizeof b->timezone, "UTC");
    }
    json_t *track = json_object_get(in, "track_clicks");
    if (track && !json_is_boolean(track))
        return bad(req, "invalid_request", "track_clicks", "'track_clicks' must be true or false");
    b->track_clicks = json_is_true(track);
    if (b->track_clicks && !app->public_url[0])
        return bad(req, "invalid_request", "track_clicks",
                   "click tracking needs --public-url (the links point there)");
    json_t *d = json_object_get(in, "draft");
    if (d && !json_is_boolean(d))
        return bad(req, "invalid_request", "draft", "'draft' must be true or false");
    *draft = json_is_true(d);
    return true;
}

static const char *provider_name(sg_app *app, const char *id, char out[64])
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, id);
    if (p)
        snprintf(out, 64, "%s", p->name);
    sg_registry_release(app->registry, set);
    return p ? out : NULL;
}

static void respond_broadcast(sg_http_req *req, sg_app *app, int status, const sg_broadcast *b)
{
    sg_stats st = {0};
    sg_store_broadcast_stats(app->store, b->id, &st);
    char pname[64];
    sg_http_respond_json(req, status,
                         broadcast_json(b, &st, provider_name(app, b->provider_id, pname)));
    sg_stats_free(&st);
}

sg_http_result sg_api_broadcasts_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_broadcast b;
    memset(&b, 0, sizeof b);
    b.created_at = b.updated_at = sg_time_now_ms();
    bool draft = false;
    bool ok = broadcast_fields(req, app, in, &b, &draft);
    json_decref(in);
    if (ok) {
        sg_id_new("brd", b.created_at, b.id);
        b.status = draft ? SG_BCAST_DRAFT : SG_BCAST_SCHEDULED;
        sg_error e = {0};
        sg_err err = sg_store_broadcast_create(app->store, &b, &e);
        if (err) {
            sg_api_store_error(req, err, e.message);
        } else {
            sg_log(SG_LOG_INFO, "broadcast_created", "broadcast=%s status=%s", b.id,
                   sg_bcast_status_name(b.status));
            sg_api_audit(req, app, "broadcast.create", b.id, NULL);
            sg_broadcaster_wake(app->broadcaster);
            sg_broadcast full;
            if (sg_store_broadcast_get(app->store, b.id, &full) == SG_OK) {
                respond_broadcast(req, app, 201, &full);
                sg_broadcast_free(&full);
            } else {
                respond_broadcast(req, app, 201, &b);
            }
        }
    }
    sg_broadcast_free(&b);
    return SG_HTTP_DONE;
}

static bool broadcast_lookup(sg_http_req *req, sg_app *app, sg_broadcast *b)
{
    sg_err err = sg_store_broadcast_get(app->store, sg_http_param(req, 0), b);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no broadcast %.64s", sg_http_param(req, 0));
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the broadcast");
        return false;
    }
    return true;
}

sg_http_result sg_api_broadcasts_get(sg_http_req *req, void *ctx)
{
    sg_broadcast b;
    if (broadcast_lookup(req, ctx, &b)) {
        respond_broadcast(req, ctx, 200, &b);
        sg_broadcast_free(&b);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_broadcasts_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    size_t limit;
    if (!sg_api_limit(req, 50, 500, &limit))
        return SG_HTTP_DONE;
    sg_broadcast *bs;
    size_t n;
    bool more;
    sg_err err = sg_store_broadcast_list(app->store, sg_http_query(req, "cursor"), limit, &bs, &n,
                                         &more);
    if (err) {
        sg_api_store_error(req, err, "cannot list broadcasts");
        return SG_HTTP_DONE;
    }
    /* each with the same counts as its own page (GET /v1/broadcasts/{id}) */
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++) {
        char pname[64];
        sg_stats st = {0};
        sg_store_broadcast_stats(app->store, bs[i].id, &st);
        json_array_append_new(
            data, broadcast_json(&bs[i], &st, provider_name(app, bs[i].provider_id, pname)));
        sg_stats_free(&st);
    }
    json_t *next = more && n ? json_string(bs[n - 1].id) : json_null();
    sg_broadcasts_free(bs, n);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next));
    return SG_HTTP_DONE;
}

#define BIT(s) (1u << (s))

/* Move the broadcast in the path from a status in from_mask to `to` and audit it
 * as action; verb words the refusal. */
static sg_http_result transition(sg_http_req *req, sg_app *app, unsigned from_mask,
                                  sg_bcast_status to, const char *verb, const char *action)
{
    sg_broadcast b;
    if (!broadcast_lookup(req, app, &b))
        return SG_HTTP_DONE;
    /* resuming goes back to sending only if it had started */
    if (to == SG_BCAST_SENDING && !b.started_at)
        to = SG_BCAST_SCHEDULED;
    sg_broadcast_free(&b);
    sg_bcast_status current;
    sg_error e = {0};
    sg_err err = sg_store_broadcast_transition(app->store, b.id, from_mask, to, sg_time_now_ms(),
                                               &current, &e);
    if (err == SG_ERR_CONFLICT) {
        sg_http_problem(req, 409, "invalid_state", "status", "a %s broadcast cannot be %s",
                        sg_bcast_status_name(current), verb);
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, e.message);
        return SG_HTTP_DONE;
    }
    sg_log(SG_LOG_INFO, "broadcast_status", "broadcast=%s status=%s", b.id,
           sg_bcast_status_name(to));
    sg_api_audit(req, app, action, b.id, NULL);
    sg_broadcaster_wake(app->broadcaster);
    if (broadcast_lookup(req, app, &b)) {
        respond_broadcast(req, app, 200, &b);
        sg_broadcast_free(&b);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_broadcasts_send(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, BIT(SG_BCAST_DRAFT), SG_BCAST_SCHEDULED, "sent",
                      "broadcast.send");
}

sg_http_result sg_api_broadcasts_pause(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, BIT(SG_BCAST_SCHEDULED) | BIT(SG_BCAST_SENDING), SG_BCAST_PAUSED,
                      "paused", "broadcast.pause");
}

sg_http_result sg_api_broadcasts_resume(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, BIT(SG_BCAST_PAUSED), SG_BCAST_SENDING, "resumed",
                      "broadcast.resume");
}

sg_http_result sg_api_broadcasts_cancel(sg_http_req *req, void *ctx)
{
    return transition(req, ctx,
                      BIT(SG_BCAST_DRAFT) | BIT(SG_BCAST_SCHEDULED) | BIT(SG_BCAST_SENDING) |
                          BIT(SG_BCAST_PAUSED),
                      SG_BCAST_CANCELED, "canceled",
                      "broadcast.cancel");
}

sg_http_result sg_api_broadcasts_stats(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_broadcast b;
    if (!broadcast_lookup(req, app, &b))
        return SG_HTTP_DONE;
    sg_broadcast_free(&b);
    sg_stats st;
    sg_err err = sg_store_broadcast_stats(app->store, b.id, &st);
    if (err || st.n == 0) {
        sg_api_store_error(req, err ? err : SG_ERR_DB, "cannot compute the stats");
        return SG_HTTP_DONE;
    }
    json_t *j = stats_row_json(&st.rows[0], &st, NULL);
    json_object_set_new(j, "broadcast_id", json_string(b.id));
    json_object_set_new(j, "status", json_string(sg_bcast_status_name(b.status)));
    sg_stats_free(&st);
    sg_http_respond_json(req, 200, j);
    return SG_HTTP_DONE;
}

/* ---- /v1/stats ---------------------------------------------------------------------------- */

static bool time_arg(sg_http_req *req, const char *name, int64_t *out)
{
    const char *s = sg_http_query(req, name);
    *out = 0;
    if (!s)
        return true;
    /* a date alone means its midnight UTC */
    char buf[40];
    if (strlen(s) == 10) {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf;
    }
    if (!sg_time_parse(s, out)) {
        sg_http_problem(req, 400, "invalid_request", name,
                        "'%s' must be a date (2026-11-01) or an RFC 3339 time", name);
        return false;
    }
    return true;
}

/* ?provider= (an id or a name) into id ("" when not given); false after
 * answering 422 for a provider that does not exist. */
static bool provider_arg(sg_http_req *req, sg_app *app, char id[SG_ID_MAX])
{
    const char *in = sg_http_query(req, "provider");
    id[0] = '\0';
    if (!in)
        return true;
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, in);
    if (p)
        snprintf(id, SG_ID_MAX, "%s", p->id);
    sg_registry_release(app->registry, set);
    if (!p)
        sg_http_problem(req, 422, "unknown_provider", "provider", "no provider named '%.64s'", in);
    return p != NULL;
}

sg_http_result sg_api_stats(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    int64_t from, to;
    if (!time_arg(req, "from", &from) || !time_arg(req, "to", &to))
        return SG_HTTP_DONE;
    const char *by = sg_http_query(req, "group_by");
    sg_stats_group g = SG_STATS_TOTAL;
    const char *key_name = NULL;
    if (by && strcmp(by, "day") == 0) {
        g = SG_STATS_BY_DAY;
        key_name = "day";
    } else if (by && strcmp(by, "provider") == 0) {
        g = SG_STATS_BY_PROVIDER;
        key_name = "provider_id";
    } else if (by && strcmp(by, "broadcast") == 0) {
        g = SG_STATS_BY_BROADCAST;
        key_name = "broadcast_id";
    } else if (by) {
        sg_http_problem(req, 400, "invalid_request", "group_by",
                        "'group_by' must be day, provider or broadcast");
        return SG_HTTP_DONE;
    }
    char provider_id[SG_ID_MAX];
    if (!provider_arg(req, app, provider_id))
        return SG_HTTP_DONE;
    sg_stats st;
    sg_err err =
        sg_store_stats_provider(app->store, from, to, g, provider_id[0] ? provider_id : NULL, &st);
    if (err) {
        sg_api_store_error(req, err, "cannot compute the stats");
        return SG_HTTP_DONE;
    }
    json_t *out;
    if (g == SG_STATS_TOTAL) {
        out = stats_row_json(&st.rows[0], &st, NULL);
    } else {
        json_t *data = json_array();
        for (size_t i = 0; i < st.n; i++)
            json_array_append_new(data, stats_row_json(&st.rows[i], &st, key_name));
        out = json_pack("{s:s, s:o}", "group_by", by, "data", data);
    }
    if (provider_id[0])
        json_object_set_new(out, "provider_id", json_string(provider_id));
    json_object_set_new(out, "from", from ? sg_api_time_json(from) : json_null());
    json_object_set_new(out, "to", to ? sg_api_time_json(to) : json_null());
    json_object_set_new(out, "costs", sg_api_costs_json(app, from, to));
    sg_stats_free(&st);
    sg_http_respond_json(req, 200, out);
    return SG_HTTP_DONE;
}

/* ---- /l/{code} ---------------------------------------------------------------------------- */

sg_http_result sg_api_link_redirect(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *code = sg_http_param(req, 0);
    bool plausible = strlen(code) < SG_LINK_CODE_MAX;
    for (const char *p = code; plausible && *p; p++)
        plausible = (*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
    sg_link l;
    sg_err err = plausible ? sg_store_link_get(app->store, code, &l) : SG_ERR_NOT_FOUND;
    if (err) {
        static const char page[] = "This link does not exist or has expired.\n";
        sg_http_respond(req, err == SG_ERR_NOT_FOUND ? 404 : 503, "text/plain; charset=utf-8",
                        page, sizeof page - 1);
        return SG_HTTP_DONE;
    }
    /* HEAD (link previews, scanners) redirects without counting a click */
    if (strcmp(sg_http_method(req), "GET") == 0) {
        sg_error e = {0};
        if (sg_store_click(app->store, code, sg_time_now_ms(), sg_http_header(req, "User-Agent"),
                           &e) != SG_OK)
            sg_log(SG_LOG_WARN, "click_not_recorded", "error=\"%s\"", e.message);
    }
    sg_http_add_header(req, "Location", l.url);
    sg_http_add_header(req, "Cache-Control", "no-store");
    sg_http_respond(req, 302, "text/plain; charset=utf-8", "", 0);
    sg_link_free(&l);
    return SG_HTTP_DONE;
}
