#!/usr/bin/env python3
"""A Google Play submission, a rollout increase and a rollout plan under kill -9 (docs/stores.md; docs/reliability.md).

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
and the fake committed exactly two edits. A second case kills a rollout plan's
own stage job twice: each stage is still queued once and committed once.

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

    def start(self, version):
        """A server on the shared database, a tenant with a Play target and a READY release; the submissions' path."""
        self.server = self.shared.start()
        self.ctx = vf.Ctx(self.server, self.client)
        tr.allow_releases(self, self.ctx)
        _, case = sp.play_target(self.ctx)
        self.rel = sp.ready_release(self, self.ctx, version)
        self.shared.secrets |= self.ctx.secrets
        self.shared.remember()
        self.base = "/api/v1/%s/releases/%s/submissions" % (self.ctx.tenant_id, self.rel["id"])
        return case.info["package"]

    def answered(self, method, tail, since):
        return [r for r in self.client.requests("play", since)
                if r.get("method") == method and r.get("path", "").endswith(tail) and r.get("status") is not None]

    def kill(self, what, method, tail, ask, match=None):
        """With the fake's answers to method ...tail (matching match) lost, ask; kill -9 the server once the fake
        has acted on one, then start the next process on the same database."""
        since = self.client.mark()
        self.rules.append(self.client.rule("play", "lose", method=method, path=tail, **({"match": match} if match else {})))
        if ask:
            ask()
        wait_for(what, lambda: self.answered(method, tail, since))
        os.kill(self.server.pid, signal.SIGKILL)
        self.assertIsNotNone(self.server.wait_exit(10), "the killed process is gone")
        self.server.pid = None
        self.client.drop(self.rules.pop())
        self.server = self.shared.start(migrate=False)
        self.ctx.server = self.server

    def get(self, sub_id):
        return harness.expect(self, self.server.request("GET", self.base + "/" + sub_id, token=self.ctx.token), 200)

    def settled(self, sub_id, probe=lambda got: True):
        return wait_for("the submission's action to end",
                        lambda: (lambda got: got if got["pendingAction"] is None and probe(got) else None)(
                            self.get(sub_id)))

    def events(self):
        return [(e["kind"], e["name"], e["outcome"], e["actorAccountId"]) for e in harness.expect(
            self, self.server.request("GET", "/api/v1/%s/releases/%s" % (self.ctx.tenant_id, self.rel["id"]),
                                      token=self.ctx.token), 200)["events"]]

    def test_killed_at_update_and_commits(self):
        package = self.start("6.0.0")
        sub = {}
        start = self.client.mark()

        def submit():
            sub.update(harness.expect(self, self.server.request("POST", self.base, {
                "platform": "ANDROID", "buildNumber": sp.CODE, "rolloutPermille": 100}, token=self.ctx.token), 201))

        self.kill("the track update", "PUT", "/tracks/production", submit)
        self.kill("the submission's commit", "POST", ":commit", None)
        got = self.settled(sub["id"])
        self.assertEqual((got["status"], got["rolloutFraction"]), ("ROLLING_OUT", 0.1), got)

        def increase():
            harness.expect(self, self.server.request("POST", self.base + "/" + sub["id"] + "/rollout",
                                                     {"rolloutPermille": 500}, token=self.ctx.token), 200)
        self.kill("the increase's commit", "POST", ":commit", increase)
        got = self.settled(sub["id"])
        self.assertEqual((got["status"], got["rolloutFraction"]), ("ROLLING_OUT", 0.5), got)

        commits = [r["status"] for r in self.client.requests("play", start) if r.get("path", "").endswith(":commit")]
        self.assertEqual(commits, [200, 404, 200, 404], "each commit made by the call a kill interrupted; the resumed "
                                                          "call's commit refused as done, a new edit found it applied")
        pkg = self.client.data("play")["packages"][package]
        self.assertEqual(len(pkg["commits"]), 2, "the submission and the increase, each committed once")
        [live] = pkg["tracks"]["production"]
        self.assertEqual((live["status"], live["userFraction"]), ("inProgress", 0.5))
        events = [e[:3] for e in self.events()]
        self.assertEqual(events.count(("STATUS", "submitted", None)), 1, events)
        self.assertEqual(events.count(("STATUS", "rollout-updated", None)), 1, events)
        print("store_play: killed 3 times (the track update, two commits); 2 edits committed, ROLLING_OUT at 50 %%; "
              "%d timeline events" % len(events))

    def test_killed_during_a_rollout_plan(self):
        """A plan of three stages with no wait: the process is killed at its second stage's track update (the plan's
        own job, the edit changed and not committed) and again at the next commit (live, its answer lost).
        Each stage is queued once and committed once: three commits, two plan actions, RELEASED."""
        package = self.start("6.1.0")
        plan = [{"rolloutPermille": 10, "waitMinutes": 0}, {"rolloutPermille": 200, "waitMinutes": 0},
                {"rolloutPermille": 1000, "waitMinutes": 0}]
        sub = {}

        def submit():
            sub.update(harness.expect(self, self.server.request("POST", self.base, {
                "platform": "ANDROID", "buildNumber": sp.CODE, "rolloutPlan": plan}, token=self.ctx.token), 201))

        self.kill("the second stage's track update", "PUT", "/tracks/production", submit, match='"userFraction":0.2')
        self.kill("a later stage's commit", "POST", ":commit", None)
        got = self.settled(sub["id"], lambda got: got["status"] == "RELEASED")
        self.assertEqual((got["rolloutFraction"], got["planStage"], got["planNextAt"]), (1.0, 2, None), got)
        pkg = self.client.data("play")["packages"][package]
        self.assertEqual([c["tracks"]["production"][-1].get("userFraction") for c in pkg["commits"]], [0.01, 0.2, None],
                         "each stage committed once, in order")
        plan_actions = [e for e in self.events() if e[:2] == ("ACTION", "rollout")]
        self.assertEqual(len(plan_actions), 2, "each later stage queued once")
        print("store_play: a plan killed twice (a stage's update, the last commit); 3 edits committed, RELEASED")


if __name__ == "__main__":
    unittest.main()
