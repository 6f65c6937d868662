/* gitlab_ci.c: GitLab CI/CD, through the pipeline's GITLAB connection. docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/pipelines/pipelines.h"
#include "providers/scm/gitlab.h"

static const struct field fields[] = {
    TEXT("gitlabPipelineId", false, 255),
    TEXT("gitlabJobName", false, 255),
};

/* The project's pipelines (one is enough: CI/CD answers). */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    char full[512], enc[1536], path[PROVIDER_URL_MAX], msg[1200];

    gitlab_project(c->scm, full, sizeof full, enc, sizeof enc);
    if (!res) {
        snprintf(path, sizeof path, "/api/v4/projects/%s/pipelines?per_page=1", enc);
        gitlab_get(c, gitlab_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), path);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found, or CI/CD is not enabled for it", full);
    if (!provider_failed(c, res, "GitLab rejected the connection's token", msg))
        provider_finish(c, VERDICT_VALID, "GitLab CI/CD answers for %s", full);
}

/* ---- builds: a pipeline with variables, found again by its name (docs/releases.md) ---- */

/* method /api/v4/projects/{id}/<rest> through the SCM connection. */
static void project_send(struct provider_call *c, const char *method, const char *rest, const char *body)
{
    char full[512], enc[1536], path[PROVIDER_URL_MAX];
    gitlab_project(c->scm, full, sizeof full, enc, sizeof enc);
    if (snprintf(path, sizeof path, "/api/v4/projects/%s/%s", enc, rest) >= (int)sizeof path) {
        provider_finish(c, VERDICT_INVALID, "the project's path is too long for a GitLab URL");
        return;
    }
    provider_send_with_token(c, method, gitlab_base(provider_scm_text(c, "serverUrl")), path, "PRIVATE-TOKEN", "",
                             provider_scm_text(c, "accessToken"), NULL, body);
}

/* The pipeline's name is the variable: workflow: name: $slipway_build_id (GitLab filters the list by it). */
static void list(struct provider_call *c)
{
    char rest[1800], ref[768], name[768];
    snprintf(rest, sizeof rest, "pipelines?ref=%s&name=%s&per_page=20",
             provider_escape(json_string_value(json_object_get(c->input, "ref")), ref, sizeof ref),
             provider_escape(ci_correlation(c), name, sizeof name));
    project_send(c, "GET", rest, NULL);
}

static const json_t *runs(const json_t *answer)
{
    return answer;
}

static bool ours(const json_t *run, const char *corr)
{
    const char *name = json_string_value(json_object_get(run, "name"));
    return name && strstr(name, corr);
}

static void trigger(struct provider_call *c)
{
    json_t *vars = json_array(), *params = ci_parameters(c), *v;
    const char *key;
    char *body;

    json_object_foreach(params, key, v)
    {
        json_array_append_new(vars, json_pack("{s:s, s:O}", "key", key, "value", v));
    }
    json_decref(params);
    body = ci_body(c, "variables", vars);
    project_send(c, "POST", "pipeline", body ? body : "{}");
    free(body);
}

static const struct ci_state states[] = {
    {"created", "queued"},    {"waiting_for_resource", "queued"},
    {"preparing", "queued"},  {"pending", "queued"},
    {"scheduled", "queued"},  {"manual", "queued"},
    {"running", "running"},   {"success", "succeeded"},
    {"failed", "failed"},     {"canceled", "cancelled"},
    {"skipped", "cancelled"}, {NULL, NULL},
};

static bool run(const struct provider_call *c, const json_t *r, struct ci_run *out)
{
    UNUSED(c);
    const char *status = ci_state(states, json_string_value(json_object_get(r, "status")));

    ci_text(json_object_get(r, "id"), out->id, sizeof out->id);
    ci_text(json_object_get(r, "web_url"), out->url, sizeof out->url);
    out->number = json_integer_value(json_object_get(r, "iid"));
    snprintf(out->status, sizeof out->status, "%s", status ? status : "");
    return out->id[0] != '\0';
}

static const struct ci_api ci = {.list = list,
                                 .runs = runs,
                                 .ours = ours,
                                 .trigger = trigger,
                                 .triggered = run,
                                 .send = project_send,
                                 .run_path = "pipelines/",
                                 .run = run,
                                 .cancel_path = "/cancel"};

static void ci_trigger(struct provider_call *c, const struct outbound_response *res)
{
    ci_trigger_step(c, res, &ci);
}

static void ci_status(struct provider_call *c, const struct outbound_response *res)
{
    ci_status_step(c, res, &ci);
}

static void ci_cancel(struct provider_call *c, const struct outbound_response *res)
{
    ci_cancel_step(c, res, &ci);
}

/*
 * ---- job discovery: GitLab runs a project's pipeline, so the project has one job, "pipeline" ----
 * Its parameters are the top-level variables of .gitlab-ci.yml on the default branch (GET
 * .../repository/files/.gitlab-ci.yml?ref=HEAD), what GitLab's "Run pipeline" form prefills: a variable is
 * a value, or {value, description, options} (options: a choice). Schedules are not jobs: each is a
 * pipeline with fixed variables, which a deployment would only repeat.
 */
static json_t *gitlab_variables(const json_t *doc)
{
    json_t *out = json_array();
    const json_t *v;
    const char *name;

    json_object_foreach((json_t *)json_object_get(doc, "variables"), name, v)
    {
        const json_t *options = json_object_get(v, "options");
        if (json_array_size(out) >= CI_PARAMS_MAX)
            break;
        json_array_append_new(out, ci_param(name, json_array_size(options) ? "choice" : "string",
                                            json_is_object(v) ? json_object_get(v, "value") : v, options,
                                            json_string_value(json_object_get(v, "description")), false));
    }
    return out;
}

static void ci_list_jobs(struct provider_call *c, const struct outbound_response *res)
{
    char full[512], enc[1536], name[600];
    json_t *j, *doc = NULL;

    if (!res) {
        project_send(c, "GET", "repository/files/.gitlab-ci.yml?ref=HEAD", NULL);
        return;
    }
    gitlab_project(c->scm, full, sizeof full, enc, sizeof enc);
    if (res->status != 404) { /* 404: no .gitlab-ci.yml (a pipeline without parameters, or none: listed all the same) */
        if (provider_failed(c, res, "GitLab rejected the connection's token", "") || !(j = provider_answer_json(c, res)))
            return;
        doc = ci_yaml_content(j);
        json_decref(j);
    }
    snprintf(name, sizeof name, "%s pipeline", full);
    json_object_set_new(c->output, "jobs",
                        json_pack("[o]", ci_job("pipeline", name, NULL, NULL, "the project's pipeline (.gitlab-ci.yml)",
                                                doc ? gitlab_variables(doc) : NULL)));
    json_decref(doc);
    provider_finish(c, VERDICT_VALID, "GitLab lists the pipeline of %s", full);
}

static const struct provider_ops ops = {.verify = verify,
                                        .ci_trigger = ci_trigger,
                                        .ci_status = ci_status,
                                        .ci_cancel = ci_cancel,
                                        .ci_list_jobs = ci_list_jobs,
                                        .webhook_check = gitlab_webhook_check,
                                        .webhook_parse = gitlab_webhook_parse};

struct provider gitlab_ci_provider = {
    .type = "GITLAB_CI",
    .kind = "gitlab-ci",
    .display = "GitLab CI",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .scm_type = "GITLAB",
    .base_url = &gitlab_url,
    .caps = CAP_VERIFY | CAP_CI_TRIGGER | CAP_CI_STATUS | CAP_CI_CANCEL | CAP_CI_LIST_JOBS | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
    .webhook_delivery_headers = gitlab_delivery_headers,
};
