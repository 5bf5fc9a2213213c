/* libFuzzer driver for sg_sms_analyze (src/core/gsm7.c): UTF-8 validation,
 * GSM-7/UCS-2 choice and segment counting for message bodies from the API.
 *
 * Contracts checked, beyond ASan/UBSan (gsm7.h):
 *  - INVALID_UTF8 leaves *out zeroed; otherwise chars is the number of code
 *    points (= the number of bytes that are not 10xxxxxx continuation bytes);
 *  - OK means chars <= SG_SMS_MAX_CHARS, TOO_LONG means chars > SG_SMS_MAX_CHARS;
 *  - OK: segments >= 1 exactly when len > 0;
 *  - GSM-7: chars <= units <= 2 * chars; UCS-2: chars <= units <= 2 * chars;
 *  - segments agree with the packing rules: one part up to 160 septets (70 UCS-2
 *    units), otherwise between ceil(units/153) and ceil(units/152) parts for
 *    GSM-7 (an escape pair is never split) and between ceil(units/67) and
 *    ceil(units/66) for UCS-2 (a surrogate pair is never split);
 *  - the same text analysed with a NULL pointer is only allowed when len is 0. */
#include "fuzz_common.h"

#include "core/gsm7.h"

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact_copy(data, size);

    sg_sms_info info;
    memset(&info, 0xA5, sizeof info);
    sg_text_status st = sg_sms_analyze(text, size, &info);
    free(text);

    FUZZ_CHECK(st == SG_TEXT_OK || st == SG_TEXT_INVALID_UTF8 || st == SG_TEXT_TOO_LONG,
               "status %d", (int)st);
    if (st == SG_TEXT_INVALID_UTF8) {
        sg_sms_info zero;
        memset(&zero, 0, sizeof zero);
        FUZZ_CHECK(info.encoding == SG_ENC_GSM7 && info.chars == 0 && info.units == 0 &&
                       info.segments == 0,
                   "INVALID_UTF8 left enc=%d chars=%zu units=%zu segments=%u", (int)info.encoding,
                   info.chars, info.units, info.segments);
        return 0;
    }

    size_t starts = 0;
    for (size_t i = 0; i < size; i++)
        starts += (data[i] & 0xC0) != 0x80;
    FUZZ_CHECK(info.chars == starts, "chars=%zu but %zu code point starts", info.chars, starts);
    if (st == SG_TEXT_OK)
        FUZZ_CHECK(info.chars <= SG_SMS_MAX_CHARS, "OK with %zu chars", info.chars);
    else
        FUZZ_CHECK(info.chars > SG_SMS_MAX_CHARS, "TOO_LONG with %zu chars", info.chars);

    FUZZ_CHECK(info.encoding == SG_ENC_GSM7 || info.encoding == SG_ENC_UCS2, "encoding %d",
               (int)info.encoding);
    FUZZ_CHECK(info.units >= info.chars && info.units <= 2 * info.chars, "%s: units=%zu chars=%zu",
               sg_encoding_name(info.encoding), info.units, info.chars);
    if (st == SG_TEXT_OK)
        FUZZ_CHECK((info.segments >= 1) == (size > 0), "len=%zu segments=%u", size, info.segments);

    bool gsm = info.encoding == SG_ENC_GSM7;
    size_t single = gsm ? 160 : 70, part = gsm ? 153 : 67;
    if (info.units == 0) {
        FUZZ_CHECK(info.segments == 0, "no units but %u segments", info.segments);
    } else if (info.units <= single) {
        FUZZ_CHECK(info.segments == 1, "%s: %zu units in %u segments",
                   sg_encoding_name(info.encoding), info.units, info.segments);
    } else {
        size_t lo = ceil_div(info.units, part), hi = ceil_div(info.units, part - 1);
        FUZZ_CHECK(info.segments >= lo && info.segments <= hi,
                   "%s: %zu units in %u segments (expected %zu..%zu)",
                   sg_encoding_name(info.encoding), info.units, info.segments, lo, hi);
    }

    if (size == 0) {
        sg_sms_info none;
        FUZZ_CHECK(sg_sms_analyze(NULL, 0, &none) == SG_TEXT_OK && none.segments == 0,
                   "NULL with len 0 is not an empty body");
    }
    return 0;
}
