#include "util/id.h"
#include "util/form.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void sg_id_new(const char *prefix, int64_t now_ms, char out[SG_ID_MAX])
{
    unsigned char raw[16];
    uint64_t t = (uint64_t)now_ms;
    for (int i = 5; i >= 0; i--) {
        raw[i] = (unsigned char)(t & 0xff);
        t >>= 8;
    }
    randombytes_buf(raw + 6, 10);
    size_t n = (size_t)snprintf(out, SG_ID_MAX, "%s_", prefix);
    /* 128 bits -> 26 base32 characters; the first carries the top 3 bits. */
    int bit = -2; /* 26*5 = 130 bits: two leading zero bits */
    for (int c = 0; c < 26; c++) {
        int v = 0;
        for (int k = 0; k < 5; k++, bit++) {
            v <<= 1;
            if (bit >= 0)
                v |= (raw[bit / 8] >> (7 - bit % 8)) & 1;
        }
        out[n++] = alphabet[v];
    }
    out[n] = '\0';
}

bool sg_id_valid(const char *prefix, const char *s)
{
    size_t pl = strlen(prefix);
    if (!s || strncmp(s, prefix, pl) != 0 || s[pl] != '_')
        return false;
    s += pl + 1;
    if (strlen(s) != 26)
        return false;
    for (; *s; s++) {
        if (!strchr(alphabet, *s))
            return false;
    }
    return true;
}

/* The value of Crockford base32 digit c of the alphabet above, or -1. */
static int digit_value(char c)
{
    const char *p = c ? strchr(alphabet, c) : NULL;
    return p ? (int)(p - alphabet) : -1;
}

bool sg_id_to_hex(const char *prefix, const char *id, char out[33])
{
    if (!sg_id_valid(prefix, id))
        return false;
    const char *s = id + strlen(prefix) + 1;
    unsigned char raw[16] = {0};
    /* 26 digits hold 130 bits: the first two are the leading zero bits. */
    int bit = -2;
    for (int c = 0; c < 26; c++) {
        int v = digit_value(s[c]);
        for (int k = 4; k >= 0; k--, bit++) {
            if (((v >> k) & 1) && bit < 0)
                return false; /* "8".."Z" first: more than 128 bits */
            if ((v >> k) & 1)
                raw[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
        }
    }
    /* by hand, not snprintf per byte: a Twilio-compatible answer converts two ids
     * per request (docs/performance.md) */
    static const char hexd[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hexd[raw[i] >> 4];
        out[2 * i + 1] = hexd[raw[i] & 15];
    }
    out[32] = '\0';
    return true;
}

bool sg_id_from_hex(const char *prefix, const char *hex, char out[SG_ID_MAX])
{
    unsigned char raw[16];
    for (int i = 0; i < 32; i++) {
        int v = hex[i] ? sg_hex_value(hex[i]) : -1;
        if (v < 0)
            return false;
        if (i % 2 == 0)
            raw[i / 2] = (unsigned char)(v << 4);
        else
            raw[i / 2] |= (unsigned char)v;
    }
    if (hex[32] != '\0')
        return false;
    size_t n = (size_t)snprintf(out, SG_ID_MAX, "%s_", prefix);
    int bit = -2;
    for (int c = 0; c < 26; c++) {
        int v = 0;
        for (int k = 0; k < 5; k++, bit++) {
            v <<= 1;
            if (bit >= 0)
                v |= (raw[bit / 8] >> (7 - bit % 8)) & 1;
        }
        out[n++] = alphabet[v];
    }
    out[n] = '\0';
    return true;
}
