/* The PostgreSQL backend, dispatch: claims, outcomes, a lost outcome found at
 * the provider, claims taken back at start, queue counts. The same rules as
 * store/sqlite/sqlite_dispatch.c.
 *
 * A claim is one short transaction of the writer: the due rows are selected
 * FOR UPDATE SKIP LOCKED (rows another node is claiming, or that a cancel has
 * locked, are passed over rather than waited for), and each is moved to
 * sending with its lease at once; nothing stays open while a provider is
 * asked. Outcomes apply only while the row is still sending, so a message
 * canceled or claimed again elsewhere meanwhile is left alone. */
#include "core/backoff.h"
#include "store/pg/pg_store.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_COLS                                                                                   \
    "id, status, direction, to_number, from_number, body, provider_id, provider_message_id, "      \
    "segments, encoding, error_code, error_message, attempts, send_at, contact_id, metadata, "     \
    "created_at, updated_at, purpose, broadcast_id, expires_at, first_attempt_at, "                \
    "external_template_id, route_id, failover, providers_tried, outcome_unknown"

/* ---- helpers ------------------------------------------------------------------------------ */

static sg_err event_insert(pg_conn *c, const char *id, sg_status status, int64_t at,
                           const char *detail, sg_error *e)
{
    char t[24];
    const char *p[] = {id, sg_status_name(status), pg_i64(t, at),
                       detail && *detail ? detail : NULL};
    return pg_query(c,
                    "INSERT INTO message_events (message_id, status, at, detail) "
                    "VALUES ($1, $2, $3::bigint, $4)",
                    4, p, NULL, e);
}

/* message.status for message id as it is now in this transaction. */
sg_err pg_emit_status_of(pg_conn *c, const char *id, int64_t at, sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT " MSG_COLS " FROM messages WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    if (PQntuples(r) == 1) {
        sg_message m;
        pg_message_row(r, 0, &m);
        err = pg_emit_message_status(c, &m, at, e);
        sg_message_free(&m);
    }
    PQclear(r);
    return err;
}

/* One statement with text parameters whose effect is "did it change a row". */
static sg_err change(pg_conn *c, const char *sql, int n, const char *const *p, bool *changed,
                     sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (!err) {
        *changed = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    return err;
}

/* ---- claims ---------------------------------------------------------------------------------- */

static sg_err fail_opted_out(pg_conn *c, const sg_message *m, int64_t now, sg_error *e)
{
    char t[24];
    const char *p[] = {m->id, pg_i64(t, now)};
    bool changed;
    sg_err err = change(c,
                        "UPDATE messages SET status = 'failed', error_code = 'opted_out', "
                        "error_message = 'the recipient opted out of SMS', due_at = 0, "
                        "updated_at = $2::bigint WHERE id = $1",
                        2, p, &changed, e);
    if (!err)
        err = event_insert(c, m->id, SG_STATUS_FAILED, now,
                           "opted_out: the recipient opted out of SMS", e);
    return err ? err : pg_emit_status_of(c, m->id, now, e);
}

/* Past its validity period (and no attempt of unknown outcome behind it):
 * failed "expired"; its last attempt's error, if it was being retried, ends
 * the message's text. */
static sg_err fail_expired(pg_conn *c, const sg_message *m, int64_t now, sg_error *e)
{
    char last[SG_ERROR_CODE_MAX + 260], text[600], t[24];
    snprintf(last, sizeof last, "%s%s%.256s", m->error_code, m->error_code[0] ? " " : "",
             m->error_message ? m->error_message : "");
    sg_retry_state none = {0};
    sg_retry_give_up(SG_RETRY_EXPIRED, &none,
                     sg_validity_seconds(m->created_at, m->send_at, m->expires_at), last, text,
                     sizeof text);
    const char *p[] = {m->id, pg_i64(t, now), text};
    bool changed;
    sg_err err = change(c,
                        "UPDATE messages SET status = 'failed', error_code = 'expired', "
                        "error_message = $3, due_at = 0, updated_at = $2::bigint WHERE id = $1",
                        3, p, &changed, e);
    if (!err) {
        char detail[sizeof text + 16];
        snprintf(detail, sizeof detail, SG_CODE_EXPIRED " %s", text);
        err = event_insert(c, m->id, SG_STATUS_FAILED, now, detail, e);
    }
    return err ? err : pg_emit_status_of(c, m->id, now, e);
}

static sg_err opted_out(pg_conn *c, const char *phone, bool *yes, sg_error *e)
{
    const char *p[] = {phone};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT 1 FROM optouts WHERE phone = $1", 1, p, &r, e);
    if (!err) {
        *yes = PQntuples(r) > 0;
        PQclear(r);
    }
    return err;
}

/* Message m (selected and locked) moves to sending for lease_ms; false in
 * *keep when it failed instead (opted out, expired). */
static sg_err claim_one(pg_conn *c, sg_message *m, int64_t now, int64_t lease_ms, bool *keep,
                        sg_error *e)
{
    *keep = false;
    bool out = false;
    sg_err err = strcmp(m->purpose, "consent") != 0 ? opted_out(c, m->to, &out, e) : SG_OK;
    if (err)
        return err;
    if (out) /* opted out after it was queued: never reaches a provider */
        return fail_opted_out(c, m, now, e);
    if (m->status != SG_STATUS_SENDING && sg_validity_expired(m->expires_at, now))
        return fail_expired(c, m, now, e);
    char due[24], t[24];
    const char *p[] = {m->id, pg_i64(due, now + lease_ms), pg_i64(t, now), c->node_id,
                       c->node_start};
    bool changed;
    if ((err = change(c,
                      "UPDATE messages SET status = 'sending', due_at = $2::bigint, "
                      "updated_at = $3::bigint, node_id = $4, node_start = $5 WHERE id = $1",
                      5, p, &changed, e)))
        return err;
    /* A claim whose lease ran out, or taken back at start: the node that held
     * it stopped while it was being sent. */
    err = event_insert(c, m->id, SG_STATUS_SENDING, now,
                       m->status == SG_STATUS_SENDING
                           ? "claimed again after its lease expired or a restart "
                             "(outcome of the previous attempt unknown)"
                           : NULL,
                       e);
    m->reclaimed = m->status == SG_STATUS_SENDING;
    m->status = SG_STATUS_SENDING;
    *keep = !err;
    return err;
}

typedef struct claim_job {
    pg_job base;
    int64_t now, lease_ms;
    size_t limit;
    sg_message *msgs;
    size_t n;
    void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err);
    void *arg;
} claim_job;

static sg_err claim_run(pg_conn *c, pg_job *j)
{
    claim_job *cj = (claim_job *)j;
    /* Reports another node kept while this one committed their outcome. */
    sg_err err = pg_early_reports_sweep(c, &j->error);
    if (err)
        return err;
    char now[24], lim[24];
    const char *p[] = {pg_i64(now, cj->now), pg_i64(lim, (int64_t)cj->limit)};
    PGresult *r;
    /* The condition is messages_due's own, so that index serves it. */
    err = pg_query(c,
                   "SELECT " MSG_COLS " FROM messages "
                   "WHERE status IN ('scheduled', 'queued', 'sending') "
                   "AND due_at <= $1::bigint ORDER BY due_at LIMIT $2::bigint "
                   "FOR UPDATE SKIP LOCKED",
                   2, p, &r, &j->error);
    if (err)
        return err;
    int rows = PQntuples(r);
    cj->msgs = calloc(rows ? (size_t)rows : 1, sizeof *cj->msgs);
    if (!cj->msgs) {
        PQclear(r);
        return sg_error_set(&j->error, SG_ERR_NOMEM, NULL, "out of memory");
    }
    for (int i = 0; i < rows && !err; i++) {
        sg_message *m = &cj->msgs[cj->n];
        pg_message_row(r, i, m);
        bool keep = false;
        err = claim_one(c, m, cj->now, cj->lease_ms, &keep, &j->error);
        if (keep)
            cj->n++;
        else
            sg_message_free(m);
    }
    PQclear(r);
    return err;
}

static void claim_complete(pg_job *j)
{
    claim_job *cj = (claim_job *)j;
    if (j->err) { /* rolled back: nothing was claimed */
        sg_messages_free(cj->msgs, cj->n);
        cj->msgs = NULL;
        cj->n = 0;
    }
    cj->done(cj->arg, cj->msgs, cj->n, j->err);
    free(cj);
}

static sg_err pg_claim_submit(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                              void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                              void *arg)
{
    claim_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = claim_run;
    j->base.complete = claim_complete;
    j->now = now;
    j->lease_ms = lease_ms;
    j->limit = limit;
    j->done = done;
    j->arg = arg;
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

/* ---- outcomes ------------------------------------------------------------------------------ */

/* The statement that records outcome o (only while the row is still sending),
 * its parameters, and the event's status and detail. */
static int outcome_sql(const sg_outcome *o, const char **sql, const char **p, char nums[3][24],
                       sg_status *status, char *detail, size_t cap)
{
    char when[SG_TIME_STR_MAX];
    switch (o->kind) {
    case SG_OUTCOME_SENT:
        *sql = "UPDATE messages SET status = 'sent', provider_message_id = $2, "
               "from_number = CASE WHEN $3 = '' THEN from_number ELSE $3 END, "
               "attempts = attempts + 1, due_at = 0, updated_at = $4::bigint "
               "WHERE id = $1 AND status = 'sending'";
        p[0] = o->id, p[1] = o->provider_message_id, p[2] = o->from, p[3] = pg_i64(nums[0], o->at);
        *status = SG_STATUS_SENT;
        snprintf(detail, cap, "accepted by the provider as %s", o->provider_message_id);
        return 4;
    case SG_OUTCOME_RETRY:
        *sql = "UPDATE messages SET status = 'queued', due_at = $2::bigint, "
               "attempts = attempts + 1, error_code = $3, error_message = $4, "
               "updated_at = $5::bigint, first_attempt_at = CASE WHEN first_attempt_at = 0 "
               "THEN $6::bigint ELSE first_attempt_at END, outcome_unknown = $7::boolean "
               "WHERE id = $1 AND status = 'sending'";
        p[0] = o->id, p[1] = pg_i64(nums[0], o->retry_at), p[2] = o->error_code;
        p[3] = o->error_message, p[4] = pg_i64(nums[1], o->at);
        p[5] = pg_i64(nums[2], o->first_attempt_at > 0 ? o->first_attempt_at : o->at);
        p[6] = o->outcome_unknown ? "true" : "false";
        *status = SG_STATUS_QUEUED;
        sg_time_format(o->retry_at, when, sizeof when);
        snprintf(detail, cap, "retry at %s after: %s%s%s%s%s", when,
                 o->error_code[0] ? o->error_code : "", o->error_code[0] ? " " : "",
                 o->error_message, o->send_class ? "; send class " : "",
                 o->send_class ? o->send_class : "");
        return 7;
    case SG_OUTCOME_FAILOVER:
        *sql = "UPDATE messages SET status = 'queued', due_at = $2::bigint, "
               "attempts = attempts + 1, error_code = $3, error_message = $4, "
               "updated_at = $5::bigint, providers_tried = CASE WHEN providers_tried = '' "
               "THEN provider_id ELSE providers_tried || ',' || provider_id END, "
               "provider_id = $6, from_number = '', first_attempt_at = 0, "
               "outcome_unknown = false WHERE id = $1 AND status = 'sending'";
        p[0] = o->id, p[1] = pg_i64(nums[0], o->retry_at), p[2] = o->error_code;
        p[3] = o->error_message, p[4] = pg_i64(nums[1], o->at), p[5] = o->next_provider_id;
        *status = SG_STATUS_QUEUED;
        snprintf(detail, cap, "failed over from %s to %s after: %s%s%s%s%s", o->failover_from,
                 o->failover_to, o->error_code[0] ? o->error_code : "",
                 o->error_code[0] ? " " : "", o->error_message,
                 o->send_class ? "; send class " : "", o->send_class ? o->send_class : "");
        return 6;
    case SG_OUTCOME_FAILED:
        *sql = "UPDATE messages SET status = 'failed', error_code = $2, error_message = $3, "
               "from_number = CASE WHEN $5 = '' THEN from_number ELSE $5 END, "
               "attempts = attempts + $6::integer, due_at = 0, updated_at = $4::bigint "
               "WHERE id = $1 AND status = 'sending'";
        p[0] = o->id, p[1] = o->error_code, p[2] = o->error_message, p[3] = pg_i64(nums[0], o->at);
        p[4] = o->from, p[5] = o->unsent ? "0" : "1";
        *status = SG_STATUS_FAILED;
        snprintf(detail, cap, "%s%s%s%s%s", o->error_code[0] ? o->error_code : "",
                 o->error_code[0] ? " " : "", o->error_message,
                 o->send_class ? "; send class " : "", o->send_class ? o->send_class : "");
        return 6;
    case SG_OUTCOME_RELEASE:
    default:
        *sql = "UPDATE messages SET status = 'queued', due_at = $2::bigint, "
               "updated_at = $3::bigint WHERE id = $1 AND status = 'sending'";
        p[0] = o->id, p[1] = pg_i64(nums[0], o->retry_at), p[2] = pg_i64(nums[1], o->at);
        *status = SG_STATUS_QUEUED;
        snprintf(detail, cap, "not sent: %s", o->error_message);
        return 3;
    }
}

/* Accepted by its provider: the recipient's contact had activity at the
 * message's creation time (as sqlite_dispatch.c's sq_activity_on_send). */
sg_err pg_activity_on_send(pg_conn *c, const char *id, sg_error *e)
{
    const char *p[] = {id};
    return pg_query(c,
                    "UPDATE contacts SET last_activity_at = greatest(last_activity_at, "
                    "(SELECT created_at FROM messages WHERE id = $1)) WHERE phone = "
                    "(SELECT to_number FROM messages WHERE id = $1 AND direction = 'outbound')",
                    1, p, NULL, e);
}

/* The provider says the recipient unsubscribed (Twilio 21610): mirror it. */
static sg_err mirror_opt_out(pg_conn *c, const sg_outcome *o, sg_error *e)
{
    const char *p[] = {o->id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT to_number FROM messages WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    sg_optout opt = {.created_at = o->at};
    if (PQntuples(r) == 1)
        pg_col_copy(r, 0, 0, opt.phone, sizeof opt.phone);
    PQclear(r);
    if (!opt.phone[0])
        return SG_OK;
    snprintf(opt.source, sizeof opt.source, "provider");
    snprintf(opt.reason, sizeof opt.reason, "provider error %s", o->error_code);
    snprintf(opt.message_id, sizeof opt.message_id, "%s", o->id);
    bool changed;
    return pg_optout_add_on(c, &opt, &changed, e);
}

static sg_err outcome_apply(pg_conn *c, const sg_outcome *o, sg_error *e)
{
    const char *sql, *p[7];
    char nums[3][24], detail[sizeof o->error_message + sizeof o->note + 256];
    sg_status status;
    int n = outcome_sql(o, &sql, p, nums, &status, detail, sizeof detail);
    bool changed = false;
    sg_err err = change(c, sql, n, p, &changed, e);
    if (err || !changed) /* no longer ours (canceled, or claimed again elsewhere) */
        return err;
    if (o->note[0]) { /* why it was (not) failed over: docs/routing.md */
        size_t len = strlen(detail);
        snprintf(detail + len, sizeof detail - len, "; %s", o->note);
    }
    err = event_insert(c, o->id, status, o->at, detail, e);
    if (!err && o->kind == SG_OUTCOME_SENT)
        err = pg_activity_on_send(c, o->id, e);
    if (!err && (o->kind == SG_OUTCOME_SENT || o->kind == SG_OUTCOME_FAILED))
        err = pg_emit_status_of(c, o->id, o->at, e);
    if (!err && o->kind == SG_OUTCOME_SENT && o->provider_message_id[0])
        err = pg_early_reports_apply(c, o->id, o->provider_message_id, e);
    if (!err && o->kind == SG_OUTCOME_FAILED && o->opt_out)
        err = mirror_opt_out(c, o, e);
    return err;
}

typedef struct outcome_job {
    pg_job base;
    size_t n;
    void (*done)(void *arg, sg_err err);
    void *arg;
    sg_outcome o[];
} outcome_job;

static sg_err outcomes_run(pg_conn *c, pg_job *j)
{
    outcome_job *oj = (outcome_job *)j;
    sg_err err = SG_OK;
    for (size_t i = 0; i < oj->n && !err; i++)
        err = outcome_apply(c, &oj->o[i], &j->error);
    return err;
}

static void outcomes_complete(pg_job *j)
{
    outcome_job *oj = (outcome_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=%zu error=\"%s\"", oj->n,
               j->error.message);
    if (oj->done)
        oj->done(oj->arg, j->err);
    free(oj);
}

static sg_err pg_outcomes(sg_store *s, const sg_outcome *o, size_t n,
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
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct found_job {
    pg_job base;
    sg_outcome o;
    void (*done)(void *arg, bool attributed, sg_err err);
    void *arg;
    bool attributed;
    size_t n;
    char ids[][SG_PROVIDER_MSG_ID_MAX];
} found_job;

/* Whether another outbound message of message id's provider holds provider id sid. */
static sg_err provider_id_held(pg_conn *c, const char *id, const char *sid, bool *held, sg_error *e)
{
    const char *p[] = {id, sid};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT 1 FROM messages WHERE provider_id = "
                          "(SELECT provider_id FROM messages WHERE id = $1) "
                          "AND provider_message_id = $2 AND direction = 'outbound' "
                          "AND id <> $1 LIMIT 1",
                          2, p, &r, e);
    if (!err) {
        *held = PQntuples(r) > 0;
        PQclear(r);
    }
    return err;
}

/* The first candidate nobody holds becomes the message's; none free: send it. */
static sg_err found_run(pg_conn *c, pg_job *j)
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
            return outcome_apply(c, &o, &j->error);
        }
    }
    o.kind = SG_OUTCOME_RELEASE;
    o.from[0] = '\0';
    o.retry_at = o.at;
    snprintf(o.error_message, sizeof o.error_message,
             "the provider's messages like it (%zu) are all recorded for other messages; "
             "sending it",
             fj->n);
    return outcome_apply(c, &o, &j->error);
}

static void found_complete(pg_job *j)
{
    found_job *fj = (found_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=1 id=%s error=\"%s\"", fj->o.id,
               j->error.message);
    if (fj->done)
        fj->done(fj->arg, fj->attributed && !j->err, j->err);
    free(fj);
}

static sg_err pg_outcome_found(sg_store *s, const sg_outcome *o,
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
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

/* ---- recovery and counts ----------------------------------------------------------------- */

typedef struct recover_arg {
    int64_t now;
    size_t n;
} recover_arg;

static sg_err claims_recover_fn(pg_conn *c, void *arg, sg_error *e)
{
    recover_arg *a = arg;
    char t[24];
    /* Several nodes share the database: only this node's claims of an earlier
     * start, and those of no node (claimed before nodes were recorded). */
    const char *p[] = {pg_i64(t, a->now), c->node_id, c->node_start};
    PGresult *r;
    sg_err err = pg_query(c,
                          "UPDATE messages SET due_at = $1::bigint "
                          "WHERE status = 'sending' AND due_at > $1::bigint "
                          "AND (node_id = '' OR (node_id = $2 AND node_start != $3))",
                          3, p, &r, e);
    if (!err) {
        a->n = (size_t)strtoull(PQcmdTuples(r), NULL, 10);
        PQclear(r);
    }
    return err;
}

static sg_err pg_claims_recover(sg_store *s, int64_t now, size_t *n, sg_error *e)
{
    recover_arg a = {.now = now};
    sg_err err = pg_write(pg_of(s), claims_recover_fn, &a, e);
    if (n)
        *n = err ? 0 : a.n;
    return err;
}

static sg_err pg_queue_stats(sg_store *s, sg_queue_stats *out)
{
    memset(out, 0, sizeof *out);
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT status, count(*) FROM messages "
                         "WHERE status IN ('scheduled', 'queued', 'sending') GROUP BY status",
                         0, NULL, &r, NULL);
    if (err)
        return err;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *status = PQgetvalue(r, i, 0);
        int64_t count = pg_col_i64(r, i, 1);
        if (strcmp(status, "scheduled") == 0)
            out->scheduled = count;
        else if (strcmp(status, "queued") == 0)
            out->queued = count;
        else if (strcmp(status, "sending") == 0)
            out->sending = count;
    }
    PQclear(r);
    return SG_OK;
}

const sg_store_dispatch_ops pg_dispatch_ops = {
    .claim_submit = pg_claim_submit,
    .outcomes = pg_outcomes,
    .outcome_found = pg_outcome_found,
    .claims_recover = pg_claims_recover,
    .queue_stats = pg_queue_stats,
    .node_register = pg_node_register,
    .node_beat = pg_node_beat,
    .node_stop = pg_node_stop,
    .nodes_list = pg_nodes_list,
};
