/* The provider error-code catalogue (core/errcodes.h, providers.md A.4, A.11, B.1-B.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/errors.h"

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
    size_t n, n_twilio = 0;
    n = sg_errcodes_count();
    for (size_t i = 0; i < n; i++)
        n_twilio += strcmp(sg_errcode_at(i)->provider, "twilio") == 0;
    assert_int_equal(n_twilio, nt + np); /* no Twilio code that is not listed here */
}

/* Clickatell (providers.md B.1-B.3): the legacy ERR codes, the message statuses
 * and the Platform / One API codes, with their classes. */
static void test_clickatell_classes(void **state)
{
    const char *temporary[] = {"003",        "130",        "901",        "status-001",
                               "status-002", "status-003", "status-007", "status-008",
                               "status-010", "status-011", "status-014", "platform-19",
                               "platform-43"};
    const char *permanent[] = {
        "001",         "002",          "004",          "005",          "007",         "101",
        "102",         "103",          "104",          "105",          "106",         "107",
        "108",         "109",          "110",          "111",          "112",         "113",
        "114",         "115",          "116",          "120",          "121",         "122",
        "123",         "128",          "201",          "202",          "301",         "302",
        "status-004",  "status-005",   "status-006",   "status-009",   "status-012",  "platform-1",
        "platform-2",  "platform-3",   "platform-7",   "platform-18",  "platform-20", "platform-21",
        "platform-22", "platform-23",  "platform-24",  "platform-25",  "platform-26", "platform-27",
        "platform-28", "platform-30",  "platform-31",  "platform-32",  "platform-33", "platform-38",
        "platform-39", "platform-40",  "platform-41",  "platform-42",  "platform-44", "platform-45",
        "platform-46", "platform-100", "platform-101", "platform-110", "platform-111"};
    size_t nt = sizeof temporary / sizeof temporary[0];
    size_t np = sizeof permanent / sizeof permanent[0];
    for (size_t i = 0; i < nt; i++) {
        const sg_errcode *c = sg_errcode_find("clickatell", temporary[i]);
        if (!c)
            fail_msg("clickatell %s missing", temporary[i]);
        if (c->cls != SG_ERRCLASS_TEMPORARY)
            fail_msg("clickatell %s should be temporary", temporary[i]);
    }
    for (size_t i = 0; i < np; i++) {
        const sg_errcode *c = sg_errcode_find("clickatell", permanent[i]);
        if (!c)
            fail_msg("clickatell %s missing", permanent[i]);
        if (c->cls != SG_ERRCLASS_PERMANENT)
            fail_msg("clickatell %s should be permanent", permanent[i]);
    }
    size_t n, n_clickatell = 0;
    n = sg_errcodes_count();
    for (size_t i = 0; i < n; i++)
        n_clickatell += strcmp(sg_errcode_at(i)->provider, "clickatell") == 0;
    assert_int_equal(n_clickatell, nt + np);

    const sg_errcode *c = sg_errcode_find("clickatell", "114");
    assert_non_null(c);
    assert_string_equal(c->title, "Cannot route message");
    /* the families do not mix: a status is not an ERR code, nor a Platform code */
    assert_string_equal(sg_errcode_find("clickatell", "007")->title, "IP lockdown violation");
    assert_string_equal(sg_errcode_find("clickatell", "status-007")->title,
                        "Error delivering message");
    assert_string_equal(sg_errcode_find("clickatell", "101")->title,
                        "Invalid or missing parameters");
    assert_string_equal(sg_errcode_find("clickatell", "platform-101")->title,
                        "Destination does not support two-way messaging");
    assert_null(sg_errcode_find("clickatell", "7"));
    assert_null(sg_errcode_find("clickatell", "status-013"));
    assert_null(sg_errcode_find("twilio", "001"));
}

static void test_table_well_formed(void **state)
{
    size_t n = 0;
    n = sg_errcodes_count();
    assert_non_null(sg_errcode_at(0));
    assert_null(sg_errcode_at(n));
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        const sg_errcode *c = sg_errcode_at(i);
        assert_non_null(c->provider);
        assert_true(strlen(c->provider) > 0);
        assert_non_null(c->code);
        assert_true(strlen(c->code) > 0);
        if (strcmp(c->provider, "smsgate") == 0) {
            /* smsgate's own: snake_case, fits sg_message.error_code */
            if (strspn(c->code, "abcdefghijklmnopqrstuvwxyz_") != strlen(c->code) ||
                strlen(c->code) >= 32)
                fail_msg("smsgate code '%s' is not snake_case of at most 31 bytes", c->code);
        } else {
            /* digits, after a lower-case family prefix for Clickatell ("status-005") */
            const char *digits = strchr(c->code, '-') ? strchr(c->code, '-') + 1 : c->code;
            assert_true(strlen(digits) > 0);
            assert_true(strspn(digits, "0123456789") == strlen(digits));
            assert_true(strspn(c->code, "abcdefghijklmnopqrstuvwxyz") ==
                        (size_t)(digits - c->code) - (digits > c->code));
            assert_true(strlen(c->code) < 16); /* fits sg_prov_result.error_code */
        }
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
            if (strcmp(sg_errcode_at(j)->provider, c->provider) == 0 &&
                strcmp(sg_errcode_at(j)->code, c->code) == 0)
                fail_msg("duplicate %s %s", c->provider, c->code);
        }
    }
}

/* smsgate's own codes for a message it gave up on (core/backoff.h) are in the
 * catalogue, so GET /v1/error-codes and the failure breakdowns explain them. */
static void test_smsgate_codes(void **state)
{
    const sg_errcode *c = sg_errcode_find("smsgate", "retry_budget_exhausted");
    assert_non_null(c);
    assert_int_equal(c->cls, SG_ERRCLASS_TEMPORARY);
    c = sg_errcode_find("smsgate", "expired");
    assert_non_null(c);
    assert_int_equal(c->cls, SG_ERRCLASS_PERMANENT);
    assert_string_equal(sg_errcode_describe("expired"), "Validity period ran out");
    assert_string_equal(sg_errcode_describe("retry_budget_exhausted"), "Retry budget exhausted");
    assert_null(sg_errcode_find("twilio", "expired"));
}

static void test_class_names(void **state)
{
    assert_string_equal(sg_errclass_name(SG_ERRCLASS_PERMANENT), "permanent");
    assert_string_equal(sg_errclass_name(SG_ERRCLASS_TEMPORARY), "temporary");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_classes),
        cmocka_unit_test(test_clickatell_classes),
        cmocka_unit_test(test_table_well_formed),
        cmocka_unit_test(test_class_names),
        cmocka_unit_test(test_smsgate_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
