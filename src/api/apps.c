/* /v1/apps: admins create, list, show, change, rotate the token of and remove
 * the app accounts of the compatible endpoints (docs/compat.md). The auth
 * token is shown in the create and rotate answers only; neither route is
 * idempotent-replayable, since a stored answer would keep the token in clear.
 * Every change is audited (never with the token). */
#include "api/app_accounts.h"
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "compat/clickatell_api.h"
#include "compat/twilio_api.h"
#include "http/problem.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void answer_reject(sg_http_req *req, const sg_reject *rej)
{
    sg_http_problem(req, rej->status, rej->code, rej->field[0] ? rej->field : NULL, "%s",
                    rej->detail);
}

/* A name or a number another app has: 409 on the field the store named. */
static void answer_conflict(sg_http_req *req, const sg_error *e)
{
    bool number = strcmp(e->field, "numbers") == 0;
    sg_http_problem(req, 409, number ? "number_taken" : "name_taken", number ? "numbers" : "name",
                    "%s", e->message);
}

/* Audit action on app a: its name and role (and numbers when given), never the token. */
static void audit_app(sg_http_req *req, sg_app *app, const char *action, const sg_app_account *a)
{
    json_t *d = json_pack("{s:s, s:s}", "name", a->name, "role", a->role);
    json_t *numbers = d && a->numbers_set ? json_array() : NULL;
    for (size_t i = 0; numbers && i < a->n_numbers; i++)
        json_array_append_new(numbers, json_string(a->numbers[i]));
    if (numbers)
        json_object_set_new(d, "numbers", numbers); /* the numbers it was given */
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sg_api_audit(req, app, action, a->id, detail);
    free(detail);
    json_decref(d);
}

/* The app of the path's {id} (an id or a name) into a; false after answering. */
static bool path_app(sg_http_req *req, sg_app *app, sg_app_account *a)
{
    const char *id = sg_http_param(req, 0);
    sg_err err = sg_store_app_get(app->store, id, a);
    if (!err)
        err = sg_store_app_numbers(app->store, a);
    if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "no app %.64s", id);
    else if (err)
        sg_api_store_error(req, err, "cannot read the app");
    return err == SG_OK;
}

/* The app's JSON with its new token and new Clickatell-style credentials
 * (compat/clickatell_api.h), answered with status. */
static void answer_with_token(sg_http_req *req, sg_app *app, int status, const sg_app_account *a,
                              const char *token)
{
    char sid[SG_ACCOUNT_SID_MAX];
    json_t *ck = NULL;
    sg_error e = {0};
    sg_app_account_sid(a->id, sid);
    if (sg_compat_ck_issue(app, a->id, sid, &ck, &e) != SG_OK) {
        sg_api_store_error(req, SG_ERR_DB, e.message[0] ? e.message : "cannot store the app's "
                                                                     "Clickatell credentials");
        return;
    }
    json_t *j = sg_app_account_json(a);
    json_object_set_new(j, "auth_token", json_string(token));
    json_object_update(j, ck); /* api_id, username, api_key */
    json_object_set_new(j, "password", json_string(token));
    json_decref(ck);
    sg_http_respond_json(req, status, j);
}

sg_http_result sg_api_apps_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_app_account a;
    char token[SG_APP_TOKEN_LEN + 1] = "";
    sg_reject rej;
    sg_error e = {0};
    sg_err err = sg_app_account_init(app, &a, token, &e);
    if (err) {
        sg_http_problem(req, 500, "internal", NULL, "%s", e.message);
        goto out;
    }
    if (!sg_app_account_apply(app, &a, in, true, &rej)) {
        answer_reject(req, &rej);
        goto out;
    }
    err = sg_store_app_insert(app->store, &a, &e);
    if (err == SG_ERR_CONFLICT) {
        answer_conflict(req, &e);
    } else if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot store the app");
    } else {
        audit_app(req, app, "app.create", &a);
        answer_with_token(req, app, 201, &a, token);
    }
out:
    sodium_memzero(token, sizeof token);
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_apps_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    sg_app_account *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_app_list(app->store, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list the apps");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n && !err; i++) {
        err = sg_store_app_numbers(app->store, &rows[i]);
        json_array_append_new(data, sg_app_account_json(&rows[i]));
    }
    free(rows);
    if (err) {
        json_decref(data);
        sg_api_store_error(req, err, "cannot list the apps' numbers");
        return SG_HTTP_DONE;
    }
    sg_api_respond_page(req, json_pack("{s:o}", "data", data), "id", &pg);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_apps_get(sg_http_req *req, void *ctx)
{
    sg_app_account a;
    if (path_app(req, ctx, &a))
        sg_http_respond_json(req, 200, sg_app_account_json(&a));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_apps_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_app_account a;
    sg_reject rej;
    sg_error e = {0};
    if (!path_app(req, app, &a))
        goto out;
    if (!sg_app_account_apply(app, &a, in, false, &rej)) {
        answer_reject(req, &rej);
        goto out;
    }
    a.updated_at = sg_time_now_ms();
    sg_err err = sg_store_app_update(app->store, &a, &e);
    if (err == SG_ERR_CONFLICT) {
        answer_conflict(req, &e);
    } else if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot change the app");
    } else {
        sg_compat_twilio_forget(a.id);
        audit_app(req, app, "app.update", &a);
        sg_http_respond_json(req, 200, sg_app_account_json(&a));
    }
out:
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_apps_rotate(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_app_account a;
    char token[SG_APP_TOKEN_LEN + 1] = "";
    sg_error e = {0};
    if (!path_app(req, app, &a))
        return SG_HTTP_DONE;
    sg_err err = sg_app_account_new_token(app, &a, token, &e);
    if (!err) {
        a.updated_at = a.token_rotated_at;
        err = sg_store_app_update(app->store, &a, &e);
    }
    if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot rotate the token");
    } else {
        sg_compat_twilio_forget(a.id);
        audit_app(req, app, "app.rotate", &a);
        answer_with_token(req, app, 200, &a, token);
    }
    sodium_memzero(token, sizeof token);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_apps_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_app_account a;
    sg_error e = {0};
    if (!path_app(req, app, &a))
        return SG_HTTP_DONE;
    sg_err err = sg_store_app_delete(app->store, a.id, &e);
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no app %.64s", a.id);
    } else if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot remove the app");
    } else {
        sg_compat_twilio_forget(a.id);
        audit_app(req, app, "app.remove", &a);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}

/* ---- API keys of an app: POST/GET /v1/apps/{id}/keys, DELETE …/keys/{sid} ---------- */

sg_http_result sg_api_app_keys_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_app_account a;
    sg_app_key k;
    char secret[SG_APP_KEY_SECRET_LEN + 1] = "", name[128] = "";
    sg_reject rej;
    sg_error e = {0};
    json_t *v = json_object_get(in, "name");
    const char *key;
    json_t *any;
    json_object_foreach(in, key, any)
    {
        if (strcmp(key, "name") != 0) {
            sg_http_problem(req, 400, "invalid_request", key, "unknown field '%.64s' (known: name)",
                            key);
            goto out;
        }
    }
    if (!json_is_object(in) || (v && !json_is_string(v)) ||
        (v && json_string_length(v) >= sizeof name)) {
        sg_reject_set(&rej, 400, "invalid_request", "name",
                      "'name' must be a string of at most %zu bytes", sizeof name - 1);
        answer_reject(req, &rej);
        goto out;
    }
    snprintf(name, sizeof name, "%s", v ? json_string_value(v) : "");
    if (!path_app(req, app, &a))
        goto out;
    sg_app_key_init(&k, a.id, name, secret);
    sg_err err = sg_store_app_key_insert(app->store, &k, &e);
    if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot store the key");
    } else {
        sg_api_audit(req, app, "app.key_create", a.id, NULL);
        json_t *j = sg_app_key_json(&k);
        json_object_set_new(j, "secret", json_string(secret));
        sg_http_respond_json(req, 201, j);
    }
out:
    sodium_memzero(secret, sizeof secret);
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_app_keys_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_app_account a;
    if (!path_app(req, app, &a))
        return SG_HTTP_DONE;
    sg_app_key *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_app_key_list(app->store, a.id, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list the keys");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_app_key_json(&rows[i]));
    free(rows);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:n}", "data", data, "next_cursor"));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_app_keys_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_app_account a;
    char id[SG_ID_MAX];
    sg_error e = {0};
    if (!path_app(req, app, &a))
        return SG_HTTP_DONE;
    const char *sid = sg_http_param(req, 1);
    sg_err err = sg_app_key_id_of_sid(sid, id) ? sg_store_app_key_delete(app->store, a.id, id, &e)
                                               : SG_ERR_NOT_FOUND;
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no key %.64s of this app", sid);
    } else if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot revoke the key");
    } else {
        sg_api_audit(req, app, "app.key_revoke", a.id, NULL);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}
