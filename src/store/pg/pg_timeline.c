/* The PostgreSQL backend, a contact's timeline: messages, consent changes,
 * clicks, keyword matches and journey events (enter, step, exit) of one phone, newest first, cursor-paged, read in
 * one snapshot. The same order and cursor ("<at>.<kind>.<key>") as
 * store/sqlite/sqlite_timeline.c, so a cursor means the same on both. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_MESSAGE = 1, K_CONSENT = 2, K_CLICK = 3, K_KEYWORD = 4, K_JOURNEY = 5 };

/* Keys of the non-message kinds are their row ids zero-padded to 20 digits, so
 * that they sort as text in id order (as SQLite's printf('%020d')). */
#define SQL_TIMELINE                                                                               \
    "SELECT at, kind, key FROM ("                                                                  \
    " SELECT created_at AS at, 1 AS kind, id AS key FROM messages"                                 \
    "  WHERE to_number = $1 AND direction = 'outbound'"                                            \
    " UNION ALL SELECT created_at, 1, id FROM messages"                                            \
    "  WHERE from_number = $1 AND direction = 'inbound'"                                           \
    " UNION ALL SELECT at, 2, lpad(id::text, 20, '0') FROM consent_events WHERE phone = $1"        \
    " UNION ALL SELECT k.at, 3, lpad(k.id::text, 20, '0') FROM clicks k"                           \
    "  JOIN messages m ON m.id = k.message_id WHERE m.to_number = $1"                              \
    " UNION ALL SELECT at, 4, lpad(id::text, 20, '0') FROM keyword_matches WHERE phone = $1"       \
    " UNION ALL SELECT l.at, 5, lpad(l.id::text, 20, '0') FROM journey_steps l"                    \
    "  JOIN journey_enrollments e ON e.id = l.enrollment_id"                                       \
    "  WHERE e.phone = $1 AND l.outcome IN ('entered', 'exited')) t"                               \
    " WHERE $2::bigint IS NULL OR at < $2::bigint OR (at = $2::bigint AND (kind < $3::integer"     \
    "  OR (kind = $3::integer AND key COLLATE \"C\" < $4)))"                                       \
    " ORDER BY at DESC, kind DESC, key COLLATE \"C\" DESC LIMIT $5::bigint"

typedef struct timeline_arg {
    const char *phone;
    bool has_cursor;
    long long cur_at;
    int cur_kind;
    char cur_key[SG_ID_MAX];
    size_t limit;
    sg_timeline_item *items;
    int *kinds;
    char (*keys)[SG_ID_MAX];
    size_t count;
    bool more;
} timeline_arg;

/* Row (id key) of sql into r, or NULL (nothing) when it is gone. */
static sg_err detail_row(pg_conn *c, const char *sql, const char *key, PGresult **r, sg_error *e)
{
    char id[24];
    const char *p[] = {pg_i64(id, atoll(key))};
    sg_err err = pg_query(c, sql, 1, p, r, e);
    if (!err && PQntuples(*r) == 0) {
        PQclear(*r);
        *r = NULL;
    }
    return err;
}

static sg_err click_get(pg_conn *c, const char *key, sg_timeline_item *t, sg_error *e)
{
    t->is_click = true;
    PGresult *r;
    sg_err err = detail_row(c,
                            "SELECT k.message_id, l.url, k.user_agent FROM clicks k "
                            "JOIN links l ON l.code = k.code WHERE k.id = $1::bigint",
                            key, &r, e);
    if (err || !r)
        return err;
    pg_col_copy(r, 0, 0, t->message_id, sizeof t->message_id);
    t->detail = pg_col_dup(r, 0, 1);
    pg_col_copy(r, 0, 2, t->source, sizeof t->source);
    PQclear(r);
    return SG_OK;
}

static sg_err keyword_get(pg_conn *c, const char *key, sg_timeline_item *t, sg_error *e)
{
    t->is_keyword = true;
    PGresult *r;
    sg_err err = detail_row(
        c, "SELECT rule_id, keyword, message_id FROM keyword_matches WHERE id = $1::bigint", key,
        &r, e);
    if (err || !r)
        return err;
    pg_col_copy(r, 0, 0, t->rule_id, sizeof t->rule_id);
    t->detail = pg_col_dup(r, 0, 1);
    pg_col_copy(r, 0, 2, t->message_id, sizeof t->message_id);
    PQclear(r);
    return SG_OK;
}

/* A journey's enter, step or exit (journey_steps row key) into t. */
static sg_err journey_get(pg_conn *c, const char *key, sg_timeline_item *t, sg_error *e)
{
    t->is_journey = true;
    PGresult *r;
    sg_err err = detail_row(c,
                            "SELECT journey_id, enrollment_id, step, visit, outcome, detail "
                            "FROM journey_steps WHERE id = $1::bigint",
                            key, &r, e);
    if (err || !r)
        return err;
    pg_col_copy(r, 0, 0, t->journey_id, sizeof t->journey_id);
    pg_col_copy(r, 0, 1, t->enrollment_id, sizeof t->enrollment_id);
    pg_col_copy(r, 0, 2, t->step, sizeof t->step);
    bool exited = strcmp(PQgetvalue(r, 0, 4), "exited") == 0;
    snprintf(t->journey_event, sizeof t->journey_event, "%s",
             exited ? "exit" : pg_col_i64(r, 0, 3) == 0 ? "enter" : "step");
    if (exited)
        t->detail = pg_col_dup(r, 0, 5);
    PQclear(r);
    return SG_OK;
}

static sg_err consent_get(pg_conn *c, const char *key, sg_timeline_item *t, sg_error *e)
{
    PGresult *r;
    sg_err err = detail_row(c,
                            "SELECT id, old_state, new_state, source, message_id, detail, at "
                            "FROM consent_events WHERE id = $1::bigint",
                            key, &r, e);
    if (err || !r)
        return err;
    t->consent_id = (long long)pg_col_i64(r, 0, 0);
    pg_col_copy(r, 0, 1, t->old_state, sizeof t->old_state);
    pg_col_copy(r, 0, 2, t->new_state, sizeof t->new_state);
    pg_col_copy(r, 0, 3, t->source, sizeof t->source);
    pg_col_copy(r, 0, 4, t->message_id, sizeof t->message_id);
    t->detail = pg_col_dup(r, 0, 5);
    PQclear(r);
    return SG_OK;
}

/* Item i's details by its kind. */
static sg_err item_fill(pg_conn *c, timeline_arg *a, size_t i, sg_error *e)
{
    sg_timeline_item *t = &a->items[i];
    switch (a->kinds[i]) {
    case K_MESSAGE:
        t->is_message = true;
        return pg_message_get_on(c, a->keys[i], &t->msg, e);
    case K_CLICK:
        return click_get(c, a->keys[i], t, e);
    case K_KEYWORD:
        return keyword_get(c, a->keys[i], t, e);
    case K_JOURNEY:
        return journey_get(c, a->keys[i], t, e);
    default:
        return consent_get(c, a->keys[i], t, e);
    }
}

static sg_err timeline_fn(pg_conn *c, void *arg, sg_error *e)
{
    timeline_arg *a = arg;
    sg_err err = pg_exec(c, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", e);
    if (err)
        return err;
    char at[24], kind[24], lim[24];
    const char *p[] = {a->phone, a->has_cursor ? pg_i64(at, a->cur_at) : NULL,
                       pg_i64(kind, a->cur_kind), a->cur_key, pg_i64(lim, (int64_t)a->limit + 1)};
    PGresult *r;
    if ((err = pg_query(c, SQL_TIMELINE, 5, p, &r, e)))
        return err;
    size_t rows = (size_t)PQntuples(r);
    for (size_t i = 0; i < rows && i < a->limit + 1; i++) {
        a->items[i].at = pg_col_i64(r, (int)i, 0);
        a->kinds[i] = (int)pg_col_i64(r, (int)i, 1);
        pg_col_copy(r, (int)i, 2, a->keys[i], sizeof a->keys[i]);
        a->count++;
    }
    PQclear(r);
    a->more = a->count > a->limit;
    if (a->more)
        a->count = a->limit;
    for (size_t i = 0; i < a->count && !err; i++)
        err = item_fill(c, a, i, e);
    return err;
}

/* The cursor "<at>.<kind>.<key>" into a; false when it is not one. */
static bool cursor_parse(const char *cursor, timeline_arg *a)
{
    if (!cursor || !*cursor)
        return true;
    a->has_cursor = true;
    return sscanf(cursor, "%lld.%d.%39s", &a->cur_at, &a->cur_kind, a->cur_key) == 3 &&
           a->cur_kind >= K_MESSAGE && a->cur_kind <= K_JOURNEY;
}

static sg_err pg_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
                          sg_timeline_item **out, size_t *n, char next_cursor[64])
{
    *out = NULL;
    *n = 0;
    next_cursor[0] = '\0';
    timeline_arg a = {.phone = phone, .limit = limit};
    if (!cursor_parse(cursor, &a))
        return SG_ERR_INVALID;
    a.items = calloc(limit + 1, sizeof *a.items);
    a.kinds = calloc(limit + 1, sizeof *a.kinds);
    a.keys = calloc(limit + 1, sizeof *a.keys);
    sg_err err = a.items && a.kinds && a.keys ? SG_OK : SG_ERR_NOMEM;
    if (!err)
        err = pg_read_tx(pg_of(s), timeline_fn, &a, NULL);
    if (!err && a.more && a.count)
        snprintf(next_cursor, 64, "%lld.%d.%s", (long long)a.items[a.count - 1].at,
                 a.kinds[a.count - 1], a.keys[a.count - 1]);
    if (err) {
        sg_timeline_free(a.items, a.items ? a.count : 0);
        a.items = NULL;
    }
    free(a.kinds);
    free(a.keys);
    if (err)
        return err;
    *out = a.items;
    *n = a.count;
    return SG_OK;
}

const sg_store_timeline_ops pg_timeline_ops = {
    .timeline = pg_timeline,
};
