/* Turning a request to send (a JSON object from the API, or the CLI's flags) into
 * a message ready to store, with the precise reason when it cannot be: the one
 * place where a message is validated, shared by POST /v1/messages, the batch
 * endpoint, provider tests and `smsgate send`. */
#ifndef SG_API_ACCEPT_H
#define SG_API_ACCEPT_H

#include "api/app.h"

#include <jansson.h>

typedef struct sg_reject {
    int status;       /* HTTP status: 400, 422 */
    const char *code; /* stable problem code */
    char field[64];
    char detail[256];
} sg_reject;

/* Fill r and return false, so a validator can `return sg_reject_set(...)`. */
bool sg_reject_set(sg_reject *r, int status, const char *code, const char *field, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));

#define SG_SEND_AT_MAX_AHEAD_MS (366LL * 24 * 3600 * 1000)
#define SG_METADATA_MAX         4096

/* Validate obj ({"to", "body", "from"?, "provider"?, "send_at"?, "contact_id"?,
 * "metadata"?, "track_clicks"?, "validity_seconds"?}) against the providers in set. On success
 * fills m (caller frees with sg_message_free) and *prov (borrowed from set) and returns true. */
bool sg_accept_message(const sg_app *app, const sg_provider_set *set, json_t *obj, int64_t now,
                       sg_message *m, const sg_provider **prov, sg_reject *rej);

/* The provider of a message being accepted (accept_route.c, docs/routing.md): the
 * one obj's "provider" names, or the only one whose sender pool holds m->from,
 * pins it (failed over only with "failover": true); else the route matching
 * m->to chooses, the default provider as the last resort. Sets m->route_id,
 * m->failover and m->route_event; *prov is borrowed from set. False with rej. */
bool sg_accept_provider(const sg_provider_set *set, json_t *obj, sg_message *m,
                        const sg_provider **prov, sg_reject *rej);

/* The 202 answer for an accepted message. */
json_t *sg_message_accepted_json(const sg_message *m, const char *provider_name);
/* The full message resource, with its events (may be NULL/0). */
json_t *sg_message_json(const sg_message *m, const sg_event *ev, size_t n,
                        const char *provider_name);

#endif
