/* app_store.c: App Store Connect (API v1, ES256 JWTs). docs/verification.md says what verify asks and concludes. */
#include "core/clock.h"
#include "crypto/jwt.h"
#include "crypto/pem.h"
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/inbound.h"

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

/*
 * Sends method base+target with a fresh token signed by the key (ES256, 20 minutes: App Store Connect's
 * limit) and a JSON body (NULL: none); false after ending the call INVALID when the key cannot sign.
 */
static bool asc_request(struct provider_call *c, const char *method, const char *target, const char *body)
{
    char auth[PROVIDER_AUTH_MAX];
    const char *headers[] = {auth, body ? "Content-Type: application/json" : NULL, NULL};
    int64_t now = clock_now_ms() / 1000;
    json_t *claims;
    char *jwt = NULL;
    struct err err;

    err_clear(&err);
    claims = json_pack("{s:s, s:I, s:I, s:s}", "iss", provider_text(c, "appleIssuerId"), "iat", (json_int_t)now, "exp",
                       (json_int_t)(now + 1200), "aud", "appstoreconnect-v1");
    jwt_sign(JWT_ES256, provider_text(c, "applePrivateKey"), provider_text(c, "appleApiKeyId"), claims, &jwt, &err);
    json_decref(claims);
    if (!jwt) {
        provider_finish(c, VERDICT_INVALID,
                        "the private key cannot sign an App Store Connect token (it must be the .p8 P-256 key)");
        return false;
    }
    provider_header(auth, "Authorization", "Bearer ", jwt);
    provider_wipe(jwt);
    free(jwt);
    provider_request(c, method, target, headers, body, NULL);
    provider_wipe(auth);
    return true;
}

#define ASC_REFUSED "App Store Connect rejected the API key: check the key id, the issuer id and the private key"

/* The apps of the key's team with the bundle id, with a token signed by the key. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *bundle = provider_text(c, "appleBundleId");
    char target[PROVIDER_URL_MAX], enc[512];
    json_t *j, *data;

    if (!res) {
        asc_request(
            c, "GET",
            provider_url(target, api.text, "/v1/apps?filter%%5BbundleId%%5D=%s&limit=1", provider_escape(bundle, enc, sizeof enc)),
            NULL);
        return;
    }
    if (provider_failed(c, res, ASC_REFUSED, "App Store Connect answered 404 for the apps list") ||
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

/*
 * ---- the store ops (docs/stores.md): each step reads before it writes ----
 *
 * submit: the app (by bundle id), the build (by version and build number:
 * not uploaded yet or still processing ends the call VALID with
 * {"waiting": why}, and the job asks again later), the appStoreVersion of
 * the release's version (reused when it exists; one already sent for
 * review is done), whatsNew on each localization the notes name, the build
 * attached, an open reviewSubmission (reused) with the version as its item,
 * then submitted. A 409 on submitting is a blocker Apple names (an age
 * rating not answered, an SDK too old): the call ends INVALID with Apple's
 * code and detail. Output {"status", "storeVersionId", "storeSubmissionId"}.
 */
enum {
    A_APP,
    A_BUILD,
    A_VERSION,
    A_CREATE,
    A_LOCALES,
    A_WHATSNEW,
    A_ATTACH,
    A_FIND_REVIEW,
    A_REVIEW,
    A_ITEM,
    A_SUBMIT,
    A_CHECK,
    T_GROUPS, /* TestFlight (track testflight), after A_APP and A_BUILD */
    T_ADD,
    T_LOCALES,
    T_WHATSNEW,
    T_FIND_REVIEW,
    T_REVIEW,
    A_RELEASE_TYPE /* after A_VERSION, a reused version's release type made the submission's (last: job rows keep step numbers) */
};

/* Whether the submission goes to TestFlight's testers rather than the App Store. */
static bool testflight(const struct provider_call *c)
{
    const char *track = json_string_value(json_object_get(c->input, "track"));
    return track && strcmp(track, "testflight") == 0;
}

/* The first error of an App Store Connect answer, as "CODE: detail", into out. */
static const char *asc_error(const struct outbound_response *res, char *out, size_t n)
{
    json_t *j = json_loadb(res->body, res->len, 0, NULL), *e = json_array_get(json_object_get(j, "errors"), 0);
    snprintf(out, n, "%s: %s", json_string_value(json_object_get(e, "code")) ? json_string_value(json_object_get(e, "code")) : "?",
             json_string_value(json_object_get(e, "detail")) ? json_string_value(json_object_get(e, "detail")) : "no detail");
    json_decref(j);
    return out;
}

/* The n-th item of the answer's data (an array), or NULL. Borrowed from j. */
static json_t *asc_item(json_t *j, size_t n)
{
    return json_array_get(json_object_get(j, "data"), n);
}

static const char *asc_attr(json_t *item, const char *name)
{
    const char *v = json_string_value(json_object_get(json_object_get(item, "attributes"), name));
    return v ? v : "";
}

/* The appStoreStates in which Apple lets a version be edited (its release type, build, what's new) and sent for review. */
static const char *const editable_states[] = {"PREPARE_FOR_SUBMISSION", "DEVELOPER_REJECTED", "REJECTED", "METADATA_REJECTED",
                                              "INVALID_BINARY"};

/* Whether a version in this appStoreState is still to be sent for review (being prepared, or rejected). */
static bool editable(const char *state)
{
    for (size_t i = 0; i < ARRAY_LEN(editable_states); i++)
        if (strcmp(state, editable_states[i]) == 0)
            return true;
    return false;
}

/* A relationship {"data": {"type", "id"}} to put in a request. Caller owns. */
static json_t *asc_rel(const char *type, const char *id)
{
    return json_pack("{s:{s:s, s:s}}", "data", "type", type, "id", id);
}

/* The version's release type: the submission's (MANUAL, AFTER_APPROVAL, SCHEDULED), else MANUAL (released on command). */
static const char *release_type(const struct provider_call *c)
{
    const char *t = json_string_value(json_object_get(c->input, "releaseType"));
    return t ? t : "MANUAL";
}

/* The submission's earliestReleaseDate (SCHEDULED), or NULL. Borrowed from the input. */
static json_t *release_date(const struct provider_call *c)
{
    json_t *d = json_object_get(c->input, "earliestReleaseDate");
    return json_is_string(d) ? d : NULL;
}

/* Whether two RFC 3339 times are the same instant (Apple may answer another offset than the one sent); two NULLs are. */
static bool same_instant(const char *a, const char *b)
{
    int64_t x, y;
    if (!a || !b)
        return a == b;
    return clock_parse(a, &x) == 0 && clock_parse(b, &y) == 0 && x == y;
}

/* Whether the version's release type (and SCHEDULED's date) is the one the submission asks for. */
static bool release_type_matches(const struct provider_call *c, json_t *version)
{
    const char *want = release_type(c);
    if (strcmp(asc_attr(version, "releaseType"), want) != 0)
        return false;
    return strcmp(want, "SCHEDULED") != 0 ||
           same_instant(json_string_value(release_date(c)),
                        json_string_value(json_object_get(json_object_get(version, "attributes"), "earliestReleaseDate")));
}

static void asc_send_json(struct provider_call *c, const char *method, const char *target, json_t *body /* stolen */)
{
    char *text = json_dumps(body, JSON_COMPACT);
    asc_request(c, method, target, text);
    free(text);
    json_decref(body);
}

/* The steps that only read: GET /v1/<before><the state's id><after>. */
static const struct {
    int step;
    const char *before, *id, *after;
} reads[] = {
    {A_LOCALES, "appStoreVersions/", "version", "/appStoreVersionLocalizations"},
    {A_FIND_REVIEW, "reviewSubmissions?filter%5Bapp%5D=", "app", "&filter%5Bplatform%5D=IOS&filter%5Bstate%5D=READY_FOR_REVIEW"},
    {A_CHECK, "appStoreVersions/", "version", ""},
    {T_GROUPS, "betaGroups?filter%5Bapp%5D=", "app", "&limit=200"},
    {T_LOCALES, "builds/", "build", "/betaBuildLocalizations"},
    {T_FIND_REVIEW, "builds/", "build", "/betaAppReviewSubmission"},
};

/* GET the target's app, by its bundle id. */
static void asc_find_app(struct provider_call *c)
{
    char target[PROVIDER_URL_MAX], a[512];
    asc_request(c, "GET",
                provider_url(target, api.text, "/v1/apps?filter%%5BbundleId%%5D=%s&limit=1",
                             provider_escape(provider_text(c, "appleBundleId"), a, sizeof a)),
                NULL);
}

static void submit_send(struct provider_call *c)
{
    char target[PROVIDER_URL_MAX], a[512], b[512];
    const char *app = provider_data_text(c, "app"), *version = provider_data_text(c, "version");
    const char *build = provider_data_text(c, "build");
    const char *name = json_string_value(json_object_get(c->input, "releaseName"));
    json_t *locs = json_object_get(c->state.data, "locales");
    size_t at = (size_t)provider_data_int(c, "locale");

    name = name ? name : "";
    for (size_t i = 0; i < ARRAY_LEN(reads); i++)
        if (reads[i].step == c->state.step) {
            asc_request(
                c, "GET",
                provider_url(target, api.text, "/v1/%s%s%s", reads[i].before, provider_data_text(c, reads[i].id), reads[i].after),
                NULL);
            return;
        }
    switch (c->state.step) {
    case A_APP:
        asc_find_app(c);
        return;
    case A_BUILD:
        asc_request(
            c, "GET",
            provider_url(
                target, api.text,
                "/v1/builds?filter%%5Bapp%%5D=%s&filter%%5Bversion%%5D=%s&filter%%5BpreReleaseVersion.version%%5D=%s"
                "&limit=1",
                app, provider_escape(json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)), a, sizeof a),
                provider_escape(name, b, sizeof b)),
            NULL);
        return;
    case A_VERSION:
        asc_request(c, "GET",
                    provider_url(target, api.text,
                                 "/v1/apps/%s/appStoreVersions?filter%%5BversionString%%5D=%s&filter%%5Bplatform%%5D=IOS", app,
                                 provider_escape(name, a, sizeof a)),
                    NULL);
        return;
    case A_CREATE: {
        json_t *body =
            json_pack("{s:{s:s, s:{s:s, s:s, s:s}, s:{s:o}}}", "data", "type", "appStoreVersions", "attributes", "platform", "IOS",
                      "versionString", name, "releaseType", release_type(c), "relationships", "app", asc_rel("apps", app));
        if (release_date(c)) /* SCHEDULED: not released before it */
            json_object_set(json_object_get(json_object_get(body, "data"), "attributes"), "earliestReleaseDate", release_date(c));
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/appStoreVersions"), body);
        return;
    }
    case A_RELEASE_TYPE: /* the date cleared (null) unless SCHEDULED */
        asc_send_json(c, "PATCH", provider_url(target, api.text, "/v1/appStoreVersions/%s", version),
                      json_pack("{s:{s:s, s:s, s:{s:s, s:O}}}", "data", "type", "appStoreVersions", "id", version, "attributes",
                                "releaseType", release_type(c), "earliestReleaseDate",
                                release_date(c) ? release_date(c) : json_null()));
        return;
    case A_WHATSNEW:
    case T_WHATSNEW: { /* App Store "what's new", or TestFlight "what to test" */
        json_t *loc = json_array_get(locs, at);
        const char *text = json_string_value(
            json_object_get(json_object_get(c->input, "releaseNotes"), json_string_value(json_array_get(loc, 1))));
        const char *type = c->state.step == A_WHATSNEW ? "appStoreVersionLocalizations" : "betaBuildLocalizations";
        asc_send_json(c, "PATCH", provider_url(target, api.text, "/v1/%s/%s", type, json_string_value(json_array_get(loc, 0))),
                      json_pack("{s:{s:s, s:O, s:{s:s}}}", "data", "type", type, "id", json_array_get(loc, 0), "attributes",
                                "whatsNew", text ? text : ""));
        return;
    }
    case A_ATTACH:
        asc_send_json(c, "PATCH", provider_url(target, api.text, "/v1/appStoreVersions/%s/relationships/build", version),
                      json_pack("{s:{s:s, s:s}}", "data", "type", "builds", "id", provider_data_text(c, "build")));
        return;
    case A_REVIEW:
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/reviewSubmissions"),
                      json_pack("{s:{s:s, s:{s:s}, s:{s:o}}}", "data", "type", "reviewSubmissions", "attributes", "platform", "IOS",
                                "relationships", "app", asc_rel("apps", app)));
        return;
    case A_ITEM:
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/reviewSubmissionItems"),
                      json_pack("{s:{s:s, s:{s:o, s:o}}}", "data", "type", "reviewSubmissionItems", "relationships",
                                "reviewSubmission", asc_rel("reviewSubmissions", provider_data_text(c, "review")),
                                "appStoreVersion", asc_rel("appStoreVersions", version)));
        return;
    case T_ADD: {
        json_t *ids = json_array(), *id;
        size_t i;
        json_array_foreach(json_object_get(c->state.data, "groups"), i, id)
            json_array_append_new(ids, json_pack("{s:s, s:O}", "type", "betaGroups", "id", id));
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/builds/%s/relationships/betaGroups", build),
                      json_pack("{s:o}", "data", ids));
        return;
    }
    case T_REVIEW:
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/betaAppReviewSubmissions"),
                      json_pack("{s:{s:s, s:{s:o}}}", "data", "type", "betaAppReviewSubmissions", "relationships", "build",
                                asc_rel("builds", build)));
        return;
    default:
        asc_send_json(c, "PATCH", provider_url(target, api.text, "/v1/reviewSubmissions/%s", provider_data_text(c, "review")),
                      json_pack("{s:{s:s, s:s, s:{s:b}}}", "data", "type", "reviewSubmissions", "id",
                                provider_data_text(c, "review"), "attributes", "submitted", 1));
        return;
    }
}

static void submit_done(struct provider_call *c, const char *status)
{
    json_object_set_new(c->output, "status", json_string(status));
    json_object_set(c->output, "storeVersionId", json_object_get(c->state.data, testflight(c) ? "build" : "version"));
    json_object_set(c->output, "storeSubmissionId", json_object_get(c->state.data, "review"));
    provider_finish(c, VERDICT_VALID, "version %s is %s", json_string_value(json_object_get(c->input, "releaseName")), status);
}

/*
 * The next localization to give whatsNew (A_WHATSNEW, T_WHATSNEW), else
 * what follows: the build's attachment (App Store), TestFlight's beta
 * review (a build an external group tests), or the end (internal groups
 * only: the testers have it, APPROVED).
 */
static void next_locale(struct provider_call *c)
{
    json_int_t at = provider_data_int(c, "locale");
    bool tf = c->state.step >= T_GROUPS;

    if (at < (json_int_t)json_array_size(json_object_get(c->state.data, "locales")))
        provider_next(c, tf ? T_WHATSNEW : A_WHATSNEW);
    else if (!tf)
        provider_next(c, A_ATTACH);
    else if (provider_data_int(c, "external"))
        provider_next(c, T_FIND_REVIEW);
    else
        submit_done(c, "APPROVED");
}

/* The beta groups the submission's testers name (all must exist), into data "groups" (ids) and "external". */
static void beta_groups(struct provider_call *c, json_t *j)
{
    json_t *names = json_object_get(json_object_get(c->input, "testers"), "groups"), *name, *item, *ids = json_array();
    bool external = false;
    size_t i, k;

    json_array_foreach(names, i, name)
    {
        json_t *found = NULL;
        json_array_foreach(json_object_get(j, "data"), k, item)
        {
            if (!found && strcmp(asc_attr(item, "name"), json_string_value(name)) == 0)
                found = item;
        }
        if (!found) {
            json_decref(ids);
            provider_finish(c, VERDICT_INVALID, "TestFlight has no beta group named %s for this app", json_string_value(name));
            return;
        }
        json_array_append(ids, json_object_get(found, "id"));
        external = external || !json_is_true(json_object_get(json_object_get(found, "attributes"), "isInternalGroup"));
    }
    if (json_array_size(ids) == 0) {
        json_decref(ids);
        provider_finish(c, VERDICT_INVALID, "a TestFlight submission needs the beta groups to add the build to (testers.groups)");
        return;
    }
    json_object_set_new(c->state.data, "groups", ids);
    json_object_set_new(c->state.data, "external", json_integer(external));
    provider_next(c, T_ADD);
}

/*
 * The appStoreVersion of the release's version, found (item) or not: made
 * when none (A_CREATE); reused as it is when its release type is the
 * submission's (one sent for review already was sent by an earlier run whose
 * answer was lost: done); its release type changed first (A_RELEASE_TYPE)
 * while Apple lets it be edited; refused, naming its state, when not.
 */
static void version_found(struct provider_call *c, json_t *item)
{
    const char *state = asc_attr(item, "appStoreState");
    bool same = item && release_type_matches(c, item);

    if (!item) {
        provider_next(c, A_CREATE);
        return;
    }
    json_object_set(c->state.data, "version", json_object_get(item, "id"));
    if (editable(state))
        provider_next(c, same ? A_LOCALES : A_RELEASE_TYPE);
    else if (same)
        submit_done(c, state);
    else
        provider_finish(c, VERDICT_INVALID,
                        "version %s is %s on App Store Connect: its release type (%s) cannot be changed to %s in that state",
                        json_string_value(json_object_get(c->input, "releaseName")), state, asc_attr(item, "releaseType"),
                        release_type(c));
}

static void submit_read(struct provider_call *c, const struct outbound_response *res)
{
    char why[400];
    json_t *j = NULL, *item, *v;
    const char *state;
    size_t i;

    if (c->state.step == A_SUBMIT && res->status == 409) { /* a blocker, or submitted by a run whose answer was lost */
        json_object_set_new(c->state.data, "blocker", json_string(asc_error(res, why, sizeof why)));
        provider_next(c, A_CHECK);
        return;
    }
    if (c->state.step == A_RELEASE_TYPE && res->status == 409) { /* Apple refused the change (the version moved on) */
        json_object_set_new(c->output, "cause", json_string(asc_error(res, why, sizeof why)));
        provider_finish(c, VERDICT_INVALID, "App Store Connect refused to change the release type of version %s to %s",
                        json_string_value(json_object_get(c->input, "releaseName")), release_type(c));
        return;
    }
    if (c->state.step == A_ITEM && res->status == 409) { /* the version is an item of it already */
        provider_next(c, A_SUBMIT);
        return;
    }
    if ((c->state.step == A_CREATE || c->state.step == A_REVIEW || c->state.step == T_REVIEW) && res->status == 409 &&
        !json_is_true(json_object_get(c->state.data, "looked"))) { /* made by a run whose answer was lost: find it */
        json_object_set_new(c->state.data, "looked", json_true());
        provider_next(c, c->state.step == A_CREATE ? A_VERSION : c->state.step == A_REVIEW ? A_FIND_REVIEW : T_FIND_REVIEW);
        return;
    }
    if (c->state.step == T_FIND_REVIEW && res->status == 404) { /* none yet */
        provider_next(c, T_REVIEW);
        return;
    }
    if (provider_failed(c, res, ASC_REFUSED, "App Store Connect answered 404: the app, build or version is not there"))
        return;
    if (res->status != 204 && !(j = provider_answer_json(c, res)))
        return;
    item = asc_item(j, 0);
    switch (c->state.step) {
    case A_APP:
        if (!item) {
            provider_finish(c, VERDICT_INVALID, "bundle id %s not found in this App Store Connect team",
                            provider_text(c, "appleBundleId"));
            break;
        }
        json_object_set(c->state.data, "app", json_object_get(item, "id"));
        provider_next(c, A_BUILD);
        break;
    case A_BUILD:
        state = asc_attr(item, "processingState");
        if (!item || strcmp(state, "PROCESSING") == 0) {
            json_object_set_new(c->output, "waiting",
                                json_string(item ? "the build is processing" : "the build is not uploaded yet"));
            provider_finish(c, VERDICT_VALID, "build %s of version %s: %s",
                            json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)),
                            json_string_value(json_object_get(c->input, "releaseName")), item ? "processing" : "not uploaded yet");
        } else if (strcmp(state, "VALID") != 0) {
            provider_finish(c, VERDICT_INVALID, "the build's processing ended %s: upload another build", state);
        } else {
            json_object_set(c->state.data, "build", json_object_get(item, "id"));
            provider_next(c, testflight(c) ? T_GROUPS : A_VERSION);
        }
        break;
    case A_VERSION:
        version_found(c, item);
        break;
    case A_RELEASE_TYPE:
        provider_next(c, A_LOCALES);
        break;
    case A_CREATE:
        json_object_set(c->state.data, "version", json_object_get(json_object_get(j, "data"), "id"));
        provider_next(c, A_LOCALES);
        break;
    case A_LOCALES:
    case T_LOCALES:
        v = json_array();
        json_array_foreach(json_object_get(j, "data"), i, item)
        {
            if (json_object_get(json_object_get(c->input, "releaseNotes"), asc_attr(item, "locale")))
                json_array_append_new(v, json_pack("[O, s]", json_object_get(item, "id"), asc_attr(item, "locale")));
        }
        json_object_set_new(c->state.data, "locales", v);
        json_object_set_new(c->state.data, "locale", json_integer(0));
        next_locale(c);
        break;
    case A_WHATSNEW:
    case T_WHATSNEW:
        json_object_set_new(c->state.data, "locale", json_integer(provider_data_int(c, "locale") + 1));
        next_locale(c);
        break;
    case A_ATTACH:
        provider_next(c, A_FIND_REVIEW);
        break;
    case A_FIND_REVIEW:
        if (item)
            json_object_set(c->state.data, "review", json_object_get(item, "id"));
        provider_next(c, item ? A_ITEM : A_REVIEW);
        break;
    case A_REVIEW:
        json_object_set(c->state.data, "review", json_object_get(json_object_get(j, "data"), "id"));
        provider_next(c, A_ITEM);
        break;
    case A_ITEM:
        provider_next(c, A_SUBMIT);
        break;
    case T_GROUPS:
        beta_groups(c, j);
        break;
    case T_ADD:
        provider_next(c, T_LOCALES);
        break;
    case T_FIND_REVIEW:
    case T_REVIEW:
        item = json_object_get(j, "data");
        if (!json_is_object(item)) {
            provider_next(c, T_REVIEW);
            break;
        }
        json_object_set(c->state.data, "review", json_object_get(item, "id"));
        submit_done(c, asc_attr(item, "betaReviewState"));
        break;
    case A_CHECK:
        state = asc_attr(json_object_get(j, "data"), "appStoreState");
        if (!editable(state)) {
            submit_done(c, state); /* it went through */
        } else {                   /* a blocker: Apple says what */
            json_object_set(c->output, "cause", json_object_get(c->state.data, "blocker"));
            provider_finish(c, VERDICT_INVALID, "App Store Connect refused to submit version %s for review (%s)",
                            json_string_value(json_object_get(c->input, "releaseName")), provider_data_text(c, "blocker"));
        }
        break;
    default:
        submit_done(c, "WAITING_FOR_REVIEW");
        break;
    }
    json_decref(j);
}

static void asc_submit(struct provider_call *c, const struct outbound_response *res)
{
    if (!res)
        submit_send(c);
    else
        submit_read(c, res);
}

static void asc_phase(struct provider_call *c, const struct outbound_response *res, const char *want, bool resume);

/*
 * The review's state: input {"storeVersionId"} (TestFlight: the build); output {"state": appStoreState or
 * betaReviewState}. A submission ROLLING_OUT (input "status") is a phased release followed instead: read only, output
 * as its actions' ({"status", "fraction", "phasedDay", "phasedState"}), so its share moves with Apple's day.
 */
static void asc_status(struct provider_call *c, const struct outbound_response *res)
{
    char target[PROVIDER_URL_MAX], enc[300];
    const char *id = json_string_value(json_object_get(c->input, "storeVersionId"));
    const char *status = json_string_value(json_object_get(c->input, "status"));
    json_t *j;

    if (!testflight(c) && status && strcmp(status, "ROLLING_OUT") == 0) {
        asc_phase(c, res, "READ", false);
        return;
    }
    if (!res) {
        asc_request(c, "GET",
                    provider_url(target, api.text,
                                 testflight(c) ? "/v1/builds/%s/betaAppReviewSubmission" : "/v1/appStoreVersions/%s",
                                 provider_escape(id ? id : "", enc, sizeof enc)),
                    NULL);
        return;
    }
    if (provider_failed(c, res, ASC_REFUSED, "the appStoreVersion or build is gone from App Store Connect") ||
        !(j = provider_answer_json(c, res)))
        return;
    json_object_set_new(c->output, "state",
                        json_string(asc_attr(json_object_get(j, "data"), testflight(c) ? "betaReviewState" : "appStoreState")));
    json_decref(j);
    if (strstr(json_string_value(json_object_get(c->output, "state")), "REJECTED"))
        provider_finish(c, VERDICT_VALID,
                        "App Review rejected version %s (%s): Apple gives its reasons in App Store Connect's Resolution Center",
                        json_string_value(json_object_get(c->input, "releaseName")),
                        json_string_value(json_object_get(c->output, "state")));
    else
        provider_finish(c, VERDICT_VALID, "the version is %s", json_string_value(json_object_get(c->output, "state")));
}

/*
 * ---- the phased release (appStoreVersionPhasedReleases): rollout, halt, resume, complete ----
 *
 * One machine for the four actions, each wanting a phased release state
 * (rollout and resume ACTIVE, halt PAUSED, complete COMPLETE; READ: the
 * follow's read, asc_status, which writes nothing). Each round
 * reads the version and its phased release, then does the one write that
 * moves toward the wanted state: makes the phased release (rollout, a
 * version pending developer release without one), releases the version
 * (rollout and complete: pending developer release), or PATCHes the
 * phased release's state; then reads again. So a run killed after any
 * write, run again, finds it made and never makes it twice. Output
 * {"status": inProgress, halted or completed, "fraction", "phasedDay",
 * "phasedState"}. A version released to everyone without a phased
 * release (or one completed) cannot be halted or resumed: Apple has no
 * such move, and the call says so.
 */
enum { P_VERSION, P_PHASED, P_CREATE, P_RELEASE, P_PATCH };

#define PHASE_ROUNDS 4 /* writes one action may need (make, release, patch) and one to spare */

/* The share of users on a phased release's day (Apple's fixed schedule: 1, 2, 5, 10, 20, 50, 100 %). */
static double phased_fraction(json_int_t day)
{
    static const double share[] = {0.01, 0.01, 0.02, 0.05, 0.10, 0.20, 0.50, 1.0};
    return share[day < 0 ? 0 : day > 7 ? 7 : day];
}

static void phase_done(struct provider_call *c, const char *state, json_int_t day)
{
    bool complete = strcmp(state, "COMPLETE") == 0 || strcmp(state, "NONE") == 0;
    json_object_set_new(c->output, "status",
                        json_string(complete                       ? "completed"
                                    : strcmp(state, "PAUSED") == 0 ? "halted"
                                                                   : "inProgress"));
    json_object_set_new(c->output, "fraction", json_real(complete ? 1.0 : phased_fraction(day)));
    json_object_set_new(c->output, "phasedState", json_string(state));
    json_object_set_new(c->output, "phasedDay", json_integer(day));
    if (complete)
        provider_finish(c, VERDICT_VALID, "the version is released to every user");
    else
        provider_finish(c, VERDICT_VALID, "the phased release is %s, day %d (%g%% of users)", state, (int)day,
                        phased_fraction(day) * 100.0);
}

static void phase_send(struct provider_call *c)
{
    char target[PROVIDER_URL_MAX], enc[300];
    const char *id = json_string_value(json_object_get(c->input, "storeVersionId"));

    provider_escape(id ? id : "", enc, sizeof enc);
    switch (c->state.step) {
    case P_VERSION:
        asc_request(c, "GET", provider_url(target, api.text, "/v1/appStoreVersions/%s", enc), NULL);
        return;
    case P_PHASED:
        asc_request(c, "GET", provider_url(target, api.text, "/v1/appStoreVersions/%s/appStoreVersionPhasedRelease", enc), NULL);
        return;
    case P_CREATE:
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/appStoreVersionPhasedReleases"),
                      json_pack("{s:{s:s, s:{s:s}, s:{s:o}}}", "data", "type", "appStoreVersionPhasedReleases", "attributes",
                                "phasedReleaseState", "ACTIVE", "relationships", "appStoreVersion",
                                asc_rel("appStoreVersions", id ? id : "")));
        return;
    case P_RELEASE:
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/appStoreVersionReleaseRequests"),
                      json_pack("{s:{s:s, s:{s:o}}}", "data", "type", "appStoreVersionReleaseRequests", "relationships",
                                "appStoreVersion", asc_rel("appStoreVersions", id ? id : "")));
        return;
    default:
        asc_send_json(
            c, "PATCH", provider_url(target, api.text, "/v1/appStoreVersionPhasedReleases/%s", provider_data_text(c, "phased")),
            json_pack("{s:{s:s, s:s, s:{s:s}}}", "data", "type", "appStoreVersionPhasedReleases", "id",
                      provider_data_text(c, "phased"), "attributes", "phasedReleaseState", provider_data_text(c, "want")));
        return;
    }
}

/* The version (vstate) and its phased release (item, or NULL) read: done, refused, or the next write. */
static void phase_decide(struct provider_call *c, json_t *item)
{
    const char *want = provider_data_text(c, "want"), *vstate = provider_data_text(c, "vstate");
    const char *state = item ? asc_attr(item, "phasedReleaseState") : "NONE";
    json_int_t day = json_integer_value(json_object_get(json_object_get(item, "attributes"), "currentDayNumber"));
    bool pending = strcmp(vstate, "PENDING_DEVELOPER_RELEASE") == 0, live = strcmp(vstate, "READY_FOR_SALE") == 0;

    if (item)
        json_object_set(c->state.data, "phased", json_object_get(item, "id"));
    if (strcmp(want, "READ") == 0) { /* a phased release followed: no write */
        if (live)
            phase_done(c, state, day);
        else
            provider_finish(c, VERDICT_INVALID, "the version is %s: its phased release is not followed any more", vstate);
        return;
    }
    if (live && (strcmp(state, want) == 0 || strcmp(state, "COMPLETE") == 0 || strcmp(state, "NONE") == 0)) {
        if (strcmp(state, want) == 0 || strcmp(want, "COMPLETE") == 0)
            phase_done(c, state, day);
        else
            provider_finish(c, VERDICT_INVALID,
                            "version %s is released to every user: App Store Connect cannot %s it (only a phased release "
                            "that is still running can be paused or resumed)",
                            json_string_value(json_object_get(c->input, "releaseName")),
                            strcmp(want, "PAUSED") == 0 ? "halt" : "resume");
    } else if (!live && (!pending || strcmp(want, "PAUSED") == 0 || provider_data_int(c, "resume"))) {
        provider_finish(c, VERDICT_INVALID, "the version is %s: only a released version's phased release can be %s", vstate,
                        strcmp(want, "PAUSED") == 0 ? "paused" : "resumed");
    } else if (provider_data_int(c, "rounds") >= PHASE_ROUNDS) {
        provider_finish(c, VERDICT_INVALID, "the phased release did not reach %s: it is %s", want, state);
    } else {
        provider_next(c, live ? P_PATCH : !item && strcmp(want, "ACTIVE") == 0 ? P_CREATE : P_RELEASE);
    }
}

static void phase_read(struct provider_call *c, const struct outbound_response *res)
{
    char why[400];
    json_t *j = NULL;

    if ((c->state.step == P_CREATE || c->state.step == P_PATCH || c->state.step == P_RELEASE) && res->status == 409) {
        if (provider_data_int(c, "refused") == c->state.step) { /* this write refused again after reading: Apple's reason */
            json_object_set_new(c->output, "cause", json_string(asc_error(res, why, sizeof why)));
            provider_finish(c, VERDICT_INVALID, "App Store Connect refused to move the phased release to %s",
                            provider_data_text(c, "want"));
            return;
        }
        json_object_set_new(c->state.data, "refused", json_integer(c->state.step)); /* done by a run whose answer was lost? */
        provider_next(c, P_VERSION);
        return;
    }
    if (c->state.step == P_PHASED && res->status == 404) { /* none yet: Apple answers 404 for an empty to-one */
        phase_decide(c, NULL);
        return;
    }
    if (provider_failed(c, res, ASC_REFUSED, "the appStoreVersion is gone from App Store Connect"))
        return;
    if (c->state.step != P_VERSION && c->state.step != P_PHASED) {
        json_object_set_new(c->state.data, "rounds", json_integer(provider_data_int(c, "rounds") + 1));
        provider_next(c, P_VERSION); /* read what the write did */
        return;
    }
    if (!(j = provider_answer_json(c, res)))
        return;
    if (c->state.step == P_VERSION) {
        json_object_set_new(c->state.data, "vstate", json_string(asc_attr(json_object_get(j, "data"), "appStoreState")));
        provider_next(c, P_PHASED);
    } else {
        phase_decide(c, json_is_object(json_object_get(j, "data")) ? json_object_get(j, "data") : NULL);
    }
    json_decref(j);
}

/* The op of an action: want is the phased release state it asks for. */
static void asc_phase(struct provider_call *c, const struct outbound_response *res, const char *want, bool resume)
{
    if (!res) {
        if (c->state.step == P_VERSION) {
            json_object_set_new(c->state.data, "want", json_string(want));
            json_object_set_new(c->state.data, "resume", json_integer(resume));
        }
        phase_send(c);
    } else {
        phase_read(c, res);
    }
}

static void asc_rollout(struct provider_call *c, const struct outbound_response *res)
{
    asc_phase(c, res, "ACTIVE", false);
}

static void asc_halt(struct provider_call *c, const struct outbound_response *res)
{
    asc_phase(c, res, "PAUSED", false);
}

static void asc_resume(struct provider_call *c, const struct outbound_response *res)
{
    asc_phase(c, res, "ACTIVE", true);
}

static void asc_complete(struct provider_call *c, const struct outbound_response *res)
{
    asc_phase(c, res, "COMPLETE", false);
}

/*
 * ---- the target's webhook registered with Apple (API 4.0: POST, PATCH, DELETE /v1/webhooks) ----
 * The app (by bundle id), its webhooks (GET /v1/apps/{id}/webhooks), then: register, the one of the same id or URL
 * updated (PATCH /v1/webhooks/{id}: url, secret, events, enabled), else one made (POST /v1/webhooks with the app
 * relationship); delete, that one deleted (404: gone already; with the id slipway keeps, DELETE /v1/webhooks/{id} at
 * once, no listing). The POST goes out from the list's own step (provider_next
 * is never called for it), so a call resumed after a crash lists again before it makes one: a webhook made by a run whose
 * answer was lost is found by its URL and updated, never made twice.
 */
enum { W_APP, W_LIST, W_UPDATE, W_DELETE };

/* A text of the input ("" when absent). */
static const char *hook_input(const struct provider_call *c, const char *name)
{
    const char *v = json_string_value(json_object_get(c->input, name));
    return v ? v : "";
}

/* The events slipway acts on: a version's review (API 4.0), a build processed (4.1) and a build's external TestFlight
 * state, its beta review (4.0). */
static json_t *hook_attributes(const struct provider_call *c)
{
    return json_pack("{s:s, s:s, s:s, s:[s, s, s], s:b}", "name", "slipway", "url", hook_input(c, "url"), "secret",
                     provider_text(c, "webhookSecret"), "eventTypes", "APP_STORE_VERSION_APP_VERSION_STATE_UPDATED",
                     "BUILD_UPLOAD_STATE_UPDATED", "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED", "enabled", 1);
}

static void hook_send(struct provider_call *c)
{
    char target[PROVIDER_URL_MAX], a[512];
    const char *id = provider_data_text(c, "hook");

    switch (c->state.step) {
    case W_APP:
        if (provider_input_true(c, "delete") && hook_input(c, "webhookId")[0]) { /* the id slipway keeps: deleted by it */
            json_object_set_new(c->state.data, "hook", json_string(hook_input(c, "webhookId")));
            provider_next(c, W_DELETE);
            return;
        }
        asc_find_app(c);
        return;
    case W_LIST:
        asc_request(c, "GET", provider_url(target, api.text, "/v1/apps/%s/webhooks?limit=200", provider_data_text(c, "app")), NULL);
        return;
    case W_UPDATE:
        asc_send_json(c, "PATCH", provider_url(target, api.text, "/v1/webhooks/%s", provider_escape(id, a, sizeof a)),
                      json_pack("{s:{s:s, s:s, s:o}}", "data", "type", "webhooks", "id", id, "attributes", hook_attributes(c)));
        return;
    case W_DELETE:
        asc_request(c, "DELETE", provider_url(target, api.text, "/v1/webhooks/%s", provider_escape(id, a, sizeof a)), NULL);
        return;
    }
    provider_finish(c, VERDICT_INVALID, "no such step of the webhook's registration");
}

/* The app's webhooks read: the one of the id slipway keeps, else of its URL, is updated or deleted; none, one is made. */
static void hook_listed(struct provider_call *c, json_t *j)
{
    const char *known = hook_input(c, "webhookId"), *url = hook_input(c, "url");
    json_t *item, *same = NULL;
    size_t i;
    char target[PROVIDER_URL_MAX];

    json_array_foreach(json_object_get(j, "data"), i, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));
        if (id && known[0] && strcmp(id, known) == 0) {
            same = item;
            break;
        }
        if (!same && strcmp(asc_attr(item, "url"), url) == 0)
            same = item;
    }
    if (same) {
        json_object_set(c->state.data, "hook", json_object_get(same, "id"));
        provider_next(c, provider_input_true(c, "delete") ? W_DELETE : W_UPDATE);
    } else if (provider_input_true(c, "delete")) {
        provider_finish(c, VERDICT_VALID, "App Store Connect has no such webhook: nothing to delete");
    } else {
        json_object_set_new(c->state.data, "creating", json_true()); /* not saved: a resumed call lists again */
        asc_send_json(c, "POST", provider_url(target, api.text, "/v1/webhooks"),
                      json_pack("{s:{s:s, s:o, s:{s:o}}}", "data", "type", "webhooks", "attributes", hook_attributes(c),
                                "relationships", "app", asc_rel("apps", provider_data_text(c, "app"))));
    }
}

static void asc_store_webhook(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j = NULL, *item;

    if (!res) {
        hook_send(c);
        return;
    }
    if (c->state.step == W_DELETE && res->status == 404) {
        provider_finish(c, VERDICT_VALID, "the webhook was gone from App Store Connect already");
        return;
    }
    if (provider_failed(c, res, ASC_REFUSED, "App Store Connect answered 404: the app or the webhook is not there") ||
        (res->status != 204 && !(j = provider_answer_json(c, res))))
        return;
    item = json_object_get(j, "data");
    if (c->state.step == W_APP) {
        if (!(item = asc_item(j, 0)))
            provider_finish(c, VERDICT_INVALID, "bundle id %s not found in this App Store Connect team",
                            provider_text(c, "appleBundleId"));
        else {
            json_object_set(c->state.data, "app", json_object_get(item, "id"));
            provider_next(c, W_LIST);
        }
    } else if (c->state.step == W_LIST && !json_is_true(json_object_get(c->state.data, "creating"))) {
        hook_listed(c, j);
    } else if (c->state.step == W_DELETE) {
        provider_finish(c, VERDICT_VALID, "the webhook is deleted from App Store Connect");
    } else if (!json_is_string(json_object_get(item, "id"))) {
        provider_finish(c, VERDICT_NONE, "App Store Connect answered without the webhook's id");
    } else {
        json_object_set(c->output, "webhookId", json_object_get(item, "id"));
        provider_finish(c, VERDICT_VALID, "the webhook is %s App Store Connect",
                        c->state.step == W_UPDATE ? "updated in" : "registered with");
    }
    json_decref(j);
}

/*
 * ---- webhooks (App Store Connect API 4.0 and 4.1) ----
 * slipway registers the hook's URL and secret with POST /v1/webhooks (asc_store_webhook above; Apple's secret is the
 * developer's choice, here the one slipway made for the integration). Apple signs each delivery: x-apple-signature "hmacsha256="
 * and the hex HMAC-SHA256 of the raw body under that secret ("Configuring and parsing App Store Connect API webhook
 * notifications"). The body is {"data": {"type", "id" (the delivery), "attributes": {"oldValue", "newValue",
 * "timestamp"}, "relationships": {"instance": {"data": {"type", "id"}}}}}. The body's timestamp is when the state
 * changed, not when it was sent (Apple retries): no replay window, a delivery id seen before is a duplicate.
 * Used: appStoreVersionAppVersionStateUpdated (a version's review), buildUploadStateUpdated (a build processed) and
 * buildBetaDetailExternalBuildStateUpdated (a build's external TestFlight state: its beta review): EVENT_STORE, runId
 * the version, build upload or build beta detail; the submission's job reads the store again at once.
 */
static bool asc_store_event(const struct jsonpick_value *type)
{
    static const char *const types[] = {"appStoreVersionAppVersionStateUpdated", "buildUploadStateUpdated",
                                        "buildBetaDetailExternalBuildStateUpdated"};
    for (size_t i = 0; i < ARRAY_LEN(types); i++)
        if (jsonpick_is(type, types[i]))
            return true;
    return false;
}

static bool asc_webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_ok(in, "x-apple-signature", "hmacsha256=");
}

/* What a notification's parse reads of its body (inbound_pick). */
enum { N_ID, N_TYPE, N_INSTANCE };
static const char *const notification_fields[] = {
    [N_ID] = "data.id", [N_TYPE] = "data.type", [N_INSTANCE] = "data.relationships.instance.data.id"};

static enum err_code asc_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    struct jsonpick_value v[ARRAY_LEN(notification_fields)];
    json_t *tree;

    memset(ev, 0, sizeof *ev);
    if (inbound_pick(in, notification_fields, ARRAY_LEN(notification_fields), v, &tree, err))
        return err->code;
    if (inbound_copy(ev->delivery, sizeof ev->delivery, &v[N_ID], "delivery id", err) == ERR_OK) {
        if (!ev->delivery[0])
            err_set(err, ERR_INVALID, "an App Store Connect notification names itself in data.id");
        else if (v[N_TYPE].type != JSONPICK_STRING)
            err_set(err, ERR_INVALID, "an App Store Connect notification names its kind in data.type");
        else if (asc_store_event(&v[N_TYPE])) {
            ev->kind = EVENT_STORE;
            if (inbound_copy(ev->run_id, sizeof ev->run_id, &v[N_INSTANCE], "instance id", err) == ERR_OK && !ev->run_id[0])
                err_set(err, ERR_INVALID, "an App Store Connect state change names its resource in relationships.instance");
        }
    }
    json_decref(tree);
    return err->code;
}

static const struct provider_ops ops = {.verify = verify,
                                        .store_submit = asc_submit,
                                        .store_set_rollout = asc_rollout,
                                        .store_halt = asc_halt,
                                        .store_resume = asc_resume,
                                        .store_complete = asc_complete,
                                        .store_status = asc_status,
                                        .webhook_check = asc_webhook_check,
                                        .webhook_parse = asc_webhook_parse,
                                        .store_webhook = asc_store_webhook};

struct provider app_store_provider = {
    .type = "APP_STORE",
    .kind = "appstore",
    .display = "App Store Connect",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &timeout,
    .store_platform = "IOS",
    .store_features = STORE_RELEASE_TYPES | STORE_OWN_SCHEDULE,
    .store_track = "appStore",
    .caps = CAP_VERIFY | CAP_STORE_SUBMIT | CAP_STORE_SET_ROLLOUT | CAP_STORE_HALT | CAP_STORE_RESUME | CAP_STORE_COMPLETE |
            CAP_STORE_STATUS | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE | CAP_STORE_WEBHOOK,
    .ops = &ops,
};
