/* UTF-8 (util/utf8.h): every length class and its boundaries (U+007F/0080,
 * U+07FF/0800, U+FFFF/10000, U+10FFFF/110000), overlong forms, surrogates,
 * truncated sequences and stray continuation bytes, each row with its reason;
 * an exhaustive check that the decoder accepts exactly the canonical encodings
 * of 1 to 3 bytes (and of 4 bytes for every second and third byte); the encode
 * and decode round trip for every code point; the validator, the counter and
 * the cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The bytes as \xNN, for failure messages. */
static const char *hex(const char *s, size_t len)
{
    static char out[64];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof out; i++)
        n += (size_t)snprintf(out + n, sizeof out - n, "\\x%02X", (unsigned char)s[i]);
    out[n] = '\0';
    return out;
}

typedef struct decode_row {
    const char *bytes;
    size_t len;
    size_t want_n; /* 0: refused */
    uint32_t want_cp;
    const char *why;
} decode_row;

#define ROW(b, n, cp, why)                                                                         \
    {                                                                                              \
        b, sizeof(b) - 1, n, cp, why                                                               \
    }

static const decode_row decode_rows[] = {
    /* well-formed, at both ends of each length class */
    ROW("\x00", 1, 0x0000, "U+0000, the lowest 1-byte"),
    ROW("A", 1, 0x0041, "ASCII"),
    ROW("\x7F", 1, 0x007F, "U+007F, the highest 1-byte"),
    ROW("\xC2\x80", 2, 0x0080, "U+0080, the lowest 2-byte"),
    ROW("\xC3\xA9", 2, 0x00E9, "e acute"),
    ROW("\xDF\xBF", 2, 0x07FF, "U+07FF, the highest 2-byte"),
    ROW("\xE0\xA0\x80", 3, 0x0800, "U+0800, the lowest 3-byte"),
    ROW("\xE2\x82\xAC", 3, 0x20AC, "euro sign"),
    ROW("\xED\x9F\xBF", 3, 0xD7FF, "U+D7FF, just below the surrogates"),
    ROW("\xEE\x80\x80", 3, 0xE000, "U+E000, just above the surrogates"),
    ROW("\xEF\xBF\xBD", 3, 0xFFFD, "the replacement character"),
    ROW("\xEF\xBF\xBF", 3, 0xFFFF, "U+FFFF, the highest 3-byte"),
    ROW("\xF0\x90\x80\x80", 4, 0x10000, "U+10000, the lowest 4-byte"),
    ROW("\xF0\x9F\x98\x80", 4, 0x1F600, "an emoji"),
    ROW("\xF4\x8F\xBF\xBF", 4, 0x10FFFF, "U+10FFFF, the highest code point"),
    ROW("\xC3\xA9X", 2, 0x00E9, "only the first character is consumed"),
    /* above U+10FFFF */
    ROW("\xF4\x90\x80\x80", 0, 0, "U+110000 is beyond Unicode"),
    ROW("\xF5\x80\x80\x80", 0, 0, "F5 leads nothing"),
    ROW("\xF7\xBF\xBF\xBF", 0, 0, "U+1FFFFF in the old 4-byte form"),
    ROW("\xF8\x88\x80\x80\x80", 0, 0, "5-byte forms are gone"),
    ROW("\xFE", 0, 0, "FE is never UTF-8"),
    ROW("\xFF", 0, 0, "FF is never UTF-8"),
    /* overlong forms */
    ROW("\xC0\x80", 0, 0, "overlong U+0000 (modified UTF-8)"),
    ROW("\xC0\xAF", 0, 0, "overlong '/'"),
    ROW("\xC1\xBF", 0, 0, "overlong U+007F"),
    ROW("\xE0\x80\x80", 0, 0, "overlong U+0000 in 3 bytes"),
    ROW("\xE0\x9F\xBF", 0, 0, "overlong U+07FF in 3 bytes"),
    ROW("\xF0\x80\x80\x80", 0, 0, "overlong U+0000 in 4 bytes"),
    ROW("\xF0\x8F\xBF\xBF", 0, 0, "overlong U+FFFF in 4 bytes"),
    /* UTF-16 surrogates */
    ROW("\xED\xA0\x80", 0, 0, "U+D800, the first high surrogate"),
    ROW("\xED\xAF\xBF", 0, 0, "U+DBFF, the last high surrogate"),
    ROW("\xED\xB0\x80", 0, 0, "U+DC00, the first low surrogate"),
    ROW("\xED\xBF\xBF", 0, 0, "U+DFFF, the last low surrogate"),
    ROW("\xED\xA0\xBD\xED\xB8\x80", 0, 0, "a surrogate pair in CESU-8"),
    /* stray continuation bytes */
    ROW("\x80", 0, 0, "a lone continuation byte"),
    ROW("\xBF", 0, 0, "the last continuation byte alone"),
    ROW("\x80\x80", 0, 0, "continuation bytes with no lead"),
    /* truncated, by the end of the input or by another byte */
    ROW("\xC2", 0, 0, "2-byte lead at the end"),
    ROW("\xE0\xA0", 0, 0, "3-byte sequence missing its last byte"),
    ROW("\xE2", 0, 0, "3-byte lead at the end"),
    ROW("\xF0\x90\x80", 0, 0, "4-byte sequence missing its last byte"),
    ROW("\xF4", 0, 0, "4-byte lead at the end"),
    ROW("\xC3"
        "A",
        0, 0, "2-byte lead then ASCII"),
    ROW("\xE2\x82"
        "A",
        0, 0, "3-byte sequence cut by ASCII"),
    ROW("\xE2\x00\x80", 0, 0, "a NUL inside a sequence"),
    ROW("\xF0\x9F\x98"
        "\xC3\xA9",
        0, 0, "4-byte sequence cut by a new lead"),
    ROW("\xC2\xC2\x80", 0, 0, "lead then lead"),
};

static void test_decode_rows(void **state)
{
    for (size_t i = 0; i < sizeof decode_rows / sizeof decode_rows[0]; i++) {
        const decode_row *r = &decode_rows[i];
        uint32_t cp = 0xDEADBEEF;
        size_t n = sg_utf8_decode(r->bytes, r->len, &cp);
        if (n != r->want_n || (n && cp != r->want_cp) || (!n && cp != 0xDEADBEEF))
            fail_msg("row %zu (%s) \"%s\": consumed %zu, U+%04X; expected %zu, U+%04X", i, r->why,
                     hex(r->bytes, r->len), n, (unsigned)cp, r->want_n, (unsigned)r->want_cp);
        bool valid = r->want_n == r->len; /* a refused first character makes the whole invalid */
        if ((r->want_n == 0 || valid) && sg_utf8_valid(r->bytes, r->len) != valid)
            fail_msg("row %zu (%s) \"%s\": sg_utf8_valid says %d", i, r->why, hex(r->bytes, r->len),
                     !valid);
    }
}

static void test_decode_cut_short_by_len(void **state)
{
    /* The bytes are there but len stops before them: still truncated. */
    static const char *const full[] = {"\xC2\x80", "\xE0\xA0\x80", "\xF0\x90\x80\x80"};
    uint32_t cp;
    for (size_t i = 0; i < 3; i++) {
        size_t len = strlen(full[i]);
        for (size_t k = 0; k < len; k++) {
            if (sg_utf8_decode(full[i], k, &cp) != 0)
                fail_msg("\"%s\" with len %zu: decoded", hex(full[i], len), k);
        }
        assert_int_equal(sg_utf8_decode(full[i], len, &cp), len);
    }
}

/* Exactly the canonical encodings decode: any byte string the decoder accepts
 * re-encodes to the same bytes, so no overlong form, surrogate or value above
 * U+10FFFF can get through. All 1- to 3-byte inputs; 4-byte ones for every lead
 * from F0, every second and third byte, and a spread of last bytes. */
static void check_canonical(const unsigned char *b, size_t len)
{
    uint32_t cp;
    char again[SG_UTF8_MAX];
    size_t n = sg_utf8_decode((const char *)b, len, &cp);
    if (n == 0)
        return;
    size_t m = sg_utf8_encode(cp, again);
    if (m != n || memcmp(again, b, n) != 0)
        fail_msg("\"%s\" decoded to U+%04X, which encodes as \"%s\"", hex((const char *)b, n),
                 (unsigned)cp, hex(again, m));
}

static void test_decode_accepts_only_canonical(void **state)
{
    static const unsigned char last[] = {0x00, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    unsigned char b[4];
    size_t accepted = 0;
    for (unsigned b0 = 0; b0 < 256; b0++) {
        for (unsigned b1 = 0; b1 < 256; b1++) {
            for (unsigned b2 = 0; b2 < 256; b2++) {
                b[0] = (unsigned char)b0, b[1] = (unsigned char)b1, b[2] = (unsigned char)b2;
                check_canonical(b, 3);
                uint32_t cp;
                accepted += sg_utf8_decode((const char *)b, 3, &cp) == 3;
                if (b0 < 0xF0)
                    continue;
                for (size_t k = 0; k < sizeof last; k++) {
                    b[3] = last[k];
                    check_canonical(b, 4);
                }
            }
        }
    }
    /* Every 3-byte scalar value: U+0800..U+FFFF less 2048 surrogates. */
    assert_int_equal(accepted, 0x10000 - 0x800 - 0x800);
}

static size_t length_class(uint32_t cp)
{
    return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/* Every code point: surrogates do not encode; every scalar value encodes in its
 * length class, decodes back, is valid, and is refused when cut short. */
static void test_round_trip_every_code_point(void **state)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        char out[SG_UTF8_MAX];
        size_t n = sg_utf8_encode(cp, out);
        if (cp >= 0xD800 && cp <= 0xDFFF) {
            if (n != 0)
                fail_msg("surrogate U+%04X encoded in %zu bytes", (unsigned)cp, n);
            continue;
        }
        if (n != length_class(cp))
            fail_msg("U+%04X encoded in %zu bytes, expected %zu", (unsigned)cp, n,
                     length_class(cp));
        uint32_t back = 0;
        if (sg_utf8_decode(out, n, &back) != n || back != cp)
            fail_msg("U+%04X -> \"%s\" -> U+%04X", (unsigned)cp, hex(out, n), (unsigned)back);
        if (!sg_utf8_valid(out, n) || sg_utf8_count(out, n, n) != 1)
            fail_msg("U+%04X -> \"%s\" is not one valid character", (unsigned)cp, hex(out, n));
        if (n > 1 && (sg_utf8_decode(out, n - 1, &back) != 0 || sg_utf8_valid(out, n - 1) ||
                      sg_utf8_trim_len(out, n, n - 1) != 0))
            fail_msg("U+%04X -> \"%s\" cut to %zu bytes still decodes", (unsigned)cp, hex(out, n),
                     n - 1);
    }
    char out[SG_UTF8_MAX] = {'x', 'x', 'x', 'x'};
    assert_int_equal(sg_utf8_encode(0x110000, out), 0);
    assert_int_equal(sg_utf8_encode(0xFFFFFFFFu, out), 0);
    assert_memory_equal(out, "xxxx", 4); /* untouched */
}

static void test_next_never_stuck(void **state)
{
    uint32_t cp;
    assert_int_equal(sg_utf8_next("\xC3\xA9", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(sg_utf8_next("\xFF"
                                  "A",
                                  2, &cp),
                     1);
    assert_int_equal(cp, SG_UTF8_REPLACEMENT);
    assert_int_equal(sg_utf8_next("\xE2\x82", 2, &cp), 1);
    assert_int_equal(cp, SG_UTF8_REPLACEMENT);
    assert_int_equal(sg_utf8_next("", 0, &cp), 0);
}

typedef struct valid_row {
    const char *bytes;
    size_t len;
    bool valid;
    const char *why;
} valid_row;

#define VROW(b, v, why)                                                                            \
    {                                                                                              \
        b, sizeof(b) - 1, v, why                                                                   \
    }

static const valid_row valid_rows[] = {
    VROW("", true, "empty"),
    VROW("hello, world: plain ASCII longer than 8", true, "ASCII, fast path"),
    VROW("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 ok", true, "all four lengths"),
    VROW("a\0b", true, "a NUL is U+0000"),
    VROW("12345678\xC3\xA9", true, "a 2-byte character right after 8 ASCII bytes"),
    VROW("12345678\x80", false, "a stray byte right after 8 ASCII bytes"),
    VROW("1234567\x80"
         "12345678",
         false, "a stray byte inside the first 8"),
    VROW("1234567812345678\xC3", false, "truncated at the very end"),
    VROW("abc\xED\xA0\x80xyz", false, "a surrogate in the middle"),
    VROW("abc\xC0\xAFxyz", false, "an overlong in the middle"),
};

static void test_valid_rows(void **state)
{
    for (size_t i = 0; i < sizeof valid_rows / sizeof valid_rows[0]; i++) {
        const valid_row *r = &valid_rows[i];
        if (sg_utf8_valid(r->bytes, r->len) != r->valid)
            fail_msg("row %zu (%s): sg_utf8_valid says %d", i, r->why, !r->valid);
        size_t count = sg_utf8_count(r->bytes, r->len, r->len);
        if ((count == SIZE_MAX) == r->valid)
            fail_msg("row %zu (%s): sg_utf8_count says %zu", i, r->why, count);
    }
    assert_true(sg_utf8_valid(NULL, 0));
}

static void test_count_and_limit(void **state)
{
    const char *s = "h\xC3\xA9llo \xF0\x9F\x98\x80"; /* 7 code points, 11 bytes */
    size_t len = strlen(s);
    assert_int_equal(sg_utf8_count(s, len, len), 7);
    assert_int_equal(sg_utf8_count(s, len, 7), 7);
    assert_int_equal(sg_utf8_count(s, len, 6), 7); /* limit + 1: too long */
    assert_int_equal(sg_utf8_count(s, len, 2), 3);
    assert_int_equal(sg_utf8_count(s, len, 0), 1);
    assert_int_equal(sg_utf8_count("", 0, 0), 0);
    /* Ill-formed before the limit is passed: SIZE_MAX; after it: not read. */
    assert_int_equal(sg_utf8_count("ab\xFF", 3, 5), SIZE_MAX);
    assert_int_equal(sg_utf8_count("ab\xFF", 3, 2), SIZE_MAX);
    assert_int_equal(sg_utf8_count("ab\xFF", 3, 1), 2);
    /* The limit falls inside a run of ASCII read 8 bytes at a time. */
    assert_int_equal(sg_utf8_count("1234567890abcdef", 16, 3), 4);
    assert_int_equal(sg_utf8_count("1234567890abcdef", 16, 16), 16);
    assert_int_equal(sg_utf8_count("12345678\xFF", 9, 3), 4);
    assert_int_equal(sg_utf8_count("12345678\xFF", 9, 8), SIZE_MAX);
}

static void test_trim_len(void **state)
{
    const char *s = "h\xC3\xA9llo"; /* h é l l o: 6 bytes, é at 1..2 */
    assert_int_equal(sg_utf8_trim_len(s, 6, 10), 6);
    assert_int_equal(sg_utf8_trim_len(s, 6, 6), 6);
    assert_int_equal(sg_utf8_trim_len(s, 6, 5), 5);
    assert_int_equal(sg_utf8_trim_len(s, 6, 3), 3);
    assert_int_equal(sg_utf8_trim_len(s, 6, 2), 1); /* not between C3 and A9 */
    assert_int_equal(sg_utf8_trim_len(s, 6, 1), 1);
    assert_int_equal(sg_utf8_trim_len(s, 6, 0), 0);
    const char *e = "\xF0\x9F\x98\x80!"; /* an emoji then '!' */
    for (size_t max = 0; max < 4; max++)
        assert_int_equal(sg_utf8_trim_len(e, 5, max), 0);
    assert_int_equal(sg_utf8_trim_len(e, 5, 4), 4);
    /* Continuation bytes all the way down: cut to nothing. */
    assert_int_equal(sg_utf8_trim_len("\x80\x80\x80\x80", 4, 3), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_rows),
        cmocka_unit_test(test_decode_cut_short_by_len),
        cmocka_unit_test(test_decode_accepts_only_canonical),
        cmocka_unit_test(test_round_trip_every_code_point),
        cmocka_unit_test(test_next_never_stuck),
        cmocka_unit_test(test_valid_rows),
        cmocka_unit_test(test_count_and_limit),
        cmocka_unit_test(test_trim_len),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
