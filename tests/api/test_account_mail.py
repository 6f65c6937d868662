"""The instance's own mail (docs/accounts.md): with SLIPWAY_SMTP_URL set, an invitation is mailed with its accept
link (and its token is not in the answer), and a forgotten password is reset by a mailed single-use link: an
unknown address still answers 202 and gets no mail, the link works once and revokes every session, a disabled
account and an account whose every tenant requires single sign-on are refused. The mail server is the SMTP fake
(STARTTLS, AUTH), as for a tenant's e-mail integration."""

import email
import email.policy
import json
import re
import time
import unittest

import harness
import integration_fixtures as fx
import test_release_builds
import verify_fixtures as vf
from harness import login, new_org, new_tenant, unique_email

USER = "slipway-instance-mail"
FROM = "slipway@example.com"
NEXT = "3333333333333333333333333333333333333333"  # the release branch's commit of candidate 2
RESET, CONFIRM = "/api/v1/auth/password-reset", "/api/v1/auth/password-reset/confirm"


def tearDownModule():
    vf.stop_servers()


def mail_server():
    """(server, fakes): the module's server with instance mail (the SMTP fake), started by the first class that asks."""
    fakes = vf.fakes()
    if "mail" not in vf._servers:
        password = fx.token("smtp-", 24)
        fakes.register("smtp", {"users": {USER: password}})
        extra = {"SLIPWAY_SMTP_URL": "smtp://127.0.0.1:%d" % fakes.smtp_port, "SLIPWAY_SMTP_USER": USER,
                 "SLIPWAY_SMTP_PASSWORD": password, "SLIPWAY_SMTP_FROM": FROM,
                 "SLIPWAY_PUBLIC_URL": "http://127.0.0.1:{port}", "SLIPWAY_JOB_POLL_MS": "100"}
        vf._servers["mail"] = vf.start_server(fakes, extra=extra)
        vf._servers["mail"].remember_secret(password)
    return vf._servers["mail"], fakes


class AccountMailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server, cls.fakes = mail_server()
        cls.base = "http://127.0.0.1:%d" % cls.server.port

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token)

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def mails_to(self, address, kind, count=1, seconds=20):
        """The messages to address with a /#/kind/ link, once there are count of them: (message, session). Every
        session is read (the outbound loop reuses an SMTP connection, so a message may join an older session); the
        addresses are unique to a test."""
        deadline = time.monotonic() + seconds
        while True:
            found = [(msg, s) for e in self.fakes.requests("smtp") if "session" in e
                     for s in [e["session"]] for m in s["messages"] if any(address in r for r in m["to"])
                     for msg in [email.message_from_string(m["data"], policy=email.policy.default)]
                     if "/#/%s/" % kind in msg.get_body(("plain",)).get_content()]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def link(self, message, kind, prefix):
        text = message.get_body(("plain",)).get_content()
        m = re.search(re.escape(self.base) + r"/#/%s/(%s[A-Za-z0-9_-]{43})" % (kind, prefix), text)
        self.assertIsNotNone(m, text)
        self.server.remember_secret(m.group(1))
        return m.group(1)

    def tenant(self):
        """A new tenant the administrator owns: (tenant, the owner's token)."""
        return new_tenant(self.server, self.server.admin["token"]), self.server.admin["token"]

    def member(self, tenant, owner, role):
        """A new account that joined tenant with role through the mailed link, logged in."""
        address, password = unique_email(role), "pw-" + fx.token("", 16)
        self.expect(self.request("POST", "/api/v1/%s/members" % tenant["id"], {"email": address, "role": role}, owner), 201)
        mails = self.mails_to(address, "invite")
        self.assertEqual(len(mails), 1, mails)
        token = self.link(mails[0][0], "invite", "slwi_")
        joined = self.expect(self.request("POST", "/api/v1/invitations/accept", {"token": token, "password": password}), 201)
        session = self.expect(login(self.server, address, password), 200)["token"]
        self.server.remember_secret(session)
        return harness.User(joined["accountId"], address, password, session)

    # -- invitations ------------------------------------------------------------------

    def test_an_invitation_is_mailed_with_a_working_link(self):
        tenant, owner = self.tenant()
        address = unique_email("invited")
        made = self.expect(self.request("POST", "/api/v1/%s/members" % tenant["id"], {"email": address, "role": "editor"},
                                        owner), 201)
        self.assertEqual(made["delivery"], "email")
        self.assertNotIn("inviteToken", made, "mailed: only the invitee sees the token")
        mails = self.mails_to(address, "invite")
        self.assertEqual(len(mails), 1, mails)
        message, session = mails[0]
        self.assertTrue(session["tls"], "STARTTLS before anything else")
        self.assertEqual(session["auth"], USER)
        self.assertEqual(message["From"], FROM)
        self.assertIn(tenant["orgName"], message["Subject"])
        token = self.link(message, "invite", "slwi_")
        joined = self.expect(self.request("POST", "/api/v1/invitations/accept", {"token": token, "password": "pw-invited-1"}),
                             201)
        self.assertEqual(joined["role"], "editor")
        self.expect(login(self.server, address, "pw-invited-1"), 200)
        self.assert_error(self.request("POST", "/api/v1/invitations/accept", {"token": token, "password": "pw-invited-2"}),
                          404, "not_found")

    # -- password reset ----------------------------------------------------------------

    def assert_error(self, resp, status, code):
        harness.assert_error(self, resp, status, code)

    def reset_link(self, address, count=1):
        mails = self.mails_to(address, "reset", count)
        self.assertEqual(len(mails), count, mails)
        self.assertIn("password", mails[-1][0]["Subject"].lower())
        return self.link(mails[-1][0], "reset", "slwr_")

    def test_reset_by_mail_once_and_every_session_revoked(self):
        user = self.member(*self.tenant(), "editor")
        other = self.expect(login(self.server, user.email, user.password), 200)["token"]
        self.expect(self.request("POST", RESET, {"email": user.email.upper()}), 202)
        token = self.reset_link(user.email)
        done = self.expect(self.request("POST", CONFIRM, {"token": token, "password": "pw-reset-new-1"}), 200)
        self.assertGreaterEqual(done["tokensRevoked"], 2)
        for t in (user.token, other):
            self.assert_error(self.request("GET", "/api/v1/me", token=t), 401, "unauthenticated")
        self.assert_error(login(self.server, user.email, user.password), 401, "invalid_credentials")
        self.expect(login(self.server, user.email, "pw-reset-new-1"), 200)
        self.assert_error(self.request("POST", CONFIRM, {"token": token, "password": "pw-reset-new-2"}), 404, "not_found")
        self.expect(login(self.server, user.email, "pw-reset-new-1"), 200)

    def test_an_unknown_address_gets_202_and_no_mail(self):
        address = unique_email("nobody")
        known = self.member(*self.tenant(), "viewer")
        a = self.expect(self.request("POST", RESET, {"email": address}), 202)
        b = self.expect(self.request("POST", RESET, {"email": known.email}), 202)
        self.assertEqual(a, b, "the same answer whether or not an account has the address")
        self.assertEqual(len(self.mails_to(known.email, "reset")), 1)
        self.assertEqual(self.mails_to(address, "reset", seconds=0), [], "no reset row, so no job: nothing to wait for")
        self.assertTrue(self.expect(self.request("GET", "/api/v1/auth/options"), 200)["passwordReset"], "the login page's link")

    def test_an_expired_link_is_refused(self):
        user = self.member(*self.tenant(), "viewer")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        token = self.reset_link(user.email)
        fx.db_execute(self.server, "UPDATE password_resets SET expiresAt = createdAt WHERE accountId = ?", (user.id,))
        self.assert_error(self.request("POST", CONFIRM, {"token": token, "password": "pw-expired-1"}), 404, "not_found")
        self.expect(login(self.server, user.email, user.password), 200)

    def test_single_sign_on_keeps_the_password_unless_break_glass(self):
        tenant, _ = self.tenant()
        user = self.member(tenant, self.server.admin["token"], "owner")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        token = self.reset_link(user.email)
        fx.db_execute(self.server, "UPDATE tenants SET ssoRequired = ? WHERE id = ?", (True, tenant["id"]))
        fx.touch_tenant(self.server, tenant["id"])
        try:
            self.assert_error(self.request("POST", CONFIRM, {"token": token, "password": "pw-sso-1"}), 403, "sso_required")
            fx.db_execute(self.server, "UPDATE tenants SET breakGlassAccountId = ? WHERE id = ?", (user.id, tenant["id"]))
            self.expect(self.request("POST", CONFIRM, {"token": token, "password": "pw-sso-1"}), 200)
        finally:
            fx.db_execute(self.server, "UPDATE tenants SET ssoRequired = ?, breakGlassAccountId = NULL WHERE id = ?",
                          (False, tenant["id"]))
            fx.touch_tenant(self.server, tenant["id"])

    def test_a_first_password_for_an_account_without_one(self):
        """An account single sign-on made (no password: the test clears it) sets its first password by a mailed link."""
        user = self.member(*self.tenant(), "editor")
        fx.db_execute(self.server, "UPDATE accounts SET passwordHash = NULL WHERE id = ?", (user.id,))
        me = self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)
        self.assertEqual((me["hasPassword"], me["passwordAllowed"]), (False, True))
        self.assert_error(self.request("PUT", "/api/v1/me/password", {"currentPassword": user.password,
                                                                      "newPassword": "pw-first-1"}, token=user.token),
                          409, "conflict")  # no session sets it alone
        self.assert_error(self.request("POST", "/api/v1/me/totp", token=user.token), 409, "conflict")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        self.expect(self.request("POST", CONFIRM, {"token": self.reset_link(user.email), "password": "pw-first-1"}), 200)
        again = self.expect(login(self.server, user.email, "pw-first-1"), 200)["token"]
        self.server.remember_secret(again)
        self.assertTrue(self.expect(self.request("GET", "/api/v1/me", token=again), 200)["hasPassword"])

    def test_bad_tokens_refused(self):
        self.assert_error(self.request("POST", CONFIRM, {"token": "slwr_" + "A" * 43, "password": "pw-whatever"}), 404,
                          "not_found")
        for token in ("slwi_" + "A" * 43, "nope"):  # not a reset token's shape
            self.assert_error(self.request("POST", CONFIRM, {"token": token, "password": "pw-whatever"}), 400,
                              "invalid_request")

    def test_a_disabled_account_is_refused(self):
        user = self.member(*self.tenant(), "viewer")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        token = self.reset_link(user.email)
        admin = self.server.admin["token"]
        self.expect(self.request("PATCH", "/api/v1/admin/accounts/%s" % user.id, {"disabled": True}, admin), 200)
        self.assert_error(self.request("POST", CONFIRM, {"token": token, "password": "pw-disabled-1"}), 409, "conflict")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)  # disabled: no mail
        self.expect(self.request("PATCH", "/api/v1/admin/accounts/%s" % user.id, {"disabled": False}, admin), 200)
        self.assert_error(login(self.server, user.email, "pw-disabled-1"), 401, "invalid_credentials")
        self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        self.reset_link(user.email, count=2)  # the first and this one: none while it was disabled

    def test_three_mails_an_account_at_most(self):
        """At most three mails an account in 30 minutes, whoever asks."""
        user = self.member(*self.tenant(), "viewer")
        for _ in range(4):
            self.expect(self.request("POST", RESET, {"email": user.email}), 202)
        mails = self.mails_to(user.email, "reset", count=3)
        self.assertEqual(len(mails), 3)
        tokens = [self.link(m, "reset", "slwr_") for m, _ in mails]
        self.expect(self.request("POST", CONFIRM, {"token": tokens[0], "password": "pw-window-1"}), 200)
        for t in tokens[1:]:  # the account's other pending resets end with the one used
            self.assert_error(self.request("POST", CONFIRM, {"token": t, "password": "pw-window-2"}), 404, "not_found")

    # -- a deployment's approvers ------------------------------------------------------

    def test_each_approver_of_a_deployment_is_mailed_once(self):
        """A deployment to a protected environment asks each member of an approver role by mail (docs/notifications.md):
        the editor gets one mail with the deployment's names and its page; the requester (the owner), a viewer and a
        disabled editor get none; one job per approver (its dedupe key), each run once."""
        tenant, owner = self.tenant()
        editor, viewer, gone = (self.member(tenant, owner, role) for role in ("editor", "viewer", "editor"))
        self.expect(self.request("PATCH", "/api/v1/admin/accounts/%s" % gone.id, {"disabled": True}, owner), 200)
        base = "/api/v1/%s" % tenant["id"]
        host = self.expect(self.request("POST", base + "/hosts", {
            "name": "web-1", "address": "127.0.0.1", "port": 22, "username": "deploy", "authMethod": "password",
            "secret": "never-used-" + fx.token("", 16)}, owner), 201)
        script = self.expect(self.request("POST", base + "/deployment-scripts", {"name": "ship", "body": "true\n"}, owner), 201)
        env = self.expect(self.request("POST", base + "/environments", {"name": "production", "protected": True}, owner), 201)
        dep = self.expect(self.request("POST", base + "/deployments", {
            "hostId": host["id"], "scriptId": script["id"], "environmentId": env["id"]}, owner), 201)
        self.assertEqual(dep["status"], "AWAITING_APPROVAL")
        mails = self.mails_to(editor.email, "t")
        self.assertEqual(len(mails), 1, mails)
        message = mails[0][0]
        self.assertEqual(message["From"], FROM)
        self.assertEqual(message["Subject"], "Approval needed: ship on web-1 to production")
        text = message.get_body(("plain",)).get_content()
        self.assertIn("asks to deploy ship on web-1 to production", text)
        self.assertIn("%s/#/t/%s/deployments/%s" % (self.base, tenant["id"], dep["id"]), text)
        self.assertIn("production", message.get_body(("html",)).get_content())

        def settled():
            _, rows = fx.db_query(self.server, "SELECT dedupeKey, state FROM jobs WHERE kind = 'approval-mail' AND tenantId = ?",
                                  (tenant["id"],))
            return rows if rows and all(state == "DONE" for _, state in rows) else None
        self.assertTrue(vf.wait_for(settled, 20), "the approval mail's job ends")
        self.assertEqual(settled(), [("approval-mail:%s:%s" % (dep["id"], editor.id), "DONE")])
        _, [(payload,)] = fx.db_query(self.server, "SELECT payload FROM jobs WHERE kind = 'approval-mail' AND tenantId = ?",
                                      (tenant["id"],))
        self.assertEqual(json.loads(payload)["url"], "%s/#/t/%s/deployments/%s" % (self.base, tenant["id"], dep["id"]))
        for address in (viewer.email, gone.email, self.server.admin["email"]):
            self.assertEqual(self.mails_to(address, "t/%s/deployments" % tenant["id"], seconds=0), [], address)
        self.assertEqual(len(self.mails_to(editor.email, "t", count=2, seconds=0)), 1, "one mail, once")


class ReleaseApprovalMailTest(unittest.TestCase):
    """A release whose candidate waits for its regression approvals asks each approver by mail (docs/notifications.md
    "Approvers asked by mail"): the release built on the GitHub and GitHub Actions fakes, on the server with mail."""
    _a, _b = AccountMailTest, test_release_builds.ReleaseBuildsTest
    request, expect, mails_to, link, member = _a.request, _a.expect, _a.mails_to, _a.link, _a.member
    pipeline, create, read, wait, triggered, finish = _b.pipeline, _b.create, _b.read, _b.wait, _b.triggered, _b.finish
    del _a, _b

    @classmethod
    def setUpClass(cls):
        cls.server, cls.fakes = mail_server()
        cls.base = "http://127.0.0.1:%d" % cls.server.port

    def setUp(self):
        """A tenant the administrator owns (the release's starter), with an editor and a viewer who joined by mail."""
        self.mark = self.fakes.mark()
        tenant, admin = new_tenant(self.server, self.server.admin["token"]), self.server.admin
        self.tenant = tenant["id"]
        self.owner = harness.User(admin["accountId"], admin["email"], admin["password"], admin["token"])
        editor, viewer = (self.member(tenant, admin["token"], role) for role in ("editor", "viewer"))
        self.ctx = vf.Ctx(self.server, self.fakes, org=harness.Org(tenant, self.owner, editor, viewer))
        fx.ready_for_releases(self, self.server, self.owner.token, self.tenant)

    def tearDown(self):
        self.ctx.absorb_wire_secrets(self.mark)

    def jobs(self):
        _, rows = fx.db_query(self.server, "SELECT dedupeKey, state FROM jobs WHERE kind = 'approval-mail' AND tenantId = ? "
                              "ORDER BY dedupeKey", (self.tenant,))
        return rows

    def settled(self, count):
        """The tenant's approval-mail jobs once count of them are DONE."""
        def done():
            rows = self.jobs()
            return rows if len(rows) == count and all(state == "DONE" for _, state in rows) else None
        self.assertTrue(vf.wait_for(done, 30), "the approval mails' jobs end: %s" % self.jobs())
        return done()

    def asked(self, address, candidate, count):
        """The mails to address about candidate, once count of them came (waiting a little for one more)."""
        subject = "Approval needed: release 1.2.0, candidate %d" % candidate
        return [m for m, _ in self.mails_to(address, "t", count=count + 1, seconds=1 if count else 0) if m["Subject"] == subject]

    def test_each_approver_of_a_release_candidate_is_mailed_once(self):
        """Of the owner (who started the release), two editors, a viewer and a disabled editor, with approvalRoles
        owner and editor: each editor gets one mail for candidate 1 with the release's version, candidate and page;
        the starter, the viewer and the disabled editor none. The editor approves candidate 1; candidate 2, built,
        asks both editors again (an approval of candidate 1 does not count), once each: one job per approver a
        candidate (the dedupe key)."""
        editor, viewer = self.ctx.org.editor, self.ctx.org.viewer
        other, gone = (self.member(self.ctx.org.tenant, self.owner.token, "editor") for _ in range(2))
        self.expect(self.request("PATCH", "/api/v1/admin/accounts/%s" % gone.id, {"disabled": True}, self.owner.token), 200)
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant,
                                 {"approvalRoles": ["owner", "editor"], "approvalCount": 2}, self.owner.token), 200)
        _, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("1.2.0", scm)["id"])
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        page = "%s/#/t/%s/releases/%s" % (self.base, self.tenant, rel["id"])
        key = "approval-mail:%s:%%d:%%s" % rel["id"]
        self.assertEqual(self.settled(2), sorted([(key % (1, a.id), "DONE") for a in (editor, other)]))
        for person in (editor, other):
            [message] = self.asked(person.email, 1, 1)
            self.assertEqual(message["From"], FROM)
            text = message.get_body(("plain",)).get_content()
            self.assertIn("Release 1.2.0, candidate 1 (v1.2.0-rc.1), is built and waits for its regression approvals", text)
            self.assertIn("It waits for 2 approvals from members who are owner or editor", text)
            self.assertIn(page, text)
            html = message.get_body(("html",)).get_content()
            self.assertIn("<strong>1.2.0</strong>", html)
            self.assertIn('href="%s"' % page, html)
            self.assertNotIn(rel["id"], text.replace(page, ""), "the release's id only in its link")
        for address in (self.owner.email, viewer.email, gone.email):
            self.assertEqual(self.mails_to(address, "t/%s/releases" % self.tenant, seconds=0), [], address)

        # The editor approves candidate 1; candidate 2, built, asks both editors again.
        self.assertEqual(self.expect(self.request("POST", "/api/v1/%s/releases/%s/approve" % (self.tenant, rel["id"]), {},
                                                  editor.token), 200)["status"], "REGRESSION")
        full = case.info["org"] + "/" + case.info["repo"]
        self.fakes.register("github", {"repos": {full: {"branches": {"release/1.2.0": NEXT},
                                                        "commits": [test_release_builds.HEAD, NEXT]}}})
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/new-candidate" % (self.tenant, rel["id"]), {},
                                 editor.token), 200)
        rel = self.wait(rel["id"], lambda r: r["candidateNumber"] == 2 and len([b for b in r["builds"] if b["runId"]]) == 2,
                        "built candidate 2")
        self.finish("github", [b for b in rel["builds"] if b["candidateNumber"] == 2][0]["runId"], hook=hook)
        self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION again")
        self.assertEqual(self.settled(4), sorted([(key % (n, a.id), "DONE") for a in (editor, other) for n in (1, 2)]))
        for person in (editor, other):
            self.assertEqual(len(self.asked(person.email, 2, 1)), 1, "asked of candidate 2, once")
            self.assertEqual(len(self.asked(person.email, 1, 1)), 1, "and of candidate 1 still once")
        self.assertEqual(self.mails_to(self.owner.email, "t/%s/releases" % self.tenant, seconds=0), [], "never the starter")


class NoMailTest(harness.ApiTest):
    """Without SLIPWAY_SMTP_URL: invitations answer their token, and there is no password reset."""

    def test_without_mail(self):
        org = new_org(self.server)
        made = self.expect(self.request("POST", "/api/v1/%s/members" % org.id, body={"email": unique_email(), "role": "viewer"},
                                        token=org.owner.token), 201)
        self.server.remember_secret(made["inviteToken"])
        self.assertEqual(made["delivery"], "token")
        self.assert_error(self.request("POST", RESET, body={"email": org.viewer.email}), 404, "not_found")
        self.assert_error(self.request("POST", CONFIRM, body={"token": "slwr_" + "A" * 43, "password": "pw-nothing"}), 404,
                          "not_found")
        self.assertFalse(self.expect(self.request("GET", "/api/v1/auth/options"), 200)["passwordReset"])


if __name__ == "__main__":
    unittest.main()
