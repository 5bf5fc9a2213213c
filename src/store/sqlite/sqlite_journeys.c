/* The SQLite backend, journeys (issue 16, docs/journeys.md): journeys and their
 * versions, enrolments, the step log, and one step applied in one write.
 *
 * Exactly once: a step is applied only while the enrolment is still at the
 * (step, visit) the engine read, in the same transaction that records it; a send
 * step's message is inserted with the key "enrolment:step:visit" in
 * journey_sends, whose primary key refuses a second one. The statements run per
 * step or per edit and are prepared per call (sq_prep_uncached). */
#include "store/sqlite/sqlite_internal.h"
#include "core/segment_filter.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdarg.h>
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

/* Prepare sql on c and bind its parameters from types: 't' a string (NULL binds
 * NULL), 'i' an int64_t. NULL when it does not prepare. */
static sqlite3_stmt *q(conn *c, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st = sq_prep_uncached(c, sql);
    va_list ap;
    va_start(ap, types);
    for (int i = 0; st && types[i]; i++) {
        if (types[i] == 't') {
            const char *v = va_arg(ap, const char *);
            if (v)
                sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
        } else {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    return st;
}

static void journey_row(sqlite3_stmt *st, void *out)
{
    sg_journey_row *j = out;
    sq_col_copy(st, 0, j->id, sizeof j->id);
    sq_col_copy(st, 1, j->name, sizeof j->name);
    sq_col_copy(st, 2, j->state, sizeof j->state);
    j->version = sqlite3_column_int64(st, 3);
    j->definition = sq_col_dup(st, 4);
    sq_col_copy(st, 5, j->trigger_type, sizeof j->trigger_type);
    sq_col_copy(st, 6, j->trigger_value, sizeof j->trigger_value);
    j->created_at = sqlite3_column_int64(st, 7);
    j->updated_at = sqlite3_column_int64(st, 8);
}

static void journey_drop(void *j)
{
    sg_journey_row_free(j);
}

static void enr_row(sqlite3_stmt *st, void *out)
{
    sg_enrollment *r = out;
    sq_col_copy(st, 0, r->id, sizeof r->id);
    sq_col_copy(st, 1, r->journey_id, sizeof r->journey_id);
    r->version = sqlite3_column_int64(st, 2);
    sq_col_copy(st, 3, r->contact_id, sizeof r->contact_id);
    sq_col_copy(st, 4, r->phone, sizeof r->phone);
    sq_col_copy(st, 5, r->state, sizeof r->state);
    sq_col_copy(st, 6, r->step, sizeof r->step);
    r->visit = sqlite3_column_int64(st, 7);
    sq_col_copy(st, 8, r->waiting, sizeof r->waiting);
    r->due_at = sqlite3_column_int64(st, 9);
    r->steps_taken = sqlite3_column_int64(st, 10);
    sq_col_copy(st, 11, r->exit_reason, sizeof r->exit_reason);
    r->started_at = sqlite3_column_int64(st, 12);
    r->updated_at = sqlite3_column_int64(st, 13);
    r->exited_at = sqlite3_column_int64(st, 14);
    r->opted_out = sqlite3_column_int(st, 15) != 0;
}

/* The rows of st (already bound) into *out; st is finalized. */
static sg_err rows(conn *c, sqlite3_stmt *st, void (*row)(sqlite3_stmt *, void *),
                   void (*drop)(void *), size_t size, size_t max, void **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!st)
        return sq_map_rc(sqlite3_errcode(c->db));
    sg_err err = sq_read_rows_on(st, row, drop, size, max, out, n);
    sqlite3_finalize(st);
    return err;
}

/* ---- journeys -------------------------------------------------------------------- */

static sg_err journey_create_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_journey_row *j = arg;
    sg_err err = sq_step_finalize(
        c,
        q(c,
          "INSERT INTO journeys (id, name, state, version, trigger_type, trigger_value, "
          "created_at, updated_at) VALUES (?1, ?2, 'draft', 1, ?3, ?4, ?5, ?5)",
          "tttti", j->id, j->name, j->trigger_type, j->trigger_value, j->created_at),
        e, "creating the journey");
    if (!err)
        err = sq_step_finalize(c,
                               q(c,
                                 "INSERT INTO journey_versions (journey_id, version, definition, "
                                 "created_at) VALUES (?1, 1, ?2, ?3)",
                                 "tti", j->id, j->definition, j->created_at),
                               e, "storing the journey's version");
    return err;
}

static sg_err sq_journey_create(sg_store *s, const sg_journey_row *j, sg_error *e)
{
    return sq_write_sync(s, journey_create_fn, (void *)j, e);
}

/* The state and version of journey id on c. */
static sg_err journey_state(conn *c, const char *id, char state[12], int64_t *version,
                            sg_error *e)
{
    sqlite3_stmt *st = q(c, "SELECT state, version FROM journeys WHERE id = ?1", "t", id);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "reading the journey");
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        sq_col_copy(st, 0, state, 12);
        *version = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return found ? SG_OK : sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no journey %s", id);
}

static sg_err journey_update_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    const sg_journey_row *j = arg;
    char state[12];
    int64_t version = 0;
    sg_err err = journey_state(c, j->id, state, &version, e);
    if (err)
        return err;
    if (strcmp(state, "archived") == 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is archived");
    err = sq_step_finalize(c,
                           q(c,
                             "INSERT INTO journey_versions (journey_id, version, definition, "
                             "created_at) VALUES (?1, ?2, ?3, ?4)",
                             "titi", j->id, version + 1, j->definition, j->updated_at),
                           e, "storing the journey's version");
    if (!err)
        err = sq_step_finalize(c,
                               q(c,
                                 "UPDATE journeys SET name = ?2, version = ?3, trigger_type = ?4, "
                                 "trigger_value = ?5, updated_at = ?6 WHERE id = ?1",
                                 "ttitti", j->id, j->name, version + 1, j->trigger_type,
                                 j->trigger_value, j->updated_at),
                               e, "updating the journey");
    return err;
}

static sg_err sq_journey_get(sg_store *s, const char *id, sg_journey_row *out);

static sg_err sq_journey_update(sg_store *s, const sg_journey_row *j, sg_journey_row *out,
                                sg_error *e)
{
    sg_err err = sq_write_sync(s, journey_update_fn, (void *)j, e);
    if (!err && out)
        err = sq_journey_get(s, j->id, out);
    return err;
}

/* Rows of a read on a reader connection: sql with one optional text parameter. */
static sg_err read_journeys(sg_store *s, const char *sql, const char *param, sg_journey_row **out,
                            size_t *n)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = rows(c, q(c, sql, "t", param), journey_row, journey_drop, sizeof **out,
                      SG_JOURNEYS_MAX, (void **)out, n);
    sq_reader_release(s, c);
    return err;
}

static sg_err sq_journey_get(sg_store *s, const char *id, sg_journey_row *out)
{
    memset(out, 0, sizeof *out);
    sg_journey_row *r = NULL;
    size_t n = 0;
    sg_err err =
        read_journeys(s, "SELECT " JOURNEY_COLS JOURNEY_FROM " WHERE j.id = ?1", id, &r, &n);
    if (!err && n == 0)
        err = SG_ERR_NOT_FOUND;
    if (!err) {
        *out = r[0];
        n = 0;
    }
    sg_journey_rows_free(r, n);
    return err;
}

static sg_err sq_journey_list(sg_store *s, const char *state, sg_journey_row **out, size_t *n)
{
    return read_journeys(s,
                         "SELECT " JOURNEY_COLS JOURNEY_FROM " WHERE ?1 IS NULL OR j.state = ?1 "
                         "ORDER BY j.created_at DESC, j.id DESC",
                         state, out, n);
}

static sg_err sq_journey_version(sg_store *s, const char *id, int64_t version, char **definition)
{
    *definition = NULL;
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sqlite3_stmt *st = q(c,
                         "SELECT definition FROM journey_versions WHERE journey_id = ?1 AND "
                         "version = ?2",
                         "ti", id, version);
    sg_err err = SG_ERR_DB;
    if (st) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *definition = sq_col_dup(st, 0);
        err = rc == SQLITE_ROW ? (*definition ? SG_OK : SG_ERR_NOMEM)
              : rc == SQLITE_DONE ? SG_ERR_NOT_FOUND
                                  : sq_map_rc(rc);
    }
    sqlite3_finalize(st);
    sq_reader_release(s, c);
    return err;
}

/* Log (step, visit, outcome, detail) of enrolment id. */
static sg_err step_log(conn *c, const char *id, const char *journey_id, const char *step,
                       int64_t visit, const char *outcome, const char *detail, int64_t now,
                       sg_error *e)
{
    return sq_step_finalize(c,
                            q(c,
                              "INSERT INTO journey_steps (enrollment_id, journey_id, step, visit, "
                              "outcome, detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                              "tttitti", id, journey_id, step, visit, outcome,
                              detail ? detail : "", now),
                            e, "logging the journey step");
}

/* End the active enrolments that where (SQL on e, parameter ?1 = arg, ?2 = now)
 * selects with reason, each logged as exited at its step. */
static sg_err exit_where(conn *c, const char *where, const char *arg, const char *reason,
                         int64_t now, sg_error *e)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO journey_steps (enrollment_id, journey_id, step, visit, outcome, detail, "
             "at) SELECT e.id, e.journey_id, e.step, e.visit, 'exited', ?3, ?2 "
             "FROM journey_enrollments e WHERE e.state = 'active' AND %s",
             where);
    sg_err err = sq_step_finalize(c, q(c, sql, "tit", arg, now, reason), e, "logging exits");
    snprintf(sql, sizeof sql,
             "UPDATE journey_enrollments AS e SET state = 'exited', exit_reason = ?3, "
             "exited_at = ?2, updated_at = ?2, lease_until = 0 WHERE e.state = 'active' AND %s",
             where);
    if (!err)
        err = sq_step_finalize(c, q(c, sql, "tit", arg, now, reason), e, "ending enrolments");
    return err;
}

typedef struct transition_arg {
    const char *id;
    const char *const *from;
    const char *to;
    int64_t now;
} transition_arg;

static sg_err journey_transition_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
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
    err = sq_step_finalize(c,
                           q(c,
                             "UPDATE journeys SET state = ?2, updated_at = ?3, trigger_cursor = "
                             "CASE WHEN ?4 THEN ?3 ELSE trigger_cursor END WHERE id = ?1",
                             "ttii", t->id, t->to, t->now, (int64_t)first),
                           e, "changing the journey's state");
    if (!err && strcmp(t->to, "archived") == 0)
        err = exit_where(c, "e.journey_id = ?1", t->id, "archived", t->now, e);
    return err;
}

static sg_err sq_journey_transition(sg_store *s, const char *id, const char *const *from,
                                   const char *to, int64_t now, sg_journey_row *out, sg_error *e)
{
    transition_arg t = {id, from, to, now};
    sg_err err = sq_write_sync(s, journey_transition_fn, &t, e);
    if (!err && out)
        err = sq_journey_get(s, id, out);
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

static sg_err journey_info(conn *c, const char *id, jinfo *ji, sg_error *e)
{
    memset(ji, 0, sizeof *ji);
    sqlite3_stmt *st = q(c, "SELECT j.state, j.version, v.definition" JOURNEY_FROM " WHERE j.id = ?1",
                         "t", id);
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "reading the journey");
    sg_err err = sg_error_set(e, SG_ERR_NOT_FOUND, NULL, "no journey %s", id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        sq_col_copy(st, 0, ji->state, sizeof ji->state);
        ji->version = sqlite3_column_int64(st, 1);
        json_t *doc = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
        const char *first =
            json_string_value(json_object_get(json_array_get(json_object_get(doc, "steps"), 0), "id"));
        const char *reentry = json_string_value(json_object_get(doc, "reentry"));
        snprintf(ji->first, sizeof ji->first, "%s", first ? first : "");
        ji->reentry = reentry && strcmp(reentry, "after_exit") == 0;
        json_decref(doc);
        sg_error_clear(e);
        err = ji->first[0] ? SG_OK : sg_error_set(e, SG_ERR_INVALID, NULL, "journey %s has no steps", id);
    }
    sqlite3_finalize(st);
    return err;
}

/* One integer of a one-row query (0 when there is no row). */
static int64_t one_int(conn *c, sqlite3_stmt *st)
{
    int64_t v = 0;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    (void)c;
    return v;
}

/* Enrol contact_id (whose phone is phone) in the journey ji describes. */
static sg_err enroll_one(conn *c, const char *jid, const jinfo *ji, const char *contact_id,
                         const char *phone, int64_t now, sg_enroll_result *result,
                         char enr_id[SG_ID_MAX], sg_error *e)
{
    enr_id[0] = '\0';
    if (sq_optout_exists(c, phone)) {
        *result = SG_ENROLL_OPTED_OUT;
        return SG_OK;
    }
    int64_t before = one_int(c, q(c,
                                  "SELECT count(*) FROM journey_enrollments WHERE journey_id = ?1 "
                                  "AND contact_id = ?2 AND (state = 'active' OR ?3 = 0)",
                                  "tti", jid, contact_id, (int64_t)ji->reentry));
    if (before > 0) {
        *result = SG_ENROLL_ALREADY;
        return SG_OK;
    }
    sg_id_new("enr", now, enr_id);
    sg_err err = sq_step_finalize(
        c,
        q(c,
          "INSERT INTO journey_enrollments (id, journey_id, version, contact_id, phone, state, "
          "step, visit, due_at, started_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, "
          "0, ?7, ?7, ?7)",
          "ttittti", enr_id, jid, ji->version, contact_id, phone, ji->first, now),
        e, "enrolling the contact");
    if (!err)
        err = step_log(c, enr_id, jid, ji->first, 0, "entered", NULL, now, e);
    *result = err ? SG_ENROLL_NOT_FOUND : SG_ENROLL_OK;
    return err;
}

/* The phone of contact id into phone; false when there is no such contact. */
static bool contact_phone(conn *c, const char *id, char phone[SG_PHONE_MAX])
{
    sqlite3_stmt *st = q(c, "SELECT phone FROM contacts WHERE id = ?1", "t", id);
    bool found = st && sqlite3_step(st) == SQLITE_ROW;
    if (found)
        sq_col_copy(st, 0, phone, SG_PHONE_MAX);
    sqlite3_finalize(st);
    return found;
}

sg_err sq_journey_enroll_on(conn *c, const char *id, const char *contact_id, int64_t now,
                            sg_enroll_result *result, char enrollment_id[SG_ID_MAX], sg_error *e)
{
    jinfo ji;
    char phone[SG_PHONE_MAX];
    sg_err err = journey_info(c, id, &ji, e);
    if (err)
        return err;
    if (strcmp(ji.state, "active") != 0)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is %s", ji.state);
    if (!contact_phone(c, contact_id, phone)) {
        *result = SG_ENROLL_NOT_FOUND;
        return SG_OK;
    }
    return enroll_one(c, id, &ji, contact_id, phone, now, result, enrollment_id, e);
}

/* The contact of item (an id, or a phone: created when unknown) into it. */
static sg_err resolve_contact(conn *c, sg_enroll_item *it, int64_t now, char phone[SG_PHONE_MAX],
                              sg_error *e)
{
    if (strncmp(it->contact, "ctc_", 4) == 0) {
        snprintf(it->contact_id, sizeof it->contact_id, "%s", it->contact);
        return contact_phone(c, it->contact_id, phone) ? SG_OK : SG_ERR_NOT_FOUND;
    }
    snprintf(phone, SG_PHONE_MAX, "%s", it->contact);
    sqlite3_stmt *st = q(c, "SELECT id FROM contacts WHERE phone = ?1", "t", phone);
    bool found = st && sqlite3_step(st) == SQLITE_ROW;
    if (found)
        sq_col_copy(st, 0, it->contact_id, sizeof it->contact_id);
    sqlite3_finalize(st);
    if (found)
        return SG_OK;
    sg_id_new("ctc", now, it->contact_id);
    st = q(c,
           "INSERT INTO contacts (id, phone, first_name, last_name, attributes, created_at, "
           "updated_at, mobile) VALUES (?1, ?2, '', '', '{}', ?3, ?3, ?4)",
           "tti", it->contact_id, phone, now);
    if (st)
        sq_bind_phone_facts(st, 4, phone);
    return sq_step_finalize(c, st, e, "creating the contact");
}

typedef struct enroll_arg {
    const char *id;
    sg_enroll_item *items;
    size_t n;
    int64_t now;
} enroll_arg;

static sg_err journey_enroll_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    enroll_arg *a = arg;
    jinfo ji;
    sg_err err = journey_info(c, a->id, &ji, e);
    if (!err && strcmp(ji.state, "active") != 0)
        err = sg_error_set(e, SG_ERR_CONFLICT, NULL, "the journey is %s", ji.state);
    for (size_t i = 0; !err && i < a->n; i++) {
        sg_enroll_item *it = &a->items[i];
        char phone[SG_PHONE_MAX] = "";
        err = resolve_contact(c, it, a->now, phone, e);
        if (err == SG_ERR_NOT_FOUND) {
            it->result = SG_ENROLL_NOT_FOUND;
            err = SG_OK;
            continue;
        }
        if (!err)
            err = enroll_one(c, a->id, &ji, it->contact_id, phone, a->now, &it->result,
                             it->enrollment_id, e);
    }
    return err;
}

static sg_err sq_journey_enroll(sg_store *s, const char *id, sg_enroll_item *items, size_t n,
                                int64_t now, sg_error *e)
{
    enroll_arg a = {id, items, n, now};
    return sq_write_sync(s, journey_enroll_fn, &a, e);
}

/* ---- the group trigger ------------------------------------------------------------ */

typedef struct scan_arg {
    int64_t now;
    size_t limit, enrolled;
} scan_arg;

/* Enrol the members added to journey jid's group since cursor; the cursor moves
 * to the latest addition seen (members added at that same instant are looked at
 * again next time, and skipped: they have their enrolment). */
static sg_err scan_one(conn *c, const char *jid, const char *group, int64_t cursor, scan_arg *a,
                       sg_error *e)
{
    jinfo ji;
    sg_err err = journey_info(c, jid, &ji, e);
    sqlite3_stmt *st = err ? NULL
                           : q(c,
                               "SELECT gm.contact_id, c.phone, gm.added_at FROM group_members gm "
                               "JOIN groups g ON g.id = gm.group_id JOIN contacts c ON c.id = "
                               "gm.contact_id WHERE (g.id = ?1 OR g.name = ?1) AND gm.added_at "
                               ">= ?2 AND NOT EXISTS (SELECT 1 FROM journey_enrollments e WHERE "
                               "e.journey_id = ?3 AND e.contact_id = gm.contact_id AND "
                               "e.started_at >= gm.added_at) ORDER BY gm.added_at LIMIT ?4",
                               "titi", group, cursor, jid, (int64_t)(a->limit - a->enrolled));
    if (err)
        return err;
    int64_t last = cursor;
    while (!err && st && sqlite3_step(st) == SQLITE_ROW) {
        char contact_id[SG_ID_MAX], phone[SG_PHONE_MAX], enr[SG_ID_MAX];
        sq_col_copy(st, 0, contact_id, sizeof contact_id);
        sq_col_copy(st, 1, phone, sizeof phone);
        last = sqlite3_column_int64(st, 2);
        sg_enroll_result r;
        err = enroll_one(c, jid, &ji, contact_id, phone, a->now, &r, enr, e);
        a->enrolled += !err && r == SG_ENROLL_OK;
    }
    sqlite3_finalize(st);
    if (!err && last != cursor)
        err = sq_step_finalize(c,
                               q(c, "UPDATE journeys SET trigger_cursor = ?2 WHERE id = ?1", "ti",
                                 jid, last),
                               e, "moving the group trigger's cursor");
    return err;
}

static sg_err group_scan_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    scan_arg *a = arg;
    sqlite3_stmt *st = q(c,
                         "SELECT id, trigger_value, trigger_cursor FROM journeys WHERE state = "
                         "'active' AND trigger_type = 'group' ORDER BY id",
                         "");
    if (!st)
        return sq_db_error(c->db, SQLITE_ERROR, e, "reading the journeys");
    typedef struct {
        char id[SG_ID_MAX], group[513];
        int64_t cursor;
    } trig;
    trig *ts = NULL;
    size_t n = 0;
    sg_err err = SG_OK;
    while (sqlite3_step(st) == SQLITE_ROW && n < 256) {
        trig *grown = realloc(ts, (n + 1) * sizeof *ts);
        if (!grown) {
            err = SG_ERR_NOMEM;
            break;
        }
        ts = grown;
        sq_col_copy(st, 0, ts[n].id, sizeof ts[n].id);
        sq_col_copy(st, 1, ts[n].group, sizeof ts[n].group);
        ts[n].cursor = sqlite3_column_int64(st, 2);
        n++;
    }
    sqlite3_finalize(st);
    for (size_t i = 0; !err && i < n && a->enrolled < a->limit; i++)
        err = scan_one(c, ts[i].id, ts[i].group, ts[i].cursor, a, e);
    free(ts);
    return err;
}

static sg_err sq_journey_group_scan(sg_store *s, int64_t now, size_t limit, size_t *enrolled,
                                    sg_error *e)
{
    scan_arg a = {now, limit, 0};
    sg_err err = sq_write_sync(s, group_scan_fn, &a, e);
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

static sg_err claim_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    claim_arg *a = arg;
    sg_err err = rows(c,
                      q(c,
                        "SELECT " ENR_COLS " FROM journey_enrollments e JOIN journeys j ON j.id "
                        "= e.journey_id WHERE e.state = 'active' AND e.due_at <= ?1 AND "
                        "e.lease_until <= ?1 AND j.state = 'active' ORDER BY e.due_at LIMIT ?2",
                        "ii", a->now, (int64_t)a->limit),
                      enr_row, NULL, sizeof *a->out, a->limit, (void **)&a->out, &a->n);
    for (size_t i = 0; !err && i < a->n; i++)
        err = sq_step_finalize(c,
                               q(c, "UPDATE journey_enrollments SET lease_until = ?2 WHERE id = ?1",
                                 "ti", a->out[i].id, a->now + a->lease_ms),
                               e, "leasing the enrolment");
    return err;
}

static sg_err sq_journey_claim(sg_store *s, int64_t now, int64_t lease_ms, size_t limit,
                               sg_enrollment **out, size_t *n)
{
    claim_arg a = {.now = now, .lease_ms = lease_ms, .limit = limit ? limit : 1};
    sg_error e = {0};
    sg_err err = sq_write_sync(s, claim_fn, &a, &e);
    if (err) {
        free(a.out);
        a.out = NULL;
        a.n = 0;
    }
    *out = a.out;
    *n = a.n;
    return err;
}

static sg_err leases_reset_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    (void)s;
    (void)arg;
    return sq_step_finalize(
        c, q(c, "UPDATE journey_enrollments SET lease_until = 0 WHERE lease_until > 0", ""), e,
        "releasing leases");
}

static sg_err sq_journey_leases_reset(sg_store *s, sg_error *e)
{
    return sq_write_sync(s, leases_reset_fn, NULL, e);
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
static sg_err move_on(conn *c, const move *m, sg_error *e)
{
    sg_err err = step_log(c, m->id, m->journey_id, m->step, m->visit, m->outcome, m->detail,
                          m->now, e);
    if (!err && !m->next_step) {
        err = step_log(c, m->id, m->journey_id, m->step, m->visit, "exited", m->exit_reason,
                       m->now, e);
        if (!err)
            err = sq_step_finalize(c,
                                   q(c,
                                     "UPDATE journey_enrollments SET state = 'exited', "
                                     "exit_reason = ?2, exited_at = ?3, updated_at = ?3, "
                                     "lease_until = 0, waiting = '' WHERE id = ?1",
                                     "tti", m->id, m->exit_reason, m->now),
                                   e, "ending the enrolment");
        return err;
    }
    int64_t visit = 0;
    if (!err)
        visit = one_int(c, q(c, "SELECT steps_taken + 1 FROM journey_enrollments WHERE id = ?1",
                             "t", m->id));
    if (!err)
        err = sq_step_finalize(c,
                               q(c,
                                 "UPDATE journey_enrollments SET step = ?2, visit = ?3, "
                                 "steps_taken = ?3, waiting = '', due_at = ?4, updated_at = ?4, "
                                 "lease_until = 0 WHERE id = ?1",
                                 "ttii", m->id, m->next_step, visit, m->now),
                               e, "moving the enrolment");
    if (!err)
        err = step_log(c, m->id, m->journey_id, m->next_step, visit, "entered", NULL, m->now, e);
    return err;
}

/* The enrolment's journey, contact and phone when it is still active at (step,
 * visit) (and, if waiting is not NULL, waits so); false otherwise. */
static bool still_at(conn *c, const char *id, const char *step, int64_t visit, const char *waiting,
                     char journey_id[SG_ID_MAX], char contact_id[SG_ID_MAX],
                     char phone[SG_PHONE_MAX])
{
    sqlite3_stmt *st = q(c,
                         "SELECT journey_id, contact_id, phone FROM journey_enrollments WHERE id "
                         "= ?1 AND step = ?2 AND visit = ?3 AND state = 'active' AND (?4 IS NULL "
                         "OR waiting = ?4)",
                         "ttit", id, step, visit, waiting);
    bool found = st && sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        sq_col_copy(st, 0, journey_id, SG_ID_MAX);
        sq_col_copy(st, 1, contact_id, SG_ID_MAX);
        sq_col_copy(st, 2, phone, SG_PHONE_MAX);
    }
    sqlite3_finalize(st);
    return found;
}

static sg_err queue_send(conn *c, sg_journey_advance *a, const char *journey_id,
                         const char *contact_id, const char *phone, sg_error *e)
{
    if (sq_optout_exists(c, phone)) {
        a->outcome = "skipped";
        a->detail = "opted out";
        return SG_OK;
    }
    char key[160];
    snprintf(key, sizeof key, "%s:%s:%lld", a->enrollment_id, a->step, (long long)a->visit);
    snprintf(a->send->contact_id, sizeof a->send->contact_id, "%s", contact_id);
    sg_err err = sq_step_finalize(c,
                                  q(c,
                                    "INSERT INTO journey_sends (send_key, journey_id, step, "
                                    "message_id) VALUES (?1, ?2, ?3, ?4)",
                                    "tttt", key, journey_id, a->step, a->send->id),
                                  e, "recording the journey's message");
    if (err)
        return sg_error_set(e, SG_ERR_CONFLICT, NULL, "step %s of %s queued its message already",
                            a->step, a->enrollment_id);
    err = sq_message_insert(c, a->send, e);
    a->detail = a->send->id;
    return err;
}

static sg_err group_change(conn *c, const char *group, bool add, const char *contact_id,
                           int64_t now, sg_error *e)
{
    char gid[SG_ID_MAX] = "";
    sqlite3_stmt *st = q(c, "SELECT id FROM groups WHERE id = ?1 OR name = ?1", "t", group);
    bool found = st && sqlite3_step(st) == SQLITE_ROW;
    if (found)
        sq_col_copy(st, 0, gid, sizeof gid);
    sqlite3_finalize(st);
    if (!found && !add)
        return SG_OK;
    sg_err err = SG_OK;
    if (!found) {
        sg_id_new("grp", now, gid);
        err = sq_step_finalize(c,
                               q(c, "INSERT INTO groups (id, name, created_at) VALUES (?1, ?2, ?3)",
                                 "tti", gid, group, now),
                               e, "creating the group");
    }
    if (!err)
        err = sq_step_finalize(
            c,
            add ? q(c,
                    "INSERT OR IGNORE INTO group_members (group_id, contact_id, added_at) VALUES "
                    "(?1, ?2, ?3)",
                    "tti", gid, contact_id, now)
                : q(c, "DELETE FROM group_members WHERE group_id = ?1 AND contact_id = ?2", "tt",
                    gid, contact_id),
            e, "changing the group's members");
    return err;
}

/* The side effects of a step: message, group, attribute, event. */
static sg_err step_effects(sg_store *s, conn *c, sg_journey_advance *a, const char *journey_id,
                           const char *contact_id, const char *phone, sg_error *e)
{
    sg_err err = SG_OK;
    if (a->send)
        err = queue_send(c, a, journey_id, contact_id, phone, e);
    if (!err && a->group)
        err = group_change(c, a->group, a->group_add, contact_id, a->now, e);
    if (!err && a->attr_name)
        err = sq_step_finalize(c,
                               q(c,
                                 "UPDATE contacts SET attributes = json_set(coalesce(attributes, "
                                 "'{}'), '$.\"' || ?1 || '\"', ?2), updated_at = ?3 WHERE id = ?4",
                                 "ttit", a->attr_name, a->attr_value ? a->attr_value : "", a->now,
                                 contact_id),
                               e, "setting the attribute");
    if (!err && a->event) {
        json_t *data = a->event_data ? json_loads(a->event_data, 0, NULL) : NULL;
        err = sq_emit(s, c, a->event, data, a->now, e);
    }
    return err;
}

static sg_err advance_fn(sg_store *s, conn *c, void *arg, sg_error *e)
{
    sg_journey_advance *a = arg;
    char journey_id[SG_ID_MAX], contact_id[SG_ID_MAX], phone[SG_PHONE_MAX];
    a->stale = !still_at(c, a->enrollment_id, a->step, a->visit, NULL, journey_id, contact_id,
                         phone);
    if (a->stale)
        return SG_OK;
    sg_err err = step_effects(s, c, a, journey_id, contact_id, phone, e);
    if (err || !a->stay) {
        move m = {a->enrollment_id, journey_id, a->step,      a->visit, a->outcome,
                  a->detail,        a->next_step, a->exit_reason, a->now};
        return err ? err : move_on(c, &m, e);
    }
    if (a->outcome && strcmp(a->outcome, "deferred") != 0)
        err = step_log(c, a->enrollment_id, journey_id, a->step, a->visit, a->outcome, a->detail,
                       a->now, e);
    if (!err)
        err = sq_step_finalize(c,
                               q(c,
                                 "UPDATE journey_enrollments SET waiting = ?2, due_at = ?3, "
                                 "updated_at = ?4, lease_until = 0 WHERE id = ?1",
                                 "ttii", a->enrollment_id, a->waiting ? a->waiting : "",
                                 a->due_at, a->now),
                               e, "updating the enrolment");
    return err;
}

static sg_err sq_journey_advance(sg_store *s, sg_journey_advance *a, sg_error *e)
{
    a->stale = false;
    return sq_write_sync(s, advance_fn, a, e);
}

/* ---- inbound messages ---------------------------------------------------------------- */

sg_err sq_journey_inbound(sg_store *s, conn *c, sg_inbound *in, sg_error *e)
{
    (void)s;
    int64_t now = in->msg->created_at;
    if (in->consent == SG_CONSENT_OPT_OUT)
        return exit_where(c, "e.contact_id = ?1", in->contact_id, "opted_out", now, e);
    sg_err err = SG_OK;
    for (size_t i = 0; !err && i < in->n_journey_replies; i++) {
        const sg_journey_reply *r = &in->journey_replies[i];
        char jid[SG_ID_MAX], cid[SG_ID_MAX], phone[SG_PHONE_MAX];
        if (!still_at(c, r->enrollment_id, r->step, r->visit, "reply", jid, cid, phone))
            continue; /* it timed out or moved on meanwhile */
        move m = {r->enrollment_id, jid, r->step, r->visit, "replied", r->detail, r->next_step,
                  "completed", now};
        err = move_on(c, &m, e);
    }
    for (size_t i = 0; !err && i < in->n_enroll_journeys; i++) {
        sg_enroll_result res;
        char enr[SG_ID_MAX];
        err = sq_journey_enroll_on(c, in->enroll_journeys[i], in->contact_id, now, &res, enr, e);
        if (err == SG_ERR_CONFLICT || err == SG_ERR_NOT_FOUND)
            err = SG_OK; /* paused or archived meanwhile: not enrolled */
    }
    return err;
}

/* ---- reads ----------------------------------------------------------------------- */

static sg_err sq_journey_contact_matches(sg_store *s, const char *contact_id, const char *filter,
                                         int64_t now, bool *matches)
{
    *matches = false;
    sq_params *p = calloc(1, sizeof *p);
    conn *c = p ? sq_reader_acquire(s) : NULL;
    if (!c) {
        free(p);
        return p ? SG_ERR_DB : SG_ERR_NOMEM;
    }
    sg_buf sql;
    sg_buf_init(&sql, 64 * 1024);
    sg_seg_node *tree = NULL;
    sqlite3_stmt *st = NULL;
    sg_error e = {0};
    sg_err err = sg_buf_append_str(&sql, "SELECT EXISTS (SELECT 1 FROM ");
    if (!err)
        err = sq_audience_sql(c, "filter", filter, now, &sql, p, &tree, &e);
    if (!err)
        err = sg_buf_printf(&sql, " AND c.id = ?%zu)", p->n + 1);
    if (!err)
        err = sq_audience_prepare(c, sg_buf_cstr(&sql), &st, &e, "evaluating the condition");
    if (!err) {
        sq_params_bind(st, p);
        sqlite3_bind_text(st, (int)p->n + 1, contact_id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        *matches = rc == SQLITE_ROW && sqlite3_column_int(st, 0) != 0;
        err = rc == SQLITE_ROW ? SG_OK : sq_map_rc(rc);
    }
    sqlite3_finalize(st);
    sg_segment_free(tree);
    sg_buf_free(&sql);
    sq_reader_release(s, c);
    free(p);
    return err;
}

static sg_err read_enrollments(sg_store *s, sqlite3_stmt *(*make)(conn *, const void *),
                               const void *arg, size_t max, sg_enrollment **out, size_t *n)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = rows(c, make(c, arg), enr_row, NULL, sizeof **out, max, (void **)out, n);
    sq_reader_release(s, c);
    return err;
}

static sqlite3_stmt *waiting_stmt(conn *c, const void *phone)
{
    return q(c,
             "SELECT " ENR_COLS " FROM journey_enrollments e JOIN journeys j ON j.id = "
             "e.journey_id WHERE e.phone = ?1 AND e.state = 'active' AND e.waiting = 'reply' AND "
             "j.state = 'active' ORDER BY e.started_at, e.id LIMIT 64",
             "t", (const char *)phone);
}

static sg_err sq_journey_waiting(sg_store *s, const char *phone, sg_enrollment **out, size_t *n)
{
    return read_enrollments(s, waiting_stmt, phone, 64, out, n);
}

typedef struct page_arg {
    const char *id, *cursor;
    size_t limit;
} page_arg;

static sqlite3_stmt *page_stmt(conn *c, const void *arg)
{
    const page_arg *p = arg;
    return q(c,
             "SELECT " ENR_COLS " FROM journey_enrollments e WHERE e.journey_id = ?1 AND (?2 IS "
             "NULL OR e.id < ?2) ORDER BY e.id DESC LIMIT ?3",
             "tti", p->id, p->cursor, (int64_t)p->limit + 1);
}

static sg_err sq_journey_enrollments(sg_store *s, const char *id, const char *cursor,
                                     size_t limit, sg_enrollment **out, size_t *n,
                                     bool *has_more)
{
    page_arg p = {id, cursor, limit};
    bool more = false;
    sg_err err = read_enrollments(s, page_stmt, &p, limit + 1, out, n);
    if (!err)
        sq_page_trim(*out, sizeof **out, n, limit, NULL, &more);
    if (has_more)
        *has_more = more;
    return err;
}

static void step_stats_row(sqlite3_stmt *st, void *out)
{
    sg_journey_step_stats *r = out;
    sq_col_copy(st, 0, r->step, sizeof r->step);
    r->entered = sqlite3_column_int64(st, 1);
    r->completed = sqlite3_column_int64(st, 2);
    r->replied = sqlite3_column_int64(st, 3);
    r->exited = sqlite3_column_int64(st, 4);
    r->sent = sqlite3_column_int64(st, 5);
    r->delivered = sqlite3_column_int64(st, 6);
}

static void exit_stats_row(sqlite3_stmt *st, void *out)
{
    sg_journey_exit_stats *r = out;
    sq_col_copy(st, 0, r->step, sizeof r->step);
    sq_col_copy(st, 1, r->reason, sizeof r->reason);
    r->count = sqlite3_column_int64(st, 2);
}

static sg_err sq_journey_stats(sg_store *s, const char *id, sg_journey_step_stats **steps,
                               size_t *n_steps, sg_journey_exit_stats **exits, size_t *n_exits)
{
    conn *c = sq_reader_acquire(s);
    if (!c)
        return SG_ERR_DB;
    sg_err err = rows(
        c,
        q(c,
          "SELECT l.step, sum(l.outcome = 'entered'), sum(l.outcome IN ('completed', 'sent', "
          "'timed_out', 'replied', 'skipped')), sum(l.outcome = 'replied'), "
          "sum(l.outcome = 'exited'), "
          "(SELECT count(*) FROM journey_sends js WHERE js.journey_id = ?1 AND js.step = l.step), "
          "(SELECT count(*) FROM journey_sends js JOIN messages m ON m.id = js.message_id WHERE "
          "js.journey_id = ?1 AND js.step = l.step AND m.status = 'delivered') "
          "FROM journey_steps l WHERE l.journey_id = ?1 GROUP BY l.step ORDER BY l.step",
          "t", id),
        step_stats_row, NULL, sizeof **steps, 256, (void **)steps, n_steps);
    if (!err)
        err = rows(c,
                   q(c,
                     "SELECT step, detail, count(*) FROM journey_steps WHERE journey_id = ?1 AND "
                     "outcome = 'exited' GROUP BY step, detail ORDER BY step, detail",
                     "t", id),
                   exit_stats_row, NULL, sizeof **exits, 1024, (void **)exits, n_exits);
    sq_reader_release(s, c);
    return err;
}

const sg_store_journeys_ops sq_journeys_ops = {
    .journey_create = sq_journey_create,
    .journey_update = sq_journey_update,
    .journey_get = sq_journey_get,
    .journey_version = sq_journey_version,
    .journey_list = sq_journey_list,
    .journey_transition = sq_journey_transition,
    .journey_enroll = sq_journey_enroll,
    .journey_group_scan = sq_journey_group_scan,
    .journey_claim = sq_journey_claim,
    .journey_leases_reset = sq_journey_leases_reset,
    .journey_advance = sq_journey_advance,
    .journey_contact_matches = sq_journey_contact_matches,
    .journey_waiting = sq_journey_waiting,
    .journey_enrollments = sq_journey_enrollments,
    .journey_stats = sq_journey_stats,
};
