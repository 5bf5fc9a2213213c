#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/gsm7.h"
#include "core/lookalike.h"

#include <stdio.h>
#include <string.h>

/* Every look-alike, written out: the character as UTF-8, its code point, and the
 * replacement. test_every_mapping checks that this list and the table in
 * lookalike.c hold exactly the same code points. */
static const struct mapping {
    const char *text;
    uint32_t cp;
    const char *rep;
} mappings[] = {
    /* clang-format off */
    {"\t", 0x0009, " "},
    {"`", 0x0060, "'"},
    {"\u00A0", 0x00A0, " "},
    {"«", 0x00AB, "\""},
    {"\u00AD", 0x00AD, ""},
    {"´", 0x00B4, "'"},
    {"»", 0x00BB, "\""},
    {"À", 0x00C0, "A"},
    {"Á", 0x00C1, "A"},
    {"Â", 0x00C2, "A"},
    {"Ã", 0x00C3, "A"},
    {"È", 0x00C8, "E"},
    {"Ê", 0x00CA, "E"},
    {"Ë", 0x00CB, "E"},
    {"Ì", 0x00CC, "I"},
    {"Í", 0x00CD, "I"},
    {"Î", 0x00CE, "I"},
    {"Ï", 0x00CF, "I"},
    {"Ð", 0x00D0, "D"},
    {"Ò", 0x00D2, "O"},
    {"Ó", 0x00D3, "O"},
    {"Ô", 0x00D4, "O"},
    {"Õ", 0x00D5, "O"},
    {"×", 0x00D7, "x"},
    {"Ù", 0x00D9, "U"},
    {"Ú", 0x00DA, "U"},
    {"Û", 0x00DB, "U"},
    {"Ý", 0x00DD, "Y"},
    {"á", 0x00E1, "a"},
    {"â", 0x00E2, "a"},
    {"ã", 0x00E3, "a"},
    {"ç", 0x00E7, "c"},
    {"ê", 0x00EA, "e"},
    {"ë", 0x00EB, "e"},
    {"í", 0x00ED, "i"},
    {"î", 0x00EE, "i"},
    {"ï", 0x00EF, "i"},
    {"ð", 0x00F0, "d"},
    {"ó", 0x00F3, "o"},
    {"ô", 0x00F4, "o"},
    {"õ", 0x00F5, "o"},
    {"ú", 0x00FA, "u"},
    {"û", 0x00FB, "u"},
    {"ý", 0x00FD, "y"},
    {"ÿ", 0x00FF, "y"},
    {"ʹ", 0x02B9, "'"},
    {"ʺ", 0x02BA, "\""},
    {"ʼ", 0x02BC, "'"},
    {"ˆ", 0x02C6, "^"},
    {"˜", 0x02DC, "~"},
    {"Α", 0x0391, "A"},
    {"Β", 0x0392, "B"},
    {"Ε", 0x0395, "E"},
    {"Ζ", 0x0396, "Z"},
    {"Η", 0x0397, "H"},
    {"Ι", 0x0399, "I"},
    {"Κ", 0x039A, "K"},
    {"Μ", 0x039C, "M"},
    {"Ν", 0x039D, "N"},
    {"Ο", 0x039F, "O"},
    {"Ρ", 0x03A1, "P"},
    {"Τ", 0x03A4, "T"},
    {"Υ", 0x03A5, "Y"},
    {"Χ", 0x03A7, "X"},
    {"\u2000", 0x2000, " "},
    {"\u2001", 0x2001, " "},
    {"\u2002", 0x2002, " "},
    {"\u2003", 0x2003, " "},
    {"\u2004", 0x2004, " "},
    {"\u2005", 0x2005, " "},
    {"\u2006", 0x2006, " "},
    {"\u2007", 0x2007, " "},
    {"\u2008", 0x2008, " "},
    {"\u2009", 0x2009, " "},
    {"\u200A", 0x200A, " "},
    {"\u200B", 0x200B, ""},
    {"‐", 0x2010, "-"},
    {"‑", 0x2011, "-"},
    {"‒", 0x2012, "-"},
    {"–", 0x2013, "-"},
    {"—", 0x2014, "-"},
    {"―", 0x2015, "-"},
    {"‘", 0x2018, "'"},
    {"’", 0x2019, "'"},
    {"‚", 0x201A, "'"},
    {"‛", 0x201B, "'"},
    {"“", 0x201C, "\""},
    {"”", 0x201D, "\""},
    {"„", 0x201E, "\""},
    {"‟", 0x201F, "\""},
    {"•", 0x2022, "-"},
    {"․", 0x2024, "."},
    {"…", 0x2026, "..."},
    {"\u202F", 0x202F, " "},
    {"′", 0x2032, "'"},
    {"″", 0x2033, "\""},
    {"‹", 0x2039, "<"},
    {"›", 0x203A, ">"},
    {"⁄", 0x2044, "/"},
    {"\u205F", 0x205F, " "},
    {"\u2060", 0x2060, ""},
    {"−", 0x2212, "-"},
    {"\u3000", 0x3000, " "},
    {"\uFEFF", 0xFEFF, ""},
    /* clang-format on */
};

#define N_MAPPINGS (sizeof mappings / sizeof mappings[0])

/* GSM-7 per sg_sms_analyze. */
static bool is_gsm7(const char *s, size_t len)
{
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze(s, len, &info), SG_TEXT_OK);
    return info.encoding == SG_ENC_GSM7;
}

static void assert_folds_to(const char *text, const char *want)
{
    sg_buf out;
    sg_buf_init(&out, 1000);
    assert_int_equal(sg_gsm7_fold(text, strlen(text), &out), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), want);
    sg_buf_free(&out);
}

static void test_every_mapping(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_MAPPINGS; i++) {
        const struct mapping *m = &mappings[i];
        size_t len = strlen(m->text);
        assert_int_equal(sg_gsm7_septets(m->cp), 0);
        assert_non_null(sg_gsm7_lookalike(m->cp));
        assert_string_equal(sg_gsm7_lookalike(m->cp), m->rep);

        /* Found alone, at offset 0, with its replacement. */
        sg_ucs2_char c[2];
        memset(c, 0x5A, sizeof c);
        assert_int_equal(sg_ucs2_chars(m->text, len, c, 2), 1);
        assert_int_equal(c[0].offset, 0);
        assert_int_equal(c[0].codepoint, m->cp);
        assert_string_equal(c[0].text, m->text);
        assert_string_equal(c[0].replacement, m->rep);

        /* Folded between GSM-7 text, the result is GSM-7. */
        char in[32], want[32];
        snprintf(in, sizeof in, "a%sb", m->text);
        snprintf(want, sizeof want, "a%sb", m->rep);
        assert_folds_to(in, want);
        assert_true(is_gsm7(want, strlen(want)));
    }

    /* And no code point has a look-alike that this list does not hold. */
    size_t mapped = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++)
        if (sg_gsm7_lookalike(cp))
            mapped++;
    assert_int_equal(mapped, N_MAPPINGS);
}

/* The mappings the preview must offer, typed from the requirements. */
static void test_required_mappings(void **state)
{
    (void)state;
    assert_folds_to("\u2018 \u2019 \u201A \u2032", "' ' ' '");
    assert_folds_to("\u201C \u201D \u201E \u2033", "\" \" \" \"");
    assert_folds_to("1\u20132 a\u2014b 3\u22121", "1-2 a-b 3-1");
    assert_folds_to("wait\u2026", "wait...");
    assert_folds_to("a\u00A0b\u2009c\u202Fd\u3000e", "a b c d e");
    assert_folds_to("\u2022 one", "- one");
    assert_folds_to("\u00ABoui\u00BB", "\"oui\"");
    assert_folds_to("it\u00B4s it`s", "it's it's");
    /* ` is not GSM-7, and neither are these accented letters ... */
    assert_int_equal(sg_gsm7_septets('`'), 0);
    assert_folds_to("\u00E1 \u00ED \u00F3 \u00FA \u00E2 \u00EA \u00F4 \u00E3 \u00F5 \u00E7",
                    "a i o u a e o a o c");
    /* ... while these are, and stay as they are. */
    const char *gsm = "\u00E9\u00E8\u00F9\u00EC\u00F2\u00C7\u00D8\u00F8\u00C5\u00E5\u00C4\u00D6"
                      "\u00D1\u00DC\u00E4\u00F6\u00F1\u00FC\u00E0";
    assert_int_equal(sg_ucs2_chars(gsm, strlen(gsm), NULL, 0), 0);
    assert_folds_to(gsm, gsm);
}

/* The table is consistent for every code point: a look-alike only for what is
 * not GSM-7, and every replacement is GSM-7. */
static void test_table_sound(void **state)
{
    (void)state;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        const char *rep = sg_gsm7_lookalike(cp);
        if (!rep)
            continue;
        assert_int_equal(sg_gsm7_septets(cp), 0);
        assert_true(cp < 0xD800 || cp > 0xDFFF);
        assert_true(is_gsm7(rep, strlen(rep)));
        assert_int_equal(sg_ucs2_chars(rep, strlen(rep), NULL, 0), 0);
    }
    assert_null(sg_gsm7_lookalike('a'));
    assert_null(sg_gsm7_lookalike(0x00E9)); /* é is GSM-7 */
    assert_null(sg_gsm7_lookalike(0x20AC)); /* € is in the extension table */
    assert_null(sg_gsm7_lookalike(0x110000));
}

static void test_offsets_multibyte(void **state)
{
    (void)state;
    /* é (GSM, 2 bytes) SP ‘(3) x ’(3) SP 😀(4) SP –(3) SP Ω(GSM, 2) … */
    const char *text = "\u00E9 \u2018x\u2019 \U0001F600 \u2013 \u03A9\u2026";
    sg_ucs2_char c[8];
    assert_int_equal(sg_ucs2_chars(text, strlen(text), c, 8), 5);
    assert_int_equal(c[0].offset, 3);
    assert_int_equal(c[0].codepoint, 0x2018);
    assert_string_equal(c[0].text, "\u2018");
    assert_string_equal(c[0].replacement, "'");
    assert_int_equal(c[1].offset, 7);
    assert_int_equal(c[1].codepoint, 0x2019);
    assert_int_equal(c[2].offset, 11);
    assert_int_equal(c[2].codepoint, 0x1F600);
    assert_null(c[2].replacement);
    assert_int_equal(c[3].offset, 16);
    assert_int_equal(c[3].codepoint, 0x2013);
    assert_string_equal(c[3].replacement, "-");
    assert_int_equal(c[4].offset, 22);
    assert_int_equal(c[4].codepoint, 0x2026);
    assert_string_equal(c[4].replacement, "...");
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(memcmp(text + c[i].offset, c[i].text, strlen(c[i].text)), 0);
}

static void test_emoji(void **state)
{
    (void)state;
    sg_ucs2_char c[4];
    assert_int_equal(sg_ucs2_chars("\U0001F600", 4, c, 4), 1);
    assert_int_equal(c[0].codepoint, 0x1F600);
    assert_string_equal(c[0].text, "\U0001F600");
    assert_null(c[0].replacement);

    /* A ZWJ sequence: three characters, none replaced, the joiner kept. */
    const char *dev = "\U0001F469\u200D\U0001F4BB";
    assert_int_equal(sg_ucs2_chars(dev, strlen(dev), c, 4), 3);
    assert_int_equal(c[1].codepoint, 0x200D);
    assert_int_equal(c[1].offset, 4);
    for (size_t i = 0; i < 3; i++)
        assert_null(c[i].replacement);
    assert_folds_to(dev, dev);

    /* Folding around an emoji leaves the body UCS-2. */
    const char *text = "\u201CHi\u201D \U0001F44B";
    sg_buf out;
    sg_buf_init(&out, 100);
    assert_int_equal(sg_gsm7_fold(text, strlen(text), &out), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "\"Hi\" \U0001F44B");
    assert_false(is_gsm7(out.data, out.len));
    sg_buf_free(&out);
}

static void test_already_gsm7(void **state)
{
    (void)state;
    const char *text = "Hello @ \u00A3$\u00A5 \u00E8\u00E9\u00F9\u00EC\u00F2\u00C7\u00D8\u00F8"
                       "\u00C5\u00E5\u0394_\u03A6\u0393\u039B\u03A9\u03A0\u03A8\u03A3\u0398"
                       "\u039E\u00C6\u00E6\u00DF\u00C9 !\"#\u00A4%&'()*+,-./0123456789:;<=>?"
                       "\u00A1ABCXYZ\u00C4\u00D6\u00D1\u00DC\u00A7\u00BFabcxyz\u00E4\u00F6"
                       "\u00F1\u00FC\u00E0 \f^{}\\[~]|\u20AC\r\n";
    assert_true(is_gsm7(text, strlen(text)));
    sg_ucs2_char c[1];
    assert_int_equal(sg_ucs2_chars(text, strlen(text), c, 1), 0);
    assert_int_equal(sg_ucs2_chars("", 0, c, 1), 0);
    assert_int_equal(sg_ucs2_chars(NULL, 0, NULL, 0), 0);
    assert_folds_to(text, text);

    sg_buf out;
    sg_buf_init(&out, 10);
    assert_int_equal(sg_gsm7_fold(NULL, 0, &out), SG_OK);
    assert_int_equal(out.len, 0);
    sg_buf_free(&out);
}

/* The total is returned even when out has room for fewer. */
static void test_max_and_total(void **state)
{
    (void)state;
    const char *text = "\u2018a\u2019 \u201Cb\u201D \u2026";
    sg_ucs2_char c[3];
    memset(c, 0x5A, sizeof c);
    assert_int_equal(sg_ucs2_chars(text, strlen(text), c, 2), 5);
    assert_int_equal(c[0].codepoint, 0x2018);
    assert_int_equal(c[1].codepoint, 0x2019);
    assert_int_equal(c[2].offset, (size_t)0x5A5A5A5A5A5A5A5AULL); /* untouched */
    assert_int_equal(sg_ucs2_chars(text, strlen(text), NULL, 0), 5);
    assert_int_equal(sg_ucs2_chars(text, strlen(text), c, 0), 5);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xC3",             /* truncated */
        "a\x80",            /* stray continuation */
        "\xC0\x80",         /* overlong NUL */
        "\xE0\x80\xAF",     /* overlong */
        "\xED\xA0\x80",     /* surrogate */
        "\xF4\x90\x80\x80", /* above U+10FFFF */
        "\xFF",
        "\u2018ok\u2019\xE2\x80", /* valid, then cut short */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_ucs2_char c[4];
        assert_int_equal(sg_ucs2_chars(bad[i], strlen(bad[i]), c, 4), SIZE_MAX);
        sg_buf out;
        sg_buf_init(&out, 100);
        assert_int_equal(sg_buf_append_str(&out, "kept"), SG_OK);
        assert_int_equal(sg_gsm7_fold(bad[i], strlen(bad[i]), &out), SG_ERR_INVALID);
        assert_string_equal(sg_buf_cstr(&out), "kept");
        assert_int_equal(out.len, 4);
        sg_buf_free(&out);
    }
    assert_int_equal(sg_ucs2_chars(NULL, 1, NULL, 0), SIZE_MAX);
    /* Bytes past len are not read. */
    assert_int_equal(sg_ucs2_chars("ab\xFF", 2, NULL, 0), 0);
}

/* NUL and controls are characters GSM-7 lacks; only the tab has a look-alike. */
static void test_nul_and_controls(void **state)
{
    (void)state;
    sg_ucs2_char c[4];
    assert_int_equal(sg_ucs2_chars("a\0b\x1B\t", 5, c, 4), 3);
    assert_int_equal(c[0].codepoint, 0);
    assert_int_equal(c[0].offset, 1);
    assert_null(c[0].replacement);
    assert_int_equal(c[1].codepoint, 0x1B);
    assert_null(c[1].replacement);
    assert_int_equal(c[2].codepoint, 9);
    assert_string_equal(c[2].replacement, " ");

    sg_buf out;
    sg_buf_init(&out, 100);
    assert_int_equal(sg_gsm7_fold("a\0b\t", 4, &out), SG_OK);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data, "a\0b ", 4);
    sg_buf_free(&out);
}

static void test_fold_sample_is_gsm7(void **state)
{
    (void)state;
    const char *text = "\u2018Hi\u2019 \u2013 \u201Cthere\u201D\u2026";
    assert_false(is_gsm7(text, strlen(text)));

    sg_buf out;
    sg_buf_init(&out, 100);
    assert_int_equal(sg_gsm7_fold(text, strlen(text), &out), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "'Hi' - \"there\"...");
    sg_sms_info info;
    assert_int_equal(sg_sms_analyze(out.data, out.len, &info), SG_TEXT_OK);
    assert_int_equal(info.encoding, SG_ENC_GSM7);
    assert_int_equal(info.chars, 17);
    assert_int_equal(info.segments, 1);
    assert_int_equal(sg_ucs2_chars(out.data, out.len, NULL, 0), 0);
    sg_buf_free(&out);

    /* Invisible characters vanish. */
    assert_folds_to("\uFEFFsoft\u00ADware\u200B \u2060ok", "software ok");
    /* Without a look-alike a character is kept: ½ and ° stay. */
    assert_folds_to("\u00BD \u00B0C \u2014 ok", "\u00BD \u00B0C - ok");
}

static void test_fold_bounds(void **state)
{
    (void)state;
    sg_buf out;
    /* "…" is 3 bytes and folds to 3: fits exactly. */
    sg_buf_init(&out, 5);
    assert_int_equal(sg_gsm7_fold("ab\u2026", 5, &out), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "ab...");
    sg_buf_free(&out);

    /* Appends after what is there; too large leaves it untouched. */
    sg_buf_init(&out, 8);
    assert_int_equal(sg_buf_append_str(&out, "x:"), SG_OK);
    assert_int_equal(sg_gsm7_fold("\u201Cabc\u201D", 9, &out), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "x:\"abc\"");
    assert_int_equal(sg_gsm7_fold("\u2026\u2026", 6, &out), SG_ERR_TOO_LARGE);
    assert_string_equal(sg_buf_cstr(&out), "x:\"abc\"");
    assert_int_equal(out.len, 7);
    assert_int_equal(sg_gsm7_fold("12", 2, &out), SG_ERR_TOO_LARGE);
    assert_int_equal(out.len, 7);
    sg_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_mapping),
        cmocka_unit_test(test_required_mappings),
        cmocka_unit_test(test_table_sound),
        cmocka_unit_test(test_offsets_multibyte),
        cmocka_unit_test(test_emoji),
        cmocka_unit_test(test_already_gsm7),
        cmocka_unit_test(test_max_and_total),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_nul_and_controls),
        cmocka_unit_test(test_fold_sample_is_gsm7),
        cmocka_unit_test(test_fold_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
