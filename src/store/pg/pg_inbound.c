/* The PostgreSQL backend, inbound messages: in one write of the writer, the
 * sender's contact (created when new), the message, its app's inbound
 * callback, the message.received event, an auto-reply, the contact's
 * journeys (a reply, an enrolment, STOP ends them: pg_journey_inbound,
 * pg_journeys.c), a matched keyword rule's actions (pg_keyword_actions_run, pg_keywords.c) and a keyword's
 * consent change. The same rules as store/sqlite/sqlite_inbound.c. */
#include "store/pg/pg_store.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first column of the first row of sql into out ("" when no row). */
static sg_err select_text(pg_conn *c, const char *sql, int n, const char *const *p, char *out,
                          size_t cap, sg_error *e)
{
    PGresult *r;
    out[0] = '\0';
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (!err) {
        if (PQntuples(r) > 0)
            pg_col_copy(r, 0, 0, out, cap);
        PQclear(r);
    }
    return err;
}

/* The id of the contact with phone, created (no names, no attributes) when none. */
static sg_err contact_ensure(pg_conn *c, const char *phone, int64_t now, char id[SG_ID_MAX],
                             bool *created, sg_error *e)
{
    *created = false;
    const char *p[] = {phone};
    sg_err err = select_text(c, "SELECT id FROM contacts WHERE phone = $1", 1, p, id, SG_ID_MAX, e);
    if (err || id[0])
        return err;
    sg_id_new("ctc", now, id);
    char t[24];
    const char *pi[] = {id, phone, pg_i64(t, now), pg_mobile_of(phone)};
    err = pg_query(c,
                   "INSERT INTO contacts (id, phone, first_name, last_name, attributes, "
                   "created_at, updated_at, mobile) "
                   "VALUES ($1, $2, '', '', '{}', $3::bigint, $3::bigint, $4::boolean)",
                   4, pi, NULL, e);
    *created = !err;
    return err;
}

/* The contact (by phone, or by id) had activity at at. */
static sg_err contact_activity(pg_conn *c, const char *phone, const char *contact_id, int64_t at,
                               sg_error *e)
{
    char t[24];
    const char *p[] = {phone && *phone ? phone : NULL, contact_id ? contact_id : "", pg_i64(t, at)};
    return pg_query(c,
                    "UPDATE contacts SET last_activity_at = greatest(last_activity_at, $3::bigint) "
                    "WHERE ($1::text IS NOT NULL AND phone = $1) OR id = $2",
                    3, p, NULL, e);
}

static sg_err emit_received(pg_conn *c, const sg_inbound *in, sg_error *e)
{
    const sg_message *m = in->msg;
    char when[SG_TIME_STR_MAX];
    sg_time_format(m->created_at, when, sizeof when);
    json_t *data =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", m->id, "from", m->from,
                  "to", m->to, "body", m->body ? m->body : "", "provider_id", m->provider_id,
                  "provider_message_id", m->provider_message_id, "contact_id", in->contact_id,
                  "segments", (int)m->segments, "received_at", when);
    return pg_emit(c, SG_EVENT_MESSAGE_RECEIVED, data, m->created_at, e);
}

/* ---- the inbound write ----------------------------------------------------------------- */

/* A provider retrying its webhook: the message it already gave, in in->existing_id. */
static sg_err find_duplicate(pg_conn *c, sg_inbound *in, sg_error *e)
{
    const sg_message *m = in->msg;
    if (!m->provider_message_id[0])
        return SG_OK;
    const char *p[] = {m->provider_id, m->provider_message_id};
    sg_err err = select_text(c,
                             "SELECT id FROM messages WHERE provider_id = $1 AND "
                             "provider_message_id = $2 AND provider_message_id <> '' AND "
                             "direction = 'inbound' LIMIT 1",
                             2, p, in->existing_id, sizeof in->existing_id, e);
    in->duplicate = !err && in->existing_id[0];
    return err;
}

static sg_err consent_change(pg_conn *c, sg_inbound *in, sg_error *e)
{
    const sg_message *m = in->msg;
    if (in->consent == SG_CONSENT_OPT_OUT) {
        sg_optout o = {.created_at = m->created_at};
        snprintf(o.phone, sizeof o.phone, "%.23s", m->from);
        snprintf(o.source, sizeof o.source, "keyword");
        snprintf(o.reason, sizeof o.reason, "keyword %s", in->keyword ? in->keyword : "");
        snprintf(o.message_id, sizeof o.message_id, "%s", m->id);
        return pg_optout_add_on(c, &o, &in->consent_changed, e);
    }
    if (in->consent == SG_CONSENT_OPT_IN)
        return pg_optout_remove_on(c, m->from, "keyword", m->id, &in->consent_changed, e);
    return SG_OK;
}

static sg_err inbound_fn(pg_conn *c, void *arg, sg_error *e)
{
    sg_inbound *in = arg;
    sg_message *m = in->msg;
    sg_err err = find_duplicate(c, in, e);
    if (err || in->duplicate)
        return err;
    err = contact_ensure(c, m->from, m->created_at, in->contact_id, &in->contact_created, e);
    if (!err)
        err = contact_activity(c, m->from, in->contact_id, m->created_at, e);
    if (err)
        return err;
    snprintf(m->contact_id, sizeof m->contact_id, "%s", in->contact_id);
    if ((err = pg_message_insert_on(c, m, e)) || (err = pg_app_inbound(c, m, e)) ||
        (err = emit_received(c, in, e)))
        return err;
    if (in->reply) {
        snprintf(in->reply->contact_id, sizeof in->reply->contact_id, "%s", in->contact_id);
        if ((err = pg_message_insert_on(c, in->reply, e)))
            return err;
    }
    if ((err = pg_journey_inbound(c, in, e)) || (err = pg_keyword_actions_run(c, in, e)))
        return err;
    return consent_change(c, in, e);
}

static sg_err pg_inbound(sg_store *s, sg_inbound *in, sg_error *e)
{
    in->duplicate = in->contact_created = in->consent_changed = false;
    in->existing_id[0] = in->contact_id[0] = '\0';
    return pg_write(pg_of(s), inbound_fn, in, e);
}

const sg_store_inbound_ops pg_inbound_ops = {
    .inbound = pg_inbound,
};
