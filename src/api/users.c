/* /v1/users: admins list, create, show, change (role, password) and remove the
 * people who sign in to the console. A password is hashed on the password
 * workers (api/pwpool.h), never on an HTTP thread, and never leaves in an
 * answer or a log line. The last admin can be neither removed nor demoted
 * (409 last_admin, checked inside the store's write transaction). */
#include "api/users.h"
#include "api/app.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "api/pwpool.h"
#include "core/signin.h"
#include "http/problem.h"
#include "util/log.h"
#include "util/password.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sg_user_json(const sg_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", u->id, "email", u->email, "role",
                     u->role, "created_at", sg_api_time_json(u->created_at), "updated_at",
                     sg_api_time_json(u->updated_at), "last_sign_in_at",
                     u->last_sign_in_at ? sg_api_time_json(u->last_sign_in_at) : json_null());
}

static sg_err check_role(const char *role, sg_error *e)
{
    sg_role r;
    if (!role || !sg_role_parse(role, &r))
        return sg_error_set(e, SG_ERR_INVALID, "role", "'role' must be admin, sender or viewer");
    return SG_OK;
}

static sg_err check_email(const char *email, sg_error *e)
{
    if (!email || !sg_email_valid(email))
        return sg_error_set(e, SG_ERR_INVALID, "email",
                            "'email' must be an address such as ann@example.org (at most 254 "
                            "bytes)");
    return SG_OK;
}

sg_err sg_user_prepare(const char *email, const char *role, const char *password, size_t pw_len,
                       int64_t now, sg_user *u, sg_error *e)
{
    memset(u, 0, sizeof *u);
    sg_err err = check_email(email, e);
    if (!err)
        err = check_role(role, e);
    if (!err)
        err = sg_password_check(password, pw_len, e);
    if (err)
        return err;
    sg_id_new("usr", now, u->id);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(u->role, sizeof u->role, "%s", role);
    u->created_at = u->updated_at = now;
    if (sg_password_hash(password, pw_len, u->password_hash) != SG_OK)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "not enough memory to hash the password");
    return SG_OK;
}

/* ---- request bodies --------------------------------------------------------------------- */

/* What a create or change asks for; a job for the password workers when it
 * carries a password. */
typedef struct user_job {
    sg_app *app;
    bool create;
    char id[SG_ID_MAX + SG_EMAIL_MAX]; /* the user changed (id or email) */
    char email[SG_EMAIL_MAX];
    char role[16];
    bool has_role, has_password;
    char actor[SG_EMAIL_MAX];
    char client[64];
    size_t pw_len;
    char password[SG_PASSWORD_MAX + 1];
} user_job;

static void job_free(user_job *j)
{
    if (!j)
        return;
    sodium_memzero(j, sizeof *j);
    free(j);
}

/* Copy string member `name` of in into out (cap bytes); false after answering
 * 400 when it is there but not a string that fits. */
static bool copy_string(sg_http_req *req, json_t *in, const char *name, char *out, size_t cap,
                        bool *present)
{
    json_t *v = json_object_get(in, name);
    *present = v != NULL;
    if (!v)
        return true;
    size_t len = json_is_string(v) ? json_string_length(v) : 0;
    if (!json_is_string(v) || len >= cap || strlen(json_string_value(v)) != len) {
        sg_http_problem(req, 400, "invalid_request", name,
                        "'%s' must be a string of at most %zu "
                        "bytes",
                        name, cap - 1);
        return false;
    }
    memcpy(out, json_string_value(v), len + 1);
    return true;
}

/* Parse a create (email, role, password all required) or change (role and/or
 * password) body into j; false after answering 400. */
static bool parse_user_body(sg_http_req *req, json_t *in, user_job *j)
{
    static const char *const known[] = {"email", "role", "password"};
    const char *field;
    json_t *v;
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL, "a user must be a JSON object");
        return false;
    }
    json_object_foreach(in, field, v)
    {
        bool ok = false;
        for (size_t i = j->create ? 0 : 1; i < sizeof known / sizeof known[0]; i++)
            ok = ok || strcmp(field, known[i]) == 0;
        if (!ok) {
            sg_http_problem(req, 400, "invalid_request", field, "unknown field '%.64s' (known: %s)",
                            field, j->create ? "email, role, password" : "role, password");
            return false;
        }
    }
    bool has_email = false;
    if (!copy_string(req, in, "email", j->email, sizeof j->email, &has_email) ||
        !copy_string(req, in, "role", j->role, sizeof j->role, &j->has_role) ||
        !copy_string(req, in, "password", j->password, sizeof j->password, &j->has_password))
        return false;
    j->pw_len = j->has_password ? strlen(j->password) : 0;
    sg_error e = {0};
    sg_err err = SG_OK;
    if (j->create || has_email)
        err = check_email(has_email ? j->email : NULL, &e);
    if (!err && (j->create || j->has_role))
        err = check_role(j->has_role ? j->role : NULL, &e);
    if (!err && (j->create || j->has_password))
        err = j->has_password ? sg_password_check(j->password, j->pw_len, &e)
                              : sg_error_set(&e, SG_ERR_INVALID, "password",
                                             "'password' is "
                                             "required");
    if (!err && !j->create && !j->has_role && !j->has_password)
        err = sg_error_set(&e, SG_ERR_INVALID, NULL, "send 'role' and/or 'password' to change");
    if (err)
        sg_http_problem(req, 400, "invalid_request", e.field[0] ? e.field : NULL, "%s", e.message);
    return !err;
}

/* Wipe the password in the parsed body before it is freed. */
static void body_free(json_t *in)
{
    json_t *pw = json_is_object(in) ? json_object_get(in, "password") : NULL;
    if (json_is_string(pw))
        sodium_memzero((char *)json_string_value(pw), json_string_length(pw));
    json_decref(in);
}

/* A store failure; a conflict is answered with conflict_code: the one conflict
 * each write can meet (an email taken at create; the last admin at change and
 * removal, store.h). */
static void answer_store_error(sg_http_req *req, sg_err err, const sg_error *e,
                               const char *conflict_code)
{
    if (err == SG_ERR_CONFLICT)
        sg_http_problem(req, 409, conflict_code, e->field[0] ? e->field : NULL, "%s", e->message);
    else
        sg_api_store_error(req, err, e->message[0] ? e->message : sg_strerror(err));
}

/* ---- the work itself (on a password worker when a password is involved) ---------------- */

static void do_create(sg_http_req *req, user_job *j)
{
    sg_user u;
    sg_error e = {0};
    int64_t now = sg_time_now_ms();
    sg_err err = sg_user_prepare(j->email, j->role, j->password, j->pw_len, now, &u, &e);
    sg_actor by = {j->actor, j->client, now};
    if (!err)
        err = sg_store_user_insert(j->app->store, &u, &by, &e);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (err) {
        answer_store_error(req, err, &e, "conflict");
        return;
    }
    sg_log(SG_LOG_INFO, "user_created", "user=%s role=%s by=%s", u.id, u.role, j->actor);
    sg_http_respond_json(req, 201, sg_user_json(&u));
}

static void do_update(sg_http_req *req, user_job *j)
{
    char hash[SG_PWHASH_MAX] = "";
    if (j->has_password && sg_password_hash(j->password, j->pw_len, hash) != SG_OK) {
        sg_http_problem(req, 503, "busy", NULL, "not enough memory to hash the password");
        return;
    }
    sg_user_change ch = {j->has_role ? j->role : NULL, j->has_password ? hash : NULL};
    sg_actor by = {j->actor, j->client, sg_time_now_ms()};
    sg_user u;
    sg_error e = {0};
    sg_err err = sg_store_user_update(j->app->store, j->id, &ch, &by, &u, &e);
    sodium_memzero(hash, sizeof hash);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no user %.64s", j->id);
        return;
    }
    if (err) {
        answer_store_error(req, err, &e, "last_admin");
        return;
    }
    sg_log(SG_LOG_INFO, "user_changed", "user=%s role=%s password_changed=%s by=%s", u.id, u.role,
           j->has_password ? "yes" : "no", j->actor);
    sg_http_respond_json(req, 200, sg_user_json(&u));
}

static void job_run(sg_http_req *req, void *arg)
{
    user_job *j = arg;
    if (j->create)
        do_create(req, j);
    else
        do_update(req, j);
    job_free(j);
    sg_http_resume(req);
}

/* Parse the body into a new job and run it: on a password worker when it
 * carries a password, else here. */
static sg_http_result run_body(sg_http_req *req, sg_app *app, bool create)
{
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_http_result res = SG_HTTP_DONE;
    user_job *j = calloc(1, sizeof *j);
    if (!j) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        goto out;
    }
    j->app = app;
    j->create = create;
    if (!create)
        snprintf(j->id, sizeof j->id, "%s", sg_http_param(req, 0));
    snprintf(j->actor, sizeof j->actor, "%s", sg_auth_actor(sg_auth_caller(req)));
    sg_http_client_ip(req, j->client);
    if (!parse_user_body(req, in, j))
        goto out;
    if (!j->has_password) {
        do_update(req, j);
        goto out;
    }
    if (!sg_pwpool_submit(app->pwpool, req, job_run, j)) {
        sg_pwpool_busy(req);
        goto out;
    }
    j = NULL;
    res = SG_HTTP_PENDING;
out:
    job_free(j);
    body_free(in);
    return res;
}

/* ---- handlers ------------------------------------------------------------------------------ */

sg_http_result sg_api_users_create(sg_http_req *req, void *ctx)
{
    return run_body(req, ctx, true);
}

sg_http_result sg_api_users_update(sg_http_req *req, void *ctx)
{
    return run_body(req, ctx, false);
}

sg_http_result sg_api_users_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_user *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_user_list(app->store, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list the users");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_user_json(&rows[i]));
    free(rows);
    sg_api_respond_page(req, json_pack("{s:o}", "data", data), "id", &pg);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_users_get(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_user u;
    sg_err err = sg_store_user_get(app->store, sg_http_param(req, 0), &u);
    sodium_memzero(u.password_hash, sizeof u.password_hash);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no user %.64s", sg_http_param(req, 0));
        return SG_HTTP_DONE;
    }
    if (err) {
        sg_api_store_error(req, err, "cannot read the user");
        return SG_HTTP_DONE;
    }
    sg_http_respond_json(req, 200, sg_user_json(&u));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_users_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    char client[64];
    sg_http_client_ip(req, client);
    const char *actor = sg_auth_actor(sg_auth_caller(req));
    sg_actor by = {actor, client, sg_time_now_ms()};
    sg_error e = {0};
    sg_err err = sg_store_user_delete(app->store, sg_http_param(req, 0), &by, &e);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no user %.64s", sg_http_param(req, 0));
        return SG_HTTP_DONE;
    }
    if (err) {
        answer_store_error(req, err, &e, "last_admin");
        return SG_HTTP_DONE;
    }
    sg_log(SG_LOG_INFO, "user_removed", "user=%.64s by=%s", sg_http_param(req, 0), actor);
    sg_http_respond(req, 204, NULL, "", 0);
    return SG_HTTP_DONE;
}
