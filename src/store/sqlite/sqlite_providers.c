/* The SQLite backend, providers: their rows (secrets sealed by the caller) and the
 * generation every dispatcher polls to reload them. */
#include "store/sqlite/sqlite_internal.h"
#include "util/id.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_PROV_CLEAR_DEFAULT                                                                     \
    "UPDATE providers SET is_default = 0 WHERE is_default = 1 AND id != ?1"
#define SQL_PROV_INSERT                                                                            \
    "INSERT INTO providers (id, name, kind, title, active, is_default, config, "                   \
    "secrets, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "                    \
    "?9, ?10)"
#define SQL_PROV_UPDATE                                                                            \
    "UPDATE providers SET name = ?2, kind = ?3, title = ?4, active = ?5, "                         \
    "is_default = ?6, config = ?7, secrets = ?8, updated_at = ?10 WHERE id = ?1"
#define SQL_PROV_DELETE "DELETE FROM providers WHERE id = ?1"
#define SQL_PROV_GET_ID                                                                            \
    "SELECT id, name, kind, title, active, is_default, config, secrets, "                          \
    "created_at, updated_at FROM providers WHERE id = ?1"
#define SQL_PROV_GET_NAME                                                                          \
    "SELECT id, name, kind, title, active, is_default, config, secrets, "                          \
    "created_at, updated_at FROM providers WHERE name = ?1"
#define SQL_PROV_LIST                                                                              \
    "SELECT id, name, kind, title, active, is_default, config, secrets, "                          \
    "created_at, updated_at FROM providers ORDER BY created_at, id"
#define SQL_PROV_BUMP "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'"
#define SQL_PROV_GEN  "SELECT value FROM meta WHERE key = 'provider_generation'"
#define SQL_PROV_IN_USE                                                                            \
    "SELECT count(*) FROM messages WHERE provider_id = ?1 "                                        \
    "AND status IN ('scheduled', 'queued', 'sending')"

/* ---- providers ---------------------------------------------------------------- */

static void provider_bind(sqlite3_stmt *st, const sg_provider_row *p)
{
    sq_bind_text(st, 1, p->id);
    sq_bind_text(st, 2, p->name);
    sq_bind_text(st, 3, p->kind);
    sq_bind_text(st, 4, p->title);
    sqlite3_bind_int(st, 5, p->active);
    sqlite3_bind_int(st, 6, p->is_default);
    sq_bind_text(st, 7, p->config ? p->config : "{}");
    sq_bind_text(st, 8, p->secrets ? p->secrets : "");
    sqlite3_bind_int64(st, 9, p->created_at);
    sqlite3_bind_int64(st, 10, p->updated_at);
}

static void provider_row(sqlite3_stmt *st, void *out)
{
    sg_provider_row *p = out;
    memset(p, 0, sizeof *p);
    sq_col_copy(st, 0, p->id, sizeof p->id);
    sq_col_copy(st, 1, p->name, sizeof p->name);
    sq_col_copy(st, 2, p->kind, sizeof p->kind);
    sq_col_copy(st, 3, p->title, sizeof p->title);
    p->active = sqlite3_column_int(st, 4) != 0;
    p->is_default = sqlite3_column_int(st, 5) != 0;
    p->config = sq_col_dup(st, 6);
    p->secrets = sq_col_dup(st, 7);
    p->created_at = sqlite3_column_int64(st, 8);
    p->updated_at = sqlite3_column_int64(st, 9);
}

static sg_err provider_write(conn *c, const sg_provider_row *p, int q, sg_error *e)
{
    sg_err err;
    if (p->is_default) {
        sqlite3_stmt *st = sq_stmt_sql(c, S_PROV_CLEAR_DEFAULT, SQL_PROV_CLEAR_DEFAULT);
        if (st)
            sq_bind_text(st, 1, p->id);
        if ((err = sq_step_done(c, st, e, "clearing the default provider")))
            return err;
    }
    sqlite3_stmt *st = sq_stmt_sql(c, q, q == S_PROV_UPDATE ? SQL_PROV_UPDATE : SQL_PROV_INSERT);
    if (st)
        provider_bind(st, p);
    if ((err = sq_step_done(c, st, e, "saving provider")))
        return err;
    if (q == S_PROV_UPDATE && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return sq_step_done(c, sq_stmt_sql(c, S_PROV_BUMP, SQL_PROV_BUMP), e,
                        "bumping provider generation");
}

static sg_err provider_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return provider_write(c, arg, S_PROV_INSERT, e);
}

static sg_err provider_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return provider_write(c, arg, S_PROV_UPDATE, e);
}

static sg_err provider_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const char *id = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_PROV_IN_USE, SQL_PROV_IN_USE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    int64_t pending = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (pending > 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL,
                            "provider has %lld queued or scheduled messages; deactivate it "
                            "instead, or cancel them first",
                            (long long)pending);
    st = sq_stmt_sql(c, S_PROV_DELETE, SQL_PROV_DELETE);
    if (st)
        sq_bind_text(st, 1, id);
    sg_err err = sq_step_done(c, st, e, "deleting provider");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return sq_step_done(c, sq_stmt_sql(c, S_PROV_BUMP, SQL_PROV_BUMP), e,
                        "bumping provider generation");
}

static sg_err sq_provider_insert(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return sq_write_sync(s, provider_insert_fn, (void *)p, e);
}

static sg_err sq_provider_update(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return sq_write_sync(s, provider_update_fn, (void *)p, e);
}

static sg_err sq_provider_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, provider_delete_fn, (void *)id, e);
}

static sg_err sq_provider_get(sg_store *s, const char *id_or_name, sg_provider_row *out)
{
    if (sg_id_valid("prv", id_or_name))
        return sq_read_one_sql(s, S_PROV_GET_ID, SQL_PROV_GET_ID, id_or_name, provider_row, out);
    return sq_read_one_sql(s, S_PROV_GET_NAME, SQL_PROV_GET_NAME, id_or_name, provider_row, out);
}

static void provider_drop(void *p)
{
    sg_provider_row_free(p);
}

static sg_err sq_provider_list(sg_store *s, sg_provider_row **out, size_t *n)
{
    return sq_read_rows_sql(s, S_PROV_LIST, SQL_PROV_LIST, NULL, NULL, provider_row, provider_drop,
                            sizeof **out, 0, (void **)out, n);
}

static sg_err sq_provider_generation(sg_store *s, int64_t *gen)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, S_PROV_GEN, SQL_PROV_GEN);
    sg_err err = SG_ERR_DB;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        *gen = sqlite3_column_int64(st, 0);
        err = SG_OK;
    }
    if (st)
        sqlite3_reset(st);
    sq_reader_release(s, c);
    return err;
}

const sg_store_providers_ops sq_providers_ops = {
    .provider_insert = sq_provider_insert,
    .provider_update = sq_provider_update,
    .provider_delete = sq_provider_delete,
    .provider_get = sq_provider_get,
    .provider_list = sq_provider_list,
    .provider_generation = sq_provider_generation,
};
