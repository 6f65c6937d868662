#!/usr/bin/env python3
"""A release's build under kill -9 (docs/releases.md, "Builds"; docs/reliability.md).

One release whose IOS build runs on the CircleCI fake (no webhook: polling
finds the outcome). The process running the build is killed (SIGKILL) four
times, each while one of the build's provider calls is unanswered, the fake
having acted on it (the rule `lose`): listing the branch's pipelines (the
read before the trigger), triggering the pipeline (made at the fake, its
answer lost), reading the pipeline's workflows (finding the run), and
polling the workflow. The next process on the same SQLite database takes the
job over once the dead one's lease runs out and the call resumes where its
job row says it was; the trigger, saved as being sent before it was sent,
lists again first and finds the pipeline the dead process started. At the
end the release is in REGRESSION and the fake holds exactly one pipeline.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/builds.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import kickoff  # noqa: E402  (the shared database, rules and kills)
from kickoff import wait_for  # noqa: E402


class BuildKillTest(kickoff.KickoffKillTest):
    PROVIDER = "circleci"

    def calls(self, mark, method, path, body=""):
        return [r for r in self.client.requests(self.PROVIDER, mark)
                if r.get("method") == method and path in (r.get("path") or "") and body in (r.get("body") or "")]

    def lose(self, method, path, match=None):
        self.rules.append(self.client.rule(self.PROVIDER, "lose", method=method, path=path, match=match))

    test_killed_at_each_step = None  # the kickoff's own test: run by kickoff.py, not here

    def test_build_killed_at_each_call(self):
        first, ctx, scm, slug = self.tenant_with_circleci()

        project = "/api/v2/project/%s/pipeline" % slug
        steps = [("listing the branch's pipelines", "GET", project),
                 ("triggering the pipeline", "POST", project),
                 ("reading the pipeline's workflows", "GET", "/api/v2/pipeline/"),
                 ("polling the workflow", "GET", "/api/v2/workflow/")]
        self.mark = start = self.client.mark()
        self.lose(*steps[0][1:])
        rel = harness.expect(self, ctx.server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                      {"version": "7.0.0", "releaseType": "MAJOR", "platforms": ["IOS"],
                                                       "scmIntegrationId": scm["id"]}, token=ctx.token), 201)
        server = first
        for n, (what, method, path) in enumerate(steps):
            self.kill_in(server, what, method, path)
            if n + 1 < len(steps):
                self.lose(*steps[n + 1][1:])
            else:  # the run ends while no process watches it: the resumed poll finds out
                [pipeline] = self.client.data("circleci")["builds"][slug]["pipelines"]
                self.client._call("POST", "/circleci/runs/%s/finish" % pipeline["workflows"][0]["id"], {})
            server = self.shared.start(migrate=False)
            ctx.server = server

        def settled():
            got = harness.expect(self, server.request("GET", "/api/v1/%s/releases/%s" % (ctx.tenant_id, rel["id"]),
                                                      token=ctx.token), 200)
            return got if got["status"] not in ("KICKOFF", "BUILDING") else None
        got = wait_for("the build to end", settled)
        events = [(e["kind"], e["name"], e["outcome"]) for e in got["events"]]
        self.assertEqual(got["status"], "REGRESSION", events)
        pipelines = self.client.data("circleci")["builds"][slug]["pipelines"]
        self.assertEqual(len(pipelines), 1, "one pipeline: the resumed trigger found the one the dead process started")
        self.assertEqual(len(self.calls(start, "POST", project)), 1, "the trigger sent once")
        [build] = got["builds"]
        self.assertEqual((build["status"], build["runId"]), ("SUCCEEDED", pipelines[0]["workflows"][0]["id"]))
        self.assertEqual(events.count(("STATUS", "builds-done", None)), 1, events)
        print("builds: killed 4 times, each with a CircleCI call unanswered (list, trigger, workflows, poll), "
              "REGRESSION; one pipeline at the fake, the trigger sent once; %d timeline events" % len(events))


if __name__ == "__main__":
    unittest.main()
