/* Idempotency-Key rules (DESIGN.md): a retry with the same key and the same request
 * gets the first answer again; the same key with another request is a conflict. */
#ifndef SG_CORE_IDEMPOTENCY_H
#define SG_CORE_IDEMPOTENCY_H

#include <stdbool.h>
#include <stddef.h>

#define SG_IDEM_KEY_MAX         255 /* longest accepted Idempotency-Key */
#define SG_IDEM_FINGERPRINT_LEN 65  /* hex SHA-256 + NUL */

typedef enum sg_idem_decision {
    SG_IDEM_NEW = 0,  /* key never seen: process the request */
    SG_IDEM_REPLAY,   /* same key, same request: answer the stored response */
    SG_IDEM_CONFLICT, /* same key, another request: 409 */
} sg_idem_decision;

/* True if key is 1..SG_IDEM_KEY_MAX printable ASCII characters (0x21-0x7e). */
bool sg_idem_key_valid(const char *key);

/* Fingerprint of a request: SHA-256 over method, path and body, with separators
 * so that different splits never collide. Concretely: a version tag, then each
 * field as an 8-byte big-endian length and its bytes; out is lower-case hex. The
 * body is taken by len (it may hold NUL); NULL method or path reads as "", NULL
 * body as empty. Fingerprints are stored, so this encoding must not change
 * without a new tag. */
void sg_idem_fingerprint(const char *method, const char *path, const void *body, size_t len,
                         char out[SG_IDEM_FINGERPRINT_LEN]);

/* stored: the fingerprint saved with the key, or NULL when the key is new. A NULL
 * fingerprint against a stored one is a conflict. */
sg_idem_decision sg_idem_decide(const char *stored, const char *fingerprint);

#endif
