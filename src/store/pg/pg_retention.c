/* The PostgreSQL backend, retention and erasure: blanking old message bodies
 * in bounded steps, erasing a contact (GDPR), and the audit log that records
 * it. The same rules as store/sqlite/sqlite_retention.c. */
#include "store/pg/pg_store.h"

#include <stddef.h>
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

/* One step of one direction: up to want messages after the cursor, the
 * finished ones among them blanked; *seen how many were looked at. */
static sg_err purge_step(pg_conn *c, purge_arg *a, const char *direction, size_t want, size_t *seen,
                         sg_error *e)
{
    char before[24], at[24], lim[24];
    const char *p[] = {direction, pg_i64(before, a->before), pg_i64(at, a->cur->at), a->cur->id,
                       pg_i64(lim, (int64_t)want)};
    PGresult *r;
    /* direction = constant lets PostgreSQL walk messages_created or
     * messages_inbound_created (both partial indexes on created_at). */
    sg_err err = pg_query(c,
                          "WITH page AS (SELECT id, created_at, body <> '' AND status NOT IN "
                          "('scheduled', 'queued', 'sending') AS eligible FROM messages "
                          "WHERE direction = $1 AND created_at < $2::bigint AND (created_at > "
                          "$3::bigint OR (created_at = $3::bigint AND id > $4)) "
                          "ORDER BY created_at, id LIMIT $5::bigint), "
                          "blanked AS (UPDATE messages m SET body = '', metadata = NULL "
                          "FROM page WHERE m.id = page.id AND page.eligible RETURNING m.id) "
                          "SELECT (SELECT count(*) FROM page), (SELECT count(*) FROM blanked), "
                          "p.created_at, p.id FROM (SELECT 1) one LEFT JOIN (SELECT created_at, "
                          "id FROM page ORDER BY created_at DESC, id DESC LIMIT 1) p ON true",
                          5, p, &r, e);
    if (err)
        return err;
    *seen = (size_t)pg_col_i64(r, 0, 0);
    a->purged += (size_t)pg_col_i64(r, 0, 1);
    if (*seen) {
        a->cur->at = pg_col_i64(r, 0, 2);
        pg_col_copy(r, 0, 3, a->cur->id, sizeof a->cur->id);
    }
    PQclear(r);
    return SG_OK;
}

static sg_err purge_fn(pg_conn *c, void *arg, sg_error *e)
{
    purge_arg *a = arg;
    static const char *const dirs[] = {"outbound", "inbound"};
    size_t seen = 0;
    sg_err err = SG_OK;
    while (!err && a->cur->phase < 2 && seen < a->limit) {
        size_t want = a->limit - seen, got = 0;
        err = purge_step(c, a, dirs[a->cur->phase], want, &got, e);
        seen += got;
        if (!err && got < want) {
            a->cur->phase++; /* this direction is done */
            a->cur->at = 0;
            a->cur->id[0] = '\0';
        }
    }
    return err;
}

static sg_err pg_purge_bodies(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                              size_t *purged, sg_error *e)
{
    purge_arg a = {before, limit ? limit : 1, cur, 0};
    sg_err err = cur->phase >= 2 ? SG_OK : pg_write(pg_of(s), purge_fn, &a, e);
    *purged = a.purged;
    return err;
}

/* ---- erasure -------------------------------------------------------------------- */

/* The messages of a contact: $1 = its id, $2 = its phone. */
#define ERASE_MATCH                                                                                \
    "(contact_id = $1 OR (direction = 'outbound' AND to_number = $2) OR "                          \
    "(direction = 'inbound' AND from_number = $2))"

typedef struct erase_arg {
    const char *id;
    const char *actor;
    int64_t at;
    char phone[SG_PHONE_MAX];
    sg_erase_counts counts;
} erase_arg;

/* One step of the erasure: sql with $1 = the contact id, $2 = its phone and,
 * when it has them, $3 = at (n parameters); *changes (may be NULL) gets the rows
 * it changed. */
static sg_err erase_step(pg_conn *c, erase_arg *a, const char *sql, int n, int64_t *changes,
                         sg_error *e)
{
    char at[24];
    const char *p[] = {a->id, a->phone, pg_i64(at, a->at)};
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (err)
        return err;
    if (changes)
        *changes = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return SG_OK;
}

static sg_err erase_find(pg_conn *c, erase_arg *a, sg_error *e)
{
    const char *p[] = {a->id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT phone FROM contacts WHERE id = $1 FOR UPDATE", 1, p, &r, e);
    if (err)
        return err;
    bool found = PQntuples(r) == 1;
    if (found)
        pg_col_copy(r, 0, 0, a->phone, sizeof a->phone);
    PQclear(r);
    return found ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no contact %s", a->id);
}

static sg_err erase_audit(pg_conn *c, erase_arg *a, sg_error *e)
{
    char detail[256], at[24];
    snprintf(detail, sizeof detail,
             "{\"messages\":%lld,\"events\":%lld,\"consent_events\":%lld,\"deliveries\":%lld}",
             (long long)a->counts.messages, (long long)a->counts.events,
             (long long)a->counts.consent_events, (long long)a->counts.deliveries);
    const char *p[] = {pg_i64(at, a->at), a->actor && *a->actor ? a->actor : "unknown", a->id,
                       detail};
    return pg_query(c,
                    "INSERT INTO audit_log (at, actor, action, subject, detail) "
                    "VALUES ($1::bigint, $2, 'contact.erase', $3, $4)",
                    4, p, NULL, e);
}

/* The erasure's steps in order, each with its parameter count and the count it
 * fills (offsetof into sg_erase_counts, or -1). */
static const struct {
    const char *sql;
    int n;
    int count;
} erase_steps[] = {
    /* nothing left to send: its text and number are going */
    {"UPDATE messages SET status = 'canceled', error_code = 'erased', updated_at = $3::bigint "
     "WHERE " ERASE_MATCH " AND status IN ('scheduled', 'queued')",
     3, -1},
    {"UPDATE message_events SET detail = NULL WHERE detail IS NOT NULL AND "
     "message_id IN (SELECT id FROM messages WHERE " ERASE_MATCH ")",
     2, (int)offsetof(sg_erase_counts, events)},
    {"UPDATE messages SET body = '', metadata = NULL, error_message = NULL, "
     "to_number = CASE WHEN direction = 'outbound' THEN '" SG_REDACTED "' ELSE to_number END, "
     "from_number = CASE WHEN direction = 'inbound' THEN '" SG_REDACTED "' ELSE from_number END "
     "WHERE " ERASE_MATCH,
     2, (int)offsetof(sg_erase_counts, messages)},
    {"DELETE FROM consent_events WHERE phone = $2 AND $1::text IS NOT NULL", 2,
     (int)offsetof(sg_erase_counts, consent_events)},
    /* issue 16: the contact's keyword matches carry the phone */
    {"DELETE FROM keyword_matches WHERE phone = $2 AND $1::text IS NOT NULL", 2, -1},
    {"DELETE FROM webhook_deliveries WHERE state <> 'pending' AND strpos(payload, $2) > 0 "
     "AND $1::text IS NOT NULL",
     2, (int)offsetof(sg_erase_counts, deliveries)},
    {"DELETE FROM idempotency WHERE strpos(response, $2) > 0 AND $1::text IS NOT NULL", 2, -1},
    {"UPDATE broadcast_recipients SET detail = NULL WHERE contact_id = $1 AND "
     "$2::text IS NOT NULL",
     2, -1},
    {"DELETE FROM group_members WHERE contact_id = $1 AND $2::text IS NOT NULL", 2, -1},
    {"DELETE FROM contacts WHERE id = $1 AND $2::text IS NOT NULL", 2, -1},
};

static sg_err erase_fn(pg_conn *c, void *arg, sg_error *e)
{
    erase_arg *a = arg;
    sg_err err = erase_find(c, a, e);
    for (size_t i = 0; !err && i < sizeof erase_steps / sizeof erase_steps[0]; i++) {
        int64_t *count = erase_steps[i].count < 0
                             ? NULL
                             : (int64_t *)((char *)&a->counts + erase_steps[i].count);
        err = erase_step(c, a, erase_steps[i].sql, erase_steps[i].n, count, e);
    }
    return err ? err : erase_audit(c, a, e);
}

static sg_err pg_contact_erase(sg_store *s, const char *id, const char *actor, int64_t at,
                               sg_erase_counts *out, sg_error *e)
{
    erase_arg a = {.id = id, .actor = actor, .at = at};
    sg_err err = pg_write(pg_of(s), erase_fn, &a, e);
    *out = a.counts;
    return err;
}

/* ---- audit log ------------------------------------------------------------------- */

static sg_err pg_audit_list(sg_store *s, size_t limit, sg_audit **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    char lim[24];
    const char *p[] = {pg_i64(lim, (int64_t)limit)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, at, actor, action, subject, detail FROM audit_log "
                         "ORDER BY id DESC LIMIT $1::bigint",
                         1, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    sg_audit *a = calloc(rows ? rows : 1, sizeof *a);
    if (!a) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        a[i].id = (long long)pg_col_i64(r, (int)i, 0);
        a[i].at = pg_col_i64(r, (int)i, 1);
        pg_col_copy(r, (int)i, 2, a[i].actor, sizeof a[i].actor);
        pg_col_copy(r, (int)i, 3, a[i].action, sizeof a[i].action);
        pg_col_copy(r, (int)i, 4, a[i].subject, sizeof a[i].subject);
        a[i].detail = pg_col_dup(r, (int)i, 5);
    }
    PQclear(r);
    *out = a;
    *n = rows;
    return SG_OK;
}

const sg_store_retention_ops pg_retention_ops = {
    .purge_bodies = pg_purge_bodies,
    .contact_erase = pg_contact_erase,
    .audit_list = pg_audit_list,
};
