/*
 * routes.c: every route of slipway, as data (Redis's command table).
 *
 * method, pattern, access class (tenancy/roles.h: a minimum role, or a
 * class that is not one), body schema, handler. The router enforces the
 * access class through routes_admit (and so that the caller belongs to
 * {tenantId}), the body limit,
 * the media type, and the schema before the handler runs. docs/openapi.yaml
 * must list exactly these routes with the same roles, bodies and parameter
 * values (a test holds `slipway routes` against it), and the API tests
 * take their route lists from `slipway routes`, so a route added here is
 * tested without an edit to the tests.
 */
#include "routes.h"

#include "deploy/deploy_http.h"
#include "deploy/repos_http.h"
#include "deploy/cicd_http.h"
#include "identity/identity_http.h"
#include "integrations/catalog.h"
#include "integrations/integrations_http.h"
#include "integrations/webhooks.h"
#include "integrations/webhooks_http.h"
#include "notify/endpoints_http.h"
#include "notify/notify_http.h"
#include "notify/testruns.h"
#include "notify/tickets.h"
#include "releases/releases_http.h"
#include "setup/setup.h"
#include "sites/pages_http.h"
#include "sites/sites.h"
#include "sites/sites_http.h"
#include "usage/usage.h"
#include "usage/usage_http.h"
#include "setup/setup_http.h"
#include "stores/hooks_http.h"
#include "stores/stores_http.h"
#include "system/metrics_http.h"
#include "system/system_http.h"
#include "tenancy/auth.h"
#include "tenancy/tenancy_http.h"
#include "ui/ui_http.h"
#include "verify/verify_http.h"

const struct route routes[] = {
    {"GET", "/healthz", ACCESS_PUBLIC, NULL, system_healthz},
    {"GET", "/readyz", ACCESS_PUBLIC, NULL, system_readyz},
    {"GET", "/api/v1/openapi.json", ACCESS_PUBLIC, NULL, system_openapi_json},
    {"GET", "/api/v1/openapi.yaml", ACCESS_PUBLIC, NULL, system_openapi_yaml},

    /* The web UI: a page and its embedded assets; everything it shows comes from the API. */
    {"GET", "/", ACCESS_PUBLIC, NULL, ui_index},
    {"GET", "/ui/{asset}", ACCESS_PUBLIC, NULL, ui_asset},

    {"POST", "/api/v1/auth/login", ACCESS_PUBLIC, &login_schema, auth_login},
    /* Open sign-up (docs/accounts.md): 404 unless SLIPWAY_OPEN_SIGNUP is on. */
    {"POST", "/api/v1/auth/signup", ACCESS_PUBLIC, &signup_schema, auth_signup},
    /* A forgotten password, by mail (docs/accounts.md): 404 unless SLIPWAY_SMTP_URL is set. */
    {"POST", "/api/v1/auth/password-reset", ACCESS_PUBLIC, &password_reset_schema, auth_password_reset},
    {"POST", "/api/v1/auth/password-reset/confirm", ACCESS_PUBLIC, &password_reset_confirm_schema, auth_password_reset_confirm},
    {"POST", "/api/v1/auth/logout", ACCESS_ACCOUNT, NULL, auth_logout},
    /* Single sign-on (docs/sso.md): the browser is sent to the provider and comes back with a code. */
    {"GET", "/api/v1/auth/oidc/{providerId}/start", ACCESS_PUBLIC, NULL, sso_start},
    {"GET", "/api/v1/auth/oidc/callback", ACCESS_PUBLIC, NULL, sso_callback},
    {"GET", "/api/v1/auth/sso", ACCESS_PUBLIC, NULL, sso_discover},
    {"GET", "/api/v1/me", ACCESS_ACCOUNT, NULL, me_get},
    {"GET", "/api/v1/me/tokens", ACCESS_ACCOUNT, NULL, tokens_list},
    {"POST", "/api/v1/me/tokens", ACCESS_ACCOUNT, &token_create_schema, tokens_create},
    {"DELETE", "/api/v1/me/tokens/{id}", ACCESS_ACCOUNT, NULL, tokens_revoke},
    {"GET", "/api/v1/me/audit-logs", ACCESS_ACCOUNT, NULL, audit_mine},
    {"PUT", "/api/v1/me/password", ACCESS_ACCOUNT, &password_change_schema, me_password_change},
    /* The TOTP second factor of a password account (docs/accounts.md). */
    {"GET", "/api/v1/me/totp", ACCESS_ACCOUNT, NULL, me_totp_get},
    {"POST", "/api/v1/me/totp", ACCESS_ACCOUNT, &totp_enrol_schema, me_totp_enrol},
    {"POST", "/api/v1/me/totp/confirm", ACCESS_ACCOUNT, &totp_confirm_schema, me_totp_confirm},
    {"DELETE", "/api/v1/me/totp", ACCESS_ACCOUNT, &totp_disable_schema, me_totp_disable},

    {"POST", "/api/v1/tenants", ACCESS_ACCOUNT, &tenant_create_schema, tenants_post},
    {"GET", "/api/v1/tenants", ACCESS_ACCOUNT, NULL, tenants_list},
    {"GET", "/api/v1/{tenantId}", ACCESS_VIEWER, NULL, tenant_get},
    {"PATCH", "/api/v1/{tenantId}", ACCESS_OWNER, &tenant_update_schema, tenant_patch},
    {"DELETE", "/api/v1/{tenantId}", ACCESS_OWNER, NULL, tenant_delete},

    {"GET", "/api/v1/{tenantId}/members", ACCESS_VIEWER, NULL, members_list},
    {"POST", "/api/v1/{tenantId}/members", ACCESS_OWNER, &invitation_create_schema, members_invite},
    {"PATCH", "/api/v1/{tenantId}/members/{accountId}", ACCESS_OWNER, &member_update_schema, member_patch},
    {"DELETE", "/api/v1/{tenantId}/members/{accountId}", ACCESS_OWNER, NULL, member_delete},
    {"GET", "/api/v1/{tenantId}/invitations", ACCESS_OWNER, NULL, invitations_list},
    {"POST", "/api/v1/{tenantId}/invitations", ACCESS_OWNER, &invitation_create_schema, members_invite}, /* = POST .../members */
    {"DELETE", "/api/v1/{tenantId}/invitations/{id}", ACCESS_OWNER, NULL, invitation_revoke},
    /* Public: the invitee may have no account yet. Logged in (bearer or session), the caller is authenticated and accepts as
       itself. */
    {"POST", "/api/v1/invitations/accept", ACCESS_PUBLIC_OR_ACCOUNT, &invitation_accept_schema, invitation_accept},

    /* The instance administrator's (docs/accounts.md): every tenant and account. */
    {"GET", "/api/v1/admin/tenants", ACCESS_ADMIN, NULL, admin_tenants_list},
    {"POST", "/api/v1/admin/tenants", ACCESS_ADMIN, &admin_tenant_create_schema, admin_tenant_create},
    {"GET", "/api/v1/admin/accounts", ACCESS_ADMIN, NULL, admin_accounts_list},
    {"PATCH", "/api/v1/admin/accounts/{accountId}", ACCESS_ADMIN, &admin_account_update_schema, admin_account_patch},
    {"PUT", "/api/v1/admin/tenants/{id}/limits", ACCESS_ADMIN, &usage_limits_schema, usage_limits_put},

    /* A tenant's identity providers: owners only (the client secret is write-only). */
    {"GET", "/api/v1/{tenantId}/iam/providers", ACCESS_OWNER, NULL, iam_providers_list},
    {"POST", "/api/v1/{tenantId}/iam/providers", ACCESS_OWNER, &iam_provider_create_schema, iam_provider_post},
    {"GET", "/api/v1/{tenantId}/iam/providers/{id}", ACCESS_OWNER, NULL, iam_provider_get},
    {"PATCH", "/api/v1/{tenantId}/iam/providers/{id}", ACCESS_OWNER, &iam_provider_update_schema, iam_provider_patch},
    {"DELETE", "/api/v1/{tenantId}/iam/providers/{id}", ACCESS_OWNER, NULL, iam_provider_delete},
    {"GET", "/api/v1/{tenantId}/iam/settings", ACCESS_OWNER, NULL, iam_settings_get},
    {"PATCH", "/api/v1/{tenantId}/iam/settings", ACCESS_OWNER, &iam_settings_schema, iam_settings_patch},
    {"GET", "/api/v1/{tenantId}/iam/providers/{id}/domains", ACCESS_OWNER, NULL, iam_domains_list},
    {"POST", "/api/v1/{tenantId}/iam/providers/{id}/domains", ACCESS_OWNER, &iam_domain_schema, iam_domain_claim},
    {"POST", "/api/v1/{tenantId}/iam/providers/{id}/domains/check", ACCESS_OWNER, &iam_domain_schema, iam_domain_check},

    {"GET", "/api/v1/{tenantId}/audit-logs", ACCESS_OWNER, NULL, audit_list},
    {"GET", "/api/v1/{tenantId}/audit-logs/stream", ACCESS_OWNER, NULL, audit_stream},

    {"GET", "/api/v1/integration-types", ACCESS_ACCOUNT, NULL, integration_types_get},
    {"POST", "/api/v1/{tenantId}/integrations/{category}", ACCESS_OWNER, &any_object_schema, integrations_post},
    {"GET", "/api/v1/{tenantId}/integrations/{category}", ACCESS_VIEWER, NULL, integrations_list},
    {"GET", "/api/v1/{tenantId}/integrations/{category}/{id}", ACCESS_VIEWER, NULL, integration_get},
    {"PATCH", "/api/v1/{tenantId}/integrations/{category}/{id}", ACCESS_OWNER, &any_object_schema, integration_patch},
    {"DELETE", "/api/v1/{tenantId}/integrations/{category}/{id}", ACCESS_OWNER, NULL, integration_delete_http},

    /* Signed inbound webhooks: an integration's hook, made and rotated by an owner; deliveries admitted by their signature. */
    {"GET", "/api/v1/{tenantId}/integrations/{category}/{id}/webhook", ACCESS_OWNER, NULL, webhook_get},
    {"POST", "/api/v1/{tenantId}/integrations/{category}/{id}/webhook", ACCESS_OWNER, NULL, webhook_post},
    {"POST", "/hooks/v1/{hookId:text}", ACCESS_WEBHOOK, NULL, webhook_receive},

    {"POST", "/api/v1/{tenantId}/integrations/{category}/{id}/verify", ACCESS_OWNER, &optional_object_schema, verify_one_post},
    {"POST", "/api/v1/{tenantId}/integrations/verify-all", ACCESS_OWNER, NULL, verify_all_post},

/* Document 001 section 5.1's verification endpoints (and one per other type): the body names the tenant. */
#define VERIFY(kind)                                                                                                               \
    {                                                                                                                              \
        "POST", "/api/v1/setup/verify-" kind, ACCESS_ACCOUNT, &verify_setup_schema, verify_setup_post                              \
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
    VERIFY("sentry"),
    VERIFY("bugsnag"),
#undef VERIFY

    {"GET", "/api/v1/{tenantId}/release-management/setup", ACCESS_VIEWER, NULL, setup_get},
    {"POST", "/api/v1/{tenantId}/release-management/setup", ACCESS_OWNER, &any_object_schema, setup_post},
    {"PUT", "/api/v1/{tenantId}/release-management/setup/steps/{step}", ACCESS_OWNER, &any_object_schema, setup_step_put},
    {"GET", "/api/v1/{tenantId}/release-management/can-create-releases", ACCESS_VIEWER, NULL, setup_can_create_releases},

    /* Releases (docs/releases.md): viewers read, editors drive, owners configure. */
    {"GET", "/api/v1/{tenantId}/releases", ACCESS_VIEWER, NULL, releases_list},
    {"POST", "/api/v1/{tenantId}/releases", ACCESS_EDITOR, &release_create_schema, releases_create},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}", ACCESS_VIEWER, NULL, release_get},
    {"PATCH", "/api/v1/{tenantId}/releases/{releaseId}", ACCESS_EDITOR, &release_patch_schema, release_patch},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/{action}", ACCESS_EDITOR, &release_action_schema, release_action},
    /* any member may call it; the release configuration's approvalRoles decide (docs/releases.md, "Regression") */
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/approve", ACCESS_VIEWER, &release_approve_schema, release_approve},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}/events/stream", ACCESS_VIEWER, NULL, release_stream},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/archive", ACCESS_EDITOR, &release_action_schema, release_archive},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/unarchive", ACCESS_EDITOR, &release_action_schema, release_unarchive},
    {"GET", "/api/v1/{tenantId}/release-configuration", ACCESS_VIEWER, NULL, release_config_get},
    {"PUT", "/api/v1/{tenantId}/release-configuration", ACCESS_OWNER, &release_config_schema, release_config_put},
    /* Store submissions and staged rollouts (docs/stores.md): viewers read, editors submit and act. */
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}/submissions", ACCESS_VIEWER, NULL, submissions_list},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/submissions", ACCESS_EDITOR, &submission_create_schema, submissions_create},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}/submissions/{submissionId}", ACCESS_VIEWER, NULL, submission_get},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/submissions/{submissionId}/{storeAction}", ACCESS_EDITOR,
     &submission_action_schema, submission_action},

    /* Notifications (docs/notifications.md): owners write the rules, viewers read them, the log and the catalogue. */
    {"GET", "/api/v1/{tenantId}/notification-events", ACCESS_VIEWER, NULL, notification_events_list},
    {"GET", "/api/v1/{tenantId}/notification-rules", ACCESS_VIEWER, NULL, notification_rules_list},
    {"POST", "/api/v1/{tenantId}/notification-rules", ACCESS_OWNER, &notification_rule_schema, notification_rule_create},
    {"GET", "/api/v1/{tenantId}/notification-rules/{ruleId}", ACCESS_VIEWER, NULL, notification_rule_get},
    {"PUT", "/api/v1/{tenantId}/notification-rules/{ruleId}", ACCESS_OWNER, &notification_rule_schema, notification_rule_put},
    {"DELETE", "/api/v1/{tenantId}/notification-rules/{ruleId}", ACCESS_OWNER, NULL, notification_rule_delete},
    {"GET", "/api/v1/{tenantId}/notification-deliveries", ACCESS_VIEWER, NULL, notification_deliveries_list},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}/tickets", ACCESS_VIEWER, NULL, release_tickets_list},
    {"GET", "/api/v1/{tenantId}/releases/{releaseId}/test-runs", ACCESS_VIEWER, NULL, release_test_runs_list},
    {"POST", "/api/v1/{tenantId}/releases/{releaseId}/test-runs/refresh", ACCESS_EDITOR, &testruns_refresh_schema,
     release_test_runs_refresh},
    /* Outbound webhooks (docs/notifications.md): owners manage the endpoints (a URL may carry a token); viewers read the log. */
    {"GET", "/api/v1/{tenantId}/webhook-endpoints", ACCESS_OWNER, NULL, webhook_endpoints_list},
    {"POST", "/api/v1/{tenantId}/webhook-endpoints", ACCESS_OWNER, &webhook_endpoint_schema, webhook_endpoint_create},
    {"GET", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}", ACCESS_OWNER, NULL, webhook_endpoint_get},
    {"PUT", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}", ACCESS_OWNER, &webhook_endpoint_schema, webhook_endpoint_put},
    {"DELETE", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}", ACCESS_OWNER, NULL, webhook_endpoint_delete},
    {"POST", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}/rotate-secret", ACCESS_OWNER, &webhook_endpoint_rotate_schema,
     webhook_endpoint_rotate},
    {"POST", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}/ping", ACCESS_OWNER, &webhook_endpoint_action_schema,
     webhook_endpoint_ping},
    {"POST", "/api/v1/{tenantId}/webhook-endpoints/{endpointId}/deliveries/{deliveryId}/redeliver", ACCESS_OWNER,
     &webhook_endpoint_action_schema, webhook_delivery_redeliver},
    {"GET", "/api/v1/{tenantId}/webhook-deliveries", ACCESS_VIEWER, NULL, webhook_deliveries_list},

    /* Deployments (docs/deployments.md): owners manage hosts and their credentials, editors scripts and deployments, viewers read.
     */
    {"GET", "/api/v1/{tenantId}/hosts", ACCESS_VIEWER, NULL, hosts_list},
    {"POST", "/api/v1/{tenantId}/hosts", ACCESS_OWNER, &host_create_schema, host_create},
    {"GET", "/api/v1/{tenantId}/hosts/{hostId}", ACCESS_VIEWER, NULL, host_get},
    {"PATCH", "/api/v1/{tenantId}/hosts/{hostId}", ACCESS_OWNER, &host_update_schema, host_patch},
    {"DELETE", "/api/v1/{tenantId}/hosts/{hostId}", ACCESS_OWNER, NULL, host_delete},
    {"POST", "/api/v1/{tenantId}/hosts/{hostId}/test", ACCESS_OWNER, &deploy_action_schema, host_test},
    {"POST", "/api/v1/{tenantId}/hosts/{hostId}/accept-host-key", ACCESS_OWNER, &host_key_schema, host_accept_key},
    {"GET", "/api/v1/{tenantId}/deployment-scripts", ACCESS_VIEWER, NULL, scripts_list},
    {"POST", "/api/v1/{tenantId}/deployment-scripts", ACCESS_EDITOR, &script_create_schema, script_create},
    {"GET", "/api/v1/{tenantId}/deployment-scripts/{scriptId}", ACCESS_VIEWER, NULL, script_get},
    {"PATCH", "/api/v1/{tenantId}/deployment-scripts/{scriptId}", ACCESS_EDITOR, &script_update_schema, script_patch},
    {"DELETE", "/api/v1/{tenantId}/deployment-scripts/{scriptId}", ACCESS_EDITOR, NULL, script_delete},
    {"GET", "/api/v1/{tenantId}/deployments", ACCESS_VIEWER, NULL, deployments_list},
    {"POST", "/api/v1/{tenantId}/deployments", ACCESS_EDITOR, &deployment_create_schema, deployment_create},
    {"GET", "/api/v1/{tenantId}/deployments/{deploymentId}", ACCESS_VIEWER, NULL, deployment_get},
    {"POST", "/api/v1/{tenantId}/deployments/{deploymentId}/cancel", ACCESS_EDITOR, &deploy_action_schema, deployment_cancel},
    {"GET", "/api/v1/{tenantId}/deployments/{deploymentId}/logs/stream", ACCESS_VIEWER, NULL, deployment_log_stream},
    {"POST", "/api/v1/{tenantId}/deployments/{deploymentId}/approve", ACCESS_EDITOR, &deployment_approve_schema,
     deployment_approve},
    {"GET", "/api/v1/{tenantId}/environments", ACCESS_VIEWER, NULL, environments_list},
    {"POST", "/api/v1/{tenantId}/environments", ACCESS_OWNER, &environment_create_schema, environment_create},
    {"GET", "/api/v1/{tenantId}/environments/{environmentId}", ACCESS_VIEWER, NULL, environment_get},
    {"PATCH", "/api/v1/{tenantId}/environments/{environmentId}", ACCESS_OWNER, &environment_update_schema, environment_patch},
    {"DELETE", "/api/v1/{tenantId}/environments/{environmentId}", ACCESS_OWNER, NULL, environment_delete},
    {"POST", "/api/v1/{tenantId}/environments/{environmentId}/freeze", ACCESS_OWNER, &environment_freeze_schema,
     environment_freeze},
    {"POST", "/api/v1/{tenantId}/environments/{environmentId}/unfreeze", ACCESS_OWNER, &deploy_action_schema, environment_unfreeze},
    /* Repositories (docs/deployments.md "Repositories"): viewers read, editors sync, every member pins for itself. */
    {"GET", "/api/v1/{tenantId}/repositories", ACCESS_VIEWER, NULL, repositories_list},
    {"POST", "/api/v1/{tenantId}/repositories/sync", ACCESS_EDITOR, &repos_sync_schema, repositories_sync},
    {"PUT", "/api/v1/{tenantId}/repositories/{repositoryId}/pin", ACCESS_VIEWER, &deploy_action_schema, repository_pin},
    {"DELETE", "/api/v1/{tenantId}/repositories/{repositoryId}/pin", ACCESS_VIEWER, NULL, repository_pin},

    /* Sites (docs/sites.md): editors write content, owners delete sites and prove domains, viewers read; owners read usage. */
    {"GET", "/api/v1/{tenantId}/sites", ACCESS_VIEWER, NULL, sites_list},
    {"POST", "/api/v1/{tenantId}/sites", ACCESS_EDITOR, &site_create_schema, site_create},
    {"GET", "/api/v1/{tenantId}/sites/{siteId}", ACCESS_VIEWER, NULL, site_get},
    {"PATCH", "/api/v1/{tenantId}/sites/{siteId}", ACCESS_EDITOR, &site_update_schema, site_patch},
    {"DELETE", "/api/v1/{tenantId}/sites/{siteId}", ACCESS_OWNER, NULL, site_delete},
    {"GET", "/api/v1/{tenantId}/sites/{siteId}/settings", ACCESS_VIEWER, NULL, site_settings_get},
    {"PUT", "/api/v1/{tenantId}/sites/{siteId}/settings", ACCESS_EDITOR, &site_settings_schema, site_settings_put},
    {"GET", "/api/v1/{tenantId}/sites/{siteId}/posts", ACCESS_VIEWER, NULL, posts_list},
    {"POST", "/api/v1/{tenantId}/sites/{siteId}/posts", ACCESS_EDITOR, &post_create_schema, post_create},
    {"GET", "/api/v1/{tenantId}/sites/{siteId}/posts/{postId}", ACCESS_VIEWER, NULL, post_get},
    {"PATCH", "/api/v1/{tenantId}/sites/{siteId}/posts/{postId}", ACCESS_EDITOR, &post_update_schema, post_patch},
    {"DELETE", "/api/v1/{tenantId}/sites/{siteId}/posts/{postId}", ACCESS_EDITOR, NULL, post_delete},
    {"POST", "/api/v1/{tenantId}/sites/{siteId}/posts/{postId}/restore", ACCESS_EDITOR, &site_action_schema, post_restore},
    {"GET", "/api/v1/{tenantId}/sites/{siteId}/domains", ACCESS_VIEWER, NULL, domains_list},
    {"POST", "/api/v1/{tenantId}/sites/{siteId}/domains", ACCESS_OWNER, &domain_create_schema, domain_create},
    {"POST", "/api/v1/{tenantId}/sites/{siteId}/domains/{domainId}/verify", ACCESS_OWNER, &domain_verify_schema, domain_verify},
    {"DELETE", "/api/v1/{tenantId}/sites/{siteId}/domains/{domainId}", ACCESS_OWNER, NULL, domain_delete},
    {"GET", "/api/v1/{tenantId}/usage", ACCESS_OWNER, NULL, usage_get},
    /* A site's public pages (also on its verified domains: sites_rewrite); drafts only in the members' preview. */
    {"GET", "/s/{slug:text}", ACCESS_PUBLIC, NULL, site_page_index},
    {"GET", "/s/{slug:text}/feed.atom", ACCESS_PUBLIC, NULL, site_page_feed},
    {"GET", "/s/{slug:text}/{postSlug:text}", ACCESS_PUBLIC, NULL, site_page_post},
    {"GET", "/s/{slug:text}/preview", ACCESS_PUBLIC_OR_ACCOUNT, NULL, site_page_preview_index},
    {"GET", "/s/{slug:text}/preview/{postSlug:text}", ACCESS_PUBLIC_OR_ACCOUNT, NULL, site_page_preview_post},
    /* CI/CD jobs (docs/deployments.md "CI/CD jobs"): every member reads, editors discover. */
    {"GET", "/api/v1/{tenantId}/cicd-jobs", ACCESS_VIEWER, NULL, cicd_jobs_list},
    {"POST", "/api/v1/{tenantId}/cicd-jobs/discover", ACCESS_EDITOR, &cicd_discover_schema, cicd_jobs_discover},
    /* What the login page offers: open sign-up, password reset by mail (docs/accounts.md). */
    {"GET", "/api/v1/auth/options", ACCESS_PUBLIC, NULL, auth_options},
    /* A store target's webhook registered with its store by slipway (docs/stores.md "App Store Connect's webhooks"): owners. */
    {"GET", "/api/v1/{tenantId}/integrations/targets/{id}/webhook/registration", ACCESS_OWNER, NULL, store_webhook_get},
    {"POST", "/api/v1/{tenantId}/integrations/targets/{id}/webhook/registration", ACCESS_OWNER, &store_webhook_schema,
     store_webhook_register},
    {"DELETE", "/api/v1/{tenantId}/integrations/targets/{id}/webhook/registration", ACCESS_OWNER, NULL, store_webhook_unregister},
};
const size_t routes_count = ARRAY_LEN(routes);

enum err_code routes_admit(struct request *req, int access, struct err *err)
{
    if (access == ACCESS_WEBHOOK)
        return webhooks_admit(req, err);
    if (auth_admit(req, access, err))
        return err->code;
    /* Usage metering (docs/sites.md): a request admitted into a tenant counts for it (in memory; written in batches), unless
       past the tenant's limit (429). */
    if (req->tenant_id && req->tenant_id[0]) {
        if (usage_check(req->tenant_id, USAGE_API_REQUESTS, err))
            return err->code;
        usage_count(req->tenant_id, NULL, USAGE_API_REQUESTS, 1);
    }
    return ERR_OK;
}

const struct server_hooks routes_hooks = {routes_admit, sites_rewrite};

const struct route metrics_routes[] = {
    {"GET", "/metrics", ACCESS_PUBLIC, NULL, metrics_get},
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
    } else if (strcmp(param, "storeAction") == 0) {
        for (int i = 0; submission_actions[i]; i++)
            json_array_append_new(values, json_string(submission_actions[i]));
    } else {
        json_decref(values);
        values = NULL;
    }
    return values;
}
