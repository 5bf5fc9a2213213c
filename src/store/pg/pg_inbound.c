/* The PostgreSQL backend, inbound messages: in one write of the writer, the
 * sender's contact (created when new), the message, its app's inbound
 * callback, the message.received event, an auto-reply, a matched keyword
 * rule's actions and a keyword's consent change. The same rules as
 * store/sqlite/sqlite_inbound.c and the inbound half of sqlite_keywords.c. */
#include "store/pg/pg_store.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One statement whose effect is "did it change a row". */
static sg_err change(pg_conn *c, const char *sql, int n, const char *const *p, bool *changed,
                     sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (!err) {
        *changed = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    return err;
}

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

/* The app of the last outbound message to the sender gets the reply, when it
 * has an inbound URL (as sqlite_apps.c's sq_app_inbound). */
static sg_err app_inbound(pg_conn *c, const sg_message *m, sg_error *e)
{
    char t[24];
    const char *p[] = {m->id, m->to, m->from, pg_i64(t, m->created_at)};
    return pg_query(c,
                    "INSERT INTO app_callbacks (kind, method, app_id, message_id, url, status, "
                    "to_number, from_number, next_attempt_at, created_at) "
                    "SELECT 'inbound', p.inbound_method, p.id, $1, p.inbound_url, 'received', $2, "
                    "$3, $4::bigint, $4::bigint "
                    "FROM (SELECT id FROM messages WHERE to_number = $3 AND direction = 'outbound' "
                    "ORDER BY id DESC LIMIT 1) o JOIN app_messages a ON a.message_id = o.id "
                    "JOIN apps p ON p.id = a.app_id WHERE p.inbound_url <> ''",
                    4, p, NULL, e);
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

/* ---- a matched keyword rule's actions ------------------------------------------------ */

static sg_err optout_exists(pg_conn *c, const char *phone, bool *yes, sg_error *e)
{
    char found[8];
    const char *p[] = {phone};
    sg_err err =
        select_text(c, "SELECT 1 FROM optouts WHERE phone = $1", 1, p, found, sizeof found, e);
    *yes = !err && found[0];
    return err;
}

/* Queue reply (may be NULL) unless the sender is opted out: opt-out rules hold
 * for keyword replies as for every other message. */
static sg_err queue_reply(pg_conn *c, sg_inbound *in, sg_message *reply, bool *queued, sg_error *e)
{
    *queued = false;
    bool out = false;
    sg_err err = reply ? optout_exists(c, in->msg->from, &out, e) : SG_OK;
    if (err || !reply || out)
        return err;
    snprintf(reply->contact_id, sizeof reply->contact_id, "%s", in->contact_id);
    err = pg_message_insert_on(c, reply, e);
    *queued = !err;
    return err;
}

/* The id of the group named (or with id) name, created when missing and create. */
static sg_err group_find(pg_conn *c, const char *name, int64_t now, bool create, char id[SG_ID_MAX],
                         sg_error *e)
{
    const char *p[] = {name};
    sg_err err =
        select_text(c, "SELECT id FROM groups WHERE id = $1 OR name = $1", 1, p, id, SG_ID_MAX, e);
    if (err || id[0] || !create)
        return err;
    sg_id_new("grp", now, id);
    char t[24];
    const char *pi[] = {id, name, pg_i64(t, now)};
    err = pg_query(c, "INSERT INTO groups (id, name, created_at) VALUES ($1, $2, $3::bigint)", 3,
                   pi, NULL, e);
    if (err)
        id[0] = '\0';
    return err;
}

static sg_err group_action(pg_conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                           sg_error *e)
{
    bool add = a->kind == SG_IA_GROUP_ADD;
    char gid[SG_ID_MAX] = "", t[24];
    sg_err err = group_find(c, a->group, now, add, gid, e);
    if (err || !gid[0]) /* leaving a group that does not exist: not a member */
        return err;
    const char *p[] = {gid, in->contact_id, pg_i64(t, now)};
    return add ? change(c,
                        "INSERT INTO group_members (group_id, contact_id, added_at) "
                        "VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING",
                        3, p, &a->changed, e)
               : change(c, "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2", 2,
                        p, &a->changed, e);
}

static sg_err set_attribute(pg_conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                            sg_error *e)
{
    char t[24];
    const char *p[] = {a->name, a->value ? a->value : "", pg_i64(t, now), in->contact_id};
    sg_err err = pg_query(c,
                          "UPDATE contacts SET attributes = jsonb_set(coalesce(nullif(attributes, "
                          "''), '{}')::jsonb, ARRAY[$1::text], to_jsonb($2::text))::text, "
                          "updated_at = $3::bigint WHERE id = $4",
                          4, p, NULL, e);
    a->changed = !err;
    return err;
}

static sg_err emit_matched(pg_conn *c, sg_inbound *in, sg_error *e)
{
    const sg_message *m = in->msg;
    char when[SG_TIME_STR_MAX];
    sg_time_format(m->created_at, when, sizeof when);
    json_t *rule = in->rule_json ? json_loads(in->rule_json, 0, NULL) : NULL;
    json_t *data = json_pack("{s:o, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:s}", "rule",
                             rule ? rule : json_object(), "message", "id", m->id, "from", m->from,
                             "to", m->to, "body", m->body ? m->body : "", "provider_id",
                             m->provider_id, "provider_message_id", m->provider_message_id,
                             "received_at", when, "contact_id", in->contact_id);
    return pg_emit(c, SG_EVENT_MESSAGE_MATCHED, data, m->created_at, e);
}

static sg_err record_match(pg_conn *c, const sg_inbound *in, sg_error *e)
{
    char t[24];
    const char *p[] = {in->rule_id, in->rule_keyword ? in->rule_keyword : "", in->msg->from,
                       in->msg->id, pg_i64(t, in->msg->created_at)};
    return pg_query(c,
                    "INSERT INTO keyword_matches (rule_id, keyword, phone, message_id, at) "
                    "VALUES ($1, $2, $3, $4, $5::bigint)",
                    5, p, NULL, e);
}

static sg_err run_action(pg_conn *c, sg_inbound *in, sg_inbound_action *a, sg_error *e)
{
    int64_t now = in->msg->created_at;
    bool queued;
    sg_err err = SG_OK;
    switch (a->kind) {
    case SG_IA_REPLY:
        err = queue_reply(c, in, a->reply, &a->changed, e);
        break;
    case SG_IA_GROUP_ADD:
    case SG_IA_GROUP_REMOVE:
        err = group_action(c, in, a, now, e);
        if (!err)
            err = queue_reply(c, in, a->changed ? a->reply : a->reply_else, &queued, e);
        break;
    case SG_IA_SET_ATTRIBUTE:
        err = set_attribute(c, in, a, now, e);
        break;
    case SG_IA_EVENT:
        err = emit_matched(c, in, e);
        break;
    }
    return err;
}

/* The matched rule (if any): its match on the timeline, then its actions in order. */
static sg_err keyword_actions_run(pg_conn *c, sg_inbound *in, sg_error *e)
{
    if (!in->rule_id)
        return SG_OK;
    sg_err err = record_match(c, in, e);
    for (size_t i = 0; !err && i < in->n_actions; i++)
        err = run_action(c, in, &in->actions[i], e);
    return err;
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
    if ((err = pg_message_insert_on(c, m, e)) || (err = app_inbound(c, m, e)) ||
        (err = emit_received(c, in, e)))
        return err;
    if (in->reply) {
        snprintf(in->reply->contact_id, sizeof in->reply->contact_id, "%s", in->contact_id);
        if ((err = pg_message_insert_on(c, in->reply, e)))
            return err;
    }
    if ((err = keyword_actions_run(c, in, e)))
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
