/* smsgate broadcast create|list|show|send|pause|resume|cancel: broadcasts in the
 * store directly. The command only writes rows: a running `smsgate serve` on the
 * same database finds a new or resumed broadcast at its scheduler's next tick
 * (audience/broadcaster.h) and sends it. The rules are the REST API's
 * (api/broadcasts.c): the same checks on create, the same state changes. */
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/progress.h"
#include "core/quiet_hours.h"
#include "core/template.h"
#include "util/time.h"
#include "util/tz.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX_LEN  4096
#define RATE_MAX      10000.0
#define RATE_UNSET    -1.0 /* --rate not given (0 is refused, as by the API) */
#define LIST_MAX      500
#define WATCH_POLL_MS 250
#define PLAIN_MIN_MS  1000 /* off a terminal: at most one progress line a second */

typedef struct broadcast_settings {
    sg_base_settings base;
    char name[128];
    char body[BODY_MAX_LEN + 1];
    char template_name[128];
    char group[128];
    char segment[128];
    char provider[64];
    char from[SG_FROM_MAX];
    char send_at[64];
    double rate;
    char quiet_hours[32];
    char timezone[64];
    bool track_clicks;
    bool draft;
    unsigned limit;
    bool watch;
} broadcast_settings;

#define S broadcast_settings
#define STR(field, flag, metavar, help)                                                            \
    {                                                                                              \
        flag, NULL, "", SG_OPT_STR, offsetof(S, field), sizeof(((S *)0)->field), metavar, help     \
    }
static const sg_opt create_opts[] = {
    SG_BASE_OPTS(S),
    STR(name, "name", "NAME", "a name to recognise the broadcast by (required)"),
    STR(body, "body", "TEXT", "the text, with fields such as {{first_name|there}}"),
    STR(template_name, "template", "NAME",
        "... or a saved template's name or id (its text is copied)"),
    STR(group, "group", "NAME", "send to the members of this group"),
    STR(segment, "segment", "NAME", "... or to the contacts of this segment"),
    STR(provider, "provider", "NAME", "provider name or id (default: the default provider)"),
    STR(from, "from", "SENDER", "sender (default: from the provider's pool)"),
    STR(send_at, "send-at", "TIME",
        "start at an RFC 3339 time, e.g. 2026-12-01T09:00:00Z (default: now)"),
    {"rate", NULL, NULL, SG_OPT_DOUBLE, offsetof(S, rate), 0, "N",
     "messages per second, above 0 and at most 10000 (default: as fast as the provider takes)"},
    STR(quiet_hours, "quiet-hours", "HH:MM-HH:MM",
        "no sends in this window of each recipient's local time, e.g. 21:00-08:00"),
    STR(timezone, "timezone", "ZONE",
        "the zone for recipients whose own is not known, e.g. Europe/London (default: UTC)"),
    {"track-clicks", NULL, NULL, SG_OPT_BOOL, offsetof(S, track_clicks), 0, NULL,
     "replace links by tracked short links (the server's --public-url)"},
    {"draft", NULL, NULL, SG_OPT_BOOL, offsetof(S, draft), 0, NULL,
     "save as a draft; `broadcast send ID` starts it"},
    SG_OPT_END,
};
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"limit", NULL, "20", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many broadcasts, newest first (at most 500)"},
    SG_OPT_END,
};
static const sg_opt show_opts[] = {
    SG_BASE_OPTS(S),
    {"watch", NULL, NULL, SG_OPT_BOOL, offsetof(S, watch), 0, NULL,
     "follow the broadcast until it is done or canceled (Ctrl-C stops watching)"},
    SG_OPT_END,
};
static const sg_opt id_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
#undef STR
#undef S

static const sg_cmd_spec create_spec = {
    "smsgate broadcast create --name NAME (--body TEXT | --template NAME)\n"
    "         (--group NAME | --segment NAME) [--provider NAME] [--from SENDER]\n"
    "         [--send-at TIME] [--rate N] [--quiet-hours 21:00-08:00] [--timezone ZONE]\n"
    "         [--track-clicks] [--draft] [options]",
    "Create a broadcast: one message to every eligible contact of a group or segment\n"
    "(opted-out and fixed-line numbers are skipped), each rendered from the text. Prints\n"
    "the new broadcast's id alone on the last line. A running `smsgate serve` on the\n"
    "same database starts it at --send-at.",
    create_opts, 0, 0};
static const sg_cmd_spec list_spec = {"smsgate broadcast list [--limit N] [options]",
                                      "List broadcasts, newest first.", list_opts, 0, 0};
static const sg_cmd_spec show_spec = {
    "smsgate broadcast show ID [--watch] [options]",
    "Show a broadcast and its counts: recipients, pending, queued, sent, delivered,\n"
    "undelivered, failed, skipped by reason, replies, opt-outs, clicks and failures by\n"
    "error code. With --watch, follow it (a progress bar on a terminal) until it is done\n"
    "or canceled, then show it.",
    show_opts, 1, 1};
static const sg_cmd_spec send_spec = {"smsgate broadcast send ID [options]",
                                      "Start a draft broadcast (at its --send-at).", id_opts, 1, 1};
static const sg_cmd_spec pause_spec = {
    "smsgate broadcast pause ID [options]",
    "Pause a scheduled or sending broadcast: no new message is queued until it is\n"
    "resumed (messages already queued still go out).",
    id_opts, 1, 1};
static const sg_cmd_spec resume_spec = {"smsgate broadcast resume ID [options]",
                                        "Resume a paused broadcast.", id_opts, 1, 1};
static const sg_cmd_spec cancel_spec = {
    "smsgate broadcast cancel ID [options]",
    "Cancel a broadcast that is not finished, and its messages not yet sent.", id_opts, 1, 1};

/* ---- create ------------------------------------------------------------------------- */

#define CREATE "broadcast create"

/* The checks that need only the command line; false after one line on stderr. */
static bool check_flags(broadcast_settings *st, sg_broadcast *b)
{
    if (!st->name[0]) {
        sg_cli_usage_error(CREATE, "broadcast create needs --name NAME");
        return false;
    }
    snprintf(b->name, sizeof b->name, "%s", st->name);
    if (!st->body[0] == !st->template_name[0]) {
        sg_cli_usage_error(CREATE, "give either --body TEXT or --template NAME");
        return false;
    }
    if (!st->group[0] == !st->segment[0]) {
        sg_cli_usage_error(CREATE, "give either --group NAME or --segment NAME");
        return false;
    }
    b->send_at = b->created_at;
    if (st->send_at[0] && !sg_time_parse(st->send_at, &b->send_at)) {
        sg_cli_usage_error(CREATE, "--send-at must be an RFC 3339 time such as "
                                   "2026-12-01T09:00:00Z");
        return false;
    }
    if (st->rate != RATE_UNSET) {
        if (!(st->rate > 0 && st->rate <= RATE_MAX)) {
            sg_cli_usage_error(CREATE, "--rate must be a number of messages per second, above 0 "
                                       "and at most 10000");
            return false;
        }
        b->rate = st->rate;
    }
    b->quiet_start = b->quiet_end = -1;
    if (st->quiet_hours[0]) {
        sg_quiet q;
        if (sg_quiet_parse(st->quiet_hours, &q) != SG_OK) {
            sg_cli_usage_error(CREATE, "--quiet-hours must look like 21:00-08:00 (local time of "
                                       "each recipient)");
            return false;
        }
        b->quiet_start = q.start_min;
        b->quiet_end = q.end_min;
    }
    snprintf(b->timezone, sizeof b->timezone, "%s", st->timezone[0] ? st->timezone : "UTC");
    const sg_tz *z;
    if (st->timezone[0] && sg_tz_get(st->timezone, &z) != SG_OK) {
        sg_cli_usage_error(CREATE,
                           "--timezone must be a zone of the tz database, such as Europe/London");
        return false;
    }
    if (st->from[0])
        snprintf(b->from, sizeof b->from, "%s", st->from);
    b->track_clicks = st->track_clicks;
    return true;
}

/* The checks against the store: the template, the audience, the provider; false
 * after one line on stderr. */
static bool resolve(sg_app *app, const broadcast_settings *st, sg_broadcast *b, char *audience,
                    size_t audience_len, char provider[64])
{
    if (st->template_name[0]) {
        sg_template t;
        if (!sg_cli_found(sg_store_template_get(app->store, st->template_name, &t), "template",
                          st->template_name))
            return false;
        snprintf(b->template_id, sizeof b->template_id, "%s", t.id);
        b->body = t.body; /* the text is copied: editing the template later changes nothing */
    } else {
        b->body = strdup(st->body);
        if (!b->body) {
            fprintf(stderr, "smsgate: out of memory\n");
            return false;
        }
    }
    sg_tpl_error terr = {0};
    if (sg_template_check(b->body, &terr) != SG_OK) {
        fprintf(stderr, "smsgate: %s: %s (at byte %zu)\n",
                st->template_name[0] ? "template" : "body", terr.detail, terr.offset);
        return false;
    }
    if (st->group[0]) {
        sg_group g;
        if (!sg_cli_found(sg_store_group_get(app->store, st->group, &g), "group", st->group))
            return false;
        snprintf(b->audience_kind, sizeof b->audience_kind, "group");
        snprintf(b->audience_id, sizeof b->audience_id, "%s", g.id);
        snprintf(audience, audience_len, "group %s", g.name);
    } else {
        sg_segment g;
        if (!sg_cli_found(sg_store_segment_get(app->store, st->segment, &g), "segment",
                          st->segment))
            return false;
        snprintf(b->audience_kind, sizeof b->audience_kind, "segment");
        snprintf(b->audience_id, sizeof b->audience_id, "%s", g.id);
        snprintf(audience, audience_len, "segment %s", g.name);
        sg_segment_row_free(&g);
    }
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p =
        st->provider[0] ? sg_provider_set_find(set, st->provider) : sg_provider_set_default(set);
    if (p) {
        snprintf(b->provider_id, sizeof b->provider_id, "%s", p->id);
        snprintf(provider, 64, "%s", p->name);
    }
    sg_registry_release(app->registry, set);
    if (!p) {
        if (st->provider[0])
            fprintf(stderr, "smsgate: no provider %s\n", st->provider);
        else
            fprintf(stderr, "smsgate: no provider given and no default provider is set up "
                            "(see `smsgate provider add --default`)\n");
        return false;
    }
    return true;
}

static int broadcast_create(int argc, char **argv)
{
    broadcast_settings st = {0};
    st.rate = RATE_UNSET;
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&create_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_broadcast b;
    memset(&b, 0, sizeof b);
    b.created_at = b.updated_at = sg_time_now_ms();
    if (!check_flags(&st, &b))
        return SG_EXIT_USAGE;
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    char audience[160], provider[64];
    rc = SG_EXIT_FAIL;
    if (resolve(&app, &st, &b, audience, sizeof audience, provider)) {
        sg_id_new("brd", b.created_at, b.id);
        b.status = st.draft ? SG_BCAST_DRAFT : SG_BCAST_SCHEDULED;
        sg_error e = {0};
        sg_err err = sg_store_broadcast_create(app.store, &b, &e);
        if (err) {
            fprintf(stderr, "smsgate: cannot create the broadcast: %s\n",
                    e.message[0] ? e.message : sg_strerror(err));
        } else {
            sg_audience_count c = {0};
            sg_store_audience_count(app.store, b.audience_kind, b.audience_id, b.created_at, &c,
                                    &e);
            char when[SG_TIME_STR_MAX];
            fprintf(stderr, "%s broadcast %s to %s (%lld eligible now) via %s, %s%s\n",
                    st.draft ? "saved draft" : "scheduled", b.name, audience, (long long)c.eligible,
                    provider, st.send_at[0] ? "starting " : "starting now",
                    st.send_at[0] ? sg_cli_time(b.send_at, when) : "");
            printf("%s\n", b.id);
            rc = SG_EXIT_OK;
        }
    }
    sg_broadcast_free(&b);
    sg_app_close(&app);
    return rc;
}

/* ---- list, show ---------------------------------------------------------------------- */

static int broadcast_list(int argc, char **argv)
{
    broadcast_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (st.limit < 1 || st.limit > LIST_MAX) {
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and %d", LIST_MAX);
    }
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_broadcast *bs;
    size_t n;
    bool more;
    sg_err err = sg_store_broadcast_list(app.store, NULL, st.limit, &bs, &n, &more);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list broadcasts: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    /* messages: recipients turned into messages so far (the row's "queued") */
    printf("%-30s %-9s %10s %8s %8s %8s  %-24s %s\n", "ID", "STATUS", "RECIPIENTS", "MESSAGES",
           "SKIPPED", "PENDING", "CREATED", "NAME");
    for (size_t i = 0; i < n; i++) {
        char created[SG_TIME_STR_MAX];
        printf(
            "%-30s %-9s %10lld %8lld %8lld %8lld  %-24s %s\n", bs[i].id,
            sg_bcast_status_name(bs[i].status), (long long)bs[i].recipients,
            (long long)bs[i].queued,
            (long long)(bs[i].skipped_opted_out + bs[i].skipped_not_mobile + bs[i].skipped_invalid),
            (long long)bs[i].pending, sg_cli_time(bs[i].created_at, created), bs[i].name);
    }
    sg_broadcasts_free(bs, n);
    if (more)
        fprintf(stderr, "(more broadcasts: raise --limit to see them)\n");
    return SG_EXIT_OK;
}

/* The broadcast id into *b (free with sg_broadcast_free); false after one line. */
static bool broadcast_find(sg_app *app, const char *id, sg_broadcast *b)
{
    return sg_cli_found(sg_store_broadcast_get(app->store, id, b), "broadcast", id);
}

static void print_broadcast(sg_app *app, const sg_broadcast *b, const sg_stats *st)
{
    char text[256], t[SG_TIME_STR_MAX];
    sg_cli_field("id", b->id);
    sg_cli_field("name", b->name);
    sg_cli_field("status", sg_bcast_status_name(b->status));
    /* the audience and the provider by name, when they still exist */
    snprintf(text, sizeof text, "%s %s", b->audience_kind, b->audience_id);
    if (strcmp(b->audience_kind, "group") == 0) {
        sg_group g;
        if (sg_store_group_get(app->store, b->audience_id, &g) == SG_OK)
            snprintf(text, sizeof text, "group %s (%s)", g.name, g.id);
    } else {
        sg_segment g;
        if (sg_store_segment_get(app->store, b->audience_id, &g) == SG_OK) {
            snprintf(text, sizeof text, "segment %s (%s)", g.name, g.id);
            sg_segment_row_free(&g);
        }
    }
    sg_cli_field("audience", text);
    snprintf(text, sizeof text, "%s", b->provider_id);
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *p = sg_provider_set_find(set, b->provider_id);
    if (p)
        snprintf(text, sizeof text, "%s (%s)", p->name, p->id);
    sg_registry_release(app->registry, set);
    sg_cli_field("provider", text);
    sg_cli_field("from", b->from[0] ? b->from : "(the provider's pool)");
    sg_cli_field("template", b->template_id[0] ? b->template_id : "-");
    sg_cli_field("body", b->body ? b->body : "");
    sg_cli_field("send at", sg_cli_time(b->send_at, t));
    if (b->rate > 0)
        snprintf(text, sizeof text, "%g messages/s", b->rate);
    else
        snprintf(text, sizeof text, "as fast as the provider takes");
    sg_cli_field("rate", text);
    if (b->quiet_start >= 0 && b->quiet_end >= 0) {
        sg_quiet q = {b->quiet_start, b->quiet_end};
        char quiet[16];
        sg_quiet_format(&q, quiet);
        snprintf(text, sizeof text, "%s (each recipient's zone; else %s)", quiet, b->timezone);
    } else {
        snprintf(text, sizeof text, "none");
    }
    sg_cli_field("quiet hours", text);
    sg_cli_field("track clicks", b->track_clicks ? "yes" : "no");
    sg_cli_field("created", sg_cli_time(b->created_at, t));
    sg_cli_field("started", sg_cli_time(b->started_at, t));
    sg_cli_field("finished", sg_cli_time(b->finished_at, t));
    if (b->error[0])
        sg_cli_field("error", b->error);
    if (!st || st->n == 0) {
        printf("recipients %lld: pending %lld, queued %lld\n", (long long)b->recipients,
               (long long)b->pending, (long long)b->queued);
        return;
    }
    const sg_stats_row *r = &st->rows[0];
    printf("recipients %lld: pending %lld, queued %lld, sent %lld, delivered %lld, "
           "undelivered %lld, failed %lld, canceled %lld\n",
           (long long)r->recipients, (long long)r->pending, (long long)r->queued,
           (long long)r->sent, (long long)r->delivered, (long long)r->undelivered,
           (long long)r->failed, (long long)r->canceled);
    printf("skipped %lld: opted_out %lld, not_mobile %lld, invalid %lld\n",
           (long long)(r->skipped_opted_out + r->skipped_not_mobile + r->skipped_invalid),
           (long long)r->skipped_opted_out, (long long)r->skipped_not_mobile,
           (long long)r->skipped_invalid);
    char dr[16], ctr[16];
    sg_cli_rate(r->delivered, r->sent, dr);
    sg_cli_rate(r->clicked, r->sent, ctr);
    printf("replied %lld, opted_out %lld, clicked %lld; delivery rate %s, CTR %s\n",
           (long long)r->replied, (long long)r->opted_out, (long long)r->clicked, dr, ctr);
    sg_cli_print_failures(st, r->key);
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL); /* a signal cuts it short, which is what Ctrl-C wants */
}

/* Follow the broadcast until it is done, canceled or failed (exit 1), or Ctrl-C. A draft is not
 * going anywhere, so it is not waited for. Returns an exit code. */
static int watch(sg_app *app, const char *id)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old); /* no SA_RESTART: the sleep ends at once */
    sg_progress prog;
    sg_progress_init(&prog, stderr);
    char last[256] = "";
    int64_t last_plain = 0;
    int rc = SG_EXIT_OK;
    while (!interrupted) {
        sg_broadcast b;
        if (!broadcast_find(app, id, &b)) {
            rc = SG_EXIT_FAIL;
            break;
        }
        sg_bcast_status status = b.status;
        bool materialized = b.materialized;
        int64_t send_at = b.send_at;
        char error[sizeof b.error];
        snprintf(error, sizeof error, "%s", b.error);
        sg_broadcast_free(&b);
        if (status == SG_BCAST_DONE || status == SG_BCAST_CANCELED)
            break;
        if (status == SG_BCAST_FAILED) {
            sg_progress_clear(&prog);
            fprintf(stderr, "smsgate: broadcast %s failed: %s\n", id, error);
            rc = SG_EXIT_FAIL;
            break;
        }
        if (status == SG_BCAST_DRAFT) {
            sg_progress_clear(&prog);
            fprintf(stderr,
                    "broadcast %s is a draft: nothing to watch until "
                    "`smsgate broadcast send %s`\n",
                    id, id);
            break;
        }
        sg_stats st;
        if (sg_store_broadcast_stats(app->store, id, &st) == SG_OK && st.n > 0) {
            const sg_stats_row *r = &st.rows[0];
            /* what reached an end: the message was handed over or failed, or the
             * recipient was skipped */
            int64_t finished = r->sent + r->failed + r->canceled + r->skipped_opted_out +
                               r->skipped_not_mobile + r->skipped_invalid;
            char line[256], when[SG_TIME_STR_MAX];
            if (status == SG_BCAST_SCHEDULED)
                snprintf(line, sizeof line, "scheduled: starts %s",
                         send_at > sg_time_now_ms() ? sg_cli_time(send_at, when) : "now");
            else
                snprintf(
                    line, sizeof line,
                    "%s  %lld of %lld%s  sent %lld  delivered %lld  failed %lld  skipped %lld",
                    sg_bcast_status_name(status), (long long)finished, (long long)r->recipients,
                    materialized ? "" : " so far", (long long)r->sent, (long long)r->delivered,
                    (long long)r->failed,
                    (long long)(r->skipped_opted_out + r->skipped_not_mobile + r->skipped_invalid));
            if (prog.tty) {
                double frac = materialized && r->recipients > 0 && status != SG_BCAST_SCHEDULED
                                  ? (double)finished / (double)r->recipients
                                  : -1;
                sg_progress_draw(&prog, frac, "%s", line);
            } else if (strcmp(line, last) != 0 && sg_time_mono_ms() - last_plain >= PLAIN_MIN_MS) {
                fprintf(stderr, "%s\n", line);
                snprintf(last, sizeof last, "%s", line);
                last_plain = sg_time_mono_ms();
            }
        }
        sg_stats_free(&st);
        sleep_ms(WATCH_POLL_MS);
    }
    sg_progress_clear(&prog);
    if (interrupted)
        fprintf(stderr, "stopped watching (the broadcast goes on)\n");
    sigaction(SIGINT, &old, NULL);
    return rc;
}

static int broadcast_show(int argc, char **argv)
{
    broadcast_settings st = {0};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&show_spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    sg_broadcast b;
    if (!broadcast_find(&app, id, &b)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    if (st.watch) {
        sg_broadcast_free(&b);
        rc = watch(&app, id);
        if (rc || !broadcast_find(&app, id, &b)) {
            sg_app_close(&app);
            return SG_EXIT_FAIL;
        }
    }
    sg_stats stats;
    sg_err err = sg_store_broadcast_stats(app.store, b.id, &stats);
    print_broadcast(&app, &b, err ? NULL : &stats);
    if (!err)
        sg_stats_free(&stats);
    sg_broadcast_free(&b);
    sg_app_close(&app);
    return SG_EXIT_OK;
}

/* ---- state changes ----------------------------------------------------------------- */

#define BIT(s) (1u << (s))

typedef struct state_change {
    const char *verb;
    const sg_cmd_spec *spec;
    unsigned from_mask;
    sg_bcast_status to;
    const char *done; /* "a %s broadcast cannot be <done>" */
} state_change;

static const state_change changes[] = {
    {"send", &send_spec, BIT(SG_BCAST_DRAFT), SG_BCAST_SCHEDULED, "sent"},
    {"pause", &pause_spec, BIT(SG_BCAST_SCHEDULED) | BIT(SG_BCAST_SENDING), SG_BCAST_PAUSED,
     "paused"},
    {"resume", &resume_spec, BIT(SG_BCAST_PAUSED), SG_BCAST_SENDING, "resumed"},
    {"cancel", &cancel_spec,
     BIT(SG_BCAST_DRAFT) | BIT(SG_BCAST_SCHEDULED) | BIT(SG_BCAST_SENDING) | BIT(SG_BCAST_PAUSED),
     SG_BCAST_CANCELED, "canceled"},
};

static int transition(const state_change *c, int argc, char **argv)
{
    broadcast_settings st = {0};
    char id[SG_ID_MAX + 8];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(c->spec, &st, argc, argv, id, sizeof id, &app, &rc))
        return rc;
    sg_broadcast b;
    if (!broadcast_find(&app, id, &b)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    /* resuming goes back to sending only if it had started */
    sg_bcast_status to = c->to;
    if (to == SG_BCAST_SENDING && !b.started_at)
        to = SG_BCAST_SCHEDULED;
    sg_broadcast_free(&b);
    sg_bcast_status current = SG_BCAST_DRAFT;
    sg_error e = {0};
    sg_err err = sg_store_broadcast_transition(app.store, b.id, c->from_mask, to, sg_time_now_ms(),
                                               &current, &e);
    sg_app_close(&app);
    if (err == SG_ERR_CONFLICT) {
        fprintf(stderr, "smsgate: a %s broadcast cannot be %s\n", sg_bcast_status_name(current),
                c->done);
        return SG_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr, "smsgate: cannot change the broadcast: %s\n",
                e.message[0] ? e.message : sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    fprintf(stderr, "broadcast %s is %s\n", b.id, sg_bcast_status_name(to));
    return SG_EXIT_OK;
}

static int broadcast_send(int argc, char **argv)
{
    return transition(&changes[0], argc, argv);
}

static int broadcast_pause(int argc, char **argv)
{
    return transition(&changes[1], argc, argv);
}

static int broadcast_resume(int argc, char **argv)
{
    return transition(&changes[2], argc, argv);
}

static int broadcast_cancel(int argc, char **argv)
{
    return transition(&changes[3], argc, argv);
}

static const sg_command broadcast_verbs[] = {
    {"create", "create a broadcast to a group or segment", broadcast_create},
    {"list", "list broadcasts", broadcast_list},
    {"show", "show a broadcast and its counts (--watch to follow it)", broadcast_show},
    {"send", "start a draft", broadcast_send},
    {"pause", "pause a scheduled or sending broadcast", broadcast_pause},
    {"resume", "resume a paused broadcast", broadcast_resume},
    {"cancel", "cancel a broadcast and its unsent messages", broadcast_cancel},
    {NULL, NULL, NULL},
};

int sg_cmd_broadcast(int argc, char **argv)
{
    return sg_cli_verbs("smsgate broadcast create|list|show|send|pause|resume|cancel [ID] "
                        "[options]",
                        broadcast_verbs, argc, argv);
}
