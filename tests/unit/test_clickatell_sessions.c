/* Sessions of the Clickatell-compatible legacy API (compat/clickatell_sessions.h):
 * a session names its app until 15 minutes without use, each use starts the 15
 * minutes again, a full table drops the least recently used session, ended and
 * malformed ids are no session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "compat/clickatell_sessions.h"
#include "util/crypto.h"

#include <stdio.h>
#include <string.h>

#define MIN_MS 60000LL

static int setup(void **state)
{
    (void)state;
    return sg_crypto_init() == SG_OK ? 0 : -1;
}

static void a_session_names_its_app_until_idle(void **state)
{
    (void)state;
    sg_ckc_sessions *t = sg_ckc_sessions_new(8);
    char id[SG_CKC_SESSION_ID_LEN + 1], app[SG_ID_MAX];
    int64_t rotated = 0;
    sg_ckc_session_new(t, "app_A", 42, 1000, id);
    assert_int_equal(strlen(id), 32);
    assert_true(sg_ckc_session_use(t, id, 1000 + 14 * MIN_MS, app, &rotated));
    assert_string_equal(app, "app_A");
    assert_int_equal(rotated, 42);
    /* that use started the 15 minutes again */
    assert_true(sg_ckc_session_use(t, id, 1000 + 28 * MIN_MS, app, &rotated));
    assert_false(sg_ckc_session_use(t, id, 1000 + 43 * MIN_MS, app, &rotated));
    sg_ckc_sessions_destroy(t);
}

static void unknown_malformed_and_ended_ids_are_no_session(void **state)
{
    (void)state;
    sg_ckc_sessions *t = sg_ckc_sessions_new(8);
    char id[SG_CKC_SESSION_ID_LEN + 1], app[SG_ID_MAX];
    int64_t rotated;
    sg_ckc_session_new(t, "app_A", 0, 0, id);
    char upper[SG_CKC_SESSION_ID_LEN + 1];
    snprintf(upper, sizeof upper, "%s", id);
    for (char *p = upper; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    static const char *const bad[] = {"", "f", "ffffffffffffffffffffffffffffffff",
                                      "ffffffffffffffffffffffffffffffffff", "zz"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (sg_ckc_session_use(t, bad[i], 0, app, &rotated))
            fail_msg("'%s' taken for a session", bad[i]);
    }
    if (strcmp(upper, id) != 0)
        assert_false(sg_ckc_session_use(t, upper, 0, app, &rotated));
    assert_false(sg_ckc_session_use(t, NULL, 0, app, &rotated));
    assert_true(sg_ckc_session_use(t, id, 0, app, &rotated));
    sg_ckc_session_end(t, id);
    assert_false(sg_ckc_session_use(t, id, 0, app, &rotated));
    sg_ckc_sessions_destroy(t);
}

static void a_full_table_drops_the_least_recently_used(void **state)
{
    (void)state;
    sg_ckc_sessions *t = sg_ckc_sessions_new(3);
    char ids[4][SG_CKC_SESSION_ID_LEN + 1], app[SG_ID_MAX];
    int64_t rotated;
    sg_ckc_session_new(t, "app_0", 0, 100, ids[0]);
    sg_ckc_session_new(t, "app_1", 0, 200, ids[1]);
    sg_ckc_session_new(t, "app_2", 0, 300, ids[2]);
    assert_true(sg_ckc_session_use(t, ids[0], 400, app, &rotated)); /* 1 is now the oldest */
    sg_ckc_session_new(t, "app_3", 0, 500, ids[3]);
    assert_false(sg_ckc_session_use(t, ids[1], 600, app, &rotated));
    for (int i = 0; i < 4; i++) {
        if (i != 1 && !sg_ckc_session_use(t, ids[i], 600, app, &rotated))
            fail_msg("session %d was dropped", i);
    }
    assert_string_equal(app, "app_3");
    sg_ckc_sessions_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_session_names_its_app_until_idle),
        cmocka_unit_test(unknown_malformed_and_ended_ids_are_no_session),
        cmocka_unit_test(a_full_table_drops_the_least_recently_used),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
