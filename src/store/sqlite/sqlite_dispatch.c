/* The SQLite backend, dispatch: claims (opted-out and expired messages fail
 * there), outcomes, a lost outcome found at the provider, claims taken back
 * at start, queue counts. */
#include "core/backoff.h"
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_CLAIM_SELECT                                                                           \
    "SELECT " SQ_MSG_COLS " FROM messages INDEXED BY messages_due "                                \
    "WHERE (status = 'scheduled' OR status = 'queued' OR status = 'sending') "                     \
    "AND due_at <= ?1 "                                                                            \
    "ORDER BY due_at LIMIT ?2"
#define SQL_CLAIM_UPDATE                                                                           \
    "UPDATE messages SET status = 'sending', due_at = ?2, updated_at = ?3, node_id = ?4, "         \
    "node_start = ?5 WHERE id = ?1"
#define SQL_OUT_SENT                                                                               \
    "UPDATE messages SET status = 'sent', provider_message_id = ?2, "                              \
    "from_number = CASE WHEN ?3 = '' THEN from_number ELSE ?3 END, "                               \
    "attempts = attempts + 1, due_at = 0, updated_at = ?4 "                                        \
    "WHERE id = ?1 AND status = 'sending'"
#define SQL_OUT_RETRY                                                                              \
    "UPDATE messages SET status = 'queued', due_at = ?2, attempts = attempts + 1, "                \
    "error_code = ?3, error_message = ?4, updated_at = ?5, "                                       \
    "first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ?6 "                                   \
    "ELSE first_attempt_at END, outcome_unknown = ?7 "                                              \
    "WHERE id = ?1 AND status = 'sending'"
#define SQL_OUT_FAILED                                                                             \
    "UPDATE messages SET status = 'failed', error_code = ?2, error_message = ?3, "                 \
    "from_number = CASE WHEN ?5 = '' THEN from_number ELSE ?5 END, "                               \
    "attempts = attempts + ?6, due_at = 0, updated_at = ?4 "                                       \
    "WHERE id = ?1 AND status = 'sending'"
#define SQL_OUT_RELEASE                                                                            \
    "UPDATE messages SET status = 'queued', due_at = ?2, updated_at = ?3 "                         \
    "WHERE id = ?1 AND status = 'sending'"
#define SQL_OUT_FAILOVER                                                                           \
    "UPDATE messages SET status = 'queued', due_at = ?2, attempts = attempts + 1, "                \
    "error_code = ?3, error_message = ?4, updated_at = ?5, "                                       \
    "providers_tried = CASE WHEN providers_tried = '' THEN provider_id "                           \
    "ELSE providers_tried || ',' || provider_id END, provider_id = ?6, "                           \
    "from_number = '', first_attempt_at = 0, "                                                     \
    "outcome_unknown = 0 WHERE id = ?1 AND status = 'sending'"
#define SQL_PROVIDER_ID_HELD                                                                       \
    "SELECT 1 FROM messages WHERE provider_id = "                                                  \
    "(SELECT provider_id FROM messages WHERE id = ?1) "                                            \
    "AND provider_message_id = ?2 AND direction = 'outbound' "                                     \
    "AND id != ?1 LIMIT 1"
#define SQL_CLAIMS_RECOVER                                                                         \
    "UPDATE messages SET due_at = ?1 WHERE status = 'sending' AND due_at > ?1"
#define SQL_QUEUE_STATS                                                                            \
    "SELECT status, count(*) FROM messages "                                                       \
    "WHERE status IN ('scheduled', 'queued', 'sending') GROUP BY status"
#define SQL_FAIL_OPTED_OUT                                                                         \
    "UPDATE messages SET status = 'failed', error_code = 'opted_out', "                            \
    "error_message = 'the recipient opted out of SMS', due_at = 0, "                               \
    "updated_at = ?2 WHERE id = ?1"
#define SQL_FAIL_EXPIRED                                                                           \
    "UPDATE messages SET status = 'failed', error_code = 'expired', "                              \
    "error_message = ?3, due_at = 0, updated_at = ?2 WHERE id = ?1"
#define SQL_MSG_TO "SELECT to_number FROM messages WHERE id = ?1"

/* A claimed message past its validity period (and with no attempt of unknown
 * outcome behind it): failed on the spot with error_code "expired"; the error of
 * its last attempt, if it was being retried, ends the message. */
static sg_err claim_fail_expired(sg_store *s, conn *c, const sg_message *m, int64_t now,
                                 sg_error *e)
{
    char last[SG_ERROR_CODE_MAX + 260], text[600];
    snprintf(last, sizeof last, "%s%s%.256s", m->error_code, m->error_code[0] ? " " : "",
             m->error_message ? m->error_message : "");
    sg_retry_state none = {0};
    sg_retry_give_up(SG_RETRY_EXPIRED, &none,
                     sg_validity_seconds(m->created_at, m->send_at, m->expires_at), last, text,
                     sizeof text);
    sqlite3_stmt *st = sq_stmt_sql(c, S_FAIL_EXPIRED, SQL_FAIL_EXPIRED);
    if (st) {
        sq_bind_text(st, 1, m->id);
        sqlite3_bind_int64(st, 2, now);
        sq_bind_text(st, 3, text);
    }
    sg_err err = sq_step_done(c, st, e, "failing an expired message");
    if (!err) {
        char detail[sizeof text + 16];
        snprintf(detail, sizeof detail, SG_CODE_EXPIRED " %s", text);
        err = sq_event_insert(c, m->id, SG_STATUS_FAILED, now, detail, e);
    }
    return err ? err : sq_emit_message_status(s, c, m->id, now, e);
}

typedef struct claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    sg_message *msgs;
    size_t n;
} claim_arg;

static sg_err claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    claim_arg *a = arg;
    a->msgs = calloc(a->limit, sizeof *a->msgs);
    if (!a->msgs)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    sqlite3_stmt *st = sq_stmt_sql(c, S_CLAIM_SELECT, SQL_CLAIM_SELECT);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing claim");
    sqlite3_bind_int64(st, 1, a->now);
    sqlite3_bind_int64(st, 2, (int64_t)a->limit);
    int rc;
    while (a->n < a->limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        sq_message_row(st, &a->msgs[a->n++]);
    sqlite3_reset(st);
    size_t kept = 0;
    for (size_t i = 0; i < a->n; i++) {
        sg_message *m = &a->msgs[i];
        if (strcmp(m->purpose, "consent") != 0 && sq_optout_exists(c, m->to)) {
            /* Opted out after it was queued: never reaches a provider. */
            st = sq_stmt_sql(c, S_FAIL_OPTED_OUT, SQL_FAIL_OPTED_OUT);
            if (st) {
                sq_bind_text(st, 1, m->id);
                sqlite3_bind_int64(st, 2, a->now);
            }
            sg_err err = sq_step_done(c, st, e, "failing an opted-out message");
            if (!err)
                err = sq_event_insert(c, m->id, SG_STATUS_FAILED, a->now,
                                      "opted_out: the recipient opted out of SMS", e);
            if (!err)
                err = sq_emit_message_status(s, c, m->id, a->now, e);
            if (err)
                return err;
            sg_message_free(m);
            continue;
        }
        if (m->status != SG_STATUS_SENDING && sg_validity_expired(m->expires_at, a->now)) {
            sg_err err = claim_fail_expired(s, c, m, a->now, e);
            if (err)
                return err;
            sg_message_free(m);
            continue;
        }
        st = sq_stmt_sql(c, S_CLAIM_UPDATE, SQL_CLAIM_UPDATE);
        if (st) {
            sq_bind_text(st, 1, m->id);
            sqlite3_bind_int64(st, 2, a->now + a->lease_ms);
            sqlite3_bind_int64(st, 3, a->now);
            sq_bind_text(st, 4, c->node_id);
            sq_bind_text(st, 5, c->node_start);
        }
        sg_err err = sq_step_done(c, st, e, "claiming");
        if (!err) {
            if (m->status != SG_STATUS_SENDING)
                err = sq_event_insert(c, m->id, SG_STATUS_SENDING, a->now, NULL, e);
            else /* a claim whose lease ran out, or taken back at start: the node
                    that held it stopped while it was being sent */
                err = sq_event_insert(c, m->id, SG_STATUS_SENDING, a->now,
                                      "claimed again after its lease expired or a restart "
                                      "(outcome of the previous attempt unknown)",
                                      e);
        }
        if (err)
            return err;
        m->reclaimed = m->status == SG_STATUS_SENDING;
        m->status = SG_STATUS_SENDING;
        if (kept != i) {
            a->msgs[kept] = *m;
            memset(m, 0, sizeof *m);
        }
        kept++;
    }
    a->n = kept;
    return SG_OK;
}

typedef struct claim_job {
    job base;
    claim_arg a;
    void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err);
    void *arg;
} claim_job;

static sg_err claim_run(sg_store *s, conn *c, job *j)
{
    return claim_fn(s, c, &((claim_job *)j)->a, &j->error);
}

static void claim_complete(job *j)
{
    claim_job *cj = (claim_job *)j;
    if (j->err) { /* rolled back: nothing was claimed */
        sg_messages_free(cj->a.msgs, cj->a.n);
        cj->a.msgs = NULL;
        cj->a.n = 0;
    }
    cj->done(cj->arg, cj->a.msgs, cj->a.n, j->err);
    free(cj);
}

static sg_err sq_claim_submit(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                              void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                              void *arg)
{
    claim_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = claim_run;
    j->base.complete = claim_complete;
    j->a = (claim_arg){.now = now, .lease_ms = lease_ms, .limit = limit};
    j->done = done;
    j->arg = arg;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct outcome_job {
    job base;
    size_t n;
    void (*done)(void *arg, sg_err err);
    void *arg;
    sg_outcome o[];
} outcome_job;

/* Outbound message id was just accepted by its provider (moved to sent,
 * delivered or undelivered from a status before those): its recipient's
 * contact, if there is one, had activity at the message's creation time. The
 * two statements that make that move call this; until migration 12 a trigger on
 * every status update of every message did it (docs/performance.md). Two primary-
 * key subqueries: about a third of the instructions of `UPDATE ... FROM messages`,
 * which SQLite runs as a join. */
sg_err sq_activity_on_send(conn *c, const char *id, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(
        c, S_CONTACT_SENT,
        "UPDATE contacts SET last_activity_at = "
        "max(last_activity_at, (SELECT created_at FROM messages WHERE id = ?1)) "
        "WHERE phone = (SELECT to_number FROM messages WHERE id = ?1 AND direction = 'outbound')");
    if (st)
        sq_bind_text(st, 1, id);
    return sq_step_done(c, st, e, "recording the contact's activity");
}

/* Whether status counts as accepted by the provider (sq_activity_on_send). */
bool sq_provider_accepted(sg_status status)
{
    return status == SG_STATUS_SENT || status == SG_STATUS_DELIVERED ||
           status == SG_STATUS_UNDELIVERED;
}

static sg_err outcome_apply(sg_store *s, conn *c, const sg_outcome *o, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_status status = SG_STATUS_QUEUED;
    char detail[sizeof o->error_message + sizeof o->note + 256];
    detail[0] = '\0';
    /* why it was not sent: "CODE message; send class CLASS" (the parts it has) */
    char reason[sizeof o->error_code + sizeof o->error_message + 32];
    snprintf(reason, sizeof reason, "%s%s%s%s%s", o->error_code, o->error_code[0] ? " " : "",
             o->error_message, o->send_class ? "; send class " : "",
             o->send_class ? o->send_class : "");
    switch (o->kind) {
    case SG_OUTCOME_SENT:
        st = sq_stmt_sql(c, S_OUT_SENT, SQL_OUT_SENT);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sq_bind_text(st, 2, o->provider_message_id);
        sq_bind_text(st, 3, o->from);
        sqlite3_bind_int64(st, 4, o->at);
        status = SG_STATUS_SENT;
        snprintf(detail, sizeof detail, "accepted by the provider as %s", o->provider_message_id);
        break;
    case SG_OUTCOME_RETRY:
        st = sq_stmt_sql(c, S_OUT_RETRY, SQL_OUT_RETRY);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sq_bind_text(st, 3, o->error_code);
        sq_bind_text(st, 4, o->error_message);
        sqlite3_bind_int64(st, 5, o->at);
        sqlite3_bind_int64(st, 6, o->first_attempt_at > 0 ? o->first_attempt_at : o->at);
        sqlite3_bind_int(st, 7, o->outcome_unknown ? 1 : 0);
        status = SG_STATUS_QUEUED;
        char when[SG_TIME_STR_MAX];
        sg_time_format(o->retry_at, when, sizeof when);
        snprintf(detail, sizeof detail, "retry at %s after: %s", when, reason);
        break;
    case SG_OUTCOME_FAILED:
        st = sq_stmt_sql(c, S_OUT_FAILED, SQL_OUT_FAILED);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sq_bind_text(st, 2, o->error_code);
        sq_bind_text(st, 3, o->error_message);
        sqlite3_bind_int64(st, 4, o->at);
        sq_bind_text(st, 5, o->from);
        sqlite3_bind_int(st, 6, o->unsent ? 0 : 1);
        status = SG_STATUS_FAILED;
        snprintf(detail, sizeof detail, "%s", reason);
        break;
    case SG_OUTCOME_FAILOVER:
        st = sq_stmt_sql(c, S_OUT_FAILOVER, SQL_OUT_FAILOVER);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sq_bind_text(st, 3, o->error_code);
        sq_bind_text(st, 4, o->error_message);
        sqlite3_bind_int64(st, 5, o->at);
        sq_bind_text(st, 6, o->next_provider_id);
        status = SG_STATUS_QUEUED;
        snprintf(detail, sizeof detail, "failed over from %s to %s after: %s", o->failover_from,
                 o->failover_to, reason);
        break;
    case SG_OUTCOME_RELEASE:
    default:
        st = sq_stmt_sql(c, S_OUT_RELEASE, SQL_OUT_RELEASE);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sqlite3_bind_int64(st, 3, o->at);
        status = SG_STATUS_QUEUED;
        snprintf(detail, sizeof detail, "not sent: %s", o->error_message);
        break;
    }
    sg_err err = sq_step_done(c, st, e, "recording outcome");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return SG_OK; /* no longer ours (canceled, or claimed again elsewhere) */
    if (o->note[0]) { /* why it was (not) failed over: docs/routing.md */
        size_t len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, "; %s", o->note);
    }
    err = sq_event_insert(c, o->id, status, o->at, detail, e);
    if (!err && o->kind == SG_OUTCOME_SENT)
        err = sq_activity_on_send(c, o->id, e);
    if (!err && (o->kind == SG_OUTCOME_SENT || o->kind == SG_OUTCOME_FAILED))
        err = sq_emit_message_status(s, c, o->id, o->at, e);
    if (!err && o->kind == SG_OUTCOME_SENT && o->provider_message_id[0])
        err = sq_early_reports_apply(s, c, o->id, o->provider_message_id, e);
    if (err || o->kind != SG_OUTCOME_FAILED || !o->opt_out)
        return err;
    /* The provider says the recipient unsubscribed (Twilio 21610): mirror it. */
    sg_optout opt = {.created_at = o->at};
    st = sq_stmt_sql(c, S_MSG_TO, SQL_MSG_TO);
    if (st) {
        sq_bind_text(st, 1, o->id);
        if (sqlite3_step(st) == SQLITE_ROW)
            sq_col_copy(st, 0, opt.phone, sizeof opt.phone);
        sqlite3_reset(st);
    }
    if (!opt.phone[0])
        return SG_OK;
    snprintf(opt.source, sizeof opt.source, "provider");
    snprintf(opt.reason, sizeof opt.reason, "provider error %s", o->error_code);
    snprintf(opt.message_id, sizeof opt.message_id, "%s", o->id);
    bool changed;
    return sq_optout_add_on(s, c, &opt, &changed, e);
}

static sg_err outcomes_run(sg_store *s, conn *c, job *j)
{
    outcome_job *oj = (outcome_job *)j;
    for (size_t i = 0; i < oj->n; i++) {
        sg_err err = outcome_apply(s, c, &oj->o[i], &j->error);
        if (err)
            return err;
    }
    return SG_OK;
}

static void outcomes_complete(job *j)
{
    outcome_job *oj = (outcome_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=%zu error=\"%s\"", oj->n,
               j->error.message);
    if (oj->done)
        oj->done(oj->arg, j->err);
    free(oj);
}

static sg_err sq_outcomes(sg_store *s, const sg_outcome *o, size_t n,
                          void (*done)(void *arg, sg_err err), void *arg)
{
    outcome_job *j = calloc(1, sizeof *j + n * sizeof *o);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = outcomes_run;
    j->base.complete = outcomes_complete;
    j->n = n;
    j->done = done;
    j->arg = arg;
    memcpy(j->o, o, n * sizeof *o);
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct found_job {
    job base;
    sg_outcome o;
    void (*done)(void *arg, bool attributed, sg_err err);
    void *arg;
    bool attributed;
    size_t n;
    char ids[][SG_PROVIDER_MSG_ID_MAX];
} found_job;

/* Whether another outbound message of message id's provider holds provider id sid. */
static sg_err provider_id_held(conn *c, const char *id, const char *sid, bool *held, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_PROVIDER_ID_HELD, SQL_PROVIDER_ID_HELD);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing a provider id check");
    sq_bind_text(st, 1, id);
    sq_bind_text(st, 2, sid);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    *held = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SG_OK
               : sq_db_error(c->db, rc, e, "checking a provider id");
}

/* The first candidate nobody holds becomes the message's; none free: send it. */
static sg_err found_run(sg_store *s, conn *c, job *j)
{
    found_job *fj = (found_job *)j;
    sg_outcome o = fj->o;
    for (size_t i = 0; i < fj->n; i++) {
        bool held = true;
        sg_err err = provider_id_held(c, o.id, fj->ids[i], &held, &j->error);
        if (err)
            return err;
        if (!held) {
            o.kind = SG_OUTCOME_SENT;
            snprintf(o.provider_message_id, sizeof o.provider_message_id, "%s", fj->ids[i]);
            fj->attributed = true;
            return outcome_apply(s, c, &o, &j->error);
        }
    }
    o.kind = SG_OUTCOME_RELEASE;
    o.from[0] = '\0';
    o.retry_at = o.at;
    snprintf(o.error_message, sizeof o.error_message,
             "the provider's messages like it (%zu) are all recorded for other messages; "
             "sending it",
             fj->n);
    return outcome_apply(s, c, &o, &j->error);
}

static void found_complete(job *j)
{
    found_job *fj = (found_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=1 id=%s error=\"%s\"", fj->o.id,
               j->error.message);
    if (fj->done)
        fj->done(fj->arg, fj->attributed && !j->err, j->err);
    free(fj);
}

static sg_err sq_outcome_found(sg_store *s, const sg_outcome *o,
                               const char (*ids)[SG_PROVIDER_MSG_ID_MAX], size_t n,
                               void (*done)(void *arg, bool attributed, sg_err err), void *arg)
{
    found_job *j = calloc(1, sizeof *j + n * sizeof j->ids[0]);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = found_run;
    j->base.complete = found_complete;
    j->o = *o;
    j->done = done;
    j->arg = arg;
    j->n = n;
    if (n)
        memcpy(j->ids, ids, n * sizeof j->ids[0]);
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct recover_arg {
    int64_t now;
    size_t n;
} recover_arg;

static sg_err claims_recover_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    recover_arg *a = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_CLAIMS_RECOVER, SQL_CLAIMS_RECOVER);
    if (st)
        sqlite3_bind_int64(st, 1, a->now);
    sg_err err = sq_step_done(c, st, e, "taking back the claims of the previous run");
    if (!err)
        a->n = (size_t)sqlite3_changes(c->db);
    return err;
}

static sg_err sq_claims_recover(sg_store *s, int64_t now, size_t *n, sg_error *e)
{
    recover_arg a = {.now = now};
    sg_err err = sq_write_sync(s, claims_recover_fn, &a, e);
    if (n)
        *n = err ? 0 : a.n;
    return err;
}

static sg_err sq_queue_stats(sg_store *s, sg_queue_stats *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, S_QUEUE_STATS, SQL_QUEUE_STATS);
    sg_err err = st ? SG_OK : SG_ERR_DB;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        int64_t count = sqlite3_column_int64(st, 1);
        if (!status)
            continue;
        if (strcmp(status, "scheduled") == 0)
            out->scheduled = count;
        else if (strcmp(status, "queued") == 0)
            out->queued = count;
        else if (strcmp(status, "sending") == 0)
            out->sending = count;
    }
    if (st)
        sqlite3_reset(st);
    sq_reader_release(s, c);
    return err;
}

const sg_store_dispatch_ops sq_dispatch_ops = {
    .claim_submit = sq_claim_submit,
    .outcomes = sq_outcomes,
    .outcome_found = sq_outcome_found,
    .claims_recover = sq_claims_recover,
    .queue_stats = sq_queue_stats,
    .node_register = sq_node_register,
    .node_beat = sq_node_beat,
    .node_stop = sq_node_stop,
    .nodes_list = sq_nodes_list,
};
