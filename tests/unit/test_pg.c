/* Issue 14: the PostgreSQL backend's building blocks (src/store/pg/): what a
 * database URL names, the migrations table against SQLite's, and, against the
 * run's PostgreSQL (SMSGATE_TEST_PG, started by scripts/pg-test-cluster in
 * `make unit`/`make test`), SQLSTATE classes and reconnecting after the server
 * dropped the connection. Without SMSGATE_TEST_PG the live tests are skipped
 * and say so; `make` always sets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/migrations.h"
#include "store/pg/pg_internal.h"
#include "store/pg/pg_store.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_url_is_postgres(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        bool pg;
        const char *why;
    } rows[] = {
        {"postgres://smsgate:pw@db:5432/smsgate", true, "URL"},
        {"postgresql://db/smsgate", true, "the other URL scheme"},
        {"postgres:///smsgate?host=/run/postgresql", true, "socket directory in the query"},
        {"host=db dbname=smsgate user=smsgate", true, "libpq keywords"},
        {"  dbname = smsgate ", true, "keywords with spaces"},
        {"service=smsgate", true, "a pg_service.conf entry"},
        {"./smsgate.db", false, "a SQLite path"},
        {"smsgate.db", false, "a bare SQLite file name"},
        {"/var/lib/a=b.db", false, "a path with '=' is not keywords"},
        {"host=db nonsense=1", false, "an unknown keyword: not libpq's"},
        {"postgres:/smsgate", false, "one slash: a relative file path"},
        {"", false, "empty"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (sg_store_url_is_postgres(rows[i].url) != rows[i].pg)
            fail_msg("row %zu '%s' (%s): expected %s", i, rows[i].url, rows[i].why,
                     rows[i].pg ? "PostgreSQL" : "SQLite");
    assert_false(sg_store_url_is_postgres(NULL));
}

/* A schema version means the same on both backends: same numbers, same names,
 * in order. A migration added to one table only fails here (tests/e2e/
 * test_pg_migrate.py compares the schemas themselves). */
/* What logs and messages show of a --db value: never a PostgreSQL password. */
static void test_url_display_hides_the_password(void **state)
{
    (void)state;
    char out[256];
    sg_store_url_display("postgres://sg:s3cret@db.example:6432/gate", out, sizeof out);
    assert_string_equal(out, "database gate on db.example:6432 as sg");
    sg_store_url_display("host=db port=5433 dbname=x user=u password=s3cret", out, sizeof out);
    assert_string_equal(out, "database x on db:5433 as u");
    sg_store_url_display("postgresql://u@h/d?password=s3cret", out, sizeof out);
    assert_null(strstr(out, "s3cret"));
    sg_store_url_display("/var/lib/smsgate/smsgate.db", out, sizeof out);
    assert_string_equal(out, "/var/lib/smsgate/smsgate.db");
}

static void test_migrations_match_sqlite(void **state)
{
    (void)state;
    if (sg_pg_migrations_count != sg_sqlite_migrations_count)
        fail_msg("%zu PostgreSQL migrations, %zu SQLite ones: add the missing one to "
                 "src/store/pg/pg_migrations.c",
                 sg_pg_migrations_count, sg_sqlite_migrations_count);
    for (size_t i = 0; i < sg_pg_migrations_count; i++) {
        const sg_migration *p = &sg_pg_migrations[i], *s = &sg_sqlite_migrations[i];
        if (p->version != (int)i + 1 || s->version != p->version)
            fail_msg("row %zu: PostgreSQL version %d, SQLite %d", i, p->version, s->version);
        if (strcmp(p->name, s->name) != 0)
            fail_msg("version %d: '%s' on PostgreSQL, '%s' on SQLite", p->version, p->name,
                     s->name);
    }
}

/* backend.h: every field must be set. A store function added to the seam
 * without its PostgreSQL entry (or its SG_ERR_UNSUPPORTED stub in
 * pg_unsupported.c) would be a NULL call; this names the table and slot. The
 * tables hold only function pointers, read here as bytes. */
static void test_every_op_is_set(void **state)
{
    (void)state;
    const sg_store_backend *be = &sg_pg_backend;
    static const struct {
        const char *name;
        size_t offset;
    } tables[] = {
#define TABLE(f) {#f, offsetof(sg_store_backend, f)}
        TABLE(core),      TABLE(keys),      TABLE(limits),     TABLE(providers), TABLE(messages),
        TABLE(dispatch),  TABLE(callbacks), TABLE(inbound),    TABLE(contacts),  TABLE(timeline),
        TABLE(optouts),   TABLE(audience),  TABLE(broadcasts), TABLE(stats),     TABLE(webhooks),
        TABLE(retention), TABLE(users),     TABLE(apps),       TABLE(search),    TABLE(imports),
        TABLE(routes),    TABLE(app_ck),    TABLE(prices),     TABLE(keywords),
#undef TABLE
    };
    static const size_t sizes[] = {
        sizeof(sg_store_core_ops),       sizeof(sg_store_keys_ops),
        sizeof(sg_store_limits_ops),     sizeof(sg_store_providers_ops),
        sizeof(sg_store_messages_ops),   sizeof(sg_store_dispatch_ops),
        sizeof(sg_store_callbacks_ops),  sizeof(sg_store_inbound_ops),
        sizeof(sg_store_contacts_ops),   sizeof(sg_store_timeline_ops),
        sizeof(sg_store_optouts_ops),    sizeof(sg_store_audience_ops),
        sizeof(sg_store_broadcasts_ops), sizeof(sg_store_stats_ops),
        sizeof(sg_store_webhooks_ops),   sizeof(sg_store_retention_ops),
        sizeof(sg_store_users_ops),      sizeof(sg_store_apps_ops),
        sizeof(sg_store_search_ops),     sizeof(sg_store_imports_ops),
        sizeof(sg_store_routes_ops),     sizeof(sg_store_app_ck_ops),
        sizeof(sg_store_prices_ops),     sizeof(sg_store_keywords_ops),
    };
    assert_int_equal(sizeof tables / sizeof tables[0], sizeof sizes / sizeof sizes[0]);
    assert_non_null(be->open);
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
        const unsigned char *ops;
        memcpy(&ops, (const unsigned char *)be + tables[t].offset, sizeof ops);
        if (!ops)
            fail_msg("sg_pg_backend.%s is NULL", tables[t].name);
        static const unsigned char zero[sizeof(void (*)(void))];
        for (size_t off = 0; off < sizes[t]; off += sizeof zero)
            if (memcmp(ops + off, zero, sizeof zero) == 0)
                fail_msg("sg_pg_backend.%s: function %zu is NULL", tables[t].name,
                         off / sizeof zero);
    }
}

/* ---- against the run's PostgreSQL --------------------------------------------------- */

static bool live(pg_conn *c)
{
    const char *url = getenv("SMSGATE_TEST_PG");
    if (!url || !*url) {
        print_message("SMSGATE_TEST_PG is not set: skipped (run through make, or "
                      "scripts/pg-test-cluster run -- ...)\n");
        return false;
    }
    c->conninfo = strdup(url);
    c->wait_ms = 10000;
    sg_error e = {0};
    if (pg_connect(c, &e))
        fail_msg("connecting: %s", e.message);
    return true;
}

static void test_sqlstate_classes(void **state)
{
    (void)state;
    pg_conn c = {0};
    if (!live(&c)) {
        skip();
        return;
    }
    sg_error e = {0};
    /* Session state is fine here: this connection is the test's own. */
    assert_int_equal(
        pg_exec(&c, "CREATE TEMP TABLE t (k int PRIMARY KEY); INSERT INTO t VALUES (1)", &e),
        SG_OK);
    const char *one[] = {"1"};
    assert_int_equal(pg_query(&c, "INSERT INTO t VALUES ($1::int)", 1, one, NULL, &e),
                     SG_ERR_CONFLICT);
    assert_non_null(strstr(e.message, "duplicate key"));
    assert_int_equal(pg_query(&c, "SELECT 1/0", 0, NULL, NULL, &e), SG_ERR_DB);
    assert_non_null(strstr(e.message, "division by zero"));
    PGresult *r = NULL;
    assert_int_equal(pg_query(&c, "SELECT $1::int + 1", 1, one, &r, &e), SG_OK);
    assert_string_equal(PQgetvalue(r, 0, 0), "2");
    PQclear(r);
    pg_conn_free(&c);
}

/* The server ends the session (as a restart does): the statement that meets it
 * fails at once with a clear error, and the next pg_conn_ready connects again. */
static void test_reconnect_after_the_server_dropped_us(void **state)
{
    (void)state;
    pg_conn c = {0};
    if (!live(&c)) {
        skip();
        return;
    }
    sg_error e = {0};
    PGresult *r = NULL;
    assert_int_equal(pg_query(&c, "SELECT pg_backend_pid()", 0, NULL, &r, &e), SG_OK);
    char before[16];
    snprintf(before, sizeof before, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    sg_err err = pg_query(&c, "SELECT pg_terminate_backend(pg_backend_pid())", 0, NULL, NULL, &e);
    if (!err)
        err = pg_query(&c, "SELECT 1", 0, NULL, NULL, &e);
    assert_int_equal(err, SG_ERR_UNAVAILABLE); /* the API answers 503 store_unavailable */
    assert_non_null(strstr(e.message, "connection"));
    assert_int_equal(pg_conn_ready(&c, &e), SG_OK);
    assert_int_equal(pg_query(&c, "SELECT pg_backend_pid()", 0, NULL, &r, &e), SG_OK);
    assert_string_not_equal(PQgetvalue(r, 0, 0), before);
    PQclear(r);
    pg_conn_free(&c);
}

/* A server that is not there: pg_conn_ready answers at once (no waiting in a
 * request), with the server named and without the password. */
static void test_ready_without_a_server_answers_at_once(void **state)
{
    (void)state;
    pg_conn c = {.conninfo = strdup("postgres://u:hunter2@127.0.0.1:1/db"), .wait_ms = 60000};
    sg_error e = {0};
    assert_int_equal(pg_conn_ready(&c, &e), SG_ERR_UNAVAILABLE);
    assert_non_null(strstr(e.message, "PostgreSQL is not answering (database db on 127.0.0.1:1"));
    assert_non_null(strstr(e.message, "1 attempt over"));
    assert_null(strstr(e.message, "hunter2"));
    pg_conn_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_is_postgres),
        cmocka_unit_test(test_url_display_hides_the_password),
        cmocka_unit_test(test_migrations_match_sqlite),
        cmocka_unit_test(test_every_op_is_set),
        cmocka_unit_test(test_sqlstate_classes),
        cmocka_unit_test(test_reconnect_after_the_server_dropped_us),
        cmocka_unit_test(test_ready_without_a_server_answers_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
