/* The SQLite backend of store.h.
 *
 * One write connection, owned by the writer thread (writer.c's loop lives here):
 * every write in this process goes through it, so writes never fight over the
 * database lock, and the writer commits whatever has queued up as one transaction
 * (one fsync for many messages). Each write runs inside its own SAVEPOINT so one
 * failing write never sinks the others in its group.
 *
 * Reads use a small pool of read-only connections; in WAL mode they never block
 * the writer nor each other. Every statement is prepared once per connection and
 * cached (sq_stmt). */
#include "core/backoff.h"
#include "store/migrations.h"
#include "store/sqlite/sqlite_internal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/metrics.h"
#include "util/time.h"

#include <jansson.h>

#include <limits.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- statements ------------------------------------------------------------- */

#define MSG_COLS                                                                                   \
    "id, status, direction, to_number, from_number, body, provider_id, provider_message_id, "      \
    "segments, encoding, error_code, error_message, attempts, send_at, contact_id, metadata, "     \
    "created_at, updated_at, purpose, broadcast_id, expires_at, first_attempt_at, external_template_id"

enum {
    Q_KEY_INSERT,
    Q_KEY_GET,
    Q_PROV_CLEAR_DEFAULT,
    Q_PROV_INSERT,
    Q_PROV_UPDATE,
    Q_PROV_DELETE,
    Q_PROV_GET_ID,
    Q_PROV_GET_NAME,
    Q_PROV_LIST,
    Q_PROV_BUMP,
    Q_PROV_GEN,
    Q_PROV_IN_USE,
    Q_MSG_INSERT,
    Q_EVENT_INSERT,
    Q_IDEM_INSERT,
    Q_IDEM_GET,
    Q_MSG_GET,
    Q_MSG_STATUS,
    Q_EVENTS,
    Q_CANCEL,
    Q_CLAIM_SELECT,
    Q_CLAIM_UPDATE,
    Q_OUT_SENT,
    Q_OUT_RETRY,
    Q_OUT_FAILED,
    Q_OUT_RELEASE,
    Q_PROVIDER_ID_HELD,
    Q_CLAIMS_RECOVER,
    Q_QUEUE_STATS,
    Q_PING,
    Q_OPTOUT_EXISTS,
    Q_FAIL_OPTED_OUT,
    Q_FAIL_EXPIRED,
    Q_MSG_TO,
    Q_BY_PROVIDER_ID,
    Q_STATUS_SET,
    Q_INBOUND_BY_PROVIDER_ID,
    Q_CONTACT_ID_BY_PHONE,
    Q_CONTACT_INSERT,
    Q_CONTACT_UPDATE,
    Q_CONTACT_DELETE,
    Q_CONTACT_GET_ID,
    Q_CONTACT_GET_PHONE,
    Q_CONTACT_LIST,
    Q_OPTOUT_INSERT,
    Q_OPTOUT_DELETE,
    Q_OPTOUT_GET,
    Q_OPTOUT_LIST,
    Q_CONSENT_INSERT,
    Q_TIMELINE,
    Q_CONSENT_GET,
    Q_WEBHOOK_EVENTS,
    Q_DELIVERY_INSERT,
    Q_WEBHOOK_INSERT,
    Q_WEBHOOK_DELETE,
    Q_WEBHOOK_GET,
    Q_WEBHOOK_LIST,
    Q_DELIVERY_LIST,
    Q_DELIVERY_DUE,
    Q_DELIVERY_LEASE,
    Q_DELIVERY_RESULT,
    Q_DELIVERIES_DELETE,
    Q_WEBHOOK_IDS,
    Q_SAVEPOINT,
    Q_ROLLBACK_TO,
    Q_RELEASE,
    Q_BEGIN,
    Q_COMMIT,
    Q__COUNT
};

_Static_assert(Q__COUNT <= SQ_CORE_STMTS, "raise SQ_CORE_STMTS in sqlite_internal.h");

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
    [Q_MSG_INSERT] = "INSERT INTO messages (" MSG_COLS ", due_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                     "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
                     "?23, ?24)",
    [Q_EVENT_INSERT] = "INSERT INTO message_events (message_id, status, at, detail) "
                       "VALUES (?1, ?2, ?3, ?4)",
    [Q_IDEM_INSERT] = "INSERT OR IGNORE INTO idempotency (key_id, idem_key, fingerprint, status, "
                      "response, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [Q_IDEM_GET] = "SELECT fingerprint, status, response FROM idempotency "
                   "WHERE key_id = ?1 AND idem_key = ?2",
    [Q_MSG_GET] = "SELECT " MSG_COLS " FROM messages WHERE id = ?1",
    [Q_MSG_STATUS] = "SELECT status FROM messages WHERE id = ?1",
    [Q_EVENTS] = "SELECT status, at, detail FROM message_events WHERE message_id = ?1 ORDER BY id",
    [Q_CANCEL] = "UPDATE messages SET status = 'canceled', updated_at = ?2 WHERE id = ?1",
    [Q_CLAIM_SELECT] = "SELECT " MSG_COLS " FROM messages INDEXED BY messages_due "
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

conn *sq_reader_acquire(sg_store *s)
{
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

void sq_reader_release(sg_store *s, conn *c)
{
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
static sg_err read_rows_on(sqlite3_stmt *st, void (*row)(sqlite3_stmt *st, void *out),
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
        err = read_rows_on(st, row, drop, elem_size, max, out, n);
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

/* ---- the writer ---------------------------------------------------------------- */

static void run_group(sg_store *s, job *head)
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
            j->err = j->run(s, c, j);
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
    sg_store *s = arg;
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

sg_err sq_submit(sg_store *s, job *j)
{
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

sg_err sg_store_open(const char *url, sg_store **out, sg_error *e)
{
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return sg_error_set(e, SG_ERR_UNSUPPORTED, "db",
                            "PostgreSQL is not supported yet; use a SQLite file path");
    sg_store *s = calloc(1, sizeof *s);
    if (!s)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    s->path = strdup(url);
    sq_health_init(&s->health);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->plock, NULL);
    pthread_cond_init(&s->pcond, NULL);
    sg_err err = conn_open(&s->writer, url, false, e);
    if (err) {
        sg_store_close(s);
        return err;
    }
    if (pthread_create(&s->writer_thread, NULL, writer_main, s) != 0) {
        sg_store_close(s);
        return sg_error_set(e, SG_ERR_INTERNAL, NULL, "cannot start the store writer thread");
    }
    s->writer_started = true;
    *out = s;
    return SG_OK;
}

void sg_store_close(sg_store *s)
{
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
    sq_dispatch_unlock(s);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->plock);
    pthread_cond_destroy(&s->pcond);
    sq_health_free(&s->health);
    free(s->path);
    free(s);
}

static sg_err current_version(sqlite3 *db, int *v, sg_error *e)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
                                &st, NULL);
    if (rc != SQLITE_OK)
        return sq_db_error(db, rc, e, "reading schema version");
    *v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return SG_OK;
}

static sg_err migrate_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    int *applied = arg;
    sg_err err = sq_exec(c->db,
                         "CREATE TABLE IF NOT EXISTS schema_migrations ("
                         " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                         " applied_at INTEGER NOT NULL)",
                         e);
    if (err)
        return err;
    int v;
    if ((err = current_version(c->db, &v, e)))
        return err;
    if ((size_t)v > sg_sqlite_migrations_count)
        return sg_error_set(e, SG_ERR_DB, "db",
                            "database schema version %d is newer than this smsgate (%zu)", v,
                            sg_sqlite_migrations_count);
    for (size_t i = (size_t)v; i < sg_sqlite_migrations_count; i++) {
        const sg_migration *m = &sg_sqlite_migrations[i];
        if ((err = sq_exec(c->db, m->sql, e)))
            return err;
        sqlite3_stmt *st;
        sqlite3_prepare_v2(c->db,
                           "INSERT INTO schema_migrations (version, name, applied_at) "
                           "VALUES (?1, ?2, ?3)",
                           -1, &st, NULL);
        sqlite3_bind_int(st, 1, m->version);
        sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, sg_time_now_ms());
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return sq_db_error(c->db, rc, e, "recording migration");
        (*applied)++;
        sg_log(SG_LOG_INFO, "migration_applied", "version=%d name=\"%s\"", m->version, m->name);
    }
    /* Facts that need libphonenumber, for rows written before the column existed. */
    return sq_contacts_backfill(c, e);
}

sg_err sg_store_migrate(sg_store *s, int *applied, sg_error *e)
{
    int n = 0;
    sg_err err = sq_write_sync(s, migrate_fn, &n, e);
    if (applied)
        *applied = n;
    return err;
}

sg_err sg_store_schema_version(sg_store *s, int *current, int *latest)
{
    *latest = (int)sg_sqlite_migrations_count;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = current_version(c->db, current, NULL);
    if (err)
        *current = 0, err = SG_OK; /* no schema_migrations table yet */
    sq_reader_release(s, c);
    return err;
}

sg_err sg_store_ping(sg_store *s)
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

/* ---- API keys -------------------------------------------------------------------- */

static sg_err key_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_api_key *k = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_KEY_INSERT);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, k->id);
    sq_bind_text(st, 2, k->name);
    sq_bind_text(st, 3, k->role);
    sq_bind_text(st, 4, k->secret_hash);
    sqlite3_bind_int64(st, 5, k->created_at);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "creating API key");
}

sg_err sg_store_key_insert(sg_store *s, const sg_api_key *k, sg_error *e)
{
    return sq_write_sync(s, key_insert_fn, (void *)k, e);
}

static void key_row(sqlite3_stmt *st, void *out)
{
    sg_api_key *k = out;
    sq_col_copy(st, 0, k->id, sizeof k->id);
    sq_col_copy(st, 1, k->name, sizeof k->name);
    sq_col_copy(st, 2, k->role, sizeof k->role);
    sq_col_copy(st, 3, k->secret_hash, sizeof k->secret_hash);
    k->created_at = sqlite3_column_int64(st, 4);
    k->last_used_at = 0;
    sq_col_copy(st, 5, k->countries, sizeof k->countries);
    k->daily_quota = sqlite3_column_int64(st, 6);
}

sg_err sg_store_key_get(sg_store *s, const char *id, sg_api_key *out)
{
    return sq_read_one(s, Q_KEY_GET, id, key_row, out);
}

/* ---- providers ---------------------------------------------------------------- */

void sg_provider_row_free(sg_provider_row *p)
{
    free(p->config);
    free(p->secrets);
    p->config = p->secrets = NULL;
}

static void provider_bind(sqlite3_stmt *st, const sg_provider_row *p)
{
    sq_bind_text(st, 1, p->id);
    sq_bind_text(st, 2, p->name);
    sq_bind_text(st, 3, p->kind);
    sq_bind_text(st, 4, p->title);
    sqlite3_bind_int(st, 5, p->active);
    sqlite3_bind_int(st, 6, p->is_default);
    sq_bind_text(st, 7, p->config ? p->config : "{}");
    sq_bind_text(st, 8, p->secrets ? p->secrets : "");
    sqlite3_bind_int64(st, 9, p->created_at);
    sqlite3_bind_int64(st, 10, p->updated_at);
}

static void provider_row(sqlite3_stmt *st, void *out)
{
    sg_provider_row *p = out;
    memset(p, 0, sizeof *p);
    sq_col_copy(st, 0, p->id, sizeof p->id);
    sq_col_copy(st, 1, p->name, sizeof p->name);
    sq_col_copy(st, 2, p->kind, sizeof p->kind);
    sq_col_copy(st, 3, p->title, sizeof p->title);
    p->active = sqlite3_column_int(st, 4) != 0;
    p->is_default = sqlite3_column_int(st, 5) != 0;
    p->config = sq_col_dup(st, 6);
    p->secrets = sq_col_dup(st, 7);
    p->created_at = sqlite3_column_int64(st, 8);
    p->updated_at = sqlite3_column_int64(st, 9);
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

static sg_err provider_write(conn *c, const sg_provider_row *p, int q, sg_error *e)
{
    sg_err err;
    if (p->is_default) {
        sqlite3_stmt *st = sq_stmt(c, Q_PROV_CLEAR_DEFAULT);
        if (st)
            sq_bind_text(st, 1, p->id);
        if ((err = sq_step_done(c, st, e, "clearing the default provider")))
            return err;
    }
    sqlite3_stmt *st = sq_stmt(c, q);
    if (st)
        provider_bind(st, p);
    if ((err = sq_step_done(c, st, e, "saving provider")))
        return err;
    if (q == Q_PROV_UPDATE && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return sq_step_done(c, sq_stmt(c, Q_PROV_BUMP), e, "bumping provider generation");
}

static sg_err provider_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return provider_write(c, arg, Q_PROV_INSERT, e);
}

static sg_err provider_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return provider_write(c, arg, Q_PROV_UPDATE, e);
}

static sg_err provider_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const char *id = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_PROV_IN_USE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    int64_t pending = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (pending > 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL,
                            "provider has %lld queued or scheduled messages; deactivate it "
                            "instead, or cancel them first",
                            (long long)pending);
    st = sq_stmt(c, Q_PROV_DELETE);
    if (st)
        sq_bind_text(st, 1, id);
    sg_err err = sq_step_done(c, st, e, "deleting provider");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such provider");
    return sq_step_done(c, sq_stmt(c, Q_PROV_BUMP), e, "bumping provider generation");
}

sg_err sg_store_provider_insert(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return sq_write_sync(s, provider_insert_fn, (void *)p, e);
}

sg_err sg_store_provider_update(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return sq_write_sync(s, provider_update_fn, (void *)p, e);
}

sg_err sg_store_provider_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, provider_delete_fn, (void *)id, e);
}

sg_err sg_store_provider_get(sg_store *s, const char *id_or_name, sg_provider_row *out)
{
    return sq_read_one(s, sg_id_valid("prv", id_or_name) ? Q_PROV_GET_ID : Q_PROV_GET_NAME,
                       id_or_name, provider_row, out);
}

static void provider_drop(void *p)
{
    sg_provider_row_free(p);
}

sg_err sg_store_provider_list(sg_store *s, sg_provider_row **out, size_t *n)
{
    return sq_read_rows(s, Q_PROV_LIST, NULL, NULL, provider_row, provider_drop, sizeof **out, 0,
                        (void **)out, n);
}

sg_err sg_store_provider_generation(sg_store *s, int64_t *gen)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt(c, Q_PROV_GEN);
    sg_err err = SG_ERR_DB;
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        *gen = sqlite3_column_int64(st, 0);
        err = SG_OK;
    }
    if (st)
        sqlite3_reset(st);
    sq_reader_release(s, c);
    return err;
}

/* ---- messages ------------------------------------------------------------------- */

void sg_message_free(sg_message *m)
{
    free(m->body);
    free(m->error_message);
    free(m->metadata);
    m->body = m->error_message = m->metadata = NULL;
    for (size_t i = 0; i < m->n_links; i++)
        free(m->links[i].url);
    free(m->links);
    m->links = NULL;
    m->n_links = 0;
}

void sg_messages_free(sg_message *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_message_free(&m[i]);
    free(m);
}

void sg_events_free(sg_event *ev, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ev[i].detail);
    free(ev);
}

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
}

sg_err sq_event_insert(conn *c, const char *id, sg_status status, int64_t at, const char *detail,
                       sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_EVENT_INSERT);
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
    sqlite3_stmt *st = sq_stmt(c, Q_MSG_INSERT);
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
    sqlite3_bind_int64(st, 24,
                       claimed                      ? m->lease_until
                       : m->send_at > m->created_at ? m->send_at
                                                    : 0);
    sg_err err = sq_step_done(c, st, e, "storing message");
    if (err)
        return err;
    for (size_t i = 0; i < m->n_links; i++) {
        err = sq_link_insert(c, &m->links[i], m, e);
        if (err)
            return err;
    }
    err = sq_event_insert(c, m->id, m->status, m->created_at, NULL, e);
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
        sqlite3_stmt *st = sq_stmt(c, Q_IDEM_INSERT);
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
            st = sq_stmt(c, Q_IDEM_GET);
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

void sg_insert_req_clear(sg_insert_req *r)
{
    free(r->replay_body);
    r->replay_body = NULL;
}

sg_err sg_store_messages_insert(sg_store *s, sg_insert_req *r)
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

sg_err sg_store_idem_get(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                         int *status, char **body)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt(c, Q_IDEM_GET);
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
    sqlite3_stmt *st = sq_stmt(c, Q_IDEM_INSERT);
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

sg_err sg_store_idem_put(sg_store *s, const sg_idem_write *w, sg_error *e)
{
    return sq_write_sync(s, idem_put_fn, (void *)w, e);
}

static sg_err message_get_on(conn *c, const char *id, sg_message *out)
{
    sqlite3_stmt *st = sq_stmt(c, Q_MSG_GET);
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

sg_err sg_store_message_get(sg_store *s, const char *id, sg_message *out)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = message_get_on(c, id, out);
    sq_reader_release(s, c);
    return err;
}

void sq_bind_one_text(sqlite3_stmt *st, const void *text)
{
    sq_bind_text(st, 1, text);
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

sg_err sg_store_message_get_with_events(sg_store *s, const char *id, sg_message *out,
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
        err = message_get_on(c, id, out);
    if (!err) {
        sqlite3_stmt *st = sq_stmt(c, Q_EVENTS);
        if (!st) {
            err = SG_ERR_DB;
        } else {
            sq_bind_text(st, 1, id);
            err = read_rows_on(st, event_row, event_drop, sizeof **ev, 0, (void **)ev, n);
        }
        if (err)
            sg_message_free(out);
    }
    sq_exec(c->db, "COMMIT", NULL);
    sq_reader_release(s, c);
    return err;
}

sg_err sg_store_message_list(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                             bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    /* The filter combination varies, so this statement is built per call from fixed
     * fragments; every value is still bound, never pasted. */
    char sql[768];
    int len = snprintf(sql, sizeof sql, "SELECT " MSG_COLS " FROM messages WHERE 1");
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
    sg_err err = message_get_on(c, a->id, a->out);
    if (err == SG_ERR_NOT_FOUND)
        return sg_error_set(e, err, NULL, "no message %s", a->id);
    if (err)
        return sg_error_set(e, err, NULL, "reading message");
    if (a->out->status != SG_STATUS_SCHEDULED && a->out->status != SG_STATUS_QUEUED)
        return sg_error_set(e, SG_ERR_CONFLICT, "status",
                            "message is %s; only scheduled or queued messages can be canceled",
                            sg_status_name(a->out->status));
    int64_t now = sg_time_now_ms();
    sqlite3_stmt *st = sq_stmt(c, Q_CANCEL);
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

sg_err sg_store_message_cancel(sg_store *s, const char *id, sg_message *out, sg_error *e)
{
    cancel_arg a = {id, out};
    memset(out, 0, sizeof *out);
    return sq_write_sync(s, cancel_fn, &a, e);
}

/* ---- dispatch ------------------------------------------------------------------ */

/* ---- events for app webhooks ---------------------------------------------------- */

static const char *const event_names[] = {SG_EVENT_MESSAGE_STATUS, SG_EVENT_MESSAGE_RECEIVED,
                                          SG_EVENT_OPTED_OUT, SG_EVENT_OPTED_IN};

static unsigned event_bit(const char *event)
{
    for (unsigned i = 0; i < sizeof event_names / sizeof event_names[0]; i++) {
        if (strcmp(event_names[i], event) == 0)
            return 1u << i;
    }
    return 0;
}

/* Which events have subscribers (writer thread; cached until webhooks change). */
static unsigned webhook_mask(sg_store *s, conn *c)
{
    if (s->webhook_mask_valid)
        return s->webhook_mask;
    unsigned mask = 0;
    sqlite3_stmt *st = sq_stmt(c, Q_WEBHOOK_EVENTS);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        /* ",a,b," so that every event name can be found with its commas */
        char padded[260];
        padded[0] = ',';
        sq_col_copy(st, 0, padded + 1, sizeof padded - 2);
        size_t pl = strlen(padded);
        padded[pl] = ',';
        padded[pl + 1] = '\0';
        for (unsigned i = 0; i < sizeof event_names / sizeof event_names[0]; i++) {
            char needle[48];
            snprintf(needle, sizeof needle, ",%s,", event_names[i]);
            if (strstr(padded, needle))
                mask |= 1u << i;
        }
    }
    if (st)
        sqlite3_reset(st);
    s->webhook_mask = mask;
    s->webhook_mask_valid = true;
    return mask;
}

/* Queue one delivery of event (with data, stolen) per subscribed webhook. */
sg_err sq_emit(sg_store *s, conn *c, const char *event, json_t *data, int64_t at, sg_error *e)
{
    if (!(webhook_mask(s, c) & event_bit(event))) {
        json_decref(data);
        return SG_OK;
    }
    char evt_id[SG_ID_MAX], when[SG_TIME_STR_MAX];
    sg_id_new("evt", at, evt_id);
    sg_time_format(at, when, sizeof when);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o}", "id", evt_id, "type", event, "created_at", when,
                            "data", data ? data : json_object());
    char *payload = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!payload)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory building an event");
    /* One delivery per subscribed webhook, however many there are. */
    sqlite3_stmt *st = sq_stmt(c, Q_DELIVERY_INSERT);
    if (st) {
        sq_bind_text(st, 1, event);
        sq_bind_text(st, 2, payload);
        sqlite3_bind_int64(st, 3, at);
    }
    sg_err err = sq_step_done(c, st, e, "queueing webhook deliveries");
    free(payload);
    return err;
}

json_t *sq_opt_str(const char *v)
{
    return v && *v ? json_string(v) : json_null();
}

/* message.status for message id, read back as it is now in this transaction. */
sg_err sq_emit_message_status(sg_store *s, conn *c, const char *id, int64_t at, sg_error *e)
{
    if (!(webhook_mask(s, c) & event_bit(SG_EVENT_MESSAGE_STATUS)))
        return SG_OK;
    sg_message m;
    if (message_get_on(c, id, &m) != SG_OK)
        return SG_OK;
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data = json_object();
    json_object_set_new(data, "id", json_string(m.id));
    json_object_set_new(data, "status", json_string(sg_status_name(m.status)));
    json_object_set_new(data, "to", json_string(m.to));
    json_object_set_new(data, "from", sq_opt_str(m.from));
    json_object_set_new(data, "provider_id", sq_opt_str(m.provider_id));
    json_object_set_new(data, "provider_message_id", sq_opt_str(m.provider_message_id));
    json_object_set_new(data, "error_code", sq_opt_str(m.error_code));
    json_object_set_new(data, "error_message", sq_opt_str(m.error_message));
    json_object_set_new(data, "contact_id", sq_opt_str(m.contact_id));
    json_object_set_new(data, "at", json_string(when));
    sg_message_free(&m);
    return sq_emit(s, c, SG_EVENT_MESSAGE_STATUS, data, at, e);
}

sg_err sq_emit_consent(sg_store *s, conn *c, const char *event, const char *phone,
                       const char *source, const char *message_id, int64_t at, sg_error *e)
{
    if (!(webhook_mask(s, c) & event_bit(event)))
        return SG_OK;
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data = json_pack("{s:s, s:s, s:o, s:s}", "phone", phone, "source", source, "message_id",
                             sq_opt_str(message_id), "at", when);
    return sq_emit(s, c, event, data, at, e);
}

bool sq_optout_exists(conn *c, const char *phone)
{
    sqlite3_stmt *st = sq_stmt(c, Q_OPTOUT_EXISTS);
    if (!st)
        return false;
    sq_bind_text(st, 1, phone);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return found;
}

sg_err sq_consent_event(conn *c, const char *phone, const char *old_state, const char *new_state,
                        const char *source, const char *message_id, const char *detail, int64_t at,
                        sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_CONSENT_INSERT);
    if (st) {
        sq_bind_text(st, 1, phone);
        sq_bind_text(st, 2, old_state);
        sq_bind_text(st, 3, new_state);
        sq_bind_text(st, 4, source);
        sq_bind_text(st, 5, message_id ? message_id : "");
        sq_bind_text(st, 6, detail && *detail ? detail : NULL);
        sqlite3_bind_int64(st, 7, at);
    }
    return sq_step_done(c, st, e, "recording consent change");
}

/* Opt a number out inside the current transaction. */
sg_err sq_optout_add_on(sg_store *s, conn *c, const sg_optout *o, bool *changed, sg_error *e)
{
    int64_t at = o->created_at ? o->created_at : sg_time_now_ms();
    sqlite3_stmt *st = sq_stmt(c, Q_OPTOUT_INSERT);
    if (st) {
        sq_bind_text(st, 1, o->phone);
        sq_bind_text(st, 2, o->source);
        sq_bind_text(st, 3, o->reason);
        sq_bind_text(st, 4, o->message_id);
        sqlite3_bind_int64(st, 5, at);
    }
    sg_err err = sq_step_done(c, st, e, "opting out");
    if (err)
        return err;
    *changed = sqlite3_changes(c->db) > 0;
    if (!*changed)
        return SG_OK;
    sg_err err2 = sq_consent_event(c, o->phone, "subscribed", "opted_out", o->source, o->message_id,
                                   o->reason, at, e);
    return err2 ? err2
                : sq_emit_consent(s, c, SG_EVENT_OPTED_OUT, o->phone, o->source, o->message_id, at,
                                  e);
}

static sg_err optout_remove_on(sg_store *s, conn *c, const char *phone, const char *source,
                               const char *message_id, bool *changed, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_OPTOUT_DELETE);
    if (st)
        sq_bind_text(st, 1, phone);
    sg_err err = sq_step_done(c, st, e, "opting in");
    if (err)
        return err;
    *changed = sqlite3_changes(c->db) > 0;
    if (!*changed)
        return SG_OK;
    int64_t at = sg_time_now_ms();
    err = sq_consent_event(c, phone, "opted_out", "subscribed", source, message_id, NULL, at, e);
    return err ? err : sq_emit_consent(s, c, SG_EVENT_OPTED_IN, phone, source, message_id, at, e);
}

/* A claimed message past its validity period (and with no attempt of unknown
 * outcome behind it): failed on the spot with error_code "expired"; the error of
 * its last attempt, if it was being retried, ends the message. */
static sg_err claim_fail_expired(sg_store *s, conn *c, const sg_message *m, int64_t now,
                                 sg_error *e)
{
    char last[SG_ERROR_CODE_MAX + 260], text[600];
    snprintf(last, sizeof last, "%s%s%.256s", m->error_code, m->error_code[0] ? " " : "",
             m->error_message ? m->error_message : "");
    sg_retry_state none = {0};
    sg_retry_give_up(SG_RETRY_EXPIRED, &none,
                     sg_validity_seconds(m->created_at, m->send_at, m->expires_at), last, text,
                     sizeof text);
    sqlite3_stmt *st = sq_stmt(c, Q_FAIL_EXPIRED);
    if (st) {
        sq_bind_text(st, 1, m->id);
        sqlite3_bind_int64(st, 2, now);
        sq_bind_text(st, 3, text);
    }
    sg_err err = sq_step_done(c, st, e, "failing an expired message");
    if (!err) {
        char detail[sizeof text + 16];
        snprintf(detail, sizeof detail, SG_CODE_EXPIRED " %s", text);
        err = sq_event_insert(c, m->id, SG_STATUS_FAILED, now, detail, e);
    }
    return err ? err : sq_emit_message_status(s, c, m->id, now, e);
}

typedef struct claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    sg_message *msgs;
    size_t n;
} claim_arg;

static sg_err claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    claim_arg *a = arg;
    a->msgs = calloc(a->limit, sizeof *a->msgs);
    if (!a->msgs)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    sqlite3_stmt *st = sq_stmt(c, Q_CLAIM_SELECT);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing claim");
    sqlite3_bind_int64(st, 1, a->now);
    sqlite3_bind_int64(st, 2, (int64_t)a->limit);
    int rc;
    while (a->n < a->limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        sq_message_row(st, &a->msgs[a->n++]);
    sqlite3_reset(st);
    size_t kept = 0;
    for (size_t i = 0; i < a->n; i++) {
        sg_message *m = &a->msgs[i];
        if (strcmp(m->purpose, "consent") != 0 && sq_optout_exists(c, m->to)) {
            /* Opted out after it was queued: never reaches a provider. */
            st = sq_stmt(c, Q_FAIL_OPTED_OUT);
            if (st) {
                sq_bind_text(st, 1, m->id);
                sqlite3_bind_int64(st, 2, a->now);
            }
            sg_err err = sq_step_done(c, st, e, "failing an opted-out message");
            if (!err)
                err = sq_event_insert(c, m->id, SG_STATUS_FAILED, a->now,
                                      "opted_out: the recipient opted out of SMS", e);
            if (!err)
                err = sq_emit_message_status(s, c, m->id, a->now, e);
            if (err)
                return err;
            sg_message_free(m);
            continue;
        }
        if (m->status != SG_STATUS_SENDING && sg_validity_expired(m->expires_at, a->now)) {
            sg_err err = claim_fail_expired(s, c, m, a->now, e);
            if (err)
                return err;
            sg_message_free(m);
            continue;
        }
        st = sq_stmt(c, Q_CLAIM_UPDATE);
        if (st) {
            sq_bind_text(st, 1, m->id);
            sqlite3_bind_int64(st, 2, a->now + a->lease_ms);
            sqlite3_bind_int64(st, 3, a->now);
        }
        sg_err err = sq_step_done(c, st, e, "claiming");
        if (!err) {
            if (m->status != SG_STATUS_SENDING)
                err = sq_event_insert(c, m->id, SG_STATUS_SENDING, a->now, NULL, e);
            else /* a claim whose lease ran out, or taken back at start: the node
                    that held it stopped while it was being sent */
                err = sq_event_insert(c, m->id, SG_STATUS_SENDING, a->now,
                                      "claimed again after its lease expired or a restart "
                                      "(outcome of the previous attempt unknown)",
                                      e);
        }
        if (err)
            return err;
        m->reclaimed = m->status == SG_STATUS_SENDING;
        m->status = SG_STATUS_SENDING;
        if (kept != i) {
            a->msgs[kept] = *m;
            memset(m, 0, sizeof *m);
        }
        kept++;
    }
    a->n = kept;
    return SG_OK;
}

typedef struct claim_job {
    job base;
    claim_arg a;
    void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err);
    void *arg;
} claim_job;

static sg_err claim_run(sg_store *s, conn *c, job *j)
{
    return claim_fn(s, c, &((claim_job *)j)->a, &j->error);
}

static void claim_complete(job *j)
{
    claim_job *cj = (claim_job *)j;
    if (j->err) { /* rolled back: nothing was claimed */
        sg_messages_free(cj->a.msgs, cj->a.n);
        cj->a.msgs = NULL;
        cj->a.n = 0;
    }
    cj->done(cj->arg, cj->a.msgs, cj->a.n, j->err);
    free(cj);
}

sg_err sg_store_claim_submit(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                             void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                             void *arg)
{
    claim_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = claim_run;
    j->base.complete = claim_complete;
    j->a = (claim_arg){.now = now, .lease_ms = lease_ms, .limit = limit};
    j->done = done;
    j->arg = arg;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct outcome_job {
    job base;
    size_t n;
    void (*done)(void *arg, sg_err err);
    void *arg;
    sg_outcome o[];
} outcome_job;

static sg_err early_reports_apply(sg_store *s, conn *c, const char *id, const char *sid,
                                  sg_error *e);

/* Outbound message id was just accepted by its provider (moved to sent,
 * delivered or undelivered from a status before those): its recipient's
 * contact, if there is one, had activity at the message's creation time. The
 * two statements that make that move call this; until migration 12 a trigger on
 * every status update of every message did it (docs/performance.md). Two primary-
 * key subqueries: about a third of the instructions of `UPDATE ... FROM messages`,
 * which SQLite runs as a join. */
static sg_err activity_on_send(conn *c, const char *id, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(
        c, S_CONTACT_SENT,
        "UPDATE contacts SET last_activity_at = "
        "max(last_activity_at, (SELECT created_at FROM messages WHERE id = ?1)) "
        "WHERE phone = (SELECT to_number FROM messages WHERE id = ?1 AND direction = 'outbound')");
    if (st)
        sq_bind_text(st, 1, id);
    return sq_step_done(c, st, e, "recording the contact's activity");
}

/* Whether status counts as accepted by the provider (activity_on_send). */
static bool provider_accepted(sg_status status)
{
    return status == SG_STATUS_SENT || status == SG_STATUS_DELIVERED ||
           status == SG_STATUS_UNDELIVERED;
}

static sg_err outcome_apply(sg_store *s, conn *c, const sg_outcome *o, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_status status = SG_STATUS_QUEUED;
    char detail[sizeof o->error_message + 128];
    detail[0] = '\0';
    switch (o->kind) {
    case SG_OUTCOME_SENT:
        st = sq_stmt(c, Q_OUT_SENT);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sq_bind_text(st, 2, o->provider_message_id);
        sq_bind_text(st, 3, o->from);
        sqlite3_bind_int64(st, 4, o->at);
        status = SG_STATUS_SENT;
        snprintf(detail, sizeof detail, "accepted by the provider as %s", o->provider_message_id);
        break;
    case SG_OUTCOME_RETRY:
        st = sq_stmt(c, Q_OUT_RETRY);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sq_bind_text(st, 3, o->error_code);
        sq_bind_text(st, 4, o->error_message);
        sqlite3_bind_int64(st, 5, o->at);
        sqlite3_bind_int64(st, 6, o->first_attempt_at > 0 ? o->first_attempt_at : o->at);
        status = SG_STATUS_QUEUED;
        char when[SG_TIME_STR_MAX];
        sg_time_format(o->retry_at, when, sizeof when);
        snprintf(detail, sizeof detail, "retry at %s after: %s%s%s%s%s", when,
                 o->error_code[0] ? o->error_code : "", o->error_code[0] ? " " : "",
                 o->error_message, o->send_class ? "; send class " : "",
                 o->send_class ? o->send_class : "");
        break;
    case SG_OUTCOME_FAILED:
        st = sq_stmt(c, Q_OUT_FAILED);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sq_bind_text(st, 2, o->error_code);
        sq_bind_text(st, 3, o->error_message);
        sqlite3_bind_int64(st, 4, o->at);
        sq_bind_text(st, 5, o->from);
        sqlite3_bind_int(st, 6, o->unsent ? 0 : 1);
        status = SG_STATUS_FAILED;
        snprintf(detail, sizeof detail, "%s%s%s%s%s", o->error_code[0] ? o->error_code : "",
                 o->error_code[0] ? " " : "", o->error_message,
                 o->send_class ? "; send class " : "", o->send_class ? o->send_class : "");
        break;
    case SG_OUTCOME_RELEASE:
    default:
        st = sq_stmt(c, Q_OUT_RELEASE);
        if (!st)
            break;
        sq_bind_text(st, 1, o->id);
        sqlite3_bind_int64(st, 2, o->retry_at);
        sqlite3_bind_int64(st, 3, o->at);
        status = SG_STATUS_QUEUED;
        snprintf(detail, sizeof detail, "not sent: %s", o->error_message);
        break;
    }
    sg_err err = sq_step_done(c, st, e, "recording outcome");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return SG_OK; /* no longer ours (canceled, or claimed again elsewhere) */
    err = sq_event_insert(c, o->id, status, o->at, detail, e);
    if (!err && o->kind == SG_OUTCOME_SENT)
        err = activity_on_send(c, o->id, e);
    if (!err && (o->kind == SG_OUTCOME_SENT || o->kind == SG_OUTCOME_FAILED))
        err = sq_emit_message_status(s, c, o->id, o->at, e);
    if (!err && o->kind == SG_OUTCOME_SENT && o->provider_message_id[0])
        err = early_reports_apply(s, c, o->id, o->provider_message_id, e);
    if (err || o->kind != SG_OUTCOME_FAILED || !o->opt_out)
        return err;
    /* The provider says the recipient unsubscribed (Twilio 21610): mirror it. */
    sg_optout opt = {.created_at = o->at};
    st = sq_stmt(c, Q_MSG_TO);
    if (st) {
        sq_bind_text(st, 1, o->id);
        if (sqlite3_step(st) == SQLITE_ROW)
            sq_col_copy(st, 0, opt.phone, sizeof opt.phone);
        sqlite3_reset(st);
    }
    if (!opt.phone[0])
        return SG_OK;
    snprintf(opt.source, sizeof opt.source, "provider");
    snprintf(opt.reason, sizeof opt.reason, "provider error %s", o->error_code);
    snprintf(opt.message_id, sizeof opt.message_id, "%s", o->id);
    bool changed;
    return sq_optout_add_on(s, c, &opt, &changed, e);
}

static sg_err outcomes_run(sg_store *s, conn *c, job *j)
{
    outcome_job *oj = (outcome_job *)j;
    for (size_t i = 0; i < oj->n; i++) {
        sg_err err = outcome_apply(s, c, &oj->o[i], &j->error);
        if (err)
            return err;
    }
    return SG_OK;
}

static void outcomes_complete(job *j)
{
    outcome_job *oj = (outcome_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=%zu error=\"%s\"", oj->n,
               j->error.message);
    if (oj->done)
        oj->done(oj->arg, j->err);
    free(oj);
}

sg_err sg_store_outcomes(sg_store *s, const sg_outcome *o, size_t n,
                         void (*done)(void *arg, sg_err err), void *arg)
{
    outcome_job *j = calloc(1, sizeof *j + n * sizeof *o);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = outcomes_run;
    j->base.complete = outcomes_complete;
    j->n = n;
    j->done = done;
    j->arg = arg;
    memcpy(j->o, o, n * sizeof *o);
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct found_job {
    job base;
    sg_outcome o;
    void (*done)(void *arg, bool attributed, sg_err err);
    void *arg;
    bool attributed;
    size_t n;
    char ids[][SG_PROVIDER_MSG_ID_MAX];
} found_job;

/* Whether another outbound message of message id's provider holds provider id sid. */
static sg_err provider_id_held(conn *c, const char *id, const char *sid, bool *held, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_PROVIDER_ID_HELD);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing a provider id check");
    sq_bind_text(st, 1, id);
    sq_bind_text(st, 2, sid);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    *held = rc == SQLITE_ROW;
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? SG_OK
               : sq_db_error(c->db, rc, e, "checking a provider id");
}

/* The first candidate nobody holds becomes the message's; none free: send it. */
static sg_err found_run(sg_store *s, conn *c, job *j)
{
    found_job *fj = (found_job *)j;
    sg_outcome o = fj->o;
    for (size_t i = 0; i < fj->n; i++) {
        bool held = true;
        sg_err err = provider_id_held(c, o.id, fj->ids[i], &held, &j->error);
        if (err)
            return err;
        if (!held) {
            o.kind = SG_OUTCOME_SENT;
            snprintf(o.provider_message_id, sizeof o.provider_message_id, "%s", fj->ids[i]);
            fj->attributed = true;
            return outcome_apply(s, c, &o, &j->error);
        }
    }
    o.kind = SG_OUTCOME_RELEASE;
    o.from[0] = '\0';
    o.retry_at = o.at;
    snprintf(o.error_message, sizeof o.error_message,
             "the provider's messages like it (%zu) are all recorded for other messages; "
             "sending it",
             fj->n);
    return outcome_apply(s, c, &o, &j->error);
}

static void found_complete(job *j)
{
    found_job *fj = (found_job *)j;
    if (j->err)
        sg_log(SG_LOG_ERROR, "store_outcomes_failed", "count=1 id=%s error=\"%s\"", fj->o.id,
               j->error.message);
    if (fj->done)
        fj->done(fj->arg, fj->attributed && !j->err, j->err);
    free(fj);
}

sg_err sg_store_outcome_found(sg_store *s, const sg_outcome *o,
                              const char (*ids)[SG_PROVIDER_MSG_ID_MAX], size_t n,
                              void (*done)(void *arg, bool attributed, sg_err err), void *arg)
{
    found_job *j = calloc(1, sizeof *j + n * sizeof j->ids[0]);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = found_run;
    j->base.complete = found_complete;
    j->o = *o;
    j->done = done;
    j->arg = arg;
    j->n = n;
    if (n)
        memcpy(j->ids, ids, n * sizeof j->ids[0]);
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

typedef struct recover_arg {
    int64_t now;
    size_t n;
} recover_arg;

static sg_err claims_recover_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    recover_arg *a = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_CLAIMS_RECOVER);
    if (st)
        sqlite3_bind_int64(st, 1, a->now);
    sg_err err = sq_step_done(c, st, e, "taking back the claims of the previous run");
    if (!err)
        a->n = (size_t)sqlite3_changes(c->db);
    return err;
}

sg_err sg_store_claims_recover(sg_store *s, int64_t now, size_t *n, sg_error *e)
{
    recover_arg a = {.now = now};
    sg_err err = sq_write_sync(s, claims_recover_fn, &a, e);
    if (n)
        *n = err ? 0 : a.n;
    return err;
}

sg_err sg_store_queue_stats(sg_store *s, sg_queue_stats *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_stmt(c, Q_QUEUE_STATS);
    sg_err err = st ? SG_OK : SG_ERR_DB;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *status = (const char *)sqlite3_column_text(st, 0);
        int64_t count = sqlite3_column_int64(st, 1);
        if (!status)
            continue;
        if (strcmp(status, "scheduled") == 0)
            out->scheduled = count;
        else if (strcmp(status, "queued") == 0)
            out->queued = count;
        else if (strcmp(status, "sending") == 0)
            out->sending = count;
    }
    if (st)
        sqlite3_reset(st);
    sq_reader_release(s, c);
    return err;
}

/* ---- provider callbacks ------------------------------------------------------------ */

/* A report for a provider id no message has (yet): the provider may have called
 * back before the send's own outcome was committed (a fast provider, a busy
 * writer). It is kept for EARLY_KEEP_MS and applied when that outcome lands
 * (early_reports_apply); older ones are dropped. Anyone holding a callback URL
 * can post reports for made-up ids, so each provider keeps at most
 * SG_EARLY_PER_PROVIDER of them: past that its oldest are dropped (a genuine
 * early report waits milliseconds for its outcome, so the newest matter),
 * counted in /metrics and logged at most once a minute. */
#define EARLY_KEEP_MS      (10 * 60 * 1000)
#define EARLY_LOG_EVERY_MS (60 * 1000)

static _Atomic int64_t early_logged_at;

/* Drop provider_id's early reports beyond its newest SG_EARLY_PER_PROVIDER. */
static sg_err early_reports_bound(conn *c, const char *provider_id, int64_t now, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_EARLY_BOUND,
                                   "DELETE FROM early_reports WHERE provider_id = ?1 AND id <= "
                                   "(SELECT id FROM early_reports WHERE provider_id = ?1 "
                                   "ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    if (st) {
        sq_bind_text(st, 1, provider_id);
        sqlite3_bind_int(st, 2, SG_EARLY_PER_PROVIDER);
    }
    sg_err err = sq_step_done(c, st, e, "bounding early reports");
    int dropped = err ? 0 : sqlite3_changes(c->db);
    if (dropped <= 0)
        return err;
    sg_metrics_early_reports_dropped((uint64_t)dropped);
    int64_t last = atomic_load(&early_logged_at);
    if (now - last >= EARLY_LOG_EVERY_MS &&
        atomic_compare_exchange_strong(&early_logged_at, &last, now))
        sg_log(SG_LOG_WARN, "early_reports_dropped",
               "provider=%s kept=%d hint=\"status reports for unknown messages arrive faster "
               "than sends: a forged flood, or a provider calling back for messages this "
               "database does not have\"",
               provider_id, SG_EARLY_PER_PROVIDER);
    return SG_OK;
}

static sg_err early_report_keep(conn *c, const sg_status_report *r, sg_error *e)
{
    if (!r->provider_message_id || !*r->provider_message_id)
        return SG_OK;
    int64_t now = sg_time_now_ms();
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_EARLY_EXPIRE, "DELETE FROM early_reports WHERE received_at < ?1");
    if (st)
        sqlite3_bind_int64(st, 1, now - EARLY_KEEP_MS);
    sg_err err = sq_step_done(c, st, e, "expiring early reports");
    if (err)
        return err;
    st = sq_stmt_sql(c, S_EARLY_INSERT,
                     "INSERT INTO early_reports (provider_id, provider_message_id, status, "
                     "error_code, error_message, detail, at, received_at) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (st) {
        sq_bind_text(st, 1, r->provider_id);
        sq_bind_text(st, 2, r->provider_message_id);
        sq_bind_text(st, 3, sg_status_name(r->status));
        sq_bind_text(st, 4, r->error_code ? r->error_code : "");
        sq_bind_text(st, 5, r->error_message);
        sq_bind_text(st, 6, r->detail);
        sqlite3_bind_int64(st, 7, r->at);
        sqlite3_bind_int64(st, 8, now);
    }
    err = sq_step_done(c, st, e, "keeping an early report");
    return err ? err : early_reports_bound(c, r->provider_id, now, e);
}

static sg_err status_report_fn(sg_store *s, conn *c, void *arg, sg_error *e);

/* Apply, in arrival order, the reports that came before message id's outcome
 * (provider id sid), then forget them. */
static sg_err early_reports_apply(sg_store *s, conn *c, const char *id, const char *sid,
                                  sg_error *e)
{
    char provider[SG_ID_MAX] = "";
    sqlite3_stmt *st =
        sq_stmt_sql(c, S_MSG_PROVIDER, "SELECT provider_id FROM messages WHERE id = ?1");
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        sq_col_copy(st, 0, provider, sizeof provider);
    sqlite3_reset(st);
    enum { MAX_EARLY = 16 };
    struct early {
        sg_status status;
        char code[SG_ERROR_CODE_MAX];
        char *message, *detail;
        int64_t at;
    } reps[MAX_EARLY];
    size_t n = 0;
    st = sq_stmt_sql(c, S_EARLY_SELECT,
                     "SELECT status, error_code, error_message, detail, at FROM early_reports "
                     "WHERE provider_id = ?1 AND provider_message_id = ?2 ORDER BY id LIMIT 16");
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, provider);
    sq_bind_text(st, 2, sid);
    while (n < MAX_EARLY && sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (!name || !sg_status_parse(name, &reps[n].status))
            continue;
        sq_col_copy(st, 1, reps[n].code, sizeof reps[n].code);
        reps[n].message = sq_col_dup(st, 2);
        reps[n].detail = sq_col_dup(st, 3);
        reps[n].at = sqlite3_column_int64(st, 4);
        n++;
    }
    sqlite3_reset(st);
    sg_err err = SG_OK;
    for (size_t i = 0; i < n; i++) {
        sg_status_report r = {.provider_id = provider,
                              .provider_message_id = sid,
                              .status = reps[i].status,
                              .error_code = reps[i].code,
                              .error_message = reps[i].message,
                              .detail = reps[i].detail,
                              .at = reps[i].at};
        if (!err)
            err = status_report_fn(s, c, &r, e);
        free(reps[i].message);
        free(reps[i].detail);
    }
    if (err || n == 0)
        return err;
    st = sq_stmt_sql(c, S_EARLY_DELETE,
                     "DELETE FROM early_reports WHERE provider_id = ?1 AND "
                     "provider_message_id = ?2");
    if (st) {
        sq_bind_text(st, 1, provider);
        sq_bind_text(st, 2, sid);
    }
    return sq_step_done(c, st, e, "forgetting early reports");
}

static sg_err status_report_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_status_report *r = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_BY_PROVIDER_ID);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, r->provider_id);
    sq_bind_text(st, 2, r->provider_message_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        r->found = true;
        sq_col_copy(st, 0, r->message_id, sizeof r->message_id);
        const char *status = (const char *)sqlite3_column_text(st, 1);
        if (!status || !sg_status_parse(status, &r->previous))
            r->previous = SG_STATUS_FAILED;
    }
    sqlite3_reset(st);
    if (!r->found && rc == SQLITE_DONE)
        return early_report_keep(c, r, e);
    if (!r->found)
        return sq_db_error(c->db, rc, e, "finding the message");
    if (!sg_status_may_move(r->previous, r->status))
        return SG_OK; /* repeated, late or out of order: nothing changes */
    st = sq_stmt(c, Q_STATUS_SET);
    if (st) {
        sq_bind_text(st, 1, r->message_id);
        sq_bind_text(st, 2, sg_status_name(r->status));
        sq_bind_text(st, 3, r->error_code ? r->error_code : "");
        sq_bind_text(st, 4, r->error_message);
        sqlite3_bind_int64(st, 5, r->at);
    }
    sg_err err = sq_step_done(c, st, e, "updating status");
    if (!err && provider_accepted(r->status) && !provider_accepted(r->previous))
        err = activity_on_send(c, r->message_id, e);
    if (!err)
        err = sq_event_insert(c, r->message_id, r->status, r->at, r->detail, e);
    if (!err)
        err = sq_emit_message_status(s, c, r->message_id, r->at, e);
    if (!err)
        r->changed = true;
    return err;
}

sg_err sg_store_status_report(sg_store *s, sg_status_report *r, sg_error *e)
{
    r->found = r->changed = false;
    r->message_id[0] = '\0';
    return sq_write_sync(s, status_report_fn, r, e);
}

typedef struct report_job {
    job base;
    sg_status_report *r;
} report_job;

static sg_err report_run(sg_store *s, conn *c, job *j)
{
    return status_report_fn(s, c, ((report_job *)j)->r, &j->error);
}

static void report_complete(job *j)
{
    report_job *rj = (report_job *)j;
    sg_status_report *r = rj->r;
    sg_err err = j->err;
    sg_error e = j->error;
    free(rj);
    r->done(r, err, &e);
}

sg_err sg_store_status_report_submit(sg_store *s, sg_status_report *r)
{
    r->found = r->changed = false;
    r->message_id[0] = '\0';
    report_job *j = calloc(1, sizeof *j);
    if (!j)
        return SG_ERR_NOMEM;
    j->base.run = report_run;
    j->base.complete = report_complete;
    j->r = r;
    sg_err err = sq_submit(s, &j->base);
    if (err)
        free(j);
    return err;
}

static sg_err contact_ensure(conn *c, const char *phone, int64_t now, char id[SG_ID_MAX],
                             bool *created, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_CONTACT_ID_BY_PHONE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, phone);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        sq_col_copy(st, 0, id, SG_ID_MAX);
    sqlite3_reset(st);
    *created = false;
    if (found)
        return SG_OK;
    sg_id_new("ctc", now, id);
    st = sq_stmt(c, Q_CONTACT_INSERT);
    if (st) {
        sq_bind_text(st, 1, id);
        sq_bind_text(st, 2, phone);
        sq_bind_text(st, 3, "");
        sq_bind_text(st, 4, "");
        sq_bind_text(st, 5, "{}");
        sqlite3_bind_int64(st, 6, now);
        sqlite3_bind_int64(st, 7, now);
        sq_bind_phone_facts(st, 8, phone);
    }
    sg_err err = sq_step_done(c, st, e, "creating contact");
    *created = !err;
    return err;
}

static sg_err inbound_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_inbound *in = arg;
    sg_message *m = in->msg;
    if (m->provider_message_id[0]) {
        sqlite3_stmt *st = sq_stmt(c, Q_INBOUND_BY_PROVIDER_ID);
        if (!st)
            return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
        sq_bind_text(st, 1, m->provider_id);
        sq_bind_text(st, 2, m->provider_message_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            in->duplicate = true;
            sq_col_copy(st, 0, in->existing_id, sizeof in->existing_id);
        }
        sqlite3_reset(st);
        if (in->duplicate)
            return SG_OK; /* the provider retried its webhook */
    }
    sg_err err = contact_ensure(c, m->from, m->created_at, in->contact_id, &in->contact_created, e);
    if (!err)
        err = sq_contact_activity(c, m->from, in->contact_id, m->created_at, e);
    if (err)
        return err;
    snprintf(m->contact_id, sizeof m->contact_id, "%s", in->contact_id);
    if ((err = sq_message_insert(c, m, e)))
        return err;
    if (webhook_mask(s, c) & event_bit(SG_EVENT_MESSAGE_RECEIVED)) {
        char when[SG_TIME_STR_MAX];
        sg_time_format(m->created_at, when, sizeof when);
        json_t *data =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", m->id, "from", m->from,
                      "to", m->to, "body", m->body ? m->body : "", "provider_id", m->provider_id,
                      "provider_message_id", m->provider_message_id, "contact_id", in->contact_id,
                      "segments", (int)m->segments, "received_at", when);
        if ((err = sq_emit(s, c, SG_EVENT_MESSAGE_RECEIVED, data, m->created_at, e)))
            return err;
    }
    if (in->reply) {
        snprintf(in->reply->contact_id, sizeof in->reply->contact_id, "%s", in->contact_id);
        if ((err = sq_message_insert(c, in->reply, e)))
            return err;
    }
    char detail[96];
    snprintf(detail, sizeof detail, "keyword %s", in->keyword ? in->keyword : "");
    if (in->consent == SG_CONSENT_OPT_OUT) {
        sg_optout o = {.created_at = m->created_at};
        snprintf(o.phone, sizeof o.phone, "%.23s", m->from);
        snprintf(o.source, sizeof o.source, "keyword");
        snprintf(o.reason, sizeof o.reason, "%s", detail);
        snprintf(o.message_id, sizeof o.message_id, "%s", m->id);
        err = sq_optout_add_on(s, c, &o, &in->consent_changed, e);
    } else if (in->consent == SG_CONSENT_OPT_IN) {
        err = optout_remove_on(s, c, m->from, "keyword", m->id, &in->consent_changed, e);
    }
    return err;
}

sg_err sg_store_inbound(sg_store *s, sg_inbound *in, sg_error *e)
{
    in->duplicate = in->contact_created = in->consent_changed = false;
    in->existing_id[0] = in->contact_id[0] = '\0';
    return sq_write_sync(s, inbound_fn, in, e);
}

/* ---- contacts ---------------------------------------------------------------------- */

void sg_contact_free(sg_contact *c)
{
    free(c->attributes);
    c->attributes = NULL;
}

void sg_contacts_free(sg_contact *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sg_contact_free(&c[i]);
    free(c);
}

void sq_contact_row(sqlite3_stmt *st, void *out)
{
    sg_contact *c = out;
    memset(c, 0, sizeof *c);
    sq_col_copy(st, 0, c->id, sizeof c->id);
    sq_col_copy(st, 1, c->phone, sizeof c->phone);
    sq_col_copy(st, 2, c->first_name, sizeof c->first_name);
    sq_col_copy(st, 3, c->last_name, sizeof c->last_name);
    c->attributes = sq_col_dup(st, 4);
    c->created_at = sqlite3_column_int64(st, 5);
    c->updated_at = sqlite3_column_int64(st, 6);
    c->opted_out = sqlite3_column_int(st, 7) != 0;
    c->mobile = sqlite3_column_int(st, 8) != 0;
    c->last_activity_at = sqlite3_column_int64(st, 9);
}

static sg_err contact_write_fn(conn *c, const sg_contact *ct, int q, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, q);
    if (st) {
        sq_bind_text(st, 1, ct->id);
        sq_bind_text(st, 2, ct->phone);
        sq_bind_text(st, 3, ct->first_name);
        sq_bind_text(st, 4, ct->last_name);
        sq_bind_text(st, 5, ct->attributes ? ct->attributes : "{}");
        sqlite3_bind_int64(st, 6, ct->created_at);
        sqlite3_bind_int64(st, 7, ct->updated_at);
        sq_bind_phone_facts(st, 8, ct->phone);
    }
    sg_err err = sq_step_done(c, st, e, "saving contact");
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, err, "phone", "another contact has the phone %s", ct->phone);
    if (!err && q == Q_CONTACT_UPDATE && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", ct->id);
    return err;
}

static sg_err contact_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return contact_write_fn(c, arg, Q_CONTACT_INSERT, e);
}

static sg_err contact_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return contact_write_fn(c, arg, Q_CONTACT_UPDATE, e);
}

static sg_err contact_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_err gerr = sq_contact_memberships_delete(c, arg, e);
    if (gerr)
        return gerr;
    sqlite3_stmt *st = sq_stmt(c, Q_CONTACT_DELETE);
    if (st)
        sq_bind_text(st, 1, arg);
    sg_err err = sq_step_done(c, st, e, "deleting contact");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", (const char *)arg);
    return err;
}

sg_err sg_store_contact_insert(sg_store *s, const sg_contact *c, sg_error *e)
{
    return sq_write_sync(s, contact_insert_fn, (void *)c, e);
}

sg_err sg_store_contact_update(sg_store *s, const sg_contact *c, sg_error *e)
{
    return sq_write_sync(s, contact_update_fn, (void *)c, e);
}

sg_err sg_store_contact_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, contact_delete_fn, (void *)id, e);
}

sg_err sg_store_contact_get(sg_store *s, const char *id_or_phone, sg_contact *out)
{
    return sq_read_one(s, sg_id_valid("ctc", id_or_phone) ? Q_CONTACT_GET_ID : Q_CONTACT_GET_PHONE,
                       id_or_phone, sq_contact_row, out);
}

typedef struct page_args {
    const char *text;
    long long at;
    bool has_at;
    size_t limit;
} page_args;

static void bind_contact_page(sqlite3_stmt *st, const void *arg)
{
    const page_args *a = arg;
    sq_bind_text(st, 1, a->text);
    sqlite3_bind_int64(st, 2, (int64_t)a->limit + 1);
}

static void contact_drop(void *c)
{
    sg_contact_free(c);
}

sg_err sg_store_contact_list(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                             size_t *n, bool *has_more)
{
    *has_more = false;
    page_args a = {.text = cursor, .limit = limit};
    sg_err err = sq_read_rows(s, Q_CONTACT_LIST, bind_contact_page, &a, sq_contact_row,
                              contact_drop, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, contact_drop, has_more);
    return err;
}

void sg_timeline_free(sg_timeline_item *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i].is_message)
            sg_message_free(&t[i].msg);
        free(t[i].detail);
    }
    free(t);
}

sg_err sg_store_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
                         sg_timeline_item **out, size_t *n, char next_cursor[64])
{
    *out = NULL;
    *n = 0;
    next_cursor[0] = '\0';
    /* cursor: "<at>.<kind>.<key>" of the last item of the previous page */
    long long cur_at = 0;
    int cur_kind = 0;
    char cur_key[SG_ID_MAX] = "";
    bool has_cursor = cursor && *cursor;
    if (has_cursor && (sscanf(cursor, "%lld.%d.%39s", &cur_at, &cur_kind, cur_key) != 3 ||
                       (cur_kind < 1 || cur_kind > 3)))
        return SG_ERR_INVALID;
    sg_timeline_item *items = calloc(limit + 1, sizeof *items);
    if (!items)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(items);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = sq_stmt(c, Q_TIMELINE);
    sg_err err = st ? SG_OK : SG_ERR_DB;
    size_t count = 0;
    char keys[limit + 1][SG_ID_MAX];
    int kinds[limit + 1];
    if (st) {
        sq_bind_text(st, 1, phone);
        if (has_cursor) {
            sqlite3_bind_int64(st, 2, cur_at);
            sqlite3_bind_int(st, 3, cur_kind);
            sq_bind_text(st, 4, cur_key);
        }
        sqlite3_bind_int64(st, 5, (int64_t)limit + 1);
        while (count < limit + 1 && sqlite3_step(st) == SQLITE_ROW) {
            items[count].at = sqlite3_column_int64(st, 0);
            kinds[count] = sqlite3_column_int(st, 1);
            sq_col_copy(st, 2, keys[count], sizeof keys[count]);
            count++;
        }
        sqlite3_reset(st);
    }
    bool more = count > limit;
    if (more)
        count = limit;
    for (size_t i = 0; i < count && !err; i++) {
        sg_timeline_item *t = &items[i];
        if (kinds[i] == 1) {
            t->is_message = true;
            err = message_get_on(c, keys[i], &t->msg);
        } else if (kinds[i] == 3) {
            t->is_click = true;
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(c->db,
                                   "SELECT k.message_id, l.url, k.user_agent FROM clicks k "
                                   "JOIN links l ON l.code = k.code WHERE k.id = ?1",
                                   -1, &q, NULL) != SQLITE_OK) {
                err = SG_ERR_DB;
                break;
            }
            sqlite3_bind_int64(q, 1, atoll(keys[i]));
            if (sqlite3_step(q) == SQLITE_ROW) {
                sq_col_copy(q, 0, t->message_id, sizeof t->message_id);
                t->detail = sq_col_dup(q, 1);
                sq_col_copy(q, 2, t->source, sizeof t->source);
            }
            sqlite3_finalize(q);
        } else {
            sqlite3_stmt *q = sq_stmt(c, Q_CONSENT_GET);
            if (!q) {
                err = SG_ERR_DB;
                break;
            }
            sqlite3_bind_int64(q, 1, atoll(keys[i]));
            if (sqlite3_step(q) == SQLITE_ROW) {
                t->consent_id = sqlite3_column_int64(q, 0);
                sq_col_copy(q, 1, t->old_state, sizeof t->old_state);
                sq_col_copy(q, 2, t->new_state, sizeof t->new_state);
                sq_col_copy(q, 3, t->source, sizeof t->source);
                sq_col_copy(q, 4, t->message_id, sizeof t->message_id);
                t->detail = sq_col_dup(q, 5);
            }
            sqlite3_reset(q);
        }
    }
    sq_reader_release(s, c);
    if (err) {
        sg_timeline_free(items, count);
        return err;
    }
    if (more && count)
        snprintf(next_cursor, 64, "%lld.%d.%s", (long long)items[count - 1].at, kinds[count - 1],
                 keys[count - 1]);
    *out = items;
    *n = count;
    return SG_OK;
}

/* ---- opt-outs ----------------------------------------------------------------------- */

typedef struct optout_arg {
    const sg_optout *o;
    const char *phone, *source, *message_id;
    bool changed;
} optout_arg;

static sg_err optout_add_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    optout_arg *a = arg;
    return sq_optout_add_on(s, c, a->o, &a->changed, e);
}

static sg_err optout_remove_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    optout_arg *a = arg;
    return optout_remove_on(s, c, a->phone, a->source, a->message_id, &a->changed, e);
}

sg_err sg_store_optout_add(sg_store *s, const sg_optout *o, bool *changed, sg_error *e)
{
    optout_arg a = {.o = o};
    sg_err err = sq_write_sync(s, optout_add_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

sg_err sg_store_optout_remove(sg_store *s, const char *phone, const char *source,
                              const char *message_id, bool *changed, sg_error *e)
{
    optout_arg a = {.phone = phone, .source = source, .message_id = message_id};
    sg_err err = sq_write_sync(s, optout_remove_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

static void optout_row(sqlite3_stmt *st, void *out)
{
    sg_optout *o = out;
    memset(o, 0, sizeof *o);
    sq_col_copy(st, 0, o->phone, sizeof o->phone);
    sq_col_copy(st, 1, o->source, sizeof o->source);
    sq_col_copy(st, 2, o->reason, sizeof o->reason);
    sq_col_copy(st, 3, o->message_id, sizeof o->message_id);
    o->created_at = sqlite3_column_int64(st, 4);
}

sg_err sg_store_optout_get(sg_store *s, const char *phone, sg_optout *out)
{
    return sq_read_one(s, Q_OPTOUT_GET, phone, optout_row, out);
}

static void bind_optout_page(sqlite3_stmt *st, const void *arg)
{
    const page_args *a = arg;
    if (a->has_at) {
        sqlite3_bind_int64(st, 1, a->at);
        sq_bind_text(st, 2, a->text);
    }
    sqlite3_bind_int64(st, 3, (int64_t)a->limit + 1);
}

sg_err sg_store_optout_list(sg_store *s, const char *cursor, size_t limit, sg_optout **out,
                            size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    long long cur_at = 0;
    char cur_phone[SG_PHONE_MAX] = "";
    bool has_cursor = cursor && *cursor;
    if (has_cursor && sscanf(cursor, "%lld.%23s", &cur_at, cur_phone) != 2)
        return SG_ERR_INVALID;
    page_args a = {.text = cur_phone, .at = cur_at, .has_at = has_cursor, .limit = limit};
    sg_err err = sq_read_rows(s, Q_OPTOUT_LIST, bind_optout_page, &a, optout_row, NULL,
                              sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, NULL, has_more);
    return err;
}

/* ---- app webhooks ---------------------------------------------------------------- */

void sg_webhook_free(sg_webhook *w)
{
    free(w->secret_sealed);
    w->secret_sealed = NULL;
}

static void webhook_row(sqlite3_stmt *st, void *out)
{
    sg_webhook *w = out;
    memset(w, 0, sizeof *w);
    sq_col_copy(st, 0, w->id, sizeof w->id);
    sq_col_copy(st, 1, w->url, sizeof w->url);
    sq_col_copy(st, 2, w->events, sizeof w->events);
    w->secret_sealed = sq_col_dup(st, 3);
    w->active = sqlite3_column_int(st, 4) != 0;
    w->created_at = sqlite3_column_int64(st, 5);
}

static sg_err webhook_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    const sg_webhook *w = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_WEBHOOK_INSERT);
    if (st) {
        sq_bind_text(st, 1, w->id);
        sq_bind_text(st, 2, w->url);
        sq_bind_text(st, 3, w->events);
        sq_bind_text(st, 4, w->secret_sealed ? w->secret_sealed : "");
        sqlite3_bind_int(st, 5, w->active);
        sqlite3_bind_int64(st, 6, w->created_at);
    }
    s->webhook_mask_valid = false;
    return sq_step_done(c, st, e, "saving webhook");
}

static sg_err webhook_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_WEBHOOK_DELETE);
    if (st)
        sq_bind_text(st, 1, arg);
    s->webhook_mask_valid = false;
    sg_err err = sq_step_done(c, st, e, "deleting webhook");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no webhook %s", (const char *)arg);
    /* Its deliveries go with it: nobody can list or receive them any more. */
    st = sq_stmt(c, Q_DELIVERIES_DELETE);
    if (st && !err)
        sq_bind_text(st, 1, arg);
    return err ? err : sq_step_done(c, st, e, "deleting the webhook's deliveries");
}

sg_err sg_store_webhook_insert(sg_store *s, const sg_webhook *w, sg_error *e)
{
    return sq_write_sync(s, webhook_insert_fn, (void *)w, e);
}

sg_err sg_store_webhook_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, webhook_delete_fn, (void *)id, e);
}

sg_err sg_store_webhook_get(sg_store *s, const char *id, sg_webhook *out)
{
    return sq_read_one(s, Q_WEBHOOK_GET, id, webhook_row, out);
}

static void webhook_drop(void *w)
{
    sg_webhook_free(w);
}

sg_err sg_store_webhook_list(sg_store *s, sg_webhook **out, size_t *n)
{
    return sq_read_rows(s, Q_WEBHOOK_LIST, NULL, NULL, webhook_row, webhook_drop, sizeof **out, 0,
                        (void **)out, n);
}

static const char *const delivery_states[] = {"pending", "delivered", "dead"};

const char *sg_delivery_state_name(sg_delivery_state st)
{
    return (unsigned)st < 3 ? delivery_states[st] : "unknown";
}

void sg_deliveries_free(sg_delivery *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].payload);
    free(d);
}

static void delivery_row(sqlite3_stmt *st, void *out)
{
    sg_delivery *d = out;
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    sq_col_copy(st, 1, d->webhook_id, sizeof d->webhook_id);
    sq_col_copy(st, 2, d->event, sizeof d->event);
    d->payload = sq_col_dup(st, 3);
    const char *state = (const char *)sqlite3_column_text(st, 4);
    for (int i = 0; i < 3; i++) {
        if (state && strcmp(state, delivery_states[i]) == 0)
            d->state = (sg_delivery_state)i;
    }
    d->attempts = (unsigned)sqlite3_column_int(st, 5);
    d->last_status = sqlite3_column_int(st, 6);
    sq_col_copy(st, 7, d->last_error, sizeof d->last_error);
    d->next_attempt_at = sqlite3_column_int64(st, 8);
    d->created_at = sqlite3_column_int64(st, 9);
    d->updated_at = sqlite3_column_int64(st, 10);
}

static void bind_delivery_page(sqlite3_stmt *st, const void *arg)
{
    const page_args *a = arg;
    sq_bind_text(st, 1, a->text);
    sqlite3_bind_int64(st, 2, a->at);
    sqlite3_bind_int64(st, 3, (int64_t)a->limit + 1);
}

static void delivery_drop(void *d)
{
    free(((sg_delivery *)d)->payload);
}

sg_err sg_store_delivery_list(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                              sg_delivery **out, size_t *n, bool *has_more)
{
    *has_more = false;
    page_args a = {.text = webhook_id, .at = cursor, .limit = limit};
    sg_err err = sq_read_rows(s, Q_DELIVERY_LIST, bind_delivery_page, &a, delivery_row,
                              delivery_drop, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, delivery_drop, has_more);
    return err;
}

typedef struct delivery_claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    unsigned per_webhook;
    const sg_delivery_busy *busy;
    size_t n_busy;
    sg_delivery *rows; /* the candidates, then the claimed ones first */
    size_t n, cap;
} delivery_claim_arg;

/* How many more of webhook id's deliveries the caller can take. */
static unsigned webhook_room(const delivery_claim_arg *a, const char *id)
{
    for (size_t i = 0; i < a->n_busy; i++) {
        if (strcmp(a->busy[i].webhook_id, id) == 0)
            return a->busy[i].in_flight >= a->per_webhook
                       ? 0
                       : a->per_webhook - a->busy[i].in_flight;
    }
    return a->per_webhook;
}

/* Append up to room due deliveries of webhook id to the candidates. */
static sg_err due_of_webhook(conn *c, delivery_claim_arg *a, const char *id, unsigned room,
                             sg_error *e)
{
    if (a->n + room > a->cap) {
        size_t cap = (a->n + room) * 2;
        sg_delivery *grown = realloc(a->rows, cap * sizeof *grown);
        if (!grown)
            return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
        a->rows = grown;
        a->cap = cap;
    }
    sqlite3_stmt *st = sq_stmt(c, Q_DELIVERY_DUE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, a->now);
    sqlite3_bind_int64(st, 3, room);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        memset(&a->rows[a->n], 0, sizeof *a->rows);
        delivery_row(st, &a->rows[a->n++]);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "reading due deliveries");
}

static int by_due(const void *x, const void *y)
{
    const sg_delivery *a = x, *b = y;
    if (a->next_attempt_at != b->next_attempt_at)
        return a->next_attempt_at < b->next_attempt_at ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The webhooks' ids (there are few; a claim looks at each one's due deliveries
 * through its own index range, so a long backlog of one never costs the others). */
static sg_err webhook_ids(conn *c, char (**ids)[SG_ID_MAX], size_t *n, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt(c, Q_WEBHOOK_IDS);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char(*grown)[SG_ID_MAX] = realloc(*ids, cap * sizeof *grown);
            if (!grown) {
                sqlite3_reset(st);
                return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
            }
            *ids = grown;
        }
        sq_col_copy(st, 0, (*ids)[(*n)++], SG_ID_MAX);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "listing webhooks");
}

static sg_err delivery_claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    delivery_claim_arg *a = arg;
    char(*ids)[SG_ID_MAX] = NULL;
    size_t n_ids = 0;
    sg_err err = webhook_ids(c, &ids, &n_ids, e);
    for (size_t i = 0; !err && i < n_ids; i++) {
        unsigned room = webhook_room(a, ids[i]);
        if (room)
            err = due_of_webhook(c, a, ids[i], room, e);
    }
    free(ids);
    if (err)
        return err;
    /* The oldest due first across webhooks; the rest stay pending, unleased. */
    if (a->n)
        qsort(a->rows, a->n, sizeof *a->rows, by_due);
    size_t take = a->n < a->limit ? a->n : a->limit;
    for (size_t i = 0; i < take; i++) {
        sqlite3_stmt *st = sq_stmt(c, Q_DELIVERY_LEASE);
        if (st) {
            sqlite3_bind_int64(st, 1, a->rows[i].id);
            sqlite3_bind_int64(st, 2, a->now + a->lease_ms);
        }
        if ((err = sq_step_done(c, st, e, "claiming a delivery")))
            return err;
    }
    for (size_t i = take; i < a->n; i++)
        free(a->rows[i].payload);
    a->n = take;
    return SG_OK;
}

sg_err sg_store_delivery_claim(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                               const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                               sg_delivery **out, size_t *n)
{
    delivery_claim_arg a = {.now = now,
                            .lease_ms = lease_ms,
                            .limit = limit,
                            .per_webhook = per_webhook ? per_webhook : UINT_MAX,
                            .busy = busy,
                            .n_busy = n_busy};
    sg_error e = {0};
    sg_err err = sq_write_sync(s, delivery_claim_fn, &a, &e);
    if (err) {
        sg_deliveries_free(a.rows, a.n);
        *out = NULL;
        *n = 0;
        return err;
    }
    *out = a.rows;
    *n = a.n;
    return SG_OK;
}

typedef struct delivery_result_arg {
    long long id;
    sg_delivery_state state;
    int http_status;
    const char *error;
    int64_t next;
} delivery_result_arg;

static sg_err delivery_result_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    delivery_result_arg *a = arg;
    sqlite3_stmt *st = sq_stmt(c, Q_DELIVERY_RESULT);
    if (st) {
        sqlite3_bind_int64(st, 1, a->id);
        sq_bind_text(st, 2, sg_delivery_state_name(a->state));
        sqlite3_bind_int(st, 3, a->http_status);
        sq_bind_text(st, 4, a->error ? a->error : "");
        sqlite3_bind_int64(st, 5, a->next);
        sqlite3_bind_int64(st, 6, sg_time_now_ms());
    }
    return sq_step_done(c, st, e, "recording a delivery attempt");
}

sg_err sg_store_delivery_result(sg_store *s, long long id, sg_delivery_state state, int http_status,
                                const char *error, int64_t next_attempt_at, sg_error *e)
{
    delivery_result_arg a = {id, state, http_status, error, next_attempt_at};
    return sq_write_sync(s, delivery_result_fn, &a, e);
}
