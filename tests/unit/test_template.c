#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A recipient: name/value pairs, NULL-terminated. Names asked for are recorded. */
typedef struct recipient {
    const char *const *pairs;
    char asked[8][SG_TPL_NAME_MAX + 1];
    size_t n_asked;
} recipient;

static const char *lookup(void *user, const char *name)
{
    recipient *r = user;
    if (r->n_asked < 8) {
        assert_true(strlen(name) <= SG_TPL_NAME_MAX);
        strcpy(r->asked[r->n_asked++], name);
    }
    for (size_t i = 0; r->pairs[i]; i += 2)
        if (strcmp(r->pairs[i], name) == 0)
            return r->pairs[i + 1];
    return NULL;
}

static const char *const ann[] = {
    /* clang-format off */
    "first_name", "Ann",
    "last_name", "Lee",
    "phone", "+14155550100",
    "attributes.city", "Paris",
    "attributes.empty", "",
    NULL,
    /* clang-format on */
};

static const char *const nobody[] = {NULL};

/* Render tpl for pairs with a roomy buffer; returns the rendered string (static). */
static const char *render_ok(const char *tpl, const char *const *pairs)
{
    static char result[4096];
    recipient r = {.pairs = pairs};
    sg_buf out;
    sg_tpl_error err;
    sg_buf_init(&out, sizeof result - 1);
    assert_int_equal(sg_template_check(tpl, &err), SG_OK);
    assert_string_equal(err.code, "");
    sg_err rc = sg_template_render(tpl, lookup, &r, &out, &err);
    if (rc != SG_OK)
        fail_msg("render of \"%s\": %s %s at %zu: %s", tpl, err.code, err.field, err.offset,
                 err.detail);
    assert_string_equal(err.code, "");
    assert_int_equal(strlen(sg_buf_cstr(&out)), out.len);
    strcpy(result, sg_buf_cstr(&out));
    sg_buf_free(&out);
    return result;
}

/* Both check and render refuse tpl with the same code, field and offset, and
 * render leaves out untouched. */
static void assert_refused(const char *tpl, const char *code, const char *field, size_t offset)
{
    sg_tpl_error err;
    memset(&err, 0x5A, sizeof err);
    assert_int_equal(sg_template_check(tpl, &err), SG_ERR_INVALID);
    if (strcmp(err.code, code) != 0 || strcmp(err.field, field) != 0 || err.offset != offset)
        fail_msg("check of \"%s\": got %s '%s' at %zu (%s), want %s '%s' at %zu", tpl, err.code,
                 err.field, err.offset, err.detail, code, field, offset);
    assert_non_null(memchr(err.detail, '\0', sizeof err.detail));
    assert_true(err.detail[0] != '\0');

    recipient r = {.pairs = ann};
    sg_buf out;
    sg_buf_init(&out, 1000);
    assert_int_equal(sg_buf_append_str(&out, "kept"), SG_OK);
    sg_tpl_error rerr;
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &rerr), SG_ERR_INVALID);
    assert_string_equal(rerr.code, err.code);
    assert_string_equal(rerr.field, err.field);
    assert_int_equal(rerr.offset, err.offset);
    assert_string_equal(sg_buf_cstr(&out), "kept");
    assert_int_equal(out.len, 4);
    sg_buf_free(&out);
}

static void test_plain_text(void **state)
{
    (void)state;
    assert_string_equal(render_ok("", ann), "");
    assert_string_equal(render_ok("Sale starts today!", nobody), "Sale starts today!");
    /* Lone braces and a stray "}}" are literal text. */
    assert_string_equal(render_ok("a { b } c }} d {x} {", nobody), "a { b } c }} d {x} {");
    assert_string_equal(render_ok("{{first_name}}}", ann), "Ann}");
    assert_string_equal(render_ok("{ {first_name}}", ann), "{ {first_name}}");

    /* A template without "{{" is appended in one piece: it fits a buffer whose
     * maximum is exactly its length. */
    sg_buf out;
    sg_buf_init(&out, 18);
    assert_int_equal(sg_template_render("Sale starts today!", lookup, NULL, &out, NULL), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "Sale starts today!");
    sg_buf_free(&out);
}

static void test_every_field(void **state)
{
    (void)state;
    assert_string_equal(render_ok("Hi {{first_name}} {{last_name}}, {{phone}} in "
                                  "{{attributes.city}}.",
                                  ann),
                        "Hi Ann Lee, +14155550100 in Paris.");
    assert_string_equal(render_ok("{{first_name}}{{last_name}}", ann), "AnnLee");
    assert_string_equal(render_ok("{{phone}}", ann), "+14155550100");
    /* The same field twice. */
    assert_string_equal(render_ok("{{first_name}}, {{first_name}}!", ann), "Ann, Ann!");
}

static void test_spaces_inside_braces(void **state)
{
    (void)state;
    assert_string_equal(render_ok("Hi {{ last_name }}!", ann), "Hi Lee!");
    assert_string_equal(render_ok("Hi {{   first_name}}!", ann), "Hi Ann!");
    assert_string_equal(render_ok("Hi {{\tfirst_name\t}}!", ann), "Hi Ann!");
    assert_string_equal(render_ok("Hi {{ attributes.city }}!", ann), "Hi Paris!");
    assert_string_equal(render_ok("Hi {{ first_name |there}}!", nobody), "Hi there!");
}

static void test_defaults(void **state)
{
    (void)state;
    /* Value present: the default is ignored. */
    assert_string_equal(render_ok("Hi {{first_name|there}}!", ann), "Hi Ann!");
    /* Absent (NULL) or empty: the default. */
    assert_string_equal(render_ok("Hi {{first_name|there}}!", nobody), "Hi there!");
    const char *const blank[] = {"first_name", "", NULL};
    assert_string_equal(render_ok("Hi {{first_name|there}}!", blank), "Hi there!");
    /* A default may hold spaces, bars and single braces; it is not trimmed. */
    assert_string_equal(render_ok("Hi {{first_name|my friend}}!", nobody), "Hi my friend!");
    assert_string_equal(render_ok("[{{first_name| there }}]", nobody), "[ there ]");
    assert_string_equal(render_ok("{{attributes.x|a|b}c{d}}", nobody), "a|b}c{d");
    assert_string_equal(render_ok("{{attributes.x|a}}}", nobody), "a}");
    /* Non-ASCII defaults are bytes like any other. */
    assert_string_equal(render_ok("{{attributes.greeting|¡Hola!}}", nobody), "¡Hola!");
    /* "{{" right after a field's "}}" starts the next field. */
    assert_string_equal(render_ok("{{first_name|A}}{{last_name|B}}", nobody), "AB");
}

static void test_empty_default(void **state)
{
    (void)state;
    assert_string_equal(render_ok("Hi{{first_name|}}!", nobody), "Hi!");
    assert_string_equal(render_ok("Hi {{ first_name |}}!", nobody), "Hi !");
    assert_string_equal(render_ok("{{attributes.city|}}", nobody), "");
    assert_string_equal(render_ok("{{attributes.city|}}", ann), "Paris");
}

/* The error names the first field with no value and no default; the output is
 * rolled back to what it was. */
static void test_missing_field(void **state)
{
    (void)state;
    const char *tpl = "Hi {{first_name}}, see you at {{attributes.shop}}";
    sg_tpl_error err;
    assert_int_equal(sg_template_check(tpl, &err), SG_OK);

    recipient r = {.pairs = nobody};
    sg_buf out;
    sg_buf_init(&out, 1000);
    assert_int_equal(sg_buf_append_str(&out, "before|"), SG_OK);
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "first_name");
    assert_int_equal(err.offset, 3);
    assert_non_null(strstr(err.detail, "first_name"));
    assert_string_equal(sg_buf_cstr(&out), "before|");
    assert_int_equal(out.len, 7);

    /* With first_name known, the next field is the one missing. */
    const char *const only_first[] = {"first_name", "Bo", NULL};
    r = (recipient){.pairs = only_first};
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "attributes.shop");
    assert_int_equal(err.offset, 30);
    assert_string_equal(sg_buf_cstr(&out), "before|");

    /* An empty value is missing too, never rendered as a blank. */
    const char *const blank[] = {"first_name", "", "attributes.shop", "Main St", NULL};
    r = (recipient){.pairs = blank};
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &err), SG_ERR_INVALID);
    assert_string_equal(err.field, "first_name");

    /* A NULL lookup function: every value is absent. */
    assert_int_equal(sg_template_render("{{phone}}", NULL, NULL, &out, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "missing_field");
    assert_string_equal(err.field, "phone");
    assert_int_equal(sg_template_render("{{phone|n/a}}", NULL, NULL, &out, &err), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "before|n/a");

    /* The lookup was asked the exact names. */
    r = (recipient){.pairs = ann};
    sg_buf_reset(&out);
    assert_int_equal(
        sg_template_render("{{ first_name }}{{attributes.city|x}}", lookup, &r, &out, NULL), SG_OK);
    assert_int_equal(r.n_asked, 2);
    assert_string_equal(r.asked[0], "first_name");
    assert_string_equal(r.asked[1], "attributes.city");
    sg_buf_free(&out);
}

/* "{{city}}" is "{{attributes.city}}": a bare name that is not a built-in field
 * is looked up (and reported) as the attribute of that name. */
static void test_bare_attribute(void **state)
{
    (void)state;
    assert_string_equal(render_ok("Hi {{first_name}} from {{city}}!", ann), "Hi Ann from Paris!");
    assert_string_equal(render_ok("{{ city |nowhere}}", nobody), "nowhere");
    assert_string_equal(render_ok("{{empty|-}}", ann), "-");
    assert_int_equal(sg_template_check("{{First_Name}} {{phone2}} {{name}}", NULL), SG_OK);
    assert_refused("{{attributes}}", "unknown_field", "attributes", 0);
    sg_tpl_error err;
    sg_buf out;
    sg_buf_init(&out, 1024);
    assert_int_equal(sg_template_render("{{shop}}", NULL, NULL, &out, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "missing_field");
    sg_buf_free(&out);
}

static void test_unknown_fields(void **state)
{
    (void)state;
    /* a bare KEY is an attribute (test_bare_attribute); these are not KEYs */
    assert_refused("{{first_name }} {{ full.name |x}}", "unknown_field", "full.name", 16);
    assert_refused("{{first-name}}", "unknown_field", "first-name", 0);
    assert_refused("{{pr\xC3\xA9nom}}", "unknown_field", "pr\xC3\xA9nom", 0);
    assert_refused("{{attributes}}", "unknown_field", "attributes", 0);
    assert_refused("{{attributes.}}", "unknown_field", "attributes.", 0);
    assert_refused("{{attributes.a.b}}", "unknown_field", "attributes.a.b", 0);
    assert_refused("{{attributes.ci-ty}}", "unknown_field", "attributes.ci-ty", 0);
    assert_refused("{{attributes.caf\xC3\xA9}}", "unknown_field", "attributes.caf\xC3\xA9", 0);
    assert_refused("{{Attributes.city}}", "unknown_field", "Attributes.city", 0);
    assert_refused("{{first_name.x}}", "unknown_field", "first_name.x", 0);
    assert_refused("{{phone.2}}", "unknown_field", "phone.2", 0);

    /* A long unknown name is cut to fit err.field, never mid-character. */
    char tpl[300] = "{{";
    for (int i = 0; i < 100; i++)
        strcat(tpl, "\xC3\xA9"); /* é, two bytes */
    strcat(tpl, "}}");
    sg_tpl_error err;
    assert_int_equal(sg_template_check(tpl, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "unknown_field");
    assert_int_equal(strlen(err.field), 78); /* 39 whole characters */
    assert_int_equal(memcmp(err.field, tpl + 2, 78), 0);
}

static void test_attribute_keys(void **state)
{
    (void)state;
    char key64[65], key65[66];
    memset(key64, 'k', 64);
    key64[64] = '\0';
    memset(key65, 'k', 65);
    key65[65] = '\0';

    char tpl[200], name[100];
    /* The longest key: the lookup gets the whole name. */
    snprintf(name, sizeof name, "attributes.%s", key64);
    snprintf(tpl, sizeof tpl, "<{{attributes.%s}}>", key64);
    const char *const long_key[] = {name, "v", NULL};
    assert_int_equal(strlen(name), SG_TPL_NAME_MAX);
    assert_string_equal(render_ok(tpl, long_key), "<v>");

    /* One byte more is refused. */
    snprintf(name, sizeof name, "attributes.%s", key65);
    snprintf(tpl, sizeof tpl, "<{{attributes.%s}}>", key65);
    assert_refused(tpl, "unknown_field", name, 1);

    /* The shortest key, and every kind of key byte. */
    const char *const short_key[] = {"attributes.a", "1", "attributes.Z_9", "2", NULL};
    assert_string_equal(render_ok("{{attributes.a}}{{attributes.Z_9}}", short_key), "12");
    assert_string_equal(render_ok("{{attributes._|d}}{{attributes.0|e}}", nobody), "de");
}

static void test_syntax_errors(void **state)
{
    (void)state;
    /* Unclosed: reported at the "{{". */
    assert_refused("{{", "syntax", "", 0);
    assert_refused("Hi {{first_name", "syntax", "", 3);
    assert_refused("Hi {{first_name}", "syntax", "", 3);
    assert_refused("Hi {{first_name|there", "syntax", "", 3);
    assert_refused("Hi {{first_name|there}", "syntax", "", 3);
    assert_refused("Hi {{ ", "syntax", "", 3);
    /* Empty names. */
    assert_refused("{{}}", "syntax", "", 0);
    assert_refused("x{{  }}", "syntax", "", 1);
    assert_refused("{{|there}}", "syntax", "", 0);
    /* A stray byte: reported where it is. */
    assert_refused("{{first name}}", "syntax", "", 8);
    assert_refused("{{first_name} }", "syntax", "", 12);
    assert_refused("{{first_name\n}}", "syntax", "", 12);
    assert_refused("{{\nfirst_name}}", "syntax", "", 2);
    assert_refused("{{{first_name}}}", "syntax", "", 2);
    assert_refused("{{ {first_name}}", "syntax", "", 3);
    /* A literal "{{" that is not a field. */
    assert_refused("Use {{ }} for fields", "syntax", "", 4);
    assert_refused("Use {{ and/or }} for fields", "unknown_field", "and/or", 4);
    assert_refused("{{!}}", "unknown_field", "!", 0);
    /* Fields do not nest: "{{" inside a default. */
    assert_refused("{{first_name|{{last_name}}}}", "syntax", "", 13);
    assert_refused("{{first_name|a{{}}", "syntax", "", 14);
    /* The first error wins: a syntax error after an unknown field is not reached. */
    assert_refused("{{no-pe}} {{", "unknown_field", "no-pe", 0);
    assert_refused("{{first_name}} {{ }} {{no-pe}}", "syntax", "", 15);

    /* NULL template. */
    sg_tpl_error err;
    assert_int_equal(sg_template_check(NULL, &err), SG_ERR_INVALID);
    assert_string_equal(err.code, "syntax");
}

/* A template error anywhere wins over a missing value before it, so render
 * fails exactly when check does. */
static void test_template_error_beats_missing(void **state)
{
    (void)state;
    sg_tpl_error err;
    recipient r = {.pairs = nobody};
    sg_buf out;
    sg_buf_init(&out, 10);
    assert_int_equal(sg_template_render("{{first_name}} and {{oops", lookup, &r, &out, &err),
                     SG_ERR_INVALID);
    assert_string_equal(err.code, "syntax");
    assert_int_equal(err.offset, 19);
    assert_int_equal(sg_template_render("{{first_name}} and {{oo-ps}}", lookup, &r, &out, &err),
                     SG_ERR_INVALID);
    assert_string_equal(err.code, "unknown_field");
    /* And over an output that no longer fits. */
    assert_int_equal(sg_template_render("0123456789ABCDEF {{x", lookup, &r, &out, &err),
                     SG_ERR_INVALID);
    assert_string_equal(err.code, "syntax");
    assert_int_equal(out.len, 0);
    sg_buf_free(&out);
}

/* A value is inserted as it is, never parsed as a template. */
static void test_values_verbatim(void **state)
{
    (void)state;
    const char *const sneaky[] = {"first_name", "{{last_name}}", "last_name", "{{", NULL};
    assert_string_equal(render_ok("Hi {{first_name}} {{last_name}}", sneaky),
                        "Hi {{last_name}} {{");
}

static void test_too_large(void **state)
{
    (void)state;
    sg_tpl_error err;
    recipient r = {.pairs = ann};
    sg_buf out;

    /* Exactly at the maximum fits; one byte less does not. "Hi Ann Lee!" is 11. */
    const char *tpl = "Hi {{first_name}} {{last_name}}!";
    sg_buf_init(&out, 11);
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &err), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "Hi Ann Lee!");
    sg_buf_free(&out);

    sg_buf_init(&out, 10);
    assert_int_equal(sg_template_render(tpl, lookup, &r, &out, &err), SG_ERR_TOO_LARGE);
    assert_string_equal(err.code, "too_large");
    assert_int_equal(err.offset, 31); /* the final "!" */
    assert_int_equal(out.len, 0);
    assert_string_equal(sg_buf_cstr(&out), "");

    /* The value that does not fit is named. */
    sg_buf_reset(&out);
    assert_int_equal(sg_template_render("Hi {{last_name}} {{phone}}", lookup, &r, &out, &err),
                     SG_ERR_TOO_LARGE);
    assert_string_equal(err.field, "phone");
    assert_int_equal(err.offset, 17);
    sg_buf_free(&out);

    /* What is already in out counts against its maximum and is kept. */
    sg_buf_init(&out, 12);
    assert_int_equal(sg_buf_append_str(&out, "12345678"), SG_OK);
    assert_int_equal(sg_template_render("Hi {{first_name}}", lookup, &r, &out, &err),
                     SG_ERR_TOO_LARGE);
    assert_string_equal(sg_buf_cstr(&out), "12345678");
    assert_int_equal(sg_template_render("{{first_name}}", lookup, &r, &out, &err), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "12345678Ann");
    sg_buf_free(&out);

    /* A huge output: a long value repeated far past the bound. */
    char *big = malloc(100001);
    assert_non_null(big);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    const char *const huge[] = {"first_name", big, NULL};
    r = (recipient){.pairs = huge};
    char tpl_many[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(tpl_many, "{{first_name}} ");
    sg_buf_init(&out, 6400);
    assert_int_equal(sg_template_render(tpl_many, lookup, &r, &out, &err), SG_ERR_TOO_LARGE);
    assert_string_equal(err.code, "too_large");
    assert_int_equal(err.offset, 0);
    assert_int_equal(out.len, 0);
    assert_true(out.cap <= out.max + 1);
    /* A literal longer than the maximum, with no field at all. */
    assert_int_equal(sg_template_render(big, lookup, &r, &out, &err), SG_ERR_TOO_LARGE);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.field, "");
    sg_buf_free(&out);
    free(big);

    /* A missing field after the output overflowed: the first problem is reported. */
    r = (recipient){.pairs = ann};
    sg_buf_init(&out, 4);
    assert_int_equal(sg_template_render("Hello {{attributes.none}}", lookup, &r, &out, &err),
                     SG_ERR_TOO_LARGE);
    sg_buf_free(&out);
}

/* Appends after what out holds, and err is cleared on success. */
static void test_appends_and_clears(void **state)
{
    (void)state;
    recipient r = {.pairs = ann};
    sg_buf out;
    sg_tpl_error err;
    sg_buf_init(&out, 100);
    assert_int_equal(sg_buf_append_str(&out, "1: "), SG_OK);
    assert_int_equal(sg_template_render("{{no-pe}}", lookup, &r, &out, &err), SG_ERR_INVALID);
    assert_int_equal(sg_template_render("Hi {{first_name}}", lookup, &r, &out, &err), SG_OK);
    assert_string_equal(err.code, "");
    assert_string_equal(err.field, "");
    assert_int_equal(err.offset, 0);
    assert_int_equal(sg_template_render("; Hi {{last_name}}", lookup, &r, &out, NULL), SG_OK);
    assert_string_equal(sg_buf_cstr(&out), "1: Hi Ann; Hi Lee");
    assert_int_equal(sg_template_render("{{no-pe}}", lookup, &r, &out, NULL), SG_ERR_INVALID);
    assert_int_equal(sg_template_check("{{no-pe}}", NULL), SG_ERR_INVALID);
    sg_buf_free(&out);
}

typedef struct seen {
    char names[8][SG_TPL_NAME_MAX + 1];
    bool has_default[8];
    size_t n;
} seen;

static void collect(void *user, const char *name, bool has_default)
{
    seen *s = user;
    assert_true(s->n < 8);
    strcpy(s->names[s->n], name);
    s->has_default[s->n++] = has_default;
}

static void test_fields_listed(void **state)
{
    (void)state;
    seen s = {0};
    sg_tpl_error err;
    assert_int_equal(sg_template_fields("Hi {{ first_name|there }}, {{attributes.city}} "
                                        "{{first_name}}{{phone|}}",
                                        collect, &s, &err),
                     SG_OK);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.names[0], "first_name");
    assert_true(s.has_default[0]);
    assert_string_equal(s.names[1], "attributes.city");
    assert_false(s.has_default[1]);
    assert_string_equal(s.names[2], "first_name");
    assert_false(s.has_default[2]);
    assert_string_equal(s.names[3], "phone");
    assert_true(s.has_default[3]);

    s = (seen){0};
    assert_int_equal(sg_template_fields("{{phone}} {{b-ad}} {{last_name}}", collect, &s, &err),
                     SG_ERR_INVALID);
    assert_string_equal(err.code, "unknown_field");
    assert_int_equal(s.n, 1);
    assert_int_equal(sg_template_fields("{{phone}}", NULL, NULL, NULL), SG_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_spaces_inside_braces),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_empty_default),
        cmocka_unit_test(test_missing_field),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_bare_attribute),
        cmocka_unit_test(test_attribute_keys),
        cmocka_unit_test(test_syntax_errors),
        cmocka_unit_test(test_template_error_beats_missing),
        cmocka_unit_test(test_values_verbatim),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_appends_and_clears),
        cmocka_unit_test(test_fields_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
