/* Console sessions: sign-in, who is signed in, sign-out, and the cookie's
 * authentication of /v1 requests (session.h). */
#include "api/session.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/pwpool.h"
#include "core/signin.h"
#include "http/problem.h"
#include "util/crypto.h"
#include "util/log.h"
#include "util/password.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_BYTES 32 /* 256 bits: the cookie's value and the CSRF token */
#define TOKEN_HEX   (2 * TOKEN_BYTES)
/* A session's use is written back at most this often (and at most every quarter
 * of the idle time), so that a busy console does not cost a write per request. */
#define TOUCH_MAX_MS 60000

static bool secure_cookies(const sg_app *app)
{
    return strncmp(app->public_url, "https://", 8) == 0;
}

static void set_cookie(sg_http_req *req, const sg_app *app, const char *token)
{
    char v[256];
    snprintf(v, sizeof v, SG_SESSION_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/%s", token,
             secure_cookies(app) ? "; Secure" : "");
    sg_http_add_header(req, "Set-Cookie", v);
}

static void clear_cookie(sg_http_req *req, const sg_app *app)
{
    char v[160];
    snprintf(v, sizeof v, SG_SESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0%s",
             secure_cookies(app) ? "; Secure" : "");
    sg_http_add_header(req, "Set-Cookie", v);
}

static bool all_hex(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    }
    return true;
}

/* Any non-empty value up to 127 bytes counts as sent (and gets the session's
 * 401 if it is not one); a longer one is no session cookie of smsgate's. */
bool sg_session_cookie_sent(const sg_http_req *req)
{
    char v[128];
    bool sent = sg_cookie_get(sg_http_header(req, "Cookie"), SG_SESSION_COOKIE, v, sizeof v);
    sodium_memzero(v, sizeof v);
    return sent;
}

/* The SHA-256 (hex) of the request's session cookie; false when it has none of
 * the form smsgate issues (64 lower-case hex digits). */
static bool cookie_hash(const sg_http_req *req, char hash[SG_SHA256_HEX_LEN])
{
    char v[TOKEN_HEX + 2];
    bool ok = sg_cookie_get(sg_http_header(req, "Cookie"), SG_SESSION_COOKIE, v, sizeof v) &&
              strlen(v) == TOKEN_HEX && all_hex(v);
    if (ok)
        sg_sha256_hex(v, TOKEN_HEX, hash);
    sodium_memzero(v, sizeof v);
    return ok;
}

static void answer_no_session(sg_http_req *req, const sg_app *app)
{
    clear_cookie(req, app);
    sg_http_problem(req, 401, "unauthorized", NULL,
                    "not signed in, or the session has ended: sign in with POST /v1/session");
}

/* The request's live session into *s (its cookie's hash into hash). False after
 * answering: 401 when there is none or it has ended (an ended one is removed),
 * 503/500 when the store fails. */
static bool session_load(sg_http_req *req, sg_app *app, int64_t now, sg_session *s,
                         char hash[SG_SHA256_HEX_LEN])
{
    if (!cookie_hash(req, hash)) {
        answer_no_session(req, app);
        return false;
    }
    sg_err err = sg_store_session_get(app->store, hash, s);
    if (err == SG_ERR_NOT_FOUND) {
        answer_no_session(req, app);
        return false;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the session");
        return false;
    }
    if (now >= sg_session_ends_at(s->last_seen_at, s->expires_at, app->session_idle_ms)) {
        sg_error e = {0};
        sg_store_session_delete(app->store, hash, NULL, NULL, &e); /* gone either way */
        answer_no_session(req, app);
        return false;
    }
    int64_t every =
        app->session_idle_ms / 4 < TOUCH_MAX_MS ? app->session_idle_ms / 4 : TOUCH_MAX_MS;
    if (now - s->last_seen_at >= every) {
        sg_store_session_touch(app->store, hash, now);
        s->last_seen_at = now;
    }
    return true;
}

static bool method_is_safe(const sg_http_req *req)
{
    const char *m = sg_http_method(req);
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

/* False after answering 403 csrf_failed. */
static bool csrf_ok(sg_http_req *req, const sg_session *s)
{
    if (method_is_safe(req) || sg_csrf_equal(sg_http_header(req, "X-CSRF-Token"), s->csrf_token))
        return true;
    sg_http_problem(req, 403, "csrf_failed", NULL,
                    "a request signed in by cookie must send the session's csrf_token in the "
                    "X-CSRF-Token header");
    return false;
}

sg_http_result sg_session_authenticate(sg_http_req *req, const sg_route *route, void *ctx)
{
    sg_app *app = ctx;
    sg_session s;
    char hash[SG_SHA256_HEX_LEN];
    if (!session_load(req, app, sg_time_now_ms(), &s, hash) || !csrf_ok(req, &s))
        return SG_HTTP_DONE;
    sg_role role = SG_ROLE_VIEWER;
    sg_role_parse(s.role, &role);
    if ((int)role < route->tag) {
        sg_http_problem(req, 403, "forbidden", NULL,
                        "you are signed in as a %s; this request needs the role '%s'",
                        sg_role_name(role), sg_role_name((sg_role)route->tag));
        return SG_HTTP_DONE;
    }
    sg_caller *c = calloc(1, sizeof *c);
    if (!c) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    snprintf(c->key_id, sizeof c->key_id, "%s", s.user_id);
    snprintf(c->email, sizeof c->email, "%s", s.email);
    c->role = role;
    sg_http_set_user(req, c, free);
    return SG_HTTP_PENDING;
}

/* {"user": {...}, "csrf_token", "expires_at"}: what sign-in and GET answer. */
static json_t *session_json(const sg_session *s, int64_t idle_ms)
{
    return json_pack("{s:{s:s, s:s, s:s}, s:s, s:o}", "user", "id", s->user_id, "email", s->email,
                     "role", s->role, "csrf_token", s->csrf_token, "expires_at",
                     sg_api_time_json(sg_session_ends_at(s->last_seen_at, s->expires_at, idle_ms)));
}

/* ---- sign-in ------------------------------------------------------------------------ */

typedef struct signin_job {
    sg_app *app;
    char email[SG_EMAIL_MAX];
    char account[SG_EMAIL_MAX]; /* email lower-cased: the throttle's key */
    char client[64];
    char old_hash[SG_SHA256_HEX_LEN]; /* "" when the client came without a session */
    size_t pw_len;
    char password[SG_PASSWORD_MAX + 1];
} signin_job;

/* email and password of a sign-in body; false after answering 400. */
static bool parse_signin(sg_http_req *req, json_t *in, signin_job *j)
{
    const char *field;
    json_t *v;
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL,
                        "send {\"email\": ..., \"password\": ...}");
        return false;
    }
    json_object_foreach(in, field, v)
    {
        if (strcmp(field, "email") != 0 && strcmp(field, "password") != 0) {
            sg_http_problem(req, 400, "invalid_request", field,
                            "unknown field '%.64s' (known: email, password)", field);
            return false;
        }
    }
    v = json_object_get(in, "email");
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= sizeof j->email) {
        sg_http_problem(req, 400, "invalid_request", "email",
                        "'email' must be a string of 1 to %zu bytes", sizeof j->email - 2);
        return false;
    }
    snprintf(j->email, sizeof j->email, "%s", json_string_value(v));
    v = json_object_get(in, "password");
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) > SG_PASSWORD_MAX) {
        sg_http_problem(req, 400, "invalid_request", "password",
                        "'password' must be a string of 1 to %d bytes", SG_PASSWORD_MAX);
        return false;
    }
    j->pw_len = json_string_length(v);
    memcpy(j->password, json_string_value(v), j->pw_len);
    return true;
}

static void answer_throttled(sg_http_req *req, int64_t wait_ms)
{
    char secs[24];
    snprintf(secs, sizeof secs, "%lld", (long long)sg_throttle_retry_after_s(wait_ms));
    sg_http_add_header(req, "Retry-After", secs);
    sg_http_problem(req, 429, "too_many_attempts", NULL,
                    "too many failed sign-ins for this account or from this address; retry "
                    "in %s s",
                    secs);
}

static void signin_failed(sg_http_req *req, signin_job *j)
{
    sg_error e = {0};
    if (sg_store_signin_failed(j->app->store, j->account, j->client, sg_time_now_ms(), &e))
        sg_log(SG_LOG_WARN, "sign_in_not_counted", "error=\"%s\"", e.message);
    sg_log(SG_LOG_INFO, "sign_in_failed", "client=%s", j->client[0] ? j->client : "-");
    sg_http_problem(req, 401, "invalid_credentials", NULL, "wrong email or password");
}

static void signin_succeeded(sg_http_req *req, signin_job *j, const sg_user *u)
{
    sg_app *app = j->app;
    char token[TOKEN_HEX + 1], hash[SG_SHA256_HEX_LEN];
    sg_session s = {0};
    sg_random_hex(token, TOKEN_BYTES);
    sg_sha256_hex(token, TOKEN_HEX, hash);
    sg_random_hex(s.csrf_token, TOKEN_BYTES);
    int64_t now = sg_time_now_ms();
    sg_session_new n = {
        .id_hash = hash,
        .replaces_hash = j->old_hash[0] ? j->old_hash : NULL,
        .user_id = u->id,
        .email = u->email,
        .csrf_token = s.csrf_token,
        .at = now,
        .expires_at = now + app->session_max_ms,
        .idle_ms = app->session_idle_ms,
        .source = j->client,
    };
    sg_error e = {0};
    sg_err err = sg_store_session_create(app->store, &n, &e);
    if (err) {
        sg_api_store_error(req, err, e.message);
    } else {
        snprintf(s.user_id, sizeof s.user_id, "%s", u->id);
        snprintf(s.email, sizeof s.email, "%s", u->email);
        snprintf(s.role, sizeof s.role, "%s", u->role);
        s.created_at = s.last_seen_at = now;
        s.expires_at = n.expires_at;
        set_cookie(req, app, token);
        sg_http_add_header(req, "Cache-Control", "no-store");
        sg_http_respond_json(req, 200, session_json(&s, app->session_idle_ms));
        sg_log(SG_LOG_INFO, "signed_in", "user=%s client=%s", u->id,
               j->client[0] ? j->client : "-");
    }
    sodium_memzero(token, sizeof token);
}

/* On a password worker: look the user up and verify the password (against a
 * dummy hash for an unknown email, so that both cost the same). */
static void signin_run(sg_http_req *req, void *arg)
{
    signin_job *j = arg;
    sg_user u;
    sg_err err = SG_ERR_NOT_FOUND;
    if (sg_email_valid(j->email))
        err = sg_store_user_get(j->app->store, j->email, &u);
    if (err && err != SG_ERR_NOT_FOUND) {
        sg_api_store_error(req, err, "cannot read the user");
    } else if (!sg_password_verify(err ? NULL : u.password_hash, j->password, j->pw_len)) {
        signin_failed(req, j);
    } else {
        signin_succeeded(req, j, &u);
    }
    if (!err)
        sodium_memzero(u.password_hash, sizeof u.password_hash);
    sodium_memzero(j, sizeof *j);
    free(j);
    sg_http_resume(req);
}

sg_http_result sg_api_session_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    signin_job *j = calloc(1, sizeof *j);
    sg_http_result res = SG_HTTP_DONE;
    if (!j) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        goto out;
    }
    j->app = app;
    if (!parse_signin(req, in, j))
        goto out;
    sg_email_lower(j->email, j->account, sizeof j->account);
    sg_http_client_ip(req, j->client);
    if (!cookie_hash(req, j->old_hash))
        j->old_hash[0] = '\0';
    int64_t wait_ms = 0;
    sg_err err =
        sg_store_signin_wait(app->store, j->account, j->client, sg_time_now_ms(), &wait_ms);
    if (err) {
        sg_api_store_error(req, err, "cannot read the sign-in throttle");
        goto out;
    }
    if (wait_ms > 0) {
        answer_throttled(req, wait_ms);
        goto out;
    }
    if (!sg_pwpool_submit(app->pwpool, req, signin_run, j)) {
        sg_pwpool_busy(req);
        goto out;
    }
    j = NULL; /* the worker's now */
    res = SG_HTTP_PENDING;
out:
    if (j) {
        sodium_memzero(j, sizeof *j);
        free(j);
    }
    /* the body's copy of the password goes with the JSON value; wipe it first */
    json_t *pw = json_is_object(in) ? json_object_get(in, "password") : NULL;
    if (json_is_string(pw))
        sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
    json_decref(in);
    return res;
}

/* ---- who is signed in, sign-out ------------------------------------------------------- */

sg_http_result sg_api_session_get(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_session s;
    char hash[SG_SHA256_HEX_LEN];
    if (!session_load(req, app, sg_time_now_ms(), &s, hash))
        return SG_HTTP_DONE;
    sg_http_add_header(req, "Cache-Control", "no-store");
    sg_http_respond_json(req, 200, session_json(&s, app->session_idle_ms));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_session_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_session s;
    char hash[SG_SHA256_HEX_LEN], client[64];
    int64_t now = sg_time_now_ms();
    if (!session_load(req, app, now, &s, hash) || !csrf_ok(req, &s))
        return SG_HTTP_DONE;
    sg_http_client_ip(req, client);
    sg_actor by = {s.email, client, now};
    sg_error e = {0};
    sg_err err = sg_store_session_delete(app->store, hash, s.email, &by, &e);
    if (err && err != SG_ERR_NOT_FOUND) {
        sg_api_store_error(req, err, e.message);
        return SG_HTTP_DONE;
    }
    clear_cookie(req, app);
    sg_http_respond(req, 204, NULL, "", 0);
    sg_log(SG_LOG_INFO, "signed_out", "user=%s client=%s", s.user_id, client[0] ? client : "-");
    return SG_HTTP_DONE;
}
