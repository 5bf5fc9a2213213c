/* GET /v1/providers/{id}/health (the provider's circuit breaker on this node and
 * its recent provider events) and /v1/providers/{id}/prices (a price per country,
 * read and written as text/csv; docs/routing.md, "Prices"). */
#include "api/app.h"
#include "api/common.h"
#include "api/handlers.h"
#include "dispatch/breakers.h"
#include "http/problem.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEALTH_EVENTS 20 /* provider events shown with the health */

/* The provider named by the path's {id} (an id or a name) into id/name; false
 * after answering 404. */
static bool provider_of(sg_http_req *req, sg_app *app, char id[SG_ID_MAX], char name[64])
{
    const char *want = sg_http_param(req, 0);
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, want);
    if (p) {
        snprintf(id, SG_ID_MAX, "%s", p->id);
        snprintf(name, 64, "%s", p->name);
    }
    sg_registry_release(app->registry, set);
    if (!p)
        sg_http_problem(req, 404, "not_found", NULL, "no provider '%.64s'", want);
    return p != NULL;
}

static json_t *time_or_null(int64_t ms)
{
    return ms > 0 ? sg_api_time_json(ms) : json_null();
}

static json_t *events_json(sg_app *app, const char *id)
{
    json_t *list = json_array();
    sg_provider_event *ev = NULL;
    size_t n = 0;
    if (sg_store_provider_events_list(app->store, id, HEALTH_EVENTS, &ev, &n) != SG_OK)
        return list;
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:o, s:s, s:s}", "at", sg_api_time_json(ev[i].at),
                                              "type", ev[i].type, "detail", ev[i].detail));
    free(ev);
    return list;
}

static json_t *breaker_config_json(const sg_breaker_config *c)
{
    return json_pack("{s:i, s:i, s:i, s:I, s:I, s:i, s:i}", "failures", (int)c->consecutive,
                     "error_rate_percent", (int)c->rate_percent, "min_requests",
                     (int)c->min_attempts, "window_ms", (json_int_t)c->window_ms, "cooldown_ms",
                     (json_int_t)c->cooldown_ms, "probes", (int)c->probes, "successes",
                     (int)c->successes);
}

static json_t *health_json(sg_app *app, const char *id, const char *name)
{
    int64_t now = sg_time_now_ms();
    sg_breaker_health h;
    sg_breakers_health(app->breakers, id, now, &h);
    const sg_breaker_config *c = sg_breakers_config(app->breakers);
    json_t *tr = json_object();
    for (int s = 0; s < SG_BREAKER__STATES; s++)
        json_object_set_new(tr, sg_breaker_state_name((sg_breaker_state)s),
                            json_integer((json_int_t)h.transitions[s]));
    json_t *out = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s?, s:i, s:{s:I, s:I}, s:I, s:I, s:i, s:o, s:o}",
        "provider_id", id, "name", name, "scope", "node", "state", sg_breaker_state_name(h.state),
        "since", time_or_null(h.since), "next_probe_at", time_or_null(h.next_probe_at),
        "opened_because", h.reason ? sg_breaker_reason_name(h.reason) : NULL,
        "consecutive_failures", (int)h.consecutive_failures, "window", "attempts",
        (json_int_t)h.window_attempts, "failures", (json_int_t)h.window_failures, "failures_total",
        (json_int_t)h.failures, "successes_total", (json_int_t)h.successes, "probes_in_flight",
        (int)h.probes_out, "transitions", tr, "events", events_json(app, id));
    json_object_set_new(out, "breaker", c ? breaker_config_json(c) : json_null());
    return out;
}

sg_http_result sg_api_providers_health(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    char id[SG_ID_MAX], name[64];
    if (provider_of(req, app, id, name))
        sg_http_respond_json(req, 200, health_json(app, id, name));
    return SG_HTTP_DONE;
}

/* ---- prices ------------------------------------------------------------------------------ */

/* Whether the Content-Type is a CSV one (or absent). */
static bool csv_body(const char *ct)
{
    return !ct || strncasecmp(ct, "text/csv", 8) == 0 ||
           strncasecmp(ct, "application/csv", 15) == 0;
}

static json_t *price_json(const sg_price *p)
{
    char text[SG_PRICE_TEXT_MAX];
    sg_price_format(p->micros, text);
    return json_pack("{s:s, s:s, s:s}", "country", p->country, "price", text, "currency",
                     p->currency);
}

/* problem+json for a refused list: the first problem's field, and every problem
 * with its line in "errors". */
static void refuse(sg_http_req *req, sg_err err, const sg_price_list *l)
{
    const sg_price_problem *first = &l->problems[0];
    char detail[256];
    snprintf(detail, sizeof detail, "line %zu: %s%s", first->line, first->detail,
             l->n_problems > 1 ? " (and more: see errors)" : "");
    int status = err == SG_ERR_TOO_LARGE ? 413 : 400;
    json_t *doc =
        sg_problem_json(status, err == SG_ERR_TOO_LARGE ? "body_too_large" : "invalid_prices",
                        first->field[0] ? first->field : NULL, detail);
    json_t *errors = json_array();
    for (size_t i = 0; i < l->n_problems; i++)
        json_array_append_new(
            errors, json_pack("{s:I, s:s?, s:s}", "line", (json_int_t)l->problems[i].line, "field",
                              l->problems[i].field[0] ? l->problems[i].field : NULL, "detail",
                              l->problems[i].detail));
    json_object_set_new(doc, "errors", errors);
    json_object_set_new(doc, "more_errors", json_integer((json_int_t)l->more_problems));
    char *text = json_dumps(doc, JSON_COMPACT);
    sg_http_respond(req, status, "application/problem+json", text ? text : "{}",
                    text ? strlen(text) : 2);
    free(text);
    json_decref(doc);
}

/* Answer the provider's prices as CSV when the client asks for text/csv, else
 * JSON. */
static void respond_prices(sg_http_req *req, sg_app *app, const char *id, const char *name)
{
    sg_price *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_prices_list(app->store, id, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot read the prices");
        return;
    }
    const char *accept = sg_http_header(req, "Accept");
    if (accept && strstr(accept, "text/csv")) {
        sg_buf b;
        sg_buf_init(&b, SG_PRICES_MAX_BYTES * 2);
        sg_buf_append_str(&b, "country,price,currency\r\n");
        for (size_t i = 0; i < n; i++) {
            char text[SG_PRICE_TEXT_MAX];
            sg_price_format(rows[i].micros, text);
            sg_buf_printf(&b, "%s,%s,%s\r\n", rows[i].country, text, rows[i].currency);
        }
        sg_http_respond(req, 200, "text/csv; charset=utf-8", sg_buf_cstr(&b), b.len);
        sg_buf_free(&b);
    } else {
        json_t *data = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(data, price_json(&rows[i]));
        sg_http_respond_json(
            req, 200, json_pack("{s:s, s:s, s:o}", "provider_id", id, "name", name, "data", data));
    }
    free(rows);
}

sg_http_result sg_api_providers_prices_get(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    char id[SG_ID_MAX], name[64];
    if (provider_of(req, app, id, name))
        respond_prices(req, app, id, name);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_providers_prices_put(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    char id[SG_ID_MAX], name[64];
    if (!provider_of(req, app, id, name))
        return SG_HTTP_DONE;
    const char *ct = sg_http_header(req, "Content-Type");
    if (!csv_body(ct)) {
        sg_http_problem(req, 415, "unsupported_media_type", NULL,
                        "send the prices as text/csv: country,price,currency (got %.64s)", ct);
        return SG_HTTP_DONE;
    }
    size_t len = 0;
    const char *body = sg_http_body(req, &len);
    sg_price_list l;
    sg_err err = sg_prices_parse(body, len, &l);
    if (err == SG_ERR_INVALID || err == SG_ERR_TOO_LARGE) {
        refuse(req, err, &l);
    } else if (err) {
        sg_api_store_error(req, err, "cannot read the prices");
    } else {
        sg_error e = {0};
        err = sg_store_prices_set(app->store, id, l.rows, l.n, &e);
        if (err) {
            sg_api_store_error(req, err, e.message[0] ? e.message : "cannot store the prices");
        } else {
            char detail[64];
            snprintf(detail, sizeof detail, "{\"prices\":%zu}", l.n);
            sg_api_audit(req, ctx, "provider.prices", id, detail);
            sg_registry_invalidate(app->registry); /* `cheapest` reads the new list next */
            respond_prices(req, app, id, name);
        }
    }
    sg_price_list_free(&l);
    return SG_HTTP_DONE;
}

json_t *sg_api_costs_json(sg_app *app, int64_t from, int64_t to)
{
    sg_price_cost *rows = NULL;
    size_t n = 0;
    if (sg_store_price_costs(app->store, from, to, &rows, &n) != SG_OK)
        return json_null();
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char amount[SG_PRICE_TEXT_MAX];
        sg_price_format(rows[i].micros, amount);
        bool priced = rows[i].currency[0] != '\0';
        json_array_append_new(list, json_pack("{s:s, s:o, s:o, s:I, s:I}", "provider_id",
                                              rows[i].provider_id, "currency",
                                              priced ? json_string(rows[i].currency) : json_null(),
                                              "amount", priced ? json_string(amount) : json_null(),
                                              "messages", (json_int_t)rows[i].messages, "segments",
                                              (json_int_t)rows[i].segments));
    }
    free(rows);
    return list;
}
