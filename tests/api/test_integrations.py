"""Integration categories (docs/integrations.md, document 002): the type
descriptors, CRUD in every category, validation, code-signing certificates,
pipelines and their SCM/target references, uniqueness, routing, roles, masks
and audit rows."""

import json
import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ApiTest, assert_error, assert_invalid, new_org, new_tenant, new_user, page

tearDownModule = harness.stop_shared_server

TYPES_PATH = "/api/v1/integration-types"
DESCRIPTOR_KEYS = ("name", "kind", "required", "secret", "minLength", "maxLength", "minimum", "maximum", "allowed",
                   "format", "default")
# Bounds and defaults the contract states: (type or None for every type that has the field, field) -> values.
DESCRIBED = {
    (None, "displayName"): {"minLength": 1, "maxLength": 255},
    (None, "organization"): {"minLength": 1, "maxLength": 255},
    (None, "defaultBranch"): {"default": "main"},
    (None, "buildTimeout"): {"minimum": 60, "maximum": 86400, "default": 3600},
    (None, "triggerOnRelease"): {"default": True},
    (None, "description"): {"maxLength": 2000},
    (None, "isActive"): {"default": True},
    ("EMAIL", "smtpPort"): {"minimum": 1, "maximum": 65535, "default": 587},
    ("AZURE_DEVOPS", "azureUrl"): {"default": "https://dev.azure.com"},
    ("TEST_RAIL", "testRailProjectId"): {"minimum": 1},
    ("FIREBASE", "firebaseProjectId"): {"minLength": 6, "maxLength": 30},
}
KINDS = ("string", "integer", "boolean", "object", "array")


def descriptors(test, server, token):
    body = harness.expect(test, server.request("GET", TYPES_PATH, token=token), 200)
    harness.assert_keys(test, body, ("items",), "integration-types answer")
    return {item["type"]: item for item in body["items"]}


class IntegrationTypesTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_user(cls.server)  # an account without any tenant

    def test_every_type_with_its_category(self):
        items = descriptors(self, self.server, self.user.token)
        self.assertEqual(sorted(items), sorted(fx.TYPES), "all 19 types are listed")
        for type_, item in items.items():
            with self.subTest(type=type_):
                harness.assert_keys(self, item, ("type", "category", "displayName", "fields"), "type descriptor")
                self.assertEqual(item["category"], fx.category_of(type_))
                self.assertIsInstance(item["displayName"], str)
                self.assertTrue(item["displayName"])

    def test_descriptor_shape(self):
        items = descriptors(self, self.server, self.user.token)
        odd = {}  # key set -> the first few type.field that have it
        for type_, item in items.items():
            for d in item["fields"]:
                if sorted(d) != sorted(DESCRIPTOR_KEYS):
                    odd.setdefault(tuple(sorted(d)), []).append("%s.%s" % (type_, d.get("name")))
        self.assertEqual({k: v[:3] for k, v in odd.items()}, {},
                         "every descriptor has exactly %s" % (sorted(DESCRIPTOR_KEYS),))

    def test_field_descriptors(self):
        items = descriptors(self, self.server, self.user.token)
        for type_, (_, fields) in fx.TYPES.items():
            with self.subTest(type=type_):
                listed = {}
                for d in items[type_]["fields"]:
                    d = dict({k: None for k in DESCRIPTOR_KEYS}, **d)  # the keys' presence: test_descriptor_shape
                    self.assertNotIn(d["name"], listed, "a field is listed once")
                    listed[d["name"]] = d
                    self.assertIn(d["kind"], KINDS)
                    self.assertIsInstance(d["required"], bool)
                    self.assertIsInstance(d["secret"], bool)
                    for key in ("minLength", "maxLength", "minimum", "maximum"):
                        self.assertTrue(d[key] is None or isinstance(d[key], int), "%s.%s" % (d["name"], key))
                    if d["kind"] != "string":
                        self.assertEqual((d["minLength"], d["maxLength"]), (None, None), "%s: lengths" % d["name"])
                    if d["kind"] != "integer":
                        self.assertEqual((d["minimum"], d["maximum"]), (None, None), "%s: bounds" % d["name"])
                    self.assertTrue(d["allowed"] is None or isinstance(d["allowed"], list))
                    self.assertTrue(d["format"] is None or isinstance(d["format"], str))
                missing = set(fields) - set(listed)
                self.assertFalse(missing, "the contract's fields are all described")
                self.assertEqual(sorted(n for n, d in listed.items() if d["secret"]), fx.secret_fields(type_),
                                 "exactly the contract's secret fields are flagged secret")
                for name, field in fields.items():
                    d = listed[name]
                    self.assertEqual(d["kind"], field.kind, "%s kind" % name)
                    if field.required is not None:
                        self.assertIs(d["required"], field.required, "%s required" % name)
                for name in fx.READ_ONLY.get(type_, ()):
                    if name in listed:
                        self.assertFalse(listed[name]["required"] or listed[name]["secret"], name)
                if "displayName" in listed:
                    self.assertTrue(listed["displayName"]["required"])
                for (only, name), values in DESCRIBED.items():
                    if name in listed and only in (None, type_):
                        self.assertEqual({k: listed[name][k] for k in values}, values, name)
        signing = {d["name"]: d for d in items["CODE_SIGNING"]["fields"]}
        self.assertEqual(sorted(signing["certificateFormat"]["allowed"]), ["PEM", "PKCS12"])
        self.assertEqual(sorted(signing["platform"]["allowed"]), ["ANDROID", "IOS"])
        jenkins = {d["name"]: d for d in items["JENKINS"]["fields"]}
        self.assertEqual(sorted(jenkins["platform"]["allowed"]), ["ANDROID", "IOS", "WEB"])

    def test_needs_an_account(self):
        assert_error(self, self.request("GET", TYPES_PATH), 401, "unauthenticated")


class DisabledTypesTest(ApiTest):
    """ENABLE_*_INTEGRATION false (or 0, no, off) switches JENKINS, GITHUB_ACTIONS, SLACK off."""

    server_env = {"ENABLE_JENKINS_INTEGRATION": "false", "ENABLE_GITHUB_ACTIONS_INTEGRATION": "0",
                  "ENABLE_SLACK_INTEGRATION": "off"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.token, cls.tenant = cls.server.admin["token"], cls.server.admin["tenantId"]
        cls.refs = fx.Pipeline(cls.server, cls.token, cls.tenant)

    def test_not_listed(self):
        items = descriptors(self, self.server, self.token)
        self.assertEqual(sorted(items), sorted(set(fx.TYPES) - set(fx.FLAG_VARS)))

    def test_creating_one_is_refused_naming_the_flag(self):
        for type_, flag in fx.FLAG_VARS.items():
            with self.subTest(type=type_):
                kw = fx.pipeline_refs(type_, lambda _: self.refs.scm, lambda: self.refs.target)
                resp = fx.post_integration(self.server, self.token, self.tenant, fx.valid_body(type_, **kw))
                details = fx.assert_invalid_fields(self, resp, ["type"])
                self.assertIn(flag, details[0]["message"])
                listed = page(self, self.server, fx.ipath(self.tenant, fx.category_of(type_)), self.token, limit=200)
                self.assertNotIn(type_, [fx.integration_type(i, fx.category_of(type_)) for i in listed["items"]])

    def test_other_types_still_work(self):
        fx.create_integration(self.server, self.token, self.tenant, fx.valid_body("EMAIL"))
        fx.create_integration(self.server, self.token, self.tenant, fx.valid_body(
            "CIRCLECI", scm=self.refs.scm["id"], target=self.refs.target["id"]))


class CrudTest(ApiTest):
    """Create, get, list, patch and delete, every type and every category."""

    # a configuration change per category: (type, PATCH body)
    CHANGES = {
        "scm": ("GITHUB", {"repoName": "renamed-repo"}),
        "targets": ("APP_STORE", {"appleBundleId": "com.example.renamed"}),
        "pipelines": ("JENKINS", {"jenkinsJobPath": "mobile/renamed-job"}),
        "communication": ("EMAIL", {"smtpPort": 2525}),
        "tickets": ("JIRA", {"jiraProjectKey": "OPS"}),
        "test-management": ("TEST_RAIL", {"testRailProjectId": 9}),
        "code-signing": ("CODE_SIGNING", {"keyAlias": "renamed-alias"}),
    }

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.owner = cls.org.owner
        cls.made = {}  # type -> (body, answer) in cls.org

    def made_one(self, type_):
        """The integration of type_ made in the org (once): (body, answer)."""
        if type_ not in self.made:
            body = fx.valid_body(type_, **fx.pipeline_refs(type_, lambda scm: self.made_one(scm)[1],
                                                            lambda: self.made_one("PLAY_STORE")[1]))
            self.made[type_] = (body, fx.create_integration(self.server, self.owner.token, self.org.id, body))
        return self.made[type_]

    def fresh(self, tenant_id, type_):
        """A new integration of type_ in tenant_id (with an SCM and target for a pipeline)."""
        refs = fx.pipeline_refs(type_, lambda scm: fx.create_integration(self.server, self.owner.token, tenant_id,
                                                                          fx.valid_body(scm)),
                                lambda: fx.create_integration(self.server, self.owner.token, tenant_id,
                                                              fx.valid_body("FIREBASE")))
        body = fx.valid_body(type_, **refs)
        return body, fx.create_integration(self.server, self.owner.token, tenant_id, body)

    def get(self, category, id, user=None, tenant_id=None):
        return self.request("GET", fx.ipath(tenant_id or self.org.id, category, id), token=(user or self.owner).token)

    def test_create_every_type(self):
        for type_ in fx.TYPES:
            with self.subTest(type=type_):
                body, obj = self.made_one(type_)
                fx.assert_integration(self, obj, body, tenant_id=self.org.id, configured_by=self.owner.id)
                self.assertEqual(obj["verificationStatus"], "NOT_VERIFIED")
                self.assertIsNone(obj["lastVerifiedAt"])
                self.assertIsNone(obj["lastVerificationError"])
                got = self.expect(self.get(fx.category_of(type_), obj["id"]), 200)
                self.assertEqual(got, obj, "GET answers what POST answered")

    def test_defaults(self):
        body = fx.valid_body("GITLAB", defaultBranch=None)
        obj = fx.create_integration(self.server, self.owner.token, self.org.id, body)
        self.assertEqual(obj["defaultBranch"], "main")
        self.assertIs(obj["isActive"], True)
        refs = (self.made_one("GITHUB")[1]["id"], self.made_one("PLAY_STORE")[1]["id"])
        pipe = fx.create_integration(self.server, self.owner.token, self.org.id, fx.valid_body(
            "GITHUB_ACTIONS", scm=refs[0], target=refs[1], triggerOnRelease=None, buildTimeout=None))
        self.assertEqual((pipe["triggerOnRelease"], pipe["buildTimeout"]), (True, 3600))
        mail = fx.create_integration(self.server, self.owner.token, self.org.id,
                                     fx.valid_body("EMAIL", smtpPort=None, isActive=False))
        self.assertEqual((mail["smtpPort"], mail["isActive"]), (587, False))
        azure = fx.create_integration(self.server, self.owner.token, self.org.id, fx.valid_body("AZURE_DEVOPS",
                                                                                                azureUrl=None))
        self.assertEqual(azure["azureUrl"], "https://dev.azure.com")

    def test_every_role_reads_without_secrets(self):
        for type_ in fx.TYPES:
            body, obj = self.made_one(type_)
            for role in ("editor", "viewer"):
                with self.subTest(type=type_, role=role):
                    got = self.expect(self.get(fx.category_of(type_), obj["id"], self.org.by_role(role)), 200)
                    fx.assert_integration(self, got, body, role=role)
                    hidden = set(fx.secret_fields(type_)) | {"unreadableSecrets"}
                    self.assertEqual({k: v for k, v in obj.items() if k not in hidden},
                                     {k: v for k, v in got.items() if k not in hidden})

    def test_list_per_category(self):
        for category in fx.CATEGORIES:
            mine = [self.made_one(t)[1]["id"] for t in fx.types_of(category)]
            with self.subTest(category=category, paging=True):
                harness.assert_paginates(self, self.server, fx.ipath(self.org.id, category), self.owner.token, mine)
            for role in ("owner", "editor", "viewer"):
                with self.subTest(category=category, role=role):
                    items = page(self, self.server, fx.ipath(self.org.id, category), self.org.by_role(role).token,
                                 limit=200)["items"]
                    self.assertTrue(set(mine) <= {i["id"] for i in items})
                    for item in items:
                        type_ = fx.integration_type(item, category)
                        self.assertEqual(fx.category_of(type_), category)
                        self.assertEqual(item["tenantId"], self.org.id)
                        if role != "owner":
                            fx.assert_no_secret_fields(self, item, type_)

    def test_pagination(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        ids = [fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body(t))["id"]
               for t in ("SLACK", "EMAIL", "TEAMS", "SLACK", "EMAIL")]
        path = fx.ipath(tenant, "communication")
        items = harness.assert_paginates(self, self.server, path, self.owner.token, ids)
        self.assertEqual(sorted(i["id"] for i in items), sorted(ids))
        harness.assert_rejects_bad_page_params(self, self.server, path, self.owner.token)

    def test_patch_resets_verification(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        for category, (type_, change) in self.CHANGES.items():
            with self.subTest(category=category):
                body, obj = self.fresh(tenant, type_)
                fx.set_verification(self.server, category, obj["id"], "VALID")
                self.assertEqual(self.expect(self.get(category, obj["id"], tenant_id=tenant), 200)
                                 ["verificationStatus"], "VALID")
                resp = fx.patch_integration(self.server, self.owner.token, tenant, category, obj["id"], change)
                patched = self.expect(resp, 200)
                fx.assert_integration(self, patched, dict(body, **change), tenant_id=tenant)
                self.assertEqual(patched["verificationStatus"], "NOT_VERIFIED")
                self.assertEqual(patched["createdAt"], obj["createdAt"])
                self.assertGreaterEqual(harness.parse_time(patched["updatedAt"]), harness.parse_time(obj["updatedAt"]))
                for name in fx.secret_fields(type_):
                    self.assertEqual(patched.get(name), obj.get(name), "an omitted secret keeps its value")
                self.assertEqual(self.expect(self.get(category, obj["id"], tenant_id=tenant), 200), patched)

    def test_patch_secrets_and_nulls(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        body, obj = self.fresh(tenant, "GITHUB")
        new = fx.token("ghp_", 36)
        refresh = fx.token("ghr_", 36)
        fx.set_verification(self.server, "scm", obj["id"], "VALID")
        got = self.expect(fx.patch_integration(self.server, self.owner.token, tenant, "scm", obj["id"],
                                               {"accessToken": new, "refreshToken": refresh}), 200)
        self.assertEqual((got["accessToken"], got["refreshToken"]), (fx.mask(new), fx.mask(refresh)))
        self.assertEqual(got["verificationStatus"], "NOT_VERIFIED", "a new secret is a configuration change")
        got = self.expect(fx.patch_integration(self.server, self.owner.token, tenant, "scm", obj["id"],
                                               {"refreshToken": None, "displayName": "Renamed"}), 200)
        self.assertEqual((got["accessToken"], got["refreshToken"], got["displayName"]),
                         (fx.mask(new), None, "Renamed"))
        target_body, target = self.fresh(tenant, "APP_STORE")
        got = self.expect(fx.patch_integration(self.server, self.owner.token, tenant, "targets", target["id"],
                                               {"appleTeamId": None}), 200)
        self.assertIsNone(got["appleTeamId"])
        fx.assert_integration(self, got, dict(target_body, appleTeamId=None))

    def test_patch_refusals_change_nothing(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        body, obj = self.fresh(tenant, "GITHUB")
        cases = [({"type": "GITLAB"}, ["type"]), ({"scmType": "GITLAB"}, ["scmType"]),
                 ({"organization": None}, ["organization"]), ({"accessToken": None}, ["accessToken"]),
                 ({"organization": ""}, ["organization"]), ({"serverUrl": "ftp://git.example.com"}, ["serverUrl"]),
                 ({"verificationStatus": "VALID"}, ["verificationStatus"]), ({"id": str(uuid.uuid4())}, ["id"]),
                 ({"tenantId": str(uuid.uuid4())}, ["tenantId"]), ({"jiraUrl": "https://x.example.com"}, ["jiraUrl"]),
                 ({"repoName": 5, "unknownField": 1}, ["repoName", "unknownField"])]
        for change, fields in cases:
            with self.subTest(change=change):
                assert_invalid(self, fx.patch_integration(self.server, self.owner.token, tenant, "scm", obj["id"],
                                                          change), fields)
        path = fx.ipath(tenant, "scm", obj["id"])
        for raw in harness.MALFORMED_BODIES + fx.MORE_MALFORMED:
            with self.subTest(malformed=raw):
                assert_error(self, self.request("PATCH", path, raw=raw, token=self.owner.token), 400,
                             "malformed_json")
        self.assertEqual(self.expect(self.get("scm", obj["id"], tenant_id=tenant), 200), obj)

    def test_delete(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        for category, (type_, _) in self.CHANGES.items():
            with self.subTest(category=category):
                _, obj = self.fresh(tenant, type_)
                path = fx.ipath(tenant, category, obj["id"])
                resp = self.request("DELETE", path, token=self.owner.token)
                self.assertEqual(resp.status, 204, str(resp))
                self.assertEqual(resp.raw, b"")
                assert_error(self, self.request("GET", path, token=self.owner.token), 404, "not_found")
                assert_error(self, self.request("DELETE", path, token=self.owner.token), 404, "not_found")
                assert_error(self, self.request("PATCH", path, body={"displayName": "x"}, token=self.owner.token),
                             404, "not_found")
                items = page(self, self.server, fx.ipath(tenant, category), self.owner.token, limit=200)["items"]
                self.assertNotIn(obj["id"], [i["id"] for i in items])


class ValidationTest(ApiTest):
    """400 invalid_request with a detail on the right field, per type."""

    URLS_BAD = ["ftp://example.com/x", "https://user:pw@example.com", "https://exa mple.com", "example.com",
                "https://", "javascript:alert(1)", "https://example.com/" + "a" * 500]
    EMAILS_BAD = ["", "no-at-sign.example.com", "two@@example.com", "has space@example.com"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)
        cls.tenant = new_tenant(cls.server, cls.owner.token)["id"]
        cls.refs = fx.Pipeline(cls.server, cls.owner.token, cls.tenant)
        cls.gitlab = fx.create_integration(cls.server, cls.owner.token, cls.tenant, fx.valid_body("GITLAB"))
        cls.bitbucket = fx.create_integration(cls.server, cls.owner.token, cls.tenant, fx.valid_body("BITBUCKET"))

    def body(self, type_, **overrides):
        scms = {"GITHUB": self.refs.scm, "GITLAB": self.gitlab, "BITBUCKET": self.bitbucket}
        refs = fx.pipeline_refs(type_, scms.get, lambda: self.refs.target)
        return fx.valid_body(type_, **dict(refs, **overrides))

    def send(self, body, category=None):
        """POST; a body wrongly accepted is deleted again, so that the
        tenant's unique keys (one target per type) do not skew later cases."""
        category = category or fx.category_of(body["type"])
        resp = fx.post_integration(self.server, self.owner.token, self.tenant, body, category)
        if resp.status == 201:
            self.request("DELETE", fx.ipath(self.tenant, category, resp.json["id"]), token=self.owner.token)
        return resp

    def refuse(self, type_, fields, **overrides):
        with self.subTest(type=type_, overrides=overrides):
            return assert_invalid(self, self.send(self.body(type_, **overrides)), fields)

    def test_missing_required(self):
        for type_ in fx.TYPES:
            for field in fx.required_fields(type_) + ["displayName"]:
                body = self.body(type_)
                del body[field]
                with self.subTest(type=type_, missing=field):
                    assert_invalid(self, self.send(body), [field])

    def test_missing_or_bad_type(self):
        body = self.body("GITHUB")
        del body["type"]
        assert_invalid(self, self.send(body, "scm"), ["type"])
        for bad in ("SVN", "github", "JIRA", "APP_STORE", "", 5, None):
            with self.subTest(type=bad):
                fx.assert_invalid_at(self, self.send(dict(self.body("GITHUB"), type=bad), "scm"), "type")

    def test_gitea_needs_server_url(self):
        self.refuse("GITEA", ["serverUrl"], serverUrl=None)

    def test_urls(self):
        for type_, field in (("GITHUB", "serverUrl"), ("GITLAB", "repositoryUrl"), ("GITEA", "serverUrl"),
                             ("JENKINS", "jenkinsUrl"), ("SLACK", "slackWebhookUrl"), ("TEAMS", "teamsWebhookUrl"),
                             ("JIRA", "jiraUrl"), ("AZURE_DEVOPS", "azureUrl"), ("TEST_RAIL", "testRailUrl")):
            for url in self.URLS_BAD:
                self.refuse(type_, [field], **{field: url})

    def test_emails(self):
        for type_, field in (("PLAY_STORE", "googleServiceAccountEmail"), ("FIREBASE", "googleServiceAccountEmail"),
                             ("JIRA", "jiraEmail"), ("TEST_RAIL", "testRailUsername"), ("EMAIL", "emailFromAddress")):
            for email in self.EMAILS_BAD:
                self.refuse(type_, [field], **{field: email})
        for recipients in (["ok@example.com", "not-an-email"], [], ["r%d@example.com" % i for i in range(101)],
                           "ok@example.com", [5]):
            self.refuse("EMAIL", ["emailRecipients"], emailRecipients=recipients)

    def test_apple_identifiers(self):
        for bad in ("com.example app", "com..example", ".com.example", "com/example/app", "", "com.exämple.app"):
            self.refuse("APP_STORE", ["appleBundleId"], appleBundleId=bad)
        for bad in ("abc123defg", "ABC123DEF", "ABC123DEFGH", "ABC-23DEFG"):
            self.refuse("APP_STORE", ["appleApiKeyId"], appleApiKeyId=bad)
            self.refuse("APP_STORE", ["appleTeamId"], appleTeamId=bad)
        for bad in ("not-a-uuid", "12345", str(uuid.uuid4())[:-1]):
            self.refuse("APP_STORE", ["appleIssuerId"], appleIssuerId=bad)

    def test_apple_private_key_must_be_p256(self):
        for label, bad in (("RSA 2048", fx.rsa_private_key()), ("EC P-384", fx.ec_private_key("P-384")),
                           ("garbage PEM", fx.GARBAGE_PEM), ("broken PEM", fx.BROKEN_PEM), ("not PEM", fx.NOT_PEM),
                           ("a certificate", fx.certificate().cert_pem)):
            with self.subTest(key=label):
                self.refuse("APP_STORE", ["applePrivateKey"], applePrivateKey=bad)

    def test_google_private_key_must_be_rsa_2048(self):
        for type_ in ("PLAY_STORE", "FIREBASE"):
            for label, bad in (("EC P-256", fx.ec_private_key()), ("RSA 1024", fx.rsa_private_key(1024)),
                               ("garbage PEM", fx.GARBAGE_PEM), ("not PEM", fx.NOT_PEM)):
                with self.subTest(key=label):
                    self.refuse(type_, ["googlePrivateKey"], googlePrivateKey=bad)

    def test_package_names(self):
        for bad in ("com.example.1app", "com-example.app", "com..app", "com.example.", "", "com.example app"):
            self.refuse("PLAY_STORE", ["googlePackageName"], googlePackageName=bad)

    def test_firebase_ids(self):
        for bad in ("abcde", "a" * 31, "Upper-Case-Id", "has_underscore"):
            self.refuse("FIREBASE", ["firebaseProjectId"], firebaseProjectId=bad)
        for bad in ("1:123:android", "1:abc:android:0f0f", "1:123:linux:0f0f", "1-123-ios-0f0f", "1:123:ios:xyz"):
            self.refuse("FIREBASE", ["firebaseAppId"], firebaseAppId=bad)

    def test_pipeline_fields(self):
        for type_ in fx.types_of("pipelines"):
            for bad in (59, 86401, "3600", 1.5):
                self.refuse(type_, ["buildTimeout"], buildTimeout=bad)
            for bad in ({"A": 1}, {"K%d" % i: "v" for i in range(51)}, ["A=1"], "A=1"):
                self.refuse(type_, ["environmentVariables"], environmentVariables=bad)
            for bad in ("LINUX", "ios", 1):
                self.refuse(type_, ["platform"], platform=bad)
            self.refuse(type_, ["triggerOnRelease"], triggerOnRelease="yes")
            self.refuse(type_, ["description"], description="d" * 2001)
        for bad in ("build.yml", ".github/workflows/build.txt", ".github/build.yml", ".github/workflows/"):
            self.refuse("GITHUB_ACTIONS", ["githubWorkflowPath"], githubWorkflowPath=bad)
        for bad in ("org/repo", "gl/org/repo", "gh/org", "gitlab/org/repo"):
            self.refuse("CIRCLECI", ["circleciProjectSlug"], circleciProjectSlug=bad)
        for vcs in ("gh", "bb", "github", "bitbucket", "circleci"):
            with self.subTest(vcs=vcs):
                self.expect(self.send(self.body("CIRCLECI", circleciProjectSlug=vcs + "/org/repo")), 201)

    def test_communication_fields(self):
        for bad in ([""], ["x" * 81], ["c%d" % i for i in range(51)], "releases", [5]):
            self.refuse("SLACK", ["slackChannels"], slackChannels=bad)
        for type_ in fx.types_of("communication"):
            for bad in (["release_started", "nope"], "release_started", [1]):
                self.refuse(type_, ["notifyOnEvents"], notifyOnEvents=bad)
        for bad in (0, 65536, "587"):
            self.refuse("EMAIL", ["smtpPort"], smtpPort=bad)

    def test_slack_needs_a_token_or_a_webhook(self):
        body = self.body("SLACK", slackBotToken=None)
        details = assert_error(self, self.send(body), 400, "invalid_request")
        self.assertTrue(details)
        self.assertTrue({d["field"] for d in details} <= {"slackBotToken", "slackWebhookUrl"}, str(details))
        hook = fx.create_integration(self.server, self.owner.token, self.tenant, self.body(
            "SLACK", slackBotToken=None, slackWebhookUrl="https://hooks.slack.com/services/T0/B0/" + fx.token("", 24)))
        self.assertIsNone(hook["slackBotToken"])

    def test_ticket_and_test_management_fields(self):
        for bad in ("rel", "R", "1REL", "ABCDEFGHIJK", "RE-L"):
            self.refuse("JIRA", ["jiraProjectKey"], jiraProjectKey=bad)
        for type_ in fx.types_of("tickets"):
            self.refuse(type_, ["autoCreateEpics"], autoCreateEpics="true")
            self.refuse(type_, ["epicTemplate"], epicTemplate="Release {version}")
        for bad in (0, -1, "7", 1.5, True):
            self.refuse("TEST_RAIL", ["testRailProjectId"], testRailProjectId=bad)

    def test_common_fields(self):
        for type_ in fx.TYPES:
            for bad in ("", "x" * 256, 5):
                self.refuse(type_, ["displayName"], displayName=bad)
            self.refuse(type_, ["isActive"], isActive="yes")
        for name in ("displayName", "organization"):  # lengths count characters, not bytes
            self.expect(self.send(self.body("GITHUB", **{name: "\u00e9" * 255})), 201)
            self.refuse("GITHUB", [name], **{name: "\u00e9" * 256})
        for bad in ("", "x" * 256, 5):
            self.refuse("GITHUB", ["organization"], organization=bad)
            self.refuse("BITBUCKET", ["repoName"], repoName=bad)
        self.refuse("GITHUB", ["expiresAt"], expiresAt="tomorrow")
        self.refuse("GITHUB", ["accessToken"], accessToken=5)

    def test_unknown_and_foreign_fields(self):
        self.refuse("GITHUB", ["unknownOne", "unknown_two"], unknownOne=1, unknown_two="x")
        self.refuse("GITHUB", ["jiraUrl"], jiraUrl="https://example.atlassian.net")
        self.refuse("GITHUB_ACTIONS", ["jenkinsUrl"], jenkinsUrl="https://jenkins.example.com")
        self.refuse("APP_STORE", ["googlePackageName"], googlePackageName="com.example.app")
        for field, value in (("verificationStatus", "VALID"), ("id", str(uuid.uuid4())),
                             ("tenantId", str(uuid.uuid4())), ("configuredByAccountId", str(uuid.uuid4())),
                             ("lastVerifiedAt", "2026-01-01T00:00:00.000Z"), ("scmType", "GITHUB")):
            self.refuse("GITHUB", [field], **{field: value})
        self.refuse("CODE_SIGNING", ["certificateSubject"], certificateSubject="CN=forged")

    def test_every_problem_at_once(self):
        body = self.body("JIRA", jiraUrl="not a url", jiraEmail="nope", jiraProjectKey="x", bogus=1)
        del body["jiraApiToken"]
        assert_invalid(self, self.send(body), ["jiraUrl", "jiraEmail", "jiraProjectKey", "bogus", "jiraApiToken"])

    def test_certificates(self):
        cert = fx.certificate()
        self.refuse("CODE_SIGNING", ["certificatePassword"], certificatePassword="wrong-password-123")
        with self.subTest(case="no password"):
            fx.assert_invalid_at(self, self.send(self.body("CODE_SIGNING", certificatePassword=None)),
                                 "certificatePassword")
        for label, data in (("not base64", "%%% not base64 %%%"),
                            ("base64 of garbage", fx.GARBAGE_PEM.split("\n")[1])):
            with self.subTest(data=label):
                self.refuse("CODE_SIGNING", ["certificateData"], certificateData=data)
        with self.subTest(case="PEM without a private key"):
            self.refuse("CODE_SIGNING", ["certificateData"], certificateFormat="PEM", certificateData=cert.cert_pem,
                        certificatePassword=None)
        with self.subTest(case="PKCS#12 sent as PEM"):
            self.refuse("CODE_SIGNING", ["certificateData"], certificateFormat="PEM", certificatePassword=None)
        for bad in ("JKS", "pkcs12", "P12"):
            self.refuse("CODE_SIGNING", ["certificateFormat"], certificateFormat=bad)
        self.refuse("CODE_SIGNING", ["platform"], platform="WEB")

    def test_java_keystore_is_refused_with_how_to_convert(self):
        import base64
        body = self.body("CODE_SIGNING", certificateData=base64.b64encode(fx.jks_keystore()).decode())
        details = assert_error(self, self.send(body), 400, "invalid_request")
        on_data = [d for d in details if d["field"] in ("certificateData", "certificateFormat")]
        self.assertTrue(on_data, str(details))
        self.assertTrue(any("keytool" in d["message"] and "PKCS12" in d["message"].upper() for d in on_data),
                        "the detail says how to convert: %s" % details)

    def test_body_matrix(self):
        valid = self.body("GITHUB")
        spec = harness.BodySpec(valid, ["displayName", "organization", "repoName", "accessToken"],
                                wrong_types={"organization": [5, True, [], {}], "repoName": [1.5],
                                             "isActive": ["yes", 1], "defaultBranch": [5]},
                                bad_values={"organization": ["", "x" * 256], "serverUrl": ["ftp://git.example.com"]})
        path = fx.ipath(self.tenant, "scm")
        harness.check_body_matrix(self, lambda **kw: self.request("POST", path, token=self.owner.token, **kw), spec)
        for raw in fx.MORE_MALFORMED:
            with self.subTest(malformed=raw):
                assert_error(self, self.request("POST", path, raw=raw, token=self.owner.token), 400, "malformed_json")
        items = page(self, self.server, path, self.owner.token, limit=200)["items"]
        self.assertNotIn(valid["organization"], [i["organization"] for i in items], "nothing was created")


class CodeSigningTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.owner = cls.org.owner

    def create(self, **overrides):
        body = fx.valid_body("CODE_SIGNING", **overrides)
        return body, fx.create_integration(self.server, self.owner.token, self.org.id, body)

    def assert_certificate(self, obj, cert):
        self.assertIn(cert.common_name, obj["certificateSubject"])
        self.assertEqual(obj["certificateFingerprint"].replace(":", "").lower(), cert.fingerprint)
        expires = harness.assert_timestamp(self, obj["certificateExpiresAt"], "certificateExpiresAt")
        self.assertEqual(expires, cert.not_after)

    def test_pkcs12(self):
        cert = fx.certificate()
        body, obj = self.create()
        fx.assert_integration(self, obj, body)
        self.assert_certificate(obj, cert)
        self.assertEqual(obj["verificationStatus"], "NOT_VERIFIED")
        viewer = self.expect(self.request("GET", fx.ipath(self.org.id, "code-signing", obj["id"]),
                                          token=self.org.viewer.token), 200)
        self.assert_certificate(viewer, cert)
        fx.assert_no_secret_fields(self, viewer, "CODE_SIGNING")

    def test_pem(self):
        cert = fx.certificate()
        body, obj = self.create(certificateFormat="PEM", certificateData=cert.pem_bundle, certificatePassword=None,
                                platform="ANDROID", keyPassword="key-pass-" + fx.random_string(12))
        fx.assert_integration(self, obj, body)
        self.assert_certificate(obj, cert)

    def test_expired_certificate_is_stored_expired(self):
        old = fx.certificate(expired=True)
        body, obj = self.create(certificateData=old.p12_b64, certificatePassword=old.password)
        self.assert_certificate(obj, old)
        self.assertEqual(obj["certificateExpiresAt"], "2020-02-01T00:00:00.000Z")
        self.assertEqual(obj["verificationStatus"], "EXPIRED")
        cert = fx.certificate()
        renewed = self.expect(fx.patch_integration(self.server, self.owner.token, self.org.id, "code-signing",
                                                   obj["id"], {"certificateData": cert.p12_b64,
                                                               "certificatePassword": cert.password}), 200)
        self.assert_certificate(renewed, cert)
        self.assertEqual(renewed["verificationStatus"], "NOT_VERIFIED")


class PipelineTest(ApiTest):
    """Pipelines reference an SCM and a target of the same tenant."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.owner = cls.org.owner
        cls.refs = fx.Pipeline(cls.server, cls.owner.token, cls.org.id, "GITHUB", "APP_STORE")
        cls.gitlab = fx.create_integration(cls.server, cls.owner.token, cls.org.id, fx.valid_body("GITLAB"))
        other = new_user(cls.server)
        cls.other_tenant = new_tenant(cls.server, other.token)["id"]
        cls.foreign = fx.Pipeline(cls.server, other.token, cls.other_tenant)

    def pipeline_body(self, type_="JENKINS", scm=None, target=None, **kw):
        return fx.valid_body(type_, scm=scm or self.refs.scm["id"], target=target or self.refs.target["id"], **kw)

    def send(self, body):
        return fx.post_integration(self.server, self.owner.token, self.org.id, body)

    def test_references_must_be_the_tenants_own(self):
        scm, target = self.refs.scm["id"], self.refs.target["id"]
        cases = [(self.foreign.scm["id"], target, ["scmIntegrationId"]),
                 (scm, self.foreign.target["id"], ["targetIntegrationId"]),
                 (self.foreign.scm["id"], self.foreign.target["id"], ["scmIntegrationId", "targetIntegrationId"]),
                 (str(uuid.uuid4()), target, ["scmIntegrationId"]),
                 ("not-a-uuid", target, ["scmIntegrationId"]),
                 (target, target, ["scmIntegrationId"]),
                 (scm, scm, ["targetIntegrationId"])]
        for scm_id, target_id, fields in cases:
            for type_ in ("JENKINS", "CIRCLECI"):
                with self.subTest(type=type_, scm=scm_id, target=target_id):
                    assert_invalid(self, self.send(self.pipeline_body(type_, scm_id, target_id)), fields)

    def test_scm_type_rules(self):
        assert_invalid(self, self.send(self.pipeline_body("GITHUB_ACTIONS", scm=self.gitlab["id"])),
                       ["scmIntegrationId"])
        assert_invalid(self, self.send(self.pipeline_body("GITLAB_CI", scm=self.refs.scm["id"])),
                       ["scmIntegrationId"])
        fx.create_integration(self.server, self.owner.token, self.org.id,
                              self.pipeline_body("GITLAB_CI", scm=self.gitlab["id"]))
        fx.create_integration(self.server, self.owner.token, self.org.id,
                              self.pipeline_body("JENKINS", scm=self.gitlab["id"]))

    def test_patch_references(self):
        body = self.pipeline_body("GITHUB_ACTIONS")
        pipe = fx.create_integration(self.server, self.owner.token, self.org.id, body)

        def patch(change):
            return fx.patch_integration(self.server, self.owner.token, self.org.id, "pipelines", pipe["id"], change)
        assert_invalid(self, patch({"scmIntegrationId": self.foreign.scm["id"]}), ["scmIntegrationId"])
        assert_invalid(self, patch({"targetIntegrationId": self.foreign.target["id"]}), ["targetIntegrationId"])
        assert_invalid(self, patch({"scmIntegrationId": self.gitlab["id"]}), ["scmIntegrationId"])
        other_github = fx.create_integration(self.server, self.owner.token, self.org.id, fx.valid_body("GITHUB"))
        moved = self.expect(patch({"scmIntegrationId": other_github["id"]}), 200)
        self.assertEqual(moved["scmIntegrationId"], other_github["id"])

    # what ?include= shows of a target besides id, type, displayName and verificationStatus
    TARGET_KEYS = {"APP_STORE": "appleBundleId", "PLAY_STORE": "googlePackageName"}

    def assert_included(self, item, scm, target, scm_too=True, target_too=True):
        for key, ref, shown, extra in (("scm", scm, scm_too, ("organization", "repoName")),
                                       ("target", target, target_too,
                                        (self.TARGET_KEYS[fx.integration_type(target, "targets")],))):
            if not shown:
                self.assertNotIn(key, item)
                continue
            category = "scm" if key == "scm" else "targets"
            type_ = fx.integration_type(ref, category)
            got = item[key]
            for name in ("id", "displayName", "verificationStatus") + extra:
                self.assertEqual(got.get(name), ref[name], "%s.%s" % (key, name))
            self.assertEqual(got.get("type"), type_, "%s.type" % key)
            fx.assert_no_secret_fields(self, got, type_)

    def test_include(self):
        play = fx.create_integration(self.server, self.owner.token, self.org.id, fx.valid_body("PLAY_STORE"))
        base = fx.ipath(self.org.id, "pipelines")
        for target in (self.refs.target, play):
            pipe = fx.create_integration(self.server, self.owner.token, self.org.id,
                                         self.pipeline_body("JENKINS", target=target["id"]))
            one = fx.ipath(self.org.id, "pipelines", pipe["id"])
            for role in ("owner", "viewer"):
                token = self.org.by_role(role).token
                with self.subTest(role=role, target=fx.integration_type(target, "targets")):
                    items = self.expect(self.request("GET", base + "?include=scm,target&limit=200", token=token),
                                        200)["items"]
                    self.assert_included([i for i in items if i["id"] == pipe["id"]][0], self.refs.scm, target)
                    self.assert_included(self.expect(self.request("GET", one + "?include=scm,target", token=token),
                                                     200), self.refs.scm, target)
                    self.assert_included(self.expect(self.request("GET", one + "?include=scm", token=token), 200),
                                         self.refs.scm, target, target_too=False)
                    self.assert_included(self.expect(self.request("GET", one, token=token), 200),
                                         self.refs.scm, target, scm_too=False, target_too=False)
        for bad in ("include=bogus", "include=scm,bogus"):
            with self.subTest(query=bad):
                details = assert_error(self, self.request("GET", base + "?" + bad, token=self.owner.token), 400,
                                       "invalid_request")
                self.assertEqual([d["field"] for d in details], ["include"])

    def test_deleting_what_a_pipeline_uses(self):
        refs = fx.Pipeline(self.server, self.owner.token, self.org.id, "GITHUB", "FIREBASE")
        pipes = [fx.create_integration(self.server, self.owner.token, self.org.id,
                                       self.pipeline_body(t, refs.scm["id"], refs.target["id"]))
                 for t in ("GITHUB_ACTIONS", "JENKINS")]
        for category, obj in (("scm", refs.scm), ("targets", refs.target)):
            with self.subTest(category=category):
                details = assert_error(self, self.request("DELETE", fx.ipath(self.org.id, category, obj["id"]),
                                                          token=self.owner.token), 409, "conflict")
                self.assertEqual({d["field"] for d in details}, {"pipelines"})
                for pipe in pipes:
                    self.assertTrue(any(pipe["id"] in d["message"] and pipe["displayName"] in d["message"]
                                        for d in details), "the pipeline %s is listed: %s" % (pipe["id"], details))
                self.expect(self.request("GET", fx.ipath(self.org.id, category, obj["id"]),
                                         token=self.owner.token), 200)
        for pipe in pipes:
            resp = self.request("DELETE", fx.ipath(self.org.id, "pipelines", pipe["id"]), token=self.owner.token)
            self.assertEqual(resp.status, 204, str(resp))
        for category, obj in (("scm", refs.scm), ("targets", refs.target)):
            resp = self.request("DELETE", fx.ipath(self.org.id, category, obj["id"]), token=self.owner.token)
            self.assertEqual(resp.status, 204, str(resp))


class UniquenessTest(ApiTest):
    """SCM: tenant + type + organization; targets: tenant + type."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)

    def test_scm(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        first = fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body("GITHUB"))
        org = first["organization"]
        assert_error(self, fx.post_integration(self.server, self.owner.token, tenant,
                                               fx.valid_body("GITHUB", organization=org)), 409, "conflict")
        fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body("GITLAB", organization=org))
        second = fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body("GITHUB"))
        assert_error(self, fx.patch_integration(self.server, self.owner.token, tenant, "scm", second["id"],
                                                {"organization": org}), 409, "conflict")
        other = new_tenant(self.server, self.owner.token)["id"]
        fx.create_integration(self.server, self.owner.token, other, fx.valid_body("GITHUB", organization=org))
        self.assertEqual(self.request("DELETE", fx.ipath(tenant, "scm", first["id"]), token=self.owner.token).status,
                         204)
        fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body("GITHUB", organization=org))

    def test_targets(self):
        tenant = new_tenant(self.server, self.owner.token)["id"]
        for type_ in fx.types_of("targets"):
            with self.subTest(type=type_):
                first = fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body(type_))
                assert_error(self, fx.post_integration(self.server, self.owner.token, tenant, fx.valid_body(type_)),
                             409, "conflict")
                self.assertEqual(self.request("DELETE", fx.ipath(tenant, "targets", first["id"]),
                                              token=self.owner.token).status, 204)
                fx.create_integration(self.server, self.owner.token, tenant, fx.valid_body(type_))


class AccessTest(ApiTest):
    """Unknown categories, ids of other categories and tenants, roles, outsiders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.owner = cls.org.owner
        cls.scm = fx.create_integration(cls.server, cls.owner.token, cls.org.id, fx.valid_body("GITHUB"))
        cls.target = fx.create_integration(cls.server, cls.owner.token, cls.org.id, fx.valid_body("PLAY_STORE"))
        cls.outsider = new_user(cls.server)
        cls.outsider_tenant = new_tenant(cls.server, cls.outsider.token)["id"]

    def snapshot(self):
        return [self.expect(self.request("GET", fx.ipath(self.org.id, c, o["id"]), token=self.owner.token), 200)
                for c, o in (("scm", self.scm), ("targets", self.target))]

    def requests(self, tenant_id, id, category="scm"):
        """Every category route with a plausible body: (method, path, body)."""
        body = fx.valid_body("GITHUB")
        fx.remember_body(self.server, body, "GITHUB")
        return [("GET", fx.ipath(tenant_id, category), None),
                ("POST", fx.ipath(tenant_id, category), body),
                ("GET", fx.ipath(tenant_id, category, id), None),
                ("PATCH", fx.ipath(tenant_id, category, id), {"repoName": "hijacked"}),
                ("DELETE", fx.ipath(tenant_id, category, id), None)]

    def test_unknown_category(self):
        for slug in ("foo", "SCM", "scms", "test_management", "codesigning", "integrations"):
            for method, path, body in self.requests(self.org.id, self.scm["id"], slug):
                with self.subTest(slug=slug, method=method):
                    assert_error(self, self.request(method, path, body=body, token=self.owner.token), 404,
                                 "not_found")

    def test_id_of_another_category_or_tenant(self):
        before = self.snapshot()
        foreign = fx.create_integration(self.server, self.outsider.token, self.outsider_tenant,
                                        fx.valid_body("GITHUB"))
        for label, category, id in (("scm id as a target", "targets", self.scm["id"]),
                                    ("target id as an scm", "scm", self.target["id"]),
                                    ("scm id as a pipeline", "pipelines", self.scm["id"]),
                                    ("another tenant's scm", "scm", foreign["id"])):
            for method, path, body in self.requests(self.org.id, id, category)[2:]:
                with self.subTest(case=label, method=method):
                    fake = fx.ipath(self.org.id, category, str(uuid.uuid4()))
                    harness.assert_same_not_found(self, self.request(method, path, body=body, token=self.owner.token),
                                                  self.request(method, fake, body=body, token=self.owner.token))
        for method, path, body in self.requests(self.org.id, "not-a-uuid")[2:]:
            with self.subTest(id="not-a-uuid", method=method):
                assert_error(self, self.request(method, path, body=body, token=self.owner.token), 404, "not_found")
        self.assertEqual(self.snapshot(), before)
        self.expect(self.request("GET", fx.ipath(self.outsider_tenant, "scm", foreign["id"]),
                                 token=self.outsider.token), 200)

    def test_roles_below_owner_only_read(self):
        before = self.snapshot()
        for role in ("editor", "viewer"):
            token = self.org.by_role(role).token
            for method, path, body in self.requests(self.org.id, self.scm["id"]):
                with self.subTest(role=role, method=method, path=path):
                    resp = self.request(method, path, body=body, token=token)
                    if method == "GET":
                        got = self.expect(resp, 200)
                        for item in got.get("items", [got]):
                            fx.assert_no_secret_fields(self, item, "GITHUB")
                    else:
                        fake = path.replace(self.org.id, str(uuid.uuid4()))
                        harness.assert_same_not_found(self, resp, self.request(method, fake, body=body, token=token))
        self.assertEqual(self.snapshot(), before)

    def test_outsiders_and_anonymous(self):
        before = self.snapshot()
        for method, path, body in self.requests(self.org.id, self.scm["id"]):
            with self.subTest(method=method, path=path):
                fake = path.replace(self.org.id, str(uuid.uuid4()))
                harness.assert_same_not_found(self, self.request(method, path, body=body, token=self.outsider.token),
                                              self.request(method, fake, body=body, token=self.outsider.token))
                assert_error(self, self.request(method, path, body=body), 401, "unauthenticated")
        self.assertEqual(self.snapshot(), before)


class MaskTest(ApiTest):
    """`****` + the last four characters for secrets of 12 characters or more, else `****`."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)
        cls.tenant = new_tenant(cls.server, cls.owner.token)["id"]

    def test_lengths(self):
        for length in (11, 12, 13, 200):
            secret = fx.token("", length)
            with self.subTest(length=length):
                obj = fx.create_integration(self.server, self.owner.token, self.tenant,
                                            fx.valid_body("GITHUB", accessToken=secret))
                self.assertEqual(obj["accessToken"], "****" + secret[-4:] if length >= 12 else "****")
                listed = page(self, self.server, fx.ipath(self.tenant, "scm"), self.owner.token, limit=200)["items"]
                self.assertEqual([i["accessToken"] for i in listed if i["id"] == obj["id"]], [obj["accessToken"]])

    def test_apple_ids_are_not_secrets(self):
        """Issue 13: the App Store key id and issuer id are identifiers, shown as they are; the key says what it is."""
        body = fx.valid_body("APP_STORE")
        obj = fx.create_integration(self.server, self.owner.token, self.tenant, body)
        self.assertEqual((obj["appleApiKeyId"], obj["appleIssuerId"]), (body["appleApiKeyId"], body["appleIssuerId"]))
        self.assertRegex(obj["applePrivateKey"], r"^P-256 EC key ending \u2026[A-Za-z0-9+/=]{4}, added on \d{4}-\d\d-\d\d$")


class AuditTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)
        cls.tenant = new_tenant(cls.server, cls.owner.token)["id"]

    def rid(self):
        return "int-audit-" + uuid.uuid4().hex

    def test_create_update_delete_rows(self):
        body = fx.valid_body("GITHUB", refreshToken=fx.token("ghr_", 36))
        sent = list(fx.body_secrets("GITHUB", body).values())
        rids = [self.rid() for _ in range(3)]
        obj = self.expect(fx.post_integration(self.server, self.owner.token, self.tenant, body,
                                              headers={"X-Request-Id": rids[0]}), 201)
        new_token = fx.token("ghp_", 36)
        sent.append(new_token)
        self.expect(fx.patch_integration(self.server, self.owner.token, self.tenant, "scm", obj["id"],
                                         {"repoName": "audited-repo", "accessToken": new_token},
                                         headers={"X-Request-Id": rids[1]}), 200)
        resp = self.request("DELETE", fx.ipath(self.tenant, "scm", obj["id"]), token=self.owner.token,
                            headers={"X-Request-Id": rids[2]})
        self.assertEqual(resp.status, 204, str(resp))
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant)
        expected = [(rids[0], "integration.create", ("organization", "repoName", "accessToken", "refreshToken")),
                    (rids[1], "integration.update", ("repoName", "accessToken")),
                    (rids[2], "integration.delete", ())]
        for rid, action, fields in expected:
            with self.subTest(action=action):
                mine = [r for r in rows if r["requestId"] == rid]
                self.assertEqual(len(mine), 1, "one row for %s" % rid)
                row = mine[0]
                harness.assert_audit_row(self, row)
                self.assertEqual((row["action"], row["outcome"], row["actorAccountId"]),
                                 (action, "success", self.owner.id))
                self.assertEqual(row["targetId"], obj["id"])
                words = fx.json_words(row["details"])
                self.assertTrue({"scm", "GITHUB"} <= words, "details name the category and type: %s" % row)
                self.assertTrue(set(fields) <= words, "details name the fields touched: %s" % row)
        text = json.dumps(rows)
        self.assertTrue(sent)
        for secret in sent:
            for fragment in fx.secret_fragments(secret):
                self.assertNotIn(fragment, text, "a secret is in the audit log")
        filtered = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="integration.update")
        self.assertEqual([r["requestId"] for r in filtered], [rids[1]])



if __name__ == "__main__":
    unittest.main()
