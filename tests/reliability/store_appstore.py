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

The second case kills it twice around a phased release's start (an
approved version's `rollout`): making the phased release, and releasing
the version. The resumed call's write is refused (made already, not
pending any more), it reads the version and its phased release again and
goes on: one phased release, ACTIVE, one release request.

The third kills it while the rollout's job follows the phased release (a
durable wait between two reads): the next process takes the wait over,
follows Apple's day (10 %) and its completion (RELEASED, the release too)
with reads only.

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

    def start(self, case):
        """A server on the shared database, and the API test t (case's tenant, key and app) on it."""
        server = self.shared.start()
        t = sa.AppStoreTest(case)
        t.server, t.fakes, t.mark = server, self.client, self.client.mark()
        t.prepare()
        self.shared.secrets |= t.ctx.secrets
        self.shared.remember()
        return server, t

    def killer(self, server, t):
        """kill(what, method, path, ask): the call the fake acts on lost, the process killed, a new one started."""
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
        return kill

    def test_killed_around_phased_release_start(self):
        server, t = self.start("test_phased_release_start_pause_resume_complete")
        kill = self.killer(server, t)
        rel, sub = t.approved("5.1.0")
        vid = sub["storeVersionId"]
        kill("making the phased release", "POST", "/v1/appStoreVersionPhasedReleases",
             lambda: t.expect(t.act(rel, sub, "rollout", {"rolloutPermille": 10}), 200))
        kill("releasing the version", "POST", "/v1/appStoreVersionReleaseRequests", None)
        sub = t.until(rel, sub, "rolled out", lambda s: s["pendingAction"] is None)
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.01))
        data = self.client.data("appstore")
        phased = [p for p in data["phasedReleases"].values() if p["version"] == vid]
        self.assertEqual([p["phasedReleaseState"] for p in phased], ["ACTIVE"], "made once, and started")
        self.assertEqual((data["requests"]["phased"].count(vid), data["requests"]["release"].count(vid)), (1, 1))
        print("store_appstore: killed twice (making the phased release, releasing the version); one phased release, "
              "ACTIVE; the submission ROLLING_OUT")

    def test_killed_while_following_the_phased_release(self):
        server, t = self.start("test_phased_release_followed")
        rel, sub = t.approved("5.2.0")
        sub = t.acted(rel, sub, "rollout", {"rolloutPermille": 10})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.01))
        start = self.client.mark()
        os.kill(server.pid, signal.SIGKILL)  # the rollout's job is in its durable wait: following the phased release
        self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
        server.pid = None
        t.server = t.ctx.server = self.shared.start(migrate=False)
        t.followed(rel, sub, start)
        print("store_appstore: killed while following a phased release; the next process followed Apple's day and "
              "its completion (RELEASED) with reads only; one phased release, one release request")

    def test_killed_at_review_and_submit(self):
        server, t = self.start("test_processing_review_approved_released")
        kill = self.killer(server, t)
        start = self.client.mark()

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
