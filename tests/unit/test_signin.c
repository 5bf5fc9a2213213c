/* Sign-in rules (core/signin.h): the throttle's delays and windows, the CSRF
 * comparison, and reading a cookie out of a Cookie header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/signin.h"
#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

#define MIN_MS (60 * 1000)

static void test_account_delay_doubles_to_the_cap(void **state)
{
    (void)state;
    static const struct {
        int64_t failures;
        int64_t want_ms;
        const char *why;
    } rows[] = {
        {0, 0, "no failure"},
        {4, 0, "one below the threshold"},
        {5, 30000, "at the threshold: the base"},
        {6, 60000, "doubles"},
        {7, 120000, "doubles again"},
        {9, 480000, "8 min"},
        {10, 15 * MIN_MS, "16 min is capped at 15"},
        {1000000, 15 * MIN_MS, "a huge count saturates, no overflow"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t got = sg_throttle_delay_ms(&sg_throttle_account, rows[i].failures);
        if (got != rows[i].want_ms)
            fail_msg("row %zu (%s): %lld failures -> %lld ms, want %lld", i, rows[i].why,
                     (long long)rows[i].failures, (long long)got, (long long)rows[i].want_ms);
    }
}

static void test_account_locks_after_five(void **state)
{
    (void)state;
    sg_throttle_state st = {0};
    int64_t now = 1000000;
    for (int i = 0; i < 4; i++)
        sg_throttle_fail(&sg_throttle_account, &st, now + i);
    assert_int_equal(sg_throttle_wait_ms(&st, now + 4), 0);
    sg_throttle_fail(&sg_throttle_account, &st, now + 4);
    assert_int_equal(st.failures, 5);
    assert_int_equal(sg_throttle_wait_ms(&st, now + 4), 30000);
    assert_int_equal(sg_throttle_retry_after_s(sg_throttle_wait_ms(&st, now + 5)), 30);
    /* the lock runs out; the next failure locks twice as long */
    int64_t later = now + 4 + 30000;
    assert_int_equal(sg_throttle_wait_ms(&st, later), 0);
    sg_throttle_fail(&sg_throttle_account, &st, later);
    assert_int_equal(sg_throttle_wait_ms(&st, later), 60000);
}

static void test_window_over_starts_again(void **state)
{
    (void)state;
    sg_throttle_state st = {0};
    for (int i = 0; i < 4; i++)
        sg_throttle_fail(&sg_throttle_account, &st, 1000 + i);
    /* an hour after the first failure the count starts from one */
    sg_throttle_fail(&sg_throttle_account, &st, 1000 + 3600 * 1000);
    assert_int_equal(st.failures, 1);
    assert_int_equal(sg_throttle_wait_ms(&st, 1000 + 3600 * 1000), 0);
}

static void test_address_locks_until_the_window_ends(void **state)
{
    (void)state;
    sg_throttle_state st = {0};
    int64_t t0 = 5000;
    for (int i = 0; i < 19; i++)
        sg_throttle_fail(&sg_throttle_address, &st, t0 + i * 1000);
    assert_int_equal(sg_throttle_wait_ms(&st, t0 + 19000), 0);
    sg_throttle_fail(&sg_throttle_address, &st, t0 + 19000);
    /* locked until ten minutes after the first failure, not after the last */
    assert_int_equal(st.locked_until, t0 + 10 * MIN_MS);
    assert_int_equal(sg_throttle_wait_ms(&st, t0 + 19000), 10 * MIN_MS - 19000);
    assert_int_equal(sg_throttle_wait_ms(&st, t0 + 10 * MIN_MS), 0);
}

static void test_retry_after_rounds_up(void **state)
{
    (void)state;
    assert_int_equal(sg_throttle_retry_after_s(1), 1);
    assert_int_equal(sg_throttle_retry_after_s(1000), 1);
    assert_int_equal(sg_throttle_retry_after_s(1001), 2);
    assert_int_equal(sg_throttle_retry_after_s(0), 1);
}

static void test_csrf_equal(void **state)
{
    (void)state;
    static const struct {
        const char *sent;
        const char *expected;
        bool want;
        const char *why;
    } rows[] = {
        {"abc123", "abc123", true, "the same token"},
        {"abc124", "abc123", false, "last byte differs"},
        {"abc12", "abc123", false, "a prefix"},
        {"abc1234", "abc123", false, "longer"},
        {"", "abc123", false, "empty header"},
        {NULL, "abc123", false, "no header"},
        {"", "", false, "a session without a token matches nothing"},
        {"ABC123", "abc123", false, "case matters"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (sg_csrf_equal(rows[i].sent, rows[i].expected) != rows[i].want)
            fail_msg("row %zu (%s): '%s' vs '%s' should be %s", i, rows[i].why,
                     rows[i].sent ? rows[i].sent : "(null)", rows[i].expected,
                     rows[i].want ? "equal" : "different");
    }
}

static void test_cookie_get(void **state)
{
    (void)state;
    static const struct {
        const char *header;
        const char *want; /* NULL: not found */
        const char *why;
    } rows[] = {
        {"sg_session=abc", "abc", "alone"},
        {"a=1; sg_session=abc; b=2", "abc", "between others"},
        {"a=1;sg_session=abc", "abc", "no space after ';'"},
        {"  sg_session=abc  ", "abc", "surrounding blanks"},
        {"sg_session=\"abc\"", "abc", "quoted"},
        {"xsg_session=abc", NULL, "a longer name is another cookie"},
        {"sg_sessionx=abc", NULL, "a name that only starts the same"},
        {"sg_session=", NULL, "empty value"},
        {"sg_session", NULL, "no '='"},
        {"", NULL, "empty header"},
        {"sg_session=first; sg_session=second", "first", "the first occurrence wins"},
        {"a=b=c; sg_session=v", "v", "'=' inside another value"},
        {"sg_session=0123456789abcdef0123456789abcdefX", NULL, "33 bytes: longer than the buffer"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[33];
        bool got = sg_cookie_get(rows[i].header, "sg_session", out, sizeof out);
        if (got != (rows[i].want != NULL))
            fail_msg("row %zu (%s): '%s' found=%d", i, rows[i].why, rows[i].header, got);
        if (got && strcmp(out, rows[i].want) != 0)
            fail_msg("row %zu (%s): '%s' -> '%s', want '%s'", i, rows[i].why, rows[i].header, out,
                     rows[i].want);
    }
    char fits[33];
    /* exactly 32 bytes fit a 33-byte buffer */
    assert_true(sg_cookie_get("sg_session=0123456789abcdef0123456789abcdef", "sg_session", fits,
                              sizeof fits));
    assert_string_equal(fits, "0123456789abcdef0123456789abcdef");
    assert_false(sg_cookie_get(NULL, "sg_session", fits, sizeof fits));
}

static void test_session_ends_at(void **state)
{
    (void)state;
    /* idle end before the absolute one */
    assert_int_equal(sg_session_ends_at(1000, 100000, 2000), 3000);
    /* the absolute end wins over a later idle end */
    assert_int_equal(sg_session_ends_at(99000, 100000, 2000), 100000);
    /* no overflow with a huge idle time */
    assert_int_equal(sg_session_ends_at(INT64_MAX - 10, 5, INT64_MAX), 5);
}

static void test_email_valid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        bool want;
        const char *why;
    } rows[] = {
        {"ann@example.org", true, "plain"},
        {"Ann.Lee+sms@Example.CO.uk", true, "dots, plus, capitals"},
        {"a@b.c", true, "short but whole"},
        {"ann.example.org", false, "no @"},
        {"@example.org", false, "nothing before @"},
        {"ann@", false, "nothing after @"},
        {"ann@localhost", false, "no dot in the domain"},
        {"ann@x@example.org", false, "two @"},
        {"ann lee@example.org", false, "a blank"},
        {"ann\t@example.org", false, "a tab"},
        {"<ann@example.org>", false, "angle brackets"},
        {"\"ann\"@example.org", false, "quotes"},
        {"", false, "empty"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (sg_email_valid(rows[i].s) != rows[i].want)
            fail_msg("row %zu (%s): '%s' should be %s", i, rows[i].why, rows[i].s,
                     rows[i].want ? "valid" : "refused");
    }
    char long_one[300];
    memset(long_one, 'a', sizeof long_one);
    memcpy(long_one + 240, "@example.org", 13); /* 252 bytes: accepted */
    assert_true(sg_email_valid(long_one));
    memset(long_one, 'a', sizeof long_one);
    memcpy(long_one + 243, "@example.org", 13); /* 255 bytes: too long */
    assert_false(sg_email_valid(long_one));
    char lower[16];
    sg_email_lower("Ann@EXAMPLE.org", lower, sizeof lower);
    assert_string_equal(lower, "ann@example.org");
    sg_email_lower("Ann@EXAMPLE.org", lower, 4);
    assert_string_equal(lower, "ann");
}

int main(void)
{
    sg_crypto_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_account_delay_doubles_to_the_cap),
        cmocka_unit_test(test_account_locks_after_five),
        cmocka_unit_test(test_window_over_starts_again),
        cmocka_unit_test(test_address_locks_until_the_window_ends),
        cmocka_unit_test(test_retry_after_rounds_up),
        cmocka_unit_test(test_csrf_equal),
        cmocka_unit_test(test_cookie_get),
        cmocka_unit_test(test_session_ends_at),
        cmocka_unit_test(test_email_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
