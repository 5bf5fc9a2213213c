/* The table-driven option parser (util/options.h), shared by the CLI and the
 * simulators: defaults, the environment, "--flag VALUE" and "--flag=VALUE", values
 * kept as given (SG_OPT_ARG), repeatable flags (SG_OPT_LIST) and their bound,
 * headings that are no flags, positional arguments, and sg_opts_peek, which finds
 * one flag without taking another flag's value for it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct settings {
    const char *listen;
    const char *seed;
    unsigned limit;
    char name[8];
    bool dry;
    sg_opt_list numbers;
} settings;

#define S(f) offsetof(settings, f)
static const sg_opt opts[] = {
    {"listen", NULL, "127.0.0.1:1", SG_OPT_ARG, S(listen), 0, "ADDR", "where"},
    {"seed", NULL, NULL, SG_OPT_ARG, S(seed), 0, "N", "seed"},
    {"limit", "SG_TEST_LIMIT", "20", SG_OPT_UINT, S(limit), 0, "N", "how many"},
    {"name", NULL, "abc", SG_OPT_STR, S(name), sizeof(((settings *)0)->name), "NAME", "a name"},
    SG_OPT_HEADING("more:"),
    {"dry", NULL, NULL, SG_OPT_BOOL, S(dry), 0, NULL, "do nothing"},
    {"numbers", NULL, NULL, SG_OPT_LIST, S(numbers), 0, "LIST", "numbers\nmay repeat"},
    SG_OPT_END,
};
#undef S

static const sg_cmd_spec spec = {"test [options] [ARG]", "A test command.", opts, 0, 1};

/* Parse the NULL-terminated words after "test" into *s; the parse's answer. */
static int parse(settings *s, const char *const *words)
{
    char *argv[2 * SG_OPT_LIST_MAX + 8] = {"test"};
    int argc = 1;
    while (words[argc - 1])
        argv[argc] = (char *)words[argc - 1], argc++;
    memset(s, 0, sizeof *s);
    char **args = NULL;
    size_t n = 0;
    int rc = sg_opts_parse_cmd("smsgate test", &spec, s, argc, argv, &args, &n);
    free(args);
    return rc;
}

static void test_defaults_and_values(void **state)
{
    settings s;
    unsetenv("SG_TEST_LIMIT");
    assert_int_equal(parse(&s, (const char *[]){NULL}), 0);
    assert_string_equal(s.listen, "127.0.0.1:1"); /* the row's default, as given */
    assert_null(s.seed);                          /* no default: absent */
    assert_int_equal(s.limit, 20);
    assert_string_equal(s.name, "abc");
    assert_false(s.dry);
    assert_int_equal(s.numbers.n, 0);

    assert_int_equal(parse(&s, (const char *[]){"--listen", "[::1]:0", "--seed=7", "--dry",
                                                "--limit", "3", "pos", NULL}),
                     0);
    assert_string_equal(s.listen, "[::1]:0");
    assert_string_equal(s.seed, "7");
    assert_int_equal(s.limit, 3);
    assert_true(s.dry);

    /* A value that looks like a flag is still the value of the flag before it. */
    assert_int_equal(parse(&s, (const char *[]){"--seed", "--dry", NULL}), 0);
    assert_string_equal(s.seed, "--dry");
    assert_false(s.dry);

    setenv("SG_TEST_LIMIT", "9", 1);
    assert_int_equal(parse(&s, (const char *[]){NULL}), 0);
    assert_int_equal(s.limit, 9); /* the environment beats the default */
    assert_int_equal(parse(&s, (const char *[]){"--limit", "4", NULL}), 0);
    assert_int_equal(s.limit, 4); /* the flag beats the environment */
    unsetenv("SG_TEST_LIMIT");
}

static void test_list_keeps_every_value(void **state)
{
    settings s;
    assert_int_equal(
        parse(&s, (const char *[]){"--numbers", "+1,+2", "--dry", "--numbers=+3", NULL}), 0);
    assert_int_equal(s.numbers.n, 2);
    assert_string_equal(s.numbers.items[0], "+1,+2");
    assert_string_equal(s.numbers.items[1], "+3");

    /* Bounded: SG_OPT_LIST_MAX occurrences, not one more. */
    const char *words[2 * SG_OPT_LIST_MAX + 3];
    size_t n = 0;
    for (size_t i = 0; i < SG_OPT_LIST_MAX; i++) {
        words[n++] = "--numbers";
        words[n++] = "+1";
    }
    words[n] = NULL;
    assert_int_equal(parse(&s, words), 0);
    assert_int_equal(s.numbers.n, SG_OPT_LIST_MAX);
    words[n++] = "--numbers";
    words[n++] = "+1";
    words[n] = NULL;
    assert_int_equal(parse(&s, words), SG_OPTS_USAGE);
}

static void test_usage_errors(void **state)
{
    static const struct {
        const char *words[4];
        const char *why;
    } rows[] = {
        {{"--bogus", NULL}, "an unknown flag"},
        {{"-x", NULL}, "an unknown short flag"},
        {{"--=x", NULL}, "a heading row is no flag"},
        {{"--seed", NULL}, "a flag without its value"},
        {{"--limit", "ten", NULL}, "not a whole number"},
        {{"--name", "toolongname", NULL}, "longer than the field"},
        {{"a", "b", NULL}, "one positional argument too many"},
        {{"--dry=maybe", NULL}, "a bool that is neither true nor false"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        settings s;
        int rc = parse(&s, rows[i].words);
        if (rc != SG_OPTS_USAGE)
            fail_msg("row %zu (%s): rc %d, want %d", i, rows[i].why, rc, SG_OPTS_USAGE);
    }
    settings s;
    assert_int_equal(parse(&s, (const char *[]){"--", "--bogus", NULL}), 0); /* an argument */
    assert_int_equal(parse(&s, (const char *[]){"--help", "--bogus", NULL}), SG_OPTS_HELP);
}

static void test_peek(void **state)
{
    static const struct {
        const char *words[6];
        const char *want;
        const char *why;
    } rows[] = {
        {{"--seed", "1", NULL}, "1", "the flag's value"},
        {{"--seed=2", NULL}, "2", "written with '='"},
        {{"--seed", "1", "--seed", "3", NULL}, "3", "the last one given"},
        {{"--listen", "--seed", NULL}, NULL, "the value of another flag is not the flag"},
        {{"--unknown", "--seed", "5", NULL}, NULL, "an unknown flag is taken to have a value"},
        {{"--dry", "--seed", "6", NULL}, "6", "a bool flag has no value"},
        {{"--", "--seed", "7", NULL}, NULL, "after --, only arguments"},
        {{"--seed", NULL}, "", "no value"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *argv[8] = {"test"};
        int argc = 1;
        while (rows[i].words[argc - 1])
            argv[argc] = (char *)rows[i].words[argc - 1], argc++;
        const char *got = sg_opts_peek(&spec, argc, argv, "seed");
        bool same = got && rows[i].want ? strcmp(got, rows[i].want) == 0 : got == rows[i].want;
        if (!same)
            fail_msg("row %zu (%s): got '%s', want '%s'", i, rows[i].why, got ? got : "(null)",
                     rows[i].want ? rows[i].want : "(null)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_list_keeps_every_value),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_peek),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
