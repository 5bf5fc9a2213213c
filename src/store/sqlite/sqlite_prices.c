/* The SQLite backend, provider prices and provider events (store.h, "provider
 * prices and provider events"; its table sq_prices_ops at the end). Statements are prepared per
 * call: these are administrative reads and rare writes, not the send path. */
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Grow *rows (elements of size elem) to hold one more; false when out of memory. */
static bool grow(void **rows, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*rows, ncap * elem);
    if (!p)
        return false;
    *rows = p;
    *cap = ncap;
    return true;
}

/* ---- prices ------------------------------------------------------------------------ */

typedef struct prices_set_arg {
    const char *provider_id;
    const sg_price *rows;
    size_t n;
} prices_set_arg;

static sg_err provider_exists(conn *c, const char *id, sg_error *e)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT 1 FROM providers WHERE id = ?1");
    if (!st)
        return sq_db_error(c->db, sqlite3_errcode(c->db), e, "reading the provider");
    sq_bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return SG_OK;
    if (rc == SQLITE_DONE)
        return sg_error_set(e, SG_ERR_NOT_FOUND, "id", "no provider with id '%s'", id);
    return sq_db_error(c->db, rc, e, "reading the provider");
}

static sg_err prices_set_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const prices_set_arg *a = arg;
    sg_err err = provider_exists(c, a->provider_id, e);
    if (err)
        return err;
    sqlite3_stmt *del = sq_prep_uncached(c, "DELETE FROM provider_prices WHERE provider_id = ?1");
    if (del)
        sq_bind_text(del, 1, a->provider_id);
    if ((err = sq_step_finalize(c, del, e, "replacing the prices")))
        return err;
    for (size_t i = 0; i < a->n && !err; i++) {
        sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO provider_prices (provider_id, country, "
                                   "price_micros, currency) VALUES (?1, ?2, ?3, ?4)");
        if (st) {
            sq_bind_text(st, 1, a->provider_id);
            sq_bind_text(st, 2, a->rows[i].country);
            sqlite3_bind_int64(st, 3, a->rows[i].micros);
            sq_bind_text(st, 4, a->rows[i].currency);
        }
        err = sq_step_finalize(c, st, e, "storing a price");
    }
    /* the registry's snapshots carry the prices (route choice's `cheapest`): a new
     * list is a new provider generation, as a provider change is */
    if (!err)
        err = sq_step_finalize(c, sq_prep_uncached(c, "UPDATE meta SET value = value + 1 "
                                   "WHERE key = 'provider_generation'"),
                        e, "marking the providers changed");
    return err;
}

static sg_err sq_prices_set(sg_store *s, const char *provider_id, const sg_price *rows, size_t n,
                            sg_error *e)
{
    prices_set_arg a = {provider_id, rows, n};
    return sq_write_sync(s, prices_set_fn, &a, e);
}

static void price_row(sqlite3_stmt *st, sg_price *p)
{
    memset(p, 0, sizeof *p);
    sq_col_copy(st, 0, p->country, sizeof p->country);
    p->micros = sqlite3_column_int64(st, 1);
    sq_col_copy(st, 2, p->currency, sizeof p->currency);
}

static sg_err sq_prices_list(sg_store *s, const char *provider_id, sg_price **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT country, price_micros, currency FROM provider_prices "
                               "WHERE provider_id = ?1 ORDER BY country");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    if (st)
        sq_bind_text(st, 1, provider_id);
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)out, *n, &cap, sizeof **out))
            err = SG_ERR_NOMEM;
        else
            price_row(st, &(*out)[(*n)++]);
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

static sg_err sq_price_get(sg_store *s, const char *provider_id, const char *country, sg_price *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT country, price_micros, currency FROM provider_prices "
                               "WHERE provider_id = ?1 AND country = ?2");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, provider_id);
        sq_bind_text(st, 2, country);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            price_row(st, out);
        else
            err = rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

/* ---- cost ---------------------------------------------------------------------------- */

/* Every provider's prices, read once per cost estimate. */
typedef struct price_book {
    char (*provider)[SG_ID_MAX];
    sg_price *p;
    size_t n, cap;
} price_book;

static sg_err book_load(conn *c, price_book *b)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT country, price_micros, currency, provider_id FROM "
                               "provider_prices");
    if (!st)
        return SG_ERR_DB;
    sg_err err = SG_OK;
    int rc;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        size_t cap = b->cap;
        if (!grow((void **)&b->p, b->n, &cap, sizeof *b->p) ||
            !grow((void **)&b->provider, b->n, &b->cap, sizeof *b->provider)) {
            err = SG_ERR_NOMEM;
            break;
        }
        price_row(st, &b->p[b->n]);
        sq_col_copy(st, 3, b->provider[b->n], sizeof b->provider[b->n]);
        b->n++;
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    return err;
}

static const sg_price *book_find(const price_book *b, const char *provider, const char *country)
{
    for (size_t i = 0; i < b->n; i++)
        if (strcmp(b->p[i].country, country) == 0 && strcmp(b->provider[i], provider) == 0)
            return &b->p[i];
    return NULL;
}

typedef struct cost_acc {
    sg_price_cost *rows;
    size_t n, cap;
} cost_acc;

/* Add messages/segments (at price p, or unpriced when p is NULL) to provider's row. */
static sg_err cost_add(cost_acc *a, const char *provider, const sg_price *p, int64_t messages,
                       int64_t segments)
{
    const char *cur = p ? p->currency : "";
    sg_price_cost *r = NULL;
    for (size_t i = 0; i < a->n && !r; i++)
        if (strcmp(a->rows[i].provider_id, provider) == 0 && strcmp(a->rows[i].currency, cur) == 0)
            r = &a->rows[i];
    if (!r) {
        if (!grow((void **)&a->rows, a->n, &a->cap, sizeof *a->rows))
            return SG_ERR_NOMEM;
        r = &a->rows[a->n++];
        memset(r, 0, sizeof *r);
        snprintf(r->provider_id, sizeof r->provider_id, "%s", provider);
        snprintf(r->currency, sizeof r->currency, "%s", cur);
    }
    r->messages += messages;
    r->segments += segments;
    if (p)
        r->micros += segments * p->micros;
    return SG_OK;
}

static int cost_cmp(const void *a, const void *b)
{
    const sg_price_cost *x = a, *y = b;
    int c = strcmp(x->provider_id, y->provider_id);
    return c ? c : strcmp(x->currency, y->currency);
}

/* Messages grouped by provider and the first 6 digits of the number: the group's
 * lowest number tells the country (sg_phone_region). */
static sg_err costs_read(conn *c, int64_t from, int64_t to, const price_book *b, cost_acc *a)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT provider_id, min(to_number), count(*), sum(segments) "
                               "FROM messages WHERE direction = 'outbound' AND created_at >= ?1 "
                               "AND created_at < ?2 AND status IN ('sent', 'delivered', "
                               "'undelivered') GROUP BY provider_id, substr(to_number, 1, 7)");
    if (!st)
        return SG_ERR_DB;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to ? to : INT64_MAX);
    sg_err err = SG_OK;
    int rc;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char provider[SG_ID_MAX], number[SG_PHONE_MAX], region[3];
        sq_col_copy(st, 0, provider, sizeof provider);
        sq_col_copy(st, 1, number, sizeof number);
        const sg_price *p = sg_phone_region(number, region) ? book_find(b, provider, region) : NULL;
        err = cost_add(a, provider, p, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    return err;
}

static sg_err sq_price_costs(sg_store *s, int64_t from, int64_t to, sg_price_cost **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    price_book b = {0};
    cost_acc a = {0};
    sg_err err = book_load(c, &b);
    if (!err)
        err = costs_read(c, from, to, &b, &a);
    sq_reader_release(s, c);
    free(b.p);
    free(b.provider);
    if (err) {
        free(a.rows);
        return err;
    }
    if (a.n)
        qsort(a.rows, a.n, sizeof *a.rows, cost_cmp);
    *out = a.rows;
    *n = a.n;
    return SG_OK;
}

/* ---- provider events ------------------------------------------------------------------- */

typedef struct event_job {
    job base;
    sg_provider_event ev;
} event_job;

static sg_err event_run(sg_store *s, conn *c, job *j)
{
    (void)s;
    const sg_provider_event *ev = &((event_job *)j)->ev;
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO provider_events (provider_id, at, type, detail) "
                               "VALUES (?1, ?2, ?3, ?4)");
    if (st) {
        sq_bind_text(st, 1, ev->provider_id);
        sqlite3_bind_int64(st, 2, ev->at);
        sq_bind_text(st, 3, ev->type);
        sq_bind_text(st, 4, ev->detail);
    }
    return sq_step_finalize(c, st, &j->error, "recording a provider event");
}

static void event_complete(job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "provider_event_lost", "provider=%s type=%s error=\"%s\"",
               ((event_job *)j)->ev.provider_id, ((event_job *)j)->ev.type,
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

static sg_err sq_provider_event_add(sg_store *s, const sg_provider_event *ev)
{
    event_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = event_run;
    t->base.complete = event_complete;
    t->ev = *ev;
    sg_err err = sq_submit(s, &t->base);
    if (err)
        free(t);
    return err;
}

static sg_err sq_provider_events_list(sg_store *s, const char *provider_id, size_t limit,
                                      sg_provider_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT id, provider_id, at, type, detail FROM provider_events "
                               "WHERE provider_id = ?1 ORDER BY id DESC LIMIT ?2");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    size_t cap = 0;
    int rc = SQLITE_DONE;
    if (st) {
        sq_bind_text(st, 1, provider_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    }
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (!grow((void **)out, *n, &cap, sizeof **out)) {
            err = SG_ERR_NOMEM;
            break;
        }
        sg_provider_event *ev = &(*out)[(*n)++];
        memset(ev, 0, sizeof *ev);
        ev->id = sqlite3_column_int64(st, 0);
        sq_col_copy(st, 1, ev->provider_id, sizeof ev->provider_id);
        ev->at = sqlite3_column_int64(st, 2);
        sq_col_copy(st, 3, ev->type, sizeof ev->type);
        sq_col_copy(st, 4, ev->detail, sizeof ev->detail);
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

const sg_store_prices_ops sq_prices_ops = {
    .prices_set = sq_prices_set,
    .prices_list = sq_prices_list,
    .price_get = sq_price_get,
    .price_costs = sq_price_costs,
    .provider_event_add = sq_provider_event_add,
    .provider_events_list = sq_provider_events_list,
};
