/* Issue 14: a matched keyword rule's actions on PostgreSQL
 * (pg_keyword_actions_run, src/store/pg/pg_keywords.c), run as the inbound
 * write will run them: inside one writer transaction. Against a fresh database
 * of the run's PostgreSQL (SMSGATE_TEST_PG, started by scripts/pg-test-cluster
 * in `make unit`/`make test`); skipped, saying so, without it. The same
 * actions on SQLite are covered through sg_store_inbound (test_store_conformance,
 * tests/e2e/test_keywords.py). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/pg/pg_store.h"
#include "store/store.h"
#include "util/log.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENDER "+447700900001"

typedef struct fx {
    char admin[512], url[600], db[32];
    sg_store *s;
    int64_t t0;
} fx;

static sg_err admin_exec(const char *url, const char *sql)
{
    pg_conn c = {.conninfo = strdup(url), .wait_ms = 10000};
    sg_error e = {0};
    sg_err err = pg_connect(&c, &e);
    if (!err)
        err = pg_exec(&c, sql, &e);
    if (err)
        print_message("%s: %s\n", sql, e.message);
    pg_conn_free(&c);
    return err;
}

/* A new database beside the cluster's "postgres" one, migrated. */
static int setup(void **state)
{
    const char *base = getenv("SMSGATE_TEST_PG");
    if (!base || !*base)
        return 0;
    fx *f = calloc(1, sizeof *f);
    const char *slash = strrchr(base, '/');
    if (!f || !slash)
        return -1;
    snprintf(f->admin, sizeof f->admin, "%s", base);
    snprintf(f->db, sizeof f->db, "sgkw%d", (int)getpid());
    snprintf(f->url, sizeof f->url, "%.*s/%s", (int)(slash - base), base, f->db);
    char sql[64];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", f->db);
    sg_error e = {0};
    if (admin_exec(f->admin, sql) || sg_store_open(f->url, &f->s, &e) ||
        sg_store_migrate(f->s, NULL, &e)) {
        print_message("setting up %s: %s\n", f->db, e.message);
        return -1;
    }
    f->t0 = sg_time_now_ms();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (!f)
        return 0;
    sg_store_close(f->s);
    char sql[64];
    snprintf(sql, sizeof sql, "DROP DATABASE %s", f->db);
    admin_exec(f->admin, sql);
    free(f);
    return 0;
}

static sg_err actions_fn(pg_conn *c, void *arg, sg_error *e)
{
    return pg_keyword_actions_run(c, arg, e);
}

static void msg_init(sg_message *m, const char *direction, const char *to, const char *from,
                     const char *body, int64_t now)
{
    memset(m, 0, sizeof *m);
    sg_id_new("msg", now, m->id);
    m->status = direction[0] == 'i' ? SG_STATUS_RECEIVED : SG_STATUS_QUEUED;
    snprintf(m->direction, sizeof m->direction, "%s", direction);
    snprintf(m->to, sizeof m->to, "%s", to);
    snprintf(m->from, sizeof m->from, "%s", from);
    m->body = (char *)body;
    snprintf(m->provider_id, sizeof m->provider_id, "prv_none");
    m->segments = 1;
    m->encoding = SG_ENC_GSM7;
    m->created_at = m->updated_at = now;
}

static int64_t count(fx *f, const char *sql)
{
    PGresult *r;
    assert_int_equal(pg_read(pg_of(f->s), sql, 0, NULL, &r, NULL), SG_OK);
    int64_t n = pg_col_i64(r, 0, 0);
    PQclear(r);
    return n;
}

/* JOIN: the match recorded, the sender added to a group created for it (with
 * its reply), an attribute set, message.matched queued; the same again: already
 * a member (the other reply); opted out: no reply at all. */
static void test_actions_run_in_the_inbound_write(void **state)
{
    fx *f = *state;
    if (!f) {
        print_message("SMSGATE_TEST_PG is not set: skipped\n");
        skip();
        return;
    }
    sg_error e = {0};
    sg_contact ct = {.created_at = f->t0, .updated_at = f->t0, .attributes = (char *)"{}"};
    sg_id_new("ctc", f->t0, ct.id);
    snprintf(ct.phone, sizeof ct.phone, SENDER);
    assert_int_equal(sg_store_contact_insert(f->s, &ct, &e), SG_OK);
    sg_webhook w = {.active = true, .created_at = f->t0};
    sg_id_new("whk", f->t0, w.id);
    snprintf(w.url, sizeof w.url, "http://127.0.0.1:9/hook");
    snprintf(w.events, sizeof w.events, "message.matched");
    w.secret_sealed = (char *)"sealed";
    assert_int_equal(sg_store_webhook_insert(f->s, &w, &e), SG_OK);

    sg_message in, welcome, again;
    msg_init(&in, "inbound", "+447700900999", SENDER, "JOIN", f->t0);
    msg_init(&welcome, "outbound", SENDER, "+447700900999", "Welcome", f->t0 + 1);
    msg_init(&again, "outbound", SENDER, "+447700900999", "Already in", f->t0 + 2);
    sg_inbound_action acts[3] = {
        {.kind = SG_IA_GROUP_ADD, .group = "joiners", .reply = &welcome, .reply_else = &again},
        {.kind = SG_IA_SET_ATTRIBUTE, .name = "source", .value = "keyword"},
        {.kind = SG_IA_EVENT},
    };
    sg_inbound ib = {.msg = &in,
                     .rule_id = "kwr_rule",
                     .rule_keyword = "join",
                     .rule_json = "{\"id\":\"kwr_rule\"}",
                     .actions = acts,
                     .n_actions = 3};
    snprintf(ib.contact_id, sizeof ib.contact_id, "%s", ct.id);
    assert_int_equal(pg_write(pg_of(f->s), actions_fn, &ib, &e), SG_OK);
    assert_true(acts[0].changed);
    sg_group g;
    assert_int_equal(sg_store_group_get(f->s, "joiners", &g), SG_OK);
    assert_int_equal(g.members, 1);
    sg_message got;
    assert_int_equal(sg_store_message_get(f->s, welcome.id, &got), SG_OK);
    assert_string_equal(got.contact_id, ct.id);
    sg_message_free(&got);
    assert_int_equal(sg_store_message_get(f->s, again.id, &got), SG_ERR_NOT_FOUND);
    sg_contact after;
    assert_int_equal(sg_store_contact_get(f->s, ct.id, &after), SG_OK);
    assert_non_null(strstr(after.attributes, "\"source\": \"keyword\""));
    sg_contact_free(&after);
    assert_int_equal(count(f, "SELECT count(*) FROM keyword_matches WHERE rule_id = 'kwr_rule' "
                              "AND keyword = 'join' AND phone = '" SENDER "'"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM webhook_deliveries WHERE event = "
                              "'message.matched'"),
                     1);

    /* again: already a member, so the other reply */
    msg_init(&in, "inbound", "+447700900999", SENDER, "JOIN", f->t0 + 10);
    msg_init(&welcome, "outbound", SENDER, "+447700900999", "Welcome", f->t0 + 11);
    msg_init(&again, "outbound", SENDER, "+447700900999", "Already in", f->t0 + 12);
    acts[0].changed = false;
    assert_int_equal(pg_write(pg_of(f->s), actions_fn, &ib, &e), SG_OK);
    assert_false(acts[0].changed);
    assert_int_equal(sg_store_message_get(f->s, welcome.id, &got), SG_ERR_NOT_FOUND);
    assert_int_equal(sg_store_message_get(f->s, again.id, &got), SG_OK);
    sg_message_free(&got);

    /* opted out: the membership changes, no reply is queued */
    sg_optout o = {.created_at = f->t0};
    snprintf(o.phone, sizeof o.phone, SENDER);
    snprintf(o.source, sizeof o.source, "api");
    bool changed;
    assert_int_equal(sg_store_optout_add(f->s, &o, &changed, &e), SG_OK);
    sg_message bye;
    msg_init(&in, "inbound", "+447700900999", SENDER, "LEAVE", f->t0 + 20);
    msg_init(&bye, "outbound", SENDER, "+447700900999", "Bye", f->t0 + 21);
    sg_inbound_action leave = {.kind = SG_IA_GROUP_REMOVE, .group = "joiners", .reply = &bye};
    ib.actions = &leave;
    ib.n_actions = 1;
    assert_int_equal(pg_write(pg_of(f->s), actions_fn, &ib, &e), SG_OK);
    assert_true(leave.changed);
    assert_int_equal(sg_store_message_get(f->s, bye.id, &got), SG_ERR_NOT_FOUND);
    assert_int_equal(sg_store_group_get(f->s, "joiners", &g), SG_OK);
    assert_int_equal(g.members, 0);
    assert_int_equal(count(f, "SELECT count(*) FROM keyword_matches"), 3);

    /* leaving a group that does not exist changes nothing and creates nothing */
    sg_inbound_action nowhere = {.kind = SG_IA_GROUP_REMOVE, .group = "nowhere"};
    ib.actions = &nowhere;
    assert_int_equal(pg_write(pg_of(f->s), actions_fn, &ib, &e), SG_OK);
    assert_false(nowhere.changed);
    assert_int_equal(sg_store_group_get(f->s, "nowhere", &g), SG_ERR_NOT_FOUND);
    /* no rule: nothing recorded */
    ib.rule_id = NULL;
    assert_int_equal(pg_write(pg_of(f->s), actions_fn, &ib, &e), SG_OK);
    assert_int_equal(count(f, "SELECT count(*) FROM keyword_matches"), 4);
}

int main(void)
{
    sg_log_set_level(SG_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_actions_run_in_the_inbound_write, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
