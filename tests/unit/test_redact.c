/* Redaction for logs (core/redact.h): country calling codes of every length,
 * E.164 numbers masked to their code and last two digits, and anything else
 * (national numbers, garbage, long values) never shown beyond two characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/redact.h"

#include <stdio.h>
#include <string.h>

typedef struct row {
    const char *in;
    const char *want;
    const char *why;
} row;

static void test_calling_code_len(void **state)
{
    static const struct {
        const char *digits;
        size_t want;
        const char *why;
    } rows[] = {
        {"14155550100", 1, "NANP"},
        {"79161234567", 1, "Russia and Kazakhstan"},
        {"447700900123", 2, "UK"},
        {"4915112345678", 2, "Germany"},
        {"919812345678", 2, "India"},
        {"27821234567", 2, "South Africa"},
        {"353871234567", 3, "Ireland: 35x is three digits"},
        {"2348031234567", 3, "Nigeria"},
        {"8801712345678", 3, "Bangladesh: 88x is three digits"},
        {"0447700900123", 0, "a national prefix is no country code"},
        {"", 0, "empty"},
        {"4", 0, "one digit of a two-digit code"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t got = sg_calling_code_len(rows[i].digits);
        if (got != rows[i].want)
            fail_msg("row %zu (%s): '%s' -> %zu, want %zu", i, rows[i].why, rows[i].digits, got,
                     rows[i].want);
    }
}

static void test_redact_phone(void **state)
{
    static const row rows[] = {
        {"+447700900123", "+44********23", "UK mobile: code and last two digits"},
        {"+14155550100", "+1********00", "NANP"},
        {"+353871234567", "+353*******67", "three-digit code"},
        {"+4915112345678", "+49*********78", "the longest German mobile"},
        {"07700900123", "*********23", "a national number keeps only its last two"},
        {"+44", "***", "too short for an E.164 number: masked whole"},
        {"123456", "******", "six characters or fewer: masked whole"},
        {"not-a-number-but-a-long-secret-value", "**************ue",
         "garbage: at most 16 characters, last two kept"},
        {"", "", "empty stays empty"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[40];
        sg_redact_phone(rows[i].in, out, sizeof out);
        if (strcmp(out, rows[i].want) != 0)
            fail_msg("row %zu (%s): '%s' -> '%s', want '%s'", i, rows[i].why, rows[i].in, out,
                     rows[i].want);
    }
}

static void test_redact_phone_cut_to_fit(void **state)
{
    char out[6];
    sg_redact_phone("+447700900123", out, sizeof out);
    assert_string_equal(out, "+44**");
    sg_redact_phone(NULL, out, sizeof out);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calling_code_len),
        cmocka_unit_test(test_redact_phone),
        cmocka_unit_test(test_redact_phone_cut_to_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
