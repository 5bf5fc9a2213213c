/* smsgate provider add|list|show|edit|remove|test */
#include "api/accept.h"
#include "api/provider_admin.h"
#include "cli/cli.h"
#include "cli/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct provider_settings {
    sg_base_settings base;
    char name[64];
    char kind[32];
    char title[128];
    char config[4096];
    char config_file[1024];
    char account_sid[64];
    char auth_token[160];
    char api_key_sid[64];
    char api_key_secret[160];
    char from[2048];
    char messaging_service_sid[64];
    char base_url[512];
    double mps;
    char retry_for[24];
    char active[8];
    bool make_default;
    char to[64];
    char body[1024];
} provider_settings;

#define S provider_settings
#define STR(field, flag, metavar, help)                                                            \
    {                                                                                              \
        flag, NULL, "", SG_OPT_STR, offsetof(S, field), sizeof(((S *)0)->field), metavar, help     \
    }
static const sg_opt provider_opts[] = {
    SG_BASE_OPTS(S),
    STR(name, "name", "NAME", "add: the provider's name (a-z, 0-9, - and _)"),
    STR(kind, "kind", "KIND", "add: twilio"),
    STR(title, "title", "TEXT", "a description"),
    STR(config, "config", "JSON", "the whole config object as JSON"),
    STR(config_file, "config-file", "PATH", "read the config object from a JSON file"),
    STR(account_sid, "account-sid", "AC...", "twilio: Account SID"),
    STR(auth_token, "auth-token", "TOKEN",
        "twilio: Auth Token (prefer --config-file: "
        "arguments are visible to other users)"),
    STR(api_key_sid, "api-key-sid", "SK...", "twilio: API Key SID"),
    STR(api_key_secret, "api-key-secret", "SECRET", "twilio: API Key secret"),
    STR(from, "from", "SENDERS", "sender numbers, '+1...|+1...'"),
    STR(messaging_service_sid, "messaging-service-sid", "MG...", "twilio: Messaging Service"),
    STR(base_url, "base-url", "URL", "the provider's API base URL"),
    {"mps", NULL, "0", SG_OPT_DOUBLE, offsetof(S, mps), 0, "N", "sends per second per sender"},
    STR(retry_for, "retry-for", "SECONDS",
        "retry failed sends for this long after the first attempt (default 86400)"),
    STR(active, "active", "true|false", "edit: activate or deactivate"),
    {"default", NULL, NULL, SG_OPT_BOOL, offsetof(S, make_default), 0, NULL,
     "make it the default provider"},
    STR(to, "to", "NUMBER", "test: recipient"),
    STR(body, "body", "TEXT", "test: message text"),
    SG_OPT_END,
};
#undef STR
#undef S

static const sg_cmd_spec provider_spec = {
    "smsgate provider add|list|show|edit|remove|test [NAME] [options]",
    "Manage providers in the store (a running server picks changes up within a second).\n"
    "  add --name N --kind twilio [--account-sid AC.. --auth-token T | --config-file F] ...\n"
    "  list | show NAME | remove NAME\n"
    "  edit NAME [--title T] [--active true|false] [--default] [config flags]\n"
    "  test NAME --to NUMBER [--body TEXT]   queue a test message through NAME\n"
    "Secrets are encrypted at rest and shown masked.",
    provider_opts, 1, 2};

/* The config object from --config / --config-file and the per-field flags. */
static json_t *config_from(const provider_settings *st, bool *bad)
{
    json_t *c = NULL;
    json_error_t jerr;
    *bad = false;
    if (st->config[0]) {
        c = json_loads(st->config, 0, &jerr);
        if (!json_is_object(c)) {
            fprintf(stderr, "smsgate: --config is not a JSON object: %s\n", jerr.text);
            json_decref(c);
            *bad = true;
            return NULL;
        }
    } else if (st->config_file[0]) {
        c = json_load_file(st->config_file, 0, &jerr);
        if (!json_is_object(c)) {
            fprintf(stderr, "smsgate: %s: not a JSON object: %s\n", st->config_file, jerr.text);
            json_decref(c);
            *bad = true;
            return NULL;
        }
    }
    const struct {
        const char *key;
        const char *val;
    } fields[] = {
        {"account_sid", st->account_sid},
        {"auth_token", st->auth_token},
        {"api_key_sid", st->api_key_sid},
        {"api_key_secret", st->api_key_secret},
        {"from", st->from},
        {"messaging_service_sid", st->messaging_service_sid},
        {"base_url", st->base_url},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (!fields[i].val[0])
            continue;
        if (!c)
            c = json_object();
        json_object_set_new(c, fields[i].key, json_string(fields[i].val));
    }
    if (st->mps > 0) {
        if (!c)
            c = json_object();
        json_object_set_new(c, "mps", json_real(st->mps));
    }
    if (st->retry_for[0]) {
        /* A number when it is one; the driver's config check words the error. */
        size_t len = strlen(st->retry_for);
        bool digits = strspn(st->retry_for, "0123456789") == len && len <= 18;
        if (!c)
            c = json_object();
        json_object_set_new(c, "retry_for_seconds",
                            digits ? json_integer(strtoll(st->retry_for, NULL, 10))
                                   : json_string(st->retry_for));
    }
    return c;
}

static int fail(const sg_reject *rej)
{
    fprintf(stderr, "smsgate: %s%s%s\n", rej->field[0] ? rej->field : "", rej->field[0] ? ": " : "",
            rej->detail);
    /* Input the command line gave that cannot work is a usage error; a missing
     * provider, a conflict or a store failure is a failure. */
    return rej->status == 400 ? SG_EXIT_USAGE : SG_EXIT_FAIL;
}

static void print_table(json_t *list)
{
    json_t *data = json_object_get(list, "data");
    printf("%-30s %-20s %-8s %-7s %-7s %s\n", "ID", "NAME", "KIND", "ACTIVE", "DEFAULT", "TITLE");
    size_t i;
    json_t *p;
    json_array_foreach(data, i, p)
    {
        printf("%-30s %-20s %-8s %-7s %-7s %s\n", json_string_value(json_object_get(p, "id")),
               json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "kind")),
               json_is_true(json_object_get(p, "active")) ? "yes" : "no",
               json_is_true(json_object_get(p, "default")) ? "yes" : "no",
               json_string_value(json_object_get(p, "title")));
    }
}

int sg_cmd_provider(int argc, char **argv)
{
    provider_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&provider_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    char verb[16], target[128] = "";
    snprintf(verb, sizeof verb, "%s", args[0]);
    if (nargs > 1)
        snprintf(target, sizeof target, "%s", args[1]);
    free(args);
    static const char *const verbs[] = {"add", "list", "show", "edit", "remove", "test", NULL};
    static const bool needs_target[] = {false, false, true, true, true, true};
    int v = 0;
    while (verbs[v] && strcmp(verbs[v], verb) != 0)
        v++;
    if (!verbs[v]) {
        fprintf(stderr, "smsgate: unknown provider command '%s' (usage: %s)\n", verb,
                provider_spec.usage);
        return SG_EXIT_USAGE;
    }
    if (needs_target[v] && !target[0]) {
        fprintf(stderr, "smsgate: provider %s needs a provider name or id\n", verb);
        return SG_EXIT_USAGE;
    }
    bool bad;
    json_t *config = config_from(&st, &bad);
    if (bad)
        return SG_EXIT_USAGE;
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, true, &app))) {
        json_decref(config);
        return rc;
    }
    sg_reject rej;
    json_t *view = NULL;
    rc = SG_EXIT_OK;
    if (strcmp(verb, "add") == 0) {
        json_t *in = json_pack("{s:s, s:s}", "name", st.name, "kind", st.kind[0] ? st.kind : "");
        if (st.title[0])
            json_object_set_new(in, "title", json_string(st.title));
        if (st.make_default)
            json_object_set_new(in, "default", json_true());
        if (st.active[0])
            json_object_set_new(in, "active", json_boolean(strcmp(st.active, "false") != 0));
        if (config)
            json_object_set(in, "config", config);
        if (!st.name[0]) {
            fprintf(stderr, "smsgate: provider add needs --name\n");
            rc = SG_EXIT_USAGE;
        } else if (sg_provider_admin_create(&app, in, &view, &rej)) {
            sg_cli_print_json(view);
        } else {
            rc = fail(&rej);
        }
        json_decref(in);
    } else if (strcmp(verb, "list") == 0) {
        if (sg_provider_admin_list(&app, &view, &rej)) {
            print_table(view);
            json_decref(view);
        } else {
            rc = fail(&rej);
        }
    } else if (strcmp(verb, "show") == 0) {
        if (sg_provider_admin_show(&app, target, &view, &rej))
            sg_cli_print_json(view);
        else
            rc = fail(&rej);
    } else if (strcmp(verb, "edit") == 0) {
        json_t *patch = json_object();
        if (st.title[0])
            json_object_set_new(patch, "title", json_string(st.title));
        if (st.make_default)
            json_object_set_new(patch, "default", json_true());
        if (st.active[0]) {
            if (strcmp(st.active, "true") != 0 && strcmp(st.active, "false") != 0) {
                fprintf(stderr, "smsgate: --active must be true or false\n");
                rc = SG_EXIT_USAGE;
            }
            json_object_set_new(patch, "active", json_boolean(strcmp(st.active, "true") == 0));
        }
        if (st.name[0])
            json_object_set_new(patch, "name", json_string(st.name));
        if (config)
            json_object_set(patch, "config", config);
        if (!rc) {
            if (sg_provider_admin_update(&app, target, patch, &view, &rej))
                sg_cli_print_json(view);
            else
                rc = fail(&rej);
        }
        json_decref(patch);
    } else if (strcmp(verb, "remove") == 0) {
        if (sg_provider_admin_delete(&app, target, &rej))
            fprintf(stderr, "removed provider %s\n", target);
        else
            rc = fail(&rej);
    } else { /* test */
        if (!st.to[0]) {
            fprintf(stderr, "smsgate: provider test needs --to NUMBER\n");
            rc = SG_EXIT_USAGE;
        } else {
            sg_app_close(&app);
            json_decref(config);
            /* Same path as `smsgate send --provider NAME`. */
            char body[1200];
            snprintf(body, sizeof body, "%s", st.body[0] ? st.body : "Test message from smsgate.");
            char *sargv[] = {"send",       "--db", st.base.db, "--to", st.to,
                             "--provider", target, body,       NULL};
            if (st.base.default_region[0]) {
                /* keep national numbers working */
                setenv("SMSGATE_DEFAULT_REGION", st.base.default_region, 1);
            }
            return sg_cmd_send(8, sargv);
        }
    }
    json_decref(config);
    sg_app_close(&app);
    return rc;
}
