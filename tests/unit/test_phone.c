#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/phone.h"

#include <string.h>

static void expect_ok(const char *input, const char *region, const char *e164, sg_phone_type type)
{
    char out[SG_PHONE_MAX];
    sg_phone_type got = (sg_phone_type)-1;
    sg_phone_status st = sg_phone_normalize(input, region, out, &got);
    if (st != SG_PHONE_OK)
        fail_msg("\"%s\" in %s: status %d", input, region ? region : "(null)", (int)st);
    assert_string_equal(out, e164);
    assert_int_equal(got, type);
}

static void expect_status(const char *input, const char *region, sg_phone_status want)
{
    char out[SG_PHONE_MAX] = "untouched";
    sg_phone_status st = sg_phone_normalize(input, region, out, NULL);
    if (st != want)
        fail_msg("\"%s\" in %s: status %d, want %d", input ? input : "(null)",
                 region ? region : "(null)", (int)st, (int)want);
}

static void test_national_gb(void **state)
{
    expect_ok("07400123456", "GB", "+447400123456", SG_PHONE_TYPE_MOBILE);
    expect_ok("07400 123456", "GB", "+447400123456", SG_PHONE_TYPE_MOBILE);
    expect_ok("020 7946 0000", "GB", "+442079460000", SG_PHONE_TYPE_FIXED_LINE);
    expect_ok("07400 123456", "gb", "+447400123456", SG_PHONE_TYPE_MOBILE);
    expect_ok("(415) 555-2671", "US", "+14155552671", SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE);
}

static void test_international_formats(void **state)
{
    const char *forms[] = {"+447400123456",       "+44 7400 123456",    "+44-7400-123-456",
                           "+44 (0) 7400 123456", "+44 (7400) 123.456", " +447400123456 "};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        expect_ok(forms[i], NULL, "+447400123456", SG_PHONE_TYPE_MOBILE);
        expect_ok(forms[i], "", "+447400123456", SG_PHONE_TYPE_MOBILE);
        expect_ok(forms[i], "US", "+447400123456", SG_PHONE_TYPE_MOBILE);
    }
    /* A region that is unknown does not matter for "+" input either. */
    expect_ok("+447400123456", "XX", "+447400123456", SG_PHONE_TYPE_MOBILE);
}

static void test_00_prefix(void **state)
{
    expect_ok("0044 7400 123456", "GB", "+447400123456", SG_PHONE_TYPE_MOBILE);
    expect_ok("00447400123456", "DE", "+447400123456", SG_PHONE_TYPE_MOBILE);
    /* "00" is an international prefix only in a region that dials it. */
    expect_status("00447400123456", NULL, SG_PHONE_BAD_REGION);
    expect_ok("011 44 7400 123456", "US", "+447400123456", SG_PHONE_TYPE_MOBILE);
}

static void test_types(void **state)
{
    expect_ok("+447400123456", NULL, "+447400123456", SG_PHONE_TYPE_MOBILE);
    expect_ok("+442079460000", NULL, "+442079460000", SG_PHONE_TYPE_FIXED_LINE);
    expect_ok("+14155552671", NULL, "+14155552671", SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE);
    expect_ok("+15005550006", NULL, "+15005550006", SG_PHONE_TYPE_OTHER); /* personal */

    assert_true(sg_phone_type_can_sms(SG_PHONE_TYPE_MOBILE));
    assert_true(sg_phone_type_can_sms(SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE));
    assert_true(sg_phone_type_can_sms(SG_PHONE_TYPE_OTHER));
    assert_true(sg_phone_type_can_sms(SG_PHONE_TYPE_UNKNOWN));
    assert_false(sg_phone_type_can_sms(SG_PHONE_TYPE_FIXED_LINE));

    assert_string_equal(sg_phone_type_name(SG_PHONE_TYPE_MOBILE), "mobile");
    assert_string_equal(sg_phone_type_name(SG_PHONE_TYPE_FIXED_LINE), "fixed_line");
    assert_string_equal(sg_phone_type_name(SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE),
                        "fixed_line_or_mobile");
    assert_string_equal(sg_phone_type_name(SG_PHONE_TYPE_OTHER), "other");
    assert_string_equal(sg_phone_type_name(SG_PHONE_TYPE_UNKNOWN), "unknown");
    assert_string_equal(sg_phone_type_name((sg_phone_type)42), "unknown");
}

static void test_invalid(void **state)
{
    const char *bad[] = {
        "",                   /* nothing */
        "+44",                /* too short */
        "+4474",              /* too short */
        "12",                 /* too short */
        "+44 7400 ABCDEF",    /* letters */
        "+1-800-FLOWERS",     /* a vanity number libphonenumber would accept */
        "hello",              /* letters only */
        "Tel: +447400123456", /* leading text */
        "+447400123456 ext 1",
        "+447700900123",      /* Ofcom drama range */
        "+44740012345678901", /* too long */
        "+999 1234 5678",     /* no such calling code */
        "+44 7400\n123456",   /* control character */
        "+44\xC2\xA0"
        "7400123456",     /* non-ASCII space */
        "++447400123456", /* one plus sign, before the digits */
        "+44 7400 123+456",
        "+49 30 47400 1234015", /* valid to libphonenumber, but 16 digits: not E.164 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_status(bad[i], "GB", SG_PHONE_INVALID);
        /* A missing region is no excuse for "+" input or for letters. */
        if (bad[i][0] == '+' || bad[i][0] == 'h' || bad[i][0] == 'T' || bad[i][0] == '\0')
            expect_status(bad[i], NULL, SG_PHONE_INVALID);
    }
    expect_status(NULL, "GB", SG_PHONE_INVALID);
}

static void test_national_without_region(void **state)
{
    const char *regions[] = {NULL, "", "XX", "gbr", "G", "001"};
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        expect_status("07400123456", regions[i], SG_PHONE_BAD_REGION);
        expect_status("(415) 555-2671", regions[i], SG_PHONE_BAD_REGION);
        /* "+" form after punctuation is international: a bad calling code is
         * invalid, not a missing region (found by fuzzing). */
        expect_status(")+991234 56748", regions[i], SG_PHONE_INVALID);
        expect_status("-+999 123", regions[i], SG_PHONE_INVALID);
    }
}

static void test_region_valid(void **state)
{
    assert_true(sg_phone_region_valid("GB"));
    assert_true(sg_phone_region_valid("US"));
    assert_true(sg_phone_region_valid("DE"));
    assert_true(sg_phone_region_valid("gb")); /* case does not matter */
    assert_false(sg_phone_region_valid("XX"));
    assert_false(sg_phone_region_valid("ZZ"));
    assert_false(sg_phone_region_valid(""));
    assert_false(sg_phone_region_valid("gbr"));
    assert_false(sg_phone_region_valid("GBR"));
    assert_false(sg_phone_region_valid("G"));
    assert_false(sg_phone_region_valid("001"));
    assert_false(sg_phone_region_valid(NULL));
}

static void test_input_length_limit(void **state)
{
    /* 64 bytes of padding around a valid number is still read... */
    char in[80];
    memset(in, ' ', sizeof in);
    memcpy(in, "+447400123456", 13);
    in[64] = '\0';
    expect_ok(in, NULL, "+447400123456", SG_PHONE_TYPE_MOBILE);
    /* ...65 is refused before libphonenumber sees it. */
    in[64] = ' ';
    in[65] = '\0';
    expect_status(in, NULL, SG_PHONE_INVALID);
    memset(in, '1', 79);
    in[79] = '\0';
    expect_status(in, "US", SG_PHONE_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_gb),  cmocka_unit_test(test_international_formats),
        cmocka_unit_test(test_00_prefix),    cmocka_unit_test(test_types),
        cmocka_unit_test(test_invalid),      cmocka_unit_test(test_national_without_region),
        cmocka_unit_test(test_region_valid), cmocka_unit_test(test_input_length_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
