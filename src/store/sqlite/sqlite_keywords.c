/* The SQLite backend, keyword rules (issue 16): the rules' CRUD, and a matched
 * rule's actions run inside the inbound message's own write (sqlite_inbound.c),
 * so that an inbound the provider delivers twice runs them once. The statements
 * are rare (rule edits) or per matched message, so they are prepared per call. */
#include "store/sqlite/sqlite_internal.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_COLS "id, keyword, match, to_number, priority, actions, created_at, updated_at"

static void rule_row(sqlite3_stmt *st, void *out)
{
    sg_keyword_rule *r = out;
    sq_col_copy(st, 0, r->id, sizeof r->id);
    sq_col_copy(st, 1, r->keyword, sizeof r->keyword);
    sq_col_copy(st, 2, r->match, sizeof r->match);
    sq_col_copy(st, 3, r->to, sizeof r->to);
    r->priority = (long)sqlite3_column_int64(st, 4);
    r->actions = sq_col_dup(st, 5);
    r->created_at = sqlite3_column_int64(st, 6);
    r->updated_at = sqlite3_column_int64(st, 7);
}

static void rule_drop(void *r)
{
    sg_keyword_rule_free(r);
}

/* Prepare sql on c into *st (finalized by the caller). */
static sg_err prepare(conn *c, const char *sql, sqlite3_stmt **st, sg_error *e)
{
    int rc = sqlite3_prepare_v2(c->db, sql, -1, st, NULL);
    return rc == SQLITE_OK ? SG_OK : sq_db_error(c->db, rc, e, "preparing");
}

static sg_err rule_write_fn(sg_store *s, conn *c, void *arg, sg_error *e, bool insert)
{
    (void)s;
    const sg_keyword_rule *r = arg;
    sqlite3_stmt *st = NULL;
    const char *sql = insert ? "INSERT INTO keyword_rules (id, keyword, match, to_number, priority, "
                               "actions, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
                               "?7, ?8)"
                             : "UPDATE keyword_rules SET keyword = ?2, match = ?3, to_number = ?4, "
                               "priority = ?5, actions = ?6, updated_at = ?8 WHERE id = ?1";
    sg_err perr = prepare(c, sql, &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, r->id);
    sq_bind_text(st, 2, r->keyword);
    sq_bind_text(st, 3, r->match);
    sq_bind_text(st, 4, r->to);
    sqlite3_bind_int64(st, 5, r->priority);
    sq_bind_text(st, 6, r->actions ? r->actions : "[]");
    if (insert)
        sqlite3_bind_int64(st, 7, r->created_at);
    sqlite3_bind_int64(st, 8, r->updated_at);
    int rc = sqlite3_step(st);
    sg_err err = SG_OK;
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        err = sg_error_set(e, SG_ERR_CONFLICT, "keyword",
                           "a rule for %s (%s%s%s) exists already", r->keyword, r->match,
                           r->to[0] ? ", to " : "", r->to);
    else if (rc != SQLITE_DONE)
        err = sq_db_error(c->db, rc, e, "writing the keyword rule");
    else if (!insert && sqlite3_changes(c->db) == 0)
        err = sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", r->id);
    sqlite3_finalize(st);
    return err;
}

static sg_err rule_insert_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return rule_write_fn(s, c, arg, e, true);
}

static sg_err rule_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    return rule_write_fn(s, c, arg, e, false);
}

static sg_err sq_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return sq_write_sync(s, rule_insert_fn, (void *)r, e);
}

static sg_err sq_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return sq_write_sync(s, rule_update_fn, (void *)r, e);
}

static sg_err rule_delete_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    sqlite3_stmt *st = NULL;
    sg_err perr = prepare(c, "DELETE FROM keyword_rules WHERE id = ?1", &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, arg);
    int rc = sqlite3_step(st);
    sg_err err = SG_OK;
    if (rc != SQLITE_DONE)
        err = sq_db_error(c->db, rc, e, "deleting the keyword rule");
    else if (sqlite3_changes(c->db) == 0)
        err = sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", (const char *)arg);
    sqlite3_finalize(st);
    return err;
}

static sg_err sq_keyword_rule_delete(sg_store *s, const char *id, sg_error *e)
{
    return sq_write_sync(s, rule_delete_fn, (void *)id, e);
}

/* Rows of sql (one optional text parameter) on a reader. */
static sg_err read_rules(sg_store *s, const char *sql, const char *param, sg_keyword_rule **out,
                         size_t *n)
{
    *out = NULL;
    *n = 0;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = NULL;
    sg_err err = SG_ERR_DB;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (param)
            sq_bind_text(st, 1, param);
        err = sq_read_rows_on(st, rule_row, rule_drop, sizeof **out, SG_KEYWORD_RULES_MAX,
                              (void **)out, n);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

static sg_err sq_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out)
{
    memset(out, 0, sizeof *out);
    sg_keyword_rule *rows;
    size_t n;
    sg_err err = read_rules(s, "SELECT " RULE_COLS " FROM keyword_rules WHERE id = ?1", id, &rows,
                            &n);
    if (err)
        return err;
    if (n == 0) {
        free(rows);
        return SG_ERR_NOT_FOUND;
    }
    *out = rows[0];
    free(rows);
    return SG_OK;
}

static sg_err sq_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n)
{
    return read_rules(s,
                      "SELECT " RULE_COLS " FROM keyword_rules "
                      "ORDER BY priority DESC, created_at, id",
                      NULL, out, n);
}

/* ---- a matched rule's actions, inside the inbound write ---------------------- */

/* The id of the group named (or with id) name into id, created when missing. */
static sg_err group_find_or_create(conn *c, const char *name, int64_t now, char id[SG_ID_MAX],
                                   bool create, bool *found, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_err perr = prepare(c, "SELECT id FROM groups WHERE id = ?1 OR name = ?1", &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, name);
    *found = sqlite3_step(st) == SQLITE_ROW;
    if (*found)
        sq_col_copy(st, 0, id, SG_ID_MAX);
    sqlite3_finalize(st);
    if (*found || !create)
        return SG_OK;
    sg_id_new("grp", now, id);
    perr = prepare(c, "INSERT INTO groups (id, name, created_at) VALUES (?1, ?2, ?3)", &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, id);
    sq_bind_text(st, 2, name);
    sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *found = rc == SQLITE_DONE;
    return *found ? SG_OK : sq_db_error(c->db, rc, e, "creating the group");
}

/* Run sql with (group_id, contact_id, now); *changed = a row changed. */
static sg_err member_change(conn *c, const char *sql, const char *group_id,
                            const char *contact_id, int64_t now, bool *changed, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_err perr = prepare(c, sql, &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, group_id);
    sq_bind_text(st, 2, contact_id);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_int64(st, 3, now);
    int rc = sqlite3_step(st);
    *changed = rc == SQLITE_DONE && sqlite3_changes(c->db) > 0;
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "changing the group's members");
}

static sg_err group_action(conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                           sg_error *e)
{
    bool add = a->kind == SG_IA_GROUP_ADD, found = false;
    char gid[SG_ID_MAX] = "";
    sg_err err = group_find_or_create(c, a->group, now, gid, add, &found, e);
    if (err || !found) /* leaving a group that does not exist: not a member */
        return err;
    return member_change(c,
                         add ? "INSERT OR IGNORE INTO group_members (group_id, contact_id, "
                               "added_at) VALUES (?1, ?2, ?3)"
                             : "DELETE FROM group_members WHERE group_id = ?1 AND contact_id = ?2",
                         gid, in->contact_id, now, &a->changed, e);
}

static sg_err set_attribute(conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                            sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_err perr = prepare(c,
                 "UPDATE contacts SET attributes = json_set(coalesce(attributes, '{}'), "
                 "'$.\"' || ?1 || '\"', ?2), updated_at = ?3 WHERE id = ?4",
                 &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, a->name);
    sq_bind_text(st, 2, a->value ? a->value : "");
    sqlite3_bind_int64(st, 3, now);
    sq_bind_text(st, 4, in->contact_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    a->changed = rc == SQLITE_DONE;
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "setting the attribute");
}

/* Queue reply (may be NULL) unless the sender is opted out: opt-out rules hold
 * for keyword replies as for every other message. */
static sg_err queue_reply(conn *c, sg_inbound *in, sg_message *reply, bool *queued, sg_error *e)
{
    *queued = false;
    if (!reply || sq_optout_exists(c, in->msg->from))
        return SG_OK;
    snprintf(reply->contact_id, sizeof reply->contact_id, "%s", in->contact_id);
    sg_err err = sq_message_insert(c, reply, e);
    *queued = !err;
    return err;
}

static sg_err emit_matched(sg_store *s, conn *c, sg_inbound *in, sg_error *e)
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
    return sq_emit(s, c, SG_EVENT_MESSAGE_MATCHED, data, m->created_at, e);
}

static sg_err record_match(conn *c, sg_inbound *in, sg_error *e)
{
    sqlite3_stmt *st = NULL;
    sg_err perr = prepare(c,
                 "INSERT INTO keyword_matches (rule_id, keyword, phone, message_id, at) "
                 "VALUES (?1, ?2, ?3, ?4, ?5)",
                 &st, e);
    if (perr)
        return perr;
    sq_bind_text(st, 1, in->rule_id);
    sq_bind_text(st, 2, in->rule_keyword ? in->rule_keyword : "");
    sq_bind_text(st, 3, in->msg->from);
    sq_bind_text(st, 4, in->msg->id);
    sqlite3_bind_int64(st, 5, in->msg->created_at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SG_OK : sq_db_error(c->db, rc, e, "recording the keyword match");
}

static sg_err run_action(sg_store *s, conn *c, sg_inbound *in, sg_inbound_action *a, sg_error *e)
{
    int64_t now = in->msg->created_at;
    sg_err err = SG_OK;
    bool queued;
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
        err = emit_matched(s, c, in, e);
        break;
    case SG_IA_ENROLL: {
        sg_enroll_result res = SG_ENROLL_NOT_FOUND;
        char enr[SG_ID_MAX];
        err = sq_journey_enroll_on(c, a->journey, in->contact_id, now, &res, enr, e);
        if (err == SG_ERR_CONFLICT || err == SG_ERR_NOT_FOUND)
            err = SG_OK; /* the journey is not active (or was deleted): not enrolled */
        a->changed = !err && res == SG_ENROLL_OK;
        break;
    }
    }
    return err;
}

sg_err sq_keyword_actions_run(sg_store *s, conn *c, sg_inbound *in, sg_error *e)
{
    if (!in->rule_id)
        return SG_OK;
    sg_err err = record_match(c, in, e);
    for (size_t i = 0; !err && i < in->n_actions; i++)
        err = run_action(s, c, in, &in->actions[i], e);
    return err;
}

const sg_store_keywords_ops sq_keywords_ops = {
    .keyword_rule_create = sq_keyword_rule_create,
    .keyword_rule_update = sq_keyword_rule_update,
    .keyword_rule_delete = sq_keyword_rule_delete,
    .keyword_rule_get = sq_keyword_rule_get,
    .keyword_rule_list = sq_keyword_rule_list,
};
