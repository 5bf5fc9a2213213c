/* The generic half of a provider's webhooks (callback_types.h): the three
 * steps every callback takes through its kind's hooks. Pure: no HTTP here. */
#include "providers/callback_types.h"
#include "providers/provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sg_cb_params_free(sg_cb_params *p)
{
    sg_form_free(&p->own);
    p->form = NULL;
    p->json = NULL;
    p->json_len = 0;
}

void sg_cb_inbound_free(sg_cb_inbound *in)
{
    free(in->body);
    in->body = NULL;
}

bool sg_cb_refuse(sg_cb_refusal *r, int http_status, const char *code, const char *field,
                  const char *fmt, ...)
{
    r->http_status = http_status;
    r->code = code;
    snprintf(r->field, sizeof r->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->detail, sizeof r->detail, fmt, ap);
    va_end(ap);
    return false;
}

/* Steps one and two, shared: the parameters, authenticated. False with r filled
 * (p then holds nothing to free). */
static bool read_verified(const sg_provider_kind *k, const void *cfg, const sg_cb_request *rq,
                          sg_cb_params *p, sg_cb_refusal *r)
{
    memset(p, 0, sizeof *p);
    if (!k->callback_read(cfg, rq, p, r))
        return false;
    if (k->callback_verify && !k->callback_verify(cfg, rq, p, r)) {
        sg_cb_params_free(p);
        return false;
    }
    return true;
}

bool sg_cb_run_status(const sg_provider_kind *k, const void *cfg, const sg_cb_request *rq,
                      sg_cb_status *out, sg_cb_refusal *r)
{
    memset(out, 0, sizeof *out);
    memset(r, 0, sizeof *r);
    sg_cb_params p;
    if (!read_verified(k, cfg, rq, &p, r))
        return false;
    bool ok = k->parse_status_cb(cfg, &p, out, r);
    sg_cb_params_free(&p);
    return ok;
}

bool sg_cb_run_inbound(const sg_provider_kind *k, const void *cfg, const sg_cb_request *rq,
                       sg_cb_inbound *out, sg_cb_refusal *r)
{
    memset(out, 0, sizeof *out);
    memset(r, 0, sizeof *r);
    sg_cb_params p;
    if (!read_verified(k, cfg, rq, &p, r))
        return false;
    bool ok = k->parse_inbound_cb(cfg, &p, out, r);
    sg_cb_params_free(&p);
    if (!ok)
        sg_cb_inbound_free(out);
    return ok;
}
