/* The PostgreSQL backend, stats: counts of outbound messages by status, and of
 * those replied to, followed by an opt-out or clicked, with the broadcast
 * recipients that got no message, over a period or for one broadcast, grouped
 * by day, provider or broadcast; failures by error code. Read-only, in one
 * snapshot. Every figure has the definition store/sqlite/sqlite_stats.c gives
 * it (collect() there says them in full), so the two backends agree. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The row for key, appended if new. NULL when out of memory. */
static sg_stats_row *row_for(sg_stats *out, size_t *cap, const char *key)
{
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->rows[i].key, key) == 0)
            return &out->rows[i];
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

/* The group's key of a message (m) or a broadcast (b, by its start): one
 * table row per grouping, never a value spliced into SQL. */
static const char *key_expr(sg_stats_group g, bool broadcasts)
{
    static const struct {
        const char *messages, *broadcasts;
    } keys[] = {
        [SG_STATS_TOTAL] = {"''", "''"},
        [SG_STATS_BY_DAY] = {"to_char(to_timestamp(m.created_at / 1000) AT TIME ZONE 'UTC', "
                             "'YYYY-MM-DD')",
                             "to_char(to_timestamp(b.started_at / 1000) AT TIME ZONE 'UTC', "
                             "'YYYY-MM-DD')"},
        [SG_STATS_BY_PROVIDER] = {"m.provider_id", "b.provider_id"},
        [SG_STATS_BY_BROADCAST] = {"m.broadcast_id", "b.id"},
    };
    if ((unsigned)g >= sizeof keys / sizeof keys[0])
        g = SG_STATS_TOTAL;
    return broadcasts ? keys[g].broadcasts : keys[g].messages;
}

typedef struct query_ctx {
    int64_t from, to;
    const char *broadcast; /* one broadcast, or NULL */
    const char *provider;  /* one provider's messages, or NULL */
    sg_stats_group g;
    sg_stats *out;
    size_t cap;
} query_ctx;

/* Run sql ($1 from, $2 to, $3 broadcast, then $4 provider when n is 4) and
 * hand each row to fn. */
static sg_err run(pg_conn *c, query_ctx *q, const char *sql, int n,
                  sg_err (*fn)(query_ctx *q, const PGresult *r, int i), sg_error *e)
{
    char from[24], to[24];
    const char *p[] = {pg_i64(from, q->from), pg_i64(to, q->to ? q->to : INT64_MAX), q->broadcast,
                       q->provider};
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (err)
        return err;
    for (int i = 0; !err && i < PQntuples(r); i++)
        err = fn(q, r, i);
    PQclear(r);
    return err;
}

/* key, count, queued, sent, delivered, undelivered, failed, canceled, replied,
 * opted_out, clicked */
static sg_err status_row(query_ctx *q, const PGresult *res, int i)
{
    char key[64];
    pg_col_copy(res, i, 0, key, sizeof key);
    sg_stats_row *r = row_for(q->out, &q->cap, key);
    if (!r)
        return SG_ERR_NOMEM;
    int64_t *to[] = {&r->recipients, &r->queued,   &r->sent,    &r->delivered, &r->undelivered,
                     &r->failed,     &r->canceled, &r->replied, &r->opted_out, &r->clicked};
    for (int k = 0; k < 10; k++)
        *to[k] += pg_col_i64(res, i, k + 1);
    return SG_OK;
}

/* Broadcast recipients that have no message: key, skipped opted out, not
 * mobile, invalid, pending. They are recipients too. */
static sg_err unsent_row(query_ctx *q, const PGresult *res, int i)
{
    char key[64];
    pg_col_copy(res, i, 0, key, sizeof key);
    sg_stats_row *r = row_for(q->out, &q->cap, key);
    if (!r)
        return SG_ERR_NOMEM;
    int64_t v[4];
    for (int k = 0; k < 4; k++)
        v[k] = pg_col_i64(res, i, k + 1);
    r->skipped_opted_out += v[0];
    r->skipped_not_mobile += v[1];
    r->skipped_invalid += v[2];
    r->pending += v[3];
    r->recipients += v[0] + v[1] + v[2] + v[3];
    return SG_OK;
}

static sg_err error_row(query_ctx *q, const PGresult *res, int i)
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
    pg_col_copy(res, i, 0, ec->key, sizeof ec->key);
    pg_col_copy(res, i, 1, ec->code, sizeof ec->code);
    ec->count = pg_col_i64(res, i, 2);
    return SG_OK;
}

#define SCOPE                                                                                      \
    "m.direction = 'outbound' AND m.created_at >= $1::bigint AND m.created_at < $2::bigint "       \
    "AND ($3::text IS NULL OR (m.broadcast_id = $3 AND m.broadcast_id <> '')) "                    \
    "AND ($4::text IS NULL OR m.provider_id = $4)"
/* A later outbound message to the same number before the reply or opt-out:
 * the figure is that message's, not this one's. */
#define NO_LATER_SEND                                                                              \
    "NOT EXISTS (SELECT 1 FROM messages n WHERE n.to_number = m.to_number AND n.direction = "      \
    "'outbound' AND n.created_at > m.created_at AND n.created_at <= "
/* queued, sent, delivered, undelivered, failed, canceled, replied, opted_out, clicked */
#define STATUS_COUNTS                                                                              \
    "count(*) FILTER (WHERE m.status IN ('scheduled', 'queued', 'sending')), "                     \
    "count(*) FILTER (WHERE m.status IN ('sent', 'delivered', 'undelivered')), "                   \
    "count(*) FILTER (WHERE m.status = 'delivered'), "                                             \
    "count(*) FILTER (WHERE m.status = 'undelivered'), "                                           \
    "count(*) FILTER (WHERE m.status = 'failed'), "                                                \
    "count(*) FILTER (WHERE m.status = 'canceled'), "                                              \
    "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM messages i WHERE i.direction = 'inbound' AND "   \
    "i.from_number = m.to_number AND i.created_at >= m.created_at AND " NO_LATER_SEND              \
    "i.created_at))), "                                                                            \
    "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM consent_events ce WHERE ce.phone = m.to_number " \
    "AND ce.new_state = 'opted_out' AND ce.at >= m.created_at AND " NO_LATER_SEND "ce.at))), "     \
    "count(*) FILTER (WHERE EXISTS (SELECT 1 FROM clicks k WHERE k.message_id = m.id))"

static sg_err collect_fn(pg_conn *c, void *arg, sg_error *e)
{
    query_ctx *q = arg;
    sg_err err = pg_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", e);
    if (err)
        return err;
    char sql[3072];
    const char *mkey = key_expr(q->g, false);
    snprintf(sql, sizeof sql,
             "SELECT %s, count(*), " STATUS_COUNTS " FROM messages m WHERE " SCOPE
             " GROUP BY 1 ORDER BY 1",
             mkey);
    if ((err = run(c, q, sql, 4, status_row, e)))
        return err;
    snprintf(sql, sizeof sql,
             "SELECT %s, m.error_code, count(*) FROM messages m WHERE " SCOPE
             " AND m.status IN ('failed', 'undelivered') GROUP BY 1, 2 ORDER BY 3 DESC, 2",
             mkey);
    if ((err = run(c, q, sql, 4, error_row, e)) || q->provider)
        return err; /* recipients that got no message went to no provider */
    snprintf(sql, sizeof sql,
             "SELECT %s, sum(b.skipped_opted_out), sum(b.skipped_not_mobile), "
             "sum(b.skipped_invalid), sum((SELECT count(*) FROM broadcast_recipients r "
             "WHERE r.broadcast_id = b.id AND r.state = 'pending')) FROM broadcasts b "
             "WHERE b.started_at > 0 AND b.started_at >= $1::bigint AND b.started_at < $2::bigint "
             "AND ($3::text IS NULL OR b.id = $3) "
             "GROUP BY 1 ORDER BY 1",
             key_expr(q->g, true));
    return run(c, q, sql, 3, unsent_row, e);
}

static sg_err collect(sg_store *s, query_ctx *q)
{
    sg_err err = pg_read_tx(pg_of(s), collect_fn, q, NULL);
    if (err)
        sg_stats_free(q->out);
    return err;
}

static sg_err pg_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                                const char *provider_id, sg_stats *out)
{
    memset(out, 0, sizeof *out);
    query_ctx q = {.from = from, .to = to, .provider = provider_id, .g = g, .out = out};
    sg_err err = collect(s, &q);
    if (!err && g == SG_STATS_TOTAL && out->n == 0 && !row_for(out, &q.cap, "")) {
        sg_stats_free(out);
        err = SG_ERR_NOMEM;
    }
    return err;
}

static sg_err pg_stats(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out)
{
    return pg_stats_provider(s, from, to, g, NULL, out);
}

static sg_err broadcast_exists(sg_store *s, const char *id)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT 1 FROM broadcasts WHERE id = $1", 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) > 0 ? SG_OK : SG_ERR_NOT_FOUND;
    PQclear(r);
    return err;
}

static sg_err pg_broadcast_stats(sg_store *s, const char *id, sg_stats *out)
{
    memset(out, 0, sizeof *out);
    sg_err err = broadcast_exists(s, id);
    if (err)
        return err;
    query_ctx q = {.broadcast = id, .g = SG_STATS_BY_BROADCAST, .out = out};
    if ((err = collect(s, &q)))
        return err;
    if (!row_for(out, &q.cap, id)) {
        sg_stats_free(out);
        return SG_ERR_NOMEM;
    }
    return SG_OK;
}

const sg_store_stats_ops pg_stats_ops = {
    .stats = pg_stats,
    .broadcast_stats = pg_broadcast_stats,
    .stats_provider = pg_stats_provider,
};
