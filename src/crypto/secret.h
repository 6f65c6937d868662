/*
 * secret.h: encryption of integration credentials at rest (AES-256-GCM).
 *
 * A stored secret is text: "v1.<keyId>.<nonce>.<ciphertext+tag>", nonce
 * and ciphertext base64url. keyId names the key (8 hex characters of a
 * hash of it), so a ring of keys can read what older keys wrote while
 * everything new is written under the current one. The associated data
 * binds each ciphertext to tenant, table, column and row: moved anywhere
 * else, it fails to decrypt.
 *
 * Plaintext comes back in a struct plaintext, allocated outside any arena
 * and wiped by plaintext_free(): secrets never linger in request memory.
 */
#ifndef SLIPWAY_SECRET_H
#define SLIPWAY_SECRET_H

#include <jansson.h>

#include "core/common.h"
#include "core/err.h"

#define SECRET_KEY_BYTES 32
#define SECRET_KEY_ID_LEN 8
#define SECRET_KEYS_MAX 8

struct keyring; /* the current key, and older ones for reading */

/* Where a ciphertext belongs: all four are bound into it. */
struct secret_place {
    const char *tenant_id, *table, *column, *row_id;
};

struct plaintext {
    size_t len;
    char data[]; /* NUL-terminated */
};

/*
 * Builds a ring from 64-hex-character keys: current may be NULL (then
 * nothing can be encrypted); old is a comma-separated list or NULL.
 * ERR_INVALID names what is wrong (never echoing key material).
 */
enum err_code keyring_new(const char *current, const char *old, struct keyring **out, struct err *err);
void keyring_free(struct keyring *k);
bool keyring_can_encrypt(const struct keyring *k);
/* True when the ring holds the key with this id. */
bool keyring_knows(const struct keyring *k, const char *id);
/* The current key's id, or "" without one. */
const char *keyring_current_id(const struct keyring *k);

/* Encrypts; *out is a malloc'd string (caller frees). ERR_UNAVAILABLE without a current key. */
enum err_code secret_encrypt(const struct keyring *k, const struct secret_place *at, const char *plain, size_t len, char **out,
                             struct err *err);
/* Decrypts; ERR_INVALID when the text is not ours, ERR_NOT_FOUND for an unknown key id, ERR_CONFLICT when authentication fails. */
enum err_code secret_decrypt(const struct keyring *k, const struct secret_place *at, const char *stored, struct plaintext **out,
                             struct err *err);
/* The key id a stored secret names, into out[SECRET_KEY_ID_LEN + 1]; -1 if it is not a secret of ours. */
int secret_key_id(const char *stored, char out[SECRET_KEY_ID_LEN + 1]);

/* A copy of p, the caller's to free with plaintext_free. */
struct plaintext *plaintext_copy(const struct plaintext *p);
void plaintext_free(struct plaintext *p);
/* Overwrites every string in a JSON value, in place (plaintext secrets, before the value is released). */
void secret_wipe_json(json_t *v);

/* Parses 64 hex characters into a key; -1 if malformed. */
int secret_parse_key(const char *hex, unsigned char key[SECRET_KEY_BYTES]);

#endif
