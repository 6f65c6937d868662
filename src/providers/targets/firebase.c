/* firebase.c: Firebase App Distribution (the Firebase Management API). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/targets/google.h"

static struct provider_setting api = {.env = "SLIPWAY_FIREBASE_API_URL",
                                      .def = "https://firebase.googleapis.com",
                                      .help = "the Firebase Management API",
                                      .kind = SETTING_TEXT};

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

static const struct provider_ops ops = {.verify = verify};

struct provider firebase_provider = {
    .type = "FIREBASE",
    .kind = "firebase",
    .display = "Firebase App Distribution",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &google_timeout,
    .settings = google_settings,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
