/* test_rail.c: TestRail (API v2, Basic auth with an API key). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static const struct field fields[] = {
    URL("testRailUrl", true),
    EMAIL("testRailUsername", true),
    SECRET("testRailApiKey", true, 4096),
    INTEGER("testRailProjectId", true, 1, 2147483647),
    INTEGER("testRailSuiteId", false, 1, 2147483647), /* a project of several suites: the one a run takes its cases from */
};

/* method on API v2's path (after "index.php?/api/v2/"), with Basic auth and body (JSON, or NULL). */
static void send(struct provider_call *c, const char *method, const char *path, const json_t *body)
{
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX];
    const char *headers[] = {"Content-Type: application/json", NULL};
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

    provider_url(target, provider_text(c, "testRailUrl"), "/index.php?/api/v2/%s", path);
    snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "testRailUsername"), provider_text(c, "testRailApiKey"));
    provider_request(c, method, target, headers, text, userpwd);
    provider_wipe(userpwd);
    free(text);
}

/* The project. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    json_int_t id = json_integer_value(json_object_get(c->config, "testRailProjectId"));
    char path[64], msg[300];

    if (!res) {
        snprintf(path, sizeof path, "get_project/%lld", (long long)id);
        send(c, "GET", path, NULL);
        return;
    }
    snprintf(msg, sizeof msg, "project %lld not found in TestRail, or the user cannot see it", (long long)id);
    if (res->failure == OUTBOUND_OK && res->status == 400) /* TestRail says 400 for a project it does not know */
        provider_finish(c, VERDICT_INVALID, "%s", msg);
    else if (!provider_failed(c, res, "TestRail rejected the user name or API key", msg))
        provider_finish(c, VERDICT_VALID, "TestRail accepts the API key, and project %lld exists", (long long)id);
}

/* ---- a release candidate's test run (provider.h: test_run_open, test_run_read) ---- */

static const char *text_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static json_int_t config_int(const struct provider_call *c, const char *field)
{
    return json_integer_value(json_object_get(c->config, field));
}

/* The answer of a 2xx as JSON, or NULL when the call ended (TestRail says 400 for a project or run it does not know). */
static json_t *answer(struct provider_call *c, const struct outbound_response *res, const char *missing)
{
    if (res->failure == OUTBOUND_OK && res->status == 400) {
        provider_finish(c, VERDICT_INVALID, "%s", missing);
        return NULL;
    }
    return provider_failed(c, res, "TestRail rejected the user name or API key", missing) ? NULL : provider_answer_json(c, res);
}

/*
 * The run's facts into the output: id, url, name and its counts. TestRail's
 * custom statuses (custom_status1_count ...) are tests with a result too:
 * they count in "other".
 */
static void run_output(struct provider_call *c, const json_t *run, bool found)
{
    static const char *const counts[] = {"passed", "failed", "blocked", "retest", "untested"};
    char key[64];
    json_int_t other = 0;

    json_object_set(c->output, "runId", json_object_get(run, "id"));
    json_object_set_new(c->output, "url", json_string(text_of(run, "url")));
    json_object_set_new(c->output, "name", json_string(text_of(run, "name")));
    json_object_set_new(c->output, "completed", json_boolean(json_is_true(json_object_get(run, "is_completed"))));
    json_object_set_new(c->output, "found", json_boolean(found));
    for (size_t i = 0; i < ARRAY_LEN(counts); i++) {
        snprintf(key, sizeof key, "%s_count", counts[i]);
        json_object_set_new(c->output, counts[i], json_integer(json_integer_value(json_object_get(run, key))));
    }
    for (int i = 1; i <= 7; i++) {
        snprintf(key, sizeof key, "custom_status%d_count", i);
        other += json_integer_value(json_object_get(run, key));
    }
    json_object_set_new(c->output, "other", json_integer(other));
}

enum { RUN_SEARCH, RUN_CREATE };

/* One page of the project's runs made since the input's createdAfter (of the configured suite), newest first. */
static void send_search(struct provider_call *c, json_int_t offset)
{
    char path[256], suite[64] = "";

    if (config_int(c, "testRailSuiteId"))
        snprintf(suite, sizeof suite, "&suite_id=%lld", (long long)config_int(c, "testRailSuiteId"));
    snprintf(path, sizeof path, "get_runs/%lld&created_after=%lld&offset=%lld%s", (long long)config_int(c, "testRailProjectId"),
             (long long)json_integer_value(json_object_get(c->input, "createdAfter")), (long long)offset, suite);
    send(c, "GET", path, NULL);
}

static void send_create(struct provider_call *c)
{
    char path[64];
    json_t *body = json_pack("{s:s, s:s, s:b}", "name", text_of(c->input, "name"), "description", text_of(c->input, "description"),
                             "include_all", 1);

    if (config_int(c, "testRailSuiteId"))
        json_object_set_new(body, "suite_id", json_integer(config_int(c, "testRailSuiteId")));
    json_object_set_new(c->state.data, "searched", json_integer(1)); /* in memory only: a run resumed here searches again */
    snprintf(path, sizeof path, "add_run/%lld", (long long)config_int(c, "testRailProjectId"));
    send(c, "POST", path, body);
    json_decref(body);
}

/*
 * The run named as the input's name, else a new one. TestRail's add_run is
 * not idempotent, so the project's runs are searched first (every page),
 * and the create step searches the first page (the newest runs) again
 * before it posts: a run killed after TestRail made the run (and before the
 * step's answer was saved) resumes at that step and finds it.
 */
static void test_run_open(struct provider_call *c, const struct outbound_response *res)
{
    const char *name = text_of(c->input, "name");
    bool search = !provider_data_int(c, "searched");
    json_t *j, *runs, *run, *next;
    size_t i;

    if (!res) {
        json_object_del(c->state.data, "searched");
        send_search(c, c->state.step == RUN_SEARCH ? provider_data_int(c, "offset") : 0);
        return;
    }
    if (!(j = answer(c, res, "TestRail has no such project, or the user cannot see it")))
        return;
    if (!search) {
        if (json_integer_value(json_object_get(j, "id")) > 0) {
            run_output(c, j, false);
            provider_finish(c, VERDICT_VALID, "opened run %lld", (long long)json_integer_value(json_object_get(j, "id")));
        } else {
            provider_finish(c, VERDICT_NONE, "TestRail answered the new run without its id");
        }
        json_decref(j);
        return;
    }
    runs = json_is_array(j) ? j : json_object_get(j, "runs"); /* before TestRail 6.7: a bare array, one page */
    json_array_foreach(runs, i, run)
    {
        if (strcmp(text_of(run, "name"), name) == 0) {
            run_output(c, run, true);
            provider_finish(c, VERDICT_VALID, "found run %lld", (long long)json_integer_value(json_object_get(run, "id")));
            json_decref(j);
            return;
        }
    }
    next = json_is_object(j) ? json_object_get(json_object_get(j, "_links"), "next") : NULL;
    if (c->state.step == RUN_SEARCH && json_is_string(next) && json_array_size(runs) > 0) {
        json_object_set_new(c->state.data, "offset",
                            json_integer(provider_data_int(c, "offset") + (json_int_t)json_array_size(runs)));
        provider_next(c, RUN_SEARCH);
    } else if (c->state.step == RUN_SEARCH) {
        provider_next(c, RUN_CREATE);
    } else {
        send_create(c);
    }
    json_decref(j);
}

/* The run's counts now. */
static void test_run_read(struct provider_call *c, const struct outbound_response *res)
{
    json_int_t id = json_integer_value(json_object_get(c->input, "runId"));
    char path[64], missing[100];
    json_t *j;

    if (!res) {
        snprintf(path, sizeof path, "get_run/%lld", (long long)id);
        send(c, "GET", path, NULL);
        return;
    }
    snprintf(missing, sizeof missing, "TestRail has no run %lld, or the user cannot see it", (long long)id);
    if (!(j = answer(c, res, missing)))
        return;
    run_output(c, j, true);
    provider_finish(c, VERDICT_VALID, "read run %lld", (long long)id);
    json_decref(j);
}

static const struct provider_ops ops = {.verify = verify, .test_run_open = test_run_open, .test_run_read = test_run_read};

struct provider test_rail_provider = {
    .type = "TEST_RAIL",
    .kind = "testrail",
    .display = "TestRail",
    .category = CAT_TEST_MANAGEMENT,
    FIELDS(fields),
    .caps = CAP_VERIFY | CAP_TEST_RUN_OPEN | CAP_TEST_RUN_READ,
    .ops = &ops,
};
