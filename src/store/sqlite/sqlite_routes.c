/* Routes between providers (store.h, docs/routing.md): insert, update, delete,
 * read, list in order. A route's lists are stored as comma-separated text; its
 * providers by id. Every write renumbers the positions 1..n in order and bumps
 * the provider generation, so every server's registry snapshot (which holds the
 * routes beside the providers) loads them again within a second.
 *
 * Routes change rarely and are read when the registry reloads, so the
 * statements are prepared per call, not cached in the shared slots. */
#include "store/sqlite/sqlite_internal.h"

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

static void route_row(sqlite3_stmt *st, sg_sms_route *r)
{
    memset(r, 0, sizeof *r);
    sq_col_copy(st, 0, r->id, sizeof r->id);
    sq_col_copy(st, 1, r->name, sizeof r->name);
    r->position = sqlite3_column_int64(st, 2);
    char bad[16];
    if (!sg_country_set_parse((const char *)sqlite3_column_text(st, 3), &r->countries, bad))
        memset(&r->countries, 0, sizeof r->countries); /* written by this file: never */
    r->n_prefixes = split_csv((const char *)sqlite3_column_text(st, 4), &r->prefixes[0][0],
                              SG_ROUTE_PREFIX_MAX, SG_ROUTE_PREFIXES_MAX);
    r->n_providers = split_csv((const char *)sqlite3_column_text(st, 5), &r->providers[0][0],
                               SG_ID_MAX, SG_ROUTE_PROVIDERS_MAX);
    weights_parse((const char *)sqlite3_column_text(st, 6), r);
    if (!sg_route_strategy_parse((const char *)sqlite3_column_text(st, 7), &r->strategy))
        r->strategy = SG_ROUTE_PRIORITY;
    if (!sg_route_on_unknown_parse((const char *)sqlite3_column_text(st, 8), &r->on_unknown))
        r->on_unknown = SG_ON_UNKNOWN_RETRY;
    r->created_at = sqlite3_column_int64(st, 9);
    r->updated_at = sqlite3_column_int64(st, 10);
}

/* Bind ?1..?11 of an insert or update (ROUTE_COLS' order). */
static void route_bind(sqlite3_stmt *st, const sg_sms_route *r)
{
    char countries[SG_COUNTRY_TEXT_MAX], weights[SG_ROUTE_PROVIDERS_MAX * 8];
    char prefixes[SG_ROUTE_PREFIXES_MAX * SG_ROUTE_PREFIX_MAX];
    char providers[SG_ROUTE_PROVIDERS_MAX * SG_ID_MAX];
    sg_country_set_format(&r->countries, countries, sizeof countries);
    join_csv(&r->prefixes[0][0], SG_ROUTE_PREFIX_MAX, r->n_prefixes, prefixes, sizeof prefixes);
    join_csv(&r->providers[0][0], SG_ID_MAX, r->n_providers, providers, sizeof providers);
    weights_format(r, weights, sizeof weights);
    sq_bind_text(st, 1, r->id);
    sq_bind_text(st, 2, r->name);
    sqlite3_bind_int64(st, 3, r->position);
    sqlite3_bind_text(st, 4, countries, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, prefixes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, providers, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, weights, -1, SQLITE_TRANSIENT);
    sq_bind_text(st, 8, sg_route_strategy_name(r->strategy));
    sq_bind_text(st, 9, sg_route_on_unknown_name(r->on_unknown));
    sqlite3_bind_int64(st, 10, r->created_at);
    sqlite3_bind_int64(st, 11, r->updated_at);
}

/* ---- writes ------------------------------------------------------------------------- */

/* Give the routes positions 1..n in their order, with route id (already stored)
 * moved to position want (1-based; <= 0 or past the end: kept where it sorts, or
 * last for a new route). */
static sg_err renumber(conn *c, const char *id, int64_t want, sg_error *e)
{
    char(*ids)[SG_ID_MAX] = calloc(ROUTES_MAX, sizeof *ids);
    if (!ids)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    sg_err err = SG_OK;
    size_t n = 0, at = SIZE_MAX;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT id FROM routes ORDER BY position, updated_at, id");
    while (st && n < ROUTES_MAX && sqlite3_step(st) == SQLITE_ROW) {
        sq_col_copy(st, 0, ids[n], SG_ID_MAX);
        if (strcmp(ids[n], id) == 0)
            at = n;
        n++;
    }
    sqlite3_finalize(st);
    if (at != SIZE_MAX && want > 0) { /* take it out, put it at want */
        char moved[SG_ID_MAX];
        memcpy(moved, ids[at], SG_ID_MAX);
        memmove(ids + at, ids + at + 1, (n - at - 1) * sizeof *ids);
        size_t to = (size_t)want - 1 < n - 1 ? (size_t)want - 1 : n - 1;
        memmove(ids + to + 1, ids + to, (n - 1 - to) * sizeof *ids);
        memcpy(ids[to], moved, SG_ID_MAX);
    }
    for (size_t i = 0; i < n && !err; i++) {
        st = sq_prep_uncached(c, "UPDATE routes SET position = ?2 WHERE id = ?1 AND position != ?2");
        if (st) {
            sq_bind_text(st, 1, ids[i]);
            sqlite3_bind_int64(st, 2, (int64_t)i + 1);
        }
        err = sq_step_finalize(c, st, e, "ordering the routes");
    }
    free(ids);
    return err;
}

static sg_err generation_bump(conn *c, sg_error *e)
{
    return sq_step_finalize(c,
                     sq_prep_uncached(c, "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'"),
                     e, "bumping the provider generation");
}

typedef struct write_arg {
    const sg_sms_route *r;
    bool insert;
} write_arg;

static sg_err route_write_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const write_arg *a = arg;
    const sg_sms_route *r = a->r;
    /* a new route goes last unless a position is asked for */
    sqlite3_stmt *st =
        a->insert ? sq_prep_uncached(c, "INSERT INTO routes (" ROUTE_COLS ") VALUES (?1, ?2, "
                            "(SELECT coalesce(max(position), 0) + 1 FROM routes), "
                            "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
                  : sq_prep_uncached(c, "UPDATE routes SET name = ?2, countries = ?4, prefixes = ?5, "
                            "providers = ?6, weights = ?7, strategy = ?8, on_unknown = ?9, "
                            "updated_at = ?11 WHERE id = ?1");
    if (st)
        route_bind(st, r);
    sg_err err = sq_step_finalize(c, st, e, "storing the route");
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "name", "a route named '%s' exists already",
                            r->name);
    if (err)
        return err;
    if (!a->insert && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no route %.64s", r->id);
    err = renumber(c, r->id, r->position, e);
    return err ? err : generation_bump(c, e);
}

static sg_err sq_route_insert(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    write_arg a = {r, true};
    return sq_write_sync(s, route_write_fn, &a, e);
}

static sg_err sq_route_update(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    write_arg a = {r, false};
    return sq_write_sync(s, route_write_fn, &a, e);
}

static sg_err route_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const char *id = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM routes WHERE id = ?1");
    if (st)
        sq_bind_text(st, 1, id);
    sg_err err = sq_step_finalize(c, st, e, "deleting the route");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no route %.64s", id);
    err = renumber(c, "", 0, e);
    return err ? err : generation_bump(c, e);
}

static sg_err sq_route_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, route_delete_fn, (void *)id, e);
}

/* ---- reads -------------------------------------------------------------------------- */

static sg_err sq_route_get(sg_store *s, const char *id_or_name, sg_sms_route *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT " ROUTE_COLS " FROM routes WHERE id = ?1 OR name = ?1");
    sg_err err = SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, id_or_name);
        int rc = sqlite3_step(st);
        err = rc == SQLITE_ROW ? SG_OK : rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
        if (rc == SQLITE_ROW)
            route_row(st, out);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

static sg_err sq_route_list(sg_store *s, sg_sms_route **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT " ROUTE_COLS " FROM routes ORDER BY position, id");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    size_t cap = 0;
    int rc;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW && *n < ROUTES_MAX) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            sg_sms_route *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                err = SG_ERR_NOMEM;
                break;
            }
            *out = p;
        }
        route_row(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

const sg_store_routes_ops sq_routes_ops = {
    .route_insert = sq_route_insert,
    .route_update = sq_route_update,
    .route_delete = sq_route_delete,
    .route_get = sq_route_get,
    .route_list = sq_route_list,
};
