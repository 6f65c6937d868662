#include "crypto/token.h"

#include "core/encode.h"
#include "core/rand.h"

void token_generate(char out[TOKEN_SIZE])
{
    unsigned char b[32];
    memcpy(out, TOKEN_SCHEME, 4);
    rand_bytes(b, sizeof b);
    b64url_encode(b, sizeof b, out + 4);
    hash_cleanse(b, sizeof b);
}

bool token_well_formed(const char *s)
{
    unsigned char b[33];
    if (!s || strlen(s) != TOKEN_LEN || memcmp(s, TOKEN_SCHEME, 4) != 0)
        return false;
    return b64url_decode(s + 4, TOKEN_LEN - 4, b) == 32;
}

void token_hash(const char *token, char out[SHA256_HEX_SIZE])
{
    hash_sha256_hex(token, strlen(token), out);
}
