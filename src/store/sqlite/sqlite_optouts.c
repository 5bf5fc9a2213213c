/* The SQLite backend, opt-outs and the consent events of their changes. */
#include "store/sqlite/sqlite_internal.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_OPTOUT_EXISTS "SELECT 1 FROM optouts WHERE phone = ?1"
#define SQL_OPTOUT_INSERT                                                                          \
    "INSERT OR IGNORE INTO optouts (phone, source, reason, message_id, "                           \
    "created_at) VALUES (?1, ?2, ?3, ?4, ?5)"
#define SQL_OPTOUT_DELETE "DELETE FROM optouts WHERE phone = ?1"
#define SQL_OPTOUT_GET                                                                             \
    "SELECT phone, source, reason, message_id, created_at FROM optouts "                           \
    "WHERE phone = ?1"
#define SQL_OPTOUT_LIST                                                                            \
    "SELECT phone, source, reason, message_id, created_at FROM optouts "                           \
    "WHERE (?1 IS NULL OR created_at < ?1 OR (created_at = ?1 AND phone < ?2)) "                   \
    "ORDER BY created_at DESC, phone DESC LIMIT ?3"
#define SQL_CONSENT_INSERT                                                                         \
    "INSERT INTO consent_events (phone, old_state, new_state, source, "                            \
    "message_id, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"

bool sq_optout_exists(conn *c, const char *phone)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_OPTOUT_EXISTS, SQL_OPTOUT_EXISTS);
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
    sqlite3_stmt *st = sq_stmt_sql(c, S_CONSENT_INSERT, SQL_CONSENT_INSERT);
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
    sqlite3_stmt *st = sq_stmt_sql(c, S_OPTOUT_INSERT, SQL_OPTOUT_INSERT);
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

sg_err sq_optout_remove_on(sg_store *s, conn *c, const char *phone, const char *source,
                           const char *message_id, bool *changed, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_OPTOUT_DELETE, SQL_OPTOUT_DELETE);
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
    return sq_optout_remove_on(s, c, a->phone, a->source, a->message_id, &a->changed, e);
}

static sg_err sq_optout_add(sg_store *s, const sg_optout *o, bool *changed, sg_error *e)
{
    optout_arg a = {.o = o};
    sg_err err = sq_write_sync(s, optout_add_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

static sg_err sq_optout_remove(sg_store *s, const char *phone, const char *source,
                               const char *message_id, bool *changed, sg_error *e)
{
    optout_arg a = {.phone = phone, .source = source, .message_id = message_id};
    sg_err err = sq_write_sync(s, optout_remove_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

void sq_optout_row(sqlite3_stmt *st, void *out)
{
    sg_optout *o = out;
    memset(o, 0, sizeof *o);
    sq_col_copy(st, 0, o->phone, sizeof o->phone);
    sq_col_copy(st, 1, o->source, sizeof o->source);
    sq_col_copy(st, 2, o->reason, sizeof o->reason);
    sq_col_copy(st, 3, o->message_id, sizeof o->message_id);
    o->created_at = sqlite3_column_int64(st, 4);
}

static sg_err sq_optout_get(sg_store *s, const char *phone, sg_optout *out)
{
    return sq_read_one_sql(s, S_OPTOUT_GET, SQL_OPTOUT_GET, phone, sq_optout_row, out);
}

static void bind_optout_page(sqlite3_stmt *st, const void *arg)
{
    const sq_page_args *a = arg;
    if (a->has_at) {
        sqlite3_bind_int64(st, 1, a->at);
        sq_bind_text(st, 2, a->text);
    }
    sqlite3_bind_int64(st, 3, (int64_t)a->limit + 1);
}

static sg_err sq_optout_list(sg_store *s, const char *cursor, size_t limit, sg_optout **out,
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
    sq_page_args a = {.text = cur_phone, .at = cur_at, .has_at = has_cursor, .limit = limit};
    sg_err err = sq_read_rows_sql(s, S_OPTOUT_LIST, SQL_OPTOUT_LIST, bind_optout_page, &a,
                                  sq_optout_row, NULL, sizeof **out, limit + 1, (void **)out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, NULL, has_more);
    return err;
}

const sg_store_optouts_ops sq_optouts_ops = {
    .optout_add = sq_optout_add,
    .optout_remove = sq_optout_remove,
    .optout_get = sq_optout_get,
    .optout_list = sq_optout_list,
};
