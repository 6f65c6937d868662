/*
 * sentry.c: Sentry (sentry.io or self-hosted; the Web API with an auth token). verify reads the project;
 * monitoring_health reads a release's crash-free rates from the sessions API (docs/stores.md "Health-gated rollouts").
 */
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/monitoring/monitoring.h"

static const struct field fields[] = {
    STR("sentryUrl", false, 1, 512, .check = check_url, .format = "url", .def = "\"https://sentry.io\""),
    TEXT("sentryOrganization", true, 255),
    TEXT("sentryProject", true, 255),
    SECRET("sentryAuthToken", true, 4096),
};

static const char *base_of(const struct provider_call *c)
{
    return provider_text(c, "sentryUrl")[0] ? provider_text(c, "sentryUrl") : "https://sentry.io";
}

/* GET /api/0/organizations/{org}/projects/{project}/ with the token. */
static void get_project(struct provider_call *c)
{
    char path[PROVIDER_URL_MAX], a[512], b[512];
    snprintf(path, sizeof path, "/api/0/organizations/%s/projects/%s/",
             provider_escape(provider_text(c, "sentryOrganization"), a, sizeof a),
             provider_escape(provider_text(c, "sentryProject"), b, sizeof b));
    provider_get_with_token(c, base_of(c), path, "Authorization", "Bearer ", provider_text(c, "sentryAuthToken"), NULL);
}

static bool project_failed(struct provider_call *c, const struct outbound_response *res)
{
    char msg[700];
    snprintf(msg, sizeof msg, "project %s/%s not found on Sentry, or the token cannot see it",
             provider_text(c, "sentryOrganization"), provider_text(c, "sentryProject"));
    return provider_failed(c, res, "Sentry rejected the auth token", msg);
}

/* The project, with the token. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    if (!res) {
        get_project(c);
        return;
    }
    if (!project_failed(c, res))
        provider_finish(c, VERDICT_VALID, "Sentry accepts the token for %s/%s", provider_text(c, "sentryOrganization"),
                        provider_text(c, "sentryProject"));
}

enum { PROJECT, SESSIONS };

/*
 * The project's numeric id (the sessions API filters by id), then
 * GET /api/0/organizations/{org}/sessions/?project={id}&field=crash_free_rate(session)&field=crash_free_rate(user)
 * &field=count_errored(session)&query=release:"{version}"&statsPeriod=1h: groups[0].totals holds each rate as a
 * fraction 0..1 (null: no sessions) and the count of the hour's sessions that ended errored (crashed ones included).
 */
static void health(struct provider_call *c, const struct outbound_response *res)
{
    char path[PROVIDER_URL_MAX], a[512], q[600], qe[1800];
    json_t *j;

    if (!res) {
        if (c->state.step == PROJECT) {
            get_project(c);
            return;
        }
        snprintf(q, sizeof q, "release:\"%s\"", monitoring_version(c));
        snprintf(path, sizeof path,
                 "/api/0/organizations/%s/sessions/?project=%s&field=crash_free_rate(session)&field=crash_free_rate(user)"
                 "&field=count_errored(session)&query=%s&statsPeriod=1h&interval=1h",
                 provider_escape(provider_text(c, "sentryOrganization"), a, sizeof a), provider_data_text(c, "projectId"),
                 provider_escape(q, qe, sizeof qe));
        provider_get_with_token(c, base_of(c), path, "Authorization", "Bearer ", provider_text(c, "sentryAuthToken"), NULL);
        return;
    }
    if (c->state.step == PROJECT) {
        if (project_failed(c, res) || !(j = provider_answer_json(c, res)))
            return;
        if (!json_is_string(json_object_get(j, "id")) ||
            !fields_all_chars(json_string_value(json_object_get(j, "id")), "", false, false, true)) {
            json_decref(j);
            provider_finish(c, VERDICT_NONE, "Sentry's project answer has no id");
            return;
        }
        json_object_set(c->state.data, "projectId", json_object_get(j, "id"));
        json_decref(j);
        provider_next(c, SESSIONS);
        return;
    }
    if (provider_failed(c, res, "Sentry rejected the auth token", "Sentry's sessions API is not there") ||
        !(j = provider_answer_json(c, res)))
        return;
    {
        json_t *totals = json_object_get(json_array_get(json_object_get(j, "groups"), 0), "totals");
        monitoring_finish(c, json_object_get(totals, "crash_free_rate(session)"), json_object_get(totals, "crash_free_rate(user)"),
                          json_object_get(totals, "count_errored(session)"));
    }
    json_decref(j);
}

static const struct provider_ops ops = {.verify = verify, .monitoring_health = health};

struct provider sentry_provider = {
    .type = "SENTRY",
    .kind = "sentry",
    .display = "Sentry",
    .category = CAT_MONITORING,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_MONITORING_HEALTH,
    .ops = &ops,
};
