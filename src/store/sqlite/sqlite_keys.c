/* API keys beyond insert and get (sqlite_store.c): listing, revocation, the keys
 * generation every server's auth cache polls, and last use. */
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_KEY_INSERT                                                                             \
    "INSERT INTO api_keys (id, name, role, secret_hash, created_at) "                              \
    "VALUES (?1, ?2, ?3, ?4, ?5)"
#define SQL_KEY_GET                                                                                \
    "SELECT id, name, role, secret_hash, created_at, countries, daily_quota "                      \
    "FROM api_keys "                                                                               \
    "WHERE id = ?1 AND revoked_at IS NULL"

#define SQL_KEY_LIST                                                                               \
    "SELECT id, name, role, created_at, coalesce(last_used_at, 0) FROM api_keys "                  \
    "WHERE revoked_at IS NULL ORDER BY created_at, id"
#define SQL_KEY_REVOKE "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL"
#define SQL_KEYS_BUMP  "UPDATE meta SET value = value + 1 WHERE key = 'keys_generation'"
#define SQL_KEYS_GEN   "SELECT value FROM meta WHERE key = 'keys_generation'"
#define SQL_KEY_TOUCH                                                                              \
    "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND "                                     \
    "(last_used_at IS NULL OR last_used_at < ?2)"

static void key_list_row(sqlite3_stmt *st, void *out)
{
    sg_api_key *k = out;
    sq_col_copy(st, 0, k->id, sizeof k->id);
    sq_col_copy(st, 1, k->name, sizeof k->name);
    sq_col_copy(st, 2, k->role, sizeof k->role);
    k->created_at = sqlite3_column_int64(st, 3);
    k->last_used_at = sqlite3_column_int64(st, 4);
}

static sg_err sq_key_list(sg_store *s, sg_api_key **out, size_t *n)
{
    return sq_read_rows_sql(s, S_KEY_LIST, SQL_KEY_LIST, NULL, NULL, key_list_row, NULL,
                            sizeof **out, 0, (void **)out, n);
}

typedef struct revoke_arg {
    const char *id;
    int64_t at;
} revoke_arg;

static sg_err key_revoke_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const revoke_arg *a = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_KEY_REVOKE, SQL_KEY_REVOKE);
    if (st) {
        sq_bind_text(st, 1, a->id);
        sqlite3_bind_int64(st, 2, a->at);
    }
    sg_err err = sq_step_done(c, st, e, "revoking the key");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %.64s", a->id);
    return sq_keys_bump(c, e);
}

sg_err sq_keys_bump(conn *c, sg_error *e)
{
    return sq_step_done(c, sq_stmt_sql(c, S_KEYS_BUMP, SQL_KEYS_BUMP), e,
                        "bumping the keys generation");
}

static sg_err sq_key_revoke(sg_store *s, const char *id, int64_t at, sg_error *e)
{
    revoke_arg a = {id, at};
    return sq_write_sync(s, key_revoke_fn, &a, e);
}

static void gen_row(sqlite3_stmt *st, void *out)
{
    *(int64_t *)out = sqlite3_column_int64(st, 0);
}

static sg_err sq_keys_generation(sg_store *s, int64_t *gen)
{
    return sq_read_one_sql(s, S_KEYS_GEN, SQL_KEYS_GEN, NULL, gen_row, gen);
}

typedef struct touch_job {
    job base;
    char id[SG_ID_MAX];
    int64_t at;
} touch_job;

static sg_err touch_run(sg_store *s, conn *c, job *j)
{
    (void)s;
    touch_job *t = (touch_job *)j;
    sqlite3_stmt *st = sq_stmt_sql(c, S_KEY_TOUCH, SQL_KEY_TOUCH);
    if (st) {
        sq_bind_text(st, 1, t->id);
        sqlite3_bind_int64(st, 2, t->at);
    }
    return sq_step_done(c, st, &j->error, "recording a key's last use");
}

static void touch_complete(job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "key_touch_failed", "key=%s error=\"%s\"", ((touch_job *)j)->id,
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

static sg_err sq_key_touch(sg_store *s, const char *id, int64_t at)
{
    touch_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = touch_run;
    t->base.complete = touch_complete;
    snprintf(t->id, sizeof t->id, "%s", id);
    t->at = at;
    sg_err err = sq_submit(s, &t->base);
    if (err)
        free(t);
    return err;
}

/* ---- API keys -------------------------------------------------------------------- */

static sg_err key_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_api_key *k = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_KEY_INSERT, SQL_KEY_INSERT);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, k->id);
    sq_bind_text(st, 2, k->name);
    sq_bind_text(st, 3, k->role);
    sq_bind_text(st, 4, k->secret_hash);
    sqlite3_bind_int64(st, 5, k->created_at);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "creating API key");
}

static sg_err sq_key_insert(sg_store *s, const sg_api_key *k, sg_error *e)
{
    return sq_write_sync(s, key_insert_fn, (void *)k, e);
}

static void key_row(sqlite3_stmt *st, void *out)
{
    sg_api_key *k = out;
    sq_col_copy(st, 0, k->id, sizeof k->id);
    sq_col_copy(st, 1, k->name, sizeof k->name);
    sq_col_copy(st, 2, k->role, sizeof k->role);
    sq_col_copy(st, 3, k->secret_hash, sizeof k->secret_hash);
    k->created_at = sqlite3_column_int64(st, 4);
    k->last_used_at = 0;
    sq_col_copy(st, 5, k->countries, sizeof k->countries);
    k->daily_quota = sqlite3_column_int64(st, 6);
}

static sg_err sq_key_get(sg_store *s, const char *id, sg_api_key *out)
{
    return sq_read_one_sql(s, S_KEY_GET, SQL_KEY_GET, id, key_row, out);
}

const sg_store_keys_ops sq_keys_ops = {
    .key_insert = sq_key_insert,
    .key_get = sq_key_get,
    .key_list = sq_key_list,
    .key_revoke = sq_key_revoke,
    .keys_generation = sq_keys_generation,
    .key_touch = sq_key_touch,
};
