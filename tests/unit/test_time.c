#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/time.h"
#include "util/id.h"
#include "util/form.h"
#include "util/buf.h"

#include <string.h>

static void test_parse_utc(void **state)
{
    int64_t ms;
    assert_true(sg_time_parse("1970-01-01T00:00:00Z", &ms));
    assert_int_equal(ms, 0);
    assert_true(sg_time_parse("2026-11-22T11:13:29.123Z", &ms));
    char out[SG_TIME_STR_MAX];
    sg_time_format(ms, out, sizeof out);
    assert_string_equal(out, "2026-11-22T11:13:29.123Z");
}

static void test_parse_offset(void **state)
{
    int64_t a, b;
    assert_true(sg_time_parse("2026-11-22T12:13:29+01:00", &a));
    assert_true(sg_time_parse("2026-11-22T11:13:29Z", &b));
    assert_int_equal(a, b);
    assert_true(sg_time_parse("2026-11-22T06:13:29.5-05:00", &a));
    assert_int_equal(a, b + 500);
}

static void test_parse_rejects(void **state)
{
    int64_t ms;
    const char *bad[] = {"",
                         "2026-11-22",
                         "2026-13-01T00:00:00Z",
                         "2026-02-30T00:00:00Z",
                         "2026-11-22T25:00:00Z",
                         "2026-11-22T11:13:29",
                         "2026-11-22T11:13:29Zx",
                         "tomorrow",
                         "2026-11-22T11:13:29+1:00",
                         "2026-11-22T11:13:29."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sg_time_parse(bad[i], &ms));
    assert_true(sg_time_parse("2024-02-29T00:00:00Z", &ms));
    assert_false(sg_time_parse("2025-02-29T00:00:00Z", &ms));
}

static void test_id_sortable(void **state)
{
    char a[SG_ID_MAX], b[SG_ID_MAX];
    sg_id_new("msg", 1000, a);
    sg_id_new("msg", 1001, b);
    assert_true(strcmp(a, b) < 0);
    assert_true(sg_id_valid("msg", a));
    assert_false(sg_id_valid("prv", a));
    assert_int_equal(strlen(a), 30);
}

static void test_form_roundtrip(void **state)
{
    sg_buf b;
    sg_buf_init(&b, 1024);
    assert_int_equal(sg_form_add(&b, "To", "+447400123456"), SG_OK);
    assert_int_equal(sg_form_add(&b, "Body", "hi A&B=c"), SG_OK);
    assert_string_equal(sg_buf_cstr(&b), "To=%2B447400123456&Body=hi%20A%26B%3Dc");
    sg_form f;
    assert_int_equal(sg_form_parse(b.data, b.len, &f), SG_OK);
    assert_int_equal(f.n, 2);
    assert_string_equal(sg_form_get(&f, "Body"), "hi A&B=c");
    sg_form_free(&f);
    sg_buf_free(&b);

    const char *plus = "Body=It%27s+working%21&&Empty&x=";
    assert_int_equal(sg_form_parse(plus, strlen(plus), &f), SG_OK);
    assert_string_equal(sg_form_get(&f, "Body"), "It's working!");
    assert_string_equal(sg_form_get(&f, "Empty"), "");
    assert_string_equal(sg_form_get(&f, "x"), "");
    sg_form_free(&f);

    const char *bad[] = {"a=%4", "a=%zz", "a=%00", "%"};
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(sg_form_parse(bad[i], strlen(bad[i]), &f), SG_ERR_INVALID);
}

static void test_buf_bounded(void **state)
{
    sg_buf b;
    sg_buf_init(&b, 8);
    assert_int_equal(sg_buf_append_str(&b, "12345678"), SG_OK);
    assert_int_equal(sg_buf_append_str(&b, "9"), SG_ERR_TOO_LARGE);
    assert_string_equal(sg_buf_cstr(&b), "12345678");
    sg_buf_free(&b);
}

/* The one calendar of the tree (util/time.h): known dates (each checked with
 * `date -u -d 'Y-M-D' +%s` / 86400), and day -> date -> day over 1,600 years on
 * both sides of the epoch, each failure naming the day. */
static void test_calendar(void **state)
{
    (void)state;
    static const struct {
        int64_t y;
        int m, d;
        int64_t days;
    } known[] = {
        {1970, 1, 1, 0},       {2000, 2, 29, 11016}, {2026, 12, 3, 20790},
        {1969, 12, 31, -1},    {1600, 3, 1, -135080}, {9999, 12, 31, 2932896},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int64_t got = sg_days_from_civil(known[i].y, known[i].m, known[i].d);
        if (got != known[i].days)
            fail_msg("%lld-%02d-%02d: %lld days, expected %lld", (long long)known[i].y,
                     known[i].m, known[i].d, (long long)got, (long long)known[i].days);
    }
    for (int64_t z = -300000; z <= 300000; z += 7) {
        int64_t y;
        int m, d;
        sg_civil_from_days(z, &y, &m, &d);
        if (m < 1 || m > 12 || d < 1 || d > sg_days_in_month(y, m) ||
            sg_days_from_civil(y, m, d) != z)
            fail_msg("day %lld -> %lld-%02d-%02d does not come back", (long long)z, (long long)y,
                     m, d);
    }
    assert_int_equal(sg_days_in_month(1900, 2), 28);
    assert_int_equal(sg_days_in_month(2000, 2), 29);
    assert_int_equal(sg_days_in_month(2024, 2), 29);
    assert_int_equal(sg_days_in_month(2026, 4), 30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_utc),      cmocka_unit_test(test_parse_offset),
        cmocka_unit_test(test_parse_rejects),  cmocka_unit_test(test_id_sortable),
        cmocka_unit_test(test_form_roundtrip), cmocka_unit_test(test_buf_bounded),
        cmocka_unit_test(test_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
