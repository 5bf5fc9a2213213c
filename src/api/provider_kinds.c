/* /v1/provider-kinds: the kinds smsgate can drive, each described by its table row
 * (providers/provider.h): label, description, how its webhooks are authenticated
 * and its config fields with labels, help, type and flags. The console builds its
 * provider forms from this; any authenticated role may read it. */
#include "api/handlers.h"
#include "http/problem.h"
#include "providers/provider.h"

sg_http_result sg_api_provider_kinds_list(sg_http_req *req, void *ctx)
{
    (void)ctx;
    json_t *data = json_array();
    for (const sg_provider_kind *const *k = sg_provider_kinds(); data && *k; k++)
        json_array_append_new(data, sg_provider_kind_json(*k));
    json_t *body = data ? json_pack("{s:o}", "data", data) : NULL;
    if (!body) {
        sg_http_problem(req, 503, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    sg_http_respond_json(req, 200, body);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_provider_kinds_get(sg_http_req *req, void *ctx)
{
    (void)ctx;
    const char *name = sg_http_param(req, 0);
    const sg_provider_kind *k = sg_provider_kind_find(name);
    if (!k) {
        sg_http_problem(req, 404, "not_found", NULL, "no provider kind %.64s", name);
        return SG_HTTP_DONE;
    }
    json_t *body = sg_provider_kind_json(k);
    if (!body) {
        sg_http_problem(req, 503, "internal", NULL, "out of memory");
        return SG_HTTP_DONE;
    }
    sg_http_respond_json(req, 200, body);
    return SG_HTTP_DONE;
}
