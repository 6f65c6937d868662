/* Unit tests of JWT signing (tokens verify with the public key, ES256 signatures are raw R||S) and of ID token verification against
 * a JWK Set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "core/encode.h"
#include "crypto/jwt.h"

static char *pem_of(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out;
    long n;
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1); /* the BIO's data is not NUL-terminated */
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

static json_t *decode_part(const char *s, size_t len)
{
    unsigned char buf[4096];
    long n = b64url_decode(s, len, buf);
    assert_true(n > 0);
    return json_loadb((const char *)buf, (size_t)n, 0, NULL);
}

/* Checks the token's header and signature with key; returns its claims (caller owns). */
static json_t *verify(const char *token, EVP_PKEY *key, const char *alg, const char *kid)
{
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    unsigned char sig[512], der[128], *p = der;
    long siglen;
    json_t *header, *claims;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int der_len;

    assert_non_null(dot2);
    header = decode_part(token, (size_t)(dot1 - token));
    assert_string_equal(json_string_value(json_object_get(header, "alg")), alg);
    assert_string_equal(json_string_value(json_object_get(header, "typ")), "JWT");
    if (kid)
        assert_string_equal(json_string_value(json_object_get(header, "kid")), kid);
    json_decref(header);
    claims = decode_part(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
    if (strcmp(alg, "ES256") == 0) {
        ECDSA_SIG *s = ECDSA_SIG_new();
        assert_int_equal(siglen, 64); /* raw R||S, not DER */
        ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        der_len = i2d_ECDSA_SIG(s, &p);
        ECDSA_SIG_free(s);
        memcpy(sig, der, (size_t)der_len);
        siglen = der_len;
    }
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, (size_t)siglen, (const unsigned char *)token, (size_t)(dot2 - token)), 1);
    EVP_MD_CTX_free(md);
    return claims;
}

static void test_es256(void **state)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    char *pem = pem_of(key), *token = NULL;
    json_t *claims = json_pack("{s:s, s:i, s:i, s:s}", "iss", "57246542-96fe-1a63-e053-0824d011072a", "iat", 1795321516, "exp",
                               1795322716, "aud", "appstoreconnect-v1");
    struct err err;
    (void)state;

    err_clear(&err);
    for (int i = 0; i < 20; i++) { /* many signatures: R and S with leading zero bytes must still be 32 bytes each */
        assert_int_equal(jwt_sign(JWT_ES256, pem, "ABCDE12345", claims, &token, &err), ERR_OK);
        json_t *got = verify(token, key, "ES256", "ABCDE12345");
        assert_true(json_equal(got, claims));
        json_decref(got);
        free(token);
    }
    /* An RSA key cannot make an ES256 token. */
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *rsa_pem = pem_of(rsa);
    assert_int_equal(jwt_sign(JWT_ES256, rsa_pem, NULL, claims, &token, &err), ERR_INVALID);
    assert_null(token);
    assert_int_equal(jwt_sign(JWT_RS256, "garbage", NULL, claims, &token, &err), ERR_INVALID);
    free(rsa_pem);
    EVP_PKEY_free(rsa);
    json_decref(claims);
    free(pem);
    EVP_PKEY_free(key);
}

static void test_rs256(void **state)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *pem = pem_of(key), *token = NULL;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:i, s:i}", "iss", "sa@project.iam.gserviceaccount.com", "scope",
                               "https://www.googleapis.com/auth/androidpublisher", "aud", "https://oauth2.googleapis.com/token",
                               "iat", 1795321516, "exp", 1795325116);
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(jwt_sign(JWT_RS256, pem, NULL, claims, &token, &err), ERR_OK);
    json_t *got = verify(token, key, "RS256", NULL);
    assert_true(json_equal(got, claims));
    json_decref(got);
    free(token);
    json_decref(claims);
    free(pem);
    EVP_PKEY_free(key);
}

/* A base64url JWK member of n bytes. */
static json_t *b64_member(const unsigned char *p, size_t n)
{
    char out[1024];
    b64url_encode(p, n, out);
    return json_string(out);
}

/* The public JWK of key (RSA or P-256) with kid. Caller owns. */
static json_t *jwk_of(EVP_PKEY *key, const char *kid)
{
    json_t *jwk = json_pack("{s:s}", "kid", kid);
    unsigned char buf[512];
    if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
        BIGNUM *n = NULL, *e = NULL;
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n);
        EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e);
        json_object_set_new(jwk, "kty", json_string("RSA"));
        json_object_set_new(jwk, "n", b64_member(buf, (size_t)BN_bn2bin(n, buf)));
        json_object_set_new(jwk, "e", b64_member(buf, (size_t)BN_bn2bin(e, buf)));
        BN_free(n);
        BN_free(e);
    } else {
        size_t len = 0;
        EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len);
        assert_int_equal(len, 65);
        json_object_set_new(jwk, "kty", json_string("EC"));
        json_object_set_new(jwk, "crv", json_string("P-256"));
        json_object_set_new(jwk, "x", b64_member(buf + 1, 32));
        json_object_set_new(jwk, "y", b64_member(buf + 33, 32));
    }
    return jwk;
}

/* A token with this header and payload and a junk signature. Caller frees. */
static char *forged(const char *header, const char *payload)
{
    char h[512], p[512], *out = malloc(1200);
    b64url_encode(header, strlen(header), h);
    b64url_encode(payload, strlen(payload), p);
    snprintf(out, 1200, "%s.%s.c2ln", h, p);
    return out;
}

static void test_verify(void **state)
{
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    char *rsa_pem = pem_of(rsa), *ec_pem = pem_of(ec), *other_pem = pem_of(other), *token = NULL;
    json_t *jwks = json_pack("{s:[o, o]}", "keys", jwk_of(rsa, "r1"), jwk_of(ec, "e1"));
    json_t *claims = json_pack("{s:s, s:s}", "iss", "https://idp.example", "sub", "alice"), *got = NULL;
    struct err err;
    (void)state;

    err_clear(&err);
    /* RS256 and ES256, each found by its kid. */
    assert_int_equal(jwt_sign(JWT_RS256, rsa_pem, "r1", claims, &token, &err), ERR_OK);
    assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_OK);
    assert_true(json_equal(got, claims));
    json_decref(got);
    /* A changed payload (one character of the signature's input) does not verify. */
    token[strchr(token, '.') - token + 2] ^= 1;
    assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_INVALID);
    assert_null(got);
    free(token);
    err_clear(&err);
    assert_int_equal(jwt_sign(JWT_ES256, ec_pem, "e1", claims, &token, &err), ERR_OK);
    assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_OK);
    json_decref(got);
    free(token);
    /* Another key under a known kid: a bad signature. Under an unknown kid: ERR_NOT_FOUND (fetch the set again). */
    assert_int_equal(jwt_sign(JWT_RS256, other_pem, "r1", claims, &token, &err), ERR_OK);
    assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_INVALID);
    free(token);
    err_clear(&err);
    assert_int_equal(jwt_sign(JWT_RS256, other_pem, "r2", claims, &token, &err), ERR_OK);
    assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_NOT_FOUND);
    free(token);
    err_clear(&err);
    /* alg none and HMAC are refused whatever the signature; so is what is not a JWT. */
    const char *refused[] = {"{\"alg\":\"none\"}", "{\"alg\":\"HS256\",\"kid\":\"r1\"}", "{\"alg\":\"RS512\",\"kid\":\"r1\"}",
                             NULL};
    for (int i = 0; refused[i]; i++) {
        token = forged(refused[i], "{\"sub\":\"alice\"}");
        assert_int_equal(jwt_verify(token, jwks, &got, &err), ERR_INVALID);
        free(token);
        err_clear(&err);
    }
    assert_int_equal(jwt_verify("a.b", jwks, &got, &err), ERR_INVALID);
    err_clear(&err);
    assert_int_equal(jwt_verify("a.b.c.d", jwks, &got, &err), ERR_INVALID);
    json_decref(jwks);
    json_decref(claims);
    free(rsa_pem);
    free(ec_pem);
    free(other_pem);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_rs256),
        cmocka_unit_test(test_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
