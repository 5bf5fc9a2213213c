/* The node's breakers (dispatch/breakers.h): send classes mapped to results
 * (recipient errors never trip a breaker; retry-class answers do), one breaker
 * per provider id, admission and cancel, health, the metrics text, and NULL
 * breakers letting everything through. No store: events are not written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dispatch/breakers.h"

#include <string.h>

static const sg_breaker_config cfg = {
    .consecutive = 2,
    .rate_percent = 0,
    .min_attempts = 1,
    .window_ms = 10000,
    .cooldown_ms = 1000,
    .probes = 1,
    .successes = 1,
};

static sg_breakers *make(void)
{
    sg_breakers *b = NULL;
    sg_error e = {0};
    assert_int_equal(sg_breakers_new(&cfg, NULL, &b, &e), SG_OK);
    return b;
}

/* Send up to n answers of class cls to provider id at now; stops when the breaker
 * refuses a send. Returns how many went. */
static int answers(sg_breakers *b, const char *id, int64_t now, sg_sendclass cls, int n)
{
    for (int i = 0; i < n; i++) {
        int64_t retry_at = 0;
        uint32_t t = sg_breakers_admit(b, id, "name", now, &retry_at);
        if (!t)
            return i;
        sg_breakers_record(b, id, "name", now, t, cls);
    }
    return n;
}

static void test_classes(void **state)
{
    (void)state;
    struct {
        sg_sendclass cls;
        bool trips;
        const char *why;
    } rows[] = {
        {SG_SENDCLASS_PROVIDER, true, "provider class is a failure"},
        {SG_SENDCLASS_RETRY, true, "retry class (timeout, 429) is a failure"},
        {SG_SENDCLASS_RECIPIENT, false, "recipient errors never trip it"},
        {SG_SENDCLASS_ACCEPTED, false, "accepted is a success"},
        {SG_SENDCLASS_NONE, false, "none says nothing"},
        {SG_SENDCLASS_UNSET, false, "unset says nothing"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sg_breakers *b = make();
        int went = answers(b, "prv_a", 100, rows[i].cls, 5);
        sg_breaker_health h;
        sg_breakers_health(b, "prv_a", 100, &h);
        if ((h.state == SG_BREAKER_OPEN) != rows[i].trips || went != (rows[i].trips ? 2 : 5))
            fail_msg("%s: state %s after %d sends", rows[i].why, sg_breaker_state_name(h.state),
                     went);
        sg_breakers_destroy(b);
    }
}

static void test_per_provider_and_admission(void **state)
{
    (void)state;
    sg_breakers *b = make();
    assert_int_equal(answers(b, "prv_a", 100, SG_SENDCLASS_PROVIDER, 2), 2);
    assert_false(sg_breakers_usable(b, "prv_a", 100));
    assert_true(sg_breakers_usable(b, "prv_b", 100)); /* another provider, never seen */
    int64_t retry_at = 0;
    assert_int_equal(sg_breakers_admit(b, "prv_a", "name", 500, &retry_at), 0);
    assert_int_equal(retry_at, 1100); /* the end of the cool-down */
    /* After the cool-down one probe; a cancelled probe frees the slot. */
    uint32_t t = sg_breakers_admit(b, "prv_a", "name", 1100, &retry_at);
    assert_int_not_equal(t, 0);
    assert_int_equal(sg_breakers_admit(b, "prv_a", "name", 1101, &retry_at), 0);
    assert_int_equal(retry_at, 1101 + SG_BREAKER_PROBE_WAIT_MS);
    sg_breakers_cancel(b, "prv_a", t);
    t = sg_breakers_admit(b, "prv_a", "name", 1102, &retry_at);
    assert_int_not_equal(t, 0);
    sg_breakers_record(b, "prv_a", "name", 1103, t, SG_SENDCLASS_RECIPIENT);
    sg_breaker_health h;
    sg_breakers_health(b, "prv_a", 1104, &h);
    assert_int_equal(h.state, SG_BREAKER_CLOSED);
    assert_int_equal(h.transitions[SG_BREAKER_OPEN], 1);
    assert_int_equal(h.transitions[SG_BREAKER_HALF_OPEN], 1);
    assert_int_equal(h.transitions[SG_BREAKER_CLOSED], 1);
    sg_breakers_destroy(b);
}

static void test_metrics_text(void **state)
{
    (void)state;
    sg_breakers *b = make();
    answers(b, "prv_a", 100, SG_SENDCLASS_PROVIDER, 2);
    sg_buf out;
    sg_buf_init(&out, 1 << 16);
    sg_breakers_render_metrics(b, &out);
    const char *t = sg_buf_cstr(&out);
    assert_non_null(
        strstr(t, "smsgate_provider_breaker_state{provider=\"name\",state=\"open\"} 1\n"));
    assert_non_null(
        strstr(t, "smsgate_provider_breaker_state{provider=\"name\",state=\"closed\"} 0\n"));
    assert_non_null(
        strstr(t, "smsgate_provider_breaker_transitions_total{provider=\"name\",to=\"open\"} 1\n"));
    sg_buf_free(&out);
    sg_breakers_destroy(b);
}

static void test_null_breakers_let_everything_through(void **state)
{
    (void)state;
    assert_true(sg_breakers_usable(NULL, "prv_a", 0));
    assert_true(sg_breakers_usable_now("prv_a", NULL));
    int64_t retry_at = 0;
    uint32_t t = sg_breakers_admit(NULL, "prv_a", "name", 0, &retry_at);
    assert_int_not_equal(t, 0);
    sg_breakers_record(NULL, "prv_a", "name", 0, t, SG_SENDCLASS_PROVIDER);
    sg_breaker_health h;
    sg_breakers_health(NULL, "prv_a", 0, &h);
    assert_int_equal(h.state, SG_BREAKER_CLOSED);
    sg_error e = {0};
    sg_breaker_config bad = cfg;
    bad.probes = 0;
    sg_breakers *b = NULL;
    assert_int_equal(sg_breakers_new(&bad, NULL, &b, &e), SG_ERR_INVALID);
    assert_non_null(strstr(e.message, "probes"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_per_provider_and_admission),
        cmocka_unit_test(test_metrics_text),
        cmocka_unit_test(test_null_breakers_let_everything_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
