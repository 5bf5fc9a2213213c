#include "util/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

sg_err sg_crypto_init(void)
{
    return sodium_init() < 0 ? SG_ERR_CRYPTO : SG_OK;
}

static bool decode_key(const char *text, uint8_t key[SG_MASTER_KEY_LEN])
{
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    size_t got = 0;
    if (len == 2 * SG_MASTER_KEY_LEN &&
        sodium_hex2bin(key, SG_MASTER_KEY_LEN, text, len, NULL, &got, NULL) == 0 &&
        got == SG_MASTER_KEY_LEN)
        return true;
    if (sodium_base642bin(key, SG_MASTER_KEY_LEN, text, len, NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        got == SG_MASTER_KEY_LEN)
        return true;
    return false;
}

/* Read the key from the open fd (closed here) of the file at key_path. */
static sg_err read_key_fd(int fd, const char *key_path, uint8_t key[SG_MASTER_KEY_LEN],
                          sg_error *e)
{
    char text[256];
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        close(fd);
        return sg_error_set(e, SG_ERR_CRYPTO, NULL,
                            "key file %s must not be readable by group or others (chmod 600)",
                            key_path);
    }
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot read key file %s", key_path);
    text[n] = '\0';
    bool ok = decode_key(text, key);
    sodium_memzero(text, sizeof text);
    if (!ok)
        return sg_error_set(e, SG_ERR_CRYPTO, NULL, "key file %s does not hold a 32-byte key",
                            key_path);
    return SG_OK;
}

sg_err sg_master_key_load(const char *env_value, const char *key_path,
                          uint8_t key[SG_MASTER_KEY_LEN], sg_error *e)
{
    if (env_value && *env_value) {
        if (!decode_key(env_value, key))
            return sg_error_set(e, SG_ERR_CRYPTO, "SMSGATE_MASTER_KEY",
                                "SMSGATE_MASTER_KEY must be 64 hex digits or base64 of 32 bytes");
        return SG_OK;
    }
    int fd = open(key_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        uint8_t fresh[SG_MASTER_KEY_LEN];
        randombytes_buf(fresh, sizeof fresh);
        char hex[2 * SG_MASTER_KEY_LEN + 2];
        sodium_bin2hex(hex, sizeof hex, fresh, sizeof fresh);
        size_t hl = strlen(hex);
        hex[hl++] = '\n';
        int wfd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (wfd >= 0) {
            ssize_t w = write(wfd, hex, hl);
            int sync_rc = fsync(wfd);
            close(wfd);
            sodium_memzero(hex, sizeof hex);
            if (w != (ssize_t)hl || sync_rc != 0) {
                unlink(key_path);
                return sg_error_set(e, SG_ERR_IO, NULL, "cannot write key file %s", key_path);
            }
        } else if (errno != EEXIST) {
            return sg_error_set(e, SG_ERR_IO, NULL, "cannot create key file %s: %s", key_path,
                                strerror(errno));
        }
        fd = open(key_path, O_RDONLY | O_CLOEXEC);
    }
    if (fd < 0)
        return sg_error_set(e, SG_ERR_IO, NULL, "cannot open key file %s: %s", key_path,
                            strerror(errno));
    return read_key_fd(fd, key_path, key, e);
}

sg_err sg_master_key_read(const char *key_path, uint8_t key[SG_MASTER_KEY_LEN], sg_error *e)
{
    int fd = open(key_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sg_error_set(e, SG_ERR_IO, "master-key-file", "cannot open key file %s: %s",
                            key_path, strerror(errno));
    return read_key_fd(fd, key_path, key, e);
}

void sg_master_key_check_value(const uint8_t key[SG_MASTER_KEY_LEN], char out[SG_SHA256_HEX_LEN])
{
    static const char text[] = "smsgate master key check v1";
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, SG_MASTER_KEY_LEN);
    crypto_auth_hmacsha256_update(&st, (const uint8_t *)text, sizeof text - 1);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, SG_SHA256_HEX_LEN, mac, sizeof mac);
    sodium_memzero(&st, sizeof st);
}

sg_err sg_secret_seal(const uint8_t key[SG_MASTER_KEY_LEN], const char *plaintext, size_t len,
                      char **out)
{
    size_t raw_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    unsigned char *raw = malloc(raw_len);
    if (!raw)
        return SG_ERR_NOMEM;
    randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)plaintext, len,
                          raw, key);
    size_t b64_len = sodium_base64_ENCODED_LEN(raw_len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = malloc(b64_len);
    if (!b64) {
        free(raw);
        return SG_ERR_NOMEM;
    }
    sodium_bin2base64(b64, b64_len, raw, raw_len, sodium_base64_VARIANT_ORIGINAL);
    free(raw);
    *out = b64;
    return SG_OK;
}

sg_err sg_secret_open(const uint8_t key[SG_MASTER_KEY_LEN], const char *sealed, char **out)
{
    size_t slen = strlen(sealed);
    size_t cap = slen / 4 * 3 + 3;
    unsigned char *raw = malloc(cap);
    if (!raw)
        return SG_ERR_NOMEM;
    size_t raw_len = 0;
    if (sodium_base642bin(raw, cap, sealed, slen, NULL, &raw_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        raw_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
        free(raw);
        return SG_ERR_CRYPTO;
    }
    size_t plain_len = raw_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *plain = malloc(plain_len + 1);
    if (!plain) {
        free(raw);
        return SG_ERR_NOMEM;
    }
    if (crypto_secretbox_open_easy((unsigned char *)plain, raw + crypto_secretbox_NONCEBYTES,
                                   raw_len - crypto_secretbox_NONCEBYTES, raw, key) != 0) {
        free(raw);
        free(plain);
        return SG_ERR_CRYPTO;
    }
    free(raw);
    plain[plain_len] = '\0';
    *out = plain;
    return SG_OK;
}

void sg_secret_free(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        free(s);
    }
}

void sg_secret_mask(const char *secret, char out[32])
{
    size_t len = secret ? strlen(secret) : 0;
    if (len < 8)
        snprintf(out, 32, "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2");
    else
        snprintf(out, 32, "\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%s", secret + len - 4);
}

void sg_sha256_hex(const void *data, size_t len, char out[SG_SHA256_HEX_LEN])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(digest, data, len);
    sodium_bin2hex(out, SG_SHA256_HEX_LEN, digest, sizeof digest);
}

bool sg_ct_equal(const void *a, const void *b, size_t len)
{
    return sodium_memcmp(a, b, len) == 0;
}

uint32_t sg_random_u32(void)
{
    return randombytes_random();
}

void sg_random_hex(char *out, size_t n)
{
    unsigned char raw[64];
    if (n > sizeof raw)
        n = sizeof raw;
    randombytes_buf(raw, n);
    sodium_bin2hex(out, 2 * n + 1, raw, n);
}
