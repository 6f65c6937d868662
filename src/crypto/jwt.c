#include "crypto/jwt.h"

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
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

/* A base64url segment, decoded into a malloc'd buffer (NUL-terminated), or NULL. */
static unsigned char *b64_segment(const char *s, size_t len, size_t *out_len)
{
    unsigned char *out = xmalloc(len + 1);
    long n = b64url_decode(s, len, out);

    if (n < 0) {
        free(out);
        return NULL;
    }
    out[n] = '\0';
    *out_len = (size_t)n;
    return out;
}

/* A JWK member decoded from base64url into a malloc'd buffer, or NULL. */
static unsigned char *jwk_bytes(const json_t *jwk, const char *name, size_t *len)
{
    const char *v = json_string_value(json_object_get(jwk, name));
    return v ? b64_segment(v, strlen(v), len) : NULL;
}

/* The public key of an RSA or P-256 JWK, or NULL. */
static EVP_PKEY *jwk_key(const json_t *jwk, enum jwt_alg alg)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    BIGNUM *n = NULL, *e = NULL;
    unsigned char *a = NULL, *b = NULL, point[65];
    size_t alen = 0, blen = 0;

    if (!bld)
        return NULL;
    if (alg == JWT_RS256) {
        a = jwk_bytes(jwk, "n", &alen);
        b = jwk_bytes(jwk, "e", &blen);
        if (!a || !b || alen < 256 || !(n = BN_bin2bn(a, (int)alen, NULL)) || !(e = BN_bin2bn(b, (int)blen, NULL)) ||
            !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
            goto out;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    } else {
        const char *crv = json_string_value(json_object_get(jwk, "crv"));
        a = jwk_bytes(jwk, "x", &alen);
        b = jwk_bytes(jwk, "y", &blen);
        if (!crv || strcmp(crv, "P-256") != 0 || !a || !b || alen != 32 || blen != 32)
            goto out;
        point[0] = 0x04; /* uncompressed */
        memcpy(point + 1, a, 32);
        memcpy(point + 33, b, 32);
        if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
            !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point))
            goto out;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    }
    if (!(params = OSSL_PARAM_BLD_to_param(bld)) || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(n);
    BN_free(e);
    free(a);
    free(b);
    return key;
}

/* The set's key for alg and kid (kid NULL: the only key of alg's type), as a JWK (borrowed), or NULL; *many when kid is NULL and
 * several keys fit. */
static const json_t *jwks_find(const json_t *jwks, enum jwt_alg alg, const char *kid, bool *many)
{
    const json_t *keys = json_object_get(jwks, "keys"), *found = NULL, *k;
    size_t i;

    *many = false;
    json_array_foreach(keys, i, k)
    {
        const char *kty = json_string_value(json_object_get(k, "kty")), *use = json_string_value(json_object_get(k, "use"));
        const char *kkid = json_string_value(json_object_get(k, "kid"));
        if (!kty || strcmp(kty, alg == JWT_RS256 ? "RSA" : "EC") != 0 || (use && strcmp(use, "sig") != 0))
            continue;
        if (kid ? kkid && strcmp(kid, kkid) == 0 : true) {
            if (found)
                *many = true;
            else
                found = k;
        }
    }
    return found;
}

/* Verifies sig over input with key: for ES256 the JWS's raw R||S becomes the DER OpenSSL verifies. */
static bool signature_ok(EVP_PKEY *key, enum jwt_alg alg, const char *input, size_t inlen, const unsigned char *sig, size_t siglen)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *der = NULL;
    int derlen = 0;
    bool ok = false;

    if (alg == JWT_ES256) {
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = siglen == 64 ? BN_bin2bn(sig, 32, NULL) : NULL, *s = siglen == 64 ? BN_bin2bn(sig + 32, 32, NULL) : NULL;
        if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
            r = s = NULL; /* es owns them */
            derlen = i2d_ECDSA_SIG(es, &der);
        }
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        if (derlen <= 0)
            goto out;
        sig = der;
        siglen = (size_t)derlen;
    }
    ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
         EVP_DigestVerify(md, sig, siglen, (const unsigned char *)input, inlen) == 1;
out:
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    return ok;
}

enum err_code jwt_verify(const char *token, const json_t *jwks, json_t **claims, struct err *err)
{
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char *hbytes = NULL, *pbytes = NULL, *sig = NULL;
    size_t hlen, plen, siglen;
    json_t *header = NULL, *payload = NULL;
    const json_t *jwk;
    const char *alg_name, *kid;
    enum jwt_alg alg;
    EVP_PKEY *key = NULL;
    bool many;

    *claims = NULL;
    if (!dot2 || strchr(dot2 + 1, '.') || !(hbytes = b64_segment(token, (size_t)(dot1 - token), &hlen)) ||
        !(pbytes = b64_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1), &plen)) ||
        !(sig = b64_segment(dot2 + 1, strlen(dot2 + 1), &siglen)) || !(header = json_loadb((char *)hbytes, hlen, 0, NULL)) ||
        !(payload = json_loadb((char *)pbytes, plen, 0, NULL)) || !json_is_object(header) || !json_is_object(payload)) {
        err_set(err, ERR_INVALID, "the token is not a signed JWT");
        goto out;
    }
    alg_name = json_string_value(json_object_get(header, "alg"));
    if (alg_name && strcmp(alg_name, "RS256") == 0) {
        alg = JWT_RS256;
    } else if (alg_name && strcmp(alg_name, "ES256") == 0) {
        alg = JWT_ES256;
    } else {
        err_set(err, ERR_INVALID, "the token's algorithm is not RS256 or ES256");
        goto out;
    }
    kid = json_string_value(json_object_get(header, "kid"));
    jwk = jwks_find(jwks, alg, kid, &many);
    if (!jwk || many) {
        err_set(err, kid && !jwk ? ERR_NOT_FOUND : ERR_INVALID, "no key of the provider's key set fits the token");
        goto out;
    }
    if (!(key = jwk_key(jwk, alg))) {
        err_set(err, ERR_INVALID, "the provider's key for the token is not a usable %s key", alg_name);
        goto out;
    }
    if (!signature_ok(key, alg, token, (size_t)(dot2 - token), sig, siglen)) {
        err_set(err, ERR_INVALID, "the token's signature does not verify");
        goto out;
    }
    *claims = payload;
    payload = NULL;
out:
    ERR_clear_error();
    EVP_PKEY_free(key);
    json_decref(header);
    json_decref(payload);
    free(hbytes);
    free(pbytes);
    free(sig);
    return err->code;
}
