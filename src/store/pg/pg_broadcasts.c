/* The PostgreSQL backend, broadcasts: creation, lifecycle, materialising the
 * recipients and turning pending recipients into queued messages. The same
 * rules as store/sqlite/sqlite_broadcasts.c, made safe for several nodes on one
 * database:
 *
 * - One row per (broadcast, contact) in broadcast_recipients (its primary key):
 *   a chunk of recipients is inserted with ON CONFLICT DO NOTHING, and the
 *   broadcast's counts grow by the rows actually inserted (RETURNING), so a
 *   chunk chosen twice adds neither rows nor counts.
 * - Every write that reads a broadcast's state to change it (materialise,
 *   apply, transition, fail, finish) locks its row first (FOR UPDATE, in the
 *   writer's short transaction): the writes of all nodes to one broadcast
 *   happen one after the other, each seeing the cursor, status and counts the
 *   previous one committed. Nothing is held while a provider is asked.
 * - A recipient is queued (and its message inserted) only by the transaction
 *   that moves it from pending, taken FOR UPDATE SKIP LOCKED: a recipient another
 *   transaction is taking is passed over, never queued twice, so two nodes that
 *   read the same pending recipients insert one message per contact. A queued
 *   result's message with lease_until set is stored already claimed, for the
 *   dispatcher's hand-off; lease_until goes to 0 on every one not inserted. */
#include "core/segment_filter.h"
#include "store/pg/pg_store.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BCAST_COLS                                                                                 \
    "id, name, body, template_id, audience_kind, audience_id, provider_id, from_number, send_at, " \
    "rate, quiet_start, quiet_end, timezone, track_clicks, status, materialized, cursor, "         \
    "recipients, skipped_opted_out, skipped_not_mobile, skipped_invalid, queued, created_at, "     \
    "updated_at, started_at, finished_at, error, external_template_id"
/* BCAST_COLS of b, then its pending recipients (column 28). */
#define BCAST_SELECT                                                                               \
    "SELECT " BCAST_COLS ", (SELECT count(*) FROM broadcast_recipients r "                         \
    "WHERE r.broadcast_id = b.id AND r.state = 'pending') FROM broadcasts b"
#define BCAST_ACTIVE_MAX 64

static void bcast_row(const PGresult *r, int i, sg_broadcast *b)
{
    memset(b, 0, sizeof *b);
    pg_col_copy(r, i, 0, b->id, sizeof b->id);
    pg_col_copy(r, i, 1, b->name, sizeof b->name);
    b->body = pg_col_dup(r, i, 2);
    pg_col_copy(r, i, 3, b->template_id, sizeof b->template_id);
    pg_col_copy(r, i, 4, b->audience_kind, sizeof b->audience_kind);
    pg_col_copy(r, i, 5, b->audience_id, sizeof b->audience_id);
    pg_col_copy(r, i, 6, b->provider_id, sizeof b->provider_id);
    pg_col_copy(r, i, 7, b->from, sizeof b->from);
    b->send_at = pg_col_i64(r, i, 8);
    b->rate = strtod(PQgetvalue(r, i, 9), NULL);
    b->quiet_start = (int)pg_col_i64(r, i, 10);
    b->quiet_end = (int)pg_col_i64(r, i, 11);
    pg_col_copy(r, i, 12, b->timezone, sizeof b->timezone);
    b->track_clicks = pg_col_bool(r, i, 13);
    if (!sg_bcast_status_parse(PQgetvalue(r, i, 14), &b->status))
        b->status = SG_BCAST_DRAFT;
    b->materialized = pg_col_bool(r, i, 15);
    pg_col_copy(r, i, 16, b->cursor, sizeof b->cursor);
    b->recipients = pg_col_i64(r, i, 17);
    b->skipped_opted_out = pg_col_i64(r, i, 18);
    b->skipped_not_mobile = pg_col_i64(r, i, 19);
    b->skipped_invalid = pg_col_i64(r, i, 20);
    b->queued = pg_col_i64(r, i, 21);
    b->created_at = pg_col_i64(r, i, 22);
    b->updated_at = pg_col_i64(r, i, 23);
    b->started_at = pg_col_i64(r, i, 24);
    b->finished_at = pg_col_i64(r, i, 25);
    pg_col_copy(r, i, 26, b->error, sizeof b->error);
    pg_col_copy(r, i, 27, b->external_template_id, sizeof b->external_template_id);
    if (PQnfields(r) > 28)
        b->pending = pg_col_i64(r, i, 28);
}

/* The state of broadcast id inside a write, its row locked until the commit
 * (its body is not kept). SG_ERR_NOT_FOUND when there is none (e says so
 * unless quiet). */
static sg_err bcast_lock(pg_conn *c, const char *id, sg_broadcast *b, bool quiet, sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT " BCAST_COLS " FROM broadcasts WHERE id = $1 FOR UPDATE", 1, p, &r, e);
    if (err)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return quiet ? SG_ERR_NOT_FOUND
                     : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no broadcast %s", id);
    }
    bcast_row(r, 0, b);
    PQclear(r);
    sg_broadcast_free(b);
    return SG_OK;
}

static sg_err bcast_set_status(pg_conn *c, const char *id, sg_bcast_status to, int64_t at,
                               sg_error *e)
{
    char t[24];
    const char *p[] = {id, sg_bcast_status_name(to), pg_i64(t, at)};
    return pg_query(c,
                    "UPDATE broadcasts SET status = $2, updated_at = $3::bigint, "
                    "finished_at = CASE WHEN $2 IN ('done', 'canceled', 'failed') "
                    "THEN $3::bigint ELSE finished_at END WHERE id = $1",
                    3, p, NULL, e);
}

static sg_err bcast_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_broadcast *b = arg;
    char send_at[24], rate[40], qs[24], qe[24], created[24];
    snprintf(rate, sizeof rate, "%.17g", b->rate);
    const char *p[] = {b->id,
                       b->name,
                       b->body ? b->body : "",
                       b->template_id,
                       b->audience_kind,
                       b->audience_id,
                       b->provider_id,
                       b->from,
                       pg_i64(send_at, b->send_at),
                       rate,
                       pg_i64(qs, b->quiet_start),
                       pg_i64(qe, b->quiet_end),
                       b->timezone[0] ? b->timezone : "UTC",
                       b->track_clicks ? "t" : "f",
                       sg_bcast_status_name(b->status),
                       pg_i64(created, b->created_at),
                       b->external_template_id};
    return pg_query(c,
                    "INSERT INTO broadcasts (id, name, body, template_id, audience_kind, "
                    "audience_id, provider_id, from_number, send_at, rate, quiet_start, "
                    "quiet_end, timezone, track_clicks, status, created_at, updated_at, "
                    "external_template_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint, "
                    "$10::double precision, $11::integer, $12::integer, $13, $14::boolean, $15, "
                    "$16::bigint, $16::bigint, $17)",
                    17, p, NULL, e);
}

static sg_err pg_broadcast_create(sg_store *s, const sg_broadcast *b, sg_error *e)
{
    return pg_write(pg_of(s), bcast_insert_fn, (void *)b, e);
}

static sg_err pg_broadcast_get(sg_store *s, const char *id, sg_broadcast *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), BCAST_SELECT " WHERE b.id = $1", 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        bcast_row(r, 0, out);
    PQclear(r);
    return err;
}

/* Rows of r as malloc'd broadcasts (at most max). */
static sg_err bcast_rows(const PGresult *r, size_t max, sg_broadcast **out, size_t *n)
{
    size_t rows = (size_t)PQntuples(r);
    if (rows > max)
        rows = max;
    *out = calloc(rows ? rows : 1, sizeof **out);
    if (!*out)
        return SG_ERR_NOMEM;
    for (size_t i = 0; i < rows; i++)
        bcast_row(r, (int)i, &(*out)[i]);
    *n = rows;
    return SG_OK;
}

static sg_err pg_broadcast_list(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                                size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    char lim[24];
    const char *p[] = {cursor && *cursor ? cursor : NULL, pg_i64(lim, (int64_t)limit + 1)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         BCAST_SELECT " WHERE ($1::text IS NULL OR b.id < $1) "
                                      "ORDER BY b.id DESC LIMIT $2::bigint",
                         2, p, &r, NULL);
    if (err)
        return err;
    *has_more = (size_t)PQntuples(r) > limit;
    err = bcast_rows(r, limit, out, n);
    PQclear(r);
    return err;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

typedef struct transition_arg {
    const char *id;
    unsigned from_mask;
    sg_bcast_status to;
    int64_t at;
    sg_bcast_status current;
} transition_arg;

static sg_err transition_fn(pg_conn *c, void *arg, sg_error *e)
{
    transition_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_lock(c, a->id, &b, false, e);
    if (err)
        return err;
    a->current = b.status;
    if (!(a->from_mask & (1u << b.status)))
        return sg_error_set(e, SG_ERR_CONFLICT, "status", "the broadcast is %s",
                            sg_bcast_status_name(b.status));
    err = bcast_set_status(c, a->id, a->to, a->at, e);
    if (!err && a->to == SG_BCAST_CANCELED) {
        char t[24];
        const char *p[] = {a->id, pg_i64(t, a->at)};
        err = pg_query(c,
                       "UPDATE messages SET status = 'canceled', updated_at = $2::bigint "
                       "WHERE broadcast_id = $1 AND status IN ('scheduled', 'queued')",
                       2, p, NULL, e);
    }
    if (!err)
        a->current = a->to;
    return err;
}

static sg_err pg_broadcast_transition(sg_store *s, const char *id, unsigned from_mask,
                                      sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                      sg_error *e)
{
    transition_arg a = {id, from_mask, to, at, SG_BCAST_DRAFT};
    sg_err err = pg_write(pg_of(s), transition_fn, &a, e);
    if (current)
        *current = a.current;
    return err;
}

static sg_err pg_broadcasts_active(sg_store *s, int64_t now, sg_broadcast **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char t[24], lim[24];
    const char *p[] = {pg_i64(t, now), pg_i64(lim, BCAST_ACTIVE_MAX)};
    PGresult *r;
    /* the condition is broadcasts_active's own, so that index serves it */
    sg_err err = pg_read(pg_of(s),
                         "SELECT " BCAST_COLS " FROM broadcasts WHERE status IN ('scheduled', "
                         "'sending') AND send_at <= $1::bigint ORDER BY send_at LIMIT $2::bigint",
                         2, p, &r, NULL);
    if (err)
        return err;
    err = bcast_rows(r, BCAST_ACTIVE_MAX, out, n);
    PQclear(r);
    return err;
}

/* ---- materialising recipients ---------------------------------------------------------------- */

typedef struct materialize_arg {
    const char *id;
    size_t chunk;
    int64_t now;
    bool finished;
} materialize_arg;

/* The last contact id of the next chunk after b's cursor, in upto ("" when every
 * contact has been considered). */
static sg_err chunk_end(pg_conn *c, const sg_broadcast *b, const char *from, pg_params *p,
                        size_t chunk, char upto[SG_ID_MAX], sg_error *e)
{
    sg_buf sql;
    sg_buf_init(&sql, 1 << 17);
    char lim[24];
    const int k = p->n; /* the audience's own parameters come first */
    p->v[k] = b->cursor;
    p->v[k + 1] = pg_i64(lim, (int64_t)chunk);
    sg_err err = sg_buf_printf(&sql,
                               "SELECT max(id) FROM (SELECT c.id AS id FROM %s AND c.id > $%d "
                               "ORDER BY c.id LIMIT $%d::bigint) x",
                               from, k + 1, k + 2);
    PGresult *r = NULL;
    if (err)
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the audience's query is too large");
    else
        err = pg_query(c, sg_buf_cstr(&sql), k + 2, p->v, &r, e);
    upto[0] = '\0';
    if (!err)
        pg_col_copy(r, 0, 0, upto, SG_ID_MAX);
    PQclear(r);
    sg_buf_free(&sql);
    return err;
}

/* Insert the recipients in (b's cursor, upto] (a contact already a recipient of
 * the broadcast is left as it is), and add the rows inserted to the counts;
 * the cursor moves to upto. */
static sg_err chunk_insert(pg_conn *c, const sg_broadcast *b, const char *from, pg_params *p,
                           const char *upto, int64_t now, sg_error *e)
{
    sg_buf sql;
    sg_buf_init(&sql, 1 << 17);
    char t[24];
    const int k = p->n; /* the audience's own parameters come first */
    p->v[k] = b->cursor;
    p->v[k + 1] = upto;
    p->v[k + 2] = b->id;
    p->v[k + 3] = pg_i64(t, now);
    sg_err err = sg_buf_printf(
        &sql,
        "WITH chosen AS (SELECT c.id, EXISTS (SELECT 1 FROM optouts o WHERE o.phone = c.phone) "
        "AS ox, NOT coalesce(c.mobile, true) AS fixed FROM %s AND c.id > $%d AND c.id <= $%d), "
        "ins AS (INSERT INTO broadcast_recipients (broadcast_id, contact_id, state, reason) "
        "SELECT $%d, id, CASE WHEN ox OR fixed THEN 'skipped' ELSE 'pending' END, "
        "CASE WHEN ox THEN 'opted_out' WHEN fixed THEN 'not_mobile' ELSE '' END FROM chosen "
        "ON CONFLICT (broadcast_id, contact_id) DO NOTHING RETURNING state, reason) "
        "UPDATE broadcasts SET cursor = $%d, updated_at = $%d::bigint, status = 'sending', "
        "started_at = CASE WHEN started_at = 0 THEN $%d::bigint ELSE started_at END, "
        "recipients = recipients + (SELECT count(*) FROM ins), "
        "skipped_opted_out = skipped_opted_out + (SELECT count(*) FROM ins "
        "WHERE state = 'skipped' AND reason = 'opted_out'), "
        "skipped_not_mobile = skipped_not_mobile + (SELECT count(*) FROM ins "
        "WHERE state = 'skipped' AND reason = 'not_mobile') WHERE id = $%d",
        from, k + 1, k + 2, k + 3, k + 2, k + 4, k + 4, k + 3);
    if (err)
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the audience's query is too large");
    else
        err = pg_query(c, sg_buf_cstr(&sql), k + 4, p->v, NULL, e);
    sg_buf_free(&sql);
    return err;
}

static sg_err materialize_fn(pg_conn *c, void *arg, sg_error *e)
{
    materialize_arg *a = arg;
    sg_broadcast b;
    /* locked: another node materialising this broadcast finishes its chunk
     * first, and this one starts after it */
    sg_err err = bcast_lock(c, a->id, &b, false, e);
    if (err)
        return err;
    if (b.materialized || (b.status != SG_BCAST_SCHEDULED && b.status != SG_BCAST_SENDING)) {
        a->finished = b.materialized;
        return SG_OK;
    }
    sg_buf from;
    sg_buf_init(&from, 1 << 16);
    /* four more than the audience's own: the chunk's bounds and the broadcast */
    pg_params *p = malloc(sizeof *p);
    struct sg_seg_node *tree = NULL;
    char upto[SG_ID_MAX] = "";
    err = !p ? sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory")
             : pg_audience_sql(c, b.audience_kind, b.audience_id, a->now, &from, p, &tree, e);
    if (!err && p->n + 4 > PG_PARAMS_MAX)
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the segment's filter is too large");
    if (!err)
        err = chunk_end(c, &b, sg_buf_cstr(&from), p, a->chunk, upto, e);
    if (!err && upto[0]) {
        err = chunk_insert(c, &b, sg_buf_cstr(&from), p, upto, a->now, e);
    } else if (!err) {
        /* every contact considered, and it has started, even with nobody to send
         * to (then it is done at once, 0 recipients, rather than scheduled for
         * ever) */
        a->finished = true;
        char t[24];
        const char *q[] = {a->id, pg_i64(t, a->now)};
        err = pg_query(c,
                       "UPDATE broadcasts SET materialized = true, updated_at = $2::bigint, "
                       "status = 'sending', started_at = CASE WHEN started_at = 0 "
                       "THEN $2::bigint ELSE started_at END WHERE id = $1",
                       2, q, NULL, e);
    }
    sg_segment_free(tree);
    free(p);
    sg_buf_free(&from);
    return err;
}

static sg_err pg_broadcast_materialize(sg_store *s, const char *id, size_t chunk, int64_t now,
                                       bool *finished, sg_error *e)
{
    materialize_arg a = {id, chunk, now, false};
    sg_err err = pg_write(pg_of(s), materialize_fn, &a, e);
    *finished = a.finished;
    return err;
}

/* ---- queueing ------------------------------------------------------------------------------- */

static sg_err pg_broadcast_pending(sg_store *s, const char *id, int64_t now, size_t limit,
                                   sg_recipient **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char t[24], lim[24];
    const char *p[] = {id, pg_i64(t, now), pg_i64(lim, (int64_t)limit)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT r.contact_id, c.phone, c.first_name, c.last_name, c.attributes "
                         "FROM broadcast_recipients r LEFT JOIN contacts c ON c.id = r.contact_id "
                         "WHERE r.broadcast_id = $1 AND r.state = 'pending' "
                         "AND r.not_before <= $2::bigint "
                         "ORDER BY r.not_before, r.contact_id LIMIT $3::bigint",
                         3, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    sg_recipient *out_rows = calloc(rows ? rows : 1, sizeof *out_rows);
    if (!out_rows) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        sg_recipient *rc = &out_rows[i];
        pg_col_copy(r, (int)i, 0, rc->contact_id, sizeof rc->contact_id);
        pg_col_copy(r, (int)i, 1, rc->phone, sizeof rc->phone); /* "" if the contact is gone */
        pg_col_copy(r, (int)i, 2, rc->first_name, sizeof rc->first_name);
        pg_col_copy(r, (int)i, 3, rc->last_name, sizeof rc->last_name);
        rc->attributes = pg_col_dup(r, (int)i, 4);
    }
    PQclear(r);
    *out = out_rows;
    *n = rows;
    return SG_OK;
}

typedef struct apply_arg {
    const char *id;
    const sg_rcpt_result *r;
    size_t n;
    int64_t now;
    size_t queued;
} apply_arg;

/* Recipient (bid, contact_id), if still pending and no other transaction is
 * taking it, changed by set (an assignment list using $3, and $4 when n is 4);
 * *taken whether it was. */
static sg_err rcpt_take(pg_conn *c, const char *set, int n, const char *bid, const char *contact_id,
                        const char *v3, const char *v4, bool *taken, sg_error *e)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "UPDATE broadcast_recipients SET %s WHERE broadcast_id = $1 AND contact_id = "
             "(SELECT contact_id FROM broadcast_recipients WHERE broadcast_id = $1 AND "
             "contact_id = $2 AND state = 'pending' FOR UPDATE SKIP LOCKED)",
             set);
    const char *p[] = {bid, contact_id, v3, v4};
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (err)
        return err;
    *taken = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return SG_OK;
}

/* The broadcast's count of recipients skipped for reason. */
static const char *skip_counter(const char *reason)
{
    static const struct {
        const char *reason, *update;
    } counters[] = {
        {"opted_out", "UPDATE broadcasts SET skipped_opted_out = skipped_opted_out + 1 "
                      "WHERE id = $1"},
        {"not_mobile", "UPDATE broadcasts SET skipped_not_mobile = skipped_not_mobile + 1 "
                       "WHERE id = $1"},
    };
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        if (strcmp(reason, counters[i].reason) == 0)
            return counters[i].update;
    return "UPDATE broadcasts SET skipped_invalid = skipped_invalid + 1 WHERE id = $1";
}

static sg_err rcpt_skip(pg_conn *c, const char *bid, const char *contact_id, const char *reason,
                        const char *detail, sg_error *e)
{
    bool taken = false;
    sg_err err = rcpt_take(c, "state = 'skipped', reason = $3, detail = $4::text", 4, bid,
                           contact_id, reason, detail, &taken, e);
    if (err || !taken)
        return err;
    const char *p[] = {bid};
    return pg_query(c, skip_counter(reason), 1, p, NULL, e);
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

static sg_err apply_one(pg_conn *c, apply_arg *a, const sg_rcpt_result *r, sg_error *e)
{
    bool taken = false, out = false;
    char t[24];
    switch (r->action) {
    case SG_RCPT_SKIP:
        return rcpt_skip(c, a->id, r->contact_id, r->reason, r->detail, e);
    case SG_RCPT_DEFER:
        return rcpt_take(c, "not_before = $3::bigint", 3, a->id, r->contact_id,
                         pg_i64(t, r->not_before), NULL, &taken, e);
    case SG_RCPT_QUEUE:
        break;
    }
    sg_err err = opted_out(c, r->msg->to, &out, e);
    if (err)
        return err;
    if (out) { /* opted out after the recipients were chosen: nothing more for them */
        r->msg->lease_until = 0;
        return rcpt_skip(c, a->id, r->contact_id, "opted_out", "opted out during the broadcast", e);
    }
    err = rcpt_take(c, "state = 'queued', message_id = $3", 3, a->id, r->contact_id, r->msg->id,
                    NULL, &taken, e);
    if (!err && taken) {
        err = pg_message_insert_on(c, r->msg, e);
        if (!err)
            a->queued++;
    }
    if (!err && !taken)
        r->msg->lease_until = 0; /* not stored: never handed to the dispatcher */
    return err;
}

/* No message of results r[0..n) is stored: none may be handed over. */
static void leases_clear(const sg_rcpt_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].action == SG_RCPT_QUEUE)
            r[i].msg->lease_until = 0;
}

static sg_err apply_fn(pg_conn *c, void *arg, sg_error *e)
{
    apply_arg *a = arg;
    sg_broadcast b;
    /* locked: a pause or cancel on another node waits for these messages, and
     * then cancels them with the rest */
    sg_err err = bcast_lock(c, a->id, &b, false, e);
    if (err)
        return err;
    if (b.status != SG_BCAST_SENDING) { /* paused or canceled meanwhile */
        leases_clear(a->r, a->n);       /* the recipients stay pending */
        return SG_OK;
    }
    for (size_t i = 0; i < a->n && !err; i++)
        err = apply_one(c, a, &a->r[i], e);
    if (err)
        return err;
    char q[24], t[24];
    const char *p[] = {a->id, pg_i64(q, (int64_t)a->queued), pg_i64(t, a->now)};
    return pg_query(c,
                    "UPDATE broadcasts SET queued = queued + $2::bigint, "
                    "updated_at = $3::bigint WHERE id = $1",
                    3, p, NULL, e);
}

static sg_err pg_broadcast_apply(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                                 int64_t now, size_t *queued, sg_error *e)
{
    apply_arg a = {id, r, n, now, 0};
    sg_err err = pg_write(pg_of(s), apply_fn, &a, e);
    if (queued)
        *queued = err ? 0 : a.queued;
    return err;
}

#define SQL_OUTSTANDING                                                                            \
    "SELECT count(*) FROM messages WHERE broadcast_id = $1 AND broadcast_id <> '' "                \
    "AND status IN ('scheduled', 'queued', 'sending')"

static sg_err pg_broadcast_outstanding(sg_store *s, const char *id, int64_t *n)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), SQL_OUTSTANDING, 1, p, &r, NULL);
    if (err)
        return err;
    *n = pg_col_i64(r, 0, 0);
    PQclear(r);
    return SG_OK;
}

typedef struct finish_arg {
    const char *id;
    int64_t now;
    bool done;
} finish_arg;

static sg_err finish_fn(pg_conn *c, void *arg, sg_error *e)
{
    finish_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_lock(c, a->id, &b, true, e);
    if (err == SG_ERR_NOT_FOUND)
        return SG_OK;
    if (err || b.status != SG_BCAST_SENDING || !b.materialized)
        return err;
    const char *p[] = {a->id};
    PGresult *r;
    err = pg_query(c,
                   "SELECT (SELECT count(*) FROM broadcast_recipients WHERE broadcast_id = $1 "
                   "AND state = 'pending') + (" SQL_OUTSTANDING ")",
                   1, p, &r, e);
    if (err)
        return err;
    int64_t left = pg_col_i64(r, 0, 0);
    PQclear(r);
    if (left)
        return SG_OK;
    err = bcast_set_status(c, a->id, SG_BCAST_DONE, a->now, e);
    a->done = !err;
    return err;
}

static sg_err pg_broadcast_finish_if_done(sg_store *s, const char *id, int64_t now, bool *done,
                                          sg_error *e)
{
    finish_arg a = {id, now, false};
    sg_err err = pg_write(pg_of(s), finish_fn, &a, e);
    *done = a.done;
    return err;
}

typedef struct fail_arg {
    const char *id;
    const char *reason;
    int64_t now;
    bool changed;
} fail_arg;

static sg_err fail_fn(pg_conn *c, void *arg, sg_error *e)
{
    fail_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_lock(c, a->id, &b, false, e);
    if (err || (b.status != SG_BCAST_SCHEDULED && b.status != SG_BCAST_SENDING))
        return err;
    err = bcast_set_status(c, a->id, SG_BCAST_FAILED, a->now, e);
    if (!err) {
        char reason[sizeof b.error];
        snprintf(reason, sizeof reason, "%s", a->reason ? a->reason : "");
        const char *p[] = {a->id, reason};
        err = pg_query(c, "UPDATE broadcasts SET error = $2 WHERE id = $1", 2, p, NULL, e);
    }
    a->changed = !err;
    return err;
}

static sg_err pg_broadcast_fail(sg_store *s, const char *id, const char *reason, int64_t now,
                                bool *changed, sg_error *e)
{
    fail_arg a = {id, reason, now, false};
    sg_err err = pg_write(pg_of(s), fail_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

const sg_store_broadcasts_ops pg_broadcasts_ops = {
    .broadcast_create = pg_broadcast_create,
    .broadcast_get = pg_broadcast_get,
    .broadcast_list = pg_broadcast_list,
    .broadcast_transition = pg_broadcast_transition,
    .broadcasts_active = pg_broadcasts_active,
    .broadcast_materialize = pg_broadcast_materialize,
    .broadcast_pending = pg_broadcast_pending,
    .broadcast_apply = pg_broadcast_apply,
    .broadcast_outstanding = pg_broadcast_outstanding,
    .broadcast_fail = pg_broadcast_fail,
    .broadcast_finish_if_done = pg_broadcast_finish_if_done,
};
