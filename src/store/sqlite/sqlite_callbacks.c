/* The SQLite backend, provider status reports, and the early ones that arrive
 * before their send's outcome is committed. */
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <jansson.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_BY_PROVIDER_ID                                                                         \
    "SELECT id, status FROM messages WHERE provider_id = ?1 AND "                                  \
    "provider_message_id = ?2 AND provider_message_id != '' AND "                                  \
    "direction = 'outbound'"
#define SQL_STATUS_SET                                                                             \
    "UPDATE messages SET status = ?2, "                                                            \
    "error_code = CASE WHEN ?3 = '' THEN error_code ELSE ?3 END, "                                 \
    "error_message = coalesce(?4, error_message), updated_at = ?5 WHERE id = ?1"

/* ---- provider callbacks ------------------------------------------------------------ */

/* A report for a provider id no message has (yet): the provider may have called
 * back before the send's own outcome was committed (a fast provider, a busy
 * writer). It is kept for EARLY_KEEP_MS and applied when that outcome lands
 * (sq_early_reports_apply); older ones are dropped. Anyone holding a callback URL
 * can post reports for made-up ids, so each provider keeps at most
 * SG_EARLY_PER_PROVIDER of them: past that its oldest are dropped (a genuine
 * early report waits milliseconds for its outcome, so the newest matter),
 * counted in /metrics and logged at most once a minute. */
#define EARLY_KEEP_MS      (10 * 60 * 1000)
#define EARLY_LOG_EVERY_MS (60 * 1000)

static _Atomic int64_t early_logged_at;

/* Drop provider_id's early reports beyond its newest SG_EARLY_PER_PROVIDER. */
static sg_err early_reports_bound(conn *c, const char *provider_id, int64_t now, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_EARLY_BOUND,
                                   "DELETE FROM early_reports WHERE provider_id = ?1 AND id <= "
                                   "(SELECT id FROM early_reports WHERE provider_id = ?1 "
                                   "ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (st) {
        sq_bind_text(st, 1, provider_id);
        sqlite3_bind_int(st, 2, SG_EARLY_PER_PROVIDER);
    }
    sg_err err = sq_step_done(c, st, e, "bounding early reports");
    int dropped = err ? 0 : sqlite3_changes(c->db);
    if (dropped <= 0)
        return err;
    sg_metrics_early_reports_dropped((uint64_t)dropped);
    int64_t last = atomic_load(&early_logged_at);
    if (now - last >= EARLY_LOG_EVERY_MS &&
        atomic_compare_exchange_strong(&early_logged_at, &last, now))
        sg_log(SG_LOG_WARN, "early_reports_dropped",
               "provider=%s kept=%d hint=\"status reports for unknown messages arrive faster "
               "than sends: a forged flood, or a provider calling back for messages this "
               "database does not have\"",
               provider_id, SG_EARLY_PER_PROVIDER);
    return SG_OK;
}

static sg_err early_report_keep(conn *c, const sg_status_report *r, sg_error *e)
{
    if (!r->provider_message_id || !*r->provider_message_id)
        return SG_OK;
    int64_t now = sg_time_now_ms();
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_EARLY_EXPIRE, "DELETE FROM early_reports WHERE received_at < ?1");
    if (st)
        sqlite3_bind_int64(st, 1, now - EARLY_KEEP_MS);
    sg_err err = sq_step_done(c, st, e, "expiring early reports");
    if (err)
        return err;
    st = sq_stmt_sql(c, S_EARLY_INSERT,
                     "INSERT INTO early_reports (provider_id, provider_message_id, status, "
                     "error_code, error_message, detail, at, received_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (st) {
        sq_bind_text(st, 1, r->provider_id);
        sq_bind_text(st, 2, r->provider_message_id);
        sq_bind_text(st, 3, sg_status_name(r->status));
        sq_bind_text(st, 4, r->error_code ? r->error_code : "");
        sq_bind_text(st, 5, r->error_message);
        sq_bind_text(st, 6, r->detail);
        sqlite3_bind_int64(st, 7, r->at);
        sqlite3_bind_int64(st, 8, now);
    }
    err = sq_step_done(c, st, e, "keeping an early report");
    return err ? err : early_reports_bound(c, r->provider_id, now, e);
}

static sg_err status_report_fn(sg_store *s, conn *c, void *arg, sg_error *e);

/* Apply, in arrival order, the reports that came before message id's outcome
 * (provider id sid), then forget them. */
sg_err sq_early_reports_apply(sg_store *s, conn *c, const char *id, const char *sid, sg_error *e)
{
    char provider[SG_ID_MAX] = "";
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_MSG_PROVIDER, "SELECT provider_id FROM messages WHERE id = ?1");
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        sq_col_copy(st, 0, provider, sizeof provider);
    sqlite3_reset(st);
    enum { MAX_EARLY = 16 };
    struct early {
        sg_status status;
        char code[SG_ERROR_CODE_MAX];
        char *message, *detail;
        int64_t at;
    } reps[MAX_EARLY];
    size_t n = 0;
    st = sq_stmt_sql(c, S_EARLY_SELECT,
                     "SELECT status, error_code, error_message, detail, at FROM early_reports "
                     "WHERE provider_id = ?1 AND provider_message_id = ?2 ORDER BY id LIMIT 16");
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, provider);
    sq_bind_text(st, 2, sid);
    while (n < MAX_EARLY && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name || !sg_status_parse(name, &reps[n].status))
            continue;
        sq_col_copy(st, 1, reps[n].code, sizeof reps[n].code);
        reps[n].message = sq_col_dup(st, 2);
        reps[n].detail = sq_col_dup(st, 3);
        reps[n].at = sqlite3_column_int64(st, 4);
        n++;
    }
    sqlite3_reset(st);
    sg_err err = SG_OK;
    for (size_t i = 0; i < n; i++) {
        sg_status_report r = {.provider_id = provider,
                              .provider_message_id = sid,
                              .status = reps[i].status,
                              .error_code = reps[i].code,
                              .error_message = reps[i].message,
                              .detail = reps[i].detail,
                              .at = reps[i].at};
        if (!err)
            err = status_report_fn(s, c, &r, e);
        free(reps[i].message);
        free(reps[i].detail);
    }
    if (err || n == 0)
        return err;
    st = sq_stmt_sql(c, S_EARLY_DELETE,
                     "DELETE FROM early_reports WHERE provider_id = ?1 AND "
                     "provider_message_id = ?2");
    if (st) {
        sq_bind_text(st, 1, provider);
        sq_bind_text(st, 2, sid);
    }
    return sq_step_done(c, st, e, "forgetting early reports");
}

static sg_err status_report_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_status_report *r = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_BY_PROVIDER_ID, SQL_BY_PROVIDER_ID);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, r->provider_id);
    sq_bind_text(st, 2, r->provider_message_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->found = true;
        sq_col_copy(st, 0, r->message_id, sizeof r->message_id);
        const char *status = (const char *)sqlite3_column_text(st, 1);
        if (!status || !sg_status_parse(status, &r->previous))
            r->previous = SG_STATUS_FAILED;
    }
    sqlite3_reset(st);
    if (!r->found && rc == SQLITE_DONE)
        return early_report_keep(c, r, e);
    if (!r->found)
        return sq_db_error(c->db, rc, e, "finding the message");
    if (!sg_status_may_move(r->previous, r->status))
        return SG_OK; /* repeated, late or out of order: nothing changes */
    st = sq_stmt_sql(c, S_STATUS_SET, SQL_STATUS_SET);
    if (st) {
        sq_bind_text(st, 1, r->message_id);
        sq_bind_text(st, 2, sg_status_name(r->status));
        sq_bind_text(st, 3, r->error_code ? r->error_code : "");
        sq_bind_text(st, 4, r->error_message);
        sqlite3_bind_int64(st, 5, r->at);
    }
    sg_err err = sq_step_done(c, st, e, "updating status");
    if (!err && sq_provider_accepted(r->status) && !sq_provider_accepted(r->previous))
        err = sq_activity_on_send(c, r->message_id, e);
    if (!err)
        err = sq_event_insert(c, r->message_id, r->status, r->at, r->detail, e);
    if (!err)
        err = sq_emit_message_status(s, c, r->message_id, r->at, e);
    if (!err)
        r->changed = true;
    return err;
}

static sg_err sq_status_report(sg_store *s, sg_status_report *r, sg_error *e)
{
    r->found = r->changed = false;
    r->message_id[0] = '\0';
    return sq_write_sync(s, status_report_fn, r, e);
}

typedef struct report_job {
    job base;
    sg_status_report *r;
} report_job;

static sg_err report_run(sg_store *s, conn *c, job *j)
{
    return status_report_fn(s, c, ((report_job *)j)->r, &j->error);
}

static void report_complete(job *j)
{
    report_job *rj = (report_job *)j;
    sg_status_report *r = rj->r;
    sg_err err = j->err;
    sg_error e = j->error;
    free(rj);
    r->done(r, err, &e);
}

static sg_err sq_status_report_submit(sg_store *s, sg_status_report *r)
{
    r->found = r->changed = false;
    r->message_id[0] = '\0';
    report_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = report_run;
    j->base.complete = report_complete;
    j->r = r;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

const sg_store_callbacks_ops sq_callbacks_ops = {
    .status_report = sq_status_report,
    .status_report_submit = sq_status_report_submit,
};
