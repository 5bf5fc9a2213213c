/* Clickatell's callbacks as the kinds read them (providers.md B.1-B.3; the hooks
 * of the two kinds' callbacks blocks, sans-I/O). Clickatell signs nothing: the
 * secret URL (checked by callbacks/callbacks.c) is the proof, and a legacy
 * callback's api_id must be the provider's. The legacy HTTP API sends GET query
 * parameters, a POST form or a flat JSON object; the Platform (and the One API)
 * JSON, or GET query parameters. */
#include "providers/clickatell/callbacks.h"
#include "providers/clickatell/clickatell.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One JSON value of a flat object as text: a string (NUL bytes kept, for the
 * provider's text decoding) or a number. False for anything else. */
static bool json_text(json_t *v, char num[64], const char **text, size_t *len)
{
    if (json_is_string(v)) {
        *text = json_string_value(v);
        *len = json_string_length(v);
    } else if (json_is_integer(v)) {
        snprintf(num, 64, "%lld", (long long)json_integer_value(v));
        *text = num;
        *len = strlen(num);
    } else if (json_is_real(v)) {
        snprintf(num, 64, "%g", json_real_value(v));
        *text = num;
        *len = strlen(num);
    } else {
        return false;
    }
    return true;
}

/* A flat JSON object ({"apiMsgId": "...", "status": "004", "charge": 0.8}) as a
 * form, for legacy callbacks sent as JSON (null values skipped). False if it is
 * not such an object (out is then empty). */
static bool json_to_form(const char *json, size_t len, sg_form *out)
{
    out->pairs = NULL;
    out->n = 0;
    json_t *j = json_loadb(json, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(j) || json_object_size(j) > SG_FORM_MAX_PAIRS) {
        json_decref(j);
        return false;
    }
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    const char *key;
    json_t *v;
    bool ok = true;
    json_object_foreach(j, key, v)
    {
        char num[64];
        const char *text;
        size_t text_len;
        if (json_is_null(v))
            continue;
        ok = json_text(v, num, &text, &text_len) && sg_form_add_n(&b, key, text, text_len) == SG_OK;
        if (!ok)
            break;
    }
    json_decref(j);
    ok = ok && sg_form_parse_keep_nul(sg_buf_cstr(&b), b.len, out) == SG_OK;
    sg_buf_free(&b);
    return ok;
}

/* NUL bytes are kept for the text only (the text decoding turns them into
 * U+FFFD); anywhere else a value would be cut short. */
static bool nul_outside_text(const sg_form *form)
{
    for (size_t i = 0; i < form->n; i++) {
        const sg_form_pair *pr = &form->pairs[i];
        bool text = strcmp(pr->key, "text") == 0 || strcmp(pr->key, "content") == 0;
        if (!text && strlen(pr->value) != pr->value_len)
            return true;
    }
    return false;
}

/* The parameters: the query for GET; for POST a form body or, when the body is
 * JSON, the JSON (and the query as the form). A legacy provider's JSON is a flat
 * object and is read as a form instead; JSON that is not one stays JSON. */
static bool read_params(const sg_cb_request *rq, bool platform, sg_cb_params *out, sg_cb_refusal *r)
{
    bool post = strcmp(rq->method, "POST") == 0;
    const char *ct = rq->content_type;
    bool ok;
    if (post && ct && strncasecmp(ct, "application/json", 16) == 0) {
        out->json = rq->body;
        out->json_len = rq->body_len;
        out->form = rq->query;
        ok = rq->query != NULL;
    } else if (post && rq->body_len > 0) {
        ok = sg_form_parse_keep_nul(rq->body, rq->body_len, &out->own) == SG_OK;
        out->form = &out->own;
    } else {
        out->form = rq->query;
        ok = rq->query != NULL;
    }
    if (ok && out->json && !platform) {
        if (json_to_form(out->json, out->json_len, &out->own))
            out->json = NULL;
        out->form = &out->own;
    }
    if (!ok) {
        sg_cb_params_free(out);
        return sg_cb_refuse(r, 400, "invalid_request", NULL, "the callback cannot be parsed");
    }
    if (nul_outside_text(out->form)) {
        sg_cb_params_free(out);
        return sg_cb_refuse(r, 400, "invalid_request", NULL,
                            "a parameter other than the text holds a NUL character");
    }
    return true;
}

bool sg_ck_cb_read_legacy(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                          sg_cb_refusal *r)
{
    (void)cfg;
    return read_params(rq, false, out, r);
}

bool sg_ck_cb_read_platform(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                            sg_cb_refusal *r)
{
    (void)cfg;
    return read_params(rq, true, out, r);
}

/* A legacy callback's api_id must be the provider's. */
static bool api_id_matches(const void *cfg, const char *api_id, sg_cb_refusal *r)
{
    const char *want = sg_ck_cfg_api_id(cfg);
    if (want && strcmp(want, api_id) == 0)
        return true;
    return sg_cb_refuse(r, 403, "forbidden", "api_id",
                        "the callback's api_id is not this provider's");
}

/* The generic report from a parsed one (err from its parser). */
static bool status_out(sg_err err, const sg_error *e, const sg_clickatell_status_cb *cb,
                       sg_cb_status *out, sg_cb_refusal *r)
{
    if (err)
        return sg_cb_refuse(r, 400, "invalid_request", e->field, "%s", e->message);
    snprintf(out->provider_message_id, sizeof out->provider_message_id, "%s", cb->message_id);
    out->has_status = cb->has_status;
    out->status = cb->status;
    snprintf(out->status_raw, sizeof out->status_raw, "%s", cb->status_raw);
    snprintf(out->error_code, sizeof out->error_code, "%s", cb->error_code);
    snprintf(out->error_message, sizeof out->error_message, "%s", cb->error_message);
    out->errcode =
        cb->error_code[0] ? sg_errcode_find(SG_CLICKATELL_CATALOGUE, cb->error_code) : NULL;
    return true;
}

bool sg_ck_cb_status_legacy(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                            sg_cb_refusal *r)
{
    sg_clickatell_status_cb cb;
    sg_error e = {0};
    sg_err err = p->json ? sg_clickatell_parse_platform_status(p->json, p->json_len, &cb, &e)
                         : sg_clickatell_parse_status(p->form, &cb, &e);
    return status_out(err, &e, &cb, out, r) && api_id_matches(cfg, cb.api_id, r);
}

bool sg_ck_cb_status_platform(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                              sg_cb_refusal *r)
{
    (void)cfg;
    sg_clickatell_status_cb cb;
    sg_error e = {0};
    sg_err err = p->json ? sg_clickatell_parse_platform_status(p->json, p->json_len, &cb, &e)
                         : sg_clickatell_parse_platform_status_form(p->form, &cb, &e);
    return status_out(err, &e, &cb, out, r);
}

/* The generic inbound from a parsed one (err from its parser); in is freed. */
static bool inbound_out(sg_err err, const sg_error *e, sg_clickatell_inbound *in,
                        sg_cb_inbound *out, sg_cb_refusal *r)
{
    if (err)
        return sg_cb_refuse(r, 400, "invalid_request", e->field, "%s", e->message);
    snprintf(out->provider_message_id, sizeof out->provider_message_id, "%s", in->message_id);
    snprintf(out->from, sizeof out->from, "%s", in->from_e164[0] ? in->from_e164 : in->from);
    snprintf(out->to, sizeof out->to, "%s", in->to_e164[0] ? in->to_e164 : in->to);
    out->to_owned = false;
    out->segments = 0;
    out->body = in->text;
    in->text = NULL;
    sg_clickatell_inbound_free(in);
    return true;
}

bool sg_ck_cb_inbound_legacy(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                             sg_cb_refusal *r)
{
    sg_clickatell_inbound in;
    sg_error e = {0};
    sg_err err = p->json ? sg_clickatell_parse_platform_reply(p->json, p->json_len, &in, &e)
                         : sg_clickatell_parse_inbound(p->form, &in, &e);
    char api_id[sizeof in.api_id] = "";
    if (!err)
        snprintf(api_id, sizeof api_id, "%s", in.api_id);
    return inbound_out(err, &e, &in, out, r) && api_id_matches(cfg, api_id, r);
}

bool sg_ck_cb_inbound_platform(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                               sg_cb_refusal *r)
{
    (void)cfg;
    sg_clickatell_inbound in;
    sg_error e = {0};
    sg_err err = p->json ? sg_clickatell_parse_platform_reply(p->json, p->json_len, &in, &e)
                         : sg_clickatell_parse_platform_reply_form(p->form, &in, &e);
    return inbound_out(err, &e, &in, out, r);
}
