/* The SQLite backend, broadcasts: creation, lifecycle, materialising the
 * recipients (one row per (broadcast, contact): the key that makes a broadcast
 * reach each contact at most once), and turning pending recipients into queued
 * messages in the same transaction that marks them queued. */
#include "core/segment_filter.h"
#include "store/sqlite/sqlite_internal.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BCAST_COLS                                                                                 \
    "id, name, body, template_id, audience_kind, audience_id, provider_id, from_number, send_at, " \
    "rate, quiet_start, quiet_end, timezone, track_clicks, status, materialized, cursor, "         \
    "recipients, skipped_opted_out, skipped_not_mobile, skipped_invalid, queued, created_at, "     \
    "updated_at, started_at, finished_at, error, external_template_id"

static void bcast_row(sqlite3_stmt *st, sg_broadcast *b)
{
    memset(b, 0, sizeof *b);
    sq_col_copy(st, 0, b->id, sizeof b->id);
    sq_col_copy(st, 1, b->name, sizeof b->name);
    b->body = sq_col_dup(st, 2);
    sq_col_copy(st, 3, b->template_id, sizeof b->template_id);
    sq_col_copy(st, 4, b->audience_kind, sizeof b->audience_kind);
    sq_col_copy(st, 5, b->audience_id, sizeof b->audience_id);
    sq_col_copy(st, 6, b->provider_id, sizeof b->provider_id);
    sq_col_copy(st, 7, b->from, sizeof b->from);
    b->send_at = sqlite3_column_int64(st, 8);
    b->rate = sqlite3_column_double(st, 9);
    b->quiet_start = sqlite3_column_int(st, 10);
    b->quiet_end = sqlite3_column_int(st, 11);
    sq_col_copy(st, 12, b->timezone, sizeof b->timezone);
    b->track_clicks = sqlite3_column_int(st, 13) != 0;
    const char *status = (const char *)sqlite3_column_text(st, 14);
    if (!sg_bcast_status_parse(status, &b->status))
        b->status = SG_BCAST_DRAFT;
    b->materialized = sqlite3_column_int(st, 15) != 0;
    sq_col_copy(st, 16, b->cursor, sizeof b->cursor);
    b->recipients = sqlite3_column_int64(st, 17);
    b->skipped_opted_out = sqlite3_column_int64(st, 18);
    b->skipped_not_mobile = sqlite3_column_int64(st, 19);
    b->skipped_invalid = sqlite3_column_int64(st, 20);
    b->queued = sqlite3_column_int64(st, 21);
    b->created_at = sqlite3_column_int64(st, 22);
    b->updated_at = sqlite3_column_int64(st, 23);
    b->started_at = sqlite3_column_int64(st, 24);
    b->finished_at = sqlite3_column_int64(st, 25);
    sq_col_copy(st, 26, b->error, sizeof b->error);
    sq_col_copy(st, 27, b->external_template_id, sizeof b->external_template_id);
}

/* The broadcast id, read on c (with its body: free it with sg_broadcast_free).
 * SG_ERR_NOT_FOUND when there is none. */
static sg_err bcast_load(conn *c, const char *id, sg_broadcast *b)
{
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_BCAST_GET, "SELECT " BCAST_COLS " FROM broadcasts WHERE id = ?1");
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        bcast_row(st, b);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SG_OK : rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
}

/* The state of a broadcast read inside a write (its body is not kept). */
static sg_err bcast_state(conn *c, const char *id, sg_broadcast *b, sg_error *e)
{
    sg_err err = bcast_load(c, id, b);
    if (err == SG_ERR_NOT_FOUND)
        return sg_error_set(e, err, NULL, "no broadcast %s", id);
    if (err)
        return sq_db_error(c->db, SQLITE_ERROR, e, "reading the broadcast");
    sg_broadcast_free(b);
    return SG_OK;
}

static sg_err bcast_set_status(conn *c, const char *id, sg_bcast_status to, int64_t at, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_BCAST_SET_STATUS,
                                   "UPDATE broadcasts SET status = ?2, updated_at = ?3, "
                                   "finished_at = CASE WHEN ?2 IN ('done', 'canceled', 'failed') "
                                   "THEN ?3 "
                                   "ELSE finished_at END WHERE id = ?1");
    if (st) {
        sq_bind_text(st, 1, id);
        sq_bind_text(st, 2, sg_bcast_status_name(to));
        sqlite3_bind_int64(st, 3, at);
    }
    return sq_step_done(c, st, e, "changing the broadcast's status");
}

static sg_err bcast_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_broadcast *b = arg;
    sqlite3_stmt *st = sq_stmt_sql(
        c, S_BCAST_INSERT,
        "INSERT INTO broadcasts (id, name, body, template_id, audience_kind, audience_id, "
        "provider_id, from_number, send_at, rate, quiet_start, quiet_end, timezone, track_clicks, "
        "status, created_at, updated_at, external_template_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, ?17)");
    if (st) {
        sq_bind_text(st, 1, b->id);
        sq_bind_text(st, 2, b->name);
        sq_bind_text(st, 3, b->body ? b->body : "");
        sq_bind_text(st, 4, b->template_id);
        sq_bind_text(st, 5, b->audience_kind);
        sq_bind_text(st, 6, b->audience_id);
        sq_bind_text(st, 7, b->provider_id);
        sq_bind_text(st, 8, b->from);
        sqlite3_bind_int64(st, 9, b->send_at);
        sqlite3_bind_double(st, 10, b->rate);
        sqlite3_bind_int(st, 11, b->quiet_start);
        sqlite3_bind_int(st, 12, b->quiet_end);
        sq_bind_text(st, 13, b->timezone[0] ? b->timezone : "UTC");
        sqlite3_bind_int(st, 14, b->track_clicks);
        sq_bind_text(st, 15, sg_bcast_status_name(b->status));
        sqlite3_bind_int64(st, 16, b->created_at);
        sq_bind_text(st, 17, b->external_template_id);
    }
    return sq_step_done(c, st, e, "creating the broadcast");
}

static sg_err sq_broadcast_create(sg_store *s, const sg_broadcast *b, sg_error *e)
{
    return sq_write_sync(s, bcast_insert_fn, (void *)b, e);
}

static sg_err count_pending(conn *c, const char *id, int64_t *n)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_RCPT_STATE_COUNTS,
                                   "SELECT count(*) FROM broadcast_recipients "
                                   "INDEXED BY broadcast_recipients_pending "
                                   "WHERE broadcast_id = ?1 AND state = 'pending'");
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SG_OK : sq_map_rc(rc);
}

static sg_err sq_broadcast_get(sg_store *s, const char *id, sg_broadcast *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = bcast_load(c, id, out);
    if (!err)
        err = count_pending(c, out->id, &out->pending);
    sq_reader_release(s, c);
    if (err)
        sg_broadcast_free(out);
    return err;
}

static sg_err sq_broadcast_list(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                                size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    sg_broadcast *rows = calloc(limit + 1, sizeof *rows);
    if (!rows)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(rows);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = sq_stmt_sql(c, S_BCAST_LIST,
                                   "SELECT " BCAST_COLS " FROM broadcasts WHERE (?1 IS NULL OR "
                                   "id < ?1) ORDER BY id DESC LIMIT ?2");
    size_t count = 0;
    sg_err err = st ? SG_OK : SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, cursor && *cursor ? cursor : NULL);
        sqlite3_bind_int64(st, 2, (int64_t)limit + 1);
        while (count < limit + 1 && sqlite3_step(st) == SQLITE_ROW)
            bcast_row(st, &rows[count++]);
        sqlite3_reset(st);
    }
    for (size_t i = 0; !err && i < count && i < limit; i++)
        err = count_pending(c, rows[i].id, &rows[i].pending);
    sq_reader_release(s, c);
    if (err) {
        sg_broadcasts_free(rows, count);
        return err;
    }
    if (count > limit) {
        sg_broadcast_free(&rows[limit]);
        count = limit;
        *has_more = true;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

typedef struct transition_arg {
    const char *id;
    unsigned from_mask;
    sg_bcast_status to;
    int64_t at;
    sg_bcast_status current;
} transition_arg;

static sg_err transition_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    transition_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_state(c, a->id, &b, e);
    if (err)
        return err;
    a->current = b.status;
    if (!(a->from_mask & (1u << b.status)))
        return sg_error_set(e, SG_ERR_CONFLICT, "status", "the broadcast is %s",
                            sg_bcast_status_name(b.status));
    sg_bcast_status to = a->to;
    err = bcast_set_status(c, a->id, to, a->at, e);
    if (!err && to == SG_BCAST_CANCELED) {
        sqlite3_stmt *st =
            sq_stmt_sql(c, S_BCAST_CANCEL_MSGS,
                        "UPDATE messages SET status = 'canceled', updated_at = ?2 "
                        "WHERE broadcast_id = ?1 AND status IN ('scheduled', 'queued')");
        if (st) {
            sq_bind_text(st, 1, a->id);
            sqlite3_bind_int64(st, 2, a->at);
        }
        err = sq_step_done(c, st, e, "canceling the broadcast's queued messages");
    }
    if (!err)
        a->current = to;
    return err;
}

static sg_err sq_broadcast_transition(sg_store *s, const char *id, unsigned from_mask,
                                      sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                      sg_error *e)
{
    transition_arg a = {id, from_mask, to, at, SG_BCAST_DRAFT};
    sg_err err = sq_write_sync(s, transition_fn, &a, e);
    if (current)
        *current = a.current;
    return err;
}

static sg_err sq_broadcasts_active(sg_store *s, int64_t now, sg_broadcast **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, S_BCAST_DUE,
                                   "SELECT " BCAST_COLS " FROM broadcasts INDEXED BY "
                                   "broadcasts_active WHERE status IN ('scheduled', 'sending') "
                                   "AND send_at <= ?1 ORDER BY send_at LIMIT 64");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    sg_broadcast *rows = calloc(64, sizeof *rows);
    size_t count = 0;
    if (!rows)
        err = SG_ERR_NOMEM;
    if (!err) {
        sqlite3_bind_int64(st, 1, now);
        while (count < 64 && sqlite3_step(st) == SQLITE_ROW)
            bcast_row(st, &rows[count++]);
        sqlite3_reset(st);
    }
    sq_reader_release(s, c);
    if (err) {
        free(rows);
        return err;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

/* ---- materialising recipients ---------------------------------------------------------------- */

typedef struct materialize_arg {
    const char *id;
    size_t chunk;
    int64_t now;
    bool finished;
} materialize_arg;

static sg_err materialize_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    materialize_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_state(c, a->id, &b, e);
    if (err)
        return err;
    if (b.materialized || (b.status != SG_BCAST_SCHEDULED && b.status != SG_BCAST_SENDING)) {
        a->finished = b.materialized;
        return SG_OK;
    }

    sg_buf from, sql;
    sg_buf_init(&from, 1 << 16);
    sg_buf_init(&sql, 1 << 17);
    sq_params *p = malloc(sizeof *p);
    sg_seg_node *tree = NULL;
    if (!p)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    /* The segment is evaluated when the broadcast starts (its `within` windows
     * relative to started_at, or now for the first chunk). */
    int64_t eval_at = b.started_at ? b.started_at : a->now;
    err = sq_audience_sql(c, b.audience_kind, b.audience_id, eval_at, &from, p, &tree, e);
    /* The end of this chunk: the chunk-th contact id after the cursor. */
    char upto[SG_ID_MAX] = "";
    size_t base = p->n;
    if (!err)
        err = sg_buf_printf(&sql,
                            "SELECT max(id) FROM (SELECT c.id AS id FROM %s AND c.id > ?%zu "
                            "ORDER BY c.id LIMIT ?%zu)",
                            sg_buf_cstr(&from), base + 1, base + 2);
    sqlite3_stmt *q = NULL;
    if (!err)
        err = sq_audience_prepare(c, sg_buf_cstr(&sql), &q, e, "preparing the audience");
    if (!err) {
        sq_params_bind(q, p);
        sqlite3_bind_text(q, (int)base + 1, b.cursor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(q, (int)base + 2, (int64_t)a->chunk);
        if (sqlite3_step(q) == SQLITE_ROW)
            sq_col_copy(q, 0, upto, sizeof upto);
    }
    sqlite3_finalize(q);
    q = NULL;

    if (!err && !upto[0]) {
        /* every contact considered */
        a->finished = true;
        /* and it has started, even with nobody to send to (then it is done at
         * once, 0 recipients, rather than scheduled for ever) */
        sqlite3_stmt *u = sq_stmt_sql(
            c, S_BCAST_MATERIALIZED,
            "UPDATE broadcasts SET materialized = 1, updated_at = ?2, status = 'sending', "
            "started_at = CASE WHEN started_at = 0 THEN ?2 ELSE started_at END WHERE id = ?1");
        if (u) {
            sq_bind_text(u, 1, a->id);
            sqlite3_bind_int64(u, 2, a->now);
        }
        err = sq_step_done(c, u, e, "finishing the recipients");
    } else if (!err) {
        sg_buf_reset(&sql);
        err = sg_buf_printf(
            &sql,
            "INSERT OR IGNORE INTO broadcast_recipients (broadcast_id, contact_id, state, reason) "
            "SELECT ?%zu, c.id, CASE WHEN ox THEN 'skipped' WHEN coalesce(c.mobile, 1) = 0 THEN "
            "'skipped' ELSE 'pending' END, CASE WHEN ox THEN 'opted_out' WHEN coalesce(c.mobile, "
            "1) = 0 THEN 'not_mobile' ELSE '' END FROM (SELECT c.*, EXISTS (SELECT 1 FROM optouts "
            "o WHERE o.phone = c.phone) AS ox FROM %s AND c.id > ?%zu AND c.id <= ?%zu) c",
            base + 3, sg_buf_cstr(&from), base + 1, base + 2);
        if (!err)
            err = sq_audience_prepare(c, sg_buf_cstr(&sql), &q, e, "preparing the recipients");
        if (!err) {
            sq_params_bind(q, p);
            sqlite3_bind_text(q, (int)base + 1, b.cursor, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, (int)base + 2, upto, -1, SQLITE_STATIC);
            sqlite3_bind_text(q, (int)base + 3, a->id, -1, SQLITE_STATIC);
            int rc = sqlite3_step(q);
            if (rc != SQLITE_DONE)
                err = sq_db_error(c->db, rc, e, "materialising recipients");
        }
        sqlite3_finalize(q);
        if (!err) {
            /* counts of the rows just written, and the cursor */
            sqlite3_stmt *u = sq_stmt_sql(
                c, S_BCAST_ADD_COUNTS,
                "UPDATE broadcasts SET cursor = ?3, updated_at = ?4, status = 'sending', "
                "started_at = CASE WHEN started_at = 0 THEN ?4 ELSE started_at END, "
                "recipients = recipients + (SELECT count(*) FROM broadcast_recipients WHERE "
                "broadcast_id = ?1 AND contact_id > ?2 AND contact_id <= ?3), "
                "skipped_opted_out = skipped_opted_out + (SELECT count(*) FROM "
                "broadcast_recipients WHERE broadcast_id = ?1 AND contact_id > ?2 AND contact_id "
                "<= ?3 AND state = 'skipped' AND reason = 'opted_out'), "
                "skipped_not_mobile = skipped_not_mobile + (SELECT count(*) FROM "
                "broadcast_recipients WHERE broadcast_id = ?1 AND contact_id > ?2 AND contact_id "
                "<= ?3 AND state = 'skipped' AND reason = 'not_mobile') WHERE id = ?1");
            if (u) {
                sq_bind_text(u, 1, a->id);
                sq_bind_text(u, 2, b.cursor);
                sq_bind_text(u, 3, upto);
                sqlite3_bind_int64(u, 4, a->now);
            }
            err = sq_step_done(c, u, e, "counting recipients");
        }
    }
    sg_segment_free(tree);
    free(p);
    sg_buf_free(&from);
    sg_buf_free(&sql);
    return err;
}

static sg_err sq_broadcast_materialize(sg_store *s, const char *id, size_t chunk, int64_t now,
                                       bool *finished, sg_error *e)
{
    materialize_arg a = {id, chunk, now, false};
    sg_err err = sq_write_sync(s, materialize_fn, &a, e);
    *finished = a.finished;
    return err;
}

/* ---- queueing ------------------------------------------------------------------------------- */

static sg_err sq_broadcast_pending(sg_store *s, const char *id, int64_t now, size_t limit,
                                   sg_recipient **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sg_recipient *rows = calloc(limit ? limit : 1, sizeof *rows);
    if (!rows)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(rows);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_BCAST_PENDING,
                    "SELECT r.contact_id, c.phone, c.first_name, c.last_name, c.attributes "
                    "FROM broadcast_recipients r INDEXED BY broadcast_recipients_pending "
                    "LEFT JOIN contacts c ON c.id = r.contact_id "
                    "WHERE r.broadcast_id = ?1 AND r.state = 'pending' AND r.not_before <= ?2 "
                    "ORDER BY r.not_before, r.contact_id LIMIT ?3");
    size_t count = 0;
    if (st) {
        sq_bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, (int64_t)limit);
        while (count < limit && sqlite3_step(st) == SQLITE_ROW) {
            sg_recipient *r = &rows[count++];
            sq_col_copy(st, 0, r->contact_id, sizeof r->contact_id);
            sq_col_copy(st, 1, r->phone, sizeof r->phone); /* "" if the contact was deleted */
            sq_col_copy(st, 2, r->first_name, sizeof r->first_name);
            sq_col_copy(st, 3, r->last_name, sizeof r->last_name);
            r->attributes = sq_col_dup(st, 4);
        }
        sqlite3_reset(st);
    }
    sq_reader_release(s, c);
    if (!st) {
        sg_recipients_free(rows, count);
        return SG_ERR_DB;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

typedef struct apply_arg {
    const char *id;
    const sg_rcpt_result *r;
    size_t n;
    int64_t now;
    size_t queued;
} apply_arg;

static sg_err rcpt_skip(conn *c, const char *bid, const char *contact_id, const char *reason,
                        const char *detail, sg_error *e)
{
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_RCPT_SKIPPED,
                    "UPDATE broadcast_recipients SET state = 'skipped', reason = ?3, "
                    "detail = ?4 WHERE broadcast_id = ?1 AND contact_id = ?2 AND "
                    "state = 'pending'");
    if (st) {
        sq_bind_text(st, 1, bid);
        sq_bind_text(st, 2, contact_id);
        sq_bind_text(st, 3, reason);
        sq_bind_text(st, 4, detail);
    }
    sg_err err = sq_step_done(c, st, e, "skipping a recipient");
    if (err || sqlite3_changes(c->db) == 0)
        return err;
    const char *col = strcmp(reason, "opted_out") == 0    ? "skipped_opted_out"
                      : strcmp(reason, "not_mobile") == 0 ? "skipped_not_mobile"
                                                          : "skipped_invalid";
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE broadcasts SET %s = %s + 1 WHERE id = ?1", col, col);
    sqlite3_stmt *u = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &u, NULL) != SQLITE_OK)
        return sq_db_error(c->db, SQLITE_ERROR, e, "counting a skipped recipient");
    sqlite3_bind_text(u, 1, bid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(u);
    sqlite3_finalize(u);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "counting a skipped recipient");
}

static sg_err apply_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    apply_arg *a = arg;
    sg_broadcast b;
    sg_err berr = bcast_state(c, a->id, &b, e);
    if (berr)
        return berr;
    sqlite3_stmt *st;
    if (b.status != SG_BCAST_SENDING) {
        /* paused or canceled meanwhile: the recipients stay pending */
        for (size_t i = 0; i < a->n; i++)
            if (a->r[i].action == SG_RCPT_QUEUE)
                a->r[i].msg->lease_until = 0;
        return SG_OK;
    }
    for (size_t i = 0; i < a->n; i++) {
        const sg_rcpt_result *r = &a->r[i];
        sg_err err = SG_OK;
        bool inserted = false;
        if (r->action == SG_RCPT_SKIP) {
            err = rcpt_skip(c, a->id, r->contact_id, r->reason, r->detail, e);
        } else if (r->action == SG_RCPT_DEFER) {
            st = sq_stmt_sql(c, S_RCPT_DEFER,
                             "UPDATE broadcast_recipients SET not_before = ?3 WHERE "
                             "broadcast_id = ?1 AND contact_id = ?2 AND state = 'pending'");
            if (st) {
                sq_bind_text(st, 1, a->id);
                sq_bind_text(st, 2, r->contact_id);
                sqlite3_bind_int64(st, 3, r->not_before);
            }
            err = sq_step_done(c, st, e, "deferring a recipient");
        } else if (sq_optout_exists(c, r->msg->to)) {
            /* opted out after the recipients were chosen: nothing more for them */
            err = rcpt_skip(c, a->id, r->contact_id, "opted_out", "opted out during the broadcast",
                            e);
        } else {
            st = sq_stmt_sql(c, S_RCPT_QUEUED,
                             "UPDATE broadcast_recipients SET state = 'queued', message_id = ?3 "
                             "WHERE broadcast_id = ?1 AND contact_id = ?2 AND state = 'pending'");
            if (st) {
                sq_bind_text(st, 1, a->id);
                sq_bind_text(st, 2, r->contact_id);
                sq_bind_text(st, 3, r->msg->id);
            }
            err = sq_step_done(c, st, e, "queueing a recipient");
            if (!err && sqlite3_changes(c->db) == 1) {
                err = sq_message_insert(c, r->msg, e);
                if (!err)
                    a->queued++;
                inserted = !err;
            }
        }
        if (r->action == SG_RCPT_QUEUE && !inserted)
            r->msg->lease_until = 0; /* not stored: never handed to the dispatcher */
        if (err)
            return err;
    }
    st = sq_stmt_sql(c, S_BCAST_COUNTS,
                     "UPDATE broadcasts SET queued = queued + ?2, updated_at = ?3 WHERE id = ?1");
    if (st) {
        sq_bind_text(st, 1, a->id);
        sqlite3_bind_int64(st, 2, (int64_t)a->queued);
        sqlite3_bind_int64(st, 3, a->now);
    }
    return sq_step_done(c, st, e, "counting queued messages");
}

static sg_err sq_broadcast_apply(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                                 int64_t now, size_t *queued, sg_error *e)
{
    apply_arg a = {id, r, n, now, 0};
    sg_err err = sq_write_sync(s, apply_fn, &a, e);
    if (queued)
        *queued = err ? 0 : a.queued;
    return err;
}

static sg_err outstanding_on(conn *c, const char *id, int64_t *n)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_BCAST_OUTSTANDING,
                                   "SELECT count(*) FROM messages WHERE broadcast_id = ?1 "
                                   "AND broadcast_id != '' AND status IN ('scheduled', 'queued', "
                                   "'sending')");
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? SG_OK : sq_map_rc(rc);
}

static sg_err sq_broadcast_outstanding(sg_store *s, const char *id, int64_t *n)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = outstanding_on(c, id, n);
    sq_reader_release(s, c);
    return err;
}

typedef struct finish_arg {
    const char *id;
    int64_t now;
    bool done;
} finish_arg;

static sg_err finish_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    finish_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_load(c, a->id, &b);
    if (err == SG_ERR_NOT_FOUND)
        return SG_OK;
    if (err)
        return sq_db_error(c->db, SQLITE_ERROR, e, "reading the broadcast");
    sg_broadcast_free(&b);
    if (b.status != SG_BCAST_SENDING || !b.materialized)
        return SG_OK;
    int64_t pending = 0, outstanding = 0;
    if (count_pending(c, a->id, &pending) || outstanding_on(c, a->id, &outstanding))
        return sq_db_error(c->db, SQLITE_ERROR, e, "counting");
    if (pending || outstanding)
        return SG_OK;
    err = bcast_set_status(c, a->id, SG_BCAST_DONE, a->now, e);
    a->done = !err;
    return err;
}

static sg_err sq_broadcast_finish_if_done(sg_store *s, const char *id, int64_t now, bool *done,
                                          sg_error *e)
{
    finish_arg a = {id, now, false};
    sg_err err = sq_write_sync(s, finish_fn, &a, e);
    *done = a.done;
    return err;
}

typedef struct fail_arg {
    const char *id;
    const char *reason;
    int64_t now;
    bool changed;
} fail_arg;

static sg_err fail_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    fail_arg *a = arg;
    sg_broadcast b;
    sg_err err = bcast_state(c, a->id, &b, e);
    if (err || (b.status != SG_BCAST_SCHEDULED && b.status != SG_BCAST_SENDING))
        return err;
    err = bcast_set_status(c, a->id, SG_BCAST_FAILED, a->now, e);
    sqlite3_stmt *st =
        err ? NULL
            : sq_stmt_sql(c, S_BCAST_SET_ERROR, "UPDATE broadcasts SET error = ?2 WHERE id = ?1");
    if (!err && st) {
        char reason[sizeof b.error];
        snprintf(reason, sizeof reason, "%s", a->reason ? a->reason : "");
        sq_bind_text(st, 1, a->id);
        sqlite3_bind_text(st, 2, reason, -1, SQLITE_TRANSIENT);
    }
    if (!err)
        err = sq_step_done(c, st, e, "recording why the broadcast failed");
    a->changed = !err;
    return err;
}

static sg_err sq_broadcast_fail(sg_store *s, const char *id, const char *reason, int64_t now,
                                bool *changed, sg_error *e)
{
    fail_arg a = {id, reason, now, false};
    sg_err err = sq_write_sync(s, fail_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

const sg_store_broadcasts_ops sq_broadcasts_ops = {
    .broadcast_create = sq_broadcast_create,
    .broadcast_get = sq_broadcast_get,
    .broadcast_list = sq_broadcast_list,
    .broadcast_transition = sq_broadcast_transition,
    .broadcasts_active = sq_broadcasts_active,
    .broadcast_materialize = sq_broadcast_materialize,
    .broadcast_pending = sq_broadcast_pending,
    .broadcast_apply = sq_broadcast_apply,
    .broadcast_outstanding = sq_broadcast_outstanding,
    .broadcast_fail = sq_broadcast_fail,
    .broadcast_finish_if_done = sq_broadcast_finish_if_done,
};
