/*
 * sentry.c: Sentry (sentry.io or self-hosted; the Web API with an auth token). verify reads the project;
 * monitoring_health reads a release's crash-free rates in the rule's window from the sessions API, or its error count in
 * it from events-stats (docs/stores.md "Health-gated rollouts").
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

enum { PROJECT, SESSIONS, EVENTS };

/*
 * Sentry's interval for a window of minutes: 1m up to 6 hours (the sessions API's minute resolution stops there; the
 * metrics-backed one allows it too), 1h past that (the points stay few, and the hour divides a day as both require).
 */
static const char *sessions_interval(int minutes)
{
    return minutes <= 360 ? "1m" : "1h";
}

/*
 * GET /api/0/organizations/{org}/sessions/?project={id}&field=crash_free_rate(session)&field=crash_free_rate(user)
 * &query=release:"{version}"&statsPeriod={minutes}m&interval=1m (1h past 6 hours): the rule's window, which Sentry rounds
 * up to whole intervals ending at the interval under way; groups[0].totals holds each rate over it as a fraction 0..1
 * (null: no sessions in it).
 */
static void get_sessions(struct provider_call *c)
{
    char path[PROVIDER_URL_MAX], a[512], q[600], qe[1800];
    int minutes = monitoring_period_minutes(c);

    snprintf(q, sizeof q, "release:\"%s\"", monitoring_version(c));
    snprintf(path, sizeof path,
             "/api/0/organizations/%s/sessions/?project=%s&field=crash_free_rate(session)&field=crash_free_rate(user)"
             "&query=%s&statsPeriod=%dm&interval=%s",
             provider_escape(provider_text(c, "sentryOrganization"), a, sizeof a), provider_data_text(c, "projectId"),
             provider_escape(q, qe, sizeof qe), minutes, sessions_interval(minutes));
    provider_get_with_token(c, base_of(c), path, "Authorization", "Bearer ", provider_text(c, "sentryAuthToken"), NULL);
}

/*
 * The error events of the version in the rule's window, from Discover's time series (Sentry's "events-stats"):
 * GET /api/0/organizations/{org}/events-stats/?project={id}&query=event.type:error release:"{version}"&yAxis=count()
 * &statsPeriod={minutes}m&interval=1m (5m past 6 hours, to keep the points few)&partial=1 (the minute under way
 * counted): data is [[time, [{"count": n}]], ...], summed.
 */
static void get_events(struct provider_call *c)
{
    char path[PROVIDER_URL_MAX], a[512], q[600], qe[1800];
    int minutes = monitoring_period_minutes(c);

    snprintf(q, sizeof q, "event.type:error release:\"%s\"", monitoring_version(c));
    snprintf(path, sizeof path,
             "/api/0/organizations/%s/events-stats/?project=%s&query=%s&yAxis=count()&statsPeriod=%dm&interval=%s&partial=1",
             provider_escape(provider_text(c, "sentryOrganization"), a, sizeof a), provider_data_text(c, "projectId"),
             provider_escape(q, qe, sizeof qe), minutes, minutes <= 360 ? "1m" : "5m");
    provider_get_with_token(c, base_of(c), path, "Authorization", "Bearer ", provider_text(c, "sentryAuthToken"), NULL);
}

/* The sum of an events-stats answer's counts; NULL when it is not one. Caller owns. */
static json_t *events_sum(const json_t *j)
{
    json_t *point, *data = json_object_get(j, "data");
    json_int_t sum = 0;
    size_t i;

    if (!json_is_array(data))
        return NULL;
    json_array_foreach(data, i, point)
    {
        json_t *n = json_object_get(json_array_get(json_array_get(point, 1), 0), "count");
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return NULL;
        sum += json_integer_value(n);
    }
    return json_integer(sum);
}

/*
 * The project's numeric id (both APIs filter by id), then what the rule reads over its window: the crash-free rates
 * (the sessions API) or the error count (events-stats).
 */
static void health(struct provider_call *c, const struct outbound_response *res)
{
    json_t *j, *errors;

    if (!res) {
        if (c->state.step == PROJECT)
            get_project(c);
        else if (c->state.step == SESSIONS)
            get_sessions(c);
        else
            get_events(c);
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
        provider_next(c, monitoring_counts_errors(c) ? EVENTS : SESSIONS);
        return;
    }
    if (provider_failed(c, res, "Sentry rejected the auth token",
                        c->state.step == SESSIONS ? "Sentry's sessions API is not there"
                                                  : "Sentry's events-stats API is not there") ||
        !(j = provider_answer_json(c, res)))
        return;
    if (c->state.step == SESSIONS) {
        json_t *totals = json_object_get(json_array_get(json_object_get(j, "groups"), 0), "totals");
        monitoring_finish(c, json_object_get(totals, "crash_free_rate(session)"), json_object_get(totals, "crash_free_rate(user)"),
                          NULL);
    } else if (!(errors = events_sum(j))) {
        provider_finish(c, VERDICT_NONE, "Sentry's events-stats answer has no counts");
    } else {
        monitoring_finish(c, NULL, NULL, errors);
        json_decref(errors);
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
