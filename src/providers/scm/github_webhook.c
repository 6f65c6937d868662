/*
 * github_webhook.c: GitHub's inbound webhooks, for GitHub and GitHub
 * Actions alike (github.h). A delivery is signed by X-Hub-Signature-256:
 * "sha256=" and the hex HMAC-SHA256 of the raw body under the hook's
 * secret; X-GitHub-Delivery is its id (a redelivery repeats it) and
 * X-GitHub-Event its kind. Used: push (a branch or a tag) and workflow_run
 * (an Actions run queued, in progress, completed). GitHub signs no time,
 * so a replay is caught by its delivery id alone.
 */
#include "providers/inbound.h"
#include "providers/scm/github.h"

bool github_webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_ok(in, "X-Hub-Signature-256", "sha256=");
}

static const struct inbound_state run_status[] = {
    {"requested", "queued", NULL},    {"queued", "queued", NULL},       {"waiting", "queued", NULL}, {"pending", "queued", NULL},
    {"in_progress", "running", NULL}, {"completed", "completed", NULL}, {NULL, NULL, NULL},
};
static const struct inbound_state run_conclusion[] = {
    {"success", NULL, "succeeded"},
    {"neutral", NULL, "succeeded"},
    {"cancelled", NULL, "cancelled"},
    {"skipped", NULL, "cancelled"},
    {NULL, NULL, NULL}, /* failure, timed_out, action_required, ...: failed */
};

static enum err_code workflow_run(const json_t *body, struct provider_event *ev, struct err *err)
{
    const json_t *run = json_object_get(body, "workflow_run");

    if (!json_is_object(run))
        return err_set(err, ERR_INVALID, "a workflow_run event without its workflow_run");
    ev->kind = EVENT_BUILD;
    inbound_state(ev, run_status, json_string_value(json_object_get(run, "status")));
    if (strcmp(ev->status, "completed") == 0)
        inbound_state(ev, run_conclusion, json_string_value(json_object_get(run, "conclusion")));
    if (inbound_copy(ev->run_id, sizeof ev->run_id, json_object_get(run, "id"), "run id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, json_object_get(run, "head_branch"), "branch", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, json_object_get(run, "head_sha"), "sha", err) ||
        inbound_copy(ev->url, sizeof ev->url, json_object_get(run, "html_url"), "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a workflow_run event without the run's id or status");
    return ERR_OK;
}

enum err_code github_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    const char *event = inbound_header(in, "X-GitHub-Event");
    json_t *body;

    memset(ev, 0, sizeof *ev);
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, inbound_header(in, "X-GitHub-Delivery"), "delivery id", err))
        return err->code;
    if (!ev->delivery[0] || !event)
        return err_set(err, ERR_INVALID, "a GitHub delivery names itself in X-GitHub-Delivery and its kind in X-GitHub-Event");
    if (!(body = inbound_json(in, err)))
        return err->code;
    if (strcmp(event, "push") == 0) {
        if (inbound_ref(ev, json_string_value(json_object_get(body, "ref")), err) == ERR_OK &&
            inbound_copy(ev->sha, sizeof ev->sha, json_object_get(body, "after"), "sha", err) == ERR_OK)
            inbound_copy(ev->url, sizeof ev->url, json_object_get(body, "compare"), "url", err);
    } else if (strcmp(event, "workflow_run") == 0) {
        workflow_run(body, ev, err);
    }
    json_decref(body);
    return err->code;
}
