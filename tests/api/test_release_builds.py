"""Release builds (docs/releases.md, "Builds"): after kickoff each platform's
pipeline is triggered on the release branch with version, candidate and
build number, and the release moves once every build is in. End to end
against the fakes: GitHub + GitHub Actions, GitLab + GitLab CI and
Bitbucket + Jenkins (the fake finishes the run and sends the signed build
webhook back, the release goes to REGRESSION); a failed build blocks the release and retry builds only that
platform again; a webhook that never comes (polling finds the outcome); a
trigger the CI refuses (the release blocked with the reason)."""

import json
import os
import sys
import time
import unittest
import urllib.parse

import harness
import integration_fixtures as fx
import test_releases
import verify_fixtures as vf

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "fakes"))
import fake_github  # noqa: E402

HEAD = "1111111111111111111111111111111111111111"


def tearDownModule():
    vf.stop_servers()


class ReleaseBuildsTest(test_releases.ReleaseBase):
    def pipeline(self, type_, platform="IOS", hook=True):
        """A pipeline of type_ through a fresh SCM connection (VALID) whose repository has main at HEAD; its webhook."""
        case = vf.build(self.ctx, type_, True, True)
        case.body["platform"] = platform
        scm = case.body["scmIntegrationId"]
        fx.set_verification(self.server, "scm", scm, "VALID")
        full = case.info["org"] + "/" + case.info["repo"]
        if type_ == "GITHUB_ACTIONS":
            self.fakes.register("github", {"repos": {full: {"branches": {"main": HEAD}, "commits": [HEAD]}}})
        else:
            self.fakes.register("gitlab", {"projects": {full: {"branches": {"main": HEAD}, "commits": [HEAD],
                                                               "pipelines": []}}})
        integ = self.ctx.create(case.body)
        made = None
        if hook:
            resp = self.request("POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (self.tenant, integ["id"]),
                                token=self.owner.token)
            made = self.expect(resp, 201)
            self.server.remember_secret(made["secret"])
        return integ, scm, case, made

    def create(self, version, scm, platforms=("IOS",)):
        body = {"version": version, "releaseType": "MINOR", "platforms": list(platforms), "scmIntegrationId": scm}
        return self.expect(self.request("POST", "/api/v1/%s/releases" % self.tenant, body, token=self.owner.token), 201)

    def read(self, rid):
        return self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rid), token=self.owner.token), 200)

    def wait(self, rid, probe, what, seconds=60):
        """probe(release) until it is true (a bound on waiting, not a measurement); the release."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rel = self.read(rid)
            if probe(rel):
                return rel
            time.sleep(0.2)
        rel = self.read(rid)
        self.fail("release %s never %s: %s %s" % (rid, what, rel["builds"], [(e["name"], e["message"]) for e in rel["events"]]))

    def triggered(self, rid, n=1):
        return self.wait(rid, lambda r: len([b for b in r["builds"] if b["runId"]]) >= n, "triggered its builds")

    def finish(self, provider, run_id, conclusion="success", hook=None):
        body = {"conclusion": conclusion}
        if hook:
            body["webhook"] = {"url": "http://127.0.0.1:%d%s" % (self.server.port, hook["path"]), "secret": hook["secret"]}
        return self.fakes._call("POST", "/%s/runs/%s/finish" % (provider, urllib.parse.quote(str(run_id), safe="")), body)

    def names(self, rel):
        return [(e["kind"], e["name"], e["outcome"]) for e in rel["events"]]

    def end_to_end(self, type_, provider):
        integ, scm, case, hook = self.pipeline(type_)
        rel = self.create("1.2.0", scm)
        rel = self.triggered(rel["id"])
        [build] = rel["builds"]
        self.assertEqual((build["platform"], build["pipelineIntegrationId"], build["candidateNumber"], build["attempt"]),
                         ("IOS", integ["id"], 1, 1))
        self.assertIn(build["status"], ("QUEUED", "RUNNING"))
        self.assertTrue(build["buildUrl"].startswith("https://"), build)
        # The run carries the parameters, on the release branch, and names the build (its correlation id).
        if provider == "github":
            runs = self.fakes.data("github")["repos"][case.info["org"] + "/" + case.info["repo"]]["runs"]
            self.assertEqual(len(runs), 1, "triggered once")
            self.assertEqual((runs[0]["branch"], runs[0]["inputs"]["version"], runs[0]["inputs"]["candidate"]),
                             ("release/1.2.0", "1.2.0", "1"))
            self.assertEqual(runs[0]["inputs"]["slipway_build_id"], build["id"])
            self.assertTrue(runs[0]["inputs"]["buildNumber"].isdigit())
        else:
            made = [p for p in self.fakes.data("gitlab")["projects"][case.info["org"] + "/" + case.info["repo"]]["pipelines"]
                    if p.get("source") == "api"]
            self.assertEqual(len(made), 1, "triggered once")
            self.assertEqual((made[0]["ref"], made[0]["variables"]["version"], made[0]["name"]),
                             ("release/1.2.0", "1.2.0", build["id"]))
        self.finish(provider, build["runId"], hook=hook)
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING", "left BUILDING")
        self.assertEqual(rel["status"], "REGRESSION", rel["events"])
        self.assertEqual(rel["builds"][0]["status"], "SUCCEEDED")
        self.assertIsNotNone(rel["builds"][0]["finishedAt"])
        names = self.names(rel)
        for event in (("CALL", "trigger-build", "OK"), ("CALL", "build-webhook", "OK"), ("STATUS", "build-succeeded", None),
                      ("STATUS", "builds-done", None)):
            self.assertIn(event, names)

    def test_github_actions_end_to_end(self):
        self.end_to_end("GITHUB_ACTIONS", "github")

    def test_gitlab_ci_end_to_end(self):
        self.end_to_end("GITLAB_CI", "gitlab")

    def test_bitbucket_jenkins_end_to_end(self):
        """Jenkins through its signed callback; the release's SCM is Bitbucket (Jenkins names no SCM of its own)."""
        case = vf.build(self.ctx, "BITBUCKET", True, True)
        scm = self.ctx.create(case.body)
        fx.set_verification(self.server, "scm", scm["id"], "VALID")
        self.fakes.register("bitbucket", {"repos": {case.body["organization"] + "/" + case.body["repoName"]: {
            "branches": {"main": HEAD}, "commits": [HEAD]}}})
        job = vf.build(self.ctx, "JENKINS", True, True)
        job.body["platform"] = "IOS"
        integ = self.ctx.create(job.body)
        hook = self.expect(self.request("POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (self.tenant, integ["id"]),
                                        token=self.owner.token), 201)
        self.server.remember_secret(hook["secret"])
        rel = self.triggered(self.create("5.0.0", scm["id"])["id"])
        build = rel["builds"][0]
        self.assertEqual(build["runId"], "%s#42" % job.info["job"])
        builds = self.fakes.data("jenkins")["jobs"][job.info["job"]]["builds"]
        self.assertEqual(len(builds), 1, "triggered once")
        self.assertEqual((builds[0]["parameters"]["version"], builds[0]["parameters"]["slipway_build_id"]),
                         ("5.0.0", build["id"]))
        self.finish("jenkins", build["runId"], hook=hook)
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        self.assertIn(("CALL", "build-webhook", "OK"), self.names(rel))

    def build_events(self):
        """(event, subject, platform, buildNumber, url, reason) of the tenant's build events, oldest first."""
        _, rows = fx.db_query(self.server, "SELECT name, subjectId, payload FROM notification_events WHERE tenantId = ? "
                                           "ORDER BY createdAt, id", (self.tenant,))
        out = []
        for name, subject, payload in rows:
            p = json.loads(payload)
            out.append((name, subject, p["platform"], p["buildNumber"], p["url"], p.get("reason")))
        return out

    def test_failed_then_retried(self):
        """... and each build's end is an event (build.failed, then build.completed) about the release."""
        slack = vf.build(self.ctx, "SLACK", True, True)
        slack.body["notifyOnEvents"] = []
        rule = {"eventPattern": "build.*", "integrationId": self.ctx.create(slack.body)["id"], "channel": "releases"}
        self.expect(self.request("POST", "/api/v1/%s/notification-rules" % self.tenant, rule, token=self.owner.token), 201)
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("2.0.0", scm)["id"])
        first = rel["builds"][0]
        self.finish("github", first["runId"], "failure", hook)
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING", "left BUILDING")
        self.assertEqual(rel["status"], "BLOCKED")
        self.assertIn("IOS build", rel["statusReason"])
        self.assertEqual(rel["builds"][0]["status"], "FAILED")
        rel = self.expect(self.request("POST", "/api/v1/%s/releases/%s/retry" % (self.tenant, rel["id"]), {},
                                       token=self.owner.token), 200)
        self.assertEqual(rel["status"], "BUILDING")
        rel = self.triggered(rel["id"], 2)
        self.assertEqual([(b["attempt"], b["status"]) for b in rel["builds"]][0], (1, "FAILED"))
        second = rel["builds"][1]
        self.assertEqual(second["attempt"], 2)
        self.assertNotEqual(second["runId"], first["runId"])
        self.finish("github", second["runId"], "success", hook)
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        self.assertEqual(len(self.fakes.data("github")["repos"][case.info["org"] + "/" + case.info["repo"]]["runs"]), 2)
        builds = rel["builds"]
        events = self.build_events()
        self.assertEqual([e[:5] for e in events],
                         [("build.failed", rel["id"], "IOS", builds[0]["buildNumber"], builds[0]["buildUrl"]),
                          ("build.completed", rel["id"], "IOS", builds[1]["buildNumber"], builds[1]["buildUrl"])])
        self.assertIn("failed", events[0][5])
        self.assertIsNone(events[1][5])
        usage = self.expect(self.request("GET", "/api/v1/%s/usage" % self.tenant, token=self.owner.token), 200)["totals"]
        self.assertEqual(usage["buildsTriggered"], 2, "each trigger the CI took, once (docs/sites.md \"Usage metering\")")

    def test_webhook_applied_with_its_delivery(self):
        """A completed run's webhook ends its build, moves the release and ends the build's job in the delivery's own
        transaction: the answer's next read shows all of it (the page kept at the tenant's revision is read again), and
        the job is DONE without a worker's turn. The same delivery again changes nothing."""
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("6.0.0", scm)["id"])
        build = rel["builds"][0]
        before = self.read(rel["id"])  # kept at the tenant's revision now
        self.assertEqual(before["status"], "BUILDING")
        full = case.info["org"] + "/" + case.info["repo"]
        raw, headers = fake_github.webhook(hook["secret"], "workflow_run", fake_github.workflow_run_payload(
            run_id=int(build["runId"]), status="completed", conclusion="success", branch="release/6.0.0", sha=HEAD,
            repo=full))
        answer = self.expect(self.request("POST", hook["path"], raw=raw, headers=headers), 202)
        self.assertFalse(answer["duplicate"])
        rel = self.read(rel["id"])
        self.assertEqual((rel["status"], rel["builds"][0]["status"]), ("REGRESSION", "SUCCEEDED"), self.names(rel))
        _, rows = fx.db_query(self.server, "SELECT state FROM jobs WHERE dedupeKey = ?", ("release-build:" + build["id"],))
        self.assertEqual([tuple(r) for r in rows], [("DONE",)], "the build's job ended with the delivery")
        again = self.expect(self.request("POST", hook["path"], raw=raw, headers=headers), 200)
        self.assertTrue(again["duplicate"])
        time.sleep(0.5)  # what a wrongly woken job would write, it would have written by now
        after = self.read(rel["id"])
        self.assertEqual(self.names(after).count(("CALL", "build-webhook", "OK")), 1, self.names(after))
        self.assertEqual(self.names(after).count(("STATUS", "build-succeeded", None)), 1)
        self.assertEqual(len(after["events"]), len(rel["events"]))

    def test_poll_after_webhook_takes_no_second_outcome(self):
        """The job's poll is out (held by the fake) when the completed run's webhook arrives: the delivery applies the
        outcome in its own transaction and signals the job, which is not waiting just then. The poll's answer, which says
        the same run completed, comes after and records nothing: one build-webhook entry, one build-succeeded, one
        builds-done, no poll-build entry, the build's finish time the webhook's, and the job DONE."""
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("7.0.0", scm)["id"])
        build = rel["builds"][0]
        full = case.info["org"] + "/" + case.info["repo"]
        held = self.fakes.rule("github", "hold", path="/actions/runs/%s" % build["runId"], method="GET", seconds=60)
        try:
            deadline = time.monotonic() + 60  # the first poll goes out 5 s after the trigger (a bound, not a measurement)
            while not [r for r in self.fakes.requests("github") if (r.get("rule") or {}).get("id") == held["id"]]:
                self.assertLess(time.monotonic(), deadline, "the job never polled the run")
                time.sleep(0.2)
            self.finish("github", build["runId"])  # the fake's run completes; its answer to the held poll will say so
            raw, headers = fake_github.webhook(hook["secret"], "workflow_run", fake_github.workflow_run_payload(
                run_id=int(build["runId"]), status="completed", conclusion="success", branch="release/7.0.0", sha=HEAD,
                repo=full))
            self.assertFalse(self.expect(self.request("POST", hook["path"], raw=raw, headers=headers), 202)["duplicate"])
            applied = self.read(rel["id"])
            self.assertEqual((applied["status"], applied["builds"][0]["status"]), ("REGRESSION", "SUCCEEDED"))
        finally:
            self.fakes.drop(held)  # the poll is answered now: completed, success
        deadline = time.monotonic() + 30
        while True:
            _, rows = fx.db_query(self.server, "SELECT state FROM jobs WHERE dedupeKey = ?", ("release-build:" + build["id"],))
            if [tuple(r) for r in rows] == [("DONE",)]:
                break
            self.assertLess(time.monotonic(), deadline, "the build's job never ended: %s" % rows)
            time.sleep(0.2)
        after = self.read(rel["id"])
        names = self.names(after)
        for event in (("CALL", "build-webhook", "OK"), ("STATUS", "build-succeeded", None), ("STATUS", "builds-done", None)):
            self.assertEqual(names.count(event), 1, names)
        self.assertNotIn("poll-build", [e["name"] for e in after["events"]], names)
        self.assertEqual(after["builds"][0]["finishedAt"], applied["builds"][0]["finishedAt"])
        self.assertEqual(len(after["events"]), len(applied["events"]), "the poll's answer added nothing")

    def test_webhook_never_comes(self):
        integ, scm, case, hook = self.pipeline("GITLAB_CI", hook=False)
        rel = self.triggered(self.create("3.0.0", scm)["id"])
        self.finish("gitlab", rel["builds"][0]["runId"])  # no webhook: only a poll finds out
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION by polling", 90)
        self.assertIn(("CALL", "poll-build", "OK"), self.names(rel))
        self.assertNotIn(("CALL", "build-webhook", "OK"), self.names(rel))

    def test_trigger_refused(self):
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        self.fakes.register("github", {"repos": {case.info["org"] + "/" + case.info["repo"]: {"no_dispatch": [case.info["workflow"]]}}})
        rel = self.create("4.0.0", scm)
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING" and r["status"] != "KICKOFF", "was blocked")
        self.assertEqual(rel["status"], "BLOCKED")
        self.assertEqual(rel["builds"][0]["status"], "FAILED")
        self.assertIn(("CALL", "trigger-build", "FAILED"), self.names(rel))
        refused = [e for e in rel["events"] if e["name"] == "trigger-build"][0]
        self.assertIn("workflow_dispatch", refused["message"])


if __name__ == "__main__":
    unittest.main()
