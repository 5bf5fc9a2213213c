#include "util/password.h"
#include "util/crypto.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

_Static_assert(SG_PASSWORD_HASH_MAX == crypto_pwhash_STRBYTES, "hash string size");

sg_err sg_password_check(const char *pw, size_t len, sg_error *e)
{
    if (len < SG_PASSWORD_MIN || len > SG_PASSWORD_MAX)
        return sg_error_set(e, SG_ERR_INVALID, "password",
                            "the password must be %d to %d bytes long", SG_PASSWORD_MIN,
                            SG_PASSWORD_MAX);
    if (memchr(pw, '\0', len))
        return sg_error_set(e, SG_ERR_INVALID, "password",
                            "the password must not hold a NUL character");
    return SG_OK;
}

sg_err sg_password_hash(const char *pw, size_t len, char out[SG_PASSWORD_HASH_MAX])
{
    if (crypto_pwhash_str(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return SG_ERR_NOMEM;
    return SG_OK;
}

static char dummy_hash[SG_PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
    char random[33];
    sg_random_hex(random, 16);
    if (sg_password_hash(random, strlen(random), dummy_hash) != SG_OK)
        dummy_hash[0] = '\0';
    sodium_memzero(random, sizeof random);
}

bool sg_password_verify(const char *hash, const char *pw, size_t len)
{
    if (hash && *hash)
        return crypto_pwhash_str_verify(hash, pw, len) == 0;
    pthread_once(&dummy_once, dummy_make);
    /* the same work as a real check; its answer is thrown away */
    volatile int sink = dummy_hash[0] ? crypto_pwhash_str_verify(dummy_hash, pw, len) : -1;
    (void)sink;
    return false;
}
