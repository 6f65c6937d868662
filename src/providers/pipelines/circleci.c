/* circleci.c: CircleCI (API v2). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/inbound.h"
#include "providers/pipelines/pipelines.h"

static struct provider_setting api = {
    .env = "SLIPWAY_CIRCLECI_API_URL", .def = "https://circleci.com/api/v2", .help = "CircleCI's API", .kind = SETTING_TEXT};

static const char *check_slug(json_t *j)
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

static const struct field fields[] = {
    FMT("circleciProjectSlug", true, 512, check_slug, "circleci project slug"),
    SECRET("circleciApiToken", true, 4096),
    TEXT("circleciWorkflowName", false, 255),
};

/* The project, with the token. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    const char *slug = provider_text(c, "circleciProjectSlug");
    char path[PROVIDER_URL_MAX], msg[700];

    if (!res) {
        snprintf(path, sizeof path, "/project/%s", slug);
        provider_get_with_token(c, api.text, path, "Circle-Token", "", provider_text(c, "circleciApiToken"), NULL);
        return;
    }
    snprintf(msg, sizeof msg, "project %s not found on CircleCI, or the token cannot see it", slug);
    if (!provider_failed(c, res, "CircleCI rejected the API token", msg))
        provider_finish(c, VERDICT_VALID, "CircleCI accepts the token for %s", slug);
}

/*
 * Inbound webhooks. circleci-signature: "v1=" and the hex HMAC-SHA256 of
 * the raw body under the webhook's secret (a comma-separated list may
 * come); the body's happened_at, signed with it, must be within the replay
 * window (the parse checks it); its id names the delivery. Used: workflow-completed (a run ended).
 */
static bool webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_ok(in, "circleci-signature", "v1=");
}

static const struct inbound_state workflow_state[] = {
    {"success", "completed", "succeeded"},  {"failed", "completed", "failed"},
    {"error", "completed", "failed"},       {"failing", "completed", "failed"},
    {"canceled", "completed", "cancelled"}, {"unauthorized", "completed", "failed"},
    {"not_run", "completed", "cancelled"},  {NULL, NULL, NULL},
};

/* What a delivery's parse reads of its body (inbound_pick). */
enum { F_AT, F_ID, F_TYPE, F_STATUS, F_RUN, F_TAG, F_BRANCH, F_REVISION, F_URL };
static const char *const hook_fields[] = {
    [F_AT] = "happened_at",
    [F_ID] = "id",
    [F_TYPE] = "type",
    [F_STATUS] = "workflow.status",
    [F_RUN] = "workflow.id",
    [F_TAG] = "pipeline.vcs.tag",
    [F_BRANCH] = "pipeline.vcs.branch",
    [F_REVISION] = "pipeline.vcs.revision",
    [F_URL] = "workflow.url",
};

static enum err_code workflow_completed(const struct jsonpick_value *v, struct provider_event *ev, struct err *err)
{
    ev->kind = EVENT_BUILD;
    inbound_state(ev, workflow_state, &v[F_STATUS]);
    if (inbound_copy(ev->run_id, sizeof ev->run_id, &v[F_RUN], "workflow id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, v[F_TAG].type == JSONPICK_STRING ? &v[F_TAG] : &v[F_BRANCH], "branch", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, &v[F_REVISION], "revision", err) ||
        inbound_copy(ev->url, sizeof ev->url, &v[F_URL], "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a workflow-completed event without the workflow's id or a known status");
    return ERR_OK;
}

static enum err_code webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    struct jsonpick_value v[ARRAY_LEN(hook_fields)];
    json_t *tree;

    memset(ev, 0, sizeof *ev);
    if (inbound_pick_signed(in, hook_fields, ARRAY_LEN(hook_fields), F_AT, v, &tree, err))
        return err->code;
    if (inbound_copy(ev->delivery, sizeof ev->delivery, &v[F_ID], "delivery id", err) == ERR_OK) {
        if (!ev->delivery[0])
            err_set(err, ERR_INVALID, "a CircleCI event names itself in its id");
        else if (v[F_TYPE].type != JSONPICK_STRING)
            err_set(err, ERR_INVALID, "a CircleCI event names its kind in its type");
        else if (jsonpick_is(&v[F_TYPE], "workflow-completed"))
            workflow_completed(v, ev, err);
    }
    json_decref(tree);
    return err->code;
}

/*
 * ---- builds: a pipeline with parameters, then its workflow (docs/releases.md) ----
 * The run slipway follows is the workflow (circleciWorkflowName, else the
 * pipeline's first): its id is what workflow-completed names. The trigger
 * finds the pipeline (by the slipway_build_id parameter in the project's
 * recent pipelines on the branch, or the trigger's answer), then its
 * workflows; the pipeline's workflows appear moments after it is created.
 */

/* method <api>/<rest> with the token. */
static void circle_send(struct provider_call *c, const char *method, const char *rest, const char *body)
{
    char path[PROVIDER_URL_MAX];
    snprintf(path, sizeof path, "/%s", rest);
    provider_send_with_token(c, method, api.text, path, "Circle-Token", "", provider_text(c, "circleciApiToken"), NULL, body);
}

#define TAGS "refs/tags/"
#define HEADS "refs/heads/"

/* The ref as CircleCI takes it: refs/tags/NAME is the tag NAME (*tag); any other a branch, refs/heads/ taken off. */
static const char *ref_name(const struct provider_call *c, bool *tag)
{
    const char *ref = json_string_value(json_object_get(c->input, "ref"));

    *tag = ref && strncmp(ref, TAGS, strlen(TAGS)) == 0;
    if (*tag)
        return ref + strlen(TAGS);
    return ref && strncmp(ref, HEADS, strlen(HEADS)) == 0 ? ref + strlen(HEADS) : ref;
}

/* The project's latest pipelines on the branch (CircleCI filters by branch only: a tag's, the latest of all). */
static void list(struct provider_call *c)
{
    char rest[1800], ref[768];
    bool tag;
    const char *name = ref_name(c, &tag);

    snprintf(rest, sizeof rest, "project/%s/pipeline%s%s", provider_text(c, "circleciProjectSlug"),
             tag ? "" : "?branch=", tag ? "" : provider_escape(name, ref, sizeof ref));
    circle_send(c, "GET", rest, NULL);
}

static const json_t *runs(const json_t *answer)
{
    return json_object_get(answer, "items");
}

/* The pipeline parameter slipway_build_id, as the project's config declares it. */
static bool ours(const json_t *run, const char *corr)
{
    const char *v = json_string_value(json_object_get(json_object_get(run, "trigger_parameters"), CI_CORRELATION));
    return v && strcmp(v, corr) == 0;
}

/* POST project/{slug}/pipeline {"branch" or "tag", "parameters"}: the config must declare each as a string parameter. */
static void trigger(struct provider_call *c)
{
    bool tag;
    const char *name = ref_name(c, &tag);
    json_t *body = json_pack("{s:s?, s:o}", tag ? "tag" : "branch", name, "parameters", ci_parameters(c));
    char rest[700], *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    json_decref(body);
    snprintf(rest, sizeof rest, "project/%s/pipeline", provider_text(c, "circleciProjectSlug"));
    circle_send(c, "POST", rest, text ? text : "{}");
    free(text);
}

/* A pipeline (listed, or the trigger's answer): "errored" (its config) has failed, anything else goes on to its workflow. */
static bool pipeline(const struct provider_call *c, const json_t *r, struct ci_run *out)
{
    UNUSED(c);
    const char *state = json_string_value(json_object_get(r, "state"));
    ci_text(json_object_get(r, "id"), out->id, sizeof out->id);
    out->number = json_integer_value(json_object_get(r, "number"));
    snprintf(out->status, sizeof out->status, "%s", state && strcmp(state, "errored") == 0 ? "failed" : "queued");
    return out->id[0] != '\0';
}

static void follow(struct provider_call *c, const char *found)
{
    char rest[600], e[512];
    snprintf(rest, sizeof rest, "pipeline/%s/workflow", provider_escape(found, e, sizeof e));
    circle_send(c, "GET", rest, NULL);
}

static const struct ci_state states[] = {
    {"success", "succeeded"}, {"running", "running"},     {"on_hold", "running"},    {"failing", "running"},   {"failed", "failed"},
    {"error", "failed"},      {"unauthorized", "failed"}, {"canceled", "cancelled"}, {"not_run", "cancelled"}, {NULL, NULL},
};

/* A workflow: its status, and its page in the app as the run's URL. */
static bool workflow(const struct provider_call *c, const json_t *w, struct ci_run *out)
{
    const char *status = ci_state(states, json_string_value(json_object_get(w, "status")));
    json_int_t number = json_integer_value(json_object_get(w, "pipeline_number"));

    ci_text(json_object_get(w, "id"), out->id, sizeof out->id);
    out->number = number;
    snprintf(out->url, sizeof out->url, "https://app.circleci.com/pipelines/%s/%" JSON_INTEGER_FORMAT "/workflows/%s",
             provider_text(c, "circleciProjectSlug"), number, out->id);
    snprintf(out->status, sizeof out->status, "%s", status ? status : "");
    return out->id[0] != '\0';
}

/* The pipeline's workflow named circleciWorkflowName, else its first. */
static bool followed(const struct provider_call *c, const json_t *answer, struct ci_run *out)
{
    const char *want = provider_text(c, "circleciWorkflowName");
    const json_t *w;
    size_t i;

    json_array_foreach(json_object_get(answer, "items"), i, w)
    {
        const char *name = json_string_value(json_object_get(w, "name"));
        if (!want[0] || (name && strcmp(name, want) == 0))
            return workflow(c, w, out);
    }
    return false;
}

static const struct ci_api ci = {.list = list,
                                 .runs = runs,
                                 .ours = ours,
                                 .trigger = trigger,
                                 .triggered = pipeline,
                                 .send = circle_send,
                                 .run_path = "workflow/",
                                 .run = pipeline,
                                 .follow = follow,
                                 .followed = followed,
                                 .cancel_path = "/cancel"};

/* Status reads the workflow itself, so run() is the workflow's there. */
static const struct ci_api ci_workflow = {.send = circle_send, .run_path = "workflow/", .run = workflow, .cancel_path = "/cancel"};

static void ci_trigger(struct provider_call *c, const struct outbound_response *res)
{
    ci_trigger_step(c, res, &ci);
}

static void ci_status(struct provider_call *c, const struct outbound_response *res)
{
    ci_status_step(c, res, &ci_workflow);
}

static void ci_cancel(struct provider_call *c, const struct outbound_response *res)
{
    ci_cancel_step(c, res, &ci_workflow);
}

/*
 * ---- job discovery: a CircleCI project runs one pipeline, so it has one job, "pipeline" ----
 * Its parameters are the pipeline parameters of .circleci/config.yml, as the project's latest pipeline's
 * config (GET pipeline/{id}/config, its "source") declares them: {type: string | boolean | integer | enum,
 * default, description, enum}. A project with no pipeline yet lists the job without parameters.
 */
enum { JOBS_LATEST, JOBS_CONFIG };

static const struct ci_state param_types[] = {
    {"string", "string"}, {"boolean", "boolean"}, {"integer", "number"}, {"enum", "choice"}, {NULL, NULL}};

static json_t *circle_params(const json_t *doc)
{
    json_t *out = json_array();
    const json_t *v;
    const char *name, *type;

    json_object_foreach((json_t *)json_object_get(doc, "parameters"), name, v)
    {
        if (json_array_size(out) >= CI_PARAMS_MAX || strcmp(name, CI_CORRELATION) == 0)
            continue; /* slipway's own: set by every trigger */
        type = ci_state(param_types, json_string_value(json_object_get(v, "type")));
        json_array_append_new(out, ci_param(name, type ? type : "string", json_object_get(v, "default"), json_object_get(v, "enum"),
                                            json_string_value(json_object_get(v, "description")), !json_object_get(v, "default")));
    }
    return out;
}

static void ci_list_jobs(struct provider_call *c, const struct outbound_response *res)
{
    const char *slug = provider_text(c, "circleciProjectSlug");
    char rest[1200], e[512];
    json_t *j, *doc = NULL;

    if (!res) {
        if (c->state.step == JOBS_LATEST)
            snprintf(rest, sizeof rest, "project/%s/pipeline", slug);
        else
            snprintf(rest, sizeof rest, "pipeline/%s/config", provider_escape(provider_data_text(c, "pipeline"), e, sizeof e));
        circle_send(c, "GET", rest, NULL);
        return;
    }
    if (provider_failed(c, res, "CircleCI rejected the API token", "CircleCI answered 404: the project is not there") ||
        !(j = provider_answer_json(c, res)))
        return;
    if (c->state.step == JOBS_LATEST) {
        const char *id = json_string_value(json_object_get(json_array_get(json_object_get(j, "items"), 0), "id"));
        if (id) {
            json_object_set_new(c->state.data, "pipeline", json_string(id));
            json_decref(j);
            provider_next(c, JOBS_CONFIG);
            return;
        }
    } else {
        const char *source = json_string_value(json_object_get(j, "source"));
        doc = source ? ci_yaml(source, strlen(source)) : NULL;
    }
    json_decref(j);
    json_object_set_new(c->output, "jobs",
                        json_pack("[o]", ci_job("pipeline", slug, NULL, NULL, "the project's pipeline (.circleci/config.yml)",
                                                doc ? circle_params(doc) : NULL)));
    json_decref(doc);
    provider_finish(c, VERDICT_VALID, "CircleCI lists the pipeline of %s", slug);
}

static const struct provider_ops ops = {.verify = verify,
                                        .ci_trigger = ci_trigger,
                                        .ci_status = ci_status,
                                        .ci_cancel = ci_cancel,
                                        .ci_list_jobs = ci_list_jobs,
                                        .webhook_check = webhook_check,
                                        .webhook_parse = webhook_parse};

struct provider circleci_provider = {
    .type = "CIRCLECI",
    .kind = "circleci",
    .display = "CircleCI",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .base_url = &api,
    .caps = CAP_VERIFY | CAP_CI_TRIGGER | CAP_CI_STATUS | CAP_CI_CANCEL | CAP_CI_LIST_JOBS | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
