/* Consent keywords (core/keywords.h, providers.md A.10): which whole-message
 * bodies are STOP/START/HELP, with the canonical keyword each one matched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/keywords.h"

#include <stdio.h>
#include <string.h>

#define OUT  SG_KEYWORD_OPT_OUT
#define IN   SG_KEYWORD_OPT_IN
#define HELP SG_KEYWORD_HELP
#define NONE SG_KEYWORD_NONE

static const struct {
    const char *body;
    sg_keyword_kind kind;
    const char *matched; /* NULL for NONE */
} cases[] = {
    /* the plain keywords, any case */
    {"STOP", OUT, "STOP"},
    {"stop", OUT, "STOP"},
    {"Stop", OUT, "STOP"},
    {"sToP", OUT, "STOP"},
    {"STOPALL", OUT, "STOPALL"},
    {"StopAll", OUT, "STOPALL"},
    {"unsubscribe", OUT, "UNSUBSCRIBE"},
    {"Cancel", OUT, "CANCEL"},
    {"end", OUT, "END"},
    {"quit", OUT, "QUIT"},
    {"revoke", OUT, "REVOKE"},
    {"optout", OUT, "OPTOUT"},
    {"OptOut", OUT, "OPTOUT"},
    {"start", IN, "START"},
    {"Unstop", IN, "UNSTOP"},
    {"yes", IN, "YES"},
    {"help", HELP, "HELP"},
    {"INFO", HELP, "INFO"},
    /* trimming: surrounding white space, trailing punctuation */
    {" Stop. ", OUT, "STOP"},
    {"STOP!", OUT, "STOP"},
    {"Stop!!", OUT, "STOP"},
    {"stop\n", OUT, "STOP"},
    {"\tstop\r\n", OUT, "STOP"},
    {"stop .", OUT, "STOP"},
    {"stop?!.,;:", OUT, "STOP"},
    {"YES!", IN, "YES"},
    {"info?", HELP, "INFO"},
    {"Help.", HELP, "HELP"},
    {"  start  ", IN, "START"},
    /* two-word keywords; inner white space collapses to one space */
    {"STOP ALL", OUT, "STOP ALL"},
    {"stop  all", OUT, "STOP ALL"},
    {"stop\tall", OUT, "STOP ALL"},
    {"stop \n all!", OUT, "STOP ALL"},
    {"STOP STOP", OUT, "STOP STOP"},
    {"opt out", OUT, "OPT OUT"},
    {"opt   out", OUT, "OPT OUT"},
    /* not keywords */
    {"OPT-OUT", NONE, NULL}, /* not in the list: only whole keywords match */
    {"opt-out", NONE, NULL},
    {"stop sending me these", NONE, NULL},
    {"please stop", NONE, NULL},
    {"STOP PLEASE", NONE, NULL},
    {"stop stop stop", NONE, NULL},
    {"", NONE, NULL},
    {"   ", NONE, NULL},
    {"...", NONE, NULL},
    {"!", NONE, NULL},
    {"stopp", NONE, NULL},
    {"sto", NONE, NULL},
    {"s t o p", NONE, NULL},
    {"st op", NONE, NULL},
    {".stop", NONE, NULL}, /* leading punctuation is not trimmed */
    {"stop-", NONE, NULL}, /* '-' is not trailing punctuation */
    {"\"stop\"", NONE, NULL},
    {"stop\xc2\xa0", NONE, NULL}, /* no-break space is not ASCII */
    {"\xc2\xa0stop", NONE, NULL},
    {"\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0", NONE, NULL}, /* full-width STOP */
    {"st\xc3\xb6p", NONE, NULL},
    {"STOP\xf0\x9f\x98\x80", NONE, NULL}, /* with an emoji */
    {"yess", NONE, NULL},
    {"no", NONE, NULL},
    {"hello", NONE, NULL},
    {"unsubscribe me", NONE, NULL},
    {"startup", NONE, NULL},
    {"ending", NONE, NULL},
};

static void test_table(void **state)
{
    size_t n = sizeof cases / sizeof cases[0];
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        const char *matched = "sentinel";
        sg_keyword_kind k = sg_keyword_classify(cases[i].body, strlen(cases[i].body), &matched);
        if (k != cases[i].kind)
            fail_msg("\"%s\": kind %s, expected %s", cases[i].body, sg_keyword_kind_name(k),
                     sg_keyword_kind_name(cases[i].kind));
        if (cases[i].matched)
            assert_string_equal(matched, cases[i].matched);
        else
            assert_null(matched);
        /* matched is optional */
        assert_int_equal(sg_keyword_classify(cases[i].body, strlen(cases[i].body), NULL),
                         cases[i].kind);
    }
}

/* len, not the NUL, ends the body: a NUL inside is part of it, and bytes past len
 * are not read. */
static void test_length_is_authoritative(void **state)
{
    const char *m;
    assert_int_equal(sg_keyword_classify("STOP\0x", 6, &m), NONE);
    assert_null(m);
    assert_int_equal(sg_keyword_classify("STOP\0", 5, &m), NONE);
    assert_int_equal(sg_keyword_classify("STOPPED", 4, &m), OUT);
    assert_string_equal(m, "STOP");
    assert_int_equal(sg_keyword_classify(NULL, 0, &m), NONE);
    assert_null(m);
}

/* Long bodies are rejected without being scanned; padding within the bound
 * still matches. */
static void test_long_bodies(void **state)
{
    static char body[2001];
    memset(body, 'a', 2000);
    assert_int_equal(sg_keyword_classify(body, 2000, NULL), NONE);

    memset(body, ' ', 2000);
    memcpy(body, "STOP", 4);
    assert_int_equal(sg_keyword_classify(body, 2000, NULL), NONE);
    assert_int_equal(sg_keyword_classify(body, 1600, NULL), NONE);

    char padded[80];
    snprintf(padded, sizeof padded, "%30s%s%30s", "", "stop", "");
    assert_int_equal(strlen(padded), 64);
    assert_int_equal(sg_keyword_classify(padded, strlen(padded), NULL), OUT);
    snprintf(padded, sizeof padded, "%30s%s%31s", "", "stop", "");
    assert_int_equal(sg_keyword_classify(padded, strlen(padded), NULL), NONE);

    /* inner white space runs can be long; their collapsed form still fits */
    snprintf(padded, sizeof padded, "stop%50sall", "");
    assert_int_equal(sg_keyword_classify(padded, strlen(padded), NULL), OUT);
}

static void test_replies_and_names(void **state)
{
    assert_string_equal(sg_keyword_default_reply(OUT), "You have been unsubscribed and will "
                                                       "receive no more messages. Reply START "
                                                       "to resubscribe.");
    assert_string_equal(sg_keyword_default_reply(IN),
                        "You have been resubscribed. Reply STOP to unsubscribe.");
    assert_string_equal(sg_keyword_default_reply(HELP),
                        "Reply STOP to unsubscribe, START to resubscribe.");
    assert_null(sg_keyword_default_reply(NONE));
    assert_null(sg_keyword_default_reply((sg_keyword_kind)42));

    assert_string_equal(sg_keyword_kind_name(OUT), "opt_out");
    assert_string_equal(sg_keyword_kind_name(IN), "opt_in");
    assert_string_equal(sg_keyword_kind_name(HELP), "help");
    assert_string_equal(sg_keyword_kind_name(NONE), "none");
}

/* Every canonical keyword classifies as itself (the table is self-consistent). */
static void test_canonical_roundtrip(void **state)
{
    const char *all[] = {"STOP",   "STOPALL", "STOP ALL", "STOP STOP", "UNSUBSCRIBE", "CANCEL",
                         "END",    "QUIT",    "REVOKE",   "OPTOUT",    "OPT OUT",     "START",
                         "UNSTOP", "YES",     "HELP",     "INFO"};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *m = NULL;
        assert_int_not_equal(sg_keyword_classify(all[i], strlen(all[i]), &m), NONE);
        assert_string_equal(m, all[i]);
    }
}

/* A deployment's extra words: classified with their kind, folded like the
 * defaults; a default cannot be moved to another kind; bad words are refused. */
static void test_extra_lists(void **state)
{
    (void)state;
    sg_keyword_extra x = {0};
    char why[160];
    assert_true(sg_keyword_extra_add(&x, OUT, "arret,Baja, alto ", why, sizeof why));
    assert_true(sg_keyword_extra_add(&x, IN, "OUI", why, sizeof why));
    assert_true(sg_keyword_extra_add(&x, OUT, "STOP", why, sizeof why)); /* a default: no-op */
    assert_int_equal(x.n, 4);
    const char *m = NULL;
    assert_int_equal(sg_keyword_classify_with(&x, "Arret!", 6, &m), OUT);
    assert_string_equal(m, "ARRET");
    assert_int_equal(sg_keyword_classify_with(&x, " alto ", 6, &m), OUT);
    assert_int_equal(sg_keyword_classify_with(&x, "oui", 3, &m), IN);
    /* without the list, ARRET is an ordinary message */
    assert_int_equal(sg_keyword_classify("ARRET", 5, &m), NONE);
    /* the legal defaults keep their kind */
    assert_false(sg_keyword_extra_add(&x, IN, "stop", why, sizeof why));
    assert_non_null(strstr(why, "opt_out"));
    assert_false(sg_keyword_extra_add(&x, HELP, "AR\xc3\x8aT", why, sizeof why)); /* not ASCII */
    assert_false(sg_keyword_extra_add(&x, HELP, "a,,b", why, sizeof why));       /* empty word */
    assert_false(sg_keyword_extra_add(&x, HELP, "ABCDEFGHIJKLMNOPQ", why, sizeof why)); /* 17 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_length_is_authoritative),
        cmocka_unit_test(test_long_bodies),
        cmocka_unit_test(test_replies_and_names),
        cmocka_unit_test(test_canonical_roundtrip),
        cmocka_unit_test(test_extra_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
