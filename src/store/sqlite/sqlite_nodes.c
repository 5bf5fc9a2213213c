/* The SQLite backend, nodes: a serve's row (registered at its start, kept by
 * its heartbeat), dead nodes' claims made due, the node list. On SQLite one
 * serve dispatches from a file (sqlite_lock.c), so there is one live node: one
 * registering while it holds the lock counts the others out (they died); the
 * same rules as PostgreSQL's (pg_nodes.c) keep the list and the counts right.
 * Statements are prepared per call: the most frequent runs every 2 s. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_NODE_UPSERT                                                                            \
    "INSERT INTO nodes (id, start_id, listen, started_at, heartbeat_at, stopped_at, sent) "        \
    "VALUES (?1, ?2, ?3, ?4, ?4, 0, 0) ON CONFLICT (id) DO UPDATE SET "                            \
    "start_id = excluded.start_id, listen = excluded.listen, started_at = excluded.started_at, "   \
    "heartbeat_at = excluded.heartbeat_at, stopped_at = 0, sent = 0"
/* Holding the file's dispatch lock, this serve is the only one running: the
 * nodes that registered before it died, whatever their last heartbeat says. */
#define SQL_NODES_GONE "UPDATE nodes SET stopped_at = ?2 WHERE id != ?1 AND stopped_at = 0"
#define SQL_NODE_BEAT                                                                              \
    "UPDATE nodes SET heartbeat_at = ?3, sent = ?4 WHERE id = ?1 AND start_id = ?2"
/* messages_due serves it: status = 'sending' is one of its index's terms. */
#define SQL_NODE_TAKEOVER                                                                          \
    "UPDATE messages SET due_at = ?1 WHERE status = 'sending' AND due_at > ?1 "                    \
    "AND node_id != '' AND node_id IN (SELECT id FROM nodes WHERE id != ?2 "                       \
    "AND (stopped_at > 0 OR heartbeat_at < ?3))"
#define SQL_NODES_LIVE                                                                             \
    "SELECT count(*) FROM nodes WHERE stopped_at = 0 AND heartbeat_at >= ?1"
#define SQL_NODE_STOP "UPDATE nodes SET stopped_at = ?3 WHERE id = ?1 AND start_id = ?2"
#define SQL_NODES_LIST                                                                             \
    "SELECT n.id, n.start_id, n.listen, n.started_at, n.heartbeat_at, n.stopped_at, n.sent, "      \
    "(SELECT count(*) FROM messages m WHERE m.status = 'sending' AND m.node_id = n.id) "           \
    "FROM nodes n ORDER BY n.id"

typedef struct register_arg {
    const char *id, *start_id, *listen;
    int64_t now;
} register_arg;

static sg_err register_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    register_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, SQL_NODE_UPSERT);
    if (st) {
        sq_bind_text(st, 1, a->id);
        sq_bind_text(st, 2, a->start_id);
        sq_bind_text(st, 3, a->listen);
        sqlite3_bind_int64(st, 4, a->now);
    }
    sg_err err = sq_step_finalize(c, st, e, "registering the node");
    if (!err && sq_of(s)->dispatch_locked) {
        st = sq_prep_uncached(c, SQL_NODES_GONE);
        if (st) {
            sq_bind_text(st, 1, a->id);
            sqlite3_bind_int64(st, 2, a->now);
        }
        err = sq_step_finalize(c, st, e, "counting out the nodes of earlier runs");
    }
    if (!err) { /* the writer's claims record this node and start from now on */
        snprintf(c->node_id, sizeof c->node_id, "%s", a->id);
        snprintf(c->node_start, sizeof c->node_start, "%s", a->start_id);
    }
    return err;
}

sg_err sq_node_register(sg_store *s, const char *id, const char *start_id, const char *listen,
                        int64_t now, sg_error *e)
{
    register_arg a = {.id = id, .start_id = start_id, .listen = listen, .now = now};
    return sq_write_sync(s, register_fn, &a, e);
}

typedef struct beat_job {
    job base;
    int64_t now, sent, timeout_ms;
    sg_node_beat_result r;
    void (*done)(void *arg, const sg_node_beat_result *r, sg_err err);
    void *arg;
} beat_job;

static sg_err beat_run(sg_store *s, conn *c, job *j)
{
    (void)s;
    beat_job *bj = (beat_job *)j;
    if (!c->node_id[0])
        return sg_error_set(&j->error, SG_ERR_INVALID, NULL, "no node registered");
    sqlite3_stmt *st = sq_prep_uncached(c, SQL_NODE_BEAT);
    if (st) {
        sq_bind_text(st, 1, c->node_id);
        sq_bind_text(st, 2, c->node_start);
        sqlite3_bind_int64(st, 3, bj->now);
        sqlite3_bind_int64(st, 4, bj->sent);
    }
    sg_err err = sq_step_finalize(c, st, &j->error, "writing the node's heartbeat");
    if (err)
        return err;
    bj->r.superseded = sqlite3_changes(c->db) == 0;
    st = sq_prep_uncached(c, SQL_NODE_TAKEOVER);
    if (st) {
        sqlite3_bind_int64(st, 1, bj->now);
        sq_bind_text(st, 2, c->node_id);
        sqlite3_bind_int64(st, 3, bj->now - bj->timeout_ms);
    }
    if ((err = sq_step_finalize(c, st, &j->error, "taking over dead nodes' claims")))
        return err;
    bj->r.taken = (size_t)sqlite3_changes(c->db);
    st = sq_prep_uncached(c, SQL_NODES_LIVE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, &j->error, "counting live nodes");
    sqlite3_bind_int64(st, 1, bj->now - bj->timeout_ms);
    int rc = sqlite3_step(st);
    int64_t live = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sq_db_error(c->db, rc, &j->error, "counting live nodes");
    bj->r.live = live > 0 ? (size_t)live : 1;
    return SG_OK;
}

static void beat_complete(job *j)
{
    beat_job *bj = (beat_job *)j;
    if (bj->done)
        bj->done(bj->arg, &bj->r, j->err);
    free(bj);
}

sg_err sq_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
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
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

static sg_err stop_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    if (!c->node_id[0])
        return sg_error_set(e, SG_ERR_INVALID, NULL, "no node registered");
    sqlite3_stmt *st = sq_prep_uncached(c, SQL_NODE_STOP);
    if (st) {
        sq_bind_text(st, 1, c->node_id);
        sq_bind_text(st, 2, c->node_start);
        sqlite3_bind_int64(st, 3, *(int64_t *)arg);
    }
    return sq_step_finalize(c, st, e, "recording the node's stop");
}

sg_err sq_node_stop(sg_store *s, int64_t now, sg_error *e)
{
    return sq_write_sync(s, stop_fn, &now, e);
}

static void node_row(sqlite3_stmt *st, void *out)
{
    sg_node *n = out;
    sq_col_copy(st, 0, n->id, sizeof n->id);
    sq_col_copy(st, 1, n->start_id, sizeof n->start_id);
    sq_col_copy(st, 2, n->listen, sizeof n->listen);
    n->started_at = sqlite3_column_int64(st, 3);
    n->heartbeat_at = sqlite3_column_int64(st, 4);
    n->stopped_at = sqlite3_column_int64(st, 5);
    n->sent = sqlite3_column_int64(st, 6);
    n->claims = sqlite3_column_int64(st, 7);
}

sg_err sq_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return sg_error_set(e, SG_ERR_DB, NULL, "no connection to read the nodes");
    sqlite3_stmt *st = sq_prep_uncached(c, SQL_NODES_LIST);
    sg_err err = st ? sq_read_rows_on(st, node_row, NULL, sizeof **out, 10000, (void **)out, n)
                    : sq_db_error(c->db, SQLITE_ERROR, e, "listing the nodes");
    if (st)
        sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err && e && !e->message[0])
        sg_error_set(e, err, NULL, "listing the nodes failed");
    return err;
}
