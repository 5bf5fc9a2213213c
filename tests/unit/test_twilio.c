/* The Twilio driver against recorded payloads (tests/fixtures/twilio/, providers.md
 * A.1-A.4): config validation and normalisation, the exact create-message request,
 * and the classification of every recorded answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/twilio/twilio.h"
#include "util/crypto.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AC    "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SK    "SKbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define MG    "MGcccccccccccccccccccccccccccccccc"
#define TOKEN "0123456789abcdef0123456789abcdef"

static const sg_provider_kind *K = &sg_twilio_kind;

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

/* Load the config given as JSON text; returns the driver's cfg (or NULL) and keeps
 * the (normalised) JSON in *json when json is not NULL. */
static void *load(const char *text, json_t **json, sg_error *e)
{
    json_error_t jerr;
    json_t *config = json_loads(text, 0, &jerr);
    if (!config)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    sg_error_clear(e);
    void *cfg = K->config_load(config, e);
    if (json)
        *json = config;
    else
        json_decref(config);
    return cfg;
}

/* ---- config ------------------------------------------------------------------------ */

static void test_config_token(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":[\"+15005550006\",\"MyShop\",\"12345\"]}",
                     &j, &e);
    assert_non_null(cfg);
    assert_string_equal(json_string_value(json_object_get(j, "base_url")),
                        "https://api.twilio.com");
    assert_true(json_is_number(json_object_get(j, "mps")));
    assert_true(json_number_value(json_object_get(j, "mps")) == 1.0);
    const char *const *senders;
    assert_int_equal(K->senders(cfg, &senders), 3);
    assert_string_equal(senders[0], "+15005550006");
    assert_string_equal(senders[1], "MyShop");
    assert_string_equal(senders[2], "12345");
    K->config_free(cfg);
    json_decref(j);
}

static void test_config_api_key_and_pipe_string(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg =
        load("{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" SK "\","
             "\"api_key_secret\":\"s3cret\",\"from\":\" +15017122661 | +15017122662|My Shop\","
             "\"base_url\":\"http://127.0.0.1:18091//\",\"mps\":2.5}",
             &j, &e);
    assert_non_null(cfg);
    json_t *from = json_object_get(j, "from");
    assert_true(json_is_array(from));
    assert_int_equal(json_array_size(from), 3);
    assert_string_equal(json_string_value(json_array_get(from, 0)), "+15017122661");
    assert_string_equal(json_string_value(json_array_get(from, 1)), "+15017122662");
    assert_string_equal(json_string_value(json_array_get(from, 2)), "My Shop");
    assert_string_equal(json_string_value(json_object_get(j, "base_url")),
                        "http://127.0.0.1:18091");
    assert_true(json_number_value(json_object_get(j, "mps")) == 2.5);
    const char *const *senders;
    assert_int_equal(K->senders(cfg, &senders), 3);
    assert_string_equal(senders[1], "+15017122662");
    K->config_free(cfg);
    json_decref(j);
}

static void test_config_service_only(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\","
                     "\"messaging_service_sid\":\"" MG "\"}",
                     &j, &e);
    assert_non_null(cfg);
    const char *const *senders;
    assert_int_equal(K->senders(cfg, &senders), 0);
    assert_true(json_is_array(json_object_get(j, "from")));
    assert_int_equal(json_array_size(json_object_get(j, "from")), 0);
    K->config_free(cfg);
    json_decref(j);

    /* null counts as absent */
    cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"api_key_sid\":null,"
               "\"from\":\"\",\"messaging_service_sid\":\"" MG "\"}",
               NULL, &e);
    assert_non_null(cfg);
    K->config_free(cfg);
}

static void test_config_secret_fields(void **state)
{
    /* derived from the config_keys rows flagged SG_CONFIG_SECRET */
    static const char *const secret[] = {"auth_token", "api_key_secret", "callback_secret"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        if (!sg_provider_kind_secret(K, secret[i]))
            fail_msg("%s should be a secret", secret[i]);
    }
    static const char *const plain[] = {"account_sid",           "api_key_sid", "from", "base_url",
                                        "messaging_service_sid", "mps",         "nope"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        if (sg_provider_kind_secret(K, plain[i]))
            fail_msg("%s should not be a secret", plain[i]);
    }
    assert_ptr_equal(sg_provider_kind_find("twilio"), K);
}

static void test_config_bad(void **state)
{
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"auth_token\":\"t\",\"from\":\"+15005550006\"}", "config.account_sid"},
        {"{\"account_sid\":\"AC123\",\"auth_token\":\"t\",\"from\":\"+15005550006\"}",
         "config.account_sid"},
        {"{\"account_sid\":\"ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaz\",\"auth_token\":\"t\","
         "\"from\":\"+15005550006\"}",
         "config.account_sid"},
        {"{\"account_sid\":\"" SK "\",\"auth_token\":\"t\",\"from\":\"+15005550006\"}",
         "config.account_sid"},
        {"{\"account_sid\":\"" AC "\",\"from\":\"+15005550006\"}", "config.auth_token"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"\",\"from\":\"+15005550006\"}",
         "config.auth_token"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":5,\"from\":\"+15005550006\"}",
         "config.auth_token"},
        {"{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" SK "\",\"from\":\"+15005550006\"}",
         "config.api_key_secret"},
        {"{\"account_sid\":\"" AC "\",\"api_key_secret\":\"s\",\"from\":\"+15005550006\"}",
         "config.api_key_sid"},
        {"{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" AC "\",\"api_key_secret\":\"s\","
         "\"from\":\"+15005550006\"}",
         "config.api_key_sid"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\"}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":[]}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+1\"}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+1234567890123456\"}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"12\"}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"123456789\"}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"TwelveLetter\"}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"Shop!\"}", "config.from"},
        {"{\"account_sid\":\"" AC
         "\",\"auth_token\":\"t\",\"from\":\"+15005550006||+15005550007\"}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006|+15005550006\"}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":[\"+15005550006\",7]}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":7}", "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"messaging_service_sid\":\"MG1\"}",
         "config.messaging_service_sid"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"title\":\"x\"}",
         "config.title"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\",\"mps\":0}",
         "config.mps"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"mps\":20000}",
         "config.mps"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"mps\":\"5\"}",
         "config.mps"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"base_url\":\"ftp://x\"}",
         "config.base_url"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"base_url\":\"https://\"}",
         "config.base_url"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"base_url\":\"https://a b\"}",
         "config.base_url"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"base_url\":\"https://x/?a=1\"}",
         "config.base_url"},
        {"[1,2]", "config"},
        /* control characters, in every string (they were accepted in auth_token) */
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\\u0001k\",\"from\":\"+15005550006\"}",
         "config.auth_token"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"token\\n\",\"from\":\"+15005550006\"}",
         "config.auth_token"},
        {"{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" SK "\",\"api_key_secret\":\"s\\u007f\","
         "\"from\":\"+15005550006\"}",
         "config.api_key_secret"},
        {"{\"account_sid\":\"" AC
         "\",\"auth_token\":\"t\",\"from\":[\"+15005550006\",\"Shop\\t\"]}",
         "config.from"},
        {"{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
         "\"base_url\":\"https://x\\u001b/\"}",
         "config.base_url"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_error e;
        json_t *j;
        void *cfg = load(cases[i].json, &j, &e);
        if (cfg)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        assert_int_equal(e.err, SG_ERR_INVALID);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        assert_true(strlen(e.message) > 10);
        /* a failed load writes nothing back */
        if (json_is_object(j) && !strstr(cases[i].json, "base_url"))
            assert_null(json_object_get(j, "base_url"));
        if (json_is_object(j) && !strstr(cases[i].json, "mps"))
            assert_null(json_object_get(j, "mps"));
        json_decref(j);
    }
}

static void test_config_messages(void **state)
{
    sg_error e;
    /* the message names the unknown key and what is expected */
    assert_null(load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\","
                     "\"colour\":\"x\"}",
                     NULL, &e));
    assert_non_null(strstr(e.message, "colour"));
    assert_non_null(strstr(e.message, "account_sid"));
    /* a secret is never echoed */
    assert_null(load("{\"account_sid\":\"" AC "\",\"auth_token\":\"hunter2-secret\","
                     "\"api_key_sid\":\"" SK "\",\"api_key_secret\":\"other-secret\","
                     "\"from\":\"+1\"}",
                     NULL, &e));
    assert_null(strstr(e.message, "hunter2"));
    assert_null(strstr(e.message, "other-secret"));
    char big[300];
    memset(big, 'x', 200);
    big[200] = '\0';
    char text[600];
    snprintf(text, sizeof text,
             "{\"account_sid\":\"" AC "\",\"auth_token\":\"%s\",\"from\":\"+15005550006\"}", big);
    assert_null(load(text, NULL, &e));
    assert_string_equal(e.field, "config.auth_token");
    assert_null(strstr(e.message, "xxxx"));
    assert_non_null(strstr(e.message, "128"));

    /* 100 senders are fine, 101 are not */
    char list[4096] = "";
    size_t off = 0;
    for (int i = 0; i < 101; i++)
        off += (size_t)snprintf(list + off, sizeof list - off, "%s+1500555%04d", i ? "|" : "", i);
    char *json = malloc(8192);
    snprintf(json, 8192, "{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"%s\"}", list);
    assert_null(load(json, NULL, &e));
    assert_string_equal(e.field, "config.from");
    list[off - strlen("|+15005550100")] = '\0';
    snprintf(json, 8192, "{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"%s\"}", list);
    void *cfg = load(json, NULL, &e);
    assert_non_null(cfg);
    const char *const *senders;
    assert_int_equal(K->senders(cfg, &senders), 100);
    K->config_free(cfg);
    free(json);
}

/* ---- build_send --------------------------------------------------------------------- */

static const char *header(const sg_prov_request *r, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strncmp(r->headers[i], name, len) == 0 && r->headers[i][len] == ':')
            return r->headers[i] + len + 2;
    }
    return NULL;
}

/* The user:password inside an "Authorization: Basic ..." header. */
static void basic_credentials(const sg_prov_request *r, char *out, size_t cap)
{
    const char *auth = header(r, "Authorization");
    assert_non_null(auth);
    assert_int_equal(strncmp(auth, "Basic ", 6), 0);
    size_t got = 0;
    assert_int_equal(sodium_base642bin((unsigned char *)out, cap - 1, auth + 6, strlen(auth + 6),
                                       NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    out[got] = '\0';
}

static void test_build_token(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":\"+15005550006\",\"base_url\":\"http://127.0.0.1:18091/\"}",
                     NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {.id = "msg_1",
                         .to = "+15558675310",
                         .from = "+15005550006",
                         .body = "hi A",
                         .status_callback = "http://127.0.0.1/cb"};
    sg_prov_request r;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.url, "http://127.0.0.1:18091/2010-04-01/Accounts/" AC "/Messages.json");
    assert_string_equal(header(&r, "Content-Type"), "application/x-www-form-urlencoded");
    assert_string_equal(header(&r, "Accept"), "application/json");
    char cred[256];
    basic_credentials(&r, cred, sizeof cred);
    assert_string_equal(cred, AC ":" TOKEN);
    size_t len;
    char *expected = fixture("request_basic.txt", &len);
    assert_int_equal(r.body_len, len);
    assert_memory_equal(r.body, expected, len);
    assert_int_equal(strlen(r.body), r.body_len);
    free(expected);
    sg_prov_request_free(&r);
    K->config_free(cfg);
}

static void test_build_api_key(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" SK "\","
                     "\"api_key_secret\":\"key:secret\",\"from\":[\"+15005550006\"]}",
                     NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {.to = "+447400123456", .from = "+15005550006", .body = "a+b c&d=é"};
    sg_prov_request r;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.url, "https://api.twilio.com/2010-04-01/Accounts/" AC "/Messages.json");
    char cred[256];
    basic_credentials(&r, cred, sizeof cred);
    assert_string_equal(cred, SK ":key:secret");
    /* without an auth token Twilio's signatures cannot be checked: secret URLs */
    assert_false(K->callbacks_signed(cfg));
    assert_true(sg_provider_url_secret(K, cfg));
    /* no StatusCallback when the message has none; '+' as %2B, spaces as %20 */
    assert_string_equal(r.body,
                        "To=%2B447400123456&From=%2B15005550006&Body=a%2Bb%20c%26d%3D%C3%A9");
    sg_prov_request_free(&r);
    K->config_free(cfg);
}

/* Authgear's guide: an API key sends; the account's auth token, given beside it,
 * only checks webhook signatures (issue 11 item 6: it was refused before). */
static void test_build_api_key_with_auth_token(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"api_key_sid\":\"" SK "\","
                     "\"api_key_secret\":\"s3cret\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":[\"+15005550006\"]}",
                     NULL, &e);
    if (!cfg)
        fail_msg("refused: %s: %s", e.field, e.message);
    sg_prov_message m = {.to = "+447400123456", .from = "+15005550006", .body = "x"};
    sg_prov_request r;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_OK);
    char cred[256];
    basic_credentials(&r, cred, sizeof cred);
    assert_string_equal(cred, SK ":s3cret");
    assert_true(K->callbacks_signed(cfg));
    assert_false(sg_provider_url_secret(K, cfg));
    sg_prov_request_free(&r);
    K->config_free(cfg);
}

static void test_build_service(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\","
                     "\"messaging_service_sid\":\"" MG "\"}",
                     NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {.to = "+15558675310", .from = NULL, .body = "Your code is 1"};
    sg_prov_request r;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.body,
                        "To=%2B15558675310&MessagingServiceSid=" MG "&Body=Your%20code%20is%201");
    sg_prov_request_free(&r);

    /* an explicit sender wins over the service */
    m.from = "+15005550006";
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.body, "To=%2B15558675310&From=%2B15005550006&Body=Your%20code%20is%201");
    sg_prov_request_free(&r);
    K->config_free(cfg);

    /* no from and no service: refused, nothing allocated */
    cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\"}", NULL,
               &e);
    m.from = NULL;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_ERR_INVALID);
    assert_string_equal(e.field, "from");
    assert_null(r.url);
    assert_null(r.body);
    assert_int_equal(r.n_headers, 0);
    K->config_free(cfg);
}

static void test_build_too_large(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"t\",\"from\":\"+15005550006\"}",
                     NULL, &e);
    char *body = malloc(40000);
    memset(body, '&', 39999); /* 3 bytes each once encoded */
    body[39999] = '\0';
    sg_prov_message m = {.to = "+15558675310", .from = "+15005550006", .body = body};
    sg_prov_request r;
    assert_int_equal(K->build_send(cfg, &m, &r, &e), SG_ERR_TOO_LARGE);
    assert_null(r.body);
    free(body);
    K->config_free(cfg);
}

/* ---- parse_send --------------------------------------------------------------------- */

static void parse_fixture(const char *name, long status, sg_prov_result *res)
{
    size_t len;
    char *body = fixture(name, &len);
    K->parse_send(NULL, status, body, len, res);
    free(body);
}

static void test_parse_created(void **state)
{
    sg_prov_result res;
    parse_fixture("create_201.json", 201, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_int_equal(res.segments, 1);
    assert_string_equal(res.error_code, "");
    assert_string_equal(res.error_message, "");

    parse_fixture("create_201_service.json", 201, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    assert_int_equal(res.segments, 0);

    const char *int_segments = "{\"sid\":\"SM1\",\"num_segments\":3}";
    K->parse_send(NULL, 200, int_segments, strlen(int_segments), &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_int_equal(res.segments, 3);
}

static void test_parse_errors(void **state)
{
    static const struct {
        const char *file;
        long status;
        sg_send_outcome outcome;
        const char *code;
        const char *message;
    } cases[] = {
        {"error_21211.json", 400, SG_SEND_PERMANENT, "21211",
         "The 'To' number +15005550001 is not a valid phone number."},
        {"error_21610.json", 400, SG_SEND_PERMANENT, "21610",
         "Attempt to send to unsubscribed recipient"},
        {"error_21614.json", 400, SG_SEND_PERMANENT, "21614",
         "The 'To' number +15005550009 is not a valid mobile number."},
        {"error_21408.json", 400, SG_SEND_PERMANENT, "21408",
         "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
         "number: +15005550003."},
        {"error_20003_401.json", 401, SG_SEND_PERMANENT, "20003", "Authenticate"},
        {"error_20429_429.json", 429, SG_SEND_RETRYABLE, "20429", "Too Many Requests"},
        {"error_500.html", 500, SG_SEND_RETRYABLE, "", "[HTTP 500] Failed to execute request"},
        {"error_500.html", 503, SG_SEND_RETRYABLE, "", "[HTTP 503] Failed to execute request"},
        {"error_500.html", 404, SG_SEND_PERMANENT, "", "[HTTP 404] Failed to execute request"},
        {"error_500.html", 403, SG_SEND_PERMANENT, "", "[HTTP 403] Failed to execute request"},
        /* 20429 decides even when a proxy changed the status */
        {"error_20429_429.json", 400, SG_SEND_RETRYABLE, "20429", "Too Many Requests"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_prov_result res;
        parse_fixture(cases[i].file, cases[i].status, &res);
        if (res.outcome != cases[i].outcome)
            fail_msg("case %zu (%s): outcome %d", i, cases[i].file, res.outcome);
        assert_string_equal(res.error_code, cases[i].code);
        assert_string_equal(res.error_message, cases[i].message);
        assert_string_equal(res.message_id, "");
    }
}

static void test_parse_odd(void **state)
{
    sg_prov_result res;
    /* 2xx that cannot be read: permanent, never retried (could double-send) */
    const char *garbage = "<html>ok</html>";
    K->parse_send(NULL, 201, garbage, strlen(garbage), &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    assert_string_equal(res.message_id, "");
    assert_non_null(strstr(res.error_message, "sid"));
    const char *no_sid = "{\"status\":\"queued\"}";
    K->parse_send(NULL, 201, no_sid, strlen(no_sid), &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    const char *num_sid = "{\"sid\":5}";
    K->parse_send(NULL, 201, num_sid, strlen(num_sid), &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);

    /* empty bodies (the pointer may even be NULL) */
    K->parse_send(NULL, 201, NULL, 0, &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    K->parse_send(NULL, 429, "", 0, &res);
    assert_int_equal(res.outcome, SG_SEND_RETRYABLE);
    assert_string_equal(res.error_message, "[HTTP 429] Failed to execute request");
    K->parse_send(NULL, 400, "", 0, &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);

    /* a body that is not NUL-terminated is read only up to len */
    const char *cut = "{\"code\":21211,\"message\":\"x\"}TRAILING";
    K->parse_send(NULL, 400, cut, strlen(cut) - 8, &res);
    assert_string_equal(res.error_code, "21211");
    assert_string_equal(res.error_message, "x");

    /* a huge message is cut inside the buffer, on a UTF-8 boundary */
    char *big = malloc(4096);
    size_t off = (size_t)snprintf(big, 4096, "{\"code\":21999,\"message\":\"a");
    for (int i = 0; i < 1000; i++)
        off += (size_t)snprintf(big + off, 4096 - off, "\xc3\xa9");
    off += (size_t)snprintf(big + off, 4096 - off, "\"}");
    K->parse_send(NULL, 400, big, off, &res);
    free(big);
    size_t len = strlen(res.error_message);
    assert_true(len < sizeof res.error_message);
    assert_true(len >= sizeof res.error_message - 3);
    /* 'a' then whole two-byte sequences: an odd length */
    assert_int_equal(len % 2, 1);
    assert_int_equal((unsigned char)res.error_message[len - 1], 0xa9);

    /* an overlong code as a string is truncated, not overflowed */
    const char *long_code = "{\"code\":\"123456789012345678901234567890\",\"message\":\"m\"}";
    K->parse_send(NULL, 400, long_code, strlen(long_code), &res);
    assert_int_equal(strlen(res.error_code), sizeof res.error_code - 1);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
}

/* ---- lookup after a crash ------------------------------------------------------------ */

static void test_lookup(void **state)
{
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":\"+15005550006\",\"base_url\":\"http://127.0.0.1:18091\"}",
                     NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {.id = "msg_1", .to = "+447400123456", .from = "+15005550006",
                         .body = "Hi Ann"};
    sg_prov_request r;
    assert_int_equal(K->build_lookup(cfg, &m, 0, &r, &e), SG_OK);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.url, "http://127.0.0.1:18091/2010-04-01/Accounts/" AC
                               "/Messages.json?To=%2B447400123456&PageSize=50");
    char cred[256];
    basic_credentials(&r, cred, sizeof cred);
    assert_string_equal(cred, AC ":" TOKEN);
    sg_prov_request_free(&r);

    /* 2026-11-22T13:43:42Z = 1795355022 s */
    const int64_t since = 1795355022000LL;
    const char *page =
        "{\"messages\":["
        "{\"sid\":\"SMnewer\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Something else\",\"date_created\":\"Sun, 22 Nov 2026 13:45:00 +0000\"},"
        "{\"sid\":\"SMours\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Hi Ann\",\"date_created\":\"Sun, 22 Nov 2026 13:43:43 +0000\"},"
        "{\"sid\":\"SMold\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Hi Ann\",\"date_created\":\"Sat, 21 Nov 2026 10:00:00 +0000\"}],"
        "\"end\":2}";
    sg_lookup_matches found;
    assert_int_equal(K->parse_lookup(cfg, &m, since, 200, page, strlen(page), &found),
                     SG_LOOKUP_FOUND);
    assert_int_equal(found.n, 1);
    assert_string_equal(found.ids[0], "SMours");
    /* the same text sent yesterday is not this message */
    assert_int_equal(K->parse_lookup(cfg, &m, since + 3600000, 200, page, strlen(page), &found),
                     SG_LOOKUP_NOT_FOUND);
    assert_int_equal(found.n, 0);
    sg_prov_message other = m;
    other.from = "+15005550007";
    assert_int_equal(K->parse_lookup(cfg, &other, since, 200, page, strlen(page), &found),
                     SG_LOOKUP_NOT_FOUND);
    const char *empty = "{\"messages\":[],\"end\":0}";
    assert_int_equal(K->parse_lookup(cfg, &m, since, 200, empty, strlen(empty), &found),
                     SG_LOOKUP_NOT_FOUND);
    assert_int_equal(K->parse_lookup(cfg, &m, since, 500, empty, strlen(empty), &found),
                     SG_LOOKUP_UNKNOWN);
    assert_int_equal(K->parse_lookup(cfg, &m, since, 200, "<html>", 6, &found), SG_LOOKUP_UNKNOWN);
    assert_int_equal(found.n, 0);
    K->config_free(cfg);
}

/* Two accepted messages with the same recipient and body, one of which reached
 * Twilio before a crash: the page cannot say whose the match is, so every match is
 * a candidate, in Twilio's order (newest first), and the store gives each provider
 * id to one message only (issue 11: taking the first match marked both sent under
 * one sid and the second was never sent). */
static void test_lookup_candidates(void **state)
{
    (void)state;
    sg_error e;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":\"+15005550006\",\"base_url\":\"http://127.0.0.1:18091\"}",
                     NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {
        .id = "msg_2", .to = "+447400123456", .from = "+15005550006", .body = "Your code is 1234"};
    const int64_t since = 1795355022000LL; /* Sun, 22 Nov 2026 13:43:42 +0000 */
    const char *page =
        "{\"messages\":["
        "{\"sid\":\"SMsecond\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Your code is 1234\",\"date_created\":\"Sun, 22 Nov 2026 13:43:44 +0000\"},"
        "{\"sid\":\"SMother\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Your code is 9999\",\"date_created\":\"Sun, 22 Nov 2026 13:43:43 +0000\"},"
        "{\"sid\":\"SMfirst\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Your code is 1234\",\"date_created\":\"Sun, 22 Nov 2026 13:43:42 +0000\"},"
        "{\"sid\":\"\",\"to\":\"+447400123456\",\"from\":\"+15005550006\","
        "\"body\":\"Your code is 1234\",\"date_created\":\"Sun, 22 Nov 2026 13:43:45 +0000\"}],"
        "\"end\":3}";
    sg_lookup_matches found;
    assert_int_equal(K->parse_lookup(cfg, &m, since, 200, page, strlen(page), &found),
                     SG_LOOKUP_FOUND);
    assert_int_equal(found.n, 2); /* the other body and the empty sid are not candidates */
    assert_string_equal(found.ids[0], "SMsecond");
    assert_string_equal(found.ids[1], "SMfirst");

    /* A full page of matches is kept whole, up to SG_LOOKUP_MAX. */
    char big[SG_LOOKUP_MAX * 200 + 64];
    size_t off = (size_t)snprintf(big, sizeof big, "{\"messages\":[");
    for (int i = 0; i < SG_LOOKUP_MAX + 5; i++)
        off += (size_t)snprintf(big + off, sizeof big - off,
                                "%s{\"sid\":\"SM%02d\",\"to\":\"+447400123456\","
                                "\"body\":\"Your code is 1234\","
                                "\"date_created\":\"Sun, 22 Nov 2026 13:43:44 +0000\"}",
                                i ? "," : "", i);
    snprintf(big + off, sizeof big - off, "]}");
    assert_int_equal(K->parse_lookup(cfg, &m, since, 200, big, strlen(big), &found),
                     SG_LOOKUP_FOUND);
    assert_int_equal(found.n, SG_LOOKUP_MAX);
    assert_string_equal(found.ids[SG_LOOKUP_MAX - 1], "SM49");
    K->config_free(cfg);
}

/* CiviCRM's API Parameters text, as its Clickatell guide writes it, works for a
 * Twilio provider too (the parser is config_fields.c's, shared with clickatell),
 * and 11 to 15 digits without '+' are an international number. */
static void test_config_params_and_bare_digits(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
                     "\"from\":\"+15005550006\","
                     "\"params\":\"From=12345051212|19875052323\\r\\nmo=1\\n\"}",
                     &j, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    assert_null(json_object_get(j, "params"));
    const char *const *senders;
    assert_int_equal(K->senders(cfg, &senders), 2); /* the params text's from= wins */
    assert_string_equal(senders[0], "+12345051212");
    assert_string_equal(senders[1], "+19875052323");
    json_t *from = json_object_get(j, "from");
    assert_int_equal(json_array_size(from), 2);
    assert_string_equal(json_string_value(json_array_get(from, 1)), "+19875052323");
    K->config_free(cfg);
    json_decref(j);

    /* a params text without from= keeps the from key; bare digits in from */
    cfg = load("{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\","
               "\"from\":[\"447400123456\", \"12345\"],\"params\":\"mo=0\"}",
               NULL, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    assert_int_equal(K->senders(cfg, &senders), 2);
    assert_string_equal(senders[0], "+447400123456");
    assert_string_equal(senders[1], "12345"); /* a short code stays one */
    K->config_free(cfg);

    static const struct {
        const char *config; /* after the credentials */
        const char *field, *in_message;
    } bad[] = {
        /* 9 and 10 digits are neither a short code nor an international number */
        {"\"from\":\"1234505121\"", "config.from", "sender 1 ('1234505121')"},
        /* 16 digits are too many */
        {"\"from\":\"1234567890123456\"", "config.from", "sender 1"},
        /* a leading 0 is a national number, not an international one */
        {"\"from\":\"07400123456\"", "config.from", "sender 1"},
        {"\"from\":\"+15005550006\",\"params\":\"api_id=1\"", "config.params",
         "unknown key 'api_id'"},
        {"\"from\":\"+15005550006\",\"params\":\"mo=2\"", "config.params", "mo must be"},
        {"\"params\":\"from=1234\\nfrom=5678\"", "config.params", "line 2"},
        {"\"params\":\"from=+1500|123456789\"", "config.params", "sender 2"},
        {"\"from\":\"+15005550006\",\"params\":5", "config.params", "must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "{\"account_sid\":\"" AC "\",\"auth_token\":\"" TOKEN "\",%s}",
                 bad[i].config);
        cfg = load(text, NULL, &e);
        if (cfg)
            fail_msg("case %zu (%s): accepted", i, bad[i].config);
        if (strcmp(e.field, bad[i].field) != 0 || !strstr(e.message, bad[i].in_message))
            fail_msg("case %zu (%s): got %s: %s", i, bad[i].config, e.field, e.message);
    }
}

int main(void)
{
    if (sg_crypto_init() != SG_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_token),
        cmocka_unit_test(test_config_api_key_and_pipe_string),
        cmocka_unit_test(test_config_service_only),
        cmocka_unit_test(test_config_secret_fields),
        cmocka_unit_test(test_config_bad),
        cmocka_unit_test(test_config_messages),
        cmocka_unit_test(test_config_params_and_bare_digits),
        cmocka_unit_test(test_build_token),
        cmocka_unit_test(test_build_api_key),
        cmocka_unit_test(test_build_api_key_with_auth_token),
        cmocka_unit_test(test_build_service),
        cmocka_unit_test(test_build_too_large),
        cmocka_unit_test(test_parse_created),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_lookup_candidates),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_odd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
