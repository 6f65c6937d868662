#include "crypto/password.h"

#include <argon2.h>

#include "core/encode.h"
#include "core/rand.h"

#define SALT_BYTES 16
#define HASH_BYTES 32

enum err_code password_hash(const struct password_params *p, const char *password, char out[PASSWORD_HASH_SIZE], struct err *err)
{
    unsigned char salt[SALT_BYTES];
    int rc;

    rand_bytes(salt, sizeof salt);
    rc = argon2id_hash_encoded(p->iterations, p->memory_kib, 1, password, strlen(password), salt, sizeof salt, HASH_BYTES, out,
                               PASSWORD_HASH_SIZE);
    if (rc != ARGON2_OK)
        return err_set(err, ERR_INTERNAL, "password hashing failed: %s", argon2_error_message(rc));
    return ERR_OK;
}

bool password_verify(const struct password_params *p, const char *encoded, const char *password)
{
    if (!encoded) {
        /* No such account: burn the same time so timing does not tell. */
        char dummy[PASSWORD_HASH_SIZE];
        struct err ignored;
        password_hash(p, password, dummy, &ignored);
        return false;
    }
    return argon2id_verify(encoded, password, strlen(password)) == ARGON2_OK;
}

void password_generate(char out[25])
{
    unsigned char b[18];
    rand_bytes(b, sizeof b);
    b64url_encode(b, sizeof b, out);
}
