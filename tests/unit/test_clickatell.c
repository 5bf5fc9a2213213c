/* The Clickatell drivers against recorded payloads (tests/fixtures/clickatell/,
 * providers.md B.1-B.3): config validation and normalisation for both kinds,
 * CiviCRM's API Parameters text, the exact send requests, and the
 * classification of every recorded answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "providers/errors.h"
#include "providers/clickatell/clickatell.h"
#include "util/crypto.h"
#include "util/form.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_ID  "msg_01JD3Z4Q5R6S7T8V9W0XYZABCD"
#define MSG_ID2 "msg_01JD3Z4Q5R6S7T8V9W0XYZABCE"
#define CREDS   "\"username\":\"civi\",\"password\":\"s3cret pass\""

static const sg_provider_kind *L = &sg_clickatell_kind;
static const sg_provider_kind *P = &sg_clickatell_platform_kind;

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

/* Load the config given as JSON text with kind k; returns the driver's cfg (or
 * NULL) and keeps the (normalised) JSON in *json when json is not NULL. */
static void *load(const sg_provider_kind *k, const char *text, json_t **json, sg_error *e)
{
    json_error_t jerr;
    json_t *config = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!config)
        fail_msg("bad JSON in test: %s: %s", text, jerr.text);
    sg_error_clear(e);
    void *cfg = k->config_load(config, e);
    if (json)
        *json = config;
    else
        json_decref(config);
    return cfg;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* ---- config: legacy ----------------------------------------------------------------- */

static void test_config_legacy(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load(L,
                     "{" CREDS ",\"api_id\":\"3456789\","
                     "\"from\":[\"+27820000000\",\"MyShop\",\"31337\"],\"mo\":true}",
                     &j, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    assert_string_equal(jstr(j, "base_url"), "https://api.clickatell.com");
    assert_string_equal(jstr(j, "api_id"), "3456789");
    assert_true(json_is_true(json_object_get(j, "mo")));
    assert_true(json_number_value(json_object_get(j, "mps")) == 1.0);
    const char *const *senders;
    assert_int_equal(L->senders(cfg, &senders), 3);
    assert_string_equal(senders[0], "+27820000000");
    assert_string_equal(senders[1], "MyShop");
    assert_string_equal(senders[2], "31337");
    L->config_free(cfg);
    json_decref(j);

    /* a pipe string, Clickatell-style numbers, an integer api_id, mo as 0,
     * base_url without its trailing slashes, mps kept */
    cfg = load(L,
               "{" CREDS ",\"api_id\":3456789,\"from\":\" 27820000000 | My Shop|+447400123456\","
               "\"mo\":0,\"base_url\":\"http://127.0.0.1:18092//\",\"mps\":2.5}",
               &j, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    json_t *from = json_object_get(j, "from");
    assert_int_equal(json_array_size(from), 3);
    assert_string_equal(json_string_value(json_array_get(from, 0)), "+27820000000");
    assert_string_equal(json_string_value(json_array_get(from, 1)), "My Shop");
    assert_string_equal(json_string_value(json_array_get(from, 2)), "+447400123456");
    assert_string_equal(jstr(j, "api_id"), "3456789");
    assert_true(json_is_false(json_object_get(j, "mo")));
    assert_string_equal(jstr(j, "base_url"), "http://127.0.0.1:18092");
    assert_true(json_number_value(json_object_get(j, "mps")) == 2.5);
    L->config_free(cfg);
    json_decref(j);

    /* no sender at all is fine: Clickatell picks one; null counts as absent */
    cfg = load(L, "{" CREDS ",\"api_id\":\"1\",\"from\":null,\"mo\":null}", &j, &e);
    assert_non_null(cfg);
    assert_int_equal(L->senders(cfg, &senders), 0);
    assert_int_equal(json_array_size(json_object_get(j, "from")), 0);
    assert_true(json_is_false(json_object_get(j, "mo")));
    L->config_free(cfg);
    json_decref(j);
}

/* The API Parameters box of CiviCRM's guide, pasted as it is. */
static void test_config_params(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load(L,
                     "{" CREDS ",\"params\":\"api_id=3456789\\r\\n\\r\\n"
                     "  from = 27820000000|+27820000001 |MyOrg \\n\\tmo=1\\n\\n\"}",
                     &j, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    assert_null(json_object_get(j, "params"));
    assert_string_equal(jstr(j, "api_id"), "3456789");
    assert_true(json_is_true(json_object_get(j, "mo")));
    json_t *from = json_object_get(j, "from");
    assert_int_equal(json_array_size(from), 3);
    assert_string_equal(json_string_value(json_array_get(from, 0)), "+27820000000");
    assert_string_equal(json_string_value(json_array_get(from, 1)), "+27820000001");
    assert_string_equal(json_string_value(json_array_get(from, 2)), "MyOrg");
    const char *const *senders;
    assert_int_equal(L->senders(cfg, &senders), 3);
    assert_string_equal(senders[2], "MyOrg");
    L->config_free(cfg);

    /* loading the written-back config again gives the same config */
    char *again = json_dumps(j, 0);
    json_decref(j);
    cfg = load(L, again, &j, &e);
    free(again);
    assert_non_null(cfg);
    assert_int_equal(L->senders(cfg, &senders), 3);
    L->config_free(cfg);
    json_decref(j);

    /* params lines win over the keys (a PATCH with a new params text) */
    cfg = load(L,
               "{" CREDS ",\"api_id\":\"111\",\"from\":[\"+27820000009\"],\"mo\":true,"
               "\"params\":\"api_id=222\\nmo=0\"}",
               &j, &e);
    assert_non_null(cfg);
    assert_string_equal(jstr(j, "api_id"), "222");
    assert_true(json_is_false(json_object_get(j, "mo")));
    assert_int_equal(L->senders(cfg, &senders), 1);
    assert_string_equal(senders[0], "+27820000009");
    L->config_free(cfg);
    json_decref(j);

    /* keys are ASCII case-insensitive; an empty text says nothing */
    cfg = load(L, "{" CREDS ",\"api_id\":\"5\",\"params\":\"\"}", NULL, &e);
    assert_non_null(cfg);
    L->config_free(cfg);
    cfg = load(L, "{" CREDS ",\"params\":\"API_ID=77\\nMO=1\"}", &j, &e);
    assert_non_null(cfg);
    assert_string_equal(jstr(j, "api_id"), "77");
    L->config_free(cfg);
    json_decref(j);
}

static void test_config_params_bad(void **state)
{
    static const struct {
        const char *params; /* JSON string content */
        const char *in_message[3];
    } cases[] = {
        /* not key=value */
        {"api_id=1\\nhello", {"line 2", "'hello'", "key=value"}},
        {"=5", {"line 1", "'=5'", "key=value"}},
        /* unknown key, quoted with its line */
        {"api_id=1\\n\\nconcat=3", {"line 3", "'concat=3'", "unknown key 'concat'"}},
        {"user=civi", {"line 1", "unknown key 'user'", "api_id"}},
        /* repeated key */
        {"mo=1\\nmo=1", {"line 2", "'mo=1'", "repeats"}},
        /* no value */
        {"api_id=", {"line 1", "'api_id='", "no value"}},
        {"from=  ", {"line 1", "no value", "from"}},
        /* bad values */
        {"api_id=12 34", {"line 1", "'api_id=12 34'", "api_id"}},
        {"api_id=123456789012345678901234567890123", {"line 1", "api_id", "32"}},
        {"mo=yes", {"line 1", "'mo=yes'", "mo must be 1"}},
        {"mo=2", {"line 1", "mo must be 1", "'mo=2'"}},
        {"from=+27820000000||+27820000001", {"line 1", "sender 2", "empty"}},
        {"from=Shop!", {"line 1", "sender 1", "'Shop!'"}},
        {"from=TwelveLetter", {"line 1", "sender 1", "alphanumeric"}},
        {"from=0827000000", {"line 1", "'0827000000'", "phone number"}},
        {"from=+27820000000|27820000000", {"line 1", "twice", "+27820000000"}},
        {"api_id=1\\r\\n  from=12\\n", {"line 2", "'from=12'", "sender 1"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "{" CREDS ",\"api_id\":\"9\",\"params\":\"%s\"}",
                 cases[i].params);
        sg_error e;
        json_t *j;
        void *cfg = load(L, text, &j, &e);
        if (cfg)
            fail_msg("case %zu accepted: %s", i, cases[i].params);
        assert_int_equal(e.err, SG_ERR_INVALID);
        if (strcmp(e.field, "config.params") != 0)
            fail_msg("case %zu: field %s (%s)", i, e.field, e.message);
        for (size_t k = 0; k < 3 && cases[i].in_message[k]; k++) {
            if (!strstr(e.message, cases[i].in_message[k]))
                fail_msg("case %zu: '%s' not in: %s", i, cases[i].in_message[k], e.message);
        }
        /* nothing written back: params stays, no base_url */
        assert_non_null(json_object_get(j, "params"));
        assert_null(json_object_get(j, "base_url"));
        json_decref(j);
    }

    /* a secret pasted into the box is never quoted back */
    sg_error e;
    assert_null(load(L, "{" CREDS ",\"params\":\"api_id=1\\npassword=hunter2\"}", NULL, &e));
    assert_string_equal(e.field, "config.params");
    assert_non_null(strstr(e.message, "line 2"));
    assert_non_null(strstr(e.message, "'password=...'"));
    assert_null(strstr(e.message, "hunter2"));

    /* a long line is quoted cut short; control characters do not get through */
    char text[1024];
    char line[200];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    snprintf(text, sizeof text, "{" CREDS ",\"params\":\"%s\\u00e9=1\"}", line);
    assert_null(load(L, text, NULL, &e));
    assert_non_null(strstr(e.message, "..."));
    assert_true(strlen(e.message) < sizeof e.message - 1);
    snprintf(text, sizeof text, "{" CREDS ",\"params\":\"%s\\u0007=1\"}", line);
    assert_null(load(L, text, NULL, &e));
    assert_string_equal(e.field, "config.params");
    assert_null(strchr(e.message, '\a'));
    /* line breaks are what the params text is made of; anywhere else, and any
     * other control character, is refused (the password took a tab) */
    void *ok = load(L, "{" CREDS ",\"api_id\":\"1\",\"params\":\"mo=1\\r\\n\\tfrom=447400000001\"}",
                    NULL, &e);
    if (!ok)
        fail_msg("params with line breaks refused: %s", e.message);
    L->config_free(ok);
    assert_null(load(L, "{\"username\":\"u\",\"password\":\"p\\tw\",\"api_id\":\"1\"}", NULL, &e));
    assert_string_equal(e.field, "config.password");
    assert_null(load(P, "{\"api_key\":\"k\\u0000y\"}", NULL, &e));
    assert_string_equal(e.field, "config.api_key");
    assert_null(load(P, "{\"api_key\":\"key\",\"from\":[\"447400000001\\n\"]}", NULL, &e));
    assert_string_equal(e.field, "config.from");

    /* the wrong type, too long, a NUL */
    assert_null(load(L, "{" CREDS ",\"api_id\":\"1\",\"params\":5}", NULL, &e));
    assert_string_equal(e.field, "config.params");
    char *big = malloc(10000);
    int off = snprintf(big, 10000, "{" CREDS ",\"params\":\"");
    for (int i = 0; i < 1100; i++) /* 4400 newlines */
        off += snprintf(big + off, 10000 - (size_t)off, "\\n\\n\\n\\n");
    snprintf(big + off, 10000 - (size_t)off, "api_id=1\"}");
    assert_null(load(L, big, NULL, &e));
    assert_string_equal(e.field, "config.params");
    assert_non_null(strstr(e.message, "4096"));
    free(big);
    assert_null(load(L, "{" CREDS ",\"params\":\"api_id=1\\u0000\"}", NULL, &e));
    assert_string_equal(e.field, "config.params");
}

static void test_config_legacy_bad(void **state)
{
    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{\"password\":\"p\",\"api_id\":\"1\"}", "config.username"},
        {"{\"username\":\"u\",\"api_id\":\"1\"}", "config.password"},
        {"{" CREDS "}", "config.api_id"},
        {"{\"username\":\"\",\"password\":\"p\",\"api_id\":\"1\"}", "config.username"},
        {"{\"username\":\"u\\n\",\"password\":\"p\",\"api_id\":\"1\"}", "config.username"},
        {"{\"username\":\"u\",\"password\":7,\"api_id\":\"1\"}", "config.password"},
        {"{" CREDS ",\"api_id\":\"\"}", "config.api_id"},
        {"{" CREDS ",\"api_id\":\"12-34\"}", "config.api_id"},
        {"{" CREDS ",\"api_id\":-5}", "config.api_id"},
        {"{" CREDS ",\"api_id\":true}", "config.api_id"},
        {"{" CREDS ",\"api_id\":\"1\",\"mo\":\"1\"}", "config.mo"},
        {"{" CREDS ",\"api_id\":\"1\",\"mo\":2}", "config.mo"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"+1\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"12\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"1234567890123456\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"0027820000000\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"TwelveLetter\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":\"a|a\"}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":[\"+27820000000\",5]}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"from\":{}}", "config.from"},
        {"{" CREDS ",\"api_id\":\"1\",\"mps\":0}", "config.mps"},
        {"{" CREDS ",\"api_id\":\"1\",\"mps\":10001}", "config.mps"},
        {"{" CREDS ",\"api_id\":\"1\",\"base_url\":\"ftp://x\"}", "config.base_url"},
        {"{" CREDS ",\"api_id\":\"1\",\"base_url\":\"https://x/?a\"}", "config.base_url"},
        {"{" CREDS ",\"api_id\":\"1\",\"api_key\":\"k\"}", "config.api_key"},
        {"{" CREDS ",\"api_id\":\"1\",\"user\":\"u\"}", "config.user"},
        /* a valid params text, then a bad key: nothing leaks or is freed twice */
        {"{" CREDS ",\"params\":\"api_id=1\\nfrom=+27820000000\",\"base_url\":\"ftp://x\"}",
         "config.base_url"},
        {"{" CREDS ",\"params\":\"api_id=1\\nfrom=+27820000000|MyShop\",\"mps\":0}", "config.mps"},
        {"\"x\"", "config"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_error e;
        json_t *j;
        void *cfg = load(L, cases[i].json, &j, &e);
        if (cfg)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        assert_int_equal(e.err, SG_ERR_INVALID);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        assert_true(strlen(e.message) > 10);
        if (json_is_object(j) && !strstr(cases[i].json, "base_url"))
            assert_null(json_object_get(j, "base_url"));
        json_decref(j);
    }

    /* the unknown key is named with the expected ones; the password never shows */
    sg_error e;
    assert_null(load(L,
                     "{\"username\":\"u\",\"password\":\"hunter2-secret\",\"api_id\":\"1\","
                     "\"colour\":\"x\"}",
                     NULL, &e));
    assert_non_null(strstr(e.message, "colour"));
    assert_non_null(strstr(e.message, "params"));
    assert_null(strstr(e.message, "hunter2"));
}

static void test_config_platform(void **state)
{
    sg_error e;
    json_t *j;
    void *cfg = load(P, "{\"api_key\":\"aBcD-eFgH_1234==\",\"from\":\"27820000000\"}", &j, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    assert_string_equal(jstr(j, "base_url"), "https://platform.clickatell.com");
    assert_true(json_number_value(json_object_get(j, "mps")) == 1.0);
    const char *const *senders;
    assert_int_equal(P->senders(cfg, &senders), 1);
    assert_string_equal(senders[0], "+27820000000");
    P->config_free(cfg);
    json_decref(j);

    static const struct {
        const char *json;
        const char *field;
    } cases[] = {
        {"{}", "config.api_key"},
        {"{\"api_key\":\"\"}", "config.api_key"},
        {"{\"api_key\":\"a b\"}", "config.api_key"},
        {"{\"api_key\":5}", "config.api_key"},
        {"{\"api_key\":\"k\",\"from\":\"+\"}", "config.from"},
        {"{\"api_key\":\"k\",\"mo\":true}", "config.mo"},
        {"{\"api_key\":\"k\",\"username\":\"u\"}", "config.username"},
        {"{\"api_key\":\"k\",\"params\":\"api_id=1\"}", "config.params"},
        {"{\"api_key\":\"k\",\"mps\":-1}", "config.mps"},
        {"{\"api_key\":\"k\",\"base_url\":\"platform.clickatell.com\"}", "config.base_url"},
        {"[]", "config"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cfg = load(P, cases[i].json, &j, &e);
        if (cfg)
            fail_msg("case %zu accepted: %s", i, cases[i].json);
        if (strcmp(e.field, cases[i].field) != 0)
            fail_msg("case %zu: field %s, expected %s (%s)", i, e.field, cases[i].field, e.message);
        json_decref(j);
    }
}

static void test_kinds(void **state)
{
    assert_ptr_equal(sg_provider_kind_find("clickatell"), L);
    assert_ptr_equal(sg_provider_kind_find("clickatell-platform"), P);
    /* secrets: the config_keys rows flagged SG_CONFIG_SECRET */
    assert_true(sg_provider_kind_secret(L, "password"));
    assert_true(sg_provider_kind_secret(L, "callback_secret"));
    assert_false(sg_provider_kind_secret(L, "username"));
    assert_false(sg_provider_kind_secret(L, "api_id"));
    assert_false(sg_provider_kind_secret(L, "api_key"));
    assert_true(sg_provider_kind_secret(P, "api_key"));
    assert_true(sg_provider_kind_secret(P, "callback_secret"));
    assert_false(sg_provider_kind_secret(P, "password"));
    assert_false(sg_provider_kind_secret(P, "from"));
    /* Clickatell cannot sign its callbacks: they carry a secret in the URL. */
    assert_true(L->url_secret);
    assert_true(P->url_secret);
    assert_null(L->callbacks_signed);
    assert_null(P->callbacks_signed);
    assert_true(sg_provider_url_secret(L, NULL));
    /* Twilio signs, when its config has an auth token (test_twilio.c) */
    assert_non_null(sg_provider_kind_find("twilio")->callbacks_signed);
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

static void *legacy_cfg(void)
{
    sg_error e;
    void *cfg = load(L,
                     "{" CREDS ",\"base_url\":\"http://127.0.0.1:18092/\","
                     "\"params\":\"api_id=3456789\\nfrom=27820000000\\nmo=1\"}",
                     NULL, &e);
    if (!cfg)
        fail_msg("%s: %s", e.field, e.message);
    return cfg;
}

static void expect_fixture(const sg_prov_request *r, const char *name)
{
    size_t len;
    char *expected = fixture(name, &len);
    if (r->body_len != len || memcmp(r->body, expected, len) != 0)
        fail_msg("body differs from %s:\n  got  %s\n  want %s", name, r->body, expected);
    assert_int_equal(strlen(r->body), r->body_len);
    free(expected);
}

static void test_build_legacy(void **state)
{
    sg_error e;
    void *cfg = legacy_cfg();
    sg_prov_message m = {.id = MSG_ID,
                         .to = "+27831234567",
                         .from = "+27820000000",
                         .body = "Hello from smsgate & co: 100% sure?",
                         .status_callback = "http://127.0.0.1/cb"};
    sg_prov_request r;
    assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.url, "http://127.0.0.1:18092/http/sendmsg");
    assert_int_equal(r.n_headers, 1);
    assert_string_equal(header(&r, "Content-Type"), "application/x-www-form-urlencoded");
    expect_fixture(&r, "request_legacy.txt");
    sg_prov_request_free(&r);

    /* UCS-2 with an emoji: UTF-16BE hex with its surrogate pair, unicode=1; no
     * from when the message has none */
    sg_prov_message u = {.id = MSG_ID2, .to = "+447400123456", .body = "Hi \xF0\x9F\x98\x80"};
    assert_int_equal(L->build_send(cfg, &u, &r, &e), SG_OK);
    expect_fixture(&r, "request_legacy_ucs2.txt");
    sg_prov_request_free(&r);
    L->config_free(cfg);
}

/* The form value of key in a request body ("" when absent). */
static const char *form_value(const sg_prov_request *r, const char *key, char *out, size_t cap)
{
    sg_form f;
    assert_int_equal(sg_form_parse(r->body, r->body_len, &f), SG_OK);
    const char *v = sg_form_get(&f, key);
    snprintf(out, cap, "%s", v ? v : "");
    sg_form_free(&f);
    return out;
}

static void test_build_legacy_encodings(void **state)
{
    sg_error e;
    void *cfg = load(L, "{" CREDS ",\"api_id\":\"1\"}", NULL, &e);
    assert_non_null(cfg);
    char big[1200], v[4096];
    static const struct {
        const char *body;
        const char *text; /* decoded form value */
        const char *concat;
        bool unicode;
    } cases[] = {
        /* GSM-7 goes as ISO-8859-1 bytes */
        {"Caf\xC3\xA9 \xC2\xA3"
         "5 @home",
         "Caf\xE9 \xA3"
         "5 @home",
         "1", false},
        /* GSM-7 characters ISO-8859-1 lacks: sent as UCS-2 */
        {"\xCE\xA9", "03A9", "1", true},
        {"\xE2\x82\xAC"
         "5",
         "20AC0035", "1", true},
        /* not GSM-7 */
        {"\xD0\x96", "0416", "1", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_prov_message m = {.to = "+27831234567", .body = cases[i].body};
        sg_prov_request r;
        assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_OK);
        assert_string_equal(form_value(&r, "text", v, sizeof v), cases[i].text);
        assert_string_equal(form_value(&r, "concat", v, sizeof v), cases[i].concat);
        assert_string_equal(form_value(&r, "unicode", v, sizeof v), cases[i].unicode ? "1" : "");
        /* no id, no from, no mo: none of them sent */
        assert_string_equal(form_value(&r, "climsgid", v, sizeof v), "");
        assert_string_equal(form_value(&r, "from", v, sizeof v), "");
        assert_string_equal(form_value(&r, "mo", v, sizeof v), "");
        assert_string_equal(form_value(&r, "callback", v, sizeof v), "3");
        sg_prov_request_free(&r);
    }

    /* concat follows the segment count: 160 GSM-7 characters in one part, 161 in
     * two, 306 in two, 307 in three */
    static const struct {
        size_t n;
        const char *concat;
    } gsm[] = {{160, "1"}, {161, "2"}, {306, "2"}, {307, "3"}};
    for (size_t i = 0; i < sizeof gsm / sizeof gsm[0]; i++) {
        memset(big, 'a', gsm[i].n);
        big[gsm[i].n] = '\0';
        sg_prov_message m = {.to = "+27831234567", .body = big};
        sg_prov_request r;
        assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_OK);
        assert_string_equal(form_value(&r, "concat", v, sizeof v), gsm[i].concat);
        sg_prov_request_free(&r);
    }
    /* UCS-2: 70 units in one part, 71 in two; an emoji's surrogate pair is never
     * split, so 66 + pair + 66 (134 units) needs 3 parts of at most 67 */
    static const struct {
        size_t before; /* 'Ж' (2 bytes, 1 unit) */
        size_t emoji;  /* then this many emoji (4 bytes, 2 units) */
        size_t after;  /* then this many 'Ж' */
        const char *concat;
    } ucs[] = {{70, 0, 0, "1"}, {71, 0, 0, "2"},  {68, 1, 0, "1"},
               {69, 1, 0, "2"}, {66, 1, 65, "2"}, {66, 1, 66, "3"}};
    for (size_t i = 0; i < sizeof ucs / sizeof ucs[0]; i++) {
        size_t off = 0;
        for (size_t k = 0; k < ucs[i].before; k++)
            off += (size_t)snprintf(big + off, sizeof big - off, "\xD0\x96");
        for (size_t k = 0; k < ucs[i].emoji; k++)
            off += (size_t)snprintf(big + off, sizeof big - off, "\xF0\x9F\x98\x80");
        for (size_t k = 0; k < ucs[i].after; k++)
            off += (size_t)snprintf(big + off, sizeof big - off, "\xD0\x96");
        sg_prov_message m = {.to = "+27831234567", .body = big};
        sg_prov_request r;
        assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_OK);
        if (strcmp(form_value(&r, "concat", v, sizeof v), ucs[i].concat) != 0)
            fail_msg("ucs case %zu: concat %s, want %s", i, v, ucs[i].concat);
        assert_string_equal(form_value(&r, "unicode", v, sizeof v), "1");
        sg_prov_request_free(&r);
    }
    /* a Greek capital makes a long GSM-7 text UCS-2, and its parts are counted
     * again for UCS-2: 99 characters are 2 parts, not 1 */
    memset(big, 'a', 98);
    memcpy(big + 98, "\xCE\xA9", 3);
    sg_prov_message m = {.to = "+27831234567", .body = big};
    sg_prov_request r;
    assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(form_value(&r, "concat", v, sizeof v), "2");
    assert_string_equal(form_value(&r, "unicode", v, sizeof v), "1");
    sg_prov_request_free(&r);
    L->config_free(cfg);
}

static void test_build_bad(void **state)
{
    sg_error e;
    void *cfg = legacy_cfg();
    static const struct {
        sg_prov_message m;
        const char *field;
    } cases[] = {
        {{.to = NULL, .body = "x"}, "to"},
        {{.to = "", .body = "x"}, "to"},
        {{.to = "+27 83", .body = "x"}, "to"},
        {{.to = "+1234567890123456", .body = "x"}, "to"},
        {{.to = "+27831234567", .body = NULL}, "body"},
        {{.to = "+27831234567", .body = ""}, "body"},
        {{.to = "+27831234567", .body = "\xC3"}, "body"},
        {{.to = "+27831234567", .from = "Shop!", .body = "x"}, "from"},
        {{.to = "+27831234567", .body = "x", .id = "msg_01JD3Z4Q5R6S7T8V9W0XYZABCD_too_long"},
         "id"},
        {{.to = "+27831234567", .body = "x", .id = "a b"}, "id"},
    };
    for (size_t k = 0; k < 2; k++) {
        const sg_provider_kind *kind = k ? P : L;
        void *c = k ? load(P, "{\"api_key\":\"key\"}", NULL, &e) : cfg;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            sg_prov_request r;
            if (kind->build_send(c, &cases[i].m, &r, &e) != SG_ERR_INVALID)
                fail_msg("kind %zu case %zu accepted", k, i);
            if (strcmp(e.field, cases[i].field) != 0)
                fail_msg("kind %zu case %zu: field %s (%s)", k, i, e.field, e.message);
            assert_null(r.url);
            assert_null(r.body);
            assert_int_equal(r.n_headers, 0);
        }
        if (k)
            P->config_free(c);
    }
    L->config_free(cfg);
}

static void test_build_platform(void **state)
{
    sg_error e;
    void *cfg = load(
        P, "{\"api_key\":\"aBcD-eFgH_1234==\",\"base_url\":\"http://127.0.0.1:18093\"}", NULL, &e);
    assert_non_null(cfg);
    sg_prov_message m = {.id = MSG_ID,
                         .to = "+27831234567",
                         .from = "+27820000000",
                         .body = "Hello \"world\" \xC3\xA9"};
    sg_prov_request r;
    assert_int_equal(P->build_send(cfg, &m, &r, &e), SG_OK);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.url, "http://127.0.0.1:18093/messages");
    assert_int_equal(r.n_headers, 3);
    assert_string_equal(header(&r, "Authorization"), "aBcD-eFgH_1234==");
    assert_string_equal(header(&r, "Content-Type"), "application/json");
    assert_string_equal(header(&r, "Accept"), "application/json");
    expect_fixture(&r, "request_platform.json");
    sg_prov_request_free(&r);

    /* no from, no id: neither key; an emoji goes as it is */
    sg_prov_message u = {.to = "447400123456", .body = "\xF0\x9F\x98\x80"};
    assert_int_equal(P->build_send(cfg, &u, &r, &e), SG_OK);
    assert_string_equal(r.body, "{\"content\":\"\xF0\x9F\x98\x80\",\"to\":[\"447400123456\"],"
                                "\"charset\":\"UTF-8\"}");
    sg_prov_request_free(&r);
    P->config_free(cfg);
}

static void test_build_too_large(void **state)
{
    sg_error e;
    void *cfg = legacy_cfg();
    char *body = malloc(40000);
    memset(body, '&', 39999); /* 3 bytes each once encoded */
    body[39999] = '\0';
    sg_prov_message m = {.to = "+27831234567", .body = body};
    sg_prov_request r;
    assert_int_equal(L->build_send(cfg, &m, &r, &e), SG_ERR_TOO_LARGE);
    assert_null(r.body);
    L->config_free(cfg);
    cfg = load(P, "{\"api_key\":\"k\"}", NULL, &e);
    memset(body, '"', 39999); /* 2 bytes each in JSON */
    assert_int_equal(P->build_send(cfg, &m, &r, &e), SG_ERR_TOO_LARGE);
    assert_null(r.body);
    P->config_free(cfg);
    free(body);
}

/* ---- parse_send --------------------------------------------------------------------- */

static void parse_fixture(const sg_provider_kind *k, const char *name, long status,
                          sg_prov_result *res)
{
    size_t len;
    char *body = fixture(name, &len);
    k->parse_send(NULL, status, body, len, res);
    free(body);
}

static void test_parse_legacy(void **state)
{
    sg_prov_result res;
    parse_fixture(L, "sendmsg_id.txt", 200, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "7b8c3a1f2e4d5c6b7a8f9e0d1c2b3a4f");
    assert_string_equal(res.error_code, "");
    assert_string_equal(res.error_message, "");

    parse_fixture(L, "sendmsg_id_to.txt", 200, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "3c3b5a1f0e9d8c7b6a5f4e3d2c1ba1f2");

    static const struct {
        const char *file;
        long status;
        sg_send_outcome outcome;
        const char *code;
        const char *message;
        bool opted_out;
    } cases[] = {
        {"sendmsg_err_001.txt", 200, SG_SEND_PERMANENT, "001", "Authentication failed", false},
        {"sendmsg_err_114.txt", 200, SG_SEND_PERMANENT, "114", "Cannot route message", false},
        {"sendmsg_err_901.txt", 200, SG_SEND_RETRYABLE, "901", "Internal error", false},
        {"sendmsg_err_122.txt", 200, SG_SEND_PERMANENT, "122", "Destination mobile opted out",
         true},
        {"sendmsg_err_130.txt", 200, SG_SEND_RETRYABLE, "130",
         "Maximum MT limit exceeded until 1745323200", false},
        /* the HTTP status makes any answer retryable */
        {"sendmsg_err_001.txt", 503, SG_SEND_RETRYABLE, "001", "Authentication failed", false},
        {"error_503.html", 503, SG_SEND_RETRYABLE, "",
         "[HTTP 503] Clickatell answered without 'ID:' or 'ERR:'", false},
        {"error_503.html", 500, SG_SEND_RETRYABLE, "",
         "[HTTP 500] Clickatell answered without 'ID:' or 'ERR:'", false},
        {"error_503.html", 429, SG_SEND_RETRYABLE, "",
         "[HTTP 429] Clickatell answered without 'ID:' or 'ERR:'", false},
        {"error_503.html", 408, SG_SEND_RETRYABLE, "",
         "[HTTP 408] Clickatell answered without 'ID:' or 'ERR:'", false},
        {"error_503.html", 404, SG_SEND_PERMANENT, "",
         "[HTTP 404] Clickatell answered without 'ID:' or 'ERR:'", false},
        /* an ID with an error status is not trusted as accepted */
        {"sendmsg_id.txt", 502, SG_SEND_RETRYABLE, "",
         "[HTTP 502] Clickatell answered without 'ID:' or 'ERR:'", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_fixture(L, cases[i].file, cases[i].status, &res);
        if (res.outcome != cases[i].outcome)
            fail_msg("case %zu (%s): outcome %d", i, cases[i].file, res.outcome);
        assert_string_equal(res.error_code, cases[i].code);
        assert_string_equal(res.error_message, cases[i].message);
        assert_string_equal(res.message_id, "");
        assert_int_equal(res.opted_out, cases[i].opted_out);
    }
}

static void parse_text(const sg_provider_kind *k, long status, const char *text,
                       sg_prov_result *res)
{
    k->parse_send(NULL, status, text, strlen(text), res);
}

static void test_parse_legacy_odd(void **state)
{
    sg_prov_result res;
    /* leading blank lines, CRLF, lower case */
    parse_text(L, 200, "\r\n\r\nid: abc123\r\n", &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "abc123");
    /* an unpadded code is padded; no description: the catalogue's title */
    parse_text(L, 200, "ERR: 1", &res);
    assert_string_equal(res.error_code, "001");
    assert_string_equal(res.error_message, "Authentication failed");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    parse_text(L, 200, "ERR: 003, Session ID expired", &res);
    assert_int_equal(res.outcome, SG_SEND_RETRYABLE);
    /* an unknown code is permanent, and kept */
    parse_text(L, 200, "ERR: 999, Something new", &res);
    assert_string_equal(res.error_code, "999");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    /* more than 4 digits, or none: not an ERR line */
    parse_text(L, 200, "ERR: 12345, x", &res);
    assert_string_equal(res.error_code, "");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    parse_text(L, 200, "ERR: , x", &res);
    assert_string_equal(res.error_code, "");
    /* 2xx that cannot be read: permanent, never retried (could double-send) */
    const char *odd[] = {"", "OK: 123", "ID:", "ID: ab-cd", "<html>ok</html>"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        parse_text(L, 200, odd[i], &res);
        if (res.outcome != SG_SEND_PERMANENT)
            fail_msg("'%s' was not permanent", odd[i]);
        assert_string_equal(res.message_id, "");
        assert_non_null(strstr(res.error_message, "not retried"));
    }
    L->parse_send(NULL, 200, NULL, 0, &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    /* an ID too long for message_id */
    char longid[200] = "ID: ";
    memset(longid + 4, 'a', 150);
    longid[154] = '\0';
    parse_text(L, 200, longid, &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    /* a body not NUL-terminated is read only up to len */
    const char *cut = "ID: abc123XYZ";
    L->parse_send(NULL, 200, cut, 10, &res);
    assert_string_equal(res.message_id, "abc123");
    /* control characters in a description become spaces */
    parse_text(L, 200, "ERR: 105, Invalid\tdestination", &res);
    assert_string_equal(res.error_message, "Invalid destination");
}

static void test_parse_platform(void **state)
{
    sg_prov_result res;
    parse_fixture(P, "platform_202.json", 202, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);
    assert_string_equal(res.message_id, "77fb29998253415fa5d66971d519d362");
    assert_string_equal(res.error_code, "");
    parse_fixture(P, "platform_202.json", 200, &res);
    assert_int_equal(res.outcome, SG_SEND_ACCEPTED);

    static const struct {
        const char *file;
        long status;
        sg_send_outcome outcome;
        const char *code;
        const char *message;
        bool opted_out;
    } cases[] = {
        {"platform_400_rejected.json", 400, SG_SEND_PERMANENT, "platform-23",
         "Invalid or missing parameter: to .", false},
        {"platform_400_rejected.json", 207, SG_SEND_PERMANENT, "platform-23",
         "Invalid or missing parameter: to .", false},
        {"platform_207_opted_out.json", 207, SG_SEND_PERMANENT, "platform-26",
         "Recipient opted out", true},
        {"platform_401.json", 401, SG_SEND_PERMANENT, "platform-1",
         "Invalid or missing integration API Key", false},
        {"platform_401_rest.json", 401, SG_SEND_PERMANENT, "platform-1",
         "Invalid or missing Integration API Key", false},
        {"platform_429.json", 429, SG_SEND_RETRYABLE, "platform-43", "Rate limit exceeded", false},
        /* 43 decides even when a proxy changed the status */
        {"platform_429.json", 400, SG_SEND_RETRYABLE, "platform-43", "Rate limit exceeded", false},
        {"error_503.html", 503, SG_SEND_RETRYABLE, "", "[HTTP 503] Clickatell's answer is not JSON",
         false},
        {"error_503.html", 402, SG_SEND_PERMANENT, "", "[HTTP 402] Clickatell's answer is not JSON",
         false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        parse_fixture(P, cases[i].file, cases[i].status, &res);
        if (res.outcome != cases[i].outcome)
            fail_msg("case %zu (%s): outcome %d", i, cases[i].file, res.outcome);
        assert_string_equal(res.error_code, cases[i].code);
        assert_string_equal(res.error_message, cases[i].message);
        assert_string_equal(res.message_id, "");
        assert_int_equal(res.opted_out, cases[i].opted_out);
    }
}

static void test_parse_platform_odd(void **state)
{
    sg_prov_result res;
    /* error code as a string; 19 retries; a code alone gets the catalogue title */
    parse_text(P, 400, "{\"error\":{\"code\":\"19\"}}", &res);
    assert_string_equal(res.error_code, "platform-19");
    assert_int_equal(res.outcome, SG_SEND_RETRYABLE);
    assert_string_equal(res.error_message, "Internal error, please retry");
    /* an error given as text only */
    parse_text(P, 401, "{\"error\":\"Invalid API key\"}", &res);
    assert_string_equal(res.error_code, "");
    assert_string_equal(res.error_message, "Invalid API key");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    /* 402 with nothing readable; 401 with an empty body */
    parse_text(P, 402, "{}", &res);
    assert_string_equal(res.error_message, "[HTTP 402] Clickatell refused the request");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    P->parse_send(NULL, 401, NULL, 0, &res);
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    P->parse_send(NULL, 500, "", 0, &res);
    assert_int_equal(res.outcome, SG_SEND_RETRYABLE);
    /* 2xx without an accepted message: never retried */
    const char *odd[] = {"{}",
                         "[]",
                         "{\"messages\":[]}",
                         "{\"messages\":[{\"accepted\":true}]}",
                         "{\"messages\":[{\"accepted\":true,\"apiMessageId\":5}]}",
                         "{\"messages\":[{\"accepted\":true,\"apiMessageId\":\"a b\"}]}",
                         "not json"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        parse_text(P, 202, odd[i], &res);
        if (res.outcome != SG_SEND_PERMANENT)
            fail_msg("'%s' was not permanent", odd[i]);
        assert_string_equal(res.message_id, "");
    }
    /* a top-level error on a 2xx */
    parse_text(P, 200, "{\"messages\":[],\"error\":{\"code\":20,\"description\":\"Low balance\"}}",
               &res);
    assert_string_equal(res.error_code, "platform-20");
    assert_int_equal(res.outcome, SG_SEND_PERMANENT);
    /* a huge description is cut on a UTF-8 boundary */
    char *big = malloc(4096);
    size_t off = (size_t)snprintf(big, 4096, "{\"error\":{\"code\":23,\"description\":\"a");
    for (int i = 0; i < 1000; i++)
        off += (size_t)snprintf(big + off, 4096 - off, "\xc3\xa9");
    off += (size_t)snprintf(big + off, 4096 - off, "\"}}");
    P->parse_send(NULL, 400, big, off, &res);
    free(big);
    size_t len = strlen(res.error_message);
    assert_true(len < sizeof res.error_message);
    assert_int_equal(len % 2, 1);
    /* an absurd code is not used */
    parse_text(P, 400, "{\"error\":{\"code\":12345678,\"description\":\"x\"}}", &res);
    assert_string_equal(res.error_code, "");
    assert_string_equal(res.error_message, "x");
}

/* Every code parse_send can produce for a known error is in the catalogue. */
static void test_catalogue(void **state)
{
    const char *codes[] = {"001",         "114",        "122",         "130",
                           "901",         "platform-1", "platform-23", "platform-26",
                           "platform-43", "status-005", "status-007"};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        if (!sg_errcode_find(SG_CLICKATELL_CATALOGUE, codes[i]))
            fail_msg("%s missing from the catalogue", codes[i]);
    }
}

int main(void)
{
    if (sg_crypto_init() != SG_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_legacy),      cmocka_unit_test(test_config_params),
        cmocka_unit_test(test_config_params_bad),  cmocka_unit_test(test_config_legacy_bad),
        cmocka_unit_test(test_config_platform),    cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_build_legacy),       cmocka_unit_test(test_build_legacy_encodings),
        cmocka_unit_test(test_build_bad),          cmocka_unit_test(test_build_platform),
        cmocka_unit_test(test_build_too_large),    cmocka_unit_test(test_parse_legacy),
        cmocka_unit_test(test_parse_legacy_odd),   cmocka_unit_test(test_parse_platform),
        cmocka_unit_test(test_parse_platform_odd), cmocka_unit_test(test_catalogue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
