"""The verify routes themselves (docs/verification.md "Endpoints"): who may
call them (owner only, 404 otherwise, as docs/api.md wants), the setup
route's body (tenantId checked like a path's, exactly one of config and
integrationId, malformed and unknown fields), the stored route's body,
verify-all with a mix of outcomes checked concurrently, and sendTest."""

import json
import unittest
import uuid

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest, assert_answer, build, check_answer_body


def tearDownModule():
    vf.stop_servers()


class SetupRouteAccessTest(VerifyTest):
    """POST /api/v1/setup/verify-{kind}: the body's tenantId is checked like a path's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = vf.Ctx(cls.server, cls.fakes)  # another tenant, another owner
        cls.case = build(cls.ctx, "GITHUB")
        cls.integ = cls.ctx.create(cls.case.body)

    def baseline(self, body):
        return self.ctx.verify_setup("github", dict(body, tenantId=str(uuid.uuid4())))

    def test_owner_may(self):
        assert_answer(self, self.ctx.verify_config("github", self.case.config()), "VALID", "VALID")
        assert_answer(self, self.ctx.verify_id("github", self.integ["id"]), "VALID", "VALID")

    def test_editor_viewer_and_strangers_get_404(self):
        callers = [("editor", self.ctx.org.editor.token), ("viewer", self.ctx.org.viewer.token),
                   ("owner of another tenant", self.other.token)]
        bodies = [("config", {"tenantId": self.ctx.tenant_id, "config": self.case.config()}),
                  ("integrationId", {"tenantId": self.ctx.tenant_id, "integrationId": self.integ["id"]})]
        for who, token in callers:
            for label, body in bodies:
                with self.subTest(caller=who, body=label):
                    resp = self.ctx.verify_setup("github", body, token=token)
                    harness.assert_same_not_found(self, resp, self.ctx.verify_setup(
                        "github", dict(body, tenantId=str(uuid.uuid4())), token=token))
        self.assertEqual(self.wire(), [], "nothing was called for a caller who may not")

    def test_unknown_and_deleted_tenants(self):
        body = {"tenantId": str(uuid.uuid4()), "config": self.case.config()}
        harness.assert_error(self, self.ctx.verify_setup("github", body), 404, "not_found")
        gone = harness.new_tenant(self.server, self.ctx.token)["id"]
        self.assertEqual(self.server.request("DELETE", "/api/v1/" + gone, token=self.ctx.token).status, 204)
        harness.assert_error(self, self.ctx.verify_setup("github", dict(body, tenantId=gone)), 404, "not_found")

    def test_integration_of_another_tenant_or_type(self):
        theirs = self.other.create(build(self.other, "GITHUB").body)
        # their id under my tenant: not mine, 404 like a random id
        harness.assert_same_not_found(self, self.ctx.verify_id("github", theirs["id"], tenant_id=self.ctx.tenant_id),
                                      self.ctx.verify_id("github", str(uuid.uuid4()), tenant_id=self.ctx.tenant_id))
        # my GitHub integration is no GitLab one
        harness.assert_error(self, self.ctx.verify_id("gitlab", self.integ["id"]), 404, "not_found")
        self.assertEqual(self.wire(), [], "nothing was called")

    def test_unauthenticated(self):
        resp = self.server.request("POST", "/api/v1/setup/verify-github",
                                   body={"tenantId": self.ctx.tenant_id, "config": self.case.config()})
        harness.assert_error(self, resp, 401, "unauthenticated")

    def test_unknown_kind(self):
        for kind in ("nothing", "GITHUB", "app_store", "verify-github", ""):
            with self.subTest(kind=kind):
                resp = self.ctx.verify_setup(kind, {"tenantId": self.ctx.tenant_id, "config": self.case.config()})
                harness.assert_error(self, resp, 404, "not_found")

    def test_every_kind_is_routed(self):
        """Every type of the catalog has its route in the route table, and the route reaches the handler: a body
        it refuses by name (400 on integrationId), where a kind without a route answers 404 to the same body."""
        prefix = "/api/v1/setup/verify-"
        routed = sorted(r.path[len(prefix):] for r in harness.route_table() if r.path.startswith(prefix))
        listed = harness.expect(self, self.server.request("GET", "/api/v1/integration-types", token=self.ctx.token),
                                200)
        types = [item["type"] for item in listed["items"]]
        self.assertTrue(types and routed, "the catalog and the route table list types and verify routes")
        for type_ in types:
            self.assertIn(type_, vf.KINDS, "%s has no kind in verify_fixtures.KINDS" % type_)
        self.assertEqual(routed, sorted(vf.KINDS[t] for t in types), "one verify route per type of the catalog")
        body = {"tenantId": self.ctx.tenant_id, "integrationId": 5}
        harness.assert_error(self, self.ctx.verify_setup("no-such-kind", body), 404, "not_found")
        for kind in routed:
            with self.subTest(kind=kind):
                fx.assert_invalid_at(self, self.ctx.verify_setup(kind, body), "integrationId")


class SetupRouteBodyTest(VerifyTest):
    """Exactly one of config and integrationId; everything else is 400, and nothing is called."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.case = build(cls.ctx, "GITHUB")
        cls.integ = cls.ctx.create(cls.case.body)

    def send(self, body=None, raw=None, headers=None):
        return self.server.request("POST", "/api/v1/setup/verify-github", body=body, raw=raw, headers=headers,
                                   token=self.ctx.token)

    def test_both_or_neither(self):
        t = self.ctx.tenant_id
        for label, body in (("both", {"tenantId": t, "config": self.case.config(), "integrationId": self.integ["id"]}),
                            ("neither", {"tenantId": t})):
            with self.subTest(label):
                harness.assert_error(self, self.send(body), 400, "invalid_request")
        self.assertEqual(self.wire(), [])

    def test_tenant_id_required_and_a_string(self):
        for value in (None, 5, True, [], {}):
            body = {"config": self.case.config()}
            if value is not None:
                body["tenantId"] = value
            with self.subTest(tenantId=value):
                fx.assert_invalid_at(self, self.send(body), "tenantId")

    def test_malformed_bodies(self):
        for raw in harness.MALFORMED_BODIES + fx.MORE_MALFORMED:
            with self.subTest(raw=raw):
                harness.assert_error(self, self.send(raw=raw), 400, "malformed_json")
        resp = self.send(raw=json.dumps({"tenantId": self.ctx.tenant_id, "config": self.case.config()}).encode(),
                         headers={"Content-Type": "text/plain"})
        harness.assert_error(self, resp, 415, "unsupported_media_type")
        self.assertEqual(self.wire(), [])

    def test_wrong_types(self):
        t = self.ctx.tenant_id
        for label, body, field in (("config a string", {"tenantId": t, "config": "x"}, "config"),
                                   ("config a list", {"tenantId": t, "config": []}, "config"),
                                   ("integrationId a number", {"tenantId": t, "integrationId": 5}, "integrationId"),
                                   ("sendTest a string", {"tenantId": t, "config": self.case.config(),
                                                          "sendTest": "yes"}, "sendTest")):
            with self.subTest(label):
                fx.assert_invalid_at(self, self.send(body), field)

    def test_unknown_fields(self):
        body = {"tenantId": self.ctx.tenant_id, "config": self.case.config(), "bogus": 1}
        fx.assert_invalid_at(self, self.send(body), "bogus")

    def test_config_validated_like_a_create(self):
        t = self.ctx.tenant_id
        cfg = self.case.config()
        del cfg["organization"]
        fx.assert_invalid_at(self, self.send({"tenantId": t, "config": cfg}), "organization")
        fx.assert_invalid_at(self, self.send({"tenantId": t, "config": self.case.config(unknownField=1)}),
                             "unknownField")
        fx.assert_invalid_at(self, self.send({"tenantId": t, "config": self.case.config(organization=7)}),
                             "organization")
        self.assertEqual(self.wire(), [], "an invalid config is not checked")

    def test_pipeline_config_names_a_stored_scm_of_the_tenant(self):
        other = vf.Ctx(self.server, self.fakes)
        case = build(self.ctx, "GITHUB_ACTIONS")
        theirs = other.scm("GITHUB")
        resp = self.ctx.verify_config(case.kind, case.config(scmIntegrationId=theirs["id"]))
        fx.assert_invalid_at(self, resp, "scmIntegrationId")
        resp = self.ctx.verify_config(case.kind, case.config(scmIntegrationId=str(uuid.uuid4())))
        fx.assert_invalid_at(self, resp, "scmIntegrationId")


class StoredRouteTest(VerifyTest):
    """POST /api/v1/{tenantId}/integrations/{category}/{id}/verify."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = vf.Ctx(cls.server, cls.fakes)
        cls.case = build(cls.ctx, "GITHUB")
        cls.integ = cls.ctx.create(cls.case.body)

    def path(self, category="scm", id=None, tenant=None):
        return fx.ipath(tenant or self.ctx.tenant_id, category, id or self.integ["id"]) + "/verify"

    def test_owner_only(self):
        integ = self.ctx.create(build(self.ctx, "GITHUB").body)
        random_path = self.path(id=str(uuid.uuid4()))
        for who, token in (("editor", self.ctx.org.editor.token), ("viewer", self.ctx.org.viewer.token),
                           ("owner of another tenant", self.other.token)):
            with self.subTest(caller=who):
                harness.assert_same_not_found(self, self.server.request("POST", self.path(id=integ["id"]),
                                                                        token=token),
                                              self.server.request("POST", random_path, token=token))
        harness.assert_error(self, self.server.request("POST", self.path(id=integ["id"])), 401, "unauthenticated")
        self.assertEqual(self.wire(), [])
        obj = self.ctx.get("scm", integ["id"])
        self.assertEqual(obj["verificationStatus"], "NOT_VERIFIED")

    def test_wrong_category_tenant_or_id(self):
        for label, path in (("another category", self.path("targets")), ("unknown category", self.path("things")),
                            ("random id", self.path(id=str(uuid.uuid4()))),
                            ("another tenant's path", self.path(tenant=self.other.tenant_id))):
            with self.subTest(label):
                harness.assert_error(self, self.server.request("POST", path, token=self.ctx.token), 404, "not_found")
        self.assertEqual(self.wire(), [])

    def test_bodies(self):
        assert_answer(self, self.server.request("POST", self.path(), token=self.ctx.token), "VALID", "VALID")
        assert_answer(self, self.server.request("POST", self.path(), body={}, token=self.ctx.token), "VALID", "VALID")
        fx.assert_invalid_at(self, self.server.request("POST", self.path(), body={"bogus": True},
                                                       token=self.ctx.token), "bogus")
        fx.assert_invalid_at(self, self.server.request("POST", self.path(), body={"sendTest": "yes"},
                                                       token=self.ctx.token), "sendTest")
        harness.assert_error(self, self.server.request("POST", self.path(), raw=b"{", token=self.ctx.token), 400,
                             "malformed_json")

    def test_other_methods(self):
        resp = self.server.request("GET", self.path(), token=self.ctx.token)
        harness.assert_error(self, resp, 405, "method_not_allowed")
        self.assertIn("POST", resp.headers.get("allow", ""))


class VerifyAllTest(VerifyTest):
    """POST /api/v1/{tenantId}/integrations/verify-all: every integration of the tenant, each with its answer,
    checked concurrently."""

    def test_owner_only(self):
        ctx = vf.Ctx(self.server, self.fakes)
        stranger = vf.Ctx(self.server, self.fakes)
        path = "/api/v1/%s/integrations/verify-all" % ctx.tenant_id
        random_path = "/api/v1/%s/integrations/verify-all" % uuid.uuid4()
        for who, token in (("editor", ctx.org.editor.token), ("viewer", ctx.org.viewer.token),
                           ("owner of another tenant", stranger.token)):
            with self.subTest(caller=who):
                harness.assert_same_not_found(self, self.server.request("POST", path, token=token),
                                              self.server.request("POST", random_path, token=token))
        harness.assert_error(self, self.server.request("POST", path), 401, "unauthenticated")

    def test_empty_tenant(self):
        ctx = vf.Ctx(self.server, self.fakes)
        body = harness.expect(self, ctx.verify_all(), 200)
        self.assertEqual(body, {"items": []})

    def test_a_mix_of_outcomes(self):
        ctx = vf.Ctx(self.server, self.fakes)
        expected = {}  # id -> (verdict, status after)

        def add(case, verdict, status):
            integ = ctx.create(case.body, tenant_id=ctx.tenant_id)
            expected[integ["id"]] = (case, verdict, status)
            return integ

        add(build(ctx, "GITHUB"), "VALID", "VALID")
        add(build(ctx, "GITLAB", creds=False), "INVALID", "INVALID")
        add(build(ctx, "SLACK", error="token_expired"), "EXPIRED", "INVALID")
        add(build(ctx, "APP_STORE", resource=False), "INVALID", "INVALID")
        add(build(ctx, "CODE_SIGNING"), "VALID", "VALID")
        add(build(ctx, "TEAMS"), "VALID", "VALID")
        jenkins = build(ctx, "JENKINS")
        jenkins.body["jenkinsUrl"] = "https://127.0.0.1:%d" % vf.closed_port()
        add(jenkins, None, "NOT_VERIFIED")
        expired_cert = add(build(ctx, "CODE_SIGNING", cert=fx.certificate(expired=True)), "EXPIRED", "EXPIRED")
        self.assertEqual(expired_cert["verificationStatus"], "EXPIRED")
        slow = [build(ctx, t) for t in ("CIRCLECI", "JIRA", "LINEAR", "AZURE_DEVOPS", "TEST_RAIL")]
        mark = self.fakes.mark()
        for case in slow:
            add(case, None, "NOT_VERIFIED")
            self.case_rules(case, "hold")  # never answered while the test runs
        # the pipelines' target and SCMs (made by the builders) are integrations of the tenant too
        listed = set()
        for category in fx.CATEGORIES:
            listed |= {i["id"] for i in harness.page(self, self.server, fx.ipath(ctx.tenant_id, category), ctx.token,
                                                      limit=200)["items"]}
        resp = ctx.verify_all(timeout=120)
        body = harness.expect(self, resp, 200)
        harness.assert_keys(self, body, ("items",), "verify-all answer")
        items = {i.get("id"): i for i in body["items"]}
        self.assertEqual(len(items), len(body["items"]), "each integration once")
        self.assertEqual(set(items), listed, "every integration of the tenant")
        secrets_ = sorted(ctx.secrets) + sorted(ctx.absorb_wire_secrets(self.mark))
        vf.assert_no_secret(self, resp.raw, secrets_)
        for id, item in items.items():
            with self.subTest(id=id, type=item.get("type")):
                harness.assert_keys(self, item, ("id", "category", "type") + vf.ANSWER_KEYS, "verify-all item")
                self.assertIn(item["category"], fx.CATEGORIES)
                self.assertEqual(fx.category_of(item["type"]), item["category"])
                if id in expected:
                    case, verdict, status = expected[id]
                    self.assertEqual(item["type"], case.type)
                    check_answer_body(self, item, resp, verdict, status)
                    self.assertEqual(ctx.get(case.category, id)["verificationStatus"], status)
        # No clock: the fakes' order of events shows the held calls open at the same time (one after the
        # other, each would have been given up before the next arrived).
        calls = vf.held_calls(self.fakes, mark, len(slow))
        self.assertEqual({how for _, _, how in calls}, {"abandoned"})
        self.assertGreater(vf.most_at_once(calls), 1, "%d held providers checked one after the other" % len(slow))


class SendTestTest(VerifyTest):
    """sendTest: EMAIL sends a message only when asked (otherwise it ends with NOOP)."""

    def test_email_without_send_test_sends_nothing(self):
        case = build(self.ctx, "EMAIL")
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "VALID", "VALID",
                      self.secrets_of(case))
        sessions = [e["session"] for e in self.wire("smtp")]
        self.assertEqual(len(sessions), 1, sessions)
        s = sessions[0]
        self.assertTrue(s["tls"], "STARTTLS")
        self.assertEqual(s["auth"], case.info["user"], "AUTH as smtpUsername")
        self.assertTrue(s.get("noop"), "NOOP")
        self.assertEqual(s["messages"], [], "no message without sendTest")
        self.assertFalse(any(c.upper().startswith(("MAIL", "RCPT", "DATA")) for c in s["commands"]), s["commands"])

    def test_email_with_send_test(self):
        case = build(self.ctx, "EMAIL")
        integ = self.ctx.create(case.body)
        resp = self.ctx.verify_stored(case.category, integ["id"], body={"sendTest": True})
        assert_answer(self, resp, "VALID", "VALID", self.secrets_of(case))
        messages = [m for e in self.wire("smtp") for m in e["session"]["messages"]]
        self.assertEqual(len(messages), 1, "one test message")
        m = messages[0]
        self.assertIn(case.body["emailFromAddress"], m["from"])
        for rcpt in case.body["emailRecipients"]:
            self.assertTrue(any(rcpt in r for r in m["to"]), "sent to %s: %s" % (rcpt, m["to"]))
        vf.assert_no_secret(self, m["data"], case.secrets, "the test message")

        resp = self.ctx.verify_config(case.kind, case.config(), send_test=True)
        assert_answer(self, resp, "VALID", "VALID", self.secrets_of(case))
        self.assertEqual(len([m for e in self.wire("smtp") for m in e["session"]["messages"]]), 2)


if __name__ == "__main__":
    unittest.main()
