/* The PostgreSQL backend: what a database URL names, connecting with retries,
 * reconnecting after a lost server, running statements, and SQLSTATE classes
 * as sg_err (pg_internal.h has the contracts). */
#include "store/pg/pg_internal.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_FIRST_MS 250
#define RETRY_CAP_MS   2000
/* Each attempt gives up on a server that accepts TCP but never answers. */
#define CONNECT_TIMEOUT_S "5"

/* ---- what a URL names -------------------------------------------------------------- */

bool sg_store_url_is_postgres(const char *url)
{
    if (!url)
        return false;
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0)
        return true;
    /* A libpq keyword string ("host=db dbname=smsgate"): libpq must accept it
     * whole, so a file name with an '=' in it stays a SQLite path unless every
     * word of it is a libpq keyword. */
    if (!strchr(url, '='))
        return false;
    char *err = NULL;
    PQconninfoOption *o = PQconninfoParse(url, &err);
    PQfreemem(err);
    if (!o)
        return false;
    PQconninfoFree(o);
    return true;
}

/* The value of keyword key in parsed options o, or NULL when unset or empty. */
static const char *conninfo_value(const PQconninfoOption *o, const char *key)
{
    for (; o && o->keyword; o++)
        if (strcmp(o->keyword, key) == 0)
            return o->val && *o->val ? o->val : NULL;
    return NULL;
}

void sg_store_url_display(const char *url, char *out, size_t cap)
{
    if (!sg_store_url_is_postgres(url)) {
        snprintf(out, cap, "%s", url ? url : "");
        return;
    }
    char *err = NULL;
    PQconninfoOption *o = PQconninfoParse(url, &err);
    PQfreemem(err);
    const char *db = conninfo_value(o, "dbname"), *host = conninfo_value(o, "host");
    const char *port = conninfo_value(o, "port"), *user = conninfo_value(o, "user");
    snprintf(out, cap, "database %s on %s:%s as %s", db ? db : "?", host ? host : "localhost",
             port ? port : "5432", user ? user : "?");
    PQconninfoFree(o);
}

/* ---- messages ----------------------------------------------------------------------- */

/* libpq's message on one line: newlines become "; ", tabs and the trailing
 * newline go, and the 'connection to server at "H", port P failed: ' prefix
 * goes too (the caller names the server). */
static void one_line(const char *in, char *out, size_t cap)
{
    static const char prefix[] = "connection to server";
    const char *failed = in ? strstr(in, "failed: ") : NULL;
    if (in && failed && strncmp(in, prefix, sizeof prefix - 1) == 0)
        in = failed + 8;
    size_t j = 0;
    for (size_t i = 0; in && in[i] && j + 3 < cap; i++) {
        if (in[i] == '\n') {
            if (in[i + 1] && in[i + 1] != '\n')
                out[j++] = ';', out[j++] = ' ';
        } else if (in[i] != '\t') {
            out[j++] = in[i];
        }
    }
    out[j] = '\0';
}

/* The server's notices ("relation ... already exists, skipping") are not for
 * the user's terminal: debug log only. */
static void on_notice(void *arg, const char *message)
{
    char line[256];
    one_line(message, line, sizeof line);
    sg_log(SG_LOG_DEBUG, "pg_notice", "message=\"%s\"", line);
}

void pg_describe(PGconn *pg, char *out, size_t cap)
{
    const char *host = pg ? PQhost(pg) : NULL;
    const char *port = pg ? PQport(pg) : NULL;
    const char *db = pg ? PQdb(pg) : NULL;
    const char *user = pg ? PQuser(pg) : NULL;
    snprintf(out, cap, "database %s on %s:%s as %s", db && *db ? db : "?",
             host && *host ? host : "?", port && *port ? port : "5432", user && *user ? user : "?");
}

/* ---- connecting ---------------------------------------------------------------------- */

/* connect_timeout and application_name unless the URL sets them itself: libpq
 * keeps the last value of a repeated keyword, and the URL (expanded from
 * dbname) comes last. */
static PGconn *connect_once(const char *conninfo)
{
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {CONNECT_TIMEOUT_S, "smsgate", conninfo, NULL};
    return PQconnectdbParams(keys, vals, 1);
}

/* Whether a failed connection may succeed later without anyone changing
 * anything: the server did not answer, or answered that it is starting or
 * stopping. A rejected password or a missing database does not heal. */
static bool worth_retrying(const char *conninfo)
{
    const char *keys[] = {"connect_timeout", "dbname", NULL};
    const char *vals[] = {CONNECT_TIMEOUT_S, conninfo, NULL};
    PGPing p = PQpingParams(keys, vals, 1);
    return p == PQPING_NO_RESPONSE || p == PQPING_REJECT;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

sg_err pg_connect(pg_conn *c, sg_error *e)
{
    int64_t start = sg_time_mono_ms(), delay = RETRY_FIRST_MS;
    char where[256], why[256];
    for (int attempt = 1;; attempt++) {
        PGconn *pg = connect_once(c->conninfo);
        if (pg && PQstatus(pg) == CONNECTION_OK) {
            PQsetNoticeProcessor(pg, on_notice, NULL);
            c->pg = pg;
            return SG_OK;
        }
        if (!pg)
            return sg_error_set(e, SG_ERR_NOMEM, "db", "out of memory connecting to PostgreSQL");
        pg_describe(pg, where, sizeof where);
        one_line(PQerrorMessage(pg), why, sizeof why);
        PQfinish(pg);
        int64_t waited = sg_time_mono_ms() - start;
        if (!worth_retrying(c->conninfo))
            return sg_error_set(e, SG_ERR_DB, "db", "cannot connect to PostgreSQL (%s): %s", where,
                                why);
        if (waited + delay > c->wait_ms)
            return sg_error_set(e, SG_ERR_UNAVAILABLE, "db",
                                "PostgreSQL is not answering (%s; %d attempt%s over %.1f s): %s",
                                where, attempt, attempt == 1 ? "" : "s", waited / 1000.0, why);
        sg_log(SG_LOG_WARN, "pg_connect_retry", "attempt=%d retry_in_ms=%lld error=\"%s\"", attempt,
               (long long)delay, why);
        sleep_ms(delay);
        delay = delay * 2 > RETRY_CAP_MS ? RETRY_CAP_MS : delay * 2;
    }
}

void pg_conn_free(pg_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    free(c->conninfo);
    c->pg = NULL;
    c->conninfo = NULL;
}

sg_err pg_conn_ready(pg_conn *c, sg_error *e)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return SG_OK;
    bool lost = c->pg != NULL; /* else: a pool connection's first use */
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    int64_t keep = c->wait_ms;
    c->wait_ms = 0; /* one attempt: answer now, try again at the next call */
    sg_err err = pg_connect(c, e);
    c->wait_ms = keep;
    if (!err && lost) {
        char where[256];
        pg_describe(c->pg, where, sizeof where);
        sg_log(SG_LOG_INFO, "pg_reconnected", "db=\"%s\"", where);
    }
    return err;
}

/* ---- statements ---------------------------------------------------------------------- */

typedef struct sqlstate_class {
    const char *prefix; /* SQLSTATE or its class (first two characters) */
    sg_err err;
} sqlstate_class;

/* First match wins: exact codes before their class. */
static const sqlstate_class sqlstate_classes[] = {
    {"23505", SG_ERR_CONFLICT}, /* unique_violation */
    {"40001", SG_ERR_BUSY},     /* serialization_failure */
    {"40P01", SG_ERR_BUSY},     /* deadlock_detected */
    {"55P03", SG_ERR_BUSY},     /* lock_not_available */
    {"53100", SG_ERR_FULL},     /* disk_full */
    {"53", SG_ERR_BUSY},        /* insufficient resources: too many connections, memory */
    {"57P", SG_ERR_UNAVAILABLE}, /* operator intervention: shutdown, crash */
    {"08", SG_ERR_UNAVAILABLE},  /* connection exception */
};

static sg_err sqlstate_err(const char *state)
{
    for (size_t i = 0; state && i < sizeof sqlstate_classes / sizeof sqlstate_classes[0]; i++)
        if (strncmp(state, sqlstate_classes[i].prefix, strlen(sqlstate_classes[i].prefix)) == 0)
            return sqlstate_classes[i].err;
    return SG_ERR_DB;
}

sg_err pg_result_error(pg_conn *c, const PGresult *r, const char *doing, sg_error *e)
{
    char why[200];
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        one_line(c->pg ? PQerrorMessage(c->pg) : "", why, sizeof why);
        return sg_error_set(e, SG_ERR_UNAVAILABLE, NULL, "lost the connection to PostgreSQL %s: %s",
                            doing, why);
    }
    if (!r)
        return sg_error_set(e, SG_ERR_NOMEM, NULL, "out of memory %s", doing);
    one_line(PQresultErrorMessage(r), why, sizeof why);
    return sg_error_set(e, sqlstate_err(PQresultErrorField(r, PG_DIAG_SQLSTATE)), NULL,
                        "PostgreSQL failed %s: %s", doing, why);
}

static bool result_ok(const PGresult *r)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY;
}

sg_err pg_exec(pg_conn *c, const char *sql, sg_error *e)
{
    PGresult *r = PQexec(c->pg, sql);
    sg_err err = result_ok(r) ? SG_OK : pg_result_error(c, r, "running a statement", e);
    PQclear(r);
    return err;
}

sg_err pg_query(pg_conn *c, const char *sql, int n, const char *const *params, PGresult **res,
                sg_error *e)
{
    PGresult *r = PQexecParams(c->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (!result_ok(r)) {
        sg_err err = pg_result_error(c, r, "running a statement", e);
        PQclear(r);
        return err;
    }
    if (res)
        *res = r;
    else
        PQclear(r);
    return SG_OK;
}
