/* libFuzzer driver for the Clickatell-compatible surface's request readers
 * (src/compat/clickatell_wire.c): apiKey, the text of a send request (UTF-8,
 * Latin-1, UCS-2 hex), recipient lists, concat, apiMsgIds and the platform's
 * JSON send request.
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - an apiKey read is non-empty, has no trailing '=' and fits;
 *  - a text read is valid UTF-8; a refusal of a non-unicode text only happens
 *    for a NUL byte;
 *  - recipients are at most the room given (or room + 1 for "more"), each raw and
 *    to NUL-terminated within their buffers and not empty;
 *  - an apiMsgId that reads as a message id maps back to itself (lower-cased);
 *  - a platform request read has content and 1..100 recipients; a refusal has a
 *    code of 21, 22 or 23 and a reason;
 *  - a callback level is -1..7, and 0..7 only for "" or one digit;
 *  - a delivery report's and a reply's forms read back (sg_form_parse) to the
 *    values they were built from (numbers without their '+'), and a reply has
 *    no "status";
 *  - an input is a legacy session only when it is the session's id. */
#include "fuzz_common.h"

#include "compat/clickatell_sessions.h"
#include "compat/clickatell_wire.h"
#include "util/form.h"
#include "util/crypto.h"
#include "util/utf8.h"

#include <ctype.h>

static void check_api_key(const char *s)
{
    char out[SG_CKC_API_KEY_MAX];
    if (!sg_ckc_api_key(s, out, sizeof out))
        return;
    size_t len = strlen(out);
    FUZZ_CHECK(len > 0 && len < sizeof out && out[len - 1] != '=', "apiKey '%s'", out);
}

static void check_text(const uint8_t *data, size_t size)
{
    for (int unicode = 0; unicode < 2; unicode++) {
        bool bad = false;
        char *t = sg_ckc_text((const char *)data, size, unicode, &bad);
        if (t)
            FUZZ_CHECK(sg_utf8_valid(t, strlen(t)), "text not UTF-8");
        else
            FUZZ_CHECK(bad && (unicode || memchr(data, '\0', size)), "text refused");
        free(t);
    }
}

static void check_recipients(const char *s)
{
    sg_ckc_rcpt r[4];
    size_t n = sg_ckc_recipients(s, r, 4);
    FUZZ_CHECK(n <= 5, "%zu recipients", n);
    for (size_t i = 0; i < n && i < 4; i++) {
        FUZZ_CHECK(memchr(r[i].raw, '\0', sizeof r[i].raw) && memchr(r[i].to, '\0', sizeof r[i].to),
                   "recipient %zu not terminated", i);
        FUZZ_CHECK(r[i].raw[0] && r[i].to[0], "recipient %zu empty", i);
    }
    int c = sg_ckc_concat(s);
    FUZZ_CHECK(c >= -1 && c <= 99, "concat %d", c);
}

static void check_api_msg_id(const char *s)
{
    char id[SG_ID_MAX], back[SG_CKC_API_MSG_ID_MAX], lower[64];
    if (!sg_ckc_message_id(s, id))
        return;
    FUZZ_CHECK(sg_ckc_api_msg_id(id, back), "%s read as %s, which has no apiMsgId", s, id);
    snprintf(lower, sizeof lower, "%s", s);
    for (size_t i = 0; lower[i]; i++)
        lower[i] = (char)tolower((unsigned char)lower[i]);
    FUZZ_CHECK(strcmp(lower, back) == 0, "%s -> %s -> %s", s, id, back);
}

static void check_platform(const uint8_t *data, size_t size)
{
    sg_ckc_platform_req r;
    int code = 0;
    char why[96] = "";
    if (sg_ckc_platform_parse((const char *)data, size, &r, &code, why, sizeof why))
        FUZZ_CHECK(r.content && r.content[0] && r.n_rcpt >= 1 && r.n_rcpt <= SG_CKC_RCPT_MAX,
                   "platform request read");
    else
        FUZZ_CHECK((code == 21 || code == 22 || code == 23) && why[0], "refusal %d", code);
    sg_ckc_platform_free(&r);
}

static void check_level(const char *s)
{
    int level = sg_ckc_callback_level(s, 7);
    FUZZ_CHECK(level >= -1 && level <= 7, "level %d", level);
    if (level >= 0)
        FUZZ_CHECK(!s[0] || (s[1] == '\0' && s[0] == '0' + level), "'%s' read as %d", s, level);
}

/* The value of key in form body (built by us) equals want. */
static void check_field(const sg_buf *body, const char *key, const char *want)
{
    sg_form f;
    FUZZ_CHECK(sg_form_parse(sg_buf_cstr(body), body->len, &f) == SG_OK, "form unreadable");
    const char *got = sg_form_get(&f, key);
    FUZZ_CHECK(got && strcmp(got, want) == 0, "%s: '%s', want '%s'", key, got ? got : "(none)",
               want);
    sg_form_free(&f);
}

static void check_callback_forms(const char *s)
{
    sg_buf b;
    sg_buf_init(&b, 1 << 20);
    sg_ckc_report r = {.api_id = s, .api_msg_id = s, .cli_msg_id = s, .to = s, .from = s,
                       .at_ms = (int64_t)strlen(s) * 1000, .status = 4};
    if (sg_ckc_report_form(&r, &b) == SG_OK) {
        check_field(&b, "apiMsgId", s);
        check_field(&b, "to", s + (s[0] == '+'));
        check_field(&b, "status", "004");
    }
    sg_buf_reset(&b);
    sg_ckc_mo mo = {.api_id = s, .mo_msg_id = s, .from = s, .to = s, .text = s, .at_ms = 0};
    if (sg_ckc_mo_form(&mo, &b) == SG_OK) {
        check_field(&b, "text", s);
        check_field(&b, "timestamp", "1970-01-01 00:00:00");
        sg_form f;
        FUZZ_CHECK(sg_form_parse(sg_buf_cstr(&b), b.len, &f) == SG_OK, "reply unreadable");
        FUZZ_CHECK(!sg_form_get(&f, "status"), "a reply with a status");
        sg_form_free(&f);
    }
    sg_buf_free(&b);
}

static void check_session(const char *s)
{
    static sg_ckc_sessions *t;
    static char id[SG_CKC_SESSION_ID_LEN + 1];
    if (!t && (t = sg_ckc_sessions_new(4)))
        sg_ckc_session_new(t, "app_fuzz", 1, 0, id);
    char app[SG_ID_MAX];
    int64_t rotated;
    if (t && sg_ckc_session_use(t, s, 0, app, &rotated))
        FUZZ_CHECK(strcmp(s, id) == 0 && strcmp(app, "app_fuzz") == 0, "'%s' is a session", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready)
        ready = sg_crypto_init() == SG_OK;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_api_key(s);
    check_text(data, size);
    check_recipients(s);
    check_api_msg_id(s);
    check_platform(data, size);
    check_level(s);
    check_callback_forms(s);
    check_session(s);
    free(s);
    return 0;
}
