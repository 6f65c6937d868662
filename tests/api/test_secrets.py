"""Secrets at rest and in flight (docs/integrations.md "Secrets" and "Key
rotation"): nothing readable in the SQLite file, answers or log; ciphertexts
bound to their tenant, table, column and row; the encryption key's absence;
`slipway admin rotate-key`."""

import json
import os
import shutil
import sys
import tempfile
import time
import unittest

import harness
import integration_fixtures as fx
from harness import ApiTest, assert_error, new_tenant, new_user, page

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "fakes"))
import fake_github  # noqa: E402
import fakebase  # noqa: E402

tearDownModule = harness.stop_shared_server


def get_json(server, path, token):
    resp = server.request("GET", path, token=token)
    if resp.status != 200:
        raise AssertionError("expected 200: %s" % resp)
    return resp.json


def owner_view(server, token, refs):
    """{(category, id): (masks of the secret fields, unreadableSecrets)} as the owner sees them."""
    out = {}
    for tenant, category, id, type_ in refs:
        obj = get_json(server, fx.ipath(tenant, category, id), token)
        out[(category, id)] = ({name: obj.get(name) for name in fx.secret_fields(type_)},
                               sorted(obj.get("unreadableSecrets", [])))
    return out


class StorageTest(ApiTest):
    """Every secret-bearing type stored once; then the file, answers and log are searched."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = harness.new_org(cls.server)
        cls.owner = cls.org.owner
        cls.tenant = cls.org.id
        cls.secrets = []      # every secret value sent
        cls.answers = []      # every answer received
        cls.made = []         # (category, id, type, body)
        made = {}
        for type_ in fx.TYPES:
            kw = fx.pipeline_refs(type_, made.get, lambda: made["PLAY_STORE"])
            extra = {"GITHUB": {"refreshToken": fx.token("ghr_", 36)},
                     "SLACK": {"slackWebhookUrl": "https://hooks.slack.com/services/T0/B0/" + fx.token("", 24)},
                     "CODE_SIGNING": {"keyPassword": "key-pass-" + fx.random_string(16)},
                     "FIREBASE": {"googlePrivateKey": fx.rsa_private_key(tag="firebase")},
                     "APP_STORE": {"applePrivateKey": fx.ec_private_key(tag="secrets")}}.get(type_, {})
            body = fx.valid_body(type_, **dict(kw, **extra))
            resp = cls.send("POST", fx.ipath(cls.tenant, fx.category_of(type_)), body, type_)
            if resp.status != 201:
                raise AssertionError("creating %s failed: %s" % (type_, resp))
            made[type_] = resp.json
            cls.made.append((fx.category_of(type_), resp.json["id"], type_, body))
        cls.setup_tenant = new_tenant(cls.server, cls.owner.token)["id"]
        setup = fx.full_setup_body(cicd=fx.setup_jenkins())
        setup["appStoreConnect"]["privateKey"] = fx.ec_private_key(tag="setup")
        setup["playStore"]["privateKey"] = fx.rsa_private_key(tag="setup")
        resp = cls.send("POST", fx.SETUP_PATH % cls.setup_tenant, setup)
        if resp.status != 200:
            raise AssertionError("setup failed: %s" % resp)

    @classmethod
    def send(cls, method, path, body=None, type_=None, token=None):
        """A request whose secrets are noted, and whose answer is kept."""
        if body is not None:
            found = list(fx.body_secrets(type_, body).values()) if type_ else fx.setup_body_secrets(body)
            cls.secrets += found
            fx.remember(cls.server, *found)
        resp = cls.server.request(method, path, body=body, token=token or cls.owner.token)
        cls.answers.append(resp)
        return resp

    def fragments(self):
        out = [f for s in self.secrets for f in fx.secret_fragments(s)]
        self.assertTrue(out, "no secret to look for")
        return out

    def test_raw_database_holds_no_secret(self):
        raw = fx.raw_database_bytes(self.server)
        self.assertTrue(raw)
        for fragment in self.fragments():
            needle = fragment if isinstance(fragment, bytes) else fragment.encode()
            self.assertNotIn(needle, raw, "a secret fragment (%r...) is readable in the database file" % needle[:8])

    def test_secret_columns_hold_versioned_ciphertext(self):
        key_ids = set()
        for category, id, type_, body in self.made:
            for name in fx.body_secrets(type_, body):
                with self.subTest(type=type_, field=name):
                    stored = fx.column_value(self.server, category, id, name)
                    self.assertIsInstance(stored, str)
                    self.assertRegex(stored, fx.CIPHERTEXT_RE)
                    key_ids.add(fx.key_id(stored))
        self.assertEqual(len(key_ids), 1, "one current key")

    def test_same_plaintext_different_ciphertext(self):
        secret = fx.token("ghp_", 36)
        ids = []
        for _ in range(2):
            resp = self.send("POST", fx.ipath(self.tenant, "scm"), fx.valid_body("GITLAB", accessToken=secret),
                             "GITLAB")
            ids.append(self.expect(resp, 201)["id"])
        a, b = (fx.column_value(self.server, "scm", i, "accessToken") for i in ids)
        self.assertNotEqual(a, b, "a fresh nonce each time")
        self.assertNotEqual(fx.CIPHERTEXT_RE.match(a).group(2), fx.CIPHERTEXT_RE.match(b).group(2))

    def test_no_secret_in_any_answer(self):
        for role in ("owner", "editor", "viewer"):
            token = self.org.by_role(role).token
            for category in fx.CATEGORIES:
                self.send("GET", fx.ipath(self.tenant, category), token=token)
                self.send("GET", fx.ipath(self.setup_tenant, category), token=self.owner.token)
            for category, id, _, _ in self.made:
                self.send("GET", fx.ipath(self.tenant, category, id), token=token)
            self.send("GET", fx.ipath(self.tenant, "pipelines", query="include=scm,target"), token=token)
        self.send("GET", fx.SETUP_PATH % self.setup_tenant)
        self.send("GET", "/api/v1/%s/audit-logs?limit=200" % self.tenant)
        self.send("GET", "/api/v1/%s/audit-logs?limit=200" % self.setup_tenant)
        # refusals that carry secrets must not echo them
        cert = fx.certificate()
        refusals = [("GITHUB", {"organization": ""}), ("APP_STORE", {"applePrivateKey": fx.rsa_private_key()}),
                    ("PLAY_STORE", {"googlePrivateKey": fx.ec_private_key(tag="refused")}),
                    ("CODE_SIGNING", {"certificatePassword": "wrong-" + fx.random_string(16)}),
                    ("CODE_SIGNING", {"certificateFormat": "PEM", "certificateData": cert.cert_pem,
                                      "certificatePassword": None}),
                    ("JIRA", {"jiraUrl": "not a url"})]
        for type_, change in refusals:
            body = fx.valid_body(type_, **change)
            assert_error(self, self.send("POST", fx.ipath(self.tenant, fx.category_of(type_)), body, type_), 400,
                         "invalid_request")
        broken = fx.full_setup_body()
        broken["slack"]["channels"] = "releases"
        assert_error(self, self.send("POST", fx.SETUP_PATH % self.setup_tenant, broken), 400, "invalid_request")
        fragments = self.fragments()
        self.assertTrue(self.answers)
        for resp in self.answers:
            for fragment in fragments:
                needle = fragment if isinstance(fragment, bytes) else fragment.encode()
                self.assertNotIn(needle, resp.raw, "a secret in the answer to %s" % resp.request)

    def test_no_secret_in_the_log(self):
        log = self.server.log_text()
        for fragment in self.fragments():
            if isinstance(fragment, str):
                self.assertNotIn(fragment, log, "a secret fragment (%s...) is in the server log" % fragment[:6])


class TransplantTest(ApiTest):
    """A ciphertext copied to another tenant, row, column or table does not decrypt."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a_owner, cls.b_owner = new_user(cls.server), new_user(cls.server)
        cls.a = new_tenant(cls.server, cls.a_owner.token)["id"]
        cls.b = new_tenant(cls.server, cls.b_owner.token)["id"]
        cls.viewer = harness.add_member_and_login(cls.server, cls.a_owner.token, cls.a, "viewer")

    def create(self, owner, tenant, type_, **overrides):
        return fx.create_integration(self.server, owner.token, tenant, fx.valid_body(type_, **overrides))

    def copy(self, src, dst):
        """Copy (category, id, column) src's stored value over dst's."""
        value = fx.column_value(self.server, *src)
        table = fx.CATEGORIES[dst[0]][0]
        self.assertEqual(fx.db_execute(self.server, "UPDATE %s SET %s = ? WHERE id = ?" % (table, dst[2]),
                                       (value, dst[1])), 1)

    def assert_unreadable(self, owner, tenant, category, obj, field):
        if tenant == self.a:  # A has a viewer
            got = self.expect(self.request("GET", fx.ipath(tenant, category, obj["id"]), token=self.viewer.token), 200)
            self.assertNotIn("unreadableSecrets", got, "owners only")
            fx.assert_no_secret_fields(self, got, fx.integration_type(obj, category))
        for got in (self.expect(self.request("GET", fx.ipath(tenant, category, obj["id"]), token=owner.token), 200),
                    [i for i in page(self, self.server, fx.ipath(tenant, category), owner.token, limit=200)["items"]
                     if i["id"] == obj["id"]][0]):
            self.assertIn(field, got, "the field is still shown")
            self.assertIsNone(got[field], "an unreadable secret's mask is null")
            self.assertEqual(got.get("unreadableSecrets"), [field])
            for name in fx.secret_fields(fx.integration_type(obj, category)):
                if name != field:
                    self.assertEqual(got.get(name), obj.get(name), "the other secrets still read")

    def test_to_another_tenant(self):
        src = self.create(self.a_owner, self.a, "GITHUB")
        dst = self.create(self.b_owner, self.b, "GITHUB")
        self.copy(("scm", src["id"], "accessToken"), ("scm", dst["id"], "accessToken"))
        self.assert_unreadable(self.b_owner, self.b, "scm", dst, "accessToken")
        new = fx.token("ghp_", 36)
        fixed = self.expect(fx.patch_integration(self.server, self.b_owner.token, self.b, "scm", dst["id"],
                                                 {"accessToken": new}), 200)
        self.assertEqual((fixed["accessToken"], fixed.get("unreadableSecrets", [])), (fx.mask(new), []))

    def test_to_another_row(self):
        src = self.create(self.a_owner, self.a, "GITHUB")
        dst = self.create(self.a_owner, self.a, "GITLAB")
        self.copy(("scm", src["id"], "accessToken"), ("scm", dst["id"], "accessToken"))
        self.assert_unreadable(self.a_owner, self.a, "scm", dst, "accessToken")

    def test_to_another_column(self):
        obj = self.create(self.a_owner, self.a, "GITHUB", refreshToken=fx.token("ghr_", 36))
        self.copy(("scm", obj["id"], "accessToken"), ("scm", obj["id"], "refreshToken"))
        self.assert_unreadable(self.a_owner, self.a, "scm", obj, "refreshToken")

    def test_altered(self):
        obj = self.create(self.a_owner, self.a, "GITHUB")
        stored = fx.column_value(self.server, "scm", obj["id"], "accessToken")
        head, body = stored.rsplit(".", 1)
        flipped = head + "." + body[:5] + ("A" if body[5] != "A" else "B") + body[6:]
        fx.db_execute(self.server, "UPDATE tenant_scm_integrations SET accessToken = ? WHERE id = ?",
                      (flipped, obj["id"]))
        self.assert_unreadable(self.a_owner, self.a, "scm", obj, "accessToken")

    def test_to_another_table(self):
        src = self.create(self.a_owner, self.a, "GITHUB")
        dst = self.create(self.a_owner, self.a, "LINEAR")
        self.copy(("scm", src["id"], "accessToken"), ("tickets", dst["id"], "linearApiKey"))
        self.assert_unreadable(self.a_owner, self.a, "tickets", dst, "linearApiKey")


class NoKeyEmptyDatabaseTest(ApiTest):
    """Without INTEGRATION_ENCRYPTION_KEY an empty database serves, but stores no secret."""

    @classmethod
    def setUpClass(cls):
        cls.own_server = True
        cls.server = fx.IntegrationServer(unset=fx.KEY_VARS).start()
        cls.token, cls.tenant = cls.server.admin["token"], cls.server.admin["tenantId"]

    def assert_unavailable(self, resp):
        assert_error(self, resp, 503, "unavailable")
        self.assertIn("encryption key", resp.json["error"]["message"].lower())

    def test_storing_a_secret_is_unavailable(self):
        for type_ in ("GITHUB", "APP_STORE", "SLACK", "JIRA"):
            with self.subTest(type=type_):
                self.assert_unavailable(fx.post_integration(self.server, self.token, self.tenant,
                                                            fx.valid_body(type_)))
        self.assert_unavailable(fx.post_setup(self.server, self.token, self.tenant, fx.full_setup_body()))
        self.assert_unavailable(fx.put_step(self.server, self.token, self.tenant, "github", fx.setup_github()))
        for category in fx.CATEGORIES:
            self.assertEqual(page(self, self.server, fx.ipath(self.tenant, category), self.token)["items"], [])
        self.assertEqual(fx.stored_ciphertexts(self.server.database_path()), [])

    def test_what_needs_no_key_works(self):
        self.expect(self.request("GET", "/api/v1/integration-types", token=self.token), 200)
        answer = fx.assert_setup_answer(self, fx.post_setup(self.server, self.token, self.tenant,
                                                            {"targets": ["APP_STORE"], "platforms": ["IOS"]}), False)
        self.assertFalse(answer["setupComplete"])
        self.assertEqual(fx.setup_status(self, self.server, self.token, self.tenant)["selectedTargets"],
                         ["APP_STORE"])


class MalformedKeyTest(unittest.TestCase):
    """A key that is set but not 64 hex characters is a configuration error:
    the server does not start (DESIGN.md: without a valid key it refuses to
    start or to store a secret; it never falls back to plaintext)."""

    def test_refuses_to_start(self):
        good = fx.new_encryption_key()
        with tempfile.TemporaryDirectory(prefix="slipway-badkey-") as tmp:
            missing = os.path.join(tmp, "no-such-key-file")
            for name, env in (("INTEGRATION_ENCRYPTION_KEY", {"INTEGRATION_ENCRYPTION_KEY": "abc"}),
                              ("INTEGRATION_ENCRYPTION_KEY", {"INTEGRATION_ENCRYPTION_KEY": good[:-1] + "g"}),
                              ("INTEGRATION_ENCRYPTION_OLD_KEYS", {"INTEGRATION_ENCRYPTION_KEY": good,
                                                                   "INTEGRATION_ENCRYPTION_OLD_KEYS": "zz"}),
                              ("INTEGRATION_ENCRYPTION_KEY_FILE", {"INTEGRATION_ENCRYPTION_KEY_FILE": missing})):
                with self.subTest(env=env):
                    database = harness.new_database(tempfile.mkdtemp(dir=tmp))
                    code, _, err = fx.run_slipway(
                        ["serve", "--migrate"], fx.command_env(env, unset=set(fx.KEY_VARS) - set(env),
                                                               database=database, port=harness.free_port()),
                        cwd=tmp, timeout=15)
                    self.assertIsNotNone(code, "slipway serve started (and was killed after 15 s)")
                    self.assertNotEqual(code, 0)
                    self.assertIn(name, err)


class KeyLifecycleTest(unittest.TestCase):
    """A database written under key A: no key, a wrong key, and the rotation to key B."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="slipway-keys-db-")
        cls.db = harness.new_database(cls.dir)
        cls.key_a, cls.key_b, cls.key_c = (fx.new_encryption_key() for _ in range(3))
        server = cls.serve(cls.key_a)
        cls.admin = server.admin
        token, first = cls.admin["token"], cls.admin["tenantId"]
        second = new_tenant(server, token)["id"]
        third = new_tenant(server, token)["id"]
        cls.refs = []
        for tenant, type_ in ((first, "GITHUB"), (first, "APP_STORE"), (first, "SLACK"), (first, "CODE_SIGNING"),
                              (first, "JIRA"), (second, "GITHUB"), (second, "TEAMS")):
            overrides = {"refreshToken": fx.token("ghr_", 36)} if type_ == "GITHUB" else {}
            obj = fx.create_integration(server, token, tenant, fx.valid_body(type_, **overrides))
            cls.refs.append((tenant, fx.category_of(type_), obj["id"], type_))
        # more rows in one table than rotate-key's batch of 100
        for _ in range(105):
            obj = fx.create_integration(server, token, second, fx.valid_body("EMAIL"))
            cls.refs.append((second, "communication", obj["id"], "EMAIL"))
        resp = fx.post_setup(server, token, third, fx.full_setup_body())
        if resp.status != 200:
            raise AssertionError("setup failed: %s" % resp)
        for item in get_json(server, fx.SETUP_PATH % third, token)["integrations"]:
            cls.refs.append((third, item["category"], item["id"], item["type"]))
        cls.view = owner_view(server, token, cls.refs)
        # a webhook secret (integration_webhooks.secret) is rotated with the rest
        github = next(ref for ref in cls.refs if ref[3] == "GITHUB")
        resp = server.request("POST", "/api/v1/%s/integrations/scm/%s/webhook" % (github[0], github[2]), token=token)
        if resp.status != 201:
            raise AssertionError("webhook not made: %s" % resp)
        cls.hook = resp.json
        server.remember_secret(cls.hook["secret"])
        # and a single sign-on client secret (iam_providers.clientSecret)
        cls.idp_secret = "idp-secret-" + os.urandom(8).hex()
        server.remember_secret(cls.idp_secret)
        resp = server.request("POST", "/api/v1/%s/iam/providers" % github[0], token=token,
                              body={"name": "idp", "type": "OKTA", "issuer": "https://idp.example.com", "clientId": "slipway",
                                    "clientSecret": cls.idp_secret})
        if resp.status != 201:
            raise AssertionError("identity provider not made: %s" % resp)
        cls.idp_path = "/api/v1/%s/iam/providers/%s" % (github[0], resp.json["id"])
        # and an outbound webhook endpoint's signing secret (webhook_endpoints.secret)
        resp = server.request("POST", "/api/v1/%s/webhook-endpoints" % github[0], token=token,
                              body={"url": "https://127.0.0.1:9/hook", "events": ["release.finished"]})
        if resp.status != 201:
            raise AssertionError("webhook endpoint not made: %s" % resp)
        server.remember_secret(resp.json["secret"])
        cls.endpoint_path = "/api/v1/%s/webhook-endpoints/%s" % (github[0], resp.json["id"])
        # and a host's password (hosts.secret, docs/deployments.md)
        cls.host_secret = "host-pw-" + os.urandom(8).hex()
        server.remember_secret(cls.host_secret)
        resp = server.request("POST", "/api/v1/%s/hosts" % github[0], token=token,
                              body={"name": "box", "address": "192.0.2.10", "username": "deploy", "authMethod": "password",
                                    "secret": cls.host_secret})
        if resp.status != 201:
            raise AssertionError("host not made: %s" % resp)
        cls.host_path = "/api/v1/%s/hosts/%s" % (github[0], resp.json["id"])
        server.stop()
        cls.before = fx.copy_database(cls.db, cls.dir)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def serve(cls, key, old=None, database=None, key_file=None):
        env = {}
        unset = set(fx.KEY_VARS)
        if key is not None:
            env["INTEGRATION_ENCRYPTION_KEY"] = key
        if old is not None:
            env["INTEGRATION_ENCRYPTION_OLD_KEYS"] = old
        if key_file is not None:
            env["INTEGRATION_ENCRYPTION_KEY_FILE"] = key_file
        unset -= set(env)
        return fx.IntegrationServer(env, unset=unset, database=database or cls.db,
                                    admin=getattr(cls, "admin", None)).start()

    def copy_of_before(self):
        return fx.copy_database(self.before, self.dir)

    def rotate(self, env):
        code, out, err = fx.run_slipway(["admin", "rotate-key"], env, cwd=self.dir)
        lines = [l for l in out.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, "one JSON line; stdout %r stderr %r" % (out, err))
        result = json.loads(lines[0])
        harness.assert_keys(self, result, ("rotated", "alreadyCurrent", "failed"), "rotate-key output")
        return code, result, err

    def assert_reads_everything(self, server, refs=None, view=None):
        refs, view = refs or self.refs, view or self.view
        raw, headers = fake_github.webhook(self.hook["secret"], "push", fake_github.push_payload(ref="refs/heads/main"))
        status, _, body = fakebase.send_webhook("http://127.0.0.1:%d" % server.port, self.hook["path"], raw, headers)
        self.assertEqual(status, 202, "the webhook's secret is read: %s" % body)
        idp = get_json(server, self.idp_path, self.admin["token"])
        self.assertEqual(idp["clientSecret"], "****" + self.idp_secret[-4:], "the identity provider's secret is read")
        # A ping signs with the endpoint's secret: its delivery fails on the address (nothing listens), never on the secret.
        ping = server.request("POST", self.endpoint_path + "/ping", token=self.admin["token"])
        self.assertEqual(ping.status, 202, str(ping))
        deliveries = self.endpoint_path.split("/webhook-endpoints/")[0] + "/webhook-deliveries"
        deadline, item = time.monotonic() + 20, None
        while time.monotonic() < deadline:
            item = next(d for d in get_json(server, deliveries, self.admin["token"])["items"] if d["id"] == ping.json["deliveryId"])
            if item["status"] != "PENDING":
                break
            time.sleep(0.2)
        self.assertNotEqual(item["status"], "PENDING", "the ping was tried")
        self.assertNotIn("secret", item["lastError"] or "", "the endpoint's secret is read")
        host = get_json(server, self.host_path, self.admin["token"])
        self.assertEqual(host["secret"], "****" + self.host_secret[-4:], "the host's password is read")
        self.assertEqual(owner_view(server, self.admin["token"], refs), view)
        self.assertTrue(view, "no integration to read")
        for masks, unreadable in view.values():
            self.assertEqual(unreadable, [])
            if masks:
                self.assertTrue(any(v is not None for v in masks.values()))

    def test_refuses_to_start_without_a_key(self):
        path = self.copy_of_before()
        env = fx.command_env(unset=fx.KEY_VARS, database=path, port=harness.free_port())
        code, out, err = fx.run_slipway(["serve", "--migrate"], env, cwd=self.dir, timeout=15)
        self.assertIsNotNone(code, "slipway serve started (and was killed after 15 s)")
        self.assertNotEqual(code, 0)
        self.assertIn("INTEGRATION_ENCRYPTION_KEY", err)

    def test_refuses_to_start_with_a_wrong_key(self):
        path = self.copy_of_before()
        key_ids = {fx.key_id(v) for _, _, v in fx.stored_ciphertexts(path)}
        self.assertEqual(len(key_ids), 1, "everything is under key A")
        key_a = key_ids.pop()
        for env in ({"INTEGRATION_ENCRYPTION_KEY": self.key_c},
                    {"INTEGRATION_ENCRYPTION_KEY": self.key_c, "INTEGRATION_ENCRYPTION_OLD_KEYS": self.key_b}):
            with self.subTest(env=sorted(env)):
                code, _, err = fx.run_slipway(["serve", "--migrate"], fx.command_env(
                    env, unset=set(fx.KEY_VARS) - set(env), database=path, port=harness.free_port()),
                    cwd=self.dir, timeout=15)
                self.assertIsNotNone(code, "slipway serve started (and was killed after 15 s)")
                self.assertNotEqual(code, 0)
                self.assertIn(key_a, err, "the message names the key id")
        self.assertEqual(fx.stored_ciphertexts(path), fx.stored_ciphertexts(self.before), "nothing was touched")

    def test_rotate_key_without_the_old_key_fails(self):
        path = self.copy_of_before()
        before = fx.stored_ciphertexts(path)
        env = fx.command_env({"INTEGRATION_ENCRYPTION_KEY": self.key_c}, unset=fx.KEY_VARS[1:], database=path)
        code, result, _ = self.rotate(env)
        self.assertNotEqual(code, 0)
        self.assertEqual((result["rotated"], result["failed"] > 0), (0, True))
        self.assertEqual(fx.stored_ciphertexts(path), before, "nothing was rewritten")

    def test_rotation_round_trip(self):
        before = fx.stored_ciphertexts(self.db)
        old_ids = {fx.key_id(v) for _, _, v in before}
        self.assertEqual(len(old_ids), 1, "everything is under key A")
        server = self.serve(self.key_b, old=self.key_a)
        try:
            self.assert_reads_everything(server)
            tenant = self.admin["tenantId"]
            extra = fx.create_integration(server, self.admin["token"], tenant, fx.valid_body("GITLAB"))
            new_ids = {fx.key_id(v) for _, _, v in fx.stored_ciphertexts(self.db)} - old_ids
            self.assertEqual(len(new_ids), 1, "a new secret is stored under key B")
            code, first, err = self.rotate(server.env())
            self.assertEqual(code, 0, err)
            self.assertGreater(first["rotated"], 0)
            self.assertGreaterEqual(first["alreadyCurrent"], 1)
            self.assertEqual(first["failed"], 0)
            after = fx.stored_ciphertexts(self.db)
            self.assertEqual({fx.key_id(v) for _, _, v in after}, new_ids, "no ciphertext under key A is left")
            self.assertEqual(len(after), len(before) + 1)
            self.assertFalse({v for _, _, v in before} & {v for _, _, v in after})
            self.assert_reads_everything(server)
            code, second, err = self.rotate(server.env())
            self.assertEqual(code, 0, err)
            self.assertEqual((second["rotated"], second["failed"]), (0, 0))
            self.assertEqual(second["alreadyCurrent"], first["rotated"] + first["alreadyCurrent"])
        finally:
            server.stop()
        refs = self.refs + [(tenant, "scm", extra["id"], "GITLAB")]
        view = dict(self.view)
        view[("scm", extra["id"])] = ({"accessToken": extra["accessToken"], "clientSecret": None, "refreshToken": None}, [])
        server = self.serve(self.key_b)
        try:
            self.assert_reads_everything(server, refs, view)
        finally:
            server.stop()
        key_file = os.path.join(self.dir, "key-b")
        with open(key_file, "w") as f:
            f.write(self.key_b + "\n")
        server = self.serve(None, key_file=key_file)
        try:
            self.assert_reads_everything(server, refs, view)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
