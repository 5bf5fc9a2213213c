/* libFuzzer driver for Twilio's webhooks as smsgate reads them: the form body
 * (sg_form_parse), the status callback and inbound-message parsers
 * (src/providers/twilio/callbacks.c), the signature check
 * (src/providers/twilio/signature.c) and the TwiML answer.
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - a parse that succeeds fills NUL-terminated fields within their arrays; a
 *    status that maps is a valid sg_status;
 *  - a failed parse names the field at fault;
 *  - a signature computed over the parameters verifies, and one with a changed
 *    token does not;
 *  - TwiML for the body (as a reply) either fails cleanly or starts with the XML
 *    declaration. */
#include "fuzz_common.h"

#include "providers/twilio/callbacks.h"
#include "providers/twilio/signature.h"
#include "util/buf.h"
#include "util/form.h"

#define URL "https://sms.example.org/callbacks/prv_01JD3Z4Q5R6S7T8V9W0XYZABCD/status"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_form f;
    if (sg_form_parse((const char *)data, size, &f) != SG_OK)
        return 0;

    sg_twilio_status_cb cb;
    sg_error e = {0};
    if (sg_twilio_parse_status(&f, &cb, &e) == SG_OK) {
        FUZZ_CHECK(memchr(cb.message_sid, '\0', sizeof cb.message_sid), "message_sid unterminated");
        FUZZ_CHECK(memchr(cb.error_code, '\0', sizeof cb.error_code), "error_code unterminated");
        FUZZ_CHECK(memchr(cb.error_message, '\0', sizeof cb.error_message),
                   "error_message unterminated");
        FUZZ_CHECK(!cb.has_status || (unsigned)cb.status < SG_STATUS__COUNT, "status %d",
                   (int)cb.status);
    } else {
        FUZZ_CHECK(e.field[0], "a failed status parse names no field: %s", e.message);
    }

    sg_twilio_inbound in;
    sg_error e2 = {0};
    if (sg_twilio_parse_inbound(&f, &in, &e2) == SG_OK) {
        FUZZ_CHECK(in.body != NULL, "inbound without a body string");
        sg_buf b;
        sg_buf_init(&b, 64 * 1024);
        if (sg_twiml_response(in.body, &b) == SG_OK)
            FUZZ_CHECK(strncmp(sg_buf_cstr(&b), "<?xml", 5) == 0, "TwiML: %s", sg_buf_cstr(&b));
        sg_buf_free(&b);
        sg_twilio_inbound_free(&in);
    } else {
        FUZZ_CHECK(e2.field[0], "a failed inbound parse names no field: %s", e2.message);
    }

    char sig[SG_TWILIO_SIG_MAX];
    sg_twilio_sign("fuzz-token", URL, &f, sig);
    FUZZ_CHECK(sg_twilio_signature_valid("fuzz-token", URL, &f, sig), "own signature refused");
    FUZZ_CHECK(!sg_twilio_signature_valid("other-token", URL, &f, sig),
               "signature accepted with another token");
    sg_form_free(&f);
    return 0;
}
