"""Store submissions on Google Play (docs/stores.md): a READY release's
Android build submitted to production at 10%, the staged rollout increased,
halted, resumed and completed, each one edit of the Play fake committed
once (with the release notes and inAppUpdatePriority); a commit Play refuses
begins again in a new edit and still applies once; a version code Play does
not know fails the submission with Play's reason; a release that is not
READY is refused; another tenant's ids answer 404; viewers read, editors
act."""

import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import test_releases as tr
import verify_fixtures as vf

CODE = "4242"


def tearDownModule():
    vf.stop_servers()


def ready_release(test, ctx, version, ready=True, platform="ANDROID"):
    """A release of platform through a fresh GitHub connection, past kickoff (BUILDING), then READY (approvals are
    the lifecycle's: here the row is set so)."""
    integ, _ = tr.connect_scm(ctx)
    body = {"version": version, "releaseType": "MINOR", "platforms": [platform], "scmIntegrationId": integ["id"]}
    rel = harness.expect(test, ctx.server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id, body,
                                                   token=ctx.token), 201)
    wait_for(test, "the kickoff to end", lambda: harness.expect(test, ctx.server.request(
        "GET", "/api/v1/%s/releases/%s" % (ctx.tenant_id, rel["id"]), token=ctx.token), 200)["status"] != "KICKOFF")
    if ready:
        fx.db_execute(ctx.server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))
    return rel


def play_target(ctx, codes=(CODE,)):
    """The tenant's PLAY_STORE target, its service account and package known to the fakes, with these bundles."""
    case = vf.build(ctx, "PLAY_STORE", True, True)
    integ = ctx.create(case.body, tenant_id=ctx.tenant_id)
    ctx.fakes.register("play", {"packages": {case.info["package"]: {"bundles": list(codes)}}})
    return integ, case


def wait_for(test, what, probe, seconds=60):
    """probe() until it gives a true value (a bound on waiting, not a measurement); that value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    test.fail("waited %d s for %s" % (seconds, what))


class PlayTest(tr.ReleaseBase):
    def path(self, rel, sub=None, action=None, tenant=None):
        p = "/api/v1/%s/releases/%s/submissions" % (tenant or self.tenant, rel["id"] if isinstance(rel, dict) else rel)
        if sub:
            p += "/" + (sub["id"] if isinstance(sub, dict) else sub)
        if action:
            p += "/" + action
        return p

    def read(self, rid):
        return self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rid), token=self.owner.token), 200)

    def settled(self, rel, sub):
        """The submission once its pending action has been applied."""
        def done():
            got = self.expect(self.request("GET", self.path(rel, sub), token=self.owner.token), 200)
            return got if got["pendingAction"] is None else None
        return wait_for(self, "the submission's action to end", done)

    def act(self, rel, sub, action, body=None, token=None):
        got = self.expect(self.request("POST", self.path(rel, sub, action), body, token=token or self.owner.token), 200)
        self.assertEqual(got["pendingAction"], action)
        return self.settled(rel, sub)

    def live(self, case):
        """The package's live production releases and its commits, as the fake holds them."""
        pkg = self.fakes.data("play")["packages"][case.info["package"]]
        return pkg.get("tracks", {}).get("production", []), pkg.get("commits", [])

    def assert_error(self, resp, status, code):
        body = harness.expect(self, resp, status)
        self.assertEqual(body["error"]["code"], code, body)

    def test_firebase_distribution(self):
        """Firebase App Distribution: the build's release (uploaded by CI) found by build version, its notes set, then
        distributed to the testers' groups and e-mails, with the service account's token; waiting while it is not
        uploaded; a second distribution adds no tester twice."""
        case = vf.build(self.ctx, "FIREBASE", True, True)
        integ = self.ctx.create(case.body, tenant_id=self.ctx.tenant_id)
        app = case.info["app_id"]
        self.fakes.register("firebase", {"groups": {case.info["project"]: ["qa", "beta"]}})
        rel = ready_release(self, self.ctx, "3.9.0")
        body = {"platform": "ANDROID", "buildNumber": CODE, "targetIntegrationId": integ["id"],
                "releaseNotes": {"en-US": "Try the new sync"},
                "testers": {"groups": ["qa"], "emails": ["ana@example.com"]}}
        sub = self.expect(self.request("POST", self.path(rel), body, token=self.owner.token), 201)
        self.assertEqual((sub["targetType"], sub["track"]), ("FIREBASE", "testers"))
        wait_for(self, "the build to be waited for", lambda: self.expect(
            self.request("GET", self.path(rel, sub), token=self.owner.token), 200)["status"] == "PROCESSING")
        self.fakes.register("firebase", {"releases": {app: {"r1": {"buildVersion": CODE, "displayVersion": "3.9.0"}}}})
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"], sub["storeVersionId"]),
                         ("RELEASED", 1.0, "projects/%s/apps/%s/releases/r1" % (app.split(":")[1], app)))
        r1 = self.fakes.data("firebase")["releases"][app]["r1"]
        self.assertEqual((r1["releaseNotes"], r1["testerEmails"], r1["groupAliases"], r1["distributions"]),
                         ({"text": "Try the new sync"}, ["ana@example.com"], ["qa"], 1))
        self.assertEqual({r["notes"].get("account") for r in self.fakes.requests("firebase")
                          if "/releases" in r.get("path", "")}, {case.info["email"]}, "the service account's token")
        # again, to a group Firebase does not know: refused with Google's reason, nothing distributed
        body["testers"] = {"groups": ["nobody"]}
        sub = self.expect(self.request("POST", self.path(rel), body, token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual(sub["status"], "FAILED")
        self.assertEqual(self.fakes.data("firebase")["releases"][app]["r1"]["distributions"], 1)
        # not named, Firebase is never picked for a platform: Play stays the default store
        self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE},
                                       token=self.owner.token), 400, "invalid_request")

    def test_staged_rollout_end_to_end(self):
        """... and the release RELEASED is told once, as release.released (an endpoint asks for it)."""
        _, case = play_target(self.ctx)
        made = self.expect(self.request("POST", "/api/v1/%s/webhook-endpoints" % self.ctx.tenant_id,
                                        {"url": "https://hooks.example.com/released", "events": ["release.released"]},
                                        token=self.ctx.org.owner.token), 201)
        self.server.remember_secret(made["secret"])
        rel = ready_release(self, self.ctx, "3.1.0")
        sub = self.expect(self.request("POST", self.path(rel), {
            "platform": "ANDROID", "buildNumber": CODE, "rolloutPermille": 100, "inAppUpdatePriority": 3,
            "releaseNotes": {"en-US": "Faster sync", "de-DE": "Schneller"}}, token=self.ctx.org.editor.token), 201)
        self.assertEqual((sub["status"], sub["pendingAction"], sub["track"], sub["targetType"]),
                         ("PENDING", "submit", "production", "PLAY_STORE"))
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"], sub["statusReason"]), ("ROLLING_OUT", 0.1, None), sub)
        self.assertIsNotNone(sub["submittedAt"])
        releases, commits = self.live(case)
        self.assertEqual(len(commits), 1)
        [mine] = releases
        self.assertEqual((mine["versionCodes"], mine["status"], mine["userFraction"], mine["inAppUpdatePriority"],
                          mine["name"]), ([CODE], "inProgress", 0.1, 3, "3.1.0"))
        self.assertEqual(sorted((n["language"], n["text"]) for n in mine["releaseNotes"]),
                         [("de-DE", "Schneller"), ("en-US", "Faster sync")])
        self.assertEqual(sub["editId"], commits[0]["edit"])
        commit = [r for r in self.fakes.requests("play") if r["path"].endswith(":commit")][-1]
        self.assertIn("changesInReviewBehavior=ERROR_IF_IN_REVIEW", commit["query"], "never cancels a review")

        # Another submission to the same target while this one is under way; a rollout that would shrink.
        self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE},
                                       token=self.owner.token), 409, "conflict")
        sub = self.act(rel, sub, "rollout", {"rolloutPermille": 500})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.5))
        self.assert_error(self.request("POST", self.path(rel, sub, "rollout"), {"rolloutPermille": 200},
                                       token=self.owner.token), 409, "conflict")
        self.assert_error(self.request("POST", self.path(rel, sub, "rollout"), token=self.owner.token), 400,
                          "invalid_request")
        self.assert_error(self.request("POST", self.path(rel, sub, "resume"), token=self.owner.token), 409, "conflict")

        sub = self.act(rel, sub, "halt", {"reason": "crash rate"})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("HALTED", 0.5))
        self.assertEqual(self.live(case)[0][0]["status"], "halted")
        sub = self.act(rel, sub, "resume")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.5))
        self.assertEqual((self.live(case)[0][0]["status"], self.live(case)[0][0]["userFraction"]), ("inProgress", 0.5))
        sub = self.act(rel, sub, "complete")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0))
        self.assertIsNotNone(sub["releasedAt"])
        got = self.read(rel["id"])
        self.assertEqual(got["status"], "RELEASED", "its one platform's build is with every user of the store")
        self.assertIn(("STATUS", "released", None), [(e["kind"], e["name"], e["outcome"]) for e in got["events"]])
        _, told = fx.db_query(self.server, "SELECT name, subjectId FROM notification_events WHERE tenantId = ?",
                              (self.ctx.tenant_id,))
        self.assertEqual(told, [("release.released", rel["id"])])
        self.assertEqual([(x["submissionId"], x["platform"], x["targetType"], x["track"], x["status"]) for x in got["stores"]],
                         [(sub["id"], "ANDROID", "PLAY_STORE", "production", "RELEASED")], "the store state per platform")
        releases, commits = self.live(case)
        self.assertEqual(len(commits), 5, "one commit an action")
        self.assertEqual([(r["status"], "userFraction" in r) for r in releases], [("completed", False)])
        self.assert_error(self.request("POST", self.path(rel, sub, "resume"), token=self.owner.token), 409, "conflict")

        events = [(e["kind"], e["name"], e["outcome"]) for e in self.read(rel["id"])["events"]]
        self.assertEqual(events.count(("STATUS", "submitted", None)), 1, events)
        self.assertEqual(events.count(("STATUS", "rollout-updated", None)), 4, events)
        for action in ("submit", "rollout", "halt", "resume", "complete"):
            self.assertIn(("ACTION", action, "OK"), events)
            self.assertIn(("CALL", action, "OK"), events)
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.submission.halt")
        self.assertEqual([r["targetId"] for r in rows], [sub["id"]])
        listed = self.expect(self.request("GET", self.path(rel), token=self.ctx.org.viewer.token), 200)["items"]
        self.assertEqual([s["id"] for s in listed], [sub["id"]])

    def plan_events(self, rel):
        return [e for e in self.read(rel["id"])["events"] if (e["kind"], e["name"]) == ("ACTION", "rollout")]

    def test_rollout_plan_advances_on_its_own(self):
        """A plan of three stages with no wait between them: the submission's first share, then each stage applied by
        the job engine on its own, one commit each, to everyone; the plan's actions on the timeline and the audit log
        with no editor."""
        _, case = play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.5.0")
        plan = [{"rolloutPermille": 10, "waitMinutes": 0}, {"rolloutPermille": 200, "waitMinutes": 0},
                {"rolloutPermille": 1000, "waitMinutes": 0}]
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPlan": plan}, token=self.owner.token), 201)
        self.assertEqual((sub["rolloutPlan"], sub["planStage"], sub["planNextAt"]), (plan, None, None))
        sub = wait_for(self, "the plan to reach everyone", lambda: (lambda got: got if got["status"] == "RELEASED" and
                       got["pendingAction"] is None else None)(self.expect(
                           self.request("GET", self.path(rel, sub), token=self.owner.token), 200)))
        self.assertEqual((sub["rolloutFraction"], sub["planStage"], sub["planNextAt"]), (1.0, 2, None))
        releases, commits = self.live(case)
        self.assertEqual(len(commits), 3, "one commit a stage")
        self.assertEqual([c["tracks"]["production"][-1].get("userFraction") for c in commits], [0.01, 0.2, None])
        self.assertEqual([(r["status"], r["versionCodes"]) for r in releases], [("completed", [CODE])])
        actions = self.plan_events(rel)
        self.assertEqual([(a["actorAccountId"], a["details"]["planStage"]) for a in actions], [(None, 1), (None, 2)])
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.submission.rollout")
        self.assertEqual([r["targetId"] for r in rows], [sub["id"]] * 2)

    def test_rollout_plan_halted_resumed_and_skipped(self):
        """A plan waiting an hour at its second stage: the halt pauses it (no stage due), the resume continues the
        wait, a manual rollout past a stage skips ahead to the next wait, and complete ends the plan."""
        _, case = play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.6.0")
        plan = [{"rolloutPermille": 10, "waitMinutes": 0}, {"rolloutPermille": 200, "waitMinutes": 60},
                {"rolloutPermille": 500, "waitMinutes": 60}, {"rolloutPermille": 1000, "waitMinutes": 0}]
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPlan": plan}, token=self.owner.token), 201)
        sub = wait_for(self, "the plan's second stage", lambda: (lambda got: got if got["planStage"] == 1 and
                       got["pendingAction"] is None else None)(self.expect(
                           self.request("GET", self.path(rel, sub), token=self.owner.token), 200)))
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.2))
        due = sub["planNextAt"]
        self.assertIsNotNone(due)
        sub = self.act(rel, sub, "halt", {"reason": "crash rate"})
        self.assertEqual((sub["status"], sub["planStage"], sub["planNextAt"], sub["rolloutPlan"]),
                         ("HALTED", 1, None, plan), "paused: the remaining stages kept")
        sub = self.act(rel, sub, "resume")
        self.assertEqual((sub["status"], sub["planStage"]), ("ROLLING_OUT", 1))
        self.assertGreaterEqual(sub["planNextAt"], due, "the wait continues where the halt held it")
        sub = self.act(rel, sub, "rollout", {"rolloutPermille": 600})
        self.assertEqual((sub["rolloutFraction"], sub["planStage"]), (0.6, 2), "past the third stage: skipped ahead")
        self.assertGreater(sub["planNextAt"], due)
        sub = self.act(rel, sub, "complete")
        self.assertEqual((sub["status"], sub["planStage"], sub["planNextAt"]), ("RELEASED", 3, None))
        self.assertEqual(len(self.live(case)[1]), 6, "submit, the second stage, halt, resume, rollout, complete")
        self.assertEqual(len([a for a in self.plan_events(rel) if a["actorAccountId"] is None]), 1, "one stage by the plan")

    def test_bad_rollout_plans(self):
        play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.7.0")

        def stages(*permille):
            return [{"rolloutPermille": p, "waitMinutes": 1} for p in permille]
        for plan in (stages(100, 50, 1000), stages(100, 100, 1000), stages(100, 500), stages(1000),
                     stages(*range(1, 11), 1000), [{"rolloutPermille": 100}, {"rolloutPermille": 1000, "waitMinutes": 0}],
                     [{"rolloutPermille": 100, "waitMinutes": -1}, {"rolloutPermille": 1000, "waitMinutes": 0}],
                     [{"rolloutPermille": 100, "waitMinutes": 10081}, {"rolloutPermille": 1000, "waitMinutes": 0}],
                     [{"rolloutPermille": 100, "waitMinutes": 1, "when": 1}, {"rolloutPermille": 1000, "waitMinutes": 0}],
                     [{"rolloutPermille": "100", "waitMinutes": 1}, {"rolloutPermille": 1000, "waitMinutes": 0}],
                     [100, 1000], {"stages": []}, "10,100"):
            self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                    "rolloutPlan": plan}, token=self.owner.token),
                              400, "invalid_request")
        self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "releaseType": "MANUAL"}, token=self.owner.token),
                          400, "invalid_request")  # App Store Connect's
        self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPermille": 100,
                                                                "rolloutPlan": stages(100, 1000)},
                                       token=self.owner.token), 400, "invalid_request")
        self.expect(self.request("GET", self.path(rel), token=self.owner.token), 200)
        self.assertEqual(self.expect(self.request("GET", self.path(rel), token=self.owner.token), 200)["items"], [])

    def test_halt_after_full_rollout_and_review_choice(self):
        """Play halts a release every user has: the previous release takes its place (the fake puts it back), the
        submission HALTED at 100 %; resume gives it to everyone again. A commit while changes are in review is
        refused (ERROR_IF_IN_REVIEW: the submission FAILED with Play's reason) unless cancelReview asks for
        CANCEL_IN_REVIEW_AND_SUBMIT."""
        _, case = play_target(self.ctx, codes=(CODE, "4241"))
        before = [{"versionCodes": ["4241"], "status": "completed", "name": "2.9.0"}]
        self.fakes.register("play", {"packages": {case.info["package"]: {
            "tracks": {"production": before}, "commits": [{"edit": "0", "tracks": {"production": before}}],
            "inReview": True}}})
        rel = ready_release(self, self.ctx, "3.8.0")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE},
                                       token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual(sub["status"], "FAILED")
        self.assertIn("review", sub["statusReason"])
        self.assertEqual(len(self.live(case)[1]), 1, "nothing committed")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "cancelReview": True}, token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0), sub)
        commit = [r for r in self.fakes.requests("play") if r["path"].endswith(":commit")][-1]
        self.assertIn("changesInReviewBehavior=CANCEL_IN_REVIEW_AND_SUBMIT", commit["query"])
        self.fakes.register("play", {"packages": {case.info["package"]: {"inReview": False}}})

        sub = self.act(rel, sub, "halt", {"reason": "crash on start"})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("HALTED", 1.0), sub)
        releases = self.live(case)[0]
        self.assertEqual([(r["versionCodes"], r["status"]) for r in releases],
                         [(["4241"], "completed"), ([CODE], "halted")], "the previous release takes its place")
        self.assertNotIn("userFraction", releases[1])
        self.assert_error(self.request("POST", self.path(rel, sub, "rollout"), {"rolloutPermille": 500},
                                       token=self.owner.token), 409, "conflict")
        sub = self.act(rel, sub, "resume")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0), sub)
        self.assertEqual([(r["versionCodes"], r["status"]) for r in self.live(case)[0]], [([CODE], "completed")])
        sub = self.act(rel, sub, "halt")
        sub = self.act(rel, sub, "complete")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0), sub)

    def review_settled(self, rel, sub, statuses):
        """The submission once the followed review has left it in one of statuses."""
        return wait_for(self, "the review to end in %s" % (statuses,), lambda: (lambda got: got if got["status"] in statuses
                                                                              else None)(self.expect(self.request(
                                                                                  "GET", self.path(rel, sub),
                                                                                  token=self.owner.token), 200)))

    def test_review_followed_without_an_edit(self):
        """Play reviews production: the submission is IN_REVIEW after its commit, followed by reading the track's
        releases without an edit (tracks.releases.list, releaseLifecycleState) with the poll's backoff, then
        ROLLING_OUT at the committed share once published; an action during the review is refused (no commit that
        would cancel it). Not approved: REJECTED, saying where Play gives the reasons. Approved under managed
        publishing: APPROVED and followed until published in Play Console (RELEASED). A testing track Play does not
        review is ROLLING_OUT at once."""
        _, case = play_target(self.ctx, codes=(CODE, "4250", "4251", "4252"))
        pkg = case.info["package"]
        review = lambda outcome, polls: self.fakes.register("play", {"packages": {pkg: {"review": {
            "tracks": ["production"], "polls": polls, "outcome": outcome}}}})
        review("PUBLISHED", 2)
        rel = ready_release(self, self.ctx, "3.9.5")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPermille": 100}, token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["reviewState"]), ("IN_REVIEW", "RELEASE_LIFECYCLE_STATE_IN_REVIEW"), sub)
        self.assert_error(self.request("POST", self.path(rel, sub, "halt"), {}, token=self.owner.token), 409, "conflict")
        sub = self.review_settled(rel, sub, ("ROLLING_OUT",))
        self.assertEqual((sub["rolloutFraction"], sub["reviewState"]), (0.1, "RELEASE_LIFECYCLE_STATE_PUBLISHED"), sub)
        lists = [r for r in self.fakes.requests("play") if r["path"].endswith("/tracks/production/releases")]
        self.assertGreaterEqual(len(lists), 3, "read after the commit, then polled until published")
        self.assertEqual({r["method"] for r in lists}, {"GET"})
        self.assertEqual(len(self.live(case)[1]), 1, "one commit: following the review writes nothing")
        names = [(e["kind"], e["name"]) for e in self.read(rel["id"])["events"] if e["kind"] == "STATUS"]
        self.assertIn(("STATUS", "submitted"), names)
        self.assertIn(("STATUS", "rollout-updated"), names)

        review("NOT_APPROVED", 0)
        rel2 = ready_release(self, self.ctx, "3.9.6")
        sub = self.expect(self.request("POST", self.path(rel2), {"platform": "ANDROID", "buildNumber": "4250",
                                                                 "rolloutPermille": 200, "cancelReview": True},
                                       token=self.owner.token), 201)
        sub = self.review_settled(rel2, sub, ("REJECTED",))
        self.assertIn("Policy status", sub["statusReason"])
        self.assertIn("rejected", [e["name"] for e in self.read(rel2["id"])["events"]])

        review("APPROVED_NOT_PUBLISHED", 0)
        rel3 = ready_release(self, self.ctx, "3.9.7")
        sub = self.expect(self.request("POST", self.path(rel3), {"platform": "ANDROID", "buildNumber": "4251",
                                                                 "cancelReview": True}, token=self.owner.token), 201)
        sub = self.review_settled(rel3, sub, ("APPROVED",))
        self.assertEqual(sub["reviewState"], "RELEASE_LIFECYCLE_STATE_APPROVED_NOT_PUBLISHED")
        self.fakes.register("play", {"packages": {pkg: {"lifecycle": {"production": {"4251": {"state": "PUBLISHED"}}}}}})
        sub = self.review_settled(rel3, sub, ("RELEASED",))
        self.assertEqual(sub["rolloutFraction"], 1.0)

        sub = self.expect(self.request("POST", self.path(rel2), {"platform": "ANDROID", "buildNumber": "4252",
                                                                 "track": "beta", "rolloutPermille": 500},
                                       token=self.owner.token), 201)
        sub = self.settled(rel2, sub)
        self.assertEqual((sub["status"], sub["reviewState"]), ("ROLLING_OUT", "RELEASE_LIFECYCLE_STATE_PUBLISHED"), sub)

    def test_action_change_reviewed_again(self):
        """Play sends an update of a reviewed track's release to review again (the fake's review "changes"): the
        rollout action commits, reads the track's releases without an edit, and stays under way (pendingAction
        rollout, reviewState IN_REVIEW, users kept at the share they had) while Play reviews it, followed with the
        submit's backoff; every other action meanwhile is refused (409, saying Play reviews it). Published: the new
        share. Not approved: the action ends without effect, Play's word in statusReason and a "rejected" step. One
        commit an action: following writes nothing."""
        _, case = play_target(self.ctx)
        pkg = case.info["package"]
        review = lambda outcome, polls: self.fakes.register("play", {"packages": {pkg: {"review": {
            "tracks": ["production"], "polls": polls, "outcome": outcome, "changes": True}}}})
        review("PUBLISHED", 0)
        rel = ready_release(self, self.ctx, "3.9.8")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPermille": 100}, token=self.owner.token), 201)
        sub = self.review_settled(rel, sub, ("ROLLING_OUT",))
        self.assertEqual(sub["rolloutFraction"], 0.1)
        review("PUBLISHED", 3)
        got = self.expect(self.request("POST", self.path(rel, sub, "rollout"), {"rolloutPermille": 200},
                                       token=self.owner.token), 200)
        self.assertEqual(got["pendingAction"], "rollout")
        held = wait_for(self, "Play to review the rollout", lambda: (lambda g: g if g["reviewState"].endswith(
            "IN_REVIEW") else None)(self.expect(self.request("GET", self.path(rel, sub), token=self.owner.token), 200)))
        self.assertEqual((held["status"], held["pendingAction"], held["rolloutFraction"]), ("ROLLING_OUT", "rollout", 0.1),
                         "users keep the share they had while Play reviews the change")
        for action, body in (("halt", {}), ("rollout", {"rolloutPermille": 500}), ("complete", {})):
            resp = self.request("POST", self.path(rel, sub, action), body, token=self.owner.token)
            self.assert_error(resp, 409, "conflict")
            self.assertIn("Google Play reviews the submission's rollout", resp.json["error"]["message"])
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"], sub["reviewState"]),
                         ("ROLLING_OUT", 0.2, "RELEASE_LIFECYCLE_STATE_PUBLISHED"), sub)
        self.assertEqual(len(self.live(case)[1]), 2, "one commit an action: the review's polls write nothing")
        events = self.read(rel["id"])["events"]
        self.assertIn(("STATUS", "in-review"), [(e["kind"], e["name"]) for e in events])
        lists = [r for r in self.fakes.requests("play") if r["path"].endswith("/tracks/production/releases")]
        self.assertEqual({r["method"] for r in lists}, {"GET"})

        review("NOT_APPROVED", 1)
        got = self.expect(self.request("POST", self.path(rel, sub, "rollout"), {"rolloutPermille": 500},
                                       token=self.owner.token), 200)
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.2), "not approved: nothing moved")
        self.assertIn("did not approve", sub["statusReason"])
        self.assertEqual(sub["reviewState"], "RELEASE_LIFECYCLE_STATE_NOT_APPROVED")
        self.assertIn(("STATUS", "rejected"), [(e["kind"], e["name"]) for e in self.read(rel["id"])["events"]])
        # the review over, actions are taken again (this halt reviewed too, published at the first read)
        review("PUBLISHED", 0)
        sub = self.act(rel, sub, "halt")
        self.assertEqual((sub["status"], sub["pendingAction"]), ("HALTED", None), sub)

    def test_promote_from_a_testing_track(self):
        """A build on the beta track promoted to production at 20 %: a new submission, one edit that adds its version
        codes to production with the notes (validated, then committed), the beta track left as it was; refused
        before the build is on its track, to its own track, without a track, twice at once; viewers cannot."""
        _, case = play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.9.1")
        beta = self.expect(self.request("POST", self.path(rel), {
            "platform": "ANDROID", "buildNumber": CODE, "track": "beta", "inAppUpdatePriority": 2,
            "releaseNotes": {"en-US": "Beta notes"}}, token=self.owner.token), 201)
        self.assert_error(self.request("POST", self.path(rel, beta, "promote"), {"track": "production"},
                                       token=self.owner.token), 409, "conflict")  # its submit is under way
        beta = self.settled(rel, beta)
        self.assertEqual((beta["status"], beta["track"]), ("RELEASED", "beta"))
        plan = [{"rolloutPermille": 100, "waitMinutes": 0}, {"rolloutPermille": 1000, "waitMinutes": 0}]
        for body in ({}, {"track": "beta"}, {"track": 5}, {"track": "production", "rolloutPermille": 0},
                     {"track": "production", "rolloutPermille": 100, "rolloutPlan": plan},
                     {"track": "production", "rolloutPlan": plan[1:]}):
            self.assert_error(self.request("POST", self.path(rel, beta, "promote"), body, token=self.owner.token), 400,
                              "invalid_request")
        self.assert_error(self.request("POST", self.path(rel, beta, "halt"), {"track": "production"},
                                       token=self.owner.token), 400, "invalid_request")
        self.assert_error(self.request("POST", self.path(rel, beta, "halt"), {"rolloutPlan": plan},
                                       token=self.owner.token), 400, "invalid_request")
        resp = self.request("POST", self.path(rel, beta, "promote"), {"track": "production"},
                            token=self.ctx.org.viewer.token)
        self.assertIn(resp.status, (403, 404))
        prod = self.expect(self.request("POST", self.path(rel, beta, "promote"), {
            "track": "production", "rolloutPermille": 200, "reason": "beta looks good"}, token=self.owner.token), 201)
        self.assertNotEqual(prod["id"], beta["id"])
        self.assertEqual((prod["track"], prod["status"], prod["pendingAction"], prod["releaseNotes"],
                          prod["inAppUpdatePriority"]), ("production", "PENDING", "submit", {"en-US": "Beta notes"}, 2))
        self.assert_error(self.request("POST", self.path(rel, beta, "promote"), {"track": "production"},
                                       token=self.owner.token), 409, "conflict")  # one to production under way
        prod = self.settled(rel, prod)
        self.assertEqual((prod["status"], prod["rolloutFraction"]), ("ROLLING_OUT", 0.2), prod)
        tracks = self.fakes.data("play")["packages"][case.info["package"]]["tracks"]
        self.assertEqual([(r["versionCodes"], r["status"]) for r in tracks["beta"]], [([CODE], "completed")])
        [mine] = tracks["production"]
        self.assertEqual((mine["versionCodes"], mine["status"], mine["userFraction"], mine["releaseNotes"]),
                         ([CODE], "inProgress", 0.2, [{"language": "en-US", "text": "Beta notes"}]))
        calls = [r["path"].rsplit(":", 1)[-1] for r in self.fakes.requests("play")
                 if r["path"].endswith((":validate", ":commit"))][-2:]
        self.assertEqual(calls, ["validate", "commit"], "validated, then committed")
        self.assertEqual(len(self.live(case)[1]), 2, "one edit each")
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.submission.promote")
        self.assertEqual([(r["targetId"], r["details"]["promotedFrom"]) for r in rows], [(prod["id"], beta["id"])])
        self.assertEqual(self.read(rel["id"])["status"], "READY", "a testing track's build is not the release's")
        # A promotion with a rollout plan: its first stage is the share, then the stages follow on their own.
        alpha = self.expect(self.request("POST", self.path(rel, beta, "promote"), {"track": "alpha", "rolloutPlan": plan},
                                         token=self.owner.token), 201)
        self.assertEqual(alpha["rolloutPlan"], plan)
        alpha = wait_for(self, "the promotion's plan to reach everyone", lambda: (lambda got: got if got["status"] == "RELEASED"
                         and got["pendingAction"] is None else None)(self.expect(
                             self.request("GET", self.path(rel, alpha), token=self.owner.token), 200)))
        self.assertEqual(alpha["planStage"], 1)
        self.assertEqual(alpha["rolloutFraction"], 1.0)

    def test_default_rollout_plan(self):
        """The release configuration's rolloutPlans: the target's default plan, taken by a submission that names
        neither a plan nor a share; a key that is not a Play target of the tenant, or a bad plan, is 400."""
        integ, case = play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.9.5")
        path = "/api/v1/%s/release-configuration" % self.tenant
        cfg = self.expect(self.request("GET", path, token=self.owner.token), 200)
        self.assertEqual(cfg["rolloutPlans"], {})
        body = {k: v for k, v in cfg.items() if k not in ("updatedAt", "rolloutPlans") and v is not None}
        plan = [{"rolloutPermille": 10, "waitMinutes": 60}, {"rolloutPermille": 1000, "waitMinutes": 0}]
        for plans in ({str(uuid.uuid4()): plan}, {integ["id"]: plan[1:]}, {integ["id"]: "soon"}, {integ["id"]: []}):
            self.assert_error(self.request("PUT", path, dict(body, rolloutPlans=plans), token=self.owner.token), 400,
                              "invalid_request")
        cfg = self.expect(self.request("PUT", path, dict(body, rolloutPlans={integ["id"]: plan}), token=self.owner.token),
                          200)
        self.assertEqual(cfg["rolloutPlans"], {integ["id"]: plan})
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE},
                                       token=self.owner.token), 201)
        self.assertEqual(sub["rolloutPlan"], plan)
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"], sub["planStage"]), ("ROLLING_OUT", 0.01, 0), sub)
        self.assertIsNotNone(sub["planNextAt"], "the next stage waits its 60 minutes")

    def test_hotfix_carries_the_rollout_share_over(self):
        """carryRollout: a HOTFIX's submission starts at the share the release it fixes has reached on the same target
        and track (20%), its default plan from there on; refused (400 on carryRollout) with a share of its own, a plan,
        on another release type, as another type (the query is the tenant's: the tenant guard holds it)."""
        integ, case = play_target(self.ctx, codes=(CODE, "4243"))
        rel = ready_release(self, self.ctx, "3.9.7")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                 "rolloutPermille": 200}, token=self.owner.token), 201)
        self.assertEqual(self.settled(rel, sub)["rolloutFraction"], 0.2)
        hotfix = ready_release(self, self.ctx, "3.9.9")
        path = self.path(hotfix)
        body = {"platform": "ANDROID", "buildNumber": "4243", "carryRollout": True}
        self.assert_error(self.request("POST", path, body, token=self.owner.token), 400, "invalid_request")  # a MINOR
        fx.db_execute(self.server, "UPDATE releases SET releaseType = 'HOTFIX' WHERE id = ?", (hotfix["id"],))
        for bad in (dict(body, rolloutPermille=300), dict(body, rolloutPlan=[{"rolloutPermille": 10, "waitMinutes": 5},
                                                                            {"rolloutPermille": 1000, "waitMinutes": 0}]),
                    dict(body, carryRollout="yes"), dict(body, carryRollout=1)):
            got = harness.expect(self, self.request("POST", path, bad, token=self.owner.token), 400)
            self.assertEqual(got["error"]["code"], "invalid_request", got)
            self.assertIn("carryRollout", [d["field"] for d in got["error"]["details"]], got)
        # the target's default plan: its 1% stage is below the carried 20% (dropped, its wait kept), 50% and 100% stand
        cfg_path = "/api/v1/%s/release-configuration" % self.tenant
        cfg = self.expect(self.request("GET", cfg_path, token=self.owner.token), 200)
        plan = [{"rolloutPermille": 10, "waitMinutes": 60}, {"rolloutPermille": 500, "waitMinutes": 30},
                {"rolloutPermille": 1000, "waitMinutes": 0}]
        self.expect(self.request("PUT", cfg_path, dict({k: v for k, v in cfg.items() if k not in ("updatedAt", "rolloutPlans")
                                                        and v is not None}, rolloutPlans={integ["id"]: plan}),
                                 token=self.owner.token), 200)
        made = self.expect(self.request("POST", path, body, token=self.ctx.org.editor.token), 201)
        self.assertEqual(made["rolloutPlan"], [{"rolloutPermille": 200, "waitMinutes": 60}] + plan[1:])
        made = self.settled(hotfix, made)
        self.assertEqual((made["status"], made["rolloutFraction"], made["planStage"]), ("ROLLING_OUT", 0.2, 0), made)
        releases, _ = self.live(case)
        self.assertIn(("inProgress", 0.2), [(r["status"], r.get("userFraction")) for r in releases
                                            if r["versionCodes"] == ["4243"]], releases)
        [step] = [e for e in self.read(hotfix["id"])["events"] if e["name"] == "submit" and e["kind"] == "ACTION"]
        self.assertEqual(step["details"]["carriedPermille"], 200, step)

    def test_carry_rollout_never_takes_another_tenants_share(self):
        """carryRollout reads the tenant's own submissions only: a rollout under way of the same target and track that
        belongs to another tenant (moved there in the database: no API can make one) is not carried; the hotfix is
        made as without carryRollout (everyone), and its step says no carried share."""
        _, case = play_target(self.ctx, codes=(CODE, "4260"))
        rel = ready_release(self, self.ctx, "3.9.8")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                 "rolloutPermille": 300}, token=self.owner.token), 201)
        self.assertEqual(self.settled(rel, sub)["rolloutFraction"], 0.3)
        other = harness.new_org(self.server)
        fx.db_execute(self.server, "UPDATE store_submissions SET tenantId = ? WHERE id = ?", (other.id, sub["id"]))
        hotfix = ready_release(self, self.ctx, "3.9.9")
        fx.db_execute(self.server, "UPDATE releases SET releaseType = 'HOTFIX' WHERE id = ?", (hotfix["id"],))
        made = self.expect(self.request("POST", self.path(hotfix), {"platform": "ANDROID", "buildNumber": "4260",
                                                                    "carryRollout": True}, token=self.owner.token), 201)
        self.assertIsNone(made["rolloutPlan"], made)
        made = self.settled(hotfix, made)
        self.assertEqual((made["status"], made["rolloutFraction"]), ("RELEASED", 1.0), made)
        [step] = [e for e in self.read(hotfix["id"])["events"] if e["name"] == "submit" and e["kind"] == "ACTION"]
        self.assertNotIn("carriedPermille", step["details"] or {}, step)

    def test_refused_commit_is_made_again_in_a_new_edit(self):
        _, case = play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.2.0")
        self.rule("play", "404", method="POST", match=":commit", times=1)
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": CODE,
                                                                "rolloutPermille": 50}, token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.05), sub)
        releases, commits = self.live(case)
        self.assertEqual(len(commits), 1, "applied once")
        edits = [e for e in self.fakes.data("play")["edits"].values() if e["package"] == case.info["package"]]
        self.assertEqual(len(edits), 2, "the refused commit's edit, then a new one")

    def test_unknown_version_code_fails_with_plays_reason(self):
        play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.3.0")
        sub = self.expect(self.request("POST", self.path(rel), {"platform": "ANDROID", "buildNumber": "999"},
                                       token=self.owner.token), 201)
        sub = self.settled(rel, sub)
        self.assertEqual(sub["status"], "FAILED")
        self.assertIn("999", sub["statusReason"])
        events = [(e["kind"], e["name"], e["outcome"]) for e in self.read(rel["id"])["events"]]
        self.assertIn(("CALL", "submit", "FAILED"), events)
        self.assertIn(("STATUS", "submission-failed", None), events)

    def test_refusals_isolation_and_roles(self):
        play_target(self.ctx)
        rel = ready_release(self, self.ctx, "3.4.0", ready=False)
        body = {"platform": "ANDROID", "buildNumber": CODE}
        self.assert_error(self.request("POST", self.path(rel), body, token=self.owner.token), 409, "conflict")
        fx.db_execute(self.server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))
        self.assert_error(self.request("POST", self.path(rel), {"platform": "IOS", "buildNumber": CODE},
                                       token=self.owner.token), 400, "invalid_request")  # not one of its platforms
        self.assert_error(self.request("POST", self.path(rel), {"platform": "ANDROID"}, token=self.owner.token), 400,
                          "invalid_request")  # no build number, and no build
        viewer, editor = self.ctx.org.viewer, self.ctx.org.editor
        resp = self.request("POST", self.path(rel), body, token=viewer.token)
        baseline = self.request("POST", self.path(rel, tenant=str(uuid.uuid4())), body, token=viewer.token)
        harness.assert_same_not_found(self, resp, baseline)
        sub = self.expect(self.request("POST", self.path(rel), body, token=editor.token), 201)
        self.expect(self.request("GET", self.path(rel, sub), token=viewer.token), 200)
        other = harness.new_org(self.server)
        for method, path in (("GET", self.path(rel, tenant=other.id)), ("GET", self.path(rel, sub, tenant=other.id)),
                             ("POST", self.path(rel, sub, "halt", tenant=other.id))):
            self.assert_error(self.request(method, path, token=other.owner.token), 404, "not_found")
        self.assert_error(self.request("GET", self.path(str(uuid.uuid4()), sub), token=self.owner.token), 404,
                          "not_found")
        self.assert_error(self.request("POST", self.path(rel, sub, "explode"), token=self.owner.token), 404,
                          "not_found")
        self.settled(rel, sub)


if __name__ == "__main__":
    unittest.main()
