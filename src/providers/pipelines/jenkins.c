/* jenkins.c: Jenkins (its JSON API, Basic auth with an API token, crumbs). docs/verification.md says what verify asks and
 * concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/inbound.h"
#include "providers/pipelines/pipelines.h"

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

/* method base+path with the credentials, and the crumb once Jenkins gave one. */
static void send(struct provider_call *c, const char *method, const char *path)
{
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *crumb = provider_secret_text(c, "crumb");
    const char *headers[] = {crumb[0] ? crumb : NULL, NULL};

    provider_url(target, provider_text(c, "jenkinsUrl"), "%s", path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "jenkinsUsername"), provider_text(c, "jenkinsApiToken"));
    provider_request(c, method, target, headers, NULL, userpwd);
    provider_wipe(userpwd);
}

static void get(struct provider_call *c, const char *path)
{
    send(c, "GET", path);
}

/* folder/job-name as /job/folder/job/job-name<rest>, into out[PROVIDER_URL_MAX]. */
static const char *job_path(char *out, const char *job, const char *rest)
{
    out[0] = '\0';
    for (const char *p = job; *p;) {
        char seg[512], enc[1536];
        size_t n = strcspn(p, "/");
        snprintf(seg, sizeof seg, "%.*s", (int)n, p);
        snprintf(out + strlen(out), PROVIDER_URL_MAX - strlen(out), "/job/%s", provider_escape(seg, enc, sizeof enc));
        p += n + (p[n] == '/');
    }
    snprintf(out + strlen(out), PROVIDER_URL_MAX - strlen(out), "%s", rest);
    return out;
}

/* A crumb issuer's answer: crumbs enabled, so send ours from now on (404: crumbs are off). */
static void take_crumb(struct provider_call *c, const struct outbound_response *res)
{
    char header[PROVIDER_AUTH_MAX];
    json_t *j;

    if (res->status == 200 && (j = json_loadb(res->body, res->len, 0, NULL))) {
        const char *field = json_string_value(json_object_get(j, "crumbRequestField"));
        const char *crumb = json_string_value(json_object_get(j, "crumb"));
        if (field && crumb && strlen(field) + strlen(crumb) < 500) {
            provider_header(header, field, "", crumb);
            json_object_set_new(c->state.secrets, "crumb", json_string(header));
            provider_wipe(header);
        }
        json_decref(j);
    }
}

/* The crumb issuer (404: crumbs are off), the root, then the job. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *job = provider_text(c, "jenkinsJobPath");
    char path[PROVIDER_URL_MAX], msg[700];

    if (!res) {
        if (c->state.step == CRUMB)
            get(c, "/crumbIssuer/api/json");
        else if (c->state.step == ROOT)
            get(c, "/api/json");
        else
            get(c, job_path(path, job, "/api/json"));
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
        take_crumb(c, res);
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
static const char *const delivery_headers[] = {"X-Slipway-Delivery", NULL};

static bool webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_ok(in, "X-Slipway-Signature", "sha256=");
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

/* What a callback's parse reads of its body (inbound_pick). */
enum { F_AT, F_NAME, F_NUMBER, F_PHASE, F_STATUS, F_BRANCH, F_COMMIT, F_URL };
static const char *const hook_fields[] = {
    [F_AT] = "sentAt",
    [F_NAME] = "name",
    [F_NUMBER] = "build.number",
    [F_PHASE] = "build.phase",
    [F_STATUS] = "build.status",
    [F_BRANCH] = "build.scm.branch",
    [F_COMMIT] = "build.scm.commit",
    [F_URL] = "build.full_url",
};

static enum err_code webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    struct jsonpick_value v[ARRAY_LEN(hook_fields)];
    json_t *tree;
    char run[sizeof ev->run_id + 1]; /* a byte more than the event holds: a name too long is refused below, never cut */

    memset(ev, 0, sizeof *ev);
    if (inbound_pick_signed(in, hook_fields, ARRAY_LEN(hook_fields), F_AT, v, &tree, err))
        return err->code;
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, inbound_first_header(in, delivery_headers), "delivery id", err) ||
        (!ev->delivery[0] && err_set(err, ERR_INVALID, "a Jenkins callback names itself in X-Slipway-Delivery"))) {
        json_decref(tree);
        return err->code;
    }
    if (v[F_NAME].type != JSONPICK_STRING || !v[F_NAME].len || v[F_NUMBER].type != JSONPICK_INTEGER) {
        json_decref(tree);
        return err_set(err, ERR_INVALID, "a Jenkins callback names its job (name) and build (build.number)");
    }
    ev->kind = EVENT_BUILD;
    inbound_state(ev, phase_state, &v[F_PHASE]);
    if (strcmp(ev->status, "completed") == 0)
        inbound_state(ev, result_state, &v[F_STATUS]);
    snprintf(run, sizeof run, "%.*s#%.*s", (int)v[F_NAME].len, v[F_NAME].text, (int)v[F_NUMBER].len, v[F_NUMBER].text);
    if (inbound_copy_text(ev->run_id, sizeof ev->run_id, run, "run id", err) == ERR_OK &&
        inbound_copy(ev->ref, sizeof ev->ref, &v[F_BRANCH], "branch", err) == ERR_OK &&
        inbound_copy(ev->sha, sizeof ev->sha, &v[F_COMMIT], "commit", err) == ERR_OK &&
        inbound_copy(ev->url, sizeof ev->url, &v[F_URL], "url", err) == ERR_OK && !ev->status[0])
        err_set(err, ERR_INVALID, "a Jenkins callback's build.phase is QUEUED, STARTED, COMPLETED or FINALIZED");
    json_decref(tree);
    return err->code;
}

/* ---- builds: buildWithParameters, the build found by its parameter (docs/releases.md) ---- */

static void job_send(struct provider_call *c, const char *method, const char *rest, const char *body)
{
    char path[PROVIDER_URL_MAX];
    UNUSED(body);
    send(c, method, job_path(path, provider_text(c, "jenkinsJobPath"), rest));
}

static void list(struct provider_call *c)
{
    job_send(c, "GET",
             "/api/json?tree=builds%5Bnumber%2Curl%2Cresult%2Cbuilding%2Cactions%5Bparameters%5Bname%2Cvalue%5D%5D%5D%7B0%2C30%7D",
             NULL);
}

static const json_t *runs(const json_t *answer)
{
    return json_object_get(answer, "builds");
}

/* A build's ParametersAction holds slipway_build_id = the correlation id. */
static bool ours(const json_t *run, const char *corr)
{
    const json_t *action, *param;
    size_t i, k;

    json_array_foreach(json_object_get(run, "actions"), i, action)
    {
        json_array_foreach(json_object_get(action, "parameters"), k, param)
        {
            const char *name = json_string_value(json_object_get(param, "name"));
            const char *value = json_string_value(json_object_get(param, "value"));
            if (name && value && strcmp(name, CI_CORRELATION) == 0 && strcmp(value, corr) == 0)
                return true;
        }
    }
    return false;
}

#define REF_PARAMETER "slipway_ref" /* the ref a build is for: Jenkins takes no ref, so a job that needs it declares this */

/*
 * POST .../buildWithParameters?name=value&...: 201 with the queue item's Location; the build is listed once it starts.
 * With the ref as a parameter (Jenkins drops a parameter the job does not declare).
 */
static void trigger(struct provider_call *c)
{
    json_t *params = ci_parameters(c), *v;
    char rest[PROVIDER_URL_MAX] = "/buildWithParameters", k[400], e[1200];
    const char *key;

    json_object_set(params, REF_PARAMETER, json_object_get(c->input, "ref"));
    json_object_foreach(params, key, v)
    {
        size_t used = strlen(rest);
        snprintf(rest + used, sizeof rest - used, "%s%s=%s", strchr(rest, '?') ? "&" : "?", provider_escape(key, k, sizeof k),
                 provider_escape(json_string_value(v), e, sizeof e));
    }
    json_decref(params);
    job_send(c, "POST", rest, NULL);
}

static void read_build(struct provider_call *c, const char *id)
{
    const char *hash = strrchr(id, '#');
    char rest[64];
    snprintf(rest, sizeof rest, "/%lld/api/json", hash ? atoll(hash + 1) : 0LL);
    job_send(c, "GET", rest, NULL);
}

/* POST .../{n}/stop (a build already ended answers with a redirect, as a stopped one does). */
static void stop_build(struct provider_call *c, const char *id)
{
    const char *hash = strrchr(id, '#');
    char rest[64];
    snprintf(rest, sizeof rest, "/%lld/stop", hash ? atoll(hash + 1) : 0LL);
    job_send(c, "POST", rest, NULL);
}

static const struct ci_state results[] = {{"SUCCESS", "succeeded"}, {"FAILURE", "failed"},      {"UNSTABLE", "failed"},
                                          {"ABORTED", "cancelled"}, {"NOT_BUILT", "cancelled"}, {NULL, NULL}};

/* Its id is the job's path and the build's number ("mobile/release#42"), as the callback names it. */
static bool run(const struct provider_call *c, const json_t *r, struct ci_run *out)
{
    const char *result = ci_state(results, json_string_value(json_object_get(r, "result")));

    out->number = json_integer_value(json_object_get(r, "number"));
    if (out->number <= 0)
        return false;
    snprintf(out->id, sizeof out->id, "%s#%" JSON_INTEGER_FORMAT, provider_text(c, "jenkinsJobPath"), out->number);
    ci_text(json_object_get(r, "url"), out->url, sizeof out->url);
    snprintf(out->status, sizeof out->status, "%s",
             json_is_true(json_object_get(r, "building")) ? "running"
             : result                                     ? result
                                                          : "queued");
    return true;
}

static const struct ci_api ci = {.list = list,
                                 .runs = runs,
                                 .ours = ours,
                                 .trigger = trigger,
                                 .send = job_send,
                                 .run = run,
                                 .read = read_build,
                                 .cancel = stop_build};

/*
 * A POST asks the crumb issuer first (once a call), as it needs its crumb
 * where crumbs are on; true while that request is on its way (res taken).
 */
static bool crumb_first(struct provider_call *c, const struct outbound_response **res)
{
    if (provider_data_int(c, "crumbed"))
        return false;
    if (!*res) {
        get(c, "/crumbIssuer/api/json");
        return true;
    }
    if (provider_unanswered(c, *res))
        return true;
    take_crumb(c, *res);
    json_object_set_new(c->state.data, "crumbed", json_integer(1));
    *res = NULL; /* on to the POST itself */
    return false;
}

static void ci_trigger(struct provider_call *c, const struct outbound_response *res)
{
    if (c->state.step != CI_TRIGGER || !crumb_first(c, &res))
        ci_trigger_step(c, res, &ci);
}

static void ci_cancel(struct provider_call *c, const struct outbound_response *res)
{
    if (!crumb_first(c, &res))
        ci_cancel_step(c, res, &ci);
}

static void ci_status(struct provider_call *c, const struct outbound_response *res)
{
    ci_status_step(c, res, &ci);
}

/*
 * ---- job discovery: the job tree, folders walked, with each job's parameter definitions ----
 * One request: /api/json?tree=jobs[...,jobs[...]] nested 4 deep (JENKINS_TREE). A job's id is its path
 * (folder/job), what jenkinsJobPath names.
 */
#define JENKINS_JOB_FIELDS                                                                                                         \
    "name,url,_class,description,property[parameterDefinitions[name,type,description,choices,defaultParameterValue[value]]]"
#define JENKINS_IN(inner) JENKINS_JOB_FIELDS ",jobs[" inner "]"
/* jobs[...] nested 4 deep: a job three folders down is listed. */
#define JENKINS_TREE "jobs[" JENKINS_IN(JENKINS_IN(JENKINS_IN(JENKINS_JOB_FIELDS))) "]"

static const struct ci_state param_types[] = {{"StringParameterDefinition", "string"},     {"TextParameterDefinition", "string"},
                                              {"BooleanParameterDefinition", "boolean"},   {"ChoiceParameterDefinition", "choice"},
                                              {"PasswordParameterDefinition", "password"}, {NULL, NULL}};

static json_t *job_params(const json_t *job)
{
    json_t *out = json_array();
    const json_t *prop, *def;
    size_t i, k;

    json_array_foreach(json_object_get(job, "property"), i, prop)
    {
        json_array_foreach(json_object_get(prop, "parameterDefinitions"), k, def)
        {
            const char *name = json_string_value(json_object_get(def, "name"));
            const char *type = ci_state(param_types, json_string_value(json_object_get(def, "type")));
            if (name && json_array_size(out) < CI_PARAMS_MAX)
                json_array_append_new(out, ci_param(name, type ? type : "string",
                                                    json_object_get(json_object_get(def, "defaultParameterValue"), "value"),
                                                    json_object_get(def, "choices"),
                                                    json_string_value(json_object_get(def, "description")), false));
        }
    }
    return out;
}

/* The jobs under a folder's "jobs" (prefix: the folder's path) into out. */
static void walk_jobs(const json_t *jobs, const char *prefix, json_t *out)
{
    const json_t *item;
    size_t i;

    json_array_foreach(jobs, i, item)
    {
        const char *name = json_string_value(json_object_get(item, "name"));
        char path[1024];
        if (!name || json_array_size(out) >= CI_JOBS_MAX)
            continue;
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "/" : "", name);
        if (json_is_array(json_object_get(item, "jobs"))) /* a folder (or a multibranch project) */
            walk_jobs(json_object_get(item, "jobs"), path, out);
        else
            json_array_append_new(out, ci_job(path, name, path, json_string_value(json_object_get(item, "url")),
                                              json_string_value(json_object_get(item, "description")), job_params(item)));
    }
}

static void ci_list_jobs(struct provider_call *c, const struct outbound_response *res)
{
    char enc[4096], path[4200];
    json_t *j, *jobs;

    if (!res) {
        snprintf(path, sizeof path, "/api/json?tree=%s", provider_escape(JENKINS_TREE, enc, sizeof enc));
        get(c, path);
        return;
    }
    if (provider_failed(c, res, "Jenkins rejected the user name or API token",
                        "Jenkins answered 404 for /api/json: is the URL the Jenkins root?") ||
        !(j = provider_answer_json(c, res)))
        return;
    jobs = json_array();
    walk_jobs(json_object_get(j, "jobs"), "", jobs);
    json_decref(j);
    json_object_set_new(c->output, "jobs", jobs);
    provider_finish(c, VERDICT_VALID, "Jenkins lists %zu jobs", json_array_size(jobs));
}

static const struct provider_ops ops = {.verify = verify,
                                        .ci_trigger = ci_trigger,
                                        .ci_status = ci_status,
                                        .ci_cancel = ci_cancel,
                                        .ci_list_jobs = ci_list_jobs,
                                        .webhook_check = webhook_check,
                                        .webhook_parse = webhook_parse};

struct provider jenkins_provider = {
    .type = "JENKINS",
    .kind = "jenkins",
    .display = "Jenkins",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .flag = "ENABLE_JENKINS_INTEGRATION",
    .ci_job_field = "jenkinsJobPath",
    .webhook_delivery_headers = delivery_headers,
    .caps = CAP_VERIFY | CAP_CI_TRIGGER | CAP_CI_STATUS | CAP_CI_CANCEL | CAP_CI_LIST_JOBS | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
