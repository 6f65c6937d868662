/* firebase.c: Firebase App Distribution (the Firebase Management API). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/targets/google.h"

static struct provider_setting api = {.env = "SLIPWAY_FIREBASE_API_URL",
                                      .def = "https://firebase.googleapis.com",
                                      .help = "the Firebase Management API",
                                      .kind = SETTING_TEXT};
static struct provider_setting dist = {.env = "SLIPWAY_FIREBASE_DISTRIBUTION_URL",
                                       .def = "https://firebaseappdistribution.googleapis.com",
                                       .help = "the Firebase App Distribution API",
                                       .kind = SETTING_TEXT};
static struct provider_setting *const settings[] = {&google_token_url, &dist, NULL};

static const char *check_project(json_t *j)
{
    const char *v = json_string_value(j);
    return fields_all_chars(v, "-", true, false, true) ? NULL : "must be a Firebase project id: lower-case letters, digits and -";
}

static const char *check_app(json_t *j)
{
    static const char *const kinds[] = {"android:", "ios:", "web:"};
    const char *v = json_string_value(j), *p = v + 2;
    if (strncmp(v, "1:", 2) != 0 || !(*p >= '0' && *p <= '9'))
        return "must be a Firebase app id, e.g. 1:1234567890:android:0a1b2c3d";
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p++ != ':')
        return "must be a Firebase app id, e.g. 1:1234567890:android:0a1b2c3d";
    for (size_t i = 0; i < ARRAY_LEN(kinds); i++)
        if (strncmp(p, kinds[i], strlen(kinds[i])) == 0 && p[strlen(kinds[i])] &&
            fields_all_chars(p + strlen(kinds[i]), "abcdef", false, false, true))
            return NULL;
    return "must be a Firebase app id, e.g. 1:1234567890:android:0a1b2c3d";
}

static const struct field fields[] = {
    STR("firebaseProjectId", true, 6, 30, .check = check_project, .format = "firebase project id"),
    FMT("firebaseAppId", true, 255, check_app, "firebase app id"),
    GOOGLE_ACCOUNT_FIELDS,
};

enum { TOKEN, APP };

/* The grant, then the app in the project. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *project = provider_text(c, "firebaseProjectId"), *app = provider_text(c, "firebaseAppId");
    const char *kind = strstr(app, ":ios:") ? "iosApps" : strstr(app, ":web:") ? "webApps" : "androidApps";
    char target[PROVIDER_URL_MAX], a[256], b[512], msg[600];

    if (!res) {
        if (c->state.step == TOKEN)
            google_token(c, "https://www.googleapis.com/auth/firebase");
        else
            google_call(c, "GET",
                        provider_url(target, api.text, "/v1beta1/projects/%s/%s/%s", provider_escape(project, a, sizeof a), kind,
                                     provider_escape(app, b, sizeof b)),
                        NULL);
        return;
    }
    if (c->state.step == TOKEN) {
        if (google_granted(c, res))
            provider_next(c, APP);
        return;
    }
    snprintf(msg, sizeof msg, "app %s not found in Firebase project %s, or the service account cannot see it", app, project);
    if (!provider_failed(c, res, "Firebase refused the service account: give it a Firebase role in the project", msg))
        provider_finish(c, VERDICT_VALID, "Firebase accepts the service account, and project %s has the app", project);
}

/*
 * ---- distribute (docs/stores.md): the App Distribution API v1 ----
 *
 * The release of the build (uploaded by CI: `releases` listed with
 * filter buildVersion; none yet ends the call VALID with {"waiting"}, the
 * job asks again later), its release notes PATCHed (the first language
 * the notes name: App Distribution keeps one text), then `:distribute`
 * to the testers' groups (aliases) and e-mails, which Google applies as a
 * set (asked again, no tester is added twice). Output {"status":
 * "completed", "storeVersionId": the release's name}.
 */
enum { F_TOKEN, F_FIND, F_NOTES, F_DISTRIBUTE };

/* The release notes' first text, or NULL. */
static const char *first_note(const struct provider_call *c)
{
    void *it = json_object_iter(json_object_get(c->input, "releaseNotes"));
    return it ? json_string_value(json_object_iter_value(it)) : NULL;
}

static void distribute_send(struct provider_call *c)
{
    const char *app = provider_text(c, "firebaseAppId"), *release = provider_data_text(c, "release");
    const char *build = json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0));
    json_t *testers = json_object_get(c->input, "testers"), *body, *emails, *groups;
    char target[PROVIDER_URL_MAX], number[32], filter[300], b[400];
    char *text;

    switch (c->state.step) {
    case F_TOKEN:
        google_token(c, "https://www.googleapis.com/auth/cloud-platform");
        return;
    case F_FIND: /* the app id is 1:<project number>:<platform>:<hash>: App Distribution names projects by number */
        snprintf(number, sizeof number, "%.*s", (int)strcspn(app + 2, ":"), app + 2);
        snprintf(filter, sizeof filter, "buildVersion=\"%s\"", build ? build : "");
        google_call(c, "GET",
                    provider_url(target, dist.text, "/v1/projects/%s/apps/%s/releases?filter=%s&pageSize=1", number, app,
                                 provider_escape(filter, b, sizeof b)),
                    NULL);
        return;
    case F_NOTES:
        body = json_pack("{s:s, s:{s:s}}", "name", release, "releaseNotes", "text", first_note(c));
        break;
    default:
        emails = json_object_get(testers, "emails");
        groups = json_object_get(testers, "groups");
        body = json_pack("{s:o, s:o}", "testerEmails", emails ? json_incref(emails) : json_array(), "groupAliases",
                         groups ? json_incref(groups) : json_array());
        break;
    }
    text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (c->state.step == F_NOTES)
        google_call(c, "PATCH", provider_url(target, dist.text, "/v1/%s?updateMask=release_notes.text", release), text);
    else
        google_call(c, "POST", provider_url(target, dist.text, "/v1/%s:distribute", release), text);
    free(text);
}

static void distribute_read(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j, *item;

    if (c->state.step == F_TOKEN) {
        if (google_granted(c, res))
            provider_next(c, F_FIND);
        return;
    }
    if (provider_failed(c, res, "App Distribution refused the service account: give it the Firebase App Distribution Admin role",
                        "the Firebase app is not there, or the service account cannot see it"))
        return;
    if (c->state.step == F_FIND) {
        if (!(j = provider_answer_json(c, res)))
            return;
        item = json_array_get(json_object_get(j, "releases"), 0);
        if (!item) {
            json_object_set_new(c->output, "waiting", json_string("the build is not uploaded to App Distribution yet"));
            provider_finish(c, VERDICT_VALID, "build %s is not uploaded to App Distribution yet",
                            json_string_value(json_array_get(json_object_get(c->input, "versionCodes"), 0)));
        } else {
            json_object_set(c->state.data, "release", json_object_get(item, "name"));
            provider_next(c, first_note(c) ? F_NOTES : F_DISTRIBUTE);
        }
        json_decref(j);
    } else if (c->state.step == F_NOTES) {
        provider_next(c, F_DISTRIBUTE);
    } else {
        json_object_set_new(c->output, "status", json_string("completed"));
        json_object_set(c->output, "storeVersionId", json_object_get(c->state.data, "release"));
        provider_finish(c, VERDICT_VALID, "the build is distributed to its testers");
    }
}

static void distribute(struct provider_call *c, const struct outbound_response *res)
{
    if (!res)
        distribute_send(c);
    else
        distribute_read(c, res);
}

static const struct provider_ops ops = {.verify = verify, .store_submit = distribute};

struct provider firebase_provider = {
    .type = "FIREBASE",
    .kind = "firebase",
    .display = "Firebase App Distribution",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &google_timeout,
    .settings = settings,
    .store_track = "testers",
    .caps = CAP_VERIFY | CAP_STORE_SUBMIT,
    .ops = &ops,
};
