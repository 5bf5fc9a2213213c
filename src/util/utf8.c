/* UTF-8 (utf8.h). Every other file decodes, encodes, validates and cuts UTF-8
 * through these functions, so that "well-formed" means one thing everywhere. */
#include "util/utf8.h"

#include <string.h>

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Table 3-7, one row per range of lead bytes: the sequence length, the bits the
 * lead contributes, and the allowed range of the second byte, narrower where an
 * overlong form, a surrogate or a code point above U+10FFFF would begin. Every
 * later byte is a plain continuation byte. 80..C1 and F5..FF lead nothing. */
static const struct lead {
    unsigned char first, last; /* lead bytes */
    unsigned char need, bits;  /* sequence length, mask of the lead's bits */
    unsigned char lo, hi;      /* second byte */
} leads[] = {
    {0xC2, 0xDF, 2, 0x1F, 0x80, 0xBF},
    {0xE0, 0xE0, 3, 0x0F, 0xA0, 0xBF}, /* E0 80..9F: overlong */
    {0xE1, 0xEC, 3, 0x0F, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x0F, 0x80, 0x9F}, /* ED A0..BF: U+D800..U+DFFF */
    {0xEE, 0xEF, 3, 0x0F, 0x80, 0xBF},
    {0xF0, 0xF0, 4, 0x07, 0x90, 0xBF}, /* F0 80..8F: overlong */
    {0xF1, 0xF3, 4, 0x07, 0x80, 0xBF},
    {0xF4, 0xF4, 4, 0x07, 0x80, 0x8F}, /* F4 90..BF: above U+10FFFF */
};

static const struct lead *lead_of(unsigned char b0)
{
    for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
        if (b0 >= leads[i].first && b0 <= leads[i].last)
            return &leads[i];
    }
    return NULL;
}

size_t sg_utf8_decode(const char *str, size_t len, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (len == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    const struct lead *l = lead_of(s[0]);
    if (!l || len < 2 || s[1] < l->lo || s[1] > l->hi)
        return 0;
    uint32_t c = ((uint32_t)(s[0] & l->bits) << 6) | (s[1] & 0x3F);
    for (size_t i = 2; i < l->need; i++) {
        if (i >= len || !is_continuation(s[i]))
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return l->need;
}

size_t sg_utf8_next(const char *s, size_t len, uint32_t *cp)
{
    if (len == 0)
        return 0;
    size_t n = sg_utf8_decode(s, len, cp);
    if (n)
        return n;
    *cp = SG_UTF8_REPLACEMENT;
    return 1;
}

size_t sg_utf8_encode(uint32_t cp, char out[SG_UTF8_MAX])
{
    static const unsigned char lead[SG_UTF8_MAX + 1] = {0, 0x00, 0xC0, 0xE0, 0xF0};
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (size_t i = n - 1; i > 0; i--) {
        out[i] = (char)(0x80 | (cp & 0x3F));
        cp >>= 6;
    }
    out[0] = (char)(lead[n] | cp);
    return n;
}

/* i moved past every whole 8-byte word of ASCII there (the bytes after it may
 * still be ASCII; the decoder takes those one at a time). */
static size_t skip_ascii(const char *s, size_t len, size_t i)
{
    while (len - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & UINT64_C(0x8080808080808080))
            break;
        i += 8;
    }
    return i;
}

bool sg_utf8_valid(const char *s, size_t len)
{
    return sg_utf8_count(s, len, len) != SIZE_MAX;
}

/* A run of 8 ASCII bytes may take the count up to 7 past limit + 1: they are
 * well-formed, so the answer is limit + 1 all the same. */
size_t sg_utf8_count(const char *s, size_t len, size_t limit)
{
    uint32_t cp;
    size_t n = 0;
    for (size_t i = 0; i < len && n <= limit;) {
        size_t ascii = skip_ascii(s, len, i) - i;
        if (ascii) {
            n += ascii;
            i += ascii;
            continue;
        }
        size_t k = sg_utf8_decode(s + i, len - i, &cp);
        if (k == 0)
            return SIZE_MAX;
        i += k;
        n++;
    }
    return n > limit ? limit + 1 : n;
}

size_t sg_utf8_trim_len(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && is_continuation((unsigned char)s[max]))
        max--;
    return max;
}
