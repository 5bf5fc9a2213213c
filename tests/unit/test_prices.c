/* Provider price lists (core/prices.h): the decimal rules, the CSV's rows, and
 * every refusal with its line and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/prices.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_decimal(void **state)
{
    (void)state;
    struct {
        const char *in;
        bool ok;
        int64_t micros;
        const char *why;
    } rows[] = {
        {"0.0075", true, 7500, "a typical price"},
        {"1", true, 1000000, "a whole number"},
        {"0", true, 0, "free"},
        {"12.5", true, 12500000, "one decimal"},
        {"999999.999999", true, SG_PRICE_MAX_MICROS, "the largest"},
        {"000001.000001", true, 1000001, "leading zeros are digits"},
        {"1000000", false, 0, "seven integer digits"},
        {"0.1234567", false, 0, "seven decimals"},
        {"-1", false, 0, "a sign"},
        {"+1", false, 0, "a plus sign"},
        {"1e3", false, 0, "an exponent"},
        {".5", false, 0, "no integer part"},
        {"1.", false, 0, "no decimals after the point"},
        {"1,5", false, 0, "a comma"},
        {" 1", false, 0, "a space"},
        {"", false, 0, "empty"},
        {"1.2.3", false, 0, "two points"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int64_t m = -1;
        bool ok = sg_price_parse(rows[i].in, strlen(rows[i].in), &m);
        if (ok != rows[i].ok || (ok && m != rows[i].micros))
            fail_msg("'%s' (%s): ok %d micros %lld", rows[i].in, rows[i].why, ok, (long long)m);
    }
}

static void test_format(void **state)
{
    (void)state;
    struct {
        int64_t micros;
        const char *want;
    } rows[] = {
        {7500, "0.0075"},   {1000000, "1"},  {12500000, "12.5"},
        {0, "0"},           {1, "0.000001"}, {SG_PRICE_MAX_MICROS, "999999.999999"},
        {-7500, "-0.0075"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[SG_PRICE_TEXT_MAX];
        sg_price_format(rows[i].micros, out);
        if (strcmp(out, rows[i].want) != 0)
            fail_msg("%lld: '%s', want '%s'", (long long)rows[i].micros, out, rows[i].want);
    }
}

static void test_list_good(void **state)
{
    (void)state;
    const char csv[] = "\xEF\xBB\xBF"
                       "Country , PRICE,currency\r\n"
                       "GB,0.04,GBP\r\n"
                       "\r\n"
                       "ke,0.0075,usd\r\n"
                       "US,0.0079,USD";
    sg_price_list l;
    assert_int_equal(sg_prices_parse(csv, sizeof csv - 1, &l), SG_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.rows[0].country, "GB");
    assert_int_equal(l.rows[0].micros, 40000);
    assert_string_equal(l.rows[0].currency, "GBP");
    assert_string_equal(l.rows[1].country, "KE");
    assert_string_equal(l.rows[1].currency, "USD");
    assert_int_equal(l.rows[2].micros, 7900);
    sg_price_list_free(&l);

    /* No header, and an empty list. */
    assert_int_equal(sg_prices_parse("FR,0.07,EUR\n", 12, &l), SG_OK);
    assert_int_equal(l.n, 1);
    sg_price_list_free(&l);
    assert_int_equal(sg_prices_parse("country,price,currency\n", 23, &l), SG_OK);
    assert_int_equal(l.n, 0);
    sg_price_list_free(&l);
    assert_int_equal(sg_prices_parse("", 0, &l), SG_OK);
    assert_int_equal(l.n, 0);
    sg_price_list_free(&l);
}

/* Each bad line is reported with its line and column; good lines are not. */
static void test_list_problems(void **state)
{
    (void)state;
    const char csv[] = "country,price,currency\n" /* 1 */
                       "UK,0.04,GBP\n"            /* 2: UK is not ISO 3166 */
                       "GB,-1,GBP\n"              /* 3 */
                       "DE,0.05,EURO\n"           /* 4 */
                       "FR,0.07,EUR,x\n"          /* 5: four fields */
                       "IT,0.06,EUR\n"            /* 6: fine */
                       "IT,0.06,EUR\n"            /* 7: twice */
                       "ES,\"0.0\"5,EUR\n";       /* 8: CSV error */
    struct {
        size_t line;
        const char *field;
        const char *has;
    } want[] = {
        {2, "country", "'UK' is not an ISO 3166"},
        {3, "price", "'-1' is not a price"},
        {4, "currency", "'EURO'"},
        {5, "", "this line has 4"},
        {7, "country", "IT has a price already"},
        {8, "", "not valid CSV"},
    };
    sg_price_list l;
    assert_int_equal(sg_prices_parse(csv, sizeof csv - 1, &l), SG_ERR_INVALID);
    assert_int_equal(l.n, 0);
    assert_null(l.rows);
    if (l.n_problems != sizeof want / sizeof want[0])
        fail_msg("%zu problems, want %zu", l.n_problems, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < l.n_problems; i++) {
        const sg_price_problem *p = &l.problems[i];
        if (p->line != want[i].line || strcmp(p->field, want[i].field) != 0 ||
            !strstr(p->detail, want[i].has))
            fail_msg("problem %zu: line %zu field '%s' '%s'; want line %zu field '%s' with '%s'", i,
                     p->line, p->field, p->detail, want[i].line, want[i].field, want[i].has);
    }
    sg_price_list_free(&l);
}

/* A long bad value is cut in the message without splitting a UTF-8 character. */
static void test_problem_text_stays_utf8(void **state)
{
    (void)state;
    const char csv[] = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3"
                       "\xA9,1,USD\n"; /* 9 x é: byte 16 is inside one */
    sg_price_list l;
    assert_int_equal(sg_prices_parse(csv, sizeof csv - 1, &l), SG_ERR_INVALID);
    assert_int_equal(l.n_problems, 1);
    const char *d = l.problems[0].detail;
    const char *open = strchr(d, '\'');
    const char *close = open ? strchr(open + 1, '\'') : NULL;
    assert_non_null(close);
    assert_int_equal(close - open - 1, 16); /* 8 whole characters */
    sg_price_list_free(&l);
}

static void test_bounds(void **state)
{
    (void)state;
    sg_price_list l;
    /* Over the byte bound: refused before reading. */
    size_t big = SG_PRICES_MAX_BYTES + 1;
    char *buf = malloc(big);
    memset(buf, '\n', big);
    assert_int_equal(sg_prices_parse(buf, big, &l), SG_ERR_TOO_LARGE);
    assert_int_equal(l.n_problems, 1);
    sg_price_list_free(&l);
    /* Exactly at the bound: read (blank lines only). */
    assert_int_equal(sg_prices_parse(buf, SG_PRICES_MAX_BYTES, &l), SG_OK);
    sg_price_list_free(&l);
    free(buf);
    /* More problems than kept: counted. */
    char many[4096] = "";
    for (int i = 0; i < SG_PRICES_MAX_ERRORS + 5; i++)
        strcat(many, "XX,1,USD\n");
    assert_int_equal(sg_prices_parse(many, strlen(many), &l), SG_ERR_INVALID);
    assert_int_equal(l.n_problems, SG_PRICES_MAX_ERRORS);
    assert_int_equal(l.more_problems, 5);
    sg_price_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_list_good),
        cmocka_unit_test(test_list_problems),
        cmocka_unit_test(test_problem_text_stays_utf8),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
