#include "crypto/hash.h"

#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/encode.h"

void hash_sha256(const void *p, size_t n, unsigned char out[SHA256_BYTES])
{
    unsigned int len = SHA256_BYTES;
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1)
        abort(); /* only fails when OpenSSL itself is broken */
}

void hash_sha256_hex(const void *p, size_t n, char out[SHA256_HEX_SIZE])
{
    unsigned char d[SHA256_BYTES];
    hash_sha256(p, n, d);
    hex_encode(d, sizeof d, out);
}

void hash_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t n, unsigned char out[SHA256_BYTES])
{
    unsigned int len = SHA256_BYTES;
    if (keylen > INT_MAX || !HMAC(EVP_sha256(), key, (int)keylen, msg, n, out, &len))
        abort(); /* keys are a few dozen bytes; HMAC only fails when OpenSSL itself is broken */
}

bool hash_hmac_sha256_hex_matches(const void *key, size_t keylen, const void *msg, size_t n, const char *hex, size_t hexlen)
{
    unsigned char d[SHA256_BYTES];
    unsigned int len = sizeof d;
    char want[SHA256_HEX_SIZE];
    bool ok;

    if (hexlen != SHA256_HEX_SIZE - 1 || keylen > INT_MAX)
        return false;
    if (!HMAC(EVP_sha256(), key, (int)keylen, msg, n, d, &len))
        abort(); /* only fails when OpenSSL itself is broken */
    hex_encode(d, sizeof d, want);
    ok = CRYPTO_memcmp(want, hex, hexlen) == 0;
    hash_cleanse(want, sizeof want);
    hash_cleanse(d, sizeof d);
    return ok;
}

bool hash_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void hash_cleanse(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
