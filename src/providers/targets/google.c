#include "providers/targets/google.h"

#include "core/clock.h"
#include "crypto/jwt.h"
#include "crypto/pem.h"
#include "crypto/secret.h"

struct provider_setting google_token_url = {.env = "SLIPWAY_GOOGLE_TOKEN_URL",
                                            .def = "https://oauth2.googleapis.com/token",
                                            .help = "Google's OAuth token endpoint",
                                            .kind = SETTING_TEXT};
struct provider_setting google_timeout = {.env = "PLAYSTORE_API_TIMEOUT",
                                          .def = "30000",
                                          .help = "ms a call to Google (token, Play, Firebase) may take",
                                          .kind = SETTING_MS};
struct provider_setting *const google_settings[] = {&google_token_url, NULL};

const char *check_rsa(json_t *j)
{
    return pem_check_rsa(json_string_value(j));
}

void google_token(struct provider_call *c, const char *scope)
{
    int64_t now = clock_now_ms() / 1000;
    json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", provider_text(c, "googleServiceAccountEmail"), "scope", scope,
                               "aud", google_token_url.text, "iat", (json_int_t)now, "exp", (json_int_t)(now + 3600));
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    char *jwt = NULL, *body;
    struct err err;
    size_t n;

    err_clear(&err);
    jwt_sign(JWT_RS256, provider_text(c, "googlePrivateKey"), NULL, claims, &jwt, &err);
    json_decref(claims);
    if (!jwt) {
        provider_finish(c, VERDICT_INVALID,
                        "the private key cannot sign a Google token (it must be the service account's RSA key)");
        return;
    }
    n = strlen(jwt) + 100;
    body = malloc(n);
    if (!body) {
        free(jwt);
        provider_finish(c, VERDICT_NONE, "out of memory");
        return;
    }
    snprintf(body, n, "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3Ajwt-bearer&assertion=%s", jwt);
    provider_request(c, "POST", google_token_url.text, headers, body, NULL);
    provider_wipe(jwt);
    provider_wipe(body);
    free(jwt);
    free(body);
}

bool google_granted(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j;
    const char *error, *desc, *token;

    if (provider_unanswered(c, res))
        return false;
    if (res->status != 200) {
        j = json_loadb(res->body, res->len, 0, NULL);
        error = json_string_value(json_object_get(j, "error"));
        desc = json_string_value(json_object_get(j, "error_description"));
        if (desc && strstr(desc, "xpired"))
            provider_finish(c, VERDICT_EXPIRED, "Google says the service account key has expired: create a new key");
        else
            provider_finish(c, VERDICT_INVALID,
                            "Google refused the service account (%s): check the e-mail address and the private key",
                            error ? error : "no reason given");
        json_decref(j);
        return false;
    }
    if (!(j = provider_answer_json(c, res)))
        return false;
    token = json_string_value(json_object_get(j, "access_token"));
    if (!token || strlen(token) >= 4096) {
        json_decref(j);
        provider_finish(c, VERDICT_NONE, "Google's token endpoint answered without an access token");
        return false;
    }
    json_object_set_new(c->state.secrets, "accessToken", json_string(token));
    secret_wipe_json(j);
    json_decref(j);
    return true;
}

void google_call(struct provider_call *c, const char *method, const char *target, const char *body)
{
    char auth[PROVIDER_AUTH_MAX];
    const char *headers[] = {auth, "Content-Type: application/json", NULL};
    provider_header(auth, "Authorization", "Bearer ", provider_secret_text(c, "accessToken"));
    provider_request(c, method, target, headers, body, NULL);
    provider_wipe(auth);
}
