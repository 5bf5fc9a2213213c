/* smsgate optout list|add|remove: the opt-out list in the store, directly, as
 * /v1/optouts shows and changes it. A change made here is recorded as a consent
 * event with source "cli", audited with the actor "cli", and reaches app webhooks
 * like one made by the API. */
#include "cli/cli.h"
#include "cli/common.h"
#include "core/phone.h"
#include "core/search.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 1000

typedef struct optout_settings {
    sg_base_settings base;
    unsigned limit;
    char reason[256];
    bool json;
    char search[128];
} optout_settings;

#define S optout_settings
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many opt-outs, newest first (1 to 1000)"},
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    {"search", NULL, "", SG_OPT_STR, offsetof(S, search), sizeof(((S *)0)->search), "NUMBER",
     "only numbers that start with +DIGITS (or contain DIGITS), in number order (as GET "
     "/v1/optouts?q=)"},
    SG_OPT_END,
};
static const sg_opt add_opts[] = {
    SG_BASE_OPTS(S),
    {"reason", NULL, "", SG_OPT_STR, offsetof(S, reason), sizeof(((S *)0)->reason), "TEXT",
     "why (kept with the opt-out)"},
    SG_OPT_END,
};
static const sg_opt remove_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
#undef S

static const sg_cmd_spec list_spec = {
    "smsgate optout list [--limit N] [--search NUMBER] [--json] [options]",
    "List opted-out numbers, newest first; with --search, the numbers that match, in\n"
    "number order.",
    list_opts, 0, 0};
static const sg_cmd_spec add_spec = {
    "smsgate optout add NUMBER [--reason TEXT] [options]",
    "Opt a number out: nothing is sent to it any more (consent replies excepted).", add_opts, 1,
    1};
static const sg_cmd_spec remove_spec = {
    "smsgate optout remove NUMBER [options]",
    "Opt a number back in. Exit 1 when it was not opted out.", remove_opts, 1, 1};

/* Parse opts into st, open the store and normalise the one NUMBER argument into
 * phone (unless phone is NULL). 0, or the exit code after saying why. */
static int start(const sg_cmd_spec *spec, optout_settings *st, int argc, char **argv,
                 sg_app *app, char phone[SG_PHONE_MAX])
{
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(spec, st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? -1 : rc;
    char number[64] = "";
    if (nargs)
        snprintf(number, sizeof number, "%s", args[0]);
    free(args);
    if (!phone && (st->limit == 0 || st->limit > LIST_MAX))
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and %d", LIST_MAX);
    if ((rc = sg_cli_open(&st->base, NULL, false, app)))
        return rc;
    if (phone && sg_phone_normalize(number, app->default_region, phone, NULL) != SG_PHONE_OK) {
        sg_app_close(app);
        fprintf(stderr, "smsgate: '%s' is not a valid phone number (E.164, or national with "
                        "--default-region)\n",
                number);
        return SG_EXIT_FAIL;
    }
    return 0;
}

static int optout_list(int argc, char **argv)
{
    optout_settings st = {0};
    sg_app app;
    int rc = start(&list_spec, &st, argc, argv, &app, NULL);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    sg_optout *rows = NULL;
    size_t n = 0;
    bool more = false;
    sg_search q;
    sg_search_status qs = sg_search_parse(st.search, app.default_region, &q);
    if (qs != SG_SEARCH_EMPTY && (qs != SG_SEARCH_OK || !sg_search_is_phone(&q))) {
        sg_app_close(&app);
        return sg_cli_usage_error(argv[0],
                                  "--search must be a number (digits, spaces and "
                                  "+-() only) of at most %d bytes",
                                  SG_SEARCH_MAX);
    }
    sg_err err = qs == SG_SEARCH_OK
                     ? sg_store_optout_search(app.store, &q, NULL, st.limit, &rows, &n, &more)
                     : sg_store_optout_list(app.store, NULL, st.limit, &rows, &n, &more);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list opt-outs: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    json_t *data = st.json ? json_array() : NULL;
    if (!st.json)
        printf("%-16s %-9s %-24s %s\n", "PHONE", "SOURCE", "SINCE", "REASON");
    for (size_t i = 0; i < n; i++) {
        const sg_optout *o = &rows[i];
        char t[SG_TIME_STR_MAX];
        sg_cli_time(o->created_at, t);
        if (data)
            json_array_append_new(data, json_pack("{s:s, s:s, s:s, s:o, s:s}", "phone", o->phone,
                                                  "source", o->source, "reason", o->reason,
                                                  "message_id",
                                                  o->message_id[0] ? json_string(o->message_id)
                                                                   : json_null(),
                                                  "created_at", t));
        else
            printf("%-16s %-9s %-24s %s\n", o->phone, o->source, t, o->reason);
    }
    free(rows);
    if (data)
        sg_cli_print_json(json_pack("{s:o}", "data", data));
    else if (more)
        fprintf(stderr, "(more opt-outs: raise --limit to see them)\n");
    return SG_EXIT_OK;
}

static int optout_add(int argc, char **argv)
{
    optout_settings st = {.limit = 1};
    sg_app app;
    sg_optout o = {0};
    int rc = start(&add_spec, &st, argc, argv, &app, o.phone);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    snprintf(o.source, sizeof o.source, "cli");
    snprintf(o.reason, sizeof o.reason, "%s", st.reason);
    o.created_at = sg_time_now_ms();
    bool changed = false;
    sg_error e = {0};
    sg_err err = sg_store_optout_add(app.store, &o, &changed, &e);
    if (!err && changed)
        sg_cli_audit(&app, "optout.add", o.phone, NULL);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot opt %s out: %s\n", o.phone,
                e.message[0] ? e.message : sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    fprintf(stderr, changed ? "opted out %s\n" : "%s was already opted out\n", o.phone);
    return SG_EXIT_OK;
}

static int optout_remove(int argc, char **argv)
{
    optout_settings st = {.limit = 1};
    sg_app app;
    char phone[SG_PHONE_MAX];
    int rc = start(&remove_spec, &st, argc, argv, &app, phone);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    bool changed = false;
    sg_error e = {0};
    sg_err err = sg_store_optout_remove(app.store, phone, "cli", "", &changed, &e);
    if (!err && changed)
        sg_cli_audit(&app, "optout.remove", phone, NULL);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot opt %s in: %s\n", phone,
                e.message[0] ? e.message : sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (!changed) {
        fprintf(stderr, "smsgate: %s is not opted out\n", phone);
        return SG_EXIT_FAIL;
    }
    fprintf(stderr, "opted in %s\n", phone);
    return SG_EXIT_OK;
}

static const sg_command optout_verbs[] = {
    {"list", "list opted-out numbers", optout_list},
    {"add", "opt a number out", optout_add},
    {"remove", "opt a number back in", optout_remove},
    {NULL, NULL, NULL},
};

int sg_cmd_optout(int argc, char **argv)
{
    return sg_cli_verbs("smsgate optout list|add|remove [NUMBER] [options]", optout_verbs, argc,
                        argv);
}
