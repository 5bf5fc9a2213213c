#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/quiet_hours.h"
#include "util/tz.h"

#include <string.h>

#define H 3600
#define M 60

/* ---- fake zones: a fixed offset, or one change at `at` ---- */

typedef struct fake_zone {
    int64_t at;
    int32_t before, after;
} fake_zone;

static int32_t fake_offset(void *user, int64_t t)
{
    const fake_zone *f = user;
    return t < f->at ? f->before : f->after;
}

static fake_zone fixed(int32_t off)
{
    return (fake_zone){.at = INT64_MIN, .before = off, .after = off};
}

/* Instants used below (UTC). */
#define JAN15_2026 1768435200LL /* 2026-01-15T00:00Z */
#define NY_SPRING  1772953200LL /* 2026-03-08T07:00Z: 02:00 EST -> 03:00 EDT */
#define NY_AUTUMN  1793512800LL /* 2026-11-01T06:00Z: 02:00 EDT -> 01:00 EST */
#define LDN_SPRING 1774746000LL /* 2026-03-29T01:00Z: 01:00 GMT -> 02:00 BST */
#define LDN_AUTUMN 1792890000LL /* 2026-10-25T01:00Z: 02:00 BST -> 01:00 GMT */

static sg_quiet q_of(const char *text)
{
    sg_quiet q;
    assert_int_equal(sg_quiet_parse(text, &q), SG_OK);
    return q;
}

/* next_allowed agrees with the definition: the result r is >= t and allowed, and
 * every instant in [t, r) is quiet (checked every minute and at r - 1). */
static void check_next(const sg_quiet *q, int64_t t, sg_utc_offset_fn off, void *user)
{
    int64_t r = sg_quiet_next_allowed(q, t, off, user);
    assert_true(r >= t);
    assert_false(sg_quiet_is_quiet(q, r, off, user));
    assert_true(r - t < 3 * 86400);
    for (int64_t s = t; s < r; s += 60)
        assert_true(sg_quiet_is_quiet(q, s, off, user));
    if (r > t)
        assert_true(sg_quiet_is_quiet(q, r - 1, off, user));
}

/* ---- parse and format ---- */

static void test_parse_format(void **state)
{
    (void)state;
    sg_quiet q;
    char out[16];
    assert_int_equal(sg_quiet_parse("21:00-08:00", &q), SG_OK);
    assert_int_equal(q.start_min, 21 * 60);
    assert_int_equal(q.end_min, 8 * 60);
    sg_quiet_format(&q, out);
    assert_string_equal(out, "21:00-08:00");

    assert_int_equal(sg_quiet_parse("21:00\342\200\22308:00", &q), SG_OK); /* en dash */
    assert_int_equal(q.start_min, 1260);
    assert_int_equal(q.end_min, 480);

    assert_int_equal(sg_quiet_parse("9:30-17:00", &q), SG_OK);
    assert_int_equal(q.start_min, 570);
    assert_int_equal(q.end_min, 1020);
    sg_quiet_format(&q, out);
    assert_string_equal(out, "09:30-17:00");

    assert_int_equal(sg_quiet_parse("00:00-23:59", &q), SG_OK);
    sg_quiet_format(&q, out);
    assert_string_equal(out, "00:00-23:59");
    sg_quiet back;
    assert_int_equal(sg_quiet_parse(out, &back), SG_OK);
    assert_int_equal(back.start_min, 0);
    assert_int_equal(back.end_min, 1439);

    const char *bad[] = {"",
                         "21:00",
                         "21:00-",
                         "21:00-08:00 ",
                         " 21:00-08:00",
                         "21:00 - 08:00",
                         "24:00-08:00",
                         "21:00-24:00",
                         "21:60-08:00",
                         "21:0-08:00",
                         "21-08",
                         "2100-0800",
                         "021:00-08:00",
                         "21:00--08:00",
                         "21:00-08:00x",
                         "08:00-08:00",
                         "8:00-08:00",
                         "-1:00-08:00",
                         "21:00\342\200\22408:00", /* em dash, in octal escapes */
                         "21:00\xE2\x80",
                         "21:00\xE2",
                         "21:00~08:00",
                         "21.00-08.00",
                         "9:30am-5:00pm"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        q = (sg_quiet){.start_min = -7, .end_min = -7};
        if (sg_quiet_parse(bad[i], &q) != SG_ERR_INVALID)
            fail_msg("\"%s\" accepted", bad[i]);
        assert_int_equal(q.start_min, -7); /* untouched */
    }
    assert_int_equal(sg_quiet_parse(NULL, &q), SG_ERR_INVALID);

    sg_quiet none = {0, 0}, out_of_range = {-1, 480};
    sg_quiet_format(&none, out);
    assert_string_equal(out, "invalid");
    sg_quiet_format(&out_of_range, out);
    assert_string_equal(out, "invalid");
}

/* ---- fixed offsets ---- */

static void test_wrapping_window(void **state)
{
    (void)state;
    sg_quiet q = q_of("21:00-08:00");
    fake_zone utc = fixed(0);
    int64_t day = JAN15_2026;
    /* Boundaries: the start is quiet, the end is allowed. */
    assert_false(sg_quiet_is_quiet(&q, day + 21 * H - 1, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day + 21 * H, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day + 23 * H + 59 * M + 59, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day + 8 * H - 1, fake_offset, &utc));
    assert_false(sg_quiet_is_quiet(&q, day + 8 * H, fake_offset, &utc));
    assert_false(sg_quiet_is_quiet(&q, day + 12 * H, fake_offset, &utc));

    /* Allowed: t itself. Before midnight: tomorrow 08:00. After: today 08:00. */
    assert_int_equal(sg_quiet_next_allowed(&q, day + 12 * H, fake_offset, &utc), day + 12 * H);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 8 * H, fake_offset, &utc), day + 8 * H);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 21 * H, fake_offset, &utc),
                     day + 86400 + 8 * H);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 2 * H, fake_offset, &utc), day + 8 * H);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 8 * H - 1, fake_offset, &utc), day + 8 * H);

    /* Negative offsets move the window later in UTC: New York winter, -05:00. */
    fake_zone ny = fixed(-5 * H);
    assert_true(sg_quiet_is_quiet(&q, day + 2 * H, fake_offset, &ny)); /* 21:00 local */
    assert_int_equal(sg_quiet_next_allowed(&q, day + 2 * H, fake_offset, &ny), day + 13 * H);
}

static void test_plain_window(void **state)
{
    (void)state;
    sg_quiet q = q_of("9:30-17:00");
    fake_zone utc = fixed(0);
    int64_t day = JAN15_2026;
    assert_false(sg_quiet_is_quiet(&q, day + 9 * H + 29 * M + 59, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day + 9 * H + 30 * M, fake_offset, &utc));
    assert_true(sg_quiet_is_quiet(&q, day + 17 * H - 1, fake_offset, &utc));
    assert_false(sg_quiet_is_quiet(&q, day + 17 * H, fake_offset, &utc));
    assert_false(sg_quiet_is_quiet(&q, day + 23 * H, fake_offset, &utc));
    assert_int_equal(sg_quiet_next_allowed(&q, day + 10 * H, fake_offset, &utc), day + 17 * H);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 18 * H, fake_offset, &utc), day + 18 * H);

    /* No quiet hours: nothing is quiet, t is always allowed. */
    sg_quiet none = {600, 600};
    assert_false(sg_quiet_is_quiet(&none, day, fake_offset, &utc));
    assert_int_equal(sg_quiet_next_allowed(&none, day, fake_offset, &utc), day);
}

static void test_odd_offsets(void **state)
{
    (void)state;
    sg_quiet q = q_of("21:00-08:00");
    int64_t day = JAN15_2026;
    /* +05:30: local 21:00 is 15:30 UTC, local 08:00 is 02:30 UTC. */
    fake_zone ist = fixed(5 * H + 30 * M);
    assert_false(sg_quiet_is_quiet(&q, day + 15 * H + 29 * M + 59, fake_offset, &ist));
    assert_true(sg_quiet_is_quiet(&q, day + 15 * H + 30 * M, fake_offset, &ist));
    assert_int_equal(sg_quiet_next_allowed(&q, day + 15 * H + 30 * M, fake_offset, &ist),
                     day + 86400 + 2 * H + 30 * M);
    /* +05:45: local 21:00 is 15:15 UTC, local 08:00 is 02:15 UTC. */
    fake_zone npt = fixed(5 * H + 45 * M);
    assert_true(sg_quiet_is_quiet(&q, day + 15 * H + 15 * M, fake_offset, &npt));
    assert_false(sg_quiet_is_quiet(&q, day + 15 * H + 14 * M + 59, fake_offset, &npt));
    assert_int_equal(sg_quiet_next_allowed(&q, day + 16 * H, fake_offset, &npt),
                     day + 86400 + 2 * H + 15 * M);
    /* -09:30 (Marquesas): local 08:00 is 17:30 UTC. */
    fake_zone mart = fixed(-(9 * H + 30 * M));
    assert_int_equal(sg_quiet_next_allowed(&q, day + 7 * H, fake_offset, &mart),
                     day + 17 * H + 30 * M);

    /* The real files agree. */
    const sg_tz *kathmandu, *kolkata;
    assert_int_equal(sg_tz_get("Asia/Kathmandu", &kathmandu), SG_OK);
    assert_int_equal(sg_tz_get("Asia/Kolkata", &kolkata), SG_OK);
    assert_int_equal(sg_quiet_next_allowed(&q, day + 16 * H, sg_tz_offset_cb, (void *)kathmandu),
                     day + 86400 + 2 * H + 15 * M);
    /* A window across local midnight with a half-hour offset: 23:30-00:30 IST is
     * 18:00-19:00 UTC. */
    sg_quiet mid = q_of("23:30-00:30");
    assert_true(sg_quiet_is_quiet(&mid, day + 18 * H, sg_tz_offset_cb, (void *)kolkata));
    assert_false(sg_quiet_is_quiet(&mid, day + 18 * H - 1, sg_tz_offset_cb, (void *)kolkata));
    assert_int_equal(sg_quiet_next_allowed(&mid, day + 18 * H, sg_tz_offset_cb, (void *)kolkata),
                     day + 19 * H);
}

/* ---- offset changes ---- */

static void test_spring_forward(void **state)
{
    (void)state;
    fake_zone ny = {.at = NY_SPRING, .before = -5 * H, .after = -4 * H};
    int64_t eve = NY_SPRING - 5 * H; /* 21:00 EST on the Saturday */

    /* Quiet ends at 02:30, which does not exist that night: allowed from the end of
     * the gap, 03:00 EDT. Same for an end at 02:00 exactly. */
    sg_quiet q = q_of("21:00-02:30");
    assert_true(sg_quiet_is_quiet(&q, eve, fake_offset, &ny));
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny), NY_SPRING);
    assert_true(sg_quiet_is_quiet(&q, NY_SPRING - 1, fake_offset, &ny));
    assert_false(sg_quiet_is_quiet(&q, NY_SPRING, fake_offset, &ny));
    q = q_of("22:00-02:00");
    assert_int_equal(sg_quiet_next_allowed(&q, eve + H, fake_offset, &ny), NY_SPRING);
    /* An end after the gap: 03:30 EDT is 07:30 UTC. */
    q = q_of("21:00-03:30");
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny), NY_SPRING + 30 * M);
    /* An end before the gap is unaffected: 01:30 EST is 06:30 UTC. */
    q = q_of("21:00-01:30");
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny), NY_SPRING - 30 * M);
    /* A start inside the gap: quiet begins when the clock jumps to 03:00. */
    q = q_of("02:15-06:00");
    assert_false(sg_quiet_is_quiet(&q, NY_SPRING - 1, fake_offset, &ny));
    assert_true(sg_quiet_is_quiet(&q, NY_SPRING, fake_offset, &ny));
    assert_int_equal(sg_quiet_next_allowed(&q, NY_SPRING, fake_offset, &ny), NY_SPRING + 3 * H);
    /* A long window whose only allowed half hour is skipped by the jump. */
    q = q_of("02:30-02:00");
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny),
                     NY_SPRING + 86400 - H); /* Monday 02:00 EDT */
}

static void test_fall_back(void **state)
{
    (void)state;
    fake_zone ny = {.at = NY_AUTUMN, .before = -4 * H, .after = -5 * H};
    int64_t eve = NY_AUTUMN - 5 * H; /* 21:00 EDT on the Saturday */

    /* 01:30 happens twice: the first occurrence (EDT, 05:30 UTC) ends the window. */
    sg_quiet q = q_of("21:00-01:30");
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny), NY_AUTUMN - 30 * M);
    assert_false(sg_quiet_is_quiet(&q, NY_AUTUMN - 15 * M, fake_offset, &ny)); /* 01:45 EDT */
    /* Back to 01:00 EST: quiet again until the second 01:30 (06:30 UTC). */
    assert_true(sg_quiet_is_quiet(&q, NY_AUTUMN, fake_offset, &ny));
    assert_int_equal(sg_quiet_next_allowed(&q, NY_AUTUMN, fake_offset, &ny), NY_AUTUMN + 30 * M);
    assert_int_equal(sg_quiet_next_allowed(&q, NY_AUTUMN + 10 * M, fake_offset, &ny),
                     NY_AUTUMN + 30 * M);
    /* An end after the repeated hour: 02:30 EST, 07:30 UTC. */
    q = q_of("21:00-02:30");
    assert_int_equal(sg_quiet_next_allowed(&q, eve, fake_offset, &ny), NY_AUTUMN + 90 * M);
    /* Allowed from 01:50 EDT, and the fall back to 01:00 EST stays allowed for a
     * 01:55-06:00 window. */
    q = q_of("01:55-06:00");
    assert_int_equal(sg_quiet_next_allowed(&q, NY_AUTUMN - 10 * M, fake_offset, &ny),
                     NY_AUTUMN - 10 * M);
    assert_true(sg_quiet_is_quiet(&q, NY_AUTUMN - 5 * M, fake_offset, &ny)); /* 01:55 EDT */
    assert_false(sg_quiet_is_quiet(&q, NY_AUTUMN, fake_offset, &ny));        /* 01:00 EST */
    assert_int_equal(sg_quiet_next_allowed(&q, NY_AUTUMN - 5 * M, fake_offset, &ny), NY_AUTUMN);
}

static void test_london(void **state)
{
    (void)state;
    const sg_tz *z;
    assert_int_equal(sg_tz_get("Europe/London", &z), SG_OK);
    void *u = (void *)z;
    sg_quiet q = q_of("21:00-01:30");
    /* Spring: local 01:00-02:00 does not exist; 01:30 -> 02:00 BST = 01:00 UTC. */
    assert_int_equal(sg_quiet_next_allowed(&q, LDN_SPRING - 4 * H, sg_tz_offset_cb, u), LDN_SPRING);
    /* Autumn: the first 01:30 is BST, 00:30 UTC. */
    assert_int_equal(sg_quiet_next_allowed(&q, LDN_AUTUMN - 5 * H, sg_tz_offset_cb, u),
                     LDN_AUTUMN - 30 * M);
    assert_int_equal(sg_quiet_next_allowed(&q, LDN_AUTUMN, sg_tz_offset_cb, u),
                     LDN_AUTUMN + 30 * M);
    /* Summer 21:00-08:00 BST is 20:00-07:00 UTC. */
    q = q_of("21:00-08:00");
    int64_t jul15 = 1784073600LL; /* 2026-07-15T00:00Z */
    assert_false(sg_quiet_is_quiet(&q, jul15 + 20 * H - 1, sg_tz_offset_cb, u));
    assert_true(sg_quiet_is_quiet(&q, jul15 + 20 * H, sg_tz_offset_cb, u));
    assert_int_equal(sg_quiet_next_allowed(&q, jul15 + 20 * H, sg_tz_offset_cb, u),
                     jul15 + 86400 + 7 * H);
}

/* Against the definition, every 17 minutes through both 2026 switches in London,
 * New York and Lord Howe (half-hour DST), for windows ending before, in and after
 * the change. */
static void test_exhaustive_switches(void **state)
{
    (void)state;
    const char *zones[] = {"Europe/London", "America/New_York", "Australia/Lord_Howe"};
    const int64_t switches[][2] = {
        {LDN_SPRING, LDN_AUTUMN}, {NY_SPRING, NY_AUTUMN}, {1775314800LL, 1791041400LL}};
    const char *windows[] = {"21:00-08:00", "21:00-01:30", "21:00-02:30", "01:15-01:45",
                             "02:10-02:20", "23:30-00:30", "02:30-02:00", "9:30-17:00"};
    for (size_t z = 0; z < 3; z++) {
        const sg_tz *tz;
        assert_int_equal(sg_tz_get(zones[z], &tz), SG_OK);
        for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++) {
            sg_quiet q = q_of(windows[w]);
            for (int s = 0; s < 2; s++)
                for (int64_t t = switches[z][s] - 30 * H; t < switches[z][s] + 6 * H; t += 17 * M)
                    check_next(&q, t, sg_tz_offset_cb, (void *)tz);
        }
    }
}

static void test_extremes(void **state)
{
    (void)state;
    sg_quiet q = q_of("21:00-08:00");
    fake_zone far = fixed(14 * H);
    const int64_t ts[] = {INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX - 86400, INT64_MAX};
    for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) {
        (void)sg_quiet_is_quiet(&q, ts[i], fake_offset, &far);
        assert_true(sg_quiet_next_allowed(&q, ts[i], fake_offset, &far) >= ts[i]);
    }
    /* Quiet at the very end of time: saturates instead of overflowing. */
    fake_zone utc = fixed(0);
    int64_t end = INT64_MAX - 100; /* local time of day 15:28:27 */
    sg_quiet all_but = q_of("15:00-14:59");
    assert_true(sg_quiet_is_quiet(&all_but, end, fake_offset, &utc));
    assert_int_equal(sg_quiet_next_allowed(&all_but, end, fake_offset, &utc), INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format),   cmocka_unit_test(test_wrapping_window),
        cmocka_unit_test(test_plain_window),   cmocka_unit_test(test_odd_offsets),
        cmocka_unit_test(test_spring_forward), cmocka_unit_test(test_fall_back),
        cmocka_unit_test(test_london),         cmocka_unit_test(test_exhaustive_switches),
        cmocka_unit_test(test_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
