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

const char *const github_delivery_headers[] = {"X-GitHub-Delivery", NULL};

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

/* What each event's parse reads of its body (inbound_pick). */
enum { P_REF, P_AFTER, P_COMPARE };
static const char *const push_fields[] = {[P_REF] = "ref", [P_AFTER] = "after", [P_COMPARE] = "compare"};
enum { R_RUN, R_STATUS, R_CONCLUSION, R_ID, R_BRANCH, R_SHA, R_URL };
static const char *const run_fields[] = {
    [R_RUN] = "workflow_run",          [R_STATUS] = "workflow_run.status",      [R_CONCLUSION] = "workflow_run.conclusion",
    [R_ID] = "workflow_run.id",        [R_BRANCH] = "workflow_run.head_branch", [R_SHA] = "workflow_run.head_sha",
    [R_URL] = "workflow_run.html_url",
};

static enum err_code push(const struct jsonpick_value *v, struct provider_event *ev, struct err *err)
{
    if (inbound_ref(ev, &v[P_REF], err) == ERR_OK && inbound_copy(ev->sha, sizeof ev->sha, &v[P_AFTER], "sha", err) == ERR_OK)
        inbound_copy(ev->url, sizeof ev->url, &v[P_COMPARE], "url", err);
    return err->code;
}

static enum err_code workflow_run(const struct jsonpick_value *v, struct provider_event *ev, struct err *err)
{
    if (v[R_RUN].type != JSONPICK_OBJECT)
        return err_set(err, ERR_INVALID, "a workflow_run event without its workflow_run");
    ev->kind = EVENT_BUILD;
    inbound_state(ev, run_status, &v[R_STATUS]);
    if (strcmp(ev->status, "completed") == 0)
        inbound_state(ev, run_conclusion, &v[R_CONCLUSION]);
    if (inbound_copy(ev->run_id, sizeof ev->run_id, &v[R_ID], "run id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, &v[R_BRANCH], "branch", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, &v[R_SHA], "sha", err) ||
        inbound_copy(ev->url, sizeof ev->url, &v[R_URL], "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a workflow_run event without the run's id or status");
    return ERR_OK;
}

/* The events read (inbound_read_event). */
static const struct inbound_event events[] = {
    {"push", push_fields, ARRAY_LEN(push_fields), push},
    {"workflow_run", run_fields, ARRAY_LEN(run_fields), workflow_run},
    {NULL, NULL, 0, NULL},
};

enum err_code github_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    const char *event = inbound_header(in, "X-GitHub-Event");

    memset(ev, 0, sizeof *ev);
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, inbound_first_header(in, github_delivery_headers), "delivery id", err))
        return err->code;
    if (!ev->delivery[0] || !event)
        return err_set(err, ERR_INVALID, "a GitHub delivery names itself in X-GitHub-Delivery and its kind in X-GitHub-Event");
    return inbound_read_event(in, events, event, ev, err);
}
