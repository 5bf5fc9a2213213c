/* smsgate provider add|list|show|edit|remove|test. The config flags come from the
 * kinds table (providers/provider.h): every key a kind's config takes is a flag
 * (--account-sid for account_sid), listed per kind by --help. */
#include "api/accept.h"
#include "api/provider_admin.h"
#include "api/send_wait.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CFG_FLAGS_MAX   32   /* distinct config keys over every kind */
#define CFG_VALUE_MAX   2048 /* bytes of one config flag's value */
#define FIXED_OPTS_MAX  24
#define TEST_WAIT_DFLT  "30"
#define TEST_WAIT_MAX   600
#define TEST_POLL_MS    200

typedef struct provider_settings {
    sg_base_settings base;
    char name[64];
    char kind[32];
    char title[128];
    char config[4096];
    char config_file[1024];
    char active[8];
    bool make_default;
    char to[64];
    char body[1024];
    unsigned wait;
    bool no_wait;
    bool json;
    char retry_for[24];
    /* the per-kind config flags, in the order of cfg_keys; "" = not given */
    char values[CFG_FLAGS_MAX][CFG_VALUE_MAX];
} provider_settings;

#define S provider_settings
#define STR(field, flag, metavar, help)                                                            \
    {                                                                                              \
        flag, NULL, "", SG_OPT_STR, offsetof(S, field), sizeof(((S *)0)->field), metavar, help     \
    }
static const sg_opt fixed_opts[] = {
    SG_BASE_OPTS(S),
    STR(name, "name", "NAME", "add: the provider's name (a-z, 0-9, - and _)"),
    STR(kind, "kind", "KIND", "add: the provider's kind (below)"),
    STR(title, "title", "TEXT", "a description"),
    STR(config, "config", "JSON", "the whole config object as JSON"),
    STR(config_file, "config-file", "PATH", "read the config object from a JSON file"),
    STR(active, "active", "true|false", "edit: activate or deactivate"),
    {"default", NULL, NULL, SG_OPT_BOOL, offsetof(S, make_default), 0, NULL,
     "make it the default provider"},
    STR(to, "to", "NUMBER", "test: recipient"),
    STR(body, "body", "TEXT", "test: message text"),
    {"wait", NULL, TEST_WAIT_DFLT, SG_OPT_UINT, offsetof(S, wait), 0, "SECS",
     "test: wait this long for the message to be delivered or fail (1 to 600)"},
    {"no-wait", NULL, NULL, SG_OPT_BOOL, offsetof(S, no_wait), 0, NULL,
     "test: only queue the message and print its id"},
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL,
     "list, test, kinds: print JSON instead of a table"},
    STR(retry_for, "retry-for", "SECONDS",
        "add, edit: retry failed sends for this long after the first attempt (every kind; "
        "default 86400)"),
};
#undef STR
#undef S

/* The config keys of every kind, each once (first description wins), and the
 * option table: the fixed options, then one flag per key (no help line of its
 * own: --help lists them under each kind). */
static const sg_config_key *cfg_keys[CFG_FLAGS_MAX];
static size_t n_cfg_keys;
static char cfg_flag_names[CFG_FLAGS_MAX][40];
static sg_opt opts[FIXED_OPTS_MAX + CFG_FLAGS_MAX + 1];

static void flag_name(const char *key, char out[40])
{
    snprintf(out, 40, "%s", key);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = '-';
}

static void build_opts(void)
{
    size_t n = 0;
    for (; n < sizeof fixed_opts / sizeof fixed_opts[0]; n++)
        opts[n] = fixed_opts[n];
    n_cfg_keys = 0;
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        for (const sg_config_key *c = (*k)->config_keys; c && c->key; c++) {
            size_t i = 0;
            while (i < n_cfg_keys && strcmp(cfg_keys[i]->key, c->key) != 0)
                i++;
            if (i < n_cfg_keys || n_cfg_keys == CFG_FLAGS_MAX)
                continue;
            cfg_keys[n_cfg_keys] = c;
            flag_name(c->key, cfg_flag_names[n_cfg_keys]);
            opts[n++] = (sg_opt){cfg_flag_names[n_cfg_keys],
                                 NULL,
                                 "",
                                 SG_OPT_STR,
                                 offsetof(provider_settings, values) + n_cfg_keys * CFG_VALUE_MAX,
                                 CFG_VALUE_MAX,
                                 c->metavar,
                                 NULL};
            n_cfg_keys++;
        }
    }
    opts[n] = (sg_opt)SG_OPT_END;
}

static const sg_cmd_spec provider_spec = {
    "smsgate provider add|list|show|edit|remove|test [NAME] [options]",
    "Manage providers in the store (a running server picks changes up within a second).\n"
    "  add --name N --kind KIND [config flags | --config-file F] [--default]\n"
    "  list [--json] | show NAME | remove NAME\n"
    "  kinds [KIND] [--json]: the kinds, their config fields and help (no database)\n"
    "  edit NAME [--title T] [--active true|false] [--default] [config flags]\n"
    "  test NAME --to NUMBER [--body TEXT] [--wait SECS | --no-wait] [--json]\n"
    "       send a test message through NAME and wait (30 s by default) until it is\n"
    "       delivered or fails; a running `smsgate serve` on the database sends it.\n"
    "       Exits 1 when it failed or was not sent in time.\n"
    "  prices set NAME FILE|-: replace NAME's prices with a CSV of country,price,currency\n"
    "  prices show NAME [--json]: print them (docs/routing.md, \"Prices\")\n"
    "Secrets are encrypted at rest and shown masked.",
    opts, 1, 4};

/* Append the flag of every key of kind k in one_of group g (the text before
 * ':'), option by option: "--auth-token; --api-key-sid with --api-key-secret". */
static void group_flags(const sg_provider_kind *k, const char *one_of, char *out, size_t size)
{
    size_t glen = strcspn(one_of, ":");
    const char *done[CFG_FLAGS_MAX]; /* options listed already */
    size_t n_done = 0;
    for (const sg_config_key *c = k->config_keys; c && c->key; c++) {
        const char *o = c->one_of;
        if (!o || strncmp(o, one_of, glen) != 0 || o[glen] != ':')
            continue;
        size_t i = 0;
        while (i < n_done && strcmp(done[i], o) != 0)
            i++;
        if (i < n_done || n_done == CFG_FLAGS_MAX)
            continue;
        done[n_done++] = o;
        for (const sg_config_key *m = c; m->key; m++) {
            if (!m->one_of || strcmp(m->one_of, o) != 0)
                continue;
            char name[40];
            flag_name(m->key, name);
            size_t used = strlen(out);
            snprintf(out + used, size - used, "%s--%s",
                     m == c ? (n_done > 1 ? "; " : "") : " with ", name);
        }
    }
}

/* A config key's --help line, made from its row: the help, then what its flags,
 * default and alternatives say. */
static void key_help(const sg_provider_kind *k, const sg_config_key *c, char *out, size_t size)
{
    snprintf(out, size, "%s", c->help);
    size_t used = strlen(out);
    if (c->flags & SG_CONFIG_REQUIRED)
        snprintf(out + used, size - used, " (required)");
    used = strlen(out);
    if (c->one_of) {
        snprintf(out + used, size - used, " (one of: ");
        group_flags(k, c->one_of, out, size);
        used = strlen(out);
        snprintf(out + used, size - used, ")");
    }
    used = strlen(out);
    if (c->def)
        snprintf(out + used, size - used, " (default %s)", c->def);
    used = strlen(out);
    if (c->flags & SG_CONFIG_SECRET)
        snprintf(out + used, size - used,
                 " (a secret: prefer --config-file; arguments are visible to other users)");
}

/* The kinds and their config flags, after the options (--help). */
static void kinds_help(void)
{
    printf("\nkinds (--kind) and their config flags:\n");
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        printf("  %s\n", (*k)->name);
        for (const sg_config_key *c = (*k)->config_keys; c && c->key; c++) {
            char name[40], flag[64], help[1024];
            flag_name(c->key, name);
            snprintf(flag, sizeof flag, "--%s %s", name, c->metavar);
            key_help(*k, c, help, sizeof help);
            printf("    %-30s %s\n", flag, help);
        }
    }
}

/* A config flag's text as the JSON value its key takes; NULL after saying why
 * on stderr. */
static json_t *flag_value(const sg_config_key *c, const char *text)
{
    if (c->type == SG_CONFIG_NUMBER) {
        char *end;
        double d = strtod(text, &end);
        if (end != text && !*end)
            return json_real(d);
    } else if (c->type == SG_CONFIG_BOOL) {
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0)
            return json_true();
        if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0)
            return json_false();
    } else if (c->type == SG_CONFIG_LIST) {
        json_t *list = json_array();
        for (const char *p = text; list && *p;) {
            size_t len = strcspn(p, ",");
            if (len)
                json_array_append_new(list, json_stringn(p, len));
            p += len + (p[len] == ',');
        }
        return list;
    } else {
        return json_string(text);
    }
    char name[40];
    flag_name(c->key, name);
    fprintf(stderr, "smsgate: --%s must be %s, not '%s'\n", name,
            c->type == SG_CONFIG_NUMBER ? "a number" : "true or false", text);
    return NULL;
}

/* The config object from --config / --config-file and the per-kind flags. */
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
    for (size_t i = 0; i < n_cfg_keys; i++) {
        if (!st->values[i][0])
            continue;
        json_t *v = flag_value(cfg_keys[i], st->values[i]);
        if (!v) {
            json_decref(c);
            *bad = true;
            return NULL;
        }
        if (!c)
            c = json_object();
        json_object_set_new(c, cfg_keys[i]->key, v);
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
    /* A flag value that cannot work is a usage error; a missing provider, a
     * conflict or a store failure is a failure. */
    return rej->status == 400 ? SG_EXIT_USAGE : SG_EXIT_FAIL;
}

static void print_table(json_t *list)
{
    json_t *data = json_object_get(list, "data");
    printf("%-30s %-20s %-20s %-7s %-7s %s\n", "ID", "NAME", "KIND", "ACTIVE", "DEFAULT", "TITLE");
    size_t i;
    json_t *p;
    json_array_foreach(data, i, p)
    {
        printf("%-30s %-20s %-20s %-7s %-7s %s\n", json_string_value(json_object_get(p, "id")),
               json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "kind")),
               json_is_true(json_object_get(p, "active")) ? "yes" : "no",
               json_is_true(json_object_get(p, "default")) ? "yes" : "no",
               json_string_value(json_object_get(p, "title")));
    }
}

/* ---- the verbs ------------------------------------------------------------------- */

typedef struct verb_ctx {
    sg_app *app;
    const provider_settings *st;
    const char *target;
    json_t *config; /* may be NULL */
    const char *const *words; /* the arguments after the verb (prices), n_words of them */
    size_t n_words;
} verb_ctx;

/* Audit a provider write as the API does (api/provider_admin.h), actor "cli". */
static void audit(sg_app *app, const char *action, const json_t *view, const json_t *in)
{
    char *detail = sg_provider_admin_audit_detail(action, view, in);
    sg_cli_audit(app, action, json_string_value(json_object_get(view, "id")), detail);
    free(detail);
}

static int verb_add(verb_ctx *v)
{
    const provider_settings *st = v->st;
    if (!st->name[0] || !st->kind[0])
        return sg_cli_usage_error("provider add", "provider add needs --name and --kind");
    json_t *in = json_pack("{s:s, s:s}", "name", st->name, "kind", st->kind);
    if (st->title[0])
        json_object_set_new(in, "title", json_string(st->title));
    if (st->make_default)
        json_object_set_new(in, "default", json_true());
    if (st->active[0])
        json_object_set_new(in, "active", json_boolean(strcmp(st->active, "false") != 0));
    if (v->config)
        json_object_set(in, "config", v->config);
    json_t *view = NULL;
    sg_reject rej;
    int rc = SG_EXIT_OK;
    if (sg_provider_admin_create(v->app, in, &view, &rej)) {
        audit(v->app, "provider.create", view, in);
        sg_cli_print_json(view);
    } else {
        rc = fail(&rej);
    }
    json_decref(in);
    return rc;
}

static int verb_list(verb_ctx *v)
{
    json_t *view = NULL;
    sg_reject rej;
    if (!sg_provider_admin_list(v->app, &view, &rej))
        return fail(&rej);
    if (v->st->json) {
        sg_cli_print_json(view);
    } else {
        print_table(view);
        json_decref(view);
    }
    return SG_EXIT_OK;
}

static int verb_show(verb_ctx *v)
{
    json_t *view = NULL;
    sg_reject rej;
    if (!sg_provider_admin_show(v->app, v->target, &view, &rej))
        return fail(&rej);
    sg_cli_print_json(view);
    return SG_EXIT_OK;
}

static int verb_edit(verb_ctx *v)
{
    const provider_settings *st = v->st;
    json_t *patch = json_object();
    if (st->title[0])
        json_object_set_new(patch, "title", json_string(st->title));
    if (st->make_default)
        json_object_set_new(patch, "default", json_true());
    if (st->active[0])
        json_object_set_new(patch, "active", json_boolean(strcmp(st->active, "true") == 0));
    if (st->name[0])
        json_object_set_new(patch, "name", json_string(st->name));
    if (v->config)
        json_object_set(patch, "config", v->config);
    json_t *view = NULL;
    sg_reject rej;
    int rc = SG_EXIT_OK;
    if (sg_provider_admin_update(v->app, v->target, patch, &view, &rej)) {
        audit(v->app, sg_provider_admin_update_action(patch), view, patch);
        sg_cli_print_json(view);
    } else {
        rc = fail(&rej);
    }
    json_decref(patch);
    return rc;
}

static int verb_remove(verb_ctx *v)
{
    sg_reject rej;
    json_t *view = NULL; /* for the id when the target is a name */
    if (!sg_provider_admin_show(v->app, v->target, &view, &rej) ||
        !sg_provider_admin_delete(v->app, v->target, &rej)) {
        json_decref(view);
        return fail(&rej);
    }
    audit(v->app, "provider.delete", view, NULL);
    json_decref(view);
    fprintf(stderr, "removed provider %s\n", v->target);
    return SG_EXIT_OK;
}

/* Poll the store for m's outcome until it has one or wait_s seconds pass; m is
 * refreshed with what was read last. Returns the outcome (send_wait.h). */
static const char *wait_outcome(sg_app *app, sg_message *m, unsigned wait_s)
{
    int64_t deadline = sg_time_mono_ms() + (int64_t)wait_s * 1000;
    for (;;) {
        bool over = sg_time_mono_ms() >= deadline;
        sg_message now;
        if (sg_store_message_get(app->store, m->id, &now) == SG_OK) {
            sg_message_free(m);
            *m = now;
        }
        const char *outcome = sg_send_wait_outcome(m->status, over);
        if (outcome)
            return outcome;
        struct timespec ts = {0, TEST_POLL_MS * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* The test's outcome on stdout: a few labelled lines, or the API's JSON. */
static void print_outcome(const char *db, const sg_message *m, const char *outcome,
                          const char *provider, unsigned wait_s, bool json)
{
    bool failed = strcmp(outcome, "failed") == 0;
    if (json) {
        json_t *j = json_pack("{s:o, s:s}", "message", sg_message_json(m, NULL, 0, provider),
                              "outcome", outcome);
        if (failed && m->error_code[0])
            json_object_set_new(j, "error_code", json_string(m->error_code));
        if (failed && m->error_message && m->error_message[0])
            json_object_set_new(j, "error_message", json_string(m->error_message));
        sg_cli_print_json(j);
        return;
    }
    char what[1400];
    if (failed)
        snprintf(what, sizeof what, "%s%s%s", m->error_code, m->error_code[0] ? " " : "",
                 m->error_message ? m->error_message : "");
    else if (strcmp(outcome, "sent") == 0)
        snprintf(what, sizeof what, "accepted by the provider; no delivery report within %u s",
                 wait_s);
    else if (strcmp(outcome, "pending") == 0) {
        char db_shown[512];
        sg_store_url_display(db, db_shown, sizeof db_shown);
        snprintf(what, sizeof what,
                 "not sent within %u s (status %s): is `smsgate serve` running on %s?", wait_s,
                 sg_status_name(m->status), db_shown);
    } else
        snprintf(what, sizeof what, "the provider reported it delivered");
    sg_cli_field("outcome", outcome);
    sg_cli_field("message", m->id);
    sg_cli_field("provider", provider);
    sg_cli_field("to", m->to);
    sg_cli_field("detail", what);
}

static int verb_test(verb_ctx *v)
{
    const provider_settings *st = v->st;
    if (!st->to[0])
        return sg_cli_usage_error("provider test", "provider test needs --to NUMBER");
    if (!st->no_wait && (st->wait == 0 || st->wait > TEST_WAIT_MAX))
        return sg_cli_usage_error("provider test", "--wait must be 1 to %d seconds",
                                  TEST_WAIT_MAX);
    char id[SG_ID_MAX] = "", name[64] = "";
    sg_provider_set *set = sg_registry_get(v->app->registry);
    const sg_provider *p = sg_provider_set_find(set, v->target);
    if (p) {
        snprintf(id, sizeof id, "%s", p->id);
        snprintf(name, sizeof name, "%s", p->name);
    }
    sg_registry_release(v->app->registry, set);
    if (!id[0]) {
        fprintf(stderr, "smsgate: no provider '%s'\n", v->target);
        return SG_EXIT_FAIL;
    }
    char body[1200];
    if (st->body[0])
        snprintf(body, sizeof body, "%s", st->body);
    else
        snprintf(body, sizeof body, "Test message from smsgate through provider %s.", name);
    json_t *obj = json_pack("{s:s, s:s, s:s}", "to", st->to, "body", body, "provider", id);
    if (!obj)
        return sg_cli_usage_error("provider test", "--body is not valid UTF-8");
    sg_message m;
    int rc = sg_cli_queue_message(v->app, obj, &m);
    json_decref(obj);
    if (rc)
        return rc;
    if (st->no_wait) {
        fprintf(stderr, "%s %s to %s through %s\n", sg_status_name(m.status), m.id, m.to, name);
        printf("%s\n", m.id);
        sg_message_free(&m);
        return SG_EXIT_OK;
    }
    const char *outcome = wait_outcome(v->app, &m, st->wait);
    print_outcome(st->base.db, &m, outcome, name, st->wait, st->json);
    rc = strcmp(outcome, "delivered") == 0 || strcmp(outcome, "sent") == 0 ? SG_EXIT_OK
                                                                            : SG_EXIT_FAIL;
    sg_message_free(&m);
    return rc;
}

/* provider kinds [KIND] [--json]: the kinds table, as GET /v1/provider-kinds
 * describes it; no database. */
static int verb_kinds(verb_ctx *v)
{
    const sg_provider_kind *one = v->target[0] ? sg_provider_kind_find(v->target) : NULL;
    if (v->target[0] && !one) {
        fprintf(stderr, "smsgate: no provider kind '%.64s' (see smsgate provider kinds)\n",
                v->target);
        return SG_EXIT_FAIL;
    }
    if (v->st->json) {
        json_t *data = json_array();
        for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
            if (!one || *k == one)
                json_array_append_new(data, sg_provider_kind_json(*k));
        }
        json_t *out = one ? json_incref(json_array_get(data, 0)) : json_pack("{s:O}", "data", data);
        sg_cli_print_json(out);
        json_decref(out);
        json_decref(data);
        return SG_EXIT_OK;
    }
    for (const sg_provider_kind *const *k = sg_provider_kinds(); *k; k++) {
        if (one && *k != one)
            continue;
        printf("%s (%s): %s\n  webhooks: %s\n", (*k)->name, (*k)->label, (*k)->description,
               sg_provider_kind_callback_auth(*k));
        for (const sg_config_key *c = (*k)->config_keys; c && c->key; c++) {
            char help[1024];
            key_help(*k, c, help, sizeof help);
            printf("  %-22s %-26s %s%s\n", c->key, c->label, help,
                   c->flags & SG_CONFIG_ADVANCED ? " [advanced]" : "");
        }
    }
    return SG_EXIT_OK;
}

typedef struct provider_verb {
    const char *name;
    bool needs_target;
    bool creates_db; /* may create the database where none exists */
    bool no_store;   /* runs without the database (v->app is NULL) */
    int (*run)(verb_ctx *v);
} provider_verb;

static int verb_prices(verb_ctx *v)
{
    return sg_cli_provider_prices(v->app, v->words, v->n_words, v->st->json);
}

static const provider_verb verbs[] = {
    {"add", false, true, false, verb_add},       {"list", false, false, false, verb_list},
    {"show", true, false, false, verb_show},     {"edit", true, false, false, verb_edit},
    {"remove", true, false, false, verb_remove}, {"test", true, false, false, verb_test},
    {"kinds", false, false, true, verb_kinds},   {"prices", true, false, false, verb_prices},
    {NULL, false, false, false, NULL},
};

int sg_cmd_provider(int argc, char **argv)
{
    static provider_settings st; /* large: the config flags' values */
    memset(&st, 0, sizeof st);
    build_opts();
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&provider_spec, &st, argc, argv, &args, &nargs);
    if (rc < 0)
        kinds_help();
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    char verb[16], target[128] = "";
    snprintf(verb, sizeof verb, "%s", args[0]);
    if (nargs > 1)
        snprintf(target, sizeof target, "%s", args[1]);
    const char *words[3] = {NULL, NULL, NULL}; /* point into argv */
    size_t n_words = nargs - 1;
    for (size_t i = 1; i < nargs; i++)
        words[i - 1] = args[i];
    free(args);
    if (n_words > 1 && strcmp(verb, "prices") != 0)
        return sg_cli_usage_error("provider", "provider %s takes one provider name or id", verb);
    const provider_verb *pv = verbs;
    while (pv->name && strcmp(pv->name, verb) != 0)
        pv++;
    if (!pv->name) {
        fprintf(stderr, "smsgate: unknown provider command '%s' (usage: %s)\n", verb,
                provider_spec.usage);
        return SG_EXIT_USAGE;
    }
    if (pv->needs_target && !target[0])
        return sg_cli_usage_error("provider", "provider %s needs a provider name or id", verb);
    if (st.active[0] && strcmp(st.active, "true") != 0 && strcmp(st.active, "false") != 0)
        return sg_cli_usage_error("provider", "--active must be true or false");
    bool bad;
    json_t *config = config_from(&st, &bad);
    if (bad)
        return SG_EXIT_USAGE;
    if (pv->no_store) {
        verb_ctx v = {.app = NULL, .st = &st, .target = target, .config = config};
        rc = pv->run(&v);
        json_decref(config);
        return rc;
    }
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, pv->creates_db, &app))) {
        json_decref(config);
        return rc;
    }
    verb_ctx v = {.app = &app,
                  .st = &st,
                  .target = target,
                  .config = config,
                  .words = words,
                  .n_words = n_words};
    rc = pv->run(&v);
    json_decref(config);
    sg_app_close(&app);
    return rc;
}
