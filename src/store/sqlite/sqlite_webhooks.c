/* The SQLite backend, app webhooks: the events queued in the transaction of
 * their change (sq_emit), the webhooks and their deliveries. */
#include "store/sqlite/sqlite_internal.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_WEBHOOK_EVENTS "SELECT events FROM webhooks WHERE active = 1"
#define SQL_DELIVERY_INSERT                                                                        \
    "INSERT INTO webhook_deliveries (webhook_id, event, payload, state, "                          \
    "attempts, next_attempt_at, created_at, updated_at) "                                          \
    "SELECT id, ?1, ?2, 'pending', 0, ?3, ?3, ?3 FROM webhooks "                                   \
    "WHERE active = 1 AND "                                                                        \
    "instr(',' || events || ',', ',' || ?1 || ',') > 0"
#define SQL_WEBHOOK_INSERT                                                                         \
    "INSERT INTO webhooks (id, url, events, secret, active, created_at) "                          \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
#define SQL_WEBHOOK_DELETE "DELETE FROM webhooks WHERE id = ?1"
#define SQL_WEBHOOK_GET                                                                            \
    "SELECT id, url, events, secret, active, created_at FROM webhooks "                            \
    "WHERE id = ?1"
#define SQL_WEBHOOK_LIST                                                                           \
    "SELECT id, url, events, secret, active, created_at FROM webhooks "                            \
    "ORDER BY created_at, id"
#define SQL_DELIVERY_LIST                                                                          \
    "SELECT id, webhook_id, event, payload, state, attempts, last_status, "                        \
    "last_error, next_attempt_at, created_at, updated_at "                                         \
    "FROM webhook_deliveries WHERE webhook_id = ?1 AND (?2 = 0 OR id < ?2) "                       \
    "ORDER BY id DESC LIMIT ?3"
#define SQL_DELIVERY_DUE                                                                           \
    "SELECT id, webhook_id, event, payload, state, attempts, last_status, "                        \
    "last_error, next_attempt_at, created_at, updated_at "                                         \
    "FROM webhook_deliveries INDEXED BY webhook_deliveries_due_hook "                              \
    "WHERE webhook_id = ?1 AND state = 'pending' AND next_attempt_at <= ?2 "                       \
    "ORDER BY next_attempt_at LIMIT ?3"
#define SQL_DELIVERY_LEASE "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1"
#define SQL_DELIVERY_RESULT                                                                        \
    "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, "                          \
    "last_status = ?3, last_error = ?4, next_attempt_at = ?5, "                                    \
    "updated_at = ?6 WHERE id = ?1"
#define SQL_DELIVERIES_DELETE "DELETE FROM webhook_deliveries WHERE webhook_id = ?1"
#define SQL_WEBHOOK_IDS       "SELECT id FROM webhooks"

/* ---- events for app webhooks ---------------------------------------------------- */

static const char *const event_names[] = {SG_EVENT_MESSAGE_STATUS, SG_EVENT_MESSAGE_RECEIVED,
                                          SG_EVENT_OPTED_OUT, SG_EVENT_OPTED_IN,
                                          SG_EVENT_MESSAGE_MATCHED, SG_EVENT_JOURNEY_STEP};

unsigned sq_event_bit(const char *event)
{
    for (unsigned i = 0; i < sizeof event_names / sizeof event_names[0]; i++) {
        if (strcmp(event_names[i], event) == 0)
            return 1u << i;
    }
    return 0;
}

/* Which events have subscribers (writer thread; cached until webhooks change). */
unsigned sq_webhook_mask(sg_store *store, conn *c)
{
    sq_store *s = sq_of(store);
    if (s->webhook_mask_valid)
        return s->webhook_mask;
    unsigned mask = 0;
    sqlite3_stmt *st = sq_stmt_sql(c, S_WEBHOOK_EVENTS, SQL_WEBHOOK_EVENTS);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        /* ",a,b," so that every event name can be found with its commas */
        char padded[260];
        padded[0] = ',';
        sq_col_copy(st, 0, padded + 1, sizeof padded - 2);
        size_t pl = strlen(padded);
        padded[pl] = ',';
        padded[pl + 1] = '\0';
        for (unsigned i = 0; i < sizeof event_names / sizeof event_names[0]; i++) {
            char needle[48];
            snprintf(needle, sizeof needle, ",%s,", event_names[i]);
            if (strstr(padded, needle))
                mask |= 1u << i;
        }
    }
    if (st)
        sqlite3_reset(st);
    s->webhook_mask = mask;
    s->webhook_mask_valid = true;
    return mask;
}

/* Queue one delivery of event (with data, stolen) per subscribed webhook. */
sg_err sq_emit(sg_store *s, conn *c, const char *event, json_t *data, int64_t at, sg_error *e)
{
    if (!(sq_webhook_mask(s, c) & sq_event_bit(event))) {
        json_decref(data);
        return SG_OK;
    }
    char evt_id[SG_ID_MAX], when[SG_TIME_STR_MAX];
    sg_id_new("evt", at, evt_id);
    sg_time_format(at, when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "id", evt_id, "type", event, "created_at", when,
                            "data", data ? data : json_object());
    char *payload = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!payload)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building an event");
    /* One delivery per subscribed webhook, however many there are. */
    sqlite3_stmt *st = sq_stmt_sql(c, S_DELIVERY_INSERT, SQL_DELIVERY_INSERT);
    if (st) {
        sq_bind_text(st, 1, event);
        sq_bind_text(st, 2, payload);
        sqlite3_bind_int64(st, 3, at);
    }
    sg_err err = sq_step_done(c, st, e, "queueing webhook deliveries");
    free(payload);
    return err;
}

json_t *sq_opt_str(const char *v)
{
    return v && *v ? json_string(v) : json_null();
}

/* message.status for message id, read back as it is now in this transaction. */
sg_err sq_emit_message_status(sg_store *s, conn *c, const char *id, int64_t at, sg_error *e)
{
    sg_err cerr = sq_app_status_callback(c, id, at, e);
    if (cerr)
        return cerr;
    if (!(sq_webhook_mask(s, c) & sq_event_bit(SG_EVENT_MESSAGE_STATUS)))
        return SG_OK;
    sg_message m;
    if (sq_message_get_on(c, id, &m) != SG_OK)
        return SG_OK;
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data = json_object();
    json_object_set_new(data, "id", json_string(m.id));
    json_object_set_new(data, "status", json_string(sg_status_name(m.status)));
    json_object_set_new(data, "to", json_string(m.to));
    json_object_set_new(data, "from", sq_opt_str(m.from));
    json_object_set_new(data, "provider_id", sq_opt_str(m.provider_id));
    json_object_set_new(data, "provider_message_id", sq_opt_str(m.provider_message_id));
    json_object_set_new(data, "error_code", sq_opt_str(m.error_code));
    json_object_set_new(data, "error_message", sq_opt_str(m.error_message));
    json_object_set_new(data, "contact_id", sq_opt_str(m.contact_id));
    json_object_set_new(data, "at", json_string(when));
    sg_message_free(&m);
    return sq_emit(s, c, SG_EVENT_MESSAGE_STATUS, data, at, e);
}

sg_err sq_emit_consent(sg_store *s, conn *c, const char *event, const char *phone,
                       const char *source, const char *message_id, int64_t at, sg_error *e)
{
    if (!(sq_webhook_mask(s, c) & sq_event_bit(event)))
        return SG_OK;
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data = json_pack("{s:s, s:s, s:o, s:s}", "phone", phone, "source", source, "message_id",
                             sq_opt_str(message_id), "at", when);
    return sq_emit(s, c, event, data, at, e);
}

/* ---- app webhooks ---------------------------------------------------------------- */

static void webhook_row(sqlite3_stmt *st, void *out)
{
    sg_webhook *w = out;
    memset(w, 0, sizeof *w);
    sq_col_copy(st, 0, w->id, sizeof w->id);
    sq_col_copy(st, 1, w->url, sizeof w->url);
    sq_col_copy(st, 2, w->events, sizeof w->events);
    w->secret_sealed = sq_col_dup(st, 3);
    w->active = sqlite3_column_int(st, 4) != 0;
    w->created_at = sqlite3_column_int64(st, 5);
}

static sg_err webhook_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_webhook *w = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_WEBHOOK_INSERT, SQL_WEBHOOK_INSERT);
    if (st) {
        sq_bind_text(st, 1, w->id);
        sq_bind_text(st, 2, w->url);
        sq_bind_text(st, 3, w->events);
        sq_bind_text(st, 4, w->secret_sealed ? w->secret_sealed : "");
        sqlite3_bind_int(st, 5, w->active);
        sqlite3_bind_int64(st, 6, w->created_at);
    }
    sq_of(s)->webhook_mask_valid = false;
    return sq_step_done(c, st, e, "saving webhook");
}

static sg_err webhook_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_WEBHOOK_DELETE, SQL_WEBHOOK_DELETE);
    if (st)
        sq_bind_text(st, 1, arg);
    sq_of(s)->webhook_mask_valid = false;
    sg_err err = sq_step_done(c, st, e, "deleting webhook");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no webhook %s", (const char *)arg);
    /* Its deliveries go with it: nobody can list or receive them any more. */
    st = sq_stmt_sql(c, S_DELIVERIES_DELETE, SQL_DELIVERIES_DELETE);
    if (st && !err)
        sq_bind_text(st, 1, arg);
    return err ? err : sq_step_done(c, st, e, "deleting the webhook's deliveries");
}

static sg_err sq_webhook_insert(sg_store *s, const sg_webhook *w, sg_error *e)
{
    return sq_write_sync(s, webhook_insert_fn, (void *)w, e);
}

static sg_err sq_webhook_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, webhook_delete_fn, (void *)id, e);
}

static sg_err sq_webhook_get(sg_store *s, const char *id, sg_webhook *out)
{
    return sq_read_one_sql(s, S_WEBHOOK_GET, SQL_WEBHOOK_GET, id, webhook_row, out);
}

static void webhook_drop(void *w)
{
    sg_webhook_free(w);
}

static sg_err sq_webhook_list(sg_store *s, sg_webhook **out, size_t *n)
{
    return sq_read_rows_sql(s, S_WEBHOOK_LIST, SQL_WEBHOOK_LIST, NULL, NULL, webhook_row,
                            webhook_drop, sizeof **out, 0, (void **)out, n);
}

static void delivery_row(sqlite3_stmt *st, void *out)
{
    sg_delivery *d = out;
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    sq_col_copy(st, 1, d->webhook_id, sizeof d->webhook_id);
    sq_col_copy(st, 2, d->event, sizeof d->event);
    d->payload = sq_col_dup(st, 3);
    const char *state = (const char *)sqlite3_column_text(st, 4);
    for (int i = 0; i < 3; i++) {
        if (state && strcmp(state, sg_delivery_state_name((sg_delivery_state)i)) == 0)
            d->state = (sg_delivery_state)i;
    }
    d->attempts = (unsigned)sqlite3_column_int(st, 5);
    d->last_status = sqlite3_column_int(st, 6);
    sq_col_copy(st, 7, d->last_error, sizeof d->last_error);
    d->next_attempt_at = sqlite3_column_int64(st, 8);
    d->created_at = sqlite3_column_int64(st, 9);
    d->updated_at = sqlite3_column_int64(st, 10);
}

static void bind_delivery_page(sqlite3_stmt *st, const void *arg)
{
    const sq_page_args *a = arg;
    sq_bind_text(st, 1, a->text);
    sqlite3_bind_int64(st, 2, a->at);
    sqlite3_bind_int64(st, 3, (int64_t)a->limit + 1);
}

static void delivery_drop(void *d)
{
    free(((sg_delivery *)d)->payload);
}

static sg_err sq_delivery_list(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                               sg_delivery **out, size_t *n, bool *has_more)
{
    *has_more = false;
    sq_page_args a = {.text = webhook_id, .at = cursor, .limit = limit};
    sg_err err =
        sq_read_rows_sql(s, S_DELIVERY_LIST, SQL_DELIVERY_LIST, bind_delivery_page, &a,
                         delivery_row, delivery_drop, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, delivery_drop, has_more);
    return err;
}

typedef struct delivery_claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    unsigned per_webhook;
    const sg_delivery_busy *busy;
    size_t n_busy;
    sg_delivery *rows; /* the candidates, then the claimed ones first */
    size_t n, cap;
} delivery_claim_arg;

/* How many more of webhook id's deliveries the caller can take. */
static unsigned webhook_room(const delivery_claim_arg *a, const char *id)
{
    for (size_t i = 0; i < a->n_busy; i++) {
        if (strcmp(a->busy[i].webhook_id, id) == 0)
            return a->busy[i].in_flight >= a->per_webhook ? 0
                                                          : a->per_webhook - a->busy[i].in_flight;
    }
    return a->per_webhook;
}

/* Append up to room due deliveries of webhook id to the candidates. */
static sg_err due_of_webhook(conn *c, delivery_claim_arg *a, const char *id, unsigned room,
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
    sqlite3_stmt *st = sq_stmt_sql(c, S_DELIVERY_DUE, SQL_DELIVERY_DUE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, a->now);
    sqlite3_bind_int64(st, 3, room);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&a->rows[a->n], 0, sizeof *a->rows);
        delivery_row(st, &a->rows[a->n++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "reading due deliveries");
}

static int by_due(const void *x, const void *y)
{
    const sg_delivery *a = x, *b = y;
    if (a->next_attempt_at != b->next_attempt_at)
        return a->next_attempt_at < b->next_attempt_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The webhooks' ids (there are few; a claim looks at each one's due deliveries
 * through its own index range, so a long backlog of one never costs the others). */
static sg_err webhook_ids(conn *c, char (**ids)[SG_ID_MAX], size_t *n, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_WEBHOOK_IDS, SQL_WEBHOOK_IDS);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char(*grown)[SG_ID_MAX] = realloc(*ids, cap * sizeof *grown);
            if (!grown) {
                sqlite3_reset(st);
                return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
            }
            *ids = grown;
        }
        sq_col_copy(st, 0, (*ids)[(*n)++], SG_ID_MAX);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "listing webhooks");
}

static sg_err delivery_claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    delivery_claim_arg *a = arg;
    char(*ids)[SG_ID_MAX] = NULL;
    size_t n_ids = 0;
    sg_err err = webhook_ids(c, &ids, &n_ids, e);
    for (size_t i = 0; !err && i < n_ids; i++) {
        unsigned room = webhook_room(a, ids[i]);
        /* No more than the claim can take: per_webhook 0 (no bound) is UINT_MAX
         * here, which would size the candidates' array past any memory. */
        if (room > a->limit)
            room = (unsigned)a->limit;
        if (room)
            err = due_of_webhook(c, a, ids[i], room, e);
    }
    free(ids);
    if (err)
        return err;
    /* The oldest due first across webhooks; the rest stay pending, unleased. */
    if (a->n)
        qsort(a->rows, a->n, sizeof *a->rows, by_due);
    size_t take = a->n < a->limit ? a->n : a->limit;
    for (size_t i = 0; i < take; i++) {
        sqlite3_stmt *st = sq_stmt_sql(c, S_DELIVERY_LEASE, SQL_DELIVERY_LEASE);
        if (st) {
            sqlite3_bind_int64(st, 1, a->rows[i].id);
            sqlite3_bind_int64(st, 2, a->now + a->lease_ms);
        }
        if ((err = sq_step_done(c, st, e, "claiming a delivery")))
            return err;
    }
    for (size_t i = take; i < a->n; i++)
        free(a->rows[i].payload);
    a->n = take;
    return SG_OK;
}

static sg_err sq_delivery_claim(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                                const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                                sg_delivery **out, size_t *n)
{
    delivery_claim_arg a = {.now = now,
                            .lease_ms = lease_ms,
                            .limit = limit,
                            .per_webhook = per_webhook ? per_webhook : UINT_MAX,
                            .busy = busy,
                            .n_busy = n_busy};
    sg_error e = {0};
    sg_err err = sq_write_sync(s, delivery_claim_fn, &a, &e);
    if (err) {
        sg_deliveries_free(a.rows, a.n);
        *out = NULL;
        *n = 0;
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

static sg_err delivery_result_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    delivery_result_arg *a = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_DELIVERY_RESULT, SQL_DELIVERY_RESULT);
    if (st) {
        sqlite3_bind_int64(st, 1, a->id);
        sq_bind_text(st, 2, sg_delivery_state_name(a->state));
        sqlite3_bind_int(st, 3, a->http_status);
        sq_bind_text(st, 4, a->error ? a->error : "");
        sqlite3_bind_int64(st, 5, a->next);
        sqlite3_bind_int64(st, 6, sg_time_now_ms());
    }
    return sq_step_done(c, st, e, "recording a delivery attempt");
}

static sg_err sq_delivery_result(sg_store *s, long long id, sg_delivery_state state,
                                 int http_status, const char *error, int64_t next_attempt_at,
                                 sg_error *e)
{
    delivery_result_arg a = {id, state, http_status, error, next_attempt_at};
    return sq_write_sync(s, delivery_result_fn, &a, e);
}

const sg_store_webhooks_ops sq_webhooks_ops = {
    .webhook_insert = sq_webhook_insert,
    .webhook_delete = sq_webhook_delete,
    .webhook_get = sq_webhook_get,
    .webhook_list = sq_webhook_list,
    .delivery_list = sq_delivery_list,
    .delivery_claim = sq_delivery_claim,
    .delivery_result = sq_delivery_result,
};
