#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/gsm7.h"

#include <stdlib.h>
#include <string.h>

/* A body assembled from pieces, each repeated: enough to build boundary cases. */
typedef struct text {
    char *data;
    size_t len;
} text;

static void text_add(text *t, const char *piece, size_t times)
{
    size_t n = strlen(piece);
    t->data = realloc(t->data, t->len + n * times + 1);
    assert_non_null(t->data);
    for (size_t i = 0; i < times; i++) {
        memcpy(t->data + t->len, piece, n);
        t->len += n;
    }
    t->data[t->len] = '\0';
}

static sg_sms_info analyze_ok(const text *t)
{
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze(t->data, t->len, &info), SG_TEXT_OK);
    return info;
}

/* Shorthand: `times` copies of piece a, then b, then c. */
static sg_sms_info analyze3(const char *a, size_t na, const char *b, size_t nb, const char *c,
                            size_t nc)
{
    text t = {0};
    text_add(&t, a, na);
    text_add(&t, b, nb);
    text_add(&t, c, nc);
    sg_sms_info info = analyze_ok(&t);
    free(t.data);
    return info;
}

static void assert_info(sg_sms_info info, sg_encoding enc, size_t chars, size_t units,
                        unsigned segments)
{
    assert_int_equal(info.encoding, enc);
    assert_int_equal(info.chars, chars);
    assert_int_equal(info.units, units);
    assert_int_equal(info.segments, segments);
}

static void test_plain_ascii(void **state)
{
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze("Hello, world!", 13, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 13, 13, 1);
    assert_int_equal(sg_sms_analyze("a\r\nb", 4, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 4, 4, 1);
}

static void test_empty(void **state)
{
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze("", 0, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 0, 0, 0);
    assert_int_equal(sg_sms_analyze(NULL, 0, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 0, 0, 0);
}

/* The default alphabet of providers.md C.1, septet value -> Unicode, with ESC
 * (0x1B) standing in for itself. */
static const uint32_t gsm_default[128] = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x000A, 0x00D8,
    0x00F8, 0x000D, 0x00C5, 0x00E5, 0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,
    0x03A3, 0x0398, 0x039E, 0x001B, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x0020, 0x0021, 0x0022, 0x0023,
    0x00A4, 0x0025, 0x0026, 0x0027, 0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, 0x0038, 0x0039, 0x003A, 0x003B,
    0x003C, 0x003D, 0x003E, 0x003F, 0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F, 0x0050, 0x0051, 0x0052, 0x0053,
    0x0054, 0x0055, 0x0056, 0x0057, 0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, 0x0068, 0x0069, 0x006A, 0x006B,
    0x006C, 0x006D, 0x006E, 0x006F, 0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};

/* providers.md C.2: form feed ^ { } \ [ ~ ] | and the euro sign. */
static const uint32_t gsm_extension[10] = {0x000C, 0x005E, 0x007B, 0x007D, 0x005C,
                                           0x005B, 0x007E, 0x005D, 0x007C, 0x20AC};

/* The lookup tables in gsm7.c agree with the spec tables, and hold nothing else
 * anywhere in the BMP. */
static void test_tables_match_spec(void **state)
{
    for (size_t i = 0; i < 128; i++) {
        if (i == 0x1B)
            assert_int_equal(sg_gsm7_septets(gsm_default[i]), 0);
        else
            assert_int_equal(sg_gsm7_septets(gsm_default[i]), 1);
    }
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(sg_gsm7_septets(gsm_extension[i]), 2);
    size_t ones = 0, twos = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        int s = sg_gsm7_septets(cp);
        ones += s == 1;
        twos += s == 2;
    }
    assert_int_equal(ones, 127);
    assert_int_equal(twos, 10);
}

static void test_extension_chars_count_two(void **state)
{
    const char *ext[] = {"^", "{", "}", "\\", "[", "~", "]", "|", "\xE2\x82\xAC", "\f"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
        sg_sms_info info;
        assert_int_equal(sg_sms_analyze(ext[i], strlen(ext[i]), &info), SG_TEXT_OK);
        assert_info(info, SG_ENC_GSM7, 1, 2, 1);
    }
    sg_sms_info info;
    const char *mix = "a{b}\xE2\x82\xAC"; /* 2 + 2*3 = 8 septets */
    assert_int_equal(sg_sms_analyze(mix, strlen(mix), &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 5, 8, 1);
}

static void test_gsm_not_ucs2_for_alphabet_accents(void **state)
{
    const char *gsm[] = {"@",
                         "\xC3\x87" /* Ç */,
                         "\xC3\xA0" /* à */,
                         "\xC3\xA9" /* é */,
                         "$",
                         "\xC2\xA4" /* ¤ */,
                         "_",
                         "\xCE\x94\xCE\xA6\xCE\x93\xCE\x9B\xCE\xA9\xCE\xA0\xCE\xA8\xCE\xA3\xCE\x98"
                         "\xCE\x9E" /* ΔΦΓΛΩΠΨΣΘΞ */};
    for (size_t i = 0; i < sizeof gsm / sizeof gsm[0]; i++) {
        sg_sms_info info;
        assert_int_equal(sg_sms_analyze(gsm[i], strlen(gsm[i]), &info), SG_TEXT_OK);
        assert_int_equal(info.encoding, SG_ENC_GSM7);
        assert_int_equal(info.units, info.chars);
    }
}

static void test_one_non_gsm_forces_ucs2(void **state)
{
    const char *non[] = {
        "\xC3\xA7" /* ç */, "\xC3\xA1" /* á */, "`",
        "\xCE\xB1" /* α */, "\xC3\xA2" /* â */, "\x1B" /* ESC is not a character */};
    for (size_t i = 0; i < sizeof non / sizeof non[0]; i++) {
        text t = {0};
        text_add(&t, "Hello ", 1);
        text_add(&t, non[i], 1);
        text_add(&t, "{x}", 1); /* extension chars cost 1 unit in UCS-2 */
        sg_sms_info info = analyze_ok(&t);
        assert_info(info, SG_ENC_UCS2, 10, 10, 1);
        free(t.data);
    }
    /* 159 GSM chars would fit one SMS; one 'ç' makes 160 UCS-2 units: 67+67+26. */
    assert_info(analyze3("a", 159, "\xC3\xA7", 1, "", 0), SG_ENC_UCS2, 160, 160, 3);
}

static void test_gsm7_boundaries(void **state)
{
    assert_info(analyze3("a", 160, "", 0, "", 0), SG_ENC_GSM7, 160, 160, 1);
    assert_info(analyze3("a", 161, "", 0, "", 0), SG_ENC_GSM7, 161, 161, 2);
    assert_info(analyze3("a", 306, "", 0, "", 0), SG_ENC_GSM7, 306, 306, 2);
    assert_info(analyze3("a", 307, "", 0, "", 0), SG_ENC_GSM7, 307, 307, 3);
    assert_info(analyze3("a", 459, "", 0, "", 0), SG_ENC_GSM7, 459, 459, 3);
    assert_info(analyze3("a", 460, "", 0, "", 0), SG_ENC_GSM7, 460, 460, 4);
    /* 158 + one 2-septet char = 160: still one SMS; 159 + 2 = 161: two. */
    assert_info(analyze3("a", 158, "\xE2\x82\xAC", 1, "", 0), SG_ENC_GSM7, 159, 160, 1);
    assert_info(analyze3("a", 159, "\xE2\x82\xAC", 1, "", 0), SG_ENC_GSM7, 160, 161, 2);
}

static void test_escape_pair_never_split(void **state)
{
    /* 152 'a' then '€' (ESC + 0x65): the pair cannot start at septet 153 of part 1,
     * so part 1 holds 152 and '€' opens part 2 with 151 'a' after it; the last
     * 'a' needs part 3, although 306 septets would fit two parts of 153. */
    assert_info(analyze3("a", 152, "\xE2\x82\xAC", 1, "a", 152), SG_ENC_GSM7, 305, 306, 3);
    /* Shifted by one, the pair lands inside part 1 and the same 306 septets fit
     * exactly two parts. */
    assert_info(analyze3("a", 151, "\xE2\x82\xAC", 1, "a", 153), SG_ENC_GSM7, 305, 306, 2);
    /* Same with a default-table extension char. */
    assert_info(analyze3("a", 152, "[", 1, "a", 152), SG_ENC_GSM7, 305, 306, 3);
}

static void test_ucs2_boundaries(void **state)
{
    const char *aa = "\xC3\xA1"; /* á, not GSM */
    assert_info(analyze3(aa, 70, "", 0, "", 0), SG_ENC_UCS2, 70, 70, 1);
    assert_info(analyze3(aa, 71, "", 0, "", 0), SG_ENC_UCS2, 71, 71, 2);
    assert_info(analyze3(aa, 134, "", 0, "", 0), SG_ENC_UCS2, 134, 134, 2);
    assert_info(analyze3(aa, 135, "", 0, "", 0), SG_ENC_UCS2, 135, 135, 3);
    assert_info(analyze3(aa, 201, "", 0, "", 0), SG_ENC_UCS2, 201, 201, 3);
    assert_info(analyze3(aa, 202, "", 0, "", 0), SG_ENC_UCS2, 202, 202, 4);
}

static void test_surrogate_pair_never_split(void **state)
{
    const char *aa = "\xC3\xA1";
    const char *emoji = "\xF0\x9F\x98\x80"; /* U+1F600 */
    assert_info(analyze3(emoji, 1, "", 0, "", 0), SG_ENC_UCS2, 1, 2, 1);
    /* 68 + 2 = 70 units: one SMS; 69 + 2 = 71: two. */
    assert_info(analyze3(aa, 68, emoji, 1, "", 0), SG_ENC_UCS2, 69, 70, 1);
    assert_info(analyze3(aa, 69, emoji, 1, "", 0), SG_ENC_UCS2, 70, 71, 2);
    /* The pair would straddle units 67/68: it moves to part 2, so 134 units need
     * three parts instead of two. */
    assert_info(analyze3(aa, 66, emoji, 1, aa, 66), SG_ENC_UCS2, 133, 134, 3);
    assert_info(analyze3(aa, 65, emoji, 1, aa, 67), SG_ENC_UCS2, 133, 134, 2);
    /* Only emoji: one SMS holds 35 (70 units); past that a part holds 33 pairs
     * (66 units), so 67 emoji need three parts, not two. */
    assert_info(analyze3(emoji, 35, "", 0, "", 0), SG_ENC_UCS2, 35, 70, 1);
    assert_info(analyze3(emoji, 36, "", 0, "", 0), SG_ENC_UCS2, 36, 72, 2);
    assert_info(analyze3(emoji, 67, "", 0, "", 0), SG_ENC_UCS2, 67, 134, 3);
}

static void test_invalid_utf8(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\x80", 1},             /* lone continuation */
        {"ab\xBF", 3},           /* continuation at the end */
        {"\xC0\xAF", 2},         /* overlong '/' */
        {"\xC1\xBF", 2},         /* overlong */
        {"\xE0\x80\xAF", 3},     /* overlong 3-byte */
        {"\xF0\x80\x80\xAF", 4}, /* overlong 4-byte */
        {"\xED\xA0\x80", 3},     /* U+D800 */
        {"\xED\xBF\xBF", 3},     /* U+DFFF */
        {"\xF4\x90\x80\x80", 4}, /* U+110000 */
        {"\xF5\x80\x80\x80", 4}, /* F5 lead */
        {"\xFF", 1},             /* never valid */
        {"\xFE", 1},             /* never valid */
        {"\xE2\x82", 2},         /* truncated euro */
        {"hi \xE2\x82", 5},      /* truncated at the end of a body */
        {"\xE2\x82z", 3},        /* continuation missing */
        {"\xF0\x9F\x98", 3},     /* truncated emoji */
        {"\xC3", 1},             /* truncated 2-byte */
        {"\xE2\x82\xAC\xAC", 4}, /* extra continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_sms_info info = {.chars = 99, .units = 99, .segments = 99};
        assert_int_equal(sg_sms_analyze(bad[i].bytes, bad[i].len, &info), SG_TEXT_INVALID_UTF8);
        assert_int_equal(info.segments, 0);
        assert_int_equal(info.chars, 0);
    }
    /* Boundaries that are valid: U+D7FF, U+E000, U+10FFFF, U+0080, U+FFFF. */
    const char *good = "\xED\x9F\xBF\xEE\x80\x80\xF4\x8F\xBF\xBF\xC2\x80\xEF\xBF\xBF";
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze(good, strlen(good), &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_UCS2, 5, 6, 1);
}

static void test_length_limit(void **state)
{
    text t = {0};
    text_add(&t, "a", 1600);
    sg_sms_info info = analyze_ok(&t);
    assert_info(info, SG_ENC_GSM7, 1600, 1600, 11); /* ceil(1600 / 153) */
    text_add(&t, "a", 1);
    assert_int_equal(sg_sms_analyze(t.data, t.len, &info), SG_TEXT_TOO_LONG);
    assert_int_equal(info.chars, 1601); /* still reported, for the error message */
    /* Invalid UTF-8 wins over length. */
    text_add(&t, "\x80", 1);
    assert_int_equal(sg_sms_analyze(t.data, t.len, &info), SG_TEXT_INVALID_UTF8);
    free(t.data);

    /* The limit is in code points, not bytes or units. */
    t = (text){0};
    text_add(&t, "\xF0\x9F\x98\x80", 1600);
    info = analyze_ok(&t);
    assert_info(info, SG_ENC_UCS2, 1600, 3200, 49); /* 33 emoji per part */
    text_add(&t, "\xC3\xA1", 1);
    assert_int_equal(sg_sms_analyze(t.data, t.len, &info), SG_TEXT_TOO_LONG);
    free(t.data);
}

static void test_length_not_nul(void **state)
{
    sg_sms_info info;
    /* The NUL in the middle is a character (not GSM: septet 0x00 is '@'). */
    assert_int_equal(sg_sms_analyze("ab\0cd", 5, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_UCS2, 5, 5, 1);
    /* Bytes past len are not read, even invalid ones. */
    assert_int_equal(sg_sms_analyze("abc\xFF", 3, &info), SG_TEXT_OK);
    assert_info(info, SG_ENC_GSM7, 3, 3, 1);
    /* A length that cuts a sequence short is truncated UTF-8. */
    assert_int_equal(sg_sms_analyze("a\xE2\x82\xAC", 3, &info), SG_TEXT_INVALID_UTF8);
}

static void test_encoding_name(void **state)
{
    assert_string_equal(sg_encoding_name(SG_ENC_GSM7), "GSM-7");
    assert_string_equal(sg_encoding_name(SG_ENC_UCS2), "UCS-2");
    assert_string_equal(sg_encoding_name((sg_encoding)7), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_ascii),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_tables_match_spec),
        cmocka_unit_test(test_extension_chars_count_two),
        cmocka_unit_test(test_gsm_not_ucs2_for_alphabet_accents),
        cmocka_unit_test(test_one_non_gsm_forces_ucs2),
        cmocka_unit_test(test_gsm7_boundaries),
        cmocka_unit_test(test_escape_pair_never_split),
        cmocka_unit_test(test_ucs2_boundaries),
        cmocka_unit_test(test_surrogate_pair_never_split),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_length_limit),
        cmocka_unit_test(test_length_not_nul),
        cmocka_unit_test(test_encoding_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
