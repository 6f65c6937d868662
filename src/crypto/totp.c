#include "crypto/totp.h"

#include <assert.h>
#include <limits.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto/hash.h"

#define SHA1_BYTES 20

uint32_t totp_hotp(const void *key, size_t keylen, uint64_t counter, int digits)
{
    static const uint32_t modulus[] = {1000000, 10000000, 100000000};
    unsigned char msg[8], mac[SHA1_BYTES];
    unsigned int len = sizeof mac;
    uint32_t binary;
    int offset;

    assert(digits >= 6 && digits <= 8);
    for (int i = 7; i >= 0; i--, counter >>= 8)
        msg[i] = (unsigned char)(counter & 0xff);
    if (keylen > INT_MAX || !HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof msg, mac, &len))
        abort();                         /* keys are 20 bytes; HMAC only fails when OpenSSL itself is broken */
    offset = mac[SHA1_BYTES - 1] & 0x0f; /* RFC 4226, 5.3: dynamic truncation */
    binary = ((uint32_t)(mac[offset] & 0x7f) << 24) | ((uint32_t)mac[offset + 1] << 16) | ((uint32_t)mac[offset + 2] << 8) |
             (uint32_t)mac[offset + 3];
    hash_cleanse(mac, sizeof mac);
    return binary % modulus[digits - 6];
}

int64_t totp_check(const void *key, size_t keylen, const char *code, int64_t now_s, int64_t last_step)
{
    int64_t step = now_s / TOTP_STEP_SECONDS, found = -1;
    char want[TOTP_DIGITS + 1];

    if (!code || strlen(code) != TOTP_DIGITS || strspn(code, "0123456789") != TOTP_DIGITS)
        return -1;
    for (int64_t s = step - TOTP_SKEW_STEPS; s <= step + TOTP_SKEW_STEPS; s++) {
        snprintf(want, sizeof want, "%0*u", TOTP_DIGITS, (unsigned)totp_hotp(key, keylen, (uint64_t)s, TOTP_DIGITS));
        if (hash_equal(want, code, TOTP_DIGITS) && s > last_step && found < 0)
            found = s;
    }
    hash_cleanse(want, sizeof want);
    return found;
}

void totp_base32(const unsigned char *p, size_t n, char out[TOTP_SECRET_B32_SIZE])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint32_t buffer = 0;
    int bits = 0;
    size_t o = 0;

    assert(n <= TOTP_SECRET_BYTES);
    for (size_t i = 0; i < n; i++) {
        buffer = (buffer << 8) | p[i];
        bits += 8;
        while (bits >= 5) {
            out[o++] = alphabet[(buffer >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(buffer << (5 - bits)) & 31];
    out[o] = '\0';
}
