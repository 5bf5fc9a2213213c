/* smsgate keyword add|list|show|edit|remove: keyword rules in the store,
 * directly, checked exactly as /v1/keywords checks them (api/keywords.h) and
 * audited with the actor "cli". A rule is JSON text, or @FILE to read it from a
 * file. The serve flags that add consent words (--opt-out-keywords ...) are not
 * known here: only the legal defaults are refused as rule keywords. */
#include "api/keywords.h"
#include "callbacks/keyword_rules.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "util/id.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RULE_FILE_MAX (64 * 1024)

typedef struct keyword_settings {
    sg_base_settings base;
    bool json;
} keyword_settings;

#define S keyword_settings
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    SG_OPT_END,
};
static const sg_opt plain_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
#undef S

static const sg_cmd_spec add_spec = {
    "smsgate keyword add RULE [options]",
    "Add a keyword rule. RULE is the JSON of POST /v1/keywords, or @FILE.", plain_opts, 1, 1};
static const sg_cmd_spec list_spec = {"smsgate keyword list [--json] [options]",
                                      "List the keyword rules in the order they are tried.",
                                      list_opts, 0, 0};
static const sg_cmd_spec show_spec = {"smsgate keyword show ID [options]",
                                      "Show a keyword rule as JSON.", plain_opts, 1, 1};
static const sg_cmd_spec edit_spec = {
    "smsgate keyword edit ID CHANGES [options]",
    "Change a rule: CHANGES is JSON with the fields to change (as PATCH), or @FILE.", plain_opts,
    2, 2};
static const sg_cmd_spec remove_spec = {"smsgate keyword remove ID [options]",
                                        "Remove a keyword rule.", plain_opts, 1, 1};

/* JSON text, or @FILE (at most RULE_FILE_MAX bytes); NULL after saying why. */
static json_t *load_rule(const char *arg)
{
    json_error_t je;
    json_t *v = arg[0] == '@' ? json_load_file(arg + 1, 0, &je) : json_loads(arg, 0, &je);
    if (!v)
        fprintf(stderr, "smsgate: the rule is not JSON: %s (line %d)\n", je.text, je.line);
    return v;
}

/* Parse, open the store; the positional arguments into args (freed by caller). */
static int start(const sg_cmd_spec *spec, keyword_settings *st, int argc, char **argv,
                 sg_app *app, char ***args)
{
    size_t nargs;
    int rc = sg_opts_parse(spec, st, argc, argv, args, &nargs);
    if (rc)
        return rc < 0 ? -1 : rc;
    if ((rc = sg_cli_open(&st->base, NULL, false, app)))
        free(*args);
    return rc;
}

static void audit(sg_app *app, const char *action, const sg_keyword_rule *r)
{
    sg_actor by = {"cli", "", sg_time_now_ms()};
    char detail[160];
    snprintf(detail, sizeof detail, "{\"keyword\":\"%s\",\"match\":\"%s\"}", r->keyword, r->match);
    sg_error e = {0};
    if (sg_store_audit_add(app->store, &by, action, r->id, detail, &e))
        fprintf(stderr, "smsgate: warning: the audit entry was not written: %s\n", e.message);
}

static int refused(const sg_kw_invalid *why)
{
    fprintf(stderr, "smsgate: %s%s%s\n", why->field[0] ? why->field : "",
            why->field[0] ? ": " : "", why->message);
    return SG_EXIT_FAIL;
}

/* Parse rule text into r (partial for edit) and write it; the exit code. */
static int write_rule(sg_app *app, const char *text, bool insert, sg_keyword_rule *r)
{
    json_t *in = load_rule(text);
    if (!in)
        return SG_EXIT_FAIL;
    sg_kw_invalid why;
    bool ok = sg_keyword_rule_parse(in, !insert, NULL, app->store, r, &why);
    json_decref(in);
    if (!ok)
        return refused(&why);
    r->updated_at = sg_time_now_ms();
    sg_error e = {0};
    sg_err err = insert ? sg_store_keyword_rule_create(app->store, r, &e)
                        : sg_store_keyword_rule_update(app->store, r, &e);
    if (err) {
        fprintf(stderr, "smsgate: %s\n", e.message[0] ? e.message : sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    audit(app, insert ? "keyword.create" : "keyword.update", r);
    sg_cli_print_json(sg_keyword_rule_json(r));
    return SG_EXIT_OK;
}

static int keyword_add(int argc, char **argv)
{
    keyword_settings st = {0};
    sg_app app;
    char **args;
    int rc = start(&add_spec, &st, argc, argv, &app, &args);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_keyword_rule r = {.created_at = sg_time_now_ms()};
    sg_id_new("kwr", r.created_at, r.id);
    rc = write_rule(&app, args[0], true, &r);
    sg_keyword_rule_free(&r);
    free(args);
    sg_app_close(&app);
    return rc;
}

/* The rule args[0] into r; the exit code after saying why. */
static int find(sg_app *app, const char *id, sg_keyword_rule *r)
{
    sg_err err = sg_store_keyword_rule_get(app->store, id, r);
    if (err == SG_OK)
        return SG_EXIT_OK;
    fprintf(stderr, "smsgate: %s %s\n", err == SG_ERR_NOT_FOUND ? "no keyword rule" : "cannot read",
            id);
    return SG_EXIT_FAIL;
}

static int keyword_edit(int argc, char **argv)
{
    keyword_settings st = {0};
    sg_app app;
    char **args;
    int rc = start(&edit_spec, &st, argc, argv, &app, &args);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_keyword_rule r;
    if (!(rc = find(&app, args[0], &r))) {
        rc = write_rule(&app, args[1], false, &r);
        sg_keyword_rule_free(&r);
    }
    free(args);
    sg_app_close(&app);
    return rc;
}

static int keyword_show(int argc, char **argv)
{
    keyword_settings st = {0};
    sg_app app;
    char **args;
    int rc = start(&show_spec, &st, argc, argv, &app, &args);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_keyword_rule r;
    if (!(rc = find(&app, args[0], &r))) {
        sg_cli_print_json(sg_keyword_rule_json(&r));
        sg_keyword_rule_free(&r);
    }
    free(args);
    sg_app_close(&app);
    return rc;
}

static int keyword_remove(int argc, char **argv)
{
    keyword_settings st = {0};
    sg_app app;
    char **args;
    int rc = start(&remove_spec, &st, argc, argv, &app, &args);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_keyword_rule r;
    if (!(rc = find(&app, args[0], &r))) {
        sg_error e = {0};
        sg_err err = sg_store_keyword_rule_delete(app.store, r.id, &e);
        if (err) {
            fprintf(stderr, "smsgate: %s\n", e.message[0] ? e.message : sg_strerror(err));
            rc = SG_EXIT_FAIL;
        } else {
            audit(&app, "keyword.delete", &r);
            fprintf(stderr, "removed %s (%s)\n", r.id, r.keyword);
        }
        sg_keyword_rule_free(&r);
    }
    free(args);
    sg_app_close(&app);
    return rc;
}

static int keyword_list(int argc, char **argv)
{
    keyword_settings st = {0};
    sg_app app;
    char **args;
    int rc = start(&list_spec, &st, argc, argv, &app, &args);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_keyword_rule *rules = NULL;
    size_t n = 0;
    sg_err err = sg_store_keyword_rule_list(app.store, &rules, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list the keyword rules: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    json_t *data = st.json ? json_array() : NULL;
    if (!data)
        printf("%-32s %8s %-10s %-16s %s\n", "ID", "PRIORITY", "MATCH", "TO", "KEYWORD");
    for (size_t i = 0; i < n; i++) {
        if (data)
            json_array_append_new(data, sg_keyword_rule_json(&rules[i]));
        else
            printf("%-32s %8ld %-10s %-16s %s\n", rules[i].id, rules[i].priority, rules[i].match,
                   rules[i].to[0] ? rules[i].to : "any", rules[i].keyword);
    }
    sg_keyword_rules_free(rules, n);
    if (data)
        sg_cli_print_json(json_pack("{s:o}", "data", data));
    return SG_EXIT_OK;
}

static const sg_command keyword_verbs[] = {
    {"add", "add a keyword rule", keyword_add},
    {"list", "list the rules in the order they are tried", keyword_list},
    {"show", "show a rule", keyword_show},
    {"edit", "change a rule", keyword_edit},
    {"remove", "remove a rule", keyword_remove},
    {NULL, NULL, NULL},
};

int sg_cmd_keyword(int argc, char **argv)
{
    return sg_cli_verbs("smsgate keyword add|list|show|edit|remove [ID] [RULE] [options]",
                        keyword_verbs, argc, argv);
}
