/* core/reply_limit: how many consent confirmations may go to one number (issue 11
 * item 5, SMS pumping). Times are explicit milliseconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/reply_limit.h"

#include <stdio.h>

#define MIN (60 * 1000)
#define A   "+447400123456"
#define B   "+447400123457"

static void test_one_per_kind_per_window(void **state)
{
    sg_reply_limit *l = sg_reply_limit_new(42);
    assert_non_null(l);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 1000), SG_REPLY_OK);
    /* HELP, HELP, HELP...: one reply per ten minutes */
    for (int64_t t = 1001; t < 1000 + SG_REPLY_KIND_WINDOW_MS; t += MIN)
        assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, t), SG_REPLY_KIND_LIMIT);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 1000 + SG_REPLY_KIND_WINDOW_MS - 1),
                     SG_REPLY_KIND_LIMIT);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 1000 + SG_REPLY_KIND_WINDOW_MS),
                     SG_REPLY_OK);
    /* another number is not affected */
    assert_int_equal(sg_reply_limit_take(l, B, SG_KEYWORD_HELP, 1002), SG_REPLY_OK);
    sg_reply_limit_destroy(l);
}

static void test_hourly_cap(void **state)
{
    sg_reply_limit *l = sg_reply_limit_new(7);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_OPT_OUT, 0), SG_REPLY_OK);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_OPT_IN, 1), SG_REPLY_OK);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 2), SG_REPLY_OK);
    /* three this hour: a fourth of any kind waits for the hour to end */
    assert_int_equal(SG_REPLY_HOURLY_CAP, 3);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_OPT_OUT, 11 * MIN),
                     SG_REPLY_HOURLY_LIMIT);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 59 * MIN), SG_REPLY_HOURLY_LIMIT);
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 60 * MIN), SG_REPLY_OK);
    sg_reply_limit_destroy(l);
}

/* Keyword rules' replies: their own hourly count, no window per kind, and
 * neither count uses up the other. */
static void test_rule_replies_counted_apart(void **state)
{
    sg_reply_limit *l = sg_reply_limit_new(9);
    for (int i = 0; i < SG_REPLY_RULE_HOURLY_CAP; i++)
        assert_int_equal(sg_reply_limit_take_rule(l, A, 1000 + i), SG_REPLY_OK);
    assert_int_equal(sg_reply_limit_take_rule(l, A, 1000 + SG_REPLY_RULE_HOURLY_CAP),
                     SG_REPLY_HOURLY_LIMIT);
    assert_int_equal(sg_reply_limit_take_rule(l, A, 59 * MIN), SG_REPLY_HOURLY_LIMIT);
    /* the confirmations are not used up by rule replies */
    assert_int_equal(sg_reply_limit_take(l, A, SG_KEYWORD_HELP, 2 * MIN), SG_REPLY_OK);
    /* another number is not affected; the next hour answers again */
    assert_int_equal(sg_reply_limit_take_rule(l, B, 3 * MIN), SG_REPLY_OK);
    assert_int_equal(sg_reply_limit_take_rule(l, A, 1000 + 60 * MIN), SG_REPLY_OK);
    assert_int_equal(sg_reply_limit_take_rule(NULL, A, 0), SG_REPLY_OK);
    sg_reply_limit_destroy(l);
}

/* Twice as many distinct numbers as the table holds, all within the hour: some
 * are refused (table_full), none that got a reply is forgotten (asking again is
 * kind_limit, never ok), and an hour later the room is there again. */
static void test_table_full_fails_closed(void **state)
{
    sg_reply_limit *l = sg_reply_limit_new(99);
    char n[32];
    int ok = 0, full = 0;
    for (int i = 0; i < 2 * SG_REPLY_SLOTS; i++) {
        snprintf(n, sizeof n, "+1555%07d", i);
        sg_reply_verdict v = sg_reply_limit_take(l, n, SG_KEYWORD_HELP, 1000);
        if (v == SG_REPLY_OK)
            ok++;
        else if (v == SG_REPLY_TABLE_FULL)
            full++;
        else
            fail_msg("number %s: unexpected verdict %s", n, sg_reply_verdict_name(v));
    }
    assert_true(ok <= SG_REPLY_SLOTS);
    assert_true(full >= SG_REPLY_SLOTS);
    for (int i = 0; i < 2 * SG_REPLY_SLOTS; i++) {
        snprintf(n, sizeof n, "+1555%07d", i);
        sg_reply_verdict v = sg_reply_limit_take(l, n, SG_KEYWORD_HELP, 2000);
        if (v == SG_REPLY_OK)
            fail_msg("number %s got a second HELP reply within ten minutes", n);
    }
    assert_int_equal(sg_reply_limit_take(l, "+15559999999", SG_KEYWORD_HELP, 1000 + 60 * MIN),
                     SG_REPLY_OK);
    sg_reply_limit_destroy(l);
}

static void test_null_allows(void **state)
{
    assert_int_equal(sg_reply_limit_take(NULL, A, SG_KEYWORD_HELP, 0), SG_REPLY_OK);
    assert_string_equal(sg_reply_verdict_name(SG_REPLY_HOURLY_LIMIT), "hourly_limit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_per_kind_per_window),
        cmocka_unit_test(test_hourly_cap),
        cmocka_unit_test(test_rule_replies_counted_apart),
        cmocka_unit_test(test_table_full_fails_closed),
        cmocka_unit_test(test_null_allows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
