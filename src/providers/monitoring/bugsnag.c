/*
 * bugsnag.c: Bugsnag (the Data Access API v2 with a personal auth token). verify reads the project;
 * monitoring_health reads a release's stability, or its error events in the rule's window (docs/stores.md "Health-gated
 * rollouts").
 */
#include "core/clock.h"
#include "providers/call.h"
#include "providers/fields.h"
#include "providers/monitoring/monitoring.h"

static const struct field fields[] = {
    STR("bugsnagUrl", false, 1, 512, .check = check_url, .format = "url", .def = "\"https://api.bugsnag.com\""),
    TEXT("bugsnagProjectId", true, 255),
    SECRET("bugsnagAuthToken", true, 4096),
};

static const char *const version_header[] = {"X-Version: 2", NULL}; /* the Data Access API's version, always named */

static const char *base_of(const struct provider_call *c)
{
    return provider_text(c, "bugsnagUrl")[0] ? provider_text(c, "bugsnagUrl") : "https://api.bugsnag.com";
}

static void get(struct provider_call *c, const char *fmt_suffix)
{
    char path[PROVIDER_URL_MAX], a[512];
    snprintf(path, sizeof path, "/projects/%s%s", provider_escape(provider_text(c, "bugsnagProjectId"), a, sizeof a), fmt_suffix);
    provider_get_with_token(c, base_of(c), path, "Authorization", "token ", provider_text(c, "bugsnagAuthToken"), version_header);
}

static bool project_failed(struct provider_call *c, const struct outbound_response *res)
{
    char msg[400];
    snprintf(msg, sizeof msg, "project %s not found on Bugsnag, or the token cannot see it", provider_text(c, "bugsnagProjectId"));
    return provider_failed(c, res, "Bugsnag rejected the personal auth token", msg);
}

/* GET /projects/{id}, with the token. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    if (!res) {
        get(c, "");
        return;
    }
    if (!project_failed(c, res))
        provider_finish(c, VERDICT_VALID, "Bugsnag accepts the token for project %s", provider_text(c, "bugsnagProjectId"));
}

/* (all - bad) / all as a JSON number, or NULL when all is not a positive count. Caller owns. */
static json_t *stable_share(const json_t *all, const json_t *bad)
{
    double n = json_number_value(all), b = json_number_value(bad);
    return json_is_number(all) && n > 0 && json_is_number(bad) && b >= 0 && b <= n ? json_real((n - b) / n) : NULL;
}

/* "filters[field][][type]=eq&filters[field][][value]=": the Data Access API's filter of one value, escaped. */
#define FILTER_EQ(field) "&filters%%5B" field "%%5D%%5B%%5D%%5Btype%%5D=eq&filters%%5B" field "%%5D%%5B%%5D%%5Bvalue%%5D=%s"

/*
 * The error count in the rule's window: the project's trend (GET /projects/{id}/trend?buckets_count=1, the events of
 * each bucket as events_count) filtered to the version's production events since the window's start (event.since, an
 * ISO 8601 UTC time; app.version; app.release_stage): the buckets' events summed. Events, not errors (groups).
 */
static void get_trend(struct provider_call *c)
{
    char q[1200], since[TIMESTAMP_SIZE], v[600];

    clock_format(clock_now_ms() - (int64_t)monitoring_period_minutes(c) * 60000, since);
    snprintf(q, sizeof q, "/trend?buckets_count=1" FILTER_EQ("event.since") FILTER_EQ("app.release_stage") FILTER_EQ("app.version"),
             since, "production", provider_escape(monitoring_version(c), v, sizeof v));
    get(c, q);
}

/* The trend's buckets' events_count summed; NULL when the answer is not a trend. Caller owns. */
static json_t *trend_sum(const json_t *j)
{
    json_t *bucket;
    json_int_t sum = 0;
    size_t i;

    if (!json_is_array(j))
        return NULL;
    json_array_foreach(j, i, bucket)
    {
        json_t *n = json_object_get(bucket, "events_count");
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return NULL;
        sum += json_integer_value(n);
    }
    return json_integer(sum);
}

/*
 * GET /projects/{id}/releases?release_stage=production: the release whose app_version is the version. Its stability
 * fields, as the Data Access API names them (bugsnag-api-ruby's spec of the releases endpoint; Bugsnag's own
 * dashboards compute stability the same way): total_sessions_count and unhandled_sessions_count (crash-free
 * sessions = 1 - unhandled / total), accumulative_daily_users_seen and accumulative_daily_users_with_unhandled
 * (crash-free users = 1 - with_unhandled / seen). A version not on the first page has no figures yet (null). Asked for
 * the error count, the trend above instead. Output "counts": {metric: [total, bad]}, the running counts health.c
 * differences between readings for the rate over the rule's window.
 */
static void health(struct provider_call *c, const struct outbound_response *res)
{
    const char *version = monitoring_version(c);
    json_t *j, *r, *sessions = NULL, *users = NULL, *errors = NULL;
    size_t i;

    if (!res) {
        if (monitoring_counts_errors(c))
            get_trend(c);
        else
            get(c, "/releases?release_stage=production");
        return;
    }
    if (project_failed(c, res) || !(j = provider_answer_json(c, res)))
        return;
    if (monitoring_counts_errors(c)) {
        if ((errors = trend_sum(j)))
            monitoring_finish(c, NULL, NULL, errors);
        else
            provider_finish(c, VERDICT_NONE, "Bugsnag's trend answer has no events_count");
        json_decref(errors);
        json_decref(j);
        return;
    }
    json_array_foreach(j, i, r)
    {
        if (json_is_string(json_object_get(r, "app_version")) &&
            strcmp(json_string_value(json_object_get(r, "app_version")), version) == 0) {
            sessions = stable_share(json_object_get(r, "total_sessions_count"), json_object_get(r, "unhandled_sessions_count"));
            users = stable_share(json_object_get(r, "accumulative_daily_users_seen"),
                                 json_object_get(r, "accumulative_daily_users_with_unhandled"));
            if (sessions && users) /* the running counts, for the rate over the rule's window (health.c) */
                json_object_set_new(c->output, "counts",
                                    json_pack("{s:[O, O], s:[O, O]}", "crashFreeSessions",
                                              json_object_get(r, "total_sessions_count"),
                                              json_object_get(r, "unhandled_sessions_count"), "crashFreeUsers",
                                              json_object_get(r, "accumulative_daily_users_seen"),
                                              json_object_get(r, "accumulative_daily_users_with_unhandled")));
            break;
        }
    }
    monitoring_finish(c, sessions, users, NULL);
    json_decref(sessions);
    json_decref(users);
    json_decref(j);
}

static const struct provider_ops ops = {.verify = verify, .monitoring_health = health};

struct provider bugsnag_provider = {
    .type = "BUGSNAG",
    .kind = "bugsnag",
    .display = "Bugsnag",
    .category = CAT_MONITORING,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_MONITORING_HEALTH,
    .ops = &ops,
};
