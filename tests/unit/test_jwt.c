/* Unit tests of JWT signing: tokens verify with the public key, ES256 signatures are raw R||S. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <openssl/bio.h>
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_es256),
        cmocka_unit_test(test_rs256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
