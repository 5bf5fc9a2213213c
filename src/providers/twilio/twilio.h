/* The Twilio Messages API driver (providers.md A.1-A.4). */
#ifndef SG_PROVIDERS_TWILIO_H
#define SG_PROVIDERS_TWILIO_H

#include "providers/provider.h"

extern const sg_provider_kind sg_twilio_kind;
/* Twilio's rows of the error-code catalogue (errors.c), ended by a NULL code. */
extern const sg_errcode sg_twilio_errors[];
/* `smsgate simulate twilio` (sim.c). */
extern const sg_kind_sim sg_twilio_sim_kind;

/* For the kind's callback hooks: the auth token that checks webhook signatures
 * and the Messaging Service SID of a loaded config, NULL when it has none
 * (borrowed from cfg). */
const char *sg_twilio_cfg_auth_token(const void *cfg);
const char *sg_twilio_cfg_service_sid(const void *cfg);

/* The kind's callback hooks (sg_provider_kind's callbacks block; callback_hooks.c):
 * a form-encoded POST (415 otherwise), signed with X-Twilio-Signature over the URL
 * Twilio called (or, for a status, the provider's status_callback_url). Without an
 * auth_token only the secret URLs are taken. */
bool sg_twilio_cb_read(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                       sg_cb_refusal *r);
bool sg_twilio_cb_verify(const void *cfg, const sg_cb_request *rq, const sg_cb_params *p,
                         sg_cb_refusal *r);
bool sg_twilio_cb_status(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                         sg_cb_refusal *r);
bool sg_twilio_cb_inbound(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                          sg_cb_refusal *r);

/* The answer to a webhook taken: empty TwiML (sg_twiml_response with no reply). */
#define SG_TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"

#endif
