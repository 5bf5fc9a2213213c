#include "api/auth.h"
#include "api/handlers.h"

/* Paths, handlers and the least role allowed. Keep sorted by path. */
const sg_route sg_api_routes[] = {
    {"GET", "/healthz", sg_api_healthz, SG_ROLE_PUBLIC},
    {"GET", "/metrics", sg_api_metrics, SG_ROLE_PUBLIC},
    {"POST", "/v1/messages", sg_api_messages_create, SG_ROLE_SENDER},
    {"GET", "/v1/messages", sg_api_messages_list, SG_ROLE_VIEWER},
    {"POST", "/v1/messages/batch", sg_api_messages_batch, SG_ROLE_SENDER},
    {"GET", "/v1/messages/{id}", sg_api_messages_get, SG_ROLE_VIEWER},
    {"POST", "/v1/messages/{id}/cancel", sg_api_messages_cancel, SG_ROLE_SENDER},
    {"POST", "/v1/providers", sg_api_providers_create, SG_ROLE_ADMIN},
    {"GET", "/v1/providers", sg_api_providers_list, SG_ROLE_VIEWER},
    {"GET", "/v1/providers/{id}", sg_api_providers_get, SG_ROLE_VIEWER},
    {"PATCH", "/v1/providers/{id}", sg_api_providers_update, SG_ROLE_ADMIN},
    {"DELETE", "/v1/providers/{id}", sg_api_providers_delete, SG_ROLE_ADMIN},
    {"POST", "/v1/providers/{id}/test", sg_api_providers_test, SG_ROLE_SENDER},
    {NULL, NULL, NULL, 0},
};
