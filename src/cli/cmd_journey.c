/* smsgate journey create|list|show|edit|activate|pause|resume|archive|enroll|stats:
 * journeys in the store, directly, checked exactly as /v1/journeys checks them
 * (api/journeys.h) and audited with the actor "cli". A journey is a JSON file
 * (FILE.json, "-" for standard input) or inline JSON text. A running `serve`
 * picks up what changed here at its next tick (its journey engine reads the
 * store). YAML is not read. */
#include "api/journeys.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/phone.h"
#include "util/id.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENROLL_MAX 1000

typedef struct journey_settings {
    sg_base_settings base;
    bool json;
} journey_settings;

#define S journey_settings
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    SG_OPT_END,
};
static const sg_opt plain_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
#undef S

static const sg_cmd_spec create_spec = {
    "smsgate journey create FILE.json|JSON [options]",
    "Create a journey (a draft) from the JSON of POST /v1/journeys: a file, - for standard\n"
    "input, or the JSON text itself.",
    plain_opts, 1, 1};
static const sg_cmd_spec list_spec = {"smsgate journey list [--json] [options]",
                                      "List the journeys, newest first.", list_opts, 0, 0};
static const sg_cmd_spec id_spec = {"smsgate journey VERB ID [options]",
                                    "VERB is show, activate, pause, resume, archive or stats.",
                                    plain_opts, 1, 1};
static const sg_cmd_spec edit_spec = {
    "smsgate journey edit ID FILE.json|JSON [options]",
    "Change a journey (a new version): the members given replace the journey's, as PATCH.",
    plain_opts, 2, 2};
static const sg_cmd_spec enroll_spec = {
    "smsgate journey enroll ID CONTACT... [options]",
    "Enrol contacts (ids or phone numbers; unknown numbers become contacts) in an active journey.",
    plain_opts, 2, ENROLL_MAX + 1};

/* The JSON of arg: a file, "-" (standard input) or JSON text; NULL after saying why. */
static json_t *load_doc(const char *arg)
{
    json_error_t je;
    json_t *v = arg[0] == '{'              ? json_loads(arg, 0, &je)
                : strcmp(arg, "-") == 0    ? json_loadf(stdin, 0, &je)
                                           : json_load_file(arg, 0, &je);
    if (!v)
        fprintf(stderr, "smsgate: %s is not JSON: %s (line %d)\n", arg[0] == '{' ? "the journey" : arg,
                je.text, je.line);
    else if (!json_is_object(v)) {
        fprintf(stderr, "smsgate: a journey is a JSON object\n");
        json_decref(v);
        v = NULL;
    }
    return v;
}

static int start(const sg_cmd_spec *spec, journey_settings *st, int argc, char **argv,
                 sg_app *app, char ***args, size_t *nargs)
{
    int rc = sg_opts_parse(spec, st, argc, argv, args, nargs);
    if (rc)
        return rc < 0 ? -1 : rc;
    if ((rc = sg_cli_open(&st->base, NULL, false, app)))
        free(*args);
    return rc;
}

static void audit(sg_app *app, const char *action, const char *id, const char *detail)
{
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_error e = {0};
    if (sg_store_audit_add(app->store, &by, action, id, detail, &e))
        fprintf(stderr, "smsgate: warning: the audit entry was not written: %s\n", e.message);
}

static int fail(sg_err err, const sg_error *e)
{
    fprintf(stderr, "smsgate: %s%s%s\n", e->field[0] ? e->field : "", e->field[0] ? ": " : "",
            e->message[0] ? e->message : sg_strerror(err));
    return SG_EXIT_FAIL;
}

static int find(sg_app *app, const char *id, sg_journey_row *j)
{
    sg_err err = sg_store_journey_get(app->store, id, j);
    if (err == SG_OK)
        return SG_EXIT_OK;
    fprintf(stderr, "smsgate: %s %s\n", err == SG_ERR_NOT_FOUND ? "no journey" : "cannot read", id);
    return SG_EXIT_FAIL;
}

/* Check doc and store it: a new journey (cur NULL) or a new version of cur. */
static int save(sg_app *app, json_t *doc, const sg_journey_row *cur)
{
    sg_journey_row j = {.created_at = sg_time_now_ms()}, out = {0};
    j.updated_at = j.created_at;
    const char *code;
    sg_error e = {0};
    sg_err err = sg_journey_check(doc, &j, &code, &e);
    if (!err && cur) {
        snprintf(j.id, sizeof j.id, "%s", cur->id);
        err = sg_store_journey_update(app->store, &j, &out, &e);
    } else if (!err) {
        sg_id_new("jny", j.created_at, j.id);
        err = sg_store_journey_create(app->store, &j, &e);
        if (!err)
            err = sg_store_journey_get(app->store, j.id, &out);
    }
    int rc = err ? fail(err, &e) : SG_EXIT_OK;
    if (!rc) {
        audit(app, cur ? "journey.update" : "journey.create", out.id, NULL);
        sg_cli_print_json(sg_journey_json(&out));
    }
    sg_journey_row_free(&j);
    sg_journey_row_free(&out);
    return rc;
}

static int journey_create(int argc, char **argv)
{
    journey_settings st = {0};
    sg_app app;
    char **args;
    size_t n;
    int rc = start(&create_spec, &st, argc, argv, &app, &args, &n);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    json_t *doc = load_doc(args[0]);
    rc = doc ? save(&app, doc, NULL) : SG_EXIT_FAIL;
    json_decref(doc);
    free(args);
    sg_app_close(&app);
    return rc;
}

static int journey_edit(int argc, char **argv)
{
    journey_settings st = {0};
    sg_app app;
    char **args;
    size_t n;
    int rc = start(&edit_spec, &st, argc, argv, &app, &args, &n);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_journey_row cur;
    json_t *changes = load_doc(args[1]);
    if (!changes) {
        rc = SG_EXIT_FAIL;
    } else if (!(rc = find(&app, args[0], &cur))) {
        json_t *doc = json_loads(cur.definition, 0, NULL);
        const char *key;
        json_t *v;
        json_object_foreach(changes, key, v)
        {
            if (json_is_null(v))
                json_object_del(doc, key);
            else
                json_object_set(doc, key, v);
        }
        rc = save(&app, doc, &cur);
        json_decref(doc);
        sg_journey_row_free(&cur);
    }
    json_decref(changes);
    free(args);
    sg_app_close(&app);
    return rc;
}

static int journey_list(int argc, char **argv)
{
    journey_settings st = {0};
    sg_app app;
    char **args;
    size_t n;
    int rc = start(&list_spec, &st, argc, argv, &app, &args, &n);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_journey_row *js = NULL;
    sg_err err = sg_store_journey_list(app.store, NULL, &js, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list the journeys: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    json_t *data = st.json ? json_array() : NULL;
    if (!data)
        printf("%-32s %-9s %7s %-8s %s\n", "ID", "STATE", "VERSION", "TRIGGER", "NAME");
    for (size_t i = 0; i < n; i++) {
        if (data)
            json_array_append_new(data, sg_journey_json(&js[i]));
        else
            printf("%-32s %-9s %7lld %-8s %s\n", js[i].id, js[i].state, (long long)js[i].version,
                   js[i].trigger_type, js[i].name);
    }
    sg_journey_rows_free(js, n);
    if (data)
        sg_cli_print_json(json_pack("{s:o}", "data", data));
    return SG_EXIT_OK;
}

/* show, stats and the state moves: one journey by id. */
static int by_id(int argc, char **argv, const char *verb)
{
    journey_settings st = {0};
    sg_app app;
    char **args;
    size_t n;
    int rc = start(&id_spec, &st, argc, argv, &app, &args, &n);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_journey_row j;
    sg_error e = {0};
    if (!(rc = find(&app, args[0], &j))) {
        json_t *out = NULL;
        sg_err err = SG_OK;
        if (strcmp(verb, "show") == 0) {
            out = sg_journey_json(&j);
        } else if (strcmp(verb, "stats") == 0) {
            err = sg_journey_stats_json(app.store, &j, &out);
        } else {
            sg_journey_row moved;
            err = sg_journey_move(app.store, j.id, verb, sg_time_now_ms(), &moved, &e);
            if (!err) {
                char action[32];
                snprintf(action, sizeof action, "journey.%s", verb);
                audit(&app, action, j.id, NULL);
                out = sg_journey_json(&moved);
                sg_journey_row_free(&moved);
            } else if (err == SG_ERR_CONFLICT) {
                snprintf(e.message + strlen(e.message), sizeof e.message - strlen(e.message),
                         ": it cannot %s", verb);
            }
        }
        rc = err ? fail(err, &e) : SG_EXIT_OK;
        if (out)
            sg_cli_print_json(out);
        sg_journey_row_free(&j);
    }
    free(args);
    sg_app_close(&app);
    return rc;
}

static int journey_show(int argc, char **argv)
{
    return by_id(argc, argv, "show");
}

static int journey_stats(int argc, char **argv)
{
    return by_id(argc, argv, "stats");
}

static int journey_activate(int argc, char **argv)
{
    return by_id(argc, argv, "activate");
}

static int journey_pause(int argc, char **argv)
{
    return by_id(argc, argv, "pause");
}

static int journey_resume(int argc, char **argv)
{
    return by_id(argc, argv, "resume");
}

static int journey_archive(int argc, char **argv)
{
    return by_id(argc, argv, "archive");
}

/* The contacts args[1..n) into items (phones normalised into phones); false
 * after saying which is neither an id nor a phone number. */
static bool enroll_items(const sg_app *app, char **args, size_t n, sg_enroll_item *items,
                         char (*phones)[SG_PHONE_MAX])
{
    for (size_t i = 0; i < n; i++) {
        const char *s = args[i + 1];
        sg_phone_type type;
        if (strncmp(s, "ctc_", 4) == 0 && strlen(s) < SG_ID_MAX) {
            items[i].contact = s;
        } else if (sg_phone_normalize(s, app->default_region[0] ? app->default_region : NULL,
                                      phones[i], &type) == SG_PHONE_OK) {
            items[i].contact = phones[i];
        } else {
            fprintf(stderr, "smsgate: %s is neither a contact id nor a phone number\n", s);
            return false;
        }
    }
    return true;
}

static int journey_enroll(int argc, char **argv)
{
    journey_settings st = {0};
    sg_app app;
    char **args;
    size_t nargs;
    int rc = start(&enroll_spec, &st, argc, argv, &app, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    size_t n = nargs - 1;
    sg_enroll_item *items = calloc(n, sizeof *items);
    char(*phones)[SG_PHONE_MAX] = calloc(n, sizeof *phones);
    sg_error e = {0};
    if (!items || !phones) {
        fprintf(stderr, "smsgate: out of memory\n");
        rc = SG_EXIT_FAIL;
    } else if (!enroll_items(&app, args, n, items, phones)) {
        rc = SG_EXIT_FAIL;
    } else {
        sg_err err = sg_store_journey_enroll(app.store, args[0], items, n, sg_time_now_ms(), &e);
        if (err) {
            rc = fail(err, &e);
        } else {
            size_t enrolled = 0;
            for (size_t i = 0; i < n; i++) {
                enrolled += items[i].result == SG_ENROLL_OK;
                printf("%s %s\n", args[i + 1], sg_enroll_result_name(items[i].result));
            }
            char detail[64];
            snprintf(detail, sizeof detail, "{\"enrolled\":%zu}", enrolled);
            audit(&app, "journey.enroll", args[0], detail);
        }
    }
    free(items);
    free(phones);
    free(args);
    sg_app_close(&app);
    return rc;
}

static const sg_command journey_verbs[] = {
    {"create", "create a journey (a draft) from a JSON file", journey_create},
    {"list", "list the journeys", journey_list},
    {"show", "show a journey", journey_show},
    {"edit", "change a journey (a new version)", journey_edit},
    {"activate", "start a draft journey", journey_activate},
    {"pause", "pause an active journey", journey_pause},
    {"resume", "resume a paused journey", journey_resume},
    {"archive", "archive a journey, ending its enrolments", journey_archive},
    {"enroll", "enrol contacts in an active journey", journey_enroll},
    {"stats", "counts per step", journey_stats},
    {NULL, NULL, NULL},
};

int sg_cmd_journey(int argc, char **argv)
{
    return sg_cli_verbs("smsgate journey create|list|show|edit|activate|pause|resume|archive|"
                        "enroll|stats [ID] [FILE] [options]",
                        journey_verbs, argc, argv);
}
