/* The PostgreSQL backend, keyword rules (issue 16): the rules' CRUD, and a
 * matched rule's actions with its row in keyword_matches, run inside the
 * inbound message's own write (pg_keyword_actions_run, for the inbound port:
 * an inbound the provider delivers twice runs them once). The same rules as
 * store/sqlite/sqlite_keywords.c. */
#include "store/pg/pg_store.h"
#include "util/id.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_SELECT                                                                                \
    "SELECT id, keyword, match, to_number, priority, actions, created_at, updated_at "             \
    "FROM keyword_rules "

static void rule_row(const PGresult *r, int i, void *out)
{
    sg_keyword_rule *k = out;
    memset(k, 0, sizeof *k);
    pg_col_copy(r, i, 0, k->id, sizeof k->id);
    pg_col_copy(r, i, 1, k->keyword, sizeof k->keyword);
    pg_col_copy(r, i, 2, k->match, sizeof k->match);
    pg_col_copy(r, i, 3, k->to, sizeof k->to);
    k->priority = (long)pg_col_i64(r, i, 4);
    k->actions = pg_col_dup(r, i, 5);
    k->created_at = pg_col_i64(r, i, 6);
    k->updated_at = pg_col_i64(r, i, 7);
}

static sg_err rule_write(pg_conn *c, const sg_keyword_rule *k, bool insert, sg_error *e)
{
    char priority[24], updated[24], created[24];
    const char *p[] = {k->id,
                       k->keyword,
                       k->match,
                       k->to,
                       pg_i64(priority, k->priority),
                       k->actions ? k->actions : "[]",
                       pg_i64(updated, k->updated_at),
                       pg_i64(created, k->created_at)};
    PGresult *r;
    sg_err err = pg_query(c,
                          insert ? "INSERT INTO keyword_rules (id, keyword, match, to_number, "
                                   "priority, actions, updated_at, created_at) VALUES ($1, $2, "
                                   "$3, $4, $5::bigint, $6, $7::bigint, $8::bigint)"
                                 : "UPDATE keyword_rules SET keyword = $2, match = $3, "
                                   "to_number = $4, priority = $5::bigint, actions = $6, "
                                   "updated_at = $7::bigint WHERE id = $1",
                          insert ? 8 : 7, p, &r, e);
    if (err == SG_ERR_CONFLICT)
        return sg_error_set(e, err, "keyword", "a rule for %s (%s%s%s) exists already", k->keyword,
                            k->match, k->to[0] ? ", to " : "", k->to);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", k->id);
}

static sg_err rule_insert_fn(pg_conn *c, void *arg, sg_error *e)
{
    return rule_write(c, arg, true, e);
}

static sg_err rule_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    return rule_write(c, arg, false, e);
}

static sg_err pg_keyword_rule_create(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return pg_write(pg_of(s), rule_insert_fn, (void *)r, e);
}

static sg_err pg_keyword_rule_update(sg_store *s, const sg_keyword_rule *r, sg_error *e)
{
    return pg_write(pg_of(s), rule_update_fn, (void *)r, e);
}

static sg_err rule_delete_fn(pg_conn *c, void *arg, sg_error *e)
{
    const char *p[] = {arg};
    PGresult *r;
    sg_err err = pg_query(c, "DELETE FROM keyword_rules WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    bool changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return changed
               ? SG_OK
               : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no keyword rule %s", (const char *)arg);
}

static sg_err pg_keyword_rule_delete(sg_store *s, const char *id, sg_error *e)
{
    return pg_write(pg_of(s), rule_delete_fn, (void *)id, e);
}

static sg_err pg_keyword_rule_get(sg_store *s, const char *id, sg_keyword_rule *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    sg_keyword_rule *rows;
    size_t n;
    sg_err err = pg_read_rows(pg_of(s), RULE_SELECT "WHERE id = $1", 1, p, sizeof *rows, rule_row,
                              (void **)&rows, &n);
    if (err)
        return err;
    if (n > 0)
        *out = rows[0];
    free(rows);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

/* The order rules are tried in; the API keeps them under SG_KEYWORD_RULES_MAX. */
static sg_err pg_keyword_rule_list(sg_store *s, sg_keyword_rule **out, size_t *n)
{
    char lim[24];
    const char *p[] = {pg_i64(lim, SG_KEYWORD_RULES_MAX)};
    return pg_read_rows(pg_of(s),
                        RULE_SELECT "ORDER BY priority DESC, created_at, id LIMIT $1::bigint", 1, p,
                        sizeof **out, rule_row, (void **)out, n);
}

/* ---- a matched rule's actions, inside the inbound write ------------------------------ */

/* The id of the group named (or with id) name; created when missing and create
 * is set (another node creating it meanwhile is found). *found false: none. */
static sg_err group_find(pg_conn *c, const char *name, int64_t now, bool create, char id[SG_ID_MAX],
                         bool *found, sg_error *e)
{
    char new_id[SG_ID_MAX], at[24];
    sg_id_new("grp", now, new_id);
    const char *p[] = {name, new_id, pg_i64(at, now)};
    sg_err err = SG_OK;
    if (create)
        err = pg_query(c,
                       "INSERT INTO groups (id, name, created_at) SELECT $2, $1, $3::bigint "
                       "WHERE NOT EXISTS (SELECT 1 FROM groups WHERE id = $1 OR name = $1) "
                       "ON CONFLICT (name) DO NOTHING",
                       3, p, NULL, e);
    PGresult *r;
    if (err || (err = pg_query(c, "SELECT id FROM groups WHERE id = $1 OR name = $1", 1, p, &r, e)))
        return err;
    *found = PQntuples(r) > 0;
    if (*found)
        pg_col_copy(r, 0, 0, id, SG_ID_MAX);
    PQclear(r);
    return SG_OK;
}

static sg_err group_action(pg_conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                           sg_error *e)
{
    bool add = a->kind == SG_IA_GROUP_ADD, found = false;
    char gid[SG_ID_MAX] = "", at[24];
    sg_err err = group_find(c, a->group, now, add, gid, &found, e);
    if (err || !found) /* leaving a group that does not exist: not a member */
        return err;
    const char *p[] = {gid, in->contact_id, pg_i64(at, now)};
    PGresult *r;
    err = pg_query(c,
                   add ? "INSERT INTO group_members (group_id, contact_id, added_at) "
                         "VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING"
                       : "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2",
                   add ? 3 : 2, p, &r, e);
    if (!err) {
        a->changed = strcmp(PQcmdTuples(r), "0") != 0;
        PQclear(r);
    }
    return err;
}

/* The attribute as a JSON string, as SQLite's json_set with a text value. */
static sg_err set_attribute(pg_conn *c, sg_inbound *in, sg_inbound_action *a, int64_t now,
                            sg_error *e)
{
    char at[24];
    const char *p[] = {a->name, a->value ? a->value : "", pg_i64(at, now), in->contact_id};
    sg_err err = pg_query(c,
                          "UPDATE contacts SET attributes = jsonb_set(coalesce(attributes, "
                          "'{}')::jsonb, ARRAY[$1::text], to_jsonb($2::text))::text, "
                          "updated_at = $3::bigint WHERE id = $4",
                          4, p, NULL, e);
    a->changed = !err;
    return err;
}

/* Queue reply (may be NULL) unless the sender is opted out: opt-out rules hold
 * for keyword replies as for every other message. */
static sg_err queue_reply(pg_conn *c, sg_inbound *in, sg_message *reply, bool *queued, sg_error *e)
{
    *queued = false;
    if (!reply)
        return SG_OK;
    const char *p[] = {in->msg->from};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT 1 FROM optouts WHERE phone = $1", 1, p, &r, e);
    if (err)
        return err;
    bool opted_out = PQntuples(r) > 0;
    PQclear(r);
    if (opted_out)
        return SG_OK;
    snprintf(reply->contact_id, sizeof reply->contact_id, "%s", in->contact_id);
    err = pg_message_insert_on(c, reply, e);
    *queued = !err;
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

static sg_err record_match(pg_conn *c, sg_inbound *in, sg_error *e)
{
    char at[24];
    const char *p[] = {in->rule_id, in->rule_keyword ? in->rule_keyword : "", in->msg->from,
                       in->msg->id, pg_i64(at, in->msg->created_at)};
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
    case SG_IA_ENROLL: {
        sg_enroll_result res = SG_ENROLL_NOT_FOUND;
        char enr[SG_ID_MAX];
        err = pg_journey_enroll_on(c, a->journey, in->contact_id, now, &res, enr, e);
        if (err == SG_ERR_CONFLICT || err == SG_ERR_NOT_FOUND)
            err = SG_OK; /* the journey is not active (or was deleted): not enrolled */
        a->changed = !err && res == SG_ENROLL_OK;
        break;
    }
    }
    return err;
}

sg_err pg_keyword_actions_run(pg_conn *c, sg_inbound *in, sg_error *e)
{
    if (!in->rule_id)
        return SG_OK;
    sg_err err = record_match(c, in, e);
    for (size_t i = 0; !err && i < in->n_actions; i++)
        err = run_action(c, in, &in->actions[i], e);
    return err;
}

const sg_store_keywords_ops pg_keywords_ops = {
    .keyword_rule_create = pg_keyword_rule_create,
    .keyword_rule_update = pg_keyword_rule_update,
    .keyword_rule_delete = pg_keyword_rule_delete,
    .keyword_rule_get = pg_keyword_rule_get,
    .keyword_rule_list = pg_keyword_rule_list,
};
