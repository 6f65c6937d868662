#include "integrations/catalog.h"

#include <stdarg.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/rand.h"
#include "core/xmalloc.h"
#include "crypto/pem.h"
#include "outbound/url.h"
#include "verify/verifiers.h"

/* ---- format checks (struct field.check) ---- */

static bool all_chars(const char *s, const char *extra, bool lower, bool upper, bool digits)
{
    for (; *s; s++) {
        char c = *s;
        if ((lower && c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') || (digits && c >= '0' && c <= '9') ||
            (extra && strchr(extra, c)))
            continue;
        return false;
    }
    return true;
}

/* Judged as libcurl parses it (outbound/url.h), the way it will be called. */
static const char *check_url(json_t *j)
{
    const char *v = json_string_value(j);
    struct outbound_url u;

    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= 0x20 || *p == 0x7f)
            return "must be a URL without spaces or control characters";
    if (!outbound_url_parse(v, &u) || (strcmp(u.scheme, "https") != 0 && strcmp(u.scheme, "http") != 0))
        return "must be an http:// or https:// URL";
    if (u.credentials)
        return "must be a URL with a host and no user name or password";
    return NULL;
}

static const char *check_bundle_id(json_t *j)
{
    const char *v = json_string_value(j);
    if (!all_chars(v, "-.", true, true, true) || !strchr(v, '.') || v[0] == '.' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
        return "must be a bundle id in reverse-DNS form, e.g. com.example.app";
    return NULL;
}

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

static const char *check_ec_p256(json_t *j)
{
    return pem_check_ec_p256(json_string_value(j));
}

static const char *check_rsa(json_t *j)
{
    return pem_check_rsa(json_string_value(j));
}

static const char *check_uuid(json_t *j)
{
    return uuid_valid(json_string_value(j)) ? NULL : "must be a UUID";
}

static const char *check_time(json_t *j)
{
    int64_t ms;
    return clock_parse(json_string_value(j), &ms) ? "must be an RFC 3339 time, e.g. 2026-11-22T04:15:16Z" : NULL;
}

static const char *check_apple_id(json_t *j)
{
    const char *v = json_string_value(j);
    return strlen(v) == 10 && all_chars(v, NULL, false, true, true) ? NULL : "must be 10 upper-case letters or digits";
}

static const char *check_workflow_path(json_t *j)
{
    const char *v = json_string_value(j);
    size_t n = strlen(v);
    bool yml = (n > 4 && strcmp(v + n - 4, ".yml") == 0) || (n > 5 && strcmp(v + n - 5, ".yaml") == 0);
    if (strncmp(v, ".github/workflows/", 18) != 0 || !yml || strchr(v + 18, '/') || n <= 18 + 4)
        return "must be a workflow file, e.g. .github/workflows/ios-build.yml";
    return NULL;
}

static const char *check_job_path(json_t *j)
{
    const char *v = json_string_value(j);
    if (v[0] == '/' || v[strlen(v) - 1] == '/' || strstr(v, "//") || strstr(v, "..") || !all_chars(v, "-_./ ", true, true, true))
        return "must be a Jenkins job path, e.g. folder/job-name";
    return NULL;
}

static const char *check_jira_key(json_t *j)
{
    const char *v = json_string_value(j);
    if (!(v[0] >= 'A' && v[0] <= 'Z') || strlen(v) < 2 || strlen(v) > 10 || !all_chars(v, "_", false, true, true))
        return "must be a Jira project key, e.g. APP";
    return NULL;
}

static const char *check_firebase_project(json_t *j)
{
    const char *v = json_string_value(j);
    return all_chars(v, "-", true, false, true) ? NULL : "must be a Firebase project id: lower-case letters, digits and -";
}

static const char *check_firebase_app(json_t *j)
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
            all_chars(p + strlen(kinds[i]), "abcdef", false, false, true))
            return NULL;
    return "must be a Firebase app id, e.g. 1:1234567890:android:0a1b2c3d";
}

static const char *check_circleci_slug(json_t *j)
{
    static const char *const vcs[] = {"gh/", "bb/", "github/", "bitbucket/", "circleci/"};
    const char *v = json_string_value(j), *a = strchr(v, '/'), *b = a ? strchr(a + 1, '/') : NULL;
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(vcs) && !known; i++)
        known = strncmp(v, vcs[i], strlen(vcs[i])) == 0;
    if (!known || !b || b == a + 1 || !b[1] || strchr(b + 1, '/'))
        return "must be a CircleCI project slug: gh/org/repo or bb/org/repo";
    return NULL;
}

static const char *check_channels(json_t *j)
{
    size_t i;
    json_t *v;
    if (json_array_size(j) > 50)
        return "must list at most 50 channels";
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > 80)
            return "must be an array of channel names or ids (1 to 80 characters each)";
    }
    return NULL;
}

static const char *check_emails(json_t *j)
{
    size_t i;
    json_t *v;
    if (json_array_size(j) < 1 || json_array_size(j) > 100)
        return "must list 1 to 100 e-mail addresses";
    json_array_foreach(j, i, v)
    {
        if (!json_is_string(v) || utf8_length(json_string_value(v)) > EMAIL_MAX || check_email(v))
            return "must be an array of e-mail addresses";
    }
    return NULL;
}

static const char *const notify_events[] = {"release_started",   "build_completed",   "build_failed",
                                            "release_submitted", "release_approved",  "release_rejected",
                                            "rollout_updated",   "release_completed", NULL};

static const char *check_env(json_t *j)
{
    const char *key;
    json_t *v;
    if (json_object_size(j) > 50)
        return "must hold at most 50 variables";
    json_object_foreach(j, key, v)
    {
        if (!json_is_string(v) || json_string_length(v) > 4096 || !key[0] || (key[0] >= '0' && key[0] <= '9') ||
            strlen(key) > 128 || !all_chars(key, "_", true, true, true))
            return "must map variable names ([A-Za-z_][A-Za-z0-9_]*) to strings of at most 4096 characters";
    }
    return NULL;
}

/* Free text: line breaks and tabs allowed, other control characters not. */
static const char *check_printable_text(json_t *j)
{
    for (const unsigned char *p = (const unsigned char *)json_string_value(j); *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return "must not contain control characters";
    return NULL;
}

static const char *check_template(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    size_t n = text ? strlen(text) : 0;
    free(text);
    return n > 16384 ? "must be at most 16 KiB of JSON" : NULL;
}

/* ---- field tables ---- */

#define STR(n, req, lo, hi, ...)                                                                                                   \
    {                                                                                                                              \
        .name = n, .kind = FIELD_STRING, .required = req, .min = lo, .max = hi, __VA_ARGS__                                        \
    }
#define TEXT(n, req, hi) STR(n, req, 1, hi, .check = check_printable)
#define FMT(n, req, hi, fn, fmt) STR(n, req, 1, hi, .check = fn, .format = fmt)
#define SECRET(n, req, hi) STR(n, req, 1, hi, .secret = true)
#define SECRET_FMT(n, req, hi, fn, fmt) STR(n, req, 1, hi, .secret = true, .check = fn, .format = fmt)
#define URL(n, req) FMT(n, req, 512, check_url, "url")
#define EMAIL(n, req) FMT(n, req, 254, check_email, "email")
#define ONE_OF(n, req, list)                                                                                                       \
    {                                                                                                                              \
        .name = n, .kind = FIELD_STRING, .required = req, .allowed = list                                                          \
    }
#define INT(n, req, lo, hi, ...)                                                                                                   \
    {                                                                                                                              \
        .name = n, .kind = FIELD_INT, .required = req, .min = lo, .max = hi, __VA_ARGS__                                           \
    }
#define INTEGER(n, req, lo, hi)                                                                                                    \
    {                                                                                                                              \
        .name = n, .kind = FIELD_INT, .required = req, .min = lo, .max = hi                                                        \
    }
#define BOOL(n, ...)                                                                                                               \
    {                                                                                                                              \
        .name = n, .kind = FIELD_BOOL, __VA_ARGS__                                                                                 \
    }
#define ARRAY(n, req, fn, fmt)                                                                                                     \
    {                                                                                                                              \
        .name = n, .kind = FIELD_ARRAY, .required = req, .check = fn, .format = fmt                                                \
    }
#define OBJECT(n, fn, fmt)                                                                                                         \
    {                                                                                                                              \
        .name = n, .kind = FIELD_OBJECT, .check = fn, .format = fmt                                                                \
    }

static const char *const platforms[] = {"IOS", "ANDROID", "WEB", NULL};
static const char *const mobile_platforms[] = {"IOS", "ANDROID", NULL};
static const char *const cert_formats[] = {"PKCS12", "PEM", NULL};

/* Every type of every category. */
static const struct field common_fields[] = {
    TEXT("displayName", true, 255),
    BOOL("isActive", .def = "true"),
};

static const struct field scm_common[] = {
    TEXT("organization", true, 255),
    TEXT("repoName", true, 255),
    URL("repositoryUrl", false),
    STR("defaultBranch", false, 1, 255, .check = check_printable, .def = "\"main\""),
    URL("serverUrl", false),
    SECRET("accessToken", true, 4096),
    SECRET("refreshToken", false, 4096),
    FMT("expiresAt", false, 64, check_time, "date-time"),
};

static const struct field gitea_fields[] = {
    URL("serverUrl", true),
};

static const struct field pipeline_common[] = {
    FMT("scmIntegrationId", true, 36, check_uuid, "uuid"),
    FMT("targetIntegrationId", true, 36, check_uuid, "uuid"),
    STR("description", false, 0, 2000, .check = check_printable_text),
    ONE_OF("platform", false, platforms),
    BOOL("triggerOnRelease", .def = "true"),
    INT("buildTimeout", false, 60, 86400, .def = "3600"),
    OBJECT("environmentVariables", check_env, "string map"),
};

static const struct field communication_common[] = {
    {.name = "notifyOnEvents", .kind = FIELD_ARRAY, .allowed = notify_events, .format = "events"}, /* each one of them */
};

static const struct field ticket_common[] = {
    BOOL("autoCreateEpics", .def = "false"),
    OBJECT("epicTemplate", check_template, NULL),
};

static const struct field app_store_fields[] = {
    FMT("appleApiKeyId", true, 10, check_apple_id, "apple key id"), /* identifiers, shown in App Store Connect: not secrets */
    FMT("appleIssuerId", true, 36, check_uuid, "uuid"),
    SECRET_FMT("applePrivateKey", true, 16384, check_ec_p256, "pem-ec-p256"),
    FMT("appleBundleId", true, 155, check_bundle_id, "bundle id"),
    FMT("appleTeamId", false, 10, check_apple_id, "apple team id"),
};

/* Both Google types' service account (a macro: C11 cannot copy one array's elements into another's initializer). */
#define GOOGLE_ACCOUNT_FIELDS                                                                                                      \
    EMAIL("googleServiceAccountEmail", true), SECRET_FMT("googlePrivateKey", true, 16384, check_rsa, "pem-rsa")

static const struct field play_store_fields[] = {
    GOOGLE_ACCOUNT_FIELDS,
    FMT("googlePackageName", true, 255, check_package, "package name"),
};

static const struct field firebase_fields[] = {
    STR("firebaseProjectId", true, 6, 30, .check = check_firebase_project, .format = "firebase project id"),
    FMT("firebaseAppId", true, 255, check_firebase_app, "firebase app id"),
    GOOGLE_ACCOUNT_FIELDS,
};

static const struct field jenkins_fields[] = {
    URL("jenkinsUrl", true),
    TEXT("jenkinsUsername", true, 255),
    SECRET("jenkinsApiToken", true, 4096),
    FMT("jenkinsJobPath", true, 512, check_job_path, "jenkins job path"),
};

static const struct field github_actions_fields[] = {
    FMT("githubWorkflowPath", true, 512, check_workflow_path, "workflow path"),
    TEXT("githubWorkflowRef", false, 255),
};

static const struct field gitlab_ci_fields[] = {
    TEXT("gitlabPipelineId", false, 255),
    TEXT("gitlabJobName", false, 255),
};

static const struct field circleci_fields[] = {
    FMT("circleciProjectSlug", true, 512, check_circleci_slug, "circleci project slug"),
    SECRET("circleciApiToken", true, 4096),
    TEXT("circleciWorkflowName", false, 255),
};

static const struct field slack_fields[] = {
    SECRET("slackBotToken", false, 4096),
    ARRAY("slackChannels", false, check_channels, "channels"),
    SECRET_FMT("slackWebhookUrl", false, 512, check_url, "url"),
};

static const struct field email_fields[] = {
    ARRAY("emailRecipients", true, check_emails, "emails"), EMAIL("emailFromAddress", true),  TEXT("smtpHost", true, 255),
    INT("smtpPort", false, 1, 65535, .def = "587"),         TEXT("smtpUsername", false, 255), SECRET("smtpPassword", false, 1024),
};

static const struct field teams_fields[] = {
    SECRET_FMT("teamsWebhookUrl", true, 512, check_url, "url"),
    TEXT("teamsChannelId", false, 255),
};

static const struct field jira_fields[] = {
    URL("jiraUrl", true),
    EMAIL("jiraEmail", true),
    SECRET("jiraApiToken", true, 4096),
    FMT("jiraProjectKey", true, 10, check_jira_key, "jira project key"),
    TEXT("jiraDefaultIssueType", false, 255),
};

static const struct field linear_fields[] = {
    SECRET("linearApiKey", true, 4096),
    TEXT("linearTeamId", true, 255),
    TEXT("linearDefaultProjectId", false, 255),
};

static const struct field azure_fields[] = {
    TEXT("azureOrganization", true, 255),
    TEXT("azureProject", true, 255),
    SECRET("azurePatToken", true, 4096),
    STR("azureUrl", false, 1, 512, .check = check_url, .format = "url", .def = "\"https://dev.azure.com\""),
};

static const struct field test_rail_fields[] = {
    URL("testRailUrl", true),
    EMAIL("testRailUsername", true),
    SECRET("testRailApiKey", true, 4096),
    INTEGER("testRailProjectId", true, 1, 2147483647),
};

static const struct field code_signing_fields[] = {
    ONE_OF("platform", true, mobile_platforms),
    ONE_OF("certificateFormat", true, cert_formats),
    SECRET("certificateData", true, 1 << 20),
    SECRET("certificatePassword", false, 1024),
    TEXT("keyAlias", false, 255),
    SECRET("keyPassword", false, 1024),
};

/* ---- hooks ---- */

static const char *default_host(const char *type)
{
    static const char *const hosts[][2] = {
        {"GITHUB", "https://github.com"}, {"GITLAB", "https://gitlab.com"}, {"BITBUCKET", "https://bitbucket.org"}};
    for (size_t i = 0; i < ARRAY_LEN(hosts); i++)
        if (strcmp(hosts[i][0], type) == 0)
            return hosts[i][1];
    return NULL;
}

/* A missing repositoryUrl is derived from the server (GITEA's is required) and names. */
static void scm_prepare(json_t *c, struct err *err)
{
    const char *type = json_string_value(json_object_get(c, "type"));
    const char *server = json_string_value(json_object_get(c, "serverUrl"));
    const char *host = server ? server : default_host(type);

    UNUSED(err);
    if (!host)
        return; /* GITEA without serverUrl: its schema has already said so */
    if (!json_is_string(json_object_get(c, "repositoryUrl"))) {
        size_t n = strlen(host);
        while (n > 0 && host[n - 1] == '/')
            n--;
        char *url = NULL;
        const char *org = json_string_value(json_object_get(c, "organization"));
        const char *repo = json_string_value(json_object_get(c, "repoName"));
        size_t len = n + strlen(org ? org : "") + strlen(repo ? repo : "") + 3;
        url = xmalloc(len);
        snprintf(url, len, "%.*s/%s/%s", (int)n, host, org ? org : "", repo ? repo : "");
        json_object_set_new(c, "repositoryUrl", json_string(url));
        free(url);
    }
}

static const char *const scm_derived[] = {"repositoryUrl", NULL};

static void slack_prepare(json_t *c, struct err *err)
{
    if (!json_is_string(json_object_get(c, "slackBotToken")) && !json_is_string(json_object_get(c, "slackWebhookUrl")))
        err_detail(err, "slackBotToken", "or slackWebhookUrl is required");
}

static void code_signing_prepare(json_t *c, struct err *err)
{
    const char *format = json_string_value(json_object_get(c, "certificateFormat"));
    const char *data = json_string_value(json_object_get(c, "certificateData"));
    const char *password = json_string_value(json_object_get(c, "certificatePassword"));
    struct cert_info info;
    struct err inner;
    char expires[TIMESTAMP_SIZE];

    if (!format || !data)
        return;
    err_clear(&inner);
    if (cert_inspect(strcmp(format, "PKCS12") == 0 ? CERT_PKCS12 : CERT_PEM, data, password, &info, &inner)) {
        for (int i = 0; i < inner.ndetails; i++)
            err_detail(err, inner.details[i].field, "%s", inner.details[i].message);
        return;
    }
    clock_format(info.not_after_ms, expires);
    json_object_set_new(c, "certificateSubject", json_string(info.subject));
    json_object_set_new(c, "certificateFingerprint", json_string(info.fingerprint));
    json_object_set_new(c, "certificateExpiresAt", json_string(expires));
}

static const char *const code_signing_computed[] = {"certificateSubject", "certificateFingerprint", "certificateExpiresAt", NULL};

/* A category with fields common to all its types (CATEGORY) or without (CATEGORY0). */
#define CATEGORY0(cid, s, t, col, d, comp)                                                                                         \
    [cid] = {.id = cid, .slug = s, .table = t, .type_column = col, .display = d, .computed = comp}
#define CATEGORY(cid, s, t, col, d, f)                                                                                             \
    [cid] = {.id = cid, .slug = s, .table = t, .type_column = col, .display = d, .common = f, .ncommon = ARRAY_LEN(f)}

static struct category categories[CAT__COUNT] = {
    CATEGORY(CAT_SCM, "scm", "tenant_scm_integrations", "scmType", "Source control", scm_common),
    CATEGORY0(CAT_TARGETS, "targets", "tenant_target_integrations", "targetType", "Distribution targets", NULL),
    CATEGORY(CAT_PIPELINES, "pipelines", "tenant_pipeline_integrations", "pipelineType", "CI/CD pipelines", pipeline_common),
    CATEGORY(CAT_COMMUNICATION, "communication", "tenant_communication_integrations", "communicationType", "Communication",
             communication_common),
    CATEGORY(CAT_TICKETS, "tickets", "tenant_ticket_integrations", "ticketSystemType", "Ticket management", ticket_common),
    CATEGORY0(CAT_TEST_MANAGEMENT, "test-management", "tenant_test_management_integrations", "testManagementType",
              "Test management", NULL),
    CATEGORY0(CAT_CODE_SIGNING, "code-signing", "tenant_code_signing_integrations", "signingType", "Code signing",
              code_signing_computed),
};

/* A type: name, category, display name, verify kind and function, then what else it has (FIELDS, .prepare, .flag). */
#define PROVIDER(t, cat, d, k, fn, ...)                                                                                            \
    {                                                                                                                              \
        .type = t, .category = cat, .display = d, .kind = k, .verify = fn, __VA_ARGS__                                             \
    }
#define FIELDS(f) .fields = f, .nfields = ARRAY_LEN(f)

static struct provider providers[] = {
    PROVIDER("GITHUB", CAT_SCM, "GitHub", "github", verify_github, .prepare = scm_prepare, .derived = scm_derived),
    PROVIDER("GITLAB", CAT_SCM, "GitLab", "gitlab", verify_gitlab, .prepare = scm_prepare, .derived = scm_derived),
    PROVIDER("BITBUCKET", CAT_SCM, "Bitbucket", "bitbucket", verify_bitbucket, .prepare = scm_prepare, .derived = scm_derived),
    PROVIDER("GITEA", CAT_SCM, "Gitea", "gitea", verify_gitea, FIELDS(gitea_fields), .prepare = scm_prepare,
             .derived = scm_derived),
    PROVIDER("APP_STORE", CAT_TARGETS, "App Store Connect", "appstore", verify_app_store, FIELDS(app_store_fields)),
    PROVIDER("PLAY_STORE", CAT_TARGETS, "Google Play", "playstore", verify_play_store, FIELDS(play_store_fields)),
    PROVIDER("FIREBASE", CAT_TARGETS, "Firebase App Distribution", "firebase", verify_firebase, FIELDS(firebase_fields)),
    PROVIDER("JENKINS", CAT_PIPELINES, "Jenkins", "jenkins", verify_jenkins, FIELDS(jenkins_fields),
             .flag = "ENABLE_JENKINS_INTEGRATION"),
    PROVIDER("GITHUB_ACTIONS", CAT_PIPELINES, "GitHub Actions", "github-actions", verify_github_actions,
             FIELDS(github_actions_fields), .flag = "ENABLE_GITHUB_ACTIONS_INTEGRATION", .scm_type = "GITHUB"),
    PROVIDER("GITLAB_CI", CAT_PIPELINES, "GitLab CI", "gitlab-ci", verify_gitlab_ci, FIELDS(gitlab_ci_fields),
             .scm_type = "GITLAB"),
    PROVIDER("CIRCLECI", CAT_PIPELINES, "CircleCI", "circleci", verify_circleci, FIELDS(circleci_fields)),
    PROVIDER("SLACK", CAT_COMMUNICATION, "Slack", "slack", verify_slack, FIELDS(slack_fields), .prepare = slack_prepare,
             .flag = "ENABLE_SLACK_INTEGRATION"),
    PROVIDER("EMAIL", CAT_COMMUNICATION, "E-mail", "email", verify_email, FIELDS(email_fields)),
    PROVIDER("TEAMS", CAT_COMMUNICATION, "Microsoft Teams", "teams", verify_teams, FIELDS(teams_fields)),
    PROVIDER("JIRA", CAT_TICKETS, "Jira", "jira", verify_jira, FIELDS(jira_fields)),
    PROVIDER("LINEAR", CAT_TICKETS, "Linear", "linear", verify_linear, FIELDS(linear_fields)),
    PROVIDER("AZURE_DEVOPS", CAT_TICKETS, "Azure DevOps", "azure-devops", verify_azure_devops, FIELDS(azure_fields)),
    PROVIDER("TEST_RAIL", CAT_TEST_MANAGEMENT, "TestRail", "testrail", verify_test_rail, FIELDS(test_rail_fields)),
    PROVIDER("CODE_SIGNING", CAT_CODE_SIGNING, "Code signing", "code-signing", verify_code_signing, FIELDS(code_signing_fields),
             .prepare = code_signing_prepare),
};

/* ---- derivation ---- */

static void add_column(struct category *c, const struct field *f)
{
    for (size_t i = 0; i < c->ncolumns; i++) {
        if (strcmp(c->columns[i]->name, f->name) == 0) {
            if (c->columns[i]->kind != f->kind || c->columns[i]->secret != f->secret) {
                log_error("catalog: %s.%s is declared twice, differently", c->table, f->name);
                abort();
            }
            return;
        }
    }
    if (c->ncolumns == CATALOG_MAX_COLUMNS) {
        log_error("catalog: %s has too many columns", c->table);
        abort();
    }
    c->columns[c->ncolumns++] = f;
}

/* "a<each>, b<each>, ..." over the config columns then the computed ones; caller frees. */
static char *join(const struct category *c, const char *each)
{
    size_t cap = 8192, used = 0;
    char *out = xcalloc(1, cap);
    for (size_t i = 0; i < c->ncolumns; i++)
        used += (size_t)snprintf(out + used, cap - used, "%s%s%s", i ? ", " : "", c->columns[i]->name, each);
    for (const char *const *x = c->computed; x && *x; x++)
        used += (size_t)snprintf(out + used, cap - used, ", %s%s", *x, each);
    return out;
}

static char *sqlf(const char *fmt, ...) PRINTF_LIKE(1, 2);
static char *sqlf(const char *fmt, ...)
{
    va_list ap;
    char *out = xmalloc(16384);
    va_start(ap, fmt);
    vsnprintf(out, 16384, fmt, ap);
    va_end(ap);
    return out;
}

/* The bookkeeping columns every category table starts with, in the order the SELECTs return them. */
#define BOOKKEEPING                                                                                                                \
    "id, tenantId, %s, verificationStatus, lastVerifiedAt, lastVerificationError, configuredByAccountId, createdAt, updatedAt, "   \
    "secretsSavedAt"

static void build_sql(struct category *c)
{
    char *cols = join(c, ""), *sets = join(c, " = ?"), *params = xstrdup(sets);
    char *book = sqlf(BOOKKEEPING, c->type_column);
    size_t n = c->ncolumns, used = 0;

    for (const char *const *x = c->computed; x && *x; x++)
        n++;
    for (size_t i = 0; i < n; i++) /* one "?" per column */
        used += (size_t)snprintf(params + used, strlen(sets) + 1 - used, "%s", i ? ", ?" : "?");
    c->sql_insert = sqlf("INSERT INTO %s (id, tenantId, %s, verificationStatus, configuredByAccountId, createdAt, updatedAt, "
                         "secretsSavedAt, %s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, %s)",
                         c->table, c->type_column, cols, params);
    c->sql_update = sqlf("UPDATE %s SET verificationStatus = ?, lastVerificationError = ?, updatedAt = ?, secretsSavedAt = ?, %s "
                         "WHERE tenantId = ? AND id = ?",
                         c->table, sets);
    c->sql_select = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND id = ?", book, cols, c->table);
    c->sql_list = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "
                       "ORDER BY createdAt DESC, id DESC LIMIT ?",
                       book, cols, c->table);
    c->sql_delete = sqlf("DELETE FROM %s WHERE tenantId = ? AND id = ?", c->table);
    c->sql_status = sqlf("SELECT verificationStatus, %s FROM %s WHERE tenantId = ? AND id = ?", c->type_column, c->table);
    c->sql_verdict = sqlf("UPDATE %s SET verificationStatus = ?, lastVerifiedAt = ?, lastVerificationError = ? "
                          "WHERE tenantId = ? AND id = ?",
                          c->table);
    c->sql_overdue = sqlf("SELECT id, tenantId, lastVerifiedAt FROM %s WHERE verificationStatus = ? AND lastVerifiedAt < ? "
                          "ORDER BY lastVerifiedAt LIMIT ?",
                          c->table);
    c->sql_ids = sqlf("SELECT id FROM %s WHERE tenantId = ? ORDER BY createdAt, id", c->table);
    for (size_t i = 0; i < c->ncolumns; i++) {
        const char *col = c->columns[i]->name;
        if (!c->columns[i]->secret)
            continue;
        /* "v1.<keyId>." names the key a secret is under (see crypto/secret.h). */
        c->sql_key_ids[i] = sqlf("SELECT DISTINCT SUBSTR(%s, 1, 12) FROM %s WHERE %s IS NOT NULL", col, c->table, col);
        c->sql_secret_page[i] = sqlf("SELECT id, tenantId, %s FROM %s WHERE %s IS NOT NULL AND SUBSTR(%s, 1, 12) <> ? AND id > ? "
                                     "ORDER BY id LIMIT ?",
                                     col, c->table, col, col);
        c->sql_secret_swap[i] = sqlf("UPDATE %s SET %s = ? WHERE id = ? AND %s = ?", c->table, col, col);
        c->sql_secret_current[i] = sqlf("SELECT COUNT(*) FROM %s WHERE SUBSTR(%s, 1, 12) = ?", c->table, col);
    }
    free(cols);
    free(params);
    free(sets);
    free(book);
}

void catalog_init(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    for (size_t i = 0; i < ARRAY_LEN(providers); i++) {
        struct provider *p = &providers[i];
        struct category *c = &categories[p->category];
        size_t n = ARRAY_LEN(common_fields) + c->ncommon + p->nfields, k = 0;
        struct field *all = xcalloc(n, sizeof *all);

        /* Common fields first; a provider's own field of the same name replaces one (GITEA's required serverUrl). */
        for (size_t j = 0; j < ARRAY_LEN(common_fields) + c->ncommon; j++) {
            const struct field *f = j < ARRAY_LEN(common_fields) ? &common_fields[j] : &c->common[j - ARRAY_LEN(common_fields)];
            for (size_t q = 0; q < p->nfields; q++)
                if (strcmp(p->fields[q].name, f->name) == 0)
                    f = &p->fields[q];
            all[k++] = *f;
        }
        for (size_t j = 0; j < p->nfields; j++) {
            bool replaced = false;
            for (size_t q = 0; q < k && !replaced; q++)
                replaced = strcmp(all[q].name, p->fields[j].name) == 0;
            if (!replaced)
                all[k++] = p->fields[j];
        }
        p->schema.fields = all;
        p->schema.count = k;
        for (size_t j = 0; j < k; j++)
            add_column(c, &all[j]);
    }
    for (size_t i = 0; i < CAT__COUNT; i++)
        build_sql(&categories[i]);
}

const struct category *category_by_slug(const char *slug)
{
    for (size_t i = 0; i < CAT__COUNT; i++)
        if (strcmp(categories[i].slug, slug) == 0)
            return &categories[i];
    return NULL;
}

const struct category *category_get(enum category_id id)
{
    return &categories[id];
}

const struct provider *provider_by_type(const char *type)
{
    for (size_t i = 0; type && i < ARRAY_LEN(providers); i++)
        if (strcmp(providers[i].type, type) == 0)
            return &providers[i];
    return NULL;
}

const struct provider *provider_by_kind(const char *kind)
{
    for (size_t i = 0; kind && i < ARRAY_LEN(providers); i++)
        if (strcmp(providers[i].kind, kind) == 0)
            return &providers[i];
    return NULL;
}

const struct provider *provider_at(size_t i)
{
    return i < ARRAY_LEN(providers) ? &providers[i] : NULL;
}

bool provider_enabled(const struct provider *p)
{
    const char *v = p->flag ? getenv(p->flag) : NULL;
    return !(v && (strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0 || strcmp(v, "off") == 0));
}

static const char *const kind_names[] = {
    [FIELD_STRING] = "string", [FIELD_INT] = "integer", [FIELD_BOOL] = "boolean",
    [FIELD_OBJECT] = "object", [FIELD_ARRAY] = "array",
};

/* Every key is always present (null when it does not apply), so clients need no guessing. */
static json_t *describe_field(const struct field *f)
{
    bool text = f->kind == FIELD_STRING && f->max, number = f->kind == FIELD_INT && f->max;
    json_t *allowed = json_null();

    if (f->allowed) {
        allowed = json_array();
        for (const char *const *v = f->allowed; *v; v++)
            json_array_append_new(allowed, json_string(*v));
    }
    return json_pack("{s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", f->name, "kind", kind_names[f->kind],
                     "required", f->required, "secret", f->secret, "minLength", text ? json_integer(f->min) : json_null(),
                     "maxLength", text ? json_integer(f->max) : json_null(), "minimum", number ? json_integer(f->min) : json_null(),
                     "maximum", number ? json_integer(f->max) : json_null(), "allowed", allowed, "format",
                     f->format ? json_string(f->format) : json_null(), "default",
                     f->def ? json_loads(f->def, JSON_DECODE_ANY, NULL) : json_null());
}

json_t *catalog_describe(void)
{
    json_t *items = json_array();
    for (size_t i = 0; i < ARRAY_LEN(providers); i++) {
        const struct provider *p = &providers[i];
        json_t *fields;
        if (!provider_enabled(p))
            continue;
        fields = json_array();
        for (size_t j = 0; j < p->schema.count; j++)
            json_array_append_new(fields, describe_field(&p->schema.fields[j]));
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:o}", "type", p->type, "category", categories[p->category].slug,
                                               "displayName", p->display, "fields", fields));
    }
    return json_pack("{s:o}", "items", items);
}
