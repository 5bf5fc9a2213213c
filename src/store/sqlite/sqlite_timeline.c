/* The SQLite backend, a contact's timeline: messages, consent changes, clicks, keyword matches
 * and journey events (enter, step, exit) of one phone, newest first, cursor-paged. */
#include "store/sqlite/sqlite_internal.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_TIMELINE                                                                               \
    "SELECT at, kind, key FROM ("                                                                  \
    " SELECT created_at AS at, 1 AS kind, id AS key FROM messages"                                 \
    "  WHERE to_number = ?1 AND direction = 'outbound'"                                            \
    " UNION ALL SELECT created_at, 1, id FROM messages"                                            \
    "  WHERE from_number = ?1 AND direction = 'inbound'"                                           \
    " UNION ALL SELECT at, 2, printf('%020d', id) FROM consent_events WHERE phone = ?1"            \
    " UNION ALL SELECT k.at, 3, printf('%020d', k.id) FROM clicks k"                               \
    "  JOIN messages m ON m.id = k.message_id WHERE m.to_number = ?1"                              \
    " UNION ALL SELECT at, 4, printf('%020d', id) FROM keyword_matches WHERE phone = ?1"           \
    " UNION ALL SELECT l.at, 5, printf('%020d', l.id) FROM journey_steps l"                        \
    "  JOIN journey_enrollments e ON e.id = l.enrollment_id"                                       \
    "  WHERE e.phone = ?1 AND l.outcome IN ('entered', 'exited'))"                                 \
    " WHERE ?2 IS NULL OR at < ?2 OR (at = ?2 AND (kind < ?3 OR (kind = ?3 AND key < ?4)))"        \
    " ORDER BY at DESC, kind DESC, key DESC LIMIT ?5"
#define SQL_CONSENT_GET                                                                            \
    "SELECT id, old_state, new_state, source, message_id, detail, at "                             \
    "FROM consent_events WHERE id = ?1"
/* A keyword rule's match (keyword_matches row id) into t. */
static sg_err keyword_match_get(conn *c, long long id, sg_timeline_item *t)
{
    t->is_keyword = true;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT rule_id, keyword, message_id FROM keyword_matches WHERE id = ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return SG_ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        sq_col_copy(q, 0, t->rule_id, sizeof t->rule_id);
        t->detail = sq_col_dup(q, 1);
        sq_col_copy(q, 2, t->message_id, sizeof t->message_id);
    }
    sqlite3_finalize(q);
    return SG_OK;
}

/* A journey's enter, step or exit (journey_steps row id) into t. */
static sg_err journey_event_get(conn *c, long long id, sg_timeline_item *t)
{
    t->is_journey = true;
    sqlite3_stmt *q = sq_prep_uncached(c, "SELECT journey_id, enrollment_id, step, visit, "
                                          "outcome, detail FROM journey_steps WHERE id = ?1");
    if (!q)
        return SG_ERR_DB;
    sqlite3_bind_int64(q, 1, id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        sq_col_copy(q, 0, t->journey_id, sizeof t->journey_id);
        sq_col_copy(q, 1, t->enrollment_id, sizeof t->enrollment_id);
        sq_col_copy(q, 2, t->step, sizeof t->step);
        bool exited = strcmp((const char *)sqlite3_column_text(q, 4), "exited") == 0;
        snprintf(t->journey_event, sizeof t->journey_event, "%s",
                 exited ? "exit" : sqlite3_column_int64(q, 3) == 0 ? "enter" : "step");
        if (exited)
            t->detail = sq_col_dup(q, 5);
    }
    sqlite3_finalize(q);
    return SG_OK;
}

static sg_err sq_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
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
                       (cur_kind < 1 || cur_kind > 5)))
        return SG_ERR_INVALID;
    sg_timeline_item *items = calloc(limit + 1, sizeof *items);
    if (!items)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(items);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = sq_stmt_sql(c, S_TIMELINE, SQL_TIMELINE);
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
            err = sq_message_get_on(c, keys[i], &t->msg);
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
        } else if (kinds[i] == 4) {
            err = keyword_match_get(c, atoll(keys[i]), t);
        } else if (kinds[i] == 5) {
            err = journey_event_get(c, atoll(keys[i]), t);
        } else {
            sqlite3_stmt *q = sq_stmt_sql(c, S_CONSENT_GET, SQL_CONSENT_GET);
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

const sg_store_timeline_ops sq_timeline_ops = {
    .timeline = sq_timeline,
};
