/* Smsgate-Signature (core/webhook_signature.h): a fixed vector computed
 * independently with Python, round trips, tampering, a wrong secret, stale and
 * future timestamps, several v1 entries, and malformed headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/webhook_signature.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET "whsec_test"
#define T      1700000000
#define BODY   "{\"event\":\"message.status\",\"data\":{\"id\":\"msg_1\"}}"
/* python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec_test",
 *   b"1700000000.{\"event\":\"message.status\",\"data\":{\"id\":\"msg_1\"}}",
 *   hashlib.sha256).hexdigest())' */
#define MAC "b306ef59fadf13b3995b8482d0a69158f0bf4b60065169c4aaadfb30b6f04d1a"
/* The same with secret b"other" (a key rotation's old secret). */
#define MAC_OTHER "ef14ddc34a4306114e9fc9d4bdece7c2ee9d1bace08f763b854d81d970dea281"
/* python3 -c 'import hmac,hashlib;print(hmac.new(b"whsec_test",b"1700000000.",
 *   hashlib.sha256).hexdigest())'  (an empty body) */
#define MAC_EMPTY "5967f3c560522fa40cf2876ebc3c3a08551dd6959aaade3b413460591895bdcc"

#define HEADER "t=1700000000,v1=" MAC

static int setup(void **state)
{
    return sg_crypto_init() == SG_OK ? 0 : -1;
}

static sg_webhook_sig_result verify(const char *secret, const char *header, const char *body,
                                    int64_t now)
{
    return sg_webhook_verify(secret, header, body, strlen(body), now, 300);
}

static void test_fixed_vector(void **state)
{
    char sig[SG_WEBHOOK_SIG_MAX];
    assert_true(sg_webhook_sign(SECRET, T, BODY, strlen(BODY), sig));
    assert_string_equal(sig, HEADER);
    assert_int_equal(verify(SECRET, HEADER, BODY, T), SG_WEBHOOK_SIG_OK);

    assert_true(sg_webhook_sign(SECRET, T, "", 0, sig));
    assert_string_equal(sig, "t=1700000000,v1=" MAC_EMPTY);
    assert_int_equal(verify(SECRET, sig, "", T + 10), SG_WEBHOOK_SIG_OK);
}

static void test_round_trip(void **state)
{
    /* The body need not be NUL-terminated and may hold any byte. */
    const char body[] = {'{', '"', 'a', '"', ':', 0, '}', 'X'};
    char sig[SG_WEBHOOK_SIG_MAX];
    assert_true(sg_webhook_sign("whsec_0123", 42, body, 7, sig));
    assert_int_equal(sg_webhook_verify("whsec_0123", sig, body, 7, 42, 0), SG_WEBHOOK_SIG_OK);
    assert_int_equal(sg_webhook_verify("whsec_0123", sig, body, 8, 42, 0), SG_WEBHOOK_SIG_MISMATCH);
    /* a negative time cannot be signed */
    assert_false(sg_webhook_sign(SECRET, -1, BODY, strlen(BODY), sig));
    assert_string_equal(sig, "");
}

static void test_tampering(void **state)
{
    /* another body */
    const char *tampered = "{\"event\":\"message.status\",\"data\":{\"id\":\"msg_2\"}}";
    assert_int_equal(verify(SECRET, HEADER, tampered, T), SG_WEBHOOK_SIG_MISMATCH);
    /* one byte more (trailing newline) */
    assert_int_equal(verify(SECRET, HEADER, BODY "\n", T), SG_WEBHOOK_SIG_MISMATCH);
    /* another timestamp with the same MAC: the time is under the MAC */
    assert_int_equal(verify(SECRET, "t=1700000001,v1=" MAC, BODY, T), SG_WEBHOOK_SIG_MISMATCH);
    /* one hex digit changed */
    char h[sizeof HEADER];
    memcpy(h, HEADER, sizeof HEADER);
    h[sizeof HEADER - 2] = h[sizeof HEADER - 2] == 'a' ? 'b' : 'a';
    assert_int_equal(verify(SECRET, h, BODY, T), SG_WEBHOOK_SIG_MISMATCH);
}

static void test_wrong_secret(void **state)
{
    assert_int_equal(verify("whsec_tesT", HEADER, BODY, T), SG_WEBHOOK_SIG_MISMATCH);
    assert_int_equal(verify("", HEADER, BODY, T), SG_WEBHOOK_SIG_MISMATCH);
    assert_int_equal(verify("other", HEADER, BODY, T), SG_WEBHOOK_SIG_MISMATCH);
    assert_int_equal(verify("other", "t=1700000000,v1=" MAC_OTHER, BODY, T), SG_WEBHOOK_SIG_OK);
}

static void test_timestamps(void **state)
{
    assert_int_equal(verify(SECRET, HEADER, BODY, T + 300), SG_WEBHOOK_SIG_OK);
    assert_int_equal(verify(SECRET, HEADER, BODY, T + 301), SG_WEBHOOK_SIG_STALE);
    assert_int_equal(verify(SECRET, HEADER, BODY, T - 300), SG_WEBHOOK_SIG_OK);
    assert_int_equal(verify(SECRET, HEADER, BODY, T - 301), SG_WEBHOOK_SIG_STALE); /* future */
    assert_int_equal(verify(SECRET, HEADER, BODY, -5), SG_WEBHOOK_SIG_STALE);
    /* stale is only said of an authentic header */
    assert_int_equal(verify("other", HEADER, BODY, T + 10000), SG_WEBHOOK_SIG_MISMATCH);
    /* a negative tolerance skips the check */
    assert_int_equal(sg_webhook_verify(SECRET, HEADER, BODY, strlen(BODY), 0, -1),
                     SG_WEBHOOK_SIG_OK);
    assert_int_equal(sg_webhook_verify(SECRET, HEADER, BODY, strlen(BODY), T, 0),
                     SG_WEBHOOK_SIG_OK);
    assert_int_equal(sg_webhook_verify(SECRET, HEADER, BODY, strlen(BODY), T + 1, 0),
                     SG_WEBHOOK_SIG_STALE);
}

static void test_several_entries(void **state)
{
    /* the right MAC among others, in any place; other schemes ignored */
    const char *ok[] = {
        "t=1700000000,v1=" MAC_OTHER ",v1=" MAC,
        "t=1700000000,v1=" MAC ",v1=" MAC_OTHER,
        "v1=" MAC_OTHER ",v1=" MAC ",t=1700000000",
        "t=1700000000, v1=" MAC_OTHER ", v1=" MAC,
        " t=1700000000 ,\tv1=" MAC " ",
        "t=1700000000,v0=deadbeef,v1=" MAC ",v2=whatever",
        "t=1700000000,v1="
        "B306EF59FADF13B3995B8482D0A69158F0BF4B60065169C4AAADFB30B6F04D1A",
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        if (verify(SECRET, ok[i], BODY, T) != SG_WEBHOOK_SIG_OK)
            fail_msg("not accepted: %s", ok[i]);
    }
    assert_int_equal(verify(SECRET, "t=1700000000,v1=" MAC_OTHER ",v1=" MAC_OTHER, BODY, T),
                     SG_WEBHOOK_SIG_MISMATCH);
    assert_int_equal(verify(SECRET, "t=1700000000,v1=" MAC_OTHER ",v2=" MAC, BODY, T),
                     SG_WEBHOOK_SIG_MISMATCH);
}

static void test_malformed(void **state)
{
    const char *bad[] = {
        "",
        " ",
        "v1=" MAC,                           /* no t */
        "t=1700000000",                      /* no v1 */
        "t=1700000000,v2=" MAC,              /* no v1 */
        "t=1700000000,t=1700000000,v1=" MAC, /* two t */
        "t=,v1=" MAC,                        /* empty t */
        "t=-1700000000,v1=" MAC,             /* sign */
        "t=+1700000000,v1=" MAC,             /* sign */
        "t=17e8,v1=" MAC,                    /* not digits */
        "t=1700000000.5,v1=" MAC,            /* fraction */
        "t=99999999999999999999,v1=" MAC,    /* 20 digits */
        "t=9223372036854775808,v1=" MAC,     /* INT64_MAX + 1 */
        "t=1700000000,v1=" MAC "0",          /* 65 hex digits */
        "t=1700000000,v1=" MAC_EMPTY "g",    /* not hex */
        "t=1700000000,v1=b306ef59fadf13b3",  /* too short */
        "t=1700000000,v1=",                  /* empty v1 */
        "t=1700000000;v1=" MAC,              /* wrong separator */
        "t=1700000000,,v1=" MAC,             /* empty entry */
        "t=1700000000,v1=" MAC ",",          /* trailing comma */
        ",t=1700000000,v1=" MAC,             /* leading comma */
        "t=1700000000,=x,v1=" MAC,           /* entry without a name */
        "t=1700000000,junk,v1=" MAC,         /* entry without '=' */
        "t 1700000000,v1=" MAC,              /* no '=' */
        "T=1700000000,V1=" MAC,              /* keys are lower case */
        "t = 1700000000,v1=" MAC,            /* spaces inside an entry */
        "sha256=" MAC,                       /* another vendor's format */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sg_webhook_sig_result r = verify(SECRET, bad[i], BODY, T);
        if (r != SG_WEBHOOK_SIG_MALFORMED)
            fail_msg("'%s': %s, expected malformed", bad[i], sg_webhook_sig_result_name(r));
    }
    assert_int_equal(sg_webhook_verify(SECRET, NULL, BODY, strlen(BODY), T, 300),
                     SG_WEBHOOK_SIG_MALFORMED);

    /* An over-long header is refused before any work, even with a valid MAC in it. */
    size_t big = SG_WEBHOOK_SIG_HEADER_MAX + 1;
    char *h = malloc(big + 1);
    assert_non_null(h);
    int n = snprintf(h, big + 1, "%s", HEADER);
    memset(h + n, ' ', big - (size_t)n);
    h[big] = '\0';
    assert_int_equal(verify(SECRET, h, BODY, T), SG_WEBHOOK_SIG_MALFORMED);
    h[big - 1] = '\0'; /* exactly the maximum: accepted (trailing spaces are trimmed) */
    assert_int_equal(verify(SECRET, h, BODY, T), SG_WEBHOOK_SIG_OK);
    free(h);

    /* Many v1 entries up to the length bound still work. */
    char many[SG_WEBHOOK_SIG_HEADER_MAX + 1];
    size_t len = (size_t)snprintf(many, sizeof many, "t=1700000000");
    while (len + 68 + 68 <= SG_WEBHOOK_SIG_HEADER_MAX)
        len += (size_t)snprintf(many + len, sizeof many - len, ",v1=%s", MAC_OTHER);
    snprintf(many + len, sizeof many - len, ",v1=%s", MAC);
    assert_int_equal(verify(SECRET, many, BODY, T), SG_WEBHOOK_SIG_OK);
}

static void test_names(void **state)
{
    assert_string_equal(sg_webhook_sig_result_name(SG_WEBHOOK_SIG_OK), "ok");
    assert_string_equal(sg_webhook_sig_result_name(SG_WEBHOOK_SIG_MALFORMED), "malformed");
    assert_string_equal(sg_webhook_sig_result_name(SG_WEBHOOK_SIG_MISMATCH), "mismatch");
    assert_string_equal(sg_webhook_sig_result_name(SG_WEBHOOK_SIG_STALE), "stale");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_vector), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampering),    cmocka_unit_test(test_wrong_secret),
        cmocka_unit_test(test_timestamps),   cmocka_unit_test(test_several_entries),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
