/* libFuzzer driver for the Twilio driver (src/providers/twilio/twilio.c) on what comes
 * from outside: Twilio's answer to a send (parse_send) and a provider config
 * posted to the API (config_load).
 *
 * Input layout: bytes 0-1 (big-endian) pick the HTTP status, 1 + (n % 999), so
 * every status from 1 to 999 is reachable (a seed for status S starts with S - 1);
 * the rest is the response body, in a buffer of exactly that size (not
 * NUL-terminated, as the dispatcher passes it). The same rest is also parsed as
 * JSON the way the API parses a request body (json_loadb, JSON_REJECT_DUPLICATES)
 * and, when it is an object, given to config_load.
 *
 * Contracts checked for parse_send, beyond ASan/UBSan (provider.h, twilio.c):
 *  - outcome is one of the enum's values; message_id, error_code and
 *    error_message are NUL-terminated within their arrays, hold no control
 *    characters and are well-formed UTF-8 (copy_text never cuts a sequence);
 *  - ACCEPTED only for a 2xx status, with a message_id and no error;
 *    otherwise message_id is "", segments 0 and error_message is not empty;
 *  - a 2xx answer that is not ACCEPTED is PERMANENT (never retried: it could
 *    send twice); 429 and 5xx are RETRYABLE.
 * For config_load:
 *  - failure fills sg_error: an error value, a field "config" or "config.<key>"
 *    and a message, all NUL-terminated; the config is left as it was apart from
 *    keys whose value was null;
 *  - success normalises config: "from" an array of strings, "base_url" a string
 *    without a trailing '/', "mps" a number; senders() agrees with "from";
 *  - what the store keeps (json_dumps with JSON_COMPACT | JSON_SORT_KEYS) loads
 *    again, as the registry does, to the same normalised config;
 *  - build_send with the loaded config makes a POST to <base_url>/... whose body
 *    is a form with To and Body. */
#include "fuzz_common.h"

#include "core/gsm7.h"
#include "providers/provider.h"
#include "providers/twilio/twilio.h"
#include "util/form.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static void *response_cfg;

static const char base_config[] =
    "{\"account_sid\":\"AC00000000000000000000000000000000\",\"auth_token\":\"token\","
    "\"from\":\"+15005550006\"}";

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_t *c = json_loads(base_config, 0, NULL);
    sg_error e = {0};
    response_cfg = c ? sg_twilio_kind.config_load(c, &e) : NULL;
    if (!response_cfg) {
        fprintf(stderr, "fuzz_twilio_response: the base config does not load: %s\n", e.message);
        abort();
    }
    json_decref(c);
    return 0;
}

static void check_text(const char *what, const char *s, size_t cap)
{
    FUZZ_CHECK(memchr(s, '\0', cap) != NULL, "%s is not NUL-terminated within %zu bytes", what,
               cap);
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c >= 0x20 && c != 0x7f, "%s holds control character 0x%02x at %zu", what, c, i);
    }
    sg_sms_info info;
    FUZZ_CHECK(sg_sms_analyze(s, len, &info) != SG_TEXT_INVALID_UTF8,
               "%s is not well-formed UTF-8: \"%s\"", what, s);
}

static void fuzz_parse_send(long status, const uint8_t *body, size_t len)
{
    char *copy = malloc(len ? len : 1); /* exactly len bytes: overreads show */
    if (!copy)
        abort();
    if (len)
        memcpy(copy, body, len);
    sg_prov_result res;
    memset(&res, 0xA5, sizeof res);
    sg_twilio_kind.parse_send(response_cfg, status, copy, len, &res);
    free(copy);

    FUZZ_CHECK(res.outcome == SG_SEND_ACCEPTED || res.outcome == SG_SEND_RETRYABLE ||
                   res.outcome == SG_SEND_PERMANENT,
               "outcome %d", (int)res.outcome);
    check_text("message_id", res.message_id, sizeof res.message_id);
    check_text("error_code", res.error_code, sizeof res.error_code);
    check_text("error_message", res.error_message, sizeof res.error_message);

    bool ok2xx = status >= 200 && status < 300;
    if (res.outcome == SG_SEND_ACCEPTED) {
        FUZZ_CHECK(ok2xx, "ACCEPTED with HTTP %ld", status);
        FUZZ_CHECK(res.message_id[0] != '\0', "ACCEPTED without a message_id");
        FUZZ_CHECK(res.error_code[0] == '\0' && res.error_message[0] == '\0',
                   "ACCEPTED with error \"%s\" \"%s\"", res.error_code, res.error_message);
    } else {
        FUZZ_CHECK(res.message_id[0] == '\0', "not accepted but message_id \"%s\"", res.message_id);
        FUZZ_CHECK(res.segments == 0, "not accepted but %u segments", res.segments);
        FUZZ_CHECK(res.error_message[0] != '\0', "HTTP %ld: no error_message", status);
    }
    if (ok2xx)
        FUZZ_CHECK(res.outcome != SG_SEND_RETRYABLE, "2xx answer marked RETRYABLE");
    else if (status == 429 || (status >= 500 && status < 600))
        FUZZ_CHECK(res.outcome == SG_SEND_RETRYABLE, "HTTP %ld not RETRYABLE", status);
}

/* A deep copy of obj without its null-valued members (what config_load may
 * remove even when it fails). */
static json_t *without_nulls(const json_t *obj)
{
    json_t *c = json_deep_copy(obj);
    const char *key;
    json_t *val;
    void *tmp;
    json_object_foreach_safe(c, tmp, key, val)
    {
        if (json_is_null(val))
            json_object_del(c, key);
    }
    return c;
}

static void check_loaded(json_t *config, void *cfg)
{
    json_t *from = json_object_get(config, "from");
    FUZZ_CHECK(json_is_array(from), "normalised \"from\" is not an array");
    const char *const *senders;
    size_t n = sg_twilio_kind.senders(cfg, &senders);
    FUZZ_CHECK(n == json_array_size(from), "senders()=%zu, from holds %zu", n,
               json_array_size(from));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(from, i);
        FUZZ_CHECK(json_is_string(s) && strcmp(json_string_value(s), senders[i]) == 0,
                   "sender %zu differs", i);
    }
    json_t *base = json_object_get(config, "base_url");
    FUZZ_CHECK(json_is_string(base), "normalised base_url is not a string");
    const char *b = json_string_value(base);
    size_t blen = strlen(b);
    FUZZ_CHECK(blen > 0 && b[blen - 1] != '/', "base_url \"%s\" ends in '/'", b);
    FUZZ_CHECK(json_is_number(json_object_get(config, "mps")), "mps is not a number");

    /* A request built from this config. */
    sg_prov_message m = {
        .id = "msg_01JD3Z4Q5R6S7T8V9W0XYZABCD",
        .to = "+447400123456",
        .from = n ? senders[0] : NULL,
        .body = "hello & goodbye = 100%",
        .status_callback = "http://127.0.0.1/cb?x=1",
    };
    sg_prov_request req;
    sg_error e = {0};
    sg_err err = sg_twilio_kind.build_send(cfg, &m, &req, &e);
    FUZZ_CHECK(err == SG_OK, "build_send failed: %s", e.message);
    FUZZ_CHECK(strcmp(req.method, "POST") == 0 && strncmp(req.url, b, blen) == 0 &&
                   req.url[blen] == '/',
               "request URL \"%s\" is not under \"%s\"", req.url, b);
    sg_form f;
    FUZZ_CHECK(sg_form_parse(req.body, req.body_len, &f) == SG_OK, "request body \"%s\"", req.body);
    const char *to = sg_form_get(&f, "To"), *body = sg_form_get(&f, "Body");
    FUZZ_CHECK(to && strcmp(to, m.to) == 0 && body && strcmp(body, m.body) == 0,
               "request body \"%s\"", req.body);
    sg_form_free(&f);
    sg_prov_request_free(&req);
}

static void fuzz_config(const uint8_t *data, size_t len)
{
    json_t *config = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(config)) {
        json_decref(config);
        return;
    }
    json_t *before = without_nulls(config);
    sg_error e;
    memset(&e, 0xA5, sizeof e);
    void *cfg = sg_twilio_kind.config_load(config, &e);
    if (!cfg) {
        FUZZ_CHECK(e.err != SG_OK, "config_load failed without an error value");
        FUZZ_CHECK(FUZZ_TERMINATED(e.field) && FUZZ_TERMINATED(e.message),
                   "sg_error strings not terminated");
        FUZZ_CHECK(strncmp(e.field, "config", 6) == 0 && (e.field[6] == '\0' || e.field[6] == '.'),
                   "error field \"%s\"", e.field);
        FUZZ_CHECK(e.message[0] != '\0', "error without a message (field %s)", e.field);
        json_t *after = without_nulls(config);
        FUZZ_CHECK(json_equal(after, before), "a refused config was changed");
        json_decref(after);
    } else {
        check_loaded(config, cfg);
        sg_twilio_kind.config_free(cfg);

        /* What the store keeps, loaded back as the registry does. */
        char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
        FUZZ_CHECK(text != NULL, "the normalised config does not serialise");
        json_t *again = json_loads(text, 0, NULL);
        FUZZ_CHECK(again != NULL, "stored config \"%.200s\" does not parse", text);
        sg_error e2 = {0};
        void *cfg2 = sg_twilio_kind.config_load(again, &e2);
        FUZZ_CHECK(cfg2 != NULL, "stored config \"%.200s\" no longer loads: %s: %s", text, e2.field,
                   e2.message);
        FUZZ_CHECK(json_equal(again, config), "normalising twice changed \"%.200s\"", text);
        sg_twilio_kind.config_free(cfg2);
        json_decref(again);
        free(text);
    }
    json_decref(before);
    json_decref(config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_MAX_INPUT)
        return 0;
    long status = 1 + (long)(((unsigned)data[0] << 8 | data[1]) % 999);
    fuzz_parse_send(status, data + 2, size - 2);
    fuzz_config(data + 2, size - 2);
    return 0;
}
