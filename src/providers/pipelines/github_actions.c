/*
 * github_actions.c: GitHub Actions, through the pipeline's GITHUB
 * connection (its token, its serverUrl). docs/verification.md says what
 * verify asks and concludes.
 */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/pipelines/pipelines.h"
#include "providers/scm/github.h"

static const char *check_workflow_path(json_t *j)
{
    const char *v = json_string_value(j);
    size_t n = strlen(v);
    bool yml = (n > 4 && strcmp(v + n - 4, ".yml") == 0) || (n > 5 && strcmp(v + n - 5, ".yaml") == 0);
    if (strncmp(v, ".github/workflows/", 18) != 0 || !yml || strchr(v + 18, '/') || n <= 18 + 4)
        return "must be a workflow file, e.g. .github/workflows/ios-build.yml";
    return NULL;
}

static const struct field fields[] = {
    FMT("githubWorkflowPath", true, 512, check_workflow_path, "workflow path"),
    TEXT("githubWorkflowRef", false, 255),
};

/* The workflow, by its file name, in the connection's repository. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *path = provider_text(c, "githubWorkflowPath"), *file = strrchr(path, '/');
    const char *org = provider_scm_text(c, "organization"), *repo = provider_scm_text(c, "repoName");
    char p[PROVIDER_URL_MAX], a[512], b[512], f[512];

    file = file ? file + 1 : path;
    if (!res) {
        snprintf(p, sizeof p, "/repos/%s/%s/actions/workflows/%s", provider_escape(org, a, sizeof a),
                 provider_escape(repo, b, sizeof b), provider_escape(file, f, sizeof f));
        github_get(c, github_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), p);
        return;
    }
    if (github_limited(c, res))
        return;
    snprintf(p, sizeof p, "workflow %s not found in %s/%s (is the file on the default branch?)", path, org, repo);
    if (!provider_failed(c, res, "GitHub rejected the connection's token", p))
        provider_finish(c, VERDICT_VALID, "the workflow %s exists in %s/%s", path, org, repo);
}

/* ---- builds: workflow_dispatch, then the run found by its name (docs/releases.md) ---- */

/* method /repos/{o}/{r}/actions/<rest> through the SCM connection. */
static void actions_send(struct provider_call *c, const char *method, const char *rest, const char *body)
{
    char p[PROVIDER_URL_MAX], a[512], b[512];
    snprintf(p, sizeof p, "/repos/%s/%s/actions/%s", provider_escape(provider_scm_text(c, "organization"), a, sizeof a),
             provider_escape(provider_scm_text(c, "repoName"), b, sizeof b), rest);
    github_send(c, github_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), method, p, body);
}

/* workflows/{file}<rest>, file the last part of githubWorkflowPath. */
static void workflow_send(struct provider_call *c, const char *method, const char *rest, const char *body)
{
    const char *path = provider_text(c, "githubWorkflowPath"), *file = strrchr(path, '/');
    char p[PROVIDER_URL_MAX], f[512];
    snprintf(p, sizeof p, "workflows/%s%s", provider_escape(file ? file + 1 : path, f, sizeof f), rest);
    actions_send(c, method, p, body);
}

static void list(struct provider_call *c)
{
    char rest[1200], ref[768];
    snprintf(rest, sizeof rest, "/runs?branch=%s&event=workflow_dispatch&per_page=50",
             provider_escape(json_string_value(json_object_get(c->input, "ref")), ref, sizeof ref));
    workflow_send(c, "GET", rest, NULL);
}

static const json_t *runs(const json_t *answer)
{
    return json_object_get(answer, "workflow_runs");
}

/* The workflow names its runs with the input: run-name: ${{ inputs.slipway_build_id }} (GitHub shows it as display_title). */
static bool ours(const json_t *run, const char *corr)
{
    const char *title = json_string_value(json_object_get(run, "display_title"));
    const char *name = json_string_value(json_object_get(run, "name"));
    return (title && strstr(title, corr)) || (name && strstr(name, corr));
}

static void trigger(struct provider_call *c)
{
    char *body = ci_body(c, "inputs", ci_parameters(c));
    workflow_send(c, "POST", "/dispatches", body ? body : "{}");
    free(body);
}

static const struct ci_state conclusions[] = {
    {"success", "succeeded"}, {"cancelled", "cancelled"}, {"skipped", "cancelled"}, {"stale", "cancelled"}, {NULL, NULL}};

static bool run(const struct provider_call *c, const json_t *r, struct ci_run *out)
{
    UNUSED(c);
    const char *status = json_string_value(json_object_get(r, "status"));
    const char *ended = ci_state(conclusions, json_string_value(json_object_get(r, "conclusion")));

    ci_text(json_object_get(r, "id"), out->id, sizeof out->id);
    ci_text(json_object_get(r, "html_url"), out->url, sizeof out->url);
    out->number = json_integer_value(json_object_get(r, "run_number"));
    if (!status)
        status = "";
    snprintf(out->status, sizeof out->status, "%s",
             strcmp(status, "completed") == 0     ? (ended ? ended : "failed")
             : strcmp(status, "in_progress") == 0 ? "running"
             : status[0]                          ? "queued"
                                                  : "");
    return out->id[0] != '\0';
}

static const struct ci_api ci = {.list = list,
                                 .runs = runs,
                                 .ours = ours,
                                 .trigger = trigger,
                                 .send = actions_send,
                                 .run_path = "runs/",
                                 .run = run,
                                 .cancel_path = "/cancel"};

static void ci_trigger(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        ci_trigger_step(c, res, &ci);
}

static void ci_status(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        ci_status_step(c, res, &ci);
}

static void ci_cancel(struct provider_call *c, const struct outbound_response *res)
{
    if (!res || !github_limited(c, res))
        ci_cancel_step(c, res, &ci);
}

/*
 * ---- job discovery: the repository's workflows, each with its workflow_dispatch inputs ----
 * One page of GET .../actions/workflows (100 a page; input "cursor" is the page number), then each
 * workflow's file from the contents API (on the default branch), read for on.workflow_dispatch.inputs. A
 * workflow that cannot be dispatched (no workflow_dispatch) is listed with no parameters and
 * "dispatchable": false. A job's id is the workflow's path, what githubWorkflowPath names.
 */
enum { JOBS_LIST, JOBS_FILE };
#define WORKFLOWS_PAGE 100

/* on.workflow_dispatch of a workflow document: the object (inputs or not), true when a bare name, NULL when absent. */
static const json_t *dispatch_of(const json_t *doc, bool *bare)
{
    const json_t *on = json_object_get(doc, "on"), *v;
    size_t i;

    *bare = false;
    if (!on)
        on = json_object_get(doc, "true"); /* YAML 1.1 readers may turn the key on into true */
    if (json_is_string(on))
        *bare = strcmp(json_string_value(on), "workflow_dispatch") == 0;
    json_array_foreach(on, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), "workflow_dispatch") == 0)
            *bare = true;
    }
    return *bare ? on : json_object_get(on, "workflow_dispatch");
}

static json_t *dispatch_inputs(const json_t *dispatch)
{
    json_t *out = json_array();
    const json_t *input;
    const char *name;

    json_object_foreach((json_t *)json_object_get(dispatch, "inputs"), name, input)
    {
        const char *type = json_string_value(json_object_get(input, "type"));
        const char *required = ci_yaml_bool(json_string_value(json_object_get(input, "required")));
        if (json_array_size(out) >= CI_PARAMS_MAX)
            break;
        json_array_append_new(out, ci_param(name,
                                            !type                          ? "string"
                                            : strcmp(type, "boolean") == 0 ? "boolean"
                                            : strcmp(type, "choice") == 0  ? "choice"
                                            : strcmp(type, "number") == 0  ? "number"
                                                                           : "string",
                                            json_object_get(input, "default"), json_object_get(input, "options"),
                                            json_string_value(json_object_get(input, "description")),
                                            required && strcmp(required, "true") == 0));
    }
    return out;
}

/* A contents API answer read as a workflow into job. */
static void read_workflow(const json_t *answer, json_t *job)
{
    json_t *doc = ci_yaml_content(answer);
    bool bare;

    if (doc) {
        const json_t *dispatch = dispatch_of(doc, &bare);
        json_object_set_new(job, "dispatchable", json_boolean(dispatch != NULL));
        if (dispatch && !bare)
            json_object_set_new(job, "parameters", dispatch_inputs(dispatch));
    }
    json_decref(doc);
}

static void ci_list_jobs(struct provider_call *c, const struct outbound_response *res)
{
    const char *cursor = json_string_value(json_object_get(c->input, "cursor"));
    long page = cursor ? strtol(cursor, NULL, 10) : 1;
    json_t *jobs = json_object_get(c->state.data, "jobs"), *j, *w;
    json_int_t at = provider_data_int(c, "at");
    char rest[PROVIDER_URL_MAX], e[1024];
    size_t i;

    if (page < 1 || page > 1000) {
        provider_finish(c, VERDICT_INVALID, "not a page of workflows: %s", cursor);
        return;
    }
    if (!res) {
        if (c->state.step == JOBS_LIST) {
            snprintf(rest, sizeof rest, "workflows?per_page=%d&page=%ld", WORKFLOWS_PAGE, page);
            actions_send(c, "GET", rest, NULL);
        } else {
            const char *path = json_string_value(json_object_get(json_array_get(jobs, (size_t)at), "id"));
            char p[PROVIDER_URL_MAX], a[512], b[512];
            snprintf(p, sizeof p, "/repos/%s/%s/contents/.github/workflows/%s",
                     provider_escape(provider_scm_text(c, "organization"), a, sizeof a),
                     provider_escape(provider_scm_text(c, "repoName"), b, sizeof b), provider_escape(path + 18, e, sizeof e));
            github_get(c, github_base(provider_scm_text(c, "serverUrl")), provider_scm_text(c, "accessToken"), p);
        }
        return;
    }
    if (github_limited(c, res) || (c->state.step == JOBS_LIST &&
                                   provider_failed(c, res, "GitHub rejected the connection's token",
                                                   "GitHub answered 404: the repository is not there, or the token cannot see it")))
        return;
    if (c->state.step == JOBS_LIST) {
        if (!(j = provider_answer_json(c, res)))
            return;
        jobs = json_array();
        json_array_foreach(json_object_get(j, "workflows"), i, w)
        {
            const char *path = json_string_value(json_object_get(w, "path")), *name = json_string_value(json_object_get(w, "name"));
            if (path && strncmp(path, ".github/workflows/", 18) == 0)
                json_array_append_new(
                    jobs, ci_job(path, name ? name : path, path, json_string_value(json_object_get(w, "html_url")), NULL, NULL));
        }
        if ((json_int_t)page * WORKFLOWS_PAGE < json_integer_value(json_object_get(j, "total_count"))) {
            snprintf(rest, sizeof rest, "%ld", page + 1);
            json_object_set_new(c->state.data, "cursor", json_string(rest));
        }
        json_decref(j);
        json_object_set_new(c->state.data, "jobs", jobs);
        at = -1;
    } else if (res->status / 100 == 2 && (j = json_loadb(res->body, res->len, 0, NULL))) { /* a file not read: no parameters */
        read_workflow(j, json_array_get(jobs, (size_t)at));
        json_decref(j);
    }
    if ((size_t)(at + 1) < json_array_size(jobs)) {
        json_object_set_new(c->state.data, "at", json_integer(at + 1));
        provider_next(c, JOBS_FILE);
        return;
    }
    json_object_set(c->output, "jobs", jobs);
    if (provider_data_text(c, "cursor")[0])
        json_object_set_new(c->output, "cursor", json_string(provider_data_text(c, "cursor")));
    provider_finish(c, VERDICT_VALID, "GitHub lists %zu workflows", json_array_size(jobs));
}

static const struct provider_ops ops = {.verify = verify,
                                        .ci_trigger = ci_trigger,
                                        .ci_status = ci_status,
                                        .ci_cancel = ci_cancel,
                                        .ci_list_jobs = ci_list_jobs,
                                        .webhook_check = github_webhook_check,
                                        .webhook_parse = github_webhook_parse};
static struct provider_setting *const settings[] = {&github_budget, NULL};

struct provider github_actions_provider = {
    .type = "GITHUB_ACTIONS",
    .kind = "github-actions",
    .display = "GitHub Actions",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .scm_type = "GITHUB",
    .flag = "ENABLE_GITHUB_ACTIONS_INTEGRATION",
    .base_url = &github_api,
    .settings = settings,
    .ci_job_field = "githubWorkflowPath",
    .caps = CAP_VERIFY | CAP_CI_TRIGGER | CAP_CI_STATUS | CAP_CI_CANCEL | CAP_CI_LIST_JOBS | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
    .webhook_delivery_headers = github_delivery_headers,
};
