#!/usr/bin/env python3
"""Single sign-on over OpenID Connect (docs/sso.md), against a real provider.

tests/oidc/idp.mjs runs oidc-provider (npm) on loopback, configured as Auth0
or Okta would be, and beside it a provider that misbehaves on purpose. A
test plays the browser: it follows slipway's redirect to the provider, signs
a user in there (oidc-provider's interaction, done programmatically), and
brings the code back to slipway's callback. Checked: a full login with a
just-in-time account and a session cookie; group rules by priority, the
default role, and the role re-evaluated (and audited) at the next login, but
never the tenant's last owner demoted;
strict mode refusing a user no rule matches; a sign-up the provider does not
allow; an existing account linked only on a verified e-mail address; a state
used twice; ES256 ID tokens with the groups only from userinfo; against the
misbehaving provider, a tampered token, a bad signature, alg none, HS256, a
wrong nonce, audience, azp or issuer, an expired token, one issued in the
future, clocks within the skew taken, a rotated key (the key set fetched
again once) and a key id never published (refused after that one fetch); a provider that is down (503, lastError;
the password login unaffected); the owner-only API, and the client secret in
no answer and no log line.
"""

import datetime
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse
import uuid
import http.client

import harness
import integration_fixtures as fx  # also sets INTEGRATION_ENCRYPTION_KEY
from harness import ApiTest, new_org

IDP_DIR = os.path.join(harness.REPO_ROOT, "tests", "oidc")
PUBLIC = "http://slipway.test"
CALLBACK = PUBLIC + "/api/v1/auth/oidc/callback"
SECRET = "client-secret-" + uuid.uuid4().hex


class Idp:
    """tests/oidc/idp.mjs: oidc-provider, and the misbehaving fake beside it."""

    def __init__(self, conform=False, redirect=CALLBACK):
        if not shutil.which("node") or not os.path.isdir(os.path.join(IDP_DIR, "node_modules", "oidc-provider")):
            raise unittest.SkipTest("node or tests/oidc/node_modules is missing (scripts/install-deps --test)")
        self.dir = tempfile.mkdtemp(prefix="slipway-idp-")
        self.users_file = os.path.join(self.dir, "users.json")
        self.users = {}
        self.save()
        # Two free ports, taken by the provider a moment later: another test may bind one between (EADDRINUSE, and
        # node exits before its first line). Then again on two others; a provider that fails thrice says why.
        for attempt in range(3):
            env = dict(os.environ, IDP_PORT=str(harness.free_port()), IDP_FAKE_PORT=str(harness.free_port()),
                       IDP_REDIRECT=redirect, IDP_SECRET=SECRET, IDP_USERS=self.users_file,
                       IDP_CONFORM="1" if conform else "0")
            self.log = open(os.path.join(self.dir, "idp.log"), "w")
            self.proc = subprocess.Popen(["node", "idp.mjs"], cwd=IDP_DIR, env=env, stdout=subprocess.PIPE,
                                         stderr=self.log, text=True)
            line = self.proc.stdout.readline()
            if line:
                break
            self.proc.wait(10)
            self.log.close()
            with open(self.log.name) as f:
                why = f.read()[-2000:]
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise AssertionError("idp.mjs did not start, three times; the last said:\n%s" % why)
        started = json.loads(line)
        self.issuer, self.fake_issuer = started["issuer"], started["fakeIssuer"]

    def save(self):
        with open(self.users_file + ".tmp", "w") as f:
            json.dump(self.users, f)
        os.replace(self.users_file + ".tmp", self.users_file)

    def user(self, sub, groups=(), email=None, verified=True):
        self.users[sub] = {"email": email or "%s-%s@example.com" % (sub, uuid.uuid4().hex[:6]), "email_verified": verified,
                           "name": sub.title(), "groups": list(groups)}
        self.save()
        return self.users[sub]

    def fake(self, method, path, body=None):
        u = urllib.parse.urlsplit(self.fake_issuer)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        conn.request(method, path, body=json.dumps(body) if body is not None else None)
        resp = conn.getresponse()
        out = json.loads(resp.read())
        conn.close()
        return out

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Browser:
    """GETs that keep cookies (one jar: the provider's cookies have distinct names) and never follow redirects."""

    def __init__(self):
        self.cookies = {}

    def get(self, url):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=15)
        headers = {"Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())} if self.cookies else {}
        conn.request("GET", u.path + ("?" + u.query if u.query else ""), headers=headers)
        resp = conn.getresponse()
        resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                k, _, v = value.split(";", 1)[0].partition("=")
                self.cookies[k.strip()] = v
        conn.close()
        return resp.status, urllib.parse.urljoin(url, resp.getheader("Location") or "")


class SsoBase(ApiTest):
    server_env = {"SLIPWAY_PUBLIC_URL": PUBLIC, "SLIPWAY_OUTBOUND_ALLOW": "127.0.0.0/8"}
    conform = False

    @classmethod
    def setUpClass(cls):
        cls.idp = Idp(cls.conform)
        try:
            super().setUpClass()
            cls.server.remember_secret(SECRET)
            cls.org = new_org(cls.server)
            cls.tenant, cls.token = cls.org.tenant["id"], cls.org.owner.token
        except BaseException:
            cls.idp.stop()  # tearDownClass does not run when setUpClass fails
            raise

    @classmethod
    def tearDownClass(cls):
        cls.idp.stop()
        super().tearDownClass()

    def request(self, *args, **kwargs):
        resp = super().request(*args, **kwargs)
        self.assertNotIn(SECRET.encode(), resp.raw, "the client secret in an answer")
        return resp

    def provider(self, issuer=None, client="slipway-rs", **fields):
        body = {"name": "Okta " + uuid.uuid4().hex[:6], "type": "OKTA", "issuer": issuer or self.idp.issuer, "clientId": client,
                "clientSecret": SECRET, "scopes": "openid email profile groups", "allowSignup": True}
        body.update(fields)
        resp = self.request("POST", "/api/v1/%s/iam/providers" % self.tenant, body=body, token=self.token)
        self.expect(resp, 201)
        return resp.json

    def start(self, provider):
        resp = self.request("GET", provider["loginUrl"])
        self.expect(resp, 302)
        return resp.headers["location"]

    def callback(self, url):
        self.assertTrue(url.startswith(CALLBACK + "?"), url)
        return self.request("GET", url[len(PUBLIC):])

    def login_url(self, provider, user):
        """Signs user in at oidc-provider; returns the callback URL it sends the browser to."""
        auth = self.start(provider)
        b = Browser()
        status, loc = b.get(auth)
        self.assertIn(status, (302, 303), loc)
        self.assertIn("/interaction/", loc)
        status, loc = b.get(loc.rstrip("/") + "/login?user=" + urllib.parse.quote(user))
        for _ in range(5):
            if loc.startswith(CALLBACK):
                return loc
            self.assertIn(status, (302, 303), loc)
            status, loc = b.get(loc)
        self.fail("oidc-provider did not send the browser back: %s" % loc)

    def login(self, provider, user, status=302):
        resp = self.callback(self.login_url(provider, user))
        self.assertEqual(resp.status, status, str(resp))
        return resp

    def session(self, resp):
        """The session cookie's token from a login's answer."""
        for part in resp.headers.get("set-cookie", "").split(", "):
            name, _, rest = part.partition("=")
            if name == "slipway_session":
                return rest.split(";", 1)[0]
        self.fail("no session cookie: %s" % resp.headers)

    def me(self, resp):
        cookie = self.session(resp)
        self.server.remember_secret(cookie)
        me = self.request("GET", "/api/v1/me", headers={"Cookie": "slipway_session=" + cookie})
        self.expect(me, 200)
        return me.json

    def role_of(self, account_id):
        resp = self.request("GET", "/api/v1/%s/members?limit=100" % self.tenant, token=self.token)
        self.expect(resp, 200)
        return {m["accountId"]: m["role"] for m in resp.json["items"]}.get(account_id)


class SsoLoginTest(SsoBase):
    def test_login_jit_group_rules_and_reevaluation(self):
        p = self.provider(defaultRole="viewer", groupMappings=[{"group": "admins", "role": "owner", "priority": 10},
                                                               {"group": "eng", "role": "editor", "priority": 5}])
        alice = self.idp.user("alice", ["eng"])
        resp = self.login(p, "alice")
        self.assertEqual(resp.headers["location"], "/")
        self.assertIn("HttpOnly", resp.headers["set-cookie"])
        me = self.me(resp)
        self.assertEqual(me["email"], alice["email"])
        self.assertEqual(self.role_of(me["id"]), "editor")
        # The group is gone at the provider: the next login lowers the role to the default one, audited.
        self.idp.user("alice", [], email=alice["email"])
        self.assertEqual(self.me(self.login(p, "alice"))["id"], me["id"])
        self.assertEqual(self.role_of(me["id"]), "viewer")
        # Two rules match: the higher priority wins.
        self.idp.user("alice", ["eng", "admins"], email=alice["email"])
        self.login(p, "alice")
        self.assertEqual(self.role_of(me["id"]), "owner")
        audit = self.request("GET", "/api/v1/%s/audit-logs?limit=100" % self.tenant, token=self.token)
        self.expect(audit, 200)
        changes = [(e["details"]["from"], e["details"]["to"]) for e in audit.json["items"]
                   if e["action"] == "member.role_sso" and e["targetId"] == me["id"]]
        self.assertEqual(sorted(changes), sorted([("editor", "viewer"), ("viewer", "owner")]))
        got = self.request("GET", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]), token=self.token).json
        self.assertIsNotNone(got["lastSyncAt"])
        self.assertIsNone(got["lastError"])

    def test_the_last_owner_is_not_demoted_by_a_login(self):
        """The rules would make the tenant's only owner a viewer: the tenant keeps an owner who can fix them."""
        org = new_org(self.server)
        resp = self.request("POST", "/api/v1/%s/iam/providers" % org.tenant["id"], token=org.owner.token,
                            body={"name": "Okta", "type": "OKTA", "issuer": self.idp.issuer, "clientId": "slipway-rs",
                                  "clientSecret": SECRET, "scopes": "openid email profile groups", "defaultRole": "viewer"})
        self.expect(resp, 201)
        self.idp.user("olga", [], email=org.owner.email)
        self.assertEqual(self.me(self.login(resp.json, "olga"))["id"], org.owner.id)
        members = self.request("GET", "/api/v1/%s/members?limit=100" % org.tenant["id"], token=org.owner.token)
        roles = {m["accountId"]: m["role"] for m in self.expect(members, 200)["items"]}
        self.assertEqual(roles[org.owner.id], "owner")

    def test_strict_mode_refuses_without_a_matching_group(self):
        p = self.provider(strict=True, groupMappings=[{"group": "admins", "role": "owner"}])
        self.idp.user("bob", ["eng"])
        resp = self.login(p, "bob", 401)
        self.assert_error(resp, 401, "invalid_credentials")
        self.assertIn("strict", resp.json["error"]["message"])
        self.assertNotIn("set-cookie", resp.headers)

    def test_no_signup_refuses_an_unknown_identity(self):
        p = self.provider(allowSignup=False)
        self.idp.user("dave", ["eng"])
        self.assertIn("does not create accounts", self.login(p, "dave", 401).json["error"]["message"])

    def test_existing_account_linked_only_on_a_verified_address(self):
        p = self.provider()
        editor = self.org.editor
        self.idp.user("carol", [], email=editor.email, verified=False)
        self.assertIn("verified", self.login(p, "carol", 401).json["error"]["message"])
        self.idp.user("carol", [], email=editor.email, verified=True)
        self.assertEqual(self.me(self.login(p, "carol"))["id"], editor.id)

    def test_invitation_accepted_through_sso(self):
        """An invitation link's sign-on: only the invited, verified address; once; the group rules give the role."""
        p = self.provider(allowSignup=False, defaultRole="viewer", groupMappings=[{"group": "eng", "role": "editor"}])
        email = "invitee-%s@example.com" % uuid.uuid4().hex[:6]
        resp = self.request("POST", "/api/v1/%s/invitations" % self.tenant, body={"email": email, "role": "owner"},
                            token=self.token)
        invite = self.expect(resp, 201)["inviteToken"]
        self.server.remember_secret(invite)
        found = self.request("GET", "/api/v1/auth/sso?invite=" + invite)
        self.expect(found, 200)
        [offer] = [i for i in found.json["items"] if i["id"] == p["id"]]
        self.assertEqual(offer["loginUrl"], "/api/v1/auth/oidc/%s/start?invite=%s" % (p["id"], invite))
        # The provider does not vouch for the address, or vouches for another one: refused, the invitation still pending.
        self.idp.user("ivy", ["eng"], email=email, verified=False)
        self.assertIn("verified", self.login(offer, "ivy", 401).json["error"]["message"])
        self.idp.user("ivy", ["eng"], email="other-" + email)
        self.assertIn("another e-mail address", self.login(offer, "ivy", 401).json["error"]["message"])
        # Without the invitation this provider adds nobody; with it, the invitee joins, at the role the groups give.
        self.idp.user("ivy", ["eng"], email=email)
        self.assertIn("does not create accounts", self.login(p, "ivy", 401).json["error"]["message"])
        me = self.me(self.login(offer, "ivy"))
        self.assertEqual(me["email"], email)
        self.assertEqual(self.role_of(me["id"]), "editor")
        pending = self.request("GET", "/api/v1/%s/invitations?limit=100" % self.tenant, token=self.token)
        self.assertNotIn(email, [i["email"] for i in self.expect(pending, 200)["items"]])
        # Used once: the link starts no second login, and the finder offers nothing for it.
        self.assert_error(self.request("GET", offer["loginUrl"]), 404, "not_found")
        self.assertEqual(self.expect(self.request("GET", "/api/v1/auth/sso?invite=" + invite), 200)["items"], [])
        # Another tenant's invitation does not start a login at this tenant's provider.
        other = new_org(self.server)
        resp = self.request("POST", "/api/v1/%s/invitations" % other.tenant["id"], body={"email": email, "role": "viewer"},
                            token=other.owner.token)
        foreign = self.expect(resp, 201)["inviteToken"]
        self.server.remember_secret(foreign)
        self.assert_error(self.request("GET", "/api/v1/auth/oidc/%s/start?invite=%s" % (p["id"], foreign)), 404, "not_found")
        # An invitation that expires while its login is at the provider is refused at the callback.
        email2 = "late-" + email
        resp = self.request("POST", "/api/v1/%s/invitations" % self.tenant, body={"email": email2, "role": "viewer"},
                            token=self.token)
        late = self.expect(resp, 201)
        self.server.remember_secret(late["inviteToken"])
        self.idp.user("ivy2", ["eng"], email=email2)
        url = self.login_url({"loginUrl": "/api/v1/auth/oidc/%s/start?invite=%s" % (p["id"], late["inviteToken"])}, "ivy2")
        past = harness.format_time(harness.now() - datetime.timedelta(minutes=1))
        fx.db_execute(self.server, "UPDATE tenant_invitations SET expiresAt = ? WHERE id = ?", (past, late["invitationId"]))
        self.assertIn("no longer valid", self.callback(url).json["error"]["message"])

    def test_state_is_single_use(self):
        p = self.provider()
        self.idp.user("erin", ["eng"])
        url = self.login_url(p, "erin")
        self.expect(self.callback(url), 302)
        self.assert_error(self.callback(url), 400, "invalid_request")
        bogus = CALLBACK + "?code=x&state=" + "A" * 43
        self.assert_error(self.callback(bogus), 400, "invalid_request")
        # A login that took longer than ten minutes: its state has expired.
        url = self.login_url(p, "erin")
        past = harness.format_time(harness.now() - datetime.timedelta(minutes=1))
        fx.db_execute(self.server, "UPDATE iam_login_states SET expiresAt = ?", (past,))
        self.assert_error(self.callback(url), 400, "invalid_request")

    def test_provider_down(self):
        p = self.provider(issuer="http://127.0.0.1:%d" % harness.free_port())
        self.assert_error(self.request("GET", p["loginUrl"]), 503, "unavailable")
        got = self.request("GET", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]), token=self.token).json
        self.assertIn("discovery", got["lastError"])
        # The local owner still logs in with a password.
        self.expect(harness.login(self.server, self.org.owner.email, self.org.owner.password), 200)
        # A disabled provider is not there for a login.
        self.request("PATCH", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]), body={"enabled": False}, token=self.token)
        self.assert_error(self.request("GET", p["loginUrl"]), 404, "not_found")


class SsoApiTest(SsoBase):
    def test_owner_only_crud_and_the_secret_stays_write_only(self):
        p = self.provider(groupMappings=[{"group": "eng", "role": "editor"}])
        self.assertEqual(p["clientSecret"], "****" + SECRET[-4:])
        self.assertEqual(p["groupMappings"], [{"group": "eng", "role": "editor", "priority": 0}])
        self.assertEqual((p["scopes"], p["groupsClaim"], p["defaultRole"], p["strict"]),
                         ("openid email profile groups", "groups", "viewer", False))
        path = "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"])
        for user in (self.org.editor, self.org.viewer, new_org(self.server).owner):
            self.assert_error(self.request("GET", path, token=user.token), 404, "not_found")
            self.assert_error(self.request("GET", "/api/v1/%s/iam/providers" % self.tenant, token=user.token), 404,
                              "not_found")
        resp = self.request("PATCH", path, body={"strict": True, "groupMappings": []}, token=self.token)
        self.expect(resp, 200)
        self.assertEqual((resp.json["strict"], resp.json["groupMappings"], resp.json["clientSecret"]),
                         (True, [], "****" + SECRET[-4:]))
        listed = self.request("GET", "/api/v1/%s/iam/providers" % self.tenant, token=self.token)
        self.assertIn(p["id"], [x["id"] for x in listed.json["items"]])
        # Refused: no openid scope, a bad rule, twice the same group.
        for bad in ({"scopes": "email"}, {"groupMappings": [{"group": "x", "role": "admin"}]},
                    {"groupMappings": [{"group": "x", "role": "viewer"}, {"group": "x", "role": "owner"}]}):
            self.assert_error(self.request("PATCH", path, body=bad, token=self.token), 400, "invalid_request")
        stored = fx.db_query(self.server, "SELECT clientSecret FROM iam_providers WHERE id = ?", (p["id"],))[1][0][0]
        self.assertNotIn(SECRET, stored)
        self.expect(self.request("DELETE", path, token=self.token), 204)
        self.assert_error(self.request("GET", path, token=self.token), 404, "not_found")


class SsoUserinfoTest(SsoBase):
    """Groups only from userinfo (oidc-provider's conforming ID tokens), and ES256 ID tokens."""
    conform = True

    def test_es256_and_groups_from_userinfo(self):
        p = self.provider(client="slipway-es", groupMappings=[{"group": "eng", "role": "editor"}])
        self.idp.user("frank", ["eng"])
        me = self.me(self.login(p, "frank"))
        self.assertEqual(self.role_of(me["id"]), "editor")


class SsoMisbehavingProviderTest(SsoBase):
    """The fake of idp.mjs: each token it gives is wrong in one way."""

    def fake_login(self, p, mode):
        self.idp.fake("POST", "/mode", {"mode": mode})
        status, loc = Browser().get(self.start(p))
        self.assertEqual(status, 302)
        return self.callback(loc)

    def test_each_bad_token_is_refused_and_a_good_one_passes(self):
        p = self.provider(issuer=self.idp.fake_issuer, client="fake-client", type="OIDC")
        resp = self.fake_login(p, "ok")
        self.expect(resp, 302)
        stats = self.idp.fake("GET", "/stats")
        user, _, password = __import__("base64").b64decode(stats["lastAuthorization"].split(" ", 1)[1]).decode().partition(":")
        self.assertEqual((user, password), ("fake-client", SECRET))  # client_secret_basic
        for mode, words in (("tampered", "signature"), ("bad_signature", "signature"), ("alg_none", "algorithm"),
                            ("hs256", "algorithm"), ("wrong_nonce", "nonce"), ("wrong_aud", "aud"), ("wrong_azp", "azp"),
                            ("wrong_iss", "issuer"), ("expired", "expired"), ("future_iat", "future")):
            with self.subTest(mode=mode):
                resp = self.fake_login(p, mode)
                self.assert_error(resp, 401, "invalid_credentials")
                self.assertIn(words, resp.json["error"]["message"])
                self.assertNotIn("set-cookie", resp.headers)

    def test_a_rotated_key_is_fetched_once(self):
        p = self.provider(issuer=self.idp.fake_issuer, client="fake-client", type="OIDC")
        self.expect(self.fake_login(p, "ok"), 302)  # the key set is cached now
        self.expect(self.fake_login(p, "rotated"), 302)
        self.assertEqual(self.idp.fake("GET", "/stats")["jwksFetches"], 1)
        # A key id the provider does not publish even after the fetch: refused, and fetched once only.
        resp = self.fake_login(p, "unknown_kid")
        self.assert_error(resp, 401, "invalid_credentials")
        self.assertIn("key", resp.json["error"]["message"])
        self.assertEqual(self.idp.fake("GET", "/stats")["jwksFetches"], 1)

    def test_clocks_a_little_apart_are_taken(self):
        """iat 30 s ahead and exp 30 s past: within the 60 s of skew (future_iat and expired, past it, are refused)."""
        p = self.provider(issuer=self.idp.fake_issuer, client="fake-client", type="OIDC")
        self.expect(self.fake_login(p, "within_skew"), 302)


if __name__ == "__main__":
    unittest.main()
