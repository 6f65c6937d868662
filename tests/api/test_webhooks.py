#!/usr/bin/env python3
"""Signed inbound webhooks (docs/api.md, "Webhooks"; issue 12's HTTP modes).

Each provider's fake (tests/fakes/fake_*.py) builds a delivery as the
provider sends it and fakebase.send_webhook posts it. Checked, for GitHub,
GitHub Actions, GitLab, GitLab CI, CircleCI and Jenkins: a good signature is
accepted (202) and recorded with its normalised event; a wrong signature, a
missing header, another webhook's secret, another integration's hookId, an
unknown hookId (the same 401 as a bad signature), a stale time, malformed
JSON and an oversized body are refused with nothing recorded; a replayed delivery answers 200 and is
recorded once, also when deliveries and their copies arrive together.
Making and rotating a webhook: owner only (editors,
viewers and other tenants get 404, as every role below a route's), the
secret shown once and never again, rotation keeping the URL and retiring
the old secret.
"""

import os
import sys
import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ApiTest, new_org

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "fakes"))
import fake_circleci  # noqa: E402
import fake_github  # noqa: E402
import fake_gitlab  # noqa: E402
import fake_jenkins  # noqa: E402
import fakebase  # noqa: E402


def hook_path(tenant, category, integration):
    return "/api/v1/%s/integrations/%s/%s/webhook" % (tenant, category, integration)


class WebhooksTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.other = new_org(cls.server)
        cls.tenant, cls.token = cls.org.tenant["id"], cls.org.owner.token
        cls.base = "http://127.0.0.1:%d" % cls.server.port
        cls.integ = {}
        for type_ in ("GITHUB", "GITLAB", "BITBUCKET"):
            cls.integ[type_] = fx.create_integration(cls.server, cls.token, cls.tenant, fx.valid_body(type_))
        target = fx.create_integration(cls.server, cls.token, cls.tenant, fx.valid_body("PLAY_STORE"))
        for type_ in ("JENKINS", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI"):
            scm = cls.integ[fx.PIPELINE_SCM[type_]]["id"]
            cls.integ[type_] = fx.create_integration(cls.server, cls.token, cls.tenant,
                                                     fx.valid_body(type_, scm=scm, target=target["id"]))
        cls.target = target

    def issue(self, type_, token=None, status=None, integration=None):
        i = integration or self.integ[type_]
        resp = self.request("POST", hook_path(self.tenant, fx.category_of(type_), i["id"]), token=token or self.token)
        if status is not None:
            self.assertEqual(resp.status, status, str(resp))
        if resp.status in (200, 201):
            self.server.remember_secret(resp.json["secret"])
        return resp

    def hook(self, type_):
        if not hasattr(self, "_hooks"):
            type(self)._hooks = {}
        if type_ not in self._hooks:
            self._hooks[type_] = self.issue(type_).json
        return self._hooks[type_]

    def deliveries(self, integration_id):
        return fx.db_query(self.server, "SELECT deliveryId, event, runId, status, conclusion, ref, sha FROM webhook_deliveries "
                           "WHERE integrationId = ? ORDER BY receivedAt", (integration_id,))[1]

    def send(self, path, raw, headers):
        status, hdrs, body = fakebase.send_webhook(self.base, path, raw, headers)
        return status, (__import__("json").loads(body) if body else None)

    # ---- what each provider sends, well signed ----

    def delivery(self, type_, secret, **kw):
        """(raw, headers, expected (event, runId, status, conclusion, ref)) of a typical delivery of type_."""
        if type_ in ("GITHUB", "GITHUB_ACTIONS"):
            if type_ == "GITHUB":
                raw, h = fake_github.webhook(secret, "push", fake_github.push_payload(ref="refs/tags/v1.2.0"), **kw)
                return raw, h, ("tag", None, None, None, "v1.2.0")
            raw, h = fake_github.webhook(secret, "workflow_run", fake_github.workflow_run_payload(run_id=4242, conclusion="failure"), **kw)
            return raw, h, ("build", "4242", "completed", "failed", "main")
        if type_ in ("GITLAB", "GITLAB_CI"):
            if type_ == "GITLAB":
                raw, h = fake_gitlab.webhook(secret, "Push Hook", fake_gitlab.push_payload(ref="refs/heads/release/2.0"), **kw)
                return raw, h, ("push", None, None, None, "release/2.0")
            raw, h = fake_gitlab.webhook(secret, "Pipeline Hook", fake_gitlab.pipeline_payload(pipeline_id=77, status="running"), **kw)
            return raw, h, ("build", "77", "running", None, "main")
        if type_ == "CIRCLECI":
            payload = fake_circleci.workflow_completed_payload(workflow_id="wf-1", status="canceled", **kw)
            raw, h = fake_circleci.webhook(secret, payload)
            return raw, h, ("build", "wf-1", "completed", "cancelled", "main")
        raw, h = fake_jenkins.webhook(secret, fake_jenkins.callback_payload(number=7), **kw)
        return raw, h, ("build", "mobile/release#7", "completed", "succeeded", "main")

    def test_each_provider_accepted_recorded_and_replayed_once(self):
        for type_ in ("GITHUB", "GITHUB_ACTIONS", "GITLAB", "GITLAB_CI", "CIRCLECI", "JENKINS"):
            with self.subTest(type=type_):
                hook = self.hook(type_)
                before = len(self.deliveries(self.integ[type_]["id"]))
                raw, headers, want = self.delivery(type_, hook["secret"])
                status, body = self.send(hook["path"], raw, headers)
                self.assertEqual(status, 202, body)
                self.assertFalse(body["duplicate"])
                self.assertEqual((body["event"], body["runId"], body["status"], body["conclusion"], body["ref"]), want)
                rows = self.deliveries(self.integ[type_]["id"])
                self.assertEqual(len(rows), before + 1, rows)
                self.assertIn(body["deliveryId"], [r[0] for r in rows])
                # The same delivery again (a retry, or a replay by someone who saw it): answered, applied once.
                status, again = self.send(hook["path"], raw, headers)
                self.assertEqual(status, 200, again)
                self.assertTrue(again["duplicate"])
                self.assertEqual(len(self.deliveries(self.integ[type_]["id"])), before + 1)

    def test_concurrent_deliveries_recorded_once_each(self):
        """Deliveries that arrive together, each sent twice at once: each recorded once, its copy answered as one."""
        hook = self.hook("CIRCLECI")
        before = len(self.deliveries(self.integ["CIRCLECI"]["id"]))
        sent = [fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(workflow_id="wf-batch-%d" % i))
                for i in range(12)]
        answers = harness.concurrently(2 * len(sent), lambda i: self.send(hook["path"], *sent[i % len(sent)]))
        for i in range(len(sent)):
            copies = sorted((status, body["duplicate"]) for status, body in (answers[i], answers[i + len(sent)]))
            self.assertEqual(copies, [(200, True), (202, False)], "one copy recorded, the other its duplicate")
        rows = self.deliveries(self.integ["CIRCLECI"]["id"])
        self.assertEqual(len(rows), before + len(sent), rows)
        self.assertEqual(len({r[0] for r in rows}), len(rows))

    def test_copies_known_before_their_body_is_read(self):
        """A copy is known by the delivery id a header gives, else by its signature's digest, and answered from its row."""
        import hashlib
        import hmac
        # GitHub names a delivery in X-GitHub-Delivery: a copy under a recorded id is answered before its body is
        # read, even one that is no longer JSON (signed: only the provider could send it), with the recorded event.
        hook, iid = self.hook("GITHUB_ACTIONS"), self.integ["GITHUB_ACTIONS"]["id"]
        raw, headers, want = self.delivery("GITHUB_ACTIONS", hook["secret"])
        status, first = self.send(hook["path"], raw, headers)
        self.assertEqual(status, 202, first)
        garbled, garbled_headers = fake_github.webhook(hook["secret"], "workflow_run", b'{"workflow_run": ')
        garbled_headers["X-GitHub-Delivery"] = headers["X-GitHub-Delivery"]
        status, copy = self.send(hook["path"], garbled, garbled_headers)
        self.assertEqual(status, 200, copy)
        self.assertEqual(copy, dict(first, duplicate=True))
        # CircleCI names a delivery inside the body: the row keeps the signature the check found valid.
        hook, iid = self.hook("CIRCLECI"), self.integ["CIRCLECI"]["id"]
        payload = fake_circleci.workflow_completed_payload(workflow_id="wf-digest")
        raw, headers = fake_circleci.webhook(hook["secret"], payload)
        status, first = self.send(hook["path"], raw, headers)
        self.assertEqual(status, 202, first)
        digest = hmac.new(hook["secret"].encode(), raw, hashlib.sha256).hexdigest()
        rows = fx.db_query(self.server, "SELECT bodyDigest FROM webhook_deliveries WHERE integrationId = ? AND deliveryId = ?",
                           (iid, payload["id"]))[1]
        self.assertEqual([tuple(r) for r in rows], [(digest,)])
        status, copy = self.send(hook["path"], raw, headers)
        self.assertEqual((status, copy), (200, dict(first, duplicate=True)))
        # Other bytes under the same id (a later happened_at): not known by the digest, still recorded once, by its id.
        again = dict(payload, happened_at=fake_circleci.workflow_completed_payload()["happened_at"], extra=1)
        raw2, headers2 = fake_circleci.webhook(hook["secret"], again)
        status, copy = self.send(hook["path"], raw2, headers2)
        self.assertEqual(status, 200, copy)
        self.assertTrue(copy["duplicate"])
        # The digest is the entry that matched, not the list: two deliveries whose lists share a stale entry are two.
        stale = "v1=" + "0" * 64
        for run in ("wf-list-1", "wf-list-2"):
            raw, headers = fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(workflow_id=run))
            headers["circleci-signature"] = stale + "," + headers["circleci-signature"]
            status, body = self.send(hook["path"], raw, headers)
            self.assertEqual((status, body["runId"], body["duplicate"]), (202, run, False), body)
        n = fx.db_query(self.server, "SELECT COUNT(*) FROM webhook_deliveries WHERE integrationId = ? AND deliveryId = ?",
                        (iid, payload["id"]))[1][0][0]
        self.assertEqual(n, 1)

    def assert_refused(self, path, raw, headers, status, integration_id, code=None):
        before = self.deliveries(integration_id)
        got, body = self.send(path, raw, headers)
        self.assertEqual(got, status, body)
        if code:
            self.assertEqual(body["error"]["code"], code, body)
        self.assertEqual(self.deliveries(integration_id), before, "nothing is recorded")

    def test_bad_signatures_change_nothing(self):
        for type_ in ("GITHUB", "GITLAB_CI", "CIRCLECI", "JENKINS"):
            hook, iid = self.hook(type_), self.integ[type_]["id"]
            header = {"GITHUB": "X-Hub-Signature-256", "GITLAB_CI": "X-Gitlab-Token", "CIRCLECI": "circleci-signature",
                      "JENKINS": "X-Slipway-Signature"}[type_]
            with self.subTest(type=type_, case="wrong secret"):
                raw, headers, _ = self.delivery(type_, "not-the-secret")
                self.assert_refused(hook["path"], raw, headers, 401, iid, "unauthenticated")
            with self.subTest(type=type_, case="missing header"):
                raw, headers, _ = self.delivery(type_, hook["secret"])
                del headers[header]
                self.assert_refused(hook["path"], raw, headers, 401, iid, "unauthenticated")
            with self.subTest(type=type_, case="body changed after signing"):
                raw, headers, _ = self.delivery(type_, hook["secret"])
                if type_ != "GITLAB_CI":  # GitLab's token does not cover the body
                    self.assert_refused(hook["path"], raw[:-1] + b',"injected":1}', headers, 401, iid, "unauthenticated")
            with self.subTest(type=type_, case="another webhook's secret"):
                other = self.hook("GITHUB" if type_ != "GITHUB" else "JENKINS")
                raw, headers, _ = self.delivery(type_, other["secret"])
                self.assert_refused(hook["path"], raw, headers, 401, iid, "unauthenticated")
            with self.subTest(type=type_, case="another integration's hookId"):
                other = self.hook("GITLAB" if type_ != "GITLAB_CI" else "GITHUB_ACTIONS")
                raw, headers, _ = self.delivery(type_, hook["secret"])
                self.assert_refused(other["path"], raw, headers, 401, iid, "unauthenticated")
        with self.subTest(case="unknown hookId"):
            raw, headers, _ = self.delivery("GITHUB", self.hook("GITHUB")["secret"])
            self.assert_refused("/hooks/v1/" + uuid.uuid4().hex, raw, headers, 401, self.integ["GITHUB"]["id"], "unauthenticated")

    def test_stale_deliveries_are_replays(self):
        old = "2020-01-01T00:00:00Z"
        hook = self.hook("CIRCLECI")
        raw, headers = fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(happened_at=old))
        self.assert_refused(hook["path"], raw, headers, 401, self.integ["CIRCLECI"]["id"], "unauthenticated")
        hook = self.hook("JENKINS")
        raw, headers = fake_jenkins.webhook(hook["secret"], fake_jenkins.callback_payload(sent_at=old))
        self.assert_refused(hook["path"], raw, headers, 401, self.integ["JENKINS"]["id"], "unauthenticated")

    def test_malformed_and_oversized(self):
        hook, iid = self.hook("GITHUB_ACTIONS"), self.integ["GITHUB_ACTIONS"]["id"]
        raw, headers = fake_github.webhook(hook["secret"], "workflow_run", b'{"workflow_run": ')
        self.assert_refused(hook["path"], raw, headers, 400, iid, "malformed_json")
        raw, headers = fake_github.webhook(hook["secret"], "workflow_run", {"workflow_run": "no"})
        self.assert_refused(hook["path"], raw, headers, 400, iid, "invalid_request")
        raw, headers = fake_github.webhook(hook["secret"], "push", {"ref": "refs/heads/main"})
        del headers["X-GitHub-Delivery"]
        self.assert_refused(hook["path"], raw, headers, 400, iid, "invalid_request")
        big = {"pad": "x" * (2 << 20)}
        raw, headers = fake_github.webhook(hook["secret"], "push", big)
        self.assert_refused(hook["path"], raw, headers, 413, iid, "payload_too_large")

    # ---- making and rotating ----

    def test_owner_only_and_other_tenants_404(self):
        i = self.integ["GITLAB"]
        path = hook_path(self.tenant, "scm", i["id"])
        for who, token in (("editor", self.org.editor.token), ("viewer", self.org.viewer.token),
                           ("another tenant's owner", self.other.owner.token)):
            for method in ("GET", "POST"):
                with self.subTest(caller=who, method=method):
                    self.assert_error(self.request(method, path, token=token), 404, "not_found")
        theirs = hook_path(self.other.tenant["id"], "scm", i["id"])
        self.assert_error(self.request("POST", theirs, token=self.other.owner.token), 404, "not_found")
        self.assert_error(self.request("POST", hook_path(self.tenant, "pipelines", i["id"]), token=self.token), 404,
                          "not_found")
        self.assert_error(self.request("POST", path), 401, "unauthenticated")
        # A type that takes no webhooks: it has none, and cannot have one.
        got = self.expect(self.request("GET", hook_path(self.tenant, "scm", self.integ["BITBUCKET"]["id"]), token=self.token), 200)
        self.assertEqual((got["hookId"], got["hasSecret"]), (None, False))
        self.assert_error(self.request("POST", hook_path(self.tenant, "scm", self.integ["BITBUCKET"]["id"]), token=self.token),
                          400, "invalid_request")

    def test_secret_shown_once_and_rotation(self):
        i = fx.create_integration(self.server, self.token, self.tenant,
                                  fx.valid_body("GITLAB_CI", scm=self.integ["GITLAB"]["id"], target=self.target["id"]))
        path = hook_path(self.tenant, "pipelines", i["id"])
        none = self.expect(self.request("GET", path, token=self.token), 200)
        self.assertEqual((none["hookId"], none["path"], none["hasSecret"]), (None, None, False))
        made = self.issue("GITLAB_CI", status=201, integration=i).json
        self.assertRegex(made["hookId"], r"^[A-Za-z0-9_-]{32}$")
        self.assertRegex(made["secret"], r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(made["path"], "/hooks/v1/" + made["hookId"])
        seen = self.expect(self.request("GET", path, token=self.token), 200)
        self.assertEqual((seen["hookId"], seen["path"], seen["hasSecret"]), (made["hookId"], made["path"], True))
        self.assertNotIn("secret", seen)
        stored = fx.db_query(self.server, "SELECT secret FROM integration_webhooks WHERE integrationId = ?", (i["id"],))[1]
        self.assertRegex(stored[0][0], fx.CIPHERTEXT_RE, "stored encrypted")
        self.assertNotIn(made["secret"], self.server.log_text())
        rotated = self.issue("GITLAB_CI", status=200, integration=i).json
        self.assertEqual(rotated["hookId"], made["hookId"])
        self.assertNotEqual(rotated["secret"], made["secret"])
        raw, headers = fake_gitlab.webhook(made["secret"], "Pipeline Hook", fake_gitlab.pipeline_payload())
        self.assert_refused(made["path"], raw, headers, 401, i["id"], "unauthenticated")
        raw, headers = fake_gitlab.webhook(rotated["secret"], "Pipeline Hook", fake_gitlab.pipeline_payload())
        self.assertEqual(self.send(made["path"], raw, headers)[0], 202)

    def test_rotation_retires_the_kept_hmac_key(self):
        # The HMAC key is set up once per integration and kept (src/integrations/webhooks.c): the delivery
        # signed with the old secret, accepted just before the rotation, is refused right after it.
        scm = fx.create_integration(self.server, self.token, self.tenant, fx.valid_body("GITHUB"))
        made = self.issue("GITHUB", status=201, integration=scm).json
        raw, headers = fake_github.webhook(made["secret"], "push", fake_github.push_payload())
        self.assertEqual(self.send(made["path"], raw, headers)[0], 202)
        rotated = self.issue("GITHUB", status=200, integration=scm).json
        old, old_headers = fake_github.webhook(made["secret"], "push", fake_github.push_payload())
        self.assert_refused(made["path"], old, old_headers, 401, scm["id"], "unauthenticated")
        raw, headers = fake_github.webhook(rotated["secret"], "push", fake_github.push_payload())
        self.assertEqual(self.send(made["path"], raw, headers)[0], 202)

    def test_deleting_the_integration_retires_its_hook(self):
        scm = fx.create_integration(self.server, self.token, self.tenant, fx.valid_body("GITHUB"))
        made = self.expect(self.request("POST", hook_path(self.tenant, "scm", scm["id"]), token=self.token), 201)
        self.server.remember_secret(made["secret"])
        self.assertEqual(self.request("DELETE", fx.ipath(self.tenant, "scm", scm["id"]), token=self.token).status, 204)
        raw, headers = fake_github.webhook(made["secret"], "push", fake_github.push_payload())
        self.assertEqual(self.send(made["path"], raw, headers)[0], 401)


if __name__ == "__main__":
    unittest.main()
