/* libFuzzer driver for what Clickatell sends smsgate: legacy delivery reports
 * and replies (form bodies or query strings), Platform / One API JSON reports and
 * replies, and the charset conversion of reply texts
 * (src/providers/clickatell/callbacks.c); plus the drivers' answers to sends
 * (parse_send of both kinds).
 *
 * Contracts checked, beyond ASan/UBSan: a parse that succeeds leaves
 * NUL-terminated fields and, for replies, UTF-8 text; a failed parse names the
 * field at fault; parse_send never leaves an outcome out of range. */
#include "fuzz_common.h"

#include "core/gsm7.h"
#include "providers/clickatell/clickatell.h"
#include "providers/clickatell/callbacks.h"
#include "util/form.h"

static void check_inbound(sg_err err, sg_clickatell_inbound *in, const sg_error *e)
{
    if (err) {
        FUZZ_CHECK(e->field[0], "a failed reply parse names no field: %s", e->message);
        return;
    }
    sg_sms_info info;
    FUZZ_CHECK(in->text && sg_sms_analyze(in->text, strlen(in->text), &info) != SG_TEXT_INVALID_UTF8,
               "reply text is not UTF-8");
    FUZZ_CHECK(memchr(in->from, '\0', sizeof in->from), "from unterminated");
    sg_clickatell_inbound_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    sg_clickatell_status_cb cb;
    sg_clickatell_inbound in;
    sg_error e = {0};

    sg_form f;
    if (sg_form_parse(text, size, &f) == SG_OK) {
        if (sg_clickatell_parse_status(&f, &cb, &e) == SG_OK)
            FUZZ_CHECK(!cb.has_status || (unsigned)cb.status < SG_STATUS__COUNT, "status");
        else
            FUZZ_CHECK(e.field[0], "a failed status parse names no field: %s", e.message);
        sg_error_clear(&e);
        check_inbound(sg_clickatell_parse_inbound(&f, &in, &e), &in, &e);
        sg_error_clear(&e);
        check_inbound(sg_clickatell_parse_platform_reply_form(&f, &in, &e), &in, &e);
        sg_error_clear(&e);
        sg_form_free(&f);
    }
    if (sg_clickatell_parse_platform_status(text, size, &cb, &e) == SG_OK)
        FUZZ_CHECK(!cb.has_status || (unsigned)cb.status < SG_STATUS__COUNT, "status");
    sg_error_clear(&e);
    check_inbound(sg_clickatell_parse_platform_reply(text, size, &in, &e), &in, &e);
    sg_error_clear(&e);

    char *utf8 = NULL;
    static const char *const charsets[] = {NULL, "ISO-8859-1", "UTF-16BE", "UTF-8"};
    for (size_t i = 0; i < 4; i++) {
        if (sg_clickatell_text_to_utf8(text, size, charsets[i], &utf8, &e) == SG_OK) {
            sg_sms_info info;
            FUZZ_CHECK(sg_sms_analyze(utf8, strlen(utf8), &info) != SG_TEXT_INVALID_UTF8,
                       "converted text is not UTF-8 (charset %s)",
                       charsets[i] ? charsets[i] : "none");
            free(utf8);
        }
        sg_error_clear(&e);
    }

    /* The drivers' readers of send answers: status from the first two bytes. */
    if (size >= 2) {
        long status = 100 + (data[0] | (data[1] << 8)) % 500;
        sg_prov_result res;
        memset(&res, 0, sizeof res);
        sg_clickatell_kind.parse_send(NULL, status, text + 2, size - 2, &res);
        FUZZ_CHECK(res.outcome <= SG_SEND_PERMANENT, "outcome %d", (int)res.outcome);
        memset(&res, 0, sizeof res);
        sg_clickatell_platform_kind.parse_send(NULL, status, text + 2, size - 2, &res);
        FUZZ_CHECK(res.outcome <= SG_SEND_PERMANENT, "outcome %d", (int)res.outcome);
        FUZZ_CHECK(memchr(res.error_message, '\0', sizeof res.error_message), "unterminated");
    }
    return 0;
}
