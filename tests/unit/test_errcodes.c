/* The provider error-code catalogue (core/errcodes.h, providers.md A.4, A.11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/errcodes.h"

#include <string.h>

static void test_lookup(void **state)
{
    const sg_errcode *c = sg_errcode_find("twilio", "30003");
    assert_non_null(c);
    assert_string_equal(c->provider, "twilio");
    assert_string_equal(c->code, "30003");
    assert_string_equal(c->title, "Unreachable destination handset");
    assert_int_equal(c->cls, SG_ERRCLASS_TEMPORARY);

    c = sg_errcode_find("twilio", "21610");
    assert_non_null(c);
    assert_string_equal(c->title, "Attempt to send to unsubscribed recipient");
    assert_int_equal(c->cls, SG_ERRCLASS_PERMANENT);

    c = sg_errcode_find("twilio", "20429");
    assert_non_null(c);
    assert_string_equal(c->title, "Too many requests");
}

static void test_unknown(void **state)
{
    assert_null(sg_errcode_find("twilio", "99999"));
    assert_null(sg_errcode_find("twilio", ""));
    assert_null(sg_errcode_find("twilio", "3000"));
    assert_null(sg_errcode_find("twilio", "300030"));
    assert_null(sg_errcode_find("twilio", " 30003"));
    assert_null(sg_errcode_find("clickatell", "30003"));
    assert_null(sg_errcode_find("Twilio", "30003"));
    assert_null(sg_errcode_find("", "30003"));
    assert_null(sg_errcode_find(NULL, "30003"));
    assert_null(sg_errcode_find("twilio", NULL));
}

/* Every code the brief lists is there, with the class it must have. */
static void test_classes(void **state)
{
    const char *temporary[] = {"30001", "30003", "30008", "20429", "21611"};
    const char *permanent[] = {"30002", "30004", "30005", "30006", "30007", "30009", "30010",
                               "30032", "30033", "30034", "21211", "21212", "21408", "21602",
                               "21603", "21604", "21606", "21608", "21610", "21612", "21614",
                               "21617", "21635", "20003", "20404"};
    size_t nt = sizeof temporary / sizeof temporary[0];
    size_t np = sizeof permanent / sizeof permanent[0];
    for (size_t i = 0; i < nt; i++) {
        const sg_errcode *c = sg_errcode_find("twilio", temporary[i]);
        if (!c)
            fail_msg("twilio %s missing", temporary[i]);
        if (c->cls != SG_ERRCLASS_TEMPORARY)
            fail_msg("twilio %s should be temporary", temporary[i]);
    }
    for (size_t i = 0; i < np; i++) {
        const sg_errcode *c = sg_errcode_find("twilio", permanent[i]);
        if (!c)
            fail_msg("twilio %s missing", permanent[i]);
        if (c->cls != SG_ERRCLASS_PERMANENT)
            fail_msg("twilio %s should be permanent", permanent[i]);
    }
    size_t n;
    sg_errcodes(&n);
    assert_int_equal(n, nt + np); /* nothing in the table that is not listed here */
}

static void test_table_well_formed(void **state)
{
    size_t n = 0;
    const sg_errcode *all = sg_errcodes(&n);
    assert_non_null(all);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        const sg_errcode *c = &all[i];
        assert_non_null(c->provider);
        assert_true(strlen(c->provider) > 0);
        assert_non_null(c->code);
        assert_true(strlen(c->code) > 0);
        assert_true(strspn(c->code, "0123456789") == strlen(c->code));
        assert_non_null(c->title);
        assert_true(strlen(c->title) > 0);
        assert_non_null(c->meaning);
        assert_true(strlen(c->meaning) > 0);
        assert_true(c->meaning[strlen(c->meaning) - 1] == '.'); /* whole sentences */
        assert_null(strstr(c->meaning, "nconfirmed"));
        assert_null(strstr(c->title, "nconfirmed"));
        assert_true(c->cls == SG_ERRCLASS_PERMANENT || c->cls == SG_ERRCLASS_TEMPORARY);
        /* find returns this very entry, and no other has the same (provider, code) */
        assert_ptr_equal(sg_errcode_find(c->provider, c->code), c);
        for (size_t j = i + 1; j < n; j++) {
            if (strcmp(all[j].provider, c->provider) == 0 && strcmp(all[j].code, c->code) == 0)
                fail_msg("duplicate %s %s", c->provider, c->code);
        }
    }
}

static void test_class_names(void **state)
{
    assert_string_equal(sg_errclass_name(SG_ERRCLASS_PERMANENT), "permanent");
    assert_string_equal(sg_errclass_name(SG_ERRCLASS_TEMPORARY), "temporary");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),      cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_classes),     cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_class_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
