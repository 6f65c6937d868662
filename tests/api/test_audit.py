"""Audit log: GET /api/v1/{tenantId}/audit-logs, and that mutations write rows without secrets."""

import datetime
import json
import unittest
import uuid

import harness
from harness import ApiTest, assert_audit_row, new_user, page

tearDownModule = harness.stop_shared_server


class AuditTest(ApiTest):
    """One scripted history on a fresh tenant, each mutation with its own request id."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)
        cls.outsider = new_user(cls.server)
        cls.expected = []  # (requestId, action, actor, targetId)

        created = cls.act(cls.owner, "POST", "/api/v1/tenants", {"orgName": "Audited"}, 201)
        cls.tenant_id = created["id"]
        cls.expected.append((cls.last_rid, "tenant.create", cls.owner, cls.tenant_id))
        t = "/api/v1/" + cls.tenant_id
        cls.act(cls.owner, "PATCH", t, {"orgName": "Audited twice"}, 200, "tenant.update", cls.tenant_id)
        cls.act(cls.owner, "PATCH", "%s/members/%s" % (t, cls.owner.id), {"role": "editor"}, 409)
        cls.failed_rid = cls.last_rid
        passer = cls.invite_and_join("editor")
        cls.act(cls.owner, "PATCH", "%s/members/%s" % (t, passer.id), {"role": "viewer"}, 200, "member.update", passer.id)
        cls.act(cls.owner, "DELETE", "%s/members/%s" % (t, passer.id), None, 204, "member.remove", passer.id)
        cls.second_owner = cls.invite_and_join("owner")
        cls.act(cls.second_owner, "PATCH", t, {"orgName": "Audited thrice"}, 200, "tenant.update", cls.tenant_id)
        cls.editor = cls.invite_and_join("editor")
        cls.viewer = cls.invite_and_join("viewer")

    @classmethod
    def act(cls, actor, method, path, body, status, action=None, target=None):
        """One mutation with a fresh X-Request-Id (actor None: without a login); note the audit row it must leave."""
        cls.last_rid = "aud-" + uuid.uuid4().hex
        resp = cls.server.request(method, path, body=body, token=actor.token if actor else None,
                                  headers={"X-Request-Id": cls.last_rid})
        if resp.status != status:
            raise AssertionError("audit scenario step failed: %s" % (resp,))
        if action is not None:
            cls.expected.append((cls.last_rid, action, actor, target))
        return resp.json

    @classmethod
    def invite_and_join(cls, role):
        """The owner invites (member.invite); the invitee accepts without a login, making its account (member.join)."""
        invitation = cls.act(cls.owner, "POST", "/api/v1/%s/members" % cls.tenant_id,
                             {"email": harness.unique_email(role), "role": role}, 201)
        cls.expected.append((cls.last_rid, "member.invite", cls.owner, invitation["invitationId"]))
        cls.server.remember_secret(invitation["inviteToken"])
        password = "pw-" + uuid.uuid4().hex
        joined = cls.act(None, "POST", "/api/v1/invitations/accept", {"token": invitation["inviteToken"],
                                                                      "password": password}, 201)
        user = harness.login_user(cls.server, joined["accountId"], joined["email"], password)
        cls.expected.append((cls.last_rid, "member.join", user, user.id))
        return user

    def path(self):
        return "/api/v1/%s/audit-logs" % self.tenant_id

    def rows(self, token=None, **filters):
        body = page(self, self.server, self.path(), token or self.owner.token, limit=200, **filters)
        self.assertIsNone(body["nextCursor"])
        return body["items"]

    def test_each_mutation_has_its_row(self):
        rows = self.rows()
        for rid, action, actor, target in self.expected:
            with self.subTest(action=action, rid=rid):
                mine = [r for r in rows if r["requestId"] == rid]
                self.assertEqual(len(mine), 1, "one row for request %s" % rid)
                row = mine[0]
                assert_audit_row(self, row)
                self.assertEqual(row["tenantId"], self.tenant_id)
                self.assertEqual(row["action"], action)
                self.assertEqual(row["outcome"], "success")
                self.assertEqual((row["actorAccountId"], row["actorEmail"]), (actor.id, actor.email))
                self.assertEqual(row["targetId"], target)
                self.assertIsInstance(row["targetType"], str)
                self.assertTrue(row["targetType"])
                self.assertEqual(row["ip"], "127.0.0.1")
                self.assertEqual(row["userAgent"], harness.USER_AGENT)

    def test_every_row_belongs_to_the_tenant(self):
        rows = self.rows()
        self.assertGreaterEqual(len(rows), len(self.expected))
        for row in rows:
            assert_audit_row(self, row)
            self.assertEqual(row["tenantId"], self.tenant_id)
            self.assertIn(row["action"], ("tenant.create", "tenant.update", "tenant.delete", "member.invite",
                                          "member.join", "member.update", "member.remove"))

    def test_refused_mutation_is_no_success(self):
        """A refused change is rolled back with its row (docs/api.md: a row is written in the same transaction as
        the change), so the trail, which holds the changes around it, has none for it: certainly no success."""
        rows = self.rows()
        self.assertTrue([r for r in rows if r["action"] == "member.update"], "the trail holds the other updates")
        self.assertEqual([r for r in rows if r["requestId"] == self.failed_rid], [])

    def test_no_secret_in_any_row(self):
        text = json.dumps(self.rows())
        self.assertTrue(self.server.secrets)
        for secret in self.server.secrets:
            self.assertNotIn(secret, text, "a secret (%s...) is in the audit log" % secret[:6])

    def test_no_secret_in_the_server_log(self):
        log = self.server.log_text()
        self.assertTrue(self.server.secrets)
        for secret in self.server.secrets:
            self.assertNotIn(secret, log, "a secret (%s...) is in the server log" % secret[:6])

    def test_only_owners_read_it(self):
        for owner in (self.owner, self.second_owner):
            self.rows(owner.token)
        fake = "/api/v1/%s/audit-logs" % uuid.uuid4()
        for user in (self.editor, self.viewer, self.outsider):
            with self.subTest(user=user):
                harness.assert_same_not_found(self, self.request("GET", self.path(), token=user.token),
                                              self.request("GET", fake, token=user.token))
        self.assert_error(self.request("GET", self.path()), 401, "unauthenticated")

    def test_filter_by_action(self):
        for action in ("tenant.create", "tenant.update", "member.invite", "member.join", "member.update", "member.remove"):
            with self.subTest(action=action):
                rows = self.rows(action=action)
                self.assertEqual({r["action"] for r in rows}, {action})
                expected = {rid for rid, a, _, _ in self.expected if a == action}
                self.assertTrue(expected <= {r["requestId"] for r in rows})

    def test_filter_by_actor_id_or_email(self):
        for actor in (self.owner, self.second_owner):
            expected = {rid for rid, _, a, _ in self.expected if a is actor}
            by_id = self.rows(actor=actor.id)
            with self.subTest(actor=actor, by="id"):
                self.assertEqual({r["actorAccountId"] for r in by_id}, {actor.id})
                self.assertTrue(expected <= {r["requestId"] for r in by_id})
            with self.subTest(actor=actor, by="email"):
                self.assertEqual([r["id"] for r in self.rows(actor=actor.email)], [r["id"] for r in by_id])
        self.assertEqual(self.rows(actor=str(uuid.uuid4())), [])
        self.assertEqual(self.rows(actor=harness.unique_email("nobody")), [])

    def test_filters_combine(self):
        rows = self.rows(action="tenant.update", actor=self.second_owner.id)
        self.assertEqual([r["requestId"] for r in rows],
                         [rid for rid, a, actor, _ in self.expected if a == "tenant.update" and actor is self.second_owner])

    def test_filter_by_time(self):
        rows = sorted(self.rows(), key=lambda r: r["createdAt"])
        mid = rows[len(rows) // 2]["createdAt"]
        since = self.rows(since=mid)
        until = self.rows(until=mid)
        self.assertTrue(all(r["createdAt"] >= mid for r in since))
        self.assertTrue({r["id"] for r in rows if r["createdAt"] > mid} <= {r["id"] for r in since})
        self.assertTrue(all(r["createdAt"] <= mid for r in until))
        self.assertTrue({r["id"] for r in rows if r["createdAt"] < mid} <= {r["id"] for r in until})
        ms = datetime.timedelta(milliseconds=1)
        window = self.rows(since=harness.format_time(harness.parse_time(rows[0]["createdAt"]) - ms),
                           until=harness.format_time(harness.parse_time(rows[-1]["createdAt"]) + ms))
        self.assertEqual(len(window), len(rows))
        self.assertEqual(self.rows(since="2999-01-01T00:00:00.000Z"), [])
        self.assertEqual(self.rows(until="2000-01-01T00:00:00.000Z"), [])
        # RFC 3339 allows an offset instead of Z
        offset = harness.parse_time(mid).astimezone(datetime.timezone(datetime.timedelta(hours=2)))
        self.assertEqual([r["id"] for r in self.rows(since=offset.isoformat(timespec="milliseconds"))],
                         [r["id"] for r in since])

    def test_bad_filters(self):
        for query in ("since=yesterday", "until=2026-13-45T00:00:00Z", "since=1700000000", "until=2026-01-01",
                      "since=2026-01-01T25:00:00Z"):
            with self.subTest(query=query):
                details = self.assert_error(self.request("GET", self.path() + "?" + query, token=self.owner.token),
                                            400, "invalid_request")
                self.assertTrue({d["field"] for d in details} <= {query.split("=")[0]}, str(details))

    def test_pagination(self):
        rows = self.rows()
        harness.assert_paginates(self, self.server, self.path(), self.owner.token, [r["id"] for r in rows])
        harness.assert_rejects_bad_page_params(self, self.server, self.path(), self.owner.token)


class MyAuditTest(ApiTest):
    """GET /api/v1/me/audit-logs: the caller's own account-level rows (issue 13's "my activity"), nobody else's,
    and no tenant's."""

    def test_my_account_events(self):
        me, other = new_user(self.server), new_user(self.server)
        made = self.request("POST", "/api/v1/me/tokens", body={"name": "ci"}, token=me.token)
        self.assertEqual(made.status, 201, made)
        self.server.remember_secret(made.json["token"])
        self.assertEqual(self.request("DELETE", "/api/v1/me/tokens/" + made.json["id"], token=me.token).status, 204)
        self.assertEqual(self.request("POST", "/api/v1/tenants", body={"orgName": "Mine"}, token=me.token).status, 201)
        rows = page(self, self.server, "/api/v1/me/audit-logs", me.token, limit=200)["items"]
        actions = [r["action"] for r in rows]
        self.assertEqual(actions[:2], ["token.revoke", "token.create"], "newest first")
        self.assertIn("auth.login", actions)
        self.assertTrue(all(r["tenantId"] is None and r["actorAccountId"] == me.id for r in rows), rows)
        self.assertNotIn("tenant.create", actions, "a tenant's rows are in its own trail")
        mine = page(self, self.server, "/api/v1/me/audit-logs", me.token, limit=200, action="token.create")["items"]
        self.assertEqual([(r["action"], r["targetId"]) for r in mine], [("token.create", made.json["id"])])
        theirs = page(self, self.server, "/api/v1/me/audit-logs", other.token, limit=200)["items"]
        self.assertFalse({r["id"] for r in theirs} & {r["id"] for r in rows}, "another account sees none of mine")
        self.assert_error(self.request("GET", "/api/v1/me/audit-logs"), 401, "unauthenticated")
        harness.assert_paginates(self, self.server, "/api/v1/me/audit-logs", me.token, [r["id"] for r in rows])
        harness.assert_rejects_bad_page_params(self, self.server, "/api/v1/me/audit-logs", me.token)


if __name__ == "__main__":
    unittest.main()
