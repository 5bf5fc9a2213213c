#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/phone.h"
#include "core/phone_fast.h"

#include <stdio.h>
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

/* The fast path (phone_fast.cc) answers canonical E.164 input itself: these must
 * not reach libphonenumber, or the fast path is dead code that the differential
 * test below cannot tell from a working one. */
static void test_fast_path_used(void **state)
{
    static const struct {
        const char *e164;
        sg_phone_type type;
    } cases[] = {
        {"+447400123456", SG_PHONE_TYPE_MOBILE},
        {"+14155552671", SG_PHONE_TYPE_FIXED_LINE_OR_MOBILE},
        {"+4915112345678", SG_PHONE_TYPE_MOBILE},
        {"+33612345678", SG_PHONE_TYPE_MOBILE},
        {"+919876543210", SG_PHONE_TYPE_MOBILE},
        {"+442079460000", SG_PHONE_TYPE_FIXED_LINE},
        {"+15005550006", SG_PHONE_TYPE_OTHER},
        {"+5491123456789", SG_PHONE_TYPE_MOBILE}, /* AR: its national prefix pattern matches "" */
        {"+79161234567", SG_PHONE_TYPE_MOBILE},   /* RU, shared with KZ: leading digits */
    };
    const char *regions[] = {NULL, "GB", "US"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        for (size_t r = 0; r < sizeof regions / sizeof regions[0]; r++) {
            unsigned long before = sg_phone_fast_path_hits();
            expect_ok(cases[i].e164, regions[r], cases[i].e164, cases[i].type);
            if (sg_phone_fast_path_hits() != before + 1)
                fail_msg("\"%s\" (%s) did not take the fast path", cases[i].e164,
                         regions[r] ? regions[r] : "NULL");
        }
    }
    /* An invalid number in E.164 shape is answered too. */
    unsigned long before = sg_phone_fast_path_hits();
    expect_status("+447700900123", NULL, SG_PHONE_INVALID); /* Ofcom drama range */
    assert_int_equal(sg_phone_fast_path_hits(), before + 1);
}

/* The region of an E.164 number (routes match by it, once per message) comes from
 * the fast path too: each of these is answered by sg_phone_fast_region itself,
 * with libphonenumber's region. */
static void test_fast_region_used(void **state)
{
    static const struct {
        const char *e164, *region;
    } cases[] = {
        {"+447400123456", "GB"}, {"+14155552671", "US"}, {"+4915112345678", "DE"},
        {"+254712345678", "KE"}, {"+79161234567", "RU"}, {"+77012345678", "KZ"},
        {"+5491123456789", "AR"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[3] = "", ref[3] = "";
        bool found = false;
        if (!sg_phone_fast_region(cases[i].e164, strlen(cases[i].e164), out, &found))
            fail_msg("\"%s\": the fast path did not answer its region", cases[i].e164);
        assert_true(found);
        assert_true(sg_phone_region_reference(cases[i].e164, ref));
        if (strcmp(out, cases[i].region) != 0 || strcmp(ref, cases[i].region) != 0)
            fail_msg("\"%s\": fast %s, reference %s, want %s", cases[i].e164, out, ref,
                     cases[i].region);
    }
}

/* What the fast path must leave to libphonenumber, and libphonenumber's answer. */
static void test_fast_path_declines(void **state)
{
    static const struct {
        const char *input;
        const char *e164; /* NULL: INVALID */
    } cases[] = {
        {"+44 7400 123456", "+447400123456"}, /* not canonical */
        {"+4407400123456", "+447400123456"},  /* Parse strips GB's national prefix */
        {"+78916123456", NULL},               /* RU national prefix 8 */
        {"+114155552671", "+14155552671"},    /* NANPA national prefix 1 */
        {"+390612345678", "+390612345678"},   /* Italian leading zero */
        {"+80012345678", "+80012345678"},     /* non-geographic entity */
        {"+00447400123456", NULL},            /* no calling code starts with 0 */
        {"+999123456789", NULL},              /* no such calling code */
        {"+44740012345678901", NULL},         /* 17 digits */
        {"+12", NULL},                        /* too short */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[SG_PHONE_MAX], ref[SG_PHONE_MAX];
        sg_phone_type type = SG_PHONE_TYPE_UNKNOWN, ref_type = SG_PHONE_TYPE_UNKNOWN;
        unsigned long before = sg_phone_fast_path_hits();
        sg_phone_status st = sg_phone_normalize(cases[i].input, NULL, out, &type);
        if (sg_phone_fast_path_hits() != before)
            fail_msg("\"%s\" took the fast path", cases[i].input);
        sg_phone_status ref_st = sg_phone_normalize_reference(cases[i].input, NULL, ref, &ref_type);
        assert_int_equal(st, ref_st);
        if (!cases[i].e164) {
            assert_int_equal(st, SG_PHONE_INVALID);
            continue;
        }
        if (st != SG_PHONE_OK)
            fail_msg("\"%s\": status %d", cases[i].input, (int)st);
        assert_string_equal(out, cases[i].e164);
        assert_string_equal(ref, cases[i].e164);
        assert_int_equal(type, ref_type);
    }
}

/* The differential test: sg_phone_normalize (fast path where it answers) against
 * sg_phone_normalize_reference (libphonenumber only) over a large deterministic
 * set of "+" numbers built from libphonenumber's metadata. */
struct diff_run {
    unsigned long compared;
    unsigned long fast; /* answered by the fast path */
    unsigned long ok;   /* valid numbers */
    uint64_t rng;
};

static uint64_t diff_rand(struct diff_run *run)
{
    /* xorshift64: deterministic across platforms, so a failure reproduces. */
    run->rng ^= run->rng << 13;
    run->rng ^= run->rng >> 7;
    run->rng ^= run->rng << 17;
    return run->rng;
}

static void diff_check(struct diff_run *run, const char *input)
{
    /* The default region plays no part in reading "+" input; vary it anyway. */
    static const char *const regions[] = {NULL, "GB", "US", "DE", "BR", "RU"};
    const char *region = regions[run->compared % (sizeof regions / sizeof regions[0])];
    char fast[SG_PHONE_MAX] = "", ref[SG_PHONE_MAX] = "";
    sg_phone_type fast_type = SG_PHONE_TYPE_UNKNOWN, ref_type = SG_PHONE_TYPE_UNKNOWN;

    unsigned long before = sg_phone_fast_path_hits();
    sg_phone_status fast_st = sg_phone_normalize(input, region, fast, &fast_type);
    run->fast += sg_phone_fast_path_hits() - before;
    sg_phone_status ref_st = sg_phone_normalize_reference(input, region, ref, &ref_type);
    run->compared++;
    if (fast_st != ref_st ||
        (ref_st == SG_PHONE_OK && (strcmp(fast, ref) != 0 || fast_type != ref_type)))
        fail_msg("\"%s\" (region %s): sg_phone_normalize gives status %d \"%s\" %s, the "
                 "reference status %d \"%s\" %s",
                 input, region ? region : "NULL", (int)fast_st, fast_st == SG_PHONE_OK ? fast : "",
                 sg_phone_type_name(fast_type), (int)ref_st, ref_st == SG_PHONE_OK ? ref : "",
                 sg_phone_type_name(ref_type));
    if (ref_st == SG_PHONE_OK)
        run->ok++;
    /* The region (routes match by it) through the fast path, against libphonenumber. */
    char fast_region[3] = "", ref_region[3] = "";
    bool fast_found = sg_phone_region(input, fast_region);
    bool ref_found = sg_phone_region_reference(input, ref_region);
    if (fast_found != ref_found || strcmp(fast_region, ref_region) != 0)
        fail_msg("\"%s\": sg_phone_region gives %d \"%s\", the reference %d \"%s\"", input,
                 fast_found, fast_region, ref_found, ref_region);
}

/* "+" prefix, then ndigits random digits. */
static void diff_random(struct diff_run *run, const char *prefix, int ndigits)
{
    char in[64];
    int n = snprintf(in, sizeof in, "+%s", prefix);
    assert_true(n > 0 && n + ndigits < (int)sizeof in);
    for (int i = 0; i < ndigits; i++)
        in[n++] = (char)('0' + diff_rand(run) % 10);
    in[n] = '\0';
    diff_check(run, in);
}

static void test_fast_path_parity(void **state)
{
    struct diff_run run = {.rng = 0x9E3779B97F4A7C15u};
    bool seen[1000] = {false};
    size_t nregions = 0;
    sg_phone_region_info info;
    char cc[8], in[64];

    /* Every calling code in the metadata: random national numbers of every length
     * from 2 to 15 digits (so past E.164's 15 in all, where the fast path declines),
     * and numbers that start with 0 or with the region's national prefix. */
    for (size_t i = 0; sg_phone_fast_region_at(i, &info); i++) {
        nregions++;
        snprintf(cc, sizeof cc, "%d", info.calling_code);
        if (info.calling_code > 0 && info.calling_code < 1000 && !seen[info.calling_code]) {
            seen[info.calling_code] = true;
            for (int len = 2; len <= 15; len++)
                for (int k = 0; k < 24; k++)
                    diff_random(&run, cc, len);
            for (int len = 1; len <= 13; len++) {
                char zero[16];
                snprintf(zero, sizeof zero, "%s0", cc);
                for (int k = 0; k < 4; k++)
                    diff_random(&run, zero, len);
            }
        }
        if (info.national_prefix[0]) {
            char np[32];
            snprintf(np, sizeof np, "%s%s", cc, info.national_prefix);
            for (int len = 1; len <= 13; len++)
                for (int k = 0; k < 4; k++)
                    diff_random(&run, np, len);
        }

        /* Each description's example number, its last two digits run through 00 to
         * 99, and one digit shorter and longer. */
        for (int e = 0; e < SG_PHONE_FAST_EXAMPLES; e++) {
            const char *ex = info.examples[e];
            if (!ex)
                continue;
            int n = snprintf(in, sizeof in, "+%s%s", cc, ex);
            assert_true(n > 3 && n < (int)sizeof in - 1);
            for (int v = 0; v < 100; v++) {
                in[n - 1] = (char)('0' + v % 10);
                in[n - 2] = (char)('0' + v / 10);
                diff_check(&run, in);
            }
            in[n] = '5';
            in[n + 1] = '\0';
            diff_check(&run, in);
            in[n - 1] = '\0';
            diff_check(&run, in);
        }
    }
    assert_true(nregions > 200);

    /* Calling codes that do not exist, and the national prefixes the fast path
     * must leave to libphonenumber: Russia's 8, NANPA's 1, Argentina's mobile 9
     * (its national prefix pattern can match nothing), Italy's leading 0. */
    for (int code = 1; code < 1000; code++) {
        snprintf(cc, sizeof cc, "%d", code);
        diff_random(&run, cc, (int)(diff_rand(&run) % 12) + 2);
    }
    static const char *const prefixes[] = {"78", "11", "549", "5491", "390", "3903", "4407"};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
        for (int len = 1; len <= 12; len++)
            for (int k = 0; k < 100; k++)
                diff_random(&run, prefixes[p], len);

    print_message("compared %lu numbers: %lu answered by the fast path, %lu valid\n", run.compared,
                  run.fast, run.ok);
    assert_true(run.compared >= 200000);
    /* Most of the set is in E.164 shape with a geographic calling code and no
     * leading zero; a fast path that declined most of it would be no use. */
    assert_true(run.fast > run.compared / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_national_gb),      cmocka_unit_test(test_international_formats),
        cmocka_unit_test(test_00_prefix),        cmocka_unit_test(test_types),
        cmocka_unit_test(test_invalid),          cmocka_unit_test(test_national_without_region),
        cmocka_unit_test(test_region_valid),     cmocka_unit_test(test_input_length_limit),
        cmocka_unit_test(test_fast_path_used),
        cmocka_unit_test(test_fast_region_used),
        cmocka_unit_test(test_fast_path_declines),
        cmocka_unit_test(test_fast_path_parity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
