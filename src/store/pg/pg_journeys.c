/* The PostgreSQL backend, journeys (issue 16, docs/journeys.md): journeys and
 * their versions, enrolments, the step log, and one step applied in one write.
 * The same rules as store/sqlite/sqlite_journeys.c, made safe for several
 * nodes on one database:
 *
 * - A step is applied only while the enrolment is still at the (step, visit)
 *   the engine read, checked with the row locked (FOR UPDATE) in the write that
 *   records it: a second node applying the same step waits, then finds it moved.
 * - A send step's message is inserted with the key "enrolment:step:visit" in
 *   journey_sends (ON CONFLICT DO NOTHING): a retried step never queues a second
 *   message.
 * - One active enrolment per contact and journey: the partial unique index
 *   journey_enrollments_one, inserted into with ON CONFLICT DO NOTHING (two
 *   nodes enrolling one contact at once make one enrolment).
 * - The engine's leases are taken FOR UPDATE SKIP LOCKED in the writer's short
 *   transaction: two nodes never run one enrolment at once; a journey's group
 *   trigger is scanned by one node at a time (its row locked, others skip it). */
#include "store/pg/pg_store.h"
#include "core/segment_filter.h"
#include "util/id.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JOURNEY_COLS                                                                               \
    "j.id, j.name, j.state, j.version, v.definition, j.trigger_type, j.trigger_value, "           \
    "j.created_at, j.updated_at"
#define JOURNEY_FROM                                                                               \
    " FROM journeys j JOIN journey_versions v ON v.journey_id = j.id AND v.version = j.version"
#define ENR_COLS                                                                                   \
    "e.id, e.journey_id, e.version, e.contact_id, e.phone, e.state, e.step, e.visit, e.waiting, " \
    "e.due_at, e.steps_taken, e.exit_reason, e.started_at, e.updated_at, e.exited_at, "           \
    "EXISTS (SELECT 1 FROM optouts o WHERE o.phone = e.phone)"

static void journey_row(const PGresult *r, int i, void *out)
{
    sg_journey_row *j = out;
    pg_col_copy(r, i, 0, j->id, sizeof j->id);
    pg_col_copy(r, i, 1, j->name, sizeof j->name);
    pg_col_copy(r, i, 2, j->state, sizeof j->state);
    j->version = pg_col_i64(r, i, 3);
    j->definition = pg_col_dup(r, i, 4);
    pg_col_copy(r, i, 5, j->trigger_type, sizeof j->trigger_type);
    pg_col_copy(r, i, 6, j->trigger_value, sizeof j->trigger_value);
    j->created_at = pg_col_i64(r, i, 7);
    j->updated_at = pg_col_i64(r, i, 8);
}

static void enr_row(const PGresult *r, int i, void *out)
{
    sg_enrollment *x = out;
    pg_col_copy(r, i, 0, x->id, sizeof x->id);
    pg_col_copy(r, i, 1, x->journey_id, sizeof x->journey_id);
    x->version = pg_col_i64(r, i, 2);
    pg_col_copy(r, i, 3, x->contact_id, sizeof x->contact_id);
    pg_col_copy(r, i, 4, x->phone, sizeof x->phone);
    pg_col_copy(r, i, 5, x->state, sizeof x->state);
    pg_col_copy(r, i, 6, x->step, sizeof x->step);
    x->visit = pg_col_i64(r, i, 7);
    pg_col_copy(r, i, 8, x->waiting, sizeof x->waiting);
    x->due_at = pg_col_i64(r, i, 9);
    x->steps_taken = pg_col_i64(r, i, 10);
    pg_col_copy(r, i, 11, x->exit_reason, sizeof x->exit_reason);
    x->started_at = pg_col_i64(r, i, 12);
    x->updated_at = pg_col_i64(r, i, 13);
    x->exited_at = pg_col_i64(r, i, 14);
    x->opted_out = pg_col_bool(r, i, 15);
}

/* Run sql on c; *changed (may be NULL) whether it touched a row. */
static sg_err run(pg_conn *c, const char *sql, int n, const char *const *p, bool *changed,
                  sg_error *e)
{
    PGresult *r;
    sg_err err = pg_query(c, sql, n, p, &r, e);
    if (err)
        return err;
    if (changed)
        *changed = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    return SG_OK;
}

/* Whether phone is opted out, on c. */
static sg_err opted_out(pg_conn *c, const char *phone, bool *out, sg_error *e)
{
    const char *p[] = {phone};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT 1 FROM optouts WHERE phone = $1", 1, p, &r, e);
    if (!err) {
        *out = PQntuples(r) > 0;
        PQclear(r);
    }
    return err;
}

/* ---- journeys -------------------------------------------------------------------- */

static sg_err journey_create_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_journey_row *j = arg;
    char at[24];
    const char *p[] = {j->id, j->name, j->trigger_type, j->trigger_value,
                       pg_i64(at, j->created_at), j->definition};
    sg_err err = run(c,
                     "INSERT INTO journeys (id, name, state, version, trigger_type, trigger_value, "
                     "created_at, updated_at) VALUES ($1, $2, 'draft', 1, $3, $4, $5::bigint, "
                     "$5::bigint)",
                     5, p, NULL, e);
    const char *pv[] = {j->id, j->definition, at};
    if (!err)
        err = run(c,
                  "INSERT INTO journey_versions (journey_id, version, definition, created_at) "
                  "VALUES ($1, 1, $2, $3::bigint)",
                  3, pv, NULL, e);
    return err;
}

static sg_err pg_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e)
{
    return pg_write(pg_of(s), journey_create_fn, (void *)j, e);
}

/* The state and version of journey id on c, its row locked for the write. */
static sg_err journey_state(pg_conn *c, const char *id, char state[12], int64_t *version,
                            sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err =
        pg_query(c, "SELECT state, version FROM journeys WHERE id = $1 FOR UPDATE", 1, p, &r, e);
    if (err)
        return err;
    bool found = PQntuples(r) > 0;
    if (found) {
        pg_col_copy(r, 0, 0, state, 12);
        *version = pg_col_i64(r, 0, 1);
    }
    PQclear(r);
    return found ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no journey %s", id);
}

static sg_err journey_update_fn(pg_conn *c, void *arg, sg_error *e)
{
    const sg_journey_row *j = arg;
    char state[12], ver[24], at[24];
    int64_t version = 0;
    sg_err err = journey_state(c, j->id, state, &version, e);
    if (err)
        return err;
    if (strcmp(state, "archived") == 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is archived");
    const char *p[] = {j->id, pg_i64(ver, version + 1), j->definition, pg_i64(at, j->updated_at)};
    err = run(c,
              "INSERT INTO journey_versions (journey_id, version, definition, created_at) "
              "VALUES ($1, $2::bigint, $3, $4::bigint)",
              4, p, NULL, e);
    const char *pu[] = {j->id, j->name, ver, j->trigger_type, j->trigger_value, at};
    if (!err)
        err = run(c,
                  "UPDATE journeys SET name = $2, version = $3::bigint, trigger_type = $4, "
                  "trigger_value = $5, updated_at = $6::bigint WHERE id = $1",
                  6, pu, NULL, e);
    return err;
}

static sg_err pg_journey_get(sg_store *s, const char *id, sg_journey_row *out);

static sg_err pg_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out,
                                sg_error *e)
{
    sg_err err = pg_write(pg_of(s), journey_update_fn, (void *)j, e);
    if (!err && out)
        err = pg_journey_get(s, j->id, out);
    return err;
}

static sg_err pg_journey_get(sg_store *s, const char *id, sg_journey_row *out)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {id};
    sg_journey_row *rows = NULL;
    size_t n = 0;
    sg_err err = pg_read_rows(pg_of(s), "SELECT " JOURNEY_COLS JOURNEY_FROM " WHERE j.id = $1", 1,
                              p, sizeof *rows, journey_row, (void **)&rows, &n);
    if (err)
        return err;
    if (n > 0) {
        *out = rows[0];
        rows[0].definition = NULL;
    }
    sg_journey_rows_free(rows, n);
    return n > 0 ? SG_OK : SG_ERR_NOT_FOUND;
}

static sg_err pg_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n)
{
    char lim[24];
    const char *p[] = {state, pg_i64(lim, SG_JOURNEYS_MAX)};
    return pg_read_rows(pg_of(s),
                        "SELECT " JOURNEY_COLS JOURNEY_FROM " WHERE $1::text IS NULL OR j.state = "
                        "$1 ORDER BY j.created_at DESC, j.id DESC LIMIT $2::bigint",
                        2, p, sizeof **out, journey_row, (void **)out, n);
}

static sg_err pg_journey_version(sg_store *s, const char *id, int64_t version, char **definition)
{
    *definition = NULL;
    char ver[24];
    const char *p[] = {id, pg_i64(ver, version)};
    PGresult *r;
    sg_err err = pg_read(pg_of(s),
                         "SELECT definition FROM journey_versions WHERE journey_id = $1 AND "
                         "version = $2::bigint",
                         2, p, &r, NULL);
    if (err)
        return err;
    if (PQntuples(r) > 0) {
        *definition = pg_col_dup(r, 0, 0);
        err = *definition ? SG_OK : SG_ERR_NOMEM;
    } else {
        err = SG_ERR_NOT_FOUND;
    }
    PQclear(r);
    return err;
}

/* Log (step, visit, outcome, detail) of enrolment id. */
static sg_err step_log(pg_conn *c, const char *id, const char *journey_id, const char *step,
                       int64_t visit, const char *outcome, const char *detail, int64_t now,
                       sg_error *e)
{
    char v[24], at[24];
    const char *p[] = {id,      journey_id,          step, pg_i64(v, visit), outcome,
                       detail ? detail : "", pg_i64(at, now)};
    return run(c,
               "INSERT INTO journey_steps (enrollment_id, journey_id, step, visit, outcome, "
               "detail, at) VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::bigint)",
               7, p, NULL, e);
}

/* End the active enrolments that where (SQL on e, parameter $1 = arg, $2 = now)
 * selects with reason, each logged as exited at its step. */
static sg_err exit_where(pg_conn *c, const char *where, const char *arg, const char *reason,
                         int64_t now, sg_error *e)
{
    char sql[512], at[24];
    const char *p[] = {arg, pg_i64(at, now), reason};
    snprintf(sql, sizeof sql,
             "INSERT INTO journey_steps (enrollment_id, journey_id, step, visit, outcome, detail, "
             "at) SELECT e.id, e.journey_id, e.step, e.visit, 'exited', $3, $2::bigint "
             "FROM journey_enrollments e WHERE e.state = 'active' AND %s",
             where);
    sg_err err = run(c, sql, 3, p, NULL, e);
    snprintf(sql, sizeof sql,
             "UPDATE journey_enrollments AS e SET state = 'exited', exit_reason = $3, "
             "exited_at = $2::bigint, updated_at = $2::bigint, lease_until = 0 "
             "WHERE e.state = 'active' AND %s",
             where);
    if (!err)
        err = run(c, sql, 3, p, NULL, e);
    return err;
}

typedef struct transition_arg {
    const char *id;
    const char *const *from;
    const char *to;
    int64_t now;
} transition_arg;

static sg_err journey_transition_fn(pg_conn *c, void *arg, sg_error *e)
{
    const transition_arg *t = arg;
    char state[12];
    int64_t version;
    sg_err err = journey_state(c, t->id, state, &version, e);
    if (err)
        return err;
    bool allowed = false;
    for (size_t i = 0; t->from[i]; i++)
        allowed = allowed || strcmp(t->from[i], state) == 0;
    if (!allowed)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is %s", state);
    bool first = strcmp(state, "draft") == 0 && strcmp(t->to, "active") == 0;
    char at[24];
    const char *p[] = {t->id, t->to, pg_i64(at, t->now), first ? "t" : "f"};
    err = run(c,
              "UPDATE journeys SET state = $2, updated_at = $3::bigint, trigger_cursor = "
              "CASE WHEN $4::boolean THEN $3::bigint ELSE trigger_cursor END WHERE id = $1",
              4, p, NULL, e);
    if (!err && strcmp(t->to, "archived") == 0)
        err = exit_where(c, "e.journey_id = $1", t->id, "archived", t->now, e);
    return err;
}

static sg_err pg_journey_transition(sg_store *s, const char *id, const char *const *from,
                                    const char *to, int64_t now, sg_journey_row *out, sg_error *e)
{
    transition_arg t = {id, from, to, now};
    sg_err err = pg_write(pg_of(s), journey_transition_fn, &t, e);
    if (!err && out)
        err = pg_journey_get(s, id, out);
    return err;
}

/* ---- enrolment ------------------------------------------------------------------- */

/* What enrolling needs of a journey: its state, version, first step, reentry. */
typedef struct jinfo {
    char state[12];
    int64_t version;
    char first[33];
    bool reentry;
} jinfo;

static sg_err journey_info(pg_conn *c, const char *id, jinfo *ji, sg_error *e)
{
    memset(ji, 0, sizeof *ji);
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT j.state, j.version, v.definition" JOURNEY_FROM " WHERE j.id = $1",
                          1, p, &r, e);
    if (err)
        return err;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no journey %s", id);
    }
    pg_col_copy(r, 0, 0, ji->state, sizeof ji->state);
    ji->version = pg_col_i64(r, 0, 1);
    json_t *doc = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    PQclear(r);
    const char *first =
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "steps"), 0), "id"));
    const char *reentry = json_string_value(json_object_get(doc, "reentry"));
    snprintf(ji->first, sizeof ji->first, "%s", first ? first : "");
    ji->reentry = reentry && strcmp(reentry, "after_exit") == 0;
    json_decref(doc);
    return ji->first[0] ? SG_OK
                        : sg_error_set(e, SG_ERR_INVALID, NULL, "journey %s has no steps", id);
}

/* Enrol contact_id (whose phone is phone) in the journey ji describes. */
static sg_err enroll_one(pg_conn *c, const char *jid, const jinfo *ji, const char *contact_id,
                         const char *phone, int64_t now, sg_enroll_result *result,
                         char enr_id[SG_ID_MAX], sg_error *e)
{
    enr_id[0] = '\0';
    bool out = false;
    sg_err err = opted_out(c, phone, &out, e);
    if (err)
        return err;
    if (out) {
        *result = SG_ENROLL_OPTED_OUT;
        return SG_OK;
    }
    const char *pb[] = {jid, contact_id, ji->reentry ? "t" : "f"};
    PGresult *r;
    err = pg_query(c,
                   "SELECT 1 FROM journey_enrollments WHERE journey_id = $1 AND contact_id = $2 "
                   "AND (state = 'active' OR NOT $3::boolean) LIMIT 1",
                   3, pb, &r, e);
    if (err)
        return err;
    bool before = PQntuples(r) > 0;
    PQclear(r);
    if (before) {
        *result = SG_ENROLL_ALREADY;
        return SG_OK;
    }
    char id[SG_ID_MAX], ver[24], at[24];
    sg_id_new("enr", now, id);
    const char *p[] = {id, jid, pg_i64(ver, ji->version), contact_id, phone, ji->first,
                       pg_i64(at, now)};
    bool inserted = false;
    /* another node enrolling the contact at the same time: one of them wins */
    err = run(c,
              "INSERT INTO journey_enrollments (id, journey_id, version, contact_id, phone, "
              "state, step, visit, due_at, started_at, updated_at) VALUES ($1, $2, $3::bigint, "
              "$4, $5, 'active', $6, 0, $7::bigint, $7::bigint, $7::bigint) "
              "ON CONFLICT (journey_id, contact_id) WHERE state = 'active' DO NOTHING",
              7, p, &inserted, e);
    if (!err && !inserted) {
        *result = SG_ENROLL_ALREADY;
        return SG_OK;
    }
    if (!err)
        err = step_log(c, id, jid, ji->first, 0, "entered", NULL, now, e);
    if (!err)
        snprintf(enr_id, SG_ID_MAX, "%s", id);
    *result = err ? SG_ENROLL_NOT_FOUND : SG_ENROLL_OK;
    return err;
}

/* The phone of contact id into phone; *found false when there is no such contact. */
static sg_err contact_phone(pg_conn *c, const char *id, char phone[SG_PHONE_MAX], bool *found,
                            sg_error *e)
{
    const char *p[] = {id};
    PGresult *r;
    sg_err err = pg_query(c, "SELECT phone FROM contacts WHERE id = $1", 1, p, &r, e);
    if (err)
        return err;
    *found = PQntuples(r) > 0;
    if (*found)
        pg_col_copy(r, 0, 0, phone, SG_PHONE_MAX);
    PQclear(r);
    return SG_OK;
}

sg_err pg_journey_enroll_on(pg_conn *c, const char *id, const char *contact_id, int64_t now,
                            sg_enroll_result *result, char enrollment_id[SG_ID_MAX], sg_error *e)
{
    jinfo ji;
    char phone[SG_PHONE_MAX];
    bool found = false;
    sg_err err = journey_info(c, id, &ji, e);
    if (err)
        return err;
    if (strcmp(ji.state, "active") != 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is %s", ji.state);
    if ((err = contact_phone(c, contact_id, phone, &found, e)))
        return err;
    if (!found) {
        *result = SG_ENROLL_NOT_FOUND;
        return SG_OK;
    }
    return enroll_one(c, id, &ji, contact_id, phone, now, result, enrollment_id, e);
}

/* The contact of item (an id, or a phone: created when unknown) into it;
 * *found false for an id that names no contact. */
static sg_err resolve_contact(pg_conn *c, sg_enroll_item *it, int64_t now,
                              char phone[SG_PHONE_MAX], bool *found, sg_error *e)
{
    if (strncmp(it->contact, "ctc_", 4) == 0) {
        snprintf(it->contact_id, sizeof it->contact_id, "%s", it->contact);
        return contact_phone(c, it->contact_id, phone, found, e);
    }
    *found = true;
    snprintf(phone, SG_PHONE_MAX, "%s", it->contact);
    char new_id[SG_ID_MAX], at[24];
    sg_id_new("ctc", now, new_id);
    const char *p[] = {new_id, phone, pg_i64(at, now), pg_mobile_of(phone)};
    sg_err err = run(c,
                     "INSERT INTO contacts (id, phone, first_name, last_name, attributes, "
                     "created_at, updated_at, mobile) VALUES ($1, $2, '', '', '{}', $3::bigint, "
                     "$3::bigint, $4::boolean) ON CONFLICT (phone) DO NOTHING",
                     4, p, NULL, e);
    PGresult *r;
    if (err || (err = pg_query(c, "SELECT id FROM contacts WHERE phone = $1", 1, p + 1, &r, e)))
        return err;
    if (PQntuples(r) > 0)
        pg_col_copy(r, 0, 0, it->contact_id, sizeof it->contact_id);
    PQclear(r);
    return SG_OK;
}

typedef struct enroll_arg {
    const char *id;
    sg_enroll_item *items;
    size_t n;
    int64_t now;
} enroll_arg;

static sg_err journey_enroll_fn(pg_conn *c, void *arg, sg_error *e)
{
    enroll_arg *a = arg;
    jinfo ji;
    sg_err err = journey_info(c, a->id, &ji, e);
    if (!err && strcmp(ji.state, "active") != 0)
        err = sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is %s", ji.state);
    for (size_t i = 0; !err && i < a->n; i++) {
        sg_enroll_item *it = &a->items[i];
        char phone[SG_PHONE_MAX] = "";
        bool found = false;
        err = resolve_contact(c, it, a->now, phone, &found, e);
        if (!err && !found)
            it->result = SG_ENROLL_NOT_FOUND;
        else if (!err)
            err = enroll_one(c, a->id, &ji, it->contact_id, phone, a->now, &it->result,
                             it->enrollment_id, e);
    }
    return err;
}

static sg_err pg_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n,
                                int64_t now, sg_error *e)
{
    enroll_arg a = {id, items, n, now};
    return pg_write(pg_of(s), journey_enroll_fn, &a, e);
}

/* ---- the group trigger ------------------------------------------------------------ */

typedef struct scan_arg {
    int64_t now;
    size_t limit, enrolled;
} scan_arg;

/* Enrol the members added to journey jid's group since cursor; the cursor moves
 * to the latest addition seen (members added at that same instant are looked at
 * again next time, and skipped: they have their enrolment). */
static sg_err scan_one(pg_conn *c, const char *jid, const char *group, int64_t cursor,
                       scan_arg *a, sg_error *e)
{
    jinfo ji;
    sg_err err = journey_info(c, jid, &ji, e);
    if (err)
        return err;
    char cur[24], lim[24];
    const char *p[] = {group, pg_i64(cur, cursor), jid, pg_i64(lim, (int64_t)(a->limit - a->enrolled))};
    PGresult *r;
    err = pg_query(c,
                   "SELECT gm.contact_id, c.phone, gm.added_at FROM group_members gm "
                   "JOIN groups g ON g.id = gm.group_id JOIN contacts c ON c.id = gm.contact_id "
                   "WHERE (g.id = $1 OR g.name = $1) AND gm.added_at >= $2::bigint AND NOT EXISTS "
                   "(SELECT 1 FROM journey_enrollments e WHERE e.journey_id = $3 AND "
                   "e.contact_id = gm.contact_id AND e.started_at >= gm.added_at) "
                   "ORDER BY gm.added_at LIMIT $4::bigint",
                   4, p, &r, e);
    if (err)
        return err;
    int64_t last = cursor;
    for (int i = 0; !err && i < PQntuples(r); i++) {
        char contact_id[SG_ID_MAX], phone[SG_PHONE_MAX], enr[SG_ID_MAX];
        pg_col_copy(r, i, 0, contact_id, sizeof contact_id);
        pg_col_copy(r, i, 1, phone, sizeof phone);
        last = pg_col_i64(r, i, 2);
        sg_enroll_result res;
        err = enroll_one(c, jid, &ji, contact_id, phone, a->now, &res, enr, e);
        a->enrolled += !err && res == SG_ENROLL_OK;
    }
    PQclear(r);
    const char *pc[] = {jid, pg_i64(cur, last)};
    if (!err && last != cursor)
        err = run(c, "UPDATE journeys SET trigger_cursor = $2::bigint WHERE id = $1", 2, pc, NULL,
                  e);
    return err;
}

static sg_err group_scan_fn(pg_conn *c, void *arg, sg_error *e)
{
    scan_arg *a = arg;
    PGresult *r;
    /* a journey another node is scanning (or changing) is left to it */
    sg_err err = pg_query(c,
                          "SELECT id, trigger_value, trigger_cursor FROM journeys WHERE state = "
                          "'active' AND trigger_type = 'group' ORDER BY id LIMIT 256 "
                          "FOR UPDATE SKIP LOCKED",
                          0, NULL, &r, e);
    if (err)
        return err;
    for (int i = 0; !err && i < PQntuples(r) && a->enrolled < a->limit; i++) {
        char id[SG_ID_MAX], group[513];
        pg_col_copy(r, i, 0, id, sizeof id);
        pg_col_copy(r, i, 1, group, sizeof group);
        err = scan_one(c, id, group, pg_col_i64(r, i, 2), a, e);
    }
    PQclear(r);
    return err;
}

static sg_err pg_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled,
                                    sg_error *e)
{
    scan_arg a = {now, limit, 0};
    sg_err err = pg_write(pg_of(s), group_scan_fn, &a, e);
    if (enrolled)
        *enrolled = a.enrolled;
    return err;
}

/* ---- the engine's claim and a step's write ---------------------------------------- */

typedef struct claim_arg {
    int64_t now, lease_ms;
    size_t limit;
    sg_enrollment *out;
    size_t n;
} claim_arg;

static sg_err claim_fn(pg_conn *c, void *arg, sg_error *e)
{
    claim_arg *a = arg;
    char now[24], lim[24], until[24];
    const char *p[] = {pg_i64(now, a->now), pg_i64(lim, (int64_t)a->limit)};
    PGresult *r;
    /* enrolments another node is leasing or stepping are passed over */
    sg_err err = pg_query(c,
                          "SELECT " ENR_COLS " FROM journey_enrollments e JOIN journeys j ON j.id "
                          "= e.journey_id WHERE e.state = 'active' AND e.due_at <= $1::bigint AND "
                          "e.lease_until <= $1::bigint AND j.state = 'active' ORDER BY e.due_at "
                          "LIMIT $2::bigint FOR UPDATE OF e SKIP LOCKED",
                          2, p, &r, e);
    if (err)
        return err;
    int rows = PQntuples(r);
    a->out = calloc(rows ? (size_t)rows : 1, sizeof *a->out);
    if (!a->out) {
        PQclear(r);
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    }
    for (int i = 0; i < rows; i++)
        enr_row(r, i, &a->out[i]);
    PQclear(r);
    a->n = (size_t)rows;
    pg_i64(until, a->now + a->lease_ms);
    for (size_t i = 0; !err && i < a->n; i++) {
        const char *pu[] = {a->out[i].id, until};
        err = run(c, "UPDATE journey_enrollments SET lease_until = $2::bigint WHERE id = $1", 2,
                  pu, NULL, e);
    }
    return err;
}

static sg_err pg_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit,
                               sg_enrollment **out, size_t *n)
{
    claim_arg a = {.now = now, .lease_ms = lease_ms, .limit = limit ? limit : 1};
    sg_error e = {0};
    sg_err err = pg_write(pg_of(s), claim_fn, &a, &e);
    if (err) {
        free(a.out);
        a.out = NULL;
        a.n = 0;
    }
    *out = a.out;
    *n = a.n;
    return err;
}

/* A node's heartbeat this recent (against this node's own) means it is alive:
 * --node-timeout's default (SG_NODE_TIMEOUT_MS_DEF). */
#define LIVE_NODE_MS "10000"

/* Several nodes share the database: a lease may be another live node's, and
 * releasing it would let two nodes run one enrolment at once. So the leases
 * are released only while no other node is alive (not stopped, its heartbeat
 * within LIVE_NODE_MS of this node's registration; a process without a
 * registered node counts every running node as alive); otherwise a lease of
 * the process that is gone ends by itself (lease_ms). */
static sg_err leases_reset_fn(pg_conn *c, void *arg, sg_error *e)
{
    (void)arg;
    const char *p[] = {c->node_id};
    return run(c,
               "UPDATE journey_enrollments SET lease_until = 0 WHERE lease_until > 0 AND NOT "
               "EXISTS (SELECT 1 FROM nodes o WHERE o.id <> $1 AND o.stopped_at = 0 AND "
               "o.heartbeat_at >= coalesce((SELECT heartbeat_at FROM nodes WHERE id = $1), 0) - "
               LIVE_NODE_MS ")",
               1, p, NULL, e);
}

static sg_err pg_journey_leases_reset(sg_store *s, sg_error *e)
{
    return pg_write(pg_of(s), leases_reset_fn, NULL, e);
}

/* Where an enrolment at (step, visit) is and goes. */
typedef struct move {
    const char *id, *journey_id, *step;
    int64_t visit;
    const char *outcome, *detail;
    const char *next_step;   /* NULL: exit */
    const char *exit_reason; /* when next_step is NULL */
    int64_t now;
} move;

/* Log the step's outcome and move the enrolment to next_step (entered now) or
 * end it. */
static sg_err move_on(pg_conn *c, const move *m, sg_error *e)
{
    char at[24];
    pg_i64(at, m->now);
    sg_err err = step_log(c, m->id, m->journey_id, m->step, m->visit, m->outcome, m->detail,
                          m->now, e);
    if (!err && !m->next_step) {
        err = step_log(c, m->id, m->journey_id, m->step, m->visit, "exited", m->exit_reason,
                       m->now, e);
        const char *p[] = {m->id, m->exit_reason, at};
        if (!err)
            err = run(c,
                      "UPDATE journey_enrollments SET state = 'exited', exit_reason = $2, "
                      "exited_at = $3::bigint, updated_at = $3::bigint, lease_until = 0, "
                      "waiting = '' WHERE id = $1",
                      3, p, NULL, e);
        return err;
    }
    if (err)
        return err;
    const char *p[] = {m->id, m->next_step, at};
    PGresult *r;
    err = pg_query(c,
                   "UPDATE journey_enrollments SET step = $2, visit = steps_taken + 1, "
                   "steps_taken = steps_taken + 1, waiting = '', due_at = $3::bigint, "
                   "updated_at = $3::bigint, lease_until = 0 WHERE id = $1 RETURNING visit",
                   3, p, &r, e);
    if (err)
        return err;
    int64_t visit = PQntuples(r) > 0 ? pg_col_i64(r, 0, 0) : 0;
    PQclear(r);
    return step_log(c, m->id, m->journey_id, m->next_step, visit, "entered", NULL, m->now, e);
}

/* The enrolment's journey, contact and phone when it is still active at (step,
 * visit) (and, if waiting is not NULL, waits so), its row locked; *at false
 * otherwise. */
static sg_err still_at(pg_conn *c, const char *id, const char *step, int64_t visit,
                       const char *waiting, char journey_id[SG_ID_MAX],
                       char contact_id[SG_ID_MAX], char phone[SG_PHONE_MAX], bool *at,
                       sg_error *e)
{
    char v[24];
    const char *p[] = {id, step, pg_i64(v, visit), waiting};
    PGresult *r;
    sg_err err = pg_query(c,
                          "SELECT journey_id, contact_id, phone FROM journey_enrollments WHERE id "
                          "= $1 AND step = $2 AND visit = $3::bigint AND state = 'active' AND "
                          "($4::text IS NULL OR waiting = $4) FOR UPDATE",
                          4, p, &r, e);
    if (err)
        return err;
    *at = PQntuples(r) > 0;
    if (*at) {
        pg_col_copy(r, 0, 0, journey_id, SG_ID_MAX);
        pg_col_copy(r, 0, 1, contact_id, SG_ID_MAX);
        pg_col_copy(r, 0, 2, phone, SG_PHONE_MAX);
    }
    PQclear(r);
    return SG_OK;
}

static sg_err queue_send(pg_conn *c, sg_journey_advance *a, const char *journey_id,
                         const char *contact_id, const char *phone, sg_error *e)
{
    bool out = false;
    sg_err err = opted_out(c, phone, &out, e);
    if (err)
        return err;
    if (out) {
        a->outcome = "skipped";
        a->detail = "opted out";
        return SG_OK;
    }
    char key[160];
    snprintf(key, sizeof key, "%s:%s:%lld", a->enrollment_id, a->step, (long long)a->visit);
    snprintf(a->send->contact_id, sizeof a->send->contact_id, "%s", contact_id);
    const char *p[] = {key, journey_id, a->step, a->send->id};
    bool inserted = false;
    err = run(c,
              "INSERT INTO journey_sends (send_key, journey_id, step, message_id) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT (send_key) DO NOTHING",
              4, p, &inserted, e);
    if (err)
        return err;
    if (!inserted)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "step %s of %s queued its message already",
                            a->step, a->enrollment_id);
    err = pg_message_insert_on(c, a->send, e);
    a->detail = a->send->id;
    return err;
}

static sg_err group_change(pg_conn *c, const char *group, bool add, const char *contact_id,
                           int64_t now, sg_error *e)
{
    char new_id[SG_ID_MAX], gid[SG_ID_MAX] = "", at[24];
    sg_id_new("grp", now, new_id);
    const char *p[] = {group, new_id, pg_i64(at, now)};
    sg_err err = SG_OK;
    if (add)
        err = run(c,
                  "INSERT INTO groups (id, name, created_at) SELECT $2, $1, $3::bigint "
                  "WHERE NOT EXISTS (SELECT 1 FROM groups WHERE id = $1 OR name = $1) "
                  "ON CONFLICT (name) DO NOTHING",
                  3, p, NULL, e);
    PGresult *r;
    if (err || (err = pg_query(c, "SELECT id FROM groups WHERE id = $1 OR name = $1", 1, p, &r, e)))
        return err;
    if (PQntuples(r) > 0)
        pg_col_copy(r, 0, 0, gid, sizeof gid);
    PQclear(r);
    if (!gid[0]) /* leaving a group that does not exist: not a member */
        return SG_OK;
    const char *pm[] = {gid, contact_id, at};
    return run(c,
               add ? "INSERT INTO group_members (group_id, contact_id, added_at) "
                     "VALUES ($1, $2, $3::bigint) ON CONFLICT DO NOTHING"
                   : "DELETE FROM group_members WHERE group_id = $1 AND contact_id = $2",
               add ? 3 : 2, pm, NULL, e);
}

/* The attribute as a JSON string, as SQLite's json_set with a text value. */
static sg_err set_attribute(pg_conn *c, const sg_journey_advance *a, const char *contact_id,
                            sg_error *e)
{
    char at[24];
    const char *p[] = {a->attr_name, a->attr_value ? a->attr_value : "", pg_i64(at, a->now),
                       contact_id};
    return run(c,
               "UPDATE contacts SET attributes = jsonb_set(coalesce(attributes, '{}')::jsonb, "
               "ARRAY[$1::text], to_jsonb($2::text))::text, updated_at = $3::bigint WHERE id = $4",
               4, p, NULL, e);
}

/* The side effects of a step: message, group, attribute, event. */
static sg_err step_effects(pg_conn *c, sg_journey_advance *a, const char *journey_id,
                           const char *contact_id, const char *phone, sg_error *e)
{
    sg_err err = SG_OK;
    if (a->send)
        err = queue_send(c, a, journey_id, contact_id, phone, e);
    if (!err && a->group)
        err = group_change(c, a->group, a->group_add, contact_id, a->now, e);
    if (!err && a->attr_name)
        err = set_attribute(c, a, contact_id, e);
    if (!err && a->event) {
        json_t *data = a->event_data ? json_loads(a->event_data, 0, NULL) : NULL;
        err = pg_emit(c, a->event, data, a->now, e);
    }
    return err;
}

static sg_err advance_fn(pg_conn *c, void *arg, sg_error *e)
{
    sg_journey_advance *a = arg;
    char journey_id[SG_ID_MAX], contact_id[SG_ID_MAX], phone[SG_PHONE_MAX];
    bool at = false;
    sg_err err = still_at(c, a->enrollment_id, a->step, a->visit, NULL, journey_id, contact_id,
                          phone, &at, e);
    if (err)
        return err;
    a->stale = !at;
    if (a->stale)
        return SG_OK;
    err = step_effects(c, a, journey_id, contact_id, phone, e);
    if (err || !a->stay) {
        move m = {a->enrollment_id, journey_id,   a->step,        a->visit, a->outcome,
                  a->detail,        a->next_step, a->exit_reason, a->now};
        return err ? err : move_on(c, &m, e);
    }
    if (a->outcome && strcmp(a->outcome, "deferred") != 0)
        err = step_log(c, a->enrollment_id, journey_id, a->step, a->visit, a->outcome, a->detail,
                       a->now, e);
    char due[24], now[24];
    const char *p[] = {a->enrollment_id, a->waiting ? a->waiting : "", pg_i64(due, a->due_at),
                       pg_i64(now, a->now)};
    if (!err)
        err = run(c,
                  "UPDATE journey_enrollments SET waiting = $2, due_at = $3::bigint, "
                  "updated_at = $4::bigint, lease_until = 0 WHERE id = $1",
                  4, p, NULL, e);
    return err;
}

static sg_err pg_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e)
{
    a->stale = false;
    return pg_write(pg_of(s), advance_fn, a, e);
}

/* ---- inbound messages ---------------------------------------------------------------- */

sg_err pg_journey_inbound(pg_conn *c, sg_inbound *in, sg_error *e)
{
    int64_t now = in->msg->created_at;
    if (in->consent == SG_CONSENT_OPT_OUT)
        return exit_where(c, "e.contact_id = $1", in->contact_id, "opted_out", now, e);
    sg_err err = SG_OK;
    for (size_t i = 0; !err && i < in->n_journey_replies; i++) {
        const sg_journey_reply *r = &in->journey_replies[i];
        char jid[SG_ID_MAX], cid[SG_ID_MAX], phone[SG_PHONE_MAX];
        bool at = false;
        err = still_at(c, r->enrollment_id, r->step, r->visit, "reply", jid, cid, phone, &at, e);
        if (err || !at)
            continue; /* it timed out or moved on meanwhile */
        move m = {r->enrollment_id, jid, r->step, r->visit, "replied", r->detail, r->next_step,
                  "completed", now};
        err = move_on(c, &m, e);
    }
    for (size_t i = 0; !err && i < in->n_enroll_journeys; i++) {
        sg_enroll_result res;
        char enr[SG_ID_MAX];
        err = pg_journey_enroll_on(c, in->enroll_journeys[i], in->contact_id, now, &res, enr, e);
        if (err == SG_ERR_CONFLICT || err == SG_ERR_NOT_FOUND)
            err = SG_OK; /* paused or archived meanwhile: not enrolled */
    }
    return err;
}

/* ---- reads ----------------------------------------------------------------------- */

typedef struct match_arg {
    const char *contact_id, *filter;
    int64_t now;
    bool *matches;
} match_arg;

static sg_err contact_matches_fn(pg_conn *c, void *arg, sg_error *e)
{
    match_arg *a = arg;
    sg_buf from, sql;
    sg_buf_init(&from, 1 << 16);
    sg_buf_init(&sql, 1 << 17);
    pg_params *p = malloc(sizeof *p);
    sg_seg_node *tree = NULL;
    sg_err err = p ? pg_audience_sql(c, "filter", a->filter, a->now, &from, p, &tree, e)
                   : sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
    if (!err && p->n >= PG_PARAMS_MAX)
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the condition is too large");
    if (!err && sg_buf_printf(&sql, "SELECT EXISTS (SELECT 1 FROM %s AND c.id = $%d)",
                              sg_buf_cstr(&from), p->n + 1))
        err = sg_error_set(e, SG_ERR_INVALID, "filter", "the condition is too large");
    PGresult *r = NULL;
    if (!err) {
        p->v[p->n] = a->contact_id;
        err = pg_query(c, sg_buf_cstr(&sql), p->n + 1, p->v, &r, e);
    }
    if (!err) {
        *a->matches = PQntuples(r) > 0 && pg_col_bool(r, 0, 0);
        PQclear(r);
    }
    sg_segment_free(tree);
    free(p);
    sg_buf_free(&from);
    sg_buf_free(&sql);
    return err;
}

static sg_err pg_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                         int64_t now, bool *matches)
{
    *matches = false;
    match_arg a = {contact_id, filter, now, matches};
    sg_error e = {0};
    return pg_read_tx(pg_of(s), contact_matches_fn, &a, &e);
}

static sg_err pg_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n)
{
    const char *p[] = {phone};
    return pg_read_rows(pg_of(s),
                        "SELECT " ENR_COLS " FROM journey_enrollments e JOIN journeys j ON j.id = "
                        "e.journey_id WHERE e.phone = $1 AND e.state = 'active' AND e.waiting = "
                        "'reply' AND j.state = 'active' ORDER BY e.started_at, e.id LIMIT 64",
                        1, p, sizeof **out, enr_row, (void **)out, n);
}

static sg_err pg_journey_enrollments(sg_store *s, const char *id, const char *cursor,
                                     size_t limit, sg_enrollment **out, size_t *n,
                                     bool *has_more)
{
    char lim[24];
    const char *p[] = {id, cursor, pg_i64(lim, (int64_t)limit + 1)};
    sg_err err = pg_read_rows(pg_of(s),
                              "SELECT " ENR_COLS " FROM journey_enrollments e WHERE e.journey_id "
                              "= $1 AND ($2::text IS NULL OR e.id < $2) ORDER BY e.id DESC "
                              "LIMIT $3::bigint",
                              3, p, sizeof **out, enr_row, (void **)out, n);
    bool more = !err && *n > limit;
    if (more)
        *n = limit;
    if (has_more)
        *has_more = more;
    return err;
}

static void step_stats_row(const PGresult *r, int i, void *out)
{
    sg_journey_step_stats *x = out;
    pg_col_copy(r, i, 0, x->step, sizeof x->step);
    x->entered = pg_col_i64(r, i, 1);
    x->completed = pg_col_i64(r, i, 2);
    x->replied = pg_col_i64(r, i, 3);
    x->exited = pg_col_i64(r, i, 4);
    x->sent = pg_col_i64(r, i, 5);
    x->delivered = pg_col_i64(r, i, 6);
}

static void exit_stats_row(const PGresult *r, int i, void *out)
{
    sg_journey_exit_stats *x = out;
    pg_col_copy(r, i, 0, x->step, sizeof x->step);
    pg_col_copy(r, i, 1, x->reason, sizeof x->reason);
    x->count = pg_col_i64(r, i, 2);
}

static sg_err pg_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps,
                               size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits)
{
    const char *p[] = {id};
    *exits = NULL;
    *n_exits = 0;
    sg_err err = pg_read_rows(
        pg_of(s),
        "SELECT l.step, count(*) FILTER (WHERE l.outcome = 'entered'), count(*) FILTER (WHERE "
        "l.outcome IN ('completed', 'sent', 'timed_out', 'replied', 'skipped')), count(*) FILTER "
        "(WHERE l.outcome = 'replied'), count(*) FILTER (WHERE l.outcome = 'exited'), "
        "(SELECT count(*) FROM journey_sends js WHERE js.journey_id = $1 AND js.step = l.step), "
        "(SELECT count(*) FROM journey_sends js JOIN messages m ON m.id = js.message_id WHERE "
        "js.journey_id = $1 AND js.step = l.step AND m.status = 'delivered') "
        "FROM journey_steps l WHERE l.journey_id = $1 GROUP BY l.step ORDER BY l.step LIMIT 256",
        1, p, sizeof **steps, step_stats_row, (void **)steps, n_steps);
    if (!err)
        err = pg_read_rows(pg_of(s),
                           "SELECT step, detail, count(*) FROM journey_steps WHERE journey_id = "
                           "$1 AND outcome = 'exited' GROUP BY step, detail ORDER BY step, detail "
                           "LIMIT 1024",
                           1, p, sizeof **exits, exit_stats_row, (void **)exits, n_exits);
    if (err) {
        free(*steps);
        *steps = NULL;
        *n_steps = 0;
    }
    return err;
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
