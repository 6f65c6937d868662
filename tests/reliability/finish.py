#!/usr/bin/env python3
"""Release finish under kill -9 (docs/releases.md, "Finish"; docs/reliability.md).

A release of a tenant whose SCM is the GitHub fake, kicked off, then put in
READY behind the API's back (its builds and approvals are not what this
test is about). Finish is asked, and the process running it is killed
(SIGKILL) twice, each time while one provider call is unanswered: making
the final tag, making GitHub's release. The fake has acted on each call and
holds back its answer (the rule `lose`). The next process on the same SQLite
database takes the job over, asks again, is refused as existing (422) and
reads what is there. At the end the release is FINISHED with its final tag,
and the fake made the tag and the release exactly once each.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/finish.py
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402
import kickoff  # noqa: E402  (its kill machinery)
import test_releases as tr  # noqa: E402


class FinishKillTest(kickoff.KickoffKillTest):  # its fixtures and kill machinery; this test replaces its one
    def test_killed_at_each_step(self):
        first = self.shared.start()
        ctx = kickoff.vf.Ctx(first, self.client)
        tr.allow_releases(self, ctx)
        integ, case = tr.connect_scm(ctx)
        repo = "/repos/%s" % tr.full(case)
        self.shared.secrets |= ctx.secrets
        self.shared.remember()
        path = "/api/v1/%s/releases" % ctx.tenant_id
        rel = harness.expect(self, first.request("POST", path, {"version": "6.0.0", "releaseType": "MAJOR", "platforms": ["IOS"],
                                                               "scmIntegrationId": integ["id"]}, token=ctx.token), 201)
        read = lambda: harness.expect(self, ctx.server.request("GET", "%s/%s" % (path, rel["id"]), token=ctx.token), 200)
        kickoff.wait_for("the kickoff and its notes", lambda: read()["status"] == "BUILDING" and read()["notes"])
        site = harness.expect(self, first.request("POST", "/api/v1/%s/sites" % ctx.tenant_id,
                                                  {"slug": "finish-notes", "name": "Notes"}, token=ctx.token), 201)
        fx.db_execute(first, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))

        steps = [("making the final tag", "POST", repo + "/git/refs", "refs/tags/v6.0.0"),
                 ("making the release", "POST", repo + "/releases", "v6.0.0")]
        self.mark = start = self.client.mark()
        self.lose(*steps[0][1:])
        harness.expect(self, first.request("POST", "%s/%s/finish" % (path, rel["id"]), {}, token=ctx.token), 200)
        server = first
        for n, (what, method, p, body) in enumerate(steps):
            self.kill_in(server, what, method, p, body)
            if n + 1 < len(steps):
                self.lose(*steps[n + 1][1:])
            server = ctx.server = self.shared.start(migrate=False)

        got = kickoff.wait_for("the finish to end", lambda: (lambda r: r if r["status"] == "FINISHED" else None)(read()))
        events = [(e["kind"], e["name"], e["outcome"]) for e in got["events"]]
        self.assertEqual(got["finalTag"], "v6.0.0", events)
        fake = tr.fake_repo(self.client, "GITHUB", case)
        self.assertEqual(fake["tags"].get("v6.0.0"), tr.HEAD)
        self.assertEqual([m[1] for m in fake["made"]].count("v6.0.0"), 1, "the final tag made once")
        self.assertEqual([r["tag_name"] for r in fake["releases"]], ["v6.0.0"], "the release made once")
        for what, method, p, body in steps:
            answers = [r["status"] for r in self.calls(start, method, p, body)]
            self.assertEqual(answers, [201, 422], "%s: made by the call the kill interrupted, refused when asked again" % what)
        self.assertEqual(events.count(("STATUS", "finish", None)), 1, events)
        _, posts = fx.db_query(server, "SELECT siteId FROM posts WHERE releaseId = ?", (rel["id"],))
        self.assertEqual([p[0] for p in posts], [site["id"]], "the site's post of the release made once")
        print("finish: killed 2 times, each with a call unanswered (final tag, release), FINISHED; the tag and the "
              "release each made once (asked for again after the restart: 422), and the site's post once")


if __name__ == "__main__":
    unittest.main()
