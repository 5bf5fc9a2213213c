/* The SQLite backend, contact import jobs: the progress of a CSV import, written
 * by the node that reads the upload, read by any node. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_INSERT                                                                                 \
    "INSERT INTO import_jobs (id, status, created_at, updated_at) VALUES (?1, 'waiting', ?2, ?2)"
#define SQL_SWEEP "DELETE FROM import_jobs WHERE created_at < ?1"
#define SQL_START                                                                                  \
    "UPDATE import_jobs SET status = 'importing', size = ?2, updated_at = ?3 "                     \
    "WHERE id = ?1 AND status = 'waiting'"
#define SQL_UPDATE                                                                                 \
    "UPDATE import_jobs SET status = ?2, bytes = ?3, rows = ?4, imported = ?5, updated = ?6, "     \
    "rejected = ?7, rejections = ?8, error = ?9, updated_at = ?10 WHERE id = ?1"
#define SQL_GET                                                                                    \
    "SELECT id, status, size, bytes, rows, imported, updated, rejected, rejections, error, "       \
    "created_at, updated_at FROM import_jobs WHERE id = ?1"

void sg_import_job_free(sg_import_job *j)
{
    free(j->rejections);
    j->rejections = NULL;
}

static sg_err create_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_import_job *j = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_IMPORT_JOB_SWEEP, SQL_SWEEP);
    if (st)
        sqlite3_bind_int64(st, 1, j->created_at - SG_IMPORT_JOB_KEEP_MS);
    sg_err err = sq_step_done(c, st, e, "sweeping old import jobs");
    if (err)
        return err;
    st = sq_stmt_sql(c, S_IMPORT_JOB_INSERT, SQL_INSERT);
    if (st) {
        sq_bind_text(st, 1, j->id);
        sqlite3_bind_int64(st, 2, j->created_at);
    }
    return sq_step_done(c, st, e, "saving the import job");
}

static sg_err sq_import_job_create(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return sq_write_sync(s, create_fn, (void *)j, e);
}

typedef struct start_arg {
    const char *id;
    int64_t size, at;
} start_arg;

static sg_err start_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const start_arg *a = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_IMPORT_JOB_START, SQL_START);
    if (st) {
        sq_bind_text(st, 1, a->id);
        sqlite3_bind_int64(st, 2, a->size);
        sqlite3_bind_int64(st, 3, a->at);
    }
    sg_err err = sq_step_done(c, st, e, "starting the import job");
    if (err || sqlite3_changes(c->db) > 0)
        return err;
    sqlite3_stmt *get = sq_stmt_sql(c, S_IMPORT_JOB_GET, SQL_GET);
    if (get)
        sq_bind_text(get, 1, a->id);
    bool exists = get && sqlite3_step(get) == SQLITE_ROW;
    if (get)
        sqlite3_reset(get);
    if (!exists)
        return sg_error_set(e, SG_ERR_NOT_FOUND, "job", "no import job %s", a->id);
    return sg_error_set(e, SG_ERR_CONFLICT, "job",
                        "import job %s already has its upload; create a new job", a->id);
}

static sg_err sq_import_job_start(sg_store *s, const char *id, int64_t size, int64_t at,
                                  sg_error *e)
{
    start_arg a = {id, size, at};
    return sq_write_sync(s, start_fn, &a, e);
}

static sg_err update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_import_job *j = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_IMPORT_JOB_UPDATE, SQL_UPDATE);
    if (st) {
        sq_bind_text(st, 1, j->id);
        sq_bind_text(st, 2, j->status);
        sqlite3_bind_int64(st, 3, j->bytes);
        sqlite3_bind_int64(st, 4, j->rows);
        sqlite3_bind_int64(st, 5, j->imported);
        sqlite3_bind_int64(st, 6, j->updated);
        sqlite3_bind_int64(st, 7, j->rejected);
        sq_bind_text(st, 8, j->rejections);
        sq_bind_text(st, 9, j->error);
        sqlite3_bind_int64(st, 10, j->updated_at);
    }
    return sq_step_done(c, st, e, "saving the import's progress");
}

static sg_err sq_import_job_update(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return sq_write_sync(s, update_fn, (void *)j, e);
}

static void job_row(sqlite3_stmt *st, void *out)
{
    sg_import_job *j = out;
    memset(j, 0, sizeof *j);
    sq_col_copy(st, 0, j->id, sizeof j->id);
    sq_col_copy(st, 1, j->status, sizeof j->status);
    j->size = sqlite3_column_int64(st, 2);
    j->bytes = sqlite3_column_int64(st, 3);
    j->rows = sqlite3_column_int64(st, 4);
    j->imported = sqlite3_column_int64(st, 5);
    j->updated = sqlite3_column_int64(st, 6);
    j->rejected = sqlite3_column_int64(st, 7);
    j->rejections = sq_col_dup(st, 8);
    sq_col_copy(st, 9, j->error, sizeof j->error);
    j->created_at = sqlite3_column_int64(st, 10);
    j->updated_at = sqlite3_column_int64(st, 11);
}

static sg_err sq_import_job_get(sg_store *s, const char *id, sg_import_job *out)
{
    return sq_read_one_sql(s, S_IMPORT_JOB_GET, SQL_GET, id, job_row, out);
}

const sg_store_imports_ops sq_imports_ops = {
    .import_job_create = sq_import_job_create,
    .import_job_start = sq_import_job_start,
    .import_job_update = sq_import_job_update,
    .import_job_get = sq_import_job_get,
};
