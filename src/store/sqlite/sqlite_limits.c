/* The SQLite backend, send limits: the countries and daily quota of an API key
 * (columns of api_keys, written here and read with the key by sg_store_key_get)
 * and the per-day counts of the quota (key_usage). Rare statements, prepared per
 * call rather than cached. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct limits_arg {
    const char *id;
    const sg_key_limits *l;
} limits_arg;

static sg_err limits_set_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const limits_arg *a = arg;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        c->db, "UPDATE api_keys SET countries = ?2, daily_quota = ?3 WHERE id = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_db_error(c->db, rc, e, "preparing");
    sq_bind_text(st, 1, a->id);
    sq_bind_text(st, 2, a->l->countries);
    sqlite3_bind_int64(st, 3, a->l->daily_quota);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_db_error(c->db, rc, e, "setting the key's limits");
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %s", a->id);
    return sq_keys_bump(c, e);
}

static sg_err sq_key_limits_set(sg_store *s, const char *id, const sg_key_limits *l, sg_error *e)
{
    limits_arg a = {id, l};
    return sq_write_sync(s, limits_set_fn, &a, e);
}

/* One row of a read-only query: sql with ?1 = text and ?2 = integer, row() reads
 * the first row. SG_ERR_NOT_FOUND when there is none. */
static sg_err read_one(sg_store *s, const char *sql, const char *text, int64_t integer,
                       void (*row)(sqlite3_stmt *st, void *out), void *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = NULL;
    sg_err err = SG_ERR_DB;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sq_bind_text(st, 1, text);
        sqlite3_bind_int64(st, 2, integer);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            row(st, out);
        err = rc == SQLITE_ROW ? SG_OK : rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

static void usage_row(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

static sg_err sq_key_usage_get(sg_store *s, const char *key_id, int64_t day, int64_t *sent)
{
    *sent = 0;
    sg_err err = read_one(s, "SELECT sent FROM key_usage WHERE key_id = ?1 AND day = ?2", key_id,
                          day, usage_row, sent);
    return err == SG_ERR_NOT_FOUND ? SG_OK : err;
}

typedef struct usage_arg {
    const sg_key_usage *rows;
    size_t n;
} usage_arg;

static sg_err usage_put_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const usage_arg *a = arg;
    sqlite3_stmt *st = NULL, *del = NULL;
    int rc = sqlite3_prepare_v2(c->db,
                                "INSERT INTO key_usage (key_id, day, sent) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT (key_id, day) DO UPDATE SET sent = max(sent, ?3)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(c->db, "DELETE FROM key_usage WHERE day < ?1", -1, &del, NULL);
    int64_t oldest = a->n ? a->rows[0].day : 0;
    for (size_t i = 0; rc == SQLITE_OK && i < a->n; i++) {
        sq_bind_text(st, 1, a->rows[i].key_id);
        sqlite3_bind_int64(st, 2, a->rows[i].day);
        sqlite3_bind_int64(st, 3, a->rows[i].sent);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
        sqlite3_reset(st);
        oldest = a->rows[i].day < oldest ? a->rows[i].day : oldest;
    }
    if (rc == SQLITE_OK && a->n) { /* yesterday is kept: a late flush may still name it */
        sqlite3_bind_int64(del, 1, oldest - 1);
        rc = sqlite3_step(del);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(del);
    return rc == SQLITE_OK ? SG_OK : sq_db_error(c->db, rc, e, "storing send counts");
}

static sg_err sq_key_usage_put(sg_store *s, const sg_key_usage *rows, size_t n, sg_error *e)
{
    usage_arg a = {rows, n};
    return sq_write_sync(s, usage_put_fn, &a, e);
}

const sg_store_limits_ops sq_limits_ops = {
    .key_limits_set = sq_key_limits_set,
    .key_usage_get = sq_key_usage_get,
    .key_usage_put = sq_key_usage_put,
};
