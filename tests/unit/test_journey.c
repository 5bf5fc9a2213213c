/* Journeys (core/journey.h): the document's validation (each refusal names the
 * step and the field), when a wait is over in the contact's zone across DST and
 * zones, and which branch a reply takes. Each row names itself when it fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/journey.h"
#include "util/tz.h"

#include <stdio.h>
#include <string.h>

#define OK_STEPS "[{\"id\":\"a\",\"type\":\"send\",\"body\":\"hi\"}]"
#define DOC(steps) "{\"name\":\"j\",\"trigger\":{\"type\":\"api\"},\"steps\":" steps "}"

static const struct {
    const char *doc;
    const char *field;   /* NULL: valid */
    const char *message; /* a part of the message */
    const char *why;
} docs[] = {
    {DOC(OK_STEPS), NULL, NULL, "one send step"},
    {DOC("[{\"id\":\"ask\",\"type\":\"send\",\"body\":\"Reply YES\"},"
         "{\"id\":\"wait\",\"type\":\"wait_for_reply\",\"timeout_seconds\":3600,"
         "\"branches\":[{\"match\":\"yes*\",\"next\":\"thanks\"}],\"no_reply\":\"nudge\"},"
         "{\"id\":\"thanks\",\"type\":\"send\",\"body\":\"Thanks\",\"next\":\"done\"},"
         "{\"id\":\"nudge\",\"type\":\"send\",\"body\":\"Still there?\"},"
         "{\"id\":\"done\",\"type\":\"end\"}]"),
     NULL, NULL, "reply branch with a timeout"},
    {DOC("[{\"id\":\"a\",\"type\":\"send\",\"body\":\"x\"},{\"id\":\"w\",\"type\":\"wait\","
         "\"seconds\":60,\"next\":\"a\"}]"),
     NULL, NULL, "a loop through a wait is fine"},
    {DOC("[{\"id\":\"a\",\"type\":\"send\",\"body\":\"x\"},{\"id\":\"b\",\"type\":\"set_attribute\","
         "\"name\":\"n\",\"value\":\"v\",\"next\":\"a\"}]"),
     "steps[1].next", "step \"b\": this step loops back without a wait", "loop without a wait"},
    {DOC("[{\"id\":\"a\",\"type\":\"branch\",\"condition\":\"mobile\",\"then\":\"a\"}]"),
     "steps[0].next", "step \"a\": this step loops back", "a branch to itself"},
    {DOC("[{\"id\":\"a\",\"type\":\"send\",\"body\":\"x\",\"next\":\"zz\"}]"), "steps[0].next",
     "step \"a\": there is no step \"zz\"", "missing target"},
    {DOC("[{\"id\":\"a\",\"type\":\"end\"},{\"id\":\"b\",\"type\":\"send\",\"body\":\"x\"}]"),
     "steps[1]", "step \"b\": no path from the first step reaches", "unreachable step"},
    {DOC("[{\"id\":\"a\",\"type\":\"teleport\"}]"), "steps[0].type",
     "step \"a\": unknown step type \"teleport\"", "unknown type"},
    {DOC("[{\"id\":\"a\",\"type\":\"end\"},{\"id\":\"a\",\"type\":\"end\"}]"), "steps[1].id",
     "used by an earlier step", "duplicate id"},
    {DOC("[{\"id\":\"a b\",\"type\":\"end\"}]"), "steps[0].id", "step 1: a step id",
     "malformed id"},
    {DOC("[]"), "steps", "1 to 64", "no steps"},
    {DOC("[{\"id\":\"a\",\"type\":\"send\"}]"), "steps[0].body", "exactly one of body and template",
     "send without body"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait\"}]"), "steps[0].seconds", "needs seconds or until",
     "wait without duration"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait\",\"seconds\":0}]"), "steps[0].seconds", "1 to 31622400",
     "zero seconds"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait\",\"seconds\":31622401}]"), "steps[0].seconds",
     "1 to 31622400", "one second past the maximum"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait\",\"seconds\":31622400}]"), NULL, NULL,
     "exactly the maximum wait"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait\",\"until\":\"24:00\"}]"), "steps[0].until",
     "time of day HH:MM", "until out of range"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait_for_reply\"}]"), "steps[0].timeout_seconds",
     "timeout_seconds is required", "wait_for_reply without timeout"},
    {DOC("[{\"id\":\"a\",\"type\":\"wait_for_reply\",\"timeout_seconds\":5,\"branches\":"
         "[{\"match\":\"YES\"}]}]"),
     "steps[0].branches", "every branch needs a next step", "branch without next"},
    {DOC("[{\"id\":\"a\",\"type\":\"branch\",\"condition\":\"attributes.x = \"}]"),
     "steps[0].condition", "step \"a\": condition:", "bad segment filter"},
    {DOC("[{\"id\":\"a\",\"type\":\"add_to_group\"}]"), "steps[0].group", "group is required",
     "group step without group"},
    {"{\"trigger\":{\"type\":\"api\"},\"steps\":" OK_STEPS "}", "name", "name is required",
     "no name"},
    {"{\"name\":\"j\",\"trigger\":{\"type\":\"segment\"},\"steps\":" OK_STEPS "}", "trigger.type",
     "not built yet", "segment trigger refused honestly"},
    {"{\"name\":\"j\",\"trigger\":{\"type\":\"group\"},\"steps\":" OK_STEPS "}", "trigger.group",
     "names its group", "group trigger without group"},
    {"{\"name\":\"j\",\"trigger\":{\"type\":\"keyword\",\"keyword\":\" join! \"},\"steps\":" OK_STEPS
     ",\"reentry\":\"after_exit\",\"quiet_hours\":\"21:00-08:00\"}",
     NULL, NULL, "keyword trigger, reentry, quiet hours"},
    {"{\"name\":\"j\",\"trigger\":{\"type\":\"api\"},\"steps\":" OK_STEPS ",\"reentry\":\"twice\"}",
     "reentry", "not \"twice\"", "bad reentry"},
    {"{\"name\":\"j\",\"trigger\":{\"type\":\"api\"},\"steps\":" OK_STEPS
     ",\"quiet_hours\":\"late\"}",
     "quiet_hours", "HH:MM-HH:MM", "bad quiet hours"},
};

static void test_validation(void **state)
{
    (void)state;
    int failures = 0;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_t *doc = json_loads(docs[i].doc, 0, NULL);
        if (!doc) {
            fprintf(stderr, "row %zu (%s): the test's JSON does not parse\n", i, docs[i].why);
            failures++;
            continue;
        }
        sg_journey_def d;
        sg_error e;
        sg_err err = sg_journey_def_parse(doc, &d, &e);
        bool ok = docs[i].field ? err == SG_ERR_INVALID && strcmp(e.field, docs[i].field) == 0 &&
                                      strstr(e.message, docs[i].message) != NULL
                                : err == SG_OK;
        if (!ok) {
            failures++;
            fprintf(stderr, "row %zu (%s): got err %d field \"%s\" message \"%s\"\n", i,
                    docs[i].why, err, err ? e.field : "", err ? e.message : "");
        }
        sg_journey_def_free(&d);
        json_decref(doc);
    }
    assert_int_equal(failures, 0);
}

static void test_defaults(void **state)
{
    (void)state;
    json_t *doc = json_loads(docs[1].doc, 0, NULL);
    sg_journey_def d;
    assert_int_equal(sg_journey_def_parse(doc, &d, NULL), SG_OK);
    json_decref(doc); /* the definition keeps its own reference */
    assert_int_equal(d.n_steps, 5);
    assert_int_equal(d.steps[0].next, 1);     /* the following step */
    assert_int_equal(d.steps[1].no_reply, 3); /* named */
    assert_int_equal(d.steps[1].any_reply, -1);
    assert_string_equal(d.steps[1].branches[0].match, "YES*");
    assert_int_equal(d.steps[2].next, 4);
    assert_int_equal(d.steps[3].next, 4);
    assert_int_equal(d.steps[4].next, -1);
    assert_string_equal(d.steps[2].body, "Thanks");
    assert_int_equal(sg_journey_step_index(&d, "nudge"), 3);
    sg_journey_def_free(&d);
}

static void test_reply_branches(void **state)
{
    (void)state;
    json_t *doc = json_loads(
        DOC("[{\"id\":\"w\",\"type\":\"wait_for_reply\",\"timeout_seconds\":60,\"branches\":["
            "{\"match\":\"YES*\",\"next\":\"y\"},{\"match\":\"N?\",\"next\":\"n\"}],"
            "\"any_reply\":\"other\"},"
            "{\"id\":\"y\",\"type\":\"end\"},{\"id\":\"n\",\"type\":\"end\"},"
            "{\"id\":\"other\",\"type\":\"end\"}]"),
        0, NULL);
    sg_journey_def d;
    assert_int_equal(sg_journey_def_parse(doc, &d, NULL), SG_OK);
    static const struct {
        const char *body;
        int next, branch;
    } rows[] = {
        {" yes! ", 1, 0}, {"Yes please", 1, 0}, {"no", 2, 1}, {"NO.", 2, 1},
        {"nope", 3, -1},  {"maybe", 3, -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int branch;
        int next = sg_journey_reply_next(&d.steps[0], rows[i].body, strlen(rows[i].body), &branch);
        if (next != rows[i].next || branch != rows[i].branch)
            fail_msg("reply \"%s\": next %d branch %d", rows[i].body, next, branch);
    }
    d.steps[0].any_reply = -1; /* without any_reply an unmatched reply is not taken */
    assert_int_equal(sg_journey_reply_next(&d.steps[0], "maybe", 5, NULL), -1);
    sg_journey_def_free(&d);
    json_decref(doc);
}

static void test_time_of_day_parse(void **state)
{
    (void)state;
    assert_int_equal(sg_journey_parse_time_of_day("09:00"), 540);
    assert_int_equal(sg_journey_parse_time_of_day("9:05"), 545);
    assert_int_equal(sg_journey_parse_time_of_day("23:59"), 1439);
    assert_int_equal(sg_journey_parse_time_of_day("24:00"), -1);
    assert_int_equal(sg_journey_parse_time_of_day("09:60"), -1);
    assert_int_equal(sg_journey_parse_time_of_day("09:0"), -1);
    assert_int_equal(sg_journey_parse_time_of_day("09:00 "), -1);
    assert_int_equal(sg_journey_parse_time_of_day(""), -1);
}

static const sg_tz *zone(const char *name)
{
    const sg_tz *z = NULL;
    assert_int_equal(sg_tz_get(name, &z), SG_OK);
    return z;
}

/* Instants (UTC), worked out with `date -u -d @N` and `TZ=... date -d @N`. */
#define JAN15_2026 1768435200LL /* 2026-01-15T00:00Z */
#define NY_SPRING  1772953200LL /* 2026-03-08T07:00Z: 02:00 EST -> 03:00 EDT */
#define NY_AUTUMN  1793512800LL /* 2026-11-01T06:00Z: 02:00 EDT -> 01:00 EST */
#define LDN_SPRING 1774746000LL /* 2026-03-29T01:00Z: 01:00 GMT -> 02:00 BST */

static void test_next_time_of_day(void **state)
{
    (void)state;
    static const struct {
        const char *zone;
        const char *at;
        int64_t t, want;
        const char *why;
    } rows[] = {
        {"Europe/London", "09:00", JAN15_2026, JAN15_2026 + 9 * 3600, "later the same day"},
        {"Europe/London", "09:00", JAN15_2026 + 9 * 3600, JAN15_2026 + 9 * 3600,
         "exactly now counts"},
        {"Europe/London", "09:00", JAN15_2026 + 10 * 3600, JAN15_2026 + 33 * 3600,
         "past today: tomorrow"},
        {"Asia/Kolkata", "09:00", JAN15_2026, JAN15_2026 + 3 * 3600 + 1800, "half-hour zone"},
        {"Asia/Kathmandu", "00:00", JAN15_2026, JAN15_2026 + 18 * 3600 + 15 * 60,
         "45-minute zone, midnight"},
        {"America/New_York", "02:30", NY_SPRING - 6 * 3600, NY_SPRING,
         "in the spring-forward gap: the end of the gap"},
        {"America/New_York", "09:00", NY_SPRING - 6 * 3600, NY_SPRING + 6 * 3600,
         "after spring forward: EDT"},
        {"America/New_York", "01:30", NY_AUTUMN - 3 * 3600, NY_AUTUMN - 1800,
         "fall back: the first 01:30 (EDT)"},
        {"America/New_York", "09:00", NY_AUTUMN, NY_AUTUMN + 8 * 3600,
         "after fall back: EST (01:00 EST at NY_AUTUMN)"},
        {"Europe/London", "01:30", LDN_SPRING - 3600, LDN_SPRING, "London's gap"},
        {"Pacific/Auckland", "08:00", JAN15_2026, JAN15_2026 + 19 * 3600,
         "east of UTC, NZDT +13: 08:00 on the 16th local"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        const sg_tz *z = zone(rows[i].zone);
        int64_t got = sg_journey_next_time_of_day(sg_journey_parse_time_of_day(rows[i].at),
                                                  rows[i].t, sg_tz_offset_cb, (void *)z);
        if (got != rows[i].want)
            fail_msg("row %zu (%s): %s in %s from %lld: got %lld want %lld", i, rows[i].why,
                     rows[i].at, rows[i].zone, (long long)rows[i].t, (long long)got,
                     (long long)rows[i].want);
    }
}

static void test_wait_due(void **state)
{
    (void)state;
    const sg_tz *ny = zone("America/New_York");
    sg_journey_step s = {.type = SG_JS_WAIT, .seconds = 86400, .until_min = -1};
    /* a day of seconds across spring forward is 24 real hours, not a local day */
    assert_int_equal(sg_journey_wait_due(&s, NY_SPRING - 3600, sg_tz_offset_cb, (void *)ny),
                     NY_SPRING - 3600 + 86400);
    /* a day, then 09:00 local: 09:00 EDT on the 9th */
    s.until_min = 9 * 60;
    assert_int_equal(sg_journey_wait_due(&s, NY_SPRING - 3600, sg_tz_offset_cb, (void *)ny),
                     NY_SPRING + 86400 + 6 * 3600);
    s.seconds = 0; /* only until */
    assert_int_equal(sg_journey_wait_due(&s, NY_SPRING - 3600, sg_tz_offset_cb, (void *)ny),
                     NY_SPRING + 6 * 3600);
    s.seconds = SG_JOURNEY_WAIT_MAX;
    s.until_min = -1;
    assert_int_equal(sg_journey_wait_due(&s, INT64_MAX - 5, sg_tz_offset_cb, (void *)ny),
                     INT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation),     cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_reply_branches), cmocka_unit_test(test_time_of_day_parse),
        cmocka_unit_test(test_next_time_of_day), cmocka_unit_test(test_wait_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
