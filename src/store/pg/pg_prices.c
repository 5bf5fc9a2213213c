/* The PostgreSQL backend, provider prices and provider events (store.h,
 * "provider prices and provider events"): the same rules as
 * store/sqlite/sqlite_prices.c. A price list is replaced whole in one
 * transaction with the provider generation bumped (the registry's snapshots
 * carry the prices); a provider event is a queued write (the dispatcher never
 * waits for it). */
#include "core/phone.h"
#include "store/pg/pg_store.h"
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

static sg_err prices_set_fn(pg_conn *c, void *arg, sg_error *e)
{
    const prices_set_arg *a = arg;
    const char *id[] = {a->provider_id};
    PGresult *r;
    /* the provider's row locked: a delete of it waits for this list */
    sg_err err = pg_query(c, "SELECT 1 FROM providers WHERE id = $1 FOR SHARE", 1, id, &r, e);
    if (err)
        return err;
    bool found = PQntuples(r) > 0;
    PQclear(r);
    if (!found)
        return sg_error_set(e, SG_ERR_NOT_FOUND, "id", "no provider with id '%s'", a->provider_id);
    if ((err = pg_query(c, "DELETE FROM provider_prices WHERE provider_id = $1", 1, id, NULL, e)))
        return err;
    for (size_t i = 0; i < a->n && !err; i++) {
        char micros[24];
        const char *p[] = {a->provider_id, a->rows[i].country, pg_i64(micros, a->rows[i].micros),
                           a->rows[i].currency};
        err = pg_query(c,
                       "INSERT INTO provider_prices (provider_id, country, price_micros, "
                       "currency) VALUES ($1, $2, $3::bigint, $4)",
                       4, p, NULL, e);
    }
    if (!err)
        err = pg_query(c, "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'", 0,
                       NULL, NULL, e);
    return err;
}

static sg_err pg_prices_set(sg_store *s, const char *provider_id, const sg_price *rows, size_t n,
                            sg_error *e)
{
    prices_set_arg a = {provider_id, rows, n};
    return pg_write(pg_of(s), prices_set_fn, &a, e);
}

static void price_row(const PGresult *r, int i, sg_price *p)
{
    memset(p, 0, sizeof *p);
    pg_col_copy(r, i, 0, p->country, sizeof p->country);
    p->micros = pg_col_i64(r, i, 1);
    pg_col_copy(r, i, 2, p->currency, sizeof p->currency);
}

static sg_err pg_prices_list(sg_store *s, const char *provider_id, sg_price **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *p[] = {provider_id};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT country, price_micros, currency FROM provider_prices "
                         "WHERE provider_id = $1 ORDER BY country",
                         1, p, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++)
        price_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static sg_err pg_price_get(sg_store *s, const char *provider_id, const char *country, sg_price *out)
{
    const char *p[] = {provider_id, country};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT country, price_micros, currency FROM provider_prices "
                         "WHERE provider_id = $1 AND country = $2",
                         2, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        price_row(r, 0, out);
    PQclear(r);
    return err;
}

/* ---- cost ---------------------------------------------------------------------------- */

/* The price of provider's messages to country in book (every provider's prices,
 * read once per estimate: provider_id in column 3), or NULL. */
static const sg_price *book_find(const PGresult *book, const sg_price *prices, const char *provider,
                                 const char *country)
{
    for (int i = 0; i < PQntuples(book); i++)
        if (strcmp(prices[i].country, country) == 0 &&
            strcmp(PQgetvalue(book, i, 3), provider) == 0)
            return &prices[i];
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

typedef struct costs_arg {
    int64_t from, to;
    cost_acc acc;
} costs_arg;

/* The price book and the messages grouped by provider and the first 6 digits of
 * the number (the group's lowest number tells the country, sg_phone_region),
 * read in one snapshot. */
static sg_err costs_fn(pg_conn *c, void *arg, sg_error *e)
{
    costs_arg *a = arg;
    PGresult *book = NULL, *r = NULL;
    sg_price *prices = NULL;
    sg_err err = pg_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", e);
    if (!err)
        err =
            pg_query(c, "SELECT country, price_micros, currency, provider_id FROM provider_prices",
                     0, NULL, &book, e);
    if (err)
        goto out;
    int nb = PQntuples(book);
    if (!(prices = calloc(nb ? (size_t)nb : 1, sizeof *prices))) {
        err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    for (int i = 0; i < nb; i++)
        price_row(book, i, &prices[i]);
    char from[24], to[24];
    const char *p[] = {pg_i64(from, a->from), pg_i64(to, a->to ? a->to : INT64_MAX)};
    err = pg_query(c,
                   "SELECT provider_id, min(to_number), count(*), sum(segments) "
                   "FROM messages WHERE direction = 'outbound' AND created_at >= $1::bigint "
                   "AND created_at < $2::bigint AND status IN ('sent', 'delivered', "
                   "'undelivered') GROUP BY provider_id, substr(to_number, 1, 7)",
                   2, p, &r, e);
    for (int i = 0; !err && i < PQntuples(r); i++) {
        char region[3];
        const char *provider = PQgetvalue(r, i, 0);
        const sg_price *price = sg_phone_region(PQgetvalue(r, i, 1), region)
                                    ? book_find(book, prices, provider, region)
                                    : NULL;
        if (cost_add(&a->acc, provider, price, pg_col_i64(r, i, 2), pg_col_i64(r, i, 3)))
            err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
out:
    PQclear(book);
    PQclear(r);
    free(prices);
    return err;
}

static sg_err pg_price_costs(sg_store *s, int64_t from, int64_t to, sg_price_cost **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    costs_arg a = {.from = from, .to = to};
    sg_err err = pg_read_tx(pg_of(s), costs_fn, &a, NULL);
    if (err) {
        free(a.acc.rows);
        return err;
    }
    if (a.acc.n)
        qsort(a.acc.rows, a.acc.n, sizeof *a.acc.rows, cost_cmp);
    *out = a.acc.rows;
    *n = a.acc.n;
    return SG_OK;
}

/* ---- provider events ------------------------------------------------------------------- */

typedef struct event_job {
    pg_job base;
    sg_provider_event ev;
} event_job;

static sg_err event_run(pg_conn *c, pg_job *j)
{
    const sg_provider_event *ev = &((event_job *)j)->ev;
    char at[24];
    const char *p[] = {ev->provider_id, pg_i64(at, ev->at), ev->type, ev->detail};
    return pg_query(c,
                    "INSERT INTO provider_events (provider_id, at, type, detail) "
                    "VALUES ($1, $2::bigint, $3, $4)",
                    4, p, NULL, &j->error);
}

static void event_complete(pg_job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "provider_event_lost", "provider=%s type=%s error=\"%s\"",
               ((event_job *)j)->ev.provider_id, ((event_job *)j)->ev.type,
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

static sg_err pg_provider_event_add(sg_store *s, const sg_provider_event *ev)
{
    event_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = event_run;
    t->base.complete = event_complete;
    t->ev = *ev;
    sg_err err = pg_submit(pg_of(s), &t->base);
    if (err)
        free(t);
    return err;
}

static sg_err pg_provider_events_list(sg_store *s, const char *provider_id, size_t limit,
                                      sg_provider_event **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    char lim[24];
    const char *p[] = {provider_id, pg_i64(lim, (int64_t)limit)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, provider_id, at, type, detail FROM provider_events "
                         "WHERE provider_id = $1 ORDER BY id DESC LIMIT $2::bigint",
                         2, p, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        sg_provider_event *ev = &(*out)[i];
        ev->id = pg_col_i64(r, i, 0);
        pg_col_copy(r, i, 1, ev->provider_id, sizeof ev->provider_id);
        ev->at = pg_col_i64(r, i, 2);
        pg_col_copy(r, i, 3, ev->type, sizeof ev->type);
        pg_col_copy(r, i, 4, ev->detail, sizeof ev->detail);
    }
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

const sg_store_prices_ops pg_prices_ops = {
    .prices_set = pg_prices_set,
    .prices_list = pg_prices_list,
    .price_get = pg_price_get,
    .price_costs = pg_price_costs,
    .provider_event_add = pg_provider_event_add,
    .provider_events_list = pg_provider_events_list,
};
