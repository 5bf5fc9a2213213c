/* Twilio's webhooks as the kind reads them (providers.md A.6-A.9; the hooks of
 * sg_twilio_kind's callbacks block, sans-I/O): a form-encoded POST, signed with
 * X-Twilio-Signature, parsed by callbacks.c in this folder into the generic
 * records of providers/callback_types.h. */
#include "providers/twilio/callbacks.h"
#include "providers/twilio/signature.h"
#include "providers/twilio/twilio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Twilio's error codes are the "twilio" block of the error-code catalogue. */
#define CATALOGUE "twilio"

bool sg_twilio_cb_read(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                       sg_cb_refusal *r)
{
    (void)cfg;
    const char *ct = rq->content_type;
    if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
        return sg_cb_refuse(r, 415, "unsupported_media_type", NULL,
                            "Twilio webhooks are application/x-www-form-urlencoded");
    if (sg_form_parse(rq->body, rq->body_len, &out->own) != SG_OK)
        return sg_cb_refuse(r, 400, "invalid_request", NULL, "the form body cannot be parsed");
    out->form = &out->own;
    return true;
}

/* With an auth token the signature must match, on the URL Twilio called or, for a
 * status, on the provider's status_callback_url (a proxy forwarded the report
 * Twilio signed for it). Without one Twilio's signature cannot be checked, and
 * only a request to the secret URL (whose secret was checked) is taken. */
bool sg_twilio_cb_verify(const void *cfg, const sg_cb_request *rq, const sg_cb_params *p,
                         sg_cb_refusal *r)
{
    const char *token = sg_twilio_cfg_auth_token(cfg);
    const char *sig = rq->header(rq->header_ctx, "X-Twilio-Signature");
    if (!token) {
        if (rq->secret_url)
            return true;
        r->log_reason = "no_auth_token";
        return sg_cb_refuse(r, 403, "forbidden", NULL,
                            "this provider has no auth_token to check Twilio's signature with: "
                            "its callbacks come to its secret URLs (callback_urls, shown to admin "
                            "keys; a provider created before smsgate made them gets one with any "
                            "config edit)");
    }
    if (sig && sg_twilio_signature_valid(token, rq->url, p->form, sig))
        return true;
    if (sig && rq->what == SG_CB_STATUS && rq->status_callback_url[0] &&
        sg_twilio_signature_valid(token, rq->status_callback_url, p->form, sig))
        return true;
    r->log_reason = sig ? "bad_signature" : "no_signature";
    return sg_cb_refuse(r, 403, "forbidden", NULL, "%s",
                        sig ? "X-Twilio-Signature does not match this request (check "
                              "--public-url and the provider's auth token)"
                            : "X-Twilio-Signature is missing");
}

bool sg_twilio_cb_status(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                         sg_cb_refusal *r)
{
    (void)cfg;
    sg_twilio_status_cb cb;
    sg_error e = {0};
    if (sg_twilio_parse_status(p->form, &cb, &e) != SG_OK)
        return sg_cb_refuse(r, 400, "invalid_request", e.field, "%s", e.message);
    snprintf(out->provider_message_id, sizeof out->provider_message_id, "%s", cb.message_sid);
    out->has_status = cb.has_status;
    out->status = cb.status;
    snprintf(out->status_raw, sizeof out->status_raw, "%s", cb.status_raw);
    snprintf(out->error_code, sizeof out->error_code, "%s", cb.error_code);
    snprintf(out->error_message, sizeof out->error_message, "%s", cb.error_message);
    out->errcode = cb.error_code[0] ? sg_errcode_find(CATALOGUE, cb.error_code) : NULL;
    return true;
}

/* An inbound that names the provider's own Messaging Service: Twilio vouches
 * that the number written to is one of that service's. */
bool sg_twilio_cb_inbound(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                          sg_cb_refusal *r)
{
    sg_twilio_inbound tin;
    sg_error e = {0};
    if (sg_twilio_parse_inbound(p->form, &tin, &e) != SG_OK)
        return sg_cb_refuse(r, 400, "invalid_request", e.field, "%s", e.message);
    const char *service = sg_twilio_cfg_service_sid(cfg);
    snprintf(out->provider_message_id, sizeof out->provider_message_id, "%s", tin.message_sid);
    snprintf(out->from, sizeof out->from, "%s", tin.from);
    snprintf(out->to, sizeof out->to, "%s", tin.to);
    out->to_owned =
        tin.messaging_service_sid[0] && service && strcmp(service, tin.messaging_service_sid) == 0;
    out->segments = tin.segments;
    out->body = tin.body;
    tin.body = NULL;
    sg_twilio_inbound_free(&tin);
    return true;
}
