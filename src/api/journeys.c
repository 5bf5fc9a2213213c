/* /v1/journeys (issue 16, docs/journeys.md): journeys created as drafts and
 * validated on every save (core/journey.h names the step at fault), edited into
 * new versions, moved between states (409 invalid_state otherwise, as
 * broadcasts do), contacts enrolled, and the counts per step. Reads need a
 * viewer key; every write needs a sender and is audited. */
#include "api/common.h"
#include "api/handlers.h"
#include "api/journeys.h"
#include "audience/journeys.h"
#include "core/journey.h"
#include "core/phone.h"
#include "http/problem.h"
#include "util/id.h"
#include "util/time.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENROLL_MAX 1000 /* contacts in one enroll request */

static const char *const known_fields[] = {"name",        "trigger",  "steps", "reentry",
                                           "quiet_hours", "provider", NULL};

json_t *sg_journey_json(const sg_journey_row *j)
{
    json_t *doc = j->definition ? json_loads(j->definition, 0, NULL) : NULL;
    json_t *out = json_pack("{s:s, s:s, s:s, s:I}", "id", j->id, "name", j->name, "state",
                            j->state, "version", (json_int_t)j->version);
    for (size_t i = 0; out && known_fields[i]; i++) {
        json_t *v = json_object_get(doc, known_fields[i]);
        if (v && strcmp(known_fields[i], "name") != 0)
            json_object_set(out, known_fields[i], v);
    }
    if (out && !json_object_get(out, "reentry"))
        json_object_set_new(out, "reentry", json_string("never"));
    json_object_set_new(out, "created_at", sg_api_time_json(j->created_at));
    json_object_set_new(out, "updated_at", sg_api_time_json(j->updated_at));
    json_decref(doc);
    return out;
}

sg_err sg_journey_check(json_t *doc, sg_journey_row *row, const char **code, sg_error *e)
{
    const char *key;
    json_t *v;
    *code = "unknown_field";
    json_object_foreach(doc, key, v)
    {
        size_t i = 0;
        while (known_fields[i] && strcmp(known_fields[i], key) != 0)
            i++;
        if (!known_fields[i])
            return sg_error_set(e, SG_ERR_INVALID, key,
                                "unknown field '%.64s' (known: name, trigger, steps, reentry, "
                                "quiet_hours, provider)",
                                key);
    }
    *code = "invalid_journey";
    sg_journey_def d;
    sg_err err = sg_journey_def_parse(doc, &d, e);
    if (err)
        return err;
    static const char *const triggers[] = {"api", "group", "keyword"};
    snprintf(row->name, sizeof row->name, "%s", d.name);
    snprintf(row->trigger_type, sizeof row->trigger_type, "%s", triggers[d.trigger]);
    snprintf(row->trigger_value, sizeof row->trigger_value, "%s",
             d.trigger_value ? d.trigger_value : "");
    sg_journey_def_free(&d);
    row->definition = json_dumps(doc, JSON_COMPACT);
    return row->definition ? SG_OK : sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory");
}

/* doc checked into row; false after answering 400. */
static bool journey_from_doc(sg_http_req *req, json_t *doc, sg_journey_row *row)
{
    const char *code;
    sg_error e = {0};
    sg_err err = sg_journey_check(doc, row, &code, &e);
    if (err == SG_ERR_INVALID)
        sg_http_problem(req, 400, code, e.field[0] ? e.field : NULL, "%s", e.message);
    else if (err)
        sg_http_problem(req, 500, "internal", NULL, "%s", e.message);
    return err == SG_OK;
}

static void audit_journey(sg_http_req *req, sg_app *app, const char *action,
                          const sg_journey_row *j)
{
    json_t *d = json_pack("{s:s, s:s, s:I}", "name", j->name, "state", j->state, "version",
                          (json_int_t)j->version);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    sg_api_audit(req, app, action, j->id, text);
    free(text);
    json_decref(d);
}

static void answer_store(sg_http_req *req, sg_err err, const sg_error *e, const char *what)
{
    if (err == SG_ERR_CONFLICT)
        sg_http_problem(req, 409, "invalid_state", "state", "%s", e->message);
    else if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "no journey %.64s", sg_http_param(req, 0));
    else
        sg_api_store_error(req, err, e->message[0] ? e->message : what);
}

sg_http_result sg_api_journeys_create(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    sg_journey_row j = {.created_at = sg_time_now_ms()};
    j.updated_at = j.created_at;
    if (journey_from_doc(req, in, &j)) {
        sg_id_new("jny", j.created_at, j.id);
        snprintf(j.state, sizeof j.state, "draft");
        j.version = 1;
        sg_error e = {0};
        sg_err err = sg_store_journey_create(app->store, &j, &e);
        if (err) {
            answer_store(req, err, &e, "cannot create the journey");
        } else {
            audit_journey(req, app, "journey.create", &j);
            sg_http_respond_json(req, 201, sg_journey_json(&j));
        }
    }
    json_decref(in);
    sg_journey_row_free(&j);
    return SG_HTTP_DONE;
}

sg_http_result sg_api_journeys_list(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    if (!sg_api_page_parse(req, 100, SG_JOURNEYS_MAX, &pg))
        return SG_HTTP_DONE;
    const char *state = sg_http_query(req, "state");
    sg_journey_row *js;
    size_t n;
    sg_err err = sg_store_journey_list(app->store, state && state[0] ? state : NULL, &js, &n);
    if (err) {
        sg_api_store_error(req, err, "cannot read the journeys");
        return SG_HTTP_DONE;
    }
    json_t *data = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(data, sg_journey_json(&js[i]));
    sg_journey_rows_free(js, n);
    sg_api_respond_page(req, json_pack("{s:o}", "data", data), "id", &pg);
    return SG_HTTP_DONE;
}

static bool journey_lookup(sg_http_req *req, sg_app *app, sg_journey_row *j)
{
    sg_err err = sg_store_journey_get(app->store, sg_http_param(req, 0), j);
    if (err == SG_ERR_NOT_FOUND)
        sg_http_problem(req, 404, "not_found", NULL, "no journey %.64s", sg_http_param(req, 0));
    else if (err)
        sg_api_store_error(req, err, "cannot read the journey");
    return err == SG_OK;
}

sg_http_result sg_api_journeys_get(sg_http_req *req, void *ctx)
{
    sg_journey_row j;
    if (journey_lookup(req, ctx, &j)) {
        sg_http_respond_json(req, 200, sg_journey_json(&j));
        sg_journey_row_free(&j);
    }
    return SG_HTTP_DONE;
}

/* PATCH: the body's members replace the document's (a member set to null is
 * removed); the result is validated and stored as a new version. */
sg_http_result sg_api_journeys_update(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    sg_journey_row cur, next = {0};
    if (!in || !journey_lookup(req, app, &cur)) {
        json_decref(in);
        return SG_HTTP_DONE;
    }
    json_t *doc = json_loads(cur.definition, 0, NULL);
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        if (json_is_null(v))
            json_object_del(doc, key);
        else
            json_object_set(doc, key, v);
    }
    if (doc && journey_from_doc(req, doc, &next)) {
        snprintf(next.id, sizeof next.id, "%s", cur.id);
        next.updated_at = sg_time_now_ms();
        sg_journey_row out;
        sg_error e = {0};
        sg_err err = sg_store_journey_update(app->store, &next, &out, &e);
        if (err) {
            answer_store(req, err, &e, "cannot update the journey");
        } else {
            audit_journey(req, app, "journey.update", &out);
            sg_http_respond_json(req, 200, sg_journey_json(&out));
            sg_journey_row_free(&out);
        }
    }
    json_decref(doc);
    json_decref(in);
    sg_journey_row_free(&cur);
    sg_journey_row_free(&next);
    return SG_HTTP_DONE;
}

/* The state moves: from which states each goes, to which. */
static const struct move {
    const char *verb, *to;
    const char *from[4];
} moves[] = {
    {"activate", "active", {"draft", NULL}},
    {"pause", "paused", {"active", NULL}},
    {"resume", "active", {"paused", NULL}},
    {"archive", "archived", {"draft", "active", "paused", NULL}},
};

sg_err sg_journey_move(sg_store *s, const char *id, const char *verb, int64_t now,
                       sg_journey_row *out, sg_error *e)
{
    for (size_t k = 0; k < sizeof moves / sizeof *moves; k++) {
        if (strcmp(moves[k].verb, verb) == 0)
            return sg_store_journey_transition(s, id, moves[k].from, moves[k].to, now, out, e);
    }
    return sg_error_set(e, SG_ERR_INVALID, NULL, "unknown move %s", verb);
}

static sg_http_result transition(sg_http_req *req, sg_app *app, size_t k)
{
    const struct move *m = &moves[k];
    sg_journey_row out;
    sg_error e = {0};
    sg_err err = sg_journey_move(app->store, sg_http_param(req, 0), m->verb, sg_time_now_ms(),
                                 &out, &e);
    if (err == SG_ERR_CONFLICT) {
        sg_http_problem(req, 409, "invalid_state", "state", "%s: it cannot %s", e.message,
                        m->verb);
    } else if (err) {
        answer_store(req, err, &e, "cannot change the journey");
    } else {
        char action[32];
        snprintf(action, sizeof action, "journey.%s", m->verb);
        audit_journey(req, app, action, &out);
        sg_http_respond_json(req, 200, sg_journey_json(&out));
        sg_journey_row_free(&out);
        sg_journeys_wake(app->journeys);
    }
    return SG_HTTP_DONE;
}

sg_http_result sg_api_journeys_activate(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, 0);
}

sg_http_result sg_api_journeys_pause(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, 1);
}

sg_http_result sg_api_journeys_resume(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, 2);
}

sg_http_result sg_api_journeys_archive(sg_http_req *req, void *ctx)
{
    return transition(req, ctx, 3);
}

static const char *const enroll_results[] = {
    [SG_ENROLL_OK] = "enrolled",
    [SG_ENROLL_ALREADY] = "already_enrolled",
    [SG_ENROLL_OPTED_OUT] = "opted_out",
    [SG_ENROLL_NOT_FOUND] = "not_found",
};

const char *sg_enroll_result_name(sg_enroll_result r)
{
    return (unsigned)r < sizeof enroll_results / sizeof *enroll_results ? enroll_results[r]
                                                                         : "not_found";
}

/* The contacts of an enroll body into items (phones normalised into phones);
 * false after answering 400. */
static bool enroll_items(sg_http_req *req, sg_app *app, json_t *list, sg_enroll_item *items,
                         char (*phones)[SG_PHONE_MAX])
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char field[32];
        snprintf(field, sizeof field, "contacts[%zu]", i);
        const char *s = json_string_value(v);
        sg_phone_type type;
        if (s && strncmp(s, "ctc_", 4) == 0 && strlen(s) < SG_ID_MAX) {
            items[i].contact = s;
        } else if (s && sg_phone_normalize(s, app->default_region[0] ? app->default_region : NULL,
                                           phones[i], &type) == SG_PHONE_OK) {
            items[i].contact = phones[i];
        } else {
            sg_http_problem(req, 400, "invalid_contact", field,
                            "%s is neither a contact id nor a phone number", field);
            return false;
        }
    }
    return true;
}

sg_http_result sg_api_journeys_enroll(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    json_t *in = sg_api_json_body(req);
    if (!in)
        return SG_HTTP_DONE;
    json_t *list = json_object_get(in, "contacts");
    size_t n = json_array_size(list);
    sg_enroll_item *items = NULL;
    char(*phones)[SG_PHONE_MAX] = NULL;
    if (!json_is_array(list) || n == 0 || n > ENROLL_MAX) {
        sg_http_problem(req, 400, "invalid_request", "contacts",
                        "contacts must be an array of 1 to %d contact ids or phone numbers",
                        ENROLL_MAX);
        goto out;
    }
    items = calloc(n, sizeof *items);
    phones = calloc(n, sizeof *phones);
    if (!items || !phones) {
        sg_http_problem(req, 500, "internal", NULL, "out of memory");
        goto out;
    }
    if (!enroll_items(req, app, list, items, phones))
        goto out;
    sg_error e = {0};
    sg_err err = sg_store_journey_enroll(app->store, sg_http_param(req, 0), items, n,
                                         sg_time_now_ms(), &e);
    if (err) {
        answer_store(req, err, &e, "cannot enrol");
        goto out;
    }
    json_t *results = json_array();
    size_t enrolled = 0;
    for (size_t i = 0; i < n; i++) {
        enrolled += items[i].result == SG_ENROLL_OK;
        json_array_append_new(
            results, json_pack("{s:s, s:s, s:o, s:o}", "contact", json_string_value(json_array_get(list, i)),
                               "result", sg_enroll_result_name(items[i].result), "contact_id",
                               items[i].contact_id[0] ? json_string(items[i].contact_id) : json_null(),
                               "enrollment_id",
                               items[i].enrollment_id[0] ? json_string(items[i].enrollment_id)
                                                         : json_null()));
    }
    char detail[64];
    snprintf(detail, sizeof detail, "{\"enrolled\":%zu}", enrolled);
    sg_api_audit(req, app, "journey.enroll", sg_http_param(req, 0), detail);
    sg_journeys_wake(app->journeys);
    sg_http_respond_json(req, 200,
                         json_pack("{s:I, s:o}", "enrolled", (json_int_t)enrolled, "results",
                                   results));
out:
    free(items);
    free(phones);
    json_decref(in);
    return SG_HTTP_DONE;
}

/* The row of step in steps[0..n) (a zero row when the step has none yet). */
static sg_journey_step_stats row_of(const sg_journey_step_stats *steps, size_t n,
                                    const char *step)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(steps[i].step, step) == 0)
            return steps[i];
    }
    return (sg_journey_step_stats){0};
}

static json_t *step_stats_json(const sg_journey_def *d, const sg_journey_step_stats *steps,
                               size_t n)
{
    json_t *out = json_array();
    for (size_t i = 0; i < d->n_steps; i++) {
        sg_journey_step_stats r = row_of(steps, n, d->steps[i].id);
        json_array_append_new(
            out, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "step", d->steps[i].id,
                           "type", sg_journey_step_type_name(d->steps[i].type), "entered",
                           (json_int_t)r.entered, "completed", (json_int_t)r.completed, "sent",
                           (json_int_t)r.sent, "delivered", (json_int_t)r.delivered, "replied",
                           (json_int_t)r.replied, "exited", (json_int_t)r.exited));
    }
    return out;
}

sg_err sg_journey_stats_json(sg_store *s, const sg_journey_row *j, json_t **out)
{
    *out = NULL;
    sg_journey_step_stats *steps = NULL;
    sg_journey_exit_stats *exits = NULL;
    size_t ns = 0, nx = 0;
    json_t *doc = json_loads(j->definition, 0, NULL);
    sg_journey_def d;
    sg_err err = sg_store_journey_stats(s, j->id, &steps, &ns, &exits, &nx);
    if (!err)
        err = sg_journey_def_parse(doc, &d, NULL) == SG_OK ? SG_OK : SG_ERR_INTERNAL;
    if (!err) {
        json_t *xs = json_array();
        for (size_t i = 0; i < nx; i++)
            json_array_append_new(xs, json_pack("{s:s, s:s, s:I}", "step", exits[i].step,
                                                "reason", exits[i].reason, "count",
                                                (json_int_t)exits[i].count));
        *out = json_pack("{s:s, s:I, s:o, s:o}", "journey_id", j->id, "version",
                         (json_int_t)j->version, "steps", step_stats_json(&d, steps, ns), "exits",
                         xs);
        sg_journey_def_free(&d);
    }
    json_decref(doc);
    free(steps);
    free(exits);
    return err;
}

sg_http_result sg_api_journeys_stats(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_journey_row j;
    if (!journey_lookup(req, app, &j))
        return SG_HTTP_DONE;
    json_t *out = NULL;
    sg_err err = sg_journey_stats_json(app->store, &j, &out);
    if (err)
        sg_api_store_error(req, err, "cannot read the journey's counts");
    else
        sg_http_respond_json(req, 200, out);
    sg_journey_row_free(&j);
    return SG_HTTP_DONE;
}

static json_t *enrollment_json(const sg_enrollment *en)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "id", en->id, "journey_id",
                          en->journey_id, "version", (json_int_t)en->version, "contact_id",
                          en->contact_id, "phone", en->phone, "state", en->state, "step",
                          en->step, "steps_taken", (json_int_t)en->steps_taken);
    json_object_set_new(o, "waiting", en->waiting[0] ? json_string(en->waiting) : json_null());
    json_object_set_new(o, "due_at", strcmp(en->state, "active") == 0
                                         ? sg_api_time_json(en->due_at)
                                         : json_null());
    json_object_set_new(o, "exit_reason",
                        en->exit_reason[0] ? json_string(en->exit_reason) : json_null());
    json_object_set_new(o, "started_at", sg_api_time_json(en->started_at));
    json_object_set_new(o, "exited_at", en->exited_at ? sg_api_time_json(en->exited_at)
                                                      : json_null());
    return o;
}

sg_http_result sg_api_journeys_enrollments(sg_http_req *req, void *ctx)
{
    sg_app *app = ctx;
    sg_api_page pg;
    sg_journey_row j;
    if (!sg_api_page_parse(req, 100, 1000, &pg) || !journey_lookup(req, app, &j))
        return SG_HTTP_DONE;
    sg_enrollment *ens = NULL;
    size_t n = 0;
    bool more = false;
    sg_err err = sg_store_journey_enrollments(app->store, j.id, pg.cursor, pg.limit, &ens, &n,
                                              &more);
    if (err) {
        sg_api_store_error(req, err, "cannot read the enrolments");
    } else {
        json_t *data = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(data, enrollment_json(&ens[i]));
        json_t *next = more && n ? json_string(ens[n - 1].id) : json_null();
        sg_http_respond_json(req, 200, json_pack("{s:o, s:o}", "data", data, "next_cursor", next));
    }
    free(ens);
    sg_journey_row_free(&j);
    return SG_HTTP_DONE;
}
