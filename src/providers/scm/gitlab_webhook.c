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

const char *const gitlab_delivery_headers[] = {"Idempotency-Key", "X-Gitlab-Event-UUID", NULL};

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

/* What each event's parse reads of its body (inbound_pick). */
enum { P_REF, P_CHECKOUT, P_AFTER, P_URL };
static const char *const push_fields[] = {
    [P_REF] = "ref", [P_CHECKOUT] = "checkout_sha", [P_AFTER] = "after", [P_URL] = "project.web_url"};
enum { A_ATTRS, A_STATUS, A_ID, A_REF, A_SHA, A_URL };
static const char *const pipeline_fields[] = {
    [A_ATTRS] = "object_attributes",   [A_STATUS] = "object_attributes.status", [A_ID] = "object_attributes.id",
    [A_REF] = "object_attributes.ref", [A_SHA] = "object_attributes.sha",       [A_URL] = "object_attributes.url",
};

static enum err_code push(const struct jsonpick_value *v, struct provider_event *ev, struct err *err)
{
    /* A deleted ref has no checkout_sha: after is all zeros. */
    const struct jsonpick_value *sha =
        v[P_CHECKOUT].type == JSONPICK_ABSENT || v[P_CHECKOUT].type == JSONPICK_NULL ? &v[P_AFTER] : &v[P_CHECKOUT];

    if (inbound_ref(ev, &v[P_REF], err) == ERR_OK && inbound_copy(ev->sha, sizeof ev->sha, sha, "sha", err) == ERR_OK)
        inbound_copy(ev->url, sizeof ev->url, &v[P_URL], "url", err);
    return err->code;
}

static enum err_code pipeline(const struct jsonpick_value *v, struct provider_event *ev, struct err *err)
{
    if (v[A_ATTRS].type != JSONPICK_OBJECT)
        return err_set(err, ERR_INVALID, "a Pipeline Hook without its object_attributes");
    ev->kind = EVENT_BUILD;
    inbound_state(ev, pipeline_state, &v[A_STATUS]);
    if (inbound_copy(ev->run_id, sizeof ev->run_id, &v[A_ID], "pipeline id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, &v[A_REF], "ref", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, &v[A_SHA], "sha", err) ||
        inbound_copy(ev->url, sizeof ev->url, &v[A_URL], "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a Pipeline Hook without the pipeline's id or a known status");
    return ERR_OK;
}

/* The events read (inbound_read_event). */
static const struct inbound_event events[] = {
    {"Push Hook", push_fields, ARRAY_LEN(push_fields), push},
    {"Tag Push Hook", push_fields, ARRAY_LEN(push_fields), push},
    {"Pipeline Hook", pipeline_fields, ARRAY_LEN(pipeline_fields), pipeline},
    {NULL, NULL, 0, NULL},
};

enum err_code gitlab_webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    const char *event = inbound_header(in, "X-Gitlab-Event");

    memset(ev, 0, sizeof *ev);
    if (inbound_copy_text(ev->delivery, sizeof ev->delivery, inbound_first_header(in, gitlab_delivery_headers), "delivery id", err))
        return err->code;
    if (!ev->delivery[0] || !event)
        return err_set(err, ERR_INVALID,
                       "a GitLab delivery names itself in Idempotency-Key or X-Gitlab-Event-UUID and its kind in X-Gitlab-Event");
    return inbound_read_event(in, events, event, ev, err);
}
