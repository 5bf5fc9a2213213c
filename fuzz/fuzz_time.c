/* libFuzzer driver for sg_time_parse (src/util/time.c): RFC 3339 times from the
 * API ("send_at") and from providers.
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - a NULL string is refused;
 *  - a parse that succeeds gives a time no earlier than 1970-01-01T00:00:00 at
 *    the largest offset (+23:59) and no later than 9999-12-31T23:59:60.999 at the
 *    smallest (-23:59);
 *  - round trip: when the result is in the range sg_time_format writes with a
 *    four-digit year (0 .. 9999-12-31T23:59:59.999Z), formatting it and parsing
 *    the text gives the same milliseconds, and formatting that again gives the
 *    same text. */
#include "fuzz_common.h"

#include "util/time.h"

#include <inttypes.h>

#define MS_MIN        (-(23 * 60 + 59) * 60 * 1000LL)
#define MS_FORMAT_MAX 253402300799999LL /* 9999-12-31T23:59:59.999Z */
#define MS_MAX        (MS_FORMAT_MAX + (23 * 60 + 59) * 60 * 1000LL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) /* nothing valid is longer than ~40 bytes; keep the search short */
        return 0;
    if (size == 0) {
        int64_t unused;
        FUZZ_CHECK(!sg_time_parse(NULL, &unused), "NULL parsed");
    }
    char *s = fuzz_cstr(data, size);
    int64_t ms = INT64_MIN;
    bool ok = sg_time_parse(s, &ms);
    if (ok) {
        FUZZ_CHECK(ms >= MS_MIN && ms <= MS_MAX, "\"%s\" parsed to %" PRId64 " ms", s, ms);
        if (ms >= 0 && ms <= MS_FORMAT_MAX) {
            char text[SG_TIME_STR_MAX], again[SG_TIME_STR_MAX];
            sg_time_format(ms, text, sizeof text);
            int64_t ms2 = INT64_MIN;
            FUZZ_CHECK(sg_time_parse(text, &ms2), "\"%s\" -> %" PRId64 " -> \"%s\" unparseable", s,
                       ms, text);
            FUZZ_CHECK(ms2 == ms, "\"%s\" -> %" PRId64 " -> \"%s\" -> %" PRId64, s, ms, text, ms2);
            sg_time_format(ms2, again, sizeof again);
            FUZZ_CHECK(strcmp(text, again) == 0, "format not stable: \"%s\" vs \"%s\"", text,
                       again);
        }
    }
    free(s);
    return 0;
}
