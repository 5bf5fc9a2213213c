/* smsgate audit: the audit log on the store directly, newest first, with the
 * filters of GET /v1/audit. */
#include "api/handlers.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct audit_settings {
    sg_base_settings base;
    char actor[SG_EMAIL_MAX];
    char action[32];
    char since[64];
    unsigned limit;
    bool json;
} audit_settings;

#define S audit_settings
static const sg_opt audit_opts[] = {
    SG_BASE_OPTS(S),
    {"actor", NULL, "", SG_OPT_STR, offsetof(S, actor), sizeof(((S *)0)->actor), "WHO",
     "only entries by this key id, user email or 'cli'"},
    {"action", NULL, "", SG_OPT_STR, offsetof(S, action), sizeof(((S *)0)->action), "ACTION",
     "only this action, e.g. user.create, session.sign_in"},
    {"since", NULL, "", SG_OPT_STR, offsetof(S, since), sizeof(((S *)0)->since), "TIME",
     "only entries at or after this RFC 3339 time"},
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N", "at most N entries (1-1000)"},
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec audit_spec = {
    "smsgate audit [--actor WHO] [--action ACTION] [--since TIME] [--limit N] [--json] "
    "[options]",
    "Show the audit log, newest first: when, who (API key id, user email or 'cli'),\n"
    "from which address, what they did and to what.",
    audit_opts, 0, 0};

int sg_cmd_audit(int argc, char **argv)
{
    audit_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&audit_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_audit_filter f = {st.actor[0] ? st.actor : NULL, st.action[0] ? st.action : NULL, 0, 0};
    if (st.since[0] && !sg_time_parse(st.since, &f.since))
        return sg_cli_usage_error(argv[0], "--since must be an RFC 3339 time such as "
                                           "2026-01-31T09:00:00Z");
    if (st.limit == 0 || st.limit > 1000)
        return sg_cli_usage_error(argv[0], "--limit must be 1 to 1000");
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_audit *rows = NULL;
    size_t n = 0;
    sg_err err = sg_store_audit_query(app.store, &f, st.limit, &rows, &n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot read the audit log: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (st.json) {
        json_t *data = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(data, sg_audit_json(&rows[i]));
        sg_cli_print_json(data);
    } else {
        printf("%-24s %-24s %-30s %-16s %s\n", "AT", "ACTION", "ACTOR", "SOURCE", "SUBJECT");
        for (size_t i = 0; i < n; i++) {
            char at[SG_TIME_STR_MAX];
            printf("%-24s %-24s %-30s %-16s %s\n", sg_cli_time(rows[i].at, at), rows[i].action,
                   rows[i].actor, rows[i].source[0] ? rows[i].source : "-", rows[i].subject);
        }
    }
    sg_audits_free(rows, n);
    return SG_EXIT_OK;
}
