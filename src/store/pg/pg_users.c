/* The PostgreSQL backend, users, sessions, the sign-in throttle and the audit
 * log's writes and filtered reads. The same rules as
 * store/sqlite/sqlite_users.c: every change an administrator makes adds its
 * audit row in the same transaction. An email is unique whatever its case
 * (the users_email index is on lower(email)), so users are looked up by
 * lower(email) = lower($1). */
#include "core/signin.h"
#include "store/pg/pg_store.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS                                                                                  \
    "id, email, role, password_hash, created_at, updated_at, coalesce(last_sign_in_at, 0)"

static sg_err audit_insert(pg_conn *c, const sg_actor *by, const char *action, const char *subject,
                           const char *detail, sg_error *e)
{
    char at[24];
    const char *p[] = {pg_i64(at, by->at),
                       by->actor && *by->actor ? by->actor : "unknown",
                       action,
                       subject ? subject : "",
                       detail,
                       by->source ? by->source : ""};
    return pg_query(c,
                    "INSERT INTO audit_log (at, actor, action, subject, detail, source) "
                    "VALUES ($1::bigint, $2, $3, $4, $5, $6)",
                    6, p, NULL, e);
}

/* One statement whose effect is "did it change a row" (changed may be NULL). */
static sg_err change(pg_conn *c, const char *sql, int n, const char *const *p, bool *changed,
                     sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (!err) {
        if (changed)
            *changed = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    return err;
}

/* ---- users ------------------------------------------------------------------------ */

static void user_row(const PGresult *r, int i, sg_user *u)
{
    memset(u, 0, sizeof *u);
    pg_col_copy(r, i, 0, u->id, sizeof u->id);
    pg_col_copy(r, i, 1, u->email, sizeof u->email);
    pg_col_copy(r, i, 2, u->role, sizeof u->role);
    pg_col_copy(r, i, 3, u->password_hash, sizeof u->password_hash);
    u->created_at = pg_col_i64(r, i, 4);
    u->updated_at = pg_col_i64(r, i, 5);
    u->last_sign_in_at = pg_col_i64(r, i, 6);
}

/* The user id (or email, any case) on connection c; SG_ERR_NOT_FOUND. */
static sg_err user_read(pg_conn *c, const char *id_or_email, sg_user *out, sg_error *e)
{
    const char *p[] = {id_or_email};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT " USER_COLS " FROM users WHERE id = $1 OR "
                          "lower(email) = lower($1) LIMIT 1",
                          1, p, &r, e);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err)
        user_row(r, 0, out);
    PQclear(r);
    return err;
}

typedef struct user_insert_arg {
    const sg_user *u;
    const sg_actor *by;
} user_insert_arg;

static sg_err user_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    const user_insert_arg *a = arg;
    char at[24];
    const char *p[] = {a->u->id, a->u->email, a->u->role, a->u->password_hash,
                       pg_i64(at, a->u->created_at)};
    sg_err err = pg_query(c,
                          "INSERT INTO users (id, email, role, password_hash, created_at, "
                          "updated_at) VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint)",
                          5, p, NULL, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "email", "a user with the email '%s' exists",
                            a->u->email);
    if (err)
        return err;
    char detail[64];
    snprintf(detail, sizeof detail, "{\"role\":\"%s\"}", a->u->role);
    return audit_insert(c, a->by, "user.create", a->u->email, detail, e);
}

static sg_err pg_user_insert(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e)
{
    user_insert_arg a = {u, by};
    return pg_write(pg_of(s), user_insert_fn, &a, e);
}

static sg_err pg_user_get(sg_store *s, const char *id_or_email, sg_user *out)
{
    memset(out, 0, sizeof *out);
    pg_conn *c = pg_acquire(pg_of(s), NULL);
    if (!c)
        return SG_ERR_DB;
    sg_err err = user_read(c, id_or_email, out, NULL);
    pg_release(pg_of(s), c);
    return err;
}

static sg_err pg_user_list(sg_store *s, sg_user **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    PGresult *r;
    sg_err err = pg_read(pg_of(s), "SELECT " USER_COLS " FROM users ORDER BY created_at, id", 0,
                         NULL, &r, NULL);
    if (err)
        return err;
    size_t rows = (size_t)PQntuples(r);
    sg_user *u = calloc(rows ? rows : 1, sizeof *u);
    if (!u) {
        PQclear(r);
        return SG_ERR_NOMEM;
    }
    for (size_t i = 0; i < rows; i++) {
        user_row(r, (int)i, &u[i]);
        memset(u[i].password_hash, 0, sizeof u[i].password_hash);
    }
    PQclear(r);
    *out = u;
    *n = rows;
    return SG_OK;
}

/* SG_ERR_CONFLICT when user u is the only admin left (and so may not lose the
 * role or go). The admins are locked, so that two nodes demoting the last two
 * admins at once cannot both pass. */
static sg_err keep_an_admin(pg_conn *c, const sg_user *u, const char *field, sg_error *e)
{
    if (strcmp(u->role, "admin") != 0)
        return SG_OK;
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT id FROM users WHERE role = 'admin' FOR UPDATE", 0, NULL, &r, e);
    if (err)
        return sg_error_set(e, err, NULL, "cannot count the admins");
    int admins = PQntuples(r);
    PQclear(r);
    if (admins <= 1)
        return sg_error_set(e, SG_ERR_CONFLICT, field,
                            "%s is the last admin: make another user admin first", u->email);
    return SG_OK;
}

static sg_err sessions_of_user_delete(pg_conn *c, const char *user_id, sg_error *e)
{
    const char *p[] = {user_id};
    return pg_query(c, "DELETE FROM sessions WHERE user_id = $1", 1, p, NULL, e);
}

/* The error of a failed user_read of id: "no user ID" or a store failure. */
static sg_err user_missing(sg_error *e, sg_err err, const char *id)
{
    if (err == SG_ERR_NOT_FOUND)
        return sg_error_set(e, err, NULL, "no user %.64s", id);
    return sg_error_set(e, err, NULL, "cannot read the user: %s", sg_strerror(err));
}

typedef struct user_update_arg {
    const char *id;
    const sg_user_change *ch;
    const sg_actor *by;
    sg_user *out;
} user_update_arg;

static sg_err user_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    const user_update_arg *a = arg;
    sg_user u;
    sg_err err = user_read(c, a->id, &u, e);
    if (err)
        return user_missing(e, err, a->id);
    if (a->ch->role && strcmp(a->ch->role, "admin") != 0 && (err = keep_an_admin(c, &u, "role", e)))
        return err;
    char at[24];
    const char *p[] = {u.id, a->ch->role, a->ch->password_hash, pg_i64(at, a->by->at)};
    if ((err = pg_query(c,
                        "UPDATE users SET role = coalesce($2, role), password_hash = "
                        "coalesce($3, password_hash), updated_at = $4::bigint WHERE id = $1",
                        4, p, NULL, e)))
        return err;
    if (a->ch->password_hash && (err = sessions_of_user_delete(c, u.id, e)))
        return err;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"role\":%s%s%s,\"password_changed\":%s}",
             a->ch->role ? "\"" : "", a->ch->role ? a->ch->role : "null", a->ch->role ? "\"" : "",
             a->ch->password_hash ? "true" : "false");
    if ((err = audit_insert(c, a->by, "user.update", u.email, detail, e)))
        return err;
    if (a->out && (err = user_read(c, u.id, a->out, e)) == SG_OK)
        memset(a->out->password_hash, 0, sizeof a->out->password_hash);
    return err;
}

static sg_err pg_user_update(sg_store *s, const char *id, const sg_user_change *ch,
                             const sg_actor *by, sg_user *out, sg_error *e)
{
    user_update_arg a = {id, ch, by, out};
    return pg_write(pg_of(s), user_update_fn, &a, e);
}

typedef struct user_delete_arg {
    const char *id;
    const sg_actor *by;
} user_delete_arg;

static sg_err user_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const user_delete_arg *a = arg;
    sg_user u;
    sg_err err = user_read(c, a->id, &u, e);
    if (err)
        return user_missing(e, err, a->id);
    if ((err = keep_an_admin(c, &u, NULL, e)) || (err = sessions_of_user_delete(c, u.id, e)))
        return err;
    const char *p[] = {u.id};
    if ((err = pg_query(c, "DELETE FROM users WHERE id = $1", 1, p, NULL, e)))
        return err;
    return audit_insert(c, a->by, "user.remove", u.email, NULL, e);
}

static sg_err pg_user_delete(sg_store *s, const char *id, const sg_actor *by, sg_error *e)
{
    user_delete_arg a = {id, by};
    return pg_write(pg_of(s), user_delete_fn, &a, e);
}

/* ---- sessions --------------------------------------------------------------------- */

static sg_err session_delete_on(pg_conn *c, const char *id_hash, bool *gone, sg_error *e)
{
    const char *p[] = {id_hash};
    return change(c, "DELETE FROM sessions WHERE id_hash = $1", 1, p, gone, e);
}

static sg_err throttle_reset(pg_conn *c, const char *scope, const char *subject, sg_error *e)
{
    const char *p[] = {scope, subject};
    return pg_query(c, "DELETE FROM signin_throttle WHERE scope = $1 AND subject = $2", 2, p, NULL,
                    e);
}

static sg_err session_insert(pg_conn *c, const sg_session_new *n, sg_error *e)
{
    char at[24], exp[24];
    const char *p[] = {n->id_hash,
                       n->user_id,
                       n->csrf_token,
                       pg_i64(at, n->at),
                       pg_i64(exp, n->expires_at),
                       n->source ? n->source : ""};
    return pg_query(c,
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, "
                    "last_seen_at, expires_at, source) VALUES ($1, $2, $3, $4::bigint, $4::bigint, "
                    "$5::bigint, $6)",
                    6, p, NULL, e);
}

static sg_err sessions_sweep(pg_conn *c, const sg_session_new *n, sg_error *e)
{
    char at[24], idle[24];
    const char *p[] = {pg_i64(at, n->at), pg_i64(idle, n->idle_ms)};
    return pg_query(c,
                    "DELETE FROM sessions WHERE expires_at <= $1::bigint OR "
                    "last_seen_at <= $1::bigint - $2::bigint",
                    2, p, NULL, e);
}

static sg_err session_create_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_session_new *n = arg;
    char account[SG_EMAIL_MAX], at[24];
    sg_email_lower(n->email, account, sizeof account);
    sg_err err = sessions_sweep(c, n, e);
    if (!err && n->replaces_hash)
        err = session_delete_on(c, n->replaces_hash, NULL, e);
    if (!err)
        err = session_insert(c, n, e);
    if (!err)
        err = throttle_reset(c, "account", account, e);
    if (!err) {
        const char *p[] = {n->user_id, pg_i64(at, n->at)};
        err = pg_query(c, "UPDATE users SET last_sign_in_at = $2::bigint WHERE id = $1", 2, p, NULL,
                       e);
    }
    if (!err) {
        sg_actor by = {n->email, n->source, n->at};
        err = audit_insert(c, &by, "session.sign_in", n->email, NULL, e);
    }
    return err;
}

static sg_err pg_session_create(sg_store *s, const sg_session_new *n, sg_error *e)
{
    return pg_write(pg_of(s), session_create_fn, (void *)n, e);
}

static sg_err pg_session_get(sg_store *s, const char *id_hash, sg_session *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id_hash};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT s.user_id, u.email, u.role, s.csrf_token, s.created_at, "
                         "s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON "
                         "u.id = s.user_id WHERE s.id_hash = $1",
                         1, p, &r, NULL);
    if (err)
        return err;
    err = PQntuples(r) == 1 ? SG_OK : SG_ERR_NOT_FOUND;
    if (!err) {
        pg_col_copy(r, 0, 0, out->user_id, sizeof out->user_id);
        pg_col_copy(r, 0, 1, out->email, sizeof out->email);
        pg_col_copy(r, 0, 2, out->role, sizeof out->role);
        pg_col_copy(r, 0, 3, out->csrf_token, sizeof out->csrf_token);
        out->created_at = pg_col_i64(r, 0, 4);
        out->last_seen_at = pg_col_i64(r, 0, 5);
        out->expires_at = pg_col_i64(r, 0, 6);
    }
    PQclear(r);
    return err;
}

typedef struct touch_job {
    pg_job base;
    char id_hash[SG_CSRF_TOKEN_MAX];
    int64_t at;
} touch_job;

static sg_err touch_run(pg_conn *c, pg_job *j)
{
    touch_job *t = (touch_job *)j;
    char at[24];
    const char *p[] = {t->id_hash, pg_i64(at, t->at)};
    return pg_query(c,
                    "UPDATE sessions SET last_seen_at = $2::bigint WHERE id_hash = $1 AND "
                    "last_seen_at < $2::bigint",
                    2, p, NULL, &j->error);
}

static void touch_complete(pg_job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "session_touch_failed", "error=\"%s\"",
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

/* A queued write, as on SQLite: a console request never waits for it. */
static sg_err pg_session_touch(sg_store *s, const char *id_hash, int64_t at)
{
    touch_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = touch_run;
    t->base.complete = touch_complete;
    snprintf(t->id_hash, sizeof t->id_hash, "%s", id_hash);
    t->at = at;
    sg_err err = pg_submit(pg_of(s), &t->base);
    if (err)
        free(t);
    return err;
}

typedef struct session_delete_arg {
    const char *id_hash;
    const char *email;
    const sg_actor *by;
} session_delete_arg;

static sg_err session_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const session_delete_arg *a = arg;
    bool gone = false;
    sg_err err = session_delete_on(c, a->id_hash, &gone, e);
    if (err)
        return err;
    if (!gone)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such session");
    return a->by ? audit_insert(c, a->by, "session.sign_out", a->email, NULL, e) : SG_OK;
}

static sg_err pg_session_delete(sg_store *s, const char *id_hash, const char *email,
                                const sg_actor *by, sg_error *e)
{
    session_delete_arg a = {id_hash, email, by};
    return pg_write(pg_of(s), session_delete_fn, &a, e);
}

/* ---- sign-in throttle -------------------------------------------------------------- */

static sg_err pg_signin_wait(sg_store *s, const char *account, const char *address, int64_t now,
                             int64_t *wait_ms)
{
    *wait_ms = 0;
    const char *p[] = {account, address ? address : ""};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT coalesce(max(locked_until), 0) FROM signin_throttle "
                         "WHERE (scope = 'account' AND subject = $1) OR "
                         "(scope = 'address' AND subject = $2)",
                         2, p, &r, NULL);
    if (err)
        return err;
    sg_throttle_state t = {.locked_until = pg_col_i64(r, 0, 0)};
    PQclear(r);
    *wait_ms = sg_throttle_wait_ms(&t, now);
    return SG_OK;
}

/* Read (locked), count one failure into, and write back the counter (scope,
 * subject). The row is made first (all zero, as no row counts), so that the
 * lock holds for a new counter too: failures on two nodes at once are both
 * counted. */
static sg_err throttle_count(pg_conn *c, const char *scope, const char *subject,
                             const sg_throttle_rule *rule, int64_t now, sg_error *e)
{
    sg_throttle_state t = {0};
    const char *p[] = {scope, subject};
    PGresult *r;
    sg_err err = pg_query(c,
                          "INSERT INTO signin_throttle (scope, subject, failures, window_start, "
                          "locked_until) VALUES ($1, $2, 0, 0, 0) ON CONFLICT DO NOTHING",
                          2, p, NULL, e);
    if (!err)
        err = pg_query(c,
                       "SELECT failures, window_start, locked_until FROM signin_throttle "
                       "WHERE scope = $1 AND subject = $2 FOR UPDATE",
                       2, p, &r, e);
    if (err)
        return err;
    if (PQntuples(r) == 1) {
        t.failures = pg_col_i64(r, 0, 0);
        t.window_start = pg_col_i64(r, 0, 1);
        t.locked_until = pg_col_i64(r, 0, 2);
    }
    PQclear(r);
    sg_throttle_fail(rule, &t, now);
    char failures[24], start[24], until[24];
    const char *pw[] = {scope, subject, pg_i64(failures, t.failures), pg_i64(start, t.window_start),
                        pg_i64(until, t.locked_until)};
    return pg_query(c,
                    "INSERT INTO signin_throttle (scope, subject, failures, window_start, "
                    "locked_until) VALUES ($1, $2, $3::integer, $4::bigint, $5::bigint) "
                    "ON CONFLICT (scope, subject) DO UPDATE SET failures = excluded.failures, "
                    "window_start = excluded.window_start, locked_until = excluded.locked_until",
                    5, pw, NULL, e);
}

/* Counters whose window and lock are both over count nothing any more: drop
 * them, so that guessed emails do not pile up. */
static sg_err throttle_sweep(pg_conn *c, int64_t now, sg_error *e)
{
    int64_t longest = sg_throttle_account.window_ms > sg_throttle_address.window_ms
                          ? sg_throttle_account.window_ms
                          : sg_throttle_address.window_ms;
    char at[24], window[24];
    const char *p[] = {pg_i64(at, now), pg_i64(window, longest)};
    return pg_query(c,
                    "DELETE FROM signin_throttle WHERE locked_until <= $1::bigint AND "
                    "window_start <= $1::bigint - $2::bigint",
                    2, p, NULL, e);
}

typedef struct signin_failed_arg {
    const char *account;
    const char *address;
    int64_t now;
} signin_failed_arg;

static sg_err signin_failed_fn(pg_conn *c, void *arg, sg_error *e)
{
    const signin_failed_arg *a = arg;
    sg_err err = throttle_sweep(c, a->now, e);
    if (!err)
        err = throttle_count(c, "account", a->account, &sg_throttle_account, a->now, e);
    if (!err && a->address[0])
        err = throttle_count(c, "address", a->address, &sg_throttle_address, a->now, e);
    if (!err) {
        sg_actor by = {a->account, a->address, a->now};
        err = audit_insert(c, &by, "session.sign_in_failed", a->account, NULL, e);
    }
    return err;
}

static sg_err pg_signin_failed(sg_store *s, const char *account, const char *address, int64_t now,
                               sg_error *e)
{
    signin_failed_arg a = {account, address ? address : "", now};
    return pg_write(pg_of(s), signin_failed_fn, &a, e);
}

/* ---- audit ----------------------------------------------------------------------- */

typedef struct audit_add_arg {
    const sg_actor *by;
    const char *action, *subject, *detail;
} audit_add_arg;

static sg_err audit_add_fn(pg_conn *c, void *arg, sg_error *e)
{
    const audit_add_arg *a = arg;
    return audit_insert(c, a->by, a->action, a->subject, a->detail, e);
}

static sg_err pg_audit_add(sg_store *s, const sg_actor *by, const char *action, const char *subject,
                           const char *detail, sg_error *e)
{
    audit_add_arg a = {by, action, subject, detail};
    return pg_write(pg_of(s), audit_add_fn, &a, e);
}

static sg_err pg_audit_query(sg_store *s, const sg_audit_filter *f, size_t limit, sg_audit **out,
                             size_t *n)
{
    *out = NULL;
    *n = 0;
    if (limit == 0 || limit > 1000)
        limit = 1000;
    char since[24], before[24], lim[24];
    const char *p[] = {f->actor, f->action, pg_i64(since, f->since), pg_i64(before, f->before_id),
                       pg_i64(lim, (int64_t)limit)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT id, at, actor, action, subject, detail, source FROM audit_log "
                         "WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR "
                         "action = $2) AND at >= $3::bigint AND ($4::bigint = 0 OR "
                         "id < $4::bigint) ORDER BY id DESC LIMIT $5::bigint",
                         5, p, &r, NULL);
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
        pg_col_copy(r, (int)i, 6, a[i].source, sizeof a[i].source);
    }
    PQclear(r);
    *out = a;
    *n = rows;
    return SG_OK;
}

const sg_store_users_ops pg_users_ops = {
    .user_insert = pg_user_insert,
    .user_get = pg_user_get,
    .user_list = pg_user_list,
    .user_update = pg_user_update,
    .user_delete = pg_user_delete,
    .session_create = pg_session_create,
    .session_get = pg_session_get,
    .session_touch = pg_session_touch,
    .session_delete = pg_session_delete,
    .signin_wait = pg_signin_wait,
    .signin_failed = pg_signin_failed,
    .audit_add = pg_audit_add,
    .audit_query = pg_audit_query,
};
