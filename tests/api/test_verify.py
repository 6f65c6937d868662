"""Verifying every type against its fake (docs/verification.md): valid
credentials, invalid ones, a missing resource, an unreachable provider, a 5xx,
a provider slower than the timeout, and expiry; through a `config` check
(nothing stored), the stored integration's verify route and the setup route
with `integrationId`."""

import concurrent.futures
import json
import time
import unittest

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest, assert_answer, assert_stored, build, mentions


def tearDownModule():
    vf.stop_servers()


def per_type(types, method):
    """Class decorator: test_<type> methods calling self.<method>(TYPE)."""
    def deco(cls):
        for t in types:
            def test(self, t=t):
                getattr(self, method)(t)
            test.__name__ = "test_" + t.lower()
            setattr(cls, test.__name__, test)
        return cls
    return deco


def count_integrations(test, ctx, category):
    body = harness.page(test, ctx.server, fx.ipath(ctx.tenant_id, category), ctx.token, limit=200)
    return len(body["items"])


def verify_rows(test, ctx, id):
    return ctx.audit_for(test, id)


def assert_one_verify_row(test, ctx, id, frm, to, verdict, before=0):
    rows = verify_rows(test, ctx, id)
    test.assertEqual(len(rows), before + 1, "one integration.verify row per stored verification: %s"
                     % json.dumps(rows)[:800])
    row = rows[0]
    harness.assert_audit_row(test, row)
    test.assertEqual(row["action"], "integration.verify")
    test.assertIsInstance(row["details"], dict)
    test.assertEqual({k: row["details"].get(k) for k in ("from", "to", "verdict")},
                     {"from": frm, "to": to, "verdict": verdict}, "audit details {from, to, verdict}")
    return row


@per_type(vf.KINDS, "check")
class ValidTest(VerifyTest):
    """Valid credentials and resources: VALID through all three routes."""

    def check(self, type_):
        ctx = self.ctx
        case = build(ctx, type_)
        before = count_integrations(self, ctx, case.category)
        rows_before = len(ctx.audit(self))
        body = assert_answer(self, ctx.verify_config(case.kind, case.config()), "VALID", "VALID",
                             self.secrets_of(case))
        for name, fact in case.facts.items():
            self.assertTrue(any(fact in w for w in vf.words(body["details"])),
                            "details carry the %s (%s): %s" % (name, fact, body["details"]))
        self.assertEqual(count_integrations(self, ctx, case.category), before, "a config check stores nothing")
        self.assertEqual(len(ctx.audit(self)), rows_before, "a config check is not audited as a verification")

        integ = ctx.create(case.body)
        self.assertEqual(integ["verificationStatus"], "NOT_VERIFIED")
        body = assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "VALID", "VALID",
                             self.secrets_of(case))
        obj = assert_stored(self, ctx, case.category, integ["id"], "VALID", "set", error=None)
        self.assertGreaterEqual(harness.parse_time(obj["lastVerifiedAt"]), harness.parse_time(integ["createdAt"]))
        assert_one_verify_row(self, ctx, integ["id"], "NOT_VERIFIED", "VALID", "VALID")

        body = assert_answer(self, ctx.verify_id(case.kind, integ["id"]), "VALID", "VALID", self.secrets_of(case))
        obj2 = assert_stored(self, ctx, case.category, integ["id"], "VALID", "set", error=None)
        self.assertGreaterEqual(obj2["lastVerifiedAt"], obj["lastVerifiedAt"])
        assert_one_verify_row(self, ctx, integ["id"], "VALID", "VALID", "VALID", before=1)


# Words the contract puts in a message (lower case), per type, for an unknown credential.
INVALID_WORDS = {"GITHUB": ("rejected the token",)}


@per_type([t for t in vf.KINDS if t != "CODE_SIGNING"], "check")
class InvalidCredentialsTest(VerifyTest):
    """Credentials the provider does not know (401; Slack invalid_auth; Google invalid_grant; SMTP 535; a Teams
    URL off Office 365): INVALID, with a message, stored with it."""

    def check(self, type_):
        ctx = self.ctx
        case = build(ctx, type_, creds=False)
        body = assert_answer(self, ctx.verify_config(case.kind, case.config()), "INVALID", "INVALID",
                             self.secrets_of(case))
        for w in INVALID_WORDS.get(type_, ()):
            self.assertTrue(mentions(body["message"], w), "message says %r: %r" % (w, body["message"]))
        integ = ctx.create(case.body)
        body = assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "INVALID", "INVALID",
                             self.secrets_of(case))
        assert_stored(self, ctx, case.category, integ["id"], "INVALID", "set", error=body["message"])
        assert_one_verify_row(self, ctx, integ["id"], "NOT_VERIFIED", "INVALID", "INVALID")


# What the contract says the message of a missing resource holds.
MISSING_WORDS = {"GITHUB": ("not found",), "APP_STORE": ("not found",), "PLAY_STORE": ("not found",)}


@per_type(vf.RESOURCE_TYPES, "check")
class MissingResourceTest(VerifyTest):
    """Good credentials, but the repository / bundle id / package / app / job / workflow / project / channel /
    team is not there (404, an empty `data`, Slack's channel list without it, Linear's Entity not found, TestRail's
    400): INVALID, and the message names it."""

    def check(self, type_):
        ctx = self.ctx
        case = build(ctx, type_, resource=False)
        body = assert_answer(self, ctx.verify_config(case.kind, case.config()), "INVALID", "INVALID",
                             self.secrets_of(case))
        self.assertTrue(mentions(body["message"], case.resource),
                        "the message names what is missing (%s): %r" % (case.resource, body["message"]))
        for w in MISSING_WORDS.get(type_, ()):
            self.assertTrue(mentions(body["message"], w), "message says %r: %r" % (w, body["message"]))
        integ = ctx.create(case.body)
        body = assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "INVALID", "INVALID",
                             self.secrets_of(case))
        assert_stored(self, ctx, case.category, integ["id"], "INVALID", "set", error=body["message"])


@per_type([t for t in vf.NETWORK_TYPES if t != "EMAIL"], "check")
class ProviderSaysNoTest(VerifyTest):
    """Registered credentials, but the provider answers 403 (not rate limiting) or 404 in its own words (GitHub's
    "Resource not accessible", Slack's account_inactive / channel_not_found, Google's PERMISSION_DENIED,
    TestRail's 400 for an unknown project...): INVALID."""

    def check(self, type_):
        for mode in ("403", "404"):
            with self.subTest(mode=mode):
                case = build(self.ctx, type_)
                made = self.case_rules(case, mode)
                assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "INVALID", "INVALID",
                              self.secrets_of(case))
                for rule in made:
                    self.fakes.drop(rule)


@per_type(vf.NETWORK_TYPES, "check")
class UnreachableTest(VerifyTest):
    """Every provider URL (and the SMTP port) is a closed port: no verdict, the status does not move, and
    lastVerifiedAt stays as it was."""

    server_kind = "dead"

    def check(self, type_):
        ctx = self.ctx
        case = build(ctx, type_)
        body = assert_answer(self, ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                             case.secrets)
        integ = ctx.create(case.body)
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), None, "NOT_VERIFIED", case.secrets)
        assert_stored(self, ctx, case.category, integ["id"], "NOT_VERIFIED", None, error=None)
        for row in verify_rows(self, ctx, integ["id"]):
            self.assertIsNone(row["details"].get("verdict"), "no verdict: %s" % row)
            self.assertEqual(row["details"].get("from"), row["details"].get("to"), "no verdict: %s" % row)
        # A VALID one stays VALID (the status table's "no verdict" column).
        fx.set_verification(ctx.server, case.category, integ["id"], "VALID")
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), None, "VALID", case.secrets)
        assert_stored(self, ctx, case.category, integ["id"], "VALID", None)
        self.assertEqual(self.wire(), [], "nothing reached the fakes")


@per_type([t for t in vf.NETWORK_TYPES if t != "EMAIL"], "check")
class ServerErrorTest(VerifyTest):
    """The provider answers 500 (or 503): no verdict; a VALID integration stays VALID with its lastVerifiedAt."""

    def check(self, type_):
        ctx = self.ctx
        case = build(ctx, type_)
        integ = ctx.create(case.body)
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "VALID", "VALID")
        first = assert_stored(self, ctx, case.category, integ["id"], "VALID", "set", error=None)
        for mode in ("500", "503"):
            with self.subTest(mode=mode):
                made = self.case_rules(case, mode)
                assert_answer(self, ctx.verify_stored(case.category, integ["id"]), None, "VALID",
                              self.secrets_of(case))
                assert_stored(self, ctx, case.category, integ["id"], "VALID", first["lastVerifiedAt"], error=None)
                assert_answer(self, ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                              self.secrets_of(case))
                for rule in made:
                    self.fakes.drop(rule)
        self.assertTrue(any(e.get("status") in (500, 503) for e in self.wire()), "the fakes did answer 5xx")


class SlowTest(VerifyTest):
    """Every provider slower than the timeout (SLIPWAY_OUTBOUND_TIMEOUT, APPSTORE_CONNECT_TIMEOUT and
    PLAYSTORE_API_TIMEOUT are %d ms here; the fakes hold every call until the test ends): no verdict, status
    unchanged.  The checks run at once, so this takes about one timeout.""" % vf.TIMEOUT_MS

    def test_every_type_times_out(self):
        ctx = self.ctx
        cases = [build(ctx, t) for t in vf.NETWORK_TYPES]
        integs = [ctx.create(c.body) for c in cases]
        for case, integ in zip(cases, integs):
            assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "VALID", "VALID")
        before = {i["id"]: ctx.get(c.category, i["id"])["lastVerifiedAt"] for c, i in zip(cases, integs)}
        mark = self.fakes.mark()
        for case in cases:
            self.case_rules(case, "hold")  # never answered while the test runs

        def run(i):
            return ctx.verify_stored(cases[i].category, integs[i]["id"], timeout=60)

        with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
            results = list(pool.map(run, range(len(cases))))
        for case, integ, resp in zip(cases, integs, results):
            with self.subTest(type=case.type):
                assert_answer(self, resp, None, "VALID", self.secrets_of(case))
                assert_stored(self, ctx, case.category, integ["id"], "VALID", before[integ["id"]], error=None)
        # No clock: the fakes' own order of events. Each answer came while its provider still held the call,
        # and slipway then gave up on it (closed the connection); and the calls were open at the same time.
        calls = vf.held_calls(self.fakes, mark, len(cases))
        self.assertEqual(len(calls), len(cases), "one held call per integration")
        self.assertEqual({how for _, _, how in calls}, {"abandoned"}, "slipway gave up on every call at its timeout")
        self.assertGreater(vf.most_at_once(calls), 1, "checks of different integrations overlap")


class ExpiryTest(VerifyTest):
    """Expiry is EXPIRED: GitHub's token-expiration header in the past, Slack's token_expired, a certificate
    past notAfter; from NOT_VERIFIED it is stored INVALID with a message that says expired."""

    def _expired(self, case, stored_from="NOT_VERIFIED", stored_to="INVALID"):
        ctx = self.ctx
        body = assert_answer(self, ctx.verify_config(case.kind, case.config()), "EXPIRED", "EXPIRED",
                             self.secrets_of(case))
        self.assertTrue(mentions(body["message"], "expire"), "the message says expired: %r" % body["message"])
        integ = ctx.create(case.body)
        self.assertEqual(integ["verificationStatus"], stored_from)
        body = assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "EXPIRED", stored_to,
                             self.secrets_of(case))
        self.assertTrue(mentions(body["message"], "expire"), "the message says expired: %r" % body["message"])
        assert_stored(self, ctx, case.category, integ["id"], stored_to, "set", error=body["message"])
        return integ

    def test_github_expiration_header_in_the_past(self):
        self._expired(build(self.ctx, "GITHUB", expiration="2021-03-01 10:00:00 UTC"))

    def test_github_expired_mode(self):
        case = build(self.ctx, "GITHUB")
        self.case_rules(case, "expired")
        self._expired(case)

    def test_slack_token_expired(self):
        self._expired(build(self.ctx, "SLACK", error="token_expired"))

    def test_code_signing_certificate_past_not_after(self):
        self._expired(build(self.ctx, "CODE_SIGNING", cert=fx.certificate(expired=True)), "EXPIRED", "EXPIRED")

    def test_expired_answers_of_other_providers_are_a_verdict(self):
        """GitLab's "Token is expired", Azure's expired PAT, Google's invalid_grant for an expired key: 401s
        and invalid_grant (INVALID) that say expired (EXPIRED): either way a verdict, never VALID."""
        ctx = self.ctx
        gitlab = build(ctx, "GITLAB")
        self.fakes.register("gitlab", {"tokens": {gitlab.info["token"]: {"expired": True}}})
        azure = build(ctx, "AZURE_DEVOPS")
        self.fakes.register("azure", {"pats": {azure.info["pat"]: {"expired": True}}})
        play = build(ctx, "PLAY_STORE")
        self.fakes.register("google", {"accounts": {play.info["email"]: {"keyExpired": True}}})
        for case in (gitlab, azure, play):
            with self.subTest(type=case.type):
                assert_answer(self, ctx.verify_config(case.kind, case.config()), "NOT_VALID", None,
                              self.secrets_of(case))
                body = ctx.verify_config(case.kind, case.config()).json
                self.assertIn(body["verdict"], ("INVALID", "EXPIRED"), body)
                self.assertEqual(body["status"], body["verdict"])

    def test_github_expiration_in_the_future_is_valid_and_reported(self):
        case = build(self.ctx, "GITHUB", expiration="2030-12-01 10:00:00 UTC")
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "VALID", "VALID",
                             self.secrets_of(case))
        self.assertTrue(any("2030-12-01" in w for w in vf.words(body["details"])),
                        "details report the token's expiry: %s" % body["details"])


class ProviderRulesTest(VerifyTest):
    """The per-provider rules of docs/verification.md beyond found / not found."""

    def config(self, case, verdict, status=None):
        return assert_answer(self, self.ctx.verify_config(case.kind, case.config()), verdict,
                             status or verdict, self.secrets_of(case))

    def test_github_without_push_is_invalid(self):
        case = build(self.ctx, "GITHUB", perms={"pull": True, "push": False, "triage": True})
        body = self.config(case, "INVALID")
        self.assertTrue(mentions(body["message"], "push"), body["message"])
        self.assertTrue(mentions(body["message"], case.resource), body["message"])

    def test_github_scopes_are_reported(self):
        case = build(self.ctx, "GITHUB", scopes="repo, workflow, read:org")
        body = self.config(case, "VALID")
        self.assertTrue(any("read:org" in w for w in vf.words(body["details"])), body["details"])

    def test_github_fine_grained_token_without_scopes_header(self):
        self.config(build(self.ctx, "GITHUB", scopes=None), "VALID")

    def test_github_enterprise_server_url(self):
        case = build(self.ctx, "GITHUB", server_url=self.fakes.url("github") + "/api/v3")
        self.config(case, "VALID")
        paths = [e["path"] for e in self.wire("github")]
        self.assertIn("/api/v3/user", paths, "GitHub Enterprise's API is the serverUrl")

    def test_gitlab_reporter_is_invalid(self):
        self.config(build(self.ctx, "GITLAB", project_access=20), "INVALID")

    def test_gitlab_developer_through_the_group(self):
        self.config(build(self.ctx, "GITLAB", project_access=None, group_access=40), "VALID")

    def test_gitea_without_push_is_invalid(self):
        self.config(build(self.ctx, "GITEA", push=False), "INVALID")

    def test_play_account_without_access_is_invalid(self):
        body = self.config(build(self.ctx, "PLAY_STORE", access=False), "INVALID")
        self.assertTrue(body["message"])

    def test_app_store_key_that_does_not_match(self):
        case = build(self.ctx, "APP_STORE", register_key=fx.ec_private_key(tag="another"))
        self.config(case, "INVALID")
        notes = [e["notes"]["jwt"] for e in self.wire("appstore")]
        self.assertTrue(notes and not any(n.get("signatureVerified") for n in notes), notes)

    def test_firebase_ios_and_web_apps(self):
        for platform in ("ios", "web"):
            with self.subTest(platform=platform):
                self.config(build(self.ctx, "FIREBASE", platform=platform), "VALID")

    def test_jenkins_without_crumbs(self):
        self.config(build(self.ctx, "JENKINS", crumbs=False), "VALID")
        self.fakes.register("jenkins", {"crumbs": True})

    def test_slack_bot_not_in_channel(self):
        case = build(self.ctx, "SLACK", member_of=("dev-team",))
        body = self.config(case, "INVALID")
        self.assertTrue(mentions(body["message"], "releases") and mentions(body["message"], "invite"),
                        "the bot is not in #releases: /invite it -- got %r" % body["message"])

    def test_slack_channel_by_id(self):
        tok, chans, _ = vf.slack_team(self.ctx)
        body = fx.valid_body("SLACK", slackBotToken=tok, slackChannels=[chans["releases"]["id"]])
        case = vf.Case("SLACK", body, [tok], ["slack"], tok)
        self.config(case, "VALID")
        infos = [e for e in self.wire("slack") if e["path"].endswith("/conversations.info")]
        self.assertTrue(infos, "a channel id is looked up with conversations.info")

    def test_slack_revoked_and_inactive_tokens(self):
        for error in ("token_revoked", "account_inactive", "invalid_auth"):
            with self.subTest(error=error):
                self.config(build(self.ctx, "SLACK", error=error), "INVALID")

    def test_slack_webhook_only(self):
        good = fx.valid_body("SLACK", slackBotToken=None,
                             slackWebhookUrl="https://hooks.slack.com/services/T0000/B0000/" + fx.token("", 24))
        case = vf.Case("SLACK", good, [good["slackWebhookUrl"]], [])
        self.config(case, "VALID")
        bad = fx.valid_body("SLACK", slackBotToken=None,
                            slackWebhookUrl="https://example.com/services/T0000/B0000/" + fx.token("", 24))
        self.config(vf.Case("SLACK", bad, [bad["slackWebhookUrl"]], []), "INVALID")
        # judged as parsed (issue 11): the path is the one after its dot segments
        hook = "https://hooks.slack.com/services/../api/" + fx.token("", 24)
        bad = fx.valid_body("SLACK", slackBotToken=None, slackWebhookUrl=hook)
        self.config(vf.Case("SLACK", bad, [hook], []), "INVALID")
        self.assertEqual(self.wire("slack"), [], "a webhook is not called without sendTest")

    def test_teams_needs_https_on_an_office_host(self):
        for url in ("http://example.webhook.office.com/webhookb2/" + fx.token("", 30),
                    "https://webhook.office.com.example.net/webhookb2/" + fx.token("", 30),
                    # issue 11: the host as libcurl parses it is evil.example, whatever the text ends with
                    "https://evil.example#.webhook.office.com/" + fx.token("", 30),
                    "https://evil.example?.webhook.office.com/" + fx.token("", 30)):
            with self.subTest(url=url):
                self.config(vf.Case("TEAMS", fx.valid_body("TEAMS", teamsWebhookUrl=url), [url], []), "INVALID")
        for host in ("prod-12.westus.logic.azure.com", "default1234.environment.api.powerplatform.com"):
            with self.subTest(host=host):
                url = "https://%s/workflows/%s" % (host, fx.token("", 30))
                self.config(vf.Case("TEAMS", fx.valid_body("TEAMS", teamsWebhookUrl=url), [url], []), "VALID")

    def test_linear_authentication_error_at_http_200(self):
        self.fakes.register("linear", {"authErrorStatus": 200})
        try:
            self.config(build(self.ctx, "LINEAR", creds=False), "INVALID")
        finally:
            self.fakes.register("linear", {"authErrorStatus": 401})

    def test_code_signing_not_yet_valid(self):
        case = build(self.ctx, "CODE_SIGNING", cert=vf.future_certificate())
        self.config(case, "INVALID")

    def test_email_without_starttls_is_not_valid(self):
        case = build(self.ctx, "EMAIL")
        self.case_rules(case, "nostarttls")
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "NOT_VALID", None,
                             self.secrets_of(case))
        self.assertFalse(body["success"])
        for e in self.wire("smtp"):
            self.assertIsNone(e["session"]["auth"], "no AUTH in the clear")
            self.assertFalse(any(c.upper().startswith("AUTH") for c in e["session"]["commands"]),
                             "credentials are never sent without TLS")


if __name__ == "__main__":
    unittest.main()
