"""The route table and the catalog as test cases, for the isolation matrix and
the bad-input catalogue.

Routes come from the binary (`slipway routes`, harness.route_table()): method,
path, role, path parameters with the values a parameter takes where they are
a closed set (the catalog's categories, the setup wizard's steps), and the
body (schema, optional, fields). Types and categories come from the catalog
the server serves (GET /api/v1/integration-types). A case is one route with
one value for each listed parameter, so a route, a category or a step added
to the server is a new case without an edit here. What the tests know that
the server does not say (a valid body per integration type, which type a
verify kind checks) is the contract's table in integration_fixtures.py and
verify_fixtures.py, and a type or kind missing there fails by name.

Not a test file (no test_ prefix): the test files import it.
"""

import uuid

import harness
import integration_fixtures as fx
import verify_fixtures as vf

SETUP_PREFIX = "/api/v1/setup/verify-"


class Case:
    """One route of the table with one value for each of its listed parameters."""

    def __init__(self, route, values):
        self.route, self.values = route, values
        self.method, self.path, self.role = route.method, route.path, route.role
        self.params, self.fields = route.params, route.fields
        self.has_body, self.body_optional, self.body_tenant = route.takes_body, route.body_optional, route.body_tenant
        self.open_body = bool(route.body and route.body["open"])
        self.tenant_route, self.tenant_role = route.tenant_route, route.tenant_role
        self.category, self.step = values.get("category"), values.get("step")
        # The integration type a setup verification checks (verify_fixtures' table of kinds), or None.
        self.kind = self.path[len(SETUP_PREFIX):] if self.path.startswith(SETUP_PREFIX) else None
        if self.kind is not None and self.kind not in vf.TYPE_OF_KIND:
            raise AssertionError("%s: verify kind %r is not in verify_fixtures.KINDS: add it" % (self, self.kind))
        self.verify_type = vf.TYPE_OF_KIND.get(self.kind)

    def __str__(self):
        if not self.values:
            return "%s %s" % (self.method, self.path)
        return "%s %s [%s]" % (self.method, self.path, ", ".join("%s=%s" % kv for kv in sorted(self.values.items())))

    __repr__ = __str__


def cases():
    """Every route of the table with each category and step it serves."""
    out = [Case(r, v) for r in harness.route_table() for v in r.expansions()]
    if not out:
        raise AssertionError("the route table gave no case")
    return out


def invite(server, owner_token, tenant_id):
    """A pending invitation of a fresh address to the tenant (its token noted as a secret)."""
    resp = server.request("POST", "/api/v1/%s/members" % tenant_id, body={"email": harness.unique_email("invited"),
                                                                          "role": "viewer"}, token=owner_token)
    if resp.status != 201:
        raise AssertionError("inviting failed: %s" % (resp,))
    server.remember_secret(resp.json["inviteToken"])
    return resp.json


def catalog(server, token):
    """{type: category} of GET /api/v1/integration-types, every type known to the contract's table."""
    resp = server.request("GET", "/api/v1/integration-types", token=token)
    if resp.status != 200:
        raise AssertionError("the catalog: %s" % (resp,))
    types = {item["type"]: item["category"] for item in resp.json["items"]}
    unknown = sorted(set(types) - set(fx.TYPES))
    if not types or unknown:
        raise AssertionError("types the tests have no valid body for (integration_fixtures.TYPES): %s" % unknown)
    return types


def route_categories():
    """The {category} values of the route table (each route that has one lists the same)."""
    lists = {tuple(r.values["category"]) for r in harness.route_table() if "category" in r.values}
    if len(lists) != 1:
        raise AssertionError("routes with {category} list different categories: %s" % sorted(lists))
    return list(lists.pop())


def _maker(server, token, tenant_id, types, made):
    """make(type) -> an integration of that type in the tenant (made once, with the references a pipeline needs)."""
    def make(type_):
        if type_ not in made:
            target = next(t for t, c in types.items() if c == "targets")
            refs = fx.pipeline_refs(type_, make, lambda: make(target))
            made[type_] = fx.create_integration(server, token, tenant_id, fx.valid_body(type_, **refs))
        return made[type_]
    return make


# The status a release must be in for each action to be allowed (docs/releases.md), and the stage it goes back to.
ACTION_FROM = {"pause": ("BUILDING", None), "resume": ("PAUSED", "BUILDING"), "retry": ("BLOCKED", "BUILDING"),
               "cancel": ("BUILDING", None), "approve": ("REGRESSION", None), "new-candidate": ("REGRESSION", None),
               "finish": ("READY", None), "archive": ("FINISHED", None), "unarchive": ("FINISHED", None)}


def release_action_of(case):
    """The release action a case's route takes: its {action} value, or the last segment of a literal action route
    (.../releases/{releaseId}/approve); None for other routes."""
    if case.values.get("action"):
        return case.values["action"]
    last = case.path.rsplit("/", 1)[-1]
    return last if "{releaseId}" in case.path and last in ACTION_FROM else None


def plant_release(server, tenant_id, status="BUILDING", resume=None):
    """A release of the tenant, written to the database: one made through the API would start a kickoff
    against the SCM, whose steps would keep changing the tenant's rows while the tests compare them."""
    release_id, now = str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO releases (id, tenantId, version, releaseType, platforms, status, resumeStatus, "
                          "baseRef, releaseBranch, candidateNumber, createdAt, updatedAt) "
                          "VALUES (?, ?, ?, 'MINOR', '[\"IOS\"]', ?, ?, 'main', ?, 0, ?, ?)",
                  (release_id, tenant_id, "0.%s.0" % release_id[:4], status, resume,
                   "release/0.%s.0" % release_id[:4], now, now))
    return release_id


def set_release_status(server, release_id, action):
    """Puts a planted release in the status action is allowed from (ACTION_FROM)."""
    status, resume = ACTION_FROM[action]
    fx.db_execute(server, "UPDATE releases SET status = ?, resumeStatus = ? WHERE id = ?", (status, resume, release_id))
    if action == "approve":  # an approver counts once a candidate: the last injection's approval goes
        fx.db_execute(server, "DELETE FROM release_approvals WHERE releaseId = ?", (release_id,))


def iam_provider(server, token, tenant_id):
    """An identity provider of the tenant (docs/sso.md), never called: its id."""
    tag = uuid.uuid4().hex[:8]
    resp = server.request("POST", "/api/v1/%s/iam/providers" % tenant_id, token=token,
                          body={"name": "idp " + tag, "type": "OIDC", "issuer": "https://idp.example.com",
                                "clientId": "client-" + tag, "clientSecret": "idp-secret-" + uuid.uuid4().hex})
    if resp.status != 201:
        raise AssertionError("creating an identity provider failed: %s" % (resp,))
    return resp.json["id"]


def plant_rule(server, tenant_id, integration_id):
    """A notification rule of the tenant on one of its communication integrations, written to the database."""
    rule_id, now = str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO notification_rules (id, tenantId, eventPattern, integrationId, channel, createdAt, "
                          "updatedAt) VALUES (?, ?, 'release.*', ?, 'general', ?, ?)",
                  (rule_id, tenant_id, integration_id, now, now))
    return rule_id


def plant_submission(server, tenant_id, release_id):
    """A store submission of the tenant's release (docs/stores.md), written to the database, its target gone:
    ROLLING_OUT with nothing pending, so each action is allowed once reset_submission has run."""
    submission_id, now = str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO store_submissions (id, tenantId, releaseId, platform, targetType, track, status, "
                          "actionCount, buildNumber, rolloutMillionths, createdAt, updatedAt) "
                          "VALUES (?, ?, ?, 'IOS', 'APP_STORE', 'appStore', 'ROLLING_OUT', 0, '1', 0, ?, ?)",
                  (submission_id, tenant_id, release_id, now, now))
    return submission_id


def ready_for_submission(server, release_id):
    """Puts a planted release where a submission is accepted: READY, none of its submissions under way."""
    fx.db_execute(server, "UPDATE releases SET status = 'READY', resumeStatus = NULL WHERE id = ?", (release_id,))
    fx.db_execute(server, "UPDATE store_submissions SET status = 'FAILED', pendingAction = NULL WHERE releaseId = ?",
                  (release_id,))


def reset_submission(server, submission_id, action):
    """Puts a planted submission back where action is allowed (an accepted action leaves it pending); promote is
    Google Play's (tracks), the other actions any store's."""
    fx.db_execute(server, "UPDATE store_submissions SET status = ?, pendingAction = NULL, rolloutMillionths = 0, "
                          "targetType = ? WHERE id = ?", ("HALTED" if action == "resume" else "ROLLING_OUT",
                                                          "PLAY_STORE" if action == "promote" else "APP_STORE",
                                                          submission_id))


def endpoint(server, token, tenant_id):
    """An outbound webhook endpoint of the tenant, made through the API (its secret remembered): its id."""
    resp = server.request("POST", "/api/v1/%s/webhook-endpoints" % tenant_id, token=token,
                          body={"url": "https://hooks.example.com/slipway", "events": ["release.finished"]})
    if resp.status != 201:
        raise AssertionError("endpoint not made: %s" % (resp,))
    server.remember_secret(resp.json["secret"])
    return resp.json["id"]


def plant_delivery(server, tenant_id, endpoint_id):
    """A FAILED delivery of the endpoint (a ping), written to the database so no job changes it: its id."""
    event_id, delivery_id, now = str(uuid.uuid4()), str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO notification_events (id, tenantId, name, subjectType, subjectId, payload, createdAt) "
                          "VALUES (?, ?, 'webhook.ping', 'endpoint', ?, '{}', ?)", (event_id, tenant_id, endpoint_id, now))
    fx.db_execute(server, "INSERT INTO endpoint_deliveries (id, tenantId, endpointId, eventId, eventName, status, attempts, "
                          "createdAt, updatedAt) VALUES (?, ?, ?, ?, 'webhook.ping', 'FAILED', 1, ?, ?)",
                  (delivery_id, tenant_id, endpoint_id, event_id, now, now))
    return delivery_id


def plant_deploy(server, tenant_id, deployment=True):
    """A host (on a documentation address, never reached) and a script of the tenant, written to the database, and
    with deployment a SUCCEEDED deployment of the one on the other (which keeps both from being deleted): their ids."""
    host_id, script_id, deployment_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    now, tag = harness.format_time(harness.now()), uuid.uuid4().hex[:8]
    fx.db_execute(server, "INSERT INTO hosts (id, tenantId, name, type, address, port, username, authMethod, secret, "
                          "isWindows, status, createdAt, updatedAt) VALUES (?, ?, ?, 'ssh', '192.0.2.10', 22, 'deploy', "
                          "'password', 'v1.planted', ?, 'UNTESTED', ?, ?)",
                  (host_id, tenant_id, "host " + tag, False, now, now))
    fx.db_execute(server, "INSERT INTO deployment_scripts (id, tenantId, name, body, shell, idempotent, createdAt, updatedAt) "
                          "VALUES (?, ?, ?, 'true', 'sh', ?, ?, ?)", (script_id, tenant_id, "script " + tag, False, now, now))
    if deployment:
        fx.db_execute(server, "INSERT INTO deployments (id, tenantId, hostId, scriptId, status, droppedLines, createdAt, "
                              "updatedAt) VALUES (?, ?, ?, ?, 'SUCCEEDED', 0, ?, ?)",
                      (deployment_id, tenant_id, host_id, script_id, now, now))
    return host_id, script_id, deployment_id


def plant_environment(server, tenant_id):
    """An environment of the tenant (not protected, not frozen), written to the database: its id."""
    env_id, now = str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO environments (id, tenantId, name, protected, requiredApprovals, frozen, createdAt, "
                          "updatedAt) VALUES (?, ?, ?, ?, 1, ?, ?, ?)", (env_id, tenant_id, "env " + env_id[:8], False, False,
                                                                        now, now))
    return env_id


def await_approval(server, deployment_id):
    """Puts a planted deployment back to awaiting approval (an accepted approval moves it on, and counts once)."""
    fx.db_execute(server, "DELETE FROM deployment_approvals WHERE deploymentId = ?", (deployment_id,))
    fx.db_execute(server, "UPDATE deployments SET status = 'AWAITING_APPROVAL' WHERE id = ?", (deployment_id,))


def plant_site(server, tenant_id):
    """A site of the tenant with settings, a published post ("hello") and a pending domain, written to the database:
    (site id, its slug, post id, domain id)."""
    site_id, post_id, domain_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    slug, now = "site-" + site_id[:8], harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO sites (id, tenantId, slug, name, createdAt, updatedAt) VALUES (?, ?, ?, 'Notes', ?, ?)",
                  (site_id, tenant_id, slug, now, now))
    fx.db_execute(server, "INSERT INTO site_settings (siteId, tenantId, title, updatedAt) VALUES (?, ?, 'Notes', ?)",
                  (site_id, tenant_id, now))
    fx.db_execute(server, "INSERT INTO posts (id, tenantId, siteId, title, slug, body, status, publishedAt, createdAt, "
                          "updatedAt) VALUES (?, ?, ?, 'Hello', 'hello', 'Hi', 'PUBLISHED', ?, ?, ?)",
                  (post_id, tenant_id, site_id, now, now, now))
    fx.db_execute(server, "INSERT INTO domains (id, tenantId, siteId, hostName, status, challengeToken, createdAt, updatedAt) "
                          "VALUES (?, ?, ?, ?, 'PENDING', 'token', ?, ?)",
                  (domain_id, tenant_id, site_id, "%s.example.test" % slug, now, now))
    return site_id, slug, post_id, domain_id


def plant_repository(server, tenant_id, integration_id):
    """A synced repository of the tenant's SCM integration, written to the database (as a sync writes it): its id."""
    repo_id, now = str(uuid.uuid4()), harness.format_time(harness.now())
    fx.db_execute(server, "INSERT INTO repositories (id, tenantId, integrationId, externalId, fullName, private, syncedAt, "
                          "createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                  (repo_id, tenant_id, integration_id, repo_id[:8], "planted/" + repo_id[:8], False, now, now))
    return repo_id


def planted_ids(org):
    """The path values of what plant_all planted in org, by parameter name (a case takes those it has)."""
    return {"submissionId": org.submission_id, "endpointId": org.endpoint_id, "hostId": org.host_id,
            "scriptId": org.script_id, "deploymentId": org.deployment_id, "siteId": org.site_id, "postId": org.post_id,
            "domainId": org.domain_id, "slug": org.site_slug, "postSlug": "hello",
            "deliveryId": org.delivery_id, "repositoryId": org.repository_id, "environmentId": org.environment_id}


def org_with_integrations(server, types):
    """harness.new_org's fresh tenant (owner, editor, viewer) with an integration of each of types ({type:
    category}, the catalog's order): org.by_type[type], and org.by_category[category] (its first type's),
    a pending invitation: org.invitation, a release (plant_release): org.release_id, its store submission
    (plant_submission): org.submission_id, an identity provider: org.iam_provider_id, a notification rule
    (plant_rule): org.rule_id, an outbound webhook endpoint: org.endpoint_id and a delivery of it: org.delivery_id, a host, a script and a
    deployment (plant_deploy): org.host_id, org.script_id, org.deployment_id, and a site with a post and a
    domain (plant_site): org.site_id, org.site_slug, org.post_id, org.domain_id, and a repository of its SCM
    integration (plant_repository): org.repository_id."""
    org = harness.new_org(server)
    org.by_type, org.by_category = {}, {}
    make = _maker(server, org.owner.token, org.id, types, org.by_type)
    for type_, category in types.items():
        org.by_category.setdefault(category, make(type_))
    org.invitation = invite(server, org.owner.token, org.id)
    org.release_id = plant_release(server, org.id)
    org.submission_id = plant_submission(server, org.id, org.release_id)
    org.iam_provider_id = iam_provider(server, org.owner.token, org.id)
    org.rule_id = plant_rule(server, org.id, org.by_category["communication"]["id"])
    org.endpoint_id = endpoint(server, org.owner.token, org.id)
    org.delivery_id = plant_delivery(server, org.id, org.endpoint_id)
    org.host_id, org.script_id, org.deployment_id = plant_deploy(server, org.id)
    org.environment_id = plant_environment(server, org.id)
    org.site_id, org.site_slug, org.post_id, org.domain_id = plant_site(server, org.id)
    org.repository_id = plant_repository(server, org.id, org.by_category["scm"]["id"])
    return org


def integration_markers(org):
    """Names and ids of org's integrations, its release's, its sign-on provider's, its notification rule's and its
    webhook endpoint's, its site's domain: none may show in an answer to another tenant (its site and posts are
    public: their pages show them)."""
    out = {org.release_id, org.submission_id, org.iam_provider_id, org.rule_id, org.endpoint_id, org.host_id,
           org.script_id, org.deployment_id, org.domain_id, org.delivery_id, org.repository_id, org.environment_id}
    for integ in org.by_type.values():
        out |= {integ["id"], integ["displayName"]}
    return out


def throwaway_integration(server, token, category, types):
    """A new tenant of token's account with an integration in category (its first type): (tenant id, its id)."""
    tenant_id = harness.new_tenant(server, token)["id"]
    make = _maker(server, token, tenant_id, types, {})
    return tenant_id, make(next(t for t, c in types.items() if c == category))["id"]
