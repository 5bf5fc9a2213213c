/* The PostgreSQL backend, provider status reports, and the early ones that
 * arrive before their send's outcome is committed. The same rules as
 * store/sqlite/sqlite_callbacks.c: a status only moves forward; a report for a
 * provider id no message has yet is kept (at most SG_EARLY_PER_PROVIDER per
 * provider, for ten minutes) and applied, in arrival order, in the transaction
 * that records the send's outcome (pg_dispatch.c calls pg_early_reports_apply).
 *
 * Reports are writes of the writer thread like every other write: on one node a
 * report and the outcome it waits for are applied in one order. Two nodes may
 * race: node B keeps a report because node A's outcome is not committed yet,
 * while A's transaction looked for early reports before B's was committed;
 * neither sees the other's write. pg_early_reports_sweep, run with every claim
 * (about once a second on each node), applies such a report as soon as its
 * message holds the provider id, so it waits a second, not forever. */
#include "store/pg/pg_store.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EARLY_KEEP_MS      (10 * 60 * 1000)
#define EARLY_LOG_EVERY_MS (60 * 1000)
#define EARLY_APPLY_MAX    16

static _Atomic int64_t early_logged_at;

/* Drop provider_id's early reports beyond its newest SG_EARLY_PER_PROVIDER,
 * counted in /metrics and logged at most once a minute. */
static sg_err early_reports_bound(pg_conn *c, const char *provider_id, int64_t now, sg_error *e)
{
    char keep[24];
    const char *p[] = {provider_id, pg_i64(keep, SG_EARLY_PER_PROVIDER)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "DELETE FROM early_reports WHERE provider_id = $1 AND id <= "
                          "(SELECT id FROM early_reports WHERE provider_id = $1 "
                          "ORDER BY id DESC LIMIT 1 OFFSET $2::bigint)",
                          2, p, &r, e);
    if (err)
        return err;
    long long dropped = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (dropped <= 0)
        return SG_OK;
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

/* Keep report r (for an id no message has yet) until its outcome lands. */
static sg_err early_report_keep(pg_conn *c, const sg_status_report *r, sg_error *e)
{
    if (!r->provider_message_id || !*r->provider_message_id)
        return SG_OK;
    int64_t now = sg_time_now_ms();
    char old[24], at[24], received[24];
    const char *px[] = {pg_i64(old, now - EARLY_KEEP_MS)};
    sg_err err =
        pg_query(c, "DELETE FROM early_reports WHERE received_at < $1::bigint", 1, px, NULL, e);
    if (err)
        return err;
    const char *p[] = {r->provider_id,
                       r->provider_message_id,
                       sg_status_name(r->status),
                       r->error_code ? r->error_code : "",
                       r->error_message,
                       r->detail,
                       pg_i64(at, r->at),
                       pg_i64(received, now)};
    err = pg_query(c,
                   "INSERT INTO early_reports (provider_id, provider_message_id, status, "
                   "error_code, error_message, detail, at, received_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8::bigint)",
                   8, p, NULL, e);
    return err ? err : early_reports_bound(c, r->provider_id, now, e);
}

static bool provider_accepted(sg_status status)
{
    return status == SG_STATUS_SENT || status == SG_STATUS_DELIVERED ||
           status == SG_STATUS_UNDELIVERED;
}

/* The outbound message holding r's provider id (locked until the commit):
 * r->found, r->message_id, r->previous. */
static sg_err report_find(pg_conn *c, sg_status_report *r, sg_error *e)
{
    const char *p[] = {r->provider_id, r->provider_message_id ? r->provider_message_id : ""};
    PGresult *res;
    sg_err err = pg_query(c,
                          "SELECT id, status FROM messages WHERE provider_id = $1 AND "
                          "provider_message_id = $2 AND provider_message_id <> '' AND "
                          "direction = 'outbound' LIMIT 1 FOR UPDATE",
                          2, p, &res, e);
    if (err)
        return err;
    r->found = PQntuples(res) > 0;
    if (r->found) {
        pg_col_copy(res, 0, 0, r->message_id, sizeof r->message_id);
        if (!sg_status_parse(PQgetvalue(res, 0, 1), &r->previous))
            r->previous = SG_STATUS_FAILED;
    }
    PQclear(res);
    return SG_OK;
}

static sg_err status_report_on(pg_conn *c, sg_status_report *r, sg_error *e)
{
    sg_err err = report_find(c, r, e);
    if (err)
        return err;
    if (!r->found)
        return early_report_keep(c, r, e);
    if (!sg_status_may_move(r->previous, r->status))
        return SG_OK; /* repeated, late or out of order: nothing changes */
    char at[24];
    const char *p[] = {r->message_id, sg_status_name(r->status), r->error_code ? r->error_code : "",
                       r->error_message, pg_i64(at, r->at)};
    err = pg_query(c,
                   "UPDATE messages SET status = $2, "
                   "error_code = CASE WHEN $3 = '' THEN error_code ELSE $3 END, "
                   "error_message = coalesce($4, error_message), updated_at = $5::bigint "
                   "WHERE id = $1",
                   5, p, NULL, e);
    if (!err && provider_accepted(r->status) && !provider_accepted(r->previous))
        err = pg_activity_on_send(c, r->message_id, e);
    if (!err)
        err = pg_event_insert(c, r->message_id, r->status, r->at, r->detail, e);
    if (!err)
        err = pg_emit_status_of(c, r->message_id, r->at, e);
    if (!err)
        r->changed = true;
    return err;
}

typedef struct early {
    sg_status status;
    char code[SG_ERROR_CODE_MAX];
    char *message, *detail;
    int64_t at;
} early;

/* Up to EARLY_APPLY_MAX reports of (provider, sid), oldest first. */
static sg_err early_read(pg_conn *c, const char *provider, const char *sid, early *reps, size_t *n,
                         sg_error *e)
{
    char lim[24];
    const char *p[] = {provider, sid, pg_i64(lim, EARLY_APPLY_MAX)};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT status, error_code, error_message, detail, at FROM early_reports "
                          "WHERE provider_id = $1 AND provider_message_id = $2 "
                          "ORDER BY id LIMIT $3::bigint",
                          3, p, &r, e);
    if (err)
        return err;
    *n = 0;
    for (int i = 0; i < PQntuples(r) && *n < EARLY_APPLY_MAX; i++) {
        early *x = &reps[*n];
        if (!sg_status_parse(PQgetvalue(r, i, 0), &x->status))
            continue;
        pg_col_copy(r, i, 1, x->code, sizeof x->code);
        x->message = pg_col_dup(r, i, 2);
        x->detail = pg_col_dup(r, i, 3);
        x->at = pg_col_i64(r, i, 4);
        (*n)++;
    }
    PQclear(r);
    return SG_OK;
}

sg_err pg_early_reports_apply(pg_conn *c, const char *id, const char *sid, sg_error *e)
{
    char provider[SG_ID_MAX] = "";
    const char *pid[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT provider_id FROM messages WHERE id = $1", 1, pid, &r, e);
    if (err)
        return err;
    if (PQntuples(r) == 1)
        pg_col_copy(r, 0, 0, provider, sizeof provider);
    PQclear(r);
    early reps[EARLY_APPLY_MAX];
    size_t n = 0;
    if ((err = early_read(c, provider, sid, reps, &n, e)))
        return err;
    for (size_t i = 0; i < n; i++) {
        sg_status_report rep = {.provider_id = provider,
                                .provider_message_id = sid,
                                .status = reps[i].status,
                                .error_code = reps[i].code,
                                .error_message = reps[i].message,
                                .detail = reps[i].detail,
                                .at = reps[i].at};
        if (!err)
            err = status_report_on(c, &rep, e);
        free(reps[i].message);
        free(reps[i].detail);
    }
    if (err || n == 0)
        return err;
    const char *p[] = {provider, sid};
    return pg_query(c,
                    "DELETE FROM early_reports WHERE provider_id = $1 AND "
                    "provider_message_id = $2",
                    2, p, NULL, e);
}

sg_err pg_early_reports_sweep(pg_conn *c, sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT DISTINCT m.id, m.provider_message_id FROM early_reports er "
                          "JOIN messages m ON m.provider_id = er.provider_id AND "
                          "m.provider_message_id = er.provider_message_id AND "
                          "m.direction = 'outbound' AND m.provider_message_id <> '' LIMIT 16",
                          0, NULL, &r, e);
    if (err)
        return err;
    for (int i = 0; !err && i < PQntuples(r); i++)
        err = pg_early_reports_apply(c, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), e);
    PQclear(r);
    return err;
}

static void report_reset(sg_status_report *r)
{
    r->found = r->changed = false;
    r->message_id[0] = '\0';
}

static sg_err status_report_fn(pg_conn *c, void *arg, sg_error *e)
{
    return status_report_on(c, arg, e);
}

static sg_err pg_status_report(sg_store *s, sg_status_report *r, sg_error *e)
{
    report_reset(r);
    return pg_write(pg_of(s), status_report_fn, r, e);
}

typedef struct report_job {
    pg_job base;
    sg_status_report *r;
} report_job;

static sg_err report_run(pg_conn *c, pg_job *j)
{
    return status_report_on(c, ((report_job *)j)->r, &j->error);
}

static void report_complete(pg_job *j)
{
    report_job *rj = (report_job *)j;
    sg_status_report *r = rj->r;
    sg_err err = j->err;
    sg_error e = j->error;
    free(rj);
    r->done(r, err, &e);
}

static sg_err pg_status_report_submit(sg_store *s, sg_status_report *r)
{
    report_reset(r);
    report_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = report_run;
    j->base.complete = report_complete;
    j->r = r;
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

const sg_store_callbacks_ops pg_callbacks_ops = {
    .status_report = pg_status_report,
    .status_report_submit = pg_status_report_submit,
};
