/* circleci.c: CircleCI (API v2). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/inbound.h"

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
 * window; its id names the delivery. Used: workflow-completed (a run ended).
 */
static bool webhook_check(const struct provider_inbound *in)
{
    return inbound_hmac_fresh(in, "circleci-signature", "v1=", "happened_at");
}

static const struct inbound_state workflow_state[] = {
    {"success", "completed", "succeeded"},  {"failed", "completed", "failed"},
    {"error", "completed", "failed"},       {"failing", "completed", "failed"},
    {"canceled", "completed", "cancelled"}, {"unauthorized", "completed", "failed"},
    {"not_run", "completed", "cancelled"},  {NULL, NULL, NULL},
};

static enum err_code workflow_completed(const json_t *body, struct provider_event *ev, struct err *err)
{
    const json_t *workflow = json_object_get(body, "workflow"), *vcs = json_object_get(json_object_get(body, "pipeline"), "vcs");
    const json_t *tag = json_object_get(vcs, "tag");

    ev->kind = EVENT_BUILD;
    inbound_state(ev, workflow_state, json_string_value(json_object_get(workflow, "status")));
    if (inbound_copy(ev->run_id, sizeof ev->run_id, json_object_get(workflow, "id"), "workflow id", err) ||
        inbound_copy(ev->ref, sizeof ev->ref, json_is_string(tag) ? tag : json_object_get(vcs, "branch"), "branch", err) ||
        inbound_copy(ev->sha, sizeof ev->sha, json_object_get(vcs, "revision"), "revision", err) ||
        inbound_copy(ev->url, sizeof ev->url, json_object_get(workflow, "url"), "url", err))
        return err->code;
    if (!ev->run_id[0] || !ev->status[0])
        return err_set(err, ERR_INVALID, "a workflow-completed event without the workflow's id or a known status");
    return ERR_OK;
}

static enum err_code webhook_parse(const struct provider_inbound *in, struct provider_event *ev, struct err *err)
{
    json_t *body;
    const char *type;

    memset(ev, 0, sizeof *ev);
    if (!(body = inbound_json(in, err)))
        return err->code;
    type = json_string_value(json_object_get(body, "type"));
    if (inbound_copy(ev->delivery, sizeof ev->delivery, json_object_get(body, "id"), "delivery id", err) == ERR_OK) {
        if (!ev->delivery[0])
            err_set(err, ERR_INVALID, "a CircleCI event names itself in its id");
        else if (!type)
            err_set(err, ERR_INVALID, "a CircleCI event names its kind in its type");
        else if (strcmp(type, "workflow-completed") == 0)
            workflow_completed(body, ev, err);
    }
    json_decref(body);
    return err->code;
}

static const struct provider_ops ops = {.verify = verify, .webhook_check = webhook_check, .webhook_parse = webhook_parse};

struct provider circleci_provider = {
    .type = "CIRCLECI",
    .kind = "circleci",
    .display = "CircleCI",
    .category = CAT_PIPELINES,
    FIELDS(fields),
    .base_url = &api,
    .caps = CAP_VERIFY | CAP_WEBHOOK_CHECK | CAP_WEBHOOK_PARSE,
    .ops = &ops,
};
