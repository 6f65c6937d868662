"""The instance administrator (docs/accounts.md): the first account sees every
tenant and account, creates a tenant for its first owner (by an owner
invitation), disables and enables accounts, and shares the role; to anyone
else the routes do not exist. Serve's first start leaves no token nobody saw."""

import os
import re
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness
from harness import ApiTest, login, new_org, new_user, unique_email

tearDownModule = harness.stop_shared_server

TENANTS, ACCOUNTS = "/api/v1/admin/tenants", "/api/v1/admin/accounts"


class AdminTest(ApiTest):
    def setUp(self):
        self.admin = self.server.admin["token"]

    def account(self, account_id):
        return self.expect(self.patch(account_id, {}), 200)  # an empty change answers the account as it is

    def patch(self, account_id, body, token=None):
        return self.request("PATCH", "%s/%s" % (ACCOUNTS, account_id), body=body, token=token or self.admin)

    def test_only_the_administrator_sees_the_routes(self):
        org = new_org(self.server)
        target = org.viewer.id
        calls = [("GET", TENANTS, None), ("POST", TENANTS, {"orgName": "Nope", "ownerEmail": unique_email()}),
                 ("GET", ACCOUNTS, None), ("PATCH", "%s/%s" % (ACCOUNTS, target), {"disabled": True})]
        for role in harness.ROLES:
            for method, path, body in calls:
                with self.subTest(role=role, route=method + " " + path):
                    self.assert_error(self.request(method, path, body=body, token=org.by_role(role).token), 404, "not_found")
        for method, path, body in calls:
            self.assert_error(self.request(method, path, body=body), 401, "unauthenticated")
        self.assertIsNone(self.account(target)["disabledAt"], "nothing changed")

    def test_every_tenant_and_account_listed(self):
        org = new_org(self.server)
        # Every test file shares this server and adds accounts and tenants meanwhile: one page, newest first, holds ours.
        tenants = harness.page(self, self.server, TENANTS, self.admin, limit=200)["items"]
        mine = [t for t in tenants if t["id"] == org.id][0]
        self.assertEqual((mine["orgName"], mine["memberCount"]), (org.tenant["orgName"], 3))
        accounts = harness.page(self, self.server, ACCOUNTS, self.admin, limit=200)["items"]
        self.assertLessEqual({org.by_role(r).id for r in harness.ROLES}, {a["id"] for a in accounts})
        first = self.expect(self.patch(self.server.admin["accountId"], {}), 200)  # an empty change reads it
        self.assertTrue(first["instanceAdmin"], "the first account administers the instance")
        self.assertFalse([a for a in accounts if a["id"] == org.owner.id][0]["instanceAdmin"])
        for a in accounts:
            self.assertNotIn("passwordHash", a)
            self.assertTrue(a["hasPassword"])

    def test_a_tenant_for_a_new_owner(self):
        email = unique_email("customer")
        made = self.expect(self.request("POST", TENANTS, body={"orgName": "Customer One", "ownerEmail": email.upper()},
                                        token=self.admin), 201)
        self.server.remember_secret(made["invitation"]["inviteToken"])
        tenant, invite = made["tenant"], made["invitation"]
        self.assertEqual((tenant["orgName"], tenant["memberCount"]), ("Customer One", 0))
        self.assertEqual((invite["email"], invite["role"]), (email, "owner"))
        listed = [t for t in harness.page(self, self.server, TENANTS, self.admin, limit=200)["items"] if t["id"] == tenant["id"]]
        self.assertEqual(listed[0]["memberCount"], 0, "no member until the owner accepts")
        self.assert_error(self.request("GET", "/api/v1/" + tenant["id"], token=self.admin), 404, "not_found")
        joined = self.expect(self.request("POST", "/api/v1/invitations/accept",
                                          body={"token": invite["inviteToken"], "password": "pw-customer-one"}), 201)
        owner = self.expect(login(self.server, email, "pw-customer-one"), 200)["token"]
        got = self.expect(self.request("GET", "/api/v1/" + tenant["id"], token=owner), 200)
        self.assertEqual(got["role"], "owner")
        self.assertEqual(joined["role"], "owner")

    def test_a_tenant_for_an_existing_account_is_still_an_invitation(self):
        user = new_user(self.server)
        made = self.expect(self.request("POST", TENANTS, body={"orgName": "Second", "ownerEmail": user.email},
                                        token=self.admin), 201)
        self.server.remember_secret(made["invitation"]["inviteToken"])
        self.assertEqual(harness.page(self, self.server, "/api/v1/tenants", user.token)["items"], [],
                         "nobody is placed in a tenant they did not accept")
        self.expect(self.request("POST", "/api/v1/invitations/accept", body={"token": made["invitation"]["inviteToken"]},
                                 token=user.token), 201)
        self.assertEqual([t["id"] for t in harness.page(self, self.server, "/api/v1/tenants", user.token)["items"]],
                         [made["tenant"]["id"]])

    def test_disable_revokes_and_refuses_every_way_in(self):
        org = new_org(self.server)
        user = org.editor
        spare = harness.create_token(self.server, user.token)["token"]
        self.server.remember_secret(spare)
        body = self.expect(self.patch(user.id, {"disabled": True}), 200)
        self.assertIsNotNone(body["disabledAt"])
        for token in (user.token, spare):
            self.assert_error(self.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")
        refused = self.assert_error(login(self.server, user.email, user.password), 401, "invalid_credentials")
        self.assertEqual(refused, [])
        self.assert_error(login(self.server, user.email, "wrong-" + user.password), 401, "invalid_credentials")
        # Enabled again: the password works; the old tokens stay revoked.
        self.assertIsNone(self.expect(self.patch(user.id, {"disabled": False}), 200)["disabledAt"])
        self.expect(login(self.server, user.email, user.password), 200)
        self.assert_error(self.request("GET", "/api/v1/me", token=spare), 401, "unauthenticated")
        rows = harness.page(self, self.server, "/api/v1/me/audit-logs", self.admin, action="admin.account.update")["items"]
        mine = [r for r in rows if r["targetId"] == user.id]
        self.assertEqual([r["details"] for r in mine], [{"disabled": False}, {"disabled": True}])

    def test_the_instance_keeps_an_administrator(self):
        me = self.server.admin["accountId"]
        self.assert_error(self.patch(me, {"disabled": True}), 409, "conflict")
        self.assert_error(self.patch(me, {"instanceAdmin": False}), 409, "conflict")
        other = new_user(self.server)
        self.assertTrue(self.expect(self.patch(other.id, {"instanceAdmin": True}), 200)["instanceAdmin"])
        self.expect(self.request("GET", ACCOUNTS, token=other.token), 200)
        # Two administrators: one may step down (and is then refused), the other stays.
        self.assertFalse(self.expect(self.patch(other.id, {"instanceAdmin": False}, token=other.token), 200)["instanceAdmin"])
        self.assert_error(self.request("GET", ACCOUNTS, token=other.token), 404, "not_found")
        self.assertTrue(self.account(me)["instanceAdmin"])
        # A disabled administrator is not one who can log in: changing it leaves the count as it is.
        self.expect(self.patch(other.id, {"instanceAdmin": True}), 200)
        self.expect(self.patch(other.id, {"disabled": True}), 200)
        self.assertFalse(self.expect(self.patch(other.id, {"instanceAdmin": False}), 200)["instanceAdmin"])
        self.expect(self.patch(other.id, {"disabled": False}), 200)

    def test_unknown_account(self):
        self.assert_error(self.patch("0190a0a0-0000-7000-8000-000000000000", {"disabled": True}), 404, "not_found")


class SignupTest(ApiTest):
    """Open sign-up: on in the shared test server (SHARED_ENV), so the catalogues reach it."""

    def test_signup_makes_an_account_a_tenant_and_a_login(self):
        email = unique_email("signup")
        body = self.expect(self.request("POST", "/api/v1/auth/signup", body={
            "email": email, "password": "pw-sign-up-1", "orgName": "Signed Up", "name": "Grace"}), 201)
        self.server.remember_secret(body["token"])
        self.assertEqual((body["account"]["email"], body["account"]["name"]), (email, "Grace"))
        self.assertEqual((body["tenant"]["orgName"], body["tenant"]["role"]), ("Signed Up", "owner"))
        got = self.expect(self.request("GET", "/api/v1/" + body["tenant"]["id"], token=body["token"]), 200)
        self.assertEqual(got["role"], "owner")
        self.expect(login(self.server, email, "pw-sign-up-1"), 200)
        again = self.request("POST", "/api/v1/auth/signup", body={"email": email.upper(), "password": "pw-other-22",
                                                                 "orgName": "Twice"})
        self.assert_error(again, 409, "conflict")
        self.assertFalse([t for t in harness.page(self, self.server, TENANTS, self.server.admin["token"], limit=200)["items"]
                          if t["orgName"] == "Twice"], "a refused sign-up makes nothing")
        # The login page links to the form only when sign-up is on.
        self.assertTrue(self.expect(self.request("GET", "/api/v1/auth/options"), 200)["signup"])

    def test_short_password_refused(self):
        resp = self.request("POST", "/api/v1/auth/signup", body={"email": unique_email(), "password": "short",
                                                                "orgName": "X"})
        self.assert_error(resp, 400, "invalid_request")


class SignupOffTest(ApiTest):
    server_env = {}  # a server of its own, with the default settings

    def test_off_by_default_answers_404(self):
        resp = self.request("POST", "/api/v1/auth/signup", body={"email": unique_email(), "password": "pw-long-enough",
                                                                "orgName": "Nope"})
        self.assert_error(resp, 404, "not_found")
        self.assertIn("sign-up is off", resp.json["error"]["message"])
        self.assertEqual(self.expect(self.request("GET", "/api/v1/auth/options"), 200),
                         {"signup": False, "passwordReset": False})


class PasswordChangeTest(ApiTest):
    PATH = "/api/v1/me/password"

    def test_change_ends_the_other_sessions(self):
        user = new_user(self.server)
        other = login(self.server, user.email, user.password).json["token"]
        api = harness.create_token(self.server, user.token)["token"]
        self.server.remember_secret(api)
        body = self.expect(self.request("PUT", self.PATH, body={"currentPassword": user.password,
                                                                "newPassword": "pw-new-secret-1"}, token=user.token), 200)
        self.assertEqual(body, {"tokensRevoked": 2})
        self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)
        for token in (other, api):
            self.assert_error(self.request("GET", "/api/v1/me", token=token), 401, "unauthenticated")
        self.assert_error(login(self.server, user.email, user.password), 401, "invalid_credentials")
        self.expect(login(self.server, user.email, "pw-new-secret-1"), 200)
        rows = harness.page(self, self.server, "/api/v1/me/audit-logs", user.token, action="auth.password.change")["items"]
        self.assertEqual([r["details"] for r in rows], [{"tokensRevoked": 2}])

    def test_wrong_current_password_changes_nothing(self):
        user = new_user(self.server)
        resp = self.request("PUT", self.PATH, body={"currentPassword": "not-" + user.password, "newPassword": "pw-never-used"},
                            token=user.token)
        details = self.assert_error(resp, 400, "invalid_request")
        self.assertEqual([d["field"] for d in details], ["currentPassword"])
        self.expect(login(self.server, user.email, user.password), 200)
        short = self.request("PUT", self.PATH, body={"currentPassword": user.password, "newPassword": "short"}, token=user.token)
        self.assert_error(short, 400, "invalid_request")
        self.assert_error(self.request("PUT", self.PATH, body={"currentPassword": "x", "newPassword": "pw-long-enough"}),
                          401, "unauthenticated")


class FirstStartTest(unittest.TestCase):
    """`slipway serve` on an empty database: the owner and tenant, the password printed once, and no token."""

    def test_first_start_leaves_no_unseen_token(self):
        tmp = tempfile.mkdtemp(prefix="slipway-first-start-")
        db = os.path.join(tmp, "slipway.db")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        env.update(harness.TEST_ENV, SLIPWAY_DATABASE_URL=harness.database_url(db),
                   SLIPWAY_LISTEN="127.0.0.1:%d" % harness.free_port(), SLIPWAY_ADMIN_EMAIL="first@example.com",
                   SLIPWAY_ADMIN_ORG="First Team")
        log = open(os.path.join(tmp, "stderr.log"), "w+")
        proc = subprocess.Popen([harness.binary_path(), "serve", "--migrate"], env=env, cwd=tmp, stdout=subprocess.PIPE,
                                stderr=log, text=True)
        try:
            out, deadline = "", time.monotonic() + 30
            while "password:" not in out and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line:
                    break
                out += line
            if not re.search(r"password: \S+", out):
                log.seek(0)
                self.fail("the password is not printed (exit %s); stdout %r; the log ends:\n%s" %
                          (proc.poll(), out, log.read()[-3000:]))
        finally:
            proc.kill()
            proc.wait()
            log.seek(0)
            logged = log.read()
            log.close()
        password = re.search(r"password: (\S+)", out).group(1)
        self.assertNotIn(password, logged, "the password in the log")
        with sqlite3.connect(db) as c:
            self.assertNotIn(password, c.execute("SELECT passwordHash FROM accounts").fetchone()[0])
            self.assertEqual(c.execute("SELECT COUNT(*) FROM api_tokens").fetchone()[0], 0)
            self.assertEqual(c.execute("SELECT email, instanceAdmin FROM accounts").fetchall(), [("first@example.com", 1)])
        self.assertIsNone(re.search(r"slw_", out), "no token printed either")


if __name__ == "__main__":
    unittest.main()
