#!/usr/bin/env python3
"""A tenant's sign-on policy (docs/sso.md, "Finding the sign-on" and "Requiring sign-on").

Against the real oidc-provider of test_sso.py: a login page finds a tenant's
providers by its slug or by a work e-mail's domain (an owner claims only
the domain of their own address, a domain once an instance, offered once
proven by a DNS TXT record, tests/fakes/fake_dns.py); a tenant that
requires single sign-on refuses password sessions on its routes (403
sso_required) but its break-glass owner's, admits sessions its own
provider made and tokens those sessions made; the writes that would lock a
tenant out are refused; a browser's failed login goes back to the login
page with the reason. Proven domains are proven again (SLIPWAY_DOMAIN_RECHECK,
1 s here): a record gone is counted, and unproves the domain only after 3
checks in a row over a day (the test writes the run's start back).
"""

import datetime
import unittest
import urllib.parse
import uuid

import dns_fixture
import harness
import integration_fixtures as fx
from verify_fixtures import wait_for
from harness import add_member_and_login, new_org
from test_sso import CALLBACK, PUBLIC, SECRET, SsoBase


class SsoPolicyTest(dns_fixture.WithDns, SsoBase):
    """The DNS fake proves claimed e-mail domains (TXT _slipway-sso.{domain})."""
    server_env = dict(SsoBase.server_env, SLIPWAY_DOMAIN_RECHECK="1", SLIPWAY_JOB_POLL_MS="100")

    def settings(self, body=None, token=None, status=200):
        path = "/api/v1/%s/iam/settings" % self.tenant
        resp = self.request("PATCH" if body is not None else "GET", path, body=body, token=token or self.token)
        self.expect(resp, status)
        return resp

    def discover(self, status=200, **query):
        resp = self.request("GET", "/api/v1/auth/sso?" + urllib.parse.urlencode(query))
        self.expect(resp, status)
        return resp.json

    def test_found_by_slug_and_by_claimed_domain(self):
        p = self.provider()
        slug = "acme-" + uuid.uuid4().hex[:8]
        self.assertEqual(self.settings({"slug": slug}).json["slug"], slug)
        got = self.discover(tenant=slug)["items"]
        self.assertEqual([(x["id"], x["loginUrl"]) for x in got], [(p["id"], p["loginUrl"])])
        self.assertEqual(set(got[0]), {"id", "name", "type", "loginUrl"})  # nothing else of the tenant
        self.assertEqual(self.discover(tenant="no-such-" + slug)["items"], [])
        self.discover(400)
        self.discover(400, tenant=slug, email="a@b.example")
        # A slug is one tenant's.
        other = new_org(self.server)
        self.assert_error(self.request("PATCH", "/api/v1/%s/iam/settings" % other.tenant["id"], body={"slug": slug},
                                       token=other.owner.token), 409, "conflict")
        for bad in ("A", "-x", "x-", "has space", "é" * 3, "x" * 64):
            self.assert_error(self.request("PATCH", "/api/v1/%s/iam/settings" % self.tenant, body={"slug": bad},
                                           token=self.token), 400, "invalid_request")
        # A domain: only the writing owner's own, and one provider's on the instance.
        domain = "corp-%s.example.org" % uuid.uuid4().hex[:8]
        owner = add_member_and_login(self.server, self.token, self.tenant, "owner", email="boss@" + domain)
        self.assert_error(self.request("PATCH", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]),
                                       body={"emailDomains": [domain]}, token=self.token), 400, "invalid_request")
        resp = self.request("PATCH", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]), body={"emailDomains": [domain]},
                            token=owner.token)
        self.expect(resp, 200)
        self.assertEqual(resp.json["emailDomains"], [domain])
        # Claimed is not offered: the domain is proven first, by a TXT record the owner publishes.
        self.assertEqual(self.discover(email="someone@" + domain)["items"], [])
        domains = "/api/v1/%s/iam/providers/%s/domains" % (self.tenant, p["id"])
        claim = self.expect(self.request("GET", domains, token=owner.token), 200)["items"]
        record = claim[0]["record"]
        self.assertEqual((claim[0]["domain"], claim[0]["proven"], record["type"], record["name"]),
                         (domain, False, "TXT", "_slipway-sso." + domain))
        self.assertEqual(self.expect(self.request("POST", domains, body={"domain": domain}, token=owner.token), 200),
                         claim[0])  # claiming again changes nothing
        self.assert_error(self.request("POST", domains, body={"domain": "elsewhere.example"}, token=owner.token),
                          400, "invalid_request")  # not the owner's own domain
        self.assert_error(self.request("POST", domains + "/check", body={"domain": "elsewhere.example"}, token=owner.token),
                          404, "not_found")
        check = self.expect(self.request("POST", domains + "/check", body={"domain": domain}, token=owner.token), 200)
        self.assertFalse(check["proven"])
        self.assertIn("no TXT record", check["lastError"])
        self.dns.publish(record["name"], "another-token", record["value"])
        check = self.expect(self.request("POST", domains + "/check", body={"domain": domain}, token=owner.token), 200)
        self.assertEqual((check["proven"], check["lastError"]), (True, None))
        self.assertEqual([x["id"] for x in self.discover(email="someone@" + domain.upper())["items"]], [p["id"]])
        self.assertEqual(self.discover(email="someone@elsewhere.example")["items"], [])
        # Writing the same domains keeps the proof.
        self.expect(self.request("PATCH", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]),
                                 body={"emailDomains": [domain]}, token=owner.token), 200)
        self.assertTrue(self.expect(self.request("GET", domains, token=owner.token), 200)["items"][0]["proven"])
        self.discover(400, email="not-an-address")
        other_owner = add_member_and_login(self.server, other.owner.token, other.tenant["id"], "owner", email="x@" + domain)
        other_p = self.request("POST", "/api/v1/%s/iam/providers" % other.tenant["id"], token=other_owner.token,
                               body={"name": "Theirs", "type": "OIDC", "issuer": self.idp.issuer, "clientId": "c",
                                     "clientSecret": "s-" + uuid.uuid4().hex, "emailDomains": [domain]})
        self.assert_error(other_p, 409, "conflict")
        self.assertNotIn(self.tenant, other_p.raw.decode())
        other_p = self.request("POST", "/api/v1/%s/iam/providers" % other.tenant["id"], token=other_owner.token,
                               body={"name": "Theirs", "type": "OIDC", "issuer": self.idp.issuer, "clientId": "c",
                                     "clientSecret": "s-" + uuid.uuid4().hex})
        self.assert_error(self.request("POST", "/api/v1/%s/iam/providers/%s/domains" % (other.tenant["id"], other_p.json["id"]),
                                       body={"domain": domain}, token=other_owner.token), 409, "conflict")
        # The record gone, the next check unproves the domain: the login page stops offering the provider.
        del self.dns.records[record["name"]]
        check = self.expect(self.request("POST", domains + "/check", body={"domain": domain}, token=owner.token), 200)
        self.assertEqual((check["proven"], check["provenAt"]), (False, None))
        self.assertEqual(self.discover(email="someone@" + domain)["items"], [])
        # A disabled provider is not offered.
        self.expect(self.request("PATCH", "/api/v1/%s/iam/providers/%s" % (self.tenant, p["id"]), body={"enabled": False},
                                 token=self.token), 200)
        self.assertEqual(self.discover(tenant=slug)["items"], [])

    def proven_domain(self, tenant, provider, token, name):
        """A domain of an owner's own address, claimed for provider and proven; its record's name."""
        domain = "%s-%s.example.org" % (name, uuid.uuid4().hex[:8])
        owner = add_member_and_login(self.server, token, tenant, "owner", email="boss@" + domain)
        path = "/api/v1/%s/iam/providers/%s/domains" % (tenant, provider)
        record = self.expect(self.request("POST", path, body={"domain": domain}, token=owner.token), 201)["record"]
        self.dns.publish(record["name"], record["value"])
        self.assertTrue(self.expect(self.request("POST", path + "/check", body={"domain": domain}, token=owner.token),
                                    200)["proven"])
        return domain, record["name"]

    def test_proven_domains_are_checked_again(self):
        p = self.provider()
        other = new_org(self.server)
        theirs = self.request("POST", "/api/v1/%s/iam/providers" % other.tenant["id"], token=other.owner.token,
                              body={"name": "Theirs", "type": "OIDC", "issuer": self.idp.issuer, "clientId": "c",
                                    "clientSecret": "s-" + uuid.uuid4().hex})
        self.expect(theirs, 201)
        kept, blip, gone = (self.proven_domain(self.tenant, p["id"], self.token, n) for n in ("kept", "blip", "gone"))
        their = self.proven_domain(other.tenant["id"], theirs.json["id"], other.owner.token, "theirs")
        for _, record in (blip, gone):
            del self.dns.records[record]
        # Each last checked a day ago (due at the next pass, every second); gone has failed twice since then.
        moment = datetime.datetime.now(datetime.timezone.utc)
        day_ago = moment - datetime.timedelta(days=1, minutes=1)
        stored = (day_ago.strftime("%Y-%m-%d %H:%M:%S") if self.server.database_path().startswith("mysql")
                  else harness.format_time(day_ago))
        for (domain, _), failures in ((kept, 0), (blip, 0), (gone, 2), (their, 0)):
            fx.db_execute(self.server, "UPDATE iam_domains SET lastCheckedAt = ?, failures = ?, failingSince = ? WHERE domain = ?",
                          (stored, failures, stored if failures else None, domain))
        now = {}

        def all_checked():
            for tenant, provider, token in ((self.tenant, p["id"], self.token),
                                            (other.tenant["id"], theirs.json["id"], other.owner.token)):
                path = "/api/v1/%s/iam/providers/%s/domains" % (tenant, provider)
                now.update({d["domain"]: d for d in self.expect(self.request("GET", path, token=token), 200)["items"]})
            return all(harness.parse_time(d["lastCheckedAt"]) > moment for d in now.values())
        self.assertTrue(wait_for(all_checked, 10), now)
        self.assertEqual((now[kept[0]]["proven"], now[kept[0]]["failures"], now[kept[0]]["lastError"]), (True, 0, None))
        self.assertEqual((now[blip[0]]["proven"], min(now[blip[0]]["failures"], 1)), (True, 1), "one failure is counted")
        self.assertIn("no TXT record", now[blip[0]]["lastError"])
        self.assertEqual((now[gone[0]]["proven"], now[gone[0]]["provenAt"], now[gone[0]]["failures"]), (False, None, 3))
        self.assertEqual((now[their[0]]["proven"], now[their[0]]["failures"]), (True, 0), "another tenant's")
        for (domain, _), offered in ((kept, [p["id"]]), (blip, [p["id"]]), (gone, [])):
            self.assertEqual([x["id"] for x in self.discover(email="someone@" + domain)["items"]], offered, domain)
        audit = self.expect(self.request("GET", "/api/v1/%s/audit-logs?action=domain.proof.lost" % self.tenant,
                                         token=self.token), 200)["items"]
        self.assertEqual([(a["targetId"], a["details"]["hostName"], a["details"]["kind"]) for a in audit
                          if a["details"]["hostName"] in (kept[0], blip[0], gone[0])], [(p["id"], gone[0], "sso")])
        self.assertEqual(self.expect(self.request("GET", "/api/v1/%s/audit-logs?action=domain.proof.lost" % other.tenant["id"],
                                                  token=other.owner.token), 200)["items"], [])

    def test_required_sign_on_with_a_break_glass_owner(self):
        org = new_org(self.server)
        tenant, owner = org.tenant["id"], org.owner
        path = "/api/v1/%s/iam/settings" % tenant
        releases = "/api/v1/%s/releases?limit=1" % tenant
        # Nothing to sign in with yet.
        self.assert_error(self.request("PATCH", path, body={"ssoRequired": True, "breakGlassAccountId": owner.id},
                                       token=owner.token), 409, "conflict")
        p = self.request("POST", "/api/v1/%s/iam/providers" % tenant, token=owner.token,
                         body={"name": "Okta", "type": "OKTA", "issuer": self.idp.issuer, "clientId": "slipway-rs",
                               "clientSecret": SECRET, "scopes": "openid email profile groups",
                               "allowSignup": True, "groupMappings": [{"group": "eng", "role": "editor"}]})
        self.expect(p, 201)
        p = p.json
        # The break-glass account must be an owner with a password; the editor may not write the policy at all.
        self.assert_error(self.request("PATCH", path, body={"ssoRequired": True}, token=owner.token), 400, "invalid_request")
        self.assert_error(self.request("PATCH", path, body={"ssoRequired": True, "breakGlassAccountId": org.editor.id},
                                       token=owner.token), 400, "invalid_request")
        self.assert_error(self.request("PATCH", path, body={"ssoRequired": True, "breakGlassAccountId": owner.id},
                                       token=org.editor.token), 404, "not_found")
        # An owner who is neither the break-glass one nor signed in by the tenant's sign-on would lock themselves out.
        second = add_member_and_login(self.server, owner.token, tenant, "owner")
        self.assert_error(self.request("PATCH", path, body={"ssoRequired": True, "breakGlassAccountId": owner.id},
                                       token=second.token), 409, "conflict")
        resp = self.request("PATCH", path, body={"ssoRequired": True, "breakGlassAccountId": owner.id}, token=owner.token)
        self.expect(resp, 200)
        self.assertEqual(resp.json, {"slug": None, "ssoRequired": True, "breakGlassAccountId": owner.id})
        # Password sessions: refused on the tenant's routes, not elsewhere; the break-glass owner comes in.
        for user in (org.editor, org.viewer, second):
            self.assert_error(self.request("GET", releases, token=user.token), 403, "sso_required")
            self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)
        self.expect(self.request("GET", releases, token=owner.token), 200)
        # Passwords (docs/accounts.md, "Accounts without a password"): only the break-glass owner may still set one.
        self.assert_password_state(owner.token, {}, True, True)
        self.assert_password_state(org.editor.token, {}, True, False)
        self.assert_error(self.request("PUT", "/api/v1/me/password", token=org.editor.token,
                                       body={"currentPassword": harness._passwords[org.editor.email],
                                             "newPassword": "another-password-1"}), 403, "sso_required")
        # A session the tenant's provider made comes in, and so does a token that session makes.
        self.idp.user("sso-eng", ["eng"])
        self.org, self.tenant = org, tenant  # the base class's helpers read them
        login = self.login(p, "sso-eng")
        cookie, csrf = self.session(login), cookie_value(login, "slipway_csrf")
        self.server.remember_secret(cookie)
        jar = {"Cookie": "slipway_session=" + cookie}
        self.expect(self.request("GET", releases, headers=jar), 200)
        # Made just in time: no password, none to change or to guard with a second factor, and none to set here.
        writes = dict(jar, **{"X-CSRF-Token": csrf})
        self.assert_password_state(None, jar, False, False)
        self.assert_error(self.request("PUT", "/api/v1/me/password", headers=writes,
                                       body={"currentPassword": "x", "newPassword": "another-password-1"}), 409, "conflict")
        self.assert_error(self.request("POST", "/api/v1/me/totp", headers=writes), 409, "conflict")
        made = self.request("POST", "/api/v1/me/tokens", body={"name": "ci"}, headers=dict(jar, **{"X-CSRF-Token": csrf}))
        self.expect(made, 201)
        self.server.remember_secret(made.json["token"])
        self.expect(self.request("GET", releases, token=made.json["token"]), 200)
        # A token the editor's password session makes stays refused.
        theirs = harness.create_token(self.server, org.editor.token)["token"]
        self.server.remember_secret(theirs)
        self.assert_error(self.request("GET", releases, token=theirs), 403, "sso_required")
        # The tenant's last enabled provider can be neither disabled nor deleted while it is required.
        pp = "/api/v1/%s/iam/providers/%s" % (tenant, p["id"])
        self.assert_error(self.request("PATCH", pp, body={"enabled": False}, token=owner.token), 409, "conflict")
        self.assert_error(self.request("DELETE", pp, token=owner.token), 409, "conflict")
        # The provider is down: the break-glass owner still logs in with a password and turns the requirement off.
        again = harness.login_user(self.server, owner.id, owner.email, harness._passwords[owner.email])
        self.expect(self.request("PATCH", path, body={"ssoRequired": False}, token=again.token), 200)
        self.expect(self.request("GET", releases, token=org.editor.token), 200)
        self.assert_password_state(None, jar, False, True)  # a first password by mail, now (test_account_mail.py)
        self.assert_password_state(org.editor.token, {}, True, True)
        self.expect(self.request("DELETE", pp, token=owner.token), 204)

    def assert_password_state(self, token, headers, has, allowed):
        me = self.request("GET", "/api/v1/me", token=token, headers=headers)
        self.expect(me, 200)
        self.assertEqual((me.json["hasPassword"], me.json["passwordAllowed"]), (has, allowed))

    def test_a_browser_goes_back_to_the_login_page_with_the_reason(self):
        bogus = CALLBACK[len(PUBLIC):] + "?code=x&state=" + "A" * 43
        resp = self.request("GET", bogus, headers={"Accept": "text/html,application/xhtml+xml"})
        self.assertEqual(resp.status, 302, str(resp))
        loc = resp.headers["location"]
        self.assertTrue(loc.startswith("/?sso_error=") and loc.endswith("#/login"), loc)
        self.assertIn("start again", urllib.parse.unquote(loc))
        self.assertEqual(resp.headers["cache-control"], "no-store")
        # A script still gets the error as JSON.
        self.assert_error(self.request("GET", bogus), 400, "invalid_request")
        resp = self.request("GET", "/api/v1/auth/oidc/%s/start" % uuid.uuid4(), headers={"Accept": "text/html"})
        self.assertEqual(resp.status, 302, str(resp))


def cookie_value(resp, name):
    for part in resp.headers.get("set-cookie", "").split(", "):
        k, _, rest = part.partition("=")
        if k == name:
            return rest.split(";", 1)[0]
    raise AssertionError("no %s cookie: %s" % (name, resp.headers))


if __name__ == "__main__":
    unittest.main()
