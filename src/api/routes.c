#include "api/auth.h"
#include "api/console.h"
#include "api/handlers.h"
#include "api/hooks.h"
#include "api/session.h"
#include "api/users.h"
#include "callbacks/callbacks.h"
#include "compat/clickatell_api.h"
#include "compat/twilio_api.h"
#include "core/prices.h"

/* Rows leave out the fields they do not set (most have no max_body of their own). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Paths, handlers, the least role allowed, and flags. Message sends handle
 * Idempotency-Key themselves (stored in the same transaction as the messages);
 * other POSTs that change state are flagged SG_API_IDEMPOTENT. */
const sg_route sg_api_routes[] = {
    {"GET", "/healthz", sg_api_healthz, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/metrics", sg_api_metrics, SG_ROLE_PUBLIC, 0, NULL},
    {"POST", "/v1/messages", sg_api_messages_create, SG_ROLE_SENDER, 0, NULL},
    {"GET", "/v1/messages", sg_api_messages_list, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/messages/batch", sg_api_messages_batch, SG_ROLE_SENDER, 0, NULL},
    {"GET", "/v1/messages/{id}", sg_api_messages_get, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/messages/{id}/cancel", sg_api_messages_cancel, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"POST", "/v1/providers", sg_api_providers_create, SG_ROLE_ADMIN, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/providers", sg_api_providers_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/providers/{id}", sg_api_providers_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/providers/{id}", sg_api_providers_update, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/providers/{id}", sg_api_providers_delete, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/providers/{id}/test", sg_api_providers_test, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/contacts", sg_api_contacts_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/contacts", sg_api_contacts_list, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/contacts/import", sg_api_contacts_import, SG_ROLE_SENDER, 0, sg_api_import_chunk},
    {"GET", "/v1/contacts/export", sg_api_contacts_export, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/contacts/{id}", sg_api_contacts_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/contacts/{id}", sg_api_contacts_update, SG_ROLE_SENDER, 0, NULL},
    {"DELETE", "/v1/contacts/{id}", sg_api_contacts_delete, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/contacts/{id}/timeline", sg_api_contacts_timeline, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/optouts", sg_api_optouts_create, SG_ROLE_ADMIN, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/optouts", sg_api_optouts_list, SG_ROLE_VIEWER, 0, NULL},
    {"DELETE", "/v1/optouts/{phone}", sg_api_optouts_delete, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/groups", sg_api_groups_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/groups", sg_api_groups_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/groups/{id}", sg_api_groups_get, SG_ROLE_VIEWER, 0, NULL},
    {"DELETE", "/v1/groups/{id}", sg_api_groups_delete, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/groups/{id}/count", sg_api_groups_count, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/groups/{id}/members", sg_api_groups_members, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/groups/{id}/members", sg_api_groups_add, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/groups/{id}/members/remove", sg_api_groups_remove, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/segments", sg_api_segments_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/segments", sg_api_segments_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/segments/{id}", sg_api_segments_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/segments/{id}", sg_api_segments_update, SG_ROLE_SENDER, 0, NULL},
    {"DELETE", "/v1/segments/{id}", sg_api_segments_delete, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/segments/{id}/count", sg_api_segments_count, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/templates", sg_api_templates_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/templates", sg_api_templates_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/templates/{id}", sg_api_templates_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/templates/{id}", sg_api_templates_update, SG_ROLE_SENDER, 0, NULL},
    {"DELETE", "/v1/templates/{id}", sg_api_templates_delete, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/templates/{id}/preview", sg_api_templates_preview, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/groups/{id}", sg_api_groups_update, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/segments/count", sg_api_segments_count_filter, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/templates/preview", sg_api_templates_preview_body, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/broadcasts", sg_api_broadcasts_create, SG_ROLE_SENDER, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/broadcasts", sg_api_broadcasts_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/broadcasts/{id}", sg_api_broadcasts_get, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/broadcasts/{id}/send", sg_api_broadcasts_send, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/broadcasts/{id}/pause", sg_api_broadcasts_pause, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/broadcasts/{id}/resume", sg_api_broadcasts_resume, SG_ROLE_SENDER, 0, NULL},
    {"POST", "/v1/broadcasts/{id}/cancel", sg_api_broadcasts_cancel, SG_ROLE_SENDER, 0, NULL},
    {"GET", "/v1/broadcasts/{id}/stats", sg_api_broadcasts_stats, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/stats", sg_api_stats, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/nodes", sg_api_nodes_list, SG_ROLE_VIEWER, 0, NULL},
    /* Tracked links: public, the code is the secret. */
    {"GET", "/l/{code}", sg_api_link_redirect, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/v1/error-codes", sg_api_error_codes, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/provider-kinds", sg_api_provider_kinds_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/provider-kinds/{name}", sg_api_provider_kinds_get, SG_ROLE_VIEWER, 0, NULL},
    /* Not SG_API_IDEMPOTENT: the create answer holds the secret, which must not be
     * stored in clear with an idempotency key. */
    {"POST", "/v1/webhooks", sg_api_webhooks_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/webhooks", sg_api_webhooks_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/webhooks/{id}", sg_api_webhooks_get, SG_ROLE_VIEWER, 0, NULL},
    {"DELETE", "/v1/webhooks/{id}", sg_api_webhooks_delete, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/webhooks/{id}/deliveries", sg_api_webhooks_deliveries, SG_ROLE_VIEWER, 0, NULL},
    {"POST", "/v1/routes", sg_api_routes_create, SG_ROLE_ADMIN, SG_API_IDEMPOTENT, NULL},
    {"GET", "/v1/routes", sg_api_routes_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/routes/{id}", sg_api_routes_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/routes/{id}", sg_api_routes_update, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/routes/{id}", sg_api_routes_delete, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/keywords", sg_api_keywords_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/keywords", sg_api_keywords_list, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/keywords/{id}", sg_api_keywords_get, SG_ROLE_VIEWER, 0, NULL},
    {"PATCH", "/v1/keywords/{id}", sg_api_keywords_update, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/keywords/{id}", sg_api_keywords_delete, SG_ROLE_ADMIN, 0, NULL},
    /* Not SG_API_IDEMPOTENT either: the create answer holds the key. */
    {"POST", "/v1/keys", sg_api_keys_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/keys", sg_api_keys_list, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/keys/{id}", sg_api_keys_delete, SG_ROLE_ADMIN, 0, NULL},
    /* Provider webhooks: authenticated by the provider's signature, not a key. */
    {"POST", "/callbacks/{provider}/status", sg_callback_status, SG_ROLE_PUBLIC, 0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"POST", "/callbacks/{provider}/inbound", sg_callback_inbound, SG_ROLE_PUBLIC, 0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"GET", "/callbacks/{provider}/{secret}/status", sg_callback_secret_status, SG_ROLE_PUBLIC, 0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"POST", "/callbacks/{provider}/{secret}/status", sg_callback_secret_status, SG_ROLE_PUBLIC,
     0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"GET", "/callbacks/{provider}/{secret}/inbound", sg_callback_secret_inbound, SG_ROLE_PUBLIC,
     0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"POST", "/callbacks/{provider}/{secret}/inbound", sg_callback_secret_inbound, SG_ROLE_PUBLIC,
     0, NULL, SG_CALLBACK_MAX_BODY, true},
    {"GET", "/v1/audit", sg_api_audit_list, SG_ROLE_ADMIN, 0, NULL},
    /* Issue 12: circuit breakers and prices (api/provider_health.c). */
    {"GET", "/v1/providers/{id}/health", sg_api_providers_health, SG_ROLE_VIEWER, 0, NULL},
    {"GET", "/v1/providers/{id}/prices", sg_api_providers_prices_get, SG_ROLE_VIEWER, 0, NULL},
    {"PUT", "/v1/providers/{id}/prices", sg_api_providers_prices_put, SG_ROLE_ADMIN, 0, NULL,
     SG_PRICES_MAX_BYTES},
    /* The web console (api/console.c): public files, every page signs in through
     * /v1. Its routes are only "/" and "/console..." (never beside the API's or the
     * compatible endpoints' roots); one row per depth of client-side route. */
    {"GET", "/", sg_console_redirect, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console", sg_console_redirect, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console/", sg_console_get, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console/{a}", sg_console_get, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console/{a}/{b}", sg_console_get, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console/{a}/{b}/{c}", sg_console_get, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/console/{a}/{b}/{c}/{d}", sg_console_get, SG_ROLE_PUBLIC, 0, NULL},
    /* Console sessions (api/session.h): public routes that read the cookie
     * themselves; sign-in runs on the password workers. */
    {"POST", "/v1/session", sg_api_session_create, SG_ROLE_PUBLIC, 0, NULL},
    {"GET", "/v1/session", sg_api_session_get, SG_ROLE_PUBLIC, 0, NULL},
    {"DELETE", "/v1/session", sg_api_session_delete, SG_ROLE_PUBLIC, 0, NULL},
    /* Not SG_API_IDEMPOTENT: the bodies hold passwords, never stored. */
    {"GET", "/v1/users", sg_api_users_list, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/users", sg_api_users_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/users/{id}", sg_api_users_get, SG_ROLE_ADMIN, 0, NULL},
    {"PATCH", "/v1/users/{id}", sg_api_users_update, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/users/{id}", sg_api_users_delete, SG_ROLE_ADMIN, 0, NULL},
    /* App accounts of the compatible endpoints (issue 15). Not SG_API_IDEMPOTENT:
     * the create and rotate answers hold the auth token. */
    {"POST", "/v1/apps", sg_api_apps_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/apps", sg_api_apps_list, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/apps/{id}", sg_api_apps_get, SG_ROLE_ADMIN, 0, NULL},
    {"PATCH", "/v1/apps/{id}", sg_api_apps_update, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/apps/{id}", sg_api_apps_delete, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/apps/{id}/rotate", sg_api_apps_rotate, SG_ROLE_ADMIN, 0, NULL},
    {"POST", "/v1/apps/{id}/keys", sg_api_app_keys_create, SG_ROLE_ADMIN, 0, NULL},
    {"GET", "/v1/apps/{id}/keys", sg_api_app_keys_list, SG_ROLE_ADMIN, 0, NULL},
    {"DELETE", "/v1/apps/{id}/keys/{sid}", sg_api_app_keys_delete, SG_ROLE_ADMIN, 0, NULL},
    /* The Twilio-compatible Messages API (compat/twilio_api.h): HTTP Basic with an
     * app's Account SID and auth token; the tag is the least role of the app. */
    {"POST", "/2010-04-01/Accounts/{sid}/Messages.json", sg_compat_twilio_create, SG_ROLE_SENDER,
     SG_API_COMPAT_TWILIO, NULL},
    {"GET", "/2010-04-01/Accounts/{sid}/Messages.json", sg_compat_twilio_list, SG_ROLE_VIEWER,
     SG_API_COMPAT_TWILIO, NULL},
    {"GET", "/2010-04-01/Accounts/{sid}/Messages/{msg}", sg_compat_twilio_fetch, SG_ROLE_VIEWER,
     SG_API_COMPAT_TWILIO, NULL},
    {"POST", "/2010-04-01/Accounts/{sid}/Messages/{msg}", sg_compat_twilio_update, SG_ROLE_SENDER,
     SG_API_COMPAT_TWILIO, NULL},
    {"DELETE", "/2010-04-01/Accounts/{sid}/Messages/{msg}", sg_compat_twilio_delete,
     SG_ROLE_SENDER, SG_API_COMPAT_TWILIO, NULL},
    /* Contact import jobs (api/imports.c): the upload stays POST /v1/contacts/import. */
    {"POST", "/v1/contacts/imports", sg_api_imports_create, SG_ROLE_SENDER, 0, NULL},
    {"GET", "/v1/contacts/imports/{id}", sg_api_imports_get, SG_ROLE_VIEWER, 0, NULL},
    /* The Clickatell-compatible endpoints (compat/clickatell_api.h): at the root as
     * Clickatell's are; they authenticate in the handler (the credentials come in
     * the query or body), and read text that may be Latin-1 (raw_args). */
    {.method = "GET", .pattern = "/http/sendmsg", .handler = sg_compat_ck_sendmsg,
     .tag = SG_ROLE_PUBLIC, .max_body = 16 * 1024, .raw_args = true},
    {.method = "POST", .pattern = "/http/sendmsg", .handler = sg_compat_ck_sendmsg,
     .tag = SG_ROLE_PUBLIC, .max_body = 16 * 1024, .raw_args = true},
    {.method = "GET", .pattern = "/http/querymsg", .handler = sg_compat_ck_querymsg,
     .tag = SG_ROLE_PUBLIC, .max_body = 4096, .raw_args = true},
    {.method = "POST", .pattern = "/http/querymsg", .handler = sg_compat_ck_querymsg,
     .tag = SG_ROLE_PUBLIC, .max_body = 4096, .raw_args = true},
    {.method = "GET", .pattern = "/messages/http/send", .handler = sg_compat_ck_http_send,
     .tag = SG_ROLE_PUBLIC, .max_body = 4096, .raw_args = true},
    {.method = "POST", .pattern = "/messages", .handler = sg_compat_ck_messages,
     .tag = SG_ROLE_PUBLIC, .max_body = 64 * 1024},
    {NULL, NULL, NULL, 0, 0, NULL},
};
