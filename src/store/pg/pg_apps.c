/* The PostgreSQL backend, app accounts (store.h; the apps block of
 * store/backend.h): the applications that send through the compatible
 * endpoints, which app sent which message, the Twilio-format callbacks owed to
 * them, and their API keys. The same rules as store/sqlite/sqlite_apps.c. A
 * message of an app is tagged inside the message's insert (pg_app_message_tag),
 * and its status callbacks are queued inside the status change that causes them
 * (pg_app_status_callback), so none is lost. Callbacks are claimed by any node:
 * FOR UPDATE SKIP LOCKED in one short transaction that moves their next attempt
 * past a lease, so two nodes never take the same callback. */
#include "store/pg/pg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APP_COLS                                                                                   \
    "id, name, role, token_sealed, token_hash, provider_id, status_callback, inbound_url, "        \
    "inbound_method, countries, daily_quota, created_at, updated_at, token_rotated_at, "            \
    "callback_method"
#define SQL_KEYS_BUMP "UPDATE meta SET value = value + 1 WHERE key = 'keys_generation'"

static void app_row(const PGresult *r, int i, sg_app_account *a)
{
    memset(a, 0, sizeof *a);
    pg_col_copy(r, i, 0, a->id, sizeof a->id);
    pg_col_copy(r, i, 1, a->name, sizeof a->name);
    pg_col_copy(r, i, 2, a->role, sizeof a->role);
    pg_col_copy(r, i, 3, a->token_sealed, sizeof a->token_sealed);
    pg_col_copy(r, i, 4, a->token_hash, sizeof a->token_hash);
    pg_col_copy(r, i, 5, a->provider_id, sizeof a->provider_id);
    pg_col_copy(r, i, 6, a->status_callback, sizeof a->status_callback);
    pg_col_copy(r, i, 7, a->inbound_url, sizeof a->inbound_url);
    pg_col_copy(r, i, 8, a->inbound_method, sizeof a->inbound_method);
    pg_col_copy(r, i, 9, a->countries, sizeof a->countries);
    a->daily_quota = pg_col_i64(r, i, 10);
    a->created_at = pg_col_i64(r, i, 11);
    a->updated_at = pg_col_i64(r, i, 12);
    a->token_rotated_at = pg_col_i64(r, i, 13);
    pg_col_copy(r, i, 14, a->callback_method, sizeof a->callback_method);
}

/* Run sql with every column of a as $1..$15 in APP_COLS order; *changed whether
 * it touched a row. The name taken is SG_ERR_CONFLICT on field "name". */
static sg_err app_write(pg_conn *c, const char *sql, const sg_app_account *a, bool *changed,
                        sg_error *e)
{
    char quota[24], created[24], updated[24], rotated[24];
    const char *p[] = {a->id,
                       a->name,
                       a->role,
                       a->token_sealed,
                       a->token_hash,
                       a->provider_id,
                       a->status_callback,
                       a->inbound_url,
                       a->inbound_method[0] ? a->inbound_method : "POST",
                       a->countries,
                       pg_i64(quota, a->daily_quota),
                       pg_i64(created, a->created_at),
                       pg_i64(updated, a->updated_at),
                       pg_i64(rotated, a->token_rotated_at),
                       a->callback_method[0] ? a->callback_method : "POST"};
    PGresult *r;
    sg_err err = pg_query(c, sql, 15, p, &r, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "name", "an app named '%s' exists", a->name);
    if (err)
        return err;
    *changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return SG_OK;
}

/* SG_ERR_CONFLICT (field "numbers") when one of a's numbers is another app's. */
static sg_err numbers_free(pg_conn *c, const sg_app_account *a, sg_error *e)
{
    for (size_t i = 0; i < a->n_numbers; i++) {
        const char *p[] = {a->numbers[i], a->id};
        PGresult *r;
        sg_err err = pg_query(
            c, "SELECT app_id FROM app_numbers WHERE number = $1 AND app_id <> $2", 2, p, &r, e);
        if (err)
            return err;
        if (PQntuples(r) > 0)
            err = sg_error_set(e, SG_ERR_CONFLICT, "numbers", "%s belongs to app %s", a->numbers[i],
                               PQgetvalue(r, 0, 0));
        PQclear(r);
        if (err)
            return err;
    }
    return SG_OK;
}

/* Replace app a's numbers with a->numbers when a->numbers_set. */
static sg_err numbers_write(pg_conn *c, const sg_app_account *a, sg_error *e)
{
    if (!a->numbers_set)
        return SG_OK;
    sg_err err = numbers_free(c, a, e);
    const char *id[] = {a->id};
    if (!err)
        err = pg_query(c, "DELETE FROM app_numbers WHERE app_id = $1", 1, id, NULL, e);
    for (size_t i = 0; !err && i < a->n_numbers; i++) {
        const char *p[] = {a->numbers[i], a->id};
        err = pg_query(c,
                       "INSERT INTO app_numbers (number, app_id) VALUES ($1, $2) "
                       "ON CONFLICT DO NOTHING",
                       2, p, NULL, e);
    }
    return err;
}

static sg_err app_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    bool changed;
    sg_err err = app_write(c,
                           "INSERT INTO apps (" APP_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
                           "$8, $9, $10, $11::bigint, $12::bigint, $13::bigint, $14::bigint, $15)",
                           arg, &changed, e);
    return err ? err : numbers_write(c, arg, e);
}

static sg_err pg_app_insert(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return pg_write(pg_of(s), app_insert_fn, (void *)a, e);
}

static sg_err pg_app_get(sg_store *s, const char *id_or_name, sg_app_account *out)
{
    const char *p[] = {id_or_name};
    PGresult *r;
    sg_err err =
        pg_read(pg_of(s), "SELECT " APP_COLS " FROM apps WHERE id = $1 OR name = $1 LIMIT 1", 1, p,
                &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        app_row(r, 0, out);
    PQclear(r);
    return err;
}

static sg_err pg_app_list(sg_store *s, sg_app_account **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT " APP_COLS " FROM apps ORDER BY created_at, id", 0, NULL,
                         &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++)
        app_row(r, i, &(*out)[i]);
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static sg_err app_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_app_account *a = arg;
    bool changed = false;
    sg_err err = app_write(c,
                           "UPDATE apps SET name = $2, role = $3, token_sealed = $4, "
                           "token_hash = $5, provider_id = $6, status_callback = $7, "
                           "inbound_url = $8, inbound_method = $9, countries = $10, "
                           "daily_quota = $11::bigint, created_at = $12::bigint, "
                           "updated_at = $13::bigint, token_rotated_at = $14::bigint, "
                           "callback_method = $15 WHERE id = $1",
                           a, &changed, e);
    if (!err && !changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no app %.64s", a->id);
    if (!err)
        err = numbers_write(c, a, e);
    /* nodes caching the app read it again */
    return err ? err : pg_query(c, SQL_KEYS_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_app_update(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return pg_write(pg_of(s), app_update_fn, (void *)a, e);
}

static sg_err app_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    PGresult *r;
    sg_err err = pg_query(c, "DELETE FROM apps WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no app %.64s", (const char *)arg);
    if ((err = pg_query(c, "DELETE FROM app_keys WHERE app_id = $1", 1, p, NULL, e)))
        return err;
    if ((err = pg_query(c, "DELETE FROM app_numbers WHERE app_id = $1", 1, p, NULL, e)))
        return err;
    return pg_query(c, SQL_KEYS_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_app_numbers(sg_store *s, sg_app_account *a)
{
    const char *p[] = {a->id};
    PGresult *r;
    a->n_numbers = 0;
    sg_err err = pg_read(pg_of(s),
                         "SELECT number FROM app_numbers WHERE app_id = $1 ORDER BY number", 1, p,
                         &r, NULL);
    if (err)
        return err;
    for (int i = 0; i < PQntuples(r) && a->n_numbers < SG_APP_NUMBERS_MAX; i++)
        pg_col_copy(r, i, 0, a->numbers[a->n_numbers++], SG_PHONE_MAX);
    PQclear(r);
    return SG_OK;
}

static sg_err pg_app_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), app_delete_fn, (void *)id, e);
}

/* ---- the messages of apps ------------------------------------------------------------ */

sg_err pg_app_message_tag(pg_conn *c, const sg_message *m, sg_error *e)
{
    char level[8];
    snprintf(level, sizeof level, "%u", m->app_ck ? (unsigned)m->app_ck_level : 7u);
    const char *p[] = {m->id, m->app_id, m->app_status_callback ? m->app_status_callback : "",
                       m->app_ck ? "ck" : "tw", level};
    return pg_query(c,
                    "INSERT INTO app_messages (message_id, app_id, status_callback, "
                    "callback_format, callback_level) VALUES ($1, $2, $3, $4, $5::integer)",
                    5, p, NULL, e);
}

static sg_err pg_app_message_owner(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                   char status_callback[512])
{
    app_id[0] = status_callback[0] = '\0';
    const char *p[] = {message_id};
    PGresult *r;
    sg_err err =
        pg_read(pg_of(s), "SELECT app_id, status_callback FROM app_messages WHERE message_id = $1",
                1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err) {
        pg_col_copy(r, 0, 0, app_id, SG_ID_MAX);
        pg_col_copy(r, 0, 1, status_callback, 512);
    }
    PQclear(r);
    return err;
}

/* The list query for f: every filter a fixed fragment, its value a parameter
 * numbered in the order the fragments are added. */
static void ids_query(const sg_app_message_filter *f, char *sql, size_t cap, const char **p,
                      int *np, char from[24], char until[24], char limit[24])
{
    int n = 0;
    size_t len = (size_t)snprintf(sql, cap,
                                  "SELECT a.message_id FROM app_messages a JOIN messages m "
                                  "ON m.id = a.message_id WHERE a.app_id = $%d",
                                  ++n);
    p[n - 1] = f->app_id;
    if (f->to) {
        len += (size_t)snprintf(sql + len, cap - len, " AND m.to_number = $%d", ++n);
        p[n - 1] = f->to;
    }
    if (f->from) {
        len += (size_t)snprintf(sql + len, cap - len, " AND m.from_number = $%d", ++n);
        p[n - 1] = f->from;
    }
    if (f->created_from > 0) {
        len += (size_t)snprintf(sql + len, cap - len, " AND m.created_at >= $%d::bigint", ++n);
        p[n - 1] = pg_i64(from, f->created_from);
    }
    if (f->created_until > 0) {
        len += (size_t)snprintf(sql + len, cap - len, " AND m.created_at < $%d::bigint", ++n);
        p[n - 1] = pg_i64(until, f->created_until);
    }
    if (f->before_id) {
        len += (size_t)snprintf(sql + len, cap - len, " AND a.message_id < $%d", ++n);
        p[n - 1] = f->before_id;
    }
    snprintf(sql + len, cap - len, " ORDER BY a.message_id DESC LIMIT $%d::bigint", ++n);
    p[n - 1] = pg_i64(limit, (int64_t)f->limit + 1);
    *np = n;
}

static sg_err pg_app_message_ids(sg_store *s, const sg_app_message_filter *f,
                                 char (**ids)[SG_ID_MAX], size_t *n, bool *has_more)
{
    *ids = NULL;
    *n = 0;
    *has_more = false;
    char sql[640], from[24], until[24], limit[24];
    const char *p[7];
    int np;
    ids_query(f, sql, sizeof sql, p, &np, from, until, limit);
    PGresult *r;
    sg_err err = pg_read(pg_of(s), sql, np, p, &r, NULL);
    if (err)
        return err;
    size_t count = (size_t)PQntuples(r);
    char(*out)[SG_ID_MAX] = calloc(count ? count : 1, sizeof *out);
    if (!out) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < count; i++)
        pg_col_copy(r, (int)i, 0, out[i], SG_ID_MAX);
    PQclear(r);
    *has_more = count > f->limit;
    *n = *has_more ? f->limit : count;
    *ids = out;
    return SG_OK;
}

typedef struct forget_arg {
    const char *app_id, *message_id;
} forget_arg;

static sg_err forget_fn(pg_conn *c, void *arg, sg_error *e)
{
    const forget_arg *a = arg;
    const char *p[] = {a->message_id, a->app_id};
    PGresult *r;
    sg_err err =
        pg_query(c, "DELETE FROM app_messages WHERE message_id = $1 AND app_id = $2", 2, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no message %.64s", a->message_id);
    return pg_query(c, "UPDATE messages SET body = '', metadata = NULL WHERE id = $1", 1, p, NULL,
                    e);
}

static sg_err pg_app_message_forget(sg_store *s, const char *app_id, const char *message_id,
                                    sg_error *e)
{
    forget_arg a = {app_id, message_id};
    return pg_write(pg_of(s), forget_fn, &a, e);
}

/* ---- Twilio-format callbacks ------------------------------------------------------------ */

sg_err pg_app_status_callback(pg_conn *c, const char *id, int64_t at, sg_error *e)
{
    char t[24];
    const char *p[] = {id, pg_i64(t, at)};
    return pg_query(
        c,
        "INSERT INTO app_callbacks (method, format, level, app_id, message_id, url, status, "
        "error_code, to_number, from_number, next_attempt_at, created_at) "
        "SELECT p.callback_method, a.callback_format, a.callback_level, a.app_id, a.message_id, "
        "CASE WHEN a.status_callback <> '' THEN a.status_callback ELSE p.status_callback END, "
        "m.status, m.error_code, m.to_number, m.from_number, $2::bigint, $2::bigint "
        "FROM app_messages a JOIN apps p ON p.id = a.app_id JOIN messages m ON m.id = a.message_id "
        "WHERE a.message_id = $1 AND (a.status_callback <> '' OR p.status_callback <> '') "
        "AND a.callback_level <> 0",
        2, p, NULL, e);
}

/* Once: to the app whose message it answers, else (in Twilio's format) to the
 * app owning its number (docs/compat.md). */
sg_err pg_app_inbound(pg_conn *c, const sg_message *m, sg_error *e)
{
    char t[24];
    const char *p[] = {m->id, m->to, m->from, pg_i64(t, m->created_at)};
    PGresult *r;
    sg_err err = pg_query(c,
                    "INSERT INTO app_callbacks (kind, method, format, app_id, message_id, url, "
                    "status, to_number, from_number, next_attempt_at, created_at) "
                    "SELECT 'inbound', p.inbound_method, a.callback_format, p.id, $1, "
                    "p.inbound_url, 'received', $2, $3, $4::bigint, $4::bigint "
                    "FROM (SELECT id FROM messages WHERE to_number = $3 AND direction = 'outbound' "
                    "ORDER BY id DESC LIMIT 1) o JOIN app_messages a ON a.message_id = o.id "
                    "JOIN apps p ON p.id = a.app_id WHERE p.inbound_url <> ''",
                    4, p, &r, e);
    if (err)
        return err;
    bool queued = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (queued)
        return SG_OK;
    return pg_query(c,
                    "INSERT INTO app_callbacks (kind, method, format, app_id, message_id, url, "
                    "status, to_number, from_number, next_attempt_at, created_at) "
                    "SELECT 'inbound', p.inbound_method, 'tw', p.id, $1, p.inbound_url, "
                    "'received', $2, $3, $4::bigint, $4::bigint "
                    "FROM app_numbers n JOIN apps p ON p.id = n.app_id "
                    "WHERE n.number = $2 AND p.inbound_url <> ''",
                    4, p, NULL, e);
}

static void cb_row(const PGresult *r, int i, sg_app_callback *cb)
{
    memset(cb, 0, sizeof *cb);
    cb->id = (long long)pg_col_i64(r, i, 0);
    pg_col_copy(r, i, 1, cb->app_id, sizeof cb->app_id);
    pg_col_copy(r, i, 2, cb->message_id, sizeof cb->message_id);
    pg_col_copy(r, i, 3, cb->url, sizeof cb->url);
    pg_col_copy(r, i, 4, cb->status, sizeof cb->status);
    pg_col_copy(r, i, 5, cb->error_code, sizeof cb->error_code);
    pg_col_copy(r, i, 6, cb->to, sizeof cb->to);
    pg_col_copy(r, i, 7, cb->from, sizeof cb->from);
    cb->attempts = (unsigned)pg_col_i64(r, i, 8);
    pg_col_copy(r, i, 9, cb->kind, sizeof cb->kind);
    pg_col_copy(r, i, 10, cb->method, sizeof cb->method);
    pg_col_copy(r, i, 11, cb->format, sizeof cb->format);
    cb->level = (unsigned)pg_col_i64(r, i, 12);
    cb->at = pg_col_i64(r, i, 13);
}

typedef struct cb_claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    sg_app_callback *rows;
    size_t n;
} cb_claim_arg;

static sg_err cb_claim_fn(pg_conn *c, void *arg, sg_error *e)
{
    cb_claim_arg *a = arg;
    char now[24], until[24], lim[24];
    const char *p[] = {pg_i64(now, a->now), pg_i64(until, a->now + a->lease_ms),
                       pg_i64(lim, (int64_t)a->limit)};
    PGresult *r;
    /* rows another node is claiming are passed over, not waited for */
    sg_err err = pg_query(c,
                          "UPDATE app_callbacks SET next_attempt_at = $2::bigint WHERE id IN ("
                          "SELECT id FROM app_callbacks WHERE state = 'pending' AND "
                          "next_attempt_at <= $1::bigint ORDER BY next_attempt_at, id "
                          "LIMIT $3::bigint FOR UPDATE SKIP LOCKED) "
                          "RETURNING id, app_id, message_id, url, status, error_code, "
                          "to_number, from_number, attempts, kind, method, format, level, "
                          "created_at",
                          3, p, &r, e);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(a->rows = calloc((size_t)rows, sizeof *a->rows))) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++)
        cb_row(r, i, &a->rows[i]);
    a->n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static int cb_cmp(const void *x, const void *y)
{
    const sg_app_callback *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static sg_err pg_app_callback_claim(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                    sg_app_callback **out, size_t *n)
{
    cb_claim_arg a = {.now = now, .lease_ms = lease_ms, .limit = limit};
    sg_err err = limit ? pg_write(pg_of(s), cb_claim_fn, &a, NULL) : SG_OK;
    /* RETURNING has no order: ids grow with time, so id order is the queue's */
    if (!err && a.n > 1)
        qsort(a.rows, a.n, sizeof *a.rows, cb_cmp);
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

static sg_err cb_done_fn(pg_conn *c, void *arg, sg_error *e)
{
    const cb_done_arg *a = arg;
    char id[24], next[24], attempts[24], status[24];
    const char *p[] = {pg_i64(id, a->id),
                       a->delivered ? "delivered"
                       : a->next    ? "pending"
                                    : "dead",
                       pg_i64(next, a->next ? a->next : a->at),
                       pg_i64(attempts, a->attempts),
                       pg_i64(status, a->http_status),
                       a->error ? a->error : ""};
    return pg_query(c,
                    "UPDATE app_callbacks SET state = $2, next_attempt_at = $3::bigint, "
                    "attempts = $4::integer, last_status = $5::integer, last_error = $6 "
                    "WHERE id = $1::bigint",
                    6, p, NULL, e);
}

static sg_err pg_app_callback_done(sg_store *s, long long id, bool delivered,
                                   int64_t next_attempt_at, unsigned attempts, int http_status,
                                   const char *error, int64_t at, sg_error *e)
{
    cb_done_arg a = {id,          delivered, delivered ? 0 : next_attempt_at, at, attempts,
                     http_status, error};
    return pg_write(pg_of(s), cb_done_fn, &a, e);
}

/* ---- API keys of apps ------------------------------------------------------------------ */

static sg_err app_key_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_app_key *k = arg;
    char created[24];
    const char *p[] = {k->id, k->app_id, k->name, k->secret_hash, pg_i64(created, k->created_at)};
    return pg_query(c,
                    "INSERT INTO app_keys (id, app_id, name, secret_hash, created_at) "
                    "VALUES ($1, $2, $3, $4, $5::bigint)",
                    5, p, NULL, e);
}

static sg_err pg_app_key_insert(sg_store *s, const sg_app_key *k, sg_error *e)
{
    return pg_write(pg_of(s), app_key_insert_fn, (void *)k, e);
}

/* Rows of sql (one text parameter) into *out, malloc'd. */
static sg_err app_keys_read(sg_store *s, const char *sql, const char *param, sg_app_key **out,
                            size_t *n)
{
    *out = NULL;
    *n = 0;
    const char *p[] = {param};
    PGresult *r;
    sg_err err = pg_read(pg_of(s), sql, 1, p, &r, NULL);
    if (err)
        return err;
    int rows = PQntuples(r);
    if (rows > 0 && !(*out = calloc((size_t)rows, sizeof **out))) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (int i = 0; i < rows; i++) {
        sg_app_key *k = &(*out)[i];
        pg_col_copy(r, i, 0, k->id, sizeof k->id);
        pg_col_copy(r, i, 1, k->app_id, sizeof k->app_id);
        pg_col_copy(r, i, 2, k->name, sizeof k->name);
        pg_col_copy(r, i, 3, k->secret_hash, sizeof k->secret_hash);
        k->created_at = pg_col_i64(r, i, 4);
    }
    *n = (size_t)rows;
    PQclear(r);
    return SG_OK;
}

static sg_err pg_app_key_get(sg_store *s, const char *id, sg_app_key *out)
{
    sg_app_key *rows;
    size_t n;
    sg_err err = app_keys_read(s,
                               "SELECT id, app_id, name, secret_hash, created_at FROM app_keys "
                               "WHERE id = $1",
                               id, &rows, &n);
    if (!err && n == 0)
        err = SG_ERR_NOT_FOUND;
    if (!err)
        *out = rows[0];
    free(rows);
    return err;
}

static sg_err pg_app_key_list(sg_store *s, const char *app_id, sg_app_key **out, size_t *n)
{
    return app_keys_read(s,
                         "SELECT id, app_id, name, '', created_at FROM app_keys "
                         "WHERE app_id = $1 ORDER BY id",
                         app_id, out, n);
}

typedef struct key_del_arg {
    const char *app_id, *id;
} key_del_arg;

static sg_err app_key_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const key_del_arg *a = arg;
    const char *p[] = {a->id, a->app_id};
    PGresult *r;
    sg_err err = pg_query(c, "DELETE FROM app_keys WHERE id = $1 AND app_id = $2", 2, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!changed)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no key %.64s of this app", a->id);
    return pg_query(c, SQL_KEYS_BUMP, 0, NULL, NULL, e);
}

static sg_err pg_app_key_delete(sg_store *s, const char *app_id, const char *id, sg_error *e)
{
    key_del_arg a = {app_id, id};
    return pg_write(pg_of(s), app_key_delete_fn, &a, e);
}

const sg_store_apps_ops pg_apps_ops = {
    .app_insert = pg_app_insert,
    .app_get = pg_app_get,
    .app_list = pg_app_list,
    .app_update = pg_app_update,
    .app_delete = pg_app_delete,
    .app_numbers = pg_app_numbers,
    .app_message_owner = pg_app_message_owner,
    .app_message_ids = pg_app_message_ids,
    .app_message_forget = pg_app_message_forget,
    .app_callback_claim = pg_app_callback_claim,
    .app_callback_done = pg_app_callback_done,
    .app_key_insert = pg_app_key_insert,
    .app_key_get = pg_app_key_get,
    .app_key_list = pg_app_key_list,
    .app_key_delete = pg_app_key_delete,
};
