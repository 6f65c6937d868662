#include "crypto/hash.h"

#include <limits.h>
#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "core/encode.h"
#include "core/xmalloc.h"

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

/* OpenSSL 3's one-shot HMAC() fetches the algorithm and the digest at every call: a key fetches them once. */
struct hmac_key {
    EVP_MAC_CTX *ctx; /* initialised with the key: each message goes to a copy */
};

static EVP_MAC *hmac_alg;
static pthread_once_t hmac_fetched = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
    if (!(hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL)))
        abort(); /* only fails when OpenSSL itself is broken */
}

static struct hmac_key *hmac_key_of(EVP_MAC_CTX *ctx)
{
    struct hmac_key *k;

    if (!ctx)
        abort(); /* out of memory, or OpenSSL broken */
    k = xcalloc(1, sizeof *k);
    k->ctx = ctx;
    return k;
}

struct hmac_key *hmac_key_new(const void *key, size_t keylen)
{
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx;

    pthread_once(&hmac_fetched, hmac_fetch);
    if (!(ctx = EVP_MAC_CTX_new(hmac_alg)) || !EVP_MAC_init(ctx, key, keylen, params))
        abort(); /* only fails when OpenSSL itself is broken */
    return hmac_key_of(ctx);
}

struct hmac_key *hmac_key_copy(const struct hmac_key *k)
{
    return hmac_key_of(EVP_MAC_CTX_dup(k->ctx));
}

void hmac_key_free(struct hmac_key *k)
{
    if (!k)
        return;
    EVP_MAC_CTX_free(k->ctx);
    free(k);
}

bool hmac_key_hex_matches(const struct hmac_key *k, const void *msg, size_t n, const char *hex, size_t hexlen)
{
    unsigned char d[SHA256_BYTES];
    char want[SHA256_HEX_SIZE];
    size_t len = 0;
    EVP_MAC_CTX *c;
    bool ok;

    if (hexlen != SHA256_HEX_SIZE - 1)
        return false;
    if (!(c = EVP_MAC_CTX_dup(k->ctx)) || !EVP_MAC_update(c, msg, n) || !EVP_MAC_final(c, d, &len, sizeof d) || len != sizeof d)
        abort(); /* only fails when OpenSSL itself is broken */
    EVP_MAC_CTX_free(c);
    hex_encode(d, sizeof d, want);
    ok = CRYPTO_memcmp(want, hex, hexlen) == 0;
    hash_cleanse(want, sizeof want);
    hash_cleanse(d, sizeof d);
    return ok;
}

bool hash_hmac_sha256_hex_matches(const void *key, size_t keylen, const void *msg, size_t n, const char *hex, size_t hexlen)
{
    struct hmac_key *k;
    bool ok;

    if (hexlen != SHA256_HEX_SIZE - 1)
        return false;
    k = hmac_key_new(key, keylen);
    ok = hmac_key_hex_matches(k, msg, n, hex, hexlen);
    hmac_key_free(k);
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
