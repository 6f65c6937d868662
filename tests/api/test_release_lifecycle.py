"""A release after its builds (docs/releases.md, "Regression", "New candidate",
"Notes", "Finish"): the names a release keeps from its creation (a retried
kickoff tags with the template of then, not of now), regression approvals by
the configured roles (distinct approvers of the current candidate, twice
refused, an older candidate's not counted), the whole path kickoff -> builds
-> approve -> new candidate -> approve -> finish on GitHub + GitHub Actions
against the fakes (notes from the compare API, edited, sent as GitHub's
release), a hotfix from the last final tag, refusals by role and status."""

import unittest
import uuid

import integration_fixtures as fx
import test_release_builds
import test_releases

HEAD = test_releases.HEAD
OTHER = test_releases.OTHER
NEXT = "3333333333333333333333333333333333333333"


def tearDownModule():
    test_releases.vf.stop_servers()


class ReleaseLifecycleTest(test_releases.ReleaseBase):
    # the build stage's helpers (its class is not imported by name, or unittest would run its tests here too)
    _b = test_release_builds.ReleaseBuildsTest
    pipeline, create, read, wait, triggered, finish, names = _b.pipeline, _b.create, _b.read, _b.wait, _b.triggered, _b.finish, _b.names
    del _b

    def path(self, rid, tail=""):
        return "/api/v1/%s/releases/%s%s" % (self.tenant, rid, tail)

    def config(self, **body):
        return self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant, body,
                                        token=self.owner.token), 200)

    def test_retry_keeps_the_templates_of_creation(self):
        """A kickoff blocked, the configuration changed, then retried: the tag is named as the release began."""
        integ, case = test_releases.connect_scm(self.ctx, "GITHUB", {"main": HEAD, "release/3.0.0": OTHER})
        self.config(candidateTagTemplate="app-{version}-rc{n}", finalTagTemplate="app-{version}")
        rel = self.create("3.0.0", integ["id"])
        self.assertEqual((rel["candidateTagTemplate"], rel["finalTagTemplate"]), ("app-{version}-rc{n}", "app-{version}"))
        rel = self.wait(rel["id"], lambda r: r["status"] == "BLOCKED", "was blocked")
        self.config(candidateTagTemplate="other-{version}-{n}")
        self.fakes.register("github", {"repos": {test_releases.full(case): {"branches": {"release/3.0.0": HEAD}}}})
        self.expect(self.request("POST", self.path(rel["id"], "/retry"), {}, token=self.owner.token), 200)
        rel = self.wait(rel["id"], lambda r: r["status"] not in ("KICKOFF", "BLOCKED"), "kicked off")
        self.assertEqual((rel["candidateTag"], rel["candidateCommit"]), ("app-3.0.0-rc1", HEAD))
        self.assertEqual(test_releases.fake_repo(self.fakes, "GITHUB", case)["tags"], {"app-3.0.0-rc1": HEAD})

    def act(self, rid, action, user=None, body=None, status=200):
        return self.expect(self.request("POST", self.path(rid, "/" + action), body if body is not None else {},
                                        token=(user or self.owner).token), status)

    def regression(self, version, **config):
        """A release of version built on GitHub + GitHub Actions and in REGRESSION: (release, case, hook)."""
        if config:
            self.config(**config)
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create(version, scm)["id"])
        self.act(rel["id"], "approve", status=409)  # still BUILDING
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        return self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION"), case, hook

    def test_approvals(self):
        """Two distinct approvers of the configured roles move REGRESSION to READY; a viewer, a second approval by the
        same account and an approval outside REGRESSION are refused."""
        org = self.ctx.org
        rel, case, hook = self.regression("1.2.0", approvalRoles=["owner", "editor"], approvalCount=2)
        rid = rel["id"]
        refused = self.act(rid, "approve", org.viewer, status=409)
        self.assertIn("approvalRoles", refused["error"]["message"])
        rel = self.act(rid, "approve", body={"note": "smoke tests pass on iOS"})
        self.assertEqual(rel["status"], "REGRESSION", "one of two approvals")
        self.assertIn("already", self.act(rid, "approve", status=409)["error"]["message"])
        rel = self.act(rid, "approve", org.editor)
        self.assertEqual(rel["status"], "READY")
        rel = self.read(rid)
        self.assertEqual([(a["accountId"], a["role"], a["candidateNumber"], a["note"]) for a in rel["approvals"]],
                         [(self.owner.id, "owner", 1, "smoke tests pass on iOS"), (org.editor.id, "editor", 1, None)])
        self.assertTrue(all(a["accountName"] for a in rel["approvals"]))
        names = self.names(rel)
        self.assertEqual(names.count(("ACTION", "approve", "OK")), 2)
        approved = [e for e in rel["events"] if e["name"] == "approved"]
        self.assertEqual([(e["fromStatus"], e["toStatus"]) for e in approved], [("REGRESSION", "READY")])
        self.act(rid, "approve", org.editor, status=409)  # READY: nothing more to approve
        audit = self.expect(self.request("GET", "/api/v1/%s/audit-logs?action=release.approve" % self.tenant,
                                         token=self.owner.token), 200)
        self.assertEqual(len([a for a in audit["items"] if a["targetId"] == rid]), 2)

    def event(self, rid, probe, what):
        """The release once one of its timeline entries matches probe(entry)."""
        return self.wait(rid, lambda r: any(probe(e) for e in r["events"]), what)

    def test_whole_path(self):
        """kickoff -> builds -> approve -> new candidate -> builds -> approve -> finish on GitHub + GitHub Actions."""
        org = self.ctx.org
        rel, case, hook = self.regression("2.0.0", approvalRoles=["owner", "viewer"], approvalCount=2)
        rid, full = rel["id"], case.info["org"] + "/" + case.info["repo"]
        self.assertEqual((rel["candidateNumber"], rel["candidateCommit"]), (1, HEAD))
        # The branch has not moved: nothing new to build, said on the timeline; the release stays.
        self.assertEqual(self.act(rid, "new-candidate", org.editor)["status"], "REGRESSION")
        rel = self.event(rid, lambda e: e["name"] == "read-branch-head" and e["outcome"] == "FAILED", "refused the same commit")
        self.assertEqual((rel["status"], rel["candidateNumber"]), ("REGRESSION", 1))
        self.act(rid, "approve", body={"note": "rc.1 looks fine"})
        rel = self.wait(rid, lambda r: r["notes"], "has notes")  # candidate 1 is the base: no commits
        self.assertIn("- no commits", rel["notes"])
        # A fix lands on the release branch: candidate 2 at its head, built again, its notes made again.
        self.fakes.register("github", {"repos": {full: {"branches": {"release/2.0.0": NEXT}, "commits": [HEAD, OTHER, NEXT],
                                                        "messages": {OTHER: "Update copy (MOB-7)\n\nbody",
                                                                     NEXT: "Fix crash on login, ABC-123 and MOB-7"}}}})
        self.act(rid, "new-candidate", org.editor)
        rel = self.wait(rid, lambda r: r["candidateNumber"] == 2 and len([b for b in r["builds"] if b["runId"]]) == 2,
                        "built candidate 2")
        self.assertEqual((rel["status"], rel["candidateTag"], rel["candidateCommit"]), ("BUILDING", "v2.0.0-rc.2", NEXT))
        self.assertEqual(self.fakes.data("github")["repos"][full]["tags"]["v2.0.0-rc.2"], NEXT)
        rel = self.wait(rid, lambda r: r["notes"] and "ABC-123" in r["notes"], "has candidate 2's notes")
        self.assertIn("- 2222222 Update copy (MOB-7)\n- 3333333 Fix crash on login, ABC-123 and MOB-7\n", rel["notes"])
        self.assertIn("Tickets: MOB-7, ABC-123", rel["notes"])
        self.assertIsNone(rel["notesEditedAt"])
        second = [b for b in rel["builds"] if b["candidateNumber"] == 2][0]
        self.finish("github", second["runId"], hook=hook)
        self.wait(rid, lambda r: r["status"] == "REGRESSION", "reached REGRESSION again")
        # Candidate 1's approval does not count for candidate 2.
        self.assertEqual(self.act(rid, "approve")["status"], "REGRESSION")
        self.act(rid, "finish", org.editor, status=409)  # not READY yet
        self.act(rid, "approve", org.editor, status=409)  # the editor's role is not among approvalRoles here
        self.assertEqual(self.act(rid, "approve", org.viewer)["status"], "READY")  # a viewer's is
        self.assertEqual([a["candidateNumber"] for a in self.read(rid)["approvals"]], [1, 2, 2])
        edited = self.expect(self.request("PATCH", self.path(rid), {"notes": "## 2.0.0\n\nFaster login."},
                                          token=org.editor.token), 200)
        self.assertEqual(edited["notes"], "## 2.0.0\n\nFaster login.")
        self.assertIsNotNone(edited["notesEditedAt"])
        # Finish: the final tag at candidate 2's commit, GitHub's release of it with the notes, FINISHED.
        self.act(rid, "finish", org.editor)
        rel = self.wait(rid, lambda r: r["status"] == "FINISHED", "finished")
        self.assertEqual(rel["finalTag"], "v2.0.0")
        repo = self.fakes.data("github")["repos"][full]
        self.assertEqual(repo["tags"]["v2.0.0"], NEXT)
        self.assertEqual([(r["tag_name"], r["body"]) for r in repo["releases"]], [("v2.0.0", "## 2.0.0\n\nFaster login.")])
        names = self.names(rel)
        for entry in (("CALL", "create-final-tag", "OK"), ("CALL", "create-release", "OK"), ("STATUS", "finish", None),
                      ("STATUS", "new-candidate", None), ("ACTION", "finish", "OK")):
            self.assertIn(entry, names)
        self.act(rid, "finish", org.editor, status=409)
        self.act(rid, "new-candidate", org.editor, status=409)
        resp = self.request("PATCH", self.path(rid), {"notes": "late"}, token=org.editor.token)
        self.assertEqual((resp.status, resp.json["error"]["code"]), (409, "conflict"), str(resp))
        # A hotfix branches from the last finished release's final tag, and its notes start there.
        body = {"version": "2.0.1", "releaseType": "HOTFIX", "platforms": ["IOS"], "scmIntegrationId": rel["scmIntegrationId"]}
        hotfix = self.expect(self.request("POST", "/api/v1/%s/releases" % self.tenant, body, token=org.editor.token), 201)
        self.assertEqual(hotfix["baseRef"], "v2.0.0")
        hotfix = self.wait(hotfix["id"], lambda r: r["notes"], "kicked off with notes")
        self.assertEqual((hotfix["baseCommit"], hotfix["branchCommit"]), (NEXT, NEXT))
        self.assertIn("Changes since v2.0.0", hotfix["notes"])

    def finish_on(self, type_, releases):
        """Finish on an SCM other than GitHub: a release kicked off, put in READY behind the API's back, finished."""
        integ, case = test_releases.connect_scm(self.ctx, type_)
        site = self.expect(self.request("POST", "/api/v1/%s/sites" % self.tenant, {"slug": "notes-" + uuid.uuid4().hex[:10],
                                                                                  "name": "Notes"},
                                        token=self.owner.token), 201)
        rel = self.create("7.0.0", integ["id"])
        self.wait(rel["id"], lambda r: r["status"] == "BUILDING" and r["notes"], "kicked off, with notes")
        fx.db_execute(self.server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))
        self.act(rel["id"], "finish")
        rel = self.wait(rel["id"], lambda r: r["status"] == "FINISHED", "finished")
        repo = test_releases.fake_repo(self.fakes, type_, case)
        self.assertEqual((rel["finalTag"], repo["tags"]["v7.0.0"]), ("v7.0.0", HEAD))
        self.assertEqual([r["tag_name"] for r in repo.get("releases", [])], releases)
        # The site's post telling the release, made once with FINISHED: a draft (autoPublishNotes is off by default).
        _, posts = fx.db_query(self.server, "SELECT siteId, status, title, body FROM posts WHERE releaseId = ?", (rel["id"],))
        self.assertEqual([tuple(p) for p in posts], [(site["id"], "DRAFT", "Release 7.0.0", rel["notes"])])
        for made in repo.get("releases", []):  # the notes are the release's text (GitLab's description, Gitea's body)
            self.assertEqual(made.get("description", made.get("body")), rel["notes"])
        return rel, integ, case

    def notes_after(self, type_, integ, case):
        """The next release's notes: the compare from the last final tag to the branch's head (36 commits: Bitbucket
        answers 30 a page), oldest first, with the ticket keys."""
        fresh = ["%040x" % (0xabc0000 + i) for i in range(35)]
        provider, key = test_releases.FAKE_DATA[type_]
        self.fakes.register(provider, {key: {test_releases.full(case): {
            "branches": {"main": fresh[-1]}, "commits": [HEAD, OTHER] + fresh,
            "messages": {fresh[0]: "Fix crash (MOB-1)\n\nbody", fresh[-1]: "Ship it, ABC-9"}}}})
        rel = self.create("7.1.0", integ["id"])
        rel = self.wait(rel["id"], lambda r: r["notes"] and "ABC-9" in r["notes"], "has notes")
        lines = [line for line in rel["notes"].splitlines() if line.startswith("- ")]
        self.assertEqual(len(lines), 36, rel["notes"])
        self.assertEqual((lines[0], lines[1], lines[-1]), ("- 2222222 commit 2222222", "- 0000000 Fix crash (MOB-1)",
                                                           "- 0000000 Ship it, ABC-9"))
        self.assertIn("Tickets: MOB-1, ABC-9", rel["notes"])
        self.assertIn(("CALL", "compare", "OK"), self.names(rel))

    def test_notes_and_finish_on_gitlab_gitea_and_bitbucket(self):
        """The compare on each SCM; GitLab and Gitea have releases; Bitbucket has none: the final tag is its release."""
        for type_, releases in (("GITLAB", ["v7.0.0"]), ("GITEA", ["v7.0.0"]), ("BITBUCKET", [])):
            with self.subTest(type_):
                self.setUp()  # a fresh tenant: the versions again
                rel, integ, case = self.finish_on(type_, releases)
                self.assertIn("- no commits", rel["notes"])
                self.assertEqual(("CALL", "create-release", "OK") in self.names(rel), bool(releases))
                self.notes_after(type_, integ, case)

    def test_roles_and_statuses(self):
        """A viewer cannot drive a release (as another tenant's would not exist); actions outside their statuses: 409."""
        integ, case = test_releases.connect_scm(self.ctx, "GITHUB")
        rel = self.create("4.0.0", integ["id"])
        for action in ("new-candidate", "finish"):
            resp = self.request("POST", self.path(rel["id"], "/" + action), {}, token=self.ctx.org.viewer.token)
            self.assertEqual(resp.status, 404, str(resp))
        resp = self.request("PATCH", self.path(rel["id"]), {"notes": "x"}, token=self.ctx.org.viewer.token)
        self.assertEqual(resp.status, 404, str(resp))
        body = {"version": "4.0.1", "releaseType": "HOTFIX", "platforms": ["IOS"], "scmIntegrationId": integ["id"]}
        resp = self.request("POST", "/api/v1/%s/releases" % self.tenant, body, token=self.owner.token)
        self.assertEqual((resp.status, resp.json["error"]["code"]), (409, "conflict"), str(resp))  # nothing finished yet
        rel = self.wait(rel["id"], lambda r: r["status"] == "BUILDING", "kicked off")
        self.act(rel["id"], "new-candidate", status=409)
        self.act(rel["id"], "finish", status=409)
        self.act(rel["id"], "approve", status=409)


if __name__ == "__main__":
    unittest.main()
