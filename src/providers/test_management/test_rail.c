/* test_rail.c: TestRail (API v2, Basic auth with an API key). docs/verification.md says what verify asks and concludes. */
#include "providers/call.h"
#include "providers/fields.h"

static const struct field fields[] = {
    URL("testRailUrl", true),
    EMAIL("testRailUsername", true),
    SECRET("testRailApiKey", true, 4096),
    INTEGER("testRailProjectId", true, 1, 2147483647),
};

/* The project. */
static void verify(struct provider_call *c, const struct outbound_response *res)
{
    char userpwd[PROVIDER_AUTH_MAX], target[PROVIDER_URL_MAX], msg[300];
    const char *headers[] = {"Content-Type: application/json", NULL};
    json_int_t id = json_integer_value(json_object_get(c->config, "testRailProjectId"));

    if (!res) {
        provider_url(target, provider_text(c, "testRailUrl"), "/index.php?/api/v2/get_project/%lld", (long long)id);
        snprintf(userpwd, sizeof userpwd, "%s:%s", provider_text(c, "testRailUsername"), provider_text(c, "testRailApiKey"));
        provider_request(c, "GET", target, headers, NULL, userpwd);
        provider_wipe(userpwd);
        return;
    }
    snprintf(msg, sizeof msg, "project %lld not found in TestRail, or the user cannot see it", (long long)id);
    if (res->failure == OUTBOUND_OK && res->status == 400) /* TestRail says 400 for a project it does not know */
        provider_finish(c, VERDICT_INVALID, "%s", msg);
    else if (!provider_failed(c, res, "TestRail rejected the user name or API key", msg))
        provider_finish(c, VERDICT_VALID, "TestRail accepts the API key, and project %lld exists", (long long)id);
}

static const struct provider_ops ops = {.verify = verify};

struct provider test_rail_provider = {
    .type = "TEST_RAIL",
    .kind = "testrail",
    .display = "TestRail",
    .category = CAT_TEST_MANAGEMENT,
    FIELDS(fields),
    .caps = CAP_VERIFY,
    .ops = &ops,
};
