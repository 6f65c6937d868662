/*
 * fuzz_secret.c: the ciphertext envelope parser ("v1.<keyId>.<nonce>.<ct>").
 *
 * Input: the first byte picks the mode, the rest is text.
 *  - 0: the text is a stored secret, decrypted as it is.
 *  - 1: the text follows "v1.<the ring's key id>.", so the parser gets past
 *       the key lookup into the nonce and ciphertext.
 *  - 2: the text is a plaintext: encrypting then decrypting it gives it
 *       back, and the ciphertext fails to decrypt anywhere else.
 *  - 3: the text is a key ring's configuration (current key, a newline,
 *       old keys).
 * Nothing decrypts without the key: a forged envelope is always refused.
 */
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "crypto/secret.h"

#define MAX_INPUT 65536

static const char key_hex[] = "5eed0000000000000000000000000000000000000000000000000000000000a1";
static const struct secret_place here = {"5eed0000-0000-4000-8000-0000000000a1", "tenant_scm_integrations", "accessToken",
                                         "5eed0000-0000-4000-8000-0000000000b2"};
static const struct secret_place elsewhere = {"5eed0000-0000-4000-8000-0000000000c3", "tenant_scm_integrations", "accessToken",
                                              "5eed0000-0000-4000-8000-0000000000b2"};

static void decrypt_forged(const struct keyring *k, const char *stored)
{
    struct plaintext *p = NULL;
    struct err err;
    char id[SECRET_KEY_ID_LEN + 1];

    err_clear(&err);
    enum err_code rc = secret_decrypt(k, &here, stored, &p, &err);
    /* Decrypting would take a forgery of AES-GCM's tag. */
    CHECK(rc != ERR_OK && p == NULL);
    CHECK(rc == ERR_INVALID || rc == ERR_NOT_FOUND || rc == ERR_CONFLICT);
    if (secret_key_id(stored, id) == 0)
        CHECK(strlen(id) == SECRET_KEY_ID_LEN);
}

static void round_trip(const struct keyring *k, const char *plain, size_t len)
{
    struct plaintext *p = NULL;
    struct err err;
    char *stored = NULL;

    err_clear(&err);
    if (secret_encrypt(k, &here, plain, len, &stored, &err))
        return;
    CHECK(secret_decrypt(k, &here, stored, &p, &err) == ERR_OK);
    CHECK(p->len == len && memcmp(p->data, plain, len) == 0 && p->data[len] == '\0');
    plaintext_free(p);
    p = NULL;
    CHECK(secret_decrypt(k, &elsewhere, stored, &p, &err) == ERR_CONFLICT && p == NULL);
    free(stored);
}

static void ring_config(const char *text)
{
    struct keyring *k = NULL;
    struct err err;
    const char *nl = strchr(text, '\n');
    char *current = strndup(text, nl ? (size_t)(nl - text) : strlen(text));

    err_clear(&err);
    if (keyring_new(current, nl ? nl + 1 : NULL, &k, &err) == ERR_OK) {
        CHECK(k);
        if (keyring_can_encrypt(k))
            CHECK(strlen(keyring_current_id(k)) == SECRET_KEY_ID_LEN && keyring_knows(k, keyring_current_id(k)));
        keyring_free(k);
    } else {
        CHECK(!k && err.code == ERR_INVALID);
        CHECK(strlen(current) < 16 || !strstr(err.message, current)); /* never echoes key material */
    }
    free(current);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct keyring *k;
    struct err err;
    char *text;

    if (!k) {
        err_clear(&err);
        CHECK(keyring_new(key_hex, NULL, &k, &err) == ERR_OK);
    }
    if (size < 1 || size > MAX_INPUT)
        return 0;
    text = malloc(size + 32);
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    switch (data[0] & 3) {
    case 0:
        decrypt_forged(k, text);
        break;
    case 1: {
        size_t n = strlen(keyring_current_id(k)) + 4;
        char *stored = malloc(size + n);
        snprintf(stored, size + n, "v1.%s.%s", keyring_current_id(k), text);
        decrypt_forged(k, stored);
        free(stored);
        break;
    }
    case 2:
        round_trip(k, (const char *)data + 1, size - 1);
        break;
    case 3:
        ring_config(text);
        break;
    }
    free(text);
    return 0;
}
