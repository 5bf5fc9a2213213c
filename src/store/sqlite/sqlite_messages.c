/* The SQLite backend, messages: the row helpers, accepted writes (with their
 * idempotency keys) in the writer's group, reads, the list, cancel. */
#include "store/sqlite/sqlite_internal.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_MSG_INSERT                                                                             \
    "INSERT INTO messages (" SQ_MSG_COLS ", due_at, node_id, node_start) VALUES (?1, ?2, ?3, "     \
    "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "    \
    "?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)"
#define SQL_EVENT_INSERT                                                                           \
    "INSERT INTO message_events (message_id, status, at, detail) "                                 \
    "VALUES (?1, ?2, ?3, ?4)"
#define SQL_IDEM_INSERT                                                                            \
    "INSERT OR IGNORE INTO idempotency (key_id, idem_key, fingerprint, status, "                   \
    "response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
#define SQL_IDEM_GET                                                                               \
    "SELECT fingerprint, status, response FROM idempotency "                                       \
    "WHERE key_id = ?1 AND idem_key = ?2"
#define SQL_MSG_GET "SELECT " SQ_MSG_COLS " FROM messages WHERE id = ?1"
#define SQL_EVENTS  "SELECT status, at, detail FROM message_events WHERE message_id = ?1 ORDER BY id"
#define SQL_CANCEL  "UPDATE messages SET status = 'canceled', updated_at = ?2 WHERE id = ?1"

/* ---- messages ------------------------------------------------------------------- */

void sq_message_row(sqlite3_stmt *st, sg_message *m)
{
    memset(m, 0, sizeof *m);
    sq_col_copy(st, 0, m->id, sizeof m->id);
    const char *status = (const char *)sqlite3_column_text(st, 1);
    if (!status || !sg_status_parse(status, &m->status))
        m->status = SG_STATUS_FAILED;
    sq_col_copy(st, 2, m->direction, sizeof m->direction);
    sq_col_copy(st, 3, m->to, sizeof m->to);
    sq_col_copy(st, 4, m->from, sizeof m->from);
    m->body = sq_col_dup(st, 5);
    sq_col_copy(st, 6, m->provider_id, sizeof m->provider_id);
    sq_col_copy(st, 7, m->provider_message_id, sizeof m->provider_message_id);
    m->segments = (unsigned)sqlite3_column_int(st, 8);
    const char *enc = (const char *)sqlite3_column_text(st, 9);
    m->encoding = enc && strcmp(enc, "UCS-2") == 0 ? SG_ENC_UCS2 : SG_ENC_GSM7;
    sq_col_copy(st, 10, m->error_code, sizeof m->error_code);
    m->error_message = sq_col_dup(st, 11);
    m->attempts = (unsigned)sqlite3_column_int(st, 12);
    m->send_at = sqlite3_column_int64(st, 13);
    sq_col_copy(st, 14, m->contact_id, sizeof m->contact_id);
    m->metadata = sq_col_dup(st, 15);
    m->created_at = sqlite3_column_int64(st, 16);
    m->updated_at = sqlite3_column_int64(st, 17);
    sq_col_copy(st, 18, m->purpose, sizeof m->purpose);
    sq_col_copy(st, 19, m->broadcast_id, sizeof m->broadcast_id);
    m->expires_at = sqlite3_column_int64(st, 20);
    m->first_attempt_at = sqlite3_column_int64(st, 21);
    sq_col_copy(st, 22, m->external_template_id, sizeof m->external_template_id);
    sq_col_copy(st, 23, m->route_id, sizeof m->route_id);
    m->failover = sqlite3_column_int(st, 24) != 0;
    const char *tried = (const char *)sqlite3_column_text(st, 25);
    m->providers_tried = tried && tried[0] ? strdup(tried) : NULL;
    m->outcome_unknown = sqlite3_column_int(st, 26) != 0;
}

sg_err sq_event_insert(conn *c, const char *id, sg_status status, int64_t at, const char *detail,
                       sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_EVENT_INSERT, SQL_EVENT_INSERT);
    if (st) {
        sq_bind_text(st, 1, id);
        sq_bind_text(st, 2, sg_status_name(status));
        sqlite3_bind_int64(st, 3, at);
        sq_bind_text(st, 4, detail && *detail ? detail : NULL);
    }
    return sq_step_done(c, st, e, "recording event");
}

sg_err sq_message_insert(conn *c, const sg_message *m, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_MSG_INSERT, SQL_MSG_INSERT);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    bool claimed = m->lease_until > 0;
    sq_bind_text(st, 1, m->id);
    sq_bind_text(st, 2, sg_status_name(claimed ? SG_STATUS_SENDING : m->status));
    sq_bind_text(st, 3, m->direction[0] ? m->direction : "outbound");
    sq_bind_text(st, 4, m->to);
    sq_bind_text(st, 5, m->from);
    sq_bind_text(st, 6, m->body ? m->body : "");
    sq_bind_text(st, 7, m->provider_id);
    sq_bind_text(st, 8, m->provider_message_id);
    sqlite3_bind_int(st, 9, (int)m->segments);
    sq_bind_text(st, 10, sg_encoding_name(m->encoding));
    sq_bind_text(st, 11, m->error_code);
    sq_bind_text(st, 12, m->error_message);
    sqlite3_bind_int(st, 13, (int)m->attempts);
    sqlite3_bind_int64(st, 14, m->send_at);
    sq_bind_text(st, 15, m->contact_id);
    sq_bind_text(st, 16, m->metadata);
    sqlite3_bind_int64(st, 17, m->created_at);
    sqlite3_bind_int64(st, 18, m->updated_at);
    sq_bind_text(st, 19, m->purpose);
    sq_bind_text(st, 20, m->broadcast_id);
    sqlite3_bind_int64(st, 21, m->expires_at);
    sqlite3_bind_int64(st, 22, m->first_attempt_at);
    sq_bind_text(st, 23, m->external_template_id);
    sq_bind_text(st, 24, m->route_id);
    sqlite3_bind_int(st, 25, m->failover ? 1 : 0);
    sq_bind_text(st, 26, m->providers_tried ? m->providers_tried : "");
    sqlite3_bind_int(st, 27, m->outcome_unknown ? 1 : 0);
    sqlite3_bind_int64(st, 28,
                       claimed                      ? m->lease_until
                       : m->send_at > m->created_at ? m->send_at
                                                    : 0);
    sq_bind_text(st, 29, claimed ? c->node_id : ""); /* the node holding its claim */
    sq_bind_text(st, 30, claimed ? c->node_start : "");
    sg_err err = sq_step_done(c, st, e, "storing message");
    if (err)
        return err;
    for (size_t i = 0; i < m->n_links; i++) {
        err = sq_link_insert(c, &m->links[i], m, e);
        if (err)
            return err;
    }
    if (m->app_id[0] && (err = sq_app_message_tag(c, m, e)))
        return err;
    err = sq_event_insert(c, m->id, m->status, m->created_at, m->route_event, e);
    if (!err && claimed)
        err = sq_event_insert(c, m->id, SG_STATUS_SENDING, m->created_at, NULL, e);
    return err;
}

typedef struct insert_job {
    job base;
    sg_insert_req *req;
} insert_job;

static sg_err insert_run(sg_store *s, conn *c, job *j)
{
    sg_insert_req *r = ((insert_job *)j)->req;
    if (r->idem.key) {
        sqlite3_stmt *st = sq_stmt_sql(c, S_IDEM_INSERT, SQL_IDEM_INSERT);
        if (!st)
            return sq_db_error(c->db, SQLITE_ERROR, &j->error, "preparing");
        sq_bind_text(st, 1, r->idem.key_id);
        sq_bind_text(st, 2, r->idem.key);
        sq_bind_text(st, 3, r->idem.fingerprint);
        sqlite3_bind_int(st, 4, r->idem.response_status);
        sq_bind_text(st, 5, r->idem.response_body);
        sqlite3_bind_int64(st, 6, sg_time_now_ms());
        sg_err err = sq_step_done(c, st, &j->error, "storing idempotency key");
        if (err)
            return err;
        if (sqlite3_changes(c->db) == 0) {
            /* Seen before: answer as the first time, or refuse a different request. */
            st = sq_stmt_sql(c, S_IDEM_GET, SQL_IDEM_GET);
            sq_bind_text(st, 1, r->idem.key_id);
            sq_bind_text(st, 2, r->idem.key);
            if (sqlite3_step(st) == SQLITE_ROW) {
                const char *fp = (const char *)sqlite3_column_text(st, 0);
                if (fp && strcmp(fp, r->idem.fingerprint) == 0) {
                    r->replayed = true;
                    r->replay_status = sqlite3_column_int(st, 1);
                    r->replay_body = sq_col_dup(st, 2);
                } else {
                    r->conflict = true;
                }
            }
            sqlite3_reset(st);
            return SG_OK;
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        sg_message *m = &r->msgs[i];
        /* Opted out since it was accepted: stored queued, and the claim fails it. */
        if (m->lease_until > 0 && strcmp(m->purpose, "consent") != 0 && sq_optout_exists(c, m->to))
            m->lease_until = 0;
        sg_err err = sq_message_insert(c, m, &j->error);
        if (err)
            return err;
    }
    return SG_OK;
}

static void insert_complete(job *j)
{
    insert_job *ij = (insert_job *)j;
    sg_insert_req *r = ij->req;
    r->err = j->err;
    r->error = j->error;
    if (r->err && !r->error.message[0])
        sg_error_set(&r->error, r->err, NULL, "%s", sg_strerror(r->err));
    free(ij);
    r->done(r);
}

static sg_err sq_messages_insert(sg_store *s, sg_insert_req *r)
{
    insert_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = insert_run;
    j->base.complete = insert_complete;
    j->req = r;
    r->replayed = r->conflict = false;
    r->replay_body = NULL;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

static sg_err sq_idem_get(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                          int *status, char **body)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, S_IDEM_GET, SQL_IDEM_GET);
    sg_err err = SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, key_id);
        sq_bind_text(st, 2, key);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sq_col_copy(st, 0, fingerprint, 72);
            *status = sqlite3_column_int(st, 1);
            *body = sq_col_dup(st, 2);
            err = *body ? SG_OK : SG_ERR_NOMEM;
        } else {
            err = rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
        }
        sqlite3_reset(st);
    }
    sq_reader_release(s, c);
    return err;
}

static sg_err idem_put_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_idem_write *w = arg;
    sqlite3_stmt *st = sq_stmt_sql(c, S_IDEM_INSERT, SQL_IDEM_INSERT);
    if (st) {
        sq_bind_text(st, 1, w->key_id);
        sq_bind_text(st, 2, w->key);
        sq_bind_text(st, 3, w->fingerprint);
        sqlite3_bind_int(st, 4, w->response_status);
        sq_bind_text(st, 5, w->response_body);
        sqlite3_bind_int64(st, 6, sg_time_now_ms());
    }
    return sq_step_done(c, st, e, "storing idempotency key");
}

static sg_err sq_idem_put(sg_store *s, const sg_idem_write *w, sg_error *e)
{
    return sq_write_sync(s, idem_put_fn, (void *)w, e);
}

sg_err sq_message_get_on(conn *c, const char *id, sg_message *out)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_MSG_GET, SQL_MSG_GET);
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id);
    int rc = sqlite3_step(st);
    sg_err err;
    if (rc == SQLITE_ROW) {
        sq_message_row(st, out);
        err = SG_OK;
    } else {
        err = rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
    }
    sqlite3_reset(st);
    return err;
}

static sg_err sq_message_get(sg_store *s, const char *id, sg_message *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = sq_message_get_on(c, id, out);
    sq_reader_release(s, c);
    return err;
}

static void event_row(sqlite3_stmt *st, void *out)
{
    sg_event *ev = out;
    const char *status = (const char *)sqlite3_column_text(st, 0);
    if (!status || !sg_status_parse(status, &ev->status))
        ev->status = SG_STATUS_FAILED;
    ev->at = sqlite3_column_int64(st, 1);
    ev->detail = sq_col_dup(st, 2);
}

static void event_drop(void *ev)
{
    free(((sg_event *)ev)->detail);
}

static sg_err sq_message_get_with_events(sg_store *s, const char *id, sg_message *out,
                                         sg_event **ev, size_t *n)
{
    *ev = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    /* One read transaction: the row and its events from the same snapshot, so a
     * reader never sees an event whose status change it does not see. */
    sg_err err = sq_exec(c->db, "BEGIN", NULL);
    if (!err)
        err = sq_message_get_on(c, id, out);
    if (!err) {
        sqlite3_stmt *st = sq_stmt_sql(c, S_EVENTS, SQL_EVENTS);
        if (!st) {
            err = SG_ERR_DB;
        } else {
            sq_bind_text(st, 1, id);
            err = sq_read_rows_on(st, event_row, event_drop, sizeof **ev, 0, (void **)ev, n);
        }
        if (err)
            sg_message_free(out);
    }
    sq_exec(c->db, "COMMIT", NULL);
    sq_reader_release(s, c);
    return err;
}

static sg_err sq_message_list(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                              bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    /* The filter combination varies, so this statement is built per call from fixed
     * fragments; every value is still bound, never pasted. */
    char sql[768];
    int len = snprintf(sql, sizeof sql, "SELECT " SQ_MSG_COLS " FROM messages WHERE 1");
    if (f->has_status)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND status = ?1");
    if (f->to)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND to_number = ?2");
    if (f->provider)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND provider_id = ?3");
    if (f->cursor)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND id < ?4");
    if (f->error_code)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND error_code = ?6");
    if (f->since_ms > 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND created_at >= ?7");
    if (f->until_ms > 0)
        len += snprintf(sql + len, sizeof sql - (size_t)len, " AND created_at < ?8");
    snprintf(sql + len, sizeof sql - (size_t)len, " ORDER BY id DESC LIMIT ?5");

    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sq_reader_release(s, c);
        return SG_ERR_DB;
    }
    if (f->has_status)
        sq_bind_text(st, 1, sg_status_name(f->status));
    sq_bind_text(st, 2, f->to);
    sq_bind_text(st, 3, f->provider);
    sq_bind_text(st, 4, f->cursor);
    sqlite3_bind_int64(st, 5, (int64_t)f->limit + 1);
    sq_bind_text(st, 6, f->error_code);
    if (f->since_ms > 0)
        sqlite3_bind_int64(st, 7, f->since_ms);
    if (f->until_ms > 0)
        sqlite3_bind_int64(st, 8, f->until_ms);
    sg_err err = SG_OK;
    sg_message *msgs = calloc(f->limit + 1, sizeof *msgs);
    if (!msgs)
        err = SG_ERR_NOMEM;
    size_t count = 0;
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        sq_message_row(st, &msgs[count++]);
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        sg_messages_free(msgs, count);
        return err;
    }
    if (count > f->limit) {
        sg_message_free(&msgs[f->limit]);
        count = f->limit;
        *has_more = true;
    }
    *out = msgs;
    *n = count;
    return SG_OK;
}

typedef struct cancel_arg {
    const char *id;
    sg_message *out;
} cancel_arg;

static sg_err cancel_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    cancel_arg *a = arg;
    sg_err err = sq_message_get_on(c, a->id, a->out);
    if (err == SG_ERR_NOT_FOUND)
        return sg_error_set(e, err, NULL, "no message %s", a->id);
    if (err)
        return sg_error_set(e, err, NULL, "reading message");
    if (a->out->status != SG_STATUS_SCHEDULED && a->out->status != SG_STATUS_QUEUED)
        return sg_error_set(e, SG_ERR_CONFLICT, "status",
                            "message is %s; only scheduled or queued messages can be canceled",
                            sg_status_name(a->out->status));
    int64_t now = sg_time_now_ms();
    sqlite3_stmt *st = sq_stmt_sql(c, S_CANCEL, SQL_CANCEL);
    if (st) {
        sq_bind_text(st, 1, a->id);
        sqlite3_bind_int64(st, 2, now);
    }
    if ((err = sq_step_done(c, st, e, "canceling")))
        return err;
    a->out->status = SG_STATUS_CANCELED;
    a->out->updated_at = now;
    err = sq_event_insert(c, a->id, SG_STATUS_CANCELED, now, "canceled by request", e);
    return err ? err : sq_emit_message_status(s, c, a->id, now, e);
}

static sg_err sq_message_cancel(sg_store *s, const char *id, sg_message *out, sg_error *e)
{
    cancel_arg a = {id, out};
    memset(out, 0, sizeof *out);
    return sq_write_sync(s, cancel_fn, &a, e);
}

const sg_store_messages_ops sq_messages_ops = {
    .messages_insert = sq_messages_insert,
    .idem_get = sq_idem_get,
    .idem_put = sq_idem_put,
    .message_get = sq_message_get,
    .message_get_with_events = sq_message_get_with_events,
    .message_list = sq_message_list,
    .message_cancel = sq_message_cancel,
};
