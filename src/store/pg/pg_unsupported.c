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
