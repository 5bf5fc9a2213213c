/* smsgate route add|list|show|edit|remove: routes between providers, on the store
 * directly (no server needed), with the same rules as /v1/routes
 * (api/route_admin.c). A running `serve` on the same database applies a change
 * within about a second (the provider generation moves). Writes are audited
 * with the actor "cli". */
#include "api/route_admin.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSET "\x01" /* a flag not given (edit keeps the field) */

typedef struct route_settings {
    sg_base_settings base;
    char name[64];
    char providers[512];
    char countries[200];
    char prefixes[300];
    char strategy[16];
    char weights[128];
    char on_unknown[16];
    char position[16];
    bool json;
} route_settings;

#define S route_settings
#define STR(field, flag, metavar, help)                                                            \
    {                                                                                              \
        flag, NULL, UNSET, SG_OPT_STR, offsetof(S, field), sizeof(((S *)0)->field), metavar, help  \
    }
static const sg_opt write_opts[] = {
    SG_BASE_OPTS(S),
    STR(name, "name", "NAME", "the route's name (a-z, 0-9, - and _); edit: a new name"),
    STR(providers, "providers", "P1,P2", "providers by name or id, in the order to try them"),
    STR(countries, "countries", "CC,CC", "match destinations in these countries, e.g. GB,IE"),
    STR(prefixes, "prefixes", "+P,+P", "match numbers starting with these prefixes, e.g. +2547"),
    STR(strategy, "strategy", "S", "priority (default), weighted or cheapest"),
    STR(weights, "weights", "W,W", "weighted: one whole number per provider, e.g. 3,1"),
    STR(on_unknown, "on-unknown", "retry|failover",
        "when a lost answer cannot be looked up: retry there (default) or fail over"),
    STR(position, "position", "N", "where the route is evaluated (1: first; default: last)"),
    SG_OPT_END,
};
#undef STR

static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON instead of a table"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec add_spec = {
    "smsgate route add --name NAME --providers P1,P2 [--countries CC,CC] [--prefixes +P,+P] "
    "[--strategy priority|weighted|cheapest] [--weights W,W] [--on-unknown retry|failover] "
    "[--position N] [options]",
    "Add a route: messages to the destinations it matches (countries or prefixes; neither\n"
    "matches every destination) go to its providers, failing over between them. Routes\n"
    "are evaluated in order; the default provider is the last resort. See docs/routing.md.",
    write_opts, 0, 0};
static const sg_cmd_spec edit_spec = {
    "smsgate route edit NAME [--name NEW] [--providers P1,P2] [--countries CC,CC] "
    "[--prefixes +P,+P] [--strategy S] [--weights W,W] [--on-unknown U] [--position N] "
    "[options]",
    "Change a route; what is not given stays as it is ('' empties --countries or\n"
    "--prefixes).",
    write_opts, 1, 1};
static const sg_cmd_spec list_spec = {"smsgate route list [--json] [options]",
                                      "List the routes in the order they are evaluated.", list_opts,
                                      0, 0};
static const sg_cmd_spec show_spec = {"smsgate route show NAME [options]",
                                      "Show one route (by name or id) as JSON.", list_opts, 1, 1};
static const sg_cmd_spec remove_spec = {"smsgate route remove NAME [options]",
                                        "Remove a route (by name or id).", list_opts, 1, 1};

static int fail(const sg_reject *rej)
{
    fprintf(stderr, "smsgate: %s%s%s\n", rej->field[0] ? rej->field : "", rej->field[0] ? ": " : "",
            rej->detail);
    return rej->status == 400 ? SG_EXIT_USAGE : SG_EXIT_FAIL;
}

static bool given(const char *v)
{
    return strcmp(v, UNSET) != 0;
}

/* "a,b" -> ["a", "b"]; numbers when as_int (a bad one stays a string, which the
 * shared rules refuse with their own words). */
static json_t *list_json(const char *csv, bool as_int)
{
    json_t *a = json_array();
    for (const char *p = csv; *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[128];
        snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
        char *end;
        long v = strtol(item, &end, 10);
        json_array_append_new(a, as_int && item[0] && !*end ? json_integer(v) : json_string(item));
        p += n + (comma ? 1 : 0);
    }
    return a;
}

/* The request the flags describe; current (may be NULL) the route being edited,
 * whose other match list is kept when one of them is given. */
static json_t *request_of(const route_settings *st, const json_t *current)
{
    json_t *in = json_object();
    if (given(st->name))
        json_object_set_new(in, "name", json_string(st->name));
    if (given(st->providers))
        json_object_set_new(in, "providers", list_json(st->providers, false));
    if (given(st->countries) || given(st->prefixes)) {
        json_t *old = current ? json_object_get(current, "match") : NULL;
        json_t *m = json_object();
        json_object_set_new(m, "countries",
                            given(st->countries)
                                ? list_json(st->countries, false)
                                : json_deep_copy(json_object_get(old, "countries")));
        json_object_set_new(m, "prefixes",
                            given(st->prefixes) ? list_json(st->prefixes, false)
                                                : json_deep_copy(json_object_get(old, "prefixes")));
        json_object_set_new(in, "match", m);
    }
    if (given(st->strategy))
        json_object_set_new(in, "strategy", json_string(st->strategy));
    if (given(st->weights))
        json_object_set_new(in, "weights", list_json(st->weights, true));
    if (given(st->on_unknown))
        json_object_set_new(in, "on_unknown", json_string(st->on_unknown));
    if (given(st->position)) {
        json_t *p = list_json(st->position, true);
        json_object_set(in, "position", json_array_get(p, 0) ? json_array_get(p, 0) : json_null());
        json_decref(p);
    }
    return in;
}

static void audit(sg_app *app, const char *action, const char *id)
{
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_error e = {0};
    sg_store_audit_add(app->store, &by, action, id, NULL, &e);
}

static int route_add(int argc, char **argv)
{
    route_settings st;
    memset(&st, 0, sizeof st);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&add_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (!given(st.name) || !given(st.providers))
        return sg_cli_usage_error("route add", "route add needs --name and --providers");
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, true, &app)))
        return rc;
    json_t *in = request_of(&st, NULL), *view = NULL;
    sg_reject rej;
    char id[SG_ID_MAX];
    if (sg_route_admin_create(&app, in, &view, id, &rej)) {
        audit(&app, "route.create", id);
        sg_cli_print_json(view);
    } else {
        rc = fail(&rej);
    }
    json_decref(in);
    sg_app_close(&app);
    return rc;
}

static int route_edit(int argc, char **argv)
{
    route_settings st;
    memset(&st, 0, sizeof st);
    char target[128];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&edit_spec, &st, argc, argv, target, sizeof target, &app, &rc))
        return rc;
    json_t *current = NULL, *view = NULL, *in = NULL;
    sg_reject rej;
    char id[SG_ID_MAX];
    if (!sg_route_admin_show(&app, target, &current, &rej)) {
        rc = fail(&rej);
        goto out;
    }
    in = request_of(&st, current);
    if (json_object_size(in) == 0) {
        rc = sg_cli_usage_error("route edit", "give at least one flag to change");
        goto out;
    }
    if (sg_route_admin_update(&app, target, in, &view, id, &rej)) {
        audit(&app, "route.update", id);
        sg_cli_print_json(view);
    } else {
        rc = fail(&rej);
    }
out:
    json_decref(in);
    json_decref(current);
    sg_app_close(&app);
    return rc;
}

static void print_table(json_t *list)
{
    printf("%-4s %-20s %-9s %-24s %-30s %s\n", "POS", "NAME", "STRATEGY", "COUNTRIES", "PREFIXES",
           "PROVIDERS");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(list, "data"), i, r)
    {
        char cols[3][256];
        const char *keys[3] = {"countries", "prefixes", NULL};
        json_t *lists[3] = {json_object_get(json_object_get(r, "match"), keys[0]),
                            json_object_get(json_object_get(r, "match"), keys[1]),
                            json_object_get(r, "provider_names")};
        for (size_t k = 0; k < 3; k++) {
            size_t len = 0, j;
            json_t *item;
            cols[k][0] = '\0';
            json_array_foreach(lists[k], j, item)
            {
                const char *s = json_is_string(item) ? json_string_value(item) : "(removed)";
                len += (size_t)snprintf(cols[k] + len, len < 256 ? 256 - len : 0, "%s%s",
                                        j ? "," : "", s);
                if (len >= 256)
                    break;
            }
        }
        printf("%-4lld %-20s %-9s %-24s %-30s %s\n",
               (long long)json_integer_value(json_object_get(r, "position")),
               json_string_value(json_object_get(r, "name")),
               json_string_value(json_object_get(r, "strategy")), cols[0][0] ? cols[0] : "-",
               cols[1][0] ? cols[1] : "-", cols[2]);
    }
}

static int route_list(int argc, char **argv)
{
    route_settings st;
    memset(&st, 0, sizeof st);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    json_t *view = NULL;
    sg_reject rej;
    if (!sg_route_admin_list(&app, &view, &rej)) {
        rc = fail(&rej);
    } else if (st.json) {
        sg_cli_print_json(view);
    } else {
        print_table(view);
        json_decref(view);
    }
    sg_app_close(&app);
    return rc;
}

static int route_show(int argc, char **argv)
{
    route_settings st;
    memset(&st, 0, sizeof st);
    char target[128];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&show_spec, &st, argc, argv, target, sizeof target, &app, &rc))
        return rc;
    json_t *view = NULL;
    sg_reject rej;
    if (sg_route_admin_show(&app, target, &view, &rej))
        sg_cli_print_json(view);
    else
        rc = fail(&rej);
    sg_app_close(&app);
    return rc;
}

static int route_remove(int argc, char **argv)
{
    route_settings st;
    memset(&st, 0, sizeof st);
    char target[128];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&remove_spec, &st, argc, argv, target, sizeof target, &app, &rc))
        return rc;
    sg_reject rej;
    char id[SG_ID_MAX];
    if (sg_route_admin_delete(&app, target, id, &rej)) {
        audit(&app, "route.delete", id);
        fprintf(stderr, "removed route %s (%s)\n", target, id);
    } else {
        rc = fail(&rej);
    }
    sg_app_close(&app);
    return rc;
}

static const sg_command route_verbs[] = {
    {"add", "add a route", route_add},          {"list", "list the routes in order", route_list},
    {"show", "show a route", route_show},       {"edit", "change a route", route_edit},
    {"remove", "remove a route", route_remove}, {NULL, NULL, NULL},
};

int sg_cmd_route(int argc, char **argv)
{
    return sg_cli_verbs("smsgate route add|list|show|edit|remove [ARGS] [options]", route_verbs,
                        argc, argv);
}
