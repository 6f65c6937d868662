#include "crypto/jwt.h"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/encode.h"
#include "core/xmalloc.h"

/* base64url of a JSON value, into a malloc'd string. */
static char *b64_json(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    char *out;
    if (!text)
        return NULL;
    out = xmalloc(B64URL_LEN(strlen(text)) + 1);
    b64url_encode(text, strlen(text), out);
    free(text);
    return out;
}

/* DER ECDSA-Sig-Value to the 64-byte R||S that JWS uses. */
static int der_to_raw(const unsigned char *der, size_t len, unsigned char raw[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r, *s;
    int ok;

    if (!sig)
        return -1;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

enum err_code jwt_sign(enum jwt_alg alg, const char *pem_key, const char *kid, json_t *claims, char **out, struct err *err)
{
    BIO *bio = BIO_new_mem_buf(pem_key, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    EVP_MD_CTX *md = NULL;
    json_t *header = json_pack("{s:s, s:s}", "alg", alg == JWT_ES256 ? "ES256" : "RS256", "typ", "JWT");
    char *h = NULL, *p = NULL, *input = NULL;
    unsigned char *sig = NULL, raw[64];
    size_t siglen = 0, inlen;
    enum err_code rc = ERR_OK;

    *out = NULL;
    BIO_free(bio);
    if (!key || EVP_PKEY_get_base_id(key) != (alg == JWT_ES256 ? EVP_PKEY_EC : EVP_PKEY_RSA)) {
        rc = err_set(err, ERR_INVALID, "the private key cannot sign %s", alg == JWT_ES256 ? "ES256" : "RS256");
        goto out;
    }
    if (kid)
        json_object_set_new(header, "kid", json_string(kid));
    h = b64_json(header);
    p = b64_json(claims);
    if (!h || !p) {
        rc = err_set(err, ERR_INTERNAL, "cannot encode the token");
        goto out;
    }
    inlen = strlen(h) + 1 + strlen(p);
    input = xmalloc(inlen + 1);
    snprintf(input, inlen + 1, "%s.%s", h, p);
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (unsigned char *)input, inlen) != 1) {
        rc = err_set(err, ERR_INTERNAL, "signing failed");
        goto out;
    }
    sig = xmalloc(siglen);
    if (EVP_DigestSign(md, sig, &siglen, (unsigned char *)input, inlen) != 1) {
        rc = err_set(err, ERR_INTERNAL, "signing failed");
        goto out;
    }
    if (alg == JWT_ES256) {
        if (der_to_raw(sig, siglen, raw)) {
            rc = err_set(err, ERR_INTERNAL, "signing failed");
            goto out;
        }
        memcpy(sig, raw, 64);
        siglen = 64;
    }
    *out = xmalloc(inlen + 1 + B64URL_LEN(siglen) + 1);
    memcpy(*out, input, inlen);
    (*out)[inlen] = '.';
    b64url_encode(sig, siglen, *out + inlen + 1);
out:
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    json_decref(header);
    free(h);
    free(p);
    free(input);
    free(sig);
    return rc;
}
