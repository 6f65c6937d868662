"""Releases (docs/releases.md): create, list, read, configuration, roles, and
kickoff end to end against the SCM fakes (the branch and the first
candidate's tag made exactly once), a branch already at the base's head,
a branch at another commit (blocked, naming the commit), the provider
down during kickoff (retried, nothing made twice), and the timeline live
over Server-Sent Events (in order, resumed with Last-Event-ID)."""

import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import route_matrix
from test_stream import SseClient
import verify_fixtures as vf
from verify_fixtures import VerifyTest

HEAD = "1111111111111111111111111111111111111111"
OTHER = "2222222222222222222222222222222222222222"
FAKE_DATA = {"GITHUB": ("github", "repos"), "GITLAB": ("gitlab", "projects"), "BITBUCKET": ("bitbucket", "repos"),
             "GITEA": ("gitea", "repos")}


def full(case):
    return case.body["organization"] + "/" + case.body["repoName"]


def tearDownModule():
    vf.stop_servers()


def allow_releases(test, ctx):
    """The tenant's setup done and its target VALID: what can-create-releases needs but an SCM connection."""
    fx.ready_for_releases(test, ctx.server, ctx.token, ctx.tenant_id)


def connect_scm(ctx, type_="GITHUB", branches=None):
    """A VALID SCM integration of the tenant, its repository on the fake with branches ({"main": HEAD}) and the
    commits HEAD and OTHER: (the integration, its verify_fixtures case)."""
    case = vf.build(ctx, type_, True, True)
    integ = ctx.create(case.body)
    fx.set_verification(ctx.server, "scm", integ["id"], "VALID")
    provider, key = FAKE_DATA[type_]
    ctx.fakes.register(provider, {key: {full(case): {
        "branches": branches if branches is not None else {"main": HEAD}, "commits": [HEAD, OTHER]}}})
    return integ, case


def fake_repo(client, type_, case):
    """The case's repository as its fake holds it now (branches, tags, and "made": each ref the API created)."""
    provider, key = FAKE_DATA[type_]
    return client.data(provider)[key][full(case)]


class ReleaseBase(VerifyTest):
    """A tenant that may create releases (setup done, its target VALID); test_release_builds builds on it too."""

    def request(self, method, path, body=None, token=None, **kw):
        return self.server.request(method, path, body=body, token=token, **kw)

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def setUp(self):
        super().setUp()
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant = self.ctx.tenant_id
        self.owner = self.ctx.org.owner
        allow_releases(self, self.ctx)


class ReleasesTest(ReleaseBase):
    def assert_error(self, resp, status, code):
        body = harness.expect(self, resp, status)
        self.assertEqual(body["error"]["code"], code, body)

    def assert_below_role(self, method, template, caller, body=None):
        """A role below the route's answers as a tenant that does not exist does (the rest of the API's rule)."""
        resp = self.request(method, template.format(tenantId=self.tenant), body, token=caller.token)
        baseline = self.request(method, template.format(tenantId=uuid.uuid4()), body, token=caller.token)
        harness.assert_same_not_found(self, resp, baseline)


    def scm(self, type_="GITHUB", branches=None):
        return connect_scm(self.ctx, type_, branches)

    def repo(self, type_, case):
        return fake_repo(self.fakes, type_, case)

    def create(self, version, token=None, **extra):
        body = dict({"version": version, "releaseType": "MINOR", "platforms": ["IOS"]}, **extra)
        return self.request("POST", "/api/v1/%s/releases" % self.tenant, body, token=token or self.owner.token)

    def read(self, rid):
        return self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rid), token=self.owner.token), 200)

    def settle(self, rid, seconds=60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rel = self.read(rid)
            if rel["status"] != "KICKOFF":
                return rel
            time.sleep(0.2)
        self.fail("release %s still in KICKOFF: %s" % (rid, self.read(rid)["events"]))

    def kickoff(self, type_):
        integ, case = self.scm(type_)
        rel = self.expect(self.create("1.2.0", scmIntegrationId=integ["id"]), 201)
        self.assertEqual(rel["status"], "KICKOFF")
        self.assertEqual(rel["releaseBranch"], "release/1.2.0")
        rel = self.settle(rel["id"])
        self.assertEqual(rel["status"], "BUILDING", rel["events"])
        self.assertEqual((rel["baseCommit"], rel["branchCommit"]), (HEAD, HEAD))
        self.assertEqual((rel["candidateNumber"], rel["candidateTag"]), (1, "v1.2.0-rc.1"))
        repo = self.repo(type_, case)
        self.assertEqual(repo["branches"]["release/1.2.0"], HEAD)
        self.assertEqual(repo["tags"]["v1.2.0-rc.1"], HEAD)
        self.assertEqual(sorted(m[1] for m in repo["made"]), ["release/1.2.0", "v1.2.0-rc.1"], "each made once")
        names = [(e["kind"], e["name"], e["outcome"]) for e in rel["events"]]
        for step in ("resolve-ref", "create-branch", "create-tag"):
            self.assertIn(("CALL", step, "OK"), names)
        self.assertIn(("STATUS", "kickoff-done", None), names)

    def test_kickoff_github(self):
        self.kickoff("GITHUB")

    def test_kickoff_gitlab(self):
        self.kickoff("GITLAB")

    def test_kickoff_bitbucket(self):
        self.kickoff("BITBUCKET")

    def test_kickoff_gitea(self):
        self.kickoff("GITEA")

    def test_branch_exists_same_commit(self):
        integ, case = self.scm("GITHUB", {"main": HEAD, "release/2.0.0": HEAD})
        rel = self.settle(self.expect(self.create("2.0.0", scmIntegrationId=integ["id"]), 201)["id"])
        self.assertEqual(rel["status"], "BUILDING")
        self.assertEqual([m[1] for m in self.repo("GITHUB", case)["made"]], ["v2.0.0-rc.1"])

    def test_branch_at_another_commit(self):
        integ, case = self.scm("GITHUB", {"main": HEAD, "release/3.0.0": OTHER})
        rel = self.settle(self.expect(self.create("3.0.0", scmIntegrationId=integ["id"]), 201)["id"])
        self.assertEqual(rel["status"], "BLOCKED")
        self.assertIn(OTHER, rel["statusReason"])
        self.assertEqual(self.repo("GITHUB", case).get("made", []), [])
        self.assertIn(("CALL", "create-branch", "FAILED"), [(e["kind"], e["name"], e["outcome"]) for e in rel["events"]])

    def test_provider_down_then_recovers(self):
        integ, case = self.scm("GITHUB")
        rule = self.rule("github", "503", path="/repos/%s/git/refs" % full(case), times=1)
        rel = self.settle(self.expect(self.create("4.0.0", scmIntegrationId=integ["id"]), 201)["id"], 90)
        self.assertEqual(rel["status"], "BUILDING", rel["events"])
        self.assertEqual(sorted(m[1] for m in self.repo("GITHUB", case)["made"]), ["release/4.0.0", "v4.0.0-rc.1"])
        self.assertIn(("CALL", "create-branch", "RETRY"), [(e["kind"], e["name"], e["outcome"]) for e in rel["events"]])
        del rule

    def test_create_list_read_and_roles(self):
        integ, _ = self.scm("GITHUB")
        org = self.ctx.org
        self.assert_below_role("POST", "/api/v1/{tenantId}/releases", org.viewer,
                               {"version": "1.0.0", "releaseType": "MINOR", "platforms": ["IOS"]})
        rel = self.expect(self.create("1.0.0", token=org.editor.token, scmIntegrationId=integ["id"]), 201)
        self.assert_error(self.create("1.0.0", scmIntegrationId=integ["id"]), 409, "conflict")
        self.assert_error(self.create("one"), 400, "invalid_request")
        for i in range(3):
            self.expect(self.create("1.1.%d" % i, scmIntegrationId=integ["id"]), 201)
        seen, cursor = [], None
        while True:
            path = "/api/v1/%s/releases?limit=2" % self.tenant + ("&cursor=" + cursor if cursor else "")
            page = self.expect(self.request("GET", path, token=org.viewer.token), 200)
            seen += [r["version"] for r in page["items"]]
            cursor = page.get("nextCursor")
            if not cursor:
                break
        self.assertEqual(seen, ["1.1.2", "1.1.1", "1.1.0", "1.0.0"])
        self.assertEqual(self.read(rel["id"])["version"], "1.0.0")
        self.assert_error(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, uuid.uuid4()),
                                       token=self.owner.token), 404, "not_found")
        self.assert_error(self.request("GET", "/api/v1/%s/releases?status=nope" % self.tenant,
                                       token=self.owner.token), 400, "invalid_request")
        other = harness.new_org(self.server)
        self.assert_error(self.request("GET", "/api/v1/%s/releases/%s" % (other.id, rel["id"]),
                                       token=other.owner.token), 404, "not_found")
        self.assert_error(self.request("POST", "/api/v1/%s/releases/%s/cancel" % (other.id, rel["id"]),
                                       token=other.owner.token), 404, "not_found")
        done = self.expect(self.request("POST", "/api/v1/%s/releases/%s/cancel" % (self.tenant, rel["id"]),
                                        {"reason": "not this one"}, token=org.editor.token), 200)
        self.assertEqual(done["status"], "CANCELLED")
        self.assert_error(self.request("POST", "/api/v1/%s/releases/%s/resume" % (self.tenant, rel["id"]),
                                       token=org.editor.token), 409, "conflict")
        self.assert_below_role("POST", "/api/v1/{tenantId}/releases/%s/cancel" % rel["id"], org.viewer)
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.cancel")
        self.assertEqual([r["targetId"] for r in rows], [rel["id"]])

    def test_archive(self):
        org, base = self.ctx.org, "/api/v1/%s/releases/" % self.tenant
        done = route_matrix.plant_release(self.server, self.tenant, "FINISHED")
        running = route_matrix.plant_release(self.server, self.tenant, "BUILDING")

        def listed(query=""):
            return [r["id"] for r in self.expect(self.request("GET", base.rstrip("/") + query, token=org.viewer.token),
                                                  200)["items"]]
        self.assertIsNone(self.read(done)["archivedAt"])
        self.assert_error(self.request("POST", base + running + "/archive", token=org.editor.token), 409, "conflict")
        self.assert_below_role("POST", "/api/v1/{tenantId}/releases/%s/archive" % done, org.viewer)
        other = harness.new_org(self.server)
        self.assert_error(self.request("POST", "/api/v1/%s/releases/%s/archive" % (other.id, done),
                                       token=other.owner.token), 404, "not_found")
        self.assert_error(self.request("GET", base.rstrip("/") + "?archived=maybe", token=org.viewer.token),
                          400, "invalid_request")
        archived = self.expect(self.request("POST", base + done + "/archive", {"reason": "old"}, token=org.editor.token), 200)
        self.assertIsNotNone(archived["archivedAt"])
        # idempotent: the same answer, no second timeline entry or audit row
        self.assertEqual(self.expect(self.request("POST", base + done + "/archive", token=org.editor.token), 200)["archivedAt"],
                         archived["archivedAt"])
        self.assertNotIn(done, listed())
        self.assertIn(running, listed())
        self.assertEqual(listed("?archived=true"), [done])
        self.assertNotIn(done, listed("?archived=false"))
        self.assertEqual([e["name"] for e in self.read(done)["events"] if e["kind"] == "ACTION"], ["archive"])
        rows = fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.archive")
        self.assertEqual([r["targetId"] for r in rows], [done])
        back = self.expect(self.request("POST", base + done + "/unarchive", token=org.editor.token), 200)
        self.assertIsNone(back["archivedAt"])
        self.assertIn(done, listed())
        self.assertEqual(listed("?archived=true"), [])
        self.assertEqual(len(fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.unarchive")), 1)

    def test_page_follows_every_write(self):
        """The release page is kept per process at the tenant's revision (docs/performance.md, "The release page,
        kept"): each kind of write the page shows, through the API or by a job, is on the next read; an unchanged
        page answers 304 to its ETag, a changed one 200."""
        org, base = self.ctx.org, "/api/v1/%s/releases/" % self.tenant
        rid = route_matrix.plant_release(self.server, self.tenant, "REGRESSION")
        blocked = route_matrix.plant_release(self.server, self.tenant, "BLOCKED", "BUILDING")
        for release in (rid, blocked):  # approved and built: a candidate
            fx.db_execute(self.server, "UPDATE releases SET candidateNumber = 1 WHERE id = ?", (release,))
        sub = route_matrix.plant_submission(self.server, self.tenant, blocked)

        def page(release, etag=None):
            resp = self.request("GET", base + release, token=org.viewer.token,
                                headers={"If-None-Match": etag} if etag else None)
            return (None if resp.status == 304 else self.expect(resp, 200)), resp.headers.get("etag"), resp.status

        first, etag, _ = page(rid)
        self.assertEqual(page(rid), (first, etag, 200), "kept: the same text")
        self.assertEqual(page(rid, etag), (None, etag, 304))
        # The release's row and its timeline (the edit's tenant_tx raises the revision).
        self.expect(self.request("PATCH", base + rid, {"notes": "kept no more"}, token=org.editor.token), 200)
        now, etag2, status = page(rid, etag)
        self.assertEqual((status, now["notes"], now["events"][-1]["name"]), (200, "kept no more", "edit-notes"))
        self.assertNotEqual(etag2, etag)
        # An approval.
        self.expect(self.request("POST", base + rid + "/approve", {"note": "looks good"}, token=org.editor.token), 200)
        self.assertEqual([a["note"] for a in page(rid)[0]["approvals"]], ["looks good"])
        # A store submission's state.
        before = page(blocked)[0]
        self.assertEqual([(s["submissionId"], s["pendingAction"]) for s in before["stores"]], [(sub, None)])
        self.expect(self.request("POST", base + blocked + "/submissions/%s/halt" % sub, {"reason": "wait"},
                                 token=org.editor.token), 200)
        after = page(blocked)[0]  # the halt pending, or already taken up by its job (the target is gone)
        self.assertNotEqual(after["stores"], before["stores"])
        self.assertIn(("ACTION", "halt"), [(e["kind"], e["name"]) for e in after["events"]])
        # A build, added by the retry; then the build's job, which finds no pipeline for it and says so on the
        # timeline in a transaction of its own (builds.c, pipeline_wait).
        self.assertEqual(before["builds"], [])
        self.expect(self.request("POST", base + blocked + "/retry", token=org.editor.token), 200)
        self.assertEqual([b["platform"] for b in page(blocked)[0]["builds"]], ["IOS"])
        deadline = time.monotonic() + 30  # a bound on waiting for the job, not a measurement
        while ("CALL", "trigger-build") not in [(e["kind"], e["name"]) for e in page(blocked)[0]["events"]]:
            self.assertLess(time.monotonic(), deadline, "the build job's entry never showed on the page")
            time.sleep(0.05)

    @staticmethod
    def events_until(stream, name, most=50):
        """The stream's next events up to and including the first one named name."""
        got = []
        while not got or got[-1]["json"]["name"] != name:
            if len(got) == most:
                raise AssertionError("no %s event among %s" % (name, [e["json"]["name"] for e in got]))
            got.append(stream.next_event())
        return got

    def test_timeline_stream(self):
        integ, _ = self.scm("GITHUB")
        org = self.ctx.org
        rel = self.settle(self.expect(self.create("5.0.0", scmIntegrationId=integ["id"]), 201)["id"])
        path = "releases/%s/events/stream" % rel["id"]
        stream = SseClient(self.server, self.tenant, org.viewer.token, path=path)
        self.assertEqual(stream.status, 200)
        self.assertTrue(stream.headers["content-type"].startswith("text/event-stream"))
        # Without Last-Event-ID: the whole timeline, oldest first, as the release's read has it.
        seen = [stream.next_event() for _ in rel["events"]]
        self.assertEqual({e["event"] for e in seen}, {"release-event"})
        self.assertEqual([e["json"] for e in seen], rel["events"])
        # Then live: a pause arrives on the open stream (after whatever the build stage, which goes on after
        # kickoff, wrote meanwhile).
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/pause" % (self.tenant, rel["id"]), token=org.editor.token), 200)
        live = self.events_until(stream, "pause")
        paused = live[-1]
        self.assertEqual(paused["json"]["toStatus"], "PAUSED")
        stream.close()
        # What happens while away comes after the last event seen, and nothing before it again.
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/resume" % (self.tenant, rel["id"]), token=org.editor.token), 200)
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/cancel" % (self.tenant, rel["id"]), token=org.editor.token), 200)
        again = SseClient(self.server, self.tenant, org.viewer.token, last_event_id=paused["id"], path=path)
        rest = self.events_until(again, "cancel")
        again.close()
        self.assertEqual([e["json"]["name"] for e in rest if e["json"]["name"] in ("resume", "cancel")], ["resume", "cancel"])
        streamed = [e["json"] for e in seen + live + rest]
        self.assertEqual(self.read(rel["id"])["events"][:len(streamed)], streamed, "nothing missed, nothing twice")
        # Another tenant's release, and a release that is not there, answer 404; a malformed Last-Event-ID 400.
        other = harness.new_org(self.server)
        for tenant, token, rid in ((other.id, other.owner.token, rel["id"]), (self.tenant, self.owner.token, uuid.uuid4())):
            s = SseClient(self.server, tenant, token, path="releases/%s/events/stream" % rid)
            self.assertEqual(s.status, 404)
            s.close()
        s = SseClient(self.server, self.tenant, self.owner.token, last_event_id="nonsense/" + "0" * 36, path=path)
        self.assertEqual(s.status, 400)
        s.close()

    def test_timeline_last_50(self):
        """The read carries the timeline's newest 50 entries, oldest first; the stream has the whole history."""
        integ, _ = self.scm("GITHUB")
        org = self.ctx.org
        rel = self.settle(self.expect(self.create("5.1.0", scmIntegrationId=integ["id"]), 201)["id"])
        for i in range(55):
            self.expect(self.request("PATCH", "/api/v1/%s/releases/%s" % (self.tenant, rel["id"]), {"notes": "edit %d" % i},
                                     token=org.editor.token), 200)
        events = self.read(rel["id"])["events"]
        self.assertEqual(len(events), 50)
        # The build stage may go on meanwhile (its entries among the edits); the first entries are 55 edits back.
        self.assertNotIn(rel["events"][0], events)
        self.assertIn(("ACTION", "edit-notes"), [(e["kind"], e["name"]) for e in events])
        self.assertEqual([e["createdAt"] for e in events], sorted(e["createdAt"] for e in events))
        stream = SseClient(self.server, self.tenant, org.viewer.token, path="releases/%s/events/stream" % rel["id"])
        streamed = []
        while not streamed or streamed[-1] != events[-1]:
            self.assertLess(len(streamed), 500, "the stream never reached the read's newest event")
            streamed.append(stream.next_event()["json"])
        stream.close()
        self.assertEqual(streamed[-50:], events)
        self.assertEqual(streamed[:len(rel["events"])], rel["events"], "the stream starts at the beginning")

    def test_not_allowed_without_setup(self):
        other = harness.new_org(self.server)
        self.assert_error(self.request("POST", "/api/v1/%s/releases" % other.id,
                                       {"version": "1.0.0", "releaseType": "MAJOR", "platforms": ["IOS"]},
                                       token=other.owner.token), 409, "conflict")

    def test_configuration(self):
        path = "/api/v1/%s/release-configuration" % self.tenant
        cfg = self.expect(self.request("GET", path, token=self.ctx.org.viewer.token), 200)
        self.assertEqual((cfg["branchTemplate"], cfg["candidateTagTemplate"], cfg["versionScheme"]),
                         ("release/{version}", "v{version}-rc.{n}", "SEMVER"))
        self.assert_below_role("PUT", "/api/v1/{tenantId}/release-configuration", self.ctx.org.editor,
                               {"versionScheme": "CALVER"})
        cfg = self.expect(self.request("PUT", path, {"versionScheme": "CALVER", "branchTemplate": "rel/{version}"},
                                       token=self.owner.token), 200)
        self.assertEqual(cfg["branchTemplate"], "rel/{version}")
        self.assert_error(self.request("PUT", path, {"branchTemplate": "static"}, token=self.owner.token), 400,
                          "invalid_request")
        self.assert_error(self.request("PUT", path, {"scmIntegrationId": str(uuid.uuid4())}, token=self.owner.token),
                          400, "invalid_request")
        self.assert_error(self.request("PUT", path, {"unknown": 1}, token=self.owner.token), 400, "invalid_request")
        self.assert_error(self.create("1.2.3"), 400, "invalid_request")  # CALVER now

    def test_schedule_configuration(self):
        """The release train's kickoff slot: stored and read back, null clears it, malformed ones 400."""
        path = "/api/v1/%s/release-configuration" % self.tenant
        self.assertIsNone(self.expect(self.request("GET", path, token=self.ctx.org.viewer.token), 200)["schedule"])
        train = {"weekday": "MONDAY", "time": "10:00", "platforms": ["IOS", "ANDROID"], "releaseType": "MINOR"}
        self.assertEqual(self.expect(self.request("PUT", path, {"schedule": train}, token=self.owner.token), 200)["schedule"],
                         train)
        self.assertEqual(self.expect(self.request("GET", path, token=self.owner.token), 200)["schedule"], train)
        for bad in ({**train, "weekday": "MONDAYS"}, {**train, "time": "24:00"}, {**train, "time": "9:00"},
                    {**train, "time": "10:60"}, {**train, "platforms": []}, {**train, "platforms": ["DESKTOP"]},
                    {**train, "releaseType": "HOTFIX"}, {**train, "cadence": 2}, {"weekday": "MONDAY"}, "MONDAY"):
            self.assert_error(self.request("PUT", path, {"schedule": bad}, token=self.owner.token), 400, "invalid_request")
        self.assertEqual(self.expect(self.request("GET", path, token=self.owner.token), 200)["schedule"], train)
        self.assertIsNone(self.expect(self.request("PUT", path, {"schedule": None}, token=self.owner.token), 200)["schedule"])


class FromCiTest(ReleaseBase):
    """POST .../releases as a CI job sends it: version "next" and an Idempotency-Key (docs/releases.md)."""

    def create(self, version, release_type="MINOR", key=None, tenant=None, token=None):
        return self.request("POST", "/api/v1/%s/releases" % (tenant or self.tenant),
                            {"version": version, "releaseType": release_type, "platforms": ["IOS"]},
                            token=token or self.ctx.org.editor.token, headers={"Idempotency-Key": key} if key else None)

    def version(self, version, release_type="MINOR"):
        return self.expect(self.create(version, release_type), 201)["version"]

    def test_next_and_idempotency_key(self):
        connect_scm(self.ctx)
        # SEMVER: the highest version bumped by the release type (from 0.0.0).
        self.assertEqual(self.version("next"), "0.1.0")
        self.assertEqual(self.version("next", "MAJOR"), "1.0.0")
        self.assertEqual(self.version("1.9.3-beta.1"), "1.9.3-beta.1")
        self.assertEqual(self.version("next", "PATCH"), "1.9.4")
        self.assertEqual(self.version("next"), "1.10.0")

        # The same key answers the same release; another key makes another.
        one = self.expect(self.create("next", key="ci-run-41"), 201)
        again = self.expect(self.create("next", key="ci-run-41"), 201)
        self.assertEqual((again["id"], again["version"]), (one["id"], "1.11.0"))
        self.assertNotEqual(self.expect(self.create("next", key="ci-run-42"), 201)["id"], one["id"])
        self.assertEqual(len(fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.create")), 7)
        for bad in ("x" * 201, "two words"):
            self.assertEqual(self.expect(self.create("next", key=bad), 400)["error"]["code"], "invalid_request")
        # Another tenant's keys are its own.
        other = harness.new_tenant(self.server, self.owner.token)["id"]
        fx.ready_for_releases(self, self.server, self.owner.token, other)
        self.ctx.tenant_id = other
        connect_scm(self.ctx)
        theirs = self.expect(self.create("next", key="ci-run-41", tenant=other, token=self.owner.token), 201)
        self.assertEqual(theirs["version"], "0.1.0")

        # CALVER: this month's YYYY.MM, then YYYY.MM.N past its highest N.
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant, {"versionScheme": "CALVER"},
                                 token=self.owner.token), 200)
        month = self.version("next")
        self.assertRegex(month, r"^\d{4}\.\d{2}$")
        self.assertEqual(self.version("next"), month + ".1")
        self.assertEqual(self.version(month + ".7"), month + ".7")
        self.assertEqual(self.version("next"), month + ".8")

if __name__ == "__main__":
    unittest.main()
