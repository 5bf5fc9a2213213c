/* The PostgreSQL backend: opening and closing the store, the connection pool,
 * transactions, the writer thread's group commit, health, and the core ops
 * (pg_store.h has the contracts). */
#include "store/pg/pg_store.h"
#include "store/migrations.h"
#include "util/log.h"
#include "util/time.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_MAX 4096

/* ---- columns and parameters ------------------------------------------------------ */

void pg_col_copy(const PGresult *r, int row, int col, char *out, size_t cap)
{
    snprintf(out, cap, "%s", PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col));
}

char *pg_col_dup(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : strdup(PQgetvalue(r, row, col));
}

int64_t pg_col_i64(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool pg_col_bool(const PGresult *r, int row, int col)
{
    return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

const char *pg_i64(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* ---- health ---------------------------------------------------------------------- */

/* The writer's group started (err unused) or ended with err (SG_OK: committed). */
static void health_group(pg_store *s, bool started, sg_err err, const sg_error *e)
{
    pthread_mutex_lock(&s->hlock);
    if (started) {
        s->group_started_ms = sg_time_mono_ms();
    } else {
        s->group_started_ms = 0;
        s->failing = err != SG_OK;
        if (!err)
            s->last_commit_ms = sg_time_mono_ms();
        else
            snprintf(s->failure, sizeof s->failure, "%s",
                     e && e->message[0] ? e->message : sg_strerror(err));
    }
    pthread_mutex_unlock(&s->hlock);
}

/* ---- the pool ---------------------------------------------------------------------- */

pg_conn *pg_acquire(pg_store *s, sg_error *e)
{
    pthread_mutex_lock(&s->lock);
    int i;
    for (;;) {
        for (i = 0; i < PG_POOL && s->in_use[i]; i++)
            ;
        if (i < PG_POOL)
            break;
        pthread_cond_wait(&s->pool_cv, &s->lock);
    }
    s->in_use[i] = true;
    pthread_mutex_unlock(&s->lock);
    pg_conn *c = &s->pool[i];
    sg_error local = {0};
    sg_err err = pg_conn_ready(c, e ? e : &local);
    if (err) {
        pg_release(s, c);
        return NULL;
    }
    return c;
}

void pg_release(pg_store *s, pg_conn *c)
{
    pthread_mutex_lock(&s->lock);
    s->in_use[c - s->pool] = false;
    pthread_cond_signal(&s->pool_cv);
    pthread_mutex_unlock(&s->lock);
}

sg_err pg_read_tx(pg_store *s, sg_err (*fn)(pg_conn *c, void *arg, sg_error *e), void *arg,
                  sg_error *e)
{
    sg_error local = {0};
    if (!e)
        e = &local;
    pg_conn *c = pg_acquire(s, e);
    if (!c)
        return e->err ? e->err : SG_ERR_DB;
    sg_err err = pg_exec(c, "BEGIN", e);
    if (!err) {
        err = fn(c, arg, e);
        pg_exec(c, err ? "ROLLBACK" : "COMMIT", NULL);
    }
    pg_release(s, c);
    return err;
}

sg_err pg_read(pg_store *s, const char *sql, int n, const char *const *params, PGresult **res,
               sg_error *e)
{
    sg_error local = {0};
    if (!e)
        e = &local;
    pg_conn *c = pg_acquire(s, e);
    if (!c)
        return e->err ? e->err : SG_ERR_DB;
    sg_err err = pg_query(c, sql, n, params, res, e);
    pg_release(s, c);
    return err;
}

/* ---- the writer: queued writes committed in groups -------------------------------- */

sg_err pg_submit(pg_store *s, pg_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&s->qlock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->qlock);
        return SG_ERR_SHUTDOWN;
    }
    if (s->tail)
        s->tail->next = j;
    else
        s->head = j;
    s->tail = j;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    return SG_OK;
}

/* Every job of the group gets err (the group did not commit). */
static void group_fail(pg_job *group, sg_err err, const sg_error *e)
{
    for (pg_job *j = group; j; j = j->next)
        if (!j->err) {
            j->err = err;
            j->error = *e;
        }
}

/* One job in its savepoint: a failing job is undone alone. */
static void run_one(pg_conn *c, pg_job *j)
{
    sg_error e = {0};
    if (pg_exec(c, "SAVEPOINT job", &e)) {
        j->err = e.err ? e.err : SG_ERR_DB;
        j->error = e;
        return;
    }
    j->err = j->run(c, j);
    pg_exec(c,
            j->err ? "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job" : "RELEASE SAVEPOINT job",
            NULL);
}

static void run_group(pg_store *s, pg_job *group)
{
    sg_error e = {0};
    health_group(s, true, SG_OK, NULL);
    sg_err err = pg_conn_ready(&s->writer, &e);
    if (!err)
        err = pg_exec(&s->writer, "BEGIN", &e);
    if (!err) {
        for (pg_job *j = group; j; j = j->next)
            run_one(&s->writer, j);
        err = pg_exec(&s->writer, "COMMIT", &e);
    }
    if (err) {
        pg_exec(&s->writer, "ROLLBACK", NULL);
        group_fail(group, err, &e);
    }
    health_group(s, false, err, &e);
    while (group) {
        pg_job *next = group->next;
        group->complete(group);
        group = next;
    }
}

/* Up to GROUP_MAX queued jobs, or NULL when stopping with nothing queued. */
static pg_job *take_group(pg_store *s)
{
    pthread_mutex_lock(&s->qlock);
    while (!s->head && !s->stopping)
        pthread_cond_wait(&s->qcond, &s->qlock);
    pg_job *group = s->head, *last = group;
    for (size_t n = 1; last && last->next && n < GROUP_MAX; n++)
        last = last->next;
    if (last) {
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
    }
    pthread_mutex_unlock(&s->qlock);
    return group;
}

static void *writer_main(void *arg)
{
    pg_store *s = arg;
    pg_job *group;
    while ((group = take_group(s)))
        run_group(s, group);
    return NULL;
}

/* ---- synchronous writes: a job, and a wait for its group ---------------------------- */

typedef struct sync_job {
    pg_job base;
    sg_err (*fn)(pg_conn *c, void *arg, sg_error *e);
    void *arg;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool done;
} sync_job;

static sg_err sync_run(pg_conn *c, pg_job *j)
{
    sync_job *sj = (sync_job *)j;
    return sj->fn(c, sj->arg, &j->error);
}

static void sync_complete(pg_job *j)
{
    sync_job *sj = (sync_job *)j;
    pthread_mutex_lock(&sj->m);
    sj->done = true;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->m);
}

sg_err pg_write(pg_store *s, sg_err (*fn)(pg_conn *c, void *arg, sg_error *e), void *arg,
                sg_error *e)
{
    sync_job sj = {.base = {.run = sync_run, .complete = sync_complete}, .fn = fn, .arg = arg};
    pthread_mutex_init(&sj.m, NULL);
    pthread_cond_init(&sj.cv, NULL);
    sg_err err = pg_submit(s, &sj.base);
    if (!err) {
        pthread_mutex_lock(&sj.m);
        while (!sj.done)
            pthread_cond_wait(&sj.cv, &sj.m);
        pthread_mutex_unlock(&sj.m);
        err = sj.base.err;
        if (err && e)
            *e = sj.base.error;
        if (err && e && !e->message[0])
            sg_error_set(e, err, NULL, "%s", sg_strerror(err));
    } else {
        sg_error_set(e, err, NULL, "store is shutting down");
    }
    pthread_cond_destroy(&sj.cv);
    pthread_mutex_destroy(&sj.m);
    return err;
}

/* ---- lifecycle ------------------------------------------------------------------------ */

static void pg_close(sg_store *base)
{
    pg_store *s = pg_of(base);
    if (!s)
        return;
    pg_listen_stop(s->listener);
    if (s->writer_started) {
        pthread_mutex_lock(&s->qlock);
        s->stopping = true;
        pthread_cond_signal(&s->qcond);
        pthread_mutex_unlock(&s->qlock);
        pthread_join(s->writer_thread, NULL);
    }
    for (int i = 0; i < PG_POOL; i++)
        pg_conn_free(&s->pool[i]);
    pg_conn_free(&s->writer);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->pool_cv);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->hlock);
    free(s);
}

/* SMSGATE_DB_WAIT (seconds, as `migrate --db-wait`), else PG_OPEN_WAIT_MS. */
static int64_t open_wait_ms(void)
{
    const char *v = getenv("SMSGATE_DB_WAIT");
    char *end = NULL;
    long long sec = v && *v ? strtoll(v, &end, 10) : -1;
    return sec >= 0 && sec <= 3600 && end && !*end ? sec * 1000 : PG_OPEN_WAIT_MS;
}

/* Connections of the pool connect when first used; the writer's connects now,
 * waiting up to open_wait_ms() for a server that is starting. */
static sg_err pg_open(const char *target, sg_store **out, sg_error *e)
{
    pg_store *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->base.be = &sg_pg_backend;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->pool_cv, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->hlock, NULL);
    sg_err err = SG_OK;
    for (int i = 0; i < PG_POOL && !err; i++)
        if (!(s->pool[i].conninfo = strdup(target)))
            err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->writer.conninfo = strdup(target);
    s->writer.wait_ms = open_wait_ms();
    if (!err && !s->writer.conninfo)
        err = sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    if (!err)
        err = pg_connect(&s->writer, e);
    if (!err && pthread_create(&s->writer_thread, NULL, writer_main, s) != 0)
        err = sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the store writer thread");
    if (err) {
        pg_close(&s->base);
        return err;
    }
    s->writer_started = true;
    s->last_commit_ms = sg_time_mono_ms();
    *out = &s->base;
    return SG_OK;
}

/* ---- core ops ----------------------------------------------------------------------------- */

static sg_err pg_migrate(sg_store *base, int *applied, sg_error *e)
{
    pg_store *s = pg_of(base);
    int n = 0, current = 0;
    pg_conn *c = pg_acquire(s, e);
    if (!c)
        return e && e->err ? e->err : SG_ERR_DB;
    sg_err err = pg_migrate_on(c, &n, &current, e);
    pg_release(s, c);
    if (applied)
        *applied = n;
    return err;
}

static sg_err pg_schema_version(sg_store *base, int *current, int *latest)
{
    *latest = (int)sg_pg_migrations_count;
    *current = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(base), "SELECT to_regclass('schema_migrations') IS NOT NULL", 0,
                         NULL, &r, NULL);
    if (err)
        return err;
    bool exists = pg_col_bool(r, 0, 0);
    PQclear(r);
    if (!exists) /* no migration yet: version 0 */
        return SG_OK;
    if ((err = pg_read(pg_of(base), "SELECT coalesce(max(version), 0) FROM schema_migrations", 0,
                       NULL, &r, NULL)))
        return err;
    *current = (int)pg_col_i64(r, 0, 0);
    PQclear(r);
    return SG_OK;
}

static sg_err pg_ping(sg_store *base)
{
    return pg_read(pg_of(base), "SELECT 1", 0, NULL, NULL, NULL);
}

/* An empty group (BEGIN; COMMIT) queued by pg_writable: it proves the server
 * takes transactions when nothing else was written lately. */
typedef struct probe_job {
    pg_job base;
    pg_store *s;
} probe_job;

static sg_err probe_run(pg_conn *c, pg_job *j)
{
    (void)c, (void)j;
    return SG_OK;
}

static void probe_done(pg_store *s)
{
    pthread_mutex_lock(&s->hlock);
    s->probe_queued = false;
    pthread_mutex_unlock(&s->hlock);
}

static void probe_complete(pg_job *j)
{
    probe_done(((probe_job *)j)->s);
    free(j);
}

static void probe_queue(pg_store *s)
{
    probe_job *j = calloc(1, sizeof *j);
    if (j) {
        j->base.run = probe_run;
        j->base.complete = probe_complete;
        j->s = s;
    }
    if (!j || pg_submit(s, &j->base) != SG_OK) {
        free(j);
        probe_done(s);
    }
}

/* As on SQLite: false, with the reason, while a group has run longer than
 * SG_STORE_STALL_MS or the last group failed and none committed since; with no
 * commit in the last second, an empty group is queued (in the background) so
 * that an idle store is checked too. */
static bool pg_writable(sg_store *base, char *reason, size_t cap)
{
    pg_store *s = pg_of(base);
    int64_t now = sg_time_mono_ms();
    pthread_mutex_lock(&s->hlock);
    bool stalled = s->group_started_ms && now - s->group_started_ms > SG_STORE_STALL_MS;
    bool ok = !s->failing && !stalled;
    if (!ok && reason)
        snprintf(reason, cap, "%s",
                 stalled ? "a write to PostgreSQL has waited more than 2 s" : s->failure);
    bool probe = now - s->last_commit_ms > 1000 && !s->probe_queued;
    if (probe)
        s->probe_queued = true;
    pthread_mutex_unlock(&s->hlock);
    if (probe)
        probe_queue(s);
    return ok;
}

/* Several nodes share one PostgreSQL database and dispatch from it at once
 * (claims use FOR UPDATE SKIP LOCKED): there is no lock to take. */
static sg_err pg_dispatch_lock(sg_store *s, sg_error *e)
{
    (void)s, (void)e;
    return SG_OK;
}

typedef struct key_check_arg {
    const char *check;
    bool *match;
} key_check_arg;

/* Record check unless a value is there (concurrent first nodes: one wins), then
 * compare with what is there. */
static sg_err key_check_fn(pg_conn *c, void *arg, sg_error *e)
{
    key_check_arg *a = arg;
    char now[24];
    const char *params[] = {a->check, pg_i64(now, sg_time_now_ms())};
    PGresult *r;
    sg_err err = pg_query(c,
                          "INSERT INTO master_key_check (id, check_value, created_at) "
                          "VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                          2, params, NULL, e);
    if (!err)
        err = pg_query(c, "SELECT check_value FROM master_key_check WHERE id = 1", 0, NULL, &r,
                       e);
    if (err)
        return err;
    *a->match = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), a->check) == 0;
    PQclear(r);
    return SG_OK;
}

static sg_err pg_due_listen(sg_store *base, const char *direct, void (*wake)(void *arg),
                            void *arg, sg_error *e)
{
    pg_store *s = pg_of(base);
    if (s->listener)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "this store already listens");
    return pg_listen_start(direct && *direct ? direct : s->writer.conninfo, wake, arg,
                           &s->listener, e);
}

static void pg_due_unlisten(sg_store *base)
{
    pg_store *s = pg_of(base);
    pg_listen_stop(s->listener);
    s->listener = NULL;
}

static sg_err pg_master_key_check(sg_store *s, const char *check, bool *match, sg_error *e)
{
    key_check_arg a = {check, match};
    *match = false;
    return pg_write(pg_of(s), key_check_fn, &a, e);
}

const sg_store_core_ops pg_core_ops = {
    .close = pg_close,
    .migrate = pg_migrate,
    .schema_version = pg_schema_version,
    .ping = pg_ping,
    .writable = pg_writable,
    .dispatch_lock = pg_dispatch_lock,
    .master_key_check = pg_master_key_check,
    .due_listen = pg_due_listen,
    .due_unlisten = pg_due_unlisten,
};

const sg_store_backend sg_pg_backend = {
    .name = "postgres",
    .open = pg_open,
    .core = &pg_core_ops,
    .keys = &pg_keys_ops,
    .limits = &pg_limits_ops,
    .providers = &pg_providers_ops,
    .messages = &pg_messages_ops,
    .dispatch = &pg_dispatch_ops,
    .callbacks = &pg_callbacks_ops,
    .inbound = &pg_inbound_ops,
    .contacts = &pg_contacts_ops,
    .timeline = &pg_timeline_ops,
    .optouts = &pg_optouts_ops,
    .audience = &pg_audience_ops,
    .broadcasts = &pg_broadcasts_ops,
    .stats = &pg_stats_ops,
    .webhooks = &pg_webhooks_ops,
    .retention = &pg_retention_ops,
    .users = &pg_users_ops,
    .apps = &pg_apps_ops,
    .search = &pg_search_ops,
    .imports = &pg_imports_ops,
    .routes = &pg_routes_ops,
    .app_ck = &pg_app_ck_ops,
    .prices = &pg_prices_ops,
    .keywords = &pg_keywords_ops,
};
