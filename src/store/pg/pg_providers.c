/* The PostgreSQL backend, providers: their rows (secrets sealed by the caller)
 * and the generation every dispatcher polls to reload them, bumped in the
 * transaction of each change. The same rules as store/sqlite/
 * sqlite_providers.c: one default provider (a partial unique index), and a
 * provider with queued or scheduled messages is not deleted. */
#include "store/pg/pg_store.h"
#include "util/id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROVIDER_COLS                                                                              \
    "id, name, kind, title, active, is_default, config, secrets, created_at, updated_at"
#define SQL_PROV_BUMP "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'"

static void provider_row(const PGresult *r, int i, sg_provider_row *p)
{
    memset(p, 0, sizeof *p);
    pg_col_copy(r, i, 0, p->id, sizeof p->id);
    pg_col_copy(r, i, 1, p->name, sizeof p->name);
    pg_col_copy(r, i, 2, p->kind, sizeof p->kind);
    pg_col_copy(r, i, 3, p->title, sizeof p->title);
    p->active = pg_col_bool(r, i, 4);
    p->is_default = pg_col_bool(r, i, 5);
    p->config = pg_col_dup(r, i, 6);
    p->secrets = pg_col_dup(r, i, 7);
    p->created_at = pg_col_i64(r, i, 8);
    p->updated_at = pg_col_i64(r, i, 9);
}

typedef struct write_arg {
    const sg_provider_row *p;
    const char *sql;
    bool update;
} write_arg;

static sg_err provider_write_fn(pg_conn *c, void *arg, sg_error *e)
{
    const write_arg *a = arg;
    const sg_provider_row *p = a->p;
    sg_err err;
    if (p->is_default) {
        const char *id[] = {p->id};
        if ((err = pg_query(c,
                            "UPDATE providers SET is_default = false "
                            "WHERE is_default AND id <> $1",
                            1, id, NULL, e)))
            return err;
    }
    char created[24], updated[24];
    /* An update has no created_at: its $9 is updated_at. */
    const char *v[] = {p->id,
                       p->name,
                       p->kind,
                       p->title,
                       p->active ? "t" : "f",
                       p->is_default ? "t" : "f",
                       p->config ? p->config : "{}",
                       p->secrets ? p->secrets : "",
                       a->update ? pg_i64(updated, p->updated_at) : pg_i64(created, p->created_at),
                       pg_i64(updated, p->updated_at)};
    PGresult *r;
    if ((err = pg_query(c, a->sql, a->update ? 9 : 10, v, &r, e))) {
        if (err == SG_ERR_CONFLICT)
            sg_error_set(e, err, "name", "a provider named %.64s exists", p->name);
        return err;
    }
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (a->update && !changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return pg_query(c, SQL_PROV_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_provider_insert(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    write_arg a = {p,
                   "INSERT INTO providers (" PROVIDER_COLS ") VALUES ($1, $2, $3, $4, "
                   "$5::boolean, $6::boolean, $7, $8, $9::bigint, $10::bigint)",
                   false};
    return pg_write(pg_of(s), provider_write_fn, &a, e);
}

static sg_err pg_provider_update(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    write_arg a = {p,
                   "UPDATE providers SET name = $2, kind = $3, title = $4, active = $5::boolean, "
                   "is_default = $6::boolean, config = $7, secrets = $8, "
                   "updated_at = $9::bigint WHERE id = $1",
                   true};
    return pg_write(pg_of(s), provider_write_fn, &a, e);
}

static sg_err provider_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT count(*) FROM messages WHERE provider_id = $1 "
                          "AND status IN ('scheduled', 'queued', 'sending')",
                          1, p, &r, e);
    if (err)
        return err;
    int64_t pending = pg_col_i64(r, 0, 0);
    PQclear(r);
    if (pending > 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL,
                            "provider has %lld queued or scheduled messages; deactivate it "
                            "instead, or cancel them first",
                            (long long)pending);
    if ((err = pg_query(c, "DELETE FROM providers WHERE id = $1", 1, p, &r, e)))
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return pg_query(c, SQL_PROV_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_provider_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), provider_delete_fn, (void *)id, e);
}

static sg_err pg_provider_get(sg_store *s, const char *id_or_name, sg_provider_row *out)
{
    const char *p[] = {id_or_name};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         sg_id_valid("prv", id_or_name)
                             ? "SELECT " PROVIDER_COLS " FROM providers WHERE id = $1"
                             : "SELECT " PROVIDER_COLS " FROM providers WHERE name = $1",
                         1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        provider_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_provider_list(sg_store *s, sg_provider_row **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err =
        pg_read(pg_of(s), "SELECT " PROVIDER_COLS " FROM providers ORDER BY created_at, id", 0,
                NULL, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++)
        provider_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static sg_err pg_provider_generation(sg_store *s, int64_t *gen)
{
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT value FROM meta WHERE key = 'provider_generation'", 0,
                         NULL, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_DB;
    if (!err)
        *gen = pg_col_i64(r, 0, 0);
    PQclear(r);
    return err;
}

const sg_store_providers_ops pg_providers_ops = {
    .provider_insert = pg_provider_insert,
    .provider_update = pg_provider_update,
    .provider_delete = pg_provider_delete,
    .provider_get = pg_provider_get,
    .provider_list = pg_provider_list,
    .provider_generation = pg_provider_generation,
};
