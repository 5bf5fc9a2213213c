/* store.h's functions, backend-neutral: sg_store_open picks the backend from the
 * URL, and every other call is forwarded to the backend of the store it is given
 * (backend.h). Nothing here knows SQL. */
#include "store/backend.h"
#include "store/store.h"

#include <string.h>

/* What a --db value selects, by prefix (the first that matches wins; a value
 * matching none is a SQLite file path). strip: the prefix is not part of what
 * the backend opens. A NULL backend is a kind this build cannot open yet. */
static const struct scheme {
    const char *prefix;
    bool strip;
    bool file; /* what the backend opens is a file */
    const sg_store_backend *backend;
    const char *missing; /* why a NULL backend cannot be used */
} schemes[] = {
    {"sqlite:", true, true, &sg_sqlite_backend, NULL},
    {"postgres://", false, false, &sg_pg_backend, NULL},
    {"postgresql://", false, false, &sg_pg_backend, NULL},
};

/* The scheme url starts with, or NULL (a plain path). */
static const struct scheme *scheme_of(const char *url)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        if (strncmp(url, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
            return &schemes[i];
    }
    return NULL;
}

const char *sg_store_file(const char *url)
{
    if (sg_store_url_is_postgres(url)) /* libpq keywords have no scheme */
        return NULL;
    const struct scheme *sc = scheme_of(url);
    if (!sc)
        return url;
    if (!sc->file)
        return NULL;
    return sc->strip ? url + strlen(sc->prefix) : url;
}

sg_err sg_store_open(const char *url, sg_store **out, sg_error *e)
{
    /* postgres://, postgresql:// or libpq keywords, whole (libpq reads them). */
    if (sg_store_url_is_postgres(url))
        return sg_pg_backend.open(url, out, e);
    const sg_store_backend *be = &sg_sqlite_backend;
    const char *target = url;
    const struct scheme *sc = scheme_of(url);
    if (sc && !sc->backend)
        return sg_error_set(e, SG_ERR_UNSUPPORTED, "db", "%s", sc->missing);
    if (sc) {
        be = sc->backend;
        target = sc->strip ? url + strlen(sc->prefix) : url;
    }
    if (target != url && !*target)
        return sg_error_set(e, SG_ERR_INVALID, "db", "no database given after %.*s",
                            (int)(target - url), url);
    return be->open(target, out, e);
}

/* ---- lifecycle and health ---------------------------------------------------- */

void sg_store_close(sg_store *s)
{
    if (s)
        s->be->core->close(s);
}

sg_err sg_store_migrate(sg_store *s, int *applied, sg_error *e)
{
    return s->be->core->migrate(s, applied, e);
}

sg_err sg_store_schema_version(sg_store *s, int *current, int *latest)
{
    return s->be->core->schema_version(s, current, latest);
}

sg_err sg_store_ping(sg_store *s)
{
    return s->be->core->ping(s);
}

bool sg_store_writable(sg_store *s, char *reason, size_t cap)
{
    return s->be->core->writable(s, reason, cap);
}

sg_err sg_store_dispatch_lock(sg_store *s, sg_error *e)
{
    return s->be->core->dispatch_lock(s, e);
}

sg_err sg_store_master_key_check(sg_store *s, const char *check, bool *match, sg_error *e)
{
    return s->be->core->master_key_check(s, check, match, e);
}

sg_err sg_store_due_listen(sg_store *s, const char *direct, void (*wake)(void *arg), void *arg,
                           sg_error *e)
{
    return s->be->core->due_listen(s, direct, wake, arg, e);
}

void sg_store_due_unlisten(sg_store *s)
{
    s->be->core->due_unlisten(s);
}

/* ---- API keys ---------------------------------------------------------------- */

sg_err sg_store_key_insert(sg_store *s, const sg_api_key *k, sg_error *e)
{
    return s->be->keys->key_insert(s, k, e);
}

sg_err sg_store_key_get(sg_store *s, const char *id, sg_api_key *out)
{
    return s->be->keys->key_get(s, id, out);
}

sg_err sg_store_key_list(sg_store *s, sg_api_key **out, size_t *n)
{
    return s->be->keys->key_list(s, out, n);
}

sg_err sg_store_key_revoke(sg_store *s, const char *id, int64_t at, sg_error *e)
{
    return s->be->keys->key_revoke(s, id, at, e);
}

sg_err sg_store_keys_generation(sg_store *s, int64_t *gen)
{
    return s->be->keys->keys_generation(s, gen);
}

sg_err sg_store_key_touch(sg_store *s, const char *id, int64_t at)
{
    return s->be->keys->key_touch(s, id, at);
}

/* ---- a key's send limits and daily usage ------------------------------------- */

sg_err sg_store_key_limits_set(sg_store *s, const char *id, const sg_key_limits *l, sg_error *e)
{
    return s->be->limits->key_limits_set(s, id, l, e);
}

sg_err sg_store_key_usage_get(sg_store *s, const char *key_id, int64_t day, int64_t *sent)
{
    return s->be->limits->key_usage_get(s, key_id, day, sent);
}

sg_err sg_store_key_usage_put(sg_store *s, const sg_key_usage *rows, size_t n, sg_error *e)
{
    return s->be->limits->key_usage_put(s, rows, n, e);
}

/* ---- providers --------------------------------------------------------------- */

sg_err sg_store_provider_insert(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return s->be->providers->provider_insert(s, p, e);
}

sg_err sg_store_provider_update(sg_store *s, const sg_provider_row *p, sg_error *e)
{
    return s->be->providers->provider_update(s, p, e);
}

sg_err sg_store_provider_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->providers->provider_delete(s, id, e);
}

sg_err sg_store_provider_get(sg_store *s, const char *id_or_name, sg_provider_row *out)
{
    return s->be->providers->provider_get(s, id_or_name, out);
}

sg_err sg_store_provider_list(sg_store *s, sg_provider_row **out, size_t *n)
{
    return s->be->providers->provider_list(s, out, n);
}

sg_err sg_store_provider_generation(sg_store *s, int64_t *gen)
{
    return s->be->providers->provider_generation(s, gen);
}

/* ---- messages ---------------------------------------------------------------- */

sg_err sg_store_messages_insert(sg_store *s, sg_insert_req *r)
{
    return s->be->messages->messages_insert(s, r);
}

sg_err sg_store_idem_get(sg_store *s, const char *key_id, const char *key, char fingerprint[72],
                         int *status, char **body)
{
    return s->be->messages->idem_get(s, key_id, key, fingerprint, status, body);
}

sg_err sg_store_idem_put(sg_store *s, const sg_idem_write *w, sg_error *e)
{
    return s->be->messages->idem_put(s, w, e);
}

sg_err sg_store_message_get(sg_store *s, const char *id, sg_message *out)
{
    return s->be->messages->message_get(s, id, out);
}

sg_err sg_store_message_get_with_events(sg_store *s, const char *id, sg_message *out, sg_event **ev,
                                        size_t *n)
{
    return s->be->messages->message_get_with_events(s, id, out, ev, n);
}

sg_err sg_store_message_list(sg_store *s, const sg_message_filter *f, sg_message **out, size_t *n,
                             bool *has_more)
{
    return s->be->messages->message_list(s, f, out, n, has_more);
}

sg_err sg_store_message_cancel(sg_store *s, const char *id, sg_message *out, sg_error *e)
{
    return s->be->messages->message_cancel(s, id, out, e);
}

/* ---- dispatch ---------------------------------------------------------------- */

sg_err sg_store_claim_submit(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                             void (*done)(void *arg, sg_message *msgs, size_t n, sg_err err),
                             void *arg)
{
    return s->be->dispatch->claim_submit(s, now, limit, lease_ms, done, arg);
}

sg_err sg_store_outcomes(sg_store *s, const sg_outcome *o, size_t n,
                         void (*done)(void *arg, sg_err err), void *arg)
{
    return s->be->dispatch->outcomes(s, o, n, done, arg);
}

sg_err sg_store_outcome_found(sg_store *s, const sg_outcome *o,
                              const char (*ids)[SG_PROVIDER_MSG_ID_MAX], size_t n,
                              void (*done)(void *arg, bool attributed, sg_err err), void *arg)
{
    return s->be->dispatch->outcome_found(s, o, ids, n, done, arg);
}

sg_err sg_store_claims_recover(sg_store *s, int64_t now, size_t *n, sg_error *e)
{
    return s->be->dispatch->claims_recover(s, now, n, e);
}

sg_err sg_store_queue_stats(sg_store *s, sg_queue_stats *out)
{
    return s->be->dispatch->queue_stats(s, out);
}

/* ---- nodes ------------------------------------------------------------------- */

sg_err sg_store_node_register(sg_store *s, const char *id, const char *start_id,
                              const char *listen, int64_t now, sg_error *e)
{
    if (!sg_node_id_valid(id))
        return sg_error_set(e, SG_ERR_INVALID, "node_id",
                            "a node id is 1-63 letters, digits, '.', '_', ':' or '-'");
    if (!start_id || !start_id[0] || strlen(start_id) >= SG_NODE_START_MAX)
        return sg_error_set(e, SG_ERR_INVALID, "start_id", "a start id is 1-23 characters");
    return s->be->dispatch->node_register(s, id, start_id, listen ? listen : "", now, e);
}

sg_err sg_store_node_beat(sg_store *s, int64_t now, int64_t sent, int64_t timeout_ms,
                          void (*done)(void *arg, const sg_node_beat_result *r, sg_err err),
                          void *arg)
{
    return s->be->dispatch->node_beat(s, now, sent, timeout_ms, done, arg);
}

sg_err sg_store_node_stop(sg_store *s, int64_t now, sg_error *e)
{
    return s->be->dispatch->node_stop(s, now, e);
}

sg_err sg_store_nodes_list(sg_store *s, sg_node **out, size_t *n, sg_error *e)
{
    return s->be->dispatch->nodes_list(s, out, n, e);
}

/* ---- provider status reports (and the early ones) ---------------------------- */

sg_err sg_store_status_report(sg_store *s, sg_status_report *r, sg_error *e)
{
    return s->be->callbacks->status_report(s, r, e);
}

sg_err sg_store_status_report_submit(sg_store *s, sg_status_report *r)
{
    return s->be->callbacks->status_report_submit(s, r);
}

/* ---- inbound messages -------------------------------------------------------- */

sg_err sg_store_inbound(sg_store *s, sg_inbound *in, sg_error *e)
{
    return s->be->inbound->inbound(s, in, e);
}

/* ---- contacts ---------------------------------------------------------------- */

sg_err sg_store_contact_insert(sg_store *s, const sg_contact *c, sg_error *e)
{
    return s->be->contacts->contact_insert(s, c, e);
}

sg_err sg_store_contact_update(sg_store *s, const sg_contact *c, sg_error *e)
{
    return s->be->contacts->contact_update(s, c, e);
}

sg_err sg_store_contact_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->contacts->contact_delete(s, id, e);
}

sg_err sg_store_contact_get(sg_store *s, const char *id_or_phone, sg_contact *out)
{
    return s->be->contacts->contact_get(s, id_or_phone, out);
}

sg_err sg_store_contact_list(sg_store *s, const char *cursor, size_t limit, sg_contact **out,
                             size_t *n, bool *has_more)
{
    return s->be->contacts->contact_list(s, cursor, limit, out, n, has_more);
}

/* ---- a contact's timeline ---------------------------------------------------- */

sg_err sg_store_timeline(sg_store *s, const char *phone, const char *cursor, size_t limit,
                         sg_timeline_item **out, size_t *n, char next_cursor[64])
{
    return s->be->timeline->timeline(s, phone, cursor, limit, out, n, next_cursor);
}

/* ---- opt-outs ---------------------------------------------------------------- */

sg_err sg_store_optout_add(sg_store *s, const sg_optout *o, bool *changed, sg_error *e)
{
    return s->be->optouts->optout_add(s, o, changed, e);
}

sg_err sg_store_optout_remove(sg_store *s, const char *phone, const char *source,
                              const char *message_id, bool *changed, sg_error *e)
{
    return s->be->optouts->optout_remove(s, phone, source, message_id, changed, e);
}

sg_err sg_store_optout_get(sg_store *s, const char *phone, sg_optout *out)
{
    return s->be->optouts->optout_get(s, phone, out);
}

sg_err sg_store_optout_list(sg_store *s, const char *cursor, size_t limit, sg_optout **out,
                            size_t *n, bool *has_more)
{
    return s->be->optouts->optout_list(s, cursor, limit, out, n, has_more);
}

/* ---- import, groups, segments, templates, links and clicks ------------------- */

sg_err sg_store_contacts_upsert(sg_store *s, sg_contact_upsert *rows, size_t n,
                                const char *group_id, sg_error *e)
{
    return s->be->audience->contacts_upsert(s, rows, n, group_id, e);
}

sg_err sg_store_contacts_upsert_submit(sg_store *s, sg_upsert_req *r)
{
    return s->be->audience->contacts_upsert_submit(s, r);
}

sg_err sg_store_contacts_each(sg_store *s, const char *group_id,
                              int (*fn)(void *user, const sg_contact *c), void *user)
{
    return s->be->audience->contacts_each(s, group_id, fn, user);
}

sg_err sg_store_group_create(sg_store *s, const sg_group *g, sg_error *e)
{
    return s->be->audience->group_create(s, g, e);
}

sg_err sg_store_group_ensure(sg_store *s, const char *name, char id[SG_ID_MAX], sg_error *e)
{
    return s->be->audience->group_ensure(s, name, id, e);
}

sg_err sg_store_group_get(sg_store *s, const char *id_or_name, sg_group *out)
{
    return s->be->audience->group_get(s, id_or_name, out);
}

sg_err sg_store_group_list(sg_store *s, sg_group **out, size_t *n)
{
    return s->be->audience->group_list(s, out, n);
}

sg_err sg_store_group_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->audience->group_delete(s, id, e);
}

sg_err sg_store_group_rename(sg_store *s, const char *id, const char *name, sg_error *e)
{
    return s->be->audience->group_rename(s, id, name, e);
}

sg_err sg_store_group_members(sg_store *s, const char *group_id, const char *const *contacts,
                              size_t n, bool add, size_t *changed, size_t *unknown, sg_error *e)
{
    return s->be->audience->group_members(s, group_id, contacts, n, add, changed, unknown, e);
}

sg_err sg_store_group_contacts(sg_store *s, const char *group_id, const char *cursor, size_t limit,
                               sg_contact **out, size_t *n, bool *has_more)
{
    return s->be->audience->group_contacts(s, group_id, cursor, limit, out, n, has_more);
}

sg_err sg_store_segment_create(sg_store *s, const sg_segment *g, sg_error *e)
{
    return s->be->audience->segment_create(s, g, e);
}

sg_err sg_store_segment_update(sg_store *s, const sg_segment *g, sg_error *e)
{
    return s->be->audience->segment_update(s, g, e);
}

sg_err sg_store_segment_get(sg_store *s, const char *id_or_name, sg_segment *out)
{
    return s->be->audience->segment_get(s, id_or_name, out);
}

sg_err sg_store_segment_list(sg_store *s, sg_segment **out, size_t *n)
{
    return s->be->audience->segment_list(s, out, n);
}

sg_err sg_store_segment_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->audience->segment_delete(s, id, e);
}

sg_err sg_store_audience_count(sg_store *s, const char *kind, const char *id, int64_t now,
                               sg_audience_count *out, sg_error *e)
{
    return s->be->audience->audience_count(s, kind, id, now, out, e);
}

sg_err sg_store_template_create(sg_store *s, const sg_template *t, sg_error *e)
{
    return s->be->audience->template_create(s, t, e);
}

sg_err sg_store_template_update(sg_store *s, const sg_template *t, sg_error *e)
{
    return s->be->audience->template_update(s, t, e);
}

sg_err sg_store_template_get(sg_store *s, const char *id_or_name, sg_template *out)
{
    return s->be->audience->template_get(s, id_or_name, out);
}

sg_err sg_store_template_list(sg_store *s, sg_template **out, size_t *n)
{
    return s->be->audience->template_list(s, out, n);
}

sg_err sg_store_template_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->audience->template_delete(s, id, e);
}

sg_err sg_store_link_get(sg_store *s, const char *code, sg_link *out)
{
    return s->be->audience->link_get(s, code, out);
}

sg_err sg_store_click(sg_store *s, const char *code, int64_t at, const char *user_agent,
                      sg_error *e)
{
    return s->be->audience->click(s, code, at, user_agent, e);
}

/* ---- broadcasts -------------------------------------------------------------- */

sg_err sg_store_broadcast_create(sg_store *s, const sg_broadcast *b, sg_error *e)
{
    return s->be->broadcasts->broadcast_create(s, b, e);
}

sg_err sg_store_broadcast_get(sg_store *s, const char *id, sg_broadcast *out)
{
    return s->be->broadcasts->broadcast_get(s, id, out);
}

sg_err sg_store_broadcast_list(sg_store *s, const char *cursor, size_t limit, sg_broadcast **out,
                               size_t *n, bool *has_more)
{
    return s->be->broadcasts->broadcast_list(s, cursor, limit, out, n, has_more);
}

sg_err sg_store_broadcast_transition(sg_store *s, const char *id, unsigned from_mask,
                                     sg_bcast_status to, int64_t at, sg_bcast_status *current,
                                     sg_error *e)
{
    return s->be->broadcasts->broadcast_transition(s, id, from_mask, to, at, current, e);
}

sg_err sg_store_broadcasts_active(sg_store *s, int64_t now, sg_broadcast **out, size_t *n)
{
    return s->be->broadcasts->broadcasts_active(s, now, out, n);
}

sg_err sg_store_broadcast_materialize(sg_store *s, const char *id, size_t chunk, int64_t now,
                                      bool *finished, sg_error *e)
{
    return s->be->broadcasts->broadcast_materialize(s, id, chunk, now, finished, e);
}

sg_err sg_store_broadcast_pending(sg_store *s, const char *id, int64_t now, size_t limit,
                                  sg_recipient **out, size_t *n)
{
    return s->be->broadcasts->broadcast_pending(s, id, now, limit, out, n);
}

sg_err sg_store_broadcast_apply(sg_store *s, const char *id, const sg_rcpt_result *r, size_t n,
                                int64_t now, size_t *queued, sg_error *e)
{
    return s->be->broadcasts->broadcast_apply(s, id, r, n, now, queued, e);
}

sg_err sg_store_broadcast_outstanding(sg_store *s, const char *id, int64_t *n)
{
    return s->be->broadcasts->broadcast_outstanding(s, id, n);
}

sg_err sg_store_broadcast_fail(sg_store *s, const char *id, const char *reason, int64_t now,
                               bool *changed, sg_error *e)
{
    return s->be->broadcasts->broadcast_fail(s, id, reason, now, changed, e);
}

sg_err sg_store_broadcast_finish_if_done(sg_store *s, const char *id, int64_t now, bool *done,
                                         sg_error *e)
{
    return s->be->broadcasts->broadcast_finish_if_done(s, id, now, done, e);
}

/* ---- statistics -------------------------------------------------------------- */

sg_err sg_store_stats(sg_store *s, int64_t from, int64_t to, sg_stats_group g, sg_stats *out)
{
    return s->be->stats->stats(s, from, to, g, out);
}

sg_err sg_store_broadcast_stats(sg_store *s, const char *id, sg_stats *out)
{
    return s->be->stats->broadcast_stats(s, id, out);
}

sg_err sg_store_stats_provider(sg_store *s, int64_t from, int64_t to, sg_stats_group g,
                               const char *provider_id, sg_stats *out)
{
    return s->be->stats->stats_provider(s, from, to, g, provider_id, out);
}

/* ---- app webhooks and their deliveries --------------------------------------- */

sg_err sg_store_webhook_insert(sg_store *s, const sg_webhook *w, sg_error *e)
{
    return s->be->webhooks->webhook_insert(s, w, e);
}

sg_err sg_store_webhook_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->webhooks->webhook_delete(s, id, e);
}

sg_err sg_store_webhook_get(sg_store *s, const char *id, sg_webhook *out)
{
    return s->be->webhooks->webhook_get(s, id, out);
}

sg_err sg_store_webhook_list(sg_store *s, sg_webhook **out, size_t *n)
{
    return s->be->webhooks->webhook_list(s, out, n);
}

sg_err sg_store_delivery_list(sg_store *s, const char *webhook_id, long long cursor, size_t limit,
                              sg_delivery **out, size_t *n, bool *has_more)
{
    return s->be->webhooks->delivery_list(s, webhook_id, cursor, limit, out, n, has_more);
}

sg_err sg_store_delivery_claim(sg_store *s, int64_t now, size_t limit, unsigned per_webhook,
                               const sg_delivery_busy *busy, size_t n_busy, int64_t lease_ms,
                               sg_delivery **out, size_t *n)
{
    return s->be->webhooks->delivery_claim(s, now, limit, per_webhook, busy, n_busy, lease_ms, out,
                                           n);
}

sg_err sg_store_delivery_result(sg_store *s, long long id, sg_delivery_state state, int http_status,
                                const char *error, int64_t next_attempt_at, sg_error *e)
{
    return s->be->webhooks->delivery_result(s, id, state, http_status, error, next_attempt_at, e);
}

/* ---- retention --------------------------------------------------------------- */

sg_err sg_store_purge_bodies(sg_store *s, int64_t before, size_t limit, sg_purge_cursor *cur,
                             size_t *purged, sg_error *e)
{
    return s->be->retention->purge_bodies(s, before, limit, cur, purged, e);
}

sg_err sg_store_contact_erase(sg_store *s, const char *id, const char *actor, int64_t at,
                              sg_erase_counts *out, sg_error *e)
{
    return s->be->retention->contact_erase(s, id, actor, at, out, e);
}

sg_err sg_store_audit_list(sg_store *s, size_t limit, sg_audit **out, size_t *n)
{
    return s->be->retention->audit_list(s, limit, out, n);
}

/* ---- console users, sessions, the sign-in throttle, audit writes and reads --- */

sg_err sg_store_user_insert(sg_store *s, const sg_user *u, const sg_actor *by, sg_error *e)
{
    return s->be->users->user_insert(s, u, by, e);
}

sg_err sg_store_user_get(sg_store *s, const char *id_or_email, sg_user *out)
{
    return s->be->users->user_get(s, id_or_email, out);
}

sg_err sg_store_user_list(sg_store *s, sg_user **out, size_t *n)
{
    return s->be->users->user_list(s, out, n);
}

sg_err sg_store_user_update(sg_store *s, const char *id, const sg_user_change *ch,
                            const sg_actor *by, sg_user *out, sg_error *e)
{
    return s->be->users->user_update(s, id, ch, by, out, e);
}

sg_err sg_store_user_delete(sg_store *s, const char *id, const sg_actor *by, sg_error *e)
{
    return s->be->users->user_delete(s, id, by, e);
}

sg_err sg_store_session_create(sg_store *s, const sg_session_new *n, sg_error *e)
{
    return s->be->users->session_create(s, n, e);
}

sg_err sg_store_session_get(sg_store *s, const char *id_hash, sg_session *out)
{
    return s->be->users->session_get(s, id_hash, out);
}

sg_err sg_store_session_touch(sg_store *s, const char *id_hash, int64_t at)
{
    return s->be->users->session_touch(s, id_hash, at);
}

sg_err sg_store_session_delete(sg_store *s, const char *id_hash, const char *email,
                               const sg_actor *by, sg_error *e)
{
    return s->be->users->session_delete(s, id_hash, email, by, e);
}

sg_err sg_store_signin_wait(sg_store *s, const char *account, const char *address, int64_t now,
                            int64_t *wait_ms)
{
    return s->be->users->signin_wait(s, account, address, now, wait_ms);
}

sg_err sg_store_signin_failed(sg_store *s, const char *account, const char *address, int64_t now,
                              sg_error *e)
{
    return s->be->users->signin_failed(s, account, address, now, e);
}

sg_err sg_store_audit_add(sg_store *s, const sg_actor *by, const char *action, const char *subject,
                          const char *detail, sg_error *e)
{
    return s->be->users->audit_add(s, by, action, subject, detail, e);
}

sg_err sg_store_audit_query(sg_store *s, const sg_audit_filter *f, size_t limit, sg_audit **out,
                            size_t *n)
{
    return s->be->users->audit_query(s, f, limit, out, n);
}

/* ---- app accounts ------------------------------------------------------------- */

sg_err sg_store_app_insert(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return s->be->apps->app_insert(s, a, e);
}

sg_err sg_store_app_get(sg_store *s, const char *id_or_name, sg_app_account *out)
{
    return s->be->apps->app_get(s, id_or_name, out);
}

sg_err sg_store_app_list(sg_store *s, sg_app_account **out, size_t *n)
{
    return s->be->apps->app_list(s, out, n);
}

sg_err sg_store_app_update(sg_store *s, const sg_app_account *a, sg_error *e)
{
    return s->be->apps->app_update(s, a, e);
}

sg_err sg_store_app_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->apps->app_delete(s, id, e);
}

sg_err sg_store_app_numbers(sg_store *s, sg_app_account *a)
{
    return s->be->apps->app_numbers(s, a);
}

sg_err sg_store_app_message_owner(sg_store *s, const char *message_id, char app_id[SG_ID_MAX],
                                  char status_callback[512])
{
    return s->be->apps->app_message_owner(s, message_id, app_id, status_callback);
}

sg_err sg_store_app_message_ids(sg_store *s, const sg_app_message_filter *f,
                                char (**ids)[SG_ID_MAX], size_t *n, bool *has_more)
{
    return s->be->apps->app_message_ids(s, f, ids, n, has_more);
}

sg_err sg_store_app_message_forget(sg_store *s, const char *app_id, const char *message_id,
                                   sg_error *e)
{
    return s->be->apps->app_message_forget(s, app_id, message_id, e);
}

sg_err sg_store_app_callback_claim(sg_store *s, int64_t now, size_t limit, int64_t lease_ms,
                                   sg_app_callback **out, size_t *n)
{
    return s->be->apps->app_callback_claim(s, now, limit, lease_ms, out, n);
}

sg_err sg_store_app_callback_done(sg_store *s, long long id, bool delivered,
                                  int64_t next_attempt_at, unsigned attempts, int http_status,
                                  const char *error, int64_t at, sg_error *e)
{
    return s->be->apps->app_callback_done(s, id, delivered, next_attempt_at, attempts, http_status,
                                          error, at, e);
}

sg_err sg_store_app_key_insert(sg_store *s, const sg_app_key *k, sg_error *e)
{
    return s->be->apps->app_key_insert(s, k, e);
}

sg_err sg_store_app_key_get(sg_store *s, const char *id, sg_app_key *out)
{
    return s->be->apps->app_key_get(s, id, out);
}

sg_err sg_store_app_key_list(sg_store *s, const char *app_id, sg_app_key **out, size_t *n)
{
    return s->be->apps->app_key_list(s, app_id, out, n);
}

sg_err sg_store_app_key_delete(sg_store *s, const char *app_id, const char *id, sg_error *e)
{
    return s->be->apps->app_key_delete(s, app_id, id, e);
}

/* ---- search ------------------------------------------------------------------ */

sg_err sg_store_contact_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                               sg_contact **out, size_t *n, bool *has_more)
{
    return s->be->search->contact_search(s, q, cursor, limit, out, n, has_more);
}

sg_err sg_store_optout_search(sg_store *s, const sg_search *q, const char *cursor, size_t limit,
                              sg_optout **out, size_t *n, bool *has_more)
{
    return s->be->search->optout_search(s, q, cursor, limit, out, n, has_more);
}

/* ---- contact import jobs ------------------------------------------------------- */

sg_err sg_store_import_job_create(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return s->be->imports->import_job_create(s, j, e);
}

sg_err sg_store_import_job_start(sg_store *s, const char *id, int64_t size, int64_t at, sg_error *e)
{
    return s->be->imports->import_job_start(s, id, size, at, e);
}

sg_err sg_store_import_job_update(sg_store *s, const sg_import_job *j, sg_error *e)
{
    return s->be->imports->import_job_update(s, j, e);
}

sg_err sg_store_import_job_get(sg_store *s, const char *id, sg_import_job *out)
{
    return s->be->imports->import_job_get(s, id, out);
}

/* ---- routes ------------------------------------------------------------------- */

sg_err sg_store_route_insert(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    return s->be->routes->route_insert(s, r, e);
}

sg_err sg_store_route_update(sg_store *s, const sg_sms_route *r, sg_error *e)
{
    return s->be->routes->route_update(s, r, e);
}

sg_err sg_store_route_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->routes->route_delete(s, id, e);
}

sg_err sg_store_route_get(sg_store *s, const char *id_or_name, sg_sms_route *out)
{
    return s->be->routes->route_get(s, id_or_name, out);
}

sg_err sg_store_route_list(sg_store *s, sg_sms_route **out, size_t *n)
{
    return s->be->routes->route_list(s, out, n);
}

/* ---- Clickatell-style credentials of apps --------------------------------------- */

sg_err sg_store_app_ck_put(sg_store *s, const sg_app_ck *c, sg_error *e)
{
    return s->be->app_ck->app_ck_put(s, c, e);
}

sg_err sg_store_app_ck_get(sg_store *s, const char *key, sg_app_ck *out)
{
    return s->be->app_ck->app_ck_get(s, key, out);
}

sg_err sg_store_prices_set(sg_store *s, const char *provider_id, const sg_price *rows, size_t n,
                           sg_error *e)
{
    return s->be->prices->prices_set(s, provider_id, rows, n, e);
}

sg_err sg_store_prices_list(sg_store *s, const char *provider_id, sg_price **out, size_t *n)
{
    return s->be->prices->prices_list(s, provider_id, out, n);
}

sg_err sg_store_price_get(sg_store *s, const char *provider_id, const char *country,
                          sg_price *out)
{
    return s->be->prices->price_get(s, provider_id, country, out);
}

sg_err sg_store_price_costs(sg_store *s, int64_t from, int64_t to, sg_price_cost **out,
                            size_t *n)
{
    return s->be->prices->price_costs(s, from, to, out, n);
}

sg_err sg_store_provider_event_add(sg_store *s, const sg_provider_event *ev)
{
    return s->be->prices->provider_event_add(s, ev);
}

sg_err sg_store_provider_events_list(sg_store *s, const char *provider_id, size_t limit,
                                     sg_provider_event **out, size_t *n)
{
    return s->be->prices->provider_events_list(s, provider_id, limit, out, n);
}

/* ---- keyword rules ----------------------------------------------------------- */

sg_err sg_store_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return s->be->keywords->keyword_rule_create(s, r, e);
}

sg_err sg_store_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return s->be->keywords->keyword_rule_update(s, r, e);
}

sg_err sg_store_keyword_rule_delete(sg_store *s, const char *id, sg_error *e)
{
    return s->be->keywords->keyword_rule_delete(s, id, e);
}

sg_err sg_store_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out)
{
    return s->be->keywords->keyword_rule_get(s, id, out);
}

sg_err sg_store_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n)
{
    return s->be->keywords->keyword_rule_list(s, out, n);
}

/* ---- journeys ---------------------------------------------------------------- */

sg_err sg_store_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e)
{
    return s->be->journeys->journey_create(s, j, e);
}

sg_err sg_store_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out,
                               sg_error *e)
{
    return s->be->journeys->journey_update(s, j, out, e);
}

sg_err sg_store_journey_get(sg_store *s, const char *id, sg_journey_row *out)
{
    return s->be->journeys->journey_get(s, id, out);
}

sg_err sg_store_journey_version(sg_store *s, const char *id, int64_t version, char **definition)
{
    return s->be->journeys->journey_version(s, id, version, definition);
}

sg_err sg_store_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n)
{
    return s->be->journeys->journey_list(s, state, out, n);
}

sg_err sg_store_journey_transition(sg_store *s, const char *id, const char *const *from,
                                   const char *to, int64_t now, sg_journey_row *out, sg_error *e)
{
    return s->be->journeys->journey_transition(s, id, from, to, now, out, e);
}

sg_err sg_store_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n,
                               int64_t now, sg_error *e)
{
    return s->be->journeys->journey_enroll(s, id, items, n, now, e);
}

sg_err sg_store_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled,
                                   sg_error *e)
{
    return s->be->journeys->journey_group_scan(s, now, limit, enrolled, e);
}

sg_err sg_store_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit,
                              sg_enrollment **out, size_t *n)
{
    return s->be->journeys->journey_claim(s, now, lease_ms, limit, out, n);
}

sg_err sg_store_journey_leases_reset(sg_store *s, sg_error *e)
{
    return s->be->journeys->journey_leases_reset(s, e);
}

sg_err sg_store_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e)
{
    return s->be->journeys->journey_advance(s, a, e);
}

sg_err sg_store_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                        int64_t now, bool *matches)
{
    return s->be->journeys->journey_contact_matches(s, contact_id, filter, now, matches);
}

sg_err sg_store_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n)
{
    return s->be->journeys->journey_waiting(s, phone, out, n);
}

sg_err sg_store_journey_enrollments(sg_store *s, const char *id, const char *cursor, size_t limit,
                                    sg_enrollment **out, size_t *n, bool *has_more)
{
    return s->be->journeys->journey_enrollments(s, id, cursor, limit, out, n, has_more);
}

sg_err sg_store_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps,
                              size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits)
{
    return s->be->journeys->journey_stats(s, id, steps, n_steps, exits, n_exits);
}
