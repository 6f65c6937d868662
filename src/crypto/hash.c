#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

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

bool hash_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void hash_cleanse(void *p, size_t n)
{
    OPENSSL_cleanse(p, n);
}
