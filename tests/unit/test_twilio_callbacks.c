/* Twilio's webhooks (providers/twilio_callbacks.h, providers.md A.6-A.8): status
 * callbacks and incoming messages parsed from recorded form bodies
 * (the .form files in tests/fixtures/twilio/), and the TwiML answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/twilio/callbacks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SID "SM3b2f4e0c9d1a48e7b6c5d4e3f2a1b0c9"
#define AC  "AC9f8e7d6c5b4a39281706f5e4d3c2b1a0"

/* The whole of tests/fixtures/twilio/<name>, NUL-terminated; *len without the NUL. */
static char *fixture(const char *name, size_t *len)
{
    const char *dir = getenv("SG_FIXTURES");
    assert_non_null(dir);
    char path[1024];
    snprintf(path, sizeof path, "%s/twilio/%s", dir, name);
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

static void parse_fixture(const char *name, sg_form *form)
{
    size_t len;
    char *raw = fixture(name, &len);
    assert_int_equal(sg_form_parse(raw, len, form), SG_OK);
    free(raw);
}

static void parse_text(const char *text, sg_form *form)
{
    assert_int_equal(sg_form_parse(text, strlen(text), form), SG_OK);
}

/* Parse a status callback given as form text; returns the result and fills out/e. */
static sg_err status_of(const char *text, sg_twilio_status_cb *out, sg_error *e)
{
    sg_form f;
    parse_text(text, &f);
    sg_error_clear(e);
    sg_err err = sg_twilio_parse_status(&f, out, e);
    sg_form_free(&f);
    return err;
}

static sg_err inbound_of(const char *text, sg_twilio_inbound *out, sg_error *e)
{
    sg_form f;
    parse_text(text, &f);
    sg_error_clear(e);
    sg_err err = sg_twilio_parse_inbound(&f, out, e);
    sg_form_free(&f);
    return err;
}

/* ---- status callbacks ---- */

static void test_status_delivered_fixture(void **state)
{
    sg_form f;
    parse_fixture("status_delivered.form", &f);
    sg_twilio_status_cb cb;
    sg_error e;
    sg_error_clear(&e);
    assert_int_equal(sg_twilio_parse_status(&f, &cb, &e), SG_OK);
    assert_string_equal(cb.message_sid, SID);
    assert_string_equal(cb.status_raw, "delivered");
    assert_true(cb.has_status);
    assert_int_equal(cb.status, SG_STATUS_DELIVERED);
    assert_string_equal(cb.error_code, "");
    assert_string_equal(cb.error_message, "");
    assert_string_equal(cb.from, "+15017122661");
    assert_string_equal(cb.to, "+15558675310");
    assert_string_equal(cb.raw_dlr_done_date, "2604221113");
    sg_form_free(&f);
}

static void test_status_undelivered_fixture(void **state)
{
    sg_form f;
    parse_fixture("status_undelivered_30003.form", &f);
    sg_twilio_status_cb cb;
    sg_error e;
    assert_int_equal(sg_twilio_parse_status(&f, &cb, &e), SG_OK);
    assert_string_equal(cb.message_sid, "SM8a7b6c5d4e3f20011223344556677889");
    assert_true(cb.has_status);
    assert_int_equal(cb.status, SG_STATUS_UNDELIVERED);
    assert_string_equal(cb.error_code, "30003");
    assert_string_equal(cb.to, "+447400123456");
    sg_form_free(&f);
}

/* Every status in Twilio's enum (A.6), plus ones it does not have. */
static void test_status_mapping(void **state)
{
    static const struct {
        const char *twilio;
        bool has_status;
        sg_status status;
    } map[] = {
        {"accepted", false, 0},
        {"queued", false, 0},
        {"scheduled", false, 0},
        {"sending", false, 0},
        {"sent", true, SG_STATUS_SENT},
        {"delivered", true, SG_STATUS_DELIVERED},
        {"read", true, SG_STATUS_DELIVERED},
        {"partially_delivered", true, SG_STATUS_DELIVERED},
        {"undelivered", true, SG_STATUS_UNDELIVERED},
        {"failed", true, SG_STATUS_FAILED},
        {"canceled", true, SG_STATUS_CANCELED},
        {"receiving", false, 0}, /* inbound statuses mean nothing for an outbound message */
        {"received", false, 0},
        {"cancelled", false, 0}, /* British spelling: not Twilio's */
        {"bounced", false, 0},
        {"future_status", false, 0},
        {"DELIVERED", true, SG_STATUS_DELIVERED}, /* case is not significant */
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "MessageSid=%s&MessageStatus=%s", SID, map[i].twilio);
        sg_twilio_status_cb cb;
        sg_error e;
        assert_int_equal(status_of(text, &cb, &e), SG_OK);
        assert_string_equal(cb.status_raw, map[i].twilio);
        if (cb.has_status != map[i].has_status)
            fail_msg("%s: has_status %d", map[i].twilio, cb.has_status);
        if (map[i].has_status && cb.status != map[i].status)
            fail_msg("%s: status %s", map[i].twilio, sg_status_name(cb.status));
    }
}

/* The legacy names stand in for the new ones; the new ones win when both are there. */
static void test_status_legacy_names(void **state)
{
    sg_twilio_status_cb cb;
    sg_error e;
    assert_int_equal(status_of("SmsSid=" SID "&SmsStatus=sent", &cb, &e), SG_OK);
    assert_string_equal(cb.message_sid, SID);
    assert_int_equal(cb.status, SG_STATUS_SENT);
    assert_int_equal(status_of("SmsSid=MMaaaa&MessageSid=" SID
                               "&SmsStatus=sent&MessageStatus=failed&ErrorCode=30008",
                               &cb, &e),
                     SG_OK);
    assert_string_equal(cb.message_sid, SID);
    assert_int_equal(cb.status, SG_STATUS_FAILED);
    assert_string_equal(cb.error_code, "30008");
    /* an empty MessageSid counts as missing */
    assert_int_equal(status_of("MessageSid=&SmsSid=" SID "&MessageStatus=sent", &cb, &e), SG_OK);
    assert_string_equal(cb.message_sid, SID);
}

static void test_status_rejects(void **state)
{
    static const struct {
        const char *text;
        const char *field;
    } bad[] = {
        {"MessageStatus=sent", "MessageSid"},
        {"MessageSid=" SID, "MessageStatus"},
        {"MessageSid=" SID "&MessageStatus=", "MessageStatus"},
        {"MessageSid=XX3b2f4e0c9d1a48e7b6c5d4e3f2a1b0c9&MessageStatus=sent", "MessageSid"},
        {"MessageSid=CA3b2f4e0c9d1a48e7b6c5d4e3f2a1b0c9&MessageStatus=sent", "MessageSid"},
        {"MessageSid=SM&MessageStatus=sent", "MessageSid"},
        {"MessageSid=SM12%2034&MessageStatus=sent", "MessageSid"},
        {"MessageSid=SM12%3Cscript%3E&MessageStatus=sent", "MessageSid"},
        {"SmsSid=XY12&MessageStatus=sent", "SmsSid"},
        {"MessageSid=" SID "&SmsStatus=de%20livered", "SmsStatus"},
        {"MessageSid=" SID "&MessageStatus=abcdefghijklmnopqrstuvwxyzabcdef", "MessageStatus"},
        {"MessageSid=" SID "&MessageStatus=failed&ErrorCode=3000a", "ErrorCode"},
        {"MessageSid=" SID "&MessageStatus=failed&ErrorCode=-30003", "ErrorCode"},
        {"MessageSid=" SID "&MessageStatus=failed&ErrorCode=12345678901", "ErrorCode"},
        {"MessageSid=" SID "&MessageStatus=sent&From=%2B1%20555", "From"},
        {"MessageSid=" SID "&MessageStatus=sent&To=%3Cb%3E", "To"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_twilio_status_cb cb;
        sg_error e;
        if (status_of(bad[i].text, &cb, &e) != SG_ERR_INVALID)
            fail_msg("accepted: %s", bad[i].text);
        assert_int_equal(e.err, SG_ERR_INVALID);
        assert_string_equal(e.field, bad[i].field);
        assert_true(strlen(e.message) > 0);
    }
    /* the largest SID and error code allowed */
    char text[512];
    char sid[65];
    memset(sid, 'a', 64);
    memcpy(sid, "SM", 2);
    sid[64] = '\0';
    snprintf(text, sizeof text, "MessageSid=%s&MessageStatus=failed&ErrorCode=1234567890", sid);
    sg_twilio_status_cb cb;
    sg_error e;
    assert_int_equal(status_of(text, &cb, &e), SG_OK);
    assert_string_equal(cb.message_sid, sid);
    assert_string_equal(cb.error_code, "1234567890");
    snprintf(text, sizeof text, "MessageSid=%sa&MessageStatus=failed", sid);
    assert_int_equal(status_of(text, &cb, &e), SG_ERR_INVALID);
    assert_string_equal(e.field, "MessageSid");
}

/* Unknown parameters are ignored; optional ones are kept or, for the carrier
 * passthrough RawDlrDoneDate, dropped when malformed. */
static void test_status_optional(void **state)
{
    sg_twilio_status_cb cb;
    sg_error e;
    assert_int_equal(status_of("MessageSid=MM"
                               "0123456789abcdef0123456789abcdef"
                               "&MessageStatus=undelivered&ErrorCode=30007"
                               "&ErrorMessage=Message+filtered%3A+%22spam%22"
                               "&From=whatsapp%3A%2B14155550100&To=%2B14155550101"
                               "&ChannelPrefix=whatsapp&EventType=X&NewParam=1"
                               "&RawDlrDoneDate=not-a-date",
                               &cb, &e),
                     SG_OK);
    assert_string_equal(cb.message_sid, "MM0123456789abcdef0123456789abcdef");
    assert_string_equal(cb.error_message, "Message filtered: \"spam\"");
    assert_string_equal(cb.from, "whatsapp:+14155550100");
    assert_string_equal(cb.raw_dlr_done_date, "");
    assert_string_equal(cb.error_code, "30007");

    /* an ErrorMessage longer than the field is cut at a character boundary */
    static char text[2048];
    int n = snprintf(text, sizeof text, "MessageSid=%s&MessageStatus=failed&ErrorMessage=a", SID);
    for (int i = 0; i < 200; i++) /* "a" then 200 x U+00E9: 401 bytes */
        n += snprintf(text + n, sizeof text - (size_t)n, "%%C3%%A9");
    assert_int_equal(status_of(text, &cb, &e), SG_OK);
    assert_int_equal(strlen(cb.error_message), 255); /* 'a' + 127 x 2 bytes */
    assert_int_equal((unsigned char)cb.error_message[254], 0xA9);
}

/* ---- incoming messages ---- */

static void test_inbound_stop_fixture(void **state)
{
    sg_form f;
    parse_fixture("inbound_stop.form", &f);
    sg_twilio_inbound in;
    sg_error e;
    sg_error_clear(&e);
    assert_int_equal(sg_twilio_parse_inbound(&f, &in, &e), SG_OK);
    assert_string_equal(in.message_sid, "SM0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_string_equal(in.account_sid, AC);
    assert_string_equal(in.from, "+17035550147");
    assert_string_equal(in.to, "+19895550123");
    assert_string_equal(in.body, "STOP");
    assert_int_equal(in.segments, 1);
    assert_int_equal(in.num_media, 0);
    sg_twilio_inbound_free(&in);
    assert_null(in.body);
    sg_twilio_inbound_free(&in); /* twice is harmless */
    sg_form_free(&f);
}

static void test_inbound_example_fixture(void **state)
{
    sg_form f;
    parse_fixture("inbound_example.form", &f);
    sg_twilio_inbound in;
    sg_error e;
    assert_int_equal(sg_twilio_parse_inbound(&f, &in, &e), SG_OK);
    assert_string_equal(in.body, "It's working!!!"); /* '+' is a space, %27 a quote */
    assert_string_equal(in.message_sid, "SMd41d8cd98f00b204e9800998ecf8427e");
    sg_twilio_inbound_free(&in);
    sg_form_free(&f);
}

static void test_inbound_variants(void **state)
{
    sg_twilio_inbound in;
    sg_error e;
    /* MMS without text, WhatsApp addresses, several segments */
    assert_int_equal(inbound_of("MessageSid=MM0123456789abcdef0123456789abcdef"
                                "&From=whatsapp%3A%2B14155550100&To=whatsapp%3A%2B14155550101"
                                "&NumMedia=2&MediaUrl0=https%3A%2F%2Fx%2Fa&NumSegments=3",
                                &in, &e),
                     SG_OK);
    assert_string_equal(in.body, "");
    assert_string_equal(in.account_sid, "");
    assert_string_equal(in.from, "whatsapp:+14155550100");
    assert_int_equal(in.num_media, 2);
    assert_int_equal(in.segments, 3);
    sg_twilio_inbound_free(&in);

    /* the Messaging Service the number belongs to, when it does */
    assert_int_equal(inbound_of("MessageSid=" SID
                                "&MessagingServiceSid=MG0123abc&From=%2B15005550006"
                                "&To=%2B15005550007",
                                &in, &e),
                     SG_OK);
    assert_string_equal(in.messaging_service_sid, "MG0123abc");
    sg_twilio_inbound_free(&in);

    /* short-code and alphanumeric senders */
    assert_int_equal(
        inbound_of("MessageSid=" SID "&From=ACME+Bank&To=%2B447400123456&Body=x", &in, &e), SG_OK);
    assert_string_equal(in.from, "ACME Bank");
    sg_twilio_inbound_free(&in);
    assert_int_equal(inbound_of("MessageSid=" SID "&From=72345&To=%2B447400123456", &in, &e),
                     SG_OK);
    assert_string_equal(in.from, "72345");
    sg_twilio_inbound_free(&in);

    /* exactly 1600 characters, most of them two bytes */
    static char text[8192];
    int n = snprintf(text, sizeof text,
                     "MessageSid=%s&From=%%2B15005550006&To=%%2B15005550007"
                     "&Body=",
                     SID);
    for (int i = 0; i < 1600; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, i % 2 ? "%%C3%%A9" : "a");
    assert_int_equal(inbound_of(text, &in, &e), SG_OK);
    assert_int_equal(strlen(in.body), 2400);
    sg_twilio_inbound_free(&in);
    /* one more is too many */
    snprintf(text + n, sizeof text - (size_t)n, "b");
    assert_int_equal(inbound_of(text, &in, &e), SG_ERR_INVALID);
    assert_string_equal(e.field, "Body");
    assert_null(in.body);
}

static void test_inbound_rejects(void **state)
{
    static const struct {
        const char *text;
        const char *field;
    } bad[] = {
        {"From=%2B15005550006&To=%2B15005550007&Body=hi", "MessageSid"},
        {"SmsSid=" SID "&From=%2B15005550006&To=%2B15005550007", "MessageSid"},
        {"MessageSid=AC12&From=%2B15005550006&To=%2B15005550007", "MessageSid"},
        {"MessageSid=" SID "&To=%2B15005550007&Body=hi", "From"},
        {"MessageSid=" SID "&From=%2B15005550006&Body=hi", "To"},
        {"MessageSid=" SID "&From=&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&From=%2B1500555000612345&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&From=%2B&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&From=+%2B15005550006&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%3Cscript%3E", "To"},
        {"MessageSid=" SID "&From=%2B15005550006&To=whatsapp%3A", "To"},
        {"MessageSid=" SID "&From=%2B15005550006&To=WhatsApp%3A%2B1", "To"},
        {"MessageSid=" SID "&From=%2B15005550006&To=a%0Ab", "To"},
        {"MessageSid=" SID "&From=Twelve+chars&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&From=12&To=%2B15005550007", "From"},
        {"MessageSid=" SID "&AccountSid=XX12&From=%2B15005550006&To=%2B15005550007", "AccountSid"},
        {"MessageSid=" SID "&MessagingServiceSid=AC12&From=%2B15005550006&To=%2B15005550007",
         "MessagingServiceSid"},
        {"MessageSid=" SID "&MessagingServiceSid=MG1%3B2&From=%2B15005550006&To=%2B15005550007",
         "MessagingServiceSid"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&NumSegments=two", "NumSegments"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&NumMedia=-1", "NumMedia"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&NumMedia=1234567890",
         "NumMedia"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&Body=%FF", "Body"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&Body=%C0%AF", "Body"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&Body=%ED%A0%80", "Body"},
        {"MessageSid=" SID "&From=%2B15005550006&To=%2B15005550007&Body=%E2%82", "Body"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sg_twilio_inbound in;
        sg_error e;
        if (inbound_of(bad[i].text, &in, &e) != SG_ERR_INVALID)
            fail_msg("accepted: %s", bad[i].text);
        assert_string_equal(e.field, bad[i].field);
        assert_null(in.body); /* nothing to free on failure */
    }
    /* a From of exactly 63 bytes fits; 64 does not */
    char addr[70], text[256];
    memset(addr, 'x', sizeof addr);
    memcpy(addr, "rcs:", 4);
    addr[63] = '\0';
    snprintf(text, sizeof text, "MessageSid=%s&From=%s&To=%%2B15005550007", SID, addr);
    sg_twilio_inbound in;
    sg_error e;
    assert_int_equal(inbound_of(text, &in, &e), SG_OK);
    assert_string_equal(in.from, addr);
    sg_twilio_inbound_free(&in);
    addr[63] = 'x';
    addr[64] = '\0';
    snprintf(text, sizeof text, "MessageSid=%s&From=%s&To=%%2B15005550007", SID, addr);
    assert_int_equal(inbound_of(text, &in, &e), SG_ERR_INVALID);
    assert_string_equal(e.field, "From");
}

/* ---- TwiML ---- */

static void test_twiml(void **state)
{
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    assert_int_equal(sg_twiml_response(NULL, &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
    sg_buf_reset(&b);

    assert_int_equal(sg_twiml_response("Hello & <bye>", &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                         "<Message>Hello &amp; &lt;bye&gt;</Message></Response>");
    sg_buf_reset(&b);

    assert_int_equal(sg_twiml_response("\"It's\" &amp; <b>\xc3\xa9\n", &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b),
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>"
                        "&quot;It&apos;s&quot; &amp;amp; &lt;b&gt;\xc3\xa9\n</Message></Response>");
    sg_buf_reset(&b);

    assert_int_equal(sg_twiml_response("", &b), SG_OK);
    assert_string_equal(sg_buf_cstr(&b), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"
                                         "<Message></Message></Response>");
    sg_buf_reset(&b);

    /* the default keyword reply goes out unchanged */
    assert_int_equal(sg_twiml_response("Reply STOP to unsubscribe, START to resubscribe.", &b),
                     SG_OK);
    assert_non_null(strstr(sg_buf_cstr(&b), "<Message>Reply STOP to unsubscribe, START to "
                                            "resubscribe.</Message>"));
    sg_buf_free(&b);
}

/* Text XML cannot carry is refused, and a failure leaves the buffer as it was. */
static void test_twiml_failures(void **state)
{
    sg_buf b;
    sg_buf_init(&b, 64 * 1024);
    assert_int_equal(sg_buf_append_str(&b, "keep"), SG_OK);
    assert_int_equal(sg_twiml_response("bell\a", &b), SG_ERR_INVALID);
    assert_string_equal(sg_buf_cstr(&b), "keep");
    assert_int_equal(sg_twiml_response("bad \xff utf-8", &b), SG_ERR_INVALID);
    assert_string_equal(sg_buf_cstr(&b), "keep");
    sg_buf_free(&b);

    sg_buf_init(&b, 100);
    assert_int_equal(sg_twiml_response("&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&", &b),
                     SG_ERR_TOO_LARGE);
    assert_int_equal(b.len, 0);
    assert_string_equal(sg_buf_cstr(&b), "");
    sg_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_delivered_fixture),
        cmocka_unit_test(test_status_undelivered_fixture),
        cmocka_unit_test(test_status_mapping),
        cmocka_unit_test(test_status_legacy_names),
        cmocka_unit_test(test_status_rejects),
        cmocka_unit_test(test_status_optional),
        cmocka_unit_test(test_inbound_stop_fixture),
        cmocka_unit_test(test_inbound_example_fixture),
        cmocka_unit_test(test_inbound_variants),
        cmocka_unit_test(test_inbound_rejects),
        cmocka_unit_test(test_twiml),
        cmocka_unit_test(test_twiml_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
