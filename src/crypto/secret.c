#include "crypto/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/encode.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"

#define NONCE_BYTES 12
#define TAG_BYTES 16
#define VERSION "v1"

struct key {
    unsigned char bytes[SECRET_KEY_BYTES];
    char id[SECRET_KEY_ID_LEN + 1];
};

struct keyring {
    bool has_current;
    int count; /* keys[0] is the current one when has_current */
    struct key keys[SECRET_KEYS_MAX];
};

int secret_parse_key(const char *hex, unsigned char key[SECRET_KEY_BYTES])
{
    if (strlen(hex) != SECRET_KEY_BYTES * 2)
        return -1;
    for (int i = 0; i < SECRET_KEY_BYTES; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        key[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int add_key(struct keyring *k, const char *hex, size_t len)
{
    char buf[SECRET_KEY_BYTES * 2 + 1];
    struct key *key;
    unsigned char digest[SHA256_BYTES];
    static const char label[] = "slipway key id v1:";
    unsigned char material[sizeof label - 1 + SECRET_KEY_BYTES];

    if (len != SECRET_KEY_BYTES * 2 || k->count == SECRET_KEYS_MAX)
        return -1;
    memcpy(buf, hex, len);
    buf[len] = '\0';
    key = &k->keys[k->count];
    if (secret_parse_key(buf, key->bytes)) {
        hash_cleanse(buf, sizeof buf);
        return -1;
    }
    hash_cleanse(buf, sizeof buf);
    memcpy(material, label, sizeof label - 1);
    memcpy(material + sizeof label - 1, key->bytes, SECRET_KEY_BYTES);
    hash_sha256(material, sizeof material, digest);
    hash_cleanse(material, sizeof material);
    hex_encode(digest, SECRET_KEY_ID_LEN / 2, key->id);
    k->count++;
    return 0;
}

enum err_code keyring_new(const char *current, const char *old, struct keyring **out, struct err *err)
{
    struct keyring *k = xcalloc(1, sizeof *k);

    *out = NULL;
    if (current && *current) {
        if (add_key(k, current, strlen(current))) {
            keyring_free(k);
            return err_set(err, ERR_INVALID, "INTEGRATION_ENCRYPTION_KEY must be 64 hexadecimal characters (32 bytes)");
        }
        k->has_current = true;
    }
    for (const char *p = old; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n > 0 && add_key(k, p, n)) {
            keyring_free(k);
            return err_set(err, ERR_INVALID,
                           "INTEGRATION_ENCRYPTION_OLD_KEYS must be comma-separated keys of 64 hexadecimal characters (at most %d)",
                           SECRET_KEYS_MAX - 1);
        }
        p += n + (p[n] == ',');
    }
    *out = k;
    return ERR_OK;
}

void keyring_free(struct keyring *k)
{
    if (!k)
        return;
    hash_cleanse(k, sizeof *k);
    free(k);
}

bool keyring_can_encrypt(const struct keyring *k)
{
    return k && k->has_current;
}

bool keyring_knows(const struct keyring *k, const char *id)
{
    for (int i = 0; k && i < k->count; i++)
        if (strcmp(k->keys[i].id, id) == 0)
            return true;
    return false;
}

const char *keyring_current_id(const struct keyring *k)
{
    return keyring_can_encrypt(k) ? k->keys[0].id : "";
}

/* "v1|tenant|table|column|row": every part is a known-shape identifier (no '|'). */
static char *aad(const struct secret_place *at, size_t *len)
{
    size_t n = strlen(VERSION) + strlen(at->tenant_id) + strlen(at->table) + strlen(at->column) + strlen(at->row_id) + 5;
    char *s = xmalloc(n);
    int w = snprintf(s, n, "%s|%s|%s|%s|%s", VERSION, at->tenant_id, at->table, at->column, at->row_id);
    *len = (size_t)w;
    return s;
}

/* Runs AES-256-GCM one way or the other; returns 0 or -1 (authentication failure on decrypt). */
static int gcm(bool enc, const unsigned char *key, const unsigned char *nonce, const char *ad, size_t adlen,
               const unsigned char *in, size_t len, unsigned char *out, unsigned char *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok;

    if (!ctx)
        return -1;
    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL) == 1 &&
         EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc) == 1 &&
         EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)ad, (int)adlen) == 1 &&
         (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1);
    if (ok && !enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag) == 1;
    if (ok)
        ok = EVP_CipherFinal_ex(ctx, out + n, &n) == 1;
    if (ok && enc)
        ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    return ok ? 0 : -1;
}

enum err_code secret_encrypt(const struct keyring *k, const struct secret_place *at, const char *plain, size_t len, char **out,
                             struct err *err)
{
    unsigned char nonce[NONCE_BYTES], *ct;
    char *ad, *text;
    size_t adlen, size;
    int w;

    *out = NULL;
    if (!keyring_can_encrypt(k))
        return err_set(err, ERR_UNAVAILABLE,
                       "the encryption key is not configured (INTEGRATION_ENCRYPTION_KEY): credentials cannot be stored");
    if (len > 1 << 20)
        return err_set(err, ERR_INVALID, "a secret may be at most 1 MiB");
    rand_bytes(nonce, sizeof nonce);
    ct = xmalloc(len + TAG_BYTES);
    ad = aad(at, &adlen);
    if (gcm(true, k->keys[0].bytes, nonce, ad, adlen, (const unsigned char *)plain, len, ct, ct + len)) {
        free(ad);
        free(ct);
        return err_set(err, ERR_INTERNAL, "encryption failed");
    }
    free(ad);
    size = strlen(VERSION) + 1 + SECRET_KEY_ID_LEN + 1 + B64URL_LEN(NONCE_BYTES) + 1 + B64URL_LEN(len + TAG_BYTES) + 1;
    text = xmalloc(size);
    w = snprintf(text, size, "%s.%s.", VERSION, k->keys[0].id);
    b64url_encode(nonce, NONCE_BYTES, text + w);
    w += (int)B64URL_LEN(NONCE_BYTES);
    text[w++] = '.';
    b64url_encode(ct, len + TAG_BYTES, text + w);
    free(ct);
    *out = text;
    return ERR_OK;
}

int secret_key_id(const char *stored, char out[SECRET_KEY_ID_LEN + 1])
{
    size_t vl = strlen(VERSION);
    if (!stored || strncmp(stored, VERSION ".", vl + 1) != 0 || strlen(stored) < vl + 1 + SECRET_KEY_ID_LEN + 1 ||
        stored[vl + 1 + SECRET_KEY_ID_LEN] != '.')
        return -1;
    memcpy(out, stored + vl + 1, SECRET_KEY_ID_LEN);
    out[SECRET_KEY_ID_LEN] = '\0';
    return 0;
}

enum err_code secret_decrypt(const struct keyring *k, const struct secret_place *at, const char *stored, struct plaintext **out,
                             struct err *err)
{
    char id[SECRET_KEY_ID_LEN + 1], *ad;
    const char *nonce_text, *ct_text, *dot;
    unsigned char nonce[NONCE_BYTES + 3], *ct;
    const struct key *key = NULL;
    struct plaintext *p;
    size_t adlen, ctlen;
    long n;

    *out = NULL;
    if (secret_key_id(stored, id))
        return err_set(err, ERR_INVALID, "not an encrypted secret");
    for (int i = 0; k && i < k->count && !key; i++)
        if (strcmp(k->keys[i].id, id) == 0)
            key = &k->keys[i];
    if (!key)
        return err_set(err, ERR_NOT_FOUND, "encrypted with key %s, which is not configured", id);
    nonce_text = stored + strlen(VERSION) + 1 + SECRET_KEY_ID_LEN + 1;
    dot = strchr(nonce_text, '.');
    if (!dot || (size_t)(dot - nonce_text) != B64URL_LEN(NONCE_BYTES) ||
        b64url_decode(nonce_text, (size_t)(dot - nonce_text), nonce) != NONCE_BYTES)
        return err_set(err, ERR_INVALID, "not an encrypted secret");
    ct_text = dot + 1;
    ct = xmalloc(strlen(ct_text) * 3 / 4 + 3);
    n = b64url_decode(ct_text, strlen(ct_text), ct);
    if (n < TAG_BYTES) {
        free(ct);
        return err_set(err, ERR_INVALID, "not an encrypted secret");
    }
    ctlen = (size_t)n - TAG_BYTES;
    p = xmalloc(sizeof *p + ctlen + 1);
    ad = aad(at, &adlen);
    if (gcm(false, key->bytes, nonce, ad, adlen, ct, ctlen, (unsigned char *)p->data, ct + ctlen)) {
        free(ad);
        free(ct);
        hash_cleanse(p->data, ctlen);
        free(p);
        return err_set(err, ERR_CONFLICT, "the secret does not belong here or was altered");
    }
    free(ad);
    free(ct);
    p->len = ctlen;
    p->data[ctlen] = '\0';
    *out = p;
    return ERR_OK;
}

struct plaintext *plaintext_copy(const struct plaintext *p)
{
    struct plaintext *c = xmalloc(sizeof *c + p->len + 1);

    c->len = p->len;
    memcpy(c->data, p->data, p->len + 1);
    return c;
}

void plaintext_free(struct plaintext *p)
{
    if (!p)
        return;
    hash_cleanse(p->data, p->len);
    free(p);
}

void secret_wipe_json(json_t *v)
{
    const char *key;
    json_t *item;
    size_t i;

    if (json_is_string(v)) {
        hash_cleanse((char *)json_string_value(v), json_string_length(v));
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, item) secret_wipe_json(item);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, item) secret_wipe_json(item);
    }
}
