/* test_keys.h: fresh keys and certificates as PEM text, for unit tests (OpenSSL). Each returns a string the caller frees. */
#ifndef SLIPWAY_TEST_KEYS_H
#define SLIPWAY_TEST_KEYS_H

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* What was written to bio, as a string; frees bio. */
static inline char *bio_text(BIO *bio)
{
    char *data, *out;
    long n = BIO_get_mem_data(bio, &data);
    out = malloc((size_t)n + 1); /* the BIO's data is not NUL-terminated */
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    BIO_free(bio);
    return out;
}

/* A private key: "EC" (P-256) or "RSA" (2048 bits). */
static inline char *pem_key(const char *kind)
{
    EVP_PKEY *key = strcmp(kind, "EC") == 0 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    EVP_PKEY_free(key);
    return bio_text(bio);
}

/* A self-signed certificate (CN "Acme Signing") and its key, valid from days_from to days_to (from now). */
static inline char *pem_certificate(long days_from, long days_to)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    BIO *bio = BIO_new(BIO_s_mem());

    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), days_from * 86400);
    X509_gmtime_adj(X509_getm_notAfter(cert), days_to * 86400);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC, (const unsigned char *)"Acme Signing", -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    PEM_write_bio_X509(bio, cert);
    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    X509_free(cert);
    EVP_PKEY_free(key);
    return bio_text(bio);
}

#endif
