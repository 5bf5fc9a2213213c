/* The PostgreSQL backend: applying the schema's migrations (pg_migrations.c).
 *
 * Every pending migration runs in ONE transaction, with its row in
 * schema_migrations: a failure leaves the database as it was. Several nodes
 * may start at once on a new database, so the transaction first takes a
 * transaction-level advisory lock (released at COMMIT or ROLLBACK, so it is
 * safe behind PgBouncer in transaction mode, unlike a session lock): the
 * second migrator waits, then finds nothing left to do. */
#include "store/migrations.h"
#include "store/pg/pg_internal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant shared by every smsgate: "smsgate migrate" in ASCII. */
#define MIGRATE_LOCK "7526931541297655"

static sg_err current_version(pg_conn *c, int *v, sg_error *e)
{
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, &r, e);
    if (err)
        return err;
    *v = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return SG_OK;
}

static sg_err record(pg_conn *c, const sg_migration *m, sg_error *e)
{
    char version[16], at[24];
    snprintf(version, sizeof version, "%d", m->version);
    snprintf(at, sizeof at, "%" PRId64, sg_time_now_ms());
    const char *p[] = {version, m->name, at};
    return pg_query(c,
                    "INSERT INTO schema_migrations (version, name, applied_at) "
                    "VALUES ($1::integer, $2, $3::bigint)",
                    3, p, NULL, e);
}

/* Inside the transaction: the lock, the bookkeeping table, each pending
 * migration. */
static sg_err apply_pending(pg_conn *c, int *applied, int *current, sg_error *e)
{
    sg_err err = pg_exec(c,
                         "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK ");"
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                         " applied_at BIGINT NOT NULL)",
                         e);
    int v = 0;
    if (err || (err = current_version(c, &v, e)))
        return err;
    if ((size_t)v > sg_pg_migrations_count)
        return sg_error_set(e, SG_ERR_DB, "db",
                            "database schema version %d is newer than this smsgate (%zu)", v,
                            sg_pg_migrations_count);
    for (size_t i = (size_t)v; i < sg_pg_migrations_count; i++) {
        const sg_migration *m = &sg_pg_migrations[i];
        if ((err = pg_exec(c, m->sql, e))) {
            char why[sizeof e->message];
            snprintf(why, sizeof why, "%s", e->message);
            return sg_error_set(e, err, "db", "migration %d (%s): %s", m->version, m->name, why);
        }
        if ((err = record(c, m, e)))
            return err;
        (*applied)++;
        sg_log(SG_LOG_INFO, "migration_applied", "version=%d name=\"%s\"", m->version, m->name);
    }
    *current = (int)sg_pg_migrations_count;
    return SG_OK;
}

sg_err pg_migrate_on(pg_conn *c, int *applied, int *current, sg_error *e)
{
    *applied = 0;
    sg_err err = pg_exec(c, "BEGIN", e);
    if (err)
        return err;
    err = apply_pending(c, applied, current, e);
    if (!err)
        err = pg_exec(c, "COMMIT", e);
    else
        pg_exec(c, "ROLLBACK", NULL);
    if (err)
        *applied = 0;
    return err;
}

sg_err sg_store_pg_migrate(const char *url, int64_t wait_ms, int *applied, int *current,
                           int *latest, char *where, size_t cap, sg_error *e)
{
    pg_conn c = {.conninfo = strdup(url), .wait_ms = wait_ms};
    *applied = *current = 0;
    *latest = (int)sg_pg_migrations_count;
    sg_err err = SG_OK;
    if (!c.conninfo) {
        err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        goto out;
    }
    if ((err = pg_connect(&c, e)))
        goto out;
    pg_describe(c.pg, where, cap);
    err = pg_migrate_on(&c, applied, current, e);
out:
    pg_conn_free(&c);
    return err;
}
