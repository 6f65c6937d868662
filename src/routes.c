/*
 * routes.c: every route of slipway, as data (Redis's command table).
 *
 * method, pattern, minimum role, body schema, handler. The router enforces
 * the role (and that the caller belongs to {tenantId}), the body limit,
 * the media type, and the schema before the handler runs. docs/openapi.yaml
 * must list exactly these routes with the same roles, bodies and parameter
 * values (a test holds `slipway routes` against it), and the API tests
 * take their route lists from `slipway routes`, so a route added here is
 * tested without an edit to the tests.
 */
#include "routes.h"

#include "integrations/catalog.h"
#include "integrations/integrations_http.h"
#include "releases/releases_http.h"
#include "setup/setup.h"
#include "setup/setup_http.h"
#include "system/metrics_http.h"
#include "system/system_http.h"
#include "tenancy/tenancy_http.h"
#include "ui/ui_http.h"
#include "verify/verify_http.h"

const struct route routes[] = {
    {"GET", "/healthz", ROLE_PUBLIC, NULL, system_healthz},
    {"GET", "/readyz", ROLE_PUBLIC, NULL, system_readyz},
    {"GET", "/api/v1/openapi.json", ROLE_PUBLIC, NULL, system_openapi_json},
    {"GET", "/api/v1/openapi.yaml", ROLE_PUBLIC, NULL, system_openapi_yaml},

    /* The web UI: a page and its embedded assets; everything it shows comes from the API. */
    {"GET", "/", ROLE_PUBLIC, NULL, ui_index},
    {"GET", "/ui/{asset}", ROLE_PUBLIC, NULL, ui_asset},

    {"POST", "/api/v1/auth/login", ROLE_PUBLIC, &login_schema, auth_login},
    {"POST", "/api/v1/auth/logout", ROLE_ACCOUNT, NULL, auth_logout},
    {"GET", "/api/v1/me", ROLE_ACCOUNT, NULL, me_get},
    {"GET", "/api/v1/me/tokens", ROLE_ACCOUNT, NULL, tokens_list},
    {"POST", "/api/v1/me/tokens", ROLE_ACCOUNT, &token_create_schema, tokens_create},
    {"DELETE", "/api/v1/me/tokens/{id}", ROLE_ACCOUNT, NULL, tokens_revoke},
    {"GET", "/api/v1/me/audit-logs", ROLE_ACCOUNT, NULL, audit_mine},

    {"POST", "/api/v1/tenants", ROLE_ACCOUNT, &tenant_create_schema, tenants_post},
    {"GET", "/api/v1/tenants", ROLE_ACCOUNT, NULL, tenants_list},
    {"GET", "/api/v1/{tenantId}", ROLE_VIEWER, NULL, tenant_get},
    {"PATCH", "/api/v1/{tenantId}", ROLE_OWNER, &tenant_update_schema, tenant_patch},
    {"DELETE", "/api/v1/{tenantId}", ROLE_OWNER, NULL, tenant_delete},

    {"GET", "/api/v1/{tenantId}/members", ROLE_VIEWER, NULL, members_list},
    {"POST", "/api/v1/{tenantId}/members", ROLE_OWNER, &invitation_create_schema, members_invite},
    {"PATCH", "/api/v1/{tenantId}/members/{accountId}", ROLE_OWNER, &member_update_schema, member_patch},
    {"DELETE", "/api/v1/{tenantId}/members/{accountId}", ROLE_OWNER, NULL, member_delete},
    {"GET", "/api/v1/{tenantId}/invitations", ROLE_OWNER, NULL, invitations_list},
    {"DELETE", "/api/v1/{tenantId}/invitations/{id}", ROLE_OWNER, NULL, invitation_revoke},
    /* Public: the invitee may have no account yet. Logged in (bearer or session), the handler authenticates the caller itself. */
    {"POST", "/api/v1/invitations/accept", ROLE_PUBLIC, &invitation_accept_schema, invitation_accept},

    {"GET", "/api/v1/{tenantId}/audit-logs", ROLE_OWNER, NULL, audit_list},
    {"GET", "/api/v1/{tenantId}/audit-logs/stream", ROLE_OWNER, NULL, audit_stream},

    {"GET", "/api/v1/integration-types", ROLE_ACCOUNT, NULL, integration_types_get},
    {"POST", "/api/v1/{tenantId}/integrations/{category}", ROLE_OWNER, &any_object_schema, integrations_post},
    {"GET", "/api/v1/{tenantId}/integrations/{category}", ROLE_VIEWER, NULL, integrations_list},
    {"GET", "/api/v1/{tenantId}/integrations/{category}/{id}", ROLE_VIEWER, NULL, integration_get},
    {"PATCH", "/api/v1/{tenantId}/integrations/{category}/{id}", ROLE_OWNER, &any_object_schema, integration_patch},
    {"DELETE", "/api/v1/{tenantId}/integrations/{category}/{id}", ROLE_OWNER, NULL, integration_delete_http},

    {"POST", "/api/v1/{tenantId}/integrations/{category}/{id}/verify", ROLE_OWNER, &optional_object_schema, verify_one_post},
    {"POST", "/api/v1/{tenantId}/integrations/verify-all", ROLE_OWNER, NULL, verify_all_post},

/* Document 001 section 5.1's verification endpoints (and one per other type): the body names the tenant. */
#define VERIFY(kind)                                                                                                               \
    {                                                                                                                              \
        "POST", "/api/v1/setup/verify-" kind, ROLE_ACCOUNT, &verify_setup_schema, verify_setup_post                                \
    }
    VERIFY("github"),
    VERIFY("gitlab"),
    VERIFY("bitbucket"),
    VERIFY("gitea"),
    VERIFY("appstore"),
    VERIFY("playstore"),
    VERIFY("firebase"),
    VERIFY("jenkins"),
    VERIFY("github-actions"),
    VERIFY("gitlab-ci"),
    VERIFY("circleci"),
    VERIFY("slack"),
    VERIFY("teams"),
    VERIFY("email"),
    VERIFY("jira"),
    VERIFY("linear"),
    VERIFY("azure-devops"),
    VERIFY("testrail"),
    VERIFY("code-signing"),
#undef VERIFY

    {"GET", "/api/v1/{tenantId}/release-management/setup", ROLE_VIEWER, NULL, setup_get},
    {"POST", "/api/v1/{tenantId}/release-management/setup", ROLE_OWNER, &any_object_schema, setup_post},
    {"PUT", "/api/v1/{tenantId}/release-management/setup/steps/{step}", ROLE_OWNER, &any_object_schema, setup_step_put},
    {"GET", "/api/v1/{tenantId}/release-management/can-create-releases", ROLE_VIEWER, NULL, setup_can_create_releases},

    /* Releases (docs/releases.md): viewers read, editors drive, owners configure. */
    {"GET", "/api/v1/{tenantId}/releases", ROLE_VIEWER, NULL, releases_list},
    {"POST", "/api/v1/{tenantId}/releases", ROLE_EDITOR, &release_create_schema, releases_create},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}", ROLE_VIEWER, NULL, release_get},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/{action}", ROLE_EDITOR, &release_action_schema, release_action},
    {"GET", "/api/v1/{tenantId}/release-configuration", ROLE_VIEWER, NULL, release_config_get},
    {"PUT", "/api/v1/{tenantId}/release-configuration", ROLE_OWNER, &release_config_schema, release_config_put},
};
const size_t routes_count = ARRAY_LEN(routes);

const struct route metrics_routes[] = {
    {"GET", "/metrics", ROLE_PUBLIC, NULL, metrics_get},
};
const size_t metrics_routes_count = ARRAY_LEN(metrics_routes);

json_t *routes_param_values(const char *param)
{
    json_t *values = json_array();

    if (strcmp(param, "category") == 0) {
        for (int i = 0; i < CAT__COUNT; i++)
            json_array_append_new(values, json_string(category_get((enum category_id)i)->slug));
    } else if (strcmp(param, "step") == 0) {
        for (int i = 0; i < STEP__COUNT; i++)
            json_array_append_new(values, json_string(setup_step_ids[i]));
    } else if (strcmp(param, "action") == 0) {
        for (int i = 0; release_actions[i]; i++)
            json_array_append_new(values, json_string(release_actions[i]));
    } else {
        json_decref(values);
        values = NULL;
    }
    return values;
}
