/* Segment filters (core/segment_filter.h, docs/segments.md): every test form,
 * precedence and parentheses, the value syntaxes, each error with its offset,
 * the bounds, and the round trip through sg_segment_format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/segment_filter.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2026-01-31T00:00:00Z */
#define JAN31_2026_MS INT64_C(1769817600000)
#define DAY_MS        INT64_C(86400000)

static sg_seg_node *parse_ok(const char *text)
{
    sg_seg_node *n = NULL;
    sg_seg_error e;
    sg_err err = sg_segment_parse(text, &n, &e);
    if (err != SG_OK)
        fail_msg("\"%s\": %s (%s)", text, sg_strerror(err), e.detail);
    assert_non_null(n);
    return n;
}

/* The canonical text of n (malloc'd). */
static char *format(const sg_seg_node *n)
{
    sg_buf b;
    sg_buf_init(&b, 1 << 16);
    assert_int_equal(sg_segment_format(n, &b), SG_OK);
    char *s = sg_buf_steal(&b);
    assert_non_null(s);
    return s;
}

/* text parses, formats as canon, and canon parses to an equal tree that
 * formats the same again. */
static void check_canon(const char *text, const char *canon)
{
    sg_seg_node *a = parse_ok(text);
    char *s = format(a);
    if (strcmp(s, canon) != 0)
        fail_msg("\"%s\" formats as \"%s\", expected \"%s\"", text, s, canon);
    sg_seg_node *b = parse_ok(s);
    assert_true(sg_segment_equal(a, b));
    char *s2 = format(b);
    assert_string_equal(s, s2);
    free(s2);
    free(s);
    sg_segment_free(b);
    sg_segment_free(a);
}

/* text is refused at offset with a detail holding want and ending " at offset". */
static void check_error(const char *text, size_t offset, const char *want)
{
    sg_seg_node *n = (sg_seg_node *)&n; /* must be reset to NULL */
    sg_seg_error e;
    sg_err err = sg_segment_parse(text, &n, &e);
    if (err != SG_ERR_INVALID)
        fail_msg("\"%s\": %s, expected an error", text, sg_strerror(err));
    assert_null(n);
    if (e.offset != offset || !strstr(e.detail, want))
        fail_msg("\"%s\": \"%s\" at %zu, expected \"%s\" at %zu", text, e.detail, e.offset, want,
                 offset);
    char at[32];
    snprintf(at, sizeof at, " at %zu", offset);
    size_t dl = strlen(e.detail), al = strlen(at);
    assert_true(dl >= al && strcmp(e.detail + dl - al, at) == 0);
    assert_true(dl < sizeof e.detail);
}

static void test_empty(void **state)
{
    (void)state;
    const char *blank[] = {"", " ", " \t\r\n\v\f "};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        sg_seg_node *n = parse_ok(blank[i]);
        assert_int_equal(n->kind, SG_SEG_TRUE);
        char *s = format(n);
        assert_string_equal(s, "");
        free(s);
        assert_true(sg_segment_equal(n, NULL));
        sg_segment_free(n);
    }
    sg_seg_node *n = (sg_seg_node *)&n;
    sg_seg_error e;
    assert_int_equal(sg_segment_parse(NULL, &n, &e), SG_ERR_INVALID);
    assert_null(n);
    assert_int_equal(e.offset, 0);
    /* err is optional */
    assert_int_equal(sg_segment_parse("mobile and", &n, NULL), SG_ERR_INVALID);
    assert_null(n);
    sg_segment_free(NULL);
}

static void test_flags_and_groups(void **state)
{
    (void)state;
    sg_seg_node *n = parse_ok("mobile");
    assert_int_equal(n->kind, SG_SEG_MOBILE);
    assert_null(n->left);
    assert_null(n->text);
    sg_segment_free(n);
    n = parse_ok("opted_out");
    assert_int_equal(n->kind, SG_SEG_OPTED_OUT);
    sg_segment_free(n);
    n = parse_ok("in group \"VIP customers\"");
    assert_int_equal(n->kind, SG_SEG_IN_GROUP);
    assert_string_equal(n->text, "VIP customers");
    sg_segment_free(n);
    n = parse_ok("in\n\tgroup\"\"");
    assert_int_equal(n->kind, SG_SEG_IN_GROUP);
    assert_string_equal(n->text, "");
    sg_segment_free(n);
}

static void test_compare(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sg_seg_field field;
        const char *attr;
        sg_seg_op op;
        bool is_number;
        double number;
        const char *str;
    } cases[] = {
        {"first_name = \"Ann\"", SG_SEG_FIELD_FIRST_NAME, "", SG_SEG_EQ, false, 0, "Ann"},
        {"last_name != \"Smith\"", SG_SEG_FIELD_LAST_NAME, "", SG_SEG_NE, false, 0, "Smith"},
        {"phone starts_with \"+44\"", SG_SEG_FIELD_PHONE, "", SG_SEG_STARTS_WITH, false, 0, "+44"},
        {"last_name contains \"son\"", SG_SEG_FIELD_LAST_NAME, "", SG_SEG_CONTAINS, false, 0,
         "son"},
        {"attributes.age >= 18", SG_SEG_FIELD_ATTRIBUTE, "age", SG_SEG_GE, true, 18, NULL},
        {"attributes.age>18", SG_SEG_FIELD_ATTRIBUTE, "age", SG_SEG_GT, true, 18, NULL},
        {"attributes.score<=-3.5", SG_SEG_FIELD_ATTRIBUTE, "score", SG_SEG_LE, true, -3.5, NULL},
        {"attributes.score < 0.25", SG_SEG_FIELD_ATTRIBUTE, "score", SG_SEG_LT, true, 0.25, NULL},
        {"attributes.tier < \"m\"", SG_SEG_FIELD_ATTRIBUTE, "tier", SG_SEG_LT, false, 0, "m"},
        {"attributes.City = \"Leeds\"", SG_SEG_FIELD_ATTRIBUTE, "City", SG_SEG_EQ, false, 0,
         "Leeds"},
        {"ATTRIBUTES.City = \"Leeds\"", SG_SEG_FIELD_ATTRIBUTE, "City", SG_SEG_EQ, false, 0,
         "Leeds"},
        {"attributes._2fa_ok != 1", SG_SEG_FIELD_ATTRIBUTE, "_2fa_ok", SG_SEG_NE, true, 1, NULL},
        {"phone = 447400123456", SG_SEG_FIELD_PHONE, "", SG_SEG_EQ, true, 447400123456.0, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_seg_node *n = parse_ok(cases[i].text);
        assert_int_equal(n->kind, SG_SEG_CMP);
        assert_int_equal(n->field, cases[i].field);
        assert_string_equal(n->attr, cases[i].attr);
        assert_int_equal(n->op, cases[i].op);
        assert_int_equal(n->is_number, cases[i].is_number);
        if (cases[i].is_number) {
            assert_true(n->number == cases[i].number);
            assert_null(n->text);
        } else {
            assert_string_equal(n->text, cases[i].str);
        }
        sg_segment_free(n);
    }
    /* the longest key */
    char text[128];
    snprintf(text, sizeof text, "attributes.%064d exists", 7);
    sg_seg_node *n = parse_ok(text);
    assert_int_equal(strlen(n->attr), 64);
    sg_segment_free(n);
}

static void test_exists(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sg_seg_field field;
    } cases[] = {
        {"first_name exists", SG_SEG_FIELD_FIRST_NAME},
        {"last_name EXISTS", SG_SEG_FIELD_LAST_NAME},
        {"phone exists", SG_SEG_FIELD_PHONE},
        {"attributes.vip exists", SG_SEG_FIELD_ATTRIBUTE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_seg_node *n = parse_ok(cases[i].text);
        assert_int_equal(n->kind, SG_SEG_EXISTS);
        assert_int_equal(n->field, cases[i].field);
        sg_segment_free(n);
    }
}

static void test_time(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        sg_seg_field field;
        sg_seg_time_op op;
        bool relative;
        int64_t value; /* seconds or ms */
    } cases[] = {
        {"last_activity within 30d", SG_SEG_FIELD_LAST_ACTIVITY, SG_SEG_WITHIN, true, 30 * 86400},
        {"last_activity within 90m", SG_SEG_FIELD_LAST_ACTIVITY, SG_SEG_WITHIN, true, 90 * 60},
        {"created within 12h", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true, 12 * 3600},
        {"created within 2w", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true, 14 * 86400},
        {"created within 0d", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true, 0},
        {"created within 007d", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true, 7 * 86400},
        {"created within 36500d", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true,
         SG_SEGMENT_DURATION_MAX},
        {"created within 876000h", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true,
         SG_SEGMENT_DURATION_MAX},
        {"created within 52560000m", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true,
         SG_SEGMENT_DURATION_MAX},
        {"created within 5214w", SG_SEG_FIELD_CREATED, SG_SEG_WITHIN, true,
         INT64_C(5214) * 7 * 86400},
        {"last_activity before 2026-01-31", SG_SEG_FIELD_LAST_ACTIVITY, SG_SEG_BEFORE, false,
         JAN31_2026_MS},
        {"last_activity before 30d", SG_SEG_FIELD_LAST_ACTIVITY, SG_SEG_BEFORE, true, 30 * 86400},
        {"created after 2026-01-31", SG_SEG_FIELD_CREATED, SG_SEG_AFTER, false, JAN31_2026_MS},
        {"created after 1d", SG_SEG_FIELD_CREATED, SG_SEG_AFTER, true, 86400},
        {"created after 1970-01-01", SG_SEG_FIELD_CREATED, SG_SEG_AFTER, false, 0},
        {"created after 2024-02-29", SG_SEG_FIELD_CREATED, SG_SEG_AFTER, false,
         INT64_C(1709164800000)},
        {"created before 2000-02-29", SG_SEG_FIELD_CREATED, SG_SEG_BEFORE, false,
         INT64_C(951782400000)},
        {"created before 9999-12-31", SG_SEG_FIELD_CREATED, SG_SEG_BEFORE, false,
         INT64_C(253402214400000)},
        {"Created AFTER 2026-01-31", SG_SEG_FIELD_CREATED, SG_SEG_AFTER, false, JAN31_2026_MS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_seg_node *n = parse_ok(cases[i].text);
        assert_int_equal(n->kind, SG_SEG_TIME);
        assert_int_equal(n->field, cases[i].field);
        assert_int_equal(n->time_op, cases[i].op);
        assert_int_equal(n->relative, cases[i].relative);
        if (cases[i].relative)
            assert_int_equal(n->seconds, cases[i].value);
        else
            assert_int_equal(n->at_ms, cases[i].value);
        sg_segment_free(n);
    }
}

static void test_precedence(void **state)
{
    (void)state;
    /* or < and < not */
    sg_seg_node *n = parse_ok("mobile or opted_out and in group \"a\"");
    assert_int_equal(n->kind, SG_SEG_OR);
    assert_int_equal(n->left->kind, SG_SEG_MOBILE);
    assert_int_equal(n->right->kind, SG_SEG_AND);
    assert_int_equal(n->right->left->kind, SG_SEG_OPTED_OUT);
    assert_int_equal(n->right->right->kind, SG_SEG_IN_GROUP);
    sg_segment_free(n);

    n = parse_ok("not mobile and opted_out");
    assert_int_equal(n->kind, SG_SEG_AND);
    assert_int_equal(n->left->kind, SG_SEG_NOT);
    assert_int_equal(n->left->left->kind, SG_SEG_MOBILE);
    assert_null(n->left->right);
    assert_int_equal(n->right->kind, SG_SEG_OPTED_OUT);
    sg_segment_free(n);

    n = parse_ok("mobile and opted_out or not mobile");
    assert_int_equal(n->kind, SG_SEG_OR);
    assert_int_equal(n->left->kind, SG_SEG_AND);
    assert_int_equal(n->right->kind, SG_SEG_NOT);
    sg_segment_free(n);

    /* chains are left-associative */
    n = parse_ok("mobile and opted_out and phone exists");
    assert_int_equal(n->kind, SG_SEG_AND);
    assert_int_equal(n->left->kind, SG_SEG_AND);
    assert_int_equal(n->left->left->kind, SG_SEG_MOBILE);
    assert_int_equal(n->left->right->kind, SG_SEG_OPTED_OUT);
    assert_int_equal(n->right->kind, SG_SEG_EXISTS);
    sg_segment_free(n);

    n = parse_ok("not not mobile");
    assert_int_equal(n->kind, SG_SEG_NOT);
    assert_int_equal(n->left->kind, SG_SEG_NOT);
    assert_int_equal(n->left->left->kind, SG_SEG_MOBILE);
    sg_segment_free(n);
}

static void test_parentheses(void **state)
{
    (void)state;
    sg_seg_node *n = parse_ok("(mobile or opted_out) and phone exists");
    assert_int_equal(n->kind, SG_SEG_AND);
    assert_int_equal(n->left->kind, SG_SEG_OR);
    sg_segment_free(n);

    n = parse_ok("not (mobile and opted_out)");
    assert_int_equal(n->kind, SG_SEG_NOT);
    assert_int_equal(n->left->kind, SG_SEG_AND);
    sg_segment_free(n);

    n = parse_ok("mobile and (opted_out and mobile)");
    assert_int_equal(n->kind, SG_SEG_AND);
    assert_int_equal(n->left->kind, SG_SEG_MOBILE);
    assert_int_equal(n->right->kind, SG_SEG_AND);
    sg_segment_free(n);

    n = parse_ok("((( mobile )))");
    assert_int_equal(n->kind, SG_SEG_MOBILE);
    sg_segment_free(n);

    n = parse_ok("not(mobile)and(opted_out)");
    assert_int_equal(n->kind, SG_SEG_AND);
    assert_int_equal(n->left->kind, SG_SEG_NOT);
    sg_segment_free(n);
}

static void test_case_insensitive(void **state)
{
    (void)state;
    sg_seg_node *a = parse_ok("mobile and not opted_out and in group \"G\" and first_name "
                              "contains \"x\" and last_activity within 3d and created before "
                              "2026-01-31 or phone exists");
    sg_seg_node *b = parse_ok("MOBILE AND NOT OPTED_OUT AND IN GROUP \"G\" AND FIRST_NAME "
                              "CONTAINS \"x\" AND LAST_ACTIVITY WITHIN 3d AND CREATED BEFORE "
                              "2026-01-31 OR PHONE EXISTS");
    sg_seg_node *c = parse_ok("Mobile aNd NoT Opted_Out And In Group \"G\" And First_Name "
                              "Contains \"x\" And Last_Activity Within 3d And Created Before "
                              "2026-01-31 Or Phone Exists");
    assert_true(sg_segment_equal(a, b));
    assert_true(sg_segment_equal(a, c));
    sg_segment_free(a);
    sg_segment_free(b);
    sg_segment_free(c);
    /* the string and the attribute key keep their case */
    a = parse_ok("in group \"g\"");
    b = parse_ok("in group \"G\"");
    assert_false(sg_segment_equal(a, b));
    sg_segment_free(a);
    sg_segment_free(b);
    a = parse_ok("attributes.city exists");
    b = parse_ok("attributes.City exists");
    assert_false(sg_segment_equal(a, b));
    sg_segment_free(a);
    sg_segment_free(b);
}

static void test_strings(void **state)
{
    (void)state;
    sg_seg_node *n = parse_ok("first_name = \"say \\\"hi\\\" \\\\o/\"");
    assert_string_equal(n->text, "say \"hi\" \\o/");
    sg_segment_free(n);
    n = parse_ok("last_name = \"Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    assert_string_equal(n->text, "Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80");
    sg_segment_free(n);
    n = parse_ok("last_name = \"\"");
    assert_string_equal(n->text, "");
    sg_segment_free(n);

    /* 256 bytes once unescaped, even when written with escapes */
    char text[1024];
    char body[600];
    memset(body, 'x', 256);
    body[256] = '\0';
    snprintf(text, sizeof text, "first_name = \"%s\"", body);
    n = parse_ok(text);
    assert_int_equal(strlen(n->text), 256);
    sg_segment_free(n);
    for (int i = 0; i < 256; i++)
        memcpy(body + 2 * i, "\\\"", 2);
    body[512] = '\0';
    snprintf(text, sizeof text, "first_name = \"%s\"", body);
    n = parse_ok(text);
    assert_int_equal(strlen(n->text), 256);
    sg_segment_free(n);
    memset(body, 'x', 257);
    body[257] = '\0';
    snprintf(text, sizeof text, "first_name = \"%s\"", body);
    check_error(text, 13, "string longer than 256 bytes");
    /* a multi-byte character that would cross the bound */
    memset(body, 'x', 255);
    memcpy(body + 255, "\xC3\xA9", 3);
    snprintf(text, sizeof text, "first_name = \"%s\"", body);
    check_error(text, 13, "string longer than 256 bytes");
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        double number;
        const char *canon;
    } cases[] = {
        {"42", 42, "42"},
        {"-3.5", -3.5, "-3.5"},
        {"007", 7, "7"},
        {"1.50", 1.5, "1.5"},
        {"-0", 0, "0"},
        {"-0.000", 0, "0"},
        {"0.1", 0.1, "0.1"},
        {"0.000001", 0.000001, "0.000001"},
        {"123456789", 123456789, "123456789"},
        {"1000000000000000000000", 1e21, "1000000000000000000000"},
        {"0.30000000000000004", 0.30000000000000004, "0.30000000000000004"},
        {"0.1000000000000000000001", 0.1, "0.1"},
        {"9007199254740993", 9007199254740992.0, "9007199254740992"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128], canon[128];
        snprintf(text, sizeof text, "attributes.n = %s", cases[i].value);
        snprintf(canon, sizeof canon, "attributes.n = %s", cases[i].canon);
        sg_seg_node *n = parse_ok(text);
        assert_true(n->is_number);
        assert_true(n->number == cases[i].number);
        assert_false(signbit(n->number) && n->number == 0);
        sg_segment_free(n);
        check_canon(text, canon);
    }
    /* the largest and smallest magnitudes read back exactly */
    char text[512];
    snprintf(text, sizeof text, "attributes.n = 1%0308d", 0);
    sg_seg_node *n = parse_ok(text);
    assert_true(n->number == 1e308);
    sg_segment_free(n);
    check_canon(text, text);
    snprintf(text, sizeof text, "attributes.n = -0.%0307d22250738585072014", 0);
    n = parse_ok(text);
    assert_true(n->number == -DBL_MIN);
    sg_segment_free(n);
    check_canon(text, text);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t offset;
        const char *detail;
    } cases[] = {
        /* structure */
        {"mobile opted_out", 7, "expected and, or or the end of the filter, found 'opted_out'"},
        {"opted_out exists", 10, "expected and, or or the end of the filter, found 'exists'"},
        {"mobile)", 6, "unmatched ')'"},
        {"(mobile", 7, "expected ')' to close the '(' at 0, found the end of the filter"},
        {"(mobile or (opted_out)", 22, "expected ')' to close the '(' at 0"},
        {"()", 1, "expected a test (a field, mobile, opted_out, in group, not or '('), found ')'"},
        {"mobile and", 10, "expected a test"},
        {"mobile and and", 11,
         "expected a test (a field, mobile, opted_out, in group, not or "
         "'('), found 'and'"},
        {"and mobile", 0, "expected a test"},
        {"or", 0, "expected a test"},
        {"not", 3, "found the end of the filter"},
        {"not not", 7, "expected a test"},
        {"\"x\"", 0, "found a string"},
        {"42", 0, "found '42'"},
        {"= 1", 0, "found '='"},
        {"foo = 1", 0, "unknown word 'foo'"},
        {"mobile or fist_name = \"x\"", 10, "unknown word 'fist_name'"},
        {"first_name.x = \"x\"", 0, "unknown word 'first_name.x'"},
        {"mobile and aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 11,
         "unknown word 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'"},
        /* tests */
        {"in", 2, "expected group after in, found the end of the filter"},
        {"in groups \"a\"", 3, "expected group after in, found 'groups'"},
        {"in group", 8, "expected a group name in double quotes after in group"},
        {"in group vip", 9, "expected a group name in double quotes after in group, found 'vip'"},
        {"mobile and attributes.city \"Leeds\"", 27,
         "expected an operator after attributes.city, found a string"},
        {"first_name", 10, "expected an operator after first_name, found the end of the filter"},
        {"First_Name \"x\"", 11, "expected an operator after first_name"},
        {"first_name = Ann", 13,
         "expected a string or a number after =, found 'Ann' (strings are in double quotes)"},
        {"first_name == \"x\"", 12, "expected a string or a number after =, found '='"},
        {"first_name <", 12, "expected a string or a number after <, found the end"},
        {"first_name contains 5", 20, "contains needs a string"},
        {"first_name starts_with -1", 23, "starts_with needs a string"},
        {"first_name within 30d", 11, "first_name is not a date"},
        {"attributes.seen before 2026-01-01", 16, "attributes.seen is not a date"},
        {"created = \"x\"", 8, "created is a date: use within, before or after"},
        {"created exists", 8, "created is a date"},
        {"last_activity contains \"x\"", 14, "last_activity is a date"},
        {"last_activity", 13, "expected within, before or after after last_activity"},
        {"last_activity since 3d", 14,
         "expected within, before or after after last_activity, "
         "found 'since'"},
        {"attributes = 1", 0, "expected attributes.KEY"},
        {"attributes. = 1", 11, "an attribute key is 1 to 64 letters, digits or underscores"},
        {"attributes.a.b = 1", 11, "an attribute key is"},
        {"attributes.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
         "exists",
         11, "an attribute key is"},
        /* durations and dates */
        {"last_activity within", 20, "expected a duration (e.g. 30d) after within"},
        {"last_activity within \"30d\"", 21,
         "expected a duration (e.g. 30d) after within, found "
         "a string"},
        {"last_activity within 30", 21, "duration '30' needs a unit: m, h, d or w"},
        {"last_activity within 30y", 23, "unknown duration unit 'y'"},
        {"last_activity within 30D", 23, "unknown duration unit 'D'"},
        {"last_activity within 30 d", 21, "needs a unit"},
        {"last_activity within 30dd", 21, "'30dd' is not a duration"},
        {"last_activity within d", 21, "expected a duration (e.g. 30d) after within, found 'd'"},
        {"last_activity within -30d", 21, "'-30d' is not a duration"},
        {"last_activity within 1.5d", 21, "'1.5d' is not a duration"},
        {"last_activity within 2026-01-01", 21, "'2026-01-01' is not a duration"},
        {"last_activity within 36501d", 21, "duration '36501d' is longer than 36500 days"},
        {"last_activity within 5215w", 21, "longer than 36500 days"},
        {"last_activity within 876001h", 21, "longer than 36500 days"},
        {"last_activity within 52560001m", 21, "longer than 36500 days"},
        {"last_activity within 99999999999999999999999999d", 21, "longer than 36500 days"},
        {"created before", 14,
         "expected a date (YYYY-MM-DD) or a duration (e.g. 30d) after before"},
        {"created after \"2026-01-01\"", 14, "expected a date (YYYY-MM-DD) or a duration"},
        {"created before 2026-02-30", 15, "'2026-02-30' is not a calendar date"},
        {"created before 2023-02-29", 15, "'2023-02-29' is not a calendar date"},
        {"created before 1900-02-29", 15, "not a calendar date"},
        {"created before 2026-04-31", 15, "not a calendar date"},
        {"created before 2026-13-01", 15, "not a calendar date"},
        {"created before 2026-00-10", 15, "not a calendar date"},
        {"created before 2026-01-00", 15, "not a calendar date"},
        {"created before 1969-12-31", 15, "date '1969-12-31' is before 1970-01-01"},
        {"created before 2026-2-3", 15, "'2026-2-3' is not a date (YYYY-MM-DD) or a duration"},
        {"created before 2026-01-31T00", 15, "is not a date"},
        {"created before 20260131", 15, "needs a unit"},
        /* numbers */
        {"attributes.n = 1.", 15, "'1.' is not a number"},
        {"attributes.n = .5", 15, "'.5' is not a number (write e.g. 42, -3.5 or 0.5)"},
        {"attributes.n = 1.2.3", 15, "is not a number"},
        {"attributes.n = --1", 15, "is not a number"},
        {"attributes.n = -", 15, "'-' is not a number"},
        {"attributes.n = 1e5", 15, "'1e5' is not a number"},
        {"attributes.n = 0x10", 15, "is not a number"},
        {"attributes.n = 1-2", 15, "is not a number"},
        {"attributes.n = 30d", 15, "'30d' is not a number"},
        /* strings and characters */
        {"first_name = \"abc", 13, "unterminated string"},
        {"first_name = \"abc\\\"", 13, "unterminated string"},
        {"first_name = \"abc\\", 13, "unterminated string"},
        {"first_name = \"a\\nb\"", 15,
         "unknown escape in a string: only \\\" and \\\\ are allowed"},
        {"first_name = \"a\\u0041\"", 15, "unknown escape"},
        {"first_name = \"a\tb\"", 15, "control character 0x09 in a string"},
        {"first_name = \"a\x01\"", 15, "control character 0x01 in a string"},
        {"first_name = \"a\x7f\"", 15, "control character 0x7F in a string"},
        {"first_name = \"\xff\"", 14, "invalid UTF-8 in a string"},
        {"first_name = \"\x80\"", 14, "invalid UTF-8"},
        {"first_name = \"\xC0\xAF\"", 14, "invalid UTF-8"},         /* overlong '/' */
        {"first_name = \"\xE0\x80\xAF\"", 14, "invalid UTF-8"},     /* overlong '/' */
        {"first_name = \"\xED\xA0\x80\"", 14, "invalid UTF-8"},     /* surrogate */
        {"first_name = \"\xF4\x90\x80\x80\"", 14, "invalid UTF-8"}, /* above U+10FFFF */
        {"first_name = \"\xE2\x82\"", 14, "invalid UTF-8"},         /* cut short */
        {"first_name = \"x\xE2\x82", 15, "invalid UTF-8"},
        {"first_name = 'Ann'", 13, "strings are written in double quotes, not single quotes"},
        {"mobile & opted_out", 7, "unexpected character '&'"},
        {"mobile && opted_out", 7, "unexpected character '&'"},
        {"mobile | opted_out", 7, "unexpected character '|'"},
        {"mobile ! opted_out", 7, "unexpected '!': write '!=' to compare, 'not' to negate"},
        {"mobile and \xC3\xA9t\xC3\xA9", 11,
         "unexpected byte 0xC3: non-ASCII text belongs in a "
         "string"},
        {"mobile\x01", 6, "unexpected control character 0x01"},
        {"mobile;", 6, "unexpected character ';'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_error(cases[i].text, cases[i].offset, cases[i].detail);
}

/* n copies of unit, then tail. */
static char *repeat(const char *unit, size_t n, const char *tail)
{
    size_t u = strlen(unit), t = strlen(tail);
    char *s = malloc(u * n + t + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * u, unit, u);
    memcpy(s + u * n, tail, t + 1);
    return s;
}

/* text is refused at offset with want, as a bound (too_complex), not a syntax error. */
static void check_bound(const char *text, size_t offset, const char *want)
{
    check_error(text, offset, want);
    sg_seg_node *n = NULL;
    sg_seg_error e;
    assert_int_equal(sg_segment_parse(text, &n, &e), SG_ERR_INVALID);
    if (!e.too_complex)
        fail_msg("\"%.40s...\": \"%s\" is not marked too_complex", text, e.detail);
}

/* "(" or "not (" open times around inner, closed again. */
static char *nest(const char *open, int times, const char *inner)
{
    char *s = repeat(open, times, inner);
    char *t = repeat(")", times, "");
    char *text = malloc(strlen(s) + strlen(t) + 1);
    assert_non_null(text);
    strcpy(text, s);
    strcat(text, t);
    free(s);
    free(t);
    return text;
}

static void test_bounds(void **state)
{
    (void)state;
    /* nesting: 16 levels of "(" or "not" are fine, 17 are not */
    char *text = nest("(", 16, "mobile");
    sg_seg_node *n = parse_ok(text);
    assert_int_equal(n->kind, SG_SEG_MOBILE);
    sg_segment_free(n);
    free(text);
    char *s = repeat("(", 17, "mobile");
    check_bound(s, 16, "nested too deeply: at most 16 levels of '(' and not");
    free(s);
    s = repeat("not ", 16, "mobile");
    n = parse_ok(s);
    sg_segment_free(n);
    free(s);
    s = repeat("not ", 17, "mobile");
    check_bound(s, 64, "nested too deeply");
    free(s);
    text = nest("not (", 8, "mobile");
    n = parse_ok(text);
    sg_segment_free(n);
    free(text);
    s = repeat("not (", 9, "mobile");
    check_bound(s, 40, "nested too deeply");
    free(s);
    s = repeat("(", 4000, "");
    check_bound(s, 16, "nested too deeply");
    free(s);
    /* the same depth with a different operator at every level (what costs SQLite's
     * parser most) is fine at 16 */
    text = nest("mobile and (opted_out or ", 16, "mobile");
    n = parse_ok(text);
    sg_segment_free(n);
    free(text);

    /* 64 tests are fine, 65 are not (127 and-ed tests were accepted and then
     * could not be compiled: "parser stack overflow") */
    s = repeat("mobile and ", 63, "not mobile");
    n = parse_ok(s);
    sg_segment_free(n);
    free(s);
    s = repeat("mobile or ", 64, "mobile");
    check_bound(s, 64 * 10, "filter too complex: at most 64 tests");
    free(s);
    s = repeat("mobile and ", 126, "mobile");
    check_bound(s, 64 * 11, "filter too complex: at most 64 tests");
    free(s);

    /* 256 nodes are fine, 257 are not: 16 tests, 15 and, 225 not */
    s = repeat("not not not not not not not not not not not not not not mobile and ", 15,
               "not not not not not not not not not not not not not not not mobile");
    n = parse_ok(s);
    sg_segment_free(n);
    free(s);
    s = repeat("not not not not not not not not not not not not not not mobile and ", 15,
               "not not not not not not not not not not not not not not not not mobile");
    check_bound(s, 15 * 67 + 16 * 4, "filter too complex: at most 256 nodes");
    free(s);

    /* a syntax error is not a bound */
    sg_seg_error e;
    assert_int_equal(sg_segment_parse("mobile and", &n, &e), SG_ERR_INVALID);
    assert_false(e.too_complex);

    /* 4096 bytes are fine, 4097 are not */
    char big[SG_SEGMENT_TEXT_MAX + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "mobile", 6);
    big[SG_SEGMENT_TEXT_MAX] = '\0';
    n = parse_ok(big);
    sg_segment_free(n);
    big[SG_SEGMENT_TEXT_MAX] = ' ';
    check_bound(big, SG_SEGMENT_TEXT_MAX, "filter longer than 4096 bytes");

    /* The canonical text must fit as well: 16 compact comparisons of 4092 bytes
     * are 4139 bytes with the canonical spaces. */
    char *x = repeat("x", 244, "");
    char one[300];
    snprintf(one, sizeof one, "phone=\"%s\"and ", x);
    s = repeat(one, 15, "");
    snprintf(one, sizeof one, "phone=\"%s\"", x);
    text = malloc(strlen(s) + strlen(one) + 1);
    assert_non_null(text);
    strcpy(text, s);
    strcat(text, one);
    assert_int_equal(strlen(text), 4092);
    check_bound(text, 4092, "filter longer than 4096 bytes once written in canonical form");
    free(text);
    free(s);
    free(x);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *text, *canon;
    } cases[] = {
        {"MOBILE AND NOT Opted_Out", "mobile and not opted_out"},
        {"  mobile  ", "mobile"},
        {"(mobile or opted_out) and in group \"vip\"",
         "(mobile or opted_out) and in group \"vip\""},
        {"mobile or (opted_out and mobile)", "mobile or opted_out and mobile"},
        {"mobile and (opted_out and mobile)", "mobile and (opted_out and mobile)"},
        {"mobile or (opted_out or mobile)", "mobile or (opted_out or mobile)"},
        {"(mobile or opted_out) or mobile", "mobile or opted_out or mobile"},
        {"(mobile and opted_out) or (mobile and phone exists)",
         "mobile and opted_out or mobile and phone exists"},
        {"(mobile or opted_out) and (mobile or phone exists)",
         "(mobile or opted_out) and (mobile or phone exists)"},
        {"not (not mobile)", "not not mobile"},
        {"not(mobile or opted_out)", "not (mobile or opted_out)"},
        {"not(mobile and opted_out)", "not (mobile and opted_out)"},
        {"(not mobile) and opted_out", "not mobile and opted_out"},
        {"((((mobile))))", "mobile"},
        {"first_name=\"Ann\"", "first_name = \"Ann\""},
        {"attributes.Age>=18", "attributes.Age >= 18"},
        {"attributes.score < -3.50", "attributes.score < -3.5"},
        {"attributes.x != \"\"", "attributes.x != \"\""},
        {"last_name contains \"a\\\"b\\\\c\"", "last_name contains \"a\\\"b\\\\c\""},
        {"phone STARTS_WITH \"+44\"", "phone starts_with \"+44\""},
        {"first_name <= \"M\" and last_name > \"B\"", "first_name <= \"M\" and last_name > \"B\""},
        {"attributes.vip exists", "attributes.vip exists"},
        {"last_activity within 14d", "last_activity within 2w"},
        {"last_activity within 60m", "last_activity within 1h"},
        {"last_activity within 90m", "last_activity within 90m"},
        {"last_activity within 1440m", "last_activity within 1d"},
        {"last_activity within 000m", "last_activity within 0d"},
        {"created before 36500d", "created before 36500d"},
        {"created after 2024-02-29", "created after 2024-02-29"},
        {"created before 1970-01-01", "created before 1970-01-01"},
        {"created before 9999-12-31", "created before 9999-12-31"},
        {"in group \"Caf\xC3\xA9 \xF0\x9F\x98\x80\"", "in group \"Caf\xC3\xA9 \xF0\x9F\x98\x80\""},
        {"", ""},
        {"mobile and not opted_out and (attributes.city = \"Leeds\" or attributes.city = "
         "\"York\") and last_activity within 30d",
         "mobile and not opted_out and (attributes.city = \"Leeds\" or attributes.city = "
         "\"York\") and last_activity within 30d"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_canon(cases[i].text, cases[i].canon);

    /* format appends to what the buffer holds */
    sg_seg_node *n = parse_ok("mobile");
    sg_buf b;
    sg_buf_init(&b, 64);
    assert_int_equal(sg_buf_append_str(&b, "segment: "), SG_OK);
    assert_int_equal(sg_segment_format(n, &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b), "segment: mobile");
    sg_buf_free(&b);
    sg_segment_free(n);
}

static sg_seg_node *node(sg_seg_kind kind)
{
    sg_seg_node *n = calloc(1, sizeof *n);
    assert_non_null(n);
    n->kind = kind;
    return n;
}

/* n refuses to format and leaves the buffer as it was. */
static void check_format_refused(const sg_seg_node *n)
{
    sg_buf b;
    sg_buf_init(&b, 1 << 16);
    assert_int_equal(sg_buf_append_str(&b, "keep"), SG_OK);
    assert_int_equal(sg_segment_format(n, &b), SG_ERR_INVALID);
    assert_string_equal(sg_buf_cstr(&b), "keep");
    sg_buf_free(&b);
}

static void test_format_hand_built(void **state)
{
    (void)state;
    char *s = format(NULL);
    assert_string_equal(s, "");
    free(s);

    /* numbers the parser never spelt that way */
    sg_seg_node *n = node(SG_SEG_CMP);
    n->field = SG_SEG_FIELD_ATTRIBUTE;
    strcpy(n->attr, "n");
    n->is_number = true;
    n->number = 1e300;
    s = format(n);
    assert_int_equal(strlen(s), strlen("attributes.n = ") + 301);
    sg_seg_node *m = parse_ok(s);
    assert_true(sg_segment_equal(n, m));
    sg_segment_free(m);
    free(s);
    n->number = -1.25e-10;
    s = format(n);
    assert_string_equal(s, "attributes.n = -0.000000000125");
    free(s);
    n->number = 1.0 / 3;
    s = format(n);
    assert_string_equal(s, "attributes.n = 0.3333333333333333");
    free(s);
    n->number = -0.0;
    s = format(n);
    assert_string_equal(s, "attributes.n = 0");
    free(s);

    /* what the parser could not have produced */
    n->number = DBL_MIN / 4; /* subnormal */
    check_format_refused(n);
    n->number = INFINITY;
    check_format_refused(n);
    n->number = 1;
    n->op = SG_SEG_CONTAINS; /* needs a string */
    check_format_refused(n);
    n->op = (sg_seg_op)99;
    check_format_refused(n);
    n->op = SG_SEG_EQ;
    strcpy(n->attr, "a.b");
    check_format_refused(n);
    n->attr[0] = '\0';
    check_format_refused(n);
    memset(n->attr, 'k', sizeof n->attr); /* not terminated */
    check_format_refused(n);
    strcpy(n->attr, "k");
    n->field = SG_SEG_FIELD_CREATED;
    check_format_refused(n);
    n->field = (sg_seg_field)42;
    check_format_refused(n);
    n->field = SG_SEG_FIELD_FIRST_NAME;
    n->is_number = false; /* no text */
    check_format_refused(n);
    n->text = strdup("tab\there");
    check_format_refused(n);
    free(n->text);
    n->text = strdup("\xC3");
    check_format_refused(n);
    free(n->text);
    n->text = calloc(1, 300);
    assert_non_null(n->text);
    memset(n->text, 'x', 257);
    check_format_refused(n);
    n->text[256] = '\0';
    s = format(n);
    free(s);
    free(n->text);
    n->text = strdup("Ann");

    /* TIME */
    sg_seg_node *t = node(SG_SEG_TIME);
    t->field = SG_SEG_FIELD_LAST_ACTIVITY;
    t->time_op = SG_SEG_WITHIN;
    t->relative = false; /* within takes a duration only */
    t->at_ms = 0;
    check_format_refused(t);
    t->time_op = SG_SEG_BEFORE;
    t->at_ms = JAN31_2026_MS + 1; /* not midnight */
    check_format_refused(t);
    t->at_ms = -DAY_MS;
    check_format_refused(t);
    t->at_ms = INT64_C(253402300800000); /* 10000-01-01 */
    check_format_refused(t);
    t->at_ms = JAN31_2026_MS;
    s = format(t);
    assert_string_equal(s, "last_activity before 2026-01-31");
    free(s);
    t->relative = true;
    t->seconds = 30; /* not whole minutes */
    check_format_refused(t);
    t->seconds = -60;
    check_format_refused(t);
    t->seconds = SG_SEGMENT_DURATION_MAX + 60;
    check_format_refused(t);
    t->seconds = 3 * 86400 + 60;
    s = format(t);
    assert_string_equal(s, "last_activity before 4321m");
    free(s);
    t->field = SG_SEG_FIELD_PHONE;
    check_format_refused(t);
    t->field = SG_SEG_FIELD_ATTRIBUTE;
    strcpy(t->attr, "seen");
    check_format_refused(t);
    t->field = SG_SEG_FIELD_CREATED;
    t->time_op = (sg_seg_time_op)7;
    check_format_refused(t);
    t->time_op = SG_SEG_AFTER;

    /* structure: TRUE only at the root, children present, kinds in range */
    sg_seg_node *a = node(SG_SEG_AND);
    a->left = n;
    a->right = node(SG_SEG_TRUE);
    check_format_refused(a);
    sg_segment_free(a->right);
    a->right = NULL;
    check_format_refused(a);
    a->right = t;
    s = format(a);
    assert_string_equal(s, "first_name = \"Ann\" and created after 4321m");
    free(s);
    sg_seg_node *bad = node((sg_seg_kind)77);
    sg_seg_node *o = node(SG_SEG_OR);
    o->left = a;
    o->right = bad;
    check_format_refused(o);
    bad->kind = SG_SEG_NOT; /* without its operand */
    check_format_refused(o);
    bad->left = node(SG_SEG_OPTED_OUT);
    s = format(o);
    assert_true(strstr(s, " or not opted_out") != NULL);
    free(s);
    sg_segment_free(o);
}

static void test_deep_trees(void **state)
{
    (void)state;
    /* A hand-built chain far taller than any parse: format refuses it, equal
     * gives up, and free does not recurse. */
    sg_seg_node *top = node(SG_SEG_MOBILE);
    for (int i = 0; i < 200000; i++) {
        sg_seg_node *n = node(i % 2 ? SG_SEG_NOT : SG_SEG_AND);
        n->left = top;
        if (n->kind == SG_SEG_AND)
            n->right = node(SG_SEG_OPTED_OUT);
        top = n;
    }
    check_format_refused(top);
    assert_false(sg_segment_equal(top, top));
    sg_segment_free(top);

    /* a tall tree a parse gives: 64-term chain, left-deep */
    char *s = repeat("mobile or ", 63, "mobile");
    sg_seg_node *n = parse_ok(s);
    char *f = format(n);
    assert_string_equal(f, s);
    sg_seg_node *m = parse_ok(f);
    assert_true(sg_segment_equal(n, m));
    sg_segment_free(m);
    sg_segment_free(n);
    free(f);
    free(s);
}

static void test_equal(void **state)
{
    (void)state;
    static const char *distinct[] = {
        "mobile",
        "opted_out",
        "not mobile",
        "mobile and opted_out",
        "mobile or opted_out",
        "opted_out and mobile",
        "in group \"a\"",
        "in group \"b\"",
        "first_name = \"a\"",
        "last_name = \"a\"",
        "first_name != \"a\"",
        "first_name = 1",
        "first_name = 2",
        "first_name = \"1\"",
        "attributes.a = 1",
        "attributes.b = 1",
        "first_name exists",
        "attributes.a exists",
        "created within 1d",
        "created before 1d",
        "created after 1d",
        "created after 2d",
        "last_activity after 1d",
        "created after 2026-01-31",
        "created after 2026-02-01",
    };
    size_t count = sizeof distinct / sizeof distinct[0];
    for (size_t i = 0; i < count; i++) {
        sg_seg_node *a = parse_ok(distinct[i]);
        for (size_t j = 0; j < count; j++) {
            sg_seg_node *b = parse_ok(distinct[j]);
            if (sg_segment_equal(a, b) != (i == j))
                fail_msg("\"%s\" vs \"%s\"", distinct[i], distinct[j]);
            sg_segment_free(b);
        }
        assert_false(sg_segment_equal(a, NULL));
        sg_segment_free(a);
    }
    /* same meaning by construction */
    sg_seg_node *a = parse_ok("created within 14d and attributes.n = 1.0");
    sg_seg_node *b = parse_ok("created within 2w and attributes.n = 01");
    assert_true(sg_segment_equal(a, b));
    sg_segment_free(a);
    sg_segment_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),       cmocka_unit_test(test_flags_and_groups),
        cmocka_unit_test(test_compare),     cmocka_unit_test(test_exists),
        cmocka_unit_test(test_time),        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_parentheses), cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_strings),     cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_errors),      cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_format_hand_built),
        cmocka_unit_test(test_deep_trees),  cmocka_unit_test(test_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
