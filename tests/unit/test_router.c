/* Unit tests of the router, the body schemas, and the route table itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "http/router.h"
#include "routes.h"
#include "tenancy/roles.h"

static enum err_code h_a(struct request *req, struct err *err)
{
    (void)req;
    (void)err;
    return ERR_OK;
}
static enum err_code h_b(struct request *req, struct err *err)
{
    (void)req;
    (void)err;
    return ERR_INVALID;
}

static const struct route table[] = {
    {"GET", "/", ACCESS_PUBLIC, NULL, h_a},
    {"GET", "/api/v1/tenants", ACCESS_ACCOUNT, NULL, h_a},
    {"POST", "/api/v1/tenants", ACCESS_ACCOUNT, NULL, h_b},
    {"GET", "/api/v1/{tenantId}", ACCESS_VIEWER, NULL, h_b},
    {"DELETE", "/api/v1/{tenantId}", ACCESS_OWNER, NULL, h_b},
    {"GET", "/api/v1/{tenantId}/members/{accountId}", ACCESS_VIEWER, NULL, h_a},
};

static void test_match(void **state)
{
    struct err err;
    struct router *r = router_new(table, ARRAY_LEN(table), &err);
    struct arena *a = arena_new();
    struct route_match m;
    (void)state;

    assert_non_null(r);
    assert_int_equal(router_match(r, a, "GET", "/", &m), ERR_OK);
    assert_ptr_equal(m.route, &table[0]);
    /* The literal segment beats the parameter. */
    assert_int_equal(router_match(r, a, "GET", "/api/v1/tenants", &m), ERR_OK);
    assert_ptr_equal(m.route, &table[1]);
    assert_int_equal(m.nparams, 0);
    assert_int_equal(router_match(r, a, "GET", "/api/v1/abc", &m), ERR_OK);
    assert_ptr_equal(m.route, &table[3]);
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.names[0], "tenantId");
    assert_string_equal(m.values[0], "abc");
    assert_int_equal(router_match(r, a, "GET", "/api/v1/t1/members/a1", &m), ERR_OK);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.values[1], "a1");
    /* A known path with another method: 405 with the methods it has. */
    assert_int_equal(router_match(r, a, "DELETE", "/api/v1/tenants", &m), ERR_METHOD);
    assert_string_equal(m.allow, "GET, POST");
    assert_int_equal(router_match(r, a, "PUT", "/api/v1/abc", &m), ERR_METHOD);
    assert_string_equal(m.allow, "GET, DELETE");
    /* Unknown shapes, empty segments, trailing slashes. */
    assert_int_equal(router_match(r, a, "GET", "/api/v1/t1/members", &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(r, a, "GET", "/api/v1/tenants/", &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(r, a, "GET", "/api//v1", &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(r, a, "GET", "api/v1/tenants", &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(r, a, "GET", "", &m), ERR_NOT_FOUND);
    arena_destroy(a);
    router_free(r);
}

static void test_bad_tables(void **state)
{
    struct err err;
    (void)state;
    const struct route dup[] = {{"GET", "/a/{id}", ACCESS_PUBLIC, NULL, h_a}, {"GET", "/a/{id}", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(dup, 2, &err), ERR_INTERNAL);
    const struct route ambiguous[] = {{"GET", "/a/{id}", ACCESS_PUBLIC, NULL, h_a}, {"PUT", "/a/{name}", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(ambiguous, 2, &err), ERR_INTERNAL);
    const struct route malformed[] = {{"GET", "/a/{id", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(malformed, 1, &err), ERR_INTERNAL);
    const struct route empty[] = {{"GET", "/a//b", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(empty, 1, &err), ERR_INTERNAL);
    const struct route unknown_kind[] = {{"GET", "/a/{n:float}", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(unknown_kind, 1, &err), ERR_INTERNAL);
    const struct route no_name[] = {{"GET", "/a/{:int}", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(no_name, 1, &err), ERR_INTERNAL);
    /* Kinds never choose between routes. */
    const struct route by_kind[] = {{"GET", "/a/{n:int}", ACCESS_PUBLIC, NULL, h_a},
                                    {"PUT", "/a/{n:text}", ACCESS_PUBLIC, NULL, h_a}};
    assert_int_equal(router_check(by_kind, 2, &err), ERR_INTERNAL);
}

/* Each parameter's kind: uuid by default for id and ...Id, text for the rest, or as the pattern says. */
static void test_param_kinds(void **state)
{
    static const struct route kinds[] = {
        {"GET", "/t/{tenantId}/builds/{buildNumber:int}", ACCESS_PUBLIC, NULL, h_a},
        {"GET", "/t/{tenantId}/providers/{providerId:text}/{asset}", ACCESS_PUBLIC, NULL, h_a},
        {"GET", "/items/{id}", ACCESS_PUBLIC, NULL, h_a},
    };
    const char *uuid = "0190c2a4-5b6e-7c8d-9e0f-1a2b3c4d5e6f";
    struct err err;
    struct router *r = router_new(kinds, ARRAY_LEN(kinds), &err);
    struct arena *a = arena_new();
    struct route_match m;
    struct route_param rp[ROUTER_MAX_SEGMENTS];
    char path[128], buf[128];
    (void)state;

    assert_non_null(r);
    snprintf(path, sizeof path, "/t/%s/builds/42", uuid);
    assert_int_equal(router_match(r, a, "GET", path, &m), ERR_OK);
    assert_true(m.plausible);
    assert_string_equal(m.names[1], "buildNumber");
    assert_string_equal(m.values[1], "42");
    /* A wrong kind still matches (404 comes after authentication) but is implausible. */
    const char *not_int[] = {"4x", "-1", "+1", "1.5", "1234567890123456789"};
    for (size_t i = 0; i < ARRAY_LEN(not_int); i++) {
        snprintf(path, sizeof path, "/t/%s/builds/%s", uuid, not_int[i]);
        assert_int_equal(router_match(r, a, "GET", path, &m), ERR_OK);
        assert_false(m.plausible);
    }
    assert_int_equal(router_match(r, a, "GET", "/t/nope/builds/42", &m), ERR_OK);
    assert_false(m.plausible);
    snprintf(path, sizeof path, "/t/%s/providers/github/x", uuid);
    assert_int_equal(router_match(r, a, "GET", path, &m), ERR_OK);
    assert_true(m.plausible);
    assert_string_equal(m.names[1], "providerId");
    assert_int_equal(router_match(r, a, "GET", "/items/1", &m), ERR_OK);
    assert_false(m.plausible);
    snprintf(path, sizeof path, "/items/%s", uuid);
    assert_int_equal(router_match(r, a, "GET", path, &m), ERR_OK);
    assert_true(m.plausible);

    assert_int_equal(router_params(kinds[1].pattern, rp), 3);
    assert_int_equal(rp[0].kind, PARAM_UUID);
    assert_int_equal(rp[1].kind, PARAM_TEXT);
    assert_int_equal(rp[2].kind, PARAM_TEXT);
    assert_int_equal(rp[1].len, strlen("providerId"));
    assert_string_equal(param_kind_name(rp[1].kind), "text");
    assert_int_equal(router_params("/a/{n:float}", rp), -1);
    assert_true(router_template(kinds[1].pattern, buf, sizeof buf));
    assert_string_equal(buf, "/t/{tenantId}/providers/{providerId}/{asset}");
    assert_false(router_template(kinds[1].pattern, buf, 10));
    arena_destroy(a);
    router_free(r);
}

/* The real table: well formed, and every write names who may do it. */
static void test_route_table(void **state)
{
    struct err err;
    (void)state;
    assert_int_equal(router_check(routes, routes_count, &err), ERR_OK);
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *r = &routes[i];
        bool write = strcmp(r->method, "GET") != 0;
        bool tenant_path = strstr(r->pattern, "{tenantId}") != NULL;
        /*
         * Logging in, signing up, accepting an invitation (the invitee may have no account yet: it makes one), and
         * resetting a forgotten password (the mailed token is the credential).
         */
        bool public_write =
            strcmp(r->pattern, "/api/v1/auth/login") == 0 || strcmp(r->pattern, "/api/v1/invitations/accept") == 0 ||
            strcmp(r->pattern, "/api/v1/auth/signup") == 0 || strncmp(r->pattern, "/api/v1/auth/password-reset", 27) == 0;
        /* A signed webhook: no account, the provider's signature over the raw body, which the handler reads itself. */
        bool signed_write = r->access == ACCESS_WEBHOOK;

        bool tenant_role = r->access >= ACCESS_VIEWER && r->access <= ACCESS_OWNER;

        if (write && !public_write && !signed_write && !(r->access >= ACCESS_ACCOUNT && r->access <= ACCESS_OWNER) &&
            r->access != ACCESS_ADMIN)
            fail_msg("%s %s writes without requiring an account", r->method, r->pattern);
        if (tenant_path != tenant_role)
            fail_msg("%s %s: a {tenantId} route needs a tenant role and vice versa", r->method, r->pattern);
        if ((strcmp(r->method, "POST") == 0 || strcmp(r->method, "PATCH") == 0 || strcmp(r->method, "PUT") == 0) && !r->body &&
            strcmp(r->pattern, "/api/v1/auth/logout") != 0 &&
            strcmp(r->pattern, "/api/v1/{tenantId}/integrations/verify-all") != 0 &&
            strcmp(r->pattern, "/api/v1/{tenantId}/integrations/{category}/{id}/webhook") != 0 && !signed_write)
            fail_msg("%s %s takes a body without a schema", r->method, r->pattern);
        if (r->body) {
            if (!r->body->name)
                fail_msg("%s %s: its schema has no name (`slipway routes` prints it)", r->method, r->pattern);
            for (size_t f = 0; f < r->body->count; f++) {
                const struct field *fd = &r->body->fields[f];
                if (fd->kind == FIELD_STRING && !fd->max && !fd->allowed)
                    fail_msg("%s %s: string field %s has no length limit", r->method, r->pattern, fd->name);
                for (size_t g = 0; g < f; g++)
                    assert_string_not_equal(fd->name, r->body->fields[g].name);
            }
        }
    }
}

static const char *const colours[] = {"red", "green", NULL};
SCHEMA(sample, {.name = "name", .kind = FIELD_STRING, .required = true, .min = 1, .max = 5},
       {.name = "count", .kind = FIELD_INT, .min = 1, .max = 10}, {.name = "colour", .kind = FIELD_STRING, .allowed = colours},
       {.name = "email", .kind = FIELD_STRING, .min = 3, .max = 254, .check = check_email, .format = "email"},
       {.name = "flag", .kind = FIELD_BOOL});

static enum err_code validate(const char *text, struct err *err)
{
    json_t *j = json_loads(text, 0, NULL);
    enum err_code rc;
    assert_non_null(j);
    err_clear(err);
    rc = schema_validate(&sample, j, err);
    json_decref(j);
    return rc;
}

static void test_schema(void **state)
{
    struct err err;
    (void)state;
    assert_int_equal(validate("{\"name\": \"abc\"}", &err), ERR_OK);
    assert_int_equal(
        validate("{\"name\": \"åäö\", \"count\": 10, \"colour\": \"red\", \"email\": \"a@b.c\", \"flag\": true}", &err), ERR_OK);
    assert_int_equal(validate("{\"name\": \"abc\", \"count\": null}", &err), ERR_OK);
    /* Every problem at once. */
    assert_int_equal(validate("{\"count\": \"3\", \"colour\": \"blue\", \"extra\": 1, \"email\": \"nope\", \"flag\": 1}", &err),
                     ERR_INVALID);
    assert_int_equal(err.ndetails, 6);
    assert_int_equal(validate("{\"name\": \"toolong\"}", &err), ERR_INVALID);
    assert_string_equal(err.details[0].field, "name");
    assert_int_equal(validate("{\"name\": \"\"}", &err), ERR_INVALID);
    assert_int_equal(validate("{\"name\": \"ok\", \"count\": 11}", &err), ERR_INVALID);
    assert_int_equal(validate("{\"name\": \"ok\", \"count\": 1.5}", &err), ERR_INVALID);
    assert_null(email_problem("someone@example.com"));
    assert_non_null(email_problem("someone@"));
    assert_non_null(email_problem("@example.com"));
    assert_non_null(email_problem("a@b@c"));
    assert_non_null(email_problem("a b@c.d"));
    json_t *tab = json_string("tab\there");
    assert_non_null(check_printable(tab));
    json_decref(tab);
}

/* A list of allowed values is given whole or not at all (the count and where it is listed), never cut. */
static const char *const many[] = {"release_started",
                                   "build_completed",
                                   "build_failed",
                                   "release_submitted",
                                   "release_approved",
                                   "release_rejected",
                                   "rollout_updated",
                                   "release_completed",
                                   "release_halted",
                                   "release_resumed",
                                   NULL};
static const char *const events[] = {"release_started", "build_failed", NULL};
SCHEMA(lists, {.name = "one", .kind = FIELD_STRING, .allowed = many}, {.name = "each", .kind = FIELD_ARRAY, .allowed = events});

static void test_schema_allowed_lists(void **state)
{
    json_t *j = json_loads("{\"one\": \"nope\", \"each\": [\"build_failed\", \"nope\"]}", 0, NULL);
    struct err err;
    (void)state;

    err_clear(&err);
    assert_int_equal(schema_validate(&lists, j, &err), ERR_INVALID);
    json_decref(j);
    assert_int_equal(err.ndetails, 2);
    assert_string_equal(err.details[0].message,
                        "must be one of 10 values: see the field's allowed list (GET /api/v1/integration-types)");
    assert_string_equal(err.details[1].message, "each must be one of: release_started, build_failed");
    j = json_loads("{\"each\": [\"release_started\"]}", 0, NULL);
    err_clear(&err);
    assert_int_equal(schema_validate(&lists, j, &err), ERR_OK);
    json_decref(j);
}

/* Text too long for a message is cut after a whole word, with an ellipsis; one long word between two characters. */
static void test_err_cut_at_word(void **state)
{
    char word[400];
    struct err err;
    (void)state;

    err_clear(&err);
    err_detail(&err, "f", "%s",
               "must be an array of events: release_started, build_completed, build_failed, "
               "release_submitted, release_approved, release_rejected, rollout_updated, release_completed");
    assert_string_equal(err.details[0].message,
                        "must be an array of events: release_started, build_completed, build_failed, "
                        "release_submitted, release_approved, release_rejected, rollout_updated, \xe2\x80\xa6");
    memset(word, 'a', sizeof word - 1);
    word[sizeof word - 1] = '\0';
    memcpy(word + 251, "\xc3\xa5", 2); /* å across the 252-byte cut */
    err_set(&err, ERR_INVALID, "%s", word);
    assert_int_equal(strlen(err.message), 251 + 3); /* 251 a, then the ellipsis */
    assert_string_equal(err.message + 251, "\xe2\x80\xa6");
    err_set(&err, ERR_INVALID, "short %s", "text");
    assert_string_equal(err.message, "short text");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),       cmocka_unit_test(test_bad_tables),           cmocka_unit_test(test_param_kinds),
        cmocka_unit_test(test_route_table), cmocka_unit_test(test_schema_allowed_lists), cmocka_unit_test(test_err_cut_at_word),
        cmocka_unit_test(test_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
