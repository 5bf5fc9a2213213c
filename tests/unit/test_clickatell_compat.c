/* The wire format of the Clickatell-compatible surface (compat/clickatell_wire.h):
 * apiKey as CiviCRM sends it, text in UTF-8 / Latin-1 / UCS-2 hex, recipient
 * lists, concat, refusal and status codes, apiMsgIds both ways and the platform's
 * JSON send request. Each table row names itself in a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compat/clickatell_wire.h"
#include "core/status.h"
#include "util/crypto.h"
#include "util/id.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    (void)state;
    return sg_crypto_init() == SG_OK ? 0 : -1;
}

static void api_key_trailing_equals(void **state)
{
    (void)state;
    static const struct {
        const char *raw, *want; /* want NULL: refused */
    } rows[] = {
        {"0123abcd==", "0123abcd"},  {"0123abcd", "0123abcd"}, {" 0123abcd= ", "0123abcd"},
        {"==", NULL},                {"", NULL},               {NULL, NULL},
        {"a=b==", "a=b"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char out[SG_CKC_API_KEY_MAX];
        bool ok = sg_ckc_api_key(rows[i].raw, out, sizeof out);
        if (ok != (rows[i].want != NULL) || (ok && strcmp(out, rows[i].want) != 0))
            fail_msg("row %zu '%s': ok %d '%s'", i, rows[i].raw ? rows[i].raw : "(null)", ok,
                     ok ? out : "");
    }
    char small[4];
    assert_false(sg_ckc_api_key("abcd", small, sizeof small));
}

static void text_charsets(void **state)
{
    (void)state;
    static const struct {
        const char *raw;
        bool unicode;
        const char *want; /* NULL: refused as bad */
    } rows[] = {
        {"Caf\xe9 cr\xe8me", false, "Caf\xc3\xa9 cr\xc3\xa8me"}, /* Latin-1 */
        {"Caf\xc3\xa9", false, "Caf\xc3\xa9"},                   /* valid UTF-8 kept */
        {"plain", false, "plain"},
        {"041F04400438", true, "\xd0\x9f\xd1\x80\xd0\xb8"},      /* UCS-2 hex */
        {"d83dde00", true, "\xf0\x9f\x98\x80"},                  /* a surrogate pair */
        {"04", true, NULL},
        {"zz41", true, NULL},
        {"d83d", true, NULL}, /* a lone surrogate */
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        bool bad = false;
        char *got = sg_ckc_text(rows[i].raw, strlen(rows[i].raw), rows[i].unicode, &bad);
        if ((got == NULL) != (rows[i].want == NULL) || (got && strcmp(got, rows[i].want) != 0) ||
            (!got && !bad))
            fail_msg("row %zu '%s': got '%s' bad %d", i, rows[i].raw, got ? got : "(null)", bad);
        free(got);
    }
    bool bad = false;
    assert_null(sg_ckc_text("a\0b", 3, false, &bad));
    assert_true(bad);
    /* only len bytes are read: the input need not end in NUL (found by fuzzing) */
    char *t = sg_ckc_text("0041zz", 4, true, &bad);
    assert_non_null(t);
    assert_string_equal(t, "A");
    free(t);
    t = sg_ckc_text("Caf\xe9zz", 4, false, &bad);
    assert_non_null(t);
    assert_string_equal(t, "Caf\xc3\xa9");
    free(t);
}

static void recipients(void **state)
{
    (void)state;
    sg_ckc_rcpt r[3];
    assert_int_equal(sg_ckc_recipients("447400123456, +447400123457,00447400123458", r, 3), 3);
    assert_string_equal(r[0].to, "+447400123456");
    assert_string_equal(r[0].raw, "447400123456");
    assert_string_equal(r[1].to, "+447400123457");
    assert_string_equal(r[1].raw, "+447400123457");
    assert_string_equal(r[2].to, "+447400123458");
    assert_int_equal(sg_ckc_recipients("1,2,3,4", r, 3), 4); /* more than room */
    assert_int_equal(sg_ckc_recipients(" , ,", r, 3), 0);
    assert_int_equal(sg_ckc_recipients(NULL, r, 3), 0);
    assert_int_equal(sg_ckc_recipients("+44 7400 123456,2783abc", r, 3), 2);
    assert_string_equal(r[0].to, "+44 7400 123456"); /* smsgate's own check reads it */
    assert_string_equal(r[1].to, "2783abc");
    assert_string_equal(r[1].raw, "2783abc");
    char longer[200];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_int_equal(sg_ckc_recipients(longer, r, 3), 1);
    assert_true(strlen(r[0].raw) < sizeof r[0].raw && strlen(r[0].to) < sizeof r[0].to);
}

static void concat_values(void **state)
{
    (void)state;
    assert_int_equal(sg_ckc_concat(NULL), 0);
    assert_int_equal(sg_ckc_concat(""), 0);
    assert_int_equal(sg_ckc_concat("3"), 3);
    assert_int_equal(sg_ckc_concat("0"), -1);
    assert_int_equal(sg_ckc_concat("100"), -1);
    assert_int_equal(sg_ckc_concat("2x"), -1);
    assert_int_equal(sg_ckc_concat("-1"), -1);
}

static void refusal_codes(void **state)
{
    (void)state;
    static const struct {
        const char *problem, *field;
        int legacy, platform;
    } rows[] = {
        {"invalid_phone", "to", 105, 25},       {"not_mobile", "to", 105, 25},
        {"opted_out", "to", 122, 26},           {"invalid_body", "body", 107, 23},
        {"body_too_long", "body", 113, 24},     {"invalid_request", "from", 123, 23},
        {"invalid_request", "send_at", 101, 23}, {"daily_quota_exceeded", NULL, 130, 43},
        {"no_default_provider", "provider", 114, 27}, {"something_new", NULL, 101, 23},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int l = sg_ckc_legacy_error_of(rows[i].problem, rows[i].field);
        int p = sg_ckc_platform_error_of(rows[i].problem, rows[i].field);
        if (l != rows[i].legacy || p != rows[i].platform)
            fail_msg("%s/%s: legacy %d platform %d", rows[i].problem,
                     rows[i].field ? rows[i].field : "-", l, p);
    }
    assert_string_equal(sg_ckc_error_text(1), "Authentication failed");
    assert_string_equal(sg_ckc_error_text(105), "Invalid destination address");
    assert_string_equal(sg_ckc_error_text(4242), "Internal error");
}

static void status_codes(void **state)
{
    (void)state;
    assert_int_equal(sg_ckc_status_code(SG_STATUS_QUEUED), 2);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_SCHEDULED), 11);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_SENT), 3);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_DELIVERED), 4);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_UNDELIVERED), 7);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_FAILED), 7);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_CANCELED), 6);
    assert_int_equal(sg_ckc_status_code(SG_STATUS_RECEIVED), 1);
}

static void api_msg_ids_both_ways(void **state)
{
    (void)state;
    for (int i = 0; i < 200; i++) {
        char id[SG_ID_MAX], api[SG_CKC_API_MSG_ID_MAX], back[SG_ID_MAX];
        sg_id_new("msg", sg_time_now_ms() + i, id);
        assert_true(sg_ckc_api_msg_id(id, api));
        assert_int_equal(strlen(api), 32);
        assert_true(sg_ckc_message_id(api, back));
        assert_string_equal(back, id);
    }
    char back[SG_ID_MAX];
    assert_false(sg_ckc_message_id("abc", back));
    assert_false(sg_ckc_message_id("0000000000000000000000000000000g", back));
    assert_false(sg_ckc_message_id(NULL, back));
}

static void message_request(void **state)
{
    (void)state;
    sg_ckc_rcpt r;
    assert_int_equal(sg_ckc_recipients("447400123456", &r, 1), 1);
    json_t *o = sg_ckc_message_request(&r, "hi", "+447700900123", "abc");
    assert_string_equal(json_string_value(json_object_get(o, "to")), "+447400123456");
    assert_string_equal(json_string_value(json_object_get(o, "body")), "hi");
    assert_string_equal(json_string_value(json_object_get(o, "from")), "+447700900123");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "metadata"), "climsgid")), "abc");
    json_decref(o);
    o = sg_ckc_message_request(&r, "hi", "", NULL);
    assert_null(json_object_get(o, "from"));
    assert_null(json_object_get(o, "metadata"));
    json_decref(o);
}

static void platform_requests(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        int code;      /* 0: read */
        size_t n_rcpt; /* when read */
    } rows[] = {
        {"{\"content\":\"hi\",\"to\":[\"447400123456\",\"447400123457\"]}", 0, 2},
        {"{\"content\":\"hi\",\"to\":\"447400123456\",\"from\":\"x\"}", 0, 1},
        {"{", 21, 0},
        {"[]", 21, 0},
        {"{\"to\":[\"1\"]}", 23, 0},
        {"{\"content\":\"\",\"to\":[\"1\"]}", 23, 0},
        {"{\"content\":\"hi\",\"to\":[]}", 23, 0},
        {"{\"content\":\"hi\",\"to\":[1]}", 23, 0},
        {"{\"content\":\"hi\",\"to\":[\"\"]}", 23, 0},
        {"{\"content\":\"hi\",\"to\":[\"1,2\"]}", 23, 0},
        {"{\"content\":\"a\",\"content\":\"b\",\"to\":[\"1\"]}", 21, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        sg_ckc_platform_req r;
        int code = 0;
        char why[96] = "";
        bool ok = sg_ckc_platform_parse(rows[i].body, strlen(rows[i].body), &r, &code, why,
                                        sizeof why);
        if (ok != (rows[i].code == 0) || (!ok && (code != rows[i].code || !why[0])) ||
            (ok && r.n_rcpt != rows[i].n_rcpt))
            fail_msg("row %zu %s: ok %d code %d n %zu", i, rows[i].body, ok, code, r.n_rcpt);
        sg_ckc_platform_free(&r);
    }
    /* more than 100 recipients: 22 */
    char big[4096] = "{\"content\":\"x\",\"to\":[";
    for (int i = 0; i < 101; i++)
        strcat(big, i ? ",\"1\"" : "\"1\"");
    strcat(big, "]}");
    sg_ckc_platform_req r;
    int code = 0;
    char why[96];
    assert_false(sg_ckc_platform_parse(big, strlen(big), &r, &code, why, sizeof why));
    assert_int_equal(code, 22);
    sg_ckc_platform_free(&r);
}

static void callback_levels(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int dflt, want;
    } rows[] = {
        {NULL, 0, 0}, {"", 7, 7}, {"0", 7, 0}, {"3", 0, 3}, {"7", 0, 7},
        {"8", 0, -1}, {"-1", 0, -1}, {"33", 0, -1}, {"3 ", 0, -1}, {"x", 0, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int got = sg_ckc_callback_level(rows[i].s, rows[i].dflt);
        if (got != rows[i].want)
            fail_msg("row %zu '%s': %d, want %d", i, rows[i].s ? rows[i].s : "(null)", got,
                     rows[i].want);
    }
}

/* Which report each status gives at each level (providers.md B.1's table:
 * 1 intermediate, 2 final, 4 errors). */
static void report_statuses(void **state)
{
    (void)state;
    static const struct {
        sg_status st;
        const char *error_code;
        int level, want;
    } rows[] = {
        {SG_STATUS_SENT, NULL, 1, 3},           {SG_STATUS_SENT, NULL, 2, 0},
        {SG_STATUS_SENT, NULL, 7, 3},           {SG_STATUS_DELIVERED, NULL, 1, 0},
        {SG_STATUS_DELIVERED, NULL, 2, 4},      {SG_STATUS_DELIVERED, NULL, 4, 0},
        {SG_STATUS_FAILED, "30003", 4, 7},      {SG_STATUS_FAILED, "30003", 2, 7},
        {SG_STATUS_FAILED, "30003", 1, 0},      {SG_STATUS_UNDELIVERED, "expired", 4, 10},
        {SG_STATUS_FAILED, "expired", 6, 10},   {SG_STATUS_CANCELED, NULL, 2, 6},
        {SG_STATUS_CANCELED, NULL, 4, 0},       {SG_STATUS_QUEUED, NULL, 7, 0},
        {SG_STATUS_SENDING, NULL, 7, 0},        {SG_STATUS_SCHEDULED, NULL, 7, 0},
        {SG_STATUS_DELIVERED, NULL, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int got = sg_ckc_report_status(rows[i].st, rows[i].error_code, rows[i].level);
        if (got != rows[i].want)
            fail_msg("row %zu (%s, %s, level %d): %03d, want %03d", i, sg_status_name(rows[i].st),
                     rows[i].error_code ? rows[i].error_code : "-", rows[i].level, got,
                     rows[i].want);
    }
}

/* The exact bodies, in Clickatell's order, numbers without '+'. */
static void report_and_mo_forms(void **state)
{
    (void)state;
    sg_buf b;
    sg_buf_init(&b, 4096);
    sg_ckc_report r = {.api_id = "1234567", .api_msg_id = "0123456789abcdef0123456789abcdef",
                       .cli_msg_id = "my id&1", .to = "+447400123456", .from = "SMSGATE",
                       .at_ms = 1764700000123, .status = 4};
    assert_int_equal(sg_ckc_report_form(&r, &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b),
                        "api_id=1234567&apiMsgId=0123456789abcdef0123456789abcdef&"
                        "cliMsgId=my%20id%261&to=447400123456&timestamp=1764700000&"
                        "from=SMSGATE&status=004&charge=0");
    sg_buf_reset(&b);
    /* 1764700000 s is 2025-12-02 18:26:40 UTC */
    sg_ckc_mo mo = {.api_id = "1234567", .mo_msg_id = "fedcba9876543210fedcba9876543210",
                    .from = "+447400123456", .to = "+447700900123", .text = "Oui, café",
                    .at_ms = 1764700000999};
    assert_int_equal(sg_ckc_mo_form(&mo, &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b),
                        "api_id=1234567&moMsgId=fedcba9876543210fedcba9876543210&"
                        "from=447400123456&to=447700900123&timestamp=2025-12-02%2018%3A26%3A40&"
                        "text=Oui%2C%20caf%C3%A9&charset=UTF-8");
    assert_null(strstr(sg_buf_cstr(&b), "status="));
    sg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(api_key_trailing_equals), cmocka_unit_test(text_charsets),
        cmocka_unit_test(recipients),              cmocka_unit_test(concat_values),
        cmocka_unit_test(refusal_codes),           cmocka_unit_test(status_codes),
        cmocka_unit_test(api_msg_ids_both_ways),   cmocka_unit_test(message_request),
        cmocka_unit_test(platform_requests),       cmocka_unit_test(callback_levels),
        cmocka_unit_test(report_statuses),         cmocka_unit_test(report_and_mo_forms),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
