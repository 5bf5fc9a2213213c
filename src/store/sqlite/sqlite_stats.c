/* The SQLite backend, stats: counts of outbound messages by status, and of
 * those replied to, followed by an opt-out or clicked, with the broadcast
 * recipients that got no message, over a period or for one broadcast, grouped
 * by day, provider or broadcast; failures by error code. Read-only. */
#include "store/sqlite/sqlite_internal.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The row for key, appended if new. NULL when out of memory. */
static sg_stats_row *row_for(sg_stats *out, size_t *cap, const char *key)
{
    for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->rows[i].key, key) == 0)
            return &out->rows[i];
    }
    if (out->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        sg_stats_row *grown = realloc(out->rows, ncap * sizeof *grown);
        if (!grown)
            return NULL;
        out->rows = grown;
        *cap = ncap;
    }
    sg_stats_row *r = &out->rows[out->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "%s", key);
    return r;
}

static const char *key_expr(sg_stats_group g, const char *alias, const char *time_col)
{
    static _Thread_local char buf[160];
    switch (g) {
    case SG_STATS_BY_DAY:
        snprintf(buf, sizeof buf, "strftime('%%Y-%%m-%%d', %s.%s / 1000, 'unixepoch')", alias,
                 time_col);
        return buf;
    case SG_STATS_BY_PROVIDER:
        snprintf(buf, sizeof buf, "%s.provider_id", alias);
        return buf;
    case SG_STATS_BY_BROADCAST:
        snprintf(buf, sizeof buf, "%s.broadcast_id", alias);
        return buf;
    default:
        return "''";
    }
}

typedef struct query_ctx {
    conn *c;
    int64_t from, to;
    const char *broadcast; /* one broadcast, or NULL */
    const char *provider;  /* one provider's messages, or NULL */
    sg_stats_group g;
    sg_stats *out;
    size_t cap;
} query_ctx;

/* Run sql (parameters ?1 from, ?2 to, ?3 broadcast, ?4 provider) and hand each
 * row to fn. */
static sg_err run(query_ctx *q, const char *sql, sg_err (*fn)(query_ctx *q, sqlite3_stmt *st))
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sq_map_rc(sqlite3_errcode(q->c->db));
    sqlite3_bind_int64(st, 1, q->from);
    sqlite3_bind_int64(st, 2, q->to ? q->to : INT64_MAX);
    if (q->broadcast)
        sqlite3_bind_text(st, 3, q->broadcast, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    if (q->provider)
        sqlite3_bind_text(st, 4, q->provider, -1, SQLITE_STATIC);
    sg_err err = SG_OK;
    int rc;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW)
        err = fn(q, st);
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    return err;
}

/* Statuses of outbound messages: key, count, queued, sent, delivered,
 * undelivered, failed, canceled, replied, opted_out, clicked. */
static sg_err status_row(query_ctx *q, sqlite3_stmt *st)
{
    char key[64];
    sq_col_copy(st, 0, key, sizeof key);
    sg_stats_row *r = row_for(q->out, &q->cap, key);
    if (!r)
        return SG_ERR_NOMEM;
    r->recipients += sqlite3_column_int64(st, 1);
    r->queued += sqlite3_column_int64(st, 2);
    r->sent += sqlite3_column_int64(st, 3);
    r->delivered += sqlite3_column_int64(st, 4);
    r->undelivered += sqlite3_column_int64(st, 5);
    r->failed += sqlite3_column_int64(st, 6);
    r->canceled += sqlite3_column_int64(st, 7);
    r->replied += sqlite3_column_int64(st, 8);
    r->opted_out += sqlite3_column_int64(st, 9);
    r->clicked += sqlite3_column_int64(st, 10);
    return SG_OK;
}

/* Broadcast recipients that have no message: key, skipped opted out, not
 * mobile, invalid, pending. They are recipients too. */
static sg_err unsent_row(query_ctx *q, sqlite3_stmt *st)
{
    char key[64];
    sq_col_copy(st, 0, key, sizeof key);
    sg_stats_row *r = row_for(q->out, &q->cap, key);
    if (!r)
        return SG_ERR_NOMEM;
    int64_t v[4];
    for (int i = 0; i < 4; i++)
        v[i] = sqlite3_column_int64(st, i + 1);
    r->skipped_opted_out += v[0];
    r->skipped_not_mobile += v[1];
    r->skipped_invalid += v[2];
    r->pending += v[3];
    r->recipients += v[0] + v[1] + v[2] + v[3];
    return SG_OK;
}

static sg_err error_row(query_ctx *q, sqlite3_stmt *st)
{
    sg_stats *out = q->out;
    if (out->n_errors % 32 == 0) {
        sg_error_count *grown = realloc(out->errors, (out->n_errors + 32) * sizeof *grown);
        if (!grown)
            return SG_ERR_NOMEM;
        out->errors = grown;
    }
    sg_error_count *ec = &out->errors[out->n_errors++];
    memset(ec, 0, sizeof *ec);
    sq_col_copy(st, 0, ec->key, sizeof ec->key);
    sq_col_copy(st, 1, ec->code, sizeof ec->code);
    ec->count = sqlite3_column_int64(st, 2);
    return SG_OK;
}

/* Every figure has one definition, over one set: the outbound messages created
 * in [from, to) (of one broadcast, for its stats), each counted in exactly one
 * group (its UTC day, provider or broadcast, "" for a message of no broadcast),
 * so the groups add up to the total. A message was replied to / led to an
 * opt-out when its recipient sent a message / opted out after it and before
 * the next message to them; clicked when one of its links was followed. The
 * recipients of a broadcast that got no message (skipped, or still pending)
 * count in the group of the broadcast's start (day, provider, broadcast), for
 * broadcasts started in the period, except in one provider's stats (they were
 * never handed to a provider). */
static sg_err collect(query_ctx *q)
{
    char sql[3072];
    char mkey[160], bkey[160];
    snprintf(mkey, sizeof mkey, "%s", key_expr(q->g, "m", "created_at"));
    snprintf(bkey, sizeof bkey, "%s",
             q->g == SG_STATS_BY_BROADCAST ? "b.id" : key_expr(q->g, "b", "started_at"));
    const char *scope = "m.direction = 'outbound' AND m.created_at >= ?1 AND m.created_at < ?2 "
                        "AND (?3 IS NULL OR (m.broadcast_id = ?3 AND m.broadcast_id != '')) "
                        "AND (?4 IS NULL OR m.provider_id = ?4)";
    snprintf(sql, sizeof sql,
             "SELECT %s, count(*), sum(m.status IN ('scheduled', 'queued', 'sending')), "
             "sum(m.status IN ('sent', 'delivered', 'undelivered')), sum(m.status = 'delivered'), "
             "sum(m.status = 'undelivered'), sum(m.status = 'failed'), sum(m.status = 'canceled'), "
             "sum(EXISTS (SELECT 1 FROM messages i WHERE i.direction = 'inbound' AND "
             "i.from_number = m.to_number AND i.created_at >= m.created_at AND NOT EXISTS "
             "(SELECT 1 FROM messages n WHERE n.to_number = m.to_number AND n.direction = "
             "'outbound' AND n.created_at > m.created_at AND n.created_at <= i.created_at))), "
             "sum(EXISTS (SELECT 1 FROM consent_events ce WHERE ce.phone = m.to_number AND "
             "ce.new_state = 'opted_out' AND ce.at >= m.created_at AND NOT EXISTS "
             "(SELECT 1 FROM messages n WHERE n.to_number = m.to_number AND n.direction = "
             "'outbound' AND n.created_at > m.created_at AND n.created_at <= ce.at))), "
             "sum(EXISTS (SELECT 1 FROM clicks k WHERE k.message_id = m.id)) "
             "FROM messages m WHERE %s GROUP BY 1 ORDER BY 1",
             mkey, scope);
    sg_err err = run(q, sql, status_row);
    if (!err) {
        snprintf(sql, sizeof sql,
                 "SELECT %s, m.error_code, count(*) FROM messages m WHERE %s AND m.status IN "
                 "('failed', 'undelivered') GROUP BY 1, 2 ORDER BY 3 DESC, 2",
                 mkey, scope);
        err = run(q, sql, error_row);
    }
    /* recipients that got no message went to no provider */
    if (!err && !q->provider) {
        snprintf(sql, sizeof sql,
                 "SELECT %s, sum(b.skipped_opted_out), sum(b.skipped_not_mobile), "
                 "sum(b.skipped_invalid), sum((SELECT count(*) FROM broadcast_recipients r "
                 "INDEXED BY broadcast_recipients_pending WHERE r.broadcast_id = b.id AND "
                 "r.state = 'pending')) FROM broadcasts b WHERE b.started_at > 0 AND "
                 "b.started_at >= ?1 AND b.started_at < ?2 AND (?3 IS NULL OR b.id = ?3) "
                 "GROUP BY 1 ORDER BY 1",
                 bkey);
        err = run(q, sql, unsent_row);
    }
    return err;
}

static sg_err sq_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                                const char *provider_id, sg_stats *out);

static sg_err sq_stats(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out)
{
    return sq_stats_provider(s, from, to, g, NULL, out);
}

static sg_err sq_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                                const char *provider_id, sg_stats *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    query_ctx q = {.c = c, .from = from, .to = to, .provider = provider_id, .g = g, .out = out};
    sg_err err = collect(&q);
    sq_reader_release(s, c);
    if (!err && g == SG_STATS_TOTAL && out->n == 0 && !row_for(out, &q.cap, ""))
        err = SG_ERR_NOMEM;
    if (err)
        sg_stats_free(out);
    return err;
}

static sg_err sq_broadcast_stats(sg_store *s, const char *id, sg_stats *out)
{
    memset(out, 0, sizeof *out);
    sg_broadcast b;
    sg_err err = sg_store_broadcast_get(s, id, &b);
    if (err)
        return err;
    sg_broadcast_free(&b);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    query_ctx q = {
        .c = c, .from = 0, .to = 0, .broadcast = id, .g = SG_STATS_BY_BROADCAST, .out = out};
    err = collect(&q);
    sq_reader_release(s, c);
    sg_stats_row *r = err ? NULL : row_for(out, &q.cap, id);
    if (!err && !r)
        err = SG_ERR_NOMEM;
    if (err) {
        sg_stats_free(out);
        return err;
    }
    return SG_OK;
}

const sg_store_stats_ops sq_stats_ops = {
    .stats = sq_stats,
    .broadcast_stats = sq_broadcast_stats,
    .stats_provider = sq_stats_provider,
};
