/* The PostgreSQL backend, messages: accepted writes with their idempotency keys
 * (queued for the writer, whose group commit puts many requests' messages in
 * one transaction: durable when done() runs), reads, events, the list, cancel
 * (its message.status event queued in the same transaction). The same rules as
 * store/sqlite/sqlite_messages.c. */
#include "store/pg/pg_store.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_COLS                                                                                   \
    "id, status, direction, to_number, from_number, body, provider_id, provider_message_id, "      \
    "segments, encoding, error_code, error_message, attempts, send_at, contact_id, metadata, "     \
    "created_at, updated_at, purpose, broadcast_id, expires_at, first_attempt_at, "                \
    "external_template_id, route_id, failover, providers_tried, outcome_unknown"

/* ---- rows ------------------------------------------------------------------------------ */

void pg_message_row(const PGresult *r, int i, sg_message *m)
{
    memset(m, 0, sizeof *m);
    pg_col_copy(r, i, 0, m->id, sizeof m->id);
    if (!sg_status_parse(PQgetvalue(r, i, 1), &m->status))
        m->status = SG_STATUS_FAILED;
    pg_col_copy(r, i, 2, m->direction, sizeof m->direction);
    pg_col_copy(r, i, 3, m->to, sizeof m->to);
    pg_col_copy(r, i, 4, m->from, sizeof m->from);
    m->body = pg_col_dup(r, i, 5);
    pg_col_copy(r, i, 6, m->provider_id, sizeof m->provider_id);
    pg_col_copy(r, i, 7, m->provider_message_id, sizeof m->provider_message_id);
    m->segments = (unsigned)pg_col_i64(r, i, 8);
    m->encoding = strcmp(PQgetvalue(r, i, 9), "UCS-2") == 0 ? SG_ENC_UCS2 : SG_ENC_GSM7;
    pg_col_copy(r, i, 10, m->error_code, sizeof m->error_code);
    m->error_message = pg_col_dup(r, i, 11);
    m->attempts = (unsigned)pg_col_i64(r, i, 12);
    m->send_at = pg_col_i64(r, i, 13);
    pg_col_copy(r, i, 14, m->contact_id, sizeof m->contact_id);
    m->metadata = pg_col_dup(r, i, 15);
    m->created_at = pg_col_i64(r, i, 16);
    m->updated_at = pg_col_i64(r, i, 17);
    pg_col_copy(r, i, 18, m->purpose, sizeof m->purpose);
    pg_col_copy(r, i, 19, m->broadcast_id, sizeof m->broadcast_id);
    m->expires_at = pg_col_i64(r, i, 20);
    m->first_attempt_at = pg_col_i64(r, i, 21);
    pg_col_copy(r, i, 22, m->external_template_id, sizeof m->external_template_id);
    pg_col_copy(r, i, 23, m->route_id, sizeof m->route_id);
    m->failover = strcmp(PQgetvalue(r, i, 24), "t") == 0;
    const char *tried = PQgetvalue(r, i, 25);
    m->providers_tried = tried[0] ? strdup(tried) : NULL;
    m->outcome_unknown = strcmp(PQgetvalue(r, i, 26), "t") == 0;
}

sg_err pg_event_insert(pg_conn *c, const char *id, sg_status status, int64_t at, const char *detail,
                       sg_error *e)
{
    char t[24];
    const char *p[] = {id, sg_status_name(status), pg_i64(t, at),
                       detail && *detail ? detail : NULL};
    return pg_query(c,
                    "INSERT INTO message_events (message_id, status, at, detail) "
                    "VALUES ($1, $2, $3::bigint, $4)",
                    4, p, NULL, e);
}

static sg_err link_insert(pg_conn *c, const sg_link *l, const sg_message *m, sg_error *e)
{
    const char *p[] = {l->code, l->url, m->id, m->contact_id, m->broadcast_id};
    return pg_query(c,
                    "INSERT INTO links (code, url, message_id, contact_id, broadcast_id) "
                    "VALUES ($1, $2, $3, $4, $5)",
                    5, p, NULL, e);
}

/* The row (claimed when lease_until > 0: stored sending, due again when the
 * lease runs out), its tracked links, and its first events. */
sg_err pg_message_insert_on(pg_conn *c, const sg_message *m, sg_error *e)
{
    bool claimed = m->lease_until > 0;
    char seg[24], att[24], send_at[24], created[24], updated[24], exp[24], first[24], due[24];
    int64_t due_at = claimed ? m->lease_until : m->send_at > m->created_at ? m->send_at : 0;
    const char *p[] = {m->id,
                       sg_status_name(claimed ? SG_STATUS_SENDING : m->status),
                       m->direction[0] ? m->direction : "outbound",
                       m->to,
                       m->from,
                       m->body ? m->body : "",
                       m->provider_id,
                       m->provider_message_id,
                       pg_i64(seg, m->segments),
                       sg_encoding_name(m->encoding),
                       m->error_code,
                       m->error_message,
                       pg_i64(att, m->attempts),
                       pg_i64(send_at, m->send_at),
                       m->contact_id,
                       m->metadata,
                       pg_i64(created, m->created_at),
                       pg_i64(updated, m->updated_at),
                       m->purpose,
                       m->broadcast_id,
                       pg_i64(exp, m->expires_at),
                       pg_i64(first, m->first_attempt_at),
                       m->external_template_id,
                       m->route_id,
                       m->failover ? "true" : "false",
                       m->providers_tried ? m->providers_tried : "",
                       m->outcome_unknown ? "true" : "false",
                       pg_i64(due, due_at),
                       claimed ? c->node_id : "", /* the node holding its claim */
                       claimed ? c->node_start : ""};
    sg_err err = pg_query(c,
                          "INSERT INTO messages (" MSG_COLS ", due_at, node_id, node_start) "
                          "VALUES ($1, $2, $3, $4, "
                          "$5, $6, $7, $8, $9::integer, $10, $11, $12, $13::integer, $14::bigint, "
                          "$15, $16, $17::bigint, $18::bigint, $19, $20, $21::bigint, "
                          "$22::bigint, $23, $24, $25::boolean, $26, $27::boolean, $28::bigint, "
                          "$29, $30)",
                          30, p, NULL, e);
    for (size_t i = 0; !err && i < m->n_links; i++)
        err = link_insert(c, &m->links[i], m, e);
    if (!err && m->app_id[0])
        err = pg_app_message_tag(c, m, e);
    if (!err)
        err = pg_event_insert(c, m->id, m->status, m->created_at, m->route_event, e);
    if (!err && claimed)
        err = pg_event_insert(c, m->id, SG_STATUS_SENDING, m->created_at, NULL, e);
    return err;
}

static sg_err optout_exists(pg_conn *c, const char *phone, bool *yes, sg_error *e)
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

/* ---- accepted writes ------------------------------------------------------------------ */

typedef struct insert_job {
    pg_job base;
    sg_insert_req *req;
} insert_job;

/* The key first: a key seen before inserts nothing and answers as the first
 * time (same fingerprint) or as a conflict. */
static sg_err idem_claim(pg_conn *c, sg_insert_req *r, bool *seen, sg_error *e)
{
    char status[24], now[24];
    const char *p[] = {r->idem.key_id,        r->idem.key,
                       r->idem.fingerprint,   pg_i64(status, r->idem.response_status),
                       r->idem.response_body, pg_i64(now, sg_time_now_ms())};
    PGresult *res;
    sg_err err = pg_query(c,
                          "INSERT INTO idempotency (key_id, idem_key, fingerprint, status, "
                          "response, created_at) VALUES ($1, $2, $3, $4::integer, $5, $6::bigint) "
                          "ON CONFLICT (key_id, idem_key) DO NOTHING",
                          6, p, &res, e);
    if (err)
        return err;
    *seen = strcmp(PQcmdTuples(res), "0") == 0;
    PQclear(res);
    if (!*seen)
        return SG_OK;
    if ((err = pg_query(c,
                        "SELECT fingerprint, status, response FROM idempotency "
                        "WHERE key_id = $1 AND idem_key = $2",
                        2, p, &res, e)))
        return err;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), r->idem.fingerprint) == 0) {
        r->replayed = true;
        r->replay_status = (int)pg_col_i64(res, 0, 1);
        r->replay_body = pg_col_dup(res, 0, 2);
    } else {
        r->conflict = true;
    }
    PQclear(res);
    return SG_OK;
}

static sg_err insert_run(pg_conn *c, pg_job *j)
{
    sg_insert_req *r = ((insert_job *)j)->req;
    bool seen = false;
    sg_err err = r->idem.key ? idem_claim(c, r, &seen, &j->error) : SG_OK;
    if (err || seen)
        return err;
    bool unclaimed = false;
    for (size_t i = 0; i < r->n; i++) {
        sg_message *m = &r->msgs[i];
        bool opted_out = false;
        /* Opted out since it was accepted: stored queued, and the claim fails it. */
        if (m->lease_until > 0 && strcmp(m->purpose, "consent") != 0) {
            if ((err = optout_exists(c, m->to, &opted_out, &j->error)))
                return err;
            if (opted_out)
                m->lease_until = 0;
        }
        if ((err = pg_message_insert_on(c, m, &j->error)))
            return err;
        unclaimed |= m->lease_until == 0;
    }
    /* Delivered at COMMIT (once per transaction): every node's LISTEN wakes its
     * dispatcher (pg_listen.c). Messages handed over at insert need no one. */
    return unclaimed ? pg_exec(c, "NOTIFY " PG_DUE_CHANNEL, &j->error) : SG_OK;
}

static void insert_complete(pg_job *j)
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

static sg_err pg_messages_insert(sg_store *s, sg_insert_req *r)
{
    insert_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = insert_run;
    j->base.complete = insert_complete;
    j->req = r;
    r->replayed = r->conflict = false;
    r->replay_body = NULL;
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

/* ---- idempotency keys ------------------------------------------------------------------- */

static sg_err pg_idem_get(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                          int *status, char **body)
{
    const char *p[] = {key_id, key};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT fingerprint, status, response FROM idempotency "
                         "WHERE key_id = $1 AND idem_key = $2",
                         2, p, &r, NULL);
    if (err)
        return err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SG_ERR_NOT_FOUND;
    }
    pg_col_copy(r, 0, 0, fingerprint, 72);
    *status = (int)pg_col_i64(r, 0, 1);
    *body = pg_col_dup(r, 0, 2);
    PQclear(r);
    return *body ? SG_OK : SG_ERR_NOMEM;
}

static sg_err idem_put_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_idem_write *w = arg;
    char status[24], now[24];
    const char *p[] = {w->key_id,        w->key,
                       w->fingerprint,   pg_i64(status, w->response_status),
                       w->response_body, pg_i64(now, sg_time_now_ms())};
    return pg_query(c,
                    "INSERT INTO idempotency (key_id, idem_key, fingerprint, status, response, "
                    "created_at) VALUES ($1, $2, $3, $4::integer, $5, $6::bigint) "
                    "ON CONFLICT (key_id, idem_key) DO NOTHING",
                    6, p, NULL, e);
}

static sg_err pg_idem_put(sg_store *s, const sg_idem_write *w, sg_error *e)
{
    return pg_write(pg_of(s), idem_put_fn, (void *)w, e);
}

/* ---- reads ------------------------------------------------------------------------------- */

sg_err pg_message_get_on(pg_conn *c, const char *id, sg_message *out, sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT " MSG_COLS " FROM messages WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        pg_message_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_message_get(sg_store *s, const char *id, sg_message *out)
{
    pg_conn *c = pg_acquire(pg_of(s), NULL);
    if (!c)
        return SG_ERR_DB;
    sg_err err = pg_message_get_on(c, id, out, NULL);
    pg_release(pg_of(s), c);
    return err;
}

static sg_err events_on(pg_conn *c, const char *id, sg_event **ev, size_t *n, sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT status, at, detail FROM message_events WHERE message_id = $1 "
                          "ORDER BY id",
                          1, p, &r, e);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*ev = calloc((size_t)rows, sizeof **ev))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        if (!sg_status_parse(PQgetvalue(r, i, 0), &(*ev)[i].status))
            (*ev)[i].status = SG_STATUS_FAILED;
        (*ev)[i].at = pg_col_i64(r, i, 1);
        (*ev)[i].detail = pg_col_dup(r, i, 2);
    }
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

typedef struct with_events_arg {
    const char *id;
    sg_message *out;
    sg_event **ev;
    size_t *n;
} with_events_arg;

/* The row and its events from one snapshot (REPEATABLE READ): a reader never
 * sees an event whose status change it does not see. */
static sg_err with_events_fn(pg_conn *c, void *arg, sg_error *e)
{
    with_events_arg *a = arg;
    sg_err err = pg_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", e);
    if (!err)
        err = pg_message_get_on(c, a->id, a->out, e);
    if (!err && (err = events_on(c, a->id, a->ev, a->n, e)))
        sg_message_free(a->out);
    return err;
}

static sg_err pg_message_get_with_events(sg_store *s, const char *id, sg_message *out,
                                         sg_event **ev, size_t *n)
{
    *ev = NULL;
    *n = 0;
    with_events_arg a = {id, out, ev, n};
    return pg_read_tx(pg_of(s), with_events_fn, &a, NULL);
}

/* The filters present, in order, as "AND column op $N" with their values. */
static int list_sql(const sg_message_filter *f, char *sql, size_t cap, const char **p,
                    char nums[3][24])
{
    int n = 0;
    size_t len = (size_t)snprintf(sql, cap, "SELECT " MSG_COLS " FROM messages WHERE true");
#define FILTER(cond, frag, value)                                                                  \
    if (cond) {                                                                                    \
        p[n++] = (value);                                                                          \
        len += (size_t)snprintf(sql + len, cap - len, frag, n);                                    \
    }
    FILTER(f->has_status, " AND status = $%d", sg_status_name(f->status))
    FILTER(f->to, " AND to_number = $%d", f->to)
    FILTER(f->provider, " AND provider_id = $%d", f->provider)
    FILTER(f->cursor, " AND id < $%d", f->cursor)
    FILTER(f->error_code, " AND error_code = $%d", f->error_code)
    FILTER(f->since_ms > 0, " AND created_at >= $%d::bigint", pg_i64(nums[0], f->since_ms))
    FILTER(f->until_ms > 0, " AND created_at < $%d::bigint", pg_i64(nums[1], f->until_ms))
    FILTER(true, " ORDER BY id DESC LIMIT $%d::bigint", pg_i64(nums[2], (int64_t)f->limit + 1))
#undef FILTER
    return n;
}

static sg_err pg_message_list(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                              bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    char sql[768], nums[3][24];
    const char *p[8];
    int np = list_sql(f, sql, sizeof sql, p, nums);
    PGresult *r;
    sg_err err = pg_read(pg_of(s), sql, np, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    sg_message *msgs = calloc(rows ? rows : 1, sizeof *msgs);
    if (!msgs) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    size_t count = rows > f->limit ? f->limit : rows;
    for (size_t i = 0; i < count; i++)
        pg_message_row(r, (int)i, &msgs[i]);
    PQclear(r);
    *has_more = rows > f->limit;
    *out = msgs;
    *n = count;
    return SG_OK;
}

/* ---- cancel ------------------------------------------------------------------------------ */

typedef struct cancel_arg {
    const char *id;
    sg_message *out;
} cancel_arg;

/* The row is locked (FOR UPDATE) from the read to the update: a claim or an
 * outcome of another node waits for this transaction rather than racing it. */
static sg_err cancel_fn(pg_conn *c, void *arg, sg_error *e)
{
    cancel_arg *a = arg;
    const char *p[] = {a->id};
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT " MSG_COLS " FROM messages WHERE id = $1 FOR UPDATE", 1, p, &r, e);
    if (err)
        return err;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no message %.64s", a->id);
    }
    pg_message_row(r, 0, a->out);
    PQclear(r);
    if (a->out->status != SG_STATUS_SCHEDULED && a->out->status != SG_STATUS_QUEUED)
        return sg_error_set(e, SG_ERR_CONFLICT, "status",
                            "message is %s; only scheduled or queued messages can be canceled",
                            sg_status_name(a->out->status));
    int64_t now = sg_time_now_ms();
    char t[24];
    const char *q[] = {a->id, pg_i64(t, now)};
    if ((err = pg_query(c,
                        "UPDATE messages SET status = 'canceled', updated_at = $2::bigint "
                        "WHERE id = $1",
                        2, q, NULL, e)))
        return err;
    a->out->status = SG_STATUS_CANCELED;
    a->out->updated_at = now;
    err = pg_event_insert(c, a->id, SG_STATUS_CANCELED, now, "canceled by request", e);
    return err ? err : pg_emit_message_status(c, a->out, now, e);
}

static sg_err pg_message_cancel(sg_store *s, const char *id, sg_message *out, sg_error *e)
{
    cancel_arg a = {id, out};
    memset(out, 0, sizeof *out);
    return pg_write(pg_of(s), cancel_fn, &a, e);
}

const sg_store_messages_ops pg_messages_ops = {
    .messages_insert = pg_messages_insert,
    .idem_get = pg_idem_get,
    .idem_put = pg_idem_put,
    .message_get = pg_message_get,
    .message_get_with_events = pg_message_get_with_events,
    .message_list = pg_message_list,
    .message_cancel = pg_message_cancel,
};
