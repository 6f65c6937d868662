/* app_store.c: App Store Connect (API v1, ES256 JWTs). docs/verification.md says what verify asks and concludes. */
#include "core/clock.h"
#include "crypto/jwt.h"
#include "crypto/pem.h"
#include "providers/call.h"
#include "providers/fields.h"

static struct provider_setting api = {.env = "SLIPWAY_APPSTORE_API_URL",
                                      .def = "https://api.appstoreconnect.apple.com",
                                      .help = "App Store Connect's API",
                                      .kind = SETTING_TEXT};
static struct provider_setting timeout = {
    .env = "APPSTORE_CONNECT_TIMEOUT", .def = "30000", .help = "ms a call to App Store Connect may take", .kind = SETTING_MS};

static const char *check_bundle_id(json_t *j)
{
    const char *v = json_string_value(j);
    if (!fields_all_chars(v, "-.", true, true, true) || !strchr(v, '.') || v[0] == '.' || v[strlen(v) - 1] == '.' ||
        strstr(v, ".."))
        return "must be a bundle id in reverse-DNS form, e.g. com.example.app";
    return NULL;
}

static const char *check_apple_id(json_t *j)
{
    const char *v = json_string_value(j);
    return strlen(v) == 10 && fields_all_chars(v, NULL, false, true, true) ? NULL : "must be 10 upper-case letters or digits";
}

static const char *check_ec_p256(json_t *j)
{
    return pem_check_ec_p256(json_string_value(j));
}

static const struct field fields[] = {
    FMT("appleApiKeyId", true, 10, check_apple_id, "apple key id"), /* identifiers, shown in App Store Connect: not secrets */
    FMT("appleIssuerId", true, 36, check_uuid, "uuid"),
    SECRET_FMT("applePrivateKey", true, 16384, check_ec_p256, "pem-ec-p256"),
    FMT("appleBundleId", true, 155, check_bundle_id, "bundle id"),
    FMT("appleTeamId", false, 10, check_apple_id, "apple team id"),
};

/* The apps of the key's team with the bundle id, with a token signed by the key. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *bundle = provider_text(c, "appleBundleId");
    char auth[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], enc[512];
    const char *headers[] = {auth, NULL};
    json_t *claims, *j, *data;
    char *jwt = NULL;
    struct err err;

    if (!res) {
        int64_t now = clock_now_ms() / 1000;
        err_clear(&err);
        claims = json_pack("{s:s, s:I, s:I, s:s}", "iss", provider_text(c, "appleIssuerId"), "iat", (json_int_t)now, "exp",
                           (json_int_t)(now + 1200), "aud", "appstoreconnect-v1");
        jwt_sign(JWT_ES256, provider_text(c, "applePrivateKey"), provider_text(c, "appleApiKeyId"), claims, &jwt, &err);
        json_decref(claims);
        if (!jwt) {
            provider_finish(c, VERDICT_INVALID,
                            "the private key cannot sign an App Store Connect token (it must be the .p8 P-256 key)");
            return;
        }
        provider_header(auth, "Authorization", "Bearer ", jwt);
        provider_wipe(jwt);
        free(jwt);
        provider_url(target, api.text, "/v1/apps?filter%%5BbundleId%%5D=%s&limit=1", provider_escape(bundle, enc, sizeof enc));
        provider_request(c, "GET", target, headers, NULL, NULL);
        provider_wipe(auth);
        return;
    }
    if (provider_failed(c, res, "App Store Connect rejected the API key: check the key id, the issuer id and the private key",
                        "App Store Connect answered 404 for the apps list") ||
        !(j = provider_answer_json(c, res)))
        return;
    data = json_array_get(json_object_get(j, "data"), 0);
    if (!data) {
        provider_finish(c, VERDICT_INVALID, "bundle id %s not found in this App Store Connect team", bundle);
    } else {
        json_object_set(c->output, "appId", json_object_get(data, "id"));
        json_object_set(c->output, "appName", json_object_get(json_object_get(data, "attributes"), "name"));
        provider_finish(c, VERDICT_VALID, "App Store Connect accepts the key, and the team has the app %s", bundle);
    }
    json_decref(j);
}

static const struct provider_ops ops = {.verify = verify};

struct provider app_store_provider = {
    .type = "APP_STORE",
    .kind = "appstore",
    .display = "App Store Connect",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &timeout,
    .store_platform = "IOS",
    .store_track = "appStore",
    .caps = CAP_VERIFY,
    .ops = &ops,
};
