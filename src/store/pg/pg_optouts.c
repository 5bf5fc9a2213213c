/* The PostgreSQL backend, opt-outs: each change a consent event and an app
 * webhook event in the same transaction; the list newest first with a
 * "created_at.phone" cursor. The same rules as store/sqlite/sqlite_optouts.c. */
#include "store/pg/pg_store.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPTOUT_COLS "phone, source, reason, message_id, created_at"

static sg_err consent_event(pg_conn *c, const char *phone, const char *old_state,
                            const char *new_state, const char *source, const char *message_id,
                            const char *detail, int64_t at, sg_error *e)
{
    char t[24];
    const char *p[] = {phone,
                       old_state,
                       new_state,
                       source,
                       message_id ? message_id : "",
                       detail && *detail ? detail : NULL,
                       pg_i64(t, at)};
    return pg_query(c,
                    "INSERT INTO consent_events (phone, old_state, new_state, source, "
                    "message_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint)",
                    7, p, NULL, e);
}

static sg_err emit_consent(pg_conn *c, const char *event, const char *phone, const char *source,
                           const char *message_id, int64_t at, sg_error *e)
{
    char when[SG_TIME_STR_MAX];
    sg_time_format(at, when, sizeof when);
    json_t *data =
        json_pack("{s:s, s:s, s:o, s:s}", "phone", phone, "source", source, "message_id",
                  message_id && *message_id ? json_string(message_id) : json_null(), "at", when);
    return pg_emit(c, event, data, at, e);
}

static sg_err change(pg_conn *c, const char *sql, int n, const char *const *p, bool *changed,
                     sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (!err) {
        *changed = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    return err;
}

sg_err pg_optout_add_on(pg_conn *c, const sg_optout *o, bool *changed, sg_error *e)
{
    int64_t at = o->created_at ? o->created_at : sg_time_now_ms();
    char t[24];
    const char *p[] = {o->phone, o->source, o->reason, o->message_id, pg_i64(t, at)};
    sg_err err = change(c,
                        "INSERT INTO optouts (" OPTOUT_COLS ") VALUES ($1, $2, $3, $4, $5::bigint) "
                        "ON CONFLICT (phone) DO NOTHING",
                        5, p, changed, e);
    if (err || !*changed)
        return err;
    err = consent_event(c, o->phone, "subscribed", "opted_out", o->source, o->message_id, o->reason,
                        at, e);
    return err ? err
               : emit_consent(c, SG_EVENT_OPTED_OUT, o->phone, o->source, o->message_id, at, e);
}

typedef struct optout_arg {
    const sg_optout *o;
    const char *phone, *source, *message_id;
    bool changed;
} optout_arg;

static sg_err optout_add_fn(pg_conn *c, void *arg, sg_error *e)
{
    optout_arg *a = arg;
    return pg_optout_add_on(c, a->o, &a->changed, e);
}

sg_err pg_optout_remove_on(pg_conn *c, const char *phone, const char *source,
                           const char *message_id, bool *changed, sg_error *e)
{
    const char *p[] = {phone};
    sg_err err = change(c, "DELETE FROM optouts WHERE phone = $1", 1, p, changed, e);
    if (err || !*changed)
        return err;
    int64_t at = sg_time_now_ms();
    err = consent_event(c, phone, "opted_out", "subscribed", source, message_id, NULL, at, e);
    return err ? err : emit_consent(c, SG_EVENT_OPTED_IN, phone, source, message_id, at, e);
}

static sg_err optout_remove_fn(pg_conn *c, void *arg, sg_error *e)
{
    optout_arg *a = arg;
    return pg_optout_remove_on(c, a->phone, a->source, a->message_id, &a->changed, e);
}

static sg_err pg_optout_add(sg_store *s, const sg_optout *o, bool *changed, sg_error *e)
{
    optout_arg a = {.o = o};
    sg_err err = pg_write(pg_of(s), optout_add_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

static sg_err pg_optout_remove(sg_store *s, const char *phone, const char *source,
                               const char *message_id, bool *changed, sg_error *e)
{
    optout_arg a = {.phone = phone, .source = source, .message_id = message_id};
    sg_err err = pg_write(pg_of(s), optout_remove_fn, &a, e);
    if (changed)
        *changed = a.changed;
    return err;
}

static void optout_row(const PGresult *r, int i, sg_optout *o)
{
    memset(o, 0, sizeof *o);
    pg_col_copy(r, i, 0, o->phone, sizeof o->phone);
    pg_col_copy(r, i, 1, o->source, sizeof o->source);
    pg_col_copy(r, i, 2, o->reason, sizeof o->reason);
    pg_col_copy(r, i, 3, o->message_id, sizeof o->message_id);
    o->created_at = pg_col_i64(r, i, 4);
}

static sg_err pg_optout_get(sg_store *s, const char *phone, sg_optout *out)
{
    const char *p[] = {phone};
    PGresult *r;
    sg_err err =
        pg_read(pg_of(s), "SELECT " OPTOUT_COLS " FROM optouts WHERE phone = $1", 1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        optout_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_optout_list(sg_store *s, const char *cursor, size_t limit, sg_optout **out,
                             size_t *n, bool *has_more)
{
    *out = NULL;
    *n = 0;
    *has_more = false;
    long long cur_at = 0;
    char cur_phone[SG_PHONE_MAX] = "", at[24], lim[24];
    bool has_cursor = cursor && *cursor;
    if (has_cursor && sscanf(cursor, "%lld.%23s", &cur_at, cur_phone) != 2)
        return SG_ERR_INVALID;
    const char *p[] = {has_cursor ? pg_i64(at, cur_at) : NULL, cur_phone,
                       pg_i64(lim, (int64_t)limit + 1)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT " OPTOUT_COLS " FROM optouts WHERE ($1::bigint IS NULL OR "
                         "created_at < $1::bigint OR (created_at = $1::bigint AND phone < $2)) "
                         "ORDER BY created_at DESC, phone DESC LIMIT $3::bigint",
                         3, p, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    size_t count = rows > limit ? limit : rows;
    if (count > 0 && !(*out = calloc(count, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        optout_row(r, (int)i, &(*out)[i]);
    *n = count;
    *has_more = rows > limit;
    PQclear(r);
    return SG_OK;
}

const sg_store_optouts_ops pg_optouts_ops = {
    .optout_add = pg_optout_add,
    .optout_remove = pg_optout_remove,
    .optout_get = pg_optout_get,
    .optout_list = pg_optout_list,
};
