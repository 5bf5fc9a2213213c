#include "core/webhook_signature.h"
#include "util/form.h"
#include "util/crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

#define MAC_LEN 32
/* A header of SG_WEBHOOK_SIG_HEADER_MAX bytes cannot hold more v1 entries than this. */
#define MAX_V1       (SG_WEBHOOK_SIG_HEADER_MAX / 68 + 1)
#define T_DIGITS_MAX 19 /* INT64_MAX has 19 digits; more is not a time */

/* HMAC-SHA256(secret, "<t>.<body>") into mac. The pieces are fed in turn, so the
 * body is never copied. */
static bool mac_of(const char *secret, int64_t t, const char *body, size_t len,
                   unsigned char mac[MAC_LEN])
{
    char tbuf[24];
    int tn = snprintf(tbuf, sizeof tbuf, "%lld.", (long long)t);
    char digest[] = OSSL_DIGEST_NAME_SHA2_256;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    bool ok = false;
    size_t outl = 0;
    EVP_MAC *alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = alg ? EVP_MAC_CTX_new(alg) : NULL;
    if (!ctx)
        goto out;
    if (EVP_MAC_init(ctx, (const unsigned char *)secret, strlen(secret), params) != 1 ||
        EVP_MAC_update(ctx, (const unsigned char *)tbuf, (size_t)tn) != 1 ||
        (len && EVP_MAC_update(ctx, (const unsigned char *)body, len) != 1) ||
        EVP_MAC_final(ctx, mac, &outl, MAC_LEN) != 1 || outl != MAC_LEN)
        goto out;
    ok = true;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    return ok;
}

bool sg_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                     char out[SG_WEBHOOK_SIG_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[MAC_LEN];
    out[0] = '\0';
    if (t < 0 || !mac_of(secret, t, body, len, mac))
        return false;
    char v1[2 * MAC_LEN + 1];
    for (size_t i = 0; i < MAC_LEN; i++) {
        v1[2 * i] = hex[mac[i] >> 4];
        v1[2 * i + 1] = hex[mac[i] & 15];
    }
    v1[2 * MAC_LEN] = '\0';
    snprintf(out, SG_WEBHOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, v1);
    return true;
}

/* One parsed header: its timestamp and the MACs offered. */
typedef struct parsed {
    bool has_t;
    int64_t t;
    size_t n_v1;
    unsigned char v1[MAX_V1][MAC_LEN];
} parsed;

/* Parse one "key=value" entry (s..s+n, spaces already trimmed) into p. */
static bool parse_entry(const char *s, size_t n, parsed *p)
{
    const char *eq = memchr(s, '=', n);
    if (!eq)
        return false;
    size_t klen = (size_t)(eq - s);
    const char *v = eq + 1;
    size_t vlen = n - klen - 1;
    if (klen == 1 && s[0] == 't') {
        if (p->has_t || vlen == 0 || vlen > T_DIGITS_MAX)
            return false;
        int64_t t = 0;
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9' || t > (INT64_MAX - (v[i] - '0')) / 10)
                return false;
            t = t * 10 + (v[i] - '0');
        }
        p->has_t = true;
        p->t = t;
        return true;
    }
    if (klen == 2 && s[0] == 'v' && s[1] == '1') {
        if (vlen != 2 * MAC_LEN || p->n_v1 == MAX_V1)
            return false;
        for (size_t i = 0; i < MAC_LEN; i++) {
            int hi = sg_hex_value(v[2 * i]), lo = sg_hex_value(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return false;
            p->v1[p->n_v1][i] = (unsigned char)(hi << 4 | lo);
        }
        p->n_v1++;
        return true;
    }
    /* Another scheme (or a future field): not ours to judge, but it must at least
     * have a name. */
    return klen > 0;
}

static bool parse_header(const char *h, parsed *p)
{
    memset(p, 0, sizeof *p);
    size_t hlen = strnlen(h, SG_WEBHOOK_SIG_HEADER_MAX + 1);
    if (hlen == 0 || hlen > SG_WEBHOOK_SIG_HEADER_MAX)
        return false;
    const char *s = h, *end = h + hlen;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        const char *a = s, *b = stop;
        while (a < b && (*a == ' ' || *a == '\t'))
            a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
            b--;
        if (a == b || !parse_entry(a, (size_t)(b - a), p))
            return false;
        if (!comma)
            break;
        s = comma + 1;
    }
    return p->has_t && p->n_v1 > 0;
}

sg_webhook_sig_result sg_webhook_verify(const char *secret, const char *header, const char *body,
                                        size_t len, int64_t now, int64_t tolerance_s)
{
    if (!secret || !header)
        return SG_WEBHOOK_SIG_MALFORMED;
    parsed p;
    if (!parse_header(header, &p))
        return SG_WEBHOOK_SIG_MALFORMED;
    unsigned char mac[MAC_LEN];
    if (!mac_of(secret, p.t, body, len, mac))
        return SG_WEBHOOK_SIG_MISMATCH;
    /* Compare every entry, without stopping at the first match, so the time taken
     * says nothing about which entry (if any) was right. */
    bool match = false;
    for (size_t i = 0; i < p.n_v1; i++)
        match |= sg_ct_equal(mac, p.v1[i], MAC_LEN);
    if (!match)
        return SG_WEBHOOK_SIG_MISMATCH;
    if (tolerance_s >= 0) {
        /* t and now are both in [0, INT64_MAX], so neither difference overflows. */
        int64_t d = now < 0 ? INT64_MAX : now >= p.t ? now - p.t : p.t - now;
        if (d > tolerance_s)
            return SG_WEBHOOK_SIG_STALE;
    }
    return SG_WEBHOOK_SIG_OK;
}

const char *sg_webhook_sig_result_name(sg_webhook_sig_result r)
{
    switch (r) {
    case SG_WEBHOOK_SIG_OK:
        return "ok";
    case SG_WEBHOOK_SIG_MALFORMED:
        return "malformed";
    case SG_WEBHOOK_SIG_MISMATCH:
        return "mismatch";
    case SG_WEBHOOK_SIG_STALE:
        return "stale";
    }
    return "unknown";
}
