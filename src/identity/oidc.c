#include "identity/oidc.h"

#include <pthread.h>

#include "core/clock.h"
#include "core/encode.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/hash.h"

#define CACHE_SLOTS 64
#define CACHE_TTL_MS (3600 * 1000)

void oidc_random(char out[OIDC_RANDOM_SIZE])
{
    unsigned char b[32];
    rand_bytes(b, sizeof b);
    b64url_encode(b, sizeof b, out);
}

void oidc_pkce_challenge(const char *verifier, char out[OIDC_CHALLENGE_SIZE])
{
    unsigned char d[SHA256_BYTES];
    hash_sha256(verifier, strlen(verifier), d);
    b64url_encode(d, sizeof d, out);
}

static bool aud_has(const json_t *aud, const char *client_id, size_t *count)
{
    const json_t *v;
    size_t i;
    bool found = false;

    if (json_is_string(aud)) {
        *count = 1;
        return strcmp(json_string_value(aud), client_id) == 0;
    }
    *count = json_array_size(aud);
    json_array_foreach(aud, i, v) found = found || (json_is_string(v) && strcmp(json_string_value(v), client_id) == 0);
    return found;
}

enum err_code oidc_claims_check(const json_t *claims, const char *issuer, const char *client_id, const char *nonce, int64_t now_s,
                                struct err *err)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *got_nonce = json_string_value(json_object_get(claims, "nonce"));
    const json_t *azp = json_object_get(claims, "azp"), *exp = json_object_get(claims, "exp"),
                 *iat = json_object_get(claims, "iat");
    size_t auds = 0;

    if (!iss || strcmp(iss, issuer) != 0)
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token was not issued by the provider's issuer");
    if (!aud_has(json_object_get(claims, "aud"), client_id, &auds))
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token is not meant for this client (aud)");
    if ((azp || auds > 1) && (!json_is_string(azp) || strcmp(json_string_value(azp), client_id) != 0))
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token was issued to another party (azp)");
    if (!json_is_integer(exp) || json_integer_value(exp) + OIDC_SKEW_S <= now_s)
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token has expired");
    if (!json_is_integer(iat) || json_integer_value(iat) - OIDC_SKEW_S > now_s)
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token is issued in the future (iat)");
    if (!got_nonce || strcmp(got_nonce, nonce) != 0)
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token's nonce is not this login's");
    if (!sub || !sub[0] || strlen(sub) > 255)
        return err_set(err, ERR_BAD_CREDENTIALS, "the ID token names no subject");
    return ERR_OK;
}

json_t *oidc_groups(const json_t *obj, const char *claim)
{
    const json_t *v = json_object_get(obj, claim), *g;
    json_t *out;
    size_t i;

    if (json_is_string(v))
        return json_pack("[s]", json_string_value(v));
    if (!json_is_array(v))
        return NULL;
    out = json_array();
    json_array_foreach(v, i, g) if (json_is_string(g)) json_array_append(out, (json_t *)g);
    return out;
}

static struct {
    pthread_mutex_t lock;
    struct {
        char *url;
        json_t *doc;
        int64_t at;
    } slot[CACHE_SLOTS];
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

json_t *oidc_cache_get(const char *url)
{
    json_t *doc = NULL;
    int64_t now = clock_mono_ms();

    pthread_mutex_lock(&cache.lock);
    for (int i = 0; i < CACHE_SLOTS; i++)
        if (cache.slot[i].url && strcmp(cache.slot[i].url, url) == 0 && now - cache.slot[i].at < CACHE_TTL_MS)
            doc = json_deep_copy(cache.slot[i].doc);
    pthread_mutex_unlock(&cache.lock);
    return doc;
}

void oidc_cache_put(const char *url, const json_t *doc)
{
    int at = 0;

    pthread_mutex_lock(&cache.lock);
    for (int i = 0; i < CACHE_SLOTS; i++) { /* the slot of this URL, else the oldest (an empty one is oldest) */
        if (cache.slot[i].url && strcmp(cache.slot[i].url, url) == 0) {
            at = i;
            break;
        }
        if (cache.slot[i].at < cache.slot[at].at)
            at = i;
    }
    free(cache.slot[at].url);
    json_decref(cache.slot[at].doc);
    cache.slot[at].url = xstrdup(url);
    cache.slot[at].doc = json_deep_copy(doc);
    cache.slot[at].at = clock_mono_ms();
    pthread_mutex_unlock(&cache.lock);
}
