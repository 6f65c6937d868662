#!/usr/bin/env python3
"""A Google Play submission and a rollout increase under kill -9 (docs/stores.md; docs/reliability.md).

One READY release of a tenant whose PLAY_STORE target is the Play fake. The
process running the store-submission job is killed (SIGKILL) three times,
each while one of its calls is unanswered: the track update of the
submission's edit (the edit changed, not committed: the call resumes at
that step on the next process and commits the same edit), the submission's
commit, and the commit of the increase to 50 %. The fake has acted on each
call and holds back its answer (the rule `lose`): for a commit, the change
is live and its answer lost. The next process on the same SQLite database
takes the job over once the dead one's lease runs out, and the call
resumes where the job's row says it was: the commit sent again is refused
(the edit is committed), a new edit finds the release already as wanted,
and the job records it. At the end the submission is ROLLING_OUT at 50 %
and the fake committed exactly two edits.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/store_play.py
"""

import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import verify_fixtures as vf  # noqa: E402
import test_releases as tr  # noqa: E402
import test_store_play as sp  # noqa: E402  (the READY release and the Play target of the API tests)
from kickoff import LEASE_SECONDS, wait_for  # noqa: E402


class StorePlayKillTest(unittest.TestCase):
    def setUp(self):
        self.client = vf.fakes()
        self.shared = vf.SharedDatabase(self.client)
        self.shared.env.update({"SLIPWAY_JOB_LEASE": str(LEASE_SECONDS), "SLIPWAY_JOB_POLL_MS": "50",
                                "SLIPWAY_OUTBOUND_TIMEOUT": "60000", "PLAYSTORE_API_TIMEOUT": "60000"})
        self.rules = []

    def tearDown(self):
        for rule in self.rules:
            self.client.drop(rule)
        self.shared.close()

    def test_killed_at_update_and_commits(self):
        server = self.shared.start()
        ctx = vf.Ctx(server, self.client)
        tr.allow_releases(self, ctx)
        _, case = sp.play_target(ctx)
        package = case.info["package"]
        rel = sp.ready_release(self, ctx, "6.0.0")
        self.shared.secrets |= ctx.secrets
        self.shared.remember()
        base = "/api/v1/%s/releases/%s/submissions" % (ctx.tenant_id, rel["id"])

        def answered(method, tail, since):
            return [r for r in self.client.requests("play", since)
                    if r.get("method") == method and r.get("path", "").endswith(tail) and r.get("status") is not None]

        def kill(what, method, tail, ask):
            nonlocal server
            since = self.client.mark()
            self.rules.append(self.client.rule("play", "lose", method=method, match=tail))
            if ask:
                ask()
            wait_for(what, lambda: answered(method, tail, since))
            os.kill(server.pid, signal.SIGKILL)
            self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
            server.pid = None
            self.client.drop(self.rules.pop())
            server = self.shared.start(migrate=False)
            ctx.server = server

        def settled(sub_id):
            def done():
                got = harness.expect(self, server.request("GET", base + "/" + sub_id, token=ctx.token), 200)
                return got if got["pendingAction"] is None else None
            return wait_for("the submission's action to end", done)

        sub = {}
        start = self.client.mark()

        def submit():
            sub.update(harness.expect(self, server.request("POST", base, {"platform": "ANDROID", "buildNumber": sp.CODE,
                                                                          "rolloutPermille": 100}, token=ctx.token), 201))

        kill("the track update", "PUT", "/tracks/production", submit)
        kill("the submission's commit", "POST", ":commit", None)
        got = settled(sub["id"])
        self.assertEqual((got["status"], got["rolloutFraction"]), ("ROLLING_OUT", 0.1), got)

        def increase():
            harness.expect(self, server.request("POST", base + "/" + sub["id"] + "/rollout", {"rolloutPermille": 500},
                                                token=ctx.token), 200)
        kill("the increase's commit", "POST", ":commit", increase)
        got = settled(sub["id"])
        self.assertEqual((got["status"], got["rolloutFraction"]), ("ROLLING_OUT", 0.5), got)

        commits = [r["status"] for r in self.client.requests("play", start) if r.get("path", "").endswith(":commit")]
        self.assertEqual(commits, [200, 404, 200, 404], "each commit made by the call a kill interrupted; the resumed "
                                                          "call's commit refused as done, a new edit found it applied")
        pkg = self.client.data("play")["packages"][package]
        self.assertEqual(len(pkg["commits"]), 2, "the submission and the increase, each committed once")
        [live] = pkg["tracks"]["production"]
        self.assertEqual((live["status"], live["userFraction"]), ("inProgress", 0.5))
        events = [(e["kind"], e["name"], e["outcome"]) for e in harness.expect(
            self, server.request("GET", "/api/v1/%s/releases/%s" % (ctx.tenant_id, rel["id"]), token=ctx.token),
            200)["events"]]
        self.assertEqual(events.count(("STATUS", "submitted", None)), 1, events)
        self.assertEqual(events.count(("STATUS", "rollout-updated", None)), 1, events)
        print("store_play: killed 3 times (the track update, two commits); 2 edits committed, ROLLING_OUT at 50 %%; "
              "%d timeline events" % len(events))


if __name__ == "__main__":
    unittest.main()
