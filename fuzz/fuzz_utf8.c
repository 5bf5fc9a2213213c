/* libFuzzer driver for the UTF-8 primitives (src/util/utf8.c), which every
 * parser of outside text (bodies, callbacks, CSV, filters, paths) goes through.
 *
 * Contracts checked, beyond ASan/UBSan (utf8.h), on the input as bytes in an
 * exact-size buffer:
 *  - decode at every position accepts exactly the canonical encodings: what it
 *    accepts re-encodes to the same 1 to 4 bytes, and where it refuses, the bytes
 *    there read with the bit patterns alone (a lead and its continuation bits,
 *    no range checks) do not re-encode to themselves;
 *  - the validator agrees with walking the decoder over the whole input, and so
 *    does sg_utf8_count (with limit = len, and with a small limit from the input);
 *  - sg_utf8_next always moves on and agrees with decode where decode accepts;
 *  - sg_utf8_trim_len never grows, stays within max, never cuts before a
 *    continuation byte (unless it cuts to nothing), and keeps a valid input
 *    valid;
 * and on the input read as code points (4 bytes each, mostly folded into
 * 0..U+10FFFF): encode writes 1 to 4 bytes exactly for scalar values, and the
 * concatenation decodes back to the same code points (decode∘encode = id). */
#include "fuzz_common.h"

#include "util/utf8.h"

/* The code point the bit patterns alone give for the sequence at s, and its
 * length, or 0 when the first byte leads no sequence of the remaining length. */
static size_t naive_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xE0) == 0xC0 ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t c = n == 1 ? s[0] : s[0] & (0x7Fu >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    *cp = c;
    return n;
}

static void check_position(const char *s, size_t len)
{
    uint32_t cp = 0, again;
    char enc[SG_UTF8_MAX];
    size_t n = sg_utf8_decode(s, len, &cp);
    FUZZ_CHECK(n <= SG_UTF8_MAX && n <= len, "decode consumed %zu of %zu", n, len);
    if (n > 0) {
        size_t m = sg_utf8_encode(cp, enc);
        FUZZ_CHECK(m == n && memcmp(enc, s, n) == 0,
                   "U+%04X decoded from %zu bytes, encodes in %zu", (unsigned)cp, n, m);
    } else {
        size_t k = naive_decode((const uint8_t *)s, len, &cp);
        FUZZ_CHECK(k == 0 || sg_utf8_encode(cp, enc) != k || memcmp(enc, s, k) != 0,
                   "canonical U+%04X in %zu bytes refused", (unsigned)cp, k);
    }
    size_t step = sg_utf8_next(s, len, &again);
    FUZZ_CHECK(step >= 1 &&
                   (n ? step == n && again == cp : again == SG_UTF8_REPLACEMENT && step == 1),
               "next moved %zu (decode %zu)", step, n);
}

static void check_bytes(const char *s, size_t len, uint8_t knob)
{
    size_t chars = 0;
    bool walked = true;
    for (size_t i = 0; i < len; i++)
        check_position(s + i, len - i);
    for (size_t i = 0; i < len; chars++) {
        uint32_t cp;
        size_t n = sg_utf8_decode(s + i, len - i, &cp);
        if (n == 0) {
            walked = false;
            break;
        }
        i += n;
    }
    bool valid = sg_utf8_valid(s, len);
    FUZZ_CHECK(valid == walked, "valid %d, decoder walk %d", valid, walked);
    size_t count = sg_utf8_count(s, len, len);
    FUZZ_CHECK(count == (walked ? chars : SIZE_MAX), "count %zu, walk %zu (%d)", count, chars,
               walked);
    size_t limit = knob % 8, lc = sg_utf8_count(s, len, limit);
    FUZZ_CHECK(lc == count || (lc == limit + 1 && (count == SIZE_MAX || count > limit)),
               "count %zu with limit %zu, %zu without", lc, limit, count);

    size_t max = len ? knob % (len + 1) : 0;
    size_t cut = sg_utf8_trim_len(s, len, max);
    FUZZ_CHECK(cut <= max && cut <= len, "trim to %zu of %zu (max %zu)", cut, len, max);
    FUZZ_CHECK(cut == 0 || cut == len || (s[cut] & 0xC0) != 0x80,
               "cut at %zu before a continuation byte", cut);
    FUZZ_CHECK(!valid || sg_utf8_valid(s, cut), "valid text cut at %zu is not valid", cut);
}

/* The input as code points, encoded one after another, decodes back. */
static void check_round_trip(const uint8_t *data, size_t size)
{
    size_t n_cp = size / 4;
    uint32_t *cps = malloc((n_cp ? n_cp : 1) * sizeof *cps);
    char *out = malloc(n_cp * SG_UTF8_MAX + 1);
    if (!cps || !out)
        abort();
    size_t kept = 0, len = 0;
    for (size_t i = 0; i < n_cp; i++) {
        uint32_t raw = (uint32_t)data[4 * i] << 24 | (uint32_t)data[4 * i + 1] << 16 |
                       (uint32_t)data[4 * i + 2] << 8 | data[4 * i + 3];
        uint32_t cp = raw & 0x80000000u ? raw : raw % 0x110000;
        size_t m = sg_utf8_encode(cp, out + len);
        bool scalar = cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        FUZZ_CHECK(scalar ? m >= 1 && m <= SG_UTF8_MAX : m == 0, "U+%04X encoded in %zu",
                   (unsigned)cp, m);
        if (m) {
            cps[kept++] = cp;
            len += m;
        }
    }
    FUZZ_CHECK(sg_utf8_valid(out, len), "encoded text not valid");
    FUZZ_CHECK(sg_utf8_count(out, len, len) == kept, "encoded text miscounted");
    size_t at = 0;
    for (size_t k = 0; k < kept; k++) {
        uint32_t cp;
        size_t m = sg_utf8_decode(out + at, len - at, &cp);
        FUZZ_CHECK(m > 0 && cp == cps[k], "code point %zu: U+%04X came back as U+%04X", k,
                   (unsigned)cps[k], (unsigned)cp);
        at += m;
    }
    FUZZ_CHECK(at == len, "decoded %zu of %zu bytes", at, len);
    free(cps);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact_copy(data, size);
    check_bytes(text, size, size ? data[0] : 0);
    free(text);
    check_round_trip(data, size);
    return 0;
}
