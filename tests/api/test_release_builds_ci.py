"""Release builds on CircleCI and Jenkins, a build's deadline and cancel (docs/releases.md, "Builds"). End to end
against the fakes: GitHub + CircleCI and Gitea + Jenkins from kickoff to REGRESSION through the signed build
webhook; a webhook signed wrong or not at all is refused and changes nothing; CircleCI without a webhook (polling
finds the outcome); a trigger CircleCI refuses; cancelling a release cancels its builds' CI runs; a build past
its deadline fails, "timed out", and its run is cancelled."""

import os
import sys
import time
import unittest

import harness
import integration_fixtures as fx
import test_release_builds
import test_releases
import verify_fixtures as vf

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "fakes"))
import fakebase  # noqa: E402
import fake_circleci  # noqa: E402
PARAMETERS = ["version", "candidate", "buildNumber", "slipway_build_id"]


def tearDownModule():
    vf.stop_servers()


class ReleaseBuildsCITest(test_releases.ReleaseBase):
    _b = test_release_builds.ReleaseBuildsTest  # its helpers, not its tests
    create, read, wait, triggered, finish, names, pipeline = _b.create, _b.read, _b.wait, _b.triggered, _b.finish, _b.names, _b.pipeline

    def hook_of(self, integ):
        made = self.expect(self.request("POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (self.tenant, integ["id"]),
                                        token=self.owner.token), 201)
        self.server.remember_secret(made["secret"])
        return made

    def circleci(self, refuse=None):
        """A CircleCI pipeline (IOS) whose project declares the build's parameters and runs lint and release; the
        release's SCM (GitHub, main at HEAD); the pipeline's slug and webhook."""
        scm, _ = test_releases.connect_scm(self.ctx, "GITHUB")
        case = vf.build(self.ctx, "CIRCLECI", True, True)
        case.body.update(platform="IOS", circleciWorkflowName="release")
        project = {"parameters": PARAMETERS, "workflows": ["lint", "release"]}
        if refuse:
            project["refuse"] = refuse
        self.fakes.register("circleci", {"builds": {case.info["slug"]: project}})
        integ = self.ctx.create(case.body)
        return integ, scm, case.info["slug"], self.hook_of(integ)

    def pipelines(self, slug):
        return self.fakes.data("circleci")["builds"][slug].get("pipelines", [])

    def workflow(self, slug, run_id):
        return [w for p in self.pipelines(slug) for w in p["workflows"] if w["id"] == run_id][0]

    def test_github_circleci_end_to_end(self):
        integ, scm, slug, hook = self.circleci()
        rel = self.triggered(self.create("1.4.0", scm["id"])["id"])
        [build] = rel["builds"]
        [made] = self.pipelines(slug)
        self.assertEqual((made["branch"], made["parameters"]["version"], made["parameters"]["candidate"],
                          made["parameters"]["slipway_build_id"]), ("release/1.4.0", "1.4.0", "1", build["id"]))
        release_wf = [w for w in made["workflows"] if w["name"] == "release"][0]
        self.assertEqual(build["runId"], release_wf["id"], "the named workflow is the run")
        self.assertEqual(build["buildUrl"], "https://app.circleci.com/pipelines/%s/%d/workflows/%s"
                         % (slug, made["number"], release_wf["id"]))
        # A delivery signed with another secret, or not signed: refused, and the build and release stay as they were.
        payload = fake_circleci.workflow_completed_payload(workflow_id=build["runId"], status="success",
                                                           branch="release/1.4.0")
        raw, headers = fake_circleci.webhook("not-the-secret", payload)
        base = "http://127.0.0.1:%d" % self.server.port
        self.assertEqual(fakebase.send_webhook(base, hook["path"], raw, headers)[0], 401)
        raw, headers = fake_circleci.webhook(hook["secret"], payload)
        del headers["circleci-signature"]
        self.assertEqual(fakebase.send_webhook(base, hook["path"], raw, headers)[0], 401)
        after = self.read(rel["id"])
        self.assertEqual((after["status"], after["builds"][0]["status"]), ("BUILDING", build["status"]))
        self.assertNotIn(("CALL", "build-webhook", "OK"), self.names(after))
        # The lint workflow ending says nothing of the build; the release workflow's webhook ends it.
        self.finish("circleci", [w for w in made["workflows"] if w["name"] == "lint"][0]["id"], "failure", hook)
        self.finish("circleci", build["runId"], hook=hook)
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING", "left BUILDING")
        self.assertEqual((rel["status"], rel["builds"][0]["status"]), ("REGRESSION", "SUCCEEDED"), rel["events"])
        self.assertIn(("CALL", "build-webhook", "OK"), self.names(rel))
        self.assertEqual(len(self.pipelines(slug)), 1, "triggered once")

    def test_gitea_jenkins_end_to_end(self):
        scm, _ = test_releases.connect_scm(self.ctx, "GITEA")
        job = vf.build(self.ctx, "JENKINS", True, True)
        job.body["platform"] = "ANDROID"
        integ = self.ctx.create(job.body)
        hook = self.hook_of(integ)
        rel = self.triggered(self.create("6.1.0", scm["id"], ("ANDROID",))["id"])
        build = rel["builds"][0]
        [made] = self.fakes.data("jenkins")["jobs"][job.info["job"]]["builds"]
        self.assertEqual((made["parameters"]["version"], made["parameters"]["slipway_build_id"]), ("6.1.0", build["id"]))
        self.finish("jenkins", build["runId"], hook=hook)
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        self.assertIn(("CALL", "build-webhook", "OK"), self.names(rel))
        self.assertEqual(rel["builds"][0]["status"], "SUCCEEDED")

    def test_circleci_without_webhook_polls(self):
        integ, scm, slug, hook = self.circleci()
        rel = self.triggered(self.create("1.5.0", scm["id"])["id"])
        self.finish("circleci", rel["builds"][0]["runId"])  # no webhook: only a poll finds out
        rel = self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION by polling", 90)
        self.assertIn(("CALL", "poll-build", "OK"), self.names(rel))
        self.assertNotIn(("CALL", "build-webhook", "OK"), self.names(rel))

    def test_circleci_trigger_refused(self):
        integ, scm, slug, hook = self.circleci(refuse="Config does not declare a release workflow")
        rel = self.create("1.6.0", scm["id"])
        rel = self.wait(rel["id"], lambda r: r["status"] not in ("KICKOFF", "BUILDING"), "was blocked")
        self.assertEqual((rel["status"], rel["builds"][0]["status"]), ("BLOCKED", "FAILED"))
        refused = [e for e in rel["events"] if e["name"] == "trigger-build"][0]
        self.assertEqual(refused["outcome"], "FAILED")
        self.assertEqual(self.pipelines(slug), [])

    def test_cancel_cancels_the_ci_run(self):
        integ, scm, slug, hook = self.circleci()
        rel = self.triggered(self.create("1.7.0", scm["id"])["id"])
        run_id = rel["builds"][0]["runId"]
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/cancel" % (self.tenant, rel["id"]), {},
                                 token=self.owner.token), 200)
        rel = self.wait(rel["id"], lambda r: r["builds"][0]["status"] == "CANCELLED", "cancelled its build")
        self.assertEqual(rel["status"], "CANCELLED")
        self.assertEqual((self.workflow(slug, run_id)["status"], self.workflow(slug, run_id)["cancels"]), ("canceled", 1))
        self.assertIn(("CALL", "cancel-build", "OK"), self.names(rel))

    def test_deadline_fails_and_cancels(self):
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("1.8.0", scm)["id"])
        build = rel["builds"][0]
        # Started long ago: past the default 120 minutes (the build looks at its deadline at its next wake, 5 s on).
        fx.db_execute(self.server, "UPDATE release_builds SET startedAt = ? WHERE id = ?", ("2020-01-01T00:00:00.000Z", build["id"]))
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING", "left BUILDING")
        self.assertEqual((rel["status"], rel["builds"][0]["status"]), ("BLOCKED", "FAILED"))
        failed = [e for e in rel["events"] if e["name"] == "build-failed" and e["kind"] == "STATUS"][0]
        self.assertIn("timed out", failed["message"])
        self.assertIn(("CALL", "cancel-build", "OK"), self.names(rel))
        [run] = self.fakes.data("github")["repos"][case.info["org"] + "/" + case.info["repo"]]["runs"]
        self.assertEqual((run["conclusion"], run["cancels"]), ("cancelled", 1))


    def test_configured_deadline(self):
        """buildTimeoutMinutes round trip (default 120, bounds), and a build past the configured one fails "timed out"."""
        path = "/api/v1/%s/release-configuration" % self.tenant
        self.assertEqual(self.expect(self.request("GET", path, token=self.owner.token), 200)["buildTimeoutMinutes"], 120)
        for bad in (0, 1441, "5", 1.5):
            resp = self.request("PUT", path, {"buildTimeoutMinutes": bad}, token=self.owner.token)
            self.assertEqual(resp.status, 400, str(resp))
        saved = self.expect(self.request("PUT", path, {"buildTimeoutMinutes": 3}, token=self.owner.token), 200)
        self.assertEqual(saved["buildTimeoutMinutes"], 3)
        self.assertEqual(self.expect(self.request("GET", path, token=self.owner.token), 200)["buildTimeoutMinutes"], 3)
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("1.9.0", scm)["id"])
        # Started 10 minutes ago: past 3, not past the default 120.
        started = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 600))
        fx.db_execute(self.server, "UPDATE release_builds SET startedAt = ? WHERE id = ?", (started, rel["builds"][0]["id"]))
        rel = self.wait(rel["id"], lambda r: r["status"] != "BUILDING", "left BUILDING")
        self.assertEqual((rel["status"], rel["builds"][0]["status"]), ("BLOCKED", "FAILED"))
        failed = [e for e in rel["events"] if e["name"] == "build-failed" and e["kind"] == "STATUS"][0]
        self.assertIn("timed out", failed["message"])
        self.assertIn("3 minutes", failed["message"])


if __name__ == "__main__":
    unittest.main()
