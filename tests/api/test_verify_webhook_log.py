"""Secrets in the log (issue 11): a webhook's URL is its secret. A test message (sendTest) to a Slack webhook or a
Teams webhook that fails in any way (a name that does not resolve, a refused connection, a timeout, a certificate
no trusted CA signed, a dropped connection, a 4xx or 5xx answer) leaves no part of the URL that is secret in any
server log line, and in no answer; the log names the integration by type and id instead.

The server under test takes webhooks on 127.0.0.1 (the fakes) and under nosuch.invalid (RFC 6761: never resolves)
through SLIPWAY_SLACK_WEBHOOK_HOSTS and SLIPWAY_TEAMS_WEBHOOK_HOSTS."""

import json
import unittest

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import assert_answer

UNRESOLVABLE = "nosuch.invalid"
HOSTS = {"SLIPWAY_SLACK_WEBHOOK_HOSTS": "127.0.0.1,hooks." + UNRESOLVABLE,
         "SLIPWAY_TEAMS_WEBHOOK_HOSTS": "127.0.0.1,." + UNRESOLVABLE}
NO_ANSWER = ("unresolvable", "refused", "timeout", "tls", "close")  # modes where no HTTP answer arrives


def hook(type_, base):
    """A webhook URL under base and the secret parts in it."""
    if type_ == "SLACK":
        secret = fx.token("", 24)
        return base + "/services/T0SLIPWAY/B0SLIPWAY/" + secret, [secret]
    secret, sig = fx.token("", 32), fx.token("", 43)
    return base + "/workflows/" + secret + "/triggers/manual/paths/invoke?api-version=2016-06-01&sig=" + sig, \
        [secret, sig]


class WebhookFailureLogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fakes = vf.fakes()
        cls.server = vf.start_server(cls.fakes, extra=HOSTS)
        cls.ctx = vf.Ctx(cls.server, cls.fakes)
        cls.secrets = set()
        cls.ids = {}  # (type, mode) -> the stored integration's id

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()  # the harness checks the log for every remembered secret too

    def base(self, type_, mode):
        if mode == "unresolvable":
            return "https://%s.%s" % ("hooks" if type_ == "SLACK" else "acme", UNRESOLVABLE)
        if mode == "refused":
            return "https://127.0.0.1:%d" % vf.closed_port()
        if mode == "tls":
            return self.fakes.url("untrusted")  # a local TLS listener whose certificate no trusted CA signed
        return self.fakes.url("webhooks")

    def check(self, type_, mode, verdict, status, rule=None):
        """sendTest on a configuration, then on the stored integration, with the fake in `mode`."""
        url, parts = hook(type_, self.base(type_, mode))
        field = "slackWebhookUrl" if type_ == "SLACK" else "teamsWebhookUrl"
        body = fx.valid_body(type_, **{field: url, "slackBotToken": None} if type_ == "SLACK" else {field: url})
        secrets = [url, url.split("?")[0]] + parts
        self.secrets.update(secrets)
        for value in secrets:
            self.server.remember_secret(value)
        made = self.fakes.rule("webhooks", rule, match=parts[0], seconds=vf.SLOW_SECONDS) if rule else None
        try:
            config = {k: v for k, v in body.items() if k != "type"}
            assert_answer(self, self.ctx.verify_config(vf.KINDS[type_], config, send_test=True), verdict, status,
                          secrets)
            integ = self.ctx.create(body)
            self.ids[(type_, mode)] = integ["id"]
            resp = self.ctx.verify_stored("communication", integ["id"], body={"sendTest": True})
            assert_answer(self, resp, verdict, status, secrets)
        finally:
            if made:
                self.fakes.drop(made)

    def test_every_failure_mode(self):
        modes = [("ok", "VALID", "VALID", None),
                 ("unresolvable", None, "NOT_VERIFIED", None), ("refused", None, "NOT_VERIFIED", None),
                 ("timeout", None, "NOT_VERIFIED", "slow"), ("tls", None, "NOT_VERIFIED", None),
                 ("close", None, "NOT_VERIFIED", "close"), ("401", "INVALID", "INVALID", "401"),
                 ("403", "INVALID", "INVALID", "403"), ("404", "INVALID", "INVALID", "404"),
                 ("429", None, "NOT_VERIFIED", "ratelimited"), ("500", None, "NOT_VERIFIED", "500"),
                 ("503", None, "NOT_VERIFIED", "503")]
        mark = self.fakes.mark()
        for type_ in ("SLACK", "TEAMS"):
            for mode, verdict, status, rule in modes:
                with self.subTest(type=type_, mode=mode):
                    self.check(type_, mode, verdict, status, rule)
        posted = [e for e in self.fakes.requests("webhooks", mark) if e.get("method") == "POST"]
        self.assertTrue(any(e["path"].startswith("/services/") for e in posted), "the Slack test message was sent")
        self.assertTrue(any(e["path"].startswith("/workflows/") for e in posted), "the Teams test card was sent")

        lines = self.server.log_text().splitlines()
        for number, line in enumerate(lines, 1):
            texts = [line]
            try:
                texts += [v for v in json.loads(line).values() if isinstance(v, str)]
            except ValueError:
                pass
            for secret in self.secrets:
                for text in texts:
                    self.assertNotIn(secret, text, "log line %d holds a webhook's secret: %s" % (number, line))
        # What is logged instead: the integration, by type and id.
        for (type_, mode), id in self.ids.items():
            if mode in NO_ANSWER:
                with self.subTest(logged=(type_, mode)):
                    self.assertTrue(any("provider %s %s:" % (type_, id) in line for line in lines),
                                    "a log line names %s %s (%s)" % (type_, id, mode))


if __name__ == "__main__":
    unittest.main()
