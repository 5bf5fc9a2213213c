#include "core/idempotency.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>

bool sg_idem_key_valid(const char *key)
{
    if (!key)
        return false;
    size_t i = 0;
    for (; key[i]; i++) {
        if (i >= SG_IDEM_KEY_MAX)
            return false;
        unsigned char c = (unsigned char)key[i];
        if (c < 0x21 || c > 0x7e)
            return false;
    }
    return i > 0;
}

/* Each field goes in as an 8-byte big-endian length followed by its bytes, so the
 * encoding is prefix-free: ("a", "bc") and ("ab", "c") hash different inputs. */
static void absorb(crypto_hash_sha256_state *st, const void *data, size_t len)
{
    unsigned char be[8];
    uint64_t n = len;
    for (int i = 7; i >= 0; i--) {
        be[i] = (unsigned char)(n & 0xff);
        n >>= 8;
    }
    crypto_hash_sha256_update(st, be, sizeof be);
    if (len)
        crypto_hash_sha256_update(st, data, len);
}

/* A NULL method or path is read as "", and a NULL body as empty whatever len says.
 * The leading tag names the scheme, so a future change of what goes into the hash
 * cannot match fingerprints stored under this one. */
void sg_idem_fingerprint(const char *method, const char *path, const void *body, size_t len,
                         char out[SG_IDEM_FINGERPRINT_LEN])
{
    static const char tag[] = "smsgate-idempotency-v1";
    crypto_hash_sha256_state st;
    unsigned char digest[crypto_hash_sha256_BYTES];

    if (!method)
        method = "";
    if (!path)
        path = "";
    if (!body)
        len = 0;
    crypto_hash_sha256_init(&st);
    absorb(&st, tag, sizeof tag - 1);
    absorb(&st, method, strlen(method));
    absorb(&st, path, strlen(path));
    absorb(&st, body, len);
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(out, SG_IDEM_FINGERPRINT_LEN, digest, sizeof digest);
}

sg_idem_decision sg_idem_decide(const char *stored, const char *fingerprint)
{
    if (!stored)
        return SG_IDEM_NEW;
    if (fingerprint && strcmp(stored, fingerprint) == 0)
        return SG_IDEM_REPLAY;
    return SG_IDEM_CONFLICT;
}
