"""The mutation check's table: known faults, planted one at a time in a copy of
the source tree (tests/mutation/run). Each must make at least one of its
tests fail.

A mutant is data: a name, the fault in words, the file, one or more edits
(text to find, exactly once, and what replaces it) and the CTest tests to
run (CTest adds the fixtures they need: the API tests' server, the database
servers). A long Python file can be narrowed to the tests that hold the
rule, after a colon: "api.sqlite.test_deploy:LimitsTest.test_x" (its
class or test, as unittest names them); the mutation time is the suite's. To cover a new check, add a row; when the code a row names
changes, the runner says the text is gone ("not planted") and fails until
the row is updated.

Per-category rows are made from the categories the built binary's route
table lists, so a new category gets its row without an edit here (its enum
constant must be CAT_ and the slug in capitals, as the catalog names them).
"""

import collections

Mutant = collections.namedtuple("Mutant", "name group fault file edits tests")

API = "api.sqlite."
LINT = "spec.tenant_scoping"

# Integration reads of one category ignore the tenant (catalog.c builds every category's SQL from one template).
SELECT = 'c->sql_select = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND id = ?", book, cols, c->table);'
LIST = 'c->sql_list = sqlf("SELECT %s, %s FROM %s WHERE tenantId = ? AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "'
LEAKY_SELECT = ('c->sql_select = sqlf(c->id == {cat} ? "SELECT %s, %s FROM %s WHERE (tenantId = ? OR 1 = 1) AND id = ?" '
                ': "SELECT %s, %s FROM %s WHERE tenantId = ? AND id = ?", book, cols, c->table);')
LEAKY_LIST = 'c->sql_list = sqlf("SELECT %s, %s FROM %s WHERE (tenantId = ? OR 1 = 1) AND (createdAt <= ? AND (createdAt < ? OR id < ?)) "'


def category_mutants(categories):
    """The issue's planted leak, in each category: the read of one integration by id ignores the tenant."""
    out = []
    for slug in categories:
        cat = "CAT_" + slug.upper().replace("-", "_")
        out.append(Mutant(
            "tenant-filter-" + slug, "tenant filter dropped, per category",
            "the read of one %s integration by id ignores the tenant: WHERE (tenantId = ? OR 1 = 1) AND id = ?" % slug,
            "src/integrations/catalog.c", [(SELECT, LEAKY_SELECT.format(cat=cat))],
            [LINT, API + "test_isolation_matrix", API + "test_integrations"]))
    return out


TABLE = [
    # ---- a tenant filter dropped, per table (the integration tables are the categories above)
    Mutant("tenant-filter-integration-lists", "tenant filter dropped, per table",
           "the integration lists of every category ignore the tenant", "src/integrations/catalog.c",
           [(LIST, LEAKY_LIST)], [LINT, API + "test_integrations", API + "test_setup"]),
    Mutant("tenant-filter-tenant_members", "tenant filter dropped, per table",
           "the member list ignores the tenant", "src/tenancy/members_http.c",
           [('"WHERE m.tenantId = ? AND (m.createdAt <= ?', '"WHERE (m.tenantId = ? OR 1 = 1) AND (m.createdAt <= ?')],
           [LINT, API + "test_members", API + "test_isolation"]),
    Mutant("tenant-filter-audit_logs", "tenant filter dropped, per table",
           "the audit trail ignores the tenant", "src/tenancy/audit_http.c",
           [('"WHERE tenantId = ? AND (? = \'\' OR action = ?)', '"WHERE (tenantId = ? OR 1 = 1) AND (? = \'\' OR action = ?)')],
           [LINT, API + "test_audit", API + "test_isolation"]),
    Mutant("tenant-filter-tenant_release_settings", "tenant filter dropped, per table",
           "the setup wizard's settings are read without the tenant", "src/setup/setup.c",
           [('"selectedPlatforms FROM tenant_release_settings WHERE tenantId = ?"',
             '"selectedPlatforms FROM tenant_release_settings WHERE tenantId = ? OR 1 = 1"')],
           [LINT, API + "test_setup"]),
    Mutant("tenant-filter-tenant_integrations", "tenant filter dropped, per table",
           "the setup status lists integrations (the tenant_integrations view) of every tenant", "src/setup/setup_http.c",
           [('"FROM tenant_integrations WHERE tenantId = ? ORDER BY',
             '"FROM tenant_integrations WHERE (tenantId = ? OR 1 = 1) ORDER BY')],
           [LINT, API + "test_setup"]),
    Mutant("account-filter-api_tokens", "tenant filter dropped, per table",
           "the token list ignores the account (tokens are per account, not per tenant)", "src/tenancy/tokens_http.c",
           [('"WHERE accountId = ? AND (createdAt <= ?', '"WHERE (accountId = ? OR 1 = 1) AND (createdAt <= ?')],
           [API + "test_tokens", API + "test_isolation"]),

    # ---- a role check dropped, per role class (no route needs editor yet: that row would have nothing to break)
    Mutant("role-owner", "role check dropped, per role class",
           "owner routes let anyone through whom the router authenticated", "src/tenancy/auth.c",
           [("    if (role < min)\n", "    if (role < min && min != ROLE_OWNER)\n")],
           [API + "test_isolation_matrix"]),
    Mutant("role-viewer", "role check dropped, per role class",
           "viewer routes (reads of a tenant) let any account through, member or not", "src/tenancy/auth.c",
           [("    if (role < min)\n", "    if (role < min && min != ROLE_VIEWER)\n")],
           [API + "test_isolation_matrix"]),
    Mutant("role-account", "role check dropped, per role class",
           "account routes run without authenticating the caller", "src/tenancy/auth.c",
           [("    case ACCESS_ACCOUNT:\n        return auth_authenticate(req, NULL, ROLE_ACCOUNT, err);",
             "    case ACCESS_ACCOUNT:\n        return ERR_OK;")],
           [API + "test_isolation_matrix", API + "test_auth"]),
    Mutant("sso-required-ignored", "role check dropped, per role class",
           "a tenant that requires single sign-on lets password sessions in", "src/tenancy/auth.c",
           [("    if (store_row_null(row, 5) || store_row_int(row, 5) == 0)\n", "    if (true)\n")],
           [API + "test_sso_policy"]),
    Mutant("admin-any-account", "role check dropped, per role class",
           "any account passes for the instance administrator", "src/tenancy/auth.c",
           [("return principal_of(req)->instance_admin ? ERR_OK : err_set(err, ERR_NOT_FOUND, \"not found\");",
             "return ERR_OK;")],
           [API + "test_admin"]),
    Mutant("disabled-account-logs-in", "account lifecycle",
           "a disabled account still gets a token at login", "src/tenancy/tokens.c",
           [("    if (disabled)\n        return err_set(err, ERR_BAD_CREDENTIALS", "    if (false)\n        return err_set(err, ERR_BAD_CREDENTIALS")],
           [API + "test_admin"]),
    Mutant("signup-always-open", "account lifecycle",
           "sign-up is open whatever SLIPWAY_OPEN_SIGNUP says", "src/tenancy/signup_http.c",
           [("    if (!env->open_signup)\n", "    if (false)\n")],
           [API + "test_admin"]),
    Mutant("role-body-tenant", "role check dropped, per role class",
           "the setup verifications take a viewer of the body's tenant for its owner", "src/verify/verify_http.c",
           [("auth_authenticate(req, tenant, ROLE_OWNER, err)", "auth_authenticate(req, tenant, ROLE_VIEWER, err)")],
           [API + "test_isolation_matrix"]),

    # ---- signature checks: JWTs (slipway signs, the fakes verify as Apple and Google do), CSRF, TLS.
    Mutant("fake-es256-check", "signature check disabled",
           "the App Store Connect fake accepts any ES256 signature", "tests/fakes/fake_appstore.py",
           [('good = self.fakes.openssl.verify(key["publicKey"], signing_input, ecdsa_raw_to_der(signature))',
             "good = True")],
           ["fakes.test_fakes"]),
    Mutant("fake-rs256-check", "signature check disabled",
           "Google's token endpoint fake accepts any RS256 signature", "tests/fakes/fake_google.py",
           [('good = self.fakes.openssl.verify(account["publicKey"], signing_input, signature)', "good = True")],
           ["fakes.test_fakes"]),
    Mutant("jwt-es256-signature", "signature check disabled",
           "slipway's ES256 JWTs carry a broken signature (what a disabled check would let through)", "src/crypto/jwt.c",
           [("        memcpy(sig, raw, 64);\n", "        memcpy(sig, raw, 64);\n        sig[7] ^= 1;\n")],
           ["unit.test_jwt", API + "test_verify_protocol"]),
    Mutant("jwt-rs256-signature", "signature check disabled",
           "slipway's RS256 JWTs carry a broken signature", "src/crypto/jwt.c",
           [("    b64url_encode(sig, siglen, *out + inlen + 1);",
             "    if (alg == JWT_RS256)\n        sig[7] ^= 1;\n    b64url_encode(sig, siglen, *out + inlen + 1);")],
           ["unit.test_jwt", API + "test_verify_protocol"]),
    Mutant("hmac-sha256-prefix", "signature check disabled",
           "inbound webhook signatures (HMAC-SHA256 hex) are compared on their first 8 digits only", "src/crypto/hash.c",
           [("ok = CRYPTO_memcmp(want, hex, hexlen) == 0;", "ok = CRYPTO_memcmp(want, hex, 8) == 0;")],
           ["unit.test_crypto"]),
    Mutant("webhook-signature-skipped", "signature check disabled",
           "inbound webhooks are admitted without their provider's signature check", "src/integrations/webhooks.c",
           [("    bool ok = p->ops->webhook_check(&in);", "    bool ok = p->ops->webhook_check(&in) || true;")],
           [API + "test_webhooks"]),
    Mutant("webhook-replay-window-open", "signature check disabled",
           "a signed time outside the replay window is accepted (CircleCI, Jenkins)", "src/providers/inbound.c",
           [("    return skew <= PROVIDER_REPLAY_WINDOW_S && skew >= -PROVIDER_REPLAY_WINDOW_S;",
             "    return skew <= PROVIDER_REPLAY_WINDOW_S * 100 && skew >= -PROVIDER_REPLAY_WINDOW_S * 100;")],
           ["unit.test_provider_inbound", API + "test_webhooks"]),
    Mutant("webhook-replay-dedupe-skipped", "signature check disabled",
           "a replayed webhook delivery is recorded and applied again (no look-up, and the unique key made unique)",
           "src/integrations/webhooks.c",
           [("    *found = rc == 1;\n", "    *found = rc == 1 && false;\n"),
            ("STORE_TEXT(integration_id), STORE_TEXT(ev->delivery),\n", "STORE_TEXT(integration_id), STORE_TEXT(id),\n")],
           [API + "test_webhooks"]),
    Mutant("csrf-check", "signature check disabled",
           "writes authenticated by the session cookie skip the CSRF token", "src/tenancy/session.c",
           [("if (!sent || strlen(sent) != SHA256_HEX_SIZE - 1 || !hash_equal(sent, want, SHA256_HEX_SIZE - 1))",
             "if (sent && !want[0])")],
           [API + "test_session"]),
    Mutant("tls-verify-peer", "signature check disabled",
           "calls to providers accept any certificate", "src/outbound/outbound.c",
           [("curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);", "curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);"),
            ("curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);", "curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);")],
           [API + "test_verify_outbound"]),

    # ---- secrets
    Mutant("secret-unmasked", "secret in an answer",
           "owners see integration secrets in full instead of the mask", "src/integrations/integrations.c",
           [("? secret_mask(f, json_string_value(v), json_string_value(json_object_get(r->saved_at, f->name)))",
             "? json_deep_copy(v)")],
           [API + "test_secrets"]),
    Mutant("log-password", "secret in a log line",
           "a login logs the password", "src/tenancy/auth_http.c",
           [('#include "core/clock.h"\n', '#include "core/clock.h"\n#include "core/log.h"\n'),
            ('    account_email_normalize(json_string_value(json_object_get(req->body, "email")), email, sizeof email);\n'
             '    if (request_db(req, &db, &err))',
             '    account_email_normalize(json_string_value(json_object_get(req->body, "email")), email, sizeof email);\n'
             '    log_info("login of %s with %s", email, password);\n'
             '    if (request_db(req, &db, &err))')],
           [API + "test_auth"]),
    Mutant("log-integration-secret", "secret in a log line",
           "saving an integration logs its body, credentials included", "src/integrations/integrations_http.c",
           [('#include "http/page.h"\n', '#include "http/page.h"\n#include "core/log.h"\n'),
            ("    w.cat = cat;\n",
             "    w.cat = cat;\n    char *dump = json_dumps(req->body, 0);\n    log_info(\"integration: %s\", dump);\n"
             "    free(dump);\n")],
           [API + "test_integrations"]),
    Mutant("log-token", "secret in a log line",
           "authentication logs the bearer token", "src/tenancy/auth.c",
           [("    token_hash(h, hash);\n", "    token_hash(h, hash);\n    log_info(\"token %s\", h);\n")],
           [API + "test_tokens"]),
    Mutant("refreshed-token-plaintext", "secret stored in plaintext",
           "a refreshed OAuth access token is stored as it came, not encrypted", "src/verify/refresh.c",
           [("STORE_ARGS(STORE_TEXT(access_ct), STORE_TEXT(refresh_ct),", "STORE_ARGS(STORE_TEXT(access), STORE_TEXT(refresh_ct),")],
           [API + "test_repos:ReposTest.test_an_expiring_token_is_refreshed_before_the_sync"]),
    # ---- single use of the second factor's recovery codes and of a mailed reset (docs/accounts.md)
    Mutant("recovery-code-twice", "second factor used twice",
           "a recovery code is accepted again after it was used", "src/tenancy/totp_http.c",
           [("WHERE accountId = ? AND codeHash = ? AND usedAt IS NULL", "WHERE accountId = ? AND codeHash = ?")],
           [API + "test_twofactor"]),
    Mutant("endpoint-in-flight-unlimited", "slow endpoint holds the rest",
           "one endpoint may have any number of deliveries in flight: a slow one fills the jobs a process holds",
           "src/notify/endpoints.c",
           [("    go = !f || f->in_flight < ENDPOINT_IN_FLIGHT_MAX;\n", "    go = true;\n")],
           [API + "test_webhook_endpoints:SlowEndpointTest"]),
    Mutant("endpoint-line-not-called", "slow endpoint's line stalls",
           "an answer of a busy endpoint no longer calls back the first delivery in its line: the rest wait minutes",
           "src/notify/endpoints.c",
           [("    if (a) /* the endpoint answered: the next in its line may go */\n        flight_next(a->endpoint);\n", "")],
           [API + "test_webhook_endpoints:SlowEndpointTest"]),
    # ---- a signal and a wait that crossed (tests/reliability/workflows.py crossed)
    Mutant("crossed-signal-left-kept", "signal lost",
           "the keeper no longer hands a signal kept while its job started waiting to that job", "src/jobs/jobs.c",
           [("            rescue_signals(q);\n", "            if (0)\n                rescue_signals(q);\n")],
           ["reliability.crossed_signal.sqlite"]),
    # ---- leases renewed in batches (docs/reliability.md, "Leases renewed one round trip each")
    Mutant("renewal-ignores-lease", "taken job renewed",
           "the keeper's batched renewal matches the jobs by id alone: it renews a job another process has taken over",
           "src/jobs/jobs.c",
           [("SET leaseExpiresAt = ? WHERE state = 'RUNNING' AND id IN (\" RENEW_SLOTS \") AND leaseOwner IN (\" RENEW_SLOTS \")",
             "SET leaseExpiresAt = ? WHERE state = 'RUNNING' AND id IN (\" RENEW_SLOTS \") AND (leaseOwner IN (\" RENEW_SLOTS \") OR 1 = 1)")],
           ["unit.test_jobs"]),
    # ---- release trains (docs/releases.md, "Scheduled trains")
    Mutant("train-slot-not-deduplicated", "slot fires twice",
           "a release train's slot job is queued without its dedupe key: each save and each process queues the slot again",
           "src/releases/train.c",
           [(".dedupe_key = dedupe,", ".dedupe_key = NULL,")],
           [API + "test_trains"]),
    Mutant("train-late-slot-fires", "missed slot fires late",
           "a slot missed by more than an hour still starts a release when a process comes back",
           "src/releases/train.c",
           [("now - slot_ms > RELEASE_TRAIN_GRACE_MS", "now - slot_ms > 1000 * RELEASE_TRAIN_GRACE_MS")],
           [API + "test_trains"]),
    # ---- usage counted once (docs/sites.md "Usage metering")
    Mutant("usage-rollup-twice", "usage counted twice",
           "the usage roll-up adds events to tenant_usage without consuming them, so each later run counts them again",
           "src/usage/usage.c",
           [('"DELETE FROM usage_events WHERE id = ?"', '"DELETE FROM usage_events WHERE id = ? AND 1 = 0"'),
            ("if (deleted == 1 && r->ev[i].metric >= 0)", "if (deleted >= 0 && r->ev[i].metric >= 0)")],
           [API + "test_usage:UsageTest.test_events_rolled_up_exactly_once"]),
    # ---- a rollout plan applies each stage, in order (docs/stores.md)
    Mutant("rollout-plan-skips-a-stage", "rollout plan stage skipped",
           "a rollout plan's due stage is the one after next: a stage of the plan is never applied",
           "src/stores/stores.c",
           [("    next = s.plan_stage + 1;\n", "    next = s.plan_stage + (s.plan_stage >= 0 ? 2 : 1);\n")],
           [API + "test_store_play:PlayTest.test_rollout_plan_advances_on_its_own"]),
    # ---- a stalled stderr must not hold requests (tests/reliability/stuck_log.py)
    Mutant("access-log-writes-under-lock", "request held by the log",
           "the access log's flusher writes while holding the lock every request's completion takes",
           "src/core/log.c",
           [("    pthread_mutex_unlock(&access_log.lock);\n    write_all(full, len);\n",
             "    write_all(full, len);\n    pthread_mutex_unlock(&access_log.lock);\n")],
           ["reliability.stuck_log"]),
    # ---- a protected environment's approval by the requester (docs/deployments.md "Environments")
    Mutant("deploy-self-approval", "approval by the requester",
           "the requester of a deployment to a protected environment may approve it", "src/deploy/deploy_http.c",
           [("    if (own)\n        return err_set(err, ERR_CONFLICT, \"the requester",
             "    if (own && 0)\n        return err_set(err, ERR_CONFLICT, \"the requester")],
           [API + "test_deploy:LimitsTest.test_a_protected_environment_waits_for_approvals_of_others"]),
    # ---- answers written without jansson (src/http/jsonw.c): the same text, escaped the same way
    Mutant("jsonw-quote-unescaped", "answer not JSON",
           "the JSON writer copies a double quote inside a string as it is: a release's notes could end its string early",
           "src/http/jsonw.c",
           [("    true, true, false, true, true, true, true, true, true, true, true, true, true, true, true, true, /* 0x20: '\"' */",
             "    true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, /* 0x20: '\"' */")],
           ["unit.test_jsonw"]),
    # ---- outbound webhooks: an endpoint that keeps failing is disabled (docs/notifications.md)
    Mutant("webhook-endpoint-disabled-at-once", "endpoint disabled too early",
           "an outbound webhook endpoint is disabled at its first failed attempt, whatever the count setting says",
           "src/notify/endpoints.c",
           [("    if (failures < s->env->disable_failures || ", "    if (failures < 1 || ")],
           [API + "test_webhook_endpoints:DisabledAfterFailuresTest"]),
    # ---- App Store Connect's webhooks (docs/stores.md): a notification wakes a submission only when Apple signed it
    Mutant("appstore-webhook-unsigned", "unsigned store notification",
           "an App Store Connect notification is accepted without a valid x-apple-signature",
           "src/providers/targets/app_store.c",
           [("    return inbound_hmac_ok(in, \"x-apple-signature\", \"hmacsha256=\");", "    return in != NULL;")],
           [API + "test_store_appstore.test_webhooks_wake_the_waits", "unit.test_provider_inbound"]),
    # ---- a script's end handed back from the SSH loop to its job (docs/internals/ssh.md)
    Mutant("ssh-loop-exit-status-lost", "exit status lost",
           "the SSH loop's end of a script loses a non-zero exit status on the way back to the job: the script reads as exit 0",
           "src/deploy/deploy.c",
           [("    sr->exit_status = exit_status;\n", "    sr->exit_status = exit_status > 0 ? 0 : exit_status;\n")],
           [API + "test_deploy:DeploymentsTest.test_a_nonzero_exit_fails_the_deployment"]),
    # ---- a protected environment's approver roles (docs/deployments.md "Environments")
    Mutant("deploy-approver-roles-ignored", "approval by a role not allowed",
           "any editor or owner may approve a deployment to a protected environment, whatever its approverRoles say",
           "src/deploy/deploy_http.c",
           [("    if (!set_has(roles, role))\n", "    if (!set_has(roles, role) && 0)\n")],
           [API + "test_deploy:LimitsTest.test_only_the_approver_roles_approve_and_once_an_account"]),
    # ---- health-gated rollouts: a breach halts only once it has lasted its window (docs/stores.md)
    Mutant("health-breach-ignores-window", "rollout halted at the first bad reading",
           "a health rule's breach halts the staged rollouts at its first reading, whatever its window says",
           "src/stores/health.c",
           [("    if (breached && now_ms - since_ms >= window_ms && ", "    if (breached && now_ms - since_ms >= window_ms * 0 && ")],
           [API + "test_store_health:HealthTest.test_short_breach_provider_down_and_isolation"]),
    # ---- CI/CD job discovery (docs/deployments.md "CI/CD jobs"): a job listed again is no longer marked removed
    Mutant("cicd-job-stays-removed", "discovered job shown as removed",
           "a discovery that sees a job again leaves its removedAt as it was: a job back on the provider stays removed",
           "src/deploy/cicd.c",
           [("removedAt = NULL, updatedAt = ? WHERE integrationId = ? AND externalId = ?",
             "removedAt = removedAt, updatedAt = ? WHERE integrationId = ? AND externalId = ?")],
           [API + "test_repos:CicdJobsTest.test_jenkins_tree_with_parameters_and_removal"]),
    # ---- a candidate's TestRail pass rate gates its regression approval (docs/notifications.md "Test runs")
    Mutant("test-pass-rate-gate-ignored", "approval below the pass rate",
           "a regression approval is taken whatever the candidate's test runs pass: minTestPassRate is read and ignored",
           "src/releases/releases_http.c",
           [("    if (cf.min_rate >= 0 && testruns_gate(", "    if (cf.min_rate >= 101 && testruns_gate(")],
           [API + "test_tickets:TicketsTest.test_testrail_run_per_candidate_gates_the_approval"]),
    # ---- an invitation accepted through single sign-on (docs/sso.md "Invitations through single sign-on")
    Mutant("sso-invitation-unverified-email", "invitation taken by an unverified address",
           "a login started from an invitation link accepts it for an e-mail address the provider does not say is verified",
           "src/identity/sso_http.c",
           [("    if (!json_is_true(json_object_get(f->claims, \"email_verified\")) || strcmp(email, t->inv.email) != 0)",
             "    if (strcmp(email, t->inv.email) != 0)")],
           [API + "test_sso"]),
    # ---- one fix-version add per issue: a link job calls only for the issues it claimed (docs/notifications.md)
    Mutant("ticket-link-claims-ignored", "fix version added twice",
           "a link job's call takes every claimed issue of the release, not only its own claims: the finish adds the "
           "fix version again to an issue an edit's job linked",
           "src/notify/tickets.c",
           [('"AND jobId = ? ORDER BY createdAt, issueKey",', '"AND (jobId = ? OR 1 = 1) ORDER BY createdAt, issueKey",')],
           [API + "test_tickets:TicketsTest.test_jira_fix_version_before_finish_once_per_issue"]),
    # ---- a deployment's live log goes by seq, resumable from any line (docs/deployments.md "Live log")
    Mutant("deploy-log-stream-skips-after-cursor", "a line skipped after the resume point",
           "the seq stream reads from one past its cursor: a client resuming mid-run (or each later poll) misses a line",
           "src/http/stream.c",
           [("        args[n++] = STORE_INT(after);", "        args[n++] = STORE_INT(after + 1);")],
           [API + "test_deploy:DeploymentsTest.test_a_log_stream_resumed_mid_run_gets_every_later_line_once"]),
    # ---- health-gated rollouts: an error count above its rule's threshold is a breach (docs/stores.md)
    Mutant("health-error-count-ignored", "error-count breach ignored",
           "a health rule on errorCount never breaches, however many errors the monitoring provider counts",
           "src/stores/health.c",
           [("    return counts_errors(rule) ? value > threshold : value < threshold;",
             "    return counts_errors(rule) ? false : value < threshold;")],
           [API + "test_store_health:HealthTest.test_short_breach_provider_down_and_isolation"]),
    # ---- Sentry's crash-free rates read over the rule's window (docs/stores.md "Health-gated rollouts")
    Mutant("health-rate-window-ignored", "crash-free rate read over the last hour, whatever the rule's window",
           "the sessions API is asked for the last hour, so a 10-minute rule judges an hour of sessions and a breach "
           "that began minutes ago is diluted below notice",
           "src/providers/monitoring/sentry.c",
           [("int minutes = monitoring_period_minutes(c);\n\n    snprintf(q, sizeof q, \"release:",
             "int minutes = 60;\n\n    snprintf(q, sizeof q, \"release:")],
           [API + "test_store_health:HealthTest.test_crash_free_rate_reads_the_rules_window"]),
    # ---- Bugsnag's crash-free rates over the rule's window, from its running counts (docs/stores.md "Health-gated rollouts")
    Mutant("bugsnag-rate-window-ignored", "Bugsnag's crash-free rate is the release's total, whatever the window",
           "the counts kept between readings are not differenced, so a release with a long healthy past hides a crash "
           "spike of the last minutes from a 10-minute rule",
           "src/stores/health.c",
           [("    t->value = t->windowed;", "    t->value = t->given;")],
           [API + "test_store_health:HealthTest.test_bugsnag_rate_over_the_rules_window"]),
    # ---- a hotfix carries the rollout share over (docs/stores.md "Rollout plans")
    Mutant("hotfix-share-not-carried", "a hotfix starts from its plan's first share",
           "carryRollout finds no share under way, so a hotfix to a release at 20% starts at 1% and most users who had "
           "the faulty build wait days for the fix",
           "src/stores/stores_http.c",
           [("        *permille = share < 1 ? 1 : share > 1000 ? 1000 : share;", "        *permille = 0 * share;")],
           [API + "test_store_play:PlayTest.test_hotfix_carries_the_rollout_share_over"]),
    Mutant("hotfix-carries-another-tenants-share", "a hotfix carries another tenant's rollout share",
           "carryRollout reads every tenant's submissions of the target and track, so a hotfix can start at a share "
           "another tenant's rollout reached",
           "src/stores/stores_http.c",
           [("\"SELECT rolloutMillionths FROM store_submissions WHERE tenantId = ? AND targetIntegrationId = ?",
             "\"SELECT rolloutMillionths FROM store_submissions WHERE (tenantId = ? OR 1 = 1) AND targetIntegrationId = ?")],
           [API + "test_store_play:PlayTest.test_carry_rollout_never_takes_another_tenants_share"]),
    # ---- Google Play's review followed without an edit (docs/stores.md "Google Play's review")
    Mutant("play-review-not-followed", "a Play release in review shown as rolling out",
           "the submit does not read the release's lifecycle state after its commit, so a production release Play is "
           "still reviewing is ROLLING_OUT (or RELEASED) at once and a rejection is never seen",
           "src/providers/targets/play_store.c",
           [("    json_object_set_new(c->state.data, \"already\", json_boolean(already));\n    provider_next(c, P_LIFECYCLE);",
             "    json_object_set_new(c->state.data, \"already\", json_boolean(already));\n    play_finish(c);")],
           [API + "test_store_play:PlayTest.test_review_followed_without_an_edit"]),
    # ---- an inbound webhook's secret and HMAC key, kept per integration, are retired when it is rotated (issue 14)
    Mutant("webhook-hmac-key-outlives-rotation", "old webhook secret accepted after rotation",
           "the secret and HMAC key kept for an integration's webhooks are looked up by integration alone: the rotated-out "
           "secret still signs",
           "src/integrations/webhooks.c",
           [("    hit = k->stored && strcmp(k->stored, stored) == 0 && strcmp(k->integration_id, integration_id) == 0;",
             "    hit = k->stored && (strcmp(k->stored, stored) == 0 || true) && strcmp(k->integration_id, integration_id) == 0;")],
           [API + "test_webhooks:WebhooksTest.test_rotation_retires_the_kept_hmac_key"]),
    # ---- an SSO e-mail domain is offered on the login page only once proven by DNS (docs/sso.md "Proving a domain by DNS")
    Mutant("sso-domain-unproven-offered", "unproven e-mail domain offered",
           "a login page finds a provider by an e-mail domain it has only claimed, never proven by its TXT record",
           "src/identity/policy_http.c",
           [(" AND d.provenAt IS NOT NULL \"", " \"")],
           [API + "test_sso_policy:SsoPolicyTest.test_found_by_slug_and_by_claimed_domain"]),
    # ---- storage is a gauge of what is kept (docs/sites.md "Usage metering", storageBytes)
    Mutant("usage-storage-keeps-deleted", "deleted posts still stored",
           "the storage gauge sums deleted posts' bodies too, so deleting a post gives nothing back",
           "src/usage/usage.c",
           [("FROM posts WHERE tenantId = ? AND deletedAt IS NULL) + ", "FROM posts WHERE tenantId = ?) + ")],
           [API + "test_usage:UsageTest.test_storage_is_what_is_kept"]),
    Mutant("usage-storage-gauge-added", "storage readings summed",
           "the roll-up adds each storage reading to the day's row instead of setting it, so the day's storage grows "
           "with every run",
           "src/usage/usage.c",
           [('upsert_set[STORE_DIALECTS] = UPSERTS("excluded.count", "VALUES(count)");',
             'upsert_set[STORE_DIALECTS] = UPSERTS("tenant_usage.count + excluded.count", "count + VALUES(count)");')],
           [API + "test_usage:UsageTest.test_storage_is_what_is_kept"]),
    Mutant("usage-storage-limit-ignores-kept", "storage limit ignores what is kept",
           "a storageBytes limit is held against the write alone, not what the tenant keeps plus the write",
           "src/usage/usage.c",
           [("    if (kept + grow <= max)\n", "    if (grow <= max)\n")],
           [API + "test_usage:UsageTest.test_storage_is_what_is_kept"]),
    # ---- a release's notes post goes to the sites that show its platforms (docs/sites.md "A release's notes as a post")
    Mutant("sites-notes-ignore-platforms", "notes posted on every site",
           "a release's notes post is made on a site whose platforms setting shows none of the release's",
           "src/sites/sites.c",
           [("    bool shows = !json_array_size(list); /* empty, or unreadable: everything */",
             "    bool shows = true;")],
           ["unit.test_sites"]),
    # ---- a site's apps choose the releases it tells, and are the tenant's store targets (docs/sites.md "Which apps a site shows")
    Mutant("site-apps-ignored", "an app's site tells every app's releases",
           "a release's notes post is made on a site whose apps setting names none of the store targets the release "
           "was submitted to",
           "src/sites/sites.c",
           [("shows_any(store_col_text(st, 2), released) && shows_any(store_col_text(st, 3), apps)",
             "shows_any(store_col_text(st, 2), released)")],
           ["unit.test_sites"]),
    Mutant("site-apps-any-tenant", "a site's apps may name another tenant's store target",
           "the apps of PUT site settings are looked up among every tenant's store targets, so one tenant learns "
           "which ids exist in another and stores them",
           "src/sites/sites_http.c",
           [('"SELECT 1 FROM tenant_target_integrations WHERE tenantId = ? AND id = ?"',
             '"SELECT 1 FROM tenant_target_integrations WHERE (tenantId = ? OR 1 = 1) AND id = ?"')],
           [API + "test_sites:SitesTest.test_site_apps_are_store_targets"]),
    # ---- a cancel wakes the job following a deployment's CI run (docs/deployments.md "CI/CD jobs")
    Mutant("cicd-cancel-leaves-job-waiting", "a cancelled deployment's job waits on",
           "a cancel marks the CI/CD mappings CANCELLED but does not wake the job following the run: it waits for its "
           "next poll of the CI (up to 5 minutes) before it ends",
           "src/deploy/cicd.c",
           [("json_array_foreach(keys, i, key) if (!err->code) jobs_signal_in(c, json_string_value(key), NULL, err);",
             "(void)i; (void)key;")],
           [API + "test_repos:CicdRunTest.test_cancel_while_a_job_runs"]),
    # ---- a target's webhook registered with App Store Connect once: found again, it is updated (docs/stores.md)
    Mutant("appstore-webhook-registered-twice", "a second App Store Connect webhook",
           "registering a target's webhook again (or re-sending a rotated secret) makes another webhook at Apple instead "
           "of updating the one of the same id or URL, so each notification arrives twice",
           "src/providers/targets/app_store.c",
           [("    if (same) {", "    if (same && provider_input_true(c, \"delete\")) {")],
           [API + "test_store_appstore.test_webhook_registered_with_apple"]),
    # ---- the release page kept at the tenant's revision: every write it shows raises it (docs/performance.md)
    Mutant("release-page-stale-after-notes", "a release write that leaves the kept page as it was",
           "a notes edit runs in store_tx instead of tenant_tx: the tenant's revision does not move, so the release "
           "page kept at it goes on showing the old notes",
           "src/releases/releases_http.c",
           [("tenant_tx(db, principal_of(req)->tenant_id, notes_edit_body, &t, err))",
             "store_tx(db, notes_edit_body, &t, err))")],
           [API + "test_releases:ReleasesTest.test_page_follows_every_write"]),
    # ---- a deployment's approvers asked by mail: never its requester (docs/notifications.md "Approvers asked by mail")
    Mutant("approval-mail-to-requester", "the requester asked to approve their own deployment",
           "the mails of deployment.approval.requested go to every member of an approver role, the account that asked "
           "for the deployment too",
           "src/notify/approvals.c",
           [("OR a.id <> s.requestedByAccountId)", "OR a.id <> s.requestedByAccountId OR 1 = 1)")],
           [API + "test_account_mail:AccountMailTest.test_each_approver_of_a_deployment_is_mailed_once"]),
    # ---- a release's approvers asked by mail: never its starter, once a candidate (docs/notifications.md
    #      "Approvers asked by mail")
    Mutant("release-approval-mail-to-starter", "the starter of a release asked to approve it by mail",
           "the mails of release.approval.requested go to every member of an approval role who has not approved, the "
           "account that started the release too, though they know it waits (a deployment's requester is not asked)",
           "src/notify/approvals.c",
           [("if (skip && strcmp(account, skip) == 0)", "if (skip && strcmp(account, skip) == 0 && false)")],
           [API + "test_account_mail:ReleaseApprovalMailTest"]),
    Mutant("release-approval-mail-once-a-release", "a release's approvers mailed for its first candidate only",
           "the approval mail's dedupe key leaves out the candidate, so a new candidate, built, asks nobody by mail: "
           "its jobs are the first candidate's, done",
           "src/notify/approvals.c",
           [('snprintf(rounds, sizeof rounds, ":%lld", (long long)round);', "(void)round;")],
           [API + "test_account_mail:ReleaseApprovalMailTest"]),
    # ---- a release event carries the own fields its catalogue row names (docs/events.md "Payload")
    Mutant("release-event-own-fields-dropped", "release events without the fields the catalogue promises",
           "a release event's payload holds only the release and the message: release.submitted without its target "
           "and build, release.approved without its approvers, release.finished without its final tag, though "
           "docs/events.md and the OpenAPI webhooks name them",
           "src/notify/notify.c",
           [("            json_object_set(out, name, json_object_get(details, name));", "            (void)0;")],
           [API + "test_notifications:NotificationsTest.test_release_events_carry_their_own_fields"]),
    # ---- an outbound webhook is retried over about a day (docs/notifications.md "Outbound webhooks")
    Mutant("webhook-retries-within-hours", "a failing endpoint given up on within hours",
           "the last two waits of an outbound webhook's delivery are an hour rather than ten, so a receiver down for a "
           "night loses its events: about 9.6 hours of retries, not the day the issue asks for",
           "src/notify/endpoints.c",
           [("{5, 300, 1800, 7200, 18000, 36000, 36000}", "{5, 300, 1800, 7200, 18000, 3600, 3600}")],
           [API + "test_webhook_endpoints:EndpointsTest.test_retried_over_about_a_day"]),
    # ---- Slack's 429 Retry-After honoured (docs/notifications.md "Delivery")
    Mutant("slack-retry-after-ignored", "a rate-limited Slack post retried on the engine's clock",
           "a 429 is retried after the engine's backoff (10 s doubling) rather than its Retry-After, so a channel "
           "Slack asked to wait 3 s waits 10, and one asked to wait a minute is tried again too early",
           "src/notify/notify.c",
           [("    } else if (wait > 0) { /* Retry-After", "    } else if (wait < 0) { /* Retry-After")],
           [API + "test_notifications:NotificationsTest.test_ratelimited_honoured"]),
    # ---- Slack's mrkdwn shows names as written: a name never pings a channel (docs/notifications.md "Delivery")
    Mutant("slack-mrkdwn-unescaped", "a member's name pings a whole Slack channel",
           "names and messages go into Slack's mrkdwn without &, < and > escaped, so an account named <!channel> "
           "notifies everyone in the channel whenever it is named as an approver or a requester",
           "src/notify/notify.c",
           [("if (*p == '&' || *p == '<' || *p == '>')", "if (*p == '\\0')")],
           [API + "test_notifications:NotificationsTest.test_approvers_mentioned_in_slack"]),
    # ---- an approver's Slack user is looked up once and kept (docs/notifications.md "Approvers mentioned in Slack")
    Mutant("slack-mention-not-kept", "Slack asked for every approver at every message",
           "the users.lookupByEmail answers kept in notification_mentions are never read back, so each approval "
           "request costs one Slack call per approver (Tier 3: 50 a minute) however recently it was asked",
           "src/notify/approvals.c",
           [("AND e.id = s.environmentId \"\n     \"LEFT JOIN notification_mentions u ON u.tenantId = s.tenantId AND u.integrationId = ? AND u.email = a.email ",
             "AND e.id = s.environmentId \"\n     \"LEFT JOIN notification_mentions u ON u.tenantId = s.tenantId AND u.integrationId = ? AND u.email = a.email AND 1 = 0 ")],
           [API + "test_notifications:NotificationsTest.test_approvers_mentioned_in_slack"]),
    # ---- a deleted App Store target's webhook is deleted at Apple by a job (docs/stores.md)
    Mutant("appstore-target-delete-leaves-webhook", "a deleted target's webhook left at Apple",
           "deleting an App Store target whose webhook is registered starts no job to delete it at Apple, so Apple goes "
           "on sending its notifications to a URL that answers 404, with credentials nobody holds any more",
           "src/stores/hooks.c",
           [("    integrations_on_delete(deleting);", "    (void)deleting;")],
           [API + "test_store_appstore.test_webhook_registered_with_apple"]),
    # ---- a deployment's ref reaches its scripts quoted, never run (docs/deployments.md "Repository and ref")
    Mutant("deploy-ref-unquoted", "a ref's quote not escaped in the script's preamble",
           "SLIPWAY_REF is exported in single quotes without escaping a ' in the ref, so the rest of the ref is shell "
           "text: a ref like fix/it's-$(id) runs id on the host",
           "src/deploy/deploy.c",
           [("for (const char *q; (q = strchr(value, '\\'')); value = q + 1) {",
             "for (const char *q; (q = NULL) != NULL; value = q + 1) {")],
           [API + "test_repos:CicdRunTest.test_the_repository_and_ref_reach_the_script_and_bad_refs_are_refused"]),
    # ---- a proven domain loses its proof only after 3 failed re-checks in a row over a day (docs/sites.md)
    Mutant("domain-dropped-at-first-failure", "a DNS blip takes a site down",
           "the recurring re-check makes a proven domain FAILED (an SSO domain unproven) at its first failed check, so "
           "a record being moved or a web server restarting stops the site being served",
           "src/sites/proof.c",
           [("return failures >= PROOF_LOSS_FAILURES && now_ms - failing_since_ms >= PROOF_LOSS_SPAN_MS;",
             "return failures >= 1 || now_ms < failing_since_ms;")],
           [API + "test_sites_domains:DomainsTest.test_proven_domains_are_checked_again"]),
    # ---- who may set a password where a tenant requires single sign-on (docs/accounts.md "Accounts without a password")
    Mutant("password-despite-required-sso", "a password set where single sign-on is required",
           "an account every tenant of which requires single sign-on, and that is no break-glass owner, may change or "
           "reset its password, and GET /api/v1/me says it may",
           "src/tenancy/accounts.c",
           [("    *ok = members == 0 || open > 0;", "    *ok = members >= 0;")],
           [API + "test_sso_policy:SsoPolicyTest.test_required_sign_on_with_a_break_glass_owner",
            API + "test_account_mail:AccountMailTest.test_single_sign_on_keeps_the_password_unless_break_glass"]),
    # ---- the ID token's claims and keys (docs/sso.md "The login")
    Mutant("oidc-iat-unchecked", "an ID token issued in the future taken",
           "an ID token whose iat is past the skew in the future (a provider's clock far off, or a token made ahead) "
           "is accepted", "src/identity/oidc.c",
           [("json_integer_value(iat) - OIDC_SKEW_S > now_s", "json_integer_value(iat) - OIDC_SKEW_S > now_s + 86400")],
           [API + "test_sso:SsoMisbehavingProviderTest.test_each_bad_token_is_refused_and_a_good_one_passes"]),
    Mutant("oidc-rotated-key-not-fetched", "a rotated key refuses every login",
           "a key id the cached key set lacks refuses the login without fetching the set again, so every login fails "
           "for an hour after the provider rotates its keys", "src/identity/sso_http.c",
           [("== ERR_NOT_FOUND && !f->jwks_fresh) {", "== ERR_NOT_FOUND && !f->jwks_fresh && false) {")],
           [API + "test_sso:SsoMisbehavingProviderTest.test_a_rotated_key_is_fetched_once"]),
    Mutant("sso-demotes-last-owner", "a login leaves a tenant without an owner",
           "a login whose group rules give less than owner demotes the tenant's only owner, and nobody can fix the rules",
           "src/identity/sso_http.c",
           [("&owners, err) || owners == 0))", "&owners, err) || owners < 0))")],
           [API + "test_sso:SsoLoginTest.test_the_last_owner_is_not_demoted_by_a_login"]),
    # ---- a completed build's webhook is applied in its delivery's transaction (docs/releases.md "Builds")
    Mutant("build-webhook-outside-tenant-tx", "a build's webhook applied without the tenant's revision",
           "the delivery's transaction, which now ends the build and moves the release, runs in store_tx: the tenant's "
           "revision does not move, so the release page kept at it goes on showing the build running",
           "src/integrations/webhooks_http.c",
           [("    rc = tenant_tx(db, t->who->tenant_id, receive_body, t, err);",
             "    rc = store_tx(db, receive_body, t, err);")],
           [API + "test_release_builds:ReleaseBuildsTest.test_webhook_applied_with_its_delivery"]),
    Mutant("build-webhook-job-left-waiting", "a build applied by its webhook leaves its job to a worker",
           "the delivery ends the build but only signals the job waiting on the run, so a worker claims it later just "
           "to end it: a second transaction for every delivery, the cost the webhook's throughput target rules out",
           "src/releases/builds.c",
           [("if (jobs_finish_waiting_in(c, key, output, &finished, err) == ERR_OK && finished == 0)",
             "if (err->code == ERR_OK && finished == 0)")],
           [API + "test_release_builds:ReleaseBuildsTest.test_webhook_applied_with_its_delivery"]),
    # ---- a docker step's container is found again after a kill -9, never a second one made (docs/deployments.md "Docker hosts")
    Mutant("docker-container-made-twice", "a restarted process starts the step's script a second time",
           "a docker step's container is named after the process's run rather than the step, so the process that takes "
           "the job over after a kill -9 does not find the running container and creates and starts another: the "
           "script runs twice",
           "src/deploy/deploy.c",
           [('snprintf(sr->container, sizeof sr->container, "slipway-%s", st->id);',
             'snprintf(sr->container, sizeof sr->container, "slipway-%.20s-%lld", st->id, (long long)r->seq);')],
           [API + "test_deploy_docker:DockerKillTest"]),
    Mutant("docker-container-left", "a finished step's container left on the host",
           "a docker step's container is not removed once the step's end is written, so every run leaves an exited "
           "container (and its writable layer) on the host",
           "src/deploy/deploy.c",
           [("    if (!r->err.code) /* the step's end is written", "    if (!r->err.code && 0) /* the step's end is written")],
           [API + "test_deploy_docker:DockerRunsTest.test_a_nonzero_exit_fails_the_step"]),
    Mutant("docker-refollow-stores-twice", "a container followed again stores its output twice",
           "after a restart the container's follow hands out its output from the start again instead of after the bytes "
           "whose lines were stored, so every line written before the kill appears twice in the deployment's log",
           "src/deploy/deploy.c",
           [("    sr->follow.from[0] = (uint64_t)st->stored_bytes[0];", "    sr->follow.from[0] = 0;")],
           [API + "test_deploy_docker:DockerKillTest.test_the_container_is_found_again_not_started_twice"]),
    Mutant("docker-leftovers-kept", "containers of ended steps never removed",
           "a step on a docker host does not remove the tenant's stopped containers whose steps have ended, so a container "
           "left when slipway died between a step's end and its removal stays on the host for good",
           "src/deploy/deploy.c",
           [("    if (!e.code && ended && docker_remove(s->docker, name, &e) == ERR_OK)",
             "    if (!e.code && !ended && docker_remove(s->docker, name, &e) == ERR_OK)")],
           [API + "test_deploy_docker:DockerRunsTest.test_a_container_an_ended_step_left_is_removed_by_the_next_step"]),
    # ---- usage per site (docs/sites.md "Usage per site")
    Mutant("usage-rollup-merges-sites", "one site's usage added to another's",
           "the roll-up sums a batch's events per (tenant, day, metric) without the site, so a site's page views land "
           "in the row of whichever site came first in the batch",
           "src/usage/usage.c",
           [("strcmp(r->sum[i].tenant, e->tenant) == 0 &&\n            strcmp(r->sum[i].site, e->site) == 0) {",
             "strcmp(r->sum[i].tenant, e->tenant) == 0) {")],
           [API + "test_usage:UsageTest.test_usage_per_site"]),
    Mutant("build-poll-after-webhook-outcome-twice", "a poll answering after the webhook applied the build records it again",
           "a build whose webhook already ended it takes the poll's outcome as well: a second build-succeeded entry, the "
           "build's finish time moved, a second notification, the release settled again",
           "src/releases/builds.c",
           [("if (build_ended(from)) { /* ended meanwhile", "if (false) { /* ended meanwhile")],
           [API + "test_release_builds:ReleaseBuildsTest.test_poll_after_webhook_takes_no_second_outcome"]),
    # ---- a release waiting for its approvals (docs/notifications.md "A release waiting for its approvals")
    Mutant("release-approvers-any-candidate", "an approval of an older candidate leaves its approver unasked",
           "the approvers a release's release.approval.requested names are those without an approval of any candidate "
           "rather than of the current one, so after a new candidate the editor who approved candidate 1 is neither "
           "mentioned nor named, though their approval does not count for candidate 2",
           "src/notify/approvals.c",
           [("AND p.releaseId = s.id AND p.candidateNumber = s.candidateNumber AND p.accountId = a.id",
             "AND p.releaseId = s.id AND p.accountId = a.id")],
           [API + "test_notifications:NotificationsTest.test_release_approval_requested_mentions_its_approvers"]),
    # ---- store rollouts followed after their action (docs/stores.md "Google Play's review", "App Store Connect's phased release")
    Mutant("play-action-review-not-held", "a Play rollout that Play reviews again shown as applied",
           "a rollout action whose change Play sends to review again is recorded at once (the new share, the action "
           "ended), so users are said to have a share Play has not published, the next action's commit is refused "
           "(changes in review) and a change Play does not approve is never seen",
           "src/stores/stores.c",
           [("    held = reviewed && review_open(event);", "    held = false;")],
           [API + "test_store_play:PlayTest.test_action_change_reviewed_again"]),
    Mutant("appstore-phased-release-not-followed", "an App Store phased release's share moves only on an action",
           "the rollout's job ends once the phased release is ACTIVE instead of following it, so Apple's day never "
           "moves the share shown and a phased release Apple completes leaves the submission ROLLING_OUT for good",
           "src/stores/stores.c",
           [("|| held || own_schedule(s->target_type, o->to);", "|| held;")],
           [API + "test_store_appstore.test_phased_release_followed"]),
    Mutant("testflight-external-state-ignored", "TestFlight's beta review waits for a poll despite Apple's webhook",
           "a buildBetaDetailExternalBuildStateUpdated notification is recorded as another kind of event, so it wakes "
           "no beta review's wait: the external testers get the build only at the next poll, up to 5 minutes later",
           "src/providers/targets/app_store.c",
           [('"buildBetaDetailExternalBuildStateUpdated"};', '"buildUploadStateUpdated"};')],
           [API + "test_store_appstore.test_webhooks_wake_the_waits"]),
    Mutant("asc-reused-release-type-kept", "a reused appStoreVersion keeps the release type it was made with",
           "a version an earlier submission or the team made is reused as it is: a submission asking AFTER_APPROVAL "
           "or SCHEDULED goes to review MANUAL (or the other way), so Apple releases it when nobody asked, or never",
           "src/providers/targets/app_store.c",
           [("bool same = item && release_type_matches(c, item);", "bool same = item && (release_type_matches(c, item) || 1);")],
           ["unit.test_provider_targets",
            API + "test_store_appstore.test_reused_version_takes_the_release_type"]),
    # ---- issue 14's build webhooks: read in one pass, copies known by their bytes (docs/internals/jsonpick.md)
    Mutant("webhook-digest-any-entry", "a copy known by a signature entry that did not match",
           "the digest a webhook's copy is known by is the signature list's first entry, matched or not, so two "
           "deliveries whose lists share a stale entry look like one: the second is answered as a duplicate and lost",
           "src/providers/inbound.c",
           [("            ok = true;\n            if (in->digest) /* the digest as computed: it matched, and it is PROVIDER_DIGEST_SIZE - 1 "
             "hex digits */\n                snprintf(in->digest, PROVIDER_DIGEST_SIZE, \"%.*s\", (int)(n - plen), v + plen);\n        }",
             "            ok = true;\n        }\n        if (in->digest && !in->digest[0] && n > plen)\n"
             "            snprintf(in->digest, PROVIDER_DIGEST_SIZE, \"%.*s\", (int)(n - plen), v + plen);")],
           ["unit.test_provider_inbound", API + "test_webhooks:WebhooksTest.test_copies_known_before_their_body_is_read"]),
    Mutant("jsonpick-duplicate-names-taken", "a body with a member named twice read by the pass",
           "the one-pass reader of webhook bodies takes an object with a member named twice, which jansson refuses "
           "(JSON_REJECT_DUPLICATES): the provider and slipway may read different values from one signed body",
           "src/http/jsonpick.c",
           [("if (k->names[i].len == name->len && memcmp", "if (0 && k->names[i].len == name->len && memcmp")],
           ["unit.test_jsonpick", "unit.test_provider_inbound"]),
    # ---- issue 16's Jira fix version released with the release, and the notes' issues moved then
    Mutant("jira-version-released-only-at-finish", "a Jira fix version released at the final tag only",
           "release.released enqueues no fix-versions job, so a release its stores released keeps its Jira version "
           "unreleased until someone makes the final tag, and is dated that later day",
           "src/notify/tickets.c",
           [('bool released = strcmp(event, "release.released") == 0 || ', 'bool released = ')],
           [API + "test_tickets:TicketsTest.test_jira_fix_version_released_when_the_release_is"]),
    Mutant("jira-issue-transition-ignored", "the notes' issues never moved through issueTransition",
           "the configured issueTransition is never taken once the version is released: the issues the notes name "
           "stay where they were although the tenant asked for them to move",
           "src/providers/tickets/jira.c",
           [('input_text(c, "issueTransition")[0] && json_array_size(moves) > 0',
             'input_text(c, "issueTransition")[0] && json_array_size(moves) > 99')],
           [API + "test_tickets:TicketsTest.test_jira_issue_transition_when_the_version_is_released"]),
    Mutant("jira-move-repeated-after-kill", "an issue's transition posted again after a kill",
           "a call resumed after a kill at Jira's transition POST takes the earlier call's claim for its own and posts "
           "the transition again, though the first may have landed: a workflow that offers it from there moves the "
           "issue twice (its history, its watchers' mail)",
           "src/providers/tickets/jira.c",
           [('bool others = provider_data_text(c, "sending")[0] != \'\\0\';', "bool others = false;")],
           ["reliability.ticket_kill.sqlite"]),
    Mutant("jira-added-issue-not-moved", "an issue the notes name after the release never moved",
           "a link job of a release already RELEASED claims no move: an issue its edit added gets the fix version "
           "but stays where it was, though the tenant's issueTransition moved the others",
           "src/notify/tickets.c",
           [("    if (!released)\n", "    if (!released || m->link)\n")],
           [API + "test_tickets:TicketsTest.test_jira_issues_added_after_the_release_are_moved_once"]),
    Mutant("jira-moved-before-release", "a link job moves the notes' issues before the version is released",
           "a link job claims the moves whatever the release's status: the issues move as soon as the notes name "
           "them, before the version is released, and not with it",
           "src/notify/tickets.c",
           [("int64_t released = 1;\n", "int64_t released = 1;\n    m->link = false;\n")],
           [API + "test_tickets:TicketsTest.test_jira_issues_added_after_the_release_are_moved_once"]),
]


def mutants(categories):
    """Every row: one per category of the route table, then TABLE."""
    return category_mutants(categories) + TABLE
