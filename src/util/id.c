#include "util/id.h"

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
