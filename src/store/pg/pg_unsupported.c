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
