"""Invitations (issue 11): adding someone to a tenant neither tells whether they have an account nor places them in it.

POST /api/v1/{tenantId}/members invites an address; the answer is the same
whatever the address. The invitee joins by accepting: logged in, as the
account with the invited address; or, when no account has it, without a
login, which makes the account. GET .../invitations lists the pending ones,
DELETE .../invitations/{id} revokes one. docs/api.md is the contract.
"""

import datetime
import json
import re
import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ApiTest, assert_member, login, new_org, new_tenant, new_user

tearDownModule = harness.stop_shared_server

ACCEPT = "/api/v1/invitations/accept"
INVITE_RE = re.compile(r"^slwi_[A-Za-z0-9_-]{43}$")
INVITATION_KEYS = ("invitationId", "email", "role", "expiresAt", "delivery", "inviteToken")
PENDING_KEYS = ("id", "email", "role", "invitedByAccountId", "createdAt", "expiresAt")
PAST = "2001-01-01T00:00:00.000Z"


def members_path(tenant_id):
    return "/api/v1/%s/members" % tenant_id


def invitations_path(tenant_id, invitation_id=None):
    return "/api/v1/%s/invitations" % tenant_id + ("/" + invitation_id if invitation_id else "")


def password():
    return "pw-" + uuid.uuid4().hex


class InvitationTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.outsider = new_user(cls.server)

    # ---- helpers

    def invite(self, email, role="viewer", tenant_id=None, token=None):
        resp = self.request("POST", members_path(tenant_id or self.org.id), body={"email": email, "role": role},
                            token=token or self.org.owner.token)
        invitation = self.expect(resp, 201)
        self.server.remember_secret(invitation["inviteToken"])
        return invitation

    def accept(self, invite_token, user=None, **fields):
        """Accepts as user (logged in), or without a login with fields (password, name)."""
        body = dict({"token": invite_token}, **fields)
        return self.request("POST", ACCEPT, body=body, token=user.token if user else None)

    def pending(self, tenant_id=None):
        items = harness.page(self, self.server, invitations_path(tenant_id or self.org.id), self.org.owner.token,
                             limit=200)["items"]
        return {i["id"]: i for i in items}

    def role_in(self, user, tenant_id=None):
        resp = self.request("GET", "/api/v1/" + (tenant_id or self.org.id), token=user.token)
        return resp.json["role"] if resp.status == 200 else resp.status

    def member_emails(self, tenant_id=None):
        items = harness.page(self, self.server, members_path(tenant_id or self.org.id), self.org.owner.token,
                             limit=200)["items"]
        return [m["email"] for m in items]

    def assert_invitation(self, invitation, email, role):
        harness.assert_keys(self, invitation, INVITATION_KEYS, "invitation")
        harness.assert_uuid(self, invitation["invitationId"])
        self.assertEqual((invitation["email"], invitation["role"]), (email.lower(), role))
        self.assertRegex(invitation["inviteToken"], INVITE_RE)
        expires = harness.assert_timestamp(self, invitation["expiresAt"])
        week = harness.now() + datetime.timedelta(days=7)
        self.assertLess(abs((expires - week).total_seconds()), 120, "expires in 7 days")

    # ---- the finding: no leak, no placement without consent

    def test_the_answer_is_the_same_whatever_the_address(self):
        new = self.invite(harness.unique_email("fresh"))
        existing = self.invite(self.outsider.email)
        self.assert_invitation(new, new["email"], "viewer")
        self.assert_invitation(existing, self.outsider.email, "viewer")
        shape = lambda i: {k: type(v).__name__ for k, v in i.items()}  # noqa: E731
        self.assertEqual(shape(new), shape(existing))
        self.assertNotEqual(new["inviteToken"], existing["inviteToken"])

    def test_nobody_is_placed_in_a_tenant_without_accepting(self):
        user = new_user(self.server)
        tenant = new_tenant(self.server, self.org.owner.token)
        invitation = self.invite(user.email, "owner", tenant["id"])
        self.assertEqual(self.role_in(user, tenant["id"]), 404, "invited is not a member")
        self.assertNotIn(tenant["id"], [t["id"] for t in harness.page(self, self.server, "/api/v1/tenants",
                                                                      user.token)["items"]])
        self.assertNotIn(user.email, self.member_emails(tenant["id"]))
        joined = self.expect(self.accept(invitation["inviteToken"], user), 201)
        assert_member(self, {k: v for k, v in joined.items() if k != "tenantId"})
        self.assertEqual((joined["tenantId"], joined["accountId"], joined["email"], joined["role"]),
                         (tenant["id"], user.id, user.email, "owner"))
        self.assertEqual(self.role_in(user, tenant["id"]), "owner")
        self.expect(login(self.server, user.email, user.password), 200)  # the password is untouched

    def test_a_new_address_gets_its_account_when_it_accepts(self):
        email = harness.unique_email("grace")
        invitation = self.invite(email, "editor")
        secret = password()
        self.assert_error(login(self.server, email, secret), 401, "invalid_credentials")  # no account yet
        joined = self.expect(self.accept(invitation["inviteToken"], password=secret, name="Grace Hopper"), 201)
        self.assertEqual((joined["email"], joined["name"], joined["role"], joined["tenantId"]),
                         (email, "Grace Hopper", "editor", self.org.id))
        token = self.expect(login(self.server, email, secret), 200)["token"]
        self.assertEqual(self.expect(self.request("GET", "/api/v1/" + self.org.id, token=token), 200)["role"], "editor")
        me = self.expect(self.request("GET", "/api/v1/me", token=token), 200)
        self.assertEqual((me["id"], me["name"]), (joined["accountId"], "Grace Hopper"))
        listed = {m["accountId"]: m for m in harness.page(self, self.server, members_path(self.org.id),
                                                         self.org.owner.token, limit=200)["items"]}
        self.assertEqual(listed[joined["accountId"]], {k: v for k, v in joined.items() if k != "tenantId"})
        self.assertNotIn(invitation["invitationId"], self.pending())

    def test_without_a_name_the_account_is_named_after_the_address(self):
        email = harness.unique_email("named")
        invitation = self.invite(email)
        joined = self.expect(self.accept(invitation["inviteToken"], password=password()), 201)
        self.assertEqual(joined["name"], email.split("@")[0])

    def test_an_existing_account_logs_in_to_accept(self):
        user = new_user(self.server)
        invitation = self.invite(user.email, "editor")
        resp = self.accept(invitation["inviteToken"], password=password())
        self.assert_error(resp, 409, "conflict")
        self.assertIn("log in", resp.json["error"]["message"])
        self.expect(login(self.server, user.email, user.password), 200)  # the password is untouched
        self.assertIn(invitation["invitationId"], self.pending(), "still pending")
        self.assertEqual(self.role_in(user), 404)
        self.assertEqual(self.expect(self.accept(invitation["inviteToken"], user), 201)["role"], "editor")

    def test_only_the_invited_account_accepts(self):
        invited, other = new_user(self.server), new_user(self.server)
        invitation = self.invite(invited.email)
        self.assert_error(self.accept(invitation["inviteToken"], other), 409, "conflict")
        self.assertEqual(self.role_in(other), 404)
        self.assertIn(invitation["invitationId"], self.pending())
        self.expect(self.accept(invitation["inviteToken"], invited), 201)

    def test_a_browser_session_accepts_with_its_csrf_token(self):
        user = new_user(self.server)
        invitation = self.invite(user.email)
        resp = self.request("POST", "/api/v1/auth/login",
                            body={"email": user.email, "password": user.password, "cookie": True})
        csrf = self.expect(resp, 200)["csrfToken"]
        session = re.search(r"slipway_session=([^;,]+)", resp.headers["set-cookie"]).group(1)
        self.server.remember_secret(session)
        body = {"token": invitation["inviteToken"]}
        without = self.request("POST", ACCEPT, body=body, headers={"Cookie": "slipway_session=" + session})
        self.assert_error(without, 403, "csrf_failed")
        self.assertIn(invitation["invitationId"], self.pending())
        joined = self.request("POST", ACCEPT, body=body,
                              headers={"Cookie": "slipway_session=" + session, "X-CSRF-Token": csrf})
        self.assertEqual(self.expect(joined, 201)["accountId"], user.id)

    def test_logged_in_accepts_take_no_password_or_name(self):
        user = new_user(self.server)
        invitation = self.invite(user.email)
        harness.assert_invalid(self, self.accept(invitation["inviteToken"], user, password=password(), name="X"),
                               ["password", "name"])
        harness.assert_invalid(self, self.accept(invitation["inviteToken"]), ["password"])  # nor a login: no account
        for bad in (harness.unknown_token(), "garbage"):
            with self.subTest(credentials=bad):
                resp = self.request("POST", ACCEPT, body={"token": invitation["inviteToken"]}, token=bad)
                self.assert_error(resp, 401, "unauthenticated")
        self.assertIn(invitation["invitationId"], self.pending())

    def test_inviting_a_member_conflicts_and_a_new_invitation_replaces_the_pending_one(self):
        self.assert_error(self.request("POST", members_path(self.org.id), body={"email": self.org.viewer.email.upper(),
                                                                                 "role": "owner"},
                                       token=self.org.owner.token), 409, "conflict")
        email = harness.unique_email("twice")
        first = self.invite(email, "viewer")
        second = self.invite(email.upper(), "editor")
        ours = [i for i in self.pending().values() if i["email"] == email]
        self.assertEqual([(i["id"], i["role"]) for i in ours], [(second["invitationId"], "editor")])
        self.assert_error(self.accept(first["inviteToken"], password=password()), 404, "not_found")
        self.assertEqual(self.expect(self.accept(second["inviteToken"], password=password()), 201)["role"], "editor")

    def test_bad_used_revoked_and_expired_tokens_answer_alike(self):
        def used():
            invitation = self.invite(harness.unique_email("used"))
            self.expect(self.accept(invitation["inviteToken"], password=password()), 201)
            return invitation["inviteToken"]

        def revoked():
            invitation = self.invite(harness.unique_email("revoked"))
            self.assertEqual(self.request("DELETE", invitations_path(self.org.id, invitation["invitationId"]),
                                          token=self.org.owner.token).status, 204)
            return invitation["inviteToken"]

        def expired():
            invitation = self.invite(harness.unique_email("expired"))
            fx.db_execute(self.server, "UPDATE tenant_invitations SET expiresAt = ? WHERE id = ?",
                          (PAST, invitation["invitationId"]))
            return invitation["inviteToken"]

        def replaced():
            email = harness.unique_email("replaced")
            token = self.invite(email)["inviteToken"]
            self.invite(email)
            return token

        def deleted_tenant():
            tenant = new_tenant(self.server, self.org.owner.token)
            token = self.invite(harness.unique_email("gone"), tenant_id=tenant["id"])["inviteToken"]
            self.assertEqual(self.request("DELETE", "/api/v1/" + tenant["id"], token=self.org.owner.token).status, 204)
            return token

        unknown = "slwi_" + harness.unknown_token()[4:]
        cases = {"used": used(), "revoked": revoked(), "expired": expired(), "replaced": replaced(),
                 "of a deleted tenant": deleted_tenant(), "an API token": self.outsider.token, "garbage": "x' OR '1'='1"}
        user = new_user(self.server)
        for how in ({"password": password()}, {"user": user}):
            baseline = self.accept(unknown, **how)
            self.assert_error(baseline, 404, "not_found")
            for label, token in cases.items():
                with self.subTest(token=label, logged_in="user" in how):
                    harness.assert_same_answer(self, self.accept(token, **how), baseline)
        self.assertEqual(harness.page(self, self.server, "/api/v1/tenants", user.token)["items"], [])

    def test_an_invitation_is_used_once_even_at_the_same_moment(self):
        email = harness.unique_email("race")
        invitation = self.invite(email, "editor")
        secrets = [password() for _ in range(6)]
        results = harness.concurrently(6, lambda i: self.accept(invitation["inviteToken"], password=secrets[i]))
        statuses = sorted(r.status for r in results)
        self.assertEqual(statuses.count(201), 1, [str(r) for r in results])
        for resp in results:
            if resp.status != 201:
                self.assertIn(resp.status, (404, 409), str(resp))
                self.assert_error(resp, resp.status, resp.json["error"]["code"])
        winner = secrets[[r.status for r in results].index(201)]
        self.expect(login(self.server, email, winner), 200)
        self.assertEqual(self.member_emails().count(email), 1)
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM accounts WHERE email = ?", (email,))
        self.assertEqual(rows[0][0], 1)

    # ---- pending invitations: the list and revoking

    def test_list_and_revoke(self):
        tenant = new_tenant(self.server, self.org.owner.token)
        made = [self.invite(harness.unique_email(r), r, tenant["id"]) for r in ("viewer", "editor", "owner")]
        pending = self.pending(tenant["id"])
        self.assertEqual(set(pending), {i["invitationId"] for i in made})
        for invitation in made:
            item = pending[invitation["invitationId"]]
            harness.assert_keys(self, item, PENDING_KEYS, "pending invitation")
            self.assertEqual((item["email"], item["role"], item["expiresAt"], item["invitedByAccountId"]),
                             (invitation["email"], invitation["role"], invitation["expiresAt"], self.org.owner.id))
            harness.assert_timestamp(self, item["createdAt"])
        text = json.dumps(pending)
        self.assertFalse(any(i["inviteToken"] in text for i in made), "the list never holds a token")
        harness.assert_paginates(self, self.server, invitations_path(tenant["id"]), self.org.owner.token,
                                 [i["invitationId"] for i in made])

        first = made[0]["invitationId"]
        revoke = lambda i: self.request("DELETE", invitations_path(tenant["id"], i), token=self.org.owner.token)  # noqa: E731
        self.assertEqual(revoke(first).status, 204)
        self.assertNotIn(first, self.pending(tenant["id"]))
        self.assertEqual(revoke(first).status, 204, "revoking twice changes nothing")
        self.assert_error(self.accept(made[0]["inviteToken"], password=password()), 404, "not_found")
        self.expect(self.accept(made[1]["inviteToken"], password=password()), 201)
        self.assert_error(revoke(made[1]["invitationId"]), 409, "conflict")
        self.assert_error(revoke(str(uuid.uuid4())), 404, "not_found")
        self.assert_error(self.request("DELETE", invitations_path(self.org.id, made[2]["invitationId"]),
                                       token=self.org.owner.token), 404, "not_found")  # another tenant's id
        self.assertEqual(set(self.pending(tenant["id"])), {made[2]["invitationId"]})

    def test_only_owners_invite_list_and_revoke(self):
        invitation = self.invite(harness.unique_email("owners-only"))
        for user in (self.org.editor, self.org.viewer, self.outsider):
            for method, path, body in (
                    ("POST", members_path(self.org.id), {"email": harness.unique_email("x"), "role": "viewer"}),
                    ("GET", invitations_path(self.org.id), None),
                    ("DELETE", invitations_path(self.org.id, invitation["invitationId"]), None)):
                with self.subTest(user=user, method=method):
                    fake = path.replace(self.org.id, str(uuid.uuid4()))
                    harness.assert_same_not_found(self, self.request(method, path, body=body, token=user.token),
                                                  self.request(method, fake, body=body, token=user.token))
        self.assertIn(invitation["invitationId"], self.pending())

    def test_accept_body_matrix(self):
        spec = harness.BodySpec(
            valid={"token": "slwi_" + "A" * 43, "password": password(), "name": "Matrix"},
            required=["token"],
            wrong_types={"token": harness.WRONG_TYPES, "password": (5, True, [], {}, 1.5),
                         "name": (5, True, [], {}, 1.5)},
            bad_values={"token": ("", "x" * 129), "password": ("", "short12", "x" * 1025),
                        "name": ("", "x" * 201, "tab\there")})
        harness.check_body_matrix(self, lambda **kw: self.request("POST", ACCEPT, **kw), spec)

    # ---- the audit trail: who invited, revoked and joined; never a token

    def test_audit_rows(self):
        tenant = new_tenant(self.server, self.org.owner.token)
        email = harness.unique_email("audited")
        revoked = self.invite(email, "viewer", tenant["id"])
        self.request("DELETE", invitations_path(tenant["id"], revoked["invitationId"]), token=self.org.owner.token)
        kept = self.invite(email, "editor", tenant["id"])
        joined = self.expect(self.accept(kept["inviteToken"], password=password()), 201)
        rows = harness.page(self, self.server, "/api/v1/%s/audit-logs" % tenant["id"], self.org.owner.token,
                            limit=200)["items"]
        mine = [(r["action"], r["targetId"], r["actorAccountId"], r["details"]) for r in rows
                if r["action"].startswith("member.")]
        self.assertEqual(sorted(mine, key=lambda r: r[:2]), sorted([
            ("member.invite", revoked["invitationId"], self.org.owner.id,
             {"email": email, "role": "viewer", "replacedPending": False}),
            ("member.invite.revoke", revoked["invitationId"], self.org.owner.id, {"email": email, "role": "viewer"}),
            ("member.invite", kept["invitationId"], self.org.owner.id,
             {"email": email, "role": "editor", "replacedPending": False}),
            ("member.join", joined["accountId"], joined["accountId"],
             {"role": "editor", "invitationId": kept["invitationId"], "accountCreated": True}),
        ], key=lambda r: r[:2]))
        text = json.dumps(rows)
        self.assertNotIn(kept["inviteToken"], text)
        self.assertNotIn(revoked["inviteToken"], text)


class InvitationTextTest(ApiTest):
    """Long non-ASCII addresses (issue 11, "text handled as text"): checked in characters, stored whole."""

    def test_a_long_non_ascii_address_is_invited_and_joins_whole(self):
        owner = new_user(self.server)
        tenant = new_tenant(self.server, owner.token)
        for local, domain in (("\u00e9" * 240, "example.com"), ("\u6f22" * 200, "\u00fc" * 40 + ".de"),
                              ("\U0001f6a2" * 120, "example.com")):
            email = "%s@%s" % (local, domain)
            with self.subTest(first=local[0], characters=len(email)):
                self.assertLessEqual(len(email), 254)
                invitation = self.expect(self.request("POST", members_path(tenant["id"]),
                                                      body={"email": email, "role": "viewer"}, token=owner.token), 201)
                self.server.remember_secret(invitation["inviteToken"])
                self.assertEqual(invitation["email"], email)
                secret = password()
                joined = self.expect(self.request("POST", ACCEPT, body={"token": invitation["inviteToken"],
                                                                        "password": secret}), 201)
                self.assertEqual(joined["email"], email)
                self.assertEqual(joined["name"], local[:200], "named after the address, at most 200 characters")
                members = harness.page(self, self.server, members_path(tenant["id"]), owner.token, limit=200)["items"]
                self.assertIn(email, [m["email"] for m in members])
                self.expect(login(self.server, email, secret), 200)
                _, rows = fx.db_query(self.server, "SELECT email, name FROM accounts WHERE id = ?", (joined["accountId"],))
                self.assertEqual(rows, [(email, local[:200])])

    def test_a_too_long_address_is_refused_and_changes_nothing(self):
        owner = new_user(self.server)
        tenant = new_tenant(self.server, owner.token)
        email = "\u00e9" * 243 + "@example.com"  # 255 characters
        resp = self.request("POST", members_path(tenant["id"]), body={"email": email, "role": "viewer"},
                            token=owner.token)
        harness.assert_invalid(self, resp, ["email"])
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM tenant_invitations WHERE tenantId = ?", (tenant["id"],))
        self.assertEqual(rows[0][0], 0)


# A trigger that fails the audit row of one tenant's member.join: the last statement of an accept.
FAIL_JOIN = {
    "sqlite": ["CREATE TRIGGER {name} BEFORE INSERT ON audit_logs WHEN NEW.action = 'member.join' AND "
               "NEW.tenantId = '{tenant}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END"],
    "postgres": ["CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.action = 'member.join' "
                 "AND NEW.tenantId = '{tenant}' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$",
                 "CREATE TRIGGER {name} BEFORE INSERT ON audit_logs FOR EACH ROW EXECUTE FUNCTION {name}()"],
    "mysql": ["CREATE TRIGGER {name} BEFORE INSERT ON audit_logs FOR EACH ROW BEGIN IF NEW.action = 'member.join' "
              "AND NEW.tenantId = '{tenant}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected failure'; "
              "END IF; END"],
}
DROP_FAIL_JOIN = {
    "sqlite": ["DROP TRIGGER {name}"],
    "postgres": ["DROP TRIGGER {name} ON audit_logs", "DROP FUNCTION {name}()"],
    "mysql": ["DROP TRIGGER {name}"],
}


class AcceptIsAllOrNothingTest(ApiTest):
    """An accept that fails at its last step leaves no account, no membership, and the invitation pending."""

    def run_sql(self, statements, **names):
        for sql in statements[harness.BACKEND]:
            fx.db_execute(self.server, sql.format(**names))

    def test_a_failed_accept_changes_nothing(self):
        owner, user = new_user(self.server), new_user(self.server)
        tenant = new_tenant(self.server, owner.token)
        new_email = harness.unique_email("atomic")
        invitations = []
        for email in (new_email, user.email):
            resp = self.request("POST", members_path(tenant["id"]), body={"email": email, "role": "editor"},
                                token=owner.token)
            invitations.append(self.expect(resp, 201))
            self.server.remember_secret(invitations[-1]["inviteToken"])
        names = {"name": "fail_join_" + uuid.uuid4().hex[:8], "tenant": tenant["id"]}
        self.run_sql(FAIL_JOIN, **names)
        try:
            secret = password()
            attempts = [self.request("POST", ACCEPT, body={"token": invitations[0]["inviteToken"], "password": secret}),
                        self.request("POST", ACCEPT, body={"token": invitations[1]["inviteToken"]}, token=user.token)]
        finally:
            self.run_sql(DROP_FAIL_JOIN, **names)
        for resp in attempts:
            self.assertGreaterEqual(resp.status, 400, str(resp))
            self.assert_error(resp, resp.status, resp.json["error"]["code"])  # with its request id, a 500 too
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM accounts WHERE email = ?", (new_email,))
        self.assertEqual(rows[0][0], 0, "no account was left behind")
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM tenant_members WHERE tenantId = ?", (tenant["id"],))
        self.assertEqual(rows[0][0], 1, "the owner alone")
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM tenant_invitations WHERE tenantId = ? "
                                           "AND acceptedAt IS NULL AND revokedAt IS NULL", (tenant["id"],))
        self.assertEqual(rows[0][0], 2, "both still pending")
        # and once the fault is gone, both accept
        self.expect(self.request("POST", ACCEPT, body={"token": invitations[0]["inviteToken"], "password": secret}), 201)
        self.expect(self.request("POST", ACCEPT, body={"token": invitations[1]["inviteToken"]}, token=user.token), 201)
        self.expect(login(self.server, new_email, secret), 200)


class InvitationRateTest(ApiTest):
    server_env = {"SLIPWAY_INVITE_RATE": "4"}

    def invite(self, org, email):
        return self.request("POST", members_path(org.id), body={"email": email, "role": "viewer"}, token=org.owner.token)

    def test_a_tenant_makes_at_most_SLIPWAY_INVITE_RATE_invitations_an_hour(self):
        org, other = new_org(self.server), new_org(self.server)  # each: its editor's and viewer's invitations
        for _ in range(2):
            invitation = self.expect(self.invite(org, harness.unique_email("burst")), 201)
            self.server.remember_secret(invitation["inviteToken"])
        refused = self.invite(org, harness.unique_email("burst"))
        self.assert_error(refused, 429, "rate_limited")
        self.assertRegex(refused.headers.get("retry-after", ""), r"^\d+$")
        self.assertTrue(1 <= int(refused.headers["retry-after"]) <= 3601, refused.headers["retry-after"])
        pending = harness.page(self, self.server, invitations_path(org.id), org.owner.token, limit=200)["items"]
        self.assertEqual(2, len(pending), "the refused one was not made")
        # Another tenant has its own count; POST .../invitations is the same as POST .../members, and counts alike.
        resp = self.request("POST", invitations_path(other.id), body={"email": harness.unique_email("alias"), "role": "editor"},
                            token=other.owner.token)
        invitation = self.expect(resp, 201)
        self.server.remember_secret(invitation["inviteToken"])
        self.assertEqual("editor", invitation["role"])
        self.assertRegex(invitation["inviteToken"], INVITE_RE)
        self.server.remember_secret(self.expect(self.invite(other, harness.unique_email("elsewhere")), 201)["inviteToken"])
        self.assert_error(self.request("POST", invitations_path(other.id), body={"email": harness.unique_email("x"), "role": "viewer"},
                                       token=other.owner.token), 429, "rate_limited")


if __name__ == "__main__":
    unittest.main()
