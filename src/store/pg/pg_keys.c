/* The PostgreSQL backend, API keys and their send limits: rows, revocation, the
 * keys generation every server's auth cache polls (bumped in the same
 * transaction as a revocation or a change of limits), last use (a queued
 * write), and the per-day counts of the daily quota. The same statements as
 * store/sqlite/sqlite_keys.c and sqlite_limits.c. */
#include "store/pg/pg_store.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_KEYS_BUMP "UPDATE meta SET value = value + 1 WHERE key = 'keys_generation'"

/* ---- keys --------------------------------------------------------------------------- */

static sg_err key_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_api_key *k = arg;
    char at[24];
    const char *p[] = {k->id, k->name, k->role, k->secret_hash, pg_i64(at, k->created_at)};
    return pg_query(c,
                    "INSERT INTO api_keys (id, name, role, secret_hash, created_at) "
                    "VALUES ($1, $2, $3, $4, $5::bigint)",
                    5, p, NULL, e);
}

static sg_err pg_key_insert(sg_store *s, const sg_api_key *k, sg_error *e)
{
    return pg_write(pg_of(s), key_insert_fn, (void *)k, e);
}

static sg_err pg_key_get(sg_store *s, const char *id, sg_api_key *out)
{
    PGresult *r;
    const char *p[] = {id};
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, name, role, secret_hash, created_at, countries, daily_quota "
                         "FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
                         1, p, &r, NULL);
    if (err)
        return err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SG_ERR_NOT_FOUND;
    }
    memset(out, 0, sizeof *out);
    pg_col_copy(r, 0, 0, out->id, sizeof out->id);
    pg_col_copy(r, 0, 1, out->name, sizeof out->name);
    pg_col_copy(r, 0, 2, out->role, sizeof out->role);
    pg_col_copy(r, 0, 3, out->secret_hash, sizeof out->secret_hash);
    out->created_at = pg_col_i64(r, 0, 4);
    pg_col_copy(r, 0, 5, out->countries, sizeof out->countries);
    out->daily_quota = pg_col_i64(r, 0, 6);
    PQclear(r);
    return SG_OK;
}

static sg_err pg_key_list(sg_store *s, sg_api_key **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, name, role, created_at, coalesce(last_used_at, 0) "
                         "FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at, id",
                         0, NULL, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        sg_api_key *k = &(*out)[i];
        pg_col_copy(r, i, 0, k->id, sizeof k->id);
        pg_col_copy(r, i, 1, k->name, sizeof k->name);
        pg_col_copy(r, i, 2, k->role, sizeof k->role);
        k->created_at = pg_col_i64(r, i, 3);
        k->last_used_at = pg_col_i64(r, i, 4);
    }
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

typedef struct revoke_arg {
    const char *id;
    int64_t at;
} revoke_arg;

static sg_err key_revoke_fn(pg_conn *c, void *arg, sg_error *e)
{
    const revoke_arg *a = arg;
    char at[24];
    const char *p[] = {a->id, pg_i64(at, a->at)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "UPDATE api_keys SET revoked_at = $2::bigint "
                          "WHERE id = $1 AND revoked_at IS NULL",
                          2, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %.64s", a->id);
    return pg_query(c, SQL_KEYS_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_key_revoke(sg_store *s, const char *id, int64_t at, sg_error *e)
{
    revoke_arg a = {id, at};
    return pg_write(pg_of(s), key_revoke_fn, &a, e);
}

/* One integer from meta. */
static sg_err meta_value(sg_store *s, const char *key, int64_t *v)
{
    PGresult *r;
    const char *p[] = {key};
    sg_err err = pg_read(pg_of(s), "SELECT value FROM meta WHERE key = $1", 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_DB;
    if (!err)
        *v = pg_col_i64(r, 0, 0);
    PQclear(r);
    return err;
}

static sg_err pg_keys_generation(sg_store *s, int64_t *gen)
{
    return meta_value(s, "keys_generation", gen);
}

typedef struct touch_job {
    pg_job base;
    char id[SG_ID_MAX];
    int64_t at;
} touch_job;

static sg_err touch_run(pg_conn *c, pg_job *j)
{
    touch_job *t = (touch_job *)j;
    char at[24];
    const char *p[] = {t->id, pg_i64(at, t->at)};
    return pg_query(c,
                    "UPDATE api_keys SET last_used_at = $2::bigint WHERE id = $1 AND "
                    "(last_used_at IS NULL OR last_used_at < $2::bigint)",
                    2, p, NULL, &j->error);
}

static void touch_complete(pg_job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "key_touch_failed", "key=%s error=\"%s\"", ((touch_job *)j)->id,
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

static sg_err pg_key_touch(sg_store *s, const char *id, int64_t at)
{
    touch_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = touch_run;
    t->base.complete = touch_complete;
    snprintf(t->id, sizeof t->id, "%s", id);
    t->at = at;
    sg_err err = pg_submit(pg_of(s), &t->base);
    if (err)
        free(t);
    return err;
}

const sg_store_keys_ops pg_keys_ops = {
    .key_insert = pg_key_insert,
    .key_get = pg_key_get,
    .key_list = pg_key_list,
    .key_revoke = pg_key_revoke,
    .keys_generation = pg_keys_generation,
    .key_touch = pg_key_touch,
};

/* ---- limits ---------------------------------------------------------------------------- */

typedef struct limits_arg {
    const char *id;
    const sg_key_limits *l;
} limits_arg;

static sg_err limits_set_fn(pg_conn *c, void *arg, sg_error *e)
{
    const limits_arg *a = arg;
    char quota[24];
    const char *p[] = {a->id, a->l->countries, pg_i64(quota, a->l->daily_quota)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "UPDATE api_keys SET countries = $2, daily_quota = $3::bigint "
                          "WHERE id = $1",
                          3, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %.64s", a->id);
    return pg_query(c, SQL_KEYS_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_key_limits_set(sg_store *s, const char *id, const sg_key_limits *l, sg_error *e)
{
    limits_arg a = {id, l};
    return pg_write(pg_of(s), limits_set_fn, &a, e);
}

static sg_err pg_key_usage_get(sg_store *s, const char *key_id, int64_t day, int64_t *sent)
{
    *sent = 0;
    PGresult *r;
    char d[24];
    const char *p[] = {key_id, pg_i64(d, day)};
    sg_err err =
        pg_read(pg_of(s), "SELECT sent FROM key_usage WHERE key_id = $1 AND day = $2::bigint", 2, p,
                &r, NULL);
    if (err)
        return err;
    if (PQntuples(r) == 1)
        *sent = pg_col_i64(r, 0, 0);
    PQclear(r);
    return SG_OK;
}

typedef struct usage_arg {
    const sg_key_usage *rows;
    size_t n;
} usage_arg;

/* Counts only grow (several servers flush their own view of the same day), and
 * days before the oldest flushed but one are dropped (a late flush may still
 * name yesterday). */
static sg_err usage_put_fn(pg_conn *c, void *arg, sg_error *e)
{
    const usage_arg *a = arg;
    sg_err err = SG_OK;
    int64_t oldest = a->n ? a->rows[0].day : 0;
    for (size_t i = 0; !err && i < a->n; i++) {
        char day[24], sent[24];
        const char *p[] = {a->rows[i].key_id, pg_i64(day, a->rows[i].day),
                           pg_i64(sent, a->rows[i].sent)};
        err = pg_query(c,
                       "INSERT INTO key_usage (key_id, day, sent) VALUES ($1, $2::bigint, "
                       "$3::bigint) ON CONFLICT (key_id, day) DO UPDATE "
                       "SET sent = greatest(key_usage.sent, excluded.sent)",
                       3, p, NULL, e);
        oldest = a->rows[i].day < oldest ? a->rows[i].day : oldest;
    }
    if (!err && a->n) {
        char before[24];
        const char *p[] = {pg_i64(before, oldest - 1)};
        err = pg_query(c, "DELETE FROM key_usage WHERE day < $1::bigint", 1, p, NULL, e);
    }
    return err;
}

static sg_err pg_key_usage_put(sg_store *s, const sg_key_usage *rows, size_t n, sg_error *e)
{
    usage_arg a = {rows, n};
    return pg_write(pg_of(s), usage_put_fn, &a, e);
}

const sg_store_limits_ops pg_limits_ops = {
    .key_limits_set = pg_key_limits_set,
    .key_usage_get = pg_key_usage_get,
    .key_usage_put = pg_key_usage_put,
};
