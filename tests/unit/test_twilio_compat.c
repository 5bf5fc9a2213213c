/* The wire format of the Twilio-compatible Messages API (compat/twilio_wire.h):
 * SIDs that name smsgate ids both ways, RFC 2822 dates, the Message resource's
 * types, error codes, and create forms read into smsgate's send request. Each
 * table row names itself in a failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compat/twilio_wire.h"
#include "util/crypto.h"
#include "util/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int setup(void **state)
{
    (void)state;
    return sg_crypto_init() == SG_OK ? 0 : -1;
}

/* Every id maps to "SM" + 32 hex and back; the first id and the last possible
 * one (ULID bounds "000…" and "7ZZ…") at the edges. */
static void sid_round_trip(void **state)
{
    (void)state;
    char sid[SG_TW_SID_MAX], back[SG_ID_MAX];
    for (int i = 0; i < 1000; i++) {
        char id[SG_ID_MAX];
        sg_id_new("msg", sg_time_now_ms() + i, id);
        assert_true(sg_tw_message_sid(id, sid));
        assert_int_equal(strlen(sid), 34);
        assert_true(sg_tw_message_id(sid, back));
        if (strcmp(back, id) != 0)
            fail_msg("%s -> %s -> %s", id, sid, back);
    }
    assert_true(sg_tw_message_sid("msg_00000000000000000000000000", sid));
    assert_string_equal(sid, "SM00000000000000000000000000000000");
    assert_true(sg_tw_message_sid("msg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ", sid));
    assert_string_equal(sid, "SMffffffffffffffffffffffffffffffff");
    assert_true(sg_tw_message_id("SMFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", back));
    assert_string_equal(back, "msg_7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
}

static void sid_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *sid, *why;
    } bad[] = {
        {"SM0000000000000000000000000000000", "31 hex digits"},
        {"SM000000000000000000000000000000000", "33 hex digits"},
        {"SM0000000000000000000000000000000g", "not hex"},
        {"MM00000000000000000000000000000000", "not an SMS sid"},
        {"", "empty"},
    };
    char id[SG_ID_MAX], sid[SG_TW_SID_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (sg_tw_message_id(bad[i].sid, id))
            fail_msg("'%s' (%s) was read as %s", bad[i].sid, bad[i].why, id);
    }
    /* 130-bit base32 ("8…" first) has no 128-bit SID */
    assert_false(sg_tw_message_sid("msg_80000000000000000000000000", sid));
    assert_false(sg_tw_message_sid("key_00000000000000000000000000", sid));
}

/* Twilio's own example (providers.md A.3) and the epoch; checked with
 * `date -u -d @SECONDS -R`. */
static void rfc2822_dates(void **state)
{
    (void)state;
    static const struct {
        int64_t ms;
        const char *want;
    } rows[] = {
        {1692853305000LL, "Thu, 24 Aug 2023 05:01:45 +0000"},
        {0, "Thu, 01 Jan 1970 00:00:00 +0000"},
        {951868799999LL, "Tue, 29 Feb 2000 23:59:59 +0000"},
        {4102444800000LL, "Fri, 01 Jan 2100 00:00:00 +0000"},
        {-1000, "Wed, 31 Dec 1969 23:59:59 +0000"},                  /* before the epoch */
        {-30610224001000LL, "Tue, 31 Dec 0999 23:59:59 +0000"},      /* a year of 3 digits */
        {253402300800000LL, "Sat, 01 Jan 10000 00:00:00 +0000"},     /* past 9999 */
    };
    char out[SG_TW_DATE_MAX];
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        sg_tw_date(rows[i].ms, out);
        if (strcmp(out, rows[i].want) != 0)
            fail_msg("%lld: got '%s', want '%s'", (long long)rows[i].ms, out, rows[i].want);
    }
}

static void error_codes(void **state)
{
    (void)state;
    assert_int_equal(sg_tw_error_code(""), 0);
    assert_int_equal(sg_tw_error_code("30003"), 30003);
    assert_int_equal(sg_tw_error_code("opted_out"), 21610);
    assert_int_equal(sg_tw_error_code("expired"), 30001);
    assert_int_equal(sg_tw_error_code("retry_budget_exhausted"), 30008);
    static const struct {
        const char *problem, *field;
        int http, code;
    } rows[] = {
        {"invalid_phone", "to", 400, 21211},   {"not_mobile", "to", 400, 21614},
        {"opted_out", "to", 400, 21610},       {"invalid_body", "body", 400, 21602},
        {"body_too_long", "body", 400, 21617}, {"invalid_request", "from", 400, 21212},
        {"invalid_request", "metadata", 400, 21620},
        {"daily_quota_exceeded", "", 429, 20429},
        {"country_not_allowed", "to", 400, 21408},
        {"no_default_provider", "provider", 400, 21606},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int http = 0, code = 0;
        sg_tw_error_of(rows[i].problem, rows[i].field, &http, &code);
        if (http != rows[i].http || code != rows[i].code)
            fail_msg("%s/%s: got %d %d, want %d %d", rows[i].problem, rows[i].field, http, code,
                     rows[i].http, rows[i].code);
    }
    json_t *e = sg_tw_error_json(400, 21211, "bad To");
    assert_true(json_is_integer(json_object_get(e, "status")));
    assert_true(json_is_integer(json_object_get(e, "code")));
    assert_string_equal(json_string_value(json_object_get(e, "more_info")),
                        "https://www.twilio.com/docs/errors/21211");
    json_decref(e);
}

/* The resource's types are Twilio's: strings for the counts and status,
 * integer-or-null error_code, null price until known. */
static void resource_types(void **state)
{
    (void)state;
    sg_message m = {0};
    sg_id_new("msg", 1692853305000LL, m.id);
    snprintf(m.to, sizeof m.to, "+447400123456");
    snprintf(m.from, sizeof m.from, "+15005550006");
    m.body = "hi";
    m.segments = 2;
    m.status = SG_STATUS_UNDELIVERED;
    snprintf(m.error_code, sizeof m.error_code, "30003");
    m.error_message = "Unreachable destination handset";
    m.created_at = 1692853305000LL;
    m.updated_at = 1692853306000LL;
    json_t *j = sg_tw_message_json(&m, "AC00000000000000000000000000000000");
    assert_string_equal(json_string_value(json_object_get(j, "num_segments")), "2");
    assert_string_equal(json_string_value(json_object_get(j, "num_media")), "0");
    assert_string_equal(json_string_value(json_object_get(j, "status")), "undelivered");
    assert_int_equal(json_integer_value(json_object_get(j, "error_code")), 30003);
    assert_true(json_is_null(json_object_get(j, "price")));
    assert_string_equal(json_string_value(json_object_get(j, "date_sent")),
                        "Thu, 24 Aug 2023 05:01:46 +0000");
    assert_string_equal(json_string_value(json_object_get(j, "direction")), "outbound-api");
    json_decref(j);
    m.status = SG_STATUS_QUEUED;
    m.error_code[0] = '\0';
    j = sg_tw_message_json(&m, "AC00000000000000000000000000000000");
    assert_true(json_is_null(json_object_get(j, "error_code")));
    assert_true(json_is_null(json_object_get(j, "error_message")));
    assert_true(json_is_null(json_object_get(j, "date_sent")));
    json_decref(j);
}

/* The create's answer, written as text (sg_tw_message_write), is byte for byte
 * what dumping the resource's tree gives (sg_tw_message_json, and a Messaging
 * Service as the create sets it), for every shape of message: each row names
 * itself. Without it the two could drift apart unseen, since only the create
 * answers with the written text. */
static void resource_written_as_dumped(void **state)
{
    (void)state;
    static const struct {
        const char *why, *body, *from, *error_code, *error_message, *service, *direction;
        sg_status status;
        unsigned segments;
        int64_t created, updated;
    } rows[] = {
        {"queued, plain", "hello", "+15005550006", "", NULL, NULL, "outbound", SG_STATUS_QUEUED, 1,
         1692853305000LL, 1692853305000LL},
        {"quotes, backslash, slash, control characters", "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f end",
         "+15005550006", "", NULL, NULL, "outbound", SG_STATUS_QUEUED, 1, 1, 2},
        {"UTF-8 left as it is", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8", "",
         "", NULL, NULL, "outbound", SG_STATUS_SCHEDULED, 3, 1692853305000LL, 0},
        {"no from, empty body", "", "", "", NULL, NULL, "outbound", SG_STATUS_QUEUED, 0, 0, 0},
        {"undelivered with a provider code", "x", "+1", "30003", "Unreachable \"handset\"", NULL,
         "outbound", SG_STATUS_UNDELIVERED, 2, 1692853305000LL, 1692853306000LL},
        {"failed with a word code", "x", "+1", "opted_out", "opted out", NULL, "outbound",
         SG_STATUS_FAILED, 1, 1, 1},
        {"error code without a message", "x", "+1", "expired", NULL, NULL, "outbound",
         SG_STATUS_FAILED, 1, 1, 1},
        {"a Messaging Service, queued: accepted", "x", "+1", "", NULL, "MG0123456789abcdef", "outbound",
         SG_STATUS_QUEUED, 1, 1, 1},
        {"a Messaging Service, scheduled stays scheduled", "x", "+1", "", NULL, "MG\"x", "outbound",
         SG_STATUS_SCHEDULED, 1, 1, 1},
        {"an empty Messaging Service", "x", "+1", "", NULL, "", "outbound", SG_STATUS_QUEUED, 1, 1, 1},
        {"inbound, delivered", "reply", "+447400123456", "", NULL, NULL, "inbound",
         SG_STATUS_DELIVERED, 1, 1692853305000LL, 1692853309000LL},
    };
    const char *account = "AC0123456789abcdef0123456789abcdef";
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        sg_message m = {0};
        sg_id_new("msg", 1692853305000LL + (int64_t)i, m.id);
        snprintf(m.to, sizeof m.to, "+447400123456");
        snprintf(m.from, sizeof m.from, "%s", rows[i].from);
        snprintf(m.error_code, sizeof m.error_code, "%s", rows[i].error_code);
        snprintf(m.direction, sizeof m.direction, "%s", rows[i].direction);
        m.body = (char *)rows[i].body;
        m.error_message = (char *)rows[i].error_message;
        m.status = rows[i].status;
        m.segments = rows[i].segments;
        m.created_at = rows[i].created;
        m.updated_at = rows[i].updated;

        json_t *j = sg_tw_message_json(&m, account);
        if (rows[i].service) {
            json_object_set_new(j, "messaging_service_sid", json_string(rows[i].service));
            if (m.status == SG_STATUS_QUEUED)
                json_object_set_new(j, "status", json_string("accepted"));
        }
        char *want = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        sg_buf b;
        sg_buf_init(&b, 65536);
        sg_err e = sg_tw_message_write(&b, &m, account, rows[i].service);
        if (e != SG_OK || strcmp(sg_buf_cstr(&b), want) != 0)
            fail_msg("row %zu (%s): err %d\n got:  %s\n want: %s", i, rows[i].why, (int)e,
                     sg_buf_cstr(&b), want);
        free(want);
        sg_buf_free(&b);
    }
}

/* A buffer too small for the resource fails, never truncates into a 201. */
static void resource_written_bounded(void **state)
{
    (void)state;
    sg_message m = {0};
    sg_id_new("msg", 1692853305000LL, m.id);
    snprintf(m.to, sizeof m.to, "+447400123456");
    snprintf(m.direction, sizeof m.direction, "outbound");
    m.body = "hello";
    sg_buf b;
    sg_buf_init(&b, 64);
    assert_int_equal(sg_tw_message_write(&b, &m, "AC0123456789abcdef0123456789abcdef", NULL),
                     SG_ERR_TOO_LARGE);
    sg_buf_free(&b);
}

/* A create form as smsgate's send request; unknown parameters are ignored. */
static void create_forms(void **state)
{
    (void)state;
    static const struct {
        const char *form;
        const char *want; /* the JSON (sorted keys), or NULL: refused with code */
        int code;
    } rows[] = {
        {"To=%2B447400123456&From=%2B15005550006&Body=hi%20A&Foo=1",
         "{\"body\":\"hi A\",\"from\":\"+15005550006\",\"to\":\"+447400123456\"}", 0},
        {"To=1&Body=x&ValidityPeriod=600&ShortenUrls=true",
         "{\"body\":\"x\",\"to\":\"1\",\"track_clicks\":true,\"validity_seconds\":600}", 0},
        {"To=1&Body=x&SendAt=2026-12-01T09%3A00%3A00Z&ScheduleType=fixed",
         "{\"body\":\"x\",\"send_at\":\"2026-12-01T09:00:00Z\",\"to\":\"1\"}", 0},
        {"To=1&Body=x&SendAt=2026-12-01T09%3A00%3A00Z", NULL, 35111},
        {"To=1&Body=x&SendAt=tomorrow&ScheduleType=fixed", NULL, 35114},
        {"To=1&Body=x&ValidityPeriod=0", NULL, 21623},
        {"To=1&Body=x&ValidityPeriod=36001", NULL, 21623},
        {"To=1&Body=x&ShortenUrls=maybe", NULL, 21620},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        sg_form f;
        assert_int_equal(sg_form_parse(rows[i].form, strlen(rows[i].form), &f), SG_OK);
        const char *cb, *ms;
        sg_tw_fail fail = {0};
        json_t *obj = sg_tw_create_request(&f, &cb, &ms, &fail);
        char *got = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        if (rows[i].want ? !got || strcmp(got, rows[i].want) != 0 : obj || fail.code != rows[i].code)
            fail_msg("%s: got %s (code %d)", rows[i].form, got ? got : "refusal", fail.code);
        free(got);
        json_decref(obj);
        sg_form_free(&f);
    }
}

/* The text of a TwiML answer's first <Message>, as twilio-node's
 * MessagingResponse writes it (providers.md A.8) and by hand. */
static void twiml_messages(void **state)
{
    (void)state;
    static const struct {
        const char *xml, *want; /* want NULL: no message */
    } rows[] = {
        {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Hello &amp; "
         "&lt;bye&gt;</Message></Response>",
         "Hello & <bye>"},
        {"<Response><Message to=\"+1555\" from=\"+1666\"><Body>b &#39;x&#x27;</Body>"
         "<Media>https://x/i.png</Media></Message></Response>",
         "b 'x'"},
        {"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>", NULL},
        {"<Response><Message/></Response>", NULL},
        {"<Response><Message></Message></Response>", NULL},
        {"<Response><Messages>no</Messages></Response>", NULL},
        {"<Response><Message>unterminated", NULL},
        {"<Response><Message>&bogus; &#999999; &#</Message></Response>", "&bogus; &#999999; &#"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        char out[64];
        bool got = sg_tw_twiml_message(rows[i].xml, strlen(rows[i].xml), out, sizeof out);
        if (got != (rows[i].want != NULL) || (got && strcmp(out, rows[i].want) != 0))
            fail_msg("%s: got %s '%s'", rows[i].xml, got ? "true" : "false", got ? out : "");
    }
    char small[4];
    assert_true(sg_tw_twiml_message("<Message>abcdef</Message>", 25, small, sizeof small));
    assert_string_equal(small, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sid_round_trip), cmocka_unit_test(sid_refusals),
        cmocka_unit_test(rfc2822_dates),  cmocka_unit_test(error_codes),
        cmocka_unit_test(resource_types), cmocka_unit_test(create_forms),
        cmocka_unit_test(twiml_messages), cmocka_unit_test(resource_written_as_dumped),
        cmocka_unit_test(resource_written_bounded),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
