/* smsgate app create | list | show | edit | rotate | remove: the app accounts of
 * the compatible endpoints (docs/compat.md), on the store directly (no server
 * needed). The flags are read into the same JSON fields /v1/apps takes and
 * checked by the same code (api/app_accounts.h). The auth token is printed
 * once, by create and rotate, on stdout; every change is audited as "cli". */
#include "api/app_accounts.h"
#include "compat/clickatell_api.h"
#include "api/auth.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "util/time.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNSET       "\x01" /* a string flag not given */
#define UNSET_QUOTA 0xffffffffu

typedef struct app_settings {
    sg_base_settings base;
    char name[128];
    char role[16];
    char provider[72];
    char status_callback[512];
    char inbound_url[512];
    char inbound_method[8];
    char callback_method[8];
    char countries[200];
    unsigned daily_quota;
    sg_opt_list numbers;
    bool no_numbers;
} app_settings;

#define STR_OPT(flag, member, meta, help)                                                          \
    {flag, NULL, NULL, SG_OPT_STR, offsetof(app_settings, member),                                 \
     sizeof(((app_settings *)0)->member), meta, help}

static const sg_opt fields_opts[] = {
    SG_BASE_OPTS(app_settings),
    STR_OPT("name", name, "NAME", "the app's name (unique)"),
    STR_OPT("role", role, "ROLE", "sender (send and read its messages; default) or viewer"),
    STR_OPT("provider", provider, "NAME", "send its messages through this provider"),
    STR_OPT("status-callback", status_callback, "URL",
            "default StatusCallback for its messages ('' for none)"),
    STR_OPT("callback-method", callback_method, "METHOD",
            "how status callbacks are sent: POST (default) or GET"),
    STR_OPT("inbound-url", inbound_url, "URL", "where replies to it are posted ('' for none)"),
    STR_OPT("inbound-method", inbound_method, "METHOD", "POST (default) or GET"),
    STR_OPT("countries", countries, "CC,CC",
            "destination countries it may send to ('' for all the deployment allows)"),
    {"daily-quota", NULL, NULL, SG_OPT_UINT, offsetof(app_settings, daily_quota), 0, "N",
     "messages it may send per UTC day (0: no quota)"},
    {"number", NULL, NULL, SG_OPT_LIST, offsetof(app_settings, numbers), 0, "E164",
     "a number the app owns (repeatable; replaces its numbers): messages to it\n"
     "are posted to its inbound URL"},
    {"no-numbers", NULL, NULL, SG_OPT_BOOL, offsetof(app_settings, no_numbers), 0, NULL,
     "the app owns no numbers"},
    SG_OPT_END,
};

/* The flags given as /v1/apps fields ("" clears an optional one). */
static json_t *fields_json(const app_settings *st)
{
    static const struct {
        const char *field;
        size_t off;
    } strs[] = {
        {"name", offsetof(app_settings, name)},
        {"role", offsetof(app_settings, role)},
        {"provider", offsetof(app_settings, provider)},
        {"status_callback", offsetof(app_settings, status_callback)},
        {"inbound_url", offsetof(app_settings, inbound_url)},
        {"inbound_method", offsetof(app_settings, inbound_method)},
        {"callback_method", offsetof(app_settings, callback_method)},
        {"countries", offsetof(app_settings, countries)},
    };
    json_t *in = json_object();
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        const char *v = (const char *)st + strs[i].off;
        bool clears = !v[0] && strcmp(strs[i].field, "name") != 0 &&
                      strcmp(strs[i].field, "role") != 0;
        if (strcmp(v, UNSET) != 0)
            json_object_set_new(in, strs[i].field, clears ? json_null() : json_string(v));
    }
    if (st->daily_quota != UNSET_QUOTA)
        json_object_set_new(in, "daily_quota", json_integer(st->daily_quota));
    if (st->numbers.n || st->no_numbers) {
        json_t *numbers = json_array();
        for (size_t i = 0; i < st->numbers.n; i++)
            json_array_append_new(numbers, json_string(st->numbers.items[i]));
        json_object_set_new(in, "numbers", numbers);
    }
    return in;
}

static void settings_unset(app_settings *st)
{
    memset(st, 0, sizeof *st);
    char *strs[] = {st->name,        st->role,           st->provider,  st->status_callback,
                    st->inbound_url, st->inbound_method, st->callback_method,
                    st->countries};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        strs[i][0] = UNSET[0];
    st->daily_quota = UNSET_QUOTA;
}

/* Issue app_id's Clickatell-style credentials (compat/clickatell_api.h) and print
 * them; false after saying why on stderr. */
static bool print_ck_credentials(sg_app *app, const char *app_id, const char *sid)
{
    json_t *ck = NULL;
    sg_error e = {0};
    if (sg_compat_ck_issue(app, app_id, sid, &ck, &e)) {
        fprintf(stderr, "smsgate: cannot store the app's Clickatell credentials: %s\n", e.message);
        return false;
    }
    printf("api_id: %s\nusername: %s\napi_key: %s\n",
           json_string_value(json_object_get(ck, "api_id")), sid,
           json_string_value(json_object_get(ck, "api_key")));
    json_decref(ck);
    return true;
}

static void audit(sg_app *app, const char *action, const sg_app_account *a)
{
    sg_actor by = {"cli", "", sg_time_now_ms()};
    json_t *d = json_pack("{s:s, s:s}", "name", a->name, "role", a->role);
    json_t *numbers = d && a->numbers_set ? json_array() : NULL;
    for (size_t i = 0; numbers && i < a->n_numbers; i++)
        json_array_append_new(numbers, json_string(a->numbers[i]));
    if (numbers)
        json_object_set_new(d, "numbers", numbers); /* the numbers it was given */
    char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    sg_error e = {0};
    if (sg_store_audit_add(app->store, &by, action, a->id, detail, &e))
        fprintf(stderr, "smsgate: warning: cannot write the audit log: %s\n", e.message);
    free(detail);
    json_decref(d);
}

/* Apply the flags to a; false after one line on stderr (a usage error). */
static bool apply_flags(sg_app *app, sg_app_account *a, const app_settings *st, bool create)
{
    if (st->numbers.n && st->no_numbers) {
        fprintf(stderr, "smsgate: --number and --no-numbers exclude each other\n");
        return false;
    }
    json_t *in = fields_json(st);
    sg_reject rej;
    bool ok = sg_app_account_apply(app, a, in, create, &rej);
    json_decref(in);
    if (!ok) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s", strcmp(rej.field, "numbers") ? rej.field : "number");
        for (char *p = flag; *p; p++)
            *p = *p == '_' ? '-' : *p;
        fprintf(stderr, "smsgate: --%s: %s\n", flag, rej.detail);
    }
    return ok;
}

static const sg_cmd_spec create_spec = {
    "smsgate app create --name NAME [--role sender|viewer] [--provider NAME] "
    "[--status-callback URL] [--callback-method M] [--inbound-url URL] [--countries CC,CC] "
    "[--daily-quota N] [--number E164]... "
    "[options]",
    "Create an app account for the compatible endpoints. Its Account SID and auth\n"
    "token are printed on stdout; the token is shown this once (rotate to get another).",
    fields_opts, 0, 0};

static int app_create(int argc, char **argv)
{
    app_settings st;
    settings_unset(&st);
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (strcmp(st.name, UNSET) == 0)
        return sg_cli_usage_error(argv[0], "--name is required");
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, true, &app)))
        return rc;
    sg_app_account a;
    char token[SG_APP_TOKEN_LEN + 1] = "";
    sg_error e = {0};
    rc = SG_EXIT_FAIL;
    if (sg_app_account_init(&app, &a, token, &e)) {
        fprintf(stderr, "smsgate: %s\n", e.message);
    } else if (!apply_flags(&app, &a, &st, true)) {
        rc = SG_EXIT_USAGE;
    } else if (sg_store_app_insert(app.store, &a, &e)) {
        fprintf(stderr, "smsgate: cannot create the app: %s\n", e.message);
    } else {
        audit(&app, "app.create", &a);
        char sid[SG_ACCOUNT_SID_MAX];
        sg_app_account_sid(a.id, sid);
        fprintf(stderr, "created app %s (%s); store the token now, it is not shown again:\n",
                a.id, a.name);
        printf("id: %s\naccount_sid: %s\nauth_token: %s\n", a.id, sid, token);
        rc = print_ck_credentials(&app, a.id, sid) ? SG_EXIT_OK : SG_EXIT_FAIL;
    }
    sodium_memzero(token, sizeof token);
    sg_app_close(&app);
    return rc;
}

typedef struct base_only {
    sg_base_settings base;
} base_only;

static const sg_opt base_opts[] = {SG_BASE_OPTS(base_only), SG_OPT_END};
static const sg_cmd_spec list_spec = {
    "smsgate app list [options]",
    "List the app accounts, oldest first: id, Account SID, role, name. Tokens are\n"
    "never shown.",
    base_opts, 0, 0};

static int app_list(int argc, char **argv)
{
    base_only st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_app_account *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_app_list(app.store, &rows, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list the apps: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    printf("%-30s %-34s %-6s %s\n", "ID", "ACCOUNT_SID", "ROLE", "NAME");
    for (size_t i = 0; i < n; i++) {
        char sid[SG_ACCOUNT_SID_MAX];
        sg_app_account_sid(rows[i].id, sid);
        printf("%-30s %-34s %-6s %s\n", rows[i].id, sid, rows[i].role, rows[i].name);
    }
    free(rows);
    return SG_EXIT_OK;
}

/* Open the store and read the app named by the one argument (id or name);
 * false with *rc set after printing. */
static bool open_app(const sg_cmd_spec *spec, void *st, int argc, char **argv, sg_app *app,
                     sg_app_account *a, int *rc)
{
    char name[160];
    if (!sg_cli_open_one(spec, st, argc, argv, name, sizeof name, app, rc))
        return false;
    sg_err err = sg_store_app_get(app->store, name, a);
    if (!err)
        err = sg_store_app_numbers(app->store, a);
    if (sg_cli_found(err, "app", name))
        return true;
    sg_app_close(app);
    *rc = SG_EXIT_FAIL;
    return false;
}

static const sg_cmd_spec show_spec = {"smsgate app show ID|NAME [options]",
                                      "Show an app account as JSON (never its token).",
                                      base_opts, 1, 1};

static int app_show(int argc, char **argv)
{
    base_only st = {0};
    sg_app app;
    sg_app_account a;
    int rc;
    if (!open_app(&show_spec, &st, argc, argv, &app, &a, &rc))
        return rc;
    sg_app_close(&app);
    sg_cli_print_json(sg_app_account_json(&a));
    return SG_EXIT_OK;
}

static const sg_cmd_spec edit_spec = {
    "smsgate app edit ID|NAME [--name NAME] [--role ROLE] [--provider NAME] "
    "[--status-callback URL] [--callback-method M] [--inbound-url URL] [--countries CC,CC] "
    "[--daily-quota N] [--number E164]... [--no-numbers] "
    "[options]",
    "Change an app account; a field not given stays as it is.", fields_opts, 1, 1};

static int app_edit(int argc, char **argv)
{
    app_settings st;
    settings_unset(&st);
    sg_app app;
    sg_app_account a;
    int rc;
    if (!open_app(&edit_spec, &st, argc, argv, &app, &a, &rc))
        return rc;
    sg_error e = {0};
    rc = SG_EXIT_FAIL;
    if (!apply_flags(&app, &a, &st, false)) {
        rc = SG_EXIT_USAGE;
    } else {
        a.updated_at = sg_time_now_ms();
        if (sg_store_app_update(app.store, &a, &e)) {
            fprintf(stderr, "smsgate: cannot change the app: %s\n", e.message);
        } else {
            audit(&app, "app.update", &a);
            fprintf(stderr, "changed %s (%s)\n", a.id, a.name);
            rc = SG_EXIT_OK;
        }
    }
    sg_app_close(&app);
    return rc;
}

static const sg_cmd_spec rotate_spec = {
    "smsgate app rotate ID|NAME [options]",
    "Give an app account a new auth token, printed alone on the last line of stdout,\n"
    "and new Clickatell-style credentials (api_id, username, api_key) on the lines\n"
    "before it; the old token and api_key stop working at once.",
    base_opts, 1, 1};

static int app_rotate(int argc, char **argv)
{
    base_only st = {0};
    sg_app app;
    sg_app_account a;
    int rc;
    if (!open_app(&rotate_spec, &st, argc, argv, &app, &a, &rc))
        return rc;
    char token[SG_APP_TOKEN_LEN + 1] = "";
    sg_error e = {0};
    rc = SG_EXIT_FAIL;
    sg_err err = sg_app_account_new_token(&app, &a, token, &e);
    a.updated_at = a.token_rotated_at;
    if (err || sg_store_app_update(app.store, &a, &e)) {
        fprintf(stderr, "smsgate: cannot rotate the token: %s\n", e.message);
    } else {
        audit(&app, "app.rotate", &a);
        fprintf(stderr, "new credentials of %s (%s); store them now, they are not shown "
                        "again:\n",
                a.id, a.name);
        char sid[SG_ACCOUNT_SID_MAX];
        sg_app_account_sid(a.id, sid);
        bool ck = print_ck_credentials(&app, a.id, sid); /* the api_key goes with the token */
        printf("%s\n", token);
        rc = ck ? SG_EXIT_OK : SG_EXIT_FAIL;
    }
    sodium_memzero(token, sizeof token);
    sg_app_close(&app);
    return rc;
}

static const sg_cmd_spec remove_spec = {
    "smsgate app remove ID|NAME [options]",
    "Remove an app account: its credentials stop working at once; the messages it\n"
    "sent stay, with their statistics.",
    base_opts, 1, 1};

static int app_remove(int argc, char **argv)
{
    base_only st = {0};
    sg_app app;
    sg_app_account a;
    int rc;
    if (!open_app(&remove_spec, &st, argc, argv, &app, &a, &rc))
        return rc;
    sg_error e = {0};
    rc = SG_EXIT_FAIL;
    if (sg_store_app_delete(app.store, a.id, &e)) {
        fprintf(stderr, "smsgate: cannot remove the app: %s\n", e.message);
    } else {
        audit(&app, "app.remove", &a);
        fprintf(stderr, "removed %s (%s)\n", a.id, a.name);
        rc = SG_EXIT_OK;
    }
    sg_app_close(&app);
    return rc;
}

static const sg_command app_verbs[] = {
    {"create", "create an app account (token printed once)", app_create},
    {"list", "list the app accounts (no tokens)", app_list},
    {"show", "show an app account as JSON", app_show},
    {"edit", "change an app account", app_edit},
    {"rotate", "give an app account a new token (printed once)", app_rotate},
    {"remove", "remove an app account", app_remove},
    {NULL, NULL, NULL},
};

int sg_cmd_app(int argc, char **argv)
{
    return sg_cli_verbs("smsgate app create|list|show|edit|rotate|remove [ARGS] [options]",
                        app_verbs, argc, argv);
}
