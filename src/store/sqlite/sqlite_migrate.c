/* The SQLite backend: the schema's version and its migrations (migrations.c). */
#include "store/migrations.h"
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sg_err current_version(sqlite3 *db, int *v, sg_error *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                                &st, NULL);
    if (rc != SQLITE_OK)
        return sq_db_error(db, rc, e, "reading schema version");
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return SG_OK;
}

static sg_err migrate_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    int *applied = arg;
    sg_err err = sq_exec(c->db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                         " applied_at INTEGER NOT NULL)",
                         e);
    if (err)
        return err;
    int v;
    if ((err = current_version(c->db, &v, e)))
        return err;
    if ((size_t)v > sg_sqlite_migrations_count)
        return sg_error_set(e, SG_ERR_DB, "db",
                            "database schema version %d is newer than this smsgate (%zu)", v,
                            sg_sqlite_migrations_count);
    for (size_t i = (size_t)v; i < sg_sqlite_migrations_count; i++) {
        const sg_migration *m = &sg_sqlite_migrations[i];
        if ((err = sq_exec(c->db, m->sql, e)))
            return err;
        sqlite3_stmt *st;
        sqlite3_prepare_v2(c->db,
                           "INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL);
        sqlite3_bind_int(st, 1, m->version);
        sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, sg_time_now_ms());
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return sq_db_error(c->db, rc, e, "recording migration");
        (*applied)++;
        sg_log(SG_LOG_INFO, "migration_applied", "version=%d name=\"%s\"", m->version, m->name);
    }
    /* Facts that need libphonenumber, for rows written before the column existed. */
    return sq_contacts_backfill(c, e);
}

sg_err sq_migrate(sg_store *s, int *applied, sg_error *e)
{
    int n = 0;
    sg_err err = sq_write_sync(s, migrate_fn, &n, e);
    if (applied)
        *applied = n;
    return err;
}

sg_err sq_schema_version(sg_store *s, int *current, int *latest)
{
    *latest = (int)sg_sqlite_migrations_count;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = current_version(c->db, current, NULL);
    if (err)
        *current = 0, err = SG_OK; /* no schema_migrations table yet */
    sq_reader_release(s, c);
    return err;
}
