/*
 * gitlab_webhook.c: GitLab's inbound webhooks, for GitLab and GitLab CI
 * alike (gitlab.h). GitLab does not sign: it sends the hook's secret token
 * itself in X-Gitlab-Token, compared in constant time. A delivery's id is
 * Idempotency-Key (the same on every retry; GitLab 17.4 on) or else
 * X-Gitlab-Event-UUID; X-Gitlab-Event is its kind. Used: Push Hook, Tag
 * Push Hook and Pipeline Hook. No signed time: replays are caught by the
 * delivery id alone.
 */
#include "providers/inbound.h"
#include "providers/scm/gitlab.h"

bool gitlab_webhook_check(const struct provider_inbound *in)
{
    return inbound_token_ok(in, "X-Gitlab-Token");
}

static const struct inbound_state pipeline_state[] = {
    {"created", "queued", NULL},           {"waiting_for_resource", "queued", NULL},
    {"preparing", "queued", NULL},         {"pending", "queued", NULL},
    {"scheduled", "queued", NULL},         {"manual", "queued", NULL},
    {"running", "running", NULL},          {"waiting_for_callback", "running", NULL},
    {"canceling", "running", NULL},        {"success", "completed", "succeeded"},
    {"failed", "completed", "failed"},     {"canceled", "completed", "cancelled"},
    {"skipped", "completed", "cancelled"}, {NULL, NULL, NULL},
};

static enum err_code pipeline(const json_t *body, struct provider_event *ev, struct err *err)
{
    const json_t *attrs = json_object_get(body, "object_attributes");

    if (!json_is_object(attrs))
        return err_set(err, ERR_INVALID, "a Pipeline Hook without its object_attributes");
    ev->kind = EVENT_BUILD;
    inbound_state(ev, pipeline_state, json_string_value(json_object_get(attrs, "status")));
    if (inbound_copy(ev->run_id, sizeof ev->run_id, json_object_get(attrs, "id"), "pipeline id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, json_object_get(attrs, "ref"), "ref", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, json_object_get(attrs, "sha"), "sha", err) ||
        inbound_copy(ev->url, sizeof ev->url, json_object_get(attrs, "url"), "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a Pipeline Hook without the pipeline's id or a known status");
    return ERR_OK;
}

enum err_code gitlab_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    const char *event = inbound_header(in, "X-Gitlab-Event");
    const char *id = inbound_header(in, "Idempotency-Key");
    json_t *body;

    memset(ev, 0, sizeof *ev);
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, id ? id : inbound_header(in, "X-Gitlab-Event-UUID"), "delivery id",
                          err))
        return err->code;
    if (!ev->delivery[0] || !event)
        return err_set(err, ERR_INVALID,
                       "a GitLab delivery names itself in Idempotency-Key or X-Gitlab-Event-UUID and its kind in X-Gitlab-Event");
    if (!(body = inbound_json(in, err)))
        return err->code;
    if (strcmp(event, "Push Hook") == 0 || strcmp(event, "Tag Push Hook") == 0) {
        const json_t *sha = json_object_get(body, "checkout_sha");
        if (!sha || json_is_null(sha)) /* a deleted ref: after is all zeros */
            sha = json_object_get(body, "after");
        if (inbound_ref(ev, json_string_value(json_object_get(body, "ref")), err) == ERR_OK &&
            inbound_copy(ev->sha, sizeof ev->sha, sha, "sha", err) == ERR_OK)
            inbound_copy(ev->url, sizeof ev->url, json_object_get(json_object_get(body, "project"), "web_url"), "url", err);
    } else if (strcmp(event, "Pipeline Hook") == 0) {
        pipeline(body, ev, err);
    }
    json_decref(body);
    return err->code;
}
