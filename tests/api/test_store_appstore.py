"""Store submissions on App Store Connect (docs/stores.md): a READY release's
iOS build waited for while it processes, its appStoreVersion made with
whatsNew, the build attached, a review submission made and submitted, the
review followed by polling (in review, approved: pending developer release)
and the version released on command; a rejection shown as such; a submission
blocker Apple raises (an unanswered age rating) failing with Apple's code and
detail. The fake checks every request's ES256 JWT as in verification."""

import json
import os
import sys
import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import test_store_play as sp
import verify_fixtures as vf

sys.path.insert(0, os.path.join(harness.REPO_ROOT, "tests", "fakes"))
import fakebase  # noqa: E402

BUILD = "101"


def tearDownModule():
    vf.stop_servers()


class AppStoreTest(vf.VerifyTest):
    def setUp(self):
        super().setUp()
        self.prepare()

    def prepare(self):
        """A fresh tenant whose setup names an App Store Connect key and app the fake knows (its APP_STORE target)."""
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner
        kid, issuer, t = fx.apple_id10(), str(uuid.uuid4()), uuid.uuid4().hex[:8]
        self.bundle, self.app = "com.example.ios" + t, str(6400000000 + uuid.uuid4().int % 99999)
        key = fx.ec_private_key()
        self.fakes.register("appstore", {"keys": {kid: {"issuer": issuer, "privateKey": key}},
                                         "apps": {issuer: [{"id": self.app, "bundleId": self.bundle, "name": "iOS " + t}]},
                                         "locales": ["en-US", "de-DE"]})
        body = {"github": fx.setup_github(), "targets": ["APP_STORE"], "platforms": ["IOS"],
                "appStoreConnect": fx.setup_app_store(apiKeyId=kid, issuerId=issuer, privateKey=key, bundleId=self.bundle)}
        self.expect(fx.post_setup(self.server, self.owner.token, self.tenant, body), 200)
        _, rows = fx.db_query(self.server, "SELECT id FROM tenant_target_integrations WHERE tenantId = ?", (self.tenant,))
        fx.set_verification(self.server, "targets", rows[0][0], "VALID")

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token or self.owner.token)

    def build(self, version, state):
        self.fakes.register("appstore", {"builds": {"b-" + self.app + version: {
            "app": self.app, "version": BUILD, "versionString": version, "processingState": state}}})

    def submit(self, version, rel=None, **more):
        rel = rel or sp.ready_release(self, self.ctx, version, platform="IOS")
        sub = self.expect(self.request("POST", "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"]), dict({
            "platform": "IOS", "buildNumber": BUILD, "releaseNotes": {"en-US": "New widgets", "fr-FR": "Nouveau"}}, **more)),
            201)
        return rel, sub

    def until(self, rel, sub, what, probe, seconds=60):
        path = "/api/v1/%s/releases/%s/submissions/%s" % (self.tenant, rel["id"], sub["id"])
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.expect(self.request("GET", path), 200)
            if probe(got):
                return got
            time.sleep(0.2)
        self.fail("the submission never %s: %s" % (what, self.expect(self.request("GET", path), 200)))

    def version(self, vid):
        return self.fakes.data("appstore")["versions"][vid]

    def set_state(self, vid, state):
        self.fakes.register("appstore", {"versions": {vid: {"appStoreState": state}}})

    def names(self, rel):
        got = self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rel["id"])), 200)
        return [(e["kind"], e["name"], e["outcome"]) for e in got["events"]]

    def listen(self):
        """An outbound webhook endpoint (the fakes' receiver) for every release and rollout event, so each is written
        to the outbox: (event name, payload) of the tenant's events come from events()."""
        name = uuid.uuid4().hex[:12]
        made = self.expect(self.request("POST", "/api/v1/%s/webhook-endpoints" % self.tenant, {
            "url": self.fakes.url("webhooks") + "/outbound/" + name, "events": ["release.*", "rollout.*"]}), 201)
        self.server.remember_secret(made["secret"])
        self.fakes.register("webhooks", {"endpoints": {name: made["secret"]}})

    def events(self):
        _, rows = fx.db_query(self.server, "SELECT name, payload FROM notification_events WHERE tenantId = ? "
                              "ORDER BY createdAt, id", (self.tenant,))
        return [(name, json.loads(payload)) for name, payload in rows]

    def test_processing_review_approved_released(self):
        """... and each store move an event of the catalogue with the store and the build: release.submitted,
        release.review.started, release.review.approved, rollout.updated (docs/events.md)."""
        self.listen()
        self.build("4.0.0", "PROCESSING")
        rel, sub = self.submit("4.0.0")
        sub = self.until(rel, sub, "saw the build processing", lambda s: s["status"] == "PROCESSING")
        self.assertEqual(sub["pendingAction"], "submit")
        self.build("4.0.0", "VALID")
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual((sub["reviewState"], sub["pendingAction"]), ("WAITING_FOR_REVIEW", None))
        vid = sub["storeVersionId"]
        version = self.version(vid)
        self.assertEqual((version["versionString"], version["build"], version["appStoreState"]),
                         ("4.0.0", "b-" + self.app + "4.0.0", "WAITING_FOR_REVIEW"))
        self.assertEqual(version["localizations"]["en-US"]["whatsNew"], "New widgets")
        self.assertIsNone(version["localizations"]["de-DE"]["whatsNew"], "no notes in that language: left alone")
        review = self.fakes.data("appstore")["reviewSubmissions"][sub["storeSubmissionId"]]
        self.assertEqual((review["state"], review["items"]), ("WAITING_FOR_REVIEW", [vid]))
        jwts = [r["notes"].get("jwt", {}) for r in self.fakes.requests("appstore", self.mark)]
        self.assertTrue(jwts and all(j.get("ok") for j in jwts), "every call signed with the key")

        path = "/api/v1/%s/releases/%s/submissions/%s/complete" % (self.tenant, rel["id"], sub["id"])
        harness.assert_error(self, self.request("POST", path), 409, "conflict")  # not approved yet
        self.set_state(vid, "IN_REVIEW")
        self.until(rel, sub, "went in review", lambda s: s["status"] == "IN_REVIEW")
        self.set_state(vid, "PENDING_DEVELOPER_RELEASE")
        sub = self.until(rel, sub, "was approved", lambda s: s["status"] == "APPROVED")
        self.assertEqual(self.expect(self.request("POST", path), 200)["pendingAction"], "complete")
        sub = self.until(rel, sub, "was released", lambda s: s["pendingAction"] is None)
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0))
        self.assertEqual(self.version(vid)["appStoreState"], "READY_FOR_SALE")
        self.assertEqual(self.fakes.data("appstore")["requests"]["release"].count(vid), 1)
        names = self.names(rel)
        for name in ("processing", "submitted", "in-review", "review-approved", "rollout-updated"):
            self.assertIn(("STATUS", name, None), names)
        told = [(name, p.get("target"), p.get("buildNumber")) for name, p in self.events()
                if name in ("release.submitted", "release.review.started", "release.review.approved", "rollout.updated")]
        self.assertEqual(told, [(name, "APP_STORE", BUILD) for name in (
            "release.submitted", "release.review.started", "release.review.approved")] + [
            ("rollout.updated", "APP_STORE", None)], "each with the fields its row names (a rollout: no build)")
        self.assertEqual([p["fraction"] for name, p in self.events() if name == "rollout.updated"], [1.0])

    def approved(self, version):
        """A submission of version whose review the fake approved (PENDING_DEVELOPER_RELEASE)."""
        self.build(version, "VALID")
        rel, sub = self.submit(version)
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.set_state(sub["storeVersionId"], "PENDING_DEVELOPER_RELEASE")
        return rel, self.until(rel, sub, "was approved", lambda s: s["status"] == "APPROVED")

    def act(self, rel, sub, action, body=None, token=None):
        return self.request("POST", "/api/v1/%s/releases/%s/submissions/%s/%s" % (self.tenant, rel["id"], sub["id"], action),
                            body, token=token)

    def acted(self, rel, sub, action, body=None):
        """The action asked, then its outcome recorded (pendingAction cleared)."""
        self.assertEqual(self.expect(self.act(rel, sub, action, body), 200)["pendingAction"], action)
        return self.until(rel, sub, action + " ended", lambda s: s["pendingAction"] is None)

    def phased(self, vid):
        found = [(pid, p) for pid, p in self.fakes.data("appstore")["phasedReleases"].items() if p["version"] == vid]
        self.assertEqual(len(found), 1, "one phased release a version")
        return found[0]

    def test_phased_release_start_pause_resume_complete(self):
        rel, sub = self.approved("4.3.0")
        vid = sub["storeVersionId"]
        resp = self.act(rel, sub, "rollout", {"rolloutPermille": 10}, token=self.ctx.org.viewer.token)
        baseline = self.request("POST", "/api/v1/%s/releases/%s/submissions/%s/rollout" % (uuid.uuid4(), rel["id"], sub["id"]),
                                {"rolloutPermille": 10}, token=self.ctx.org.viewer.token)
        harness.assert_same_not_found(self, resp, baseline)  # a viewer reads, never acts
        other = harness.new_org(self.server)
        path = "/api/v1/%s/releases/%s/submissions/%s/rollout" % (other.id, rel["id"], sub["id"])
        harness.assert_error(self, self.server.request("POST", path, {"rolloutPermille": 10}, token=other.owner.token),
                             404, "not_found")
        harness.assert_error(self, self.act(rel, sub, "halt"), 409, "conflict")  # not rolling out yet
        self.assertEqual(self.fakes.data("appstore")["requests"]["phased"].count(vid), 0)

        sub = self.acted(rel, sub, "rollout", {"rolloutPermille": 10})
        self.assertEqual((sub["status"], sub["rolloutFraction"], sub["statusReason"]), ("ROLLING_OUT", 0.01, None))
        pid, p = self.phased(vid)
        self.assertEqual((p["phasedReleaseState"], p["currentDayNumber"]), ("ACTIVE", 1))
        self.assertEqual(self.version(vid)["appStoreState"], "READY_FOR_SALE")
        self.fakes.register("appstore", {"phasedReleases": {pid: {"currentDayNumber": 3}}})  # Apple's day 3: 5 %
        sub = self.acted(rel, sub, "halt", {"reason": "crash spike"})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("HALTED", 0.05))
        self.assertEqual(self.phased(vid)[1]["phasedReleaseState"], "PAUSED")
        sub = self.acted(rel, sub, "resume")
        self.assertEqual((sub["status"], self.phased(vid)[1]["phasedReleaseState"]), ("ROLLING_OUT", "ACTIVE"))

        # Apple refuses a move its state machine has not: 409 with errors[], twice (read between), reason kept
        self.fakes.register("appstore", {"phasedReleases": {pid: {"phasedReleaseState": "INACTIVE"}}})
        sub = self.acted(rel, sub, "halt")
        self.assertEqual(sub["status"], "ROLLING_OUT", "a refused halt changes nothing")
        self.assertIn("STATE_ERROR", sub["statusReason"])
        self.assertIn(("CALL", "halt", "FAILED"), self.names(rel))
        # completed in App Store Connect behind slipway's back: no halt, and the reason says so
        self.fakes.register("appstore", {"phasedReleases": {pid: {"phasedReleaseState": "COMPLETE"}}})
        sub = self.acted(rel, sub, "halt")
        self.assertEqual(sub["status"], "ROLLING_OUT")
        self.assertIn("released to every user: App Store Connect cannot halt it", sub["statusReason"])
        self.fakes.register("appstore", {"phasedReleases": {pid: {"phasedReleaseState": "ACTIVE"}}})

        sub = self.acted(rel, sub, "complete")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("RELEASED", 1.0))
        self.assertEqual(self.phased(vid)[1]["phasedReleaseState"], "COMPLETE")
        self.assertEqual(self.fakes.data("appstore")["requests"]["phased"].count(vid), 1)
        self.assertEqual(self.fakes.data("appstore")["requests"]["release"].count(vid), 1)
        resp = self.act(rel, sub, "halt")
        harness.assert_error(self, resp, 409, "conflict")
        self.assertIn("App Store Connect has released it to every user", resp.json["error"]["message"])
        names = self.names(rel)
        for entry in (("CALL", "rollout", "OK"), ("CALL", "resume", "OK"), ("STATUS", "rollout-updated", None)):
            self.assertIn(entry, names)

    def followed(self, rel, sub, start):
        """The phased release followed without an action: Apple's day 4 (10 %) reaches the submission by itself, then
        Apple completes it: RELEASED, and so is the release (its one platform). Reads only: no write reaches Apple."""
        vid = sub["storeVersionId"]
        pid, _ = self.phased(vid)
        self.fakes.register("appstore", {"phasedReleases": {pid: {"currentDayNumber": 4}}})  # Apple's day 4: 10 %
        sub = self.until(rel, sub, "followed Apple's day", lambda s: s["rolloutFraction"] == 0.1)
        self.assertEqual((sub["status"], sub["pendingAction"]), ("ROLLING_OUT", None))
        self.fakes.register("appstore", {"phasedReleases": {pid: {"phasedReleaseState": "COMPLETE"}}})
        sub = self.until(rel, sub, "was released by Apple", lambda s: s["status"] == "RELEASED")
        self.assertEqual((sub["rolloutFraction"], sub["pendingAction"]), (1.0, None))
        got = self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rel["id"])), 200)
        self.assertEqual(got["status"], "RELEASED", "every platform's build is with every user")
        writes = [(r["method"], r["path"]) for r in self.fakes.requests("appstore", start) if r["method"] != "GET"]
        self.assertEqual(writes, [], "following the phased release writes nothing")
        data = self.fakes.data("appstore")
        self.assertEqual((data["requests"]["phased"].count(vid), data["requests"]["release"].count(vid)), (1, 1))
        return sub

    def test_phased_release_followed(self):
        """Apple moves the phased release's day by itself: the submission's share follows it without an action (a
        durable wait on the rollout's job, the review's backoff), a "rollout-updated" step each move, until Apple
        completes it (RELEASED) or an action takes over (a halt ends the follow; a resume starts it again)."""
        rel, sub = self.approved("4.3.5")
        sub = self.acted(rel, sub, "rollout", {"rolloutPermille": 10})
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.01))
        pid, _ = self.phased(sub["storeVersionId"])
        self.fakes.register("appstore", {"phasedReleases": {pid: {"currentDayNumber": 2}}})  # day 2: 2 %
        sub = self.until(rel, sub, "followed Apple's day", lambda s: s["rolloutFraction"] == 0.02)
        sub = self.acted(rel, sub, "halt")
        self.fakes.register("appstore", {"phasedReleases": {pid: {"currentDayNumber": 3}}})  # paused: no day moves it
        time.sleep(2)
        sub = self.until(rel, sub, "stayed halted", lambda s: s["status"] == "HALTED")
        self.assertEqual(sub["rolloutFraction"], 0.02, "a halted rollout is not followed")
        sub = self.acted(rel, sub, "resume")
        self.assertEqual((sub["status"], sub["rolloutFraction"]), ("ROLLING_OUT", 0.05), "the resume reads Apple's day")
        sub = self.followed(rel, sub, self.fakes.mark())
        steps = [e for e in self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rel["id"])),
                                        200)["events"] if e["kind"] == "STATUS" and e["name"] == "rollout-updated"]
        self.assertGreaterEqual(len(steps), 4, "each move of the followed share is on the timeline")

    def test_testflight_groups_what_to_test_and_beta_review(self):
        self.build("4.6.0", "VALID")
        bid = "b-" + self.app + "4.6.0"
        self.fakes.register("appstore", {"betaGroups": {
            "g-qa" + self.app: {"app": self.app, "name": "QA", "isInternalGroup": True, "builds": []},
            "g-pub" + self.app: {"app": self.app, "name": "Public Beta", "isInternalGroup": False, "builds": []}}})
        rel, sub = self.submit("4.6.0", track="testflight", testers={"groups": ["QA", "Nobody"]})
        sub = self.until(rel, sub, "failed", lambda s: s["status"] == "FAILED")
        self.assertIn("no beta group named Nobody", sub["statusReason"])

        rel, sub = self.submit("4.6.0", rel, track="testflight", testers={"groups": ["QA", "Public Beta"]})
        self.assertEqual((sub["track"], sub["testers"]), ("testflight", {"groups": ["QA", "Public Beta"]}))
        sub = self.until(rel, sub, "was sent to beta review", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual((sub["storeVersionId"], sub["reviewState"]), (bid, "WAITING_FOR_REVIEW"))
        data = self.fakes.data("appstore")
        self.assertEqual([g["builds"] for g in (data["betaGroups"]["g-qa" + self.app],
                                                data["betaGroups"]["g-pub" + self.app])], [[bid], [bid]])
        self.assertEqual(data["betaLocalizations"][bid]["en-US"]["whatsNew"], "New widgets")
        self.assertEqual(data["betaReviews"][sub["storeSubmissionId"]]["build"], bid)
        self.fakes.register("appstore", {"betaReviews": {sub["storeSubmissionId"]: {"betaReviewState": "IN_REVIEW"}}})
        self.until(rel, sub, "went in beta review", lambda s: s["status"] == "IN_REVIEW")
        self.fakes.register("appstore", {"betaReviews": {sub["storeSubmissionId"]: {"betaReviewState": "APPROVED"}}})
        sub = self.until(rel, sub, "reached the testers", lambda s: s["status"] == "RELEASED")
        self.assertEqual(sub["reviewState"], "APPROVED")

        # internal testers only: no beta review, the build is theirs at once
        rel, sub = self.submit("4.6.0", rel, track="testflight", testers={"groups": ["QA"]})
        sub = self.until(rel, sub, "reached the testers", lambda s: s["status"] == "RELEASED")
        self.assertEqual(len([r for r in self.fakes.data("appstore")["betaReviews"].values() if r["build"] == bid]), 1)
        path = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"])
        for bad in ({"groups": "QA"}, {"emails": ["not-an-address"]}, {"teams": []}, ["QA"]):
            harness.assert_error(self, self.request("POST", path, {"platform": "IOS", "buildNumber": BUILD,
                                                                    "track": "testflight", "testers": bad}),
                                 400, "invalid_request")

    def test_rejection_is_shown(self):
        self.build("4.1.0", "VALID")
        rel, sub = self.submit("4.1.0")
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.set_state(sub["storeVersionId"], "REJECTED")
        sub = self.until(rel, sub, "was rejected", lambda s: s["status"] == "REJECTED")
        self.assertEqual(sub["reviewState"], "REJECTED")
        self.assertIn("App Review rejected version 4.1.0", sub["statusReason"])
        self.assertIn(("STATUS", "rejected", None), self.names(rel))

    def test_release_types(self):
        """releaseType on the appStoreVersion: AFTER_APPROVAL is released by Apple once approved (RELEASED);
        SCHEDULED waits for its earliestReleaseDate (APPROVED, PENDING_APPLE_RELEASE, still followed), then is
        released; a bad type or date is refused."""
        import datetime
        self.build("4.4.0", "VALID")
        rel, sub = self.submit("4.4.0", releaseType="AFTER_APPROVAL")
        self.assertEqual((sub["releaseType"], sub["earliestReleaseDate"]), ("AFTER_APPROVAL", None))
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual(self.version(sub["storeVersionId"])["releaseType"], "AFTER_APPROVAL")
        self.set_state(sub["storeVersionId"], "APPROVED")
        sub = self.until(rel, sub, "was released", lambda s: s["status"] == "RELEASED")
        self.assertEqual((sub["reviewState"], sub["rolloutFraction"]), ("READY_FOR_SALE", 1.0))

        when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.build("4.5.0", "VALID")
        rel, sub = self.submit("4.5.0", releaseType="SCHEDULED", earliestReleaseDate=when)
        self.assertEqual(sub["releaseType"], "SCHEDULED")
        self.assertTrue(sub["earliestReleaseDate"].startswith(when[:19]), sub["earliestReleaseDate"])
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        version = self.version(sub["storeVersionId"])
        self.assertEqual(version["releaseType"], "SCHEDULED")
        self.assertTrue(version["earliestReleaseDate"].startswith(when[:19]))
        self.set_state(sub["storeVersionId"], "APPROVED")
        sub = self.until(rel, sub, "waited for Apple", lambda s: s["reviewState"] == "PENDING_APPLE_RELEASE")
        self.assertEqual(sub["status"], "APPROVED")
        self.fakes.register("appstore", {"versions": {sub["storeVersionId"]: {
            "earliestReleaseDate": "2020-01-01T00:00:00Z"}}})  # the date has come
        sub = self.until(rel, sub, "was released on its date", lambda s: s["status"] == "RELEASED")

        rel = sp.ready_release(self, self.ctx, "4.6.0", platform="IOS")
        path = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"])
        for more in ({"releaseType": "SCHEDULED"}, {"releaseType": "MANUAL", "earliestReleaseDate": when},
                     {"earliestReleaseDate": when}, {"releaseType": "SCHEDULED", "earliestReleaseDate": "2020-01-01T00:00:00Z"},
                     {"releaseType": "SCHEDULED", "earliestReleaseDate": "tomorrow"}, {"releaseType": "LATER"},
                     {"releaseType": 1}):
            harness.assert_error(self, self.request("POST", path, dict({"platform": "IOS", "buildNumber": BUILD}, **more)),
                                 400, "invalid_request")
        self.assertEqual(self.expect(self.request("GET", path), 200)["items"], [])

    def team_version(self, version, state="PREPARE_FOR_SUBMISSION", **attrs):
        """An appStoreVersion the team made in App Store Connect (attrs: releaseType, earliestReleaseDate); its id."""
        vid = str(uuid.uuid4())
        self.fakes.register("appstore", {"versions": {vid: dict({
            "app": self.app, "versionString": version, "platform": "IOS", "appStoreState": state, "build": None,
            "releaseType": "MANUAL", "earliestReleaseDate": None,
            "localizations": {"en-US": {"id": str(uuid.uuid4()), "whatsNew": None}}}, **attrs)}})
        self.build(version, "VALID")
        return vid

    def patches(self, vid):
        return [p["attributes"] for p in self.fakes.data("appstore")["requests"]["versionPatches"] if p["version"] == vid]

    def test_reused_version_takes_the_release_type(self):
        """A version the team made (MANUAL) is reused with the submission's release type: PATCHed to SCHEDULED with
        its date before the build is attached and the review submitted; one made SCHEDULED is PATCHed to MANUAL (the
        default) with its date cleared; one whose type is the submission's gets no PATCH."""
        import datetime
        when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        vid = self.team_version("4.7.0")
        rel, sub = self.submit("4.7.0", releaseType="SCHEDULED", earliestReleaseDate=when)
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual(sub["storeVersionId"], vid, "reused, not made again")
        version = self.version(vid)
        self.assertEqual((version["releaseType"], version["appStoreState"]), ("SCHEDULED", "WAITING_FOR_REVIEW"))
        self.assertTrue(version["earliestReleaseDate"].startswith(when[:19]), version["earliestReleaseDate"])
        [patch] = self.patches(vid)
        self.assertEqual(patch["releaseType"], "SCHEDULED")
        paths = [(r["method"], r["path"].split("?")[0]) for r in self.fakes.requests("appstore", self.mark)]
        self.assertLess(paths.index(("PATCH", "/v1/appStoreVersions/" + vid)),
                        paths.index(("PATCH", "/v1/appStoreVersions/%s/relationships/build" % vid)), "before the build")

        vid = self.team_version("4.8.0", "REJECTED", releaseType="SCHEDULED", earliestReleaseDate=when)
        rel, sub = self.submit("4.8.0")
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual(self.patches(vid), [{"releaseType": "MANUAL", "earliestReleaseDate": None}], "the date cleared")
        self.assertEqual((self.version(vid)["releaseType"], self.version(vid)["earliestReleaseDate"]), ("MANUAL", None))

        vid = self.team_version("4.9.0", releaseType="AFTER_APPROVAL")
        rel, sub = self.submit("4.9.0", releaseType="AFTER_APPROVAL")
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.assertEqual((sub["storeVersionId"], self.patches(vid)), (vid, []), "the same type: no PATCH")
        self.assertEqual(self.version(vid)["releaseType"], "AFTER_APPROVAL")

    def test_reused_version_not_editable(self):
        """A version already with App Review (WAITING_FOR_REVIEW) whose release type differs is refused, naming its
        state: no PATCH, no build attached, nothing submitted. A version that moves on between the read and the PATCH
        gets Apple's 409, which reaches the user with Apple's code and the state."""
        vid = self.team_version("5.0.0", "WAITING_FOR_REVIEW")
        rel, sub = self.submit("5.0.0", releaseType="AFTER_APPROVAL")
        sub = self.until(rel, sub, "failed", lambda s: s["status"] == "FAILED")
        self.assertIn("WAITING_FOR_REVIEW", sub["statusReason"])
        self.assertIn("cannot be changed to AFTER_APPROVAL", sub["statusReason"])
        self.assertEqual(self.patches(vid), [])
        self.assertEqual((self.version(vid)["releaseType"], self.version(vid)["build"]), ("MANUAL", None))
        self.assertIn(("CALL", "submit", "FAILED"), self.names(rel))

        vid = self.team_version("5.1.0")
        held = self.fakes.rule("appstore", "hold", path="/v1/appStoreVersions/" + vid, method="PATCH", seconds=60)
        try:
            rel, sub = self.submit("5.1.0", releaseType="AFTER_APPROVAL")
            deadline = time.monotonic() + 60
            while not [r for r in self.fakes.requests("appstore") if (r.get("rule") or {}).get("id") == held["id"]]:
                self.assertLess(time.monotonic(), deadline, "the PATCH never came")
                time.sleep(0.2)
            self.set_state(vid, "WAITING_FOR_REVIEW")  # the team sent it meanwhile
        finally:
            self.fakes.drop(held)
        sub = self.until(rel, sub, "failed", lambda s: s["status"] == "FAILED")
        self.assertIn("ENTITY_ERROR.ATTRIBUTE.INVALID", sub["statusReason"])
        self.assertIn("WAITING_FOR_REVIEW", sub["statusReason"])
        self.assertEqual((self.version(vid)["releaseType"], self.version(vid)["build"]), ("MANUAL", None))

    def test_rollout_plan_is_refused(self):
        """Apple keeps the phased release's 7-day schedule: a rollout plan is refused, saying so; nothing is created.
        Nor can it cancel a review through a commit, or promote between tracks."""
        rel = sp.ready_release(self, self.ctx, "4.3.0", platform="IOS")
        path = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"])
        resp = self.request("POST", path, {"platform": "IOS", "buildNumber": BUILD, "rolloutPlan": [
            {"rolloutPermille": 10, "waitMinutes": 0}, {"rolloutPermille": 1000, "waitMinutes": 0}]})
        harness.assert_error(self, resp, 400, "invalid_request")
        self.assertIn("Apple", str(resp.json["error"]), "says why")
        resp = self.request("POST", path, {"platform": "IOS", "buildNumber": BUILD, "cancelReview": True})
        harness.assert_error(self, resp, 400, "invalid_request")
        self.assertEqual(self.expect(self.request("GET", path), 200)["items"], [])
        rel, sub = self.submit("4.3.0", rel)
        resp = self.request("POST", "%s/%s/promote" % (path, sub["id"]), {"track": "testflight"})
        harness.assert_error(self, resp, 409, "conflict")  # App Store Connect has no tracks to promote between
        self.assertIn("App Store Connect", resp.json["error"]["message"])
        # a hotfix cannot carry a rollout share to the App Store: Apple keeps the phased release's own schedule
        fx.db_execute(self.server, "UPDATE releases SET releaseType = 'HOTFIX' WHERE id = ?", (rel["id"],))
        resp = self.request("POST", path, {"platform": "IOS", "buildNumber": BUILD, "carryRollout": True})
        harness.assert_error(self, resp, 400, "invalid_request")
        [detail] = [d for d in resp.json["error"]["details"] if d["field"] == "carryRollout"]
        self.assertIn("Google Play only", detail["message"])
        self.assertEqual(len(self.expect(self.request("GET", path), 200)["items"]), 1, "nothing more made")

    def test_blocker_reaches_the_user(self):
        self.build("4.2.0", "VALID")
        self.fakes.register("appstore", {"blockers": {self.app: [{
            "code": "STATE_ERROR.ENTITY_STATE_INVALID",
            "detail": "appInfos: ageRatingDeclaration is required: answer the age rating questionnaire"}]}})
        try:
            rel, sub = self.submit("4.2.0")
            sub = self.until(rel, sub, "failed", lambda s: s["status"] == "FAILED")
        finally:
            self.fakes.register("appstore", {"blockers": {self.app: []}})
        self.assertIn("STATE_ERROR.ENTITY_STATE_INVALID", sub["statusReason"])
        self.assertIn("ageRatingDeclaration", sub["statusReason"])
        self.assertIn(("CALL", "submit", "FAILED"), self.names(rel))

    def test_webhooks_wake_the_waits(self):
        """App Store Connect's notifications (API 4.0, 4.1), signed with the target's webhook secret, make the
        submission's job look at the store at once: on a server whose polls are 5 minutes apart, the processed build
        and the review's end arrive by webhook alone. A bad signature changes nothing; a delivery sent twice is
        answered as a duplicate."""
        slow = vf.start_server(self.fakes, extra={"SLIPWAY_STORE_POLL_MS": "300000"})
        self.addCleanup(slow.stop)
        self.server = slow
        self.prepare()
        _, rows = fx.db_query(self.server, "SELECT id FROM tenant_target_integrations WHERE tenantId = ?", (self.tenant,))
        hook = self.expect(self.request("POST", "/api/v1/%s/integrations/targets/%s/webhook" % (self.tenant, rows[0][0])), 201)
        self.server.remember_secret(hook["secret"])
        base = "http://127.0.0.1:%d" % self.server.port
        self.fakes.register("appstore", {"webhook": {"url": base + hook["path"], "secret": hook["secret"]}})
        self.addCleanup(self.fakes.register, "appstore", {"webhook": None})

        self.build("5.0.0", "PROCESSING")
        rel, sub = self.submit("5.0.0")
        sub = self.until(rel, sub, "saw the build processing", lambda s: s["status"] == "PROCESSING")
        self.build("5.0.0", "VALID")  # buildUploadStateUpdated
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.set_state(sub["storeVersionId"], "IN_REVIEW")  # appStoreVersionAppVersionStateUpdated
        self.until(rel, sub, "went in review", lambda s: s["status"] == "IN_REVIEW")
        self.set_state(sub["storeVersionId"], "PENDING_DEVELOPER_RELEASE")
        sub = self.until(rel, sub, "was approved", lambda s: s["status"] == "APPROVED")
        # TestFlight's beta review: the build's external state (buildBetaDetailExternalBuildStateUpdated) wakes it
        self.fakes.register("appstore", {"betaGroups": {"g-pub" + self.app: {
            "app": self.app, "name": "Public Beta", "isInternalGroup": False, "builds": []}}})
        self.build("5.0.1", "VALID")
        beta_rel, beta = self.submit("5.0.1", track="testflight", testers={"groups": ["Public Beta"]})
        beta = self.until(beta_rel, beta, "was sent to beta review", lambda s: s["status"] == "SUBMITTED")
        self.fakes.register("appstore", {"betaReviews": {beta["storeSubmissionId"]: {"betaReviewState": "IN_REVIEW"}}})
        self.until(beta_rel, beta, "went in beta review", lambda s: s["status"] == "IN_REVIEW")
        self.fakes.register("appstore", {"betaReviews": {beta["storeSubmissionId"]: {"betaReviewState": "APPROVED"}}})
        self.until(beta_rel, beta, "reached the testers", lambda s: s["status"] == "RELEASED")
        types = [json.loads(n["body"])["data"]["type"] for n in self.fakes.data("appstore")["notifications"]]
        self.assertIn("buildBetaDetailExternalBuildStateUpdated", types)
        sent = self.fakes.data("appstore")["notifications"]
        self.assertTrue(sent and all(n["status"] == 202 for n in sent), sent)

        last = sent[-1]
        deliveries = "SELECT COUNT(*) FROM webhook_deliveries WHERE tenantId = ?"
        before = fx.db_query(self.server, deliveries, (self.tenant,))[1][0][0]
        for headers in ({"x-apple-signature": "hmacsha256=" + "0" * 64}, {}):
            status, _, _ = fakebase.send_webhook(base, hook["path"], last["body"].encode("utf-8"), headers)
            self.assertEqual(status, 401)
        self.assertEqual(fx.db_query(self.server, deliveries, (self.tenant,))[1][0][0], before, "nothing is recorded")
        status, _, body = fakebase.send_webhook(base, hook["path"], last["body"].encode("utf-8"), last["headers"])
        self.assertEqual((status, json.loads(body)["duplicate"]), (200, True))
        self.assertEqual(fx.db_query(self.server, deliveries, (self.tenant,))[1][0][0], before)
        self.assertEqual(self.until(rel, sub, "stayed", lambda s: True)["status"], "APPROVED")

    def registration(self, path, job, what):
        """The target's registration once the job job has ended (polled: the job runs on the fake at once)."""
        deadline = time.monotonic() + 30
        while True:
            reg = self.expect(self.request("GET", path), 200)
            if reg["jobId"] == job and reg["status"] not in ("REGISTERING", "UNREGISTERING"):
                return reg
            self.assertLess(time.monotonic(), deadline, "the webhook %s: %s" % (what, reg))
            time.sleep(0.05)

    def test_webhook_registered_with_apple(self):
        """An owner has slipway register the target's webhook with App Store Connect (POST /v1/webhooks): the app then
        has one webhook, of slipway's URL for the target, its secret and the three events slipway takes. Registering
        again updates that one (never a second); a rotated secret reaches Apple by itself; removing it deletes it.
        Another tenant's target is not seen."""
        server = vf.start_server(self.fakes, extra={"SLIPWAY_PUBLIC_URL": "http://127.0.0.1:{port}/",
                                                     "SLIPWAY_JOB_POLL_MS": "100"})
        self.addCleanup(server.stop)
        self.server = server
        self.prepare()
        _, rows = fx.db_query(self.server, "SELECT id FROM tenant_target_integrations WHERE tenantId = ?", (self.tenant,))
        hook_path = "/api/v1/%s/integrations/targets/%s/webhook" % (self.tenant, rows[0][0])
        path = hook_path + "/registration"
        self.assertIsNone(self.expect(self.request("GET", path), 200)["status"])
        self.expect(self.request("POST", path), 409)  # no webhook to register yet
        hook = self.expect(self.request("POST", hook_path), 201)
        self.server.remember_secret(hook["secret"])
        mine = lambda: {wid: w for wid, w in self.fakes.data("appstore")["webhooks"].items()  # noqa: E731
                        if w["app"] == self.app}

        reg = self.registration(path, self.expect(self.request("POST", path), 202)["jobId"], "registered")
        hooks = mine()
        self.assertEqual(len(hooks), 1, hooks)
        (wid, w), = hooks.items()
        self.assertEqual((reg["status"], reg["appleWebhookId"], reg["lastError"]), ("REGISTERED", wid, None))
        self.assertTrue(reg["registeredAt"])
        self.assertEqual((w["url"], w["secret"], sorted(w["eventTypes"]), w["enabled"]),
                         ("http://127.0.0.1:%d%s" % (self.server.port, hook["path"]), hook["secret"],
                          ["APP_STORE_VERSION_APP_VERSION_STATE_UPDATED", "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED",
                           "BUILD_UPLOAD_STATE_UPDATED"], True))

        self.fakes.register("appstore", {"webhooks": {wid: dict(w, enabled=False)}})
        again = self.registration(path, self.expect(self.request("POST", path), 202)["jobId"], "registered again")
        self.assertEqual((again["appleWebhookId"], list(mine()), mine()[wid]["enabled"]), (wid, [wid], True))

        rotated = self.expect(self.request("POST", hook_path), 200)
        self.server.remember_secret(rotated["secret"])
        job = self.expect(self.request("GET", path), 200)["jobId"]
        self.assertNotEqual(job, again["jobId"], "the rotation registers again")
        self.registration(path, job, "re-sent")
        self.assertEqual((list(mine()), mine()[wid]["secret"]), ([wid], rotated["secret"]))

        other = vf.Ctx(self.server, self.fakes)
        for method in ("GET", "POST", "DELETE"):
            self.expect(self.request(method, path, token=other.token), 404)

        gone = self.registration(path, self.expect(self.request("DELETE", path), 202)["jobId"], "removed")
        self.assertEqual((gone["status"], gone["appleWebhookId"], mine()), ("UNREGISTERED", None, {}))

        # the target deleted while registered: its webhook is deleted at Apple by a job that keeps the target's
        # credentials encrypted (DELETE /v1/webhooks/{id}); the target and its registration go at once
        again = self.registration(path, self.expect(self.request("POST", path), 202)["jobId"], "registered once more")
        self.assertEqual(list(mine()), [again["appleWebhookId"]])
        target, since = hook_path[:-len("/webhook")], self.fakes.mark()
        self.expect(self.request("DELETE", target), 204)
        self.expect(self.request("GET", target), 404)
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM store_webhook_registrations WHERE integrationId = ?",
                              (rows[0][0],))
        self.assertEqual(rows[0][0], 0)
        key = "store-webhook-delete:" + target.rsplit("/", 1)[1]

        def ended():
            _, r = fx.db_query(self.server, "SELECT state, secrets, output FROM jobs WHERE dedupeKey = ?", (key,))
            return r[0] if r and r[0][0] in ("DONE", "FAILED") else None
        state, secrets, output = sp.wait_for(self, "the deleting job to end", ended)
        self.assertEqual((state, secrets, json.loads(output)["deleted"], mine()), ("DONE", None, True, {}))
        deletes = [r for r in self.fakes.requests("appstore", since) if r.get("method") == "DELETE"
                   and r.get("path") == "/v1/webhooks/" + again["appleWebhookId"]]
        self.assertEqual([r["status"] for r in deletes], [204], "by the id slipway kept, once")


if __name__ == "__main__":
    unittest.main()
