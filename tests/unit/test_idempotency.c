#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/idempotency.h"
#include "util/crypto.h"

#include <string.h>

static void test_key_valid(void **state)
{
    char key[300];
    memset(key, 'k', sizeof key);
    key[255] = '\0';
    assert_true(sg_idem_key_valid(key));
    key[255] = 'k';
    key[256] = '\0';
    assert_false(sg_idem_key_valid(key));
    key[1] = '\0';
    assert_true(sg_idem_key_valid(key));

    assert_true(sg_idem_key_valid("550e8400-e29b-41d4-a716-446655440000"));
    assert_true(sg_idem_key_valid("!~"));
    assert_false(sg_idem_key_valid(""));
    assert_false(sg_idem_key_valid(NULL));
    assert_false(sg_idem_key_valid("has space"));
    assert_false(sg_idem_key_valid(" lead"));
    assert_false(sg_idem_key_valid("tab\there"));
    assert_false(sg_idem_key_valid("nl\n"));
    assert_false(sg_idem_key_valid("del\x7f"));
    assert_false(sg_idem_key_valid("\x01"));
    assert_false(sg_idem_key_valid("caf\xC3\xA9"));
}

static void fp(const char *m, const char *p, const char *body, char out[SG_IDEM_FINGERPRINT_LEN])
{
    sg_idem_fingerprint(m, p, body, body ? strlen(body) : 0, out);
}

static void test_fingerprint(void **state)
{
    char a[SG_IDEM_FINGERPRINT_LEN], b[SG_IDEM_FINGERPRINT_LEN];
    fp("POST", "/v1/messages", "{\"to\":\"+447400123456\"}", a);
    assert_int_equal(strlen(a), 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", a[i]));
    fp("POST", "/v1/messages", "{\"to\":\"+447400123456\"}", b);
    assert_string_equal(a, b);

    fp("PUT", "/v1/messages", "{\"to\":\"+447400123456\"}", b);
    assert_string_not_equal(a, b);
    fp("POST", "/v1/messages/x", "{\"to\":\"+447400123456\"}", b);
    assert_string_not_equal(a, b);
    fp("POST", "/v1/messages", "{\"to\":\"+447400123457\"}", b);
    assert_string_not_equal(a, b);

    /* Field boundaries count: no split of the same bytes collides. */
    char c[SG_IDEM_FINGERPRINT_LEN];
    fp("a", "bc", "", b);
    fp("ab", "c", "", c);
    assert_string_not_equal(b, c);
    fp("POST", "/a", "b", b);
    fp("POST", "/ab", "", c);
    assert_string_not_equal(b, c);
    fp("POS", "T/a", "b", c);
    assert_string_not_equal(b, c);

    /* The body is taken by length: bytes after a NUL count. */
    sg_idem_fingerprint("POST", "/p", "x\0y", 3, b);
    sg_idem_fingerprint("POST", "/p", "x\0z", 3, c);
    assert_string_not_equal(b, c);
    sg_idem_fingerprint("POST", "/p", "x\0y", 1, c);
    assert_string_not_equal(b, c);
    /* An empty body is the same whether it is NULL or "". */
    sg_idem_fingerprint("POST", "/p", NULL, 0, b);
    sg_idem_fingerprint("POST", "/p", "", 0, c);
    assert_string_equal(b, c);
}

static void test_decide(void **state)
{
    char a[SG_IDEM_FINGERPRINT_LEN], b[SG_IDEM_FINGERPRINT_LEN];
    fp("POST", "/v1/messages", "{\"body\":\"hi\"}", a);
    fp("POST", "/v1/messages", "{\"body\":\"hi!\"}", b);
    assert_int_equal(sg_idem_decide(NULL, a), SG_IDEM_NEW);
    assert_int_equal(sg_idem_decide(a, a), SG_IDEM_REPLAY);
    char copy[SG_IDEM_FINGERPRINT_LEN];
    memcpy(copy, a, sizeof copy);
    assert_int_equal(sg_idem_decide(copy, a), SG_IDEM_REPLAY);
    assert_int_equal(sg_idem_decide(a, b), SG_IDEM_CONFLICT);
    assert_int_equal(sg_idem_decide(b, a), SG_IDEM_CONFLICT);
    assert_int_equal(sg_idem_decide(a, NULL), SG_IDEM_CONFLICT);
}

int main(void)
{
    if (sg_crypto_init() != SG_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_valid),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_decide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
