/* The SQLite backend, retention and erasure: blanking old message bodies in
 * bounded steps, erasing a contact (GDPR), and the audit log that records it.
 * Rare statements, prepared per call rather than cached. */
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- retention ------------------------------------------------------------------ */

typedef struct purge_arg {
    int64_t before;
    size_t limit;
    sg_purge_cursor *cur;
    size_t purged;
} purge_arg;

/* Blank the messages of rows (id, eligible) the select returned. */
static int purge_rows(conn *c, sqlite3_stmt *sel, sqlite3_stmt *upd, purge_arg *a, size_t *seen)
{
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        (*seen)++;
        a->cur->at = sqlite3_column_int64(sel, 1);
        sq_col_copy(sel, 0, a->cur->id, sizeof a->cur->id);
        if (!sqlite3_column_int(sel, 2))
            continue;
        sq_bind_text(upd, 1, a->cur->id);
        int urc = sqlite3_step(upd);
        sqlite3_reset(upd);
        if (urc != SQLITE_DONE)
            return urc;
        a->purged += (size_t)sqlite3_changes(c->db);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static sg_err purge_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    purge_arg *a = arg;
    static const char *const dirs[] = {"outbound", "inbound"};
    /* direction = constant lets SQLite walk messages_created or
     * messages_inbound_created (both partial indexes on created_at). */
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int rc = sqlite3_prepare_v2(
        c->db,
        "SELECT id, created_at, body != '' AND status NOT IN ('scheduled', 'queued', 'sending') "
        "FROM messages WHERE direction = ?1 AND created_at < ?2 "
        "AND (created_at > ?3 OR (created_at = ?3 AND id > ?4)) ORDER BY created_at, id LIMIT ?5",
        -1, &sel, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(c->db,
                                "UPDATE messages SET body = '', metadata = NULL WHERE id = ?1 "
                                "AND body != ''",
                                -1, &upd, NULL);
    size_t seen = 0;
    while (rc == SQLITE_OK && a->cur->phase < 2 && seen < a->limit) {
        size_t before_seen = seen;
        sq_bind_text(sel, 1, dirs[a->cur->phase]);
        sqlite3_bind_int64(sel, 2, a->before);
        sqlite3_bind_int64(sel, 3, a->cur->at);
        sq_bind_text(sel, 4, a->cur->id);
        sqlite3_bind_int64(sel, 5, (sqlite3_int64)(a->limit - seen));
        rc = purge_rows(c, sel, upd, a, &seen);
        sqlite3_reset(sel);
        if (rc == SQLITE_OK && seen - before_seen < a->limit - before_seen) {
            a->cur->phase++; /* this direction is done */
            a->cur->at = 0;
            a->cur->id[0] = '\0';
        }
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return rc == SQLITE_OK ? SG_OK : sq_db_error(c->db, rc, e, "purging message bodies");
}

static sg_err sq_purge_bodies(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                              size_t *purged, sg_error *e)
{
    purge_arg a = {before, limit ? limit : 1, cur, 0};
    sg_err err = cur->phase >= 2 ? SG_OK : sq_write_sync(s, purge_fn, &a, e);
    *purged = a.purged;
    return err;
}

/* ---- erasure -------------------------------------------------------------------- */

/* The messages of a contact: ?1 = its id, ?2 = its phone. */
#define ERASE_MATCH                                                                                \
    "(contact_id = ?1 OR (direction = 'outbound' AND to_number = ?2) OR "                          \
    "(direction = 'inbound' AND from_number = ?2))"

typedef struct erase_arg {
    const char *id;
    const char *actor;
    int64_t at;
    char phone[SG_PHONE_MAX];
    sg_erase_counts counts;
} erase_arg;

/* Run sql with ?1 = the contact id, ?2 = its phone, ?3 = at; *changes (may be
 * NULL) gets the rows it changed. */
static sg_err erase_step(conn *c, erase_arg *a, const char *sql, int64_t *changes, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sq_bind_text(st, 1, a->id);
        sq_bind_text(st, 2, a->phone);
        if (sqlite3_bind_parameter_count(st) >= 3)
            sqlite3_bind_int64(st, 3, a->at);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_db_error(c->db, rc, e, "erasing the contact");
    if (changes)
        *changes = sqlite3_changes(c->db);
    return SG_OK;
}

static sg_err erase_find(conn *c, erase_arg *a, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db, "SELECT phone FROM contacts WHERE id = ?1", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sq_bind_text(st, 1, a->id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            sq_col_copy(st, 0, a->phone, sizeof a->phone);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", a->id);
    return rc == SQLITE_ROW ? SG_OK : sq_db_error(c->db, rc, e, "reading the contact");
}

static sg_err erase_audit(conn *c, erase_arg *a, sg_error *e)
{
    char detail[256];
    snprintf(detail, sizeof detail,
             "{\"messages\":%lld,\"events\":%lld,\"consent_events\":%lld,\"deliveries\":%lld}",
             (long long)a->counts.messages, (long long)a->counts.events,
             (long long)a->counts.consent_events, (long long)a->counts.deliveries);
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db,
                                "INSERT INTO audit_log (at, actor, action, subject, detail) "
                                "VALUES (?1, ?2, 'contact.erase', ?3, ?4)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, a->at);
        sq_bind_text(st, 2, a->actor && *a->actor ? a->actor : "unknown");
        sq_bind_text(st, 3, a->id);
        sq_bind_text(st, 4, detail);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "writing the audit log");
}

static sg_err erase_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    erase_arg *a = arg;
    sg_err err = erase_find(c, a, e);
    if (!err) /* nothing left to send: its text and number are going */
        err = erase_step(c, a,
                         "UPDATE messages SET status = 'canceled', error_code = 'erased', "
                         "updated_at = ?3 WHERE " ERASE_MATCH
                         " AND status IN ('scheduled', 'queued')",
                         NULL, e);
    if (!err)
        err = erase_step(c, a,
                         "UPDATE message_events SET detail = NULL WHERE detail IS NOT NULL AND "
                         "message_id IN (SELECT id FROM messages WHERE " ERASE_MATCH ")",
                         &a->counts.events, e);
    if (!err)
        err = erase_step(c, a,
                         "UPDATE messages SET body = '', metadata = NULL, error_message = NULL, "
                         "to_number = CASE WHEN direction = 'outbound' THEN '" SG_REDACTED
                         "' ELSE to_number END, from_number = CASE WHEN direction = 'inbound' "
                         "THEN '" SG_REDACTED "' ELSE from_number END WHERE " ERASE_MATCH,
                         &a->counts.messages, e);
    if (!err)
        err = erase_step(c, a, "DELETE FROM consent_events WHERE phone = ?2 AND ?1 = ?1",
                         &a->counts.consent_events, e);
    if (!err) /* issue 16: the contact's keyword matches carry the phone */
        err = erase_step(c, a, "DELETE FROM keyword_matches WHERE phone = ?2 AND ?1 = ?1", NULL,
                         e);
    if (!err)
        err = erase_step(c, a,
                         "DELETE FROM webhook_deliveries WHERE state != 'pending' AND "
                         "instr(payload, ?2) > 0 AND ?1 = ?1",
                         &a->counts.deliveries, e);
    if (!err)
        err = erase_step(c, a, "DELETE FROM idempotency WHERE instr(response, ?2) > 0 AND ?1 = ?1",
                         NULL, e);
    if (!err)
        err = erase_step(c, a,
                         "UPDATE broadcast_recipients SET detail = NULL WHERE contact_id = ?1 "
                         "AND ?2 = ?2",
                         NULL, e);
    if (!err)
        err = sq_contact_memberships_delete(c, a->id, e);
    if (!err)
        err = erase_step(c, a, "DELETE FROM contacts WHERE id = ?1 AND ?2 = ?2", NULL, e);
    if (!err)
        err = erase_audit(c, a, e);
    return err;
}

static sg_err sq_contact_erase(sg_store *s, const char *id, const char *actor, int64_t at,
                               sg_erase_counts *out, sg_error *e)
{
    erase_arg a = {.id = id, .actor = actor, .at = at};
    sg_err err = sq_write_sync(s, erase_fn, &a, e);
    *out = a.counts;
    return err;
}

/* ---- audit log ------------------------------------------------------------------- */

static sg_err sq_audit_list(sg_store *s, size_t limit, sg_audit **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    sg_audit *rows = calloc(limit, sizeof *rows);
    if (!rows)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(rows);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT id, at, actor, action, subject, detail FROM audit_log "
                                "ORDER BY id DESC LIMIT ?1",
                                -1, &st, NULL);
    size_t count = 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)limit);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && count < limit) {
            sg_audit *r = &rows[count++];
            r->id = sqlite3_column_int64(st, 0);
            r->at = sqlite3_column_int64(st, 1);
            sq_col_copy(st, 2, r->actor, sizeof r->actor);
            sq_col_copy(st, 3, r->action, sizeof r->action);
            sq_col_copy(st, 4, r->subject, sizeof r->subject);
            r->detail = sq_col_dup(st, 5);
        }
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (rc != SQLITE_DONE) {
        sg_audits_free(rows, count);
        return sq_map_rc(rc);
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

const sg_store_retention_ops sq_retention_ops = {
    .purge_bodies = sq_purge_bodies,
    .contact_erase = sq_contact_erase,
    .audit_list = sq_audit_list,
};
