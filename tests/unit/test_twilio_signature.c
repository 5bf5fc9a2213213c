/* X-Twilio-Signature (providers/twilio_signature.h) against the published test
 * vectors (providers.md A.9, from twilio-node's spec/validation.spec.js, each
 * recomputed with Python's hmac), and the URL variants the validator accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/twilio/signature.h"
#include "util/crypto.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN   "12345"
#define URL     "https://mycompany.com/myapp.php?foo=1&bar=2"
#define URL_443 "https://mycompany.com:443/myapp.php?foo=1&bar=2"
/* The vector's parameters as Twilio would post them (form-encoded). */
#define PARAMS                                                                                     \
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309"              \
    "&To=%2B18005551212"
#define SIG     "RSOYDt4T1cUTdK1PDd93/VVr8B8="
#define SIG_443 "kvajT1Ptam85bY51eRf/AJRuM3w=" /* the same, URL with :443 */

#define BODY       "{\"property\": \"value\", \"boolean\": true}"
#define BODY_HASH  "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
#define EMPTY_HASH "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"

static int setup(void **state)
{
    return sg_crypto_init() == SG_OK ? 0 : -1;
}

static sg_form form_of(const char *text)
{
    sg_form f;
    assert_int_equal(sg_form_parse(text, strlen(text), &f), SG_OK);
    return f;
}

static bool valid(const char *url, const char *params, const char *sig)
{
    sg_form f = form_of(params);
    bool ok = sg_twilio_signature_valid(TOKEN, url, &f, sig);
    sg_form_free(&f);
    return ok;
}

static void sign(const char *url, const char *params, char out[SG_TWILIO_SIG_MAX])
{
    sg_form f = form_of(params);
    sg_twilio_sign(TOKEN, url, &f, out);
    sg_form_free(&f);
}

static void test_form_vector(void **state)
{
    char sig[SG_TWILIO_SIG_MAX];
    sign(URL, PARAMS, sig);
    assert_string_equal(sig, SIG);
    assert_true(valid(URL, PARAMS, SIG));
    /* the parameters' order in the body does not matter: they are sorted */
    assert_true(valid(URL,
                      "To=%2B18005551212&From=%2B14158675309&Digits=1234"
                      "&Caller=%2B14158675309&CallSid=CA1234567890ABCDE",
                      SIG));
}

static void test_port_variants(void **state)
{
    char sig[SG_TWILIO_SIG_MAX];
    /* we see ":443" but Twilio signed the URL without it */
    assert_true(valid(URL_443, PARAMS, SIG));
    /* Twilio signed with ":443" and we see the URL without it */
    sign(URL_443, PARAMS, sig);
    assert_string_equal(sig, SIG_443);
    assert_true(valid(URL, PARAMS, SIG_443));
    assert_true(valid(URL_443, PARAMS, SIG_443));
    /* any port is stripped, and a standard port added for http too */
    assert_true(valid("https://mycompany.com:1234/myapp.php?foo=1&bar=2", PARAMS, SIG));
    assert_true(valid("http://mycompany.com:1234/myapp.php?foo=1&bar=2", PARAMS,
                      "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="));
    assert_true(valid("http://mycompany.com/myapp.php?foo=1&bar=2", PARAMS,
                      "0ZXoZLH/DfblKGATFgpif+LLRf4="));
    /* but :80 is not https's port */
    sign("https://mycompany.com:80/myapp.php?foo=1&bar=2", PARAMS, sig);
    assert_false(valid(URL, PARAMS, sig));
}

static void test_credentials_in_url(void **state)
{
    assert_true(valid("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", PARAMS,
                      "CukzLTc1tT5dXEDIHm/tKBanW10="));
    assert_true(valid("https://user@mycompany.com/myapp.php?foo=1&bar=2", PARAMS,
                      "2YRLlVAflCqxaNicjMpJcSTgzSs="));
    /* signed with :443 after the credentials, whose ':' is not a port */
    assert_true(valid("https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", PARAMS,
                      "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="));
    char sig[SG_TWILIO_SIG_MAX];
    sign("https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2", PARAMS, sig);
    assert_string_equal(sig, "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=");
}

static void test_rejections(void **state)
{
    sg_form f = form_of(PARAMS);
    assert_false(sg_twilio_signature_valid("54321", URL, &f, SIG)); /* wrong token */
    assert_false(sg_twilio_signature_valid("", URL, &f, SIG));
    assert_false(sg_twilio_signature_valid(NULL, URL, &f, SIG));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, "WRONG_SIGNATURE"));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, ""));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, NULL));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8"));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, "RSOYDt4T1cUTdK1PDd93/VVr8B8=="));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, &f, "rsoydt4t1cutdk1pdd93/vvr8b8="));
    assert_false(sg_twilio_signature_valid(TOKEN, URL, NULL, SIG)); /* params dropped */
    assert_false(sg_twilio_signature_valid(TOKEN, URL "&baz=3", &f, SIG));
    assert_false(sg_twilio_signature_valid(TOKEN, "https://mycompany.com/myapp.php", &f, SIG));
    assert_false(
        sg_twilio_signature_valid(TOKEN, "https://evil.com/myapp.php?foo=1&bar=2", &f, SIG));
    sg_form_free(&f);

    /* a changed value, an extra parameter, a missing one */
    assert_false(valid(URL,
                       "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1235"
                       "&From=%2B14158675309&To=%2B18005551212",
                       SIG));
    assert_false(valid(URL, PARAMS "&Body=hi", SIG));
    assert_false(valid(URL, PARAMS "&Extra=", SIG));
    assert_false(valid(URL,
                       "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234"
                       "&From=%2B14158675309",
                       SIG));
    /* an unencoded '+' in a form body is a space, so the value differs */
    assert_false(valid(URL,
                       "CallSid=CA1234567890ABCDE&Caller=+14158675309&Digits=1234"
                       "&From=%2B14158675309&To=%2B18005551212",
                       SIG));

    /* not a URL at all: only the string as given is tried */
    char sig[SG_TWILIO_SIG_MAX];
    sign("not a url", PARAMS, sig);
    assert_true(valid("not a url", PARAMS, sig));
    assert_false(valid("not a url", PARAMS, SIG));

    /* over-long URLs are refused outright */
    static char longurl[5000];
    memset(longurl, 'a', sizeof longurl - 1);
    memcpy(longurl, "https://x.com/", 14);
    sign(longurl, PARAMS, sig);
    assert_false(valid(longurl, PARAMS, sig));
}

/* Values are signed decoded: '+' and "%20" in the raw body give the same value
 * and so the same signature. */
static void test_encoding_of_values(void **state)
{
    char a[SG_TWILIO_SIG_MAX], b[SG_TWILIO_SIG_MAX], c[SG_TWILIO_SIG_MAX];
    sign(URL, "Body=It%27s+working%21&From=%2B15005550006", a);
    sign(URL, "Body=It's%20working!&From=%2b15005550006", b);
    sign(URL, "From=%2B15005550006&Body=It%27s%20working%21", c);
    assert_string_equal(a, b);
    assert_string_equal(a, c);
    assert_true(valid(URL, "Body=It's+working!&From=%2B15005550006", a));
    sign(URL, "Body=It%27s++working%21&From=%2B15005550006", c);
    assert_string_not_equal(a, c);
}

/* Repeated keys: each distinct value once, values sorted (twilio-node's array
 * parameters). */
static void test_repeated_keys(void **state)
{
    char sig[SG_TWILIO_SIG_MAX];
    sign(URL, "MessagingBinding.Address=%2B1325xxxxxxx&MessagingBinding.Address=%2B1415xxxxxxx",
         sig);
    assert_string_equal(sig, "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    sign(URL, "MessagingBinding.Address=%2B1415xxxxxxx&MessagingBinding.Address=%2B1325xxxxxxx",
         sig);
    assert_string_equal(sig, "83O6e2vORAoJHUNzJjDWN1jz+BA=");
    sign(URL, "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234", sig);
    assert_string_equal(sig, "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
    assert_true(valid(URL, "Digits=1234&SidAccount=AC123&Digits=5678&Sid=CA123",
                      "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    /* a different multiset of distinct values is a different signature */
    assert_false(
        valid(URL, "Sid=CA123&SidAccount=AC123&Digits=5678", "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
}

/* JSON bodies: the signature covers the URL (with bodySHA256) and no parameters. */
static void test_body_sha256_vectors(void **state)
{
    char hex[SG_SHA256_HEX_LEN], sig[SG_TWILIO_SIG_MAX], sig2[SG_TWILIO_SIG_MAX];
    sg_sha256_hex(BODY, strlen(BODY), hex);
    assert_string_equal(hex, BODY_HASH);
    sg_sha256_hex("{}", 2, hex);
    assert_string_equal(hex, EMPTY_HASH);

    const char *url2 = URL "&bodySHA256=" BODY_HASH;
    sg_twilio_sign(TOKEN, url2, NULL, sig);
    assert_string_equal(sig, "a9nBmqA0ju/hNViExpshrM61xv4=");
    sg_form none = {NULL, 0};
    sg_twilio_sign(TOKEN, url2, &none, sig2); /* an empty form is no parameters */
    assert_string_equal(sig2, sig);
    assert_true(sg_twilio_signature_valid(TOKEN, url2, NULL, "a9nBmqA0ju/hNViExpshrM61xv4="));
    assert_true(sg_twilio_signature_valid(TOKEN, url2, &none, "a9nBmqA0ju/hNViExpshrM61xv4="));

    /* "Ldidvp..." (the empty-body vector) is the signature of this URL with
     * ":443" added; it validates through the add-port variant. */
    const char *url3 = URL "&bodySHA256=" EMPTY_HASH;
    sg_twilio_sign(TOKEN, url3, NULL, sig);
    assert_string_not_equal(sig, "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
    sg_twilio_sign(TOKEN, URL_443 "&bodySHA256=" EMPTY_HASH, NULL, sig);
    assert_string_equal(sig, "Ldidvp12m26NI7eqEvxnEpkd9Hc=");
    assert_true(sg_twilio_signature_valid(TOKEN, url3, NULL, "Ldidvp12m26NI7eqEvxnEpkd9Hc="));

    /* only the hash in the query */
    assert_true(sg_twilio_signature_valid(TOKEN,
                                          "https://mycompany.com/myapp.php?bodySHA256=" BODY_HASH,
                                          NULL, "y77kIzt2vzLz71DgmJGsen2scGs="));
    /* the hash is part of what is signed */
    assert_false(sg_twilio_signature_valid(TOKEN, url3, NULL, "a9nBmqA0ju/hNViExpshrM61xv4="));
}

/* The query string as given, and re-encoded the way Node's querystring module
 * does it. */
static void test_query_variants(void **state)
{
    /* twilio-node's special-characters vector: matches as given */
    assert_true(valid(URL "&Body=It's+amazing", PARAMS, "dsq4Ehbj6cs+KdTkpF5sSSplOWw="));
    /* Twilio signed "It's%20amazing" (querystring.stringify); the URL we see has
     * %27 and '+' */
    assert_true(valid(URL "&Body=It%27s+amazing", PARAMS, "bD9iT2C/HNMwZ/yCH1s/5R2+wUs="));
    assert_true(valid(URL "&Body=It%27s%20amazing", PARAMS, "bD9iT2C/HNMwZ/yCH1s/5R2+wUs="));
    /* the same, with the port added */
    char sig[SG_TWILIO_SIG_MAX];
    sign(URL_443 "&Body=It's%20amazing", PARAMS, sig);
    assert_true(valid(URL "&Body=It%27s+amazing", PARAMS, sig));
    /* no variant turns "'" back into %27 */
    assert_false(valid(URL "&Body=It's+amazing", PARAMS, "TfZzewPq8wqrGlMfyAud8+/IvJ0="));

    /* querystring.parse groups a repeated key at its first place */
    sign("https://mycompany.com/myapp.php?a=1&a=3&b=x%20y", PARAMS, sig);
    assert_true(valid("https://mycompany.com/myapp.php?a=1&b=x+y&a=3", PARAMS, sig));
    /* a fragment stays after the re-encoded query */
    sign("https://mycompany.com/myapp.php?b=x%20y#rc=5", PARAMS, sig);
    assert_true(valid("https://mycompany.com/myapp.php?b=x+y#rc=5", PARAMS, sig));
}

static void test_ipv6_host(void **state)
{
    char sig[SG_TWILIO_SIG_MAX];
    sign("https://[2001:db8::1]/sms?x=1", PARAMS, sig);
    assert_true(valid("https://[2001:db8::1]:443/sms?x=1", PARAMS, sig));
    assert_true(valid("https://[2001:db8::1]:8443/sms?x=1", PARAMS, sig));
    sign("https://[2001:db8::1]:443/sms?x=1", PARAMS, sig);
    assert_true(valid("https://[2001:db8::1]/sms?x=1", PARAMS, sig));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_vector),         cmocka_unit_test(test_port_variants),
        cmocka_unit_test(test_credentials_in_url),  cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_encoding_of_values),  cmocka_unit_test(test_repeated_keys),
        cmocka_unit_test(test_body_sha256_vectors), cmocka_unit_test(test_query_variants),
        cmocka_unit_test(test_ipv6_host),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
