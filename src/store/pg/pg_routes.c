/* The PostgreSQL backend, routes between providers (store.h, docs/routing.md):
 * the same rules as store/sqlite/sqlite_routes.c. A route's lists are stored as
 * comma-separated text, its providers by id; every write renumbers the
 * positions 1..n in order and bumps the provider generation in its
 * transaction, so every node's registry loads the routes again within a
 * second. Two nodes writing routes at once are ordered by the lock every write
 * takes on the routes table (SHARE ROW EXCLUSIVE, held to the commit: reads go
 * on), so the positions they number never interleave. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTE_COLS                                                                                 \
    "id, name, position, countries, prefixes, providers, weights, strategy, on_unknown, "          \
    "created_at, updated_at"
#define ROUTES_MAX 1000 /* far more than anyone orders by hand */

/* ---- lists as text ------------------------------------------------------------------ */

/* Split "a,b,c" into at most max items of cap bytes each; returns how many. */
static size_t split_csv(const char *text, char *items, size_t cap, size_t max)
{
    size_t n = 0;
    for (const char *p = text ? text : ""; *p && n < max;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len && len < cap) {
            memcpy(items + n * cap, p, len);
            items[n * cap + len] = '\0';
            n++;
        }
        p += len + (comma ? 1 : 0);
    }
    return n;
}

/* Join n items of cap bytes each with commas into out (truncated at outcap). */
static void join_csv(const char *items, size_t cap, size_t n, char *out, size_t outcap)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len < outcap; i++)
        len += (size_t)snprintf(out + len, outcap - len, "%s%s", i ? "," : "", items + i * cap);
}

static void weights_format(const sg_sms_route *r, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = '\0';
    if (r->strategy != SG_ROUTE_WEIGHTED)
        return;
    for (size_t i = 0; i < r->n_providers && len < cap; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%u", i ? "," : "", r->weights[i]);
}

static void weights_parse(const char *text, sg_sms_route *r)
{
    const char *p = text ? text : "";
    for (size_t i = 0; i < r->n_providers; i++) {
        r->weights[i] = 1;
        if (*p) {
            char *end;
            unsigned long v = strtoul(p, &end, 10);
            r->weights[i] = v > SG_ROUTE_WEIGHT_MAX ? SG_ROUTE_WEIGHT_MAX : (unsigned)v;
            p = *end == ',' ? end + 1 : end;
        }
    }
}

static void route_row(const PGresult *res, int i, sg_sms_route *r)
{
    memset(r, 0, sizeof *r);
    pg_col_copy(res, i, 0, r->id, sizeof r->id);
    pg_col_copy(res, i, 1, r->name, sizeof r->name);
    r->position = pg_col_i64(res, i, 2);
    char bad[16];
    if (!sg_country_set_parse(PQgetvalue(res, i, 3), &r->countries, bad))
        memset(&r->countries, 0, sizeof r->countries); /* written by this file: never */
    r->n_prefixes = split_csv(PQgetvalue(res, i, 4), &r->prefixes[0][0], SG_ROUTE_PREFIX_MAX,
                              SG_ROUTE_PREFIXES_MAX);
    r->n_providers =
        split_csv(PQgetvalue(res, i, 5), &r->providers[0][0], SG_ID_MAX, SG_ROUTE_PROVIDERS_MAX);
    weights_parse(PQgetvalue(res, i, 6), r);
    if (!sg_route_strategy_parse(PQgetvalue(res, i, 7), &r->strategy))
        r->strategy = SG_ROUTE_PRIORITY;
    if (!sg_route_on_unknown_parse(PQgetvalue(res, i, 8), &r->on_unknown))
        r->on_unknown = SG_ON_UNKNOWN_RETRY;
    r->created_at = pg_col_i64(res, i, 9);
    r->updated_at = pg_col_i64(res, i, 10);
}

/* ---- writes ------------------------------------------------------------------------- */

/* Give the routes positions 1..n in their order, with route id (already stored)
 * moved to position want (1-based; <= 0 or past the end: kept where it sorts, or
 * last for a new route). */
static sg_err renumber(pg_conn *c, const char *id, int64_t want, sg_error *e)
{
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT id FROM routes ORDER BY position, updated_at, id", 0, NULL, &r, e);
    if (err)
        return err;
    int rows = PQntuples(r);
    size_t n = rows > ROUTES_MAX ? ROUTES_MAX : (size_t)rows;
    char(*ids)[SG_ID_MAX] = calloc(n ? n : 1, sizeof *ids);
    if (!ids) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    size_t at = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        pg_col_copy(r, (int)i, 0, ids[i], SG_ID_MAX);
        if (strcmp(ids[i], id) == 0)
            at = i;
    }
    PQclear(r);
    if (at != SIZE_MAX && want > 0) { /* take it out, put it at want */
        char moved[SG_ID_MAX];
        memcpy(moved, ids[at], SG_ID_MAX);
        memmove(ids + at, ids + at + 1, (n - at - 1) * sizeof *ids);
        size_t to = (size_t)want - 1 < n - 1 ? (size_t)want - 1 : n - 1;
        memmove(ids + to + 1, ids + to, (n - 1 - to) * sizeof *ids);
        memcpy(ids[to], moved, SG_ID_MAX);
    }
    for (size_t i = 0; i < n && !err; i++) {
        char pos[24];
        const char *p[] = {ids[i], pg_i64(pos, (int64_t)i + 1)};
        err = pg_query(c,
                       "UPDATE routes SET position = $2::integer "
                       "WHERE id = $1 AND position <> $2::integer",
                       2, p, NULL, e);
    }
    free(ids);
    return err;
}

static sg_err generation_bump(pg_conn *c, sg_error *e)
{
    return pg_query(c, "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'", 0,
                    NULL, NULL, e);
}

/* Every write of routes takes this lock first: route writes of all nodes
 * happen one at a time (the renumbering reads every position). */
static sg_err routes_lock(pg_conn *c, sg_error *e)
{
    return pg_query(c, "LOCK TABLE routes IN SHARE ROW EXCLUSIVE MODE", 0, NULL, NULL, e);
}

typedef struct write_arg {
    const sg_sms_route *r;
    bool insert;
} write_arg;

static sg_err route_write_fn(pg_conn *c, void *arg, sg_error *e)
{
    const write_arg *a = arg;
    const sg_sms_route *r = a->r;
    char countries[SG_COUNTRY_TEXT_MAX], weights[SG_ROUTE_PROVIDERS_MAX * 8];
    char prefixes[SG_ROUTE_PREFIXES_MAX * SG_ROUTE_PREFIX_MAX];
    char providers[SG_ROUTE_PROVIDERS_MAX * SG_ID_MAX];
    char created[24], updated[24];
    sg_country_set_format(&r->countries, countries, sizeof countries);
    join_csv(&r->prefixes[0][0], SG_ROUTE_PREFIX_MAX, r->n_prefixes, prefixes, sizeof prefixes);
    join_csv(&r->providers[0][0], SG_ID_MAX, r->n_providers, providers, sizeof providers);
    weights_format(r, weights, sizeof weights);
    const char *p[] = {r->id,
                       r->name,
                       countries,
                       prefixes,
                       providers,
                       weights,
                       sg_route_strategy_name(r->strategy),
                       sg_route_on_unknown_name(r->on_unknown),
                       pg_i64(created, r->created_at),
                       pg_i64(updated, r->updated_at)};
    sg_err err = routes_lock(c, e);
    if (err)
        return err;
    /* a new route goes last unless a position is asked for; an update does
     * not change created_at ($9 only typed, so that both take ten parameters) */
    PGresult *res;
    err = pg_query(c,
                   a->insert ? "INSERT INTO routes (" ROUTE_COLS ") VALUES ($1, $2, "
                               "(SELECT coalesce(max(position), 0) + 1 FROM routes), "
                               "$3, $4, $5, $6, $7, $8, $9::bigint, $10::bigint)"
                             : "UPDATE routes SET name = $2, countries = $3, prefixes = $4, "
                               "providers = $5, weights = $6, strategy = $7, on_unknown = $8, "
                               "updated_at = $10::bigint WHERE id = $1 AND $9::bigint IS NOT NULL",
                   10, p, &res, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "name", "a route named '%s' exists already",
                            r->name);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    if (!a->insert && !changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no route %.64s", r->id);
    err = renumber(c, r->id, r->position, e);
    return err ? err : generation_bump(c, e);
}

static sg_err pg_route_insert(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    write_arg a = {r, true};
    return pg_write(pg_of(s), route_write_fn, &a, e);
}

static sg_err pg_route_update(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    write_arg a = {r, false};
    return pg_write(pg_of(s), route_write_fn, &a, e);
}

static sg_err route_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *id = arg;
    const char *p[] = {id};
    sg_err err = routes_lock(c, e);
    PGresult *r;
    if (!err)
        err = pg_query(c, "DELETE FROM routes WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no route %.64s", id);
    err = renumber(c, "", 0, e);
    return err ? err : generation_bump(c, e);
}

static sg_err pg_route_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), route_delete_fn, (void *)id, e);
}

/* ---- reads -------------------------------------------------------------------------- */

static sg_err pg_route_get(sg_store *s, const char *id_or_name, sg_sms_route *out)
{
    const char *p[] = {id_or_name};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT " ROUTE_COLS " FROM routes WHERE id = $1 OR name = $1",
                         1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) >= 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        route_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_route_list(sg_store *s, sg_sms_route **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char lim[24];
    const char *p[] = {pg_i64(lim, ROUTES_MAX)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT " ROUTE_COLS " FROM routes ORDER BY position, id "
                         "LIMIT $1::bigint",
                         1, p, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++)
        route_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

const sg_store_routes_ops pg_routes_ops = {
    .route_insert = pg_route_insert,
    .route_update = pg_route_update,
    .route_delete = pg_route_delete,
    .route_get = pg_route_get,
    .route_list = pg_route_list,
};
