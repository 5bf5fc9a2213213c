/* The console's file serving rules (api/console.h): which If-None-Match
 * answers 304, which /console/ paths are files (404 when absent) rather than
 * the app's own routes (index.html), and the embedded table itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api/console.h"

#include <stdio.h>
#include <string.h>

#define TAG "\"0123456789abcdef01234567\""

static void test_etag_matches(void **state)
{
    static const struct {
        const char *header;
        bool want;
        const char *why;
    } rows[] = {
        {TAG, true, "the same tag"},
        {"W/" TAG, true, "a weak copy of it (If-None-Match compares weakly)"},
        {"\"x\", " TAG, true, "second of a list"},
        {"\"x\",\t" TAG " , \"y\"", true, "tabs and spaces around list items"},
        {"*", true, "any current representation"},
        {" * ", true, "star with spaces"},
        {NULL, false, "no header"},
        {"", false, "an empty header"},
        {"\"0123456789abcdef0123456\"", false, "one character short"},
        {"\"0123456789abcdef01234567\"x", false, "trailing garbage"},
        {"0123456789abcdef01234567", false, "unquoted"},
        {"\"x\", \"y\"", false, "a list without it"},
        {",,,", false, "empty list items"},
        {"W/", false, "a bare weak prefix"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (sg_console_etag_matches(rows[i].header, TAG) != rows[i].want)
            fail_msg("row %zu (%s): If-None-Match %s%s%s should %smatch", i, rows[i].why,
                     rows[i].header ? "'" : "", rows[i].header ? rows[i].header : "(none)",
                     rows[i].header ? "'" : "", rows[i].want ? "" : "not ");
    }
}

static void test_is_file_path(void **state)
{
    static const struct {
        const char *rel;
        bool want;
        const char *why;
    } rows[] = {
        {"", false, "/console/: the app"},
        {"error-codes", false, "a page"},
        {"messages/msg_01abc", false, "a page with an id"},
        {"assets/index-Ab12.js", true, "a built asset"},
        {"assets/nothing", true, "anything under assets/ is a file"},
        {"favicon.svg", true, "a file at the top"},
        {"x/y.png", true, "a dotted last segment"},
        {"v1.2/page", false, "a dot before the last segment only"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (sg_console_is_file_path(rows[i].rel) != rows[i].want)
            fail_msg("row %zu (%s): '%s' should %sbe a file path", i, rows[i].why, rows[i].rel,
                     rows[i].want ? "" : "not ");
    }
}

/* The embedded build (when there is one: `make build` builds it first). */
static void test_embedded_table(void **state)
{
    if (sg_console_n_assets == 0) {
        printf("console not built: only the empty table is checked\n");
        assert_null(sg_console_find(""));
        return;
    }
    const sg_console_asset *index = sg_console_find("");
    assert_non_null(index);
    assert_ptr_equal(index, sg_console_find("index.html"));
    assert_string_equal(index->content_type, "text/html; charset=utf-8");
    assert_false(index->hashed);
    assert_null(sg_console_find("assets/no-such.js"));
    size_t js = 0, css = 0;
    for (size_t i = 0; i < sg_console_n_assets; i++) {
        const sg_console_asset *a = &sg_console_assets[i];
        assert_ptr_equal(sg_console_find(a->path), a);
        assert_int_equal(strlen(a->etag), 26);
        assert_int_equal(a->hashed, strncmp(a->path, "assets/", 7) == 0);
        js += strcmp(a->content_type, "text/javascript; charset=utf-8") == 0;
        css += strcmp(a->content_type, "text/css; charset=utf-8") == 0;
    }
    assert_true(js >= 1);
    assert_true(css >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_matches),
        cmocka_unit_test(test_is_file_path),
        cmocka_unit_test(test_embedded_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
