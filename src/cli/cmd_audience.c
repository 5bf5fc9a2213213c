/* smsgate group | segment | template: the named audiences and message templates
 * of broadcasts, in the store directly. Validation and wording follow the REST
 * API (api/audience.c): a segment stores the canonical text of its filter, a
 * template is checked before it is stored, a preview renders it for a contact. */
#include "audience/render.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/gsm7.h"
#include "core/lookalike.h"
#include "core/segment_filter.h"
#include "core/template.h"
#include "util/time.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN     127
#define TEMPLATE_MAX_LEN 4096
#define MEMBERS_MAX      1000
#define UCS2_SHOWN       64

/* ---- shared --------------------------------------------------------------------------- */

/* A name given as an argument to command: 1 to NAME_MAX_LEN bytes. */
static bool name_ok(const char *command, const char *kind, const char *name)
{
    if (!*name || strlen(name) > NAME_MAX_LEN) {
        sg_cli_usage_error(command, "a %s name must be 1 to %d bytes", kind, NAME_MAX_LEN);
        return false;
    }
    return true;
}

static void print_time(const char *label, int64_t ms)
{
    char t[SG_TIME_STR_MAX];
    sg_cli_field(label, sg_cli_time(ms, t));
}

/* The first line of text, cut to at most max bytes on a UTF-8 boundary, into out. */
static void first_line(const char *text, size_t max, char *out, size_t outlen)
{
    size_t len = strcspn(text, "\r\n");
    bool cut = len > max || text[len] != '\0';
    len = sg_utf8_trim_len(text, len, max);
    snprintf(out, outlen, "%.*s%s", (int)len, text, cut ? "..." : "");
}

static void print_count(const sg_audience_count *c)
{
    char text[96];
    snprintf(text, sizeof text, "%lld", (long long)c->matched);
    sg_cli_field("matched", text);
    snprintf(text, sizeof text, "%lld", (long long)c->eligible);
    sg_cli_field("eligible", text);
    snprintf(text, sizeof text, "%lld (opted_out %lld, not_mobile %lld)",
             (long long)(c->opted_out + c->not_mobile), (long long)c->opted_out,
             (long long)c->not_mobile);
    sg_cli_field("skipped", text);
}

static int count_audience(sg_app *app, const char *kind, const char *id)
{
    sg_audience_count c;
    sg_error e = {0};
    sg_err err = sg_store_audience_count(app->store, kind, id, sg_time_now_ms(), &c, &e);
    if (err) {
        fprintf(stderr, "smsgate: cannot count the %s: %s\n", kind,
                e.message[0] ? e.message : sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    print_count(&c);
    return SG_EXIT_OK;
}

/* The message of a failed create or delete: a name taken, or the store's words. */
static int store_failure(sg_err err, const sg_error *e, const char *kind, const char *name,
                         const char *doing)
{
    if (err == SG_ERR_CONFLICT && strcmp(doing, "create") == 0)
        fprintf(stderr, "smsgate: a %s named %s exists\n", kind, name);
    else
        fprintf(stderr, "smsgate: cannot %s the %s: %s\n", doing, kind,
                e->message[0] ? e->message : sg_strerror(err));
    return SG_EXIT_FAIL;
}

/* Parse argv against spec, check the NAME argument of a `kind` (NULL: none) and
 * open the store. Returns -1 when the caller goes on (args and nargs set, app
 * open; free(args) and close app), else the exit code. */
static int start(const sg_cmd_spec *spec, const char *kind, void *st, const sg_base_settings *base,
                 int argc, char **argv, char ***args, size_t *nargs, sg_app *app)
{
    int rc = sg_opts_parse(spec, st, argc, argv, args, nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    if (kind && !name_ok(argv[0], kind, (*args)[0])) {
        free(*args);
        return SG_EXIT_USAGE;
    }
    if ((rc = sg_cli_open(base, NULL, false, app))) {
        free(*args);
        return rc;
    }
    return -1;
}

/* ---- group ---------------------------------------------------------------------------- */

typedef struct group_settings {
    sg_base_settings base;
    unsigned limit;
} group_settings;

static const sg_opt group_opts[] = {SG_BASE_OPTS(group_settings), SG_OPT_END};
static const sg_opt group_show_opts[] = {
    SG_BASE_OPTS(group_settings),
    {"limit", NULL, "20", SG_OPT_UINT, offsetof(group_settings, limit), 0, "N",
     "members to list, newest first (0: none)"},
    SG_OPT_END,
};

static const sg_cmd_spec group_create_spec = {
    "smsgate group create NAME [options]",
    "Create an empty group and print its id. `contact import --group NAME` and\n"
    "`group add` fill it.",
    group_opts, 1, 1};
static const sg_cmd_spec group_list_spec = {
    "smsgate group list [options]", "List groups with their member counts.", group_opts, 0, 0};
static const sg_cmd_spec group_show_spec = {
    "smsgate group show NAME [--limit N] [options]",
    "Show a group: its members, how many of them a broadcast would reach (eligible)\n"
    "and how many it would skip, by reason, and the newest members.",
    group_show_opts, 1, 1};
static const sg_cmd_spec group_add_spec = {
    "smsgate group add NAME CONTACT... [options]",
    "Add contacts, given by id (ctc_...) or phone number, to a group (at most 1000 at a\n"
    "time). If one of them is not a contact nothing is changed.",
    group_opts, 2, MEMBERS_MAX + 1};
static const sg_cmd_spec group_remove_spec = {
    "smsgate group remove NAME CONTACT... [options]",
    "Remove contacts, given by id (ctc_...) or phone number, from a group (the contacts\n"
    "stay). If one of them is not a contact nothing is changed.",
    group_opts, 2, MEMBERS_MAX + 1};
static const sg_cmd_spec group_delete_spec = {
    "smsgate group delete NAME [options]",
    "Delete a group (its contacts stay). Broadcasts already made keep their recipients.",
    group_opts, 1, 1};

static const sg_cmd_spec group_rename_spec = {
    "smsgate group rename NAME NEW_NAME [options]",
    "Rename a group (its members and broadcasts stay with it). Audited as group.rename\n"
    "with the actor cli.",
    group_opts, 2, 2};

static bool group_find(sg_app *app, const char *name, sg_group *g)
{
    return sg_cli_found(sg_store_group_get(app->store, name, g), "group", name);
}

static int group_create(int argc, char **argv)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&group_create_spec, "group", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_group g = {.created_at = sg_time_now_ms()};
    snprintf(g.name, sizeof g.name, "%s", args[0]);
    free(args);
    sg_id_new("grp", g.created_at, g.id);
    sg_error e = {0};
    sg_err err = sg_store_group_create(app.store, &g, &e);
    sg_app_close(&app);
    if (err)
        return store_failure(err, &e, "group", g.name, "create");
    fprintf(stderr, "created group %s\n", g.name);
    printf("%s\n", g.id);
    return SG_EXIT_OK;
}

static int group_list(int argc, char **argv)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&group_list_spec, NULL, &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    free(args);
    sg_group *gs;
    size_t n;
    sg_err err = sg_store_group_list(app.store, &gs, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list groups: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    printf("%-30s %10s  %s\n", "ID", "MEMBERS", "NAME");
    for (size_t i = 0; i < n; i++)
        printf("%-30s %10lld  %s\n", gs[i].id, (long long)gs[i].members, gs[i].name);
    free(gs);
    return SG_EXIT_OK;
}

static int group_show(int argc, char **argv)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&group_show_spec, "group", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_group g;
    bool found = group_find(&app, args[0], &g);
    free(args);
    if (!found) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    char members[24];
    snprintf(members, sizeof members, "%lld", (long long)g.members);
    sg_cli_field("id", g.id);
    sg_cli_field("name", g.name);
    sg_cli_field("members", members);
    print_time("created", g.created_at);
    rc = count_audience(&app, "group", g.id);
    sg_contact *cs = NULL;
    size_t n = 0;
    bool more = false;
    if (!rc && st.limit > 0) {
        sg_err err = sg_store_group_contacts(
            app.store, g.id, NULL, st.limit < MEMBERS_MAX ? st.limit : MEMBERS_MAX, &cs, &n, &more);
        if (err) {
            fprintf(stderr, "smsgate: cannot list the members: %s\n", sg_strerror(err));
            rc = SG_EXIT_FAIL;
        }
    }
    for (size_t i = 0; i < n; i++)
        printf("%-*s %-30s %-16s %s%s%s\n", SG_CLI_LABEL_WIDTH, i == 0 ? "newest" : "", cs[i].id,
               cs[i].phone, cs[i].first_name, cs[i].first_name[0] && cs[i].last_name[0] ? " " : "",
               cs[i].last_name);
    if (more)
        printf("%-*s (%lld more)\n", SG_CLI_LABEL_WIDTH, "", (long long)g.members - (long long)n);
    sg_contacts_free(cs, n);
    sg_app_close(&app);
    return rc;
}

static int group_members(int argc, char **argv, bool add)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(add ? &group_add_spec : &group_remove_spec, "group", &st, &st.base, argc, argv,
                   &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    size_t n = nargs - 1;
    const char **ids = calloc(n, sizeof *ids);
    char(*phones)[SG_PHONE_MAX] = calloc(n, sizeof *phones);
    sg_group g;
    rc = SG_EXIT_OK;
    if (!ids || !phones) {
        fprintf(stderr, "smsgate: out of memory\n");
        rc = SG_EXIT_FAIL;
    } else if (!group_find(&app, args[0], &g)) {
        rc = SG_EXIT_FAIL;
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const char *s = args[i + 1];
        if (strncmp(s, "ctc_", 4) == 0) {
            ids[i] = s;
        } else if (sg_phone_normalize(s, app.default_region, phones[i], NULL) == SG_PHONE_OK) {
            ids[i] = phones[i];
        } else {
            fprintf(stderr, "smsgate: '%s' is neither a contact id nor a phone number%s\n", s,
                    app.default_region[0] ? "" : " (national numbers need --default-region)");
            rc = SG_EXIT_FAIL;
        }
    }
    if (!rc) {
        size_t changed = 0, unknown = SIZE_MAX;
        sg_error e = {0};
        sg_err err = sg_store_group_members(app.store, g.id, ids, n, add, &changed, &unknown, &e);
        if (err == SG_ERR_NOT_FOUND && unknown != SIZE_MAX) {
            fprintf(stderr, "smsgate: %s is not a contact; nothing was changed\n",
                    args[unknown + 1]);
            rc = SG_EXIT_FAIL;
        } else if (err) {
            fprintf(stderr, "smsgate: cannot change the members: %s\n",
                    e.message[0] ? e.message : sg_strerror(err));
            rc = SG_EXIT_FAIL;
        } else {
            sg_group now;
            if (sg_store_group_get(app.store, g.id, &now) == SG_OK)
                g.members = now.members;
            fprintf(stderr, "%s %zu contact%s %s group %s (%lld members)\n",
                    add ? "added" : "removed", changed, changed == 1 ? "" : "s",
                    add ? "to" : "from", g.name, (long long)g.members);
        }
    }
    free(ids);
    free(phones);
    free(args);
    sg_app_close(&app);
    return rc;
}

static int group_add(int argc, char **argv)
{
    return group_members(argc, argv, true);
}

static int group_remove(int argc, char **argv)
{
    return group_members(argc, argv, false);
}

static int group_delete(int argc, char **argv)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&group_delete_spec, "group", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_group g;
    bool found = group_find(&app, args[0], &g);
    free(args);
    sg_error e = {0};
    sg_err err = found ? sg_store_group_delete(app.store, g.id, &e) : SG_ERR_NOT_FOUND;
    sg_app_close(&app);
    if (!found)
        return SG_EXIT_FAIL;
    if (err)
        return store_failure(err, &e, "group", g.name, "delete");
    fprintf(stderr, "deleted group %s\n", g.name);
    return SG_EXIT_OK;
}

/* Audit a rename from the command line: the old and the new name. */
static void audit_rename(sg_app *app, const sg_group *g, const char *to)
{
    json_t *d = json_pack("{s:s, s:s}", "from", g->name, "to", to);
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sg_actor by = {"cli", "", sg_time_now_ms()};
    sg_error e = {0};
    if (sg_store_audit_add(app->store, &by, "group.rename", g->id, detail, &e))
        fprintf(stderr, "smsgate: warning: the rename was not audited: %s\n", e.message);
    free(detail);
    json_decref(d);
}

static int group_rename(int argc, char **argv)
{
    group_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&group_rename_spec, "group", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    char to[sizeof((sg_group *)0)->name];
    bool named = name_ok(argv[0], "group", args[1]);
    snprintf(to, sizeof to, "%s", args[1]);
    sg_group g;
    bool found = named && group_find(&app, args[0], &g);
    free(args);
    sg_error e = {0};
    sg_err err = found ? sg_store_group_rename(app.store, g.id, to, &e) : SG_OK;
    if (found && !err)
        audit_rename(&app, &g, to);
    sg_app_close(&app);
    if (!named)
        return SG_EXIT_USAGE;
    if (!found)
        return SG_EXIT_FAIL;
    if (err == SG_ERR_CONFLICT) {
        fprintf(stderr, "smsgate: a group named %s exists\n", to);
        return SG_EXIT_FAIL;
    }
    if (err)
        return store_failure(err, &e, "group", g.name, "rename");
    fprintf(stderr, "renamed group %s to %s\n", g.name, to);
    return SG_EXIT_OK;
}

static const sg_command group_verbs[] = {
    {"create", "create an empty group", group_create},
    {"list", "list groups", group_list},
    {"show", "show a group, its reach and newest members", group_show},
    {"add", "add contacts to a group", group_add},
    {"remove", "remove contacts from a group", group_remove},
    {"delete", "delete a group", group_delete},
    {"rename", "rename a group", group_rename},
    {NULL, NULL, NULL},
};

int sg_cmd_group(int argc, char **argv)
{
    return sg_cli_verbs("smsgate group create|list|show|add|remove|delete|rename [NAME] [options]",
                        group_verbs, argc, argv);
}

/* ---- segment -------------------------------------------------------------------------- */

/* A filter may be "" (every contact), so "not given" is told apart by a value no
 * flag can hold: a lone \x01, which the parser would refuse anyway. */
#define FILTER_UNSET "\x01"

typedef struct segment_settings {
    sg_base_settings base;
    char filter[SG_SEGMENT_TEXT_MAX + 1];
} segment_settings;

static const sg_opt segment_opts[] = {SG_BASE_OPTS(segment_settings), SG_OPT_END};
static const sg_opt segment_create_opts[] = {
    SG_BASE_OPTS(segment_settings),
    {"filter", NULL, NULL, SG_OPT_STR, offsetof(segment_settings, filter),
     sizeof(((segment_settings *)0)->filter), "TEXT",
     "which contacts, e.g. 'mobile and attributes.city = \"Leeds\"' (\"\": every contact; "
     "see docs/segments.md)"},
    SG_OPT_END,
};

static const sg_cmd_spec segment_create_spec = {
    "smsgate segment create NAME --filter TEXT [options]",
    "Save a segment: a filter over contacts, evaluated each time it is used. The filter\n"
    "is checked and stored in its canonical form, which is printed on stderr.",
    segment_create_opts, 1, 1};
static const sg_cmd_spec segment_list_spec = {
    "smsgate segment list [options]", "List segments with their filters.", segment_opts, 0, 0};
static const sg_cmd_spec segment_show_spec = {"smsgate segment show NAME [options]",
                                              "Show a segment.", segment_opts, 1, 1};
static const sg_cmd_spec segment_count_spec = {
    "smsgate segment count NAME | --filter TEXT [options]",
    "Count the contacts matching a segment now: matched, eligible (a broadcast would\n"
    "reach them) and skipped, by reason (opted_out, not_mobile). With --filter instead\n"
    "of NAME, count a filter without saving it (its canonical form goes to stderr).",
    segment_create_opts, 0, 1};
static const sg_cmd_spec segment_delete_spec = {
    "smsgate segment delete NAME [options]",
    "Delete a segment (the contacts stay). Broadcasts already made keep their recipients.",
    segment_opts, 1, 1};

static bool segment_find(sg_app *app, const char *name, sg_segment *g)
{
    return sg_cli_found(sg_store_segment_get(app->store, name, g), "segment", name);
}

/* The canonical text of a filter (malloc'd), or NULL after one line on stderr. */
static char *canonical_filter(const char *text)
{
    sg_seg_node *tree = NULL;
    sg_seg_error perr = {0};
    if (sg_segment_parse(text, &tree, &perr) != SG_OK) {
        fprintf(stderr, "smsgate: filter: %s (see docs/segments.md)\n",
                perr.detail[0] ? perr.detail : "out of memory");
        return NULL;
    }
    sg_buf out;
    sg_buf_init(&out, 16384);
    sg_err err = sg_segment_format(tree, &out);
    sg_segment_free(tree);
    char *canon = err ? NULL : sg_buf_steal(&out);
    sg_buf_free(&out);
    if (!canon)
        fprintf(stderr, "smsgate: cannot format the filter: %s\n", sg_strerror(err));
    return canon;
}

static int segment_create(int argc, char **argv)
{
    segment_settings st = {0};
    snprintf(st.filter, sizeof st.filter, "%s", FILTER_UNSET);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&segment_create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_segment g = {.created_at = sg_time_now_ms()};
    g.updated_at = g.created_at;
    snprintf(g.name, sizeof g.name, "%s", args[0]);
    bool named = name_ok(argv[0], "segment", args[0]);
    free(args);
    if (!named)
        return SG_EXIT_USAGE;
    if (strcmp(st.filter, FILTER_UNSET) == 0) {
        return sg_cli_usage_error(argv[0], "segment create needs --filter TEXT (\"\" for every "
                                           "contact)");
    }
    if (!(g.filter = canonical_filter(st.filter)))
        return SG_EXIT_FAIL;
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app))) {
        sg_segment_row_free(&g);
        return rc;
    }
    sg_id_new("seg", g.created_at, g.id);
    sg_error e = {0};
    sg_err err = sg_store_segment_create(app.store, &g, &e);
    sg_app_close(&app);
    if (err) {
        rc = store_failure(err, &e, "segment", g.name, "create");
    } else {
        fprintf(stderr, "created segment %s: %s\n", g.name,
                g.filter[0] ? g.filter : "(every contact)");
        printf("%s\n", g.id);
    }
    sg_segment_row_free(&g);
    return rc;
}

static int segment_list(int argc, char **argv)
{
    segment_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&segment_list_spec, NULL, &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    free(args);
    sg_segment *gs;
    size_t n;
    sg_err err = sg_store_segment_list(app.store, &gs, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list segments: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    printf("%-30s %-24s %s\n", "ID", "NAME", "FILTER");
    for (size_t i = 0; i < n; i++) {
        printf("%-30s %-24s %s\n", gs[i].id, gs[i].name,
               gs[i].filter && gs[i].filter[0] ? gs[i].filter : "(every contact)");
        sg_segment_row_free(&gs[i]);
    }
    free(gs);
    return SG_EXIT_OK;
}

static int segment_show(int argc, char **argv)
{
    segment_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&segment_show_spec, "segment", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_segment g;
    bool found = segment_find(&app, args[0], &g);
    free(args);
    sg_app_close(&app);
    if (!found)
        return SG_EXIT_FAIL;
    sg_cli_field("id", g.id);
    sg_cli_field("name", g.name);
    sg_cli_field("filter", g.filter && g.filter[0] ? g.filter : "(every contact)");
    print_time("created", g.created_at);
    print_time("updated", g.updated_at);
    sg_segment_row_free(&g);
    return SG_EXIT_OK;
}

/* segment count --filter TEXT: an unsaved filter, checked as create checks it. */
static int filter_count(segment_settings *st)
{
    char *canon = canonical_filter(st->filter);
    if (!canon)
        return SG_EXIT_FAIL;
    sg_app app;
    int rc = sg_cli_open(&st->base, NULL, false, &app);
    if (!rc) {
        fprintf(stderr, "filter: %s\n", canon[0] ? canon : "(every contact)");
        rc = count_audience(&app, "filter", canon);
        sg_app_close(&app);
    }
    free(canon);
    return rc;
}

static int segment_count(int argc, char **argv)
{
    segment_settings st = {0};
    snprintf(st.filter, sizeof st.filter, "%s", FILTER_UNSET);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&segment_count_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    bool filtered = strcmp(st.filter, FILTER_UNSET) != 0;
    if (filtered == (nargs == 1)) {
        free(args);
        return sg_cli_usage_error(argv[0], "segment count needs a segment NAME or --filter TEXT "
                                           "(not both)");
    }
    char name[sizeof((sg_segment *)0)->name] = "";
    bool named = nargs == 1 && name_ok(argv[0], "segment", args[0]);
    if (named)
        snprintf(name, sizeof name, "%s", args[0]);
    free(args);
    if (filtered)
        return filter_count(&st);
    sg_app app;
    if (!named)
        return SG_EXIT_USAGE;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_segment g;
    bool found = segment_find(&app, name, &g);
    if (found) {
        sg_segment_row_free(&g);
        rc = count_audience(&app, "segment", g.id);
    }
    sg_app_close(&app);
    return found ? rc : SG_EXIT_FAIL;
}

static int segment_delete(int argc, char **argv)
{
    segment_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&segment_delete_spec, "segment", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_segment g;
    bool found = segment_find(&app, args[0], &g);
    free(args);
    sg_error e = {0};
    sg_err err = SG_OK;
    if (found) {
        sg_segment_row_free(&g);
        err = sg_store_segment_delete(app.store, g.id, &e);
    }
    sg_app_close(&app);
    if (!found)
        return SG_EXIT_FAIL;
    if (err)
        return store_failure(err, &e, "segment", g.name, "delete");
    fprintf(stderr, "deleted segment %s\n", g.name);
    return SG_EXIT_OK;
}

static const sg_command segment_verbs[] = {
    {"create", "save a filter as a segment", segment_create},
    {"list", "list segments", segment_list},
    {"show", "show a segment", segment_show},
    {"count", "count who a segment reaches now", segment_count},
    {"delete", "delete a segment", segment_delete},
    {NULL, NULL, NULL},
};

int sg_cmd_segment(int argc, char **argv)
{
    return sg_cli_verbs("smsgate segment create|list|show|count|delete [NAME] [options]",
                        segment_verbs, argc, argv);
}

/* ---- template ------------------------------------------------------------------------- */

typedef struct template_settings {
    sg_base_settings base;
    char body[TEMPLATE_MAX_LEN + 1];
    char contact[128];
} template_settings;

#define S template_settings
static const sg_opt template_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
static const sg_opt template_create_opts[] = {
    SG_BASE_OPTS(S),
    {"body", NULL, "", SG_OPT_STR, offsetof(S, body), sizeof(((S *)0)->body), "TEXT",
     "the text, with fields such as {{first_name|there}} or {{attributes.city}}"},
    SG_OPT_END,
};
static const sg_opt template_preview_opts[] = {
    SG_BASE_OPTS(S),
    {"contact", NULL, "", SG_OPT_STR, offsetof(S, contact), sizeof(((S *)0)->contact), "ID|PHONE",
     "the contact to render the template for"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec template_create_spec = {
    "smsgate template create NAME --body TEXT [options]",
    "Save a message template and print its id. Fields: {{first_name}}, {{last_name}},\n"
    "{{phone}}, {{attributes.KEY}}, each with an optional default: {{first_name|there}}.\n"
    "A field without a value and without a default stops that recipient's message.",
    template_create_opts, 1, 1};
static const sg_cmd_spec template_list_spec = {"smsgate template list [options]", "List templates.",
                                               template_opts, 0, 0};
static const sg_cmd_spec template_show_spec = {"smsgate template show NAME [options]",
                                               "Show a template and the fields it uses.",
                                               template_opts, 1, 1};
static const sg_cmd_spec template_preview_spec = {
    "smsgate template preview NAME --contact ID|PHONE [options]",
    "Render a template for one contact and show what it costs as SMS: the encoding\n"
    "(GSM-7 or UCS-2), the number of segments, each character that forces UCS-2 with\n"
    "its GSM-7 look-alike, and the text with every look-alike applied. Nothing is\n"
    "changed: smsgate never replaces characters on its own.",
    template_preview_opts, 1, 1};
static const sg_cmd_spec template_delete_spec = {
    "smsgate template delete NAME [options]",
    "Delete a template. Broadcasts made from it keep their own copy of the text.", template_opts, 1,
    1};

static bool template_find(sg_app *app, const char *name, sg_template *t)
{
    return sg_cli_found(sg_store_template_get(app->store, name, t), "template", name);
}

static int template_create(int argc, char **argv)
{
    template_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&template_create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_template t = {.created_at = sg_time_now_ms()};
    t.updated_at = t.created_at;
    snprintf(t.name, sizeof t.name, "%s", args[0]);
    bool named = name_ok(argv[0], "template", args[0]);
    free(args);
    if (!named)
        return SG_EXIT_USAGE;
    if (!st.body[0]) {
        return sg_cli_usage_error(argv[0], "template create needs --body TEXT");
    }
    sg_tpl_error terr = {0};
    if (sg_template_check(st.body, &terr) != SG_OK) {
        fprintf(stderr, "smsgate: body: %s (at byte %zu)\n", terr.detail, terr.offset);
        return SG_EXIT_FAIL;
    }
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    t.body = st.body; /* borrowed: not freed below */
    sg_id_new("tpl", t.created_at, t.id);
    sg_error e = {0};
    sg_err err = sg_store_template_create(app.store, &t, &e);
    sg_app_close(&app);
    if (err)
        return store_failure(err, &e, "template", t.name, "create");
    fprintf(stderr, "created template %s\n", t.name);
    printf("%s\n", t.id);
    return SG_EXIT_OK;
}

static int template_list(int argc, char **argv)
{
    template_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&template_list_spec, NULL, &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    free(args);
    sg_template *ts;
    size_t n;
    sg_err err = sg_store_template_list(app.store, &ts, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list templates: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    printf("%-30s %-24s %s\n", "ID", "NAME", "BODY");
    for (size_t i = 0; i < n; i++) {
        char line[64];
        first_line(ts[i].body ? ts[i].body : "", 50, line, sizeof line);
        printf("%-30s %-24s %s\n", ts[i].id, ts[i].name, line);
        sg_template_row_free(&ts[i]);
    }
    free(ts);
    return SG_EXIT_OK;
}

/* The distinct fields a template uses, "first_name, attributes.city (default)". */
typedef struct field_list {
    sg_buf text;
    size_t n;
} field_list;

static void add_field(void *user, const char *name, bool has_default)
{
    field_list *fl = user;
    char item[SG_TPL_NAME_MAX + 16];
    snprintf(item, sizeof item, "%s%s", name, has_default ? " (default)" : "");
    /* one entry per distinct field and default-ness: look for it between separators */
    const char *have = sg_buf_cstr(&fl->text);
    size_t il = strlen(item);
    for (const char *p = strstr(have, item); p; p = strstr(p + 1, item)) {
        if ((p == have || p[-1] == ' ') && (p[il] == '\0' || p[il] == ','))
            return;
    }
    sg_buf_printf(&fl->text, "%s%s", fl->n++ ? ", " : "", item);
}

static int template_show(int argc, char **argv)
{
    template_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc = start(&template_show_spec, "template", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_template t;
    bool found = template_find(&app, args[0], &t);
    free(args);
    sg_app_close(&app);
    if (!found)
        return SG_EXIT_FAIL;
    field_list fl = {.n = 0};
    sg_buf_init(&fl.text, 8192);
    sg_template_fields(t.body, add_field, &fl, NULL);
    sg_cli_field("id", t.id);
    sg_cli_field("name", t.name);
    sg_cli_field("fields", fl.n ? sg_buf_cstr(&fl.text) : "none");
    print_time("created", t.created_at);
    print_time("updated", t.updated_at);
    sg_cli_field("body", t.body);
    sg_buf_free(&fl.text);
    sg_template_row_free(&t);
    return SG_EXIT_OK;
}

/* What text costs as SMS: the same report as POST /v1/templates/{id}/preview. */
static void print_text_report(const char *text)
{
    size_t len = strlen(text);
    sg_sms_info info = {0};
    sg_text_status ts = sg_sms_analyze(text, len, &info);
    char num[32];
    sg_cli_field("text", text);
    sg_cli_field("encoding", sg_encoding_name(info.encoding));
    snprintf(num, sizeof num, "%zu%s", info.chars,
             ts == SG_TEXT_TOO_LONG ? " (too long: at most 1600)" : "");
    sg_cli_field("characters", num);
    snprintf(num, sizeof num, "%u", info.segments);
    sg_cli_field("segments", num);
    sg_ucs2_char chars[UCS2_SHOWN];
    size_t total = sg_ucs2_chars(text, len, chars, UCS2_SHOWN);
    if (total == SIZE_MAX) {
        sg_cli_field("ucs-2", "the text is not valid UTF-8");
        return;
    }
    if (total == 0) {
        sg_cli_field("ucs-2", "none: every character is GSM-7");
        return;
    }
    bool all_replaceable = true;
    for (size_t i = 0; i < total && i < UCS2_SHOWN; i++) {
        const sg_ucs2_char *c = &chars[i];
        char line[160];
        if (!c->replacement)
            snprintf(line, sizeof line, "%s  U+%04X  at byte %zu  no GSM-7 look-alike", c->text,
                     (unsigned)c->codepoint, c->offset);
        else if (!c->replacement[0])
            snprintf(line, sizeof line, "%s  U+%04X  at byte %zu  invisible: GSM-7 drops it",
                     c->codepoint < 0x20 ? "?" : c->text, (unsigned)c->codepoint, c->offset);
        else
            snprintf(line, sizeof line, "%s  U+%04X  at byte %zu  GSM-7 look-alike: %s", c->text,
                     (unsigned)c->codepoint, c->offset, c->replacement);
        sg_cli_field(i == 0 ? "ucs-2" : "", line);
        all_replaceable &= c->replacement != NULL;
    }
    if (total > UCS2_SHOWN) {
        snprintf(num, sizeof num, "(%zu more)", total - UCS2_SHOWN);
        sg_cli_field("", num);
    }
    if (!all_replaceable || total > UCS2_SHOWN)
        return;
    sg_buf folded;
    sg_buf_init(&folded, 16384);
    if (sg_gsm7_fold(text, len, &folded) == SG_OK) {
        sg_sms_info fi;
        sg_sms_analyze(sg_buf_cstr(&folded), folded.len, &fi);
        sg_cli_field("as gsm-7", sg_buf_cstr(&folded));
        snprintf(num, sizeof num, "%u segment%s in GSM-7", fi.segments,
                 fi.segments == 1 ? "" : "s");
        sg_cli_field("", num);
    }
    sg_buf_free(&folded);
}

static int template_preview(int argc, char **argv)
{
    template_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc =
        start(&template_preview_spec, "template", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    if (!st.contact[0]) {
        free(args);
        sg_app_close(&app);
        return sg_cli_usage_error(argv[0], "template preview needs --contact ID|PHONE");
    }
    sg_template t;
    bool found = template_find(&app, args[0], &t);
    free(args);
    sg_contact c;
    if (!found || sg_cli_contact_get(&app, st.contact, &c) != SG_OK) {
        if (found)
            sg_template_row_free(&t);
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    sg_app_close(&app);
    json_t *attrs = c.attributes ? json_loads(c.attributes, 0, NULL) : NULL;
    sg_render_contact who = {c.phone, c.first_name, c.last_name, attrs};
    sg_buf out;
    sg_buf_init(&out, 16384);
    sg_tpl_error terr = {0};
    if (sg_render_body(t.body, &who, &out, &terr) != SG_OK) {
        fprintf(stderr, "smsgate: cannot render %s for %s: %s\n", t.name, c.phone, terr.detail);
        rc = SG_EXIT_FAIL;
    } else {
        print_text_report(sg_buf_cstr(&out));
        rc = SG_EXIT_OK;
    }
    sg_buf_free(&out);
    json_decref(attrs);
    sg_contact_free(&c);
    sg_template_row_free(&t);
    return rc;
}

static int template_delete(int argc, char **argv)
{
    template_settings st = {0};
    char **args;
    size_t nargs;
    sg_app app;
    int rc =
        start(&template_delete_spec, "template", &st, &st.base, argc, argv, &args, &nargs, &app);
    if (rc >= 0)
        return rc;
    sg_template t;
    bool found = template_find(&app, args[0], &t);
    free(args);
    sg_error e = {0};
    sg_err err = SG_OK;
    if (found) {
        sg_template_row_free(&t);
        err = sg_store_template_delete(app.store, t.id, &e);
    }
    sg_app_close(&app);
    if (!found)
        return SG_EXIT_FAIL;
    if (err)
        return store_failure(err, &e, "template", t.name, "delete");
    fprintf(stderr, "deleted template %s\n", t.name);
    return SG_EXIT_OK;
}

static const sg_command template_verbs[] = {
    {"create", "save a message template", template_create},
    {"list", "list templates", template_list},
    {"show", "show a template", template_show},
    {"preview", "render a template for a contact, with its SMS cost", template_preview},
    {"delete", "delete a template", template_delete},
    {NULL, NULL, NULL},
};

int sg_cmd_template(int argc, char **argv)
{
    return sg_cli_verbs("smsgate template create|list|show|preview|delete [NAME] [options]",
                        template_verbs, argc, argv);
}
