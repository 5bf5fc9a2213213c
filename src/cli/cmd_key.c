/* smsgate key create | list | revoke | edit: API keys, on the store directly (no
 * server needed). A revocation or a change of limits made here reaches a running
 * `serve` on the same database within about a second (api/auth.c polls the keys
 * generation). */
#include "api/auth.h"
#include "cli/cli.h"
#include "core/country_set.h"
#include "cli/common.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct key_settings {
    sg_base_settings base;
    char role[16];
    char name[128];
    char countries[200];
    unsigned daily_quota;
} key_settings;

static const sg_opt create_opts[] = {
    SG_BASE_OPTS(key_settings),
    {"role", NULL, NULL, SG_OPT_STR, offsetof(key_settings, role),
     sizeof(((key_settings *)0)->role), "ROLE",
     "admin (everything), sender (send and read) or viewer (read only)"},
    {"name", NULL, "", SG_OPT_STR, offsetof(key_settings, name), sizeof(((key_settings *)0)->name),
     "NAME", "a label to recognise the key by"},
    {"countries", NULL, "", SG_OPT_STR, offsetof(key_settings, countries),
     sizeof(((key_settings *)0)->countries), "CC,CC",
     "destination countries the key may send to, e.g. GB,IE (default: all the deployment allows)"},
    {"daily-quota", NULL, "0", SG_OPT_UINT, offsetof(key_settings, daily_quota), 0, "N",
     "messages the key may send per UTC day (0: no quota)"},
    SG_OPT_END,
};
static const sg_cmd_spec create_spec = {
    "smsgate key create --role admin|sender|viewer [--name NAME] [--countries CC,CC] "
    "[--daily-quota N] [options]",
    "Create an API key. The key is printed once, alone on the last line; only its hash\n"
    "is stored, so it cannot be shown again.",
    create_opts, 0, 0};

static int key_create(int argc, char **argv)
{
    key_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_role role;
    if (!st.role[0] || !sg_role_parse(st.role, &role)) {
        fprintf(stderr, "smsgate: --role must be admin, sender or viewer\n");
        return SG_EXIT_USAGE;
    }
    sg_key_limits limits = {.daily_quota = st.daily_quota};
    sg_country_set countries;
    char bad[16];
    if (!sg_country_set_parse(st.countries, &countries, bad)) {
        fprintf(stderr, "smsgate: --countries: '%s' is not a two-letter region such as GB\n",
                bad);
        return SG_EXIT_USAGE;
    }
    sg_country_set_format(&countries, limits.countries, sizeof limits.countries);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, true, &app)))
        return rc;
    char key[SG_KEY_TEXT_MAX];
    sg_api_key row;
    sg_error e = {0};
    sg_err err = sg_key_create(app.store, role, st.name, key, &row, &e);
    if (!err) { /* its name and role, never the key text (as the API's key.create) */
        json_t *d = json_pack("{s:s, s:s}", "name", row.name, "role", row.role);
        char *detail = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        sg_cli_audit(&app, "key.create", row.id, detail);
        free(detail);
        json_decref(d);
    }
    if (!err && (limits.countries[0] || limits.daily_quota)) /* the key is shown only after */
        err = sg_store_key_limits_set(app.store, row.id, &limits, &e);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot create the key: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    fprintf(stderr, "created %s key %s (%s); store it now, it is not shown again:\n", row.role,
            row.id, row.name);
    printf("%s\n", key);
    return SG_EXIT_OK;
}

typedef struct base_only {
    sg_base_settings base;
} base_only;

static const sg_opt base_opts[] = {SG_BASE_OPTS(base_only), SG_OPT_END};
static const sg_cmd_spec list_spec = {
    "smsgate key list [options]",
    "List the API keys that are not revoked, oldest first: id, role, the key's\n"
    "non-secret prefix (how a key's text starts), when it was created and last used\n"
    "(recorded at most once a minute). Secrets are never shown.",
    base_opts, 0, 0};

static int key_list(int argc, char **argv)
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
    sg_api_key *keys = NULL;
    size_t n = 0;
    sg_err err = sg_store_key_list(app.store, &keys, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list the keys: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    printf("%-30s %-6s %-32s %-24s %-24s %s\n", "ID", "ROLE", "PREFIX", "CREATED", "LAST_USED",
           "NAME");
    for (size_t i = 0; i < n; i++) {
        char prefix[SG_KEY_PREFIX_MAX], created[SG_TIME_STR_MAX], used[SG_TIME_STR_MAX];
        sg_key_prefix(keys[i].id, prefix);
        printf("%-30s %-6s %-32s %-24s %-24s %s\n", keys[i].id, keys[i].role, prefix,
               sg_cli_time(keys[i].created_at, created), sg_cli_time(keys[i].last_used_at, used),
               keys[i].name);
    }
    free(keys);
    return SG_EXIT_OK;
}

/* Whether id looks like a key id; false after one line on stderr. */
static bool key_id_valid(const char *id)
{
    if (strlen(id) < SG_ID_MAX && sg_id_valid("key", id))
        return true;
    fprintf(stderr, "smsgate: no key %.64s (ids look like key_..., see 'smsgate key list')\n", id);
    return false;
}

static const sg_cmd_spec revoke_spec = {
    "smsgate key revoke ID [options]",
    "Revoke an API key (ID as `key list` shows it, key_...): it stops working at once\n"
    "for new servers and within about a second for running ones on this database.",
    base_opts, 1, 1};

static int key_revoke(int argc, char **argv)
{
    base_only st = {0};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&revoke_spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    if (!key_id_valid(id)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    sg_error e = {0};
    sg_err err = sg_store_key_revoke(app.store, id, sg_time_now_ms(), &e);
    if (!err)
        sg_cli_audit(&app, "key.revoke", id, NULL);
    sg_app_close(&app);
    if (err == SG_ERR_NOT_FOUND) {
        fprintf(stderr, "smsgate: no key %s (or it is already revoked)\n", id);
        return SG_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr, "smsgate: cannot revoke the key: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    fprintf(stderr, "revoked %s\n", id);
    return SG_EXIT_OK;
}

static const sg_opt edit_opts[] = {
    SG_BASE_OPTS(key_settings),
    {"countries", NULL, NULL, SG_OPT_STR, offsetof(key_settings, countries),
     sizeof(((key_settings *)0)->countries), "CC,CC",
     "destination countries the key may send to ('' for all the deployment allows)"},
    {"daily-quota", NULL, NULL, SG_OPT_UINT, offsetof(key_settings, daily_quota), 0, "N",
     "messages the key may send per UTC day (0: no quota)"},
    SG_OPT_END,
};
static const sg_cmd_spec edit_spec = {
    "smsgate key edit ID [--countries CC,CC] [--daily-quota N] [options]",
    "Change an API key's send limits; a limit not given stays as it is. Running servers\n"
    "on this database apply the change within about a second (as a revocation).",
    edit_opts, 1, 1};

#define UNSET_QUOTA 0xffffffffu /* --daily-quota not given */

/* The key's new limits into *l: its stored ones with the flags given applied;
 * false after one line on stderr. */
static bool edited_limits(const sg_api_key *key, const key_settings *st, sg_key_limits *l)
{
    snprintf(l->countries, sizeof l->countries, "%s", key->countries);
    l->daily_quota = st->daily_quota == UNSET_QUOTA ? key->daily_quota : st->daily_quota;
    if (st->countries[0] == '\x01')
        return true;
    sg_country_set set;
    char bad[16];
    if (!sg_country_set_parse(st->countries, &set, bad)) {
        fprintf(stderr, "smsgate: --countries: '%s' is not a two-letter region such as GB\n",
                bad);
        return false;
    }
    sg_country_set_format(&set, l->countries, sizeof l->countries);
    return true;
}

static int key_edit(int argc, char **argv)
{
    key_settings st = {.countries = "\x01", .daily_quota = UNSET_QUOTA};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&edit_spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    if (st.countries[0] == '\x01' && st.daily_quota == UNSET_QUOTA) {
        sg_app_close(&app);
        return sg_cli_usage_error(argv[0], "give --countries or --daily-quota (or both)");
    }
    sg_api_key key;
    sg_key_limits limits;
    sg_error e = {0};
    rc = SG_EXIT_FAIL;
    if (!key_id_valid(id) || !sg_cli_found(sg_store_key_get(app.store, id, &key), "key", id))
        goto out;
    if (!edited_limits(&key, &st, &limits)) {
        rc = SG_EXIT_USAGE;
        goto out;
    }
    if (sg_store_key_limits_set(app.store, id, &limits, &e)) {
        fprintf(stderr, "smsgate: cannot change the key: %s\n", e.message);
        goto out;
    }
    sg_cli_audit(&app, "key.update", id, NULL);
    fprintf(stderr, "%s: countries %s, daily quota %lld\n", id,
            limits.countries[0] ? limits.countries : "all", (long long)limits.daily_quota);
    rc = SG_EXIT_OK;
out:
    sg_app_close(&app);
    return rc;
}

static const sg_command key_verbs[] = {
    {"create", "create a key (printed once)", key_create},
    {"list", "list the keys that are not revoked (no secrets)", key_list},
    {"revoke", "revoke a key by id", key_revoke},
    {"edit", "change a key's countries or daily quota", key_edit},
    {NULL, NULL, NULL},
};

int sg_cmd_key(int argc, char **argv)
{
    return sg_cli_verbs("smsgate key create|list|revoke|edit [ARGS] [options]", key_verbs, argc,
                        argv);
}
