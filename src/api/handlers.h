/* Every API handler; routes.c ties them to paths and roles. ctx is the sg_app. */
#ifndef SG_API_HANDLERS_H
#define SG_API_HANDLERS_H

#include "api/app.h"
#include "http/server.h"

#include <jansson.h>

sg_http_result sg_api_messages_create(sg_http_req *req, void *ctx);
/* Accept one message described by obj (stolen) and answer 202 after commit, as
 * POST /v1/messages does. */
sg_http_result sg_api_send_one(sg_http_req *req, sg_app *app, json_t *obj);
/* Like sg_api_send_one, but once the message is committed then(req, app, its id,
 * arg) runs (on the store's writer thread) instead of the 202 answer: it
 * takes the deferred request over and must answer it and sg_http_resume it.
 * Refusals, store errors and idempotent replays are answered as sg_api_send_one
 * answers them, without calling then. */
typedef void (*sg_api_sent_fn)(sg_http_req *req, sg_app *app, const char *message_id, void *arg);
sg_http_result sg_api_send_one_then(sg_http_req *req, sg_app *app, json_t *obj,
                                    sg_api_sent_fn then, void *arg);
struct sg_reject;
/* What a caller of sg_api_send_one_hooked changes in how one message is sent
 * (the compatible endpoints): every member may be NULL/0. */
typedef struct sg_api_send_hooks {
    /* Once accepted, before it is stored: tag m (its app). False: out of memory. */
    bool (*tag)(sg_message *m, void *arg);
    /* The answer to give once committed, with status and content_type (NULL:
     * JSON), instead of 202 and sg_message_accepted_json. */
    json_t *(*answer)(const sg_message *m, void *arg);
    int status;
    const char *content_type;
    /* Answer a refusal (instead of problem+json); a 429 has Retry-After set. */
    void (*refuse)(sg_http_req *req, const struct sg_reject *rej, void *arg);
    sg_api_sent_fn then; /* as in sg_api_send_one_then */
    void *arg;
} sg_api_send_hooks;
sg_http_result sg_api_send_one_hooked(sg_http_req *req, sg_app *app, json_t *obj,
                                      const sg_api_send_hooks *h);
/* What a caller of sg_api_send_many_hooked changes in how several messages
 * (one request's recipients) are sent (the compatible endpoints). */
typedef struct sg_api_many_hooks {
    bool (*tag)(sg_message *m, void *arg); /* as in sg_api_send_hooks; may be NULL */
    /* Message i of the request: accepted (m) or refused (m NULL, rej why). */
    void (*row)(size_t i, const sg_message *m, const struct sg_reject *rej, void *arg);
    /* The answer once every row is in (a JSON string is sent as its text), given
     * with status when some message was accepted (after the commit) and with
     * status_none at once when none was; content_type NULL: JSON. */
    json_t *(*answer)(size_t accepted, void *arg);
    int status, status_none;
    const char *content_type;
    void *arg;
} sg_api_many_hooks;
/* Accept each message of arr (an array of objects as POST /v1/messages takes;
 * stolen) on its own, store the accepted ones in one commit and answer as h says. */
sg_http_result sg_api_send_many_hooked(sg_http_req *req, sg_app *app, json_t *arr,
                                       const sg_api_many_hooks *h);
sg_http_result sg_api_messages_batch(sg_http_req *req, void *ctx);
sg_http_result sg_api_messages_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_messages_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_messages_cancel(sg_http_req *req, void *ctx);

sg_http_result sg_api_providers_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_delete(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_test(sg_http_req *req, void *ctx);

sg_http_result sg_api_contacts_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_contacts_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_contacts_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_contacts_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_contacts_delete(sg_http_req *req, void *ctx);
/* DELETE /v1/contacts/{id}?erase=true: sg_store_contact_erase by the caller's key,
 * answered 200 with the counts (erasure.c). */
sg_http_result sg_api_contact_erase(sg_http_req *req, sg_app *app, const char *contact_id);
/* GET /v1/audit: the audit log, newest first, filtered and cursor-paged (audit.c). */
sg_http_result sg_api_audit_list(sg_http_req *req, void *ctx);
/* An audit entry as GET /v1/audit and `smsgate audit --json` show it. */
json_t *sg_audit_json(const sg_audit *a);
/* Record in the audit log that the caller of req (sg_auth_actor, from the
 * client address) did action ("provider.create", ...) on subject (an id or a
 * phone number). Called right after the change committed; detail is JSON text
 * or NULL and never holds a secret. A failed write is logged, not answered:
 * the change itself stands. */
void sg_api_audit(sg_http_req *req, sg_app *app, const char *action, const char *subject,
                  const char *detail);
sg_http_result sg_api_contacts_timeline(sg_http_req *req, void *ctx);

sg_http_result sg_api_optouts_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_optouts_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_optouts_delete(sg_http_req *req, void *ctx);

sg_http_result sg_api_error_codes(sg_http_req *req, void *ctx);

/* /v1/provider-kinds (api/provider_kinds.c): the kinds and their config fields. */
sg_http_result sg_api_provider_kinds_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_provider_kinds_get(sg_http_req *req, void *ctx);

/* /v1/webhooks (api/webhooks.c): app webhook subscriptions and their deliveries. */
sg_http_result sg_api_webhooks_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_webhooks_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_webhooks_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_webhooks_delete(sg_http_req *req, void *ctx);
/* /v1/keywords: keyword rules (keywords.c). */
sg_http_result sg_api_keywords_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_keywords_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_keywords_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_keywords_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_keywords_delete(sg_http_req *req, void *ctx);

/* /v1/journeys: journeys, their states, enrolments and counts (journeys.c). */
sg_http_result sg_api_journeys_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_activate(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_pause(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_resume(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_archive(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_enroll(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_stats(sg_http_req *req, void *ctx);
sg_http_result sg_api_journeys_enrollments(sg_http_req *req, void *ctx);
sg_http_result sg_api_webhooks_deliveries(sg_http_req *req, void *ctx);

/* /v1/keys (api/keys.c): API keys, admins only. */
sg_http_result sg_api_keys_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_keys_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_keys_delete(sg_http_req *req, void *ctx);

/* /v1/groups, /v1/segments, /v1/templates, import and export (api/audience.c). */
sg_http_result sg_api_groups_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_delete(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_add(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_remove(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_members(sg_http_req *req, void *ctx);
sg_http_result sg_api_groups_count(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_delete(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_count(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_delete(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_preview(sg_http_req *req, void *ctx);
/* Console editors: a group's new name (audited), an unsaved filter's count, an
 * unsaved body's preview (api/audience.c). */
sg_http_result sg_api_groups_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_segments_count_filter(sg_http_req *req, void *ctx);
sg_http_result sg_api_templates_preview_body(sg_http_req *req, void *ctx);
/* The streamed CSV body of POST /v1/contacts/import, then its answer. */
bool sg_api_import_chunk(sg_http_req *req, const char *data, size_t len, void *ctx);
sg_http_result sg_api_contacts_import(sg_http_req *req, void *ctx);
sg_http_result sg_api_contacts_export(sg_http_req *req, void *ctx);
/* Encoding, segments and UCS-2 characters (with GSM-7 look-alikes) of a text. */
json_t *sg_api_text_report(const char *text);

/* /v1/broadcasts, /v1/stats, /l/{code} (api/broadcasts.c). */
sg_http_result sg_api_broadcasts_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_send(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_pause(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_resume(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_cancel(sg_http_req *req, void *ctx);
sg_http_result sg_api_broadcasts_stats(sg_http_req *req, void *ctx);
sg_http_result sg_api_stats(sg_http_req *req, void *ctx);
/* GET /v1/nodes (api/nodes.c). */
sg_http_result sg_api_nodes_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_link_redirect(sg_http_req *req, void *ctx);

sg_http_result sg_api_healthz(sg_http_req *req, void *ctx);
sg_http_result sg_api_metrics(sg_http_req *req, void *ctx);

/* Contact import jobs (api/imports.c): POST /v1/contacts/imports makes one, the
 * upload names it (?job=), GET /v1/contacts/imports/{id} shows its progress. */
sg_http_result sg_api_imports_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_imports_get(sg_http_req *req, void *ctx);
/* Record an import's progress in its job (status "importing", "done" or
 * "failed"; error: why it failed, or NULL); with the rejected rows once it has
 * finished. A failure to write is logged: the import goes on. */
struct sg_import_result;
void sg_api_import_job_write(sg_app *app, const char *job_id, const char *status,
                             const struct sg_import_result *r, uint64_t bytes, const char *error);
/* The rejected rows [{line, code, detail}] (the first SG_IMPORT_MAX_REJECTED). */
json_t *sg_api_import_rejections_json(const struct sg_import_result *r);
/* /v1/providers/{id}/health and /v1/providers/{id}/prices (api/provider_health.c). */
sg_http_result sg_api_providers_health(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_prices_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_providers_prices_put(sg_http_req *req, void *ctx);
/* The estimated cost per provider and currency of the messages created in
 * [from, to) (sg_store_price_costs) as a JSON array; null when the store fails. */
json_t *sg_api_costs_json(sg_app *app, int64_t from, int64_t to);

/* The route table, terminated by an entry whose method is NULL. */
extern const sg_route sg_api_routes[];

/* A URL a user gives smsgate to call (webhooks, an app's callbacks): SG_URL_OK;
 * SG_URL_MALFORMED when it is not an http(s) URL with a host of at most 500
 * bytes without blanks; SG_URL_REFUSED, *why naming the reason, when its host is
 * an address the outbound policy refuses (NULL: the strict default). In
 * webhooks.c. */
enum { SG_URL_OK = 0, SG_URL_MALFORMED, SG_URL_REFUSED };
struct sg_outbound_policy;
int sg_api_url_check(const struct sg_outbound_policy *policy, const char *url, const char **why);

/* /v1/apps (apps.c): app accounts of the compatible endpoints. */
sg_http_result sg_api_apps_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_apps_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_apps_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_apps_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_apps_delete(sg_http_req *req, void *ctx);
sg_http_result sg_api_apps_rotate(sg_http_req *req, void *ctx);
sg_http_result sg_api_app_keys_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_app_keys_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_app_keys_delete(sg_http_req *req, void *ctx);
/* /v1/routes (api/route_api.c over api/route_admin.c): routes between providers. */
sg_http_result sg_api_routes_create(sg_http_req *req, void *ctx);
sg_http_result sg_api_routes_list(sg_http_req *req, void *ctx);
sg_http_result sg_api_routes_get(sg_http_req *req, void *ctx);
sg_http_result sg_api_routes_update(sg_http_req *req, void *ctx);
sg_http_result sg_api_routes_delete(sg_http_req *req, void *ctx);

#endif
