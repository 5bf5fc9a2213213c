/* App accounts (store.h; the apps block of store/backend.h): the applications
 * that send through the compatible endpoints, which app sent which message, the
 * Twilio-format callbacks owed to them, and their API keys. An app is read on
 * every request of the compatible endpoints (when not remembered), and a
 * message of an app is tagged, and its callbacks queued, inside the writes that
 * cause them, so those statements are cached; the others run a few times per
 * administrator action or callback and are prepared per call. */
#include "store/backend.h"
#include "store/sqlite/sqlite_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_COLS                                                                                   \
    "id, name, role, token_sealed, token_hash, provider_id, status_callback, inbound_url, "        \
    "inbound_method, countries, daily_quota, created_at, updated_at, token_rotated_at, "            \
    "callback_method"

#define SQL_APP_GET "SELECT " APP_COLS " FROM apps WHERE id = ?1 OR name = ?1"
#define SQL_APP_MSG_TAG                                                                            \
    "INSERT INTO app_messages (message_id, app_id, status_callback, callback_format, "             \
    "callback_level) VALUES (?1, ?2, ?3, ?4, ?5)"
#define SQL_APP_MSG_OWNER "SELECT app_id, status_callback FROM app_messages WHERE message_id = ?1"

static void app_row(sqlite3_stmt *st, void *out)
{
    sg_app_account *a = out;
    memset(a, 0, sizeof *a);
    sq_col_copy(st, 0, a->id, sizeof a->id);
    sq_col_copy(st, 1, a->name, sizeof a->name);
    sq_col_copy(st, 2, a->role, sizeof a->role);
    sq_col_copy(st, 3, a->token_sealed, sizeof a->token_sealed);
    sq_col_copy(st, 4, a->token_hash, sizeof a->token_hash);
    sq_col_copy(st, 5, a->provider_id, sizeof a->provider_id);
    sq_col_copy(st, 6, a->status_callback, sizeof a->status_callback);
    sq_col_copy(st, 7, a->inbound_url, sizeof a->inbound_url);
    sq_col_copy(st, 8, a->inbound_method, sizeof a->inbound_method);
    sq_col_copy(st, 9, a->countries, sizeof a->countries);
    a->daily_quota = sqlite3_column_int64(st, 10);
    a->created_at = sqlite3_column_int64(st, 11);
    a->updated_at = sqlite3_column_int64(st, 12);
    a->token_rotated_at = sqlite3_column_int64(st, 13);
    sq_col_copy(st, 14, a->callback_method, sizeof a->callback_method);
}

/* Bind every column of a as ?1..?15 in APP_COLS order. */
static void app_bind(sqlite3_stmt *st, const sg_app_account *a)
{
    sq_bind_text(st, 1, a->id);
    sq_bind_text(st, 2, a->name);
    sq_bind_text(st, 3, a->role);
    sq_bind_text(st, 4, a->token_sealed);
    sq_bind_text(st, 5, a->token_hash);
    sq_bind_text(st, 6, a->provider_id);
    sq_bind_text(st, 7, a->status_callback);
    sq_bind_text(st, 8, a->inbound_url);
    sq_bind_text(st, 9, a->inbound_method[0] ? a->inbound_method : "POST");
    sq_bind_text(st, 10, a->countries);
    sqlite3_bind_int64(st, 11, a->daily_quota);
    sqlite3_bind_int64(st, 12, a->created_at);
    sqlite3_bind_int64(st, 13, a->updated_at);
    sqlite3_bind_int64(st, 14, a->token_rotated_at);
    sq_bind_text(st, 15, a->callback_method[0] ? a->callback_method : "POST");
}

static sg_err name_taken(sg_err err, const sg_app_account *a, sg_error *e)
{
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "name", "an app named '%s' exists", a->name);
    return err;
}

/* SG_ERR_CONFLICT (field "numbers") when one of a's numbers is another app's. */
static sg_err numbers_free(conn *c, const sg_app_account *a, sg_error *e)
{
    sqlite3_stmt *st =
        sq_prep_uncached(c, "SELECT app_id FROM app_numbers WHERE number = ?1 AND app_id != ?2");
    if (!st)
        return sq_db_error(c->db, sqlite3_errcode(c->db), e, "reading the apps' numbers");
    sg_err err = SG_OK;
    for (size_t i = 0; !err && i < a->n_numbers; i++) {
        sqlite3_reset(st);
        sq_bind_text(st, 1, a->numbers[i]);
        sq_bind_text(st, 2, a->id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            err = sg_error_set(e, SG_ERR_CONFLICT, "numbers", "%s belongs to app %s", a->numbers[i],
                               (const char *)sqlite3_column_text(st, 0));
        else if (rc != SQLITE_DONE)
            err = sq_db_error(c->db, rc, e, "reading the apps' numbers");
    }
    sqlite3_finalize(st);
    return err;
}

/* Replace app a's numbers with a->numbers when a->numbers_set. */
static sg_err numbers_write(conn *c, const sg_app_account *a, sg_error *e)
{
    if (!a->numbers_set)
        return SG_OK;
    sg_err err = numbers_free(c, a, e);
    if (err)
        return err;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM app_numbers WHERE app_id = ?1");
    if (st)
        sq_bind_text(st, 1, a->id);
    err = sq_step_finalize(c, st, e, "changing the app's numbers");
    for (size_t i = 0; !err && i < a->n_numbers; i++) {
        st = sq_prep_uncached(c, "INSERT OR IGNORE INTO app_numbers (number, app_id) "
                                 "VALUES (?1, ?2)");
        if (st) {
            sq_bind_text(st, 1, a->numbers[i]);
            sq_bind_text(st, 2, a->id);
        }
        err = sq_step_finalize(c, st, e, "changing the app's numbers");
    }
    return err;
}

static sg_err app_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_app_account *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO apps (" APP_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                               "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
    if (st)
        app_bind(st, a);
    sg_err err = name_taken(sq_step_finalize(c, st, e, "creating the app"), a, e);
    return err ? err : numbers_write(c, a, e);
}

static sg_err sq_app_insert(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return sq_write_sync(s, app_insert_fn, (void *)a, e);
}

static sg_err sq_app_get(sg_store *s, const char *id_or_name, sg_app_account *out)
{
    return sq_read_one_sql(s, S_APP_GET, SQL_APP_GET, id_or_name, app_row, out);
}

static sg_err sq_app_list(sg_store *s, sg_app_account **out, size_t *n)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    *out = NULL;
    *n = 0;
    sg_err err = SG_OK;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT " APP_COLS " FROM apps ORDER BY created_at, id");
    int rc = st ? SQLITE_ROW : SQLITE_ERROR;
    size_t cap = 0;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            sg_app_account *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                err = SG_ERR_NOMEM;
                break;
            }
            *out = grown;
        }
        app_row(st, &(*out)[(*n)++]);
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

static sg_err app_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_app_account *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE apps SET name = ?2, role = ?3, token_sealed = ?4, "
                               "token_hash = ?5, provider_id = ?6, status_callback = ?7, "
                               "inbound_url = ?8, inbound_method = ?9, countries = ?10, "
                               "daily_quota = ?11, created_at = ?12, updated_at = ?13, "
                               "token_rotated_at = ?14, callback_method = ?15 WHERE id = ?1");
    if (st)
        app_bind(st, a);
    sg_err err = name_taken(sq_step_finalize(c, st, e, "changing the app"), a, e);
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no app %.64s", a->id);
    if (!err)
        err = numbers_write(c, a, e);
    return err ? err : sq_keys_bump(c, e); /* servers caching the app read it again */
}

static sg_err sq_app_update(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return sq_write_sync(s, app_update_fn, (void *)a, e);
}

static sg_err app_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM apps WHERE id = ?1");
    if (st)
        sq_bind_text(st, 1, arg);
    sg_err err = sq_step_finalize(c, st, e, "removing the app");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no app %.64s", (const char *)arg);
    if (err)
        return err;
    st = sq_prep_uncached(c, "DELETE FROM app_keys WHERE app_id = ?1");
    if (st)
        sq_bind_text(st, 1, arg);
    err = sq_step_finalize(c, st, e, "removing the app's keys");
    if (err)
        return err;
    st = sq_prep_uncached(c, "DELETE FROM app_numbers WHERE app_id = ?1");
    if (st)
        sq_bind_text(st, 1, arg);
    err = sq_step_finalize(c, st, e, "removing the app's numbers");
    return err ? err : sq_keys_bump(c, e);
}

static sg_err sq_app_numbers(sg_store *s, sg_app_account *a)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    a->n_numbers = 0;
    sqlite3_stmt *st =
        sq_prep_uncached(c, "SELECT number FROM app_numbers WHERE app_id = ?1 ORDER BY number");
    int rc = st ? SQLITE_ROW : SQLITE_ERROR;
    if (st)
        sq_bind_text(st, 1, a->id);
    while (st && a->n_numbers < SG_APP_NUMBERS_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW)
        sq_col_copy(st, 0, a->numbers[a->n_numbers++], SG_PHONE_MAX);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SG_OK : sq_map_rc(rc);
}

static sg_err sq_app_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, app_delete_fn, (void *)id, e);
}

sg_err sq_app_message_tag(conn *c, const sg_message *m, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_APP_MSG_TAG, SQL_APP_MSG_TAG);
    if (st) {
        sq_bind_text(st, 1, m->id);
        sq_bind_text(st, 2, m->app_id);
        sq_bind_text(st, 3, m->app_status_callback ? m->app_status_callback : "");
        sq_bind_text(st, 4, m->app_ck ? "ck" : "tw");
        sqlite3_bind_int(st, 5, m->app_ck ? m->app_ck_level : 7);
    }
    return sq_step_done(c, st, e, "recording the message's app");
}

typedef struct owner_out {
    char *app_id;
    char *status_callback;
} owner_out;

static void owner_row(sqlite3_stmt *st, void *out)
{
    owner_out *o = out;
    sq_col_copy(st, 0, o->app_id, SG_ID_MAX);
    sq_col_copy(st, 1, o->status_callback, 512);
}

static sg_err sq_app_message_owner(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                   char status_callback[512])
{
    owner_out o = {app_id, status_callback};
    app_id[0] = status_callback[0] = '\0';
    return sq_read_one_sql(s, S_APP_MSG_OWNER, SQL_APP_MSG_OWNER, message_id, owner_row, &o);
}

/* The list query for f, its parameters bound by position. */
static sqlite3_stmt *ids_query(conn *c, const sg_app_message_filter *f)
{
    char sql[640];
    snprintf(sql, sizeof sql,
             "SELECT a.message_id FROM app_messages a JOIN messages m ON m.id = a.message_id "
             "WHERE a.app_id = ?1%s%s%s%s%s ORDER BY a.message_id DESC LIMIT ?7",
             f->to ? " AND m.to_number = ?2" : "", f->from ? " AND m.from_number = ?3" : "",
             f->created_from > 0 ? " AND m.created_at >= ?4" : "",
             f->created_until > 0 ? " AND m.created_at < ?5" : "",
             f->before_id ? " AND a.message_id < ?6" : "");
    sqlite3_stmt *st = sq_prep_uncached(c, sql);
    if (!st)
        return NULL;
    sq_bind_text(st, 1, f->app_id);
    if (f->to)
        sq_bind_text(st, 2, f->to);
    if (f->from)
        sq_bind_text(st, 3, f->from);
    if (f->created_from > 0)
        sqlite3_bind_int64(st, 4, f->created_from);
    if (f->created_until > 0)
        sqlite3_bind_int64(st, 5, f->created_until);
    if (f->before_id)
        sq_bind_text(st, 6, f->before_id);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)f->limit + 1);
    return st;
}

static sg_err sq_app_message_ids(sg_store *s, const sg_app_message_filter *f,
                                 char (**ids)[SG_ID_MAX], size_t *n, bool *has_more)
{
    *ids = NULL;
    *n = 0;
    *has_more = false;
    char(*out)[SG_ID_MAX] = calloc(f->limit + 1, sizeof *out);
    if (!out)
        return SG_ERR_NOMEM;
    conn *c = sq_reader_acquire(s);
    if (!c) {
        free(out);
        return SG_ERR_DB;
    }
    sqlite3_stmt *st = ids_query(c, f);
    int rc = st ? SQLITE_ROW : SQLITE_ERROR;
    size_t count = 0;
    while (st && count <= f->limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        sq_col_copy(st, 0, out[count++], SG_ID_MAX);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        free(out);
        return sq_map_rc(rc);
    }
    *has_more = count > f->limit;
    *n = *has_more ? f->limit : count;
    *ids = out;
    return SG_OK;
}

typedef struct forget_arg {
    const char *app_id, *message_id;
} forget_arg;

static sg_err forget_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const forget_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM app_messages WHERE message_id = ?1 AND app_id = ?2");
    if (st) {
        sq_bind_text(st, 1, a->message_id);
        sq_bind_text(st, 2, a->app_id);
    }
    sg_err err = sq_step_finalize(c, st, e, "forgetting the message");
    if (err)
        return err;
    if (sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no message %.64s", a->message_id);
    st = sq_prep_uncached(c, "UPDATE messages SET body = '', metadata = NULL WHERE id = ?1");
    if (st)
        sq_bind_text(st, 1, a->message_id);
    return sq_step_finalize(c, st, e, "blanking the message's body");
}

static sg_err sq_app_message_forget(sg_store *s, const char *app_id, const char *message_id,
                                    sg_error *e)
{
    forget_arg a = {app_id, message_id};
    return sq_write_sync(s, forget_fn, &a, e);
}

/* ---- status callbacks and inbound messages, in Twilio's or Clickatell's format ---- */

/* A message whose callback level is 0 asks for no reports (Clickatell's
 * callback=0); the worker skips the statuses a level does not ask for. */
#define SQL_APP_CB_QUEUE                                                                           \
    "INSERT INTO app_callbacks (method, format, level, app_id, message_id, url, status, "          \
    "error_code, to_number, from_number, next_attempt_at, created_at) "                            \
    "SELECT p.callback_method, a.callback_format, a.callback_level, a.app_id, a.message_id, "      \
    "CASE WHEN a.status_callback != '' THEN a.status_callback ELSE p.status_callback END, "        \
    "m.status, m.error_code, m.to_number, m.from_number, ?2, ?2 "                                  \
    "FROM app_messages a JOIN apps p ON p.id = a.app_id JOIN messages m ON m.id = a.message_id "   \
    "WHERE a.message_id = ?1 AND (a.status_callback != '' OR p.status_callback != '') "            \
    "AND a.callback_level != 0"

#define SQL_APP_INBOUND_QUEUE                                                                      \
    "INSERT INTO app_callbacks (kind, method, format, app_id, message_id, url, status, "           \
    "to_number, from_number, next_attempt_at, created_at) "                                        \
    "SELECT 'inbound', p.inbound_method, a.callback_format, p.id, ?1, p.inbound_url, 'received', " \
    "?2, ?3, ?4, ?4 "                                                                              \
    "FROM (SELECT id FROM messages WHERE to_number = ?3 AND direction = 'outbound' "               \
    "ORDER BY id DESC LIMIT 1) o JOIN app_messages a ON a.message_id = o.id "                      \
    "JOIN apps p ON p.id = a.app_id WHERE p.inbound_url != ''"

/* A message to a number an app owns, when it answers no app's message: in
 * Twilio's format (docs/compat.md). */
#define SQL_APP_NUMBER_INBOUND_QUEUE                                                               \
    "INSERT INTO app_callbacks (kind, method, format, app_id, message_id, url, status, "           \
    "to_number, from_number, next_attempt_at, created_at) "                                        \
    "SELECT 'inbound', p.inbound_method, 'tw', p.id, ?1, p.inbound_url, 'received', "              \
    "?2, ?3, ?4, ?4 "                                                                              \
    "FROM app_numbers n JOIN apps p ON p.id = n.app_id WHERE n.number = ?2 AND p.inbound_url != ''"

/* Run one of the inbound queueing statements for m. */
static sg_err inbound_queue(conn *c, int slot, const char *sql, const sg_message *m, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, slot, sql);
    if (st) {
        sq_bind_text(st, 1, m->id);
        sq_bind_text(st, 2, m->to);
        sq_bind_text(st, 3, m->from);
        sqlite3_bind_int64(st, 4, m->created_at);
    }
    return sq_step_done(c, st, e, "queueing the inbound message for its app");
}

/* Once: to the app whose message it answers, else to the app owning its number. */
sg_err sq_app_inbound(conn *c, const sg_message *m, sg_error *e)
{
    sg_err err = inbound_queue(c, S_APP_INBOUND_QUEUE, SQL_APP_INBOUND_QUEUE, m, e);
    if (err || sqlite3_changes(c->db) > 0)
        return err;
    return inbound_queue(c, S_APP_NUMBER_INBOUND_QUEUE, SQL_APP_NUMBER_INBOUND_QUEUE, m, e);
}

sg_err sq_app_status_callback(conn *c, const char *id, int64_t at, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_APP_CB_QUEUE, SQL_APP_CB_QUEUE);
    if (st) {
        sq_bind_text(st, 1, id);
        sqlite3_bind_int64(st, 2, at);
    }
    return sq_step_done(c, st, e, "queueing the app's status callback");
}

typedef struct cb_claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    sg_app_callback *rows;
    size_t n;
} cb_claim_arg;

static void cb_row(sqlite3_stmt *st, sg_app_callback *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    sq_col_copy(st, 1, r->app_id, sizeof r->app_id);
    sq_col_copy(st, 2, r->message_id, sizeof r->message_id);
    sq_col_copy(st, 3, r->url, sizeof r->url);
    sq_col_copy(st, 4, r->status, sizeof r->status);
    sq_col_copy(st, 5, r->error_code, sizeof r->error_code);
    sq_col_copy(st, 6, r->to, sizeof r->to);
    sq_col_copy(st, 7, r->from, sizeof r->from);
    r->attempts = (unsigned)sqlite3_column_int(st, 8);
    sq_col_copy(st, 9, r->kind, sizeof r->kind);
    sq_col_copy(st, 10, r->method, sizeof r->method);
    sq_col_copy(st, 11, r->format, sizeof r->format);
    r->level = (unsigned)sqlite3_column_int(st, 12);
    r->at = sqlite3_column_int64(st, 13);
}

static sg_err cb_claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    cb_claim_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE app_callbacks SET next_attempt_at = ?2 WHERE id IN ("
                               "SELECT id FROM app_callbacks WHERE state = 'pending' AND "
                               "next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?3) "
                               "RETURNING id, app_id, message_id, url, status, error_code, "
                               "to_number, from_number, attempts, kind, method, format, level, "
                               "created_at");
    if (!st)
        return sq_db_error(c->db, sqlite3_errcode(c->db), e, "claiming app callbacks");
    sqlite3_bind_int64(st, 1, a->now);
    sqlite3_bind_int64(st, 2, a->now + a->lease_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)a->limit);
    a->rows = calloc(a->limit ? a->limit : 1, sizeof *a->rows);
    int rc = a->rows ? SQLITE_ROW : SQLITE_NOMEM;
    while (a->rows && a->n < a->limit && (rc = sqlite3_step(st)) == SQLITE_ROW)
        cb_row(st, &a->rows[a->n++]);
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return SG_OK;
    free(a->rows);
    a->rows = NULL;
    a->n = 0;
    return sq_db_error(c->db, rc, e, "claiming app callbacks");
}

static sg_err sq_app_callback_claim(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                    sg_app_callback **out, size_t *n)
{
    cb_claim_arg a = {.now = now, .lease_ms = lease_ms, .limit = limit};
    sg_error e = {0};
    sg_err err = sq_write_sync(s, cb_claim_fn, &a, &e);
    *out = a.rows;
    *n = a.n;
    return err;
}

typedef struct cb_done_arg {
    long long id;
    bool delivered;
    int64_t next, at;
    unsigned attempts;
    int http_status;
    const char *error;
} cb_done_arg;

static sg_err cb_done_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const cb_done_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE app_callbacks SET state = ?2, next_attempt_at = ?3, "
                               "attempts = ?4, last_status = ?5, last_error = ?6 WHERE id = ?1");
    if (st) {
        sqlite3_bind_int64(st, 1, a->id);
        sq_bind_text(st, 2, a->delivered ? "delivered" : a->next ? "pending" : "dead");
        sqlite3_bind_int64(st, 3, a->next ? a->next : a->at);
        sqlite3_bind_int(st, 4, (int)a->attempts);
        sqlite3_bind_int(st, 5, a->http_status);
        sq_bind_text(st, 6, a->error ? a->error : "");
    }
    return sq_step_finalize(c, st, e, "recording an app callback");
}

static sg_err sq_app_callback_done(sg_store *s, long long id, bool delivered,
                                   int64_t next_attempt_at, unsigned attempts, int http_status,
                                   const char *error, int64_t at, sg_error *e)
{
    cb_done_arg a = {id,          delivered, delivered ? 0 : next_attempt_at, at, attempts,
                     http_status, error};
    return sq_write_sync(s, cb_done_fn, &a, e);
}

/* ---- API keys of apps ------------------------------------------------------------- */

static sg_err app_key_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_app_key *k = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO app_keys (id, app_id, name, secret_hash, created_at) "
                               "VALUES (?1, ?2, ?3, ?4, ?5)");
    if (st) {
        sq_bind_text(st, 1, k->id);
        sq_bind_text(st, 2, k->app_id);
        sq_bind_text(st, 3, k->name);
        sq_bind_text(st, 4, k->secret_hash);
        sqlite3_bind_int64(st, 5, k->created_at);
    }
    return sq_step_finalize(c, st, e, "creating the app's key");
}

static sg_err sq_app_key_insert(sg_store *s, const sg_app_key *k, sg_error *e)
{
    return sq_write_sync(s, app_key_insert_fn, (void *)k, e);
}

static void app_key_row(sqlite3_stmt *st, sg_app_key *k)
{
    memset(k, 0, sizeof *k);
    sq_col_copy(st, 0, k->id, sizeof k->id);
    sq_col_copy(st, 1, k->app_id, sizeof k->app_id);
    sq_col_copy(st, 2, k->name, sizeof k->name);
    sq_col_copy(st, 3, k->secret_hash, sizeof k->secret_hash);
    k->created_at = sqlite3_column_int64(st, 4);
}

/* Rows of sql (one text parameter) into *out: at most one when one is true. */
static sg_err app_keys_read(sg_store *s, const char *sql, const char *param, sg_app_key **out,
                            size_t *n)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = sq_prep_uncached(c, sql);
    int rc = st ? SQLITE_ROW : SQLITE_ERROR;
    size_t cap = 0;
    sg_err err = SG_OK;
    if (st)
        sq_bind_text(st, 1, param);
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            sg_app_key *grown = realloc(*out, cap * sizeof **out);
            if (!grown) {
                err = SG_ERR_NOMEM;
                break;
            }
            *out = grown;
        }
        app_key_row(st, &(*out)[(*n)++]);
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return err;
}

static sg_err sq_app_key_get(sg_store *s, const char *id, sg_app_key *out)
{
    sg_app_key *rows;
    size_t n;
    sg_err err = app_keys_read(s,
                               "SELECT id, app_id, name, secret_hash, created_at FROM app_keys "
                               "WHERE id = ?1",
                               id, &rows, &n);
    if (!err && n == 0)
        err = SG_ERR_NOT_FOUND;
    if (!err)
        *out = rows[0];
    free(rows);
    return err;
}

static sg_err sq_app_key_list(sg_store *s, const char *app_id, sg_app_key **out, size_t *n)
{
    return app_keys_read(s,
                         "SELECT id, app_id, name, '', created_at FROM app_keys "
                         "WHERE app_id = ?1 ORDER BY id",
                         app_id, out, n);
}

typedef struct key_del_arg {
    const char *app_id, *id;
} key_del_arg;

static sg_err app_key_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const key_del_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM app_keys WHERE id = ?1 AND app_id = ?2");
    if (st) {
        sq_bind_text(st, 1, a->id);
        sq_bind_text(st, 2, a->app_id);
    }
    sg_err err = sq_step_finalize(c, st, e, "revoking the app's key");
    if (!err && sqlite3_changes(c->db) == 0)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %.64s of this app", a->id);
    return err ? err : sq_keys_bump(c, e);
}

static sg_err sq_app_key_delete(sg_store *s, const char *app_id, const char *id, sg_error *e)
{
    key_del_arg a = {app_id, id};
    return sq_write_sync(s, app_key_delete_fn, &a, e);
}

const sg_store_apps_ops sq_apps_ops = {
    .app_insert = sq_app_insert,
    .app_get = sq_app_get,
    .app_list = sq_app_list,
    .app_update = sq_app_update,
    .app_delete = sq_app_delete,
    .app_numbers = sq_app_numbers,
    .app_message_owner = sq_app_message_owner,
    .app_message_ids = sq_app_message_ids,
    .app_message_forget = sq_app_message_forget,
    .app_callback_claim = sq_app_callback_claim,
    .app_callback_done = sq_app_callback_done,
    .app_key_insert = sq_app_key_insert,
    .app_key_get = sq_app_key_get,
    .app_key_list = sq_app_key_list,
    .app_key_delete = sq_app_key_delete,
};
