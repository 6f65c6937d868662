"""Outbound calls (docs/verification.md "Outbound calls"): the address guard
(SSRF) with and without SLIPWAY_OUTBOUND_ALLOW, TLS verification, rate
limiting (GitHub's X-RateLimit-Remaining: 0 holds every GitHub call until
X-RateLimit-Reset; Slack's and Apple's 429), answers that are not JSON and
connections dropped without an answer: none of them is a verdict."""

import concurrent.futures
import json
import re
import time
import unittest

import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest, assert_answer, assert_stored, build

REFUSED_RE = re.compile(r"not (be )?allowed|disallowed|\bblocked\b|refuse|may not (be )?call|SLIPWAY_OUTBOUND_ALLOW", re.I)


def tearDownModule():
    vf.stop_servers()


class NoAllowListTest(VerifyTest):
    """A server without SLIPWAY_OUTBOUND_ALLOW refuses 127.0.0.1: no verdict, a message that says the address is
    not allowed, and nothing reaches the fakes."""

    server_kind = "noallow"

    def check(self, case):
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                             case.secrets)
        self.assertRegex(body["message"], REFUSED_RE, "the message says the address is not allowed")
        return body

    def test_every_network_type(self):
        for type_ in vf.NETWORK_TYPES:
            with self.subTest(type=type_):
                case = build(self.ctx, type_)
                self.check(case)
                integ = self.ctx.create(case.body)
                assert_answer(self, self.ctx.verify_stored(case.category, integ["id"]), None, "NOT_VERIFIED")
                assert_stored(self, self.ctx, case.category, integ["id"], "NOT_VERIFIED", None)
        self.assertEqual(self.wire(), [], "no connection reached a fake (not even a TLS handshake)")

    def test_names_that_resolve_to_loopback(self):
        case = build(self.ctx, "JENKINS")
        case.body["jenkinsUrl"] = self.fakes.url("jenkins").replace("127.0.0.1", "localhost")
        self.check(case)
        case = build(self.ctx, "GITHUB", server_url=self.fakes.url("github").replace("127.0.0.1", "localhost")
                     + "/api/v3")
        self.check(case)
        self.assertEqual(self.wire(), [], "the address is checked after DNS resolution")


class SpecialAddressTest(VerifyTest):
    """With 127.0.0.0/8 allowed, other private, link-local (cloud metadata) and loopback addresses are still
    refused."""

    ADDRESSES = ("169.254.169.254", "10.0.0.1", "172.16.0.1", "192.168.1.1", "[::1]", "[::ffff:169.254.169.254]",
                 "[::ffff:10.0.0.1]", "0.0.0.0", "[fe80::1]", "[fd00::1]")

    def test_refused(self):
        for address in self.ADDRESSES:
            with self.subTest(address=address):
                case = build(self.ctx, "JENKINS")
                case.body["jenkinsUrl"] = "https://%s:%d" % (address, self.fakes.state["providers"]["jenkins"]["port"])
                resp = self.ctx.verify_config(case.kind, case.config())
                if resp.status == 400:  # the URL rule refused it already: safe too
                    fx.assert_invalid_at(self, resp, "jenkinsUrl")
                    continue
                body = assert_answer(self, resp, None, "NOT_VERIFIED", case.secrets)
                self.assertRegex(body["message"], REFUSED_RE, "the message says the address is not allowed")

    def test_localhost_is_allowed_by_the_list(self):
        case = build(self.ctx, "JENKINS")
        case.body["jenkinsUrl"] = self.fakes.url("jenkins").replace("127.0.0.1", "localhost")
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "VALID", "VALID",
                      self.secrets_of(case))


class TlsTest(VerifyTest):
    """TLS verification is never off: a certificate no CA of SLIPWAY_CA_BUNDLE signed is no verdict."""

    def test_untrusted_certificate(self):
        tok, org, repo, _ = vf.github_token(self.ctx)
        self.fakes.register("untrusted", {"tokens": {tok: {"login": "x", "repos": {org + "/" + repo: vf.GITHUB_PERMS}}}})
        case = build(self.ctx, "GITHUB", server_url=self.fakes.url("untrusted") + "/api/v3")
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                             case.secrets)
        self.assertTrue(body["message"])
        deadline = time.monotonic() + 2  # the fake logs its side of the failed handshake a moment later
        while not self.wire("untrusted") and time.monotonic() < deadline:
            time.sleep(0.05)
        seen = self.wire("untrusted")
        self.assertTrue(seen, "slipway did try to connect")
        self.assertTrue(all("tlsError" in e for e in seen), "nothing got past the handshake: %s" % seen)

    def test_plain_http_to_a_tls_port_is_no_verdict(self):
        case = build(self.ctx, "JENKINS")
        case.body["jenkinsUrl"] = self.fakes.url("jenkins").replace("https://", "http://")
        resp = self.ctx.verify_config(case.kind, case.config())
        body = assert_answer(self, resp, "NOT_VALID", None, self.secrets_of(case))
        self.assertNotEqual(body["verdict"], "VALID")


class RateLimitTest(VerifyTest):
    """Rate limiting is no verdict; after GitHub's X-RateLimit-Remaining: 0 no GitHub call is made until
    X-RateLimit-Reset."""

    RESET = 3

    def test_github(self):
        ctx = self.ctx
        case = build(ctx, "GITHUB")
        integ = ctx.create(case.body)
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "VALID", "VALID")
        first = ctx.get(case.category, integ["id"])
        rule = self.rule("github", "ratelimited", match=case.match, seconds=self.RESET)
        reset_at = time.time() + self.RESET
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), None, "VALID")
        self.fakes.drop(rule)
        assert_stored(self, ctx, case.category, integ["id"], "VALID", first["lastVerifiedAt"], error=None)
        mark = self.fakes.mark()
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), None, "VALID")
        self.assertEqual(self.fakes.requests("github", mark), [],
                         "no GitHub call before X-RateLimit-Reset")
        time.sleep(max(0, reset_at - time.time()) + 1.2)
        assert_answer(self, ctx.verify_stored(case.category, integ["id"]), "VALID", "VALID")

    def test_slack_and_app_store_429(self):
        for type_ in ("SLACK", "APP_STORE", "CIRCLECI"):
            with self.subTest(type=type_):
                case = build(self.ctx, type_)
                self.case_rules(case, "ratelimited", seconds=30)
                assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                              self.secrets_of(case))


class LimitsTest(VerifyTest):
    """GITHUB_API_RATE_LIMIT (GitHub calls an hour slipway allows itself) and the per-provider timeouts
    (APPSTORE_CONNECT_TIMEOUT, PLAYSTORE_API_TIMEOUT over SLIPWAY_OUTBOUND_TIMEOUT), on a server of its own."""

    LIMIT = 3
    ENV = {"GITHUB_API_RATE_LIMIT": str(LIMIT), "SLIPWAY_OUTBOUND_TIMEOUT": "600", "APPSTORE_CONNECT_TIMEOUT": "4000",
           "PLAYSTORE_API_TIMEOUT": "4000"}

    @classmethod
    def setUpClass(cls):
        cls.fakes = vf.fakes()
        cls.server = vf.start_server(cls.fakes, extra=cls.ENV)
        cls.ctx = vf.Ctx(cls.server, cls.fakes)

    @classmethod
    def tearDownClass(cls):
        cls.ctx.absorb_wire_secrets(0)
        cls.server.stop()

    def test_github_calls_an_hour(self):
        case = build(self.ctx, "GITHUB")
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "VALID", "VALID")
        verdicts = [self.ctx.verify_config(case.kind, case.config()).json["verdict"] for _ in range(3)]
        self.assertLessEqual(len(self.wire("github")), self.LIMIT, "at most GITHUB_API_RATE_LIMIT GitHub calls")
        self.assertIsNone(verdicts[-1], "past the limit: no call, no verdict")
        self.assertNotIn("INVALID", verdicts, "the own limit is no verdict")

    def test_per_provider_timeouts(self):
        """Fakes 1 s slow: App Store and Google calls (4 s timeouts) wait for them, Jira (0.6 s) does not."""
        expect = {"APP_STORE": "VALID", "PLAY_STORE": "VALID", "FIREBASE": "VALID", "JIRA": None}
        cases = {t: build(self.ctx, t) for t in expect}
        for case in cases.values():
            self.case_rules(case, "slow", seconds=1.0)
        with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
            answers = dict(zip(cases, pool.map(lambda c: self.ctx.verify_config(c.kind, c.config()),
                                               cases.values())))
        for type_, verdict in expect.items():
            with self.subTest(type=type_):
                assert_answer(self, answers[type_], verdict, verdict or "NOT_VERIFIED",
                              self.secrets_of(cases[type_]))


# A 200 whose body is not JSON, per type (every type that calls an HTTP API is in one of the two):
# where the contract's verdict needs the answer's content, no verdict, and the status is unchanged ...
MALFORMED_NO_VERDICT = {
    "GITHUB": "the repository's permissions", "GITLAB": "the project's access level", "BITBUCKET": "the user and "
    "repository objects", "GITEA": "the repository's permissions", "SLACK": "ok, the channels and is_member",
    "APP_STORE": "data (the apps of the bundle id)", "PLAY_STORE": "the access token, then the edit id",
    "FIREBASE": "the access token", "LINEAR": "the viewer and the team",
}
# ... and where the contract's verdict is the status of each call (docs/verification.md "What each
# verification does" reads nothing else), that status: VALID.
MALFORMED_STATUS_ONLY = {
    "JIRA": "200 from /myself and from /project/{key}", "TEST_RAIL": "200 from get_project",
    "AZURE_DEVOPS": "200 from the project", "CIRCLECI": "200 from the project",
    "JENKINS": "200 from /api/json and from the job (a crumb that cannot be read is no crumb)",
    "GITHUB_ACTIONS": "200 from the workflow", "GITLAB_CI": "200 from the project's pipelines",
    "SENTRY": "200 from the project", "BUGSNAG": "200 from the project",
}


class BrokenAnswersTest(VerifyTest):
    """A 200 that is not JSON is VALID only where the contract reads nothing but the status, and otherwise no
    verdict; a connection dropped without an answer is no verdict."""

    def test_every_http_type_is_in_one_table(self):
        http_types = [t for t in vf.NETWORK_TYPES if t != "EMAIL"]  # EMAIL speaks SMTP
        self.assertTrue(http_types)
        self.assertEqual(sorted(http_types), sorted(list(MALFORMED_NO_VERDICT) + list(MALFORMED_STATUS_ONLY)))

    def test_malformed_json(self):
        for type_, why in sorted(MALFORMED_NO_VERDICT.items()) + sorted(MALFORMED_STATUS_ONLY.items()):
            with self.subTest(type=type_, verdict_from=why):
                case = build(self.ctx, type_)
                self.case_rules(case, "malformed")
                resp = self.ctx.verify_config(case.kind, case.config())
                if type_ in MALFORMED_NO_VERDICT:
                    body = assert_answer(self, resp, None, "NOT_VERIFIED", self.secrets_of(case))
                    self.assertIn("not JSON", body["message"])
                else:
                    assert_answer(self, resp, "VALID", "VALID", self.secrets_of(case))

    def test_connection_closed(self):
        for type_ in ("GITHUB", "JENKINS", "PLAY_STORE", "SLACK"):
            with self.subTest(type=type_):
                case = build(self.ctx, type_)
                self.case_rules(case, "close")
                assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                              self.secrets_of(case))

    def test_second_step_failing(self):
        """The token exchange works but Play answers 500; the repository call fails after /user: no verdict."""
        case = build(self.ctx, "PLAY_STORE")
        self.rule("play", "500", match=case.match)
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                      self.secrets_of(case))
        case = build(self.ctx, "GITHUB")
        self.rule("github", "503", match=case.match, path="/repos/")
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), None, "NOT_VERIFIED",
                      self.secrets_of(case))


class CauseTest(VerifyTest):
    """Issue 13: the answer's details say why a check failed, in words, never with a secret: the class of a
    network failure, or the provider's status and its own error text."""

    def cause(self, case):
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "ANY", None, self.secrets_of(case))
        self.assertIsInstance(body["details"].get("cause"), str, json.dumps(body))
        return body["details"]["cause"]

    def test_refused_connection(self):
        case = build(self.ctx, "JENKINS")
        case.body["jenkinsUrl"] = "https://127.0.0.1:%d" % vf.closed_port()
        self.assertEqual(self.cause(case), "the connection was refused, or the host cannot be reached")

    def test_closed_without_answer(self):
        case = build(self.ctx, "GITHUB")
        self.case_rules(case, "close")
        self.assertRegex(self.cause(case), r"closed the connection|broke")

    def test_untrusted_certificate(self):
        tok, org, repo, _ = vf.github_token(self.ctx)
        self.fakes.register("untrusted", {"tokens": {tok: {"login": "x", "repos": {org + "/" + repo: vf.GITHUB_PERMS}}}})
        case = build(self.ctx, "GITHUB", server_url=self.fakes.url("untrusted") + "/api/v3")
        self.assertRegex(self.cause(case), r"TLS")

    def test_the_providers_own_words(self):
        case = build(self.ctx, "GITHUB", creds=False)
        self.assertEqual(self.cause(case), "GitHub answered 401: Bad credentials")


if __name__ == "__main__":
    unittest.main()
