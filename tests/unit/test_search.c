/* The search box's text (core/search.h): numbers by prefix or by digits, complete
 * national numbers, phrases, and the bounds. Every row says why it is there; a
 * failure names its input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/search.h"

#include <stdio.h>
#include <string.h>

typedef struct row {
    const char *q;
    const char *region;
    sg_search_status status;
    sg_search_kind kind;
    const char *text;
    const char *why;
} row;

static const row rows[] = {
    {"+44 7700", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_PREFIX, "+447700", "international start"},
    {"  +1 (415) 555-", NULL, SG_SEARCH_OK, SG_SEARCH_PHONE_PREFIX, "+1415555",
     "punctuation and leading spaces dropped"},
    {"0044 7700 9", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_PREFIX, "+4477009",
     "00 is the international prefix"},
    {"07400 123456", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_PREFIX, "+447400123456",
     "a complete national number read in the region"},
    {"07700 900123", NULL, SG_SEARCH_OK, SG_SEARCH_PHONE_DIGITS, "7700900123",
     "no region: digits, trunk 0 dropped"},
    {"07700 9", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_DIGITS, "77009",
     "an incomplete national number: digits without the trunk 0"},
    {"900123", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_DIGITS, "900123", "digits anywhere"},
    {"0", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_DIGITS, "0", "a lone 0 is kept"},
    {"00", "GB", SG_SEARCH_OK, SG_SEARCH_PHONE_DIGITS, "0", "00 alone is no prefix"},
    {"Ada  LOVELACE ", "GB", SG_SEARCH_OK, SG_SEARCH_PHRASE, "ada lovelace",
     "a phrase: lower-cased, one space"},
    {"ada@example.org", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "ada@example.org", "an email"},
    {"44+1", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "44+1", "a + after a digit is no number"},
    {"R2-D2", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "r2-d2", "letters make a phrase"},
    {"()", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "()", "no digit: a phrase"},
    {"Al", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "al", "two letters"},
    {"a  b", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "a b", "runs of spaces as one"},
    {"a   ", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "a", "trailing spaces dropped"},
    {"Ren\xc3\xa9", NULL, SG_SEARCH_OK, SG_SEARCH_PHRASE, "ren\xc3\xa9", "UTF-8 kept as it is"},
    {"   ", "GB", SG_SEARCH_EMPTY, 0, NULL, "only spaces"},
    {"", "GB", SG_SEARCH_EMPTY, 0, NULL, "empty"},
    {"a\tb", NULL, SG_SEARCH_CONTROL, 0, NULL, "a tab"},
    {"a\x7f", NULL, SG_SEARCH_CONTROL, 0, NULL, "DEL"},
    {"0123456789012345678901234567890123456789012345678901234567890123", NULL, SG_SEARCH_OK,
     SG_SEARCH_PHONE_DIGITS, "123456789012345678901234567890123456789012345678901234567890123",
     "exactly 64 bytes"},
    {"01234567890123456789012345678901234567890123456789012345678901234", NULL, SG_SEARCH_TOO_LONG,
     0, NULL, "65 bytes"},
    {"  x234567890123456789012345678901234567890123456789012345678901234  ", NULL, SG_SEARCH_OK,
     SG_SEARCH_PHRASE, "x234567890123456789012345678901234567890123456789012345678901234",
     "64 bytes once trimmed"},
};

static void test_rows(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *r = &rows[i];
        sg_search s;
        memset(&s, 0x55, sizeof s);
        sg_search_status st = sg_search_parse(r->q, r->region, &s);
        bool ok = st == r->status;
        if (ok && st == SG_SEARCH_OK)
            ok = s.kind == r->kind && strcmp(s.text, r->text) == 0;
        if (!ok) {
            fprintf(stderr,
                    "row %zu (%s): q='%s' region=%s: got status %d kind %d '%s', want %d %d '%s'\n",
                    i, r->why, r->q, r->region ? r->region : "-", st,
                    st == SG_SEARCH_OK ? (int)s.kind : -1, st == SG_SEARCH_OK ? s.text : "",
                    r->status, (int)r->kind, r->text ? r->text : "");
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

static void test_is_phone(void **state)
{
    (void)state;
    sg_search s;
    assert_int_equal(sg_search_parse("+44", NULL, &s), SG_SEARCH_OK);
    assert_true(sg_search_is_phone(&s));
    assert_int_equal(sg_search_parse("1", NULL, &s), SG_SEARCH_OK);
    assert_true(sg_search_is_phone(&s));
    assert_int_equal(sg_search_parse("ada", NULL, &s), SG_SEARCH_OK);
    assert_false(sg_search_is_phone(&s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_is_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
