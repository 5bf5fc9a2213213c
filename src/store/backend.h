/* The seam between store.h and its backends: what a backend implements.
 *
 * store.h is the only door to data. Each of its sg_store_* functions (but
 * sg_store_open and the row helpers of rows.c) has one field here, named after it
 * without the sg_store_ prefix and with the same parameters, in the block
 * (sub-struct) of its subject; store.c forwards sg_store_X(s, ...) to
 * s->be->SUBJECT->X(s, ...). A backend fills one table per subject (the SQLite
 * backend: one per file, at the end of store/sqlite/sqlite_SUBJECT.c) and one
 * sg_store_backend pointing at them.
 *
 * A backend's handle starts with an sg_store (its first member), so that the
 * sg_store * that callers hold is the backend's own object: the backend casts it
 * back (sq_of in the SQLite backend). Every field must be set.
 *
 * Adding a store function: its prototype in store.h, a field in its subject's
 * block below, its forwarder in store.c, its implementation and table row in each
 * backend (docs/internals/store.md, "How to add a store function"). */
#ifndef SG_STORE_BACKEND_H
#define SG_STORE_BACKEND_H

#include "store/store.h"

typedef struct sg_store_backend sg_store_backend;

/* The head of every backend's handle. */
struct sg_store {
    const sg_store_backend *be;
};

/* Lifecycle and health: close, migrations, ping, writability, the dispatch lock. */
typedef struct sg_store_core_ops {
    void (*close)(sg_store *s);
    sg_err (*migrate)(sg_store *s, int *applied, sg_error *e);
    sg_err (*schema_version)(sg_store *s, int *current, int *latest);
    sg_err (*ping)(sg_store *s);
    bool (*writable)(sg_store *s, char *reason, size_t cap);
    sg_err (*dispatch_lock)(sg_store *s, sg_error *e);
    sg_err (*master_key_check)(sg_store *s, const char *check, bool *match, sg_error *e);
    sg_err (*due_listen)(sg_store *s, const char *direct, void (*wake)(void *arg), void *arg,
                         sg_error *e);
    void (*due_unlisten)(sg_store *s);
} sg_store_core_ops;

/* API keys. */
typedef struct sg_store_keys_ops {
    sg_err (*key_insert)(sg_store *s, const sg_api_key *k, sg_error *e);
    sg_err (*key_get)(sg_store *s, const char *id, sg_api_key *out);
    sg_err (*key_list)(sg_store *s, sg_api_key **out, size_t *n);
    sg_err (*key_revoke)(sg_store *s, const char *id, int64_t at, sg_error *e);
    sg_err (*keys_generation)(sg_store *s, int64_t *gen);
    sg_err (*key_touch)(sg_store *s, const char *id, int64_t at);
} sg_store_keys_ops;

/* A key's send limits and daily usage. */
typedef struct sg_store_limits_ops {
    sg_err (*key_limits_set)(sg_store *s, const char *id, const sg_key_limits *l, sg_error *e);
    sg_err (*key_usage_get)(sg_store *s, const char *key_id, int64_t day, int64_t *sent);
    sg_err (*key_usage_put)(sg_store *s, const sg_key_usage *rows, size_t n, sg_error *e);
} sg_store_limits_ops;

/* Providers. */
typedef struct sg_store_providers_ops {
    sg_err (*provider_insert)(sg_store *s, const sg_provider_row *p, sg_error *e);
    sg_err (*provider_update)(sg_store *s, const sg_provider_row *p, sg_error *e);
    sg_err (*provider_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*provider_get)(sg_store *s, const char *id_or_name, sg_provider_row *out);
    sg_err (*provider_list)(sg_store *s, sg_provider_row **out, size_t *n);
    sg_err (*provider_generation)(sg_store *s, int64_t *gen);
} sg_store_providers_ops;

/* Messages: accepted writes, idempotency keys, reads, the list, cancel. */
typedef struct sg_store_messages_ops {
    sg_err (*messages_insert)(sg_store *s, sg_insert_req *r);
    sg_err (*idem_get)(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                       int *status, char **body);
    sg_err (*idem_put)(sg_store *s, const sg_idem_write *w, sg_error *e);
    sg_err (*message_get)(sg_store *s, const char *id, sg_message *out);
    sg_err (*message_get_with_events)(sg_store *s, const char *id, sg_message *out, sg_event **ev,
                                      size_t *n);
    sg_err (*message_list)(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                           bool *has_more);
    sg_err (*message_cancel)(sg_store *s, const char *id, sg_message *out, sg_error *e);
} sg_store_messages_ops;

/* Dispatch: claims and leases, outcomes, recovery, queue counts. */
typedef struct sg_store_dispatch_ops {
    sg_err (*claim_submit)(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                           void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                           void *arg);
    sg_err (*outcomes)(sg_store *s, const sg_outcome *o, size_t n,
                       void (*done)(void *arg, sg_err err), void *arg);
    sg_err (*outcome_found)(sg_store *s, const sg_outcome *o,
                            const char (*ids)[SG_PROVIDER_MSG_ID_MAX], size_t n,
                            void (*done)(void *arg, bool attributed, sg_err err), void *arg);
    sg_err (*claims_recover)(sg_store *s, int64_t now, size_t *n, sg_error *e);
    sg_err (*queue_stats)(sg_store *s, sg_queue_stats *out);
    sg_err (*node_register)(sg_store *s, const char *id, const char *start_id,
                            const char *listen, int64_t now, sg_error *e);
    sg_err (*node_beat)(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                        void (*done)(void *arg, const sg_node_beat_result *r, sg_err err),
                        void *arg);
    sg_err (*node_stop)(sg_store *s, int64_t now, sg_error *e);
    sg_err (*nodes_list)(sg_store *s, sg_node **out, size_t *n, sg_error *e);
} sg_store_dispatch_ops;

/* Provider status reports (and the early ones). */
typedef struct sg_store_callbacks_ops {
    sg_err (*status_report)(sg_store *s, sg_status_report *r, sg_error *e);
    sg_err (*status_report_submit)(sg_store *s, sg_status_report *r);
} sg_store_callbacks_ops;

/* Inbound messages. */
typedef struct sg_store_inbound_ops {
    sg_err (*inbound)(sg_store *s, sg_inbound *in, sg_error *e);
} sg_store_inbound_ops;

/* Contacts. */
typedef struct sg_store_contacts_ops {
    sg_err (*contact_insert)(sg_store *s, const sg_contact *c, sg_error *e);
    sg_err (*contact_update)(sg_store *s, const sg_contact *c, sg_error *e);
    sg_err (*contact_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*contact_get)(sg_store *s, const char *id_or_phone, sg_contact *out);
    sg_err (*contact_list)(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                           size_t *n, bool *has_more);
} sg_store_contacts_ops;

/* A contact's timeline. */
typedef struct sg_store_timeline_ops {
    sg_err (*timeline)(sg_store *s, const char *phone, const char *cursor, size_t limit,
                       sg_timeline_item **out, size_t *n, char next_cursor[64]);
} sg_store_timeline_ops;

/* Opt-outs. */
typedef struct sg_store_optouts_ops {
    sg_err (*optout_add)(sg_store *s, const sg_optout *o, bool *changed, sg_error *e);
    sg_err (*optout_remove)(sg_store *s, const char *phone, const char *source,
                            const char *message_id, bool *changed, sg_error *e);
    sg_err (*optout_get)(sg_store *s, const char *phone, sg_optout *out);
    sg_err (*optout_list)(sg_store *s, const char *cursor, size_t limit, sg_optout **out, size_t *n,
                          bool *has_more);
} sg_store_optouts_ops;

/* Import, groups, segments, templates, links and clicks. */
typedef struct sg_store_audience_ops {
    sg_err (*contacts_upsert)(sg_store *s, sg_contact_upsert *rows, size_t n, const char *group_id,
                              sg_error *e);
    sg_err (*contacts_upsert_submit)(sg_store *s, sg_upsert_req *r);
    sg_err (*contacts_each)(sg_store *s, const char *group_id,
                            int (*fn)(void *user, const sg_contact *c), void *user);
    sg_err (*group_create)(sg_store *s, const sg_group *g, sg_error *e);
    sg_err (*group_ensure)(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e);
    sg_err (*group_get)(sg_store *s, const char *id_or_name, sg_group *out);
    sg_err (*group_list)(sg_store *s, sg_group **out, size_t *n);
    sg_err (*group_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*group_rename)(sg_store *s, const char *id, const char *name, sg_error *e);
    sg_err (*group_members)(sg_store *s, const char *group_id, const char *const *contacts,
                            size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e);
    sg_err (*group_contacts)(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                             sg_contact **out, size_t *n, bool *has_more);
    sg_err (*segment_create)(sg_store *s, const sg_segment *g, sg_error *e);
    sg_err (*segment_update)(sg_store *s, const sg_segment *g, sg_error *e);
    sg_err (*segment_get)(sg_store *s, const char *id_or_name, sg_segment *out);
    sg_err (*segment_list)(sg_store *s, sg_segment **out, size_t *n);
    sg_err (*segment_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*audience_count)(sg_store *s, const char *kind, const char *id, int64_t now,
                             sg_audience_count *out, sg_error *e);
    sg_err (*template_create)(sg_store *s, const sg_template *t, sg_error *e);
    sg_err (*template_update)(sg_store *s, const sg_template *t, sg_error *e);
    sg_err (*template_get)(sg_store *s, const char *id_or_name, sg_template *out);
    sg_err (*template_list)(sg_store *s, sg_template **out, size_t *n);
    sg_err (*template_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*link_get)(sg_store *s, const char *code, sg_link *out);
    sg_err (*click)(sg_store *s, const char *code, int64_t at, const char *user_agent, sg_error *e);
} sg_store_audience_ops;

/* Broadcasts. */
typedef struct sg_store_broadcasts_ops {
    sg_err (*broadcast_create)(sg_store *s, const sg_broadcast *b, sg_error *e);
    sg_err (*broadcast_get)(sg_store *s, const char *id, sg_broadcast *out);
    sg_err (*broadcast_list)(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                             size_t *n, bool *has_more);
    sg_err (*broadcast_transition)(sg_store *s, const char *id, unsigned from_mask,
                                   sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                   sg_error *e);
    sg_err (*broadcasts_active)(sg_store *s, int64_t now, sg_broadcast **out, size_t *n);
    sg_err (*broadcast_materialize)(sg_store *s, const char *id, size_t chunk, int64_t now,
                                    bool *finished, sg_error *e);
    sg_err (*broadcast_pending)(sg_store *s, const char *id, int64_t now, size_t limit,
                                sg_recipient **out, size_t *n);
    sg_err (*broadcast_apply)(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                              int64_t now, size_t *queued, sg_error *e);
    sg_err (*broadcast_outstanding)(sg_store *s, const char *id, int64_t *n);
    sg_err (*broadcast_fail)(sg_store *s, const char *id, const char *reason, int64_t now,
                             bool *changed, sg_error *e);
    sg_err (*broadcast_finish_if_done)(sg_store *s, const char *id, int64_t now, bool *done,
                                       sg_error *e);
} sg_store_broadcasts_ops;

/* Statistics. */
typedef struct sg_store_stats_ops {
    sg_err (*stats)(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out);
    sg_err (*broadcast_stats)(sg_store *s, const char *id, sg_stats *out);
    sg_err (*stats_provider)(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                             const char *provider_id, sg_stats *out);
} sg_store_stats_ops;

/* App webhooks and their deliveries. */
typedef struct sg_store_webhooks_ops {
    sg_err (*webhook_insert)(sg_store *s, const sg_webhook *w, sg_error *e);
    sg_err (*webhook_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*webhook_get)(sg_store *s, const char *id, sg_webhook *out);
    sg_err (*webhook_list)(sg_store *s, sg_webhook **out, size_t *n);
    sg_err (*delivery_list)(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                            sg_delivery **out, size_t *n, bool *has_more);
    sg_err (*delivery_claim)(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                             const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                             sg_delivery **out, size_t *n);
    sg_err (*delivery_result)(sg_store *s, long long id, sg_delivery_state state, int http_status,
                              const char *error, int64_t next_attempt_at, sg_error *e);
} sg_store_webhooks_ops;

/* Retention: the body purge, a contact's erasure, the audit list. */
typedef struct sg_store_retention_ops {
    sg_err (*purge_bodies)(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                           size_t *purged, sg_error *e);
    sg_err (*contact_erase)(sg_store *s, const char *id, const char *actor, int64_t at,
                            sg_erase_counts *out, sg_error *e);
    sg_err (*audit_list)(sg_store *s, size_t limit, sg_audit **out, size_t *n);
} sg_store_retention_ops;

/* Console users, sessions, the sign-in throttle, audit writes and reads. */
typedef struct sg_store_users_ops {
    sg_err (*user_insert)(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e);
    sg_err (*user_get)(sg_store *s, const char *id_or_email, sg_user *out);
    sg_err (*user_list)(sg_store *s, sg_user **out, size_t *n);
    sg_err (*user_update)(sg_store *s, const char *id, const sg_user_change *ch, const sg_actor *by,
                          sg_user *out, sg_error *e);
    sg_err (*user_delete)(sg_store *s, const char *id, const sg_actor *by, sg_error *e);
    sg_err (*session_create)(sg_store *s, const sg_session_new *n, sg_error *e);
    sg_err (*session_get)(sg_store *s, const char *id_hash, sg_session *out);
    sg_err (*session_touch)(sg_store *s, const char *id_hash, int64_t at);
    sg_err (*session_delete)(sg_store *s, const char *id_hash, const char *email,
                             const sg_actor *by, sg_error *e);
    sg_err (*signin_wait)(sg_store *s, const char *account, const char *address, int64_t now,
                          int64_t *wait_ms);
    sg_err (*signin_failed)(sg_store *s, const char *account, const char *address, int64_t now,
                            sg_error *e);
    sg_err (*audit_add)(sg_store *s, const sg_actor *by, const char *action, const char *subject,
                        const char *detail, sg_error *e);
    sg_err (*audit_query)(sg_store *s, const sg_audit_filter *f, size_t limit, sg_audit **out,
                          size_t *n);
} sg_store_users_ops;

/* App accounts of the compatible endpoints (docs/compat.md): apps, which app
 * sent which message, the callbacks owed to them, their API keys. */
typedef struct sg_store_apps_ops {
    sg_err (*app_insert)(sg_store *s, const sg_app_account *a, sg_error *e);
    sg_err (*app_get)(sg_store *s, const char *id_or_name, sg_app_account *out);
    sg_err (*app_list)(sg_store *s, sg_app_account **out, size_t *n);
    sg_err (*app_update)(sg_store *s, const sg_app_account *a, sg_error *e);
    sg_err (*app_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*app_numbers)(sg_store *s, sg_app_account *a);
    sg_err (*app_message_owner)(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                char status_callback[512]);
    sg_err (*app_message_ids)(sg_store *s, const sg_app_message_filter *f, char (**ids)[SG_ID_MAX],
                              size_t *n, bool *has_more);
    sg_err (*app_message_forget)(sg_store *s, const char *app_id, const char *message_id,
                                 sg_error *e);
    sg_err (*app_callback_claim)(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                 sg_app_callback **out, size_t *n);
    sg_err (*app_callback_done)(sg_store *s, long long id, bool delivered, int64_t next_attempt_at,
                                unsigned attempts, int http_status, const char *error, int64_t at,
                                sg_error *e);
    sg_err (*app_key_insert)(sg_store *s, const sg_app_key *k, sg_error *e);
    sg_err (*app_key_get)(sg_store *s, const char *id, sg_app_key *out);
    sg_err (*app_key_list)(sg_store *s, const char *app_id, sg_app_key **out, size_t *n);
    sg_err (*app_key_delete)(sg_store *s, const char *app_id, const char *id, sg_error *e);
} sg_store_apps_ops;
/* Contact and opt-out search. */
typedef struct sg_store_search_ops {
    sg_err (*contact_search)(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                             sg_contact **out, size_t *n, bool *has_more);
    sg_err (*optout_search)(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                            sg_optout **out, size_t *n, bool *has_more);
} sg_store_search_ops;

/* Contact import jobs (the progress of a CSV import). */
typedef struct sg_store_imports_ops {
    sg_err (*import_job_create)(sg_store *s, const sg_import_job *j, sg_error *e);
    sg_err (*import_job_start)(sg_store *s, const char *id, int64_t size, int64_t at, sg_error *e);
    sg_err (*import_job_update)(sg_store *s, const sg_import_job *j, sg_error *e);
    sg_err (*import_job_get)(sg_store *s, const char *id, sg_import_job *out);
} sg_store_imports_ops;
/* Routes between providers (issue 12, sqlite_routes.c). */
typedef struct sg_store_routes_ops {
    sg_err (*route_insert)(sg_store *s, const sg_sms_route *r, sg_error *e);
    sg_err (*route_update)(sg_store *s, const sg_sms_route *r, sg_error *e);
    sg_err (*route_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*route_get)(sg_store *s, const char *id_or_name, sg_sms_route *out);
    sg_err (*route_list)(sg_store *s, sg_sms_route **out, size_t *n);
} sg_store_routes_ops;

/* The Clickatell-style credentials of apps (store.h). */
typedef struct sg_store_app_ck_ops {
    sg_err (*app_ck_put)(sg_store *s, const sg_app_ck *c, sg_error *e);
    sg_err (*app_ck_get)(sg_store *s, const char *key, sg_app_ck *out);
} sg_store_app_ck_ops;

/* Provider prices, the cost estimate, provider events. */
typedef struct sg_store_prices_ops {
    sg_err (*prices_set)(sg_store *s, const char *provider_id, const sg_price *rows, size_t n,
                         sg_error *e);
    sg_err (*prices_list)(sg_store *s, const char *provider_id, sg_price **out, size_t *n);
    sg_err (*price_get)(sg_store *s, const char *provider_id, const char *country,
                        sg_price *out);
    sg_err (*price_costs)(sg_store *s, int64_t from, int64_t to, sg_price_cost **out, size_t *n);
    sg_err (*provider_event_add)(sg_store *s, const sg_provider_event *ev);
    sg_err (*provider_events_list)(sg_store *s, const char *provider_id, size_t limit,
                                   sg_provider_event **out, size_t *n);
} sg_store_prices_ops;
/* Keyword rules. */
typedef struct sg_store_keywords_ops {
    sg_err (*keyword_rule_create)(sg_store *s, const sg_keyword_rule *r, sg_error *e);
    sg_err (*keyword_rule_update)(sg_store *s, const sg_keyword_rule *r, sg_error *e);
    sg_err (*keyword_rule_delete)(sg_store *s, const char *id, sg_error *e);
    sg_err (*keyword_rule_get)(sg_store *s, const char *id, sg_keyword_rule *out);
    sg_err (*keyword_rule_list)(sg_store *s, sg_keyword_rule **out, size_t *n);
} sg_store_keywords_ops;

/* Journeys (issue 16). */
typedef struct sg_store_journeys_ops {
    sg_err (*journey_create)(sg_store *s, const sg_journey_row *j, sg_error *e);
    sg_err (*journey_update)(sg_store *s, const sg_journey_row *j, sg_journey_row *out,
                             sg_error *e);
    sg_err (*journey_get)(sg_store *s, const char *id, sg_journey_row *out);
    sg_err (*journey_version)(sg_store *s, const char *id, int64_t version, char **definition);
    sg_err (*journey_list)(sg_store *s, const char *state, sg_journey_row **out, size_t *n);
    sg_err (*journey_transition)(sg_store *s, const char *id, const char *const *from,
                                 const char *to, int64_t now, sg_journey_row *out, sg_error *e);
    sg_err (*journey_enroll)(sg_store *s, const char *id, sg_enroll_item *items, size_t n,
                             int64_t now, sg_error *e);
    sg_err (*journey_group_scan)(sg_store *s, int64_t now, size_t limit, size_t *enrolled,
                                 sg_error *e);
    sg_err (*journey_claim)(sg_store *s, int64_t now, int64_t lease_ms, size_t limit,
                            sg_enrollment **out, size_t *n);
    sg_err (*journey_leases_reset)(sg_store *s, sg_error *e);
    sg_err (*journey_advance)(sg_store *s, sg_journey_advance *a, sg_error *e);
    sg_err (*journey_contact_matches)(sg_store *s, const char *contact_id, const char *filter,
                                      int64_t now, bool *matches);
    sg_err (*journey_waiting)(sg_store *s, const char *phone, sg_enrollment **out, size_t *n);
    sg_err (*journey_enrollments)(sg_store *s, const char *id, const char *cursor, size_t limit,
                                  sg_enrollment **out, size_t *n, bool *has_more);
    sg_err (*journey_stats)(sg_store *s, const char *id, sg_journey_step_stats **steps,
                            size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits);
} sg_store_journeys_ops;

struct sg_store_backend {
    const char *name; /* "sqlite", "postgres": for messages */
    /* Open the store at target (the URL or path without a scheme store.c
     * strips, e.g. "sqlite:"); on success *out's be points at this backend. Does
     * not migrate. */
    sg_err (*open)(const char *target, sg_store **out, sg_error *e);
    const sg_store_core_ops *core;
    const sg_store_keys_ops *keys;
    const sg_store_limits_ops *limits;
    const sg_store_providers_ops *providers;
    const sg_store_messages_ops *messages;
    const sg_store_dispatch_ops *dispatch;
    const sg_store_callbacks_ops *callbacks;
    const sg_store_inbound_ops *inbound;
    const sg_store_contacts_ops *contacts;
    const sg_store_timeline_ops *timeline;
    const sg_store_optouts_ops *optouts;
    const sg_store_audience_ops *audience;
    const sg_store_broadcasts_ops *broadcasts;
    const sg_store_stats_ops *stats;
    const sg_store_webhooks_ops *webhooks;
    const sg_store_retention_ops *retention;
    const sg_store_users_ops *users;
    const sg_store_apps_ops *apps;
    const sg_store_search_ops *search;
    const sg_store_imports_ops *imports;
    const sg_store_routes_ops *routes;
    const sg_store_app_ck_ops *app_ck;
    const sg_store_prices_ops *prices;
    const sg_store_keywords_ops *keywords;
    const sg_store_journeys_ops *journeys;
};

/* The backends built into this binary. */
extern const sg_store_backend sg_sqlite_backend;
/* store/pg/: subjects not built yet answer SG_ERR_UNSUPPORTED (docs/postgresql.md). */
extern const sg_store_backend sg_pg_backend;

#endif
