/* smsgate message list|show|cancel: messages in the store, directly, as
 * GET /v1/messages, GET /v1/messages/{id} and POST /v1/messages/{id}/cancel show
 * and change them. */
#include "api/accept.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/phone.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 1000

typedef struct message_settings {
    sg_base_settings base;
    char status[16];
    char to[64];
    char provider[64];
    char error_code[65];
    char since[40];
    char until[40];
    unsigned limit;
    bool json;
} message_settings;

#define S message_settings
#define JSON_OPT                                                                                   \
    {                                                                                              \
        "json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does" \
    }
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"status", NULL, "", SG_OPT_STR, offsetof(S, status), sizeof(((S *)0)->status), "STATUS",
     "only this status: scheduled, queued, sending, sent, delivered, undelivered, failed, "
     "canceled, received"},
    {"to", NULL, "", SG_OPT_STR, offsetof(S, to), sizeof(((S *)0)->to), "NUMBER",
     "only messages to (or, inbound, from) this number"},
    {"provider", NULL, "", SG_OPT_STR, offsetof(S, provider), sizeof(((S *)0)->provider), "NAME",
     "only messages through this provider (name or id)"},
    {"error-code", NULL, "", SG_OPT_STR, offsetof(S, error_code), sizeof(((S *)0)->error_code),
     "CODE", "only messages with this error code (21614, expired, ...)"},
    {"since", NULL, "", SG_OPT_STR, offsetof(S, since), sizeof(((S *)0)->since), "TIME",
     "only messages created at or after TIME (RFC 3339, or a date: its midnight UTC)"},
    {"until", NULL, "", SG_OPT_STR, offsetof(S, until), sizeof(((S *)0)->until), "TIME",
     "only messages created before TIME"},
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many messages, newest first (1 to 1000)"},
    JSON_OPT,
    SG_OPT_END,
};
static const sg_opt show_opts[] = {SG_BASE_OPTS(S), JSON_OPT, SG_OPT_END};
#undef JSON_OPT
#undef S

static const sg_cmd_spec list_spec = {
    "smsgate message list [--status S] [--to N] [--provider P] [--error-code C]\n"
    "                     [--since T] [--until T] [--limit N] [--json] [options]",
    "List messages, newest first.", list_opts, 0, 0};
static const sg_cmd_spec show_spec = {
    "smsgate message show ID [--json] [options]",
    "Show one message with its events (queued, sending, sent, delivered, ...).", show_opts, 1,
    1};
static const sg_cmd_spec cancel_spec = {
    "smsgate message cancel ID [--json] [options]",
    "Cancel a scheduled or queued message. A message already handed to the dispatcher\n"
    "or the provider cannot be canceled (exit 1, with its status).",
    show_opts, 1, 1};

/* The name of provider id in app's registry ("" when unknown), into out[64]. */
static const char *provider_name(sg_app *app, const char *id, char out[64])
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, id);
    snprintf(out, 64, "%s", p ? p->name : "");
    sg_registry_release(app->registry, set);
    return out;
}

/* --since/--until TIME into *ms (0 when empty); false after a usage error. */
static bool list_time(const char *flag, const char *s, int64_t *ms, int *rc)
{
    char buf[40];
    *ms = 0;
    if (!s[0])
        return true;
    if (strlen(s) == 10) {
        snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
        s = buf;
    }
    if (!sg_time_parse(s, ms) || *ms <= 0) {
        *rc = sg_cli_usage_error("message list", "--%s '%s' is not a date or an RFC 3339 time",
                                 flag, s);
        return false;
    }
    return true;
}

/* Parse list's filters into f (pointing into the buffers); false after a usage
 * error or an unknown provider on stderr (*rc set). */
static bool list_filter(sg_app *app, const message_settings *st, sg_message_filter *f,
                        char to[SG_PHONE_MAX], char provider_id[SG_ID_MAX], int *rc)
{
    if (st->status[0]) {
        if (!sg_status_parse(st->status, &f->status)) {
            *rc = sg_cli_usage_error("message list", "unknown --status '%s'", st->status);
            return false;
        }
        f->has_status = true;
    }
    if (st->to[0]) {
        if (sg_phone_normalize(st->to, app->default_region, to, NULL) != SG_PHONE_OK) {
            *rc = sg_cli_usage_error("message list", "--to '%s' is not a valid phone number",
                                     st->to);
            return false;
        }
        f->to = to;
    }
    if (st->provider[0]) {
        sg_provider_set *set = sg_registry_get(app->registry);
        const sg_provider *p = sg_provider_set_find(set, st->provider);
        if (p)
            snprintf(provider_id, SG_ID_MAX, "%s", p->id);
        sg_registry_release(app->registry, set);
        if (!p) {
            fprintf(stderr, "smsgate: no provider %s\n", st->provider);
            *rc = SG_EXIT_FAIL;
            return false;
        }
        f->provider = provider_id;
    }
    if (st->error_code[0])
        f->error_code = st->error_code;
    return list_time("since", st->since, &f->since_ms, rc) &&
           list_time("until", st->until, &f->until_ms, rc);
}

static void print_rows(sg_app *app, const sg_message *ms, size_t n, bool json)
{
    if (json) {
        json_t *data = json_array();
        for (size_t i = 0; i < n; i++) {
            char name[64];
            provider_name(app, ms[i].provider_id, name);
            json_array_append_new(data, sg_message_json(&ms[i], NULL, 0, name[0] ? name : NULL));
        }
        sg_cli_print_json(json_pack("{s:o}", "data", data));
        return;
    }
    printf("%-30s %-11s %-16s %-8s %-16s %-24s %s\n", "ID", "STATUS", "TO", "DIR", "PROVIDER",
           "CREATED", "ERROR");
    for (size_t i = 0; i < n; i++) {
        const sg_message *m = &ms[i];
        char name[64], t[SG_TIME_STR_MAX];
        provider_name(app, m->provider_id, name);
        printf("%-30s %-11s %-16s %-8s %-16s %-24s %s\n", m->id, sg_status_name(m->status),
               strcmp(m->direction, "inbound") == 0 ? m->from : m->to, m->direction,
               name[0] ? name : "-", sg_cli_time(m->created_at, t),
               m->error_code[0] ? m->error_code : "");
    }
}

static int message_list(int argc, char **argv)
{
    message_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (st.limit < 1 || st.limit > LIST_MAX)
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and %d", LIST_MAX);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_message_filter f = {.limit = st.limit};
    char to[SG_PHONE_MAX], provider_id[SG_ID_MAX];
    if (!list_filter(&app, &st, &f, to, provider_id, &rc)) {
        sg_app_close(&app);
        return rc;
    }
    sg_message *ms = NULL;
    size_t n = 0;
    bool more = false;
    sg_err err = sg_store_message_list(app.store, &f, &ms, &n, &more);
    if (!err)
        print_rows(&app, ms, n, st.json);
    sg_messages_free(ms, n);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list messages: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (more && !st.json)
        fprintf(stderr, "(more messages: raise --limit to see them)\n");
    return SG_EXIT_OK;
}

/* One message as labelled lines and its events, or as the API's JSON. */
static void print_message(sg_app *app, const sg_message *m, const sg_event *ev, size_t n,
                          bool json)
{
    char name[64], t[SG_TIME_STR_MAX];
    provider_name(app, m->provider_id, name);
    if (json) {
        sg_cli_print_json(sg_message_json(m, ev, n, name[0] ? name : NULL));
        return;
    }
    sg_cli_field("id", m->id);
    sg_cli_field("status", sg_status_name(m->status));
    sg_cli_field("direction", m->direction);
    sg_cli_field("to", m->to);
    sg_cli_field("from", m->from[0] ? m->from : "-");
    sg_cli_field("provider", name[0] ? name : "-");
    sg_cli_field("provider id", m->provider_message_id[0] ? m->provider_message_id : "-");
    sg_cli_field("body", m->body ? m->body : "");
    if (m->error_code[0] || m->error_message) {
        char err[600];
        snprintf(err, sizeof err, "%s%s%s", m->error_code, m->error_code[0] ? " " : "",
                 m->error_message ? m->error_message : "");
        sg_cli_field("error", err);
    }
    sg_cli_field("created", sg_cli_time(m->created_at, t));
    if (n)
        printf("events:\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-24s %-11s %s\n", sg_cli_time(ev[i].at, t), sg_status_name(ev[i].status),
               ev[i].detail ? ev[i].detail : "");
}

static int message_show(int argc, char **argv)
{
    message_settings st = {0};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&show_spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    sg_message m;
    sg_event *ev = NULL;
    size_t n = 0;
    if (!sg_cli_found(sg_store_message_get_with_events(app.store, id, &m, &ev, &n), "message",
                      id)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    print_message(&app, &m, ev, n, st.json);
    sg_events_free(ev, n);
    sg_message_free(&m);
    sg_app_close(&app);
    return SG_EXIT_OK;
}

static int message_cancel(int argc, char **argv)
{
    message_settings st = {0};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&cancel_spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    sg_message m;
    memset(&m, 0, sizeof m);
    sg_error e = {0};
    sg_err err = sg_store_message_cancel(app.store, id, &m, &e);
    if (err == SG_ERR_NOT_FOUND)
        fprintf(stderr, "smsgate: no message %s\n", id);
    else if (err)
        fprintf(stderr, "smsgate: cannot cancel %s: %s\n", id, e.message[0] ? e.message : sg_strerror(err));
    else if (st.json)
        print_message(&app, &m, NULL, 0, true);
    else
        fprintf(stderr, "canceled %s\n", m.id);
    sg_message_free(&m);
    sg_app_close(&app);
    return err ? SG_EXIT_FAIL : SG_EXIT_OK;
}

static const sg_command message_verbs[] = {
    {"list", "list messages, newest first", message_list},
    {"show", "show one message and its events", message_show},
    {"cancel", "cancel a scheduled or queued message", message_cancel},
    {NULL, NULL, NULL},
};

int sg_cmd_message(int argc, char **argv)
{
    return sg_cli_verbs("smsgate message list|show|cancel [ID] [options]", message_verbs, argc,
                        argv);
}
