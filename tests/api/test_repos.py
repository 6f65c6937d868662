"""Repositories (docs/deployments.md "Repositories", docs/api.md "Repositories"): the sync of each SCM fake's
listing over two pages, a second sync that updates and removes (the pins of removed ones with them), a failed
sync that keeps the rows and says why, pins per account and first, the tenant's walls, and the roles; OAuth tokens
refreshed before a sync, a refused refresh EXPIRED, one not answered tried again until the token expires; CI/CD
job discovery (CicdJobsTest); and a deployment's CI/CD jobs triggered and followed (CicdRunTest)."""

import time
import unittest
import urllib.parse
import uuid

import harness
import integration_fixtures as fx
import sshd
import verify_fixtures as vf

# The fake, the member of its token entry that lists the repositories, and how an entry of that list looks.
LISTS = {"GITHUB": ("github", "repos", lambda: {"pull": True, "push": True}),
         "GITLAB": ("gitlab", "projects", lambda: {"project_access": 30}),
         "GITEA": ("gitea", "repos", lambda: {"pull": True}),
         "BITBUCKET": ("bitbucket", "repos", None)}
PAGE = 100  # the largest page slipway asks for (Gitea's is 50): 101 names are two pages or more everywhere


def setUpModule():
    # The module's shared server, with an OAuth refresh the provider did not answer tried again after 0.2 s (doubling)
    # instead of 10 s: the retries in test_a_refresh_not_answered_is_tried_again_until_the_token_expires take seconds.
    # (and due jobs looked for every 0.1 s instead of every second).
    vf._servers["main"] = vf.start_server(vf.fakes(), extra={"SLIPWAY_TOKEN_REFRESH_RETRY_MS": "200", "SLIPWAY_JOB_POLL_MS": "100"})


def tearDownModule():
    vf.stop_servers()


class ReposTest(vf.VerifyTest):
    def setUp(self):
        super().setUp()
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant = self.ctx.tenant_id
        self.org = self.ctx.org

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token or self.org.owner.token)

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def scm(self, type_):
        """An SCM integration of type_ whose token lists nothing yet: (integration, case)."""
        case = vf.build(self.ctx, type_, True, True)
        integ = self.ctx.create(case.body)
        self.set_listing(type_, case, [])
        return integ, case

    def set_listing(self, type_, case, names):
        provider, key, entry = LISTS[type_]
        self.fakes.register(provider, {"tokens": {case.info["token"]: {key: None}}})  # replaced, not merged
        listing = list(names) if entry is None else {n: entry() for n in names}
        self.fakes.register(provider, {"tokens": {case.info["token"]: {key: listing}}})

    def listing(self, query="", token=None):
        return self.expect(self.request("GET", "/api/v1/%s/repositories%s" % (self.tenant, query), token=token), 200)

    def state(self, integration_id, token=None):
        return next(s for s in self.listing(token=token)["integrations"] if s["id"] == integration_id)

    def sync(self, integration_id, expect="SYNCED"):
        body = self.expect(self.request("POST", "/api/v1/%s/repositories/sync" % self.tenant,
                                        {"integrationId": integration_id}, token=self.org.editor.token), 202)
        self.assertEqual(len(body["jobIds"]), 1, body)
        state = self.ended(integration_id)
        self.assertEqual(state["syncStatus"], expect, state)
        return state

    def ended(self, integration_id):
        """The integration's sync state once no sync is under way (polled, 20 s at most)."""
        deadline = time.monotonic() + 20
        while True:
            state = self.state(integration_id)
            if state["syncStatus"] in ("SYNCED", "FAILED") or time.monotonic() > deadline:
                return state
            time.sleep(0.05)

    def names(self, integration_id, token=None):
        names, cursor = [], None
        while True:
            page = self.listing("?integrationId=%s&limit=200%s" % (integration_id, "&cursor=" + cursor if cursor else ""),
                                token=token)
            names += [r["fullName"] for r in page["items"]]
            cursor = page["nextCursor"]
            if not cursor:
                return sorted(names)

    def test_each_scm_two_pages_then_changes(self):
        for type_ in LISTS:
            with self.subTest(type_):
                integ, case = self.scm(type_)
                first = ["o-%s/r%03d" % (type_.lower(), i) for i in range(PAGE + 1)]
                self.set_listing(type_, case, first)
                state = self.sync(integ["id"])
                self.assertIsNotNone(state["lastSyncedAt"])
                self.assertIsNone(state["lastSyncError"])
                self.assertEqual(self.names(integ["id"]), first)
                # A pin on one that goes away, the rest changed: removed rows take their pins with them.
                rows = {r["fullName"]: r for r in self.listing("?q=r000&integrationId=%s" % integ["id"])["items"]}
                gone = rows[first[0]]["id"]
                self.expect(self.request("PUT", "/api/v1/%s/repositories/%s/pin" % (self.tenant, gone)), 204)
                second = first[1:] + ["o-%s/new" % type_.lower()]
                self.set_listing(type_, case, second)
                self.sync(integ["id"])
                self.assertEqual(self.names(integ["id"]), sorted(second))
                self.assertFalse(any(r["pinned"] for r in self.listing()["items"]))
                self.expect(self.request("PUT", "/api/v1/%s/repositories/%s/pin" % (self.tenant, gone)), 404)

    def test_failed_sync_keeps_rows(self):
        integ, case = self.scm("GITHUB")
        self.set_listing("GITHUB", case, ["keep/one", "keep/two"])
        self.sync(integ["id"])
        for mode in ("401", "503"):
            with self.subTest(mode):
                self.rule("github", mode, path="/user/repos")
                state = self.sync(integ["id"], expect="FAILED")
                self.assertTrue(state["lastSyncError"], state)
                self.assertEqual(self.names(integ["id"]), ["keep/one", "keep/two"])
                self.fakes.clear_rules("github")
                self.rules = []
        state = self.sync(integ["id"])
        self.assertIsNone(state["lastSyncError"])

    def oauth_scm(self, type_, refresh, expires_in=60):
        """An SCM integration of type_ whose OAuth token expires in expires_in seconds, with its client: (integration,
        case, access token). refresh is the refresh token the fake knows (or None: it knows none)."""
        provider = LISTS[type_][0]
        case = vf.build(self.ctx, type_, True, True)
        client, secret = "app-" + uuid.uuid4().hex[:8], "cs-" + uuid.uuid4().hex
        given = "rt-" + uuid.uuid4().hex
        soon = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + expires_in))
        self.fakes.register(provider, {"clients": {client: secret},
                                       "refresh_tokens": {given: case.info["token"]} if refresh else {}})
        integ = self.ctx.create(dict(case.body, refreshToken=given, expiresAt=soon, clientId=client, clientSecret=secret))
        self.set_listing(type_, case, ["oauth/one"])
        return integ, case

    def test_an_expiring_token_is_refreshed_before_the_sync(self):
        """GitHub, GitLab, Gitea and Bitbucket Cloud: the token is refreshed once (client authenticated, the refresh token
        rotated), stored encrypted with its new expiry, and used: the old one revoked, a second sync still works."""
        for type_ in LISTS:
            with self.subTest(type_):
                provider = LISTS[type_][0]
                before = self.fakes.data(provider).get("refreshes", 0)
                integ, case = self.oauth_scm(type_, refresh=True)
                self.sync(integ["id"])
                self.assertEqual(self.names(integ["id"]), ["oauth/one"])
                data = self.fakes.data(provider)
                self.assertEqual(data.get("refreshes", 0) - before, 1)
                got = self.ctx.get("scm", integ["id"])
                self.assertGreater(harness.parse_time(got["expiresAt"]).timestamp(), time.time() + 3600, got)
                self.assertEqual(got["verificationStatus"], integ["verificationStatus"])
                for token in list(data["tokens"]) + list(data["refresh_tokens"]):
                    self.server.remember_secret(token)  # the harness then finds none in the logs
                _, rows = fx.db_query(self.server, "SELECT accessToken, refreshToken FROM tenant_scm_integrations "
                                                   "WHERE id = ?", (integ["id"],))
                self.assertTrue(all(v.startswith("v1.") for v in rows[0]), "stored encrypted")
                # The old access token revoked: the next sync works with the new one, and refreshes nothing.
                self.fakes.register(provider, {"tokens": {case.info["token"]: None}})
                self.sync(integ["id"])
                self.assertEqual(self.fakes.data(provider).get("refreshes", 0) - before, 1)

    def test_a_refused_refresh_marks_the_integration_expired(self):
        """GitLab says invalid_grant with a 400, GitHub bad_refresh_token with a 200: both are EXPIRED."""
        for type_, code in (("GITLAB", "invalid_grant"), ("GITHUB", "bad_refresh_token")):
            with self.subTest(type_):
                integ, case = self.oauth_scm(type_, refresh=False)
                self.set_listing(type_, case, [case.resource])  # what verification reads
                self.assertEqual(self.expect(self.ctx.verify_stored("scm", integ["id"]), 200)["status"], "VALID")
                self.fakes.register(LISTS[type_][0], {"tokens": {case.info["token"]: None}})  # expired there too
                state = self.sync(integ["id"], expect="FAILED")
                self.assertTrue(state["lastSyncError"], state)
                got = self.ctx.get("scm", integ["id"])
                self.assertEqual(got["verificationStatus"], "EXPIRED", got)
                self.assertIn(code, got["lastVerificationError"])

    def test_a_refresh_not_answered_is_tried_again_until_the_token_expires(self):
        """The token endpoint answers 503 three times, then 200: the one refresh job tries again with backoff and the
        refresh token is spent once. One that never answers: EXPIRED once the token has expired, saying why."""
        before = self.fakes.data("gitlab").get("refreshes", 0)
        self.rule("gitlab", "503", path="/oauth/token", times=3)
        integ, _ = self.oauth_scm("GITLAB", refresh=True)
        self.sync(integ["id"])
        self.assertEqual(self.fakes.data("gitlab").get("refreshes", 0) - before, 1)
        got = self.ctx.get("scm", integ["id"])
        self.assertGreater(harness.parse_time(got["expiresAt"]).timestamp(), time.time() + 3600, got)
        _, rows = fx.db_query(self.server, "SELECT state, data FROM jobs WHERE kind = 'scm-token-refresh' AND dedupeKey LIKE ?",
                              ("%" + integ["id"] + "%",))
        self.assertEqual(len(rows), 1, rows)  # one job for the expiry, which tried four times
        self.assertEqual(rows[0][0], "DONE")
        self.assertIn('"failures":3', rows[0][1].replace(" ", ""))
        for token in list(self.fakes.data("gitlab")["tokens"]) + list(self.fakes.data("gitlab")["refresh_tokens"]):
            self.server.remember_secret(token)

        integ, case = self.oauth_scm("GITLAB", refresh=True, expires_in=2)
        self.set_listing("GITLAB", case, [case.resource])  # what verification reads: VALID, which EXPIRED replaces
        self.assertEqual(self.expect(self.ctx.verify_stored("scm", integ["id"]), 200)["status"], "VALID")
        self.rule("gitlab", "503", path="/oauth/token")
        self.request("POST", "/api/v1/%s/repositories/sync" % self.tenant, {"integrationId": integ["id"]},
                     token=self.org.editor.token)
        deadline = time.monotonic() + 20
        while self.ctx.get("scm", integ["id"])["verificationStatus"] != "EXPIRED" and time.monotonic() < deadline:
            time.sleep(0.1)
        got = self.ctx.get("scm", integ["id"])
        self.assertEqual(got["verificationStatus"], "EXPIRED", got)
        self.assertIn("the provider did not answer its refresh", got["lastVerificationError"])
        self.assertGreaterEqual(time.time(), harness.parse_time(integ["expiresAt"]).timestamp())
        self.ended(integ["id"])

    def test_not_started_twice(self):
        """A sync under way answers its own job, none is added; SYNCING left by a job that ended starts a new one."""
        integ, case = self.scm("GITLAB")
        self.set_listing("GITLAB", case, ["t/one"])
        path, body = "/api/v1/%s/repositories/sync" % self.tenant, {"integrationId": integ["id"]}
        running, far = str(uuid.uuid4()), "2999-01-01T00:00:00.000Z"
        fx.db_execute(self.server, "INSERT INTO jobs (id, kind, dedupeKey, tenantId, payload, state, runAt, attempts, "
                                   "maxAttempts, createdAt, updatedAt) VALUES (?, 'repos-sync', ?, ?, '{}', 'QUEUED', ?, 0, "
                                   "1, ?, ?)", (running, "repos-sync:%s:planted" % integ["id"], self.tenant, far, far, far))
        fx.db_execute(self.server, "UPDATE tenant_scm_integrations SET syncStatus = 'SYNCING' WHERE id = ?", (integ["id"],))
        self.assertEqual(self.expect(self.request("POST", path, body), 202)["jobIds"], [running])
        fx.db_execute(self.server, "UPDATE jobs SET state = 'DONE' WHERE id = ?", (running,))
        self.assertNotEqual(self.expect(self.request("POST", path, body), 202)["jobIds"], [running])
        self.assertEqual(self.ended(integ["id"])["syncStatus"], "SYNCED")
        self.assertEqual(self.names(integ["id"]), ["t/one"])

    def test_pins_first_and_per_account(self):
        integ, case = self.scm("GITEA")
        self.set_listing("GITEA", case, ["p/a", "p/b", "p/c"])
        self.sync(integ["id"])
        rows = {r["fullName"]: r["id"] for r in self.listing()["items"]}
        viewer, editor = self.org.viewer.token, self.org.editor.token
        self.expect(self.request("PUT", "/api/v1/%s/repositories/%s/pin" % (self.tenant, rows["p/a"]), token=viewer), 204)
        self.expect(self.request("PUT", "/api/v1/%s/repositories/%s/pin" % (self.tenant, rows["p/a"]), token=viewer), 204)
        first = self.listing(token=viewer)["items"]
        self.assertEqual([(r["fullName"], r["pinned"]) for r in first[:1]], [("p/a", True)])
        self.assertEqual(sum(r["fullName"] == "p/a" for r in first), 1, "a pin is listed once")
        self.assertFalse(any(r["pinned"] for r in self.listing(token=editor)["items"]), "pins are per account")
        self.assertEqual([r["fullName"] for r in self.listing("?q=P/B", token=viewer)["items"]], ["p/b"])
        self.expect(self.request("DELETE", "/api/v1/%s/repositories/%s/pin" % (self.tenant, rows["p/a"]), token=viewer),
                    204)
        self.assertFalse(any(r["pinned"] for r in self.listing(token=viewer)["items"]))

    def test_walls_and_roles(self):
        integ, case = self.scm("GITHUB")
        self.set_listing("GITHUB", case, ["w/one"])
        self.sync(integ["id"])
        rid = self.listing()["items"][0]["id"]
        other = vf.Ctx(self.server, self.fakes)
        page = self.expect(self.request("GET", "/api/v1/%s/repositories" % other.tenant_id, token=other.token), 200)
        self.assertEqual((page["items"], page["integrations"]), ([], []))
        for method in ("PUT", "DELETE"):
            resp = self.request(method, "/api/v1/%s/repositories/%s/pin" % (other.tenant_id, rid), token=other.token)
            harness.assert_same_not_found(self, resp, self.request(
                method, "/api/v1/%s/repositories/%s/pin" % (other.tenant_id, uuid.uuid4()), token=other.token))
        resp = self.request("POST", "/api/v1/%s/repositories/sync" % other.tenant_id, {"integrationId": integ["id"]},
                            token=other.token)
        self.expect(resp, 404)
        below = self.request("POST", "/api/v1/%s/repositories/sync" % self.tenant, {}, token=self.org.viewer.token)
        baseline = self.request("POST", "/api/v1/%s/repositories/sync" % uuid.uuid4(), {}, token=self.org.viewer.token)
        harness.assert_same_not_found(self, below, baseline)



# ---- CI/CD jobs ----

WORKFLOW = """name: Deploy
run-name: deploy ${{ inputs.slipway_build_id }}
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      environment:
        description: Where to
        type: choice
        required: true
        default: staging
        options: [staging, production]
      dry_run:
        type: boolean
        default: false
      slipway_build_id:
        type: string
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps: [{run: echo}]
"""

GITLAB_CI = """variables:
  DEPLOY_ENV:
    value: staging
    description: Where to deploy
    options: [staging, production]
  REGION: eu-west-1
stages: [deploy]
deploy:
  stage: deploy
  script: [echo $DEPLOY_ENV]
"""

CIRCLE_CONFIG = """version: 2.1
parameters:
  target:
    type: enum
    enum: [blue, green]
    default: blue
  replicas:
    type: integer
    default: 2
    description: How many
  slipway_build_id:
    type: string
    default: ""
workflows:
  deploy: {jobs: [build]}
"""


class CicdJobsTest(vf.VerifyTest):
    """CI/CD job discovery (docs/deployments.md "CI/CD jobs"): Jenkins' job tree through folders with parameter
    definitions, GitHub Actions' workflows with their workflow_dispatch inputs (and one that cannot be dispatched),
    GitLab's pipeline with .gitlab-ci.yml's variables, CircleCI's pipeline with its config's parameters; a job gone
    from the provider marked removed; a refused credential recorded; another tenant's jobs unseen. Here, beside the
    repository sync, to share its servers."""
    def setUp(self):
        super().setUp()
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner  # one tenant for the class: each test its own integration

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token or self.owner.token)

    def discover(self, integ, expect="DISCOVERED"):
        """Discovery of integ to its end: its jobs (by externalId) and its state."""
        made = harness.expect(self, self.request("POST", "/api/v1/%s/cicd-jobs/discover" % self.tenant,
                                                 {"integrationId": integ["id"]}, token=self.ctx.org.editor.token), 202)
        self.assertEqual(len(made["jobIds"]), 1)
        state = {}

        def ended():
            page = self.listing(integ)
            state.update([s for s in page["integrations"] if s["id"] == integ["id"]][0], items=page["items"])
            return state["discoveryStatus"] in ("DISCOVERED", "FAILED")

        self.assertTrue(vf.wait_for(ended, 20), state)
        self.assertEqual(state["discoveryStatus"], expect, state)
        return {j["externalId"]: j for j in state["items"]}, state

    def listing(self, integ, token=None):
        return harness.expect(self, self.request("GET", "/api/v1/%s/cicd-jobs?integrationId=%s" % (self.tenant, integ["id"]),
                                                 token=token or self.ctx.org.viewer.token), 200)

    def params(self, job):
        return {p["name"]: p for p in job["parameters"]}

    def test_jenkins_tree_with_parameters_and_removal(self):
        case = vf.build(self.ctx, "JENKINS")
        folder = case.info["job"].split("/")[0]
        deploy = folder + "/ops/deploy"
        self.fakes.register("jenkins", {"jobs": {deploy: {"description": "Deploys the app", "parameters": [
            {"name": "TARGET", "type": "ChoiceParameterDefinition", "choices": ["staging", "production"],
             "defaultParameterValue": {"value": "staging"}, "description": "where"},
            {"name": "DRY_RUN", "type": "BooleanParameterDefinition", "defaultParameterValue": {"value": True}},
            {"name": "TAG", "type": "StringParameterDefinition", "defaultParameterValue": {"value": "v1"}}]}}})
        integ = self.ctx.create(case.body)
        jobs, state = self.discover(integ)
        self.assertIn(case.info["job"], jobs)
        job = jobs[deploy]
        self.assertEqual((job["name"], job["path"], job["description"], job["removedAt"]),
                         ("deploy", deploy, "Deploys the app", None))
        p = self.params(job)
        self.assertEqual(p["TARGET"], {"name": "TARGET", "type": "choice", "default": "staging",
                                       "choices": ["staging", "production"], "description": "where", "required": False})
        self.assertEqual((p["DRY_RUN"]["type"], p["DRY_RUN"]["default"]), ("boolean", "true"))
        self.assertEqual((p["TAG"]["type"], p["TAG"]["default"]), ("string", "v1"))
        self.assertIsNotNone(state["lastDiscoveredAt"])
        # The job leaves Jenkins: its row stays, marked removed; the same id when it comes back.
        self.fakes.register("jenkins", {"jobs": {deploy: {"gone": True}}})
        again, _ = self.discover(integ)
        self.assertEqual(again[deploy]["id"], job["id"])
        self.assertIsNotNone(again[deploy]["removedAt"])
        self.assertIsNone(again[case.info["job"]]["removedAt"])
        self.fakes.register("jenkins", {"jobs": {deploy: {"gone": False}}})
        back, _ = self.discover(integ)
        self.assertEqual((back[deploy]["id"], back[deploy]["removedAt"]), (job["id"], None))

    def test_github_actions_workflows_and_inputs(self):
        case = vf.build(self.ctx, "GITHUB_ACTIONS")
        full = case.info["org"] + "/" + case.info["repo"]
        self.fakes.register("github", {"repos": {full: {
            "workflows": [case.info["workflow"], "lint.yml"],
            "files": {".github/workflows/" + case.info["workflow"]: WORKFLOW,
                      ".github/workflows/lint.yml": "on: [push]\njobs: {lint: {runs-on: x, steps: []}}\n"}}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        job = jobs[".github/workflows/" + case.info["workflow"]]
        self.assertEqual(job["name"], case.info["workflow"].rsplit(".", 1)[0])
        p = self.params(job)
        self.assertEqual(p["environment"], {"name": "environment", "type": "choice", "default": "staging",
                                            "choices": ["staging", "production"], "description": "Where to",
                                            "required": True})
        self.assertEqual((p["dry_run"]["type"], p["dry_run"]["default"]), ("boolean", "false"))
        self.assertEqual(jobs[".github/workflows/lint.yml"]["parameters"], [])

    def test_gitlab_pipeline_variables(self):
        case = vf.build(self.ctx, "GITLAB_CI")
        self.fakes.register("gitlab", {"projects": {case.info["org"] + "/" + case.info["repo"]: {
            "files": {".gitlab-ci.yml": GITLAB_CI}}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        p = self.params(jobs["pipeline"])
        self.assertEqual(p["DEPLOY_ENV"], {"name": "DEPLOY_ENV", "type": "choice", "default": "staging",
                                           "choices": ["staging", "production"], "description": "Where to deploy",
                                           "required": False})
        self.assertEqual((p["REGION"]["type"], p["REGION"]["default"]), ("string", "eu-west-1"))

    def test_circleci_pipeline_parameters(self):
        case = vf.build(self.ctx, "CIRCLECI")
        self.fakes.register("circleci", {"builds": {case.info["slug"]: {"config": CIRCLE_CONFIG, "pipelines": [
            {"id": str(uuid.uuid4()), "number": 7, "state": "created", "created_at": "2026-01-01T00:00:00Z",
             "branch": "main", "parameters": {}, "revision": "f454a02b5d10fcccfd7d9dd7608a76d6493a98b4",
             "workflows": []}]}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        p = self.params(jobs["pipeline"])
        self.assertEqual(sorted(p), ["replicas", "target"], "slipway_build_id is slipway's own")
        self.assertEqual((p["target"]["type"], p["target"]["choices"], p["target"]["default"]),
                         ("choice", ["blue", "green"], "blue"))
        self.assertEqual((p["replicas"]["type"], p["replicas"]["default"], p["replicas"]["description"]),
                         ("number", "2", "How many"))

    def test_a_deployment_carries_jobs_with_checked_parameters(self):
        case = vf.build(self.ctx, "JENKINS")
        self.fakes.register("jenkins", {"jobs": {case.info["job"]: {"parameters": [
            {"name": "TARGET", "type": "ChoiceParameterDefinition", "choices": ["staging", "production"],
             "defaultParameterValue": {"value": "staging"}},
            {"name": "DRY_RUN", "type": "BooleanParameterDefinition", "defaultParameterValue": {"value": False}},
            {"name": "TOKEN", "type": "PasswordParameterDefinition", "defaultParameterValue": {"value": ""}}]}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        job = jobs[case.info["job"]]
        self.assertEqual(self.params(job)["TOKEN"]["type"], "password")
        host = harness.expect(self, self.request("POST", "/api/v1/%s/hosts" % self.tenant, {
            "name": "h-" + uuid.uuid4().hex[:8], "address": "192.0.2.1", "port": 22, "username": "deploy",
            "authMethod": "password", "secret": "pw-" + uuid.uuid4().hex}), 201)
        script = harness.expect(self, self.request("POST", "/api/v1/%s/deployment-scripts" % self.tenant,
                                                   {"name": "s-" + uuid.uuid4().hex[:8], "body": "true"}), 201)

        def deploy(cicd_jobs):
            return self.request("POST", "/api/v1/%s/deployments" % self.tenant,
                                {"hostId": host["id"], "scriptId": script["id"], "cicdJobs": cicd_jobs, "ref": "main"},
                                token=self.ctx.org.editor.token)

        other = vf.Ctx(self.server, self.fakes)  # another tenant's job is no job of this one
        theirs = other.create(vf.build(other, "JENKINS").body)
        for bad, field in (({"jobId": job["id"], "parameters": {"TARGET": "prod"}}, "cicdJobs[0].parameters.TARGET"),
                           ({"jobId": job["id"], "parameters": {"NOPE": "x"}}, "cicdJobs[0].parameters.NOPE"),
                           ({"jobId": job["id"], "parameters": {"DRY_RUN": "maybe"}}, "cicdJobs[0].parameters.DRY_RUN"),
                           ({"jobId": job["id"], "parameters": {"TOKEN": "s3cret"}}, "cicdJobs[0].parameters.TOKEN"),
                           ({"jobId": theirs["id"]}, "cicdJobs[0].jobId"),
                           ({"jobId": job["id"], "extra": 1}, "cicdJobs")):
            body = harness.expect(self, deploy([bad]), 400)
            self.assertIn(field, [d["field"] for d in body["error"]["details"]], body)
        dep = harness.expect(self, deploy([{"jobId": job["id"], "parameters": {"TARGET": "production", "DRY_RUN": True}}]),
                             201)
        [mapped] = dep["cicdJobs"]
        # The deployment runs at once: its script cannot reach 192.0.2.1, so its job may be "not run" (FAILED) already.
        self.assertIn(mapped["status"], ("PENDING", "FAILED"))
        self.assertEqual((mapped["jobId"], mapped["name"], mapped["parameters"], mapped["buildNumber"]),
                         (job["id"], job["name"], {"TARGET": "production", "DRY_RUN": "true"}, None))

    def test_refused_credentials_and_walls(self):
        case = vf.build(self.ctx, "JENKINS", creds=False)
        integ = self.ctx.create(case.body)
        jobs, state = self.discover(integ, expect="FAILED")
        self.assertEqual(jobs, {})
        self.assertIn("rejected", state["lastDiscoveryError"])
        # Another tenant neither sees the jobs nor starts a discovery of this tenant's integration; a viewer cannot.
        other = vf.Ctx(self.server, self.fakes)
        resp = self.server.request("POST", "/api/v1/%s/cicd-jobs/discover" % other.tenant_id,
                                   body={"integrationId": integ["id"]}, token=other.token)
        self.assertEqual(resp.status, 404, resp)
        page = harness.expect(self, self.server.request("GET", "/api/v1/%s/cicd-jobs" % other.tenant_id,
                                                        token=other.token), 200)
        self.assertEqual((page["items"], page["integrations"]), ([], []))
        resp = self.request("POST", "/api/v1/%s/cicd-jobs/discover" % self.tenant, {"integrationId": integ["id"]},
                            token=self.ctx.org.viewer.token)
        self.assertEqual(resp.status, 404, resp)


@unittest.skipUnless(sshd.available(), "openssh-server is not installed (scripts/install-deps test)")
class CicdRunTest(vf.VerifyTest):
    """A deployment's CI/CD jobs run (docs/deployments.md "CI/CD jobs"): after its script, a Jenkins job with its
    parameters then a GitHub Actions workflow with its inputs, each triggered with the mapping's id as slipway_build_id
    and followed by the signed build webhook; a failed job (PARTIALLY_FAILED, the mapping's error); a failed script
    (no job triggered); cancel while a job runs (not followed any more); another tenant's deployment unseen."""
    discover, listing = CicdJobsTest.discover, CicdJobsTest.listing

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ssh = sshd.Sshd().start()

    @classmethod
    def tearDownClass(cls):
        cls.ssh.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner
        self.server.remember_secret(self.ssh.client_key.strip())
        self.host = harness.expect(self, self.request("POST", "/api/v1/%s/hosts" % self.tenant, {
            "name": "h-" + uuid.uuid4().hex[:8], "address": "127.0.0.1", "port": self.ssh.port, "username": self.ssh.user,
            "authMethod": "key", "secret": self.ssh.client_key}), 201)

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token or self.owner.token)

    def job_state(self, dep):
        _, rows = fx.db_query(self.server, "SELECT j.state FROM jobs j JOIN deployments d ON d.jobId = j.id WHERE d.id = ?",
                              (dep["id"],))
        return rows[0][0] if rows else None

    def jenkins(self):
        """A Jenkins integration whose job takes TARGET (a choice), discovered, with its webhook: (job row, builds, hook)."""
        case = vf.build(self.ctx, "JENKINS")
        self.fakes.register("jenkins", {"jobs": {case.info["job"]: {"parameters": [
            {"name": "TARGET", "type": "ChoiceParameterDefinition", "choices": ["staging", "production"],
             "defaultParameterValue": {"value": "staging"}}]}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        return (jobs[case.info["job"]], lambda: self.fakes.data("jenkins")["jobs"][case.info["job"]].get("builds", []),
                self.hook(integ))

    def hook(self, integ):
        made = harness.expect(self, self.request("POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (
            self.tenant, integ["id"])), 201)
        self.server.remember_secret(made["secret"])
        return made

    def deploy(self, body, cicd_jobs, **target):
        """A deployment of a script with body and its jobs, on target's ref (main when target names nothing)."""
        script = harness.expect(self, self.request("POST", "/api/v1/%s/deployment-scripts" % self.tenant,
                                                   {"name": "s-" + uuid.uuid4().hex[:8], "body": body}), 201)
        made = dict({"hostId": self.host["id"], "scriptId": script["id"]}, **(target or {"ref": "main"}))
        if cicd_jobs:
            made["cicdJobs"] = cicd_jobs
        return harness.expect(self, self.request("POST", "/api/v1/%s/deployments" % self.tenant, made,
                                                 token=self.ctx.org.editor.token), 201)

    def get(self, dep):
        return harness.expect(self, self.request("GET", "/api/v1/%s/deployments/%s" % (self.tenant, dep["id"]),
                                                 token=self.ctx.org.viewer.token), 200)

    def until(self, dep, probe, what):
        state = {}

        def check():
            state["dep"] = self.get(dep)
            return probe(state["dep"])
        self.assertTrue(vf.wait_for(check, 20), "%s: %s" % (what, state.get("dep")))
        return state["dep"]

    def finish(self, provider, run_id, hook, conclusion="success"):
        body = {"conclusion": conclusion, "webhook": {"url": "http://127.0.0.1:%d%s" % (self.server.port, hook["path"]),
                                                      "secret": hook["secret"]}}
        self.fakes._call("POST", "/%s/runs/%s/finish" % (provider, urllib.parse.quote(str(run_id), safe="")), body)

    def log(self, dep):
        _, rows = fx.db_query(self.server, "SELECT message FROM deployment_logs WHERE tenantId = ? AND deploymentId = ? "
                                           "ORDER BY seq", (self.tenant, dep["id"]))
        return [r[0] for r in rows]

    def test_jenkins_then_github_actions_after_the_script(self):
        job, builds, hook = self.jenkins()
        case = vf.build(self.ctx, "GITHUB_ACTIONS")
        full = case.info["org"] + "/" + case.info["repo"]
        path = ".github/workflows/" + case.info["workflow"]
        self.fakes.register("github", {"repos": {full: {"branches": {"main": "1" * 40}, "commits": ["1" * 40],
                                                        "workflows": [case.info["workflow"]], "files": {path: WORKFLOW}}}})
        gh = self.ctx.create(case.body)
        gh_hook = self.hook(gh)
        workflow = self.discover(gh)[0][path]
        dep = self.deploy("echo deployed", [{"jobId": job["id"], "parameters": {"TARGET": "production"}},
                                            {"jobId": workflow["id"], "parameters": {"environment": "production",
                                                                                     "dry_run": True}}])
        dep = self.until(dep, lambda d: d["cicdJobs"][0]["runId"], "the Jenkins job triggered")
        first, second = dep["cicdJobs"]
        self.assertEqual((dep["steps"][0]["status"], first["status"], second["status"]), ("SUCCEEDED", "RUNNING", "PENDING"))
        [build] = builds()
        self.assertEqual(build["parameters"], {"TARGET": "production", "slipway_build_id": first["id"], "slipway_ref": "main"})
        self.assertEqual(first["buildNumber"], str(build["number"]))
        self.assertTrue(first["buildUrl"].endswith("/%d/" % build["number"]), first)
        self.finish("jenkins", first["runId"], hook)
        dep = self.until(dep, lambda d: d["cicdJobs"][1]["runId"], "the workflow dispatched after the Jenkins job")
        [run] = self.fakes.data("github")["repos"][full]["runs"]
        self.assertEqual((run["branch"], run["inputs"]), ("main", {"environment": "production", "dry_run": "true",
                                                                    "slipway_build_id": second["id"]}))
        self.finish("github", dep["cicdJobs"][1]["runId"], gh_hook)
        dep = self.until(dep, lambda d: d["status"] not in ("PENDING", "RUNNING"), "the deployment ended")
        self.assertEqual(dep["status"], "SUCCEEDED", dep)
        for m in dep["cicdJobs"]:
            self.assertEqual(m["status"], "SUCCEEDED")
            self.assertIsNotNone(m["startedAt"])
            self.assertIsNotNone(m["finishedAt"])
            self.assertIsNone(m["error"])
        lines = [l for l in self.log(dep) if l.startswith("CI/CD job")]
        self.assertEqual(len([l for l in lines if "triggering" in l]), 2, lines)
        self.assertIn("CI/CD job %s: SUCCEEDED" % workflow["name"], lines)
        # Another tenant neither sees the deployment nor its jobs.
        other = vf.Ctx(self.server, self.fakes)
        resp = self.server.request("GET", "/api/v1/%s/deployments/%s" % (other.tenant_id, dep["id"]), token=other.token)
        self.assertEqual(resp.status, 404, resp)

    def test_gitlab_ci_then_circleci_on_the_deployments_ref(self):
        gl = vf.build(self.ctx, "GITLAB_CI")
        project = gl.info["org"] + "/" + gl.info["repo"]
        self.fakes.register("gitlab", {"projects": {project: {"branches": {"release/7": "7" * 40}}}})
        gl_integ = self.ctx.create(gl.body)
        gl_hook = self.hook(gl_integ)
        cc = vf.build(self.ctx, "CIRCLECI")
        self.fakes.register("circleci", {"builds": {cc.info["slug"]: {"parameters": ["slipway_build_id"],
                                                                      "workflows": ["release"]}}})
        cc_integ = self.ctx.create(cc.body)
        cc_hook = self.hook(cc_integ)
        jobs = [{"jobId": self.discover(integ)[0]["pipeline"]["id"]} for integ in (gl_integ, cc_integ)]
        dep = self.deploy("true", jobs, ref="release/7")
        self.assertEqual((dep["ref"], dep["repositoryId"]), ("release/7", None))
        dep = self.until(dep, lambda d: d["cicdJobs"][0]["runId"], "the GitLab pipeline triggered")
        [pipeline] = [p for p in self.fakes.data("gitlab")["projects"][project]["pipelines"]
                      if p.get("name") == dep["cicdJobs"][0]["id"]]
        self.assertEqual(pipeline["ref"], "release/7")
        self.finish("gitlab", dep["cicdJobs"][0]["runId"], gl_hook)
        dep = self.until(dep, lambda d: d["cicdJobs"][1]["runId"], "the CircleCI pipeline triggered after GitLab's")
        [made] = self.fakes.data("circleci")["builds"][cc.info["slug"]]["pipelines"]
        self.assertEqual((made["branch"], made["parameters"]), ("release/7", {"slipway_build_id": dep["cicdJobs"][1]["id"]}))
        self.finish("circleci", dep["cicdJobs"][1]["runId"], cc_hook)
        dep = self.until(dep, lambda d: d["status"] not in ("PENDING", "RUNNING"), "the deployment ended")
        self.assertEqual([dep["status"]] + [m["status"] for m in dep["cicdJobs"]], ["SUCCEEDED"] * 3, dep)
        # A tag, written refs/tags/NAME: CircleCI's pipeline gets it as its tag.
        dep = self.until(self.deploy("true", jobs[1:], ref="refs/tags/v7"), lambda d: d["cicdJobs"][0]["runId"],
                         "the CircleCI pipeline triggered on a tag")
        made = self.fakes.data("circleci")["builds"][cc.info["slug"]]["pipelines"][0]
        self.assertEqual((made["tag"], made["branch"], made["parameters"]["slipway_build_id"]),
                         ("v7", None, dep["cicdJobs"][0]["id"]))
        self.finish("circleci", dep["cicdJobs"][0]["runId"], cc_hook)
        self.assertEqual(self.until(dep, lambda d: d["status"] not in ("PENDING", "RUNNING"), "ended")["status"], "SUCCEEDED")

    def repository(self, default_branch):
        """A GitHub repository of the tenant whose default branch is default_branch, synced: its row."""
        case = vf.build(self.ctx, "GITHUB")
        full = "acme-%s/web" % uuid.uuid4().hex[:8]
        self.fakes.register("github", {"tokens": {case.info["token"]: {"repos": {full: {"pull": True, "push": True}}}},
                                       "repos": {full: {"default_branch": default_branch}}})
        integ = self.ctx.create(case.body)
        harness.expect(self, self.request("POST", "/api/v1/%s/repositories/sync" % self.tenant, {"integrationId": integ["id"]},
                                          token=self.ctx.org.editor.token), 202)
        found = {}

        def synced():
            page = harness.expect(self, self.request("GET", "/api/v1/%s/repositories?integrationId=%s" % (
                self.tenant, integ["id"])), 200)
            found.update((r["fullName"], r) for r in page["items"])
            return full in found
        self.assertTrue(vf.wait_for(synced, 20), "the repository synced")
        return found[full]

    def test_the_repository_and_ref_reach_the_script_and_bad_refs_are_refused(self):
        repo = self.repository("trunk")
        echo = 'echo "ref=$SLIPWAY_REF repository=$SLIPWAY_REPOSITORY"'
        # Only the repository: its default branch is the ref, and the script sees both.
        dep = self.deploy(echo, None, repositoryId=repo["id"])
        self.assertEqual((dep["repositoryId"], dep["ref"]), (repo["id"], "trunk"))
        # A ref with quotes and a $ reaches the script as written (exported safely quoted, never run).
        odd = "fix/it's-\"$(id)\"`id`"
        dep_odd = self.deploy(echo, None, repositoryId=repo["id"], ref=odd)
        for d, ref in ((dep, "trunk"), (dep_odd, odd)):
            d = self.until(d, lambda x: x["status"] not in ("PENDING", "RUNNING"), "the deployment ended")
            self.assertEqual(d["status"], "SUCCEEDED", d)
            self.assertIn("ref=%s repository=%s" % (ref, repo["fullName"]), self.log(d))
        # Bad refs, another tenant's repository, CI/CD jobs without a ref: 400, the field named, nothing written.
        job, _, _ = self.jenkins()
        other = vf.Ctx(self.server, self.fakes)
        count = "SELECT COUNT(*) FROM deployments WHERE tenantId = ?"
        before = fx.db_query(self.server, count, (self.tenant,))[1][0][0]
        cases = [({"ref": bad}, "ref") for bad in ("", "a..b", "-x", "/x", "x/", "x.", "v1.lock", "a/.b", "a b", "x~1",
                                                   "x^", "a:b", "x?", "x*", "x[", "a\\b", "a\x01", "@", "a@{1}", "a//b",
                                                   "r" * 256)]
        cases += [({"repositoryId": str(uuid.uuid4())}, "repositoryId"), ({"cicdJobs": [{"jobId": job["id"]}]}, "ref")]
        for extra, field in cases:
            with self.subTest(extra=extra):
                body = dict({"hostId": self.host["id"], "scriptId": dep["scriptId"]}, **extra)
                resp = harness.expect(self, self.request("POST", "/api/v1/%s/deployments" % self.tenant, body,
                                                         token=self.ctx.org.editor.token), 400)
                self.assertIn(field, [d["field"] for d in resp["error"]["details"]], resp)
        # Another tenant's repository is no repository of this one.
        resp = harness.expect(self, self.server.request("POST", "/api/v1/%s/deployments" % other.tenant_id, {
            "hostId": self.host["id"], "scriptId": dep["scriptId"], "repositoryId": repo["id"]}, token=other.token), 400)
        self.assertIn("repositoryId", [d["field"] for d in resp["error"]["details"]], resp)
        self.assertEqual(fx.db_query(self.server, count, (self.tenant,))[1][0][0], before, "nothing written")

    def test_a_failed_job_and_a_failed_script(self):
        job, builds, hook = self.jenkins()
        dep = self.deploy("true", [{"jobId": job["id"]}])
        dep = self.until(dep, lambda d: d["cicdJobs"][0]["runId"], "the job triggered")
        self.assertEqual(builds()[0]["parameters"], {"slipway_build_id": dep["cicdJobs"][0]["id"], "slipway_ref": "main"})
        self.finish("jenkins", dep["cicdJobs"][0]["runId"], hook, "failure")
        dep = self.until(dep, lambda d: d["status"] not in ("PENDING", "RUNNING"), "the deployment ended")
        self.assertEqual((dep["status"], dep["cicdJobs"][0]["status"], dep["cicdJobs"][0]["error"]),
                         ("PARTIALLY_FAILED", "FAILED", "the CI run failed"))
        self.assertIn("CI/CD job %s: the CI run failed" % job["name"], dep["statusReason"])
        # A script that fails: the job is not triggered.
        dep = self.deploy("exit 3", [{"jobId": job["id"]}])
        dep = self.until(dep, lambda d: d["status"] not in ("PENDING", "RUNNING"), "the deployment ended")
        self.assertEqual((dep["status"], dep["exitCode"], dep["cicdJobs"][0]["status"], dep["cicdJobs"][0]["runId"]),
                         ("FAILED", 3, "FAILED", None))
        self.assertIn("not run", dep["cicdJobs"][0]["error"])
        self.assertEqual(len(builds()), 1)

    def test_cancel_while_a_job_runs(self):
        job, builds, hook = self.jenkins()
        dep = self.deploy("true", [{"jobId": job["id"]}])
        dep = self.until(dep, lambda d: d["cicdJobs"][0]["runId"], "the job triggered")
        harness.expect(self, self.request("POST", "/api/v1/%s/deployments/%s/cancel" % (self.tenant, dep["id"]), {},
                                          token=self.ctx.org.editor.token), 200)
        # The cancel wakes the job that waited for the run: it ends within the engine's 1 s look for due jobs, not at
        # its next poll of the CI, 5 s after the trigger at the soonest.
        deadline = time.monotonic() + 4
        while self.job_state(dep) != "DONE" and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.job_state(dep), "DONE", "the deployment's job ends with the cancel")
        self.finish("jenkins", dep["cicdJobs"][0]["runId"], hook)  # too late: no longer followed
        dep = self.get(dep)
        [m] = dep["cicdJobs"]
        self.assertEqual((dep["status"], m["status"]), ("CANCELLED", "CANCELLED"))
        self.assertIn("stopped following", m["error"])
        self.assertEqual(len(builds()), 1)


if __name__ == "__main__":
    unittest.main()
