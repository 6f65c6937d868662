#define _GNU_SOURCE /* timegm */
#include "crypto/pem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <pthread.h>
#include <time.h>

#include "core/encode.h"
#include "crypto/hash.h"
#include "core/xmalloc.h"

static EVP_PKEY *read_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    ERR_clear_error();
    return key;
}

/*
 * Keys that already passed a check, by SHA-256 of their text and the check.
 * OpenSSL 3's PEM decoder costs ~0.3 ms a key; a setup re-saved with the
 * same keys must not pay it every time. Only successes are remembered.
 */
#define PASSED_SLOTS 256
static pthread_mutex_t passed_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char passed[PASSED_SLOTS][SHA256_BYTES];
static unsigned passed_next;

static void passed_key(const char *pem, char kind, unsigned char out[SHA256_BYTES])
{
    size_t n = strlen(pem);
    unsigned char *buf = xmalloc(n + 1);
    buf[0] = (unsigned char)kind;
    memcpy(buf + 1, pem, n);
    hash_sha256(buf, n + 1, out);
    hash_cleanse(buf, n + 1);
    free(buf);
}

static bool passed_before(const unsigned char key[SHA256_BYTES])
{
    bool found = false;
    pthread_mutex_lock(&passed_lock);
    for (unsigned i = 0; i < PASSED_SLOTS && !found; i++)
        found = memcmp(passed[i], key, SHA256_BYTES) == 0;
    pthread_mutex_unlock(&passed_lock);
    return found;
}

static void remember_pass(const unsigned char key[SHA256_BYTES])
{
    pthread_mutex_lock(&passed_lock);
    memcpy(passed[passed_next++ % PASSED_SLOTS], key, SHA256_BYTES);
    pthread_mutex_unlock(&passed_lock);
}

static const char *check_ec_p256_uncached(const char *pem);
static const char *check_rsa_uncached(const char *pem);

static const char *check_cached(const char *pem, char kind, const char *(*check)(const char *))
{
    unsigned char key[SHA256_BYTES];
    const char *problem;

    passed_key(pem, kind, key);
    if (passed_before(key))
        return NULL;
    problem = check(pem);
    if (!problem)
        remember_pass(key);
    return problem;
}

const char *pem_check_ec_p256(const char *pem)
{
    return check_cached(pem, 'E', check_ec_p256_uncached);
}

const char *pem_check_rsa(const char *pem)
{
    return check_cached(pem, 'R', check_rsa_uncached);
}

static const char *check_ec_p256_uncached(const char *pem)
{
    EVP_PKEY *key = read_key(pem);
    char curve[64] = "";
    size_t len = 0;
    const char *problem = NULL;

    if (!key)
        return "must be a PEM private key (-----BEGIN PRIVATE KEY-----, the .p8 file App Store Connect gives)";
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
        problem = "must be an EC (P-256) private key, as App Store Connect issues";
    else if (!EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof curve, &len) || strcmp(curve, "prime256v1") != 0)
        problem = "must be an EC private key on the P-256 curve";
    EVP_PKEY_free(key);
    return problem;
}

static const char *check_rsa_uncached(const char *pem)
{
    EVP_PKEY *key = read_key(pem);
    const char *problem = NULL;

    if (!key)
        return "must be a PEM private key (-----BEGIN PRIVATE KEY-----, from the service account's JSON key)";
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
        problem = "must be an RSA private key, as Google service accounts use";
    else if (EVP_PKEY_get_bits(key) < 2048)
        problem = "must be an RSA key of at least 2048 bits";
    EVP_PKEY_free(key);
    return problem;
}

static void describe(X509 *cert, struct cert_info *out)
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    const ASN1_TIME *na = X509_get0_notAfter(cert), *nb = X509_get0_notBefore(cert);
    struct tm tm;
    BIO *bio = BIO_new(BIO_s_mem());

    memset(out, 0, sizeof *out);
    if (bio) {
        X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
        int n = BIO_read(bio, out->subject, sizeof out->subject - 1);
        out->subject[n > 0 ? n : 0] = '\0';
        BIO_free(bio);
    }
    if (X509_digest(cert, EVP_sha256(), md, &mdlen) && mdlen == sizeof md)
        hex_encode(md, sizeof md, out->fingerprint);
    if (na && ASN1_TIME_to_tm(na, &tm))
        out->not_after_ms = (int64_t)timegm(&tm) * 1000;
    if (nb && ASN1_TIME_to_tm(nb, &tm))
        out->not_before_ms = (int64_t)timegm(&tm) * 1000;
}

/*
 * When the file carries the issuing certificates, the leaf must verify
 * against them (any of them may be the anchor; expiry is judged
 * separately). A file with the leaf alone, as Apple's .p12 exports are, has
 * nothing to check.
 */
static bool chain_verifies(X509 *leaf, STACK_OF(X509) * chain)
{
    X509_STORE *store;
    X509_STORE_CTX *ctx;
    bool ok;

    if (!chain || sk_X509_num(chain) == 0)
        return true;
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    for (int i = 0; i < sk_X509_num(chain); i++)
        X509_STORE_add_cert(store, sk_X509_value(chain, i));
    X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
    ok = ctx && X509_STORE_CTX_init(ctx, store, leaf, chain) == 1 && X509_verify_cert(ctx) == 1;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

static enum err_code open_pkcs12(const char *data, const char *password, struct cert_info *out, struct err *err)
{
    size_t len = strlen(data);
    unsigned char *der = xmalloc(len);
    long n = b64_decode(data, len, der);
    const unsigned char *p = der;
    PKCS12 *p12 = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    enum err_code rc = ERR_OK;

    if (n >= 4 && der[0] == 0xfe && der[1] == 0xed && der[2] == 0xfe && der[3] == 0xed) {
        free(der);
        err_detail(err, "certificateData",
                   "is a Java KeyStore (JKS), which slipway does not read: convert it with keytool -importkeystore "
                   "-deststoretype PKCS12 and upload the .p12");
        return err_set(err, ERR_INVALID, "unsupported keystore");
    }
    if (n > 0)
        p12 = d2i_PKCS12(NULL, &p, n);
    free(der);
    if (!p12) {
        ERR_clear_error();
        err_detail(err, "certificateData", "must be a PKCS#12 (.p12) file, base64-encoded");
        return err_set(err, ERR_INVALID, "unreadable signing certificate");
    }
    if (!PKCS12_verify_mac(p12, password ? password : "", -1) && !(password == NULL && PKCS12_verify_mac(p12, NULL, 0))) {
        PKCS12_free(p12);
        ERR_clear_error();
        err_detail(err, "certificatePassword", "does not open this PKCS#12 file");
        return err_set(err, ERR_INVALID, "wrong certificate password");
    }
    if (!PKCS12_parse(p12, password ? password : "", &key, &cert, &chain) || !cert || !key) {
        PKCS12_free(p12);
        EVP_PKEY_free(key);
        X509_free(cert);
        sk_X509_pop_free(chain, X509_free);
        ERR_clear_error();
        err_detail(err, "certificateData", "must hold a certificate and its private key");
        return err_set(err, ERR_INVALID, "incomplete signing certificate");
    }
    if (!chain_verifies(cert, chain)) {
        err_detail(err, "certificateData",
                   "holds a certificate chain that does not verify: the certificates in the file do not issue each other");
        rc = err_set(err, ERR_INVALID, "broken certificate chain");
    } else {
        describe(cert, out);
    }
    PKCS12_free(p12);
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

static enum err_code open_pem(const char *data, struct cert_info *out, struct err *err)
{
    BIO *bio = BIO_new_mem_buf(data, -1);
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = read_key(data);
    enum err_code rc = ERR_OK;

    BIO_free(bio);
    ERR_clear_error();
    if (!cert || !key) {
        err_detail(err, "certificateData", "must be PEM text holding a certificate and its private key");
        rc = err_set(err, ERR_INVALID, "unreadable signing certificate");
    } else if (X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        err_detail(err, "certificateData", "holds a private key that does not match the certificate");
        rc = err_set(err, ERR_INVALID, "mismatched signing certificate");
    } else {
        describe(cert, out);
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}

enum err_code cert_inspect(enum cert_format format, const char *data, const char *password, struct cert_info *out, struct err *err)
{
    return format == CERT_PKCS12 ? open_pkcs12(data, password, out, err) : open_pem(data, out, err);
}
