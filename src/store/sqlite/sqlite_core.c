/* The SQLite backend of store.h: its core. The subjects live in their own
 * files (sqlite_messages.c, sqlite_dispatch.c, ...; sqlite_internal.h).
 *
 * One write connection, owned by the writer thread (its loop lives here):
 * every write in this process goes through it, so writes never fight over the
 * database lock, and the writer commits whatever has queued up as one transaction
 * (one fsync for many messages). Each write runs inside its own SAVEPOINT so one
 * failing write never sinks the others in its group.
 *
 * Reads use a small pool of read-only connections; in WAL mode they never block
 * the writer nor each other. Every statement is prepared once per connection and
 * cached (sq_stmt_sql). */
#include "store/sqlite/sqlite_internal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SQL_PING        "SELECT 1"
#define SQL_SAVEPOINT   "SAVEPOINT w"
#define SQL_ROLLBACK_TO "ROLLBACK TO w"
#define SQL_RELEASE     "RELEASE w"
#define SQL_BEGIN       "BEGIN IMMEDIATE"
#define SQL_COMMIT      "COMMIT"

/* ---- statements ------------------------------------------------------------- */

sg_err sq_map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return SG_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SG_ERR_BUSY;
    case SQLITE_FULL:
        return SG_ERR_FULL;
    case SQLITE_CONSTRAINT:
        return SG_ERR_CONFLICT;
    case SQLITE_NOMEM:
        return SG_ERR_NOMEM;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return SG_ERR_IO;
    default:
        return SG_ERR_DB;
    }
}

sg_err sq_db_error(sqlite3 *db, int rc, sg_error *e, const char *what)
{
    sg_err err = sq_map_rc(rc);
    sg_error_set(e, err, NULL, "%s: %s", what, sqlite3_errmsg(db));
    return err;
}

/* The cached statement of slot on c (prepared from sql the first time), reset
 * and with bindings cleared. */
sqlite3_stmt *sq_stmt_sql(conn *c, int slot, const char *sql)
{
    sqlite3_stmt *st = c->stmts[slot];
    if (!st) {
        if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
            sg_log(SG_LOG_ERROR, "sql_prepare", "slot=%d error=\"%s\"", slot,
                   sqlite3_errmsg(c->db));
            return NULL;
        }
        c->stmts[slot] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

char *sq_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

void sq_col_copy(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

sg_err sq_exec(sqlite3 *db, const char *sql, sg_error *e)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        sg_err err = sq_map_rc(rc);
        sg_error_set(e, err, NULL, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return err;
    }
    return SG_OK;
}

/* Create the database file readable by its owner only, as the key file is:
 * SQLite would create it 0644 (less the umask), and it creates the -wal and
 * -shm files with the database file's mode, so they are 0600 too. A file that
 * exists keeps its mode (an operator may have chosen it). */
static void create_private(const char *path)
{
    if (!path[0] || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0)
        return;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0)
        close(fd);
}

static sg_err conn_open(conn *c, const char *path, bool readonly, sg_error *e)
{
    memset(c, 0, sizeof *c);
    int flags = SQLITE_OPEN_NOMUTEX |
                (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (flags & SQLITE_OPEN_CREATE)
        create_private(path);
    int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        sg_err err = sg_error_set(e, sq_map_rc(rc), "db", "cannot open database %s: %s", path,
                                  c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
        sqlite3_close(c->db);
        c->db = NULL;
        return err;
    }
    sqlite3_busy_timeout(c->db, 5000);
    sqlite3_extended_result_codes(c->db, 1);
    /* Page caches: the writer's holds the index pages every message touches (a
     * miss is a read and a page zeroed); a reader's serves point lookups and
     * one-pass scans, for which the kernel's page cache does as well. */
    sq_exec(c->db, readonly ? "PRAGMA cache_size = -1024" : "PRAGMA cache_size = -4096", NULL);
    if (!readonly) {
        sg_err err = sq_exec(c->db,
                             "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                             "PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
                             e);
        if (err)
            return err;
    }
    return SG_OK;
}

static void conn_close(conn *c)
{
    for (int i = 0; i < SQ_MAX_STMTS; i++)
        sqlite3_finalize(c->stmts[i]);
    sqlite3_close(c->db);
    memset(c, 0, sizeof *c);
}

conn *sq_reader_acquire(sg_store *store)
{
    sq_store *s = sq_of(store);
    pthread_mutex_lock(&s->plock);
    for (;;) {
        for (int i = 0; i < READ_POOL; i++) {
            if (!s->reader_busy[i]) {
                s->reader_busy[i] = true;
                pthread_mutex_unlock(&s->plock);
                conn *c = &s->readers[i];
                if (!c->db && conn_open(c, s->path, true, NULL) != SG_OK) {
                    pthread_mutex_lock(&s->plock);
                    s->reader_busy[i] = false;
                    pthread_mutex_unlock(&s->plock);
                    return NULL;
                }
                return c;
            }
        }
        pthread_cond_wait(&s->pcond, &s->plock);
    }
}

void sq_reader_release(sg_store *store, conn *c)
{
    sq_store *s = sq_of(store);
    pthread_mutex_lock(&s->plock);
    s->reader_busy[c - s->readers] = false;
    pthread_cond_signal(&s->pcond);
    pthread_mutex_unlock(&s->plock);
}

/* Run a statement without parameters or results; its result code. */
static int step_rc(conn *c, int slot, const char *sql)
{
    sqlite3_stmt *st = sq_stmt_sql(c, slot, sql);
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run a statement without parameters or results, its outcome not needed. */
static void step_simple(conn *c, int slot, const char *sql)
{
    (void)step_rc(c, slot, sql);
}

/* Run read query sql (in slot) with one text parameter; fill out from the first
 * row with row(). SG_ERR_NOT_FOUND when there is none. */
sg_err sq_read_one_sql(sg_store *s, int q, const char *sql, const char *param,
                       void (*row)(sqlite3_stmt *st, void *out), void *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, q, sql);
    sg_err err = SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, param);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            row(st, out);
            err = SG_OK;
        } else {
            err = rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
        }
        sqlite3_reset(st);
    }
    sq_reader_release(s, c);
    return err;
}

/* Step a bound statement on c, collecting its rows; the statement is reset. */
sg_err sq_read_rows_on(sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *out),
                       void (*drop)(void *elem), size_t elem_size, size_t max, void **out,
                       size_t *n)
{
    *out = NULL;
    *n = 0;
    sg_err err = SG_OK;
    char *rows = NULL;
    size_t count = 0, cap = 0;
    int rc = SQLITE_DONE;
    while ((max == 0 || count < max) && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 8;
            if (max && cap > max)
                cap = max;
            char *grown = realloc(rows, cap * elem_size);
            if (!grown) {
                err = SG_ERR_NOMEM;
                break;
            }
            rows = grown;
        }
        memset(rows + count * elem_size, 0, elem_size);
        row(st, rows + count * elem_size);
        count++;
    }
    if (!err && rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_reset(st);
    if (err) {
        for (size_t i = 0; drop && i < count; i++)
            drop(rows + i * elem_size);
        free(rows);
        return err;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

/* Run read query sql (in slot q; parameters bound by bind(st, arg), which may be
 * NULL) and collect its rows with row() into a malloc'd array of elem_size
 * elements: every row when max is 0, else at most max. On failure drop() (may be
 * NULL) releases each row read so far and nothing is returned. */
sg_err sq_read_rows_sql(sg_store *s, int q, const char *sql,
                        void (*bind)(sqlite3_stmt *st, const void *arg), const void *arg,
                        void (*row)(sqlite3_stmt *st, void *out), void (*drop)(void *elem),
                        size_t elem_size, size_t max, void **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, q, sql);
    sg_err err = SG_ERR_DB;
    if (st) {
        if (bind)
            bind(st, arg);
        err = sq_read_rows_on(st, row, drop, elem_size, max, out, n);
    }
    sq_reader_release(s, c);
    return err;
}

/* A page read with limit + 1 rows: drop the extra one and say whether it was there. */
void sq_page_trim(void *rows, size_t elem_size, size_t *n, size_t limit, void (*drop)(void *elem),
                  bool *has_more)
{
    *has_more = *n > limit;
    if (*has_more) {
        if (drop)
            drop((char *)rows + limit * elem_size);
        *n = limit;
    }
}

void sq_bind_one_text(sqlite3_stmt *st, const void *text)
{
    sq_bind_text(st, 1, text);
}
sqlite3_stmt *sq_prep_uncached(conn *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

sg_err sq_step_finalize(conn *c, sqlite3_stmt *st, sg_error *e, const char *what)
{
    if (!st)
        return sq_db_error(c->db, sqlite3_errcode(c->db), e, what);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, what);
}

sg_err sq_step_done(conn *c, sqlite3_stmt *st, sg_error *e, const char *what)
{
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, what);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return SG_OK;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return sg_error_set(e, SG_ERR_CONFLICT, "name", "%s: name already in use", what);
    return sq_db_error(c->db, rc, e, what);
}

/* ---- the writer ---------------------------------------------------------------- */

static void run_group(sq_store *s, job *head)
{
    conn *c = &s->writer;
    sg_error e = {0};
    sq_health_begin(&s->health);
    /* BEGIN and COMMIT are prepared once, like every statement of the writer. */
    int rc = step_rc(c, S_BEGIN, SQL_BEGIN);
    sg_err gerr = rc ? sq_db_error(c->db, rc, &e, "starting a transaction") : SG_OK;
    if (!gerr) {
        for (job *j = head; j; j = j->next) {
            step_simple(c, S_SAVEPOINT, SQL_SAVEPOINT);
            j->err = j->run(&s->base, c, j);
            if (j->err)
                step_simple(c, S_ROLLBACK_TO, SQL_ROLLBACK_TO);
            step_simple(c, S_RELEASE, SQL_RELEASE);
        }
        rc = step_rc(c, S_COMMIT, SQL_COMMIT);
        gerr = rc ? sq_db_error(c->db, rc, &e, "committing") : SG_OK;
        if (gerr) {
            sq_exec(c->db, "ROLLBACK", NULL);
            sg_log(SG_LOG_ERROR, "store_commit_failed", "error=\"%s\"", e.message);
        }
    } else {
        sg_log(SG_LOG_ERROR, "store_begin_failed", "error=\"%s\"", e.message);
    }
    sq_health_end(&s->health, gerr, e.message);
    while (head) {
        job *next = head->next;
        if (gerr && !head->err) {
            head->err = gerr;
            head->error = e;
        }
        head->complete(head);
        head = next;
    }
}

static void *writer_main(void *arg)
{
    sq_store *s = arg;
    pthread_setname_np(pthread_self(), "sg-writer");
    for (;;) {
        pthread_mutex_lock(&s->qlock);
        while (!s->qhead && !s->stopping)
            pthread_cond_wait(&s->qcond, &s->qlock);
        if (!s->qhead && s->stopping) {
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        job *head = s->qhead, *tail = head;
        size_t n = 1;
        while (tail->next && n < GROUP_MAX) {
            tail = tail->next;
            n++;
        }
        s->qhead = tail->next;
        if (!s->qhead)
            s->qtail = NULL;
        tail->next = NULL;
        pthread_mutex_unlock(&s->qlock);
        run_group(s, head);
    }
    return NULL;
}

sg_err sq_submit(sg_store *store, job *j)
{
    sq_store *s = sq_of(store);
    j->next = NULL;
    j->err = SG_OK;
    pthread_mutex_lock(&s->qlock);
    if (s->stopping) {
        pthread_mutex_unlock(&s->qlock);
        return SG_ERR_SHUTDOWN;
    }
    if (s->qtail)
        s->qtail->next = j;
    else
        s->qhead = j;
    s->qtail = j;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    return SG_OK;
}

/* A synchronous write: sq_submit and wait for the commit. */
typedef struct sync_job {
    job base;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool done;
    sg_err (*fn)(sg_store *s, conn *c, void *arg, sg_error *e);
    void *arg;
} sync_job;

static sg_err sync_run(sg_store *s, conn *c, job *j)
{
    sync_job *sj = (sync_job *)j;
    return sj->fn(s, c, sj->arg, &j->error);
}

static void sync_complete(job *j)
{
    sync_job *sj = (sync_job *)j;
    pthread_mutex_lock(&sj->m);
    sj->done = true;
    pthread_cond_signal(&sj->cv);
    pthread_mutex_unlock(&sj->m);
}

sg_err sq_write_sync(sg_store *s, sg_err (*fn)(sg_store *, conn *, void *, sg_error *), void *arg,
                     sg_error *e)
{
    sync_job sj = {.base = {.run = sync_run, .complete = sync_complete}, .fn = fn, .arg = arg};
    pthread_mutex_init(&sj.m, NULL);
    pthread_cond_init(&sj.cv, NULL);
    sg_err err = sq_submit(s, &sj.base);
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

/* ---- lifecycle ------------------------------------------------------------------ */

static void sq_close(sg_store *store)
{
    sq_store *s = sq_of(store);
    if (!s)
        return;
    if (s->writer_started) {
        pthread_mutex_lock(&s->qlock);
        s->stopping = true;
        pthread_cond_signal(&s->qcond);
        pthread_mutex_unlock(&s->qlock);
        pthread_join(s->writer_thread, NULL);
    }
    for (int i = 0; i < READ_POOL; i++)
        conn_close(&s->readers[i]);
    if (s->writer.db) {
        /* Fold the WAL back into the database file on a clean stop. */
        sqlite3_wal_checkpoint_v2(s->writer.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        conn_close(&s->writer);
    }
    sq_dispatch_unlock(store);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->plock);
    pthread_cond_destroy(&s->pcond);
    sq_health_free(&s->health);
    free(s->path);
    free(s);
}
static sg_err sq_ping(sg_store *s)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt_sql(c, S_PING, SQL_PING);
    sg_err err = st && sqlite3_step(st) == SQLITE_ROW ? SG_OK : SG_ERR_DB;
    if (st)
        sqlite3_reset(st);
    sq_reader_release(s, c);
    return err;
}

static sg_err sq_open(const char *url, sg_store **out, sg_error *e)
{
    sq_store *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->base.be = &sg_sqlite_backend;
    s->path = strdup(url);
    sq_health_init(&s->health);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->plock, NULL);
    pthread_cond_init(&s->pcond, NULL);
    sg_err err = conn_open(&s->writer, url, false, e);
    if (err) {
        sq_close(&s->base);
        return err;
    }
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        sq_close(&s->base);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the store writer thread");
    }
    s->writer_started = true;
    *out = &s->base;
    return SG_OK;
}

typedef struct key_check_arg {
    const char *check;
    bool *match;
} key_check_arg;

/* Record check unless a value is there, then compare with what is there. */
static sg_err key_check_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    key_check_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO master_key_check (id, check_value, "
                                           "created_at) VALUES (1, ?1, ?2) "
                                           "ON CONFLICT (id) DO NOTHING");
    if (st) {
        sq_bind_text(st, 1, a->check);
        sqlite3_bind_int64(st, 2, sg_time_now_ms());
    }
    sg_err err = sq_step_finalize(c, st, e, "recording the master key check");
    if (err)
        return err;
    st = sq_prep_uncached(c, "SELECT check_value FROM master_key_check WHERE id = 1");
    if (!st)
        return sq_step_finalize(c, st, e, "reading the master key check");
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        *a->match = v && strcmp(v, a->check) == 0;
    } else {
        err = sg_error_set(e, SG_ERR_DB, NULL, "cannot read the master key check: %s",
                           sqlite3_errmsg(c->db));
    }
    sqlite3_finalize(st);
    return err;
}

static sg_err sq_master_key_check(sg_store *s, const char *check, bool *match, sg_error *e)
{
    key_check_arg a = {check, match};
    *match = false;
    return sq_write_sync(s, key_check_fn, &a, e);
}

/* One process dispatches from a SQLite file and wakes its own dispatcher: no
 * one else to hear from (its poll finds what another process inserted). */
static sg_err sq_due_listen(sg_store *s, const char *direct, void (*wake)(void *arg), void *arg,
                            sg_error *e)
{
    (void)s, (void)direct, (void)wake, (void)arg, (void)e;
    return SG_OK;
}

static void sq_due_unlisten(sg_store *s)
{
    (void)s;
}

static const sg_store_core_ops sq_core_ops = {
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .writable = sq_writable,
    .dispatch_lock = sq_dispatch_lock,
    .master_key_check = sq_master_key_check,
    .due_listen = sq_due_listen,
    .due_unlisten = sq_due_unlisten,
};

const sg_store_backend sg_sqlite_backend = {
    .name = "sqlite",
    .open = sq_open,
    .core = &sq_core_ops,
    .keys = &sq_keys_ops,
    .limits = &sq_limits_ops,
    .providers = &sq_providers_ops,
    .messages = &sq_messages_ops,
    .dispatch = &sq_dispatch_ops,
    .callbacks = &sq_callbacks_ops,
    .inbound = &sq_inbound_ops,
    .contacts = &sq_contacts_ops,
    .timeline = &sq_timeline_ops,
    .optouts = &sq_optouts_ops,
    .audience = &sq_audience_ops,
    .broadcasts = &sq_broadcasts_ops,
    .stats = &sq_stats_ops,
    .webhooks = &sq_webhooks_ops,
    .retention = &sq_retention_ops,
    .users = &sq_users_ops,
    .apps = &sq_apps_ops,
    .search = &sq_search_ops,
    .imports = &sq_imports_ops,
    .routes = &sq_routes_ops,
    .app_ck = &sq_app_ck_ops,
    .prices = &sq_prices_ops,
    .keywords = &sq_keywords_ops,
};
