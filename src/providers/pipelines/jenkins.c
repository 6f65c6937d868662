/* jenkins.c: Jenkins (its JSON API, Basic auth with an API token, crumbs). docs/verification.md says what verify asks and
 * concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/inbound.h"

static const char *check_job_path(json_t *j)
{
    const char *v = json_string_value(j);
    if (v[0] == '/' || v[strlen(v) - 1] == '/' || strstr(v, "//") || strstr(v, "..") ||
        !fields_all_chars(v, "-_./ ", true, true, true))
        return "must be a Jenkins job path, e.g. folder/job-name";
    return NULL;
}

static const struct field fields[] = {
    URL("jenkinsUrl", true),
    TEXT("jenkinsUsername", true, 255),
    SECRET("jenkinsApiToken", true, 4096),
    FMT("jenkinsJobPath", true, 512, check_job_path, "jenkins job path"),
};

enum { CRUMB, ROOT, JOB };

/* GET base+path with the credentials, and the crumb once Jenkins gave one. */
static void get(struct provider_call *c, const char *path)
{
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *crumb = provider_secret_text(c, "crumb");
    const char *headers[] = {crumb[0] ? crumb : NULL, NULL};

    provider_url(target, provider_text(c, "jenkinsUrl"), "%s", path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "jenkinsUsername"), provider_text(c, "jenkinsApiToken"));
    provider_request(c, "GET", target, headers, NULL, userpwd);
    provider_wipe(userpwd);
}

/* folder/job-name as /job/folder/job/job-name/api/json, into out[PROVIDER_URL_MAX]. */
static const char *job_path(char *out, const char *job)
{
    out[0] = '\0';
    for (const char *p = job; *p;) {
        char seg[512], enc[1536];
        size_t n = strcspn(p, "/");
        snprintf(seg, sizeof seg, "%.*s", (int)n, p);
        snprintf(out + strlen(out), PROVIDER_URL_MAX - strlen(out), "/job/%s", provider_escape(seg, enc, sizeof enc));
        p += n + (p[n] == '/');
    }
    snprintf(out + strlen(out), PROVIDER_URL_MAX - strlen(out), "/api/json");
    return out;
}

/* The crumb issuer (404: crumbs are off), the root, then the job. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *job = provider_text(c, "jenkinsJobPath");
    char path[PROVIDER_URL_MAX], msg[700], header[PROVIDER_AUTH_MAX];
    json_t *j;

    if (!res) {
        if (c->state.step == CRUMB)
            get(c, "/crumbIssuer/api/json");
        else if (c->state.step == ROOT)
            get(c, "/api/json");
        else
            get(c, job_path(path, job));
        return;
    }
    switch (c->state.step) {
    case CRUMB:
        if (provider_unanswered(c, res))
            return;
        if (res->status == 401 || res->status == 403) {
            provider_finish(c, VERDICT_INVALID, "Jenkins rejected the user name or API token");
            return;
        }
        if (res->status == 200 && (j = json_loadb(res->body, res->len, 0, NULL))) { /* crumbs enabled: send ours from now on */
            const char *field = json_string_value(json_object_get(j, "crumbRequestField"));
            const char *crumb = json_string_value(json_object_get(j, "crumb"));
            if (field && crumb && strlen(field) + strlen(crumb) < 500) {
                provider_header(header, field, "", crumb);
                json_object_set_new(c->state.secrets, "crumb", json_string(header));
                provider_wipe(header);
            }
            json_decref(j);
        }
        json_object_set_new(c->output, "crumbs", json_boolean(provider_secret_text(c, "crumb")[0]));
        provider_next(c, ROOT);
        return;
    case ROOT:
        if (!provider_failed(c, res, "Jenkins rejected the user name or API token",
                             "Jenkins answered 404 for /api/json: is the URL the Jenkins root?"))
            provider_next(c, JOB);
        return;
    default:
        snprintf(msg, sizeof msg, "job %s not found on Jenkins, or the user cannot see it", job);
        if (!provider_failed(c, res, "Jenkins rejected the user name or API token", msg))
            provider_finish(c, VERDICT_VALID, "Jenkins accepts the credentials, and the job %s exists", job);
        return;
    }
}

/*
 * Inbound webhooks. Jenkins signs nothing of its own, so slipway defines
 * the callback a job posts (docs/api.md, "Webhooks"): a JSON body in the
 * shape of the Notification plugin's ({"name", "build": {"number",
 * "phase", "status", "full_url", "scm": {"branch", "commit"}}}) with a
 * "sentAt" time, X-Slipway-Delivery naming the delivery, and
 * X-Slipway-Signature: "sha256=" and the hex HMAC-SHA256 of the raw body
 * under the webhook's secret. sentAt must be within the replay window.
 */
static bool webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_fresh(in, "X-Slipway-Signature", "sha256=", "sentAt");
}

static const struct inbound_state phase_state[] = {
    {"QUEUED", "queued", NULL},       {"STARTED", "running", NULL}, {"COMPLETED", "completed", NULL},
    {"FINALIZED", "completed", NULL}, {NULL, NULL, NULL},
};
static const struct inbound_state result_state[] = {
    {"SUCCESS", NULL, "succeeded"},
    {"ABORTED", NULL, "cancelled"},
    {"NOT_BUILT", NULL, "cancelled"},
    {NULL, NULL, NULL}, /* FAILURE, UNSTABLE: failed */
};

static enum err_code webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    json_t *body;
    const json_t *build, *scm, *number;
    const char *name;
    char run[sizeof ev->run_id + 1]; /* a byte more than the event holds: a name too long is refused below, never cut */

    memset(ev, 0, sizeof *ev);
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, inbound_header(in, "X-Slipway-Delivery"), "delivery id", err))
        return err->code;
    if (!ev->delivery[0])
        return err_set(err, ERR_INVALID, "a Jenkins callback names itself in X-Slipway-Delivery");
    if (!(body = inbound_json(in, err)))
        return err->code;
    build = json_object_get(body, "build");
    scm = json_object_get(build, "scm");
    number = json_object_get(build, "number");
    name = json_string_value(json_object_get(body, "name"));
    if (!name || !name[0] || !json_is_integer(number)) {
        json_decref(body);
        return err_set(err, ERR_INVALID, "a Jenkins callback names its job (name) and build (build.number)");
    }
    ev->kind = EVENT_BUILD;
    inbound_state(ev, phase_state, json_string_value(json_object_get(build, "phase")));
    if (strcmp(ev->status, "completed") == 0)
        inbound_state(ev, result_state, json_string_value(json_object_get(build, "status")));
    snprintf(run, sizeof run, "%s#%" JSON_INTEGER_FORMAT, name, json_integer_value(number));
    if (inbound_copy_text(ev->run_id, sizeof ev->run_id, run, "run id", err) == ERR_OK &&
        inbound_copy(ev->ref, sizeof ev->ref, json_object_get(scm, "branch"), "branch", err) == ERR_OK &&
        inbound_copy(ev->sha, sizeof ev->sha, json_object_get(scm, "commit"), "commit", err) == ERR_OK &&
        inbound_copy(ev->url, sizeof ev->url, json_object_get(build, "full_url"), "url", err) == ERR_OK && !ev->status[0])
        err_set(err, ERR_INVALID, "a Jenkins callback's build.phase is QUEUED, STARTED, COMPLETED or FINALIZED");
    json_decref(body);
    return err->code;
}

static const struct provider_ops ops = {.verify = verify, .webhook_check = webhook_check, .webhook_parse = webhook_parse};

struct provider jenkins_provider = {
    .type = "JENKINS",
    .kind = "jenkins",
    .display = "Jenkins",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .flag = "ENABLE_JENKINS_INTEGRATION",
    .caps = CAP_VERIFY | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
