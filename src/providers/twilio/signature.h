/* X-Twilio-Signature (providers.md A.9): base64(HMAC-SHA1(auth token, URL + the
 * POST parameters sorted by key, each as key + value)). Used to verify Twilio's
 * webhooks and, in the simulator, to sign them. */
#ifndef SG_PROVIDERS_TWILIO_SIGNATURE_H
#define SG_PROVIDERS_TWILIO_SIGNATURE_H

#include "util/form.h"

#include <stdbool.h>

#define SG_TWILIO_SIG_MAX 32 /* base64 of 20 bytes is 28 characters + NUL */

/* The signature of a request to url with the form parameters params (NULL or
 * empty for none); out gets SG_TWILIO_SIG_MAX bytes. Parameters are sorted by
 * key bytewise; a repeated key contributes each of its distinct values in sorted
 * order (a value sent twice counts once, as in twilio-node and twilio-python). */
void sg_twilio_sign(const char *auth_token, const char *url, const sg_form *params,
                    char out[SG_TWILIO_SIG_MAX]);

/* True if signature matches url (as Twilio requested it) and params, trying the
 * variants Twilio's own validators accept: as given, without any port, with the
 * port (the default :443 for https or :80 for http when it has none), and each
 * with the query string re-encoded as Node's querystring module does ("It%27s"
 * becomes "It's", a space "%20"). User information ("user:pass@") is kept in
 * every variant. Constant-time comparison. */
bool sg_twilio_signature_valid(const char *auth_token, const char *url, const sg_form *params,
                               const char *signature);

#endif
