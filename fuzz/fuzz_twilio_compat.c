/* libFuzzer driver for the Twilio-compatible API's request readers
 * (src/compat/twilio_wire.c): a create form read into smsgate's send request,
 * and a Message SID read into a message id.
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - a form either becomes a JSON object whose members are only to/from/body/
 *    send_at (strings), validity_seconds (1..36000), track_clicks (true), or is
 *    refused with HTTP 400, a Twilio code and a message;
 *  - the StatusCallback handed back is the form's first value, never empty;
 *  - a SID that reads as a message id maps back to the same SID (lower-cased);
 *  - the <Message> text read from a TwiML answer is NUL-terminated within its
 *    buffer and not empty when found. */
#include "fuzz_common.h"

#include "compat/twilio_wire.h"
#include "util/crypto.h"

#include <ctype.h>

static void check_request(const sg_form *f)
{
    const char *cb = NULL, *ms = NULL;
    sg_tw_fail fail = {0};
    json_t *obj = sg_tw_create_request(f, &cb, &ms, &fail);
    FUZZ_CHECK(!cb || (cb[0] && cb == sg_form_get(f, "StatusCallback")), "StatusCallback");
    if (!obj) {
        FUZZ_CHECK(fail.http_status == 400 && fail.code > 20000 && fail.message[0],
                   "refusal %d %d '%s'", fail.http_status, fail.code, fail.message);
        return;
    }
    FUZZ_CHECK(json_is_object(obj), "not an object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        bool text = !strcmp(key, "to") || !strcmp(key, "from") || !strcmp(key, "body") ||
                    !strcmp(key, "send_at");
        if (text) {
            FUZZ_CHECK(json_is_string(v), "%s is not a string", key);
        } else if (!strcmp(key, "validity_seconds")) {
            FUZZ_CHECK(json_is_integer(v) && json_integer_value(v) >= 1 &&
                           json_integer_value(v) <= 36000,
                       "validity_seconds out of range");
        } else {
            FUZZ_CHECK(!strcmp(key, "track_clicks") && json_is_true(v), "member '%s'", key);
        }
    }
    json_decref(obj);
}

static void check_sid(const uint8_t *data, size_t size)
{
    char sid[64], id[SG_ID_MAX], back[SG_TW_SID_MAX];
    size_t n = size < sizeof sid - 1 ? size : sizeof sid - 1;
    memcpy(sid, data, n);
    sid[n] = '\0';
    if (!sg_tw_message_id(sid, id))
        return;
    FUZZ_CHECK(sg_tw_message_sid(id, back), "%s read as %s, which has no SID", sid, id);
    for (size_t i = 2; sid[i]; i++)
        sid[i] = (char)tolower((unsigned char)sid[i]);
    FUZZ_CHECK(strcmp(sid, back) == 0, "%s -> %s -> %s", sid, id, back);
}

static void check_twiml(const uint8_t *data, size_t size)
{
    char out[32];
    memset(out, 'x', sizeof out);
    bool got = sg_tw_twiml_message((const char *)data, size, out, sizeof out);
    FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL || !got, "no NUL in the text");
    FUZZ_CHECK(!got || out[0], "found but empty");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready)
        ready = sg_crypto_init() == SG_OK;
    check_sid(data, size);
    check_twiml(data, size);
    sg_form f;
    if (sg_form_parse((const char *)data, size, &f) != SG_OK)
        return 0;
    check_request(&f);
    sg_form_free(&f);
    return 0;
}
