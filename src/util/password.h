/* Passwords of console users: argon2id through libsodium's crypto_pwhash_str
 * with the INTERACTIVE limits (2 passes, 64 MiB), docs/users.md. Hashing and
 * verifying take tens of milliseconds and 64 MiB each on purpose: the server
 * runs them on its password workers (api/pwpool.h), never on an HTTP thread. */
#ifndef SG_UTIL_PASSWORD_H
#define SG_UTIL_PASSWORD_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>

#define SG_PASSWORD_MIN      12   /* bytes */
#define SG_PASSWORD_MAX      1024 /* bytes */
#define SG_PASSWORD_HASH_MAX 128  /* crypto_pwhash_STRBYTES */

/* SG_OK if pw (len bytes) is acceptable as a new password: SG_PASSWORD_MIN to
 * SG_PASSWORD_MAX bytes, no NUL byte. Otherwise SG_ERR_INVALID with field
 * "password" and a message that never repeats the password. */
sg_err sg_password_check(const char *pw, size_t len, sg_error *e);
/* Hash pw into out. SG_ERR_NOMEM when the 64 MiB cannot be had. */
sg_err sg_password_hash(const char *pw, size_t len, char out[SG_PASSWORD_HASH_MAX]);
/* True if pw matches hash. With hash NULL or "" (no such user) pw is checked
 * against a hash made once of a random password, so that an unknown email
 * costs the same time as a wrong password; it never matches. */
bool sg_password_verify(const char *hash, const char *pw, size_t len);

#endif
