/* /v1/providers: thin HTTP wrappers around provider_admin.c. */
#include "api/auth.h"
#include "api/common.h"
#include "api/handlers.h"
#include "api/provider_admin.h"
#include "api/send_wait.h"
#include "http/problem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Whether the caller may see callback URLs that carry a secret. */
static bool caller_is_admin(const sg_http_req *req)
{
    const sg_caller *c = sg_auth_caller(req);
    return c && c->role >= SG_ROLE_ADMIN;
}

/* Audit a provider write: subject the provider's id, detail as
 * sg_provider_admin_audit_detail says (field names, never values). */
static void audit(sg_http_req *req, void *ctx, const char *action, const json_t *view,
                  const json_t *in)
{
    char *detail = sg_provider_admin_audit_detail(action, view, in);
    sg_api_audit(req, ctx, action, json_string_value(json_object_get(view, "id")), detail);
    free(detail);
}

static sg_http_result answer(sg_http_req *req, bool ok, int status, json_t *view,
                             const sg_reject *rej)
{
    if (ok)
        sg_http_respond_json(req, status, view);
    else
        sg_http_problem(req, rej->status, rej->code, rej->field, "%s", rej->detail);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_providers_create(sg_http_req *req, void *ctx)
{
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *view = NULL;
    sg_reject rej;
    bool ok = sg_provider_admin_create(ctx, in, &view, &rej);
    if (ok)
        audit(req, ctx, "provider.create", view, in);
    json_decref(in);
    return answer(req, ok, 201, view, &rej);
}

sg_http_result sg_api_providers_list(sg_http_req *req, void *ctx)
{
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, 1000, &pg))
        return SG_HTTP_DONE;
    json_t *view = NULL;
    sg_reject rej;
    if (!sg_provider_admin_list_for(ctx, caller_is_admin(req), &view, &rej))
        return answer(req, false, 200, view, &rej);
    sg_api_respond_page(req, view, "id", &pg);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_providers_get(sg_http_req *req, void *ctx)
{
    json_t *view = NULL;
    sg_reject rej;
    bool ok =
        sg_provider_admin_show_for(ctx, sg_http_param(req, 0), caller_is_admin(req), &view, &rej);
    return answer(req, ok, 200, view, &rej);
}

sg_http_result sg_api_providers_update(sg_http_req *req, void *ctx)
{
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *view = NULL;
    sg_reject rej;
    bool ok = sg_provider_admin_update(ctx, sg_http_param(req, 0), in, &view, &rej);
    if (ok)
        audit(req, ctx, sg_provider_admin_update_action(in), view, in);
    json_decref(in);
    return answer(req, ok, 200, view, &rej);
}

sg_http_result sg_api_providers_delete(sg_http_req *req, void *ctx)
{
    sg_reject rej;
    json_t *view = NULL; /* for the id when the path names the provider */
    if (!sg_provider_admin_show_for(ctx, sg_http_param(req, 0), true, &view, &rej) ||
        !sg_provider_admin_delete(ctx, sg_http_param(req, 0), &rej)) {
        json_decref(view);
        return answer(req, false, 0, NULL, &rej);
    }
    audit(req, ctx, "provider.delete", view, NULL);
    json_decref(view);
    sg_http_respond(req, 204, NULL, "", 0);
    return SG_HTTP_DONE;
}

/* POST /v1/providers/{id}/test {"to", "body"?, "wait"?}: a real message through
 * this provider, answered like POST /v1/messages; with "wait": N (seconds) the
 * request is held until the message is delivered or fails, or N runs out
 * (send_wait.h), and answered 200 with the message and its outcome. */
sg_http_result sg_api_providers_test(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    const char *key;
    json_t *val;
    json_object_foreach(in, key, val)
    {
        if (strcmp(key, "to") != 0 && strcmp(key, "body") != 0 && strcmp(key, "wait") != 0) {
            /* key points into `in`: answer before releasing it */
            sg_http_problem(req, 400, "invalid_request", key,
                            "unknown field '%.64s' (known: to, body, wait)", key);
            json_decref(in);
            return SG_HTTP_DONE;
        }
    }
    json_t *wait = json_object_get(in, "wait");
    json_int_t wait_s = json_integer_value(wait);
    if (wait && (!json_is_integer(wait) || wait_s < 1 || wait_s > SG_SEND_WAIT_MAX_S)) {
        json_decref(in);
        sg_http_problem(req, 400, "invalid_request", "wait",
                        "'wait' must be a whole number of seconds from 1 to %d",
                        SG_SEND_WAIT_MAX_S);
        return SG_HTTP_DONE;
    }
    json_object_del(in, "wait");
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, sg_http_param(req, 0));
    char id[SG_ID_MAX], name[64];
    if (p) {
        snprintf(id, sizeof id, "%s", p->id);
        snprintf(name, sizeof name, "%s", p->name);
    }
    sg_registry_release(app->registry, set);
    if (!p) {
        json_decref(in);
        sg_http_problem(req, 404, "not_found", NULL, "no provider '%.64s'", sg_http_param(req, 0));
        return SG_HTTP_DONE;
    }
    if (!json_object_get(in, "body")) {
        char body[128];
        snprintf(body, sizeof body, "Test message from smsgate through provider %s.", name);
        json_object_set_new(in, "body", json_string(body));
    }
    json_object_set_new(in, "provider", json_string(id));
    if (!wait)
        return sg_api_send_one(req, app, in);
    return sg_api_send_one_then(req, app, in, sg_send_wait_hold, (void *)(intptr_t)wait_s);
}
