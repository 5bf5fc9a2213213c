/* The Clickatell drivers (providers.md B.1-B.3), sans-I/O like every driver:
 *
 * - "clickatell": the legacy HTTP API (api.clickatell.com/http/sendmsg, user,
 *   password and api_id in a form body, plain-text "ID:" / "ERR:" answers). Its
 *   config also takes CiviCRM's "API Parameters" box as one text (params).
 * - "clickatell-platform": the Platform REST API (platform.clickatell.com/messages,
 *   the raw API key as Authorization, JSON both ways; the One API error shapes
 *   are understood too).
 *
 * Error codes in sg_prov_result.error_code are the keys of the "clickatell"
 * block of the error-code catalogue (errors.c): a legacy ERR code as
 * Clickatell writes it ("001", "114"), or "platform-<n>" for a Platform / One
 * API error code n ("platform-23"). Delivery statuses used as error codes
 * ("status-007") come from clickatell_callbacks.h. */
#ifndef SG_PROVIDERS_CLICKATELL_H
#define SG_PROVIDERS_CLICKATELL_H

#include "providers/provider.h"

extern const sg_provider_kind sg_clickatell_kind;
extern const sg_provider_kind sg_clickatell_platform_kind;

/* Clickatell's rows of the error-code catalogue (errors.c), shared by both
 * kinds, ended by a NULL code. */
extern const sg_errcode sg_clickatell_errors[];
/* `smsgate simulate clickatell`, for both kinds (sim.c). */
extern const sg_kind_sim sg_clickatell_sim_kind;

/* The catalogue provider name of every Clickatell code, for either kind. */
#define SG_CLICKATELL_CATALOGUE "clickatell"

/* The legacy api_id of a loaded config (borrowed; NULL for the Platform). */
const char *sg_ck_cfg_api_id(const void *cfg);

/* The kinds' callback hooks (sg_provider_kind's callbacks block; callback_hooks.c).
 * Clickatell cannot sign: its callbacks come to the secret URLs only. Parameters
 * are the query of a GET, a POST's form body, or a JSON body: the Platform's is
 * parsed as JSON, the legacy API's flat JSON object is read as a form. A legacy
 * callback's api_id must be the provider's (403, field api_id). */
bool sg_ck_cb_read_legacy(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                          sg_cb_refusal *r);
bool sg_ck_cb_read_platform(const void *cfg, const sg_cb_request *rq, sg_cb_params *out,
                            sg_cb_refusal *r);
bool sg_ck_cb_status_legacy(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                            sg_cb_refusal *r);
bool sg_ck_cb_status_platform(const void *cfg, const sg_cb_params *p, sg_cb_status *out,
                              sg_cb_refusal *r);
bool sg_ck_cb_inbound_legacy(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                             sg_cb_refusal *r);
bool sg_ck_cb_inbound_platform(const void *cfg, const sg_cb_params *p, sg_cb_inbound *out,
                               sg_cb_refusal *r);

#endif
