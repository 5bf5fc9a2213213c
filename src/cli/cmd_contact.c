/* smsgate contact import|export|list|show: contacts in the store, directly. The
 * import streams the file through the same importer as POST /v1/contacts/import
 * (audience/importer.h), so a file of any size needs only one batch in memory. */
#include "api/accept.h"
#include "audience/importer.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "cli/progress.h"
#include "util/time.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_CHUNK       (64 * 1024)
#define PLAIN_EVERY_ROWS 100000 /* off a terminal: one progress line per this many rows */
#define LIST_PAGE        500
#define LIST_MAX         1000000

typedef struct contact_settings {
    sg_base_settings base;
    char group[128];
    unsigned limit;
    bool json;
    char search[128];
} contact_settings;

#define S contact_settings
#define GROUP_OPT(help)                                                                            \
    {                                                                                              \
        "group", NULL, "", SG_OPT_STR, offsetof(S, group), sizeof(((S *)0)->group), "NAME", help   \
    }
static const sg_opt import_opts[] = {
    SG_BASE_OPTS(S),
    GROUP_OPT("add every imported contact to this group (created if missing)"),
    SG_OPT_END,
};
static const sg_opt export_opts[] = {
    SG_BASE_OPTS(S),
    GROUP_OPT("only the members of this group"),
    SG_OPT_END,
};
static const sg_opt list_opts[] = {
    SG_BASE_OPTS(S),
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many contacts, newest first"},
    {"search", NULL, "", SG_OPT_STR, offsetof(S, search), sizeof(((S *)0)->search), "TEXT",
     "only contacts whose number starts with +DIGITS (or contains DIGITS), or whose name or "
     "email contains TEXT (as GET /v1/contacts?q=)"},
    SG_OPT_END,
};
static const sg_opt show_opts[] = {SG_BASE_OPTS(S), SG_OPT_END};
static const sg_opt timeline_opts[] = {
    SG_BASE_OPTS(S),
    {"limit", NULL, "50", SG_OPT_UINT, offsetof(S, limit), 0, "N",
     "how many entries, newest first (1 to 1000)"},
    {"json", NULL, NULL, SG_OPT_BOOL, offsetof(S, json), 0, NULL, "print JSON, as the API does"},
    SG_OPT_END,
};
#undef GROUP_OPT
#undef S

static const sg_cmd_spec import_spec = {
    "smsgate contact import FILE.csv [--group NAME] [--default-region CC] [options]",
    "Import contacts from a CSV file ('-' reads standard input). The header row names\n"
    "the columns: phone (required), first_name, last_name; every other column becomes an\n"
    "attribute. A contact whose phone is already known is updated; opt-outs are never\n"
    "reset. Prints \"imported N, updated N, rejected N\" and then one line per rejected\n"
    "row: \"line L: code: detail\". Rejected rows do not make the command fail; an\n"
    "unreadable file or a bad header does. On a terminal a progress bar is shown on\n"
    "stderr.",
    import_opts, 1, 1};
static const sg_cmd_spec export_spec = {
    "smsgate contact export [--group NAME] [options]",
    "Write every contact (or every member of a group), oldest first, as CSV on stdout:\n"
    "id,phone,first_name,last_name,mobile,opted_out,attributes (attributes as JSON).",
    export_opts, 0, 0};
static const sg_cmd_spec list_spec = {
    "smsgate contact list [--limit N] [--search TEXT] [options]",
    "List contacts, newest first; with --search, those that match (a number in number\n"
    "order, a name or email newest first; docs/api.md has the rules).",
    list_opts, 0, 0};
static const sg_cmd_spec show_spec = {
    "smsgate contact show ID|PHONE [options]",
    "Show one contact, by id (ctc_...) or phone number (E.164, or national with\n"
    "--default-region).",
    show_opts, 1, 1};

static const sg_cmd_spec timeline_spec = {
    "smsgate contact timeline ID|PHONE [--limit N] [--json] [options]",
    "A contact's history, newest first: messages to and from it, consent changes (opt-outs\n"
    "and opt-ins with their source) and clicks on tracked links.",
    timeline_opts, 1, 1};

/* ---- import ----------------------------------------------------------------------- */

/* Rows read so far: records after the header (a quoted field spanning lines
 * makes this an overestimate, which is fine for a progress display). */
static size_t rows_read(const sg_importer *im)
{
    size_t lines = sg_importer_result(im)->lines;
    return lines > 1 ? lines - 1 : 0;
}

static void show_progress(sg_progress *p, const sg_importer *im, uint64_t bytes, int64_t size)
{
    double secs = sg_progress_elapsed(p);
    size_t rows = rows_read(im);
    char done[16], total[16];
    sg_progress_bytes(bytes, done);
    if (size >= 0) {
        sg_progress_bytes((uint64_t)size, total);
        sg_progress_draw(p, size > 0 ? (double)bytes / (double)size : 1.0,
                         "%s / %s  %zu rows  %.0f rows/s", done, total, rows, (double)rows / secs);
    } else {
        sg_progress_draw(p, -1, "%s  %zu rows  %.0f rows/s", done, rows, (double)rows / secs);
    }
}

static int contact_import(int argc, char **argv)
{
    contact_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&import_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    char path[1024];
    snprintf(path, sizeof path, "%s", args[0]);
    free(args);
    bool from_stdin = strcmp(path, "-") == 0;
    const char *label = from_stdin ? "standard input" : path;

    /* Open the file before the store, so a wrong path changes nothing. */
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "smsgate: cannot open %s: %s\n", path, strerror(errno));
        return SG_EXIT_FAIL;
    }
    struct stat sb;
    int64_t size = -1; /* unknown for a pipe */
    if (fstat(fd, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "smsgate: cannot read %s: it is a directory\n", path);
            if (!from_stdin)
                close(fd);
            return SG_EXIT_FAIL;
        }
        if (S_ISREG(sb.st_mode))
            size = (int64_t)sb.st_size;
    }
    char *buf = malloc(READ_CHUNK);
    sg_app app;
    if (!buf) {
        fprintf(stderr, "smsgate: out of memory\n");
        rc = SG_EXIT_FAIL;
    } else {
        rc = sg_cli_open(&st.base, NULL, false, &app);
    }
    if (rc) {
        free(buf);
        if (!from_stdin)
            close(fd);
        return rc;
    }

    sg_importer *im = NULL;
    sg_error e = {0};
    char gid[SG_ID_MAX];
    sg_err err = SG_OK;
    if (st.group[0])
        err = sg_store_group_ensure(app.store, st.group, gid, &e);
    if (!err)
        err = sg_importer_new(app.store, app.default_region, st.group[0] ? gid : NULL, &im, &e);
    if (err) {
        fprintf(stderr, "smsgate: %s\n", e.message[0] ? e.message : sg_strerror(err));
        goto out;
    }

    sg_progress prog;
    sg_progress_init(&prog, stderr);
    uint64_t bytes = 0;
    size_t next_plain = PLAIN_EVERY_ROWS;
    for (;;) {
        ssize_t n = read(fd, buf, READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            sg_progress_clear(&prog);
            fprintf(stderr, "smsgate: cannot read %s: %s\n", label, strerror(errno));
            err = SG_ERR_IO;
            goto out;
        }
        if (n == 0)
            break;
        bytes += (uint64_t)n;
        err = sg_importer_feed(im, buf, (size_t)n, &e);
        if (err)
            break;
        if (sg_progress_due(&prog)) {
            show_progress(&prog, im, bytes, size);
        } else if (!prog.tty && rows_read(im) >= next_plain) {
            char done[16], total[16] = "?";
            sg_progress_bytes(bytes, done);
            if (size >= 0)
                sg_progress_bytes((uint64_t)size, total);
            fprintf(stderr, "contact import: %zu rows read (%s of %s), %.0f rows/s\n",
                    rows_read(im), done, total, (double)rows_read(im) / sg_progress_elapsed(&prog));
            while (next_plain <= rows_read(im))
                next_plain += PLAIN_EVERY_ROWS;
        }
    }
    if (!err)
        err = sg_importer_finish(im, &e);
    sg_progress_clear(&prog);
    const sg_import_result *r = sg_importer_result(im);
    if (err) {
        size_t stored = r->imported + r->updated;
        if (stored)
            fprintf(stderr, "smsgate: %s: %s (%zu contacts were stored before this)\n", label,
                    e.message[0] ? e.message : sg_strerror(err), stored);
        else
            fprintf(stderr, "smsgate: %s: %s\n", label,
                    e.message[0] ? e.message : sg_strerror(err));
        goto out;
    }
    printf("imported %zu, updated %zu, rejected %zu\n", r->imported, r->updated, r->rejected);
    for (size_t i = 0; i < r->n_rejections; i++)
        printf("line %zu: %s: %s\n", r->rejections[i].line, r->rejections[i].code,
               r->rejections[i].detail);
    if (r->rejected > r->n_rejections)
        printf("(%zu more rejected rows not listed)\n", r->rejected - r->n_rejections);

out:
    sg_importer_free(im);
    sg_app_close(&app);
    free(buf);
    if (!from_stdin)
        close(fd);
    return err ? SG_EXIT_FAIL : SG_EXIT_OK;
}

/* ---- export ----------------------------------------------------------------------- */

/* One CSV field (RFC 4180), quoted when it has to be. */
static void csv_field(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', f);
        for (const char *p = s; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

static int export_one(void *user, const sg_contact *c)
{
    FILE *f = user;
    csv_field(f, c->id, false);
    csv_field(f, c->phone, false);
    csv_field(f, c->first_name, false);
    csv_field(f, c->last_name, false);
    csv_field(f, c->mobile ? "true" : "false", false);
    csv_field(f, c->opted_out ? "true" : "false", false);
    csv_field(f, c->attributes ? c->attributes : "{}", true);
    return ferror(f) ? 1 : 0; /* stop at the first failed write */
}

/* The group named (or with the id) name into *g; false after one line on stderr. */
static bool find_group(sg_app *app, const char *name, sg_group *g)
{
    return sg_cli_found(sg_store_group_get(app->store, name, g), "group", name);
}

static int contact_export(int argc, char **argv)
{
    contact_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&export_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_group g;
    if (st.group[0] && !find_group(&app, st.group, &g)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    fputs("id,phone,first_name,last_name,mobile,opted_out,attributes\r\n", stdout);
    sg_err err = sg_store_contacts_each(app.store, st.group[0] ? g.id : NULL, export_one, stdout);
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot read the contacts: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "smsgate: cannot write the export: %s\n", strerror(errno));
        return SG_EXIT_FAIL;
    }
    return SG_EXIT_OK;
}

/* ---- list, show ------------------------------------------------------------------- */

int sg_cli_contact_get(sg_app *app, const char *id_or_phone, sg_contact *out)
{
    const char *key = id_or_phone;
    char e164[SG_PHONE_MAX];
    if (strncmp(id_or_phone, "ctc_", 4) != 0 &&
        sg_phone_normalize(id_or_phone, app->default_region, e164, NULL) == SG_PHONE_OK)
        key = e164;
    sg_err err = sg_store_contact_get(app->store, key, out);
    sg_cli_found(err, "contact", id_or_phone);
    return err;
}

/* One page of the list, or of the search when q is not NULL; cursor as the
 * store takes it (an id, or a phone after a search by number). */
static sg_err list_page(sg_app *app, const sg_search *q, const char *cursor, size_t limit,
                        sg_contact **cs, size_t *n, bool *more)
{
    if (q)
        return sg_store_contact_search(app->store, q, cursor, limit, cs, n, more);
    return sg_store_contact_list(app->store, cursor, limit, cs, n, more);
}

/* --search TEXT read as the API reads ?q=; false after the usage error (rc set). */
static bool parse_search(const contact_settings *st, const char *cmd, sg_search *q, bool *on,
                         int *rc)
{
    *on = false;
    switch (sg_search_parse(st->search, st->base.default_region, q)) {
    case SG_SEARCH_OK:
        *on = true;
        return true;
    case SG_SEARCH_EMPTY:
        return true;
    case SG_SEARCH_TOO_LONG:
        *rc = sg_cli_usage_error(cmd, "--search must be at most %d bytes", SG_SEARCH_MAX);
        return false;
    default:
        *rc = sg_cli_usage_error(cmd, "--search must not contain control characters");
        return false;
    }
}

static int contact_list(int argc, char **argv)
{
    contact_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&list_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    if (st.limit < 1 || st.limit > LIST_MAX) {
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and %d", LIST_MAX);
    }
    sg_search q;
    bool searching;
    if (!parse_search(&st, argv[0], &q, &searching, &rc))
        return rc;
    bool by_phone = searching && sg_search_is_phone(&q);
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    printf("%-30s %-16s %-6s %-9s %s\n", "ID", "PHONE", "MOBILE", "OPTED_OUT", "NAME");
    char cursor[SG_ID_MAX] = "";
    size_t left = st.limit;
    bool more = true;
    sg_err err = SG_OK;
    while (left > 0 && more) {
        sg_contact *cs;
        size_t n;
        err = list_page(&app, searching ? &q : NULL, cursor[0] ? cursor : NULL,
                        left < LIST_PAGE ? left : LIST_PAGE, &cs, &n, &more);
        if (err)
            break;
        for (size_t i = 0; i < n; i++) {
            const sg_contact *c = &cs[i];
            printf("%-30s %-16s %-6s %-9s %s%s%s\n", c->id, c->phone, c->mobile ? "yes" : "no",
                   c->opted_out ? "yes" : "no", c->first_name,
                   c->first_name[0] && c->last_name[0] ? " " : "", c->last_name);
        }
        if (n)
            snprintf(cursor, sizeof cursor, "%s", by_phone ? cs[n - 1].phone : cs[n - 1].id);
        left -= n;
        sg_contacts_free(cs, n);
        if (n == 0)
            break;
    }
    sg_app_close(&app);
    if (err) {
        fprintf(stderr, "smsgate: cannot list contacts: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    if (more)
        fprintf(stderr, "(more contacts: raise --limit to see them)\n");
    return SG_EXIT_OK;
}

static int contact_show(int argc, char **argv)
{
    contact_settings st = {0};
    char target[128];
    sg_app app;
    int rc;
    if (!sg_cli_open_one(&show_spec, &st, argc, argv, target, sizeof target, &app, &rc))
        return rc;
    sg_contact c;
    int err = sg_cli_contact_get(&app, target, &c);
    sg_app_close(&app);
    if (err)
        return SG_EXIT_FAIL;
    char t[SG_TIME_STR_MAX];
    sg_cli_field("id", c.id);
    sg_cli_field("phone", c.phone);
    sg_cli_field("first name", c.first_name[0] ? c.first_name : "-");
    sg_cli_field("last name", c.last_name[0] ? c.last_name : "-");
    sg_cli_field("mobile", c.mobile ? "yes" : "no (a fixed-line number: never sent SMS)");
    sg_cli_field("opted out", c.opted_out ? "yes" : "no");
    sg_cli_field("attributes", c.attributes && *c.attributes ? c.attributes : "{}");
    sg_cli_field("last activity",
                 c.last_activity_at ? sg_cli_time(c.last_activity_at, t) : "never");
    sg_cli_field("created", sg_cli_time(c.created_at, t));
    sg_cli_field("updated", sg_cli_time(c.updated_at, t));
    sg_contact_free(&c);
    return SG_EXIT_OK;
}

/* ---- timeline ------------------------------------------------------------------------ */

/* One timeline entry as GET /v1/contacts/{id}/timeline shows it. */
static json_t *timeline_json(sg_app *app, const sg_timeline_item *t)
{
    char at[SG_TIME_STR_MAX];
    sg_cli_time(t->at, at);
    if (t->is_message) {
        sg_provider_set *set = sg_registry_get(app->registry);
        const sg_provider *p = sg_provider_set_find(set, t->msg.provider_id);
        json_t *m = sg_message_json(&t->msg, NULL, 0, p ? p->name : NULL);
        sg_registry_release(app->registry, set);
        return json_pack("{s:s, s:s, s:o}", "type", "message", "at", at, "message", m);
    }
    if (t->is_click)
        return json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "click", "at", at, "click",
                         "message_id", t->message_id, "url", t->detail ? t->detail : "");
    if (t->is_keyword)
        return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "type", "keyword", "at", at, "keyword",
                         "rule_id", t->rule_id, "keyword", t->detail ? t->detail : "",
                         "message_id", t->message_id);
    if (t->is_journey)
        return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:o}}", "type", "journey", "at", at,
                         "journey", "journey_id", t->journey_id, "enrollment_id",
                         t->enrollment_id, "event", t->journey_event, "step", t->step, "reason",
                         t->detail ? json_string(t->detail) : json_null());
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:o, s:o}}", "type", "consent", "at", at,
                     "consent", "old", t->old_state, "new", t->new_state, "source", t->source,
                     "message_id", t->message_id[0] ? json_string(t->message_id) : json_null(),
                     "detail", t->detail ? json_string(t->detail) : json_null());
}

/* One timeline entry as a table row: when, what, and a summary. */
static void timeline_row(const sg_timeline_item *t)
{
    char at[SG_TIME_STR_MAX], what[80];
    sg_cli_time(t->at, at);
    if (t->is_message) {
        bool in = strcmp(t->msg.direction, "inbound") == 0;
        snprintf(what, sizeof what, "%s %s", in ? "received" : "message",
                 in ? "" : sg_status_name(t->msg.status));
        printf("%-24s %-20s %s  %s\n", at, what, t->msg.id, t->msg.body ? t->msg.body : "");
    } else if (t->is_click) {
        printf("%-24s %-20s %s  %s\n", at, "click", t->message_id, t->detail ? t->detail : "");
    } else if (t->is_keyword) {
        printf("%-24s %-20s %s  rule %s\n", at, "keyword", t->message_id, t->rule_id);
    } else if (t->is_journey) {
        snprintf(what, sizeof what, "journey %s", t->journey_event);
        printf("%-24s %-20s %s  step %s%s%s\n", at, what, t->journey_id, t->step,
               t->detail ? ": " : "", t->detail ? t->detail : "");
    } else {
        snprintf(what, sizeof what, "consent %s", t->new_state);
        printf("%-24s %-20s from %s (%s)%s%s\n", at, what, t->old_state, t->source,
               t->detail ? ": " : "", t->detail ? t->detail : "");
    }
}

static int contact_timeline(int argc, char **argv)
{
    contact_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&timeline_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    char target[128];
    snprintf(target, sizeof target, "%s", args[0]);
    free(args);
    if (st.limit < 1 || st.limit > 1000)
        return sg_cli_usage_error(argv[0], "--limit must be between 1 and 1000");
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app)))
        return rc;
    sg_contact c;
    if (sg_cli_contact_get(&app, target, &c)) {
        sg_app_close(&app);
        return SG_EXIT_FAIL;
    }
    sg_timeline_item *items = NULL;
    size_t n = 0;
    char next[64];
    sg_err err = sg_store_timeline(app.store, c.phone, "", st.limit, &items, &n, next);
    sg_contact_free(&c);
    if (err) {
        sg_app_close(&app);
        fprintf(stderr, "smsgate: cannot read the timeline: %s\n", sg_strerror(err));
        return SG_EXIT_FAIL;
    }
    json_t *data = st.json ? json_array() : NULL;
    if (!data)
        printf("%-24s %-20s %s\n", "AT", "WHAT", "DETAIL");
    for (size_t i = 0; i < n; i++) {
        if (data)
            json_array_append_new(data, timeline_json(&app, &items[i]));
        else
            timeline_row(&items[i]);
    }
    sg_timeline_free(items, n);
    sg_app_close(&app);
    if (data)
        sg_cli_print_json(json_pack("{s:o}", "data", data));
    else if (next[0])
        fprintf(stderr, "(more entries: raise --limit to see them)\n");
    return SG_EXIT_OK;
}

/* ---- command --------------------------------------------------------------------- */

static const sg_command contact_verbs[] = {
    {"import", "import contacts from a CSV file", contact_import},
    {"export", "write contacts as CSV on stdout", contact_export},
    {"list", "list contacts, newest first", contact_list},
    {"show", "show one contact by id or phone", contact_show},
    {"timeline", "a contact's messages, consent changes and clicks", contact_timeline},
    {NULL, NULL, NULL},
};

int sg_cmd_contact(int argc, char **argv)
{
    return sg_cli_verbs("smsgate contact import|export|list|show|timeline [ARGS] [options]",
                        contact_verbs,
                        argc, argv);
}
