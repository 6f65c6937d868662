#include "crypto/token.h"

#include "core/encode.h"
#include "core/rand.h"

/* scheme followed by 256 random bits in base64url (43 characters). */
static void generate(const char *scheme, char *out)
{
    size_t n = strlen(scheme);
    unsigned char b[32];

    memcpy(out, scheme, n);
    rand_bytes(b, sizeof b);
    b64url_encode(b, sizeof b, out + n);
    hash_cleanse(b, sizeof b);
}

static bool well_formed(const char *scheme, const char *s)
{
    size_t n = strlen(scheme);
    unsigned char b[33];

    if (!s || strlen(s) != n + 43 || memcmp(s, scheme, n) != 0)
        return false;
    return b64url_decode(s + n, 43, b) == 32;
}

void token_generate(char out[TOKEN_SIZE])
{
    generate(TOKEN_SCHEME, out);
}

bool token_well_formed(const char *s)
{
    return well_formed(TOKEN_SCHEME, s);
}

void invite_token_generate(char out[INVITE_SIZE])
{
    generate(INVITE_SCHEME, out);
}

bool invite_token_well_formed(const char *s)
{
    return well_formed(INVITE_SCHEME, s);
}

void reset_token_generate(char out[INVITE_SIZE])
{
    generate(RESET_SCHEME, out);
}

bool reset_token_well_formed(const char *s)
{
    return well_formed(RESET_SCHEME, s);
}

void token_hash(const char *token, char out[SHA256_HEX_SIZE])
{
    hash_sha256_hex(token, strlen(token), out);
}
