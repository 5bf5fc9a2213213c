/* /v1/keys: admins create, list and revoke API keys. A key's secret is shown
 * once, in the create answer; the list shows each key's non-secret prefix so
 * a key in a config file can be recognised. POST /v1/keys is not
 * idempotent-replayable: a stored answer would keep the key in clear.
 *
 * Revoking takes effect at once on this server and within about a second on
 * every other one (api/auth.c polls the store's keys generation). An admin may
 * revoke the very key it is calling with: the answer still goes out, and the
 * key's next request gets 401 (docs/api.md). */
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "http/problem.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *key_json(const sg_api_key *k)
{
    char prefix[SG_KEY_PREFIX_MAX];
    sg_key_prefix(k->id, prefix);
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "id", k->id, "name", k->name, "role",
                     k->role, "prefix", prefix, "created_at", sg_api_time_json(k->created_at),
                     "last_used_at",
                     k->last_used_at ? sg_api_time_json(k->last_used_at) : json_null());
}

/* role (required) and name (optional) of a create body; false after answering. */
static bool parse_create(sg_http_req *req, json_t *in, sg_role *role, const char **name)
{
    if (!json_is_object(in)) {
        sg_http_problem(req, 400, "invalid_request", NULL, "a key must be a JSON object");
        return false;
    }
    const char *field;
    json_t *v;
    json_object_foreach(in, field, v)
    {
        if (strcmp(field, "role") != 0 && strcmp(field, "name") != 0) {
            sg_http_problem(req, 400, "invalid_request", field,
                            "unknown field '%.64s' (known: role, name)", field);
            return false;
        }
    }
    v = json_object_get(in, "role");
    if (!json_is_string(v) || !sg_role_parse(json_string_value(v), role)) {
        sg_http_problem(req, 400, "invalid_request", "role",
                        "'role' must be admin, sender or viewer");
        return false;
    }
    v = json_object_get(in, "name");
    *name = json_string_value(v);
    size_t len = *name ? json_string_length(v) : 0;
    if ((v && !json_is_string(v)) || len >= sizeof((sg_api_key *)0)->name ||
        (*name && strlen(*name) != len)) {
        sg_http_problem(req, 400, "invalid_request", "name",
                        "'name' must be a string of at most %zu bytes",
                        sizeof((sg_api_key *)0)->name - 1);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)(*name)[i] < ' ' || (*name)[i] == 0x7f) {
            sg_http_problem(req, 400, "invalid_request", "name",
                            "'name' must not hold control characters");
            return false;
        }
    }
    return true;
}

/* Audit a created key: its name and role, never the key text. */
static void audit_key(sg_http_req *req, sg_app *app, const sg_api_key *k)
{
    json_t *d = json_pack("{s:s, s:s}", "name", k->name, "role", k->role);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sg_api_audit(req, app, "key.create", k->id, detail);
    free(detail);
    json_decref(d);
}

sg_http_result sg_api_keys_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_role role;
    const char *name;
    char text[SG_KEY_TEXT_MAX] = "";
    if (parse_create(req, in, &role, &name)) {
        sg_api_key row;
        sg_error e = {0};
        sg_err err = sg_key_create(app->store, role, name, text, &row, &e);
        if (err) {
            sg_api_store_error(req, err, e.message[0] ? e.message : "cannot store the key");
        } else {
            audit_key(req, app, &row);
            json_t *resp = key_json(&row);
            json_object_set_new(resp, "key", json_string(text));
            sg_http_respond_json(req, 201, resp);
        }
    }
    sodium_memzero(text, sizeof text);
    json_decref(in);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_keys_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_key *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_key_list(app->store, &rows, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot list the keys");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, key_json(&rows[i]));
    free(rows);
    sg_http_respond_json(req, 200, json_pack("{s:o, s:n}", "data", data, "next_cursor"));
    return SG_HTTP_DONE;
}

sg_http_result sg_api_keys_delete(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    const char *id = sg_http_param(req, 0);
    sg_error e = {0};
    sg_err err = sg_id_valid("key", id) ? sg_store_key_revoke(app->store, id, sg_time_now_ms(), &e)
                                        : SG_ERR_NOT_FOUND;
    if (err == SG_ERR_NOT_FOUND) {
        sg_http_problem(req, 404, "not_found", NULL, "no key %.64s (or it is already revoked)", id);
    } else if (err) {
        sg_api_store_error(req, err, e.message[0] ? e.message : "cannot revoke the key");
    } else {
        sg_auth_forget(id);
        sg_api_audit(req, app, "key.revoke", id, NULL);
        sg_http_respond(req, 204, NULL, "", 0);
    }
    return SG_HTTP_DONE;
}
