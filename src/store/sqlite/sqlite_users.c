/* Users, sessions, the sign-in throttle and the audit log's writes and filtered
 * reads (store.h). Every change that an administrator makes here adds its audit
 * row in the same transaction, so the log cannot miss a change that committed.
 *
 * These statements run a few times per sign-in or per console request, so they
 * are prepared per call (sqlite3_prepare_v2) rather than cached in the shared
 * statement slots. */
#include "core/signin.h"
#include "store/sqlite/sqlite_internal.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER_COLS                                                                                  \
    "id, email, role, password_hash, created_at, updated_at, coalesce(last_sign_in_at, 0)"

static sg_err audit_insert(conn *c, const sg_actor *by, const char *action, const char *subject,
                           const char *detail, sg_error *e)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO audit_log (at, actor, action, subject, detail, source) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st) {
        sqlite3_bind_int64(st, 1, by->at);
        sq_bind_text(st, 2, by->actor && *by->actor ? by->actor : "unknown");
        sq_bind_text(st, 3, action);
        sq_bind_text(st, 4, subject ? subject : "");
        sq_bind_text(st, 5, detail);
        sq_bind_text(st, 6, by->source ? by->source : "");
    }
    return sq_step_finalize(c, st, e, "writing the audit log");
}

/* ---- users ------------------------------------------------------------------------ */

static void user_row(sqlite3_stmt *st, sg_user *u)
{
    sq_col_copy(st, 0, u->id, sizeof u->id);
    sq_col_copy(st, 1, u->email, sizeof u->email);
    sq_col_copy(st, 2, u->role, sizeof u->role);
    sq_col_copy(st, 3, u->password_hash, sizeof u->password_hash);
    u->created_at = sqlite3_column_int64(st, 4);
    u->updated_at = sqlite3_column_int64(st, 5);
    u->last_sign_in_at = sqlite3_column_int64(st, 6);
}

/* The user id (or email) on connection c. */
static sg_err user_read(conn *c, const char *id_or_email, sg_user *out)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT " USER_COLS " FROM users WHERE id = ?1 OR email = ?1");
    if (!st)
        return SG_ERR_DB;
    sq_bind_text(st, 1, id_or_email);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        user_row(st, out);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return SG_OK;
    return rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
}

typedef struct user_insert_arg {
    const sg_user *u;
    const sg_actor *by;
} user_insert_arg;

static sg_err user_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const user_insert_arg *a = arg;
    sqlite3_stmt *st = sq_prep_uncached(c, "INSERT INTO users (id, email, role, password_hash, created_at, "
                               "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
    if (st) {
        sq_bind_text(st, 1, a->u->id);
        sq_bind_text(st, 2, a->u->email);
        sq_bind_text(st, 3, a->u->role);
        sq_bind_text(st, 4, a->u->password_hash);
        sqlite3_bind_int64(st, 5, a->u->created_at);
    }
    sg_err err = sq_step_finalize(c, st, e, "creating the user");
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, SG_ERR_CONFLICT, "email", "a user with the email '%s' exists",
                            a->u->email);
    if (err)
        return err;
    char detail[64];
    snprintf(detail, sizeof detail, "{\"role\":\"%s\"}", a->u->role);
    return audit_insert(c, a->by, "user.create", a->u->email, detail, e);
}

static sg_err sq_user_insert(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e)
{
    user_insert_arg a = {u, by};
    return sq_write_sync(s, user_insert_fn, &a, e);
}

static sg_err sq_user_get(sg_store *s, const char *id_or_email, sg_user *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = user_read(c, id_or_email, out);
    sq_reader_release(s, c);
    return err;
}

static void user_list_row(sqlite3_stmt *st, void *out)
{
    sg_user *u = out;
    user_row(st, u);
    memset(u->password_hash, 0, sizeof u->password_hash);
}

static sg_err sq_user_list(sg_store *s, sg_user **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT " USER_COLS " FROM users ORDER BY created_at, id");
    sg_err err = st ? SG_OK : SG_ERR_DB;
    size_t count = 0, cap = 0;
    sg_user *rows = NULL;
    int rc = SQLITE_DONE;
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            sg_user *grown = realloc(rows, ncap * sizeof *rows);
            if (!grown) {
                err = SG_ERR_NOMEM;
                break;
            }
            rows = grown;
            cap = ncap;
        }
        memset(&rows[count], 0, sizeof rows[count]);
        user_list_row(st, &rows[count++]);
    }
    if (!err && rc != SQLITE_DONE)
        err = sq_map_rc(rc);
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    if (err) {
        free(rows);
        return err;
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

/* How many admins there are, on c. */
static sg_err admin_count(conn *c, int64_t *n)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT count(*) FROM users WHERE role = 'admin'");
    if (!st)
        return SG_ERR_DB;
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SG_OK : sq_map_rc(rc);
}

/* SG_ERR_CONFLICT when user u is the only admin left (and so may not lose the
 * role or go). */
static sg_err keep_an_admin(conn *c, const sg_user *u, const char *field, sg_error *e)
{
    if (strcmp(u->role, "admin") != 0)
        return SG_OK;
    int64_t admins = 0;
    sg_err err = admin_count(c, &admins);
    if (err)
        return sg_error_set(e, err, NULL, "cannot count the admins");
    if (admins <= 1)
        return sg_error_set(e, SG_ERR_CONFLICT, field,
                            "%s is the last admin: make another user admin first", u->email);
    return SG_OK;
}

static sg_err sessions_of_user_delete(conn *c, const char *user_id, sg_error *e)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM sessions WHERE user_id = ?1");
    if (st)
        sq_bind_text(st, 1, user_id);
    return sq_step_finalize(c, st, e, "ending the user's sessions");
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

static sg_err user_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const user_update_arg *a = arg;
    sg_user u;
    sg_err err = user_read(c, a->id, &u);
    if (err)
        return user_missing(e, err, a->id);
    if (a->ch->role && strcmp(a->ch->role, "admin") != 0 && (err = keep_an_admin(c, &u, "role", e)))
        return err;
    sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE users SET role = coalesce(?2, role), password_hash = "
                               "coalesce(?3, password_hash), updated_at = ?4 WHERE id = ?1");
    if (st) {
        sq_bind_text(st, 1, u.id);
        sq_bind_text(st, 2, a->ch->role);
        sq_bind_text(st, 3, a->ch->password_hash);
        sqlite3_bind_int64(st, 4, a->by->at);
    }
    if ((err = sq_step_finalize(c, st, e, "changing the user")))
        return err;
    if (a->ch->password_hash && (err = sessions_of_user_delete(c, u.id, e)))
        return err;
    char detail[96];
    snprintf(detail, sizeof detail, "{\"role\":%s%s%s,\"password_changed\":%s}",
             a->ch->role ? "\"" : "", a->ch->role ? a->ch->role : "null", a->ch->role ? "\"" : "",
             a->ch->password_hash ? "true" : "false");
    if ((err = audit_insert(c, a->by, "user.update", u.email, detail, e)))
        return err;
    if (a->out && (err = user_read(c, u.id, a->out)) == SG_OK)
        memset(a->out->password_hash, 0, sizeof a->out->password_hash);
    return err;
}

static sg_err sq_user_update(sg_store *s, const char *id, const sg_user_change *ch,
                             const sg_actor *by, sg_user *out, sg_error *e)
{
    user_update_arg a = {id, ch, by, out};
    return sq_write_sync(s, user_update_fn, &a, e);
}

typedef struct user_delete_arg {
    const char *id;
    const sg_actor *by;
} user_delete_arg;

static sg_err user_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const user_delete_arg *a = arg;
    sg_user u;
    sg_err err = user_read(c, a->id, &u);
    if (err)
        return user_missing(e, err, a->id);
    if ((err = keep_an_admin(c, &u, NULL, e)) || (err = sessions_of_user_delete(c, u.id, e)))
        return err;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM users WHERE id = ?1");
    if (st)
        sq_bind_text(st, 1, u.id);
    if ((err = sq_step_finalize(c, st, e, "removing the user")))
        return err;
    return audit_insert(c, a->by, "user.remove", u.email, NULL, e);
}

static sg_err sq_user_delete(sg_store *s, const char *id, const sg_actor *by, sg_error *e)
{
    user_delete_arg a = {id, by};
    return sq_write_sync(s, user_delete_fn, &a, e);
}

/* ---- sessions --------------------------------------------------------------------- */

static sg_err session_delete_on(conn *c, const char *id_hash, bool *gone, sg_error *e)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM sessions WHERE id_hash = ?1");
    if (st)
        sq_bind_text(st, 1, id_hash);
    sg_err err = sq_step_finalize(c, st, e, "ending the session");
    if (gone)
        *gone = !err && sqlite3_changes(c->db) > 0;
    return err;
}

static sg_err throttle_reset(conn *c, const char *scope, const char *subject, sg_error *e)
{
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM signin_throttle WHERE scope = ?1 AND subject = ?2");
    if (st) {
        sq_bind_text(st, 1, scope);
        sq_bind_text(st, 2, subject);
    }
    return sq_step_finalize(c, st, e, "resetting the sign-in throttle");
}

static sg_err session_insert(conn *c, const sg_session_new *n, sg_error *e)
{
    sqlite3_stmt *st =
        sq_prep_uncached(c, "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, "
                "last_seen_at, expires_at, source) VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6)");
    if (st) {
        sq_bind_text(st, 1, n->id_hash);
        sq_bind_text(st, 2, n->user_id);
        sq_bind_text(st, 3, n->csrf_token);
        sqlite3_bind_int64(st, 4, n->at);
        sqlite3_bind_int64(st, 5, n->expires_at);
        sq_bind_text(st, 6, n->source ? n->source : "");
    }
    return sq_step_finalize(c, st, e, "creating the session");
}

static sg_err sessions_sweep(conn *c, const sg_session_new *n, sg_error *e)
{
    sqlite3_stmt *st =
        sq_prep_uncached(c, "DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2");
    if (st) {
        sqlite3_bind_int64(st, 1, n->at);
        sqlite3_bind_int64(st, 2, n->idle_ms);
    }
    return sq_step_finalize(c, st, e, "sweeping expired sessions");
}

static sg_err session_create_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_session_new *n = arg;
    char account[SG_EMAIL_MAX];
    sg_email_lower(n->email, account, sizeof account);
    sg_err err = sessions_sweep(c, n, e);
    if (!err && n->replaces_hash)
        err = session_delete_on(c, n->replaces_hash, NULL, e);
    if (!err)
        err = session_insert(c, n, e);
    if (!err)
        err = throttle_reset(c, "account", account, e);
    if (!err) {
        sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE users SET last_sign_in_at = ?2 WHERE id = ?1");
        if (st) {
            sq_bind_text(st, 1, n->user_id);
            sqlite3_bind_int64(st, 2, n->at);
        }
        err = sq_step_finalize(c, st, e, "recording the sign-in");
    }
    if (!err) {
        sg_actor by = {n->email, n->source, n->at};
        err = audit_insert(c, &by, "session.sign_in", n->email, NULL, e);
    }
    return err;
}

static sg_err sq_session_create(sg_store *s, const sg_session_new *n, sg_error *e)
{
    return sq_write_sync(s, session_create_fn, (void *)n, e);
}

static sg_err sq_session_get(sg_store *s, const char *id_hash, sg_session *out)
{
    memset(out, 0, sizeof *out);
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT s.user_id, u.email, u.role, s.csrf_token, s.created_at, "
                               "s.last_seen_at, s.expires_at FROM sessions s JOIN users u ON "
                               "u.id = s.user_id WHERE s.id_hash = ?1");
    sg_err err = SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, id_hash);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sq_col_copy(st, 0, out->user_id, sizeof out->user_id);
            sq_col_copy(st, 1, out->email, sizeof out->email);
            sq_col_copy(st, 2, out->role, sizeof out->role);
            sq_col_copy(st, 3, out->csrf_token, sizeof out->csrf_token);
            out->created_at = sqlite3_column_int64(st, 4);
            out->last_seen_at = sqlite3_column_int64(st, 5);
            out->expires_at = sqlite3_column_int64(st, 6);
            err = SG_OK;
        } else {
            err = rc == SQLITE_DONE ? SG_ERR_NOT_FOUND : sq_map_rc(rc);
        }
        sqlite3_finalize(st);
    }
    sq_reader_release(s, c);
    return err;
}

typedef struct touch_job {
    job base;
    char id_hash[SG_CSRF_TOKEN_MAX];
    int64_t at;
} touch_job;

static sg_err touch_run(sg_store *s, conn *c, job *j)
{
    (void)s;
    touch_job *t = (touch_job *)j;
    sqlite3_stmt *st = sq_prep_uncached(c, "UPDATE sessions SET last_seen_at = ?2 WHERE id_hash = ?1 AND "
                               "last_seen_at < ?2");
    if (st) {
        sq_bind_text(st, 1, t->id_hash);
        sqlite3_bind_int64(st, 2, t->at);
    }
    return sq_step_finalize(c, st, &j->error, "recording a session's use");
}

static void touch_complete(job *j)
{
    if (j->err)
        sg_log(SG_LOG_WARN, "session_touch_failed", "error=\"%s\"",
               j->error.message[0] ? j->error.message : sg_strerror(j->err));
    free(j);
}

static sg_err sq_session_touch(sg_store *s, const char *id_hash, int64_t at)
{
    touch_job *t = calloc(1, sizeof *t);
    if (!t)
        return SG_ERR_NOMEM;
    t->base.run = touch_run;
    t->base.complete = touch_complete;
    snprintf(t->id_hash, sizeof t->id_hash, "%s", id_hash);
    t->at = at;
    sg_err err = sq_submit(s, &t->base);
    if (err)
        free(t);
    return err;
}

typedef struct session_delete_arg {
    const char *id_hash;
    const char *email;
    const sg_actor *by;
} session_delete_arg;

static sg_err session_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const session_delete_arg *a = arg;
    bool gone = false;
    sg_err err = session_delete_on(c, a->id_hash, &gone, e);
    if (err)
        return err;
    if (!gone)
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no such session");
    return a->by ? audit_insert(c, a->by, "session.sign_out", a->email, NULL, e) : SG_OK;
}

static sg_err sq_session_delete(sg_store *s, const char *id_hash, const char *email,
                                const sg_actor *by, sg_error *e)
{
    session_delete_arg a = {id_hash, email, by};
    return sq_write_sync(s, session_delete_fn, &a, e);
}

/* ---- sign-in throttle -------------------------------------------------------------- */

static sg_err sq_signin_wait(sg_store *s, const char *account, const char *address, int64_t now,
                             int64_t *wait_ms)
{
    *wait_ms = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT coalesce(max(locked_until), 0) FROM signin_throttle "
                               "WHERE (scope = 'account' AND subject = ?1) OR "
                               "(scope = 'address' AND subject = ?2)");
    sg_err err = SG_ERR_DB;
    if (st) {
        sq_bind_text(st, 1, account);
        sq_bind_text(st, 2, address);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            sg_throttle_state t = {.locked_until = sqlite3_column_int64(st, 0)};
            *wait_ms = sg_throttle_wait_ms(&t, now);
            err = SG_OK;
        } else {
            err = sq_map_rc(rc);
        }
        sqlite3_finalize(st);
    }
    sq_reader_release(s, c);
    return err;
}

/* Read, count one failure into, and write back the counter (scope, subject). */
static sg_err throttle_count(conn *c, const char *scope, const char *subject,
                             const sg_throttle_rule *rule, int64_t now, sg_error *e)
{
    sg_throttle_state t = {0};
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT failures, window_start, locked_until FROM "
                               "signin_throttle WHERE scope = ?1 AND subject = ?2");
    if (!st)
        return sq_db_error(c->db, sqlite3_errcode(c->db), e, "reading the sign-in throttle");
    sq_bind_text(st, 1, scope);
    sq_bind_text(st, 2, subject);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        t.failures = sqlite3_column_int64(st, 0);
        t.window_start = sqlite3_column_int64(st, 1);
        t.locked_until = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_db_error(c->db, rc, e, "reading the sign-in throttle");
    sg_throttle_fail(rule, &t, now);
    st = sq_prep_uncached(c, "INSERT OR REPLACE INTO signin_throttle (scope, subject, failures, "
                 "window_start, locked_until) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (st) {
        sq_bind_text(st, 1, scope);
        sq_bind_text(st, 2, subject);
        sqlite3_bind_int64(st, 3, t.failures);
        sqlite3_bind_int64(st, 4, t.window_start);
        sqlite3_bind_int64(st, 5, t.locked_until);
    }
    return sq_step_finalize(c, st, e, "counting a failed sign-in");
}

/* Counters whose window and lock are both over count nothing any more: drop
 * them, so that guessed emails do not pile up. */
static sg_err throttle_sweep(conn *c, int64_t now, sg_error *e)
{
    int64_t longest = sg_throttle_account.window_ms > sg_throttle_address.window_ms
                          ? sg_throttle_account.window_ms
                          : sg_throttle_address.window_ms;
    sqlite3_stmt *st = sq_prep_uncached(c, "DELETE FROM signin_throttle WHERE locked_until <= ?1 AND "
                               "window_start <= ?1 - ?2");
    if (st) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, longest);
    }
    return sq_step_finalize(c, st, e, "sweeping the sign-in throttle");
}

typedef struct signin_failed_arg {
    const char *account;
    const char *address;
    int64_t now;
} signin_failed_arg;

static sg_err signin_failed_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
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

static sg_err sq_signin_failed(sg_store *s, const char *account, const char *address, int64_t now,
                               sg_error *e)
{
    signin_failed_arg a = {account, address ? address : "", now};
    return sq_write_sync(s, signin_failed_fn, &a, e);
}

/* ---- audit ----------------------------------------------------------------------- */

typedef struct audit_add_arg {
    const sg_actor *by;
    const char *action, *subject, *detail;
} audit_add_arg;

static sg_err audit_add_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const audit_add_arg *a = arg;
    return audit_insert(c, a->by, a->action, a->subject, a->detail, e);
}

static sg_err sq_audit_add(sg_store *s, const sg_actor *by, const char *action, const char *subject,
                           const char *detail, sg_error *e)
{
    audit_add_arg a = {by, action, subject, detail};
    return sq_write_sync(s, audit_add_fn, &a, e);
}

static void audit_row(sqlite3_stmt *st, sg_audit *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->at = sqlite3_column_int64(st, 1);
    sq_col_copy(st, 2, r->actor, sizeof r->actor);
    sq_col_copy(st, 3, r->action, sizeof r->action);
    sq_col_copy(st, 4, r->subject, sizeof r->subject);
    r->detail = sq_col_dup(st, 5);
    sq_col_copy(st, 6, r->source, sizeof r->source);
}

static sg_err sq_audit_query(sg_store *s, const sg_audit_filter *f, size_t limit, sg_audit **out,
                             size_t *n)
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
    sqlite3_stmt *st = sq_prep_uncached(c, "SELECT id, at, actor, action, subject, detail, source FROM "
                               "audit_log WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR "
                               "action = ?2) AND at >= ?3 AND (?4 = 0 OR id < ?4) "
                               "ORDER BY id DESC LIMIT ?5");
    size_t count = 0;
    int rc = SQLITE_ERROR;
    if (st) {
        sq_bind_text(st, 1, f->actor);
        sq_bind_text(st, 2, f->action);
        sqlite3_bind_int64(st, 3, f->since);
        sqlite3_bind_int64(st, 4, f->before_id);
        sqlite3_bind_int64(st, 5, (sqlite3_int64)limit);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && count < limit)
            audit_row(st, &rows[count++]);
        sqlite3_finalize(st);
    }
    sq_reader_release(s, c);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        sg_audits_free(rows, count);
        return sq_map_rc(rc);
    }
    *out = rows;
    *n = count;
    return SG_OK;
}

const sg_store_users_ops sq_users_ops = {
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_delete = sq_user_delete,
    .session_create = sq_session_create,
    .session_get = sq_session_get,
    .session_touch = sq_session_touch,
    .session_delete = sq_session_delete,
    .signin_wait = sq_signin_wait,
    .signin_failed = sq_signin_failed,
    .audit_add = sq_audit_add,
    .audit_query = sq_audit_query,
};
