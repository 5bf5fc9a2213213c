#include "api/auth.h"
#include "api/handlers.h"
#include "api/hooks.h"
#include "callbacks/callbacks.h"

/* Paths, handlers, the least role allowed, and flags. Message sends handle
 * Idempotency-Key themselves (stored in the same transaction as the messages);
 * other POSTs that change state are flagged SG_API_IDEMPOTENT. */
const sg_route sg_api_routes[] = {
    {"GET", "/healthz", sg_api_healthz, SG_ROLE_PUBLIC, 0},
    {"GET", "/metrics", sg_api_metrics, SG_ROLE_PUBLIC, 0},
    {"POST", "/v1/messages", sg_api_messages_create, SG_ROLE_SENDER, 0},
    {"GET", "/v1/messages", sg_api_messages_list, SG_ROLE_VIEWER, 0},
    {"POST", "/v1/messages/batch", sg_api_messages_batch, SG_ROLE_SENDER, 0},
    {"GET", "/v1/messages/{id}", sg_api_messages_get, SG_ROLE_VIEWER, 0},
    {"POST", "/v1/messages/{id}/cancel", sg_api_messages_cancel, SG_ROLE_SENDER, SG_API_IDEMPOTENT},
    {"POST", "/v1/providers", sg_api_providers_create, SG_ROLE_ADMIN, SG_API_IDEMPOTENT},
    {"GET", "/v1/providers", sg_api_providers_list, SG_ROLE_VIEWER, 0},
    {"GET", "/v1/providers/{id}", sg_api_providers_get, SG_ROLE_VIEWER, 0},
    {"PATCH", "/v1/providers/{id}", sg_api_providers_update, SG_ROLE_ADMIN, 0},
    {"DELETE", "/v1/providers/{id}", sg_api_providers_delete, SG_ROLE_ADMIN, 0},
    {"POST", "/v1/providers/{id}/test", sg_api_providers_test, SG_ROLE_SENDER, 0},
    {"POST", "/v1/contacts", sg_api_contacts_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT},
    {"GET", "/v1/contacts", sg_api_contacts_list, SG_ROLE_VIEWER, 0},
    {"GET", "/v1/contacts/{id}", sg_api_contacts_get, SG_ROLE_VIEWER, 0},
    {"PATCH", "/v1/contacts/{id}", sg_api_contacts_update, SG_ROLE_SENDER, 0},
    {"DELETE", "/v1/contacts/{id}", sg_api_contacts_delete, SG_ROLE_ADMIN, 0},
    {"GET", "/v1/contacts/{id}/timeline", sg_api_contacts_timeline, SG_ROLE_VIEWER, 0},
    {"POST", "/v1/optouts", sg_api_optouts_create, SG_ROLE_ADMIN, SG_API_IDEMPOTENT},
    {"GET", "/v1/optouts", sg_api_optouts_list, SG_ROLE_VIEWER, 0},
    {"DELETE", "/v1/optouts/{phone}", sg_api_optouts_delete, SG_ROLE_ADMIN, 0},
    {"GET", "/v1/error-codes", sg_api_error_codes, SG_ROLE_VIEWER, 0},
    /* Not SG_API_IDEMPOTENT: the create answer holds the secret, which must not be
     * stored in clear with an idempotency key. */
    {"POST", "/v1/webhooks", sg_api_webhooks_create, SG_ROLE_ADMIN, 0},
    {"GET", "/v1/webhooks", sg_api_webhooks_list, SG_ROLE_VIEWER, 0},
    {"GET", "/v1/webhooks/{id}", sg_api_webhooks_get, SG_ROLE_VIEWER, 0},
    {"DELETE", "/v1/webhooks/{id}", sg_api_webhooks_delete, SG_ROLE_ADMIN, 0},
    {"GET", "/v1/webhooks/{id}/deliveries", sg_api_webhooks_deliveries, SG_ROLE_VIEWER, 0},
    /* Provider webhooks: authenticated by the provider's signature, not a key. */
    {"POST", "/callbacks/{provider}/status", sg_callback_status, SG_ROLE_PUBLIC, 0},
    {"POST", "/callbacks/{provider}/inbound", sg_callback_inbound, SG_ROLE_PUBLIC, 0},
    {"GET", "/callbacks/{provider}/{secret}/status", sg_callback_secret_status, SG_ROLE_PUBLIC, 0},
    {"POST", "/callbacks/{provider}/{secret}/status", sg_callback_secret_status, SG_ROLE_PUBLIC,
     0},
    {"GET", "/callbacks/{provider}/{secret}/inbound", sg_callback_secret_inbound, SG_ROLE_PUBLIC,
     0},
    {"POST", "/callbacks/{provider}/{secret}/inbound", sg_callback_secret_inbound, SG_ROLE_PUBLIC,
     0},
    {NULL, NULL, NULL, 0, 0},
};
