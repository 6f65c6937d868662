"""Release-management setup (docs/integrations.md "Setup", documents 000 and
001): the section 9 request, completion rules, partial saves, the wizard
steps, status, can-create-releases, roles, the negative matrix (all or
nothing), and document 000's query patterns run on the SQLite file."""

import json
import time
import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ApiTest, assert_error, new_org, new_tenant, new_user, page

tearDownModule = harness.stop_shared_server

CAN_CREATE = "/api/v1/%s/release-management/can-create-releases"

# Document 000's query patterns, verbatim.
QUERY_SETUP_COMPLETE = """SELECT 
  setupComplete,
  githubConnected,
  targetPlatformsConfigured,
  platformCredentialsConfigured
FROM tenant_release_settings
WHERE tenantId = ?
LIMIT 1;"""

QUERY_ALL_INTEGRATIONS = """SELECT 
  integrationType,
  isEnabled,
  isRequired,
  verificationStatus,
  lastVerifiedAt
FROM tenant_integrations
WHERE tenantId = ?
ORDER BY integrationType;"""

QUERY_ONE_INTEGRATION = """SELECT * 
FROM tenant_integrations
WHERE tenantId = ? 
  AND integrationType = 'GITHUB'
LIMIT 1;
-- Then decrypt config in application layer"""

QUERY_CAN_CREATE = """SELECT 
  trs.setupComplete,
  COUNT(ti.id) as integrationCount,
  SUM(CASE WHEN ti.verificationStatus = 'VALID' THEN 1 ELSE 0 END) as validIntegrations
FROM tenant_release_settings trs
LEFT JOIN tenant_integrations ti ON trs.tenantId = ti.tenantId
WHERE trs.tenantId = ?
GROUP BY trs.setupComplete;"""


class SetupBase(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)

    def tenant(self):
        return new_tenant(self.server, self.owner.token)["id"]

    def save(self, tenant, body, complete, token=None):
        return fx.assert_setup_answer(self, fx.post_setup(self.server, token or self.owner.token, tenant, body),
                                      complete)

    def status(self, tenant, token=None):
        return fx.setup_status(self, self.server, token or self.owner.token, tenant)

    def listing(self, tenant, category, token=None):
        return page(self, self.server, fx.ipath(tenant, category), token or self.owner.token, limit=200)["items"]

    def by_type(self, tenant, category):
        return {fx.integration_type(i, category): i for i in self.listing(tenant, category)}

    def can_create(self, tenant, token=None):
        body = self.expect(self.request("GET", CAN_CREATE % tenant, token=token or self.owner.token), 200)
        harness.assert_keys(self, body, ("allowed", "reasons"), "can-create-releases")
        self.assertIsInstance(body["allowed"], bool)
        self.assertIsInstance(body["reasons"], list)
        for reason in body["reasons"]:
            self.assertIsInstance(reason, str)
            self.assertTrue(reason)
        self.assertEqual(body["allowed"], not body["reasons"], "reasons exactly when not allowed")
        return body

    def assert_nothing_saved(self, tenant):
        status = self.status(tenant)
        self.assertFalse(status["setupComplete"])
        self.assertEqual([s["done"] for s in status["steps"]], [False] * 5)
        self.assertEqual((status["selectedTargets"], status["selectedPlatforms"], status["integrations"]),
                         ([], [], []))
        for category in fx.CATEGORIES:
            self.assertEqual(self.listing(tenant, category), [], "nothing saved in %s" % category)


class SaveTest(SetupBase):
    def test_section_9_request(self):
        tenant = self.tenant()
        body = fx.full_setup_body()
        answer = self.save(tenant, body, True)
        status = self.status(tenant)
        self.assertTrue(status["setupComplete"])
        self.assertEqual(status["setupCompletedAt"], answer["completedAt"])
        self.assertEqual(status["setupCompletedByAccountId"], self.owner.id)
        self.assertEqual([s["done"] for s in status["steps"]], [True] * 5)
        self.assertEqual((status["progress"], status["nextStep"]), (100, None))
        self.assertEqual(sorted(status["selectedTargets"]), ["APP_STORE", "PLAY_STORE"])
        self.assertEqual(sorted(status["selectedPlatforms"]), ["ANDROID", "IOS"])
        self.assertEqual(sorted(i["type"] for i in status["integrations"]),
                         ["APP_STORE", "GITHUB", "GITHUB_ACTIONS", "GITHUB_ACTIONS", "PLAY_STORE", "SLACK"])
        for item in status["integrations"]:
            self.assertEqual((item["verificationStatus"], item["lastVerifiedAt"]), ("NOT_VERIFIED", None))

        github = body["github"]
        scm = self.listing(tenant, "scm")
        self.assertEqual(len(scm), 1)
        scm = scm[0]
        self.assertEqual(fx.integration_type(scm, "scm"), "GITHUB")
        self.assertEqual((scm["organization"], scm["repoName"], scm["displayName"]),
                         (github["organization"], github["repoName"],
                          "%s/%s" % (github["organization"], github["repoName"])))
        self.assertEqual(scm["accessToken"], fx.mask(github["accessToken"]))
        self.assertEqual(scm["configuredByAccountId"], self.owner.id)
        listed = [i for i in status["integrations"] if i["id"] == scm["id"]]
        self.assertEqual([(i["category"], i["type"], i["displayName"]) for i in listed],
                         [("scm", "GITHUB", scm["displayName"])])

        targets = self.by_type(tenant, "targets")
        self.assertEqual(sorted(targets), ["APP_STORE", "PLAY_STORE"])
        apple, asc = targets["APP_STORE"], body["appStoreConnect"]
        self.assertEqual((apple["appleBundleId"], apple["appleTeamId"]), (asc["bundleId"], asc["teamId"]))
        self.assertEqual((apple["appleApiKeyId"], apple["appleIssuerId"]), (asc["apiKeyId"], asc["issuerId"]))  # not secrets
        fx.assert_secret_value(self, "applePrivateKey", apple["applePrivateKey"], asc["privateKey"])
        play, ps = targets["PLAY_STORE"], body["playStore"]
        self.assertEqual((play["googleServiceAccountEmail"], play["googlePackageName"]),
                         (ps["serviceAccountEmail"], ps["packageName"]))
        fx.assert_secret_value(self, "googlePrivateKey", play["googlePrivateKey"], ps["privateKey"])

        pipes = {p["displayName"]: p for p in self.listing(tenant, "pipelines")}
        self.assertEqual(sorted(pipes), ["Android Build", "iOS Build"])
        for wf in body["cicd"]["workflows"]:
            pipe = pipes[wf["name"]]
            self.assertEqual(fx.integration_type(pipe, "pipelines"), "GITHUB_ACTIONS")
            self.assertEqual((pipe["githubWorkflowPath"], pipe["platform"]), (wf["workflowPath"], wf["platform"]))
            self.assertEqual((pipe["scmIntegrationId"], pipe["targetIntegrationId"]),
                             (scm["id"], targets[wf["target"]]["id"]))

        slack = self.listing(tenant, "communication")
        self.assertEqual(len(slack), 1)
        slack = slack[0]
        self.assertEqual(fx.integration_type(slack, "communication"), "SLACK")
        self.assertEqual((slack["slackChannels"], slack["notifyOnEvents"]),
                         (body["slack"]["channels"], body["slack"]["notifyOnEvents"]))
        self.assertEqual(slack["slackBotToken"], fx.mask(body["slack"]["botToken"]))

    def test_audit_rows(self):
        tenant = self.tenant()
        rids = ["setup-audit-" + uuid.uuid4().hex for _ in range(2)]
        body = fx.full_setup_body()
        self.expect(fx.post_setup(self.server, self.owner.token, tenant, body, headers={"X-Request-Id": rids[0]}),
                    200)
        slack = fx.setup_slack()
        self.expect(fx.put_step(self.server, self.owner.token, tenant, "slack", slack,
                                headers={"X-Request-Id": rids[1]}), 200)
        rows = fx.audit_rows(self, self.server, self.owner.token, tenant)
        for rid, sections in ((rids[0], set(body)), (rids[1], {"slack"})):
            with self.subTest(sections=sorted(sections)):
                mine = [r for r in rows if r["requestId"] == rid and r["action"] == "setup.save"]
                self.assertEqual(len(mine), 1, "one setup.save row for %s" % rid)
                row = mine[0]
                harness.assert_audit_row(self, row)
                self.assertEqual((row["outcome"], row["actorAccountId"]), ("success", self.owner.id))
                self.assertTrue(sections <= fx.json_words(row["details"]), "the sections saved: %s" % row)
                self.assertIs(row["details"].get("setupComplete"), True)
        text = json.dumps(rows)
        for secret in fx.setup_body_secrets(body) + [slack["botToken"]]:
            for fragment in fx.secret_fragments(secret):
                if isinstance(fragment, str):
                    self.assertNotIn(fragment, text, "a secret is in the audit log")

    def test_jenkins_cicd(self):
        tenant = self.tenant()
        body = fx.full_setup_body(cicd=fx.setup_jenkins())
        self.save(tenant, body, True)
        pipes = self.listing(tenant, "pipelines")
        self.assertEqual(len(pipes), 1)
        pipe, jenkins = pipes[0], body["cicd"]
        self.assertEqual(fx.integration_type(pipe, "pipelines"), "JENKINS")
        self.assertEqual((pipe["displayName"], pipe["jenkinsUrl"], pipe["jenkinsUsername"], pipe["jenkinsJobPath"],
                          pipe["platform"]),
                         ("production-build", jenkins["url"], jenkins["username"], "folder/job-name", "ANDROID"))
        self.assertEqual(pipe["jenkinsApiToken"], fx.mask(jenkins["apiToken"]))
        self.assertEqual(pipe["targetIntegrationId"], self.by_type(tenant, "targets")["PLAY_STORE"]["id"])
        self.assertEqual(pipe["scmIntegrationId"], self.listing(tenant, "scm")[0]["id"])

    def test_completion_matrix(self):
        cases = [  # label, body, complete, a step that is not done
            ("no github", fx.full_setup_body(without=("github", "cicd")), False, "github"),
            ("no targets", fx.full_setup_body(without=("targets",)), False, "targets"),
            ("no Play Store credentials", fx.full_setup_body(without=("playStore",), cicd=fx.setup_actions(
                fx.setup_workflows()[:1])), False, "credentials"),
            ("credentials of another target", {"github": fx.setup_github(), "targets": ["PLAY_STORE"],
                                               "platforms": ["ANDROID"], "appStoreConnect": fx.setup_app_store()},
             False, "credentials"),
            ("no CI/CD, no Slack", fx.full_setup_body(without=("cicd", "slack")), True, "cicd"),
            ("one target, its credentials", {"github": fx.setup_github(), "targets": ["APP_STORE"],
                                             "platforms": ["IOS"], "appStoreConnect": fx.setup_app_store()},
             True, "slack"),
        ]
        for label, body, complete, not_done in cases:
            with self.subTest(case=label):
                tenant = self.tenant()
                self.save(tenant, body, complete)
                status = self.status(tenant)
                self.assertIs(status["setupComplete"], complete)
                self.assertFalse(fx.step_done(status, not_done), "step %s is not done" % not_done)
                if complete:
                    self.assertEqual(status["setupCompletedByAccountId"], self.owner.id)
                    self.assertTrue(all(fx.step_done(status, s) for s in ("github", "targets", "credentials")))
                else:
                    self.assertEqual(status["nextStep"], not_done)
                    self.assertIsNone(status["setupCompletedAt"])
                    self.assertIsNone(status["setupCompletedByAccountId"])
                if label == "no CI/CD, no Slack":
                    self.assertEqual((status["nextStep"], status["progress"]), ("cicd", 60))

    def test_partial_bodies_save_progress(self):
        tenant = self.tenant()
        github = fx.setup_github()
        self.save(tenant, {"github": github}, False)
        status = self.status(tenant)
        self.assertEqual((fx.step_done(status, "github"), status["nextStep"]), (True, "targets"))
        self.save(tenant, {"targets": ["APP_STORE", "PLAY_STORE"], "platforms": ["IOS", "ANDROID"]}, False)
        status = self.status(tenant)
        self.assertEqual((fx.step_done(status, "targets"), status["nextStep"]), (True, "credentials"))
        self.assertEqual(sorted(status["selectedTargets"]), ["APP_STORE", "PLAY_STORE"])
        self.save(tenant, {"appStoreConnect": fx.setup_app_store()}, False)
        self.assertEqual(self.status(tenant)["nextStep"], "credentials")
        answer = self.save(tenant, {"playStore": fx.setup_play_store()}, True)
        self.save(tenant, {"cicd": fx.setup_actions()}, True)
        status = self.status(tenant)
        self.assertEqual((status["nextStep"], status["progress"], status["setupCompletedAt"]),
                         ("slack", 80, answer["completedAt"]))
        self.assertEqual(sorted(i["type"] for i in status["integrations"]),
                         ["APP_STORE", "GITHUB", "GITHUB_ACTIONS", "GITHUB_ACTIONS", "PLAY_STORE"])
        self.assertEqual(self.listing(tenant, "scm")[0]["organization"], github["organization"])

    def test_update_keeps_omitted_secrets(self):
        tenant = self.tenant()
        body = fx.full_setup_body()
        self.save(tenant, body, True)
        before = {c: {i["id"]: i for i in self.listing(tenant, c)} for c in ("scm", "targets", "pipelines",
                                                                             "communication")}
        org = body["github"]["organization"]
        workflows = fx.setup_workflows()
        workflows[0]["workflowPath"] = ".github/workflows/ios-release.yml"
        self.save(tenant, {"github": {"organization": org, "repoName": "renamed-app"},
                           "appStoreConnect": {"bundleId": "com.dream11.renamed"},
                           "playStore": {"serviceAccountEmail": body["playStore"]["serviceAccountEmail"],
                                         "packageName": "com.dream11.renamed"},
                           "cicd": {"type": "GITHUB_ACTIONS", "workflows": workflows},
                           "slack": {"channels": ["releases", "ops"],
                                     "notifyOnEvents": body["slack"]["notifyOnEvents"]}}, True)
        after = {c: {i["id"]: i for i in self.listing(tenant, c)} for c in before}
        for category in before:
            self.assertEqual(sorted(after[category]), sorted(before[category]), "%s rows are upserted" % category)
        scm = list(after["scm"].values())[0]
        old_scm = before["scm"][scm["id"]]
        self.assertEqual((scm["repoName"], scm["displayName"], scm["accessToken"]),
                         ("renamed-app", org + "/renamed-app", old_scm["accessToken"]))
        self.assertTrue(after["targets"])
        for target in after["targets"].values():
            old = before["targets"][target["id"]]
            for name in fx.secret_fields(fx.integration_type(target, "targets")):
                self.assertEqual(target[name], old[name], "%s keeps its secret" % name)
            self.assertIn("com.dream11.renamed", (target.get("appleBundleId"), target.get("googlePackageName")))
        slack = list(after["communication"].values())[0]
        self.assertEqual(slack["slackChannels"], ["releases", "ops"])
        self.assertEqual(slack["slackBotToken"], list(before["communication"].values())[0]["slackBotToken"])
        pipes = {p["displayName"]: p for p in after["pipelines"].values()}
        self.assertEqual(pipes["iOS Build"]["githubWorkflowPath"], ".github/workflows/ios-release.yml")

    def test_optional_parts_of_sections(self):
        tenant = self.tenant()
        hook = "https://hooks.slack.com/services/T0/B0/" + fx.token("", 24)
        self.save(tenant, {"github": fx.setup_github(defaultBranch="develop"),
                           "slack": {"webhookUrl": hook, "channels": ["releases"]}}, False)
        self.assertEqual(self.listing(tenant, "scm")[0]["defaultBranch"], "develop")
        slack = self.listing(tenant, "communication")[0]
        self.assertEqual((slack["slackWebhookUrl"], slack["slackBotToken"]), (fx.mask(hook), None))
        self.assertTrue(fx.step_done(self.status(tenant), "slack"))

    def test_first_save_of_a_section_needs_its_secrets(self):
        tenant = self.tenant()
        github = fx.setup_github()
        del github["accessToken"]
        fx.assert_invalid_at(self, fx.post_setup(self.server, self.owner.token, tenant, {"github": github}),
                             "github.accessToken")
        app = fx.setup_app_store()
        del app["privateKey"]
        fx.assert_invalid_at(self, fx.post_setup(self.server, self.owner.token, tenant,
                                                 {"targets": ["APP_STORE"], "appStoreConnect": app}),
                             "appStoreConnect.privateKey")
        slack = fx.setup_slack()
        del slack["botToken"]
        details = harness.assert_error(self, fx.post_setup(self.server, self.owner.token, tenant, {"slack": slack}),
                                       400, "invalid_request")
        self.assertTrue(details and all(d["field"].startswith("slack") for d in details), str(details))
        self.assertTrue(any(w in d["field"] + d["message"] for d in details for w in ("botToken", "webhookUrl")),
                        "a detail names botToken or webhookUrl: %s" % details)
        self.assert_nothing_saved(tenant)

    def test_completion_is_recorded_once(self):
        tenant = self.tenant()
        first = self.save(tenant, fx.full_setup_body(without=("slack",)), True)
        time.sleep(0.01)
        later = self.save(tenant, {"slack": fx.setup_slack()}, True)
        self.assertEqual(later["completedAt"], first["completedAt"])
        second = harness.add_member_and_login(self.server, self.owner.token, tenant, "owner")
        time.sleep(0.01)
        self.save(tenant, {"platforms": ["IOS", "ANDROID", "WEB"]}, True, token=second.token)
        status = self.status(tenant)
        self.assertEqual((status["setupCompletedAt"], status["setupCompletedByAccountId"]),
                         (first["completedAt"], self.owner.id))

    def test_workflow_target_must_exist_after_the_save(self):
        tenant = self.tenant()
        body = fx.full_setup_body(without=("playStore",))
        body["targets"] = ["APP_STORE"]
        fx.assert_invalid_at(self, fx.post_setup(self.server, self.owner.token, tenant, body), "cicd.target")
        self.assert_nothing_saved(tenant)
        # saved earlier counts: the target exists after this save
        self.save(tenant, {"targets": ["APP_STORE", "PLAY_STORE"], "playStore": fx.setup_play_store()}, False)
        self.save(tenant, {"github": fx.setup_github(), "appStoreConnect": fx.setup_app_store(),
                           "cicd": fx.setup_actions()}, True)

    def test_status_shape(self):
        tenant = self.tenant()
        fx.setup_status(self, self.server, self.owner.token, tenant, exact=True)
        self.save(tenant, fx.full_setup_body(), True)
        fx.setup_status(self, self.server, self.owner.token, tenant, exact=True)

    def test_status_of_a_fresh_tenant(self):
        tenant = self.tenant()
        status = self.status(tenant)
        self.assertEqual((status["setupComplete"], status["setupCompletedAt"], status["setupCompletedByAccountId"],
                          status["nextStep"], status["progress"]), (False, None, None, "github", 0))
        self.assert_nothing_saved(tenant)


class StepsTest(SetupBase):
    def put(self, tenant, step, body, token=None):
        return fx.put_step(self.server, token or self.owner.token, tenant, step, body)

    def test_each_step(self):
        tenant = self.tenant()
        sequence = [("github", fx.setup_github(), False, "targets"),
                    ("targets", {"targets": ["APP_STORE", "PLAY_STORE"], "platforms": ["IOS", "ANDROID"]}, False,
                     "credentials"),
                    ("credentials", {"appStoreConnect": fx.setup_app_store()}, False, "credentials"),
                    ("credentials", {"playStore": fx.setup_play_store()}, True, "cicd"),
                    ("cicd", fx.setup_actions(), True, "slack"),
                    ("slack", fx.setup_slack(), True, None)]
        for step, body, complete, next_step in sequence:
            with self.subTest(step=step, body=sorted(body)):
                fx.assert_setup_answer(self, self.put(tenant, step, body), complete)
                status = self.status(tenant)
                self.assertEqual(fx.step_done(status, step), next_step != step, "the step is done")
                self.assertEqual(status["nextStep"], next_step)
        self.assertEqual(self.status(tenant)["progress"], 100)
        self.assertEqual(len(self.listing(tenant, "pipelines")), 2)

    def test_jenkins_step(self):
        tenant = self.tenant()
        self.save(tenant, fx.full_setup_body(without=("cicd",)), True)
        fx.assert_setup_answer(self, self.put(tenant, "cicd", fx.setup_jenkins()), True)
        self.assertIn("JENKINS", [fx.integration_type(p, "pipelines") for p in self.listing(tenant, "pipelines")])

    def test_wrong_bodies_and_steps(self):
        tenant = self.tenant()
        cases = [("github", {"github": fx.setup_github()}, "github"),
                 ("github", dict(fx.setup_github(), targets=["APP_STORE"]), "targets"),
                 ("targets", {"targets": ["APP_STORE"], "github": fx.setup_github()}, "github"),
                 ("targets", {"targets": ["APP_STORE"], "platforms": ["LINUX"]}, "platforms"),
                 ("credentials", {"appStoreConnect": fx.setup_app_store(), "slack": fx.setup_slack()}, "slack"),
                 ("credentials", fx.setup_app_store(), "apiKeyId"),
                 ("cicd", dict(fx.setup_actions(), cicd=fx.setup_actions()), "cicd.cicd"),
                 ("cicd", {"cicd": fx.setup_actions()}, "cicd.type"),  # no type: which variant is unknown
                 ("slack", {"slack": fx.setup_slack()}, "slack")]
        for step, body, field in cases:
            with self.subTest(step=step, field=field):
                fx.assert_invalid_at(self, self.put(tenant, step, body), field)
        for raw in (b"{", b"[]", b"null"):
            assert_error(self, self.request("PUT", (fx.SETUP_PATH % tenant) + "/steps/github", raw=raw,
                                            token=self.owner.token), 400, "malformed_json")
        for step in ("nope", "GITHUB", "appStoreConnect", ""):
            with self.subTest(step=step):
                assert_error(self, self.put(tenant, step, fx.setup_github()), 404, "not_found")
        self.assert_nothing_saved(tenant)


class CanCreateReleasesTest(SetupBase):
    def test_lifecycle(self):
        tenant = self.tenant()
        self.assertFalse(self.can_create(tenant)["allowed"])
        self.save(tenant, fx.full_setup_body(), True)
        answer = self.can_create(tenant)
        self.assertFalse(answer["allowed"], "integrations are NOT_VERIFIED")
        self.assertGreaterEqual(len(answer["reasons"]), 1)
        scm = self.listing(tenant, "scm")[0]
        targets = self.by_type(tenant, "targets")
        fx.set_verification(self.server, "scm", scm["id"], "VALID")
        fx.set_verification(self.server, "targets", targets["APP_STORE"]["id"], "VALID")
        self.assertFalse(self.can_create(tenant)["allowed"], "Play Store is still NOT_VERIFIED")
        fx.set_verification(self.server, "targets", targets["PLAY_STORE"]["id"], "VALID")
        self.assertEqual(self.can_create(tenant), {"allowed": True, "reasons": []},
                         "pipelines and Slack are not needed")
        fx.set_verification(self.server, "targets", targets["PLAY_STORE"]["id"], "INVALID")
        self.assertEqual(len(self.can_create(tenant)["reasons"]), 1, "one sentence per thing missing")
        self.save(tenant, {"targets": ["APP_STORE"], "platforms": ["IOS"]}, True)
        self.assertTrue(self.can_create(tenant)["allowed"], "Play Store is no longer selected")
        fx.set_verification(self.server, "scm", scm["id"], "EXPIRED")
        self.assertEqual(len(self.can_create(tenant)["reasons"]), 1)

    def test_before_setup(self):
        tenant = self.tenant()
        self.save(tenant, {"github": fx.setup_github()}, False)
        scm = self.listing(tenant, "scm")[0]
        fx.set_verification(self.server, "scm", scm["id"], "VALID")
        answer = self.can_create(tenant)
        self.assertFalse(answer["allowed"], "setup is not complete")
        self.assertGreaterEqual(len(answer["reasons"]), 1)


class AccessTest(SetupBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        resp = fx.post_setup(cls.server, cls.org.owner.token, cls.org.id, {"github": fx.setup_github()})
        if resp.status != 200:
            raise AssertionError("saving the github step failed: %s" % resp)
        cls.outsider = new_user(cls.server)  # the owner of another tenant
        new_tenant(cls.server, cls.outsider.token)

    def writes(self, tenant):
        path = fx.SETUP_PATH % tenant
        body = fx.full_setup_body()
        fx.remember_body(self.server, body)
        steps = {"github": body["github"], "targets": {"targets": body["targets"], "platforms": body["platforms"]},
                 "credentials": {"appStoreConnect": body["appStoreConnect"], "playStore": body["playStore"]},
                 "cicd": body["cicd"], "slack": body["slack"]}
        return [("POST", path, body)] + [("PUT", path + "/steps/" + step, b) for step, b in steps.items()]

    def reads(self, tenant):
        return [("GET", fx.SETUP_PATH % tenant, None), ("GET", CAN_CREATE % tenant, None)]

    def test_roles(self):
        owner_view = self.status(self.org.id, self.org.owner.token)
        for role in ("editor", "viewer"):
            token = self.org.by_role(role).token
            with self.subTest(role=role):
                self.assertEqual(self.status(self.org.id, token), owner_view)
                self.can_create(self.org.id, token)
                for method, path, body in self.writes(self.org.id):
                    fake = path.replace(self.org.id, str(uuid.uuid4()))
                    harness.assert_same_not_found(self, self.request(method, path, body=body, token=token),
                                                  self.request(method, fake, body=body, token=token))
        self.assertEqual(self.status(self.org.id, self.org.owner.token), owner_view)

    def test_outsiders_and_anonymous(self):
        before = self.status(self.org.id, self.org.owner.token)
        for method, path, body in self.reads(self.org.id) + self.writes(self.org.id):
            with self.subTest(method=method, path=path):
                fake = path.replace(self.org.id, str(uuid.uuid4()))
                harness.assert_same_not_found(self, self.request(method, path, body=body, token=self.outsider.token),
                                              self.request(method, fake, body=body, token=self.outsider.token))
                assert_error(self, self.request(method, path, body=body), 401, "unauthenticated")
        self.assertEqual(self.status(self.org.id, self.org.owner.token), before)


def broken(change):
    """A full, valid setup body with one change applied: change(body)."""
    body = fx.full_setup_body()
    change(body)
    return body


def set_in(path, value):
    def change(body):
        obj = body
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value
    return change


class NegativeTest(SetupBase):
    """Malformed, mistyped, unknown: 400 and nothing saved (one transaction)."""

    CASES = [  # (change, the field the detail is on)
        (set_in(["foo"], 1), "foo"),
        (set_in(["credentials"], {"appStoreConnect": {}}), "credentials"),
        (set_in(["github"], "dream11/mobile-app"), "github"),
        (set_in(["github", "organization"], 5), "github.organization"),
        (set_in(["github", "accessToken"], 5), "github.accessToken"),
        (set_in(["github", "foo"], "x"), "github.foo"),
        (set_in(["targets"], "APP_STORE"), "targets"),
        (set_in(["targets"], ["APP_STORE", "NOPE"]), "targets"),
        (set_in(["platforms"], ["LINUX"]), "platforms"),
        (set_in(["platforms"], "IOS"), "platforms"),
        (set_in(["appStoreConnect"], []), "appStoreConnect"),
        (set_in(["appStoreConnect", "privateKey"], "RSA"), "appStoreConnect.privateKey"),
        (set_in(["appStoreConnect", "bundleId"], "com dream11 app"), "appStoreConnect.bundleId"),
        (set_in(["appStoreConnect", "apiKeyId"], "xxxxx"), "appStoreConnect.apiKeyId"),
        (set_in(["appStoreConnect", "foo"], 1), "appStoreConnect.foo"),
        (set_in(["playStore", "serviceAccountEmail"], "not-an-email"), "playStore.serviceAccountEmail"),
        (set_in(["playStore", "privateKey"], "EC"), "playStore.privateKey"),
        (set_in(["playStore", "packageName"], "com.1dream.app"), "playStore.packageName"),
        (set_in(["cicd", "type"], "TRAVIS"), "cicd.type"),
        (set_in(["cicd", "workflows"], {}), "cicd.workflows"),
        (set_in(["cicd", "workflows", 0, "platform"], "LINUX"), "cicd.platform"),
        (set_in(["cicd", "workflows", 0, "target"], "NOWHERE"), "cicd.target"),
        (set_in(["cicd", "workflows", 0, "workflowPath"], "build.yml"), "cicd.workflowPath"),
        (set_in(["cicd", "workflows", 0, "foo"], 1), "cicd.foo"),
        (set_in(["slack"], ["releases"]), "slack"),
        (set_in(["slack", "channels"], "releases"), "slack.channels"),
        (set_in(["slack", "notifyOnEvents"], ["nope"]), "slack.notifyOnEvents"),
        (set_in(["slack", "foo"], 1), "slack.foo"),
    ]

    def test_malformed(self):
        tenant = self.tenant()
        path = fx.SETUP_PATH % tenant
        for raw in harness.MALFORMED_BODIES + fx.MORE_MALFORMED:
            with self.subTest(malformed=raw):
                assert_error(self, self.request("POST", path, raw=raw, token=self.owner.token), 400, "malformed_json")
        body = fx.full_setup_body()
        fx.remember_body(self.server, body)
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            with self.subTest(content_type=content_type):
                resp = self.request("POST", path, body=body, token=self.owner.token,
                                    headers={"Content-Type": content_type})
                assert_error(self, resp, 415, "unsupported_media_type")
        self.assert_nothing_saved(tenant)

    def test_invalid_bodies_save_nothing(self):
        tenant = self.tenant()
        keys = {"RSA": fx.rsa_private_key(), "EC": fx.ec_private_key()}
        for change, field in self.CASES:
            body = broken(change)
            for section in ("appStoreConnect", "playStore"):
                if isinstance(body.get(section), dict) and body[section].get("privateKey") in keys:
                    body[section]["privateKey"] = keys[body[section]["privateKey"]]
            with self.subTest(field=field):
                fx.assert_invalid_at(self, fx.post_setup(self.server, self.owner.token, tenant, body), field)
        self.assert_nothing_saved(tenant)

    def test_every_problem_at_once(self):
        tenant = self.tenant()
        body = fx.full_setup_body()
        body["foo"] = 1
        body["github"]["organization"] = 5
        body["slack"]["channels"] = "releases"
        fx.assert_invalid_at(self, fx.post_setup(self.server, self.owner.token, tenant, body), "foo",
                             "github.organization", "slack.channels")


class QueryPatternsTest(SetupBase):
    """Document 000's queries, verbatim, on the server's SQLite file."""

    def test_queries_after_a_setup(self):
        tenant = self.tenant()
        body = fx.full_setup_body()
        self.save(tenant, body, True)

        _, rows = fx.db_query(self.server, QUERY_SETUP_COMPLETE, (tenant,))
        self.assertEqual(rows, [(1, 1, 1, 1)])

        columns, rows = fx.db_query(self.server, QUERY_ALL_INTEGRATIONS, (tenant,))
        # PostgreSQL folds the unquoted names to lower case.
        self.assertEqual([c.lower() for c in columns], ["integrationtype", "isenabled", "isrequired", "verificationstatus",
                                                        "lastverifiedat"])
        self.assertEqual([r[0] for r in rows],
                         ["APP_STORE", "GITHUB", "GITHUB_ACTIONS", "GITHUB_ACTIONS", "PLAY_STORE", "SLACK"])
        for row in rows:
            self.assertEqual((row[1], row[3], row[4]), (1, "NOT_VERIFIED", None))
            self.assertIn(row[2], (0, 1))

        columns, rows = fx.db_query(self.server, QUERY_ONE_INTEGRATION, (tenant,))
        self.assertEqual(len(rows), 1)
        row = dict(zip((c.lower() for c in columns), rows[0]))
        self.assertEqual((row["integrationtype"], row["tenantid"]), ("GITHUB", tenant))
        self.assertEqual(row["verificationstatus"], "NOT_VERIFIED")
        self.assertNotIn(body["github"]["accessToken"], repr(rows[0]), "the config is not plaintext")

        _, rows = fx.db_query(self.server, QUERY_CAN_CREATE, (tenant,))
        self.assertEqual(rows, [(1, 6, 0)])
        fx.set_verification(self.server, "scm", self.listing(tenant, "scm")[0]["id"], "VALID")
        _, rows = fx.db_query(self.server, QUERY_CAN_CREATE, (tenant,))
        self.assertEqual(rows, [(1, 6, 1)])

    def test_queries_before_a_setup(self):
        tenant = self.tenant()
        self.assertIn(fx.db_query(self.server, QUERY_SETUP_COMPLETE, (tenant,))[1], ([], [(0, 0, 0, 0)]))
        self.assertEqual(fx.db_query(self.server, QUERY_ALL_INTEGRATIONS, (tenant,))[1], [])
        self.assertEqual(fx.db_query(self.server, QUERY_ONE_INTEGRATION, (tenant,))[1], [])
        self.assertIn(fx.db_query(self.server, QUERY_CAN_CREATE, (tenant,))[1], ([], [(0, 0, 0)]))


class BodyLimitTest(SetupBase):
    server_env = {"SLIPWAY_BODY_LIMIT": "1024"}

    def test_oversized_setup_is_refused(self):
        tenant = self.tenant()
        body = fx.full_setup_body()
        fx.remember_body(self.server, body)
        assert_error(self, fx.post_setup(self.server, self.owner.token, tenant, body), 413, "payload_too_large")
        assert_error(self, fx.put_step(self.server, self.owner.token, tenant, "credentials",
                                       {"playStore": fx.setup_play_store()}), 413, "payload_too_large")
        self.assert_nothing_saved(tenant)
        self.save(tenant, {"targets": ["APP_STORE"], "platforms": ["IOS"]}, False)
        self.assertEqual(self.status(tenant)["selectedTargets"], ["APP_STORE"])


class DisabledJenkinsTest(SetupBase):
    server_env = {"ENABLE_JENKINS_INTEGRATION": "no"}

    def test_jenkins_refused_and_nothing_saved(self):
        tenant = self.tenant()
        for send in (lambda: fx.post_setup(self.server, self.owner.token, tenant,
                                           fx.full_setup_body(cicd=fx.setup_jenkins())),
                     lambda: fx.put_step(self.server, self.owner.token, tenant, "cicd", fx.setup_jenkins())):
            details = fx.assert_invalid_at(self, send(), "cicd.type")
            self.assertTrue(any("ENABLE_JENKINS_INTEGRATION" in d["message"] for d in details), str(details))
        self.assert_nothing_saved(tenant)
        self.save(tenant, fx.full_setup_body(), True)


if __name__ == "__main__":
    unittest.main()
