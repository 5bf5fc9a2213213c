/* Thin, safe wrappers around libsodium: secrets at rest, key hashing, digests,
 * random numbers. sg_crypto_init() must run once before any other function. */
#ifndef SG_UTIL_CRYPTO_H
#define SG_UTIL_CRYPTO_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SG_MASTER_KEY_LEN 32
#define SG_SHA256_HEX_LEN 65 /* 64 hex digits + NUL */

sg_err sg_crypto_init(void);

/* The master key that encrypts provider secrets. If env_value is non-empty it is
 * used: 64 hex digits or standard base64 of 32 bytes. Otherwise the key is read
 * from key_path; if that file does not exist it is created with mode 0600 and 32
 * random bytes (hex-encoded), atomically (O_EXCL). A key file readable by group or
 * others is refused. */
sg_err sg_master_key_load(const char *env_value, const char *key_path,
                          uint8_t key[SG_MASTER_KEY_LEN], sg_error *e);
/* The master key from key_path, which must exist (it is never created): 64 hex
 * digits or base64 of 32 bytes, not readable by group or others. */
sg_err sg_master_key_read(const char *key_path, uint8_t key[SG_MASTER_KEY_LEN], sg_error *e);
/* The key's check value: hex HMAC-SHA-256 under key of a fixed text. It tells
 * whether two keys are the same and does not reveal the key. */
void sg_master_key_check_value(const uint8_t key[SG_MASTER_KEY_LEN],
                               char out[SG_SHA256_HEX_LEN]);

/* Encrypt plaintext with XSalsa20-Poly1305 under key; *out is a malloc'd
 * NUL-terminated base64 string of nonce || ciphertext. Caller frees. */
sg_err sg_secret_seal(const uint8_t key[SG_MASTER_KEY_LEN], const char *plaintext, size_t len,
                      char **out);
/* Reverse of sg_secret_seal. *out is malloc'd and NUL-terminated; caller frees
 * with sg_secret_free (which wipes it). SG_ERR_CRYPTO if the key is wrong or the
 * data was tampered with. */
sg_err sg_secret_open(const uint8_t key[SG_MASTER_KEY_LEN], const char *sealed, char **out);
void sg_secret_free(char *s);

/* "••••abcd": the last four characters of a secret behind four bullets; secrets of
 * fewer than 8 characters show no characters at all. out must hold 32 bytes. */
void sg_secret_mask(const char *secret, char out[32]);

/* Hex SHA-256 of data into out (SG_SHA256_HEX_LEN bytes). */
void sg_sha256_hex(const void *data, size_t len, char out[SG_SHA256_HEX_LEN]);

/* Constant-time equality of two equal-length byte strings. */
bool sg_ct_equal(const void *a, const void *b, size_t len);

/* Uniform random 32-bit value. */
uint32_t sg_random_u32(void);
/* n random bytes as 2n lower-case hex digits plus NUL into out. */
void sg_random_hex(char *out, size_t n);

#endif
