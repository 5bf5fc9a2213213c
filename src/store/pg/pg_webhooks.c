/* The PostgreSQL backend, app webhooks: events queued as deliveries in the
 * transaction of the change they report (pg_emit), the webhooks' rows, and the
 * list of a webhook's deliveries, claiming them (FOR UPDATE SKIP LOCKED in
 * one short transaction of the writer: two nodes never claim one delivery) and
 * recording each attempt.
 *
 * Unlike SQLite's, there is no per-process cache of which events have
 * subscribers: several nodes share the database and one node's new webhook
 * must count at once on the others. The delivery insert selects the
 * subscribed webhooks itself, and a cheap EXISTS spares building the payload
 * when none subscribes. */
#include "store/pg/pg_store.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBSCRIBED "active AND strpos(',' || events || ',', ',' || $1 || ',') > 0"

static sg_err subscribed(pg_conn *c, const char *event, bool *yes, sg_error *e)
{
    const char *p[] = {event};
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT EXISTS (SELECT 1 FROM webhooks WHERE " SUBSCRIBED ")", 1, p, &r, e);
    if (!err) {
        *yes = pg_col_bool(r, 0, 0);
        PQclear(r);
    }
    return err;
}

sg_err pg_emit(pg_conn *c, const char *event, json_t *data, int64_t at, sg_error *e)
{
    bool yes = false;
    sg_err err = subscribed(c, event, &yes, e);
    if (err || !yes) {
        json_decref(data);
        return err;
    }
    char evt_id[SG_ID_MAX], when[SG_TIME_STR_MAX], t[24];
    sg_id_new("evt", at, evt_id);
    sg_time_format(at, when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "id", evt_id, "type", event, "created_at", when,
                            "data", data ? data : json_object());
    char *payload = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!payload)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building an event");
    /* One delivery per subscribed webhook, however many there are. */
    const char *p[] = {event, payload, pg_i64(t, at)};
    err = pg_query(c,
                   "INSERT INTO webhook_deliveries (webhook_id, event, payload, state, attempts, "
                   "next_attempt_at, created_at, updated_at) SELECT id, $1, $2, 'pending', 0, "
                   "$3::bigint, $3::bigint, $3::bigint FROM webhooks WHERE " SUBSCRIBED,
                   3, p, NULL, e);
    free(payload);
    return err;
}

static json_t *opt_str(const char *v)
{
    return v && *v ? json_string(v) : json_null();
}

sg_err pg_emit_message_status(pg_conn *c, const sg_message *m, int64_t at, sg_error *e)
{
    sg_err err = pg_app_status_callback(c, m->id, at, e); /* the app's own, if it sent m */
    if (err)
        return err;
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data = json_object();
    json_object_set_new(data, "id", json_string(m->id));
    json_object_set_new(data, "status", json_string(sg_status_name(m->status)));
    json_object_set_new(data, "to", json_string(m->to));
    json_object_set_new(data, "from", opt_str(m->from));
    json_object_set_new(data, "provider_id", opt_str(m->provider_id));
    json_object_set_new(data, "provider_message_id", opt_str(m->provider_message_id));
    json_object_set_new(data, "error_code", opt_str(m->error_code));
    json_object_set_new(data, "error_message", opt_str(m->error_message));
    json_object_set_new(data, "contact_id", opt_str(m->contact_id));
    json_object_set_new(data, "at", json_string(when));
    return pg_emit(c, SG_EVENT_MESSAGE_STATUS, data, at, e);
}

/* ---- webhooks ----------------------------------------------------------------------- */

#define WEBHOOK_COLS "id, url, events, secret, active, created_at"

static void webhook_row(const PGresult *r, int i, sg_webhook *w)
{
    memset(w, 0, sizeof *w);
    pg_col_copy(r, i, 0, w->id, sizeof w->id);
    pg_col_copy(r, i, 1, w->url, sizeof w->url);
    pg_col_copy(r, i, 2, w->events, sizeof w->events);
    w->secret_sealed = pg_col_dup(r, i, 3);
    w->active = pg_col_bool(r, i, 4);
    w->created_at = pg_col_i64(r, i, 5);
}

static sg_err webhook_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_webhook *w = arg;
    char at[24];
    const char *p[] = {w->id,
                       w->url,
                       w->events,
                       w->secret_sealed ? w->secret_sealed : "",
                       w->active ? "t" : "f",
                       pg_i64(at, w->created_at)};
    return pg_query(c,
                    "INSERT INTO webhooks (" WEBHOOK_COLS ") VALUES ($1, $2, $3, $4, "
                    "$5::boolean, $6::bigint)",
                    6, p, NULL, e);
}

static sg_err pg_webhook_insert(sg_store *s, const sg_webhook *w, sg_error *e)
{
    return pg_write(pg_of(s), webhook_insert_fn, (void *)w, e);
}

static sg_err webhook_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    PGresult *r;
    sg_err err = pg_query(c, "DELETE FROM webhooks WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no webhook %s", (const char *)arg);
    /* Its deliveries go with it: nobody can list or receive them any more. */
    return pg_query(c, "DELETE FROM webhook_deliveries WHERE webhook_id = $1", 1, p, NULL, e);
}

static sg_err pg_webhook_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), webhook_delete_fn, (void *)id, e);
}

static sg_err pg_webhook_get(sg_store *s, const char *id, sg_webhook *out)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err =
        pg_read(pg_of(s), "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = $1", 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        webhook_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_webhook_list(sg_store *s, sg_webhook **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY created_at, id",
                         0, NULL, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++)
        webhook_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static void delivery_row(const PGresult *r, int i, sg_delivery *d)
{
    memset(d, 0, sizeof *d);
    d->id = (long long)pg_col_i64(r, i, 0);
    pg_col_copy(r, i, 1, d->webhook_id, sizeof d->webhook_id);
    pg_col_copy(r, i, 2, d->event, sizeof d->event);
    d->payload = pg_col_dup(r, i, 3);
    for (int k = 0; k < 3; k++)
        if (strcmp(PQgetvalue(r, i, 4), sg_delivery_state_name((sg_delivery_state)k)) == 0)
            d->state = (sg_delivery_state)k;
    d->attempts = (unsigned)pg_col_i64(r, i, 5);
    d->last_status = (int)pg_col_i64(r, i, 6);
    pg_col_copy(r, i, 7, d->last_error, sizeof d->last_error);
    d->next_attempt_at = pg_col_i64(r, i, 8);
    d->created_at = pg_col_i64(r, i, 9);
    d->updated_at = pg_col_i64(r, i, 10);
}

static sg_err pg_delivery_list(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                               sg_delivery **out, size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    char cur[24], lim[24];
    const char *p[] = {webhook_id, pg_i64(cur, cursor), pg_i64(lim, (int64_t)limit + 1)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, webhook_id, event, payload, state, attempts, last_status, "
                         "last_error, next_attempt_at, created_at, updated_at "
                         "FROM webhook_deliveries WHERE webhook_id = $1 AND "
                         "($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $3::bigint",
                         3, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    size_t count = rows > limit ? limit : rows;
    if (count > 0 && !(*out = calloc(count, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        delivery_row(r, (int)i, &(*out)[i]);
    *n = count;
    *has_more = rows > limit;
    PQclear(r);
    return SG_OK;
}

/* ---- deliveries: claims and results --------------------------------------------------- */

#define DELIVERY_COLS                                                                              \
    "id, webhook_id, event, payload, state, attempts, last_status, last_error, "                   \
    "next_attempt_at, created_at, updated_at"

typedef struct delivery_claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    unsigned per_webhook;
    const sg_delivery_busy *busy;
    size_t n_busy;
    sg_delivery *rows; /* the candidates, then the claimed ones first */
    size_t n, cap;
} delivery_claim_arg;

/* How many more of webhook id's deliveries the caller can take (never more
 * than the claim's limit: per_webhook 0, no bound, is UINT_MAX here). */
static unsigned webhook_room(const delivery_claim_arg *a, const char *id)
{
    unsigned room = a->per_webhook;
    for (size_t i = 0; i < a->n_busy; i++)
        if (strcmp(a->busy[i].webhook_id, id) == 0)
            room =
                a->busy[i].in_flight >= a->per_webhook ? 0 : a->per_webhook - a->busy[i].in_flight;
    return room > a->limit ? (unsigned)a->limit : room;
}

/* Append up to room due deliveries of webhook id to the candidates, locked
 * (those another node is claiming are passed over, not waited for). */
static sg_err due_of_webhook(pg_conn *c, delivery_claim_arg *a, const char *id, unsigned room,
                             sg_error *e)
{
    if (a->n + room > a->cap) {
        size_t cap = (a->n + room) * 2;
        sg_delivery *grown = realloc(a->rows, cap * sizeof *grown);
        if (!grown)
            return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        a->rows = grown;
        a->cap = cap;
    }
    char now[24], lim[24];
    const char *p[] = {id, pg_i64(now, a->now), pg_i64(lim, room)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE webhook_id = $1 "
                          "AND state = 'pending' AND next_attempt_at <= $2::bigint "
                          "ORDER BY next_attempt_at LIMIT $3::bigint FOR UPDATE SKIP LOCKED",
                          3, p, &r, e);
    if (err)
        return err;
    for (int i = 0; i < PQntuples(r) && a->n < a->cap; i++)
        delivery_row(r, i, &a->rows[a->n++]);
    PQclear(r);
    return SG_OK;
}

static int by_due(const void *x, const void *y)
{
    const sg_delivery *a = x, *b = y;
    if (a->next_attempt_at != b->next_attempt_at)
        return a->next_attempt_at < b->next_attempt_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Each webhook's due deliveries through its own index range (a long backlog
 * of one never costs the others), the oldest due across them leased. */
static sg_err delivery_claim_fn(pg_conn *c, void *arg, sg_error *e)
{
    delivery_claim_arg *a = arg;
    PGresult *ids;
    sg_err err = pg_query(c, "SELECT id FROM webhooks ORDER BY id", 0, NULL, &ids, e);
    if (err)
        return err;
    for (int i = 0; !err && i < PQntuples(ids); i++) {
        unsigned room = webhook_room(a, PQgetvalue(ids, i, 0));
        if (room)
            err = due_of_webhook(c, a, PQgetvalue(ids, i, 0), room, e);
    }
    PQclear(ids);
    if (err)
        return err;
    if (a->n)
        qsort(a->rows, a->n, sizeof *a->rows, by_due);
    size_t take = a->n < a->limit ? a->n : a->limit;
    char lease[24], id[24];
    pg_i64(lease, a->now + a->lease_ms);
    for (size_t i = 0; !err && i < take; i++) {
        const char *p[] = {pg_i64(id, a->rows[i].id), lease};
        err = pg_query(c,
                       "UPDATE webhook_deliveries SET next_attempt_at = $2::bigint "
                       "WHERE id = $1::bigint",
                       2, p, NULL, e);
    }
    for (size_t i = take; i < a->n; i++) /* the rest stay pending, unleased */
        free(a->rows[i].payload);
    a->n = take;
    return err;
}

static sg_err pg_delivery_claim(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                                const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                                sg_delivery **out, size_t *n)
{
    delivery_claim_arg a = {.now = now,
                            .lease_ms = lease_ms,
                            .limit = limit,
                            .per_webhook = per_webhook ? per_webhook : UINT_MAX,
                            .busy = busy,
                            .n_busy = n_busy};
    *out = NULL;
    *n = 0;
    sg_err err = limit ? pg_write(pg_of(s), delivery_claim_fn, &a, NULL) : SG_OK;
    if (err) {
        sg_deliveries_free(a.rows, a.n);
        return err;
    }
    *out = a.rows;
    *n = a.n;
    return SG_OK;
}

typedef struct delivery_result_arg {
    long long id;
    sg_delivery_state state;
    int http_status;
    const char *error;
    int64_t next;
} delivery_result_arg;

static sg_err delivery_result_fn(pg_conn *c, void *arg, sg_error *e)
{
    const delivery_result_arg *a = arg;
    char id[24], status[24], next[24], now[24];
    const char *p[] = {pg_i64(id, a->id),
                       sg_delivery_state_name(a->state),
                       pg_i64(status, a->http_status),
                       a->error ? a->error : "",
                       pg_i64(next, a->next),
                       pg_i64(now, sg_time_now_ms())};
    return pg_query(c,
                    "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, "
                    "last_status = $3::integer, last_error = $4, next_attempt_at = $5::bigint, "
                    "updated_at = $6::bigint WHERE id = $1::bigint",
                    6, p, NULL, e);
}

static sg_err pg_delivery_result(sg_store *s, long long id, sg_delivery_state state,
                                 int http_status, const char *error, int64_t next_attempt_at,
                                 sg_error *e)
{
    delivery_result_arg a = {id, state, http_status, error, next_attempt_at};
    return pg_write(pg_of(s), delivery_result_fn, &a, e);
}

const sg_store_webhooks_ops pg_webhooks_ops = {
    .webhook_insert = pg_webhook_insert,
    .webhook_delete = pg_webhook_delete,
    .webhook_get = pg_webhook_get,
    .webhook_list = pg_webhook_list,
    .delivery_list = pg_delivery_list,
    .delivery_claim = pg_delivery_claim,
    .delivery_result = pg_delivery_result,
};
