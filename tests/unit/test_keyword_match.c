/* Keyword rules (core/keyword_match.h): folding, first word with the rest
 * passed on, glob, the receiving number and priority order. Each row names
 * itself when it fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/keyword_match.h"

#include <stdio.h>
#include <string.h>

#define EX SG_KW_EXACT
#define FW SG_KW_FIRST_WORD
#define GL SG_KW_GLOB

static const struct {
    const char *keyword; /* folded, as stored */
    sg_kw_match m;
    const char *body;
    bool match;
    const char *rest; /* for matches */
    const char *why;
} cases[] = {
    {"JOIN", EX, "JOIN", true, "", "plain"},
    {"JOIN", EX, "  join!  ", true, "", "case, spaces, trailing punctuation folded"},
    {"JOIN", EX, "Join.?", true, "", "several trailing punctuation marks"},
    {"JOIN", EX, "JOIN news", false, "", "exact: a second word is not the keyword"},
    {"JOIN", EX, "JOINED", false, "", "exact: a longer word"},
    {"OPT IN", EX, "opt \t  in", true, "", "inner white space collapsed"},
    {"JOIN", FW, "JOIN news", true, "news", "first word, rest passed on"},
    {"JOIN", FW, "  join   Big News!  ", true, "Big News", "rest keeps its case and inner text"},
    {"JOIN", FW, "join", true, "", "first word alone: empty rest"},
    {"JOIN", FW, "JOINED news", false, "", "first word must end at a space"},
    {"JOIN", FW, "news JOIN", false, "", "not the first word"},
    {"OPT IN", FW, "opt  in\tweekly", true, "weekly", "two-word keyword"},
    {"WIN*", GL, "winner", true, "", "glob star"},
    {"WIN*", GL, "win", true, "", "star matches nothing"},
    {"WIN*", GL, "a win", false, "", "glob is anchored"},
    {"B?T", GL, "bat.", true, "", "question mark, trailing punctuation folded"},
    {"*PIZZA*", GL, "I want pizza now", true, "", "star both sides"},
    {"A*A*A*B", GL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", false, "",
     "backtracking stays bounded"},
    {"JOIN", EX, "", false, "", "empty body"},
    {"JOIN", EX, "   ", false, "", "blank body"},
    {"JOIN", EX, "JO\x01IN", false, "", "control character"},
};

static void test_table(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *rest = NULL;
        size_t rest_len = 0;
        bool got = sg_kw_match_one(cases[i].keyword, cases[i].m, cases[i].body,
                                   strlen(cases[i].body), &rest, &rest_len);
        bool ok = got == cases[i].match;
        if (ok && got)
            ok = rest_len == strlen(cases[i].rest) &&
                 memcmp(rest, cases[i].rest, rest_len) == 0;
        if (!ok) {
            failures++;
            fprintf(stderr, "row %zu (%s): %s %s on \"%s\": got %d rest \"%.*s\"\n", i,
                    cases[i].why, sg_kw_match_name(cases[i].m), cases[i].keyword, cases[i].body,
                    got, (int)rest_len, rest ? rest : "");
        }
    }
    assert_int_equal(failures, 0);
}

static void test_fold_keyword(void **state)
{
    (void)state;
    char out[SG_KW_KEYWORD_MAX + 1];
    assert_true(sg_kw_fold_keyword("  opt   in! ", out, sizeof out));
    assert_string_equal(out, "OPT IN");
    assert_false(sg_kw_fold_keyword(" ?! ", out, sizeof out));
    assert_false(sg_kw_fold_keyword("", out, sizeof out));
    char big[100];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_false(sg_kw_fold_keyword(big, out, sizeof out));
    sg_kw_match m;
    assert_true(sg_kw_match_parse("first_word", &m));
    assert_int_equal(m, FW);
    assert_false(sg_kw_match_parse("regex", &m));
}

/* The highest priority wins; among equals the earlier rule; `to` restricts. */
static void test_priority_and_to(void **state)
{
    (void)state;
    const sg_kw_rule_view rules[] = {
        {"JOIN*", GL, "", 0},           /* 0: low priority catch-all */
        {"JOIN", FW, "", 5},            /* 1 */
        {"JOIN", FW, "", 5},            /* 2: same priority, later: never wins */
        {"JOIN", FW, "+15005550006", 9}, /* 3: only on that number */
    };
    const char *rest;
    size_t rest_len;
    const char *b = "join news";
    assert_int_equal(sg_kw_match_best(rules, 4, b, strlen(b), "+15005550001", &rest, &rest_len), 1);
    assert_int_equal(rest_len, 4);
    assert_memory_equal(rest, "news", 4);
    assert_int_equal(sg_kw_match_best(rules, 4, b, strlen(b), "+15005550006", &rest, &rest_len), 3);
    b = "joiner";
    assert_int_equal(sg_kw_match_best(rules, 4, b, strlen(b), "+15005550006", &rest, &rest_len), 0);
    b = "leave";
    assert_int_equal(sg_kw_match_best(rules, 4, b, strlen(b), "+15005550006", &rest, &rest_len), -1);
    assert_int_equal(rest_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_fold_keyword),
        cmocka_unit_test(test_priority_and_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
