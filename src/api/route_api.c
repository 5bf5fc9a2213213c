/* /v1/routes: thin HTTP wrappers around route_admin.c; every write is audited
 * (route.create, route.update, route.delete) with the names of the fields set. */
#include "api/common.h"
#include "api/handlers.h"
#include "api/route_admin.h"
#include "http/problem.h"

#include <stdlib.h>
#include <string.h>

static void audit(sg_http_req *req, sg_app *app, const char *action, const char *id,
                  const json_t *in)
{
    json_t *d = json_object();
    if (in) {
        json_t *fields = json_array();
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)in, key, v)
        {
            json_array_append_new(fields, json_string(key));
        }
        json_object_set_new(d, "fields", fields);
    }
    char *detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    sg_api_audit(req, app, action, id, detail);
    free(detail);
    json_decref(d);
}

static sg_http_result answer(sg_http_req *req, bool ok, int status, json_t *view,
                             const sg_reject *rej)
{
    if (ok)
        sg_http_respond_json(req, status, view);
    else
        sg_http_problem(req, rej->status, rej->code, rej->field[0] ? rej->field : NULL, "%s",
                        rej->detail);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_routes_create(sg_http_req *req, void *ctx)
{
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *view = NULL;
    sg_reject rej;
    char id[SG_ID_MAX];
    bool ok = sg_route_admin_create(ctx, in, &view, id, &rej);
    if (ok)
        audit(req, ctx, "route.create", id, in);
    json_decref(in);
    return answer(req, ok, 201, view, &rej);
}

sg_http_result sg_api_routes_list(sg_http_req *req, void *ctx)
{
    json_t *view = NULL;
    sg_reject rej;
    bool ok = sg_route_admin_list(ctx, &view, &rej);
    return answer(req, ok, 200, view, &rej);
}

sg_http_result sg_api_routes_get(sg_http_req *req, void *ctx)
{
    json_t *view = NULL;
    sg_reject rej;
    bool ok = sg_route_admin_show(ctx, sg_http_param(req, 0), &view, &rej);
    return answer(req, ok, 200, view, &rej);
}

sg_http_result sg_api_routes_update(sg_http_req *req, void *ctx)
{
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *view = NULL;
    sg_reject rej;
    char id[SG_ID_MAX];
    bool ok = sg_route_admin_update(ctx, sg_http_param(req, 0), in, &view, id, &rej);
    if (ok)
        audit(req, ctx, "route.update", id, in);
    json_decref(in);
    return answer(req, ok, 200, view, &rej);
}

sg_http_result sg_api_routes_delete(sg_http_req *req, void *ctx)
{
    sg_reject rej;
    char id[SG_ID_MAX];
    if (!sg_route_admin_delete(ctx, sg_http_param(req, 0), id, &rej))
        return answer(req, false, 0, NULL, &rej);
    audit(req, ctx, "route.delete", id, NULL);
    sg_http_respond(req, 204, NULL, "", 0);
    return SG_HTTP_DONE;
}
