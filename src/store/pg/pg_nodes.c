/* The PostgreSQL backend, nodes: a serve's row (registered at its start, kept
 * by its heartbeat), dead nodes' claims made due, the node list. The same
 * rules as store/sqlite/sqlite_nodes.c. The heartbeat is a queued write of the
 * writer (no transaction held between beats); taking a dead node's claims only
 * makes them due, and the claim (FOR UPDATE SKIP LOCKED) gives each to one
 * node, so two live nodes taking over at once do no harm. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct register_arg {
    const char *id, *start_id, *listen;
    int64_t now;
} register_arg;

static sg_err register_fn(pg_conn *c, void *arg, sg_error *e)
{
    register_arg *a = arg;
    char t[24];
    const char *p[] = {a->id, a->start_id, a->listen, pg_i64(t, a->now)};
    sg_err err = pg_query(
        c,
        "INSERT INTO nodes (id, start_id, listen, started_at, heartbeat_at, stopped_at, sent) "
        "VALUES ($1, $2, $3, $4::bigint, $4::bigint, 0, 0) ON CONFLICT (id) DO UPDATE SET "
        "start_id = EXCLUDED.start_id, listen = EXCLUDED.listen, "
        "started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at, "
        "stopped_at = 0, sent = 0",
        4, p, NULL, e);
    if (!err) { /* the writer's claims record this node and start from now on */
        snprintf(c->node_id, sizeof c->node_id, "%s", a->id);
        snprintf(c->node_start, sizeof c->node_start, "%s", a->start_id);
    }
    return err;
}

sg_err pg_node_register(sg_store *s, const char *id, const char *start_id, const char *listen,
                        int64_t now, sg_error *e)
{
    register_arg a = {.id = id, .start_id = start_id, .listen = listen, .now = now};
    return pg_write(pg_of(s), register_fn, &a, e);
}

typedef struct beat_job {
    pg_job base;
    int64_t now, sent, timeout_ms;
    sg_node_beat_result r;
    void (*done)(void *arg, const sg_node_beat_result *r, sg_err err);
    void *arg;
} beat_job;

static sg_err beat_run(pg_conn *c, pg_job *j)
{
    beat_job *bj = (beat_job *)j;
    if (!c->node_id[0])
        return sg_error_set(&j->error, SG_ERR_INVALID, NULL, "no node registered");
    char now[24], sent[24], since[24];
    pg_i64(now, bj->now);
    pg_i64(sent, bj->sent);
    pg_i64(since, bj->now - bj->timeout_ms);
    const char *p[] = {c->node_id, c->node_start, now, sent};
    PGresult *r;
    sg_err err = pg_query(c,
                          "UPDATE nodes SET heartbeat_at = $3::bigint, sent = $4::bigint "
                          "WHERE id = $1 AND start_id = $2",
                          4, p, &r, &j->error);
    if (err)
        return err;
    bj->r.superseded = strcmp(PQcmdTuples(r), "0") == 0;
    PQclear(r);
    const char *q[] = {now, c->node_id, since};
    /* SKIP LOCKED: a row another node's open transaction holds (claiming it,
     * recording its outcome) is being dealt with; waiting for it could
     * deadlock with that node's own heartbeat in the same group. */
    err = pg_query(c,
                   "UPDATE messages SET due_at = $1::bigint WHERE id IN (SELECT id "
                   "FROM messages WHERE status = 'sending' AND due_at > $1::bigint "
                   "AND node_id != '' AND node_id IN (SELECT id FROM nodes WHERE id != $2 "
                   "AND (stopped_at > 0 OR heartbeat_at < $3::bigint)) "
                   "FOR UPDATE SKIP LOCKED)",
                   3, q, &r, &j->error);
    if (err)
        return err;
    bj->r.taken = (size_t)strtoull(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    const char *l[] = {since};
    err = pg_query(c,
                   "SELECT count(*) FROM nodes WHERE stopped_at = 0 "
                   "AND heartbeat_at >= $1::bigint",
                   1, l, &r, &j->error);
    if (err)
        return err;
    int64_t live = PQntuples(r) == 1 ? pg_col_i64(r, 0, 0) : 0;
    PQclear(r);
    bj->r.live = live > 0 ? (size_t)live : 1;
    return SG_OK;
}

static void beat_complete(pg_job *j)
{
    beat_job *bj = (beat_job *)j;
    if (bj->done)
        bj->done(bj->arg, &bj->r, j->err);
    free(bj);
}

sg_err pg_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                    void (*done)(void *arg, const sg_node_beat_result *r, sg_err err), void *arg)
{
    beat_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = beat_run;
    j->base.complete = beat_complete;
    j->now = now;
    j->sent = sent;
    j->timeout_ms = timeout_ms;
    j->done = done;
    j->arg = arg;
    sg_err err = pg_submit(pg_of(s), &j->base);
    if (err)
        free(j);
    return err;
}

static sg_err stop_fn(pg_conn *c, void *arg, sg_error *e)
{
    if (!c->node_id[0])
        return sg_error_set(e, SG_ERR_INVALID, NULL, "no node registered");
    char t[24];
    const char *p[] = {c->node_id, c->node_start, pg_i64(t, *(int64_t *)arg)};
    return pg_query(c, "UPDATE nodes SET stopped_at = $3::bigint WHERE id = $1 AND start_id = $2",
                    3, p, NULL, e);
}

sg_err pg_node_stop(sg_store *s, int64_t now, sg_error *e)
{
    return pg_write(pg_of(s), stop_fn, &now, e);
}

sg_err pg_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT n.id, n.start_id, n.listen, n.started_at, n.heartbeat_at, "
                         "n.stopped_at, n.sent, (SELECT count(*) FROM messages m "
                         "WHERE m.status = 'sending' AND m.node_id = n.id) "
                         "FROM nodes n ORDER BY n.id LIMIT 10000",
                         0, NULL, &r, e);
    if (err)
        return err;
    int rows = PQntuples(r);
    sg_node *v = calloc(rows ? (size_t)rows : 1, sizeof *v);
    if (!v) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        pg_col_copy(r, i, 0, v[i].id, sizeof v[i].id);
        pg_col_copy(r, i, 1, v[i].start_id, sizeof v[i].start_id);
        pg_col_copy(r, i, 2, v[i].listen, sizeof v[i].listen);
        v[i].started_at = pg_col_i64(r, i, 3);
        v[i].heartbeat_at = pg_col_i64(r, i, 4);
        v[i].stopped_at = pg_col_i64(r, i, 5);
        v[i].sent = pg_col_i64(r, i, 6);
        v[i].claims = pg_col_i64(r, i, 7);
    }
    PQclear(r);
    *out = v;
    *n = (size_t)rows;
    return SG_OK;
}
