/* Issue 11, items 23-24: the pure parts of the send limits (country sets, the
 * daily quota table) and external template ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/country_set.h"
#include "core/quota.h"
#include "core/template_id.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_country_set_parse(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *norm; /* NULL: refused */
        const char *bad;
    } rows[] = {
        {"", "", NULL},
        {"GB", "GB", NULL},
        {"us, gb ,IE", "GB,IE,US", NULL},
        {"GB,GB", "GB", NULL},               /* duplicates collapse */
        {"GB,", "GB", NULL},                 /* a trailing comma is harmless */
        {"GB,,US", NULL, ","},               /* an empty item is a typo */
        {"GB,XX", NULL, "XX"},               /* not a region */
        {"UK", NULL, "UK"},                  /* the ISO code is GB */
        {"GBR", NULL, "GBR"},                /* alpha-3 */
        {"United Kingdom", NULL, "United Kingdom"},
        {"001", NULL, "001"},                /* non-geographic */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sg_country_set set;
        char bad[16], out[SG_COUNTRY_TEXT_MAX];
        bool ok = sg_country_set_parse(rows[i].in, &set, bad);
        if (ok != (rows[i].norm != NULL))
            fail_msg("row %zu '%s': parse gave %d", i, rows[i].in, ok);
        if (ok) {
            sg_country_set_format(&set, out, sizeof out);
            if (strcmp(out, rows[i].norm) != 0)
                fail_msg("row %zu '%s': '%s', expected '%s'", i, rows[i].in, out, rows[i].norm);
        } else if (strcmp(bad, rows[i].bad) != 0) {
            fail_msg("row %zu '%s': bad item '%s', expected '%s'", i, rows[i].in, bad,
                     rows[i].bad);
        }
    }
}

static void test_country_set_allows(void **state)
{
    (void)state;
    sg_country_set set, empty;
    char bad[16];
    assert_true(sg_country_set_parse("IE,GB,US", &set, bad));
    assert_true(sg_country_set_parse("", &empty, bad));
    assert_true(sg_country_set_allows(&set, "GB"));
    assert_true(sg_country_set_allows(&set, "US"));
    assert_false(sg_country_set_allows(&set, "FR"));
    assert_false(sg_country_set_allows(&set, NULL)); /* a number of no single region */
    assert_true(sg_country_set_allows(&empty, "FR"));
    assert_true(sg_country_set_allows(&empty, NULL));
}

static void test_country_set_too_many(void **state)
{
    (void)state;
    /* 65 distinct regions: one more than a set holds. */
    static const char *codes[] = {
        "AD", "AE", "AF", "AG", "AL", "AM", "AO", "AR", "AT", "AU", "AZ", "BA", "BB",
        "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BN", "BO", "BR", "BS", "BT", "BW",
        "BY", "BZ", "CA", "CD", "CF", "CG", "CH", "CI", "CL", "CM", "CN", "CO", "CR",
        "CU", "CV", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG",
        "ER", "ES", "ET", "FI", "FJ", "FM", "FR", "GA", "GB", "GD", "GE", "GH", "GM"};
    char text[400] = "";
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", i ? "," : "", codes[i]);
    sg_country_set set;
    char bad[16];
    assert_int_equal(sizeof codes / sizeof codes[0], SG_COUNTRY_SET_MAX + 1);
    assert_false(sg_country_set_parse(text, &set, bad));
    assert_string_equal(bad, "too many");
    text[strlen(text) - 3] = '\0'; /* exactly the maximum */
    assert_true(sg_country_set_parse(text, &set, bad));
    assert_int_equal(set.n, SG_COUNTRY_SET_MAX);
}

static void test_quota_day(void **state)
{
    (void)state;
    assert_int_equal(sg_quota_day(0), 0);
    assert_int_equal(sg_quota_day(SG_DAY_MS - 1), 0);
    assert_int_equal(sg_quota_day(SG_DAY_MS), 1);
    assert_int_equal(sg_quota_day(-1), -1);
    /* 2026-12-03T23:59:59.999Z and the next millisecond */
    assert_int_equal(sg_quota_day(1796342399999LL), 20790);
    assert_int_equal(sg_quota_day(1796342400000LL), 20791);
}

static void test_quota_take_and_rollover(void **state)
{
    (void)state;
    sg_quota *q = calloc(1, sizeof *q);
    assert_non_null(q);
    int64_t sent = -1;
    assert_int_equal(sg_quota_take(q, "key_a", 10, 2, &sent), SG_QUOTA_UNLOADED);
    assert_int_equal(sg_quota_load(q, "key_a", 10, 1), SG_QUOTA_OK); /* one sent before */
    assert_int_equal(sg_quota_take(q, "key_a", 10, 2, &sent), SG_QUOTA_OK);
    assert_int_equal(sent, 2);
    assert_int_equal(sg_quota_take(q, "key_a", 10, 2, &sent), SG_QUOTA_EXCEEDED);
    assert_int_equal(sent, 2);
    /* a second load of the same day does not reset the count */
    assert_int_equal(sg_quota_load(q, "key_a", 10, 0), SG_QUOTA_OK);
    assert_int_equal(sg_quota_take(q, "key_a", 10, 2, NULL), SG_QUOTA_EXCEEDED);
    sg_quota_give_back(q, "key_a", 10);
    assert_int_equal(sg_quota_take(q, "key_a", 10, 2, NULL), SG_QUOTA_OK);

    /* the next day: unpersisted counts block the rollover until persisted */
    assert_int_equal(sg_quota_take(q, "key_a", 11, 2, NULL), SG_QUOTA_UNLOADED);
    assert_int_equal(sg_quota_load(q, "key_a", 11, 0), SG_QUOTA_FULL);
    char ids[4][SG_ID_MAX];
    int64_t days[4], sents[4];
    assert_int_equal(sg_quota_dirty(q, ids, days, sents, 4), 1);
    assert_string_equal(ids[0], "key_a");
    assert_int_equal(days[0], 10);
    assert_int_equal(sents[0], 2);
    sg_quota_persisted(q, "key_a", 10, 2);
    assert_int_equal(sg_quota_dirty(q, ids, days, sents, 4), 0);
    assert_int_equal(sg_quota_load(q, "key_a", 11, 0), SG_QUOTA_OK);
    assert_int_equal(sg_quota_take(q, "key_a", 11, 2, &sent), SG_QUOTA_OK);
    assert_int_equal(sent, 1);
    free(q);
}

static void test_quota_bounded(void **state)
{
    (void)state;
    sg_quota *q = calloc(1, sizeof *q);
    assert_non_null(q);
    char id[SG_ID_MAX];
    for (int i = 0; i < SG_QUOTA_SLOTS; i++) {
        snprintf(id, sizeof id, "key_%d", i);
        assert_int_equal(sg_quota_load(q, id, 1, 0), SG_QUOTA_OK);
        assert_int_equal(sg_quota_take(q, id, 1, 5, NULL), SG_QUOTA_OK); /* dirty */
    }
    /* full of unpersisted counts: a new key is refused, not counted nowhere */
    assert_int_equal(sg_quota_load(q, "key_new", 1, 0), SG_QUOTA_FULL);
    sg_quota_persisted(q, "key_7", 1, 1);
    /* key_7's slot is clean now: evicted for the newcomer, loaded again later */
    assert_int_equal(sg_quota_load(q, "key_new", 1, 3), SG_QUOTA_OK);
    assert_int_equal(sg_quota_take(q, "key_new", 1, 4, NULL), SG_QUOTA_OK);
    assert_int_equal(sg_quota_take(q, "key_new", 1, 4, NULL), SG_QUOTA_EXCEEDED);
    assert_int_equal(sg_quota_take(q, "key_7", 1, 5, NULL), SG_QUOTA_UNLOADED);
    free(q);
}

static void test_template_id(void **state)
{
    (void)state;
    char max[SG_TEMPLATE_ID_MAX_LEN + 2];
    memset(max, '7', sizeof max);
    max[SG_TEMPLATE_ID_MAX_LEN] = '\0';
    assert_true(sg_template_id_valid("1107161234567890123")); /* a DLT template id */
    assert_true(sg_template_id_valid("TPL-01_a.b/c"));
    assert_true(sg_template_id_valid(max)); /* exactly the maximum */
    max[SG_TEMPLATE_ID_MAX_LEN] = '7';
    max[SG_TEMPLATE_ID_MAX_LEN + 1] = '\0';
    assert_false(sg_template_id_valid(max)); /* one more */
    assert_false(sg_template_id_valid(""));
    assert_false(sg_template_id_valid(NULL));
    assert_false(sg_template_id_valid("a b"));     /* space */
    assert_false(sg_template_id_valid("a\tb"));    /* control */
    assert_false(sg_template_id_valid("caf\xc3\xa9")); /* not ASCII */
    assert_false(sg_template_id_valid("a\x7f"));   /* DEL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_country_set_parse),  cmocka_unit_test(test_country_set_allows),
        cmocka_unit_test(test_country_set_too_many), cmocka_unit_test(test_quota_day),
        cmocka_unit_test(test_quota_take_and_rollover), cmocka_unit_test(test_quota_bounded),
        cmocka_unit_test(test_template_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
