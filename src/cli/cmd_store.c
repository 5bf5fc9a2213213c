/* smsgate migrate | send: commands that work on the store directly (key: cmd_key.c). */
#include "core/backoff.h"
#include "api/accept.h"
#include "api/auth.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/country_set.h"
#include "util/log.h"
#include "util/time.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- migrate ------------------------------------------------------------------- */

typedef struct migrate_settings {
    sg_base_settings base;
    unsigned db_wait; /* seconds; PostgreSQL only */
} migrate_settings;

static const sg_opt migrate_opts[] = {
    SG_BASE_OPTS(migrate_settings),
    {"db-wait", "SMSGATE_DB_WAIT", "10", SG_OPT_UINT, offsetof(migrate_settings, db_wait), 0,
     "SECONDS", "PostgreSQL: keep trying this long while the server does not answer"},
    SG_OPT_END,
};
static const sg_cmd_spec migrate_spec = {
    "smsgate migrate [options]",
    "Create the database or bring its schema up to date. Safe to run again; `serve`\n"
    "does the same at start. --db takes a SQLite file or a PostgreSQL database\n"
    "(postgres://USER:PASSWORD@HOST:PORT/DB, postgresql://..., or libpq keywords).",
    migrate_opts, 0, 0};

/* The PostgreSQL path (docs/postgresql.md): the database is named by host and
 * name in the output, never by the URL, which may hold a password. */
static int migrate_pg(const migrate_settings *st)
{
    int applied = 0, current = 0, latest = 0;
    char where[256] = "";
    sg_error e = {0};
    sg_err err = sg_store_pg_migrate(st->base.db, (int64_t)st->db_wait * 1000, &applied, &current,
                                     &latest, where, sizeof where, &e);
    if (err) {
        fprintf(stderr, "smsgate: migration failed: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    printf("PostgreSQL %s: schema version %d (%d migration%s applied)\n", where, current, applied,
           applied == 1 ? "" : "s");
    return SG_EXIT_OK;
}

int sg_cmd_migrate(int argc, char **argv)
{
    migrate_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&migrate_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    free(args);
    sg_log_level level;
    if (!sg_log_level_parse(st.base.log_level, &level)) {
        fprintf(stderr, "smsgate: --log-level must be error, warn, info or debug\n");
        return SG_EXIT_USAGE;
    }
    sg_log_set_level(level);
    if (sg_store_url_is_postgres(st.base.db))
        return migrate_pg(&st);
    sg_store *s;
    sg_error e = {0};
    if (sg_store_open(st.base.db, &s, &e) != SG_OK) {
        fprintf(stderr, "smsgate: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    int applied = 0, current = 0, latest = 0;
    sg_err err = sg_store_migrate(s, &applied, &e);
    if (!err)
        sg_store_schema_version(s, &current, &latest);
    sg_store_close(s);
    if (err) {
        fprintf(stderr, "smsgate: migration failed: %s\n", e.message);
        return SG_EXIT_FAIL;
    }
    printf("%s: schema version %d (%d migration%s applied)\n", st.base.db, current, applied,
           applied == 1 ? "" : "s");
    return SG_EXIT_OK;
}

/* ---- send ------------------------------------------------------------------------ */

typedef struct send_settings {
    sg_base_settings base;
    char to[64];
    char from[32];
    char provider[64];
    char send_at[64];
    char validity[24];
    char template_id[72];
} send_settings;

#define S send_settings
static const sg_opt send_opts[] = {
    SG_BASE_OPTS(S),
    {"to", NULL, NULL, SG_OPT_STR, offsetof(S, to), sizeof(((S *)0)->to), "NUMBER",
     "recipient, E.164 (+447400123456) or national with --default-region"},
    {"from", NULL, "", SG_OPT_STR, offsetof(S, from), sizeof(((S *)0)->from), "SENDER",
     "sender (default: from the provider's pool)"},
    {"provider", NULL, "", SG_OPT_STR, offsetof(S, provider), sizeof(((S *)0)->provider), "NAME",
     "provider name or id (default: the default provider)"},
    {"send-at", NULL, "", SG_OPT_STR, offsetof(S, send_at), sizeof(((S *)0)->send_at), "TIME",
     "schedule for an RFC 3339 time, e.g. 2026-12-01T09:00:00Z"},
    {"validity", NULL, "", SG_OPT_STR, offsetof(S, validity), sizeof(((S *)0)->validity), "SECONDS",
     "never send it later than this after it is due (1 to 2592000)"},
    {"template-id", NULL, "", SG_OPT_STR, offsetof(S, template_id), sizeof(((S *)0)->template_id),
     "ID", "external template id (e.g. India's DLT template id) sent with the message"},
    SG_OPT_END,
};
#undef S
static const sg_cmd_spec send_spec = {
    "smsgate send --to NUMBER [--from SENDER] [--provider NAME] [--send-at TIME] "
    "[--validity SECONDS] [--template-id ID] BODY",
    "Queue one message in the store and print its id. A running `smsgate serve` on the\n"
    "same database sends it.",
    send_opts, 1, 1};

typedef struct sync_insert {
    sg_insert_req ins;
    pthread_mutex_t m;
    pthread_cond_t cv;
    bool done;
} sync_insert;

static void sync_done(sg_insert_req *r)
{
    sync_insert *si = (sync_insert *)r;
    pthread_mutex_lock(&si->m);
    si->done = true;
    pthread_cond_signal(&si->cv);
    pthread_mutex_unlock(&si->m);
}

int sg_cli_queue_message(sg_app *app, json_t *obj, sg_message *m)
{
    sg_provider_set *set = sg_registry_get(app->registry);
    const sg_provider *prov;
    sg_reject rej;
    bool ok = sg_accept_message(app, set, obj, sg_time_now_ms(), m, &prov, &rej);
    sg_registry_release(app->registry, set);
    if (!ok) {
        /* The command line was well formed: what it carried was refused. */
        fprintf(stderr, "smsgate: %s%s%s (%s)\n", rej.field[0] ? rej.field : "",
                rej.field[0] ? ": " : "", rej.detail, rej.code);
        return SG_EXIT_FAIL;
    }
    sync_insert si = {.ins = {.msgs = m, .n = 1, .done = sync_done}};
    pthread_mutex_init(&si.m, NULL);
    pthread_cond_init(&si.cv, NULL);
    sg_err err = sg_store_messages_insert(app->store, &si.ins);
    if (!err) {
        pthread_mutex_lock(&si.m);
        while (!si.done)
            pthread_cond_wait(&si.cv, &si.m);
        pthread_mutex_unlock(&si.m);
        err = si.ins.err;
    }
    if (err) {
        fprintf(stderr, "smsgate: cannot store the message: %s\n",
                si.ins.error.message[0] ? si.ins.error.message : sg_strerror(err));
        sg_message_free(m);
        return SG_EXIT_FAIL;
    }
    return SG_EXIT_OK;
}

int sg_cmd_send(int argc, char **argv)
{
    send_settings st = {0};
    char **args;
    size_t nargs;
    int rc = sg_opts_parse(&send_spec, &st, argc, argv, &args, &nargs);
    if (rc)
        return rc < 0 ? SG_EXIT_OK : rc;
    if (!st.to[0]) {
        free(args);
        fprintf(stderr, "smsgate: --to is required\n");
        return SG_EXIT_USAGE;
    }
    json_t *obj = json_pack("{s:s, s:s}", "to", st.to, "body", args[0]);
    free(args);
    if (!obj) {
        fprintf(stderr, "smsgate: the message body is not valid UTF-8\n");
        return SG_EXIT_USAGE;
    }
    if (st.from[0])
        json_object_set_new(obj, "from", json_string(st.from));
    if (st.provider[0])
        json_object_set_new(obj, "provider", json_string(st.provider));
    if (st.send_at[0])
        json_object_set_new(obj, "send_at", json_string(st.send_at));
    if (st.validity[0]) {
        /* A value outside the range is a usage error like any bad flag value. */
        size_t len = strlen(st.validity);
        long long v = len <= 18 ? strtoll(st.validity, NULL, 10) : 0;
        if (strspn(st.validity, "0123456789") != len || len > 18 || v < 1 ||
            v > SG_VALIDITY_MAX_S) {
            json_decref(obj);
            fprintf(stderr,
                    "smsgate: --validity must be a whole number of seconds (1 to "
                    "2592000), not '%s'\n",
                    st.validity);
            return SG_EXIT_USAGE;
        }
        json_object_set_new(obj, "validity_seconds", json_integer(strtoll(st.validity, NULL, 10)));
    }
    if (st.template_id[0])
        json_object_set_new(obj, "external_template_id", json_string(st.template_id));
    sg_app app;
    if ((rc = sg_cli_open(&st.base, NULL, false, &app))) {
        json_decref(obj);
        return rc;
    }
    sg_message m;
    rc = sg_cli_queue_message(&app, obj, &m);
    json_decref(obj);
    sg_app_close(&app);
    if (rc)
        return rc;
    fprintf(stderr, "%s %s to %s, %u segment%s (%s)\n", sg_status_name(m.status), m.id, m.to,
            m.segments, m.segments == 1 ? "" : "s", sg_encoding_name(m.encoding));
    printf("%s\n", m.id);
    sg_message_free(&m);
    return SG_EXIT_OK;
}
