/* Provider options every kind understands, handled by smsgate rather than by the
 * kind's driver (a driver refuses keys it does not know, so they are taken out of
 * the config before the driver sees it and put back after):
 *
 *   require_template_id  true: a send through this provider must carry an
 *                        external template id (India's DLT rules); refused with
 *                        400 template_id_required otherwise.
 *   status_callback_url  the status-callback URL given to the provider instead of
 *                        {public-url}/callbacks/{id}/status (a proxy in front of
 *                        smsgate, say); null or absent: that default. */
#ifndef SG_PROVIDERS_COMMON_OPTIONS_H
#define SG_PROVIDERS_COMMON_OPTIONS_H

#include "providers/provider.h"
#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>

#define SG_CALLBACK_URL_MAX 512

typedef struct sg_prov_common {
    bool require_template_id;
    char status_callback_url[SG_CALLBACK_URL_MAX]; /* "" = the default */
} sg_prov_common;

/* Move the common keys out of config (an object) into *taken (a new object the
 * caller decrefs; keys whose value is null are dropped) and out, validated. On
 * failure returns false with e filled in (field "config.<key>"); config may have
 * lost some common keys then. */
bool sg_prov_common_take(json_t *config, json_t **taken, sg_prov_common *out, sg_error *e);

/* The options every kind takes, described as a kind's config_keys are (ended by
 * a NULL key): the two above and retry_for_seconds (which every driver checks,
 * providers/config_fields.h). GET /v1/provider-kinds lists them after each kind's
 * own fields, marked "common". */
extern const sg_config_key sg_prov_common_keys[];

/* True if url is an absolute http(s) URL with a host, printable ASCII without
 * spaces, shorter than SG_CALLBACK_URL_MAX. */
bool sg_prov_callback_url_valid(const char *url);

#endif
