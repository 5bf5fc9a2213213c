/* Clickatell's callbacks (providers/clickatell_callbacks.h, providers.md
 * B.1-B.3): delivery reports and replies from recorded forms and JSON bodies
 * (tests/fixtures/clickatell/), every status code's mapping, the charset
 * conversions, and bad input refused with the field at fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/errors.h"
#include "providers/clickatell/callbacks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API_MSG "7b8c3a1f2e4d5c6b7a8f9e0d1c2b3a4f"
#define MSG_ID  "msg_01JD3Z4Q5R6S7T8V9W0XYZABCD"

/* The whole of tests/fixtures/clickatell/<name>, NUL-terminated; *len without the NUL. */
static char *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("SG_FIXTURES");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/clickatell/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open fixture %s", path);
    char *data = malloc(1 << 16);
    assert_non_null(data);
    size_t n = fread(data, 1, (1 << 16) - 1, f);
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

static void form_of(const char *text, sg_form *f)
{
    assert_int_equal(sg_form_parse(text, strlen(text), f), SG_OK);
}

static void form_fixture(const char *name, sg_form *f)
{
    size_t len;
    char *raw = fixture(name, &len);
    assert_int_equal(sg_form_parse(raw, len, f), SG_OK);
    free(raw);
}

static sg_err status_of(const char *text, sg_clickatell_status_cb *out, sg_error *e)
{
    sg_form f;
    form_of(text, &f);
    sg_error_clear(e);
    sg_err err = sg_clickatell_parse_status(&f, out, e);
    sg_form_free(&f);
    return err;
}

static sg_err inbound_of(const char *text, sg_clickatell_inbound *out, sg_error *e)
{
    sg_form f;
    form_of(text, &f);
    sg_error_clear(e);
    sg_err err = sg_clickatell_parse_inbound(&f, out, e);
    sg_form_free(&f);
    return err;
}

static sg_err pstatus_of(const char *json, sg_clickatell_status_cb *out, sg_error *e)
{
    sg_error_clear(e);
    return sg_clickatell_parse_platform_status(json, strlen(json), out, e);
}

static sg_err preply_of(const char *json, sg_clickatell_inbound *out, sg_error *e)
{
    sg_error_clear(e);
    return sg_clickatell_parse_platform_reply(json, strlen(json), out, e);
}

/* ---- legacy status ------------------------------------------------------------------ */

/* Every status code of providers.md B.1, and the ones that do not exist. */
static void test_status_codes(void **state)
{
    static const struct {
        const char *status;
        bool has_status;
        sg_status to;
        const char *error_code;
    } cases[] = {
        {"001", false, 0, ""},
        {"002", false, 0, ""},
        {"003", true, SG_STATUS_SENT, ""},
        {"004", true, SG_STATUS_DELIVERED, ""},
        {"005", true, SG_STATUS_FAILED, "status-005"},
        {"006", true, SG_STATUS_FAILED, "status-006"},
        {"007", true, SG_STATUS_UNDELIVERED, "status-007"},
        {"008", true, SG_STATUS_SENT, ""},
        {"009", true, SG_STATUS_FAILED, "status-009"},
        {"010", true, SG_STATUS_UNDELIVERED, "status-010"},
        {"011", false, 0, ""},
        {"012", true, SG_STATUS_FAILED, "status-012"},
        {"013", false, 0, ""},
        {"014", true, SG_STATUS_FAILED, "status-014"},
        {"015", false, 0, ""},
        {"000", false, 0, ""},
        {"999", false, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "apiMsgId=" API_MSG "&status=%s", cases[i].status);
        sg_clickatell_status_cb cb;
        sg_error e;
        assert_int_equal(status_of(text, &cb, &e), SG_OK);
        if (cb.has_status != cases[i].has_status)
            fail_msg("status %s: has_status %d", cases[i].status, cb.has_status);
        if (cb.has_status && cb.status != cases[i].to)
            fail_msg("status %s: %s", cases[i].status, sg_status_name(cb.status));
        assert_string_equal(cb.error_code, cases[i].error_code);
        assert_string_equal(cb.status_code, cases[i].status);
        assert_string_equal(cb.status_raw, cases[i].status);
        /* every code used as an error code is in the catalogue */
        if (cb.error_code[0])
            assert_non_null(sg_errcode_find("clickatell", cb.error_code));
        /* and every real status can be looked up */
        char key[16];
        snprintf(key, sizeof key, "status-%s", cases[i].status);
        bool real = strcmp(cases[i].status, "000") != 0 && strcmp(cases[i].status, "013") != 0 &&
                    strcmp(cases[i].status, "015") != 0 && strcmp(cases[i].status, "999") != 0;
        assert_int_equal(sg_errcode_find("clickatell", key) != NULL, real);
    }

    /* an unpadded code is padded */
    sg_clickatell_status_cb cb;
    sg_error e;
    assert_int_equal(status_of("apiMsgId=abc&status=4", &cb, &e), SG_OK);
    assert_string_equal(cb.status_code, "004");
    assert_int_equal(cb.status, SG_STATUS_DELIVERED);
    assert_int_equal(status_of("apiMsgId=abc&status=10", &cb, &e), SG_OK);
    assert_string_equal(cb.error_code, "status-010");
}

static void test_status_fixtures(void **state)
{
    sg_form f;
    sg_clickatell_status_cb cb;
    sg_error e;
    form_fixture("status_004.form", &f);
    assert_int_equal(sg_clickatell_parse_status(&f, &cb, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(cb.api_id, "3456789");
    assert_string_equal(cb.message_id, API_MSG);
    assert_string_equal(cb.client_message_id, MSG_ID);
    assert_true(cb.has_status);
    assert_int_equal(cb.status, SG_STATUS_DELIVERED);
    assert_string_equal(cb.error_code, "");
    assert_string_equal(cb.to, "27831234567");
    assert_string_equal(cb.from, "27820000000");
    assert_true(cb.timestamp_ms == 1745323200000LL);
    assert_string_equal(cb.charge, "0.800000");

    form_fixture("status_007.form", &f);
    assert_int_equal(sg_clickatell_parse_status(&f, &cb, &e), SG_OK);
    sg_form_free(&f);
    assert_int_equal(cb.status, SG_STATUS_UNDELIVERED);
    assert_string_equal(cb.error_code, "status-007");
    assert_string_equal(cb.from, "MyShop");
    assert_string_equal(cb.client_message_id, "msg_01JD3Z4Q5R6S7T8V9W0XYZABCE");

    /* GET with '+' for spaces, a POST body with %20: the same parser; unknown
     * parameters and empty optional ones are ignored */
    assert_int_equal(
        status_of("apiMsgId=abc&status=003&from=My+Shop&cliMsgId=&timestamp=&x=1", &cb, &e), SG_OK);
    assert_string_equal(cb.from, "My Shop");
    assert_string_equal(cb.client_message_id, "");
    assert_true(cb.timestamp_ms == 0);
    assert_int_equal(status_of("apiMsgId=abc&status=003&from=My%20Shop", &cb, &e), SG_OK);
    assert_string_equal(cb.from, "My Shop");
    /* a timestamp in milliseconds stays so */
    assert_int_equal(status_of("apiMsgId=abc&status=004&timestamp=1745323200123", &cb, &e), SG_OK);
    assert_true(cb.timestamp_ms == 1745323200123LL);
}

static void test_status_bad(void **state)
{
    static const struct {
        const char *form;
        const char *field;
    } cases[] = {
        {"status=004", "apiMsgId"},
        {"apiMsgId=&status=004", "apiMsgId"},
        {"apiMsgId=a+b&status=004", "apiMsgId"},
        {"apiMsgId=%3Cscript%3E&status=004", "apiMsgId"},
        {"apiMsgId=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&status=004",
         "apiMsgId"},
        {"apiMsgId=abc", "status"},
        {"apiMsgId=abc&status=", "status"},
        {"apiMsgId=abc&status=0004", "status"},
        {"apiMsgId=abc&status=4a", "status"},
        {"apiMsgId=abc&status=-4", "status"},
        {"apiMsgId=abc&status=004&cliMsgId=a%22b", "cliMsgId"},
        {"apiMsgId=abc&status=004&api_id=12-3", "api_id"},
        {"apiMsgId=abc&status=004&api_id=123456789012345678901234567890123", "api_id"},
        {"apiMsgId=abc&status=004&from=%3Cb%3E", "from"},
        {"apiMsgId=abc&status=004&to=123456789012345678901234567890123", "to"},
        {"apiMsgId=abc&status=004&to=+27831234567+", "to"},
        {"apiMsgId=abc&status=004&timestamp=yesterday", "timestamp"},
        {"apiMsgId=abc&status=004&timestamp=1234567890123456", "timestamp"},
        {"apiMsgId=abc&status=004&charge=1%2C5", "charge"},
        {"apiMsgId=abc&status=004&charge=1.2.3", "charge"},
        {"apiMsgId=abc&status=004&charge=-1", "charge"},
        {"apiMsgId=abc&status=004&charge=.5", "charge"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_clickatell_status_cb cb;
        sg_error e;
        if (status_of(cases[i].form, &cb, &e) != SG_ERR_INVALID)
            fail_msg("case %zu accepted: %s", i, cases[i].form);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        assert_non_null(strstr(e.message, cases[i].field));
    }
}

/* ---- platform status ---------------------------------------------------------------- */

static void test_platform_status(void **state)
{
    size_t len;
    char *json = fixture("platform_status.json", &len);
    sg_clickatell_status_cb cb;
    sg_error e;
    assert_int_equal(sg_clickatell_parse_platform_status(json, len, &cb, &e), SG_OK);
    free(json);
    assert_string_equal(cb.message_id, "77fb29998253415fa5d66971d519d362");
    assert_string_equal(cb.client_message_id, MSG_ID);
    assert_string_equal(cb.status_raw, "RECEIVED_BY_RECIPIENT");
    assert_string_equal(cb.status_code, "004");
    assert_true(cb.has_status);
    assert_int_equal(cb.status, SG_STATUS_DELIVERED);
    assert_string_equal(cb.error_code, "");
    assert_string_equal(cb.error_message, "Received by recipient");
    assert_string_equal(cb.to, "27831234567");
    assert_string_equal(cb.api_id, "");
    assert_true(cb.timestamp_ms == 1745323200000LL);

    json = fixture("oneapi_status.json", &len);
    assert_int_equal(sg_clickatell_parse_platform_status(json, len, &cb, &e), SG_OK);
    free(json);
    assert_string_equal(cb.message_id, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
    assert_string_equal(cb.client_message_id, MSG_ID);
    assert_string_equal(cb.status_raw, "DELIVERY_FAILURE");
    assert_int_equal(cb.status, SG_STATUS_UNDELIVERED);
    assert_string_equal(cb.error_code, "status-007");
    assert_true(cb.timestamp_ms == 1745323200000LL);
}

static void test_platform_status_names(void **state)
{
    static const struct {
        const char *json;
        bool has_status;
        sg_status to;
        const char *code;
        const char *error_code;
    } cases[] = {
        {"{\"messageId\":\"m\",\"status\":\"DELIVERED_TO_GATEWAY\"}", true, SG_STATUS_SENT, "003",
         ""},
        {"{\"messageId\":\"m\",\"status\":\"received_by_recipient\"}", true, SG_STATUS_DELIVERED,
         "004", ""},
        {"{\"messageId\":\"m\",\"status\":\"DEVICE_ACK\"}", true, SG_STATUS_DELIVERED, "004", ""},
        {"{\"messageId\":\"m\",\"status\":\"READ\"}", true, SG_STATUS_DELIVERED, "", ""},
        {"{\"messageId\":\"m\",\"status\":\"SENT_TO_SUPPLIER\"}", true, SG_STATUS_SENT, "003", ""},
        {"{\"messageId\":\"m\",\"status\":\"QUEUED\"}", false, 0, "002", ""},
        {"{\"messageId\":\"m\",\"status\":\"SCHEDULED\"}", false, 0, "011", ""},
        {"{\"messageId\":\"m\",\"status\":\"UNKNOWN\"}", false, 0, "001", ""},
        {"{\"messageId\":\"m\",\"status\":\"EXPIRED\"}", true, SG_STATUS_UNDELIVERED, "010",
         "status-010"},
        {"{\"messageId\":\"m\",\"status\":\"ERROR_DELIVERING_MESSAGE\"}", true,
         SG_STATUS_UNDELIVERED, "007", "status-007"},
        {"{\"messageId\":\"m\",\"status\":\"RECIPIENT_DOES_NOT_EXIST\"}", true,
         SG_STATUS_UNDELIVERED, "", ""},
        {"{\"messageId\":\"m\",\"status\":\"ROUTING_ERROR\"}", true, SG_STATUS_FAILED, "009",
         "status-009"},
        {"{\"messageId\":\"m\",\"status\":\"STOPPED_BY_USER\"}", true, SG_STATUS_FAILED, "006",
         "status-006"},
        {"{\"messageId\":\"m\",\"status\":\"INSUFFICIENT_ACCOUNT_BALANCE\"}", true,
         SG_STATUS_FAILED, "012", "status-012"},
        {"{\"messageId\":\"m\",\"status\":\"VOLUME_LIMIT_DAILY\"}", true, SG_STATUS_FAILED, "014",
         "status-014"},
        /* the number Clickatell sent is the error code */
        {"{\"messageId\":\"m\",\"status\":\"ERROR_WITH_MESSAGE\",\"statusCode\":\"5\"}", true,
         SG_STATUS_FAILED, "005", "status-005"},
        /* an unknown name: statusCode decides */
        {"{\"messageId\":\"m\",\"status\":\"SOMETHING_NEW\",\"statusCode\":9}", true,
         SG_STATUS_FAILED, "009", "status-009"},
        {"{\"messageId\":\"m\",\"status\":\"SOMETHING_NEW\"}", false, 0, "", ""},
        /* statusCode alone; a number as status */
        {"{\"messageId\":\"m\",\"statusCode\":4}", true, SG_STATUS_DELIVERED, "004", ""},
        {"{\"messageId\":\"m\",\"status\":7}", true, SG_STATUS_UNDELIVERED, "007", "status-007"},
        {"{\"messageId\":12345,\"status\":\"004\"}", true, SG_STATUS_DELIVERED, "004", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_clickatell_status_cb cb;
        sg_error e;
        if (pstatus_of(cases[i].json, &cb, &e) != SG_OK)
            fail_msg("case %zu refused: %s (%s)", i, cases[i].json, e.message);
        if (cb.has_status != cases[i].has_status)
            fail_msg("case %zu: has_status %d", i, cb.has_status);
        if (cb.has_status && cb.status != cases[i].to)
            fail_msg("case %zu: %s", i, sg_status_name(cb.status));
        if (strcmp(cb.status_code, cases[i].code) != 0)
            fail_msg("case %zu: status_code %s", i, cb.status_code);
        assert_string_equal(cb.error_code, cases[i].error_code);
    }

    /* timestamps: seconds, milliseconds, a string of digits, an ISO date (ignored) */
    sg_clickatell_status_cb cb;
    sg_error e;
    assert_int_equal(
        pstatus_of("{\"messageId\":\"m\",\"statusCode\":4,\"timestamp\":1745323200}", &cb, &e),
        SG_OK);
    assert_true(cb.timestamp_ms == 1745323200000LL);
    assert_int_equal(
        pstatus_of("{\"messageId\":\"m\",\"statusCode\":4,\"timestamp\":\"1745323200000\"}", &cb,
                   &e),
        SG_OK);
    assert_true(cb.timestamp_ms == 1745323200000LL);
    assert_int_equal(
        pstatus_of("{\"messageId\":\"m\",\"statusCode\":4,\"timestamp\":\"2025-04-22T12:00:00Z\"}",
                   &cb, &e),
        SG_OK);
    assert_true(cb.timestamp_ms == 0);

    /* as GET query parameters */
    sg_form f;
    form_of("messageId=77fb2999&clientMessageId=" MSG_ID
            "&status=RECEIVED_BY_RECIPIENT&statusCode=4&timestamp=1745323200000&to=27831234567",
            &f);
    assert_int_equal(sg_clickatell_parse_platform_status_form(&f, &cb, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(cb.message_id, "77fb2999");
    assert_int_equal(cb.status, SG_STATUS_DELIVERED);
    assert_true(cb.timestamp_ms == 1745323200000LL);
    form_of("status=RECEIVED_BY_RECIPIENT", &f);
    assert_int_equal(sg_clickatell_parse_platform_status_form(&f, &cb, &e), SG_ERR_INVALID);
    assert_string_equal(e.field, "messageId");
    sg_form_free(&f);
}

static void test_platform_status_bad(void **state)
{
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"", "body"},
        {"not json", "body"},
        {"[1]", "body"},
        {"\"x\"", "body"},
        {"{\"messageId\":\"m\",\"messageId\":\"n\",\"status\":\"QUEUED\"}", "body"},
        {"{\"status\":\"QUEUED\"}", "messageId"},
        {"{\"messageId\":\"\",\"status\":\"QUEUED\"}", "messageId"},
        {"{\"messageId\":{},\"status\":\"QUEUED\"}", "messageId"},
        {"{\"messageId\":\"a b\",\"status\":\"QUEUED\"}", "messageId"},
        {"{\"messageId\":\"m\"}", "status"},
        {"{\"messageId\":\"m\",\"status\":null}", "status"},
        {"{\"messageId\":\"m\",\"status\":[]}", "status"},
        {"{\"messageId\":\"m\",\"status\":\"A<B\"}", "status"},
        {"{\"messageId\":\"m\",\"status\":\"1234\"}", "status"},
        {"{\"messageId\":\"m\",\"status\":\"QUEUED\",\"statusCode\":\"x\"}", "statusCode"},
        {"{\"messageId\":\"m\",\"statusCode\":1000}", "statusCode"},
        {"{\"messageId\":\"m\",\"statusCode\":-1}", "statusCode"},
        {"{\"messageId\":\"m\",\"status\":\"QUEUED\",\"clientMessageId\":\"a/b\"}",
         "clientMessageId"},
        {"{\"messageId\":\"m\",\"status\":\"QUEUED\",\"to\":\"<x>\"}", "to"},
        {"{\"messageId\":\"m\",\"status\":\"QUEUED\",\"from\":true}", "from"},
        {"{\"event\":{}}", "event.messageStatusUpdate"},
        {"{\"event\":{\"messageStatusUpdate\":[]}}", "event.messageStatusUpdate"},
        {"{\"event\":{\"messageStatusUpdate\":[5]}}", "event.messageStatusUpdate"},
        {"{\"event\":{\"messageStatusUpdate\":[{\"status\":\"QUEUED\"}]}}", "messageId"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_clickatell_status_cb cb;
        sg_error e;
        if (pstatus_of(cases[i].json, &cb, &e) != SG_ERR_INVALID)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
    }
    /* bounded */
    char *big = malloc(70000);
    memset(big, ' ', 69999);
    memcpy(big, "{\"messageId\":\"m\",\"status\":\"QUEUED\"}", 35);
    big[69999] = '\0';
    sg_clickatell_status_cb cb;
    sg_error e;
    assert_int_equal(pstatus_of(big, &cb, &e), SG_ERR_TOO_LARGE);
    assert_string_equal(e.field, "body");
    free(big);
    /* a description too long is cut, not refused */
    char text[1200];
    int off = snprintf(text, sizeof text,
                       "{\"messageId\":\"m\",\"statusCode\":7,"
                       "\"statusDescription\":\"");
    memset(text + off, 'd', 600);
    snprintf(text + off + 600, sizeof text - (size_t)off - 600, "\"}");
    assert_int_equal(pstatus_of(text, &cb, &e), SG_OK);
    assert_int_equal(strlen(cb.error_message), sizeof cb.error_message - 1);
}

/* ---- charset conversion ------------------------------------------------------------- */

static void expect_utf8(const char *text, const char *charset, const char *want)
{
    char *out;
    sg_error e;
    sg_error_clear(&e);
    if (sg_clickatell_text_to_utf8(text, strlen(text), charset, &out, &e) != SG_OK)
        fail_msg("'%s' (%s) refused: %s", text, charset ? charset : "none", e.message);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' (%s) gave '%s', want '%s'", text, charset ? charset : "none", out, want);
    free(out);
}

/* text of len bytes (NUL bytes included) gives want. */
static void expect_utf8_n(const char *text, size_t len, const char *charset, const char *want)
{
    char *out;
    sg_error e;
    sg_error_clear(&e);
    if (sg_clickatell_text_to_utf8(text, len, charset, &out, &e) != SG_OK)
        fail_msg("'%s' (%zu bytes, %s) refused: %s", text, len, charset ? charset : "none",
                 e.message);
    if (strcmp(out, want) != 0)
        fail_msg("'%s' (%zu bytes, %s) gave '%s', want '%s'", text, len, charset ? charset : "none",
                 out, want);
    free(out);
}

static void expect_bad_text(const char *text, size_t len, const char *charset)
{
    char *out = (char *)1;
    sg_error e;
    sg_error_clear(&e);
    if (sg_clickatell_text_to_utf8(text, len, charset, &out, &e) != SG_ERR_INVALID)
        fail_msg("'%s' (%s) accepted", text, charset ? charset : "none");
    assert_string_equal(e.field, "text");
    assert_null(out);
}

static void test_charsets(void **state)
{
    /* ISO-8859-1: every byte is its code point */
    expect_utf8("Caf\xE9 \xE0 10h \xA3"
                "5 \xFF",
                "ISO-8859-1",
                "Caf\xC3\xA9 \xC3\xA0 10h \xC2\xA3"
                "5 \xC3\xBF");
    expect_utf8("\xE9t\xE9", "iso-8859-1", "\xC3\xA9t\xC3\xA9");
    expect_utf8("\xE9", "Latin1", "\xC3\xA9");
    /* even bytes that look like UTF-8 are Latin-1 when the charset says so */
    expect_utf8("\xC3\xA9", "ISO-8859-1", "\xC3\x83\xC2\xA9");
    /* UCS-2 / UTF-16BE as hex, upper or lower case, with a surrogate pair */
    expect_utf8("0048006900200041", "UTF-16BE", "Hi A");
    expect_utf8("041f04400438043204350442", "ucs-2",
                "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
    expect_utf8("D83DDE00", "UCS2", "\xF0\x9F\x98\x80");
    expect_utf8("20AC", "UTF-16", "\xE2\x82\xAC");
    expect_utf8("", "UTF-16BE", "");
    /* a lone surrogate becomes U+FFFD */
    expect_utf8("D83D", "UTF-16BE", "\xEF\xBF\xBD");
    expect_utf8("D83D0041", "UTF-16BE",
                "\xEF\xBF\xBD"
                "A");
    expect_utf8("DE000041", "UTF-16BE",
                "\xEF\xBF\xBD"
                "A");
    /* UTF-8 */
    expect_utf8("h\xC3\xA9llo \xF0\x9F\x98\x80", "UTF-8", "h\xC3\xA9llo \xF0\x9F\x98\x80");
    /* none or unknown: UTF-8 when valid, else ISO-8859-1 */
    expect_utf8("h\xC3\xA9llo", NULL, "h\xC3\xA9llo");
    expect_utf8("h\xC3\xA9llo", "", "h\xC3\xA9llo");
    expect_utf8("\xE9t\xE9", NULL, "\xC3\xA9t\xC3\xA9");
    expect_utf8("\xE9t\xE9", "GSM", "\xC3\xA9t\xC3\xA9");
    expect_utf8("plain", "windows-1252", "plain");
    /* overlong and surrogate UTF-8 is not UTF-8: read as Latin-1 */
    expect_utf8("\xC0\xAF", NULL, "\xC3\x80\xC2\xAF");
    expect_utf8("\xED\xA0\x80", NULL, "\xC3\xAD\xC2\xA0\xC2\x80");

    /* bad */
    expect_bad_text("004", 3, "UTF-16BE");
    expect_bad_text("00G1", 4, "UTF-16BE");
    expect_bad_text("Hi there", 8, "UCS-2");
    expect_bad_text("\xE9t\xE9", 3, "UTF-8");

    /* a NUL is kept as U+FFFD in every charset: the text is never cut short or
     * emptied (it was stored "" when the NUL came first) */
    expect_utf8_n("a\0b", 3, NULL,
                  "a\xEF\xBF\xBD"
                  "b");
    expect_utf8_n("\0hi", 3, "ISO-8859-1",
                  "\xEF\xBF\xBD"
                  "hi");
    expect_utf8_n("\xE9\0", 2, NULL, "\xC3\xA9\xEF\xBF\xBD"); /* not UTF-8: Latin-1 */
    expect_utf8_n("\0", 1, "UTF-8", "\xEF\xBF\xBD");
    expect_utf8("0000", "UTF-16BE", "\xEF\xBF\xBD");
    expect_utf8("00000041", "UCS-2",
                "\xEF\xBF\xBD"
                "A");

    /* bounded: 1600 characters pass, 1601 do not, whatever the charset */
    char *big = malloc(20000);
    memset(big, 'a', 1600);
    big[1600] = '\0';
    expect_utf8(big, NULL, big);
    big[1600] = 'a';
    big[1601] = '\0';
    expect_bad_text(big, 1601, NULL);
    expect_bad_text(big, 1601, "ISO-8859-1");
    for (int i = 0; i < 1601; i++)
        memcpy(big + i * 4, "0041", 4);
    big[1601 * 4] = '\0';
    expect_bad_text(big, 1601 * 4, "UTF-16BE");
    memset(big, 'a', 16385);
    expect_bad_text(big, 16385, NULL);
    free(big);
}

/* ---- legacy replies ----------------------------------------------------------------- */

static void test_inbound_fixtures(void **state)
{
    sg_form f;
    sg_clickatell_inbound in;
    sg_error e;
    form_fixture("mo_latin1.form", &f);
    assert_int_equal(sg_clickatell_parse_inbound(&f, &in, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(in.api_id, "3456789");
    assert_string_equal(in.message_id, "b2f2c0a7d5e64c1f9a3e8d7c6b5a4f30");
    assert_string_equal(in.from, "27831234567");
    assert_string_equal(in.to, "27820000000");
    assert_string_equal(in.from_e164, "+27831234567");
    assert_string_equal(in.to_e164, "+27820000000");
    assert_string_equal(in.timestamp, "2025-04-22 13:05:07");
    assert_true(in.timestamp_ms == 0);
    assert_string_equal(in.charset, "ISO-8859-1");
    assert_string_equal(in.udh, "");
    assert_string_equal(in.network, "12");
    assert_string_equal(in.text, "Caf\xC3\xA9 \xC3\xA0 10h? Oui !");
    sg_clickatell_inbound_free(&in);
    assert_null(in.text);

    form_fixture("mo_ucs2.form", &f);
    assert_int_equal(sg_clickatell_parse_inbound(&f, &in, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(in.charset, "UTF-16BE");
    assert_string_equal(in.text,
                        "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xF0\x9F\x98\x80");
    sg_clickatell_inbound_free(&in);

    form_fixture("mo_stop.form", &f);
    assert_int_equal(sg_clickatell_parse_inbound(&f, &in, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(in.text, "STOP");
    sg_clickatell_inbound_free(&in);

    /* no charset: UTF-8 stays, other bytes are Latin-1; no text is ""; a UDH and
     * a short code kept; a number as timestamp */
    assert_int_equal(inbound_of("moMsgId=abc&from=27831234567&to=31337&text=h%C3%A9llo", &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "h\xC3\xA9llo");
    assert_string_equal(in.to_e164, "");
    sg_clickatell_inbound_free(&in);
    assert_int_equal(inbound_of("moMsgId=abc&from=27831234567&to=31337&text=%E9t%E9", &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "\xC3\xA9t\xC3\xA9");
    sg_clickatell_inbound_free(&in);
    assert_int_equal(inbound_of("moMsgId=abc&from=%2B27831234567&to=27820000000&udh=050003A40201"
                                "&timestamp=1745323200",
                                &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "");
    assert_string_equal(in.udh, "050003A40201");
    assert_string_equal(in.from_e164, "+27831234567");
    assert_true(in.timestamp_ms == 1745323200000LL);
    sg_clickatell_inbound_free(&in);
}

static void test_inbound_bad(void **state)
{
    static const struct {
        const char *form;
        const char *field;
    } cases[] = {
        {"from=27831234567&to=27820000000&text=hi", "moMsgId"},
        {"moMsgId=&from=27831234567&to=27820000000", "moMsgId"},
        {"moMsgId=a%3Bb&from=27831234567&to=27820000000", "moMsgId"},
        {"moMsgId=abc&to=27820000000&text=hi", "from"},
        {"moMsgId=abc&from=27831234567&text=hi", "to"},
        {"moMsgId=abc&from=%3Cx%3E&to=27820000000", "from"},
        {"moMsgId=abc&from=27831234567&to=27820000000&api_id=x%20y", "api_id"},
        {"moMsgId=abc&from=27831234567&to=27820000000&udh=05000", "udh"},
        {"moMsgId=abc&from=27831234567&to=27820000000&udh=zz", "udh"},
        {"moMsgId=abc&from=27831234567&to=27820000000&timestamp=%3Cnow%3E", "timestamp"},
        {"moMsgId=abc&from=27831234567&to=27820000000&charset=UTF-16BE&text=hello", "text"},
        {"moMsgId=abc&from=27831234567&to=27820000000&charset=UTF-8&text=%E9", "text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_clickatell_inbound in;
        sg_error e;
        if (inbound_of(cases[i].form, &in, &e) != SG_ERR_INVALID)
            fail_msg("case %zu accepted: %s", i, cases[i].form);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        assert_null(in.text);
    }
}

/* ---- platform replies --------------------------------------------------------------- */

static void test_platform_reply(void **state)
{
    size_t len;
    char *json = fixture("platform_reply.json", &len);
    sg_clickatell_inbound in;
    sg_error e;
    assert_int_equal(sg_clickatell_parse_platform_reply(json, len, &in, &e), SG_OK);
    free(json);
    assert_string_equal(in.message_id, "9d8c7b6a5f4e3d2c1b0a99887766554f");
    assert_string_equal(in.related_message_id, "77fb29998253415fa5d66971d519d362");
    assert_string_equal(in.from, "27831234567");
    assert_string_equal(in.from_e164, "+27831234567");
    assert_string_equal(in.to, "27820000000");
    assert_string_equal(in.keyword, "YES");
    assert_string_equal(in.network, "Vodacom");
    assert_string_equal(in.charset, "UTF-8");
    assert_string_equal(in.timestamp, "1745323300000");
    assert_true(in.timestamp_ms == 1745323300000LL);
    assert_string_equal(in.text, "Yes, see you at 10h \xC3\xA0 la caf\xC3\xA9");
    sg_clickatell_inbound_free(&in);

    json = fixture("oneapi_reply.json", &len);
    assert_int_equal(sg_clickatell_parse_platform_reply(json, len, &in, &e), SG_OK);
    free(json);
    assert_string_equal(in.message_id, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_string_equal(in.related_message_id, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
    assert_string_equal(in.related_client_message_id, MSG_ID);
    assert_string_equal(in.from, "2799900001");
    assert_string_equal(in.from_e164, "+2799900001");
    assert_string_equal(in.to, "2799900002");
    assert_string_equal(in.network, "Cell C");
    assert_true(in.timestamp_ms == 1506607698000LL);
    assert_string_equal(in.text, "STOP");
    sg_clickatell_inbound_free(&in);

    /* UCS-2 declared and sent as hex is decoded; otherwise the JSON string is
     * the text, whatever the charset says */
    assert_int_equal(preply_of("{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\","
                               "\"charset\":\"UTF-16BE\",\"text\":\"00480069\"}",
                               &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "Hi");
    sg_clickatell_inbound_free(&in);
    assert_int_equal(preply_of("{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\","
                               "\"charset\":\"UCS-2\",\"text\":\"Hi \\u00e9\"}",
                               &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "Hi \xC3\xA9");
    sg_clickatell_inbound_free(&in);
    assert_int_equal(preply_of("{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\","
                               "\"charset\":\"ISO-8859-1\",\"text\":\"caf\\u00e9\","
                               "\"timestamp\":\"2025-04-22 13:05:07\"}",
                               &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "caf\xC3\xA9");
    assert_string_equal(in.timestamp, "2025-04-22 13:05:07");
    assert_string_equal(in.to, "");
    sg_clickatell_inbound_free(&in);
    /* a NUL is kept as U+FFFD (the text was refused) */
    assert_int_equal(preply_of("{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\","
                               "\"text\":\"\\u0000b\"}",
                               &in, &e),
                     SG_OK);
    assert_string_equal(in.text, "\xEF\xBF\xBD"
                                 "b");
    sg_clickatell_inbound_free(&in);

    /* as GET query parameters */
    sg_form f;
    form_of("messageId=77fb&replyMessageId=9d8c&fromNumber=27831234567&toNumber=27820000000"
            "&text=Yes+please&charset=UTF-8",
            &f);
    assert_int_equal(sg_clickatell_parse_platform_reply_form(&f, &in, &e), SG_OK);
    sg_form_free(&f);
    assert_string_equal(in.message_id, "9d8c");
    assert_string_equal(in.related_message_id, "77fb");
    assert_string_equal(in.text, "Yes please");
    sg_clickatell_inbound_free(&in);
}

static void test_platform_reply_bad(void **state)
{
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"", "body"},
        {"[]", "body"},
        {"{\"fromNumber\":\"27831234567\",\"text\":\"x\"}", "replyMessageId"},
        {"{\"messageId\":\"m\",\"replyMessageId\":\"a b\",\"fromNumber\":\"27831234567\"}",
         "replyMessageId"},
        {"{\"messageId\":\"a b\",\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\"}",
         "messageId"},
        {"{\"replyMessageId\":\"r\",\"text\":\"x\"}", "fromNumber"},
        {"{\"replyMessageId\":\"r\",\"fromNumber\":\"<x>\"}", "fromNumber"},
        {"{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\",\"toNumber\":[]}", "toNumber"},
        {"{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\",\"text\":5}", "text"},
        {"{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\",\"udh\":\"0G\"}", "udh"},
        {"{\"replyMessageId\":\"r\",\"fromNumber\":\"27831234567\",\"timestamp\":\"<t>\"}",
         "timestamp"},
        {"{\"event\":{\"moText\":[]}}", "event.moText"},
        {"{\"event\":{\"moText\":[{\"from\":\"2799900001\"}]}}", "messageId"},
        {"{\"event\":{\"moText\":[{\"messageId\":\"m\"}]}}", "from"},
        {"{\"event\":{\"moText\":[{\"messageId\":\"m\",\"from\":\"2799900001\",\"content\":{}}]}}",
         "content"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_clickatell_inbound in;
        sg_error e;
        if (preply_of(cases[i].json, &in, &e) != SG_ERR_INVALID)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        assert_null(in.text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_codes),
        cmocka_unit_test(test_status_fixtures),
        cmocka_unit_test(test_status_bad),
        cmocka_unit_test(test_platform_status),
        cmocka_unit_test(test_platform_status_names),
        cmocka_unit_test(test_platform_status_bad),
        cmocka_unit_test(test_charsets),
        cmocka_unit_test(test_inbound_fixtures),
        cmocka_unit_test(test_inbound_bad),
        cmocka_unit_test(test_platform_reply),
        cmocka_unit_test(test_platform_reply_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
