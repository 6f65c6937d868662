/*
 * pem.h: checks of the key and certificate material integrations hold,
 * done in C with OpenSSL: an App Store Connect key must be a P-256 EC
 * private key, a Google service account key an RSA one, a signing
 * certificate must open with its password and says when it expires.
 */
#ifndef SLIPWAY_PEM_H
#define SLIPWAY_PEM_H

#include "core/common.h"
#include "core/err.h"

/* NULL when pem holds a P-256 EC private key, else what is wrong (a static message). */
const char *pem_check_ec_p256(const char *pem);
/* NULL when pem holds an RSA private key of at least 2048 bits, else what is wrong. */
const char *pem_check_rsa(const char *pem);

struct cert_info {
    char subject[256];
    char fingerprint[65]; /* SHA-256 of the DER certificate, hex */
    int64_t not_before_ms, not_after_ms;
};

enum cert_format { CERT_PKCS12, CERT_PEM };

/*
 * Opens signing material: PKCS#12 (data is base64 of the file, password
 * may be NULL) or PEM text with a certificate and its private key.
 * ERR_INVALID with a detail on "certificateData" or "certificatePassword".
 */
enum err_code cert_inspect(enum cert_format format, const char *data, const char *password, struct cert_info *out, struct err *err);

#endif
