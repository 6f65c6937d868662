/* Unit tests of the distribution targets: App Store Connect's signed token, Google's grant, Play's edit, Firebase's app. */
#include "provider_harness.h"

#include "test_keys.h"

/* config's JSON with the key in field (caller frees). */
static char *with_key(const char *fields, const char *field, const char *key)
{
    json_t *c = harness_json(fields);
    char *text;
    json_object_set_new(c, field, json_string(key));
    text = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    return text;
}

static void test_app_store(void **state)
{
    char *key = pem_key("EC"), *config;
    json_t *claims;
    (void)state;

    config = with_key("{\"appleApiKeyId\": \"ABC123DEFG\", \"appleIssuerId\": \"0b7e1b7c-1c4e-4a55-9d36-1e1f2a3b4c5d\", "
                      "\"appleBundleId\": \"com.acme.app\"}",
                      "applePrivateKey", key);
    harness_start("APP_STORE", config, NULL, NULL);
    assert_sent(0, "GET", "https://api.appstoreconnect.apple.com/v1/apps?filter%5BbundleId%5D=com.acme.app&limit=1");
    assert_int_equal(sent[0].timeout_ms, 30000); /* APPSTORE_CONNECT_TIMEOUT */
    assert_true(strncmp(sent_header_value(0, "Authorization"), "Bearer ey", 9) == 0);
    claims = jwt_claims(sent_header_value(0, "Authorization") + 7);
    assert_string_equal(json_string_value(json_object_get(claims, "iss")), "0b7e1b7c-1c4e-4a55-9d36-1e1f2a3b4c5d");
    assert_string_equal(json_string_value(json_object_get(claims, "aud")), "appstoreconnect-v1");
    assert_int_equal(json_integer_value(json_object_get(claims, "exp")) - json_integer_value(json_object_get(claims, "iat")), 1200);
    json_decref(claims);
    harness_answer(200, "{\"data\": [{\"id\": \"1234567\", \"attributes\": {\"name\": \"Acme\"}}]}", NULL);
    assert_ended(VERDICT_VALID, "the team has the app com.acme.app");
    assert_string_equal(output_text("appId"), "1234567");
    assert_string_equal(output_text("appName"), "Acme");

    harness_start("APP_STORE", config, NULL, NULL);
    harness_answer(200, "{\"data\": []}", NULL);
    assert_ended(VERDICT_INVALID, "bundle id com.acme.app not found in this App Store Connect team");

    harness_start("APP_STORE", config, NULL, NULL);
    harness_answer(401, "{}", NULL);
    assert_ended(VERDICT_INVALID, "App Store Connect rejected the API key");
    free(config);

    /* A key that cannot sign: INVALID, and nothing is sent. */
    harness_start("APP_STORE",
                  "{\"appleApiKeyId\": \"ABC123DEFG\", \"appleIssuerId\": \"x\", \"appleBundleId\": \"com.acme.app\", "
                  "\"applePrivateKey\": \"not a key\"}",
                  NULL, NULL);
    assert_int_equal(nsent, 0);
    assert_ended(VERDICT_INVALID, "cannot sign an App Store Connect token");
    free(key);
}

/* The App Store submit up to the reused version's answer (apps, builds, the version list answered with version). */
static void asc_reuse(const char *config, const char *input, const char *version)
{
    provider_call_run(harness_call("APP_STORE", provider_by_type("APP_STORE")->ops->store_submit, config, NULL, input));
    harness_answer(200, "{\"data\": [{\"id\": \"1\"}]}", NULL);
    harness_answer(200, "{\"data\": [{\"id\": \"b1\", \"attributes\": {\"processingState\": \"VALID\"}}]}", NULL);
    harness_answer(200, version, NULL);
}

/* A reused appStoreVersion takes the submission's release type: PATCHed when it differs (the date cleared), while editable. */
static void test_app_store_reused_release_type(void **state)
{
    char *key = pem_key("EC"), *config;
    const char *base = "https://api.appstoreconnect.apple.com/v1/appStoreVersions";
    const char *after = "{\"releaseName\": \"2.0.0\", \"versionCodes\": [\"7\"], \"releaseNotes\": {}, "
                        "\"releaseType\": \"AFTER_APPROVAL\"}";
    char url[200];
    json_t *body, *attrs;
    (void)state;

    config = with_key("{\"appleApiKeyId\": \"ABC123DEFG\", \"appleIssuerId\": \"i\", \"appleBundleId\": \"com.acme.app\"}",
                      "applePrivateKey", key);
    asc_reuse(config, after,
              "{\"data\": [{\"id\": \"v1\", \"attributes\": {\"appStoreState\": \"REJECTED\", \"releaseType\": \"SCHEDULED\", "
              "\"earliestReleaseDate\": \"2030-01-01T00:00:00Z\"}}]}");
    snprintf(url, sizeof url, "%s/v1", base);
    assert_sent(3, "PATCH", url);
    body = json_loads(sent[3].body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(json_object_get(body, "data"), "id")), "v1");
    attrs = json_object_get(json_object_get(body, "data"), "attributes");
    assert_string_equal(json_string_value(json_object_get(attrs, "releaseType")), "AFTER_APPROVAL");
    assert_true(json_is_null(json_object_get(attrs, "earliestReleaseDate"))); /* cleared */
    json_decref(body);
    harness_answer(200, "{\"data\": {\"id\": \"v1\"}}", NULL);
    snprintf(url, sizeof url, "%s/v1/appStoreVersionLocalizations", base);
    assert_sent(4, "GET", url); /* then what's new, the build, the review */

    /* The same type: no PATCH. SCHEDULED's date the same instant in another offset: no PATCH either. */
    asc_reuse(config, after,
              "{\"data\": [{\"id\": \"v1\", \"attributes\": {\"appStoreState\": \"PREPARE_FOR_SUBMISSION\", "
              "\"releaseType\": \"AFTER_APPROVAL\"}}]}");
    assert_sent(3, "GET", url);
    asc_reuse(config,
              "{\"releaseName\": \"2.0.0\", \"versionCodes\": [\"7\"], \"releaseType\": \"SCHEDULED\", "
              "\"earliestReleaseDate\": \"2030-01-01T08:00:00Z\"}",
              "{\"data\": [{\"id\": \"v1\", \"attributes\": {\"appStoreState\": \"PREPARE_FOR_SUBMISSION\", "
              "\"releaseType\": \"SCHEDULED\", \"earliestReleaseDate\": \"2030-01-01T00:00:00-08:00\"}}]}");
    assert_sent(3, "GET", url);

    /* With App Review, another type: refused naming the state, nothing written. */
    asc_reuse(config, after,
              "{\"data\": [{\"id\": \"v1\", \"attributes\": {\"appStoreState\": \"WAITING_FOR_REVIEW\", "
              "\"releaseType\": \"MANUAL\"}}]}");
    assert_ended(VERDICT_INVALID, "is WAITING_FOR_REVIEW on App Store Connect: its release type (MANUAL) cannot be changed");
    assert_int_equal(nsent, 3);
    free(config);
    free(key);
}

static char *google_config(const char *fields)
{
    static char *key;
    if (!key)
        key = pem_key("RSA");
    return with_key(fields, "googlePrivateKey", key);
}

/* Request 0 is the jwt-bearer grant for scope. */
static void assert_grant(const char *scope)
{
    const char *prefix = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    json_t *claims;

    assert_sent(0, "POST", "https://oauth2.googleapis.com/token");
    assert_int_equal(sent[0].timeout_ms, 30000); /* PLAYSTORE_API_TIMEOUT */
    assert_true(sent_header(0, "Content-Type: application/x-www-form-urlencoded"));
    assert_true(strncmp(sent[0].body, prefix, strlen(prefix)) == 0);
    claims = jwt_claims(sent[0].body + strlen(prefix));
    assert_string_equal(json_string_value(json_object_get(claims, "iss")), "ci@acme.iam.gserviceaccount.com");
    assert_string_equal(json_string_value(json_object_get(claims, "scope")), scope);
    assert_string_equal(json_string_value(json_object_get(claims, "aud")), "https://oauth2.googleapis.com/token");
    json_decref(claims);
}

static void test_play_store(void **state)
{
    char *config = google_config("{\"googleServiceAccountEmail\": \"ci@acme.iam.gserviceaccount.com\", "
                                 "\"googlePackageName\": \"com.acme.app\"}");
    json_t *saved;
    (void)state;

    harness_start("PLAY_STORE", config, NULL, NULL);
    assert_grant("https://www.googleapis.com/auth/androidpublisher");
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\", \"expires_in\": 3599}", NULL);
    assert_sent(1, "POST", "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.acme.app/edits");
    assert_true(sent_header(1, "Authorization: Bearer ya29.secret-token"));
    assert_string_equal(sent[1].body, "{}");
    harness_answer(200, "{\"id\": \"edit-42\", \"expiryTimeSeconds\": \"1\"}", NULL);
    /* The edit is state, the access token a secret of it. */
    saved = provider_state_save(&call->state);
    assert_string_equal(json_string_value(json_object_get(json_object_get(saved, "data"), "edit")), "edit-42");
    assert_string_equal(json_string_value(json_object_get(json_object_get(saved, "secrets"), "accessToken")), "ya29.secret-token");
    json_decref(saved);
    assert_sent(2, "DELETE", "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.acme.app/edits/edit-42");
    assert_false(sent[2].has_body);
    harness_answer(204, "", NULL);
    assert_ended(VERDICT_VALID, "Google Play accepts the service account for com.acme.app");

    harness_start("PLAY_STORE", config, NULL, NULL);
    harness_answer(400, "{\"error\": \"invalid_grant\", \"error_description\": \"Invalid JWT Signature.\"}", NULL);
    assert_ended(VERDICT_INVALID, "Google refused the service account (invalid_grant)");

    harness_start("PLAY_STORE", config, NULL, NULL);
    harness_answer(400, "{\"error\": \"invalid_grant\", \"error_description\": \"Key has expired\"}", NULL);
    assert_ended(VERDICT_EXPIRED, "the service account key has expired");

    harness_start("PLAY_STORE", config, NULL, NULL);
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    harness_answer(404, "{}", NULL);
    assert_ended(VERDICT_INVALID, "package com.acme.app not found");
    free(config);
}

/* The Play rollout machine: one edit, the track read first, the release put, committed once; refused commits begin again. */
static void test_play_rollout(void **state)
{
    char *config = google_config("{\"googleServiceAccountEmail\": \"ci@acme.iam.gserviceaccount.com\", "
                                 "\"googlePackageName\": \"com.acme.app\"}");
    const char *input = "{\"track\": \"production\", \"versionCodes\": [\"42\"], \"releaseName\": \"1.2.0\", "
                        "\"releaseNotes\": {\"en-US\": \"Fixes\"}, \"inAppUpdatePriority\": 2, \"fraction\": 0.1}";
    const char *base = "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.acme.app/edits";
    const char *live = "{\"track\": \"production\", \"releases\": [{\"versionCodes\": [\"41\"], \"status\": \"completed\"}]}";
    char url[300];
    json_t *body, *mine;
    (void)state;

    provider_call_run(harness_call("PLAY_STORE", provider_by_type("PLAY_STORE")->ops->store_submit, config, NULL, input));
    assert_grant("https://www.googleapis.com/auth/androidpublisher");
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    assert_sent(1, "POST", base);
    harness_answer(200, "{\"id\": \"e1\"}", NULL);
    snprintf(url, sizeof url, "%s/e1/tracks/production", base);
    assert_sent(2, "GET", url);
    harness_answer(200, live, NULL);
    assert_sent(3, "PUT", url);
    body = json_loads(sent[3].body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(body, "releases")), 2); /* the completed one stays while ours is staged */
    mine = json_array_get(json_object_get(body, "releases"), 1);
    assert_string_equal(json_string_value(json_object_get(mine, "status")), "inProgress");
    assert_true(json_real_value(json_object_get(mine, "userFraction")) == 0.1);
    assert_int_equal(json_integer_value(json_object_get(mine, "inAppUpdatePriority")), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(mine, "releaseNotes"), 0), "text")),
                        "Fixes");
    json_decref(body);
    harness_answer(200, "{}", NULL);
    snprintf(url, sizeof url, "%s/e1:validate", base);
    assert_sent(4, "POST", url); /* validated, then committed */
    harness_answer(200, "{\"id\": \"e1\"}", NULL);
    snprintf(url, sizeof url, "%s/e1:commit?changesInReviewBehavior=ERROR_IF_IN_REVIEW", base);
    assert_sent(5, "POST", url);
    harness_answer(400, "{\"error\": {\"message\": \"This Edit has expired.\"}}", NULL); /* begins again */
    assert_sent(6, "POST", base);
    harness_answer(200, "{\"id\": \"e2\"}", NULL);
    harness_answer(200, live, NULL);
    harness_answer(200, "{}", NULL);
    harness_answer(200, "{\"id\": \"e2\"}", NULL);
    snprintf(url, sizeof url, "%s/e2:commit?changesInReviewBehavior=ERROR_IF_IN_REVIEW", base);
    assert_sent(10, "POST", url);
    harness_answer(200, "{\"id\": \"e2\"}", NULL);
    /* Committed: the review's state read without an edit (tracks.releases.list). */
    assert_sent(11, "GET",
                "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.acme.app/tracks/production/releases");
    harness_answer(200,
                   "{\"releases\": [{\"activeArtifacts\": [{\"versionCode\": \"42\"}], "
                   "\"releaseLifecycleState\": \"IN_REVIEW\"}]}",
                   NULL);
    assert_ended(VERDICT_VALID, "track production: version code 42 is inProgress, IN_REVIEW");
    assert_string_equal(output_text("state"), "IN_REVIEW");
    assert_string_equal(output_text("editId"), "e2");

    /* Halted already (an earlier run's commit whose answer was lost): the edit is dropped, nothing committed. */
    provider_call_run(harness_call("PLAY_STORE", provider_by_type("PLAY_STORE")->ops->store_halt, config, NULL, input));
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    harness_answer(200, "{\"id\": \"e3\"}", NULL);
    harness_answer(200, "{\"releases\": [{\"versionCodes\": [\"42\"], \"status\": \"halted\", \"userFraction\": 0.3}]}", NULL);
    snprintf(url, sizeof url, "%s/e3", base);
    assert_sent(3, "DELETE", url);
    harness_answer(204, "", NULL);
    /* the review's state read even so: a change of an earlier run may be in Play's review */
    assert_sent(4, "GET",
                "https://androidpublisher.googleapis.com/androidpublisher/v3/applications/com.acme.app/tracks/production/releases");
    harness_answer(
        200, "{\"releases\": [{\"activeArtifacts\": [{\"versionCode\": \"42\"}], \"releaseLifecycleState\": \"HALTED\"}]}", NULL);
    assert_ended(VERDICT_VALID, "is halted already");
    assert_true(json_is_true(json_object_get(call->output, "already")));

    /* Nothing staged to resume: refused without a change. */
    provider_call_run(harness_call("PLAY_STORE", provider_by_type("PLAY_STORE")->ops->store_resume, config, NULL, input));
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    harness_answer(200, "{\"id\": \"e4\"}", NULL);
    harness_answer(200, live, NULL);
    assert_ended(VERDICT_INVALID, "no staged rollout of version code 42 to resume");
    assert_int_equal(nsent, 3);
    free(config);
}

static void test_firebase(void **state)
{
    char *config = google_config("{\"googleServiceAccountEmail\": \"ci@acme.iam.gserviceaccount.com\", "
                                 "\"firebaseProjectId\": \"acme-prod\", \"firebaseAppId\": \"1:123:ios:abc\"}");
    (void)state;

    harness_start("FIREBASE", config, NULL, NULL);
    assert_grant("https://www.googleapis.com/auth/firebase");
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    assert_sent(1, "GET", "https://firebase.googleapis.com/v1beta1/projects/acme-prod/iosApps/1%3A123%3Aios%3Aabc");
    assert_true(sent_header(1, "Authorization: Bearer ya29.secret-token"));
    harness_answer(200, "{\"name\": \"projects/acme-prod/iosApps/1:123:ios:abc\"}", NULL);
    assert_ended(VERDICT_VALID, "project acme-prod has the app");

    harness_start("FIREBASE", config, NULL, NULL);
    harness_answer(200, "{\"access_token\": \"ya29.secret-token\"}", NULL);
    harness_answer(503, "{}", NULL);
    assert_ended(VERDICT_NONE, "Firebase App Distribution answered 503 (a problem on its side)");
    free(config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_store),  cmocka_unit_test(test_app_store_reused_release_type),
        cmocka_unit_test(test_play_store), cmocka_unit_test(test_play_rollout),
        cmocka_unit_test(test_firebase),
    };
    return cmocka_run_group_tests(tests, NULL, harness_teardown);
}
