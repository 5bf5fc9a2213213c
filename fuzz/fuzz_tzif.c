/* libFuzzer driver for sg_tz_parse (src/util/tz.c): TZif files from the zoneinfo
 * directory, which an operator can point elsewhere (SG_ZONEINFO).
 *
 * Contracts checked, beyond ASan/UBSan:
 *  - a parse that fails leaves *out NULL; one that succeeds gives a zone whose
 *    offset, at the ends of int64_t, at +-1e12 s and around the instants the input
 *    itself names, is within (-26h, 26h);
 *  - parsing the same bytes twice gives the same offsets (no hidden state). */
#include "fuzz_common.h"

#include "util/tz.h"

#include <inttypes.h>

#define OFF_LIMIT (26 * 3600)

static int64_t probe_at(const uint8_t *data, size_t size, size_t i)
{
    int64_t v = 0;
    for (size_t k = 0; k < 8; k++)
        v = (int64_t)((uint64_t)v << 8 | (size ? data[(i * 8 + k) % size] : 0));
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024) /* real files are under 4 KiB */
        return 0;
    sg_tz *z = (sg_tz *)(uintptr_t)1, *again = NULL;
    sg_err err = sg_tz_parse(data, size, &z);
    if (err) {
        FUZZ_CHECK(z == NULL, "failed parse (%s) left *out set", sg_strerror(err));
        return 0;
    }
    FUZZ_CHECK(sg_tz_parse(data, size, &again) == SG_OK, "second parse failed");

    int64_t ts[16] = {INT64_MIN, INT64_MIN + 1,   -1000000000000LL, -1,
                      0,         1000000000000LL, INT64_MAX - 1,    INT64_MAX};
    for (size_t i = 8; i < 16; i++)
        ts[i] = probe_at(data, size, i);
    for (size_t i = 0; i < 16; i++) {
        int32_t off = sg_tz_offset(z, ts[i]);
        FUZZ_CHECK(off > -OFF_LIMIT && off < OFF_LIMIT, "offset %" PRId32 " at %" PRId64, off,
                   ts[i]);
        FUZZ_CHECK(sg_tz_offset(again, ts[i]) == off, "offsets differ at %" PRId64, ts[i]);
    }
    sg_tz_free(z);
    sg_tz_free(again);
    return 0;
}
