#!/usr/bin/env python3
"""Release kickoff under kill -9 (docs/releases.md, "Kickoff"; docs/reliability.md).

One release of a tenant whose SCM is the GitHub fake. The process running
its kickoff is killed (SIGKILL) three times, each time while one step's
provider call is unanswered: resolving the base ref, making the release
branch, tagging the first candidate. The fake has acted on each of those
calls (made the branch, the tag) and holds back its answer (the rule
`lose`): the effect happened, the answer is lost. The next process on the
same SQLite database takes the job over once the dead one's lease runs
out, and the call resumes where its job row says it was: it asks for the
branch (the tag) again, the provider refuses it as existing, and the call
reads the ref and finds it at the right commit. At the end the release is
BUILDING at the base's commit, and the fake made the branch and the tag
exactly once each.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/kickoff.py
"""

import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import verify_fixtures as vf  # noqa: E402
import test_releases as tr  # noqa: E402  (the tenant and SCM fixtures of the release API tests)

LEASE_SECONDS = 2
CIRCLECI_PARAMETERS = ["version", "candidate", "buildNumber", "slipway_build_id"]  # the pipeline's, as slipway sends them
WAIT_SECONDS = 60  # a bound on each wait, not a measurement


def wait_for(what, probe, seconds=WAIT_SECONDS):
    """probe() until it gives a true value (every 50 ms); that value, or a failure naming what never came."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("waited %d s for %s" % (seconds, what))


class KickoffKillTest(unittest.TestCase):
    def setUp(self):
        self.client = vf.fakes()
        self.shared = vf.SharedDatabase(self.client)
        self.shared.env.update({"SLIPWAY_JOB_LEASE": str(LEASE_SECONDS), "SLIPWAY_JOB_POLL_MS": "50",
                                "SLIPWAY_OUTBOUND_TIMEOUT": "60000"})  # the answer held back never times out
        self.rules = []

    def tearDown(self):
        for rule in self.rules:
            self.client.drop(rule)
        self.shared.close()

    def tenant_with_scm(self):
        """A first process on the database, a tenant of it that may create releases, and its GitHub SCM: (server,
        ctx, the integration, its case)."""
        server = self.shared.start()
        ctx = vf.Ctx(server, self.client)
        tr.allow_releases(self, ctx)
        integ, case = tr.connect_scm(ctx)
        return server, ctx, integ, case

    def tenant_with_circleci(self):
        """tenant_with_scm, and an IOS pipeline of the tenant on the CircleCI fake (workflow "release", no webhook:
        polled), the secrets remembered for the next processes: (server, ctx, the SCM integration, the project's
        slug)."""
        server, ctx, integ, _ = self.tenant_with_scm()
        case = vf.build(ctx, "CIRCLECI", True, True)
        case.body.update(platform="IOS", circleciWorkflowName="release")
        slug = case.info["slug"]
        self.client.register("circleci", {"builds": {slug: {"parameters": CIRCLECI_PARAMETERS, "workflows": ["release"]}}})
        ctx.create(case.body)
        self.shared.secrets |= ctx.secrets
        self.shared.remember()
        return server, ctx, integ, slug

    def calls(self, mark, method, path, body=""):
        """The GitHub fake's requests since mark with this method, path and a body containing body."""
        return [r for r in self.client.requests("github", mark)
                if r.get("method") == method and r.get("path") == path and body in (r.get("body") or "")]

    def kill_in(self, server, what, method, path, body=""):
        """Waits until the fake has acted on server's call (method path, its body holding body) and holds back the
        answer (the rule `lose`), kills server, and drops the rule."""
        mark = self.mark
        wait_for(what, lambda: [r for r in self.calls(mark, method, path, body) if r.get("status") is not None])
        os.kill(server.pid, signal.SIGKILL)
        self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
        server.pid = None  # killed: nothing to stop or check
        self.client.drop(self.rules.pop())
        self.mark = self.client.mark()

    def lose(self, method, path, match):
        self.rules.append(self.client.rule("github", "lose", method=method, path=path, match=match))

    def test_killed_at_each_step(self):
        first, ctx, integ, case = self.tenant_with_scm()
        repo = "/repos/%s" % tr.full(case)
        self.shared.secrets |= ctx.secrets
        self.shared.remember()

        steps = [("resolving the base", "GET", repo + "/commits/main", ""),
                 ("making the branch", "POST", repo + "/git/refs", "refs/heads/release/5.0.0"),
                 ("tagging the candidate", "POST", repo + "/git/refs", "refs/tags/v5.0.0-rc.1")]
        self.mark = start = self.client.mark()
        self.lose(*steps[0][1:])
        rel = harness.expect(self, ctx.server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                      {"version": "5.0.0", "releaseType": "MAJOR", "platforms": ["IOS"],
                                                       "scmIntegrationId": integ["id"]}, token=ctx.token), 201)
        server = first
        for n, (what, method, path, body) in enumerate(steps):
            self.kill_in(server, what, method, path, body)
            if n + 1 < len(steps):
                self.lose(*steps[n + 1][1:])
            server = self.shared.start(migrate=False)
            ctx.server = server

        def settled():
            got = harness.expect(self, server.request("GET", "/api/v1/%s/releases/%s" % (ctx.tenant_id, rel["id"]),
                                                      token=ctx.token), 200)
            return got if got["status"] != "KICKOFF" else None
        got = wait_for("the kickoff to end", settled)
        events = [(e["kind"], e["name"], e["outcome"]) for e in got["events"]]
        self.assertEqual(got["status"], "BUILDING", events)
        self.assertEqual((got["baseCommit"], got["branchCommit"], got["candidateTag"], got["candidateNumber"]),
                         (tr.HEAD, tr.HEAD, "v5.0.0-rc.1", 1))
        fake = tr.fake_repo(self.client, "GITHUB", case)
        self.assertEqual((fake["branches"].get("release/5.0.0"), fake["tags"].get("v5.0.0-rc.1")), (tr.HEAD, tr.HEAD))
        self.assertEqual(sorted(m[1] for m in fake["made"]), ["release/5.0.0", "v5.0.0-rc.1"], "each ref made once")
        for what, method, path, body in steps[1:]:
            answers = [r["status"] for r in self.calls(start, method, path, body)]
            self.assertEqual(answers, [201, 422], "%s: made by the call the kill interrupted; the call resumed after "
                                                  "the restart asked again and was refused (the ref exists)" % what)
        for step in ("resolve-ref", "create-branch", "create-tag"):
            self.assertIn(("CALL", step, "OK"), events)
        self.assertEqual(events.count(("STATUS", "kickoff-done", None)), 1, events)
        print("kickoff: killed 3 times, each with a call unanswered (resolve, branch, tag), BUILDING; the branch and "
              "the tag each made once (asked for again after the restart: 422); %d timeline events" % len(events))


if __name__ == "__main__":
    unittest.main()
