#!/usr/bin/env python3
"""An App Store Connect submission under kill -9 (docs/stores.md; docs/reliability.md).

One READY iOS release of a tenant whose APP_STORE target is the fake. The
process running the store-submission job is killed (SIGKILL) twice, each
while a call the fake acted on is unanswered (the rule `lose`): making the
review submission, and submitting it. The next process on the same SQLite
database takes the job over once the dead one's lease runs out and resumes
the call where the job's row says it was: the review submission made again
is refused (one open a platform) and the one made is found; the submit sent
again is refused (already submitted) and the version's state shows it went
through. At the end the submission is SUBMITTED, the fake holds one review
submission, submitted once.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/store_appstore.py
"""

import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import verify_fixtures as vf  # noqa: E402
import test_store_appstore as sa  # noqa: E402  (the tenant, key and app of the API tests)
from kickoff import LEASE_SECONDS, wait_for  # noqa: E402


class StoreAppStoreKillTest(unittest.TestCase):
    def setUp(self):
        self.client = vf.fakes()
        self.shared = vf.SharedDatabase(self.client)
        self.shared.env.update({"SLIPWAY_JOB_LEASE": str(LEASE_SECONDS), "SLIPWAY_JOB_POLL_MS": "50",
                                "SLIPWAY_OUTBOUND_TIMEOUT": "60000", "APPSTORE_CONNECT_TIMEOUT": "60000"})
        self.rules = []

    def tearDown(self):
        for rule in self.rules:
            self.client.drop(rule)
        self.shared.close()

    def test_killed_at_review_and_submit(self):
        server = self.shared.start()
        t = sa.AppStoreTest("test_processing_review_approved_released")
        t.server, t.fakes, t.mark = server, self.client, self.client.mark()
        t.prepare()
        self.shared.secrets |= t.ctx.secrets
        self.shared.remember()
        start = self.client.mark()

        def answered(method, path, since):
            return [r for r in self.client.requests("appstore", since)
                    if r.get("method") == method and r.get("path") == path and r.get("status") is not None]

        def kill(what, method, path, ask):
            nonlocal server
            since = self.client.mark()
            self.rules.append(self.client.rule("appstore", "lose", method=method, path=path))
            if ask:
                ask()
            wait_for(what, lambda: answered(method, path, since))
            os.kill(server.pid, signal.SIGKILL)
            self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
            server.pid = None
            self.client.drop(self.rules.pop())
            server = self.shared.start(migrate=False)
            t.server = t.ctx.server = server

        made = {}
        t.build("5.0.0", "VALID")
        kill("making the review submission", "POST", "/v1/reviewSubmissions",
             lambda: made.update(zip(("rel", "sub"), t.submit("5.0.0"))))
        review = [rid for rid, r in self.client.data("appstore")["reviewSubmissions"].items() if r["app"] == t.app]
        self.assertEqual(len(review), 1)
        kill("submitting it", "PATCH", "/v1/reviewSubmissions/" + review[0], None)
        sub = t.until(made["rel"], made["sub"], "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual(sub["storeSubmissionId"], review[0])
        data = self.client.data("appstore")
        self.assertEqual([rid for rid, r in data["reviewSubmissions"].items() if r["app"] == t.app], review)
        self.assertEqual(data["reviewSubmissions"][review[0]]["items"], [sub["storeVersionId"]])
        answers = [(r["method"], r["status"]) for r in self.client.requests("appstore", start)
                   if r.get("path", "").startswith("/v1/reviewSubmissions") and r["method"] in ("POST", "PATCH")]
        self.assertEqual(answers, [("POST", 201), ("POST", 409), ("PATCH", 200), ("PATCH", 409)],
                         "each made by the call a kill interrupted, refused when the resumed call asked again")
        print("store_appstore: killed twice (making and submitting the review submission); one review submission, "
              "submitted once; the submission SUBMITTED")


if __name__ == "__main__":
    unittest.main()
