/* smsgate stats: the figures of GET /v1/stats as a table (total, or by day,
 * provider or broadcast), and the display helpers `broadcast show` shares. */
#include "cli/cli.h"
#include "cli/common.h"
#include "providers/errors.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared display helpers ------------------------------------------------------- */

void sg_cli_field(const char *label, const char *value)
{
    printf("%-*s ", SG_CLI_LABEL_WIDTH, label);
    for (const char *p = value; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1])
            printf("%*s", SG_CLI_LABEL_WIDTH + 1, "");
    }
    putchar('\n');
}

const char *sg_cli_time(int64_t ms, char *out)
{
    if (ms == 0)
        snprintf(out, SG_TIME_STR_MAX, "-");
    else
        sg_time_format(ms, out, SG_TIME_STR_MAX);
    return out;
}

void sg_cli_rate(int64_t part, int64_t whole, char out[16])
{
    if (whole > 0)
        snprintf(out, 16, "%.1f%%", (double)part / (double)whole * 100.0);
    else
        snprintf(out, 16, "-");
}

/* What an error code means: smsgate's own codes, then the providers' catalogues
 * (the same lookup as the API's stats). NULL when unknown. */
void sg_cli_print_failures(const sg_stats *st, const char *key)
{
    bool any = false;
    for (size_t i = 0; i < st->n_errors; i++) {
        const sg_error_count *ec = &st->errors[i];
        if (strcmp(ec->key, key) != 0)
            continue;
        if (!any)
            printf("failures by error code:\n");
        any = true;
        const char *code = ec->code[0] ? ec->code : "unknown";
        const char *desc = sg_errcode_describe(ec->code);
        printf("  %-10s %8lld  %s\n", code, (long long)ec->count, desc ? desc : "");
    }
    if (!any)
        printf("failures by error code: none\n");
}

/* ---- stats ------------------------------------------------------------------------ */

typedef struct stats_settings {
    sg_base_settings base;
    char from[40];
    char to[40];
    char by[16];
    char provider[128];
} stats_settings;

#define S stats_settings
static const sg_opt stats_opts[] = {
    SG_BASE_OPTS(S),
    {"from", NULL, "", SG_OPT_STR, offsetof(S, from), sizeof(((S *)0)->from), "DATE",
     "messages created from this date (2026-11-01, UTC midnight) or RFC 3339 time"},
    {"to", NULL, "", SG_OPT_STR, offsetof(S, to), sizeof(((S *)0)->to), "DATE",
     "... up to, not including, this date or time"},
    {"by", NULL, "", SG_OPT_STR, offsetof(S, by), sizeof(((S *)0)->by), "day|provider|broadcast",
     "one row per UTC day, provider or broadcast, and a total (default: the total only)"},
    {"provider", NULL, "", SG_OPT_STR, offsetof(S, provider), sizeof(((S *)0)->provider), "NAME",
     "only the messages of this provider (name or id)"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec stats_spec = {
    "smsgate stats [--from DATE] [--to DATE] [--by day|provider|broadcast] [--provider NAME]\n"
    "              [options]",
    "Delivery figures of the outbound messages created in the period: recipients\n"
    "(broadcast recipients skipped or pending included), sent (accepted by the provider),\n"
    "delivered, undelivered, failed, replied and opted out (the recipient replied or\n"
    "opted out after the message, before the next one), clicked, the delivery rate\n"
    "(delivered / sent) and the click-through rate (clicked / sent); then failed and\n"
    "undelivered messages by error code. The rows add up to the total; (none) is the\n"
    "messages of no broadcast. With --provider, only that provider's messages (broadcast\n"
    "recipients that got no message are then not counted).",
    stats_opts, 0, 0};

/* A date (its midnight UTC) or an RFC 3339 time; 0 for "". false after a usage line. */
static bool time_flag(const char *flag, const char *text, int64_t *out)
{
    *out = 0;
    if (!text[0])
        return true;
    char buf[48];
    if (strlen(text) == 10) {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", text);
        text = buf;
    }
    if (!sg_time_parse(text, out)) {
        sg_cli_usage_error("stats", "--%s must be a date (2026-11-01) or an RFC 3339 time", flag);
        return false;
    }
    return true;
}

static void print_row(const sg_stats_row *r, const char *key, int width)
{
    char dr[16], ctr[16];
    sg_cli_rate(r->delivered, r->sent, dr);
    sg_cli_rate(r->clicked, r->sent, ctr);
    printf("%-*s %10lld %8lld %9lld %11lld %8lld %8lld %9lld %8lld %8s %7s\n", width, key,
           (long long)r->recipients, (long long)r->sent, (long long)r->delivered,
           (long long)r->undelivered, (long long)r->failed, (long long)r->replied,
           (long long)r->opted_out, (long long)r->clicked, dr, ctr);
}

/* The key as shown: a provider's name rather than its id when it is known. */
static const char *row_key(sg_app *app, sg_stats_group g, const char *key, char out[64])
{
    snprintf(out, 64, "%s", key[0] ? key : "(none)"); /* messages of no broadcast */
    if (g == SG_STATS_BY_PROVIDER) {
        sg_provider_set *set = sg_registry_get(app->registry);
        const sg_provider *p = sg_provider_set_find(set, key);
        if (p)
            snprintf(out, 64, "%s", p->name);
        sg_registry_release(app->registry, set);
    }
    return out;
}

/* The id of the provider named (or with the id) `name` into id; false after
 * saying there is none. */
static bool provider_id(sg_app *app, const char *name, char id[SG_ID_MAX])
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, name);
    if (p)
        snprintf(id, SG_ID_MAX, "%s", p->id);
    sg_registry_release(app->registry, set);
    if (!p)
        fprintf(stderr, "smsgate: no provider named '%.64s'\n", name);
    return p != NULL;
}

int sg_cmd_stats(int argc, char **argv)
{
    stats_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&stats_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    int64_t from, to;
    if (!time_flag("from", st.from, &from) || !time_flag("to", st.to, &to))
        return SG_EXIT_USAGE;
    static const struct {
        const char *name;
        sg_stats_group group;
    } bys[] = {{"", SG_STATS_TOTAL},
               {"day", SG_STATS_BY_DAY},
               {"provider", SG_STATS_BY_PROVIDER},
               {"broadcast", SG_STATS_BY_BROADCAST}};
    size_t b = 0;
    while (b < sizeof bys / sizeof bys[0] && strcmp(bys[b].name, st.by) != 0)
        b++;
    if (b == sizeof bys / sizeof bys[0]) {
        return sg_cli_usage_error("stats", "--by must be day, provider or broadcast");
    }
    sg_stats_group g = bys[b].group;
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_stats total = {0}, grouped = {0};
    char pid[SG_ID_MAX] = "";
    if (st.provider[0] && !provider_id(&app, st.provider, pid)) {
        rc = SG_EXIT_FAIL;
        goto out;
    }
    const char *only = pid[0] ? pid : NULL;
    sg_err err = sg_store_stats_provider(app.store, from, to, SG_STATS_TOTAL, only, &total);
    if (!err && g != SG_STATS_TOTAL)
        err = sg_store_stats_provider(app.store, from, to, g, only, &grouped);
    if (err || total.n == 0) {
        fprintf(stderr, "smsgate: cannot compute the stats: %s\n",
                sg_strerror(err ? err : SG_ERR_DB));
        rc = SG_EXIT_FAIL;
        goto out;
    }
    if (from || to) {
        char f[SG_TIME_STR_MAX], t[SG_TIME_STR_MAX];
        printf("messages created from %s to %s\n", from ? sg_cli_time(from, f) : "the start",
               to ? sg_cli_time(to, t) : "now");
    }
    int width = 8;
    char key[64];
    for (size_t i = 0; i < grouped.n; i++) {
        int len = (int)strlen(row_key(&app, g, grouped.rows[i].key, key));
        if (len > width)
            width = len;
    }
    printf("%-*s %10s %8s %9s %11s %8s %8s %9s %8s %8s %7s\n", width,
           g == SG_STATS_BY_DAY         ? "DAY"
           : g == SG_STATS_BY_PROVIDER  ? "PROVIDER"
           : g == SG_STATS_BY_BROADCAST ? "BROADCAST"
                                        : "",
           "RECIPIENTS", "SENT", "DELIVERED", "UNDELIVERED", "FAILED", "REPLIED", "OPTED_OUT",
           "CLICKED", "DELIVERY", "CTR");
    for (size_t i = 0; i < grouped.n; i++)
        print_row(&grouped.rows[i], row_key(&app, g, grouped.rows[i].key, key), width);
    print_row(&total.rows[0], "total", width);
    if (g == SG_STATS_TOTAL || g == SG_STATS_BY_DAY) {
        sg_cli_print_failures(&total, total.rows[0].key);
    } else {
        /* by provider or broadcast: each code under the row it belongs to */
        bool any = false;
        for (size_t i = 0; i < grouped.n_errors; i++) {
            const sg_error_count *ec = &grouped.errors[i];
            if (!any)
                printf("failures by error code:\n");
            any = true;
            const char *desc = sg_errcode_describe(ec->code);
            printf("  %-*s %-10s %8lld  %s\n", width, row_key(&app, g, ec->key, key),
                   ec->code[0] ? ec->code : "unknown", (long long)ec->count, desc ? desc : "");
        }
        if (!any)
            printf("failures by error code: none\n");
    }
    rc = SG_EXIT_OK;
out:
    sg_stats_free(&total);
    sg_stats_free(&grouped);
    sg_app_close(&app);
    return rc;
}
