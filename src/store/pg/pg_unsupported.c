/* The PostgreSQL backend, the subjects not built yet (issue 14 is landing them
 * one by one): every store function of these tables answers
 * SG_ERR_UNSUPPORTED, naming itself, so that nothing misbehaves quietly. The
 * list of what works is in docs/postgresql.md; the conformance suite skips
 * these subjects on PostgreSQL by name (tests/unit/test_store_conformance.c).
 * When a subject is implemented, its table moves to its own pg_SUBJECT.c. */
#include "store/pg/pg_store.h"

static sg_err unsupported(sg_error *e, const char *fn)
{
    return sg_error_set(e, SG_ERR_UNSUPPORTED, NULL,
                        "PostgreSQL: %s is not implemented yet (docs/postgresql.md)", fn);
}

/* ---- callbacks ---- */

static sg_err pg_status_report(sg_store *s, sg_status_report *r, sg_error *e)
{
    return unsupported(e, "sg_store_status_report");
}

static sg_err pg_status_report_submit(sg_store *s, sg_status_report *r)
{
    return unsupported(NULL, "sg_store_status_report_submit");
}

const sg_store_callbacks_ops pg_callbacks_ops = {
    .status_report = pg_status_report,
    .status_report_submit = pg_status_report_submit,
};

/* ---- inbound ---- */

static sg_err pg_inbound(sg_store *s, sg_inbound *in, sg_error *e)
{
    return unsupported(e, "sg_store_inbound");
}

const sg_store_inbound_ops pg_inbound_ops = {
    .inbound = pg_inbound,
};

/* ---- timeline ---- */

static sg_err pg_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
                          sg_timeline_item **out, size_t *n, char next_cursor[64])
{
    return unsupported(NULL, "sg_store_timeline");
}

const sg_store_timeline_ops pg_timeline_ops = {
    .timeline = pg_timeline,
};

/* ---- audience ---- */

static sg_err pg_contacts_upsert(sg_store *s, sg_contact_upsert *rows, size_t n,
                                 const char *group_id, sg_error *e)
{
    return unsupported(e, "sg_store_contacts_upsert");
}

static sg_err pg_contacts_upsert_submit(sg_store *s, sg_upsert_req *r)
{
    return unsupported(NULL, "sg_store_contacts_upsert_submit");
}

static sg_err pg_contacts_each(sg_store *s, const char *group_id,
                               int (*fn)(void *user, const sg_contact *c), void *user)
{
    return unsupported(NULL, "sg_store_contacts_each");
}

static sg_err pg_group_create(sg_store *s, const sg_group *g, sg_error *e)
{
    return unsupported(e, "sg_store_group_create");
}

static sg_err pg_group_ensure(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e)
{
    return unsupported(e, "sg_store_group_ensure");
}

static sg_err pg_group_get(sg_store *s, const char *id_or_name, sg_group *out)
{
    return unsupported(NULL, "sg_store_group_get");
}

static sg_err pg_group_list(sg_store *s, sg_group **out, size_t *n)
{
    return unsupported(NULL, "sg_store_group_list");
}

static sg_err pg_group_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_group_delete");
}

static sg_err pg_group_rename(sg_store *s, const char *id, const char *name, sg_error *e)
{
    return unsupported(e, "sg_store_group_rename");
}

static sg_err pg_group_members(sg_store *s, const char *group_id, const char *const *contacts,
                               size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e)
{
    return unsupported(e, "sg_store_group_members");
}

static sg_err pg_group_contacts(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                                sg_contact **out, size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_group_contacts");
}

static sg_err pg_segment_create(sg_store *s, const sg_segment *g, sg_error *e)
{
    return unsupported(e, "sg_store_segment_create");
}

static sg_err pg_segment_update(sg_store *s, const sg_segment *g, sg_error *e)
{
    return unsupported(e, "sg_store_segment_update");
}

static sg_err pg_segment_get(sg_store *s, const char *id_or_name, sg_segment *out)
{
    return unsupported(NULL, "sg_store_segment_get");
}

static sg_err pg_segment_list(sg_store *s, sg_segment **out, size_t *n)
{
    return unsupported(NULL, "sg_store_segment_list");
}

static sg_err pg_segment_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_segment_delete");
}

static sg_err pg_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                                sg_audience_count *out, sg_error *e)
{
    return unsupported(e, "sg_store_audience_count");
}

static sg_err pg_template_create(sg_store *s, const sg_template *t, sg_error *e)
{
    return unsupported(e, "sg_store_template_create");
}

static sg_err pg_template_update(sg_store *s, const sg_template *t, sg_error *e)
{
    return unsupported(e, "sg_store_template_update");
}

static sg_err pg_template_get(sg_store *s, const char *id_or_name, sg_template *out)
{
    return unsupported(NULL, "sg_store_template_get");
}

static sg_err pg_template_list(sg_store *s, sg_template **out, size_t *n)
{
    return unsupported(NULL, "sg_store_template_list");
}

static sg_err pg_template_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_template_delete");
}

static sg_err pg_link_get(sg_store *s, const char *code, sg_link *out)
{
    return unsupported(NULL, "sg_store_link_get");
}

static sg_err pg_click(sg_store *s, const char *code, int64_t at, const char *user_agent,
                       sg_error *e)
{
    return unsupported(e, "sg_store_click");
}

const sg_store_audience_ops pg_audience_ops = {
    .contacts_upsert = pg_contacts_upsert,
    .contacts_upsert_submit = pg_contacts_upsert_submit,
    .contacts_each = pg_contacts_each,
    .group_create = pg_group_create,
    .group_ensure = pg_group_ensure,
    .group_get = pg_group_get,
    .group_list = pg_group_list,
    .group_delete = pg_group_delete,
    .group_rename = pg_group_rename,
    .group_members = pg_group_members,
    .group_contacts = pg_group_contacts,
    .segment_create = pg_segment_create,
    .segment_update = pg_segment_update,
    .segment_get = pg_segment_get,
    .segment_list = pg_segment_list,
    .segment_delete = pg_segment_delete,
    .audience_count = pg_audience_count,
    .template_create = pg_template_create,
    .template_update = pg_template_update,
    .template_get = pg_template_get,
    .template_list = pg_template_list,
    .template_delete = pg_template_delete,
    .link_get = pg_link_get,
    .click = pg_click,
};

/* ---- broadcasts ---- */

static sg_err pg_broadcast_create(sg_store *s, const sg_broadcast *b, sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_create");
}

static sg_err pg_broadcast_get(sg_store *s, const char *id, sg_broadcast *out)
{
    return unsupported(NULL, "sg_store_broadcast_get");
}

static sg_err pg_broadcast_list(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                                size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_broadcast_list");
}

static sg_err pg_broadcast_transition(sg_store *s, const char *id, unsigned from_mask,
                                      sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                      sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_transition");
}

static sg_err pg_broadcasts_active(sg_store *s, int64_t now, sg_broadcast **out, size_t *n)
{
    return unsupported(NULL, "sg_store_broadcasts_active");
}

static sg_err pg_broadcast_materialize(sg_store *s, const char *id, size_t chunk, int64_t now,
                                       bool *finished, sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_materialize");
}

static sg_err pg_broadcast_pending(sg_store *s, const char *id, int64_t now, size_t limit,
                                   sg_recipient **out, size_t *n)
{
    return unsupported(NULL, "sg_store_broadcast_pending");
}

static sg_err pg_broadcast_apply(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                                 int64_t now, size_t *queued, sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_apply");
}

static sg_err pg_broadcast_outstanding(sg_store *s, const char *id, int64_t *n)
{
    return unsupported(NULL, "sg_store_broadcast_outstanding");
}

static sg_err pg_broadcast_fail(sg_store *s, const char *id, const char *reason, int64_t now,
                                bool *changed, sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_fail");
}

static sg_err pg_broadcast_finish_if_done(sg_store *s, const char *id, int64_t now, bool *done,
                                          sg_error *e)
{
    return unsupported(e, "sg_store_broadcast_finish_if_done");
}

const sg_store_broadcasts_ops pg_broadcasts_ops = {
    .broadcast_create = pg_broadcast_create,
    .broadcast_get = pg_broadcast_get,
    .broadcast_list = pg_broadcast_list,
    .broadcast_transition = pg_broadcast_transition,
    .broadcasts_active = pg_broadcasts_active,
    .broadcast_materialize = pg_broadcast_materialize,
    .broadcast_pending = pg_broadcast_pending,
    .broadcast_apply = pg_broadcast_apply,
    .broadcast_outstanding = pg_broadcast_outstanding,
    .broadcast_fail = pg_broadcast_fail,
    .broadcast_finish_if_done = pg_broadcast_finish_if_done,
};

/* ---- stats ---- */

static sg_err pg_stats(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out)
{
    return unsupported(NULL, "sg_store_stats");
}

static sg_err pg_broadcast_stats(sg_store *s, const char *id, sg_stats *out)
{
    return unsupported(NULL, "sg_store_broadcast_stats");
}

static sg_err pg_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                                const char *provider_id, sg_stats *out)
{
    return unsupported(NULL, "sg_store_stats_provider");
}

const sg_store_stats_ops pg_stats_ops = {
    .stats = pg_stats,
    .broadcast_stats = pg_broadcast_stats,
    .stats_provider = pg_stats_provider,
};

/* ---- webhooks (pg_webhooks.c has the others) ---- */

sg_err pg_delivery_claim_unsupported(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                                     const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                                     sg_delivery **out, size_t *n)
{
    return unsupported(NULL, "sg_store_delivery_claim");
}

sg_err pg_delivery_result_unsupported(sg_store *s, long long id, sg_delivery_state state,
                                      int http_status, const char *error, int64_t next_attempt_at,
                                      sg_error *e)
{
    return unsupported(e, "sg_store_delivery_result");
}

/* ---- retention ---- */

static sg_err pg_purge_bodies(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                              size_t *purged, sg_error *e)
{
    return unsupported(e, "sg_store_purge_bodies");
}

static sg_err pg_contact_erase(sg_store *s, const char *id, const char *actor, int64_t at,
                               sg_erase_counts *out, sg_error *e)
{
    return unsupported(e, "sg_store_contact_erase");
}

static sg_err pg_audit_list(sg_store *s, size_t limit, sg_audit **out, size_t *n)
{
    return unsupported(NULL, "sg_store_audit_list");
}

const sg_store_retention_ops pg_retention_ops = {
    .purge_bodies = pg_purge_bodies,
    .contact_erase = pg_contact_erase,
    .audit_list = pg_audit_list,
};

/* ---- users ---- */

static sg_err pg_user_insert(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e)
{
    return unsupported(e, "sg_store_user_insert");
}

static sg_err pg_user_get(sg_store *s, const char *id_or_email, sg_user *out)
{
    return unsupported(NULL, "sg_store_user_get");
}

static sg_err pg_user_list(sg_store *s, sg_user **out, size_t *n)
{
    return unsupported(NULL, "sg_store_user_list");
}

static sg_err pg_user_update(sg_store *s, const char *id, const sg_user_change *ch,
                             const sg_actor *by, sg_user *out, sg_error *e)
{
    return unsupported(e, "sg_store_user_update");
}

static sg_err pg_user_delete(sg_store *s, const char *id, const sg_actor *by, sg_error *e)
{
    return unsupported(e, "sg_store_user_delete");
}

static sg_err pg_session_create(sg_store *s, const sg_session_new *n, sg_error *e)
{
    return unsupported(e, "sg_store_session_create");
}

static sg_err pg_session_get(sg_store *s, const char *id_hash, sg_session *out)
{
    return unsupported(NULL, "sg_store_session_get");
}

static sg_err pg_session_touch(sg_store *s, const char *id_hash, int64_t at)
{
    return unsupported(NULL, "sg_store_session_touch");
}

static sg_err pg_session_delete(sg_store *s, const char *id_hash, const char *email,
                                const sg_actor *by, sg_error *e)
{
    return unsupported(e, "sg_store_session_delete");
}

static sg_err pg_signin_wait(sg_store *s, const char *account, const char *address, int64_t now,
                             int64_t *wait_ms)
{
    return unsupported(NULL, "sg_store_signin_wait");
}

static sg_err pg_signin_failed(sg_store *s, const char *account, const char *address, int64_t now,
                               sg_error *e)
{
    return unsupported(e, "sg_store_signin_failed");
}

static sg_err pg_audit_add(sg_store *s, const sg_actor *by, const char *action, const char *subject,
                           const char *detail, sg_error *e)
{
    return unsupported(e, "sg_store_audit_add");
}

static sg_err pg_audit_query(sg_store *s, const sg_audit_filter *f, size_t limit, sg_audit **out,
                             size_t *n)
{
    return unsupported(NULL, "sg_store_audit_query");
}

const sg_store_users_ops pg_users_ops = {
    .user_insert = pg_user_insert,
    .user_get = pg_user_get,
    .user_list = pg_user_list,
    .user_update = pg_user_update,
    .user_delete = pg_user_delete,
    .session_create = pg_session_create,
    .session_get = pg_session_get,
    .session_touch = pg_session_touch,
    .session_delete = pg_session_delete,
    .signin_wait = pg_signin_wait,
    .signin_failed = pg_signin_failed,
    .audit_add = pg_audit_add,
    .audit_query = pg_audit_query,
};

/* ---- apps ---- */

static sg_err pg_app_insert(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return unsupported(e, "sg_store_app_insert");
}

static sg_err pg_app_get(sg_store *s, const char *id_or_name, sg_app_account *out)
{
    return unsupported(NULL, "sg_store_app_get");
}

static sg_err pg_app_list(sg_store *s, sg_app_account **out, size_t *n)
{
    return unsupported(NULL, "sg_store_app_list");
}

static sg_err pg_app_update(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return unsupported(e, "sg_store_app_update");
}

static sg_err pg_app_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_app_delete");
}

static sg_err pg_app_message_owner(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                   char status_callback[512])
{
    return unsupported(NULL, "sg_store_app_message_owner");
}

static sg_err pg_app_message_ids(sg_store *s, const sg_app_message_filter *f,
                                 char (**ids)[SG_ID_MAX], size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_app_message_ids");
}

static sg_err pg_app_message_forget(sg_store *s, const char *app_id, const char *message_id,
                                    sg_error *e)
{
    return unsupported(e, "sg_store_app_message_forget");
}

static sg_err pg_app_callback_claim(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                    sg_app_callback **out, size_t *n)
{
    return unsupported(NULL, "sg_store_app_callback_claim");
}

static sg_err pg_app_callback_done(sg_store *s, long long id, bool delivered,
                                   int64_t next_attempt_at, unsigned attempts, int http_status,
                                   const char *error, int64_t at, sg_error *e)
{
    return unsupported(e, "sg_store_app_callback_done");
}

static sg_err pg_app_key_insert(sg_store *s, const sg_app_key *k, sg_error *e)
{
    return unsupported(e, "sg_store_app_key_insert");
}

static sg_err pg_app_key_get(sg_store *s, const char *id, sg_app_key *out)
{
    return unsupported(NULL, "sg_store_app_key_get");
}

static sg_err pg_app_key_list(sg_store *s, const char *app_id, sg_app_key **out, size_t *n)
{
    return unsupported(NULL, "sg_store_app_key_list");
}

static sg_err pg_app_key_delete(sg_store *s, const char *app_id, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_app_key_delete");
}

const sg_store_apps_ops pg_apps_ops = {
    .app_insert = pg_app_insert,
    .app_get = pg_app_get,
    .app_list = pg_app_list,
    .app_update = pg_app_update,
    .app_delete = pg_app_delete,
    .app_message_owner = pg_app_message_owner,
    .app_message_ids = pg_app_message_ids,
    .app_message_forget = pg_app_message_forget,
    .app_callback_claim = pg_app_callback_claim,
    .app_callback_done = pg_app_callback_done,
    .app_key_insert = pg_app_key_insert,
    .app_key_get = pg_app_key_get,
    .app_key_list = pg_app_key_list,
    .app_key_delete = pg_app_key_delete,
};

/* ---- search ---- */

static sg_err pg_contact_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit, sg_contact **out, size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_contact_search");
}

static sg_err pg_optout_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit, sg_optout **out, size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_optout_search");
}

const sg_store_search_ops pg_search_ops = {
    .contact_search = pg_contact_search,
    .optout_search = pg_optout_search,
};

/* ---- imports ---- */

static sg_err pg_import_job_create(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return unsupported(e, "sg_store_import_job_create");
}

static sg_err pg_import_job_start(sg_store *s, const char *id, int64_t size, int64_t at, sg_error *e)
{
    return unsupported(e, "sg_store_import_job_start");
}

static sg_err pg_import_job_update(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return unsupported(e, "sg_store_import_job_update");
}

static sg_err pg_import_job_get(sg_store *s, const char *id, sg_import_job *out)
{
    return unsupported(NULL, "sg_store_import_job_get");
}

const sg_store_imports_ops pg_imports_ops = {
    .import_job_create = pg_import_job_create,
    .import_job_start = pg_import_job_start,
    .import_job_update = pg_import_job_update,
    .import_job_get = pg_import_job_get,
};

/* ---- routes ---- */

static sg_err pg_route_insert(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    return unsupported(e, "sg_store_route_insert");
}

static sg_err pg_route_update(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    return unsupported(e, "sg_store_route_update");
}

static sg_err pg_route_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_route_delete");
}

static sg_err pg_route_get(sg_store *s, const char *id_or_name, sg_sms_route *out)
{
    return unsupported(NULL, "sg_store_route_get");
}

static sg_err pg_route_list(sg_store *s, sg_sms_route **out, size_t *n)
{
    return unsupported(NULL, "sg_store_route_list");
}

const sg_store_routes_ops pg_routes_ops = {
    .route_insert = pg_route_insert,
    .route_update = pg_route_update,
    .route_delete = pg_route_delete,
    .route_get = pg_route_get,
    .route_list = pg_route_list,
};

/* ---- app ck ---- */

static sg_err pg_app_ck_put(sg_store *s, const sg_app_ck *c, sg_error *e)
{
    return unsupported(e, "sg_store_app_ck_put");
}

static sg_err pg_app_ck_get(sg_store *s, const char *key, sg_app_ck *out)
{
    return unsupported(NULL, "sg_store_app_ck_get");
}

const sg_store_app_ck_ops pg_app_ck_ops = {
    .app_ck_put = pg_app_ck_put,
    .app_ck_get = pg_app_ck_get,
};

/* ---- prices ---- */

static sg_err pg_prices_set(sg_store *s, const char *provider_id, const sg_price *rows, size_t n, sg_error *e)
{
    return unsupported(e, "sg_store_prices_set");
}

static sg_err pg_prices_list(sg_store *s, const char *provider_id, sg_price **out, size_t *n)
{
    return unsupported(NULL, "sg_store_prices_list");
}

static sg_err pg_price_get(sg_store *s, const char *provider_id, const char *country, sg_price *out)
{
    return unsupported(NULL, "sg_store_price_get");
}

static sg_err pg_price_costs(sg_store *s, int64_t from, int64_t to, sg_price_cost **out, size_t *n)
{
    return unsupported(NULL, "sg_store_price_costs");
}

static sg_err pg_provider_event_add(sg_store *s, const sg_provider_event *ev)
{
    return unsupported(NULL, "sg_store_provider_event_add");
}

static sg_err pg_provider_events_list(sg_store *s, const char *provider_id, size_t limit, sg_provider_event **out, size_t *n)
{
    return unsupported(NULL, "sg_store_provider_events_list");
}

const sg_store_prices_ops pg_prices_ops = {
    .prices_set = pg_prices_set,
    .prices_list = pg_prices_list,
    .price_get = pg_price_get,
    .price_costs = pg_price_costs,
    .provider_event_add = pg_provider_event_add,
    .provider_events_list = pg_provider_events_list,
};

/* ---- keywords ---- */

static sg_err pg_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return unsupported(e, "sg_store_keyword_rule_create");
}

static sg_err pg_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return unsupported(e, "sg_store_keyword_rule_update");
}

static sg_err pg_keyword_rule_delete(sg_store *s, const char *id, sg_error *e)
{
    return unsupported(e, "sg_store_keyword_rule_delete");
}

static sg_err pg_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out)
{
    return unsupported(NULL, "sg_store_keyword_rule_get");
}

static sg_err pg_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n)
{
    return unsupported(NULL, "sg_store_keyword_rule_list");
}

const sg_store_keywords_ops pg_keywords_ops = {
    .keyword_rule_create = pg_keyword_rule_create,
    .keyword_rule_update = pg_keyword_rule_update,
    .keyword_rule_delete = pg_keyword_rule_delete,
    .keyword_rule_get = pg_keyword_rule_get,
    .keyword_rule_list = pg_keyword_rule_list,
};

/* ---- journeys (issue 16) ---- */

static sg_err pg_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e)
{
    return unsupported(e, "sg_store_journey_create");
}

static sg_err pg_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out, sg_error *e)
{
    return unsupported(e, "sg_store_journey_update");
}

static sg_err pg_journey_get(sg_store *s, const char *id, sg_journey_row *out)
{
    return unsupported(NULL, "sg_store_journey_get");
}

static sg_err pg_journey_version(sg_store *s, const char *id, int64_t version, char **definition)
{
    return unsupported(NULL, "sg_store_journey_version");
}

static sg_err pg_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_list");
}

static sg_err pg_journey_transition(sg_store *s, const char *id, const char *const *from, const char *to, int64_t now, sg_journey_row *out, sg_error *e)
{
    return unsupported(e, "sg_store_journey_transition");
}

static sg_err pg_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n, int64_t now, sg_error *e)
{
    return unsupported(e, "sg_store_journey_enroll");
}

static sg_err pg_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled, sg_error *e)
{
    return unsupported(e, "sg_store_journey_group_scan");
}

static sg_err pg_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit, sg_enrollment **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_claim");
}

static sg_err pg_journey_leases_reset(sg_store *s, sg_error *e)
{
    return unsupported(e, "sg_store_journey_leases_reset");
}

static sg_err pg_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e)
{
    return unsupported(e, "sg_store_journey_advance");
}

static sg_err pg_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                         int64_t now, bool *matches)
{
    return unsupported(NULL, "sg_store_journey_contact_matches");
}

static sg_err pg_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n)
{
    return unsupported(NULL, "sg_store_journey_waiting");
}

static sg_err pg_journey_enrollments(sg_store *s, const char *id, const char *cursor, size_t limit, sg_enrollment **out, size_t *n, bool *has_more)
{
    return unsupported(NULL, "sg_store_journey_enrollments");
}

static sg_err pg_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps, size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits)
{
    return unsupported(NULL, "sg_store_journey_stats");
}

const sg_store_journeys_ops pg_journeys_ops = {
    .journey_create = pg_journey_create,
    .journey_update = pg_journey_update,
    .journey_get = pg_journey_get,
    .journey_version = pg_journey_version,
    .journey_list = pg_journey_list,
    .journey_transition = pg_journey_transition,
    .journey_enroll = pg_journey_enroll,
    .journey_group_scan = pg_journey_group_scan,
    .journey_claim = pg_journey_claim,
    .journey_leases_reset = pg_journey_leases_reset,
    .journey_advance = pg_journey_advance,
    .journey_contact_matches = pg_journey_contact_matches,
    .journey_waiting = pg_journey_waiting,
    .journey_enrollments = pg_journey_enrollments,
    .journey_stats = pg_journey_stats,
};
