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
 * cached (sq_stmt). */
#include "store/sqlite/sqlite_internal.h"
#include "store/store.h"
#include "util/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- statements ------------------------------------------------------------- */

static const char *const sql_text[Q__COUNT] = {
    [Q_KEY_INSERT] = "INSERT INTO api_keys (id, name, role, secret_hash, created_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_KEY_GET] = "SELECT id, name, role, secret_hash, created_at, countries, daily_quota "
                  "FROM api_keys "
                  "WHERE id = ?1 AND revoked_at IS NULL",
    [Q_PROV_CLEAR_DEFAULT] =
        "UPDATE providers SET is_default = 0 WHERE is_default = 1 AND id != ?1",
    [Q_PROV_INSERT] = "INSERT INTO providers (id, name, kind, title, active, is_default, config, "
                      "secrets, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                      "?9, ?10)",
    [Q_PROV_UPDATE] = "UPDATE providers SET name = ?2, kind = ?3, title = ?4, active = ?5, "
                      "is_default = ?6, config = ?7, secrets = ?8, updated_at = ?10 WHERE id = ?1",
    [Q_PROV_DELETE] = "DELETE FROM providers WHERE id = ?1",
    [Q_PROV_GET_ID] = "SELECT id, name, kind, title, active, is_default, config, secrets, "
                      "created_at, updated_at FROM providers WHERE id = ?1",
    [Q_PROV_GET_NAME] = "SELECT id, name, kind, title, active, is_default, config, secrets, "
                        "created_at, updated_at FROM providers WHERE name = ?1",
    [Q_PROV_LIST] = "SELECT id, name, kind, title, active, is_default, config, secrets, "
                    "created_at, updated_at FROM providers ORDER BY created_at, id",
    [Q_PROV_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'provider_generation'",
    [Q_PROV_GEN] = "SELECT value FROM meta WHERE key = 'provider_generation'",
    [Q_PROV_IN_USE] = "SELECT count(*) FROM messages WHERE provider_id = ?1 "
                      "AND status IN ('scheduled', 'queued', 'sending')",
    [Q_MSG_INSERT] =
        "INSERT INTO messages (" SQ_MSG_COLS ", due_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
        "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
        "?23, ?24)",
    [Q_EVENT_INSERT] = "INSERT INTO message_events (message_id, status, at, detail) "
                       "VALUES (?1, ?2, ?3, ?4)",
    [Q_IDEM_INSERT] = "INSERT OR IGNORE INTO idempotency (key_id, idem_key, fingerprint, status, "
                      "response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_IDEM_GET] = "SELECT fingerprint, status, response FROM idempotency "
                   "WHERE key_id = ?1 AND idem_key = ?2",
    [Q_MSG_GET] = "SELECT " SQ_MSG_COLS " FROM messages WHERE id = ?1",
    [Q_MSG_STATUS] = "SELECT status FROM messages WHERE id = ?1",
    [Q_EVENTS] = "SELECT status, at, detail FROM message_events WHERE message_id = ?1 ORDER BY id",
    [Q_CANCEL] = "UPDATE messages SET status = 'canceled', updated_at = ?2 WHERE id = ?1",
    [Q_CLAIM_SELECT] = "SELECT " SQ_MSG_COLS " FROM messages INDEXED BY messages_due "
                       "WHERE (status = 'scheduled' OR status = 'queued' OR status = 'sending') "
                       "AND due_at <= ?1 "
                       "ORDER BY due_at LIMIT ?2",
    [Q_CLAIM_UPDATE] = "UPDATE messages SET status = 'sending', due_at = ?2, updated_at = ?3 "
                       "WHERE id = ?1",
    [Q_OUT_SENT] = "UPDATE messages SET status = 'sent', provider_message_id = ?2, "
                   "from_number = CASE WHEN ?3 = '' THEN from_number ELSE ?3 END, "
                   "attempts = attempts + 1, due_at = 0, updated_at = ?4 "
                   "WHERE id = ?1 AND status = 'sending'",
    [Q_OUT_RETRY] = "UPDATE messages SET status = 'queued', due_at = ?2, attempts = attempts + 1, "
                    "error_code = ?3, error_message = ?4, updated_at = ?5, "
                    "first_attempt_at = CASE WHEN first_attempt_at = 0 THEN ?6 "
                    "ELSE first_attempt_at END "
                    "WHERE id = ?1 AND status = 'sending'",
    [Q_OUT_FAILED] = "UPDATE messages SET status = 'failed', error_code = ?2, error_message = ?3, "
                     "from_number = CASE WHEN ?5 = '' THEN from_number ELSE ?5 END, "
                     "attempts = attempts + ?6, due_at = 0, updated_at = ?4 "
                     "WHERE id = ?1 AND status = 'sending'",
    [Q_OUT_RELEASE] = "UPDATE messages SET status = 'queued', due_at = ?2, updated_at = ?3 "
                      "WHERE id = ?1 AND status = 'sending'",
    [Q_PROVIDER_ID_HELD] = "SELECT 1 FROM messages WHERE provider_id = "
                           "(SELECT provider_id FROM messages WHERE id = ?1) "
                           "AND provider_message_id = ?2 AND direction = 'outbound' "
                           "AND id != ?1 LIMIT 1",
    [Q_CLAIMS_RECOVER] = "UPDATE messages SET due_at = ?1 WHERE status = 'sending' AND due_at > ?1",
    [Q_QUEUE_STATS] = "SELECT status, count(*) FROM messages "
                      "WHERE status IN ('scheduled', 'queued', 'sending') GROUP BY status",
    [Q_PING] = "SELECT 1",
    [Q_OPTOUT_EXISTS] = "SELECT 1 FROM optouts WHERE phone = ?1",
    [Q_FAIL_OPTED_OUT] = "UPDATE messages SET status = 'failed', error_code = 'opted_out', "
                         "error_message = 'the recipient opted out of SMS', due_at = 0, "
                         "updated_at = ?2 WHERE id = ?1",
    [Q_FAIL_EXPIRED] = "UPDATE messages SET status = 'failed', error_code = 'expired', "
                       "error_message = ?3, due_at = 0, updated_at = ?2 WHERE id = ?1",
    [Q_MSG_TO] = "SELECT to_number FROM messages WHERE id = ?1",
    [Q_BY_PROVIDER_ID] = "SELECT id, status FROM messages WHERE provider_id = ?1 AND "
                         "provider_message_id = ?2 AND provider_message_id != '' AND "
                         "direction = 'outbound'",
    [Q_STATUS_SET] = "UPDATE messages SET status = ?2, "
                     "error_code = CASE WHEN ?3 = '' THEN error_code ELSE ?3 END, "
                     "error_message = coalesce(?4, error_message), updated_at = ?5 WHERE id = ?1",
    [Q_INBOUND_BY_PROVIDER_ID] = "SELECT id FROM messages WHERE provider_id = ?1 AND "
                                 "provider_message_id = ?2 AND provider_message_id != '' AND "
                                 "direction = 'inbound'",
    [Q_CONTACT_ID_BY_PHONE] = "SELECT id FROM contacts WHERE phone = ?1",
    [Q_CONTACT_INSERT] = "INSERT INTO contacts (id, phone, first_name, last_name, attributes, "
                         "created_at, updated_at, mobile) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [Q_CONTACT_UPDATE] = "UPDATE contacts SET phone = ?2, first_name = ?3, last_name = ?4, "
                         "attributes = ?5, updated_at = ?7, mobile = ?8 WHERE id = ?1",
    [Q_CONTACT_DELETE] = "DELETE FROM contacts WHERE id = ?1",
    [Q_CONTACT_GET_ID] = "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "
                         "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "
                         "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "
                         "contacts c WHERE c.id = ?1",
    [Q_CONTACT_GET_PHONE] = "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "
                            "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "
                            "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "
                            "contacts c WHERE c.phone = ?1",
    [Q_CONTACT_LIST] = "SELECT c.id, c.phone, c.first_name, c.last_name, c.attributes, "
                       "c.created_at, c.updated_at, EXISTS (SELECT 1 FROM optouts o WHERE "
                       "o.phone = c.phone), coalesce(c.mobile, 1), c.last_activity_at FROM "
                       "contacts c WHERE (?1 IS NULL OR c.id < ?1) "
                       "ORDER BY c.id DESC LIMIT ?2",
    [Q_OPTOUT_INSERT] = "INSERT OR IGNORE INTO optouts (phone, source, reason, message_id, "
                        "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [Q_OPTOUT_DELETE] = "DELETE FROM optouts WHERE phone = ?1",
    [Q_OPTOUT_GET] = "SELECT phone, source, reason, message_id, created_at FROM optouts "
                     "WHERE phone = ?1",
    [Q_OPTOUT_LIST] = "SELECT phone, source, reason, message_id, created_at FROM optouts "
                      "WHERE (?1 IS NULL OR created_at < ?1 OR (created_at = ?1 AND phone < ?2)) "
                      "ORDER BY created_at DESC, phone DESC LIMIT ?3",
    [Q_CONSENT_INSERT] = "INSERT INTO consent_events (phone, old_state, new_state, source, "
                         "message_id, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [Q_TIMELINE] =
        "SELECT at, kind, key FROM ("
        " SELECT created_at AS at, 1 AS kind, id AS key FROM messages"
        "  WHERE to_number = ?1 AND direction = 'outbound'"
        " UNION ALL SELECT created_at, 1, id FROM messages"
        "  WHERE from_number = ?1 AND direction = 'inbound'"
        " UNION ALL SELECT at, 2, printf('%020d', id) FROM consent_events WHERE phone = ?1"
        " UNION ALL SELECT k.at, 3, printf('%020d', k.id) FROM clicks k"
        "  JOIN messages m ON m.id = k.message_id WHERE m.to_number = ?1)"
        " WHERE ?2 IS NULL OR at < ?2 OR (at = ?2 AND (kind < ?3 OR (kind = ?3 AND key < ?4)))"
        " ORDER BY at DESC, kind DESC, key DESC LIMIT ?5",
    [Q_CONSENT_GET] = "SELECT id, old_state, new_state, source, message_id, detail, at "
                      "FROM consent_events WHERE id = ?1",
    [Q_WEBHOOK_EVENTS] = "SELECT events FROM webhooks WHERE active = 1",
    [Q_DELIVERY_INSERT] = "INSERT INTO webhook_deliveries (webhook_id, event, payload, state, "
                          "attempts, next_attempt_at, created_at, updated_at) "
                          "SELECT id, ?1, ?2, 'pending', 0, ?3, ?3, ?3 FROM webhooks "
                          "WHERE active = 1 AND "
                          "instr(',' || events || ',', ',' || ?1 || ',') > 0",
    [Q_WEBHOOK_INSERT] = "INSERT INTO webhooks (id, url, events, secret, active, created_at) "
                         "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_WEBHOOK_DELETE] = "DELETE FROM webhooks WHERE id = ?1",
    [Q_WEBHOOK_GET] = "SELECT id, url, events, secret, active, created_at FROM webhooks "
                      "WHERE id = ?1",
    [Q_WEBHOOK_LIST] = "SELECT id, url, events, secret, active, created_at FROM webhooks "
                       "ORDER BY created_at, id",
    [Q_DELIVERY_LIST] = "SELECT id, webhook_id, event, payload, state, attempts, last_status, "
                        "last_error, next_attempt_at, created_at, updated_at "
                        "FROM webhook_deliveries WHERE webhook_id = ?1 AND (?2 = 0 OR id < ?2) "
                        "ORDER BY id DESC LIMIT ?3",
    [Q_DELIVERY_DUE] = "SELECT id, webhook_id, event, payload, state, attempts, last_status, "
                       "last_error, next_attempt_at, created_at, updated_at "
                       "FROM webhook_deliveries INDEXED BY webhook_deliveries_due_hook "
                       "WHERE webhook_id = ?1 AND state = 'pending' AND next_attempt_at <= ?2 "
                       "ORDER BY next_attempt_at LIMIT ?3",
    [Q_DELIVERY_LEASE] = "UPDATE webhook_deliveries SET next_attempt_at = ?2 WHERE id = ?1",
    [Q_DELIVERY_RESULT] = "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, "
                          "last_status = ?3, last_error = ?4, next_attempt_at = ?5, "
                          "updated_at = ?6 WHERE id = ?1",
    [Q_DELIVERIES_DELETE] = "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
    [Q_WEBHOOK_IDS] = "SELECT id FROM webhooks",
    [Q_SAVEPOINT] = "SAVEPOINT w",
    [Q_ROLLBACK_TO] = "ROLLBACK TO w",
    [Q_RELEASE] = "RELEASE w",
    [Q_BEGIN] = "BEGIN IMMEDIATE",
    [Q_COMMIT] = "COMMIT",
};

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

/* The cached statement q on c, reset and with bindings cleared. */
sqlite3_stmt *sq_stmt(conn *c, int q)
{
    sqlite3_stmt *st = c->stmts[q];
    if (!st) {
        if (sqlite3_prepare_v3(c->db, sql_text[q], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
            SQLITE_OK) {
            sg_log(SG_LOG_ERROR, "sql_prepare", "query=%d error=\"%s\"", q, sqlite3_errmsg(c->db));
            return NULL;
        }
        c->stmts[q] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

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
static int step_rc(conn *c, int q)
{
    sqlite3_stmt *st = sq_stmt(c, q);
    if (!st)
        return SQLITE_ERROR;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run a statement without parameters or results, its outcome not needed. */
static void step_simple(conn *c, int q)
{
    (void)step_rc(c, q);
}

/* Run read query q with one text parameter; fill out from the first row with
 * row(). SG_ERR_NOT_FOUND when there is none. */
sg_err sq_read_one(sg_store *s, int q, const char *param, void (*row)(sqlite3_stmt *st, void *out),
                   void *out)
{
    return sq_read_one_sql(s, q, NULL, param, row, out);
}

sg_err sq_read_one_sql(sg_store *s, int q, const char *sql, const char *param,
                       void (*row)(sqlite3_stmt *st, void *out), void *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sql ? sq_stmt_sql(c, q, sql) : sq_stmt(c, q);
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

/* Run read query q (parameters bound by bind(st, arg), which may be NULL) and
 * collect its rows with row() into a malloc'd array of elem_size elements: every
 * row when max is 0, else at most max. On failure drop() (may be NULL) releases
 * each row read so far and nothing is returned. */
sg_err sq_read_rows(sg_store *s, int q, void (*bind)(sqlite3_stmt *st, const void *arg),
                    const void *arg, void (*row)(sqlite3_stmt *st, void *out),
                    void (*drop)(void *elem), size_t elem_size, size_t max, void **out, size_t *n)
{
    return sq_read_rows_sql(s, q, NULL, bind, arg, row, drop, elem_size, max, out, n);
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
    sqlite3_stmt *st = sql ? sq_stmt_sql(c, q, sql) : sq_stmt(c, q);
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
    int rc = step_rc(c, Q_BEGIN);
    sg_err gerr = rc ? sq_db_error(c->db, rc, &e, "starting a transaction") : SG_OK;
    if (!gerr) {
        for (job *j = head; j; j = j->next) {
            step_simple(c, Q_SAVEPOINT);
            j->err = j->run(&s->base, c, j);
            if (j->err)
                step_simple(c, Q_ROLLBACK_TO);
            step_simple(c, Q_RELEASE);
        }
        rc = step_rc(c, Q_COMMIT);
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
    sqlite3_stmt *st = sq_stmt(c, Q_PING);
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

static const sg_store_core_ops sq_core_ops = {
    .close = sq_close,
    .migrate = sq_migrate,
    .schema_version = sq_schema_version,
    .ping = sq_ping,
    .writable = sq_writable,
    .dispatch_lock = sq_dispatch_lock,
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
};
