/* play_store.c: Google Play (the Developer API's edits). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/targets/google.h"

static struct provider_setting api = {.env = "SLIPWAY_PLAY_API_URL",
                                      .def = "https://androidpublisher.googleapis.com",
                                      .help = "the Google Play Developer API",
                                      .kind = SETTING_TEXT};

static const char *check_package(json_t *j)
{
    const char *v = json_string_value(j);
    bool start = true;
    int segments = 1;
    for (const char *p = v; *p; p++) {
        char c = *p;
        if (c == '.') {
            if (start)
                return "must be a Java package name, e.g. com.example.app";
            start = true;
            segments++;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!start && ((c >= '0' && c <= '9') || c == '_'))) {
            start = false;
        } else {
            return "must be a Java package name, e.g. com.example.app";
        }
    }
    return start || segments < 2 ? "must be a Java package name, e.g. com.example.app" : NULL;
}

static const struct field fields[] = {
    GOOGLE_ACCOUNT_FIELDS,
    FMT("googlePackageName", true, 255, check_package, "package name"),
};

enum { TOKEN, EDIT, DISCARD };

/* The grant, then an edit of the package (which proves access), thrown away at once. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *pkg = provider_text(c, "googlePackageName"), *id;
    char target[PROVIDER_URL_MAX], enc[512], edit[300], msg[600];
    json_t *j;

    if (!res) {
        if (c->state.step == TOKEN)
            google_token(c, "https://www.googleapis.com/auth/androidpublisher");
        else if (c->state.step == EDIT)
            google_call(
                c, "POST",
                provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits", provider_escape(pkg, enc, sizeof enc)),
                "{}");
        else
            google_call(c, "DELETE",
                        provider_url(target, api.text, "/androidpublisher/v3/applications/%s/edits/%s",
                                     provider_escape(pkg, enc, sizeof enc),
                                     provider_escape(provider_data_text(c, "edit"), edit, sizeof edit)),
                        NULL);
        return;
    }
    switch (c->state.step) {
    case TOKEN:
        if (google_granted(c, res))
            provider_next(c, EDIT);
        return;
    case EDIT:
        snprintf(msg, sizeof msg, "package %s not found, or the service account has no access to it in Play Console", pkg);
        if (provider_failed(c, res, "Google Play refused the service account: grant it access in Play Console", msg) ||
            !(j = provider_answer_json(c, res)))
            return;
        id = json_string_value(json_object_get(j, "id"));
        json_object_set_new(c->state.data, "edit", json_string(id ? id : ""));
        json_decref(j);
        provider_next(c, DISCARD);
        return;
    default:
        provider_finish(c, VERDICT_VALID, "Google Play accepts the service account for %s", pkg);
        return;
    }
}

static const struct provider_ops ops = {.verify = verify};

struct provider play_store_provider = {
    .type = "PLAY_STORE",
    .kind = "playstore",
    .display = "Google Play",
    .category = CAT_TARGETS,
    FIELDS(fields),
    .base_url = &api,
    .timeout = &google_timeout,
    .settings = google_settings,
    .caps = CAP_VERIFY,
    .ops = &ops,
};
