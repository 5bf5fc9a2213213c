/* The PostgreSQL backend, contact import jobs: the progress of a CSV import,
 * written by the node that reads the upload, read by any node. The same rules
 * as store/sqlite/sqlite_imports.c. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_GET                                                                                    \
    "SELECT id, status, size, bytes, rows, imported, updated, rejected, rejections, error, "       \
    "created_at, updated_at FROM import_jobs WHERE id = $1"

/* Jobs older than the keep time go in the same transaction as a new one. */
static sg_err create_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_import_job *j = arg;
    char before[24], at[24];
    const char *sweep[] = {pg_i64(before, j->created_at - SG_IMPORT_JOB_KEEP_MS)};
    sg_err err =
        pg_query(c, "DELETE FROM import_jobs WHERE created_at < $1::bigint", 1, sweep, NULL, e);
    const char *p[] = {j->id, pg_i64(at, j->created_at)};
    return err ? err
               : pg_query(c,
                          "INSERT INTO import_jobs (id, status, created_at, updated_at) "
                          "VALUES ($1, 'waiting', $2::bigint, $2::bigint)",
                          2, p, NULL, e);
}

static sg_err pg_import_job_create(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return pg_write(pg_of(s), create_fn, (void *)j, e);
}

typedef struct start_arg {
    const char *id;
    int64_t size, at;
} start_arg;

/* Only a waiting job starts: a second upload for it is a conflict. */
static sg_err start_fn(pg_conn *c, void *arg, sg_error *e)
{
    const start_arg *a = arg;
    char size[24], at[24];
    const char *p[] = {a->id, pg_i64(size, a->size), pg_i64(at, a->at)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "UPDATE import_jobs SET status = 'importing', size = $2::bigint, "
                          "updated_at = $3::bigint WHERE id = $1 AND status = 'waiting'",
                          3, p, &r, e);
    if (err)
        return err;
    bool started = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (started)
        return SG_OK;
    if ((err = pg_query(c, SQL_GET, 1, p, &r, e)))
        return err;
    bool exists = PQntuples(r) > 0;
    PQclear(r);
    if (!exists)
        return sg_error_set(e, SG_ERR_NOT_FOUND, "job", "no import job %s", a->id);
    return sg_error_set(e, SG_ERR_CONFLICT, "job",
                        "import job %s already has its upload; create a new job", a->id);
}

static sg_err pg_import_job_start(sg_store *s, const char *id, int64_t size, int64_t at,
                                  sg_error *e)
{
    start_arg a = {id, size, at};
    return pg_write(pg_of(s), start_fn, &a, e);
}

static sg_err update_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_import_job *j = arg;
    char n[6][24];
    const char *p[] = {j->id,
                       j->status,
                       pg_i64(n[0], j->bytes),
                       pg_i64(n[1], j->rows),
                       pg_i64(n[2], j->imported),
                       pg_i64(n[3], j->updated),
                       pg_i64(n[4], j->rejected),
                       j->rejections,
                       j->error,
                       pg_i64(n[5], j->updated_at)};
    return pg_query(c,
                    "UPDATE import_jobs SET status = $2, bytes = $3::bigint, rows = $4::bigint, "
                    "imported = $5::bigint, updated = $6::bigint, rejected = $7::bigint, "
                    "rejections = $8, error = $9, updated_at = $10::bigint WHERE id = $1",
                    10, p, NULL, e);
}

static sg_err pg_import_job_update(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return pg_write(pg_of(s), update_fn, (void *)j, e);
}

static sg_err pg_import_job_get(sg_store *s, const char *id, sg_import_job *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), SQL_GET, 1, p, &r, NULL);
    if (err)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SG_ERR_NOT_FOUND;
    }
    pg_col_copy(r, 0, 0, out->id, sizeof out->id);
    pg_col_copy(r, 0, 1, out->status, sizeof out->status);
    out->size = pg_col_i64(r, 0, 2);
    out->bytes = pg_col_i64(r, 0, 3);
    out->rows = pg_col_i64(r, 0, 4);
    out->imported = pg_col_i64(r, 0, 5);
    out->updated = pg_col_i64(r, 0, 6);
    out->rejected = pg_col_i64(r, 0, 7);
    out->rejections = pg_col_dup(r, 0, 8);
    pg_col_copy(r, 0, 9, out->error, sizeof out->error);
    out->created_at = pg_col_i64(r, 0, 10);
    out->updated_at = pg_col_i64(r, 0, 11);
    PQclear(r);
    return SG_OK;
}

const sg_store_imports_ops pg_imports_ops = {
    .import_job_create = pg_import_job_create,
    .import_job_start = pg_import_job_start,
    .import_job_update = pg_import_job_update,
    .import_job_get = pg_import_job_get,
};
