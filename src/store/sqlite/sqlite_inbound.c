/* The SQLite backend, inbound messages: the sender's contact, the
 * message.received event, an auto-reply and a keyword's consent change in one write. */
#include "store/sqlite/sqlite_internal.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_INBOUND_BY_PROVIDER_ID                                                                 \
    "SELECT id FROM messages WHERE provider_id = ?1 AND "                                          \
    "provider_message_id = ?2 AND provider_message_id != '' AND "                                  \
    "direction = 'inbound'"
#define SQL_CONTACT_ID_BY_PHONE "SELECT id FROM contacts WHERE phone = ?1"
#define SQL_CONTACT_INSERT                                                                         \
    "INSERT INTO contacts (id, phone, first_name, last_name, attributes, "                         \
    "created_at, updated_at, mobile) "                                                             \
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"

static sg_err contact_ensure(conn *c, const char *phone, int64_t now, char id[SG_ID_MAX],
                             bool *created, sg_error *e)
{
    sqlite3_stmt *st = sq_stmt_sql(c, S_CONTACT_ID_BY_PHONE, SQL_CONTACT_ID_BY_PHONE);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
    sq_bind_text(st, 1, phone);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found)
        sq_col_copy(st, 0, id, SG_ID_MAX);
    sqlite3_reset(st);
    *created = false;
    if (found)
        return SG_OK;
    sg_id_new("ctc", now, id);
    st = sq_stmt_sql(c, S_CONTACT_INSERT, SQL_CONTACT_INSERT);
    if (st) {
        sq_bind_text(st, 1, id);
        sq_bind_text(st, 2, phone);
        sq_bind_text(st, 3, "");
        sq_bind_text(st, 4, "");
        sq_bind_text(st, 5, "{}");
        sqlite3_bind_int64(st, 6, now);
        sqlite3_bind_int64(st, 7, now);
        sq_bind_phone_facts(st, 8, phone);
    }
    sg_err err = sq_step_done(c, st, e, "creating contact");
    *created = !err;
    return err;
}

static sg_err inbound_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_inbound *in = arg;
    sg_message *m = in->msg;
    if (m->provider_message_id[0]) {
        sqlite3_stmt *st = sq_stmt_sql(c, S_INBOUND_BY_PROVIDER_ID, SQL_INBOUND_BY_PROVIDER_ID);
        if (!st)
            return sq_db_error(c->db, SQLITE_ERROR, e, "preparing");
        sq_bind_text(st, 1, m->provider_id);
        sq_bind_text(st, 2, m->provider_message_id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            in->duplicate = true;
            sq_col_copy(st, 0, in->existing_id, sizeof in->existing_id);
        }
        sqlite3_reset(st);
        if (in->duplicate)
            return SG_OK; /* the provider retried its webhook */
    }
    sg_err err = contact_ensure(c, m->from, m->created_at, in->contact_id, &in->contact_created, e);
    if (!err)
        err = sq_contact_activity(c, m->from, in->contact_id, m->created_at, e);
    if (err)
        return err;
    snprintf(m->contact_id, sizeof m->contact_id, "%s", in->contact_id);
    if ((err = sq_message_insert(c, m, e)) || (err = sq_app_inbound(c, m, e)))
        return err;
    if (sq_webhook_mask(s, c) & sq_event_bit(SG_EVENT_MESSAGE_RECEIVED)) {
        char when[SG_TIME_STR_MAX];
        sg_time_format(m->created_at, when, sizeof when);
        json_t *data =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", m->id, "from", m->from,
                      "to", m->to, "body", m->body ? m->body : "", "provider_id", m->provider_id,
                      "provider_message_id", m->provider_message_id, "contact_id", in->contact_id,
                      "segments", (int)m->segments, "received_at", when);
        if ((err = sq_emit(s, c, SG_EVENT_MESSAGE_RECEIVED, data, m->created_at, e)))
            return err;
    }
    if (in->reply) {
        snprintf(in->reply->contact_id, sizeof in->reply->contact_id, "%s", in->contact_id);
        if ((err = sq_message_insert(c, in->reply, e)))
            return err;
    }
    if ((err = sq_journey_inbound(s, c, in, e)) || (err = sq_keyword_actions_run(s, c, in, e)))
        return err;
    char detail[96];
    snprintf(detail, sizeof detail, "keyword %s", in->keyword ? in->keyword : "");
    if (in->consent == SG_CONSENT_OPT_OUT) {
        sg_optout o = {.created_at = m->created_at};
        snprintf(o.phone, sizeof o.phone, "%.23s", m->from);
        snprintf(o.source, sizeof o.source, "keyword");
        snprintf(o.reason, sizeof o.reason, "%s", detail);
        snprintf(o.message_id, sizeof o.message_id, "%s", m->id);
        err = sq_optout_add_on(s, c, &o, &in->consent_changed, e);
    } else if (in->consent == SG_CONSENT_OPT_IN) {
        err = sq_optout_remove_on(s, c, m->from, "keyword", m->id, &in->consent_changed, e);
    }
    return err;
}

static sg_err sq_inbound(sg_store *s, sg_inbound *in, sg_error *e)
{
    in->duplicate = in->contact_created = in->consent_changed = false;
    in->existing_id[0] = in->contact_id[0] = '\0';
    return sq_write_sync(s, inbound_fn, in, e);
}

const sg_store_inbound_ops sq_inbound_ops = {
    .inbound = sq_inbound,
};
