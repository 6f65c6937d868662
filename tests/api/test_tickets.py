"""Release tickets (docs/notifications.md "Release tickets", issue 16): a release kicked off, built, approved and
finished on GitHub + GitHub Actions opens one Jira issue in the integration's project (its fix version created,
slipway's label on it), comments on it as the release moves and moves it to done, and the same on Linear
(issueCreate with the label, commentCreate, issueUpdate to the completed state); the fakes check Basic auth, the
API key and the shapes as Jira and Linear do. On finish the Jira issues the release notes name get the release's fix
version, which is then marked released; Azure DevOps work items named AB#123 get the release's tag by a JSON Patch. GET /releases/{id}/tickets lists it to viewers; another tenant's release is a 404."""

import json
import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import test_release_builds
import test_releases
import test_store_play as sp
import verify_fixtures as vf

HEAD = test_releases.HEAD


def tearDownModule():
    vf.stop_servers()


class TicketsTest(test_releases.ReleaseBase):
    # the build stage's helpers (its class is not imported by name, or unittest would run its tests here too)
    _b = test_release_builds.ReleaseBuildsTest
    pipeline, create, read, wait, triggered, finish = _b.pipeline, _b.create, _b.read, _b.wait, _b.triggered, _b.finish
    del _b

    def path(self, rid, tail=""):
        return "/api/v1/%s/releases/%s%s" % (self.tenant, rid, tail)

    def act(self, rid, action, status=200):
        return self.expect(self.request("POST", self.path(rid, "/" + action), {}, token=self.owner.token), status)

    def jira(self, **extra):
        case = vf.build(self.ctx, "JIRA", True, True)
        case.body.update(dict({"autoCreateEpics": True}, **extra))
        return self.ctx.create(case.body), case

    def tickets(self, rid, token=None, status=200):
        return self.expect(self.request("GET", self.path(rid, "/tickets"), token=token or self.owner.token), status)

    def settle(self, rid, probe, what, seconds=60):
        """The release's tickets once probe(tickets) holds (a bound on waiting, not a measurement)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            items = self.tickets(rid)["items"]
            if probe(items):
                return items
            time.sleep(0.2)
        self.fail("tickets never %s: %s %s" % (what, self.tickets(rid), [(r["provider"], r["method"], r["path"], r["status"])
                                                                         for r in self.fakes.requests()
                                                                         if r["provider"] in ("jira", "linear")]))

    def release_to_finish(self, version, notes=None):
        """A release of version kicked off, built, approved by the owner alone (its notes then written by a person,
        when given) and finished: its id."""
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant,
                                 {"approvalRoles": ["owner"], "approvalCount": 1}, token=self.owner.token), 200)
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create(version, scm)["id"])
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        self.act(rel["id"], "approve")
        if notes:
            self.expect(self.request("PATCH", self.path(rel["id"]), {"notes": notes}, token=self.owner.token), 200)
        self.act(rel["id"], "finish")
        self.wait(rel["id"], lambda r: r["status"] == "FINISHED", "finished")
        return rel["id"]

    def jira_issues(self, case):
        return {k: i for k, i in self.fakes.data("jira")["issues"].items() if i["project"] == case.info["key"]}

    def test_jira_and_linear_through_the_release(self):
        integ, case = self.jira()
        lin = vf.build(self.ctx, "LINEAR", True, True)
        lin.body["autoCreateEpics"] = True
        linear = self.ctx.create(lin.body)
        _, off = self.jira(autoCreateEpics=False)  # no release tickets from this one
        rid = self.release_to_finish("4.1.0")
        items = self.settle(rid, lambda t: len(t) == 2 and all(x["status"] == "DONE" for x in t), "moved to done")
        ticket = [t for t in items if t["provider"] == "JIRA"][0]
        self.assertEqual((ticket["provider"], ticket["integrationId"]), ("JIRA", integ["id"]))
        issues = self.jira_issues(case)
        self.assertEqual(list(issues), [ticket["key"]])  # one issue, whatever ran twice
        issue = issues[ticket["key"]]
        self.assertTrue(ticket["url"].endswith("/browse/" + ticket["key"]), ticket)
        self.assertEqual(issue["summary"], "Release 4.1.0")
        self.assertIn("slipway-release-" + rid, issue["labels"])
        versions = self.fakes.data("jira")["versions"][case.info["key"]]
        self.assertEqual([v["name"] for v in versions], ["4.1.0"])
        self.assertEqual(issue["fixVersions"], [versions[0]["id"]])
        self.assertEqual(issue["status"], "Done")
        self.assertGreaterEqual(len(issue["comments"]), 1)  # kickoff completed, approved...
        texts = [c["content"][0]["content"][0]["text"] for c in issue["comments"]]
        self.assertTrue(any("release.kickoff.completed" in t for t in texts), texts)
        self.assertEqual(self.jira_issues(off), {})
        # Linear: one issue in the team with slipway's label, commented, in the team's completed state.
        ticket = [t for t in items if t["provider"] == "LINEAR"][0]
        self.assertEqual(ticket["integrationId"], linear["id"])
        data = self.fakes.data("linear")
        issues = {k: i for k, i in data["issues"].items() if i["teamId"] == lin.info["team"]}
        self.assertEqual(list(issues), [ticket["key"]])
        issue = issues[ticket["key"]]
        self.assertEqual((issue["title"], issue["url"], issue["stateId"]),
                         ("Release 4.1.0", ticket["url"], lin.info["team"] + "-done"))
        self.assertEqual([data["labels"][label]["name"] for label in issue["labelIds"]], ["slipway-release-" + rid])
        self.assertTrue(any("release.approved" in c for c in issue["comments"]), issue["comments"])

    def test_jira_fix_version_on_the_issues_the_notes_name(self):
        integ, case = self.jira()
        key = case.info["key"]
        named = {key + "-901": {"id": "90901"}, key + "-902": {"id": "90902"}, "OTHER-7": {"id": "90907"}}
        self.fakes.register("jira", {"issues": {k: dict(v, project=k.split("-")[0], summary=k, issuetype="Task",
                                                        labels=[], fixVersions=[], comments=[], status="To Do")
                                                for k, v in named.items()}})
        mark = self.fakes.mark()
        notes = ("## 4.3.0\n\n- abc1234 %s-901: fix the login (again %s-901)\n- def5678 %s-902 and OTHER-7\n"
                 "- 0123456 %s-999 is gone; X%s-903 and %s-9040a are no keys\n" % ((key,) * 6))
        rid = self.release_to_finish("4.3.0", notes=notes)

        def versioned():
            versions = [v for v in self.fakes.data("jira")["versions"].get(key, []) if v["name"] == "4.3.0"]
            return versions if versions and versions[0].get("released") else None
        self.assertTrue(vf.wait_for(versioned, 60), "the version released: %s %s" % (
            self.fakes.data("jira")["versions"],
            [(r["method"], r["path"], r.get("status")) for r in self.fakes.requests("jira", mark)]))
        version = versioned()[0]
        self.assertEqual(version["releaseDate"], time.strftime("%Y-%m-%d", time.gmtime()))
        issues = self.fakes.data("jira")["issues"]
        for k in (key + "-901", key + "-902"):
            self.assertEqual(issues[k]["fixVersions"], [version["id"]], k)
        self.assertEqual(issues["OTHER-7"]["fixVersions"], [], "another project's issue is left alone")
        puts = [r["path"] for r in self.fakes.requests("jira", mark) if r["method"] == "PUT"]
        self.assertEqual(sorted(p for p in puts if "/issue/" in p),
                         ["/rest/api/3/issue/%s-%s" % (key, n) for n in (901, 902, 999)], "each named issue once")
        self.assertEqual(puts.count("/rest/api/3/version/" + version["id"]), 1)
        self.assertTrue(self.settle(rid, lambda t: t and t[0]["status"] == "DONE", "moved to done"))

    def test_jira_fix_version_before_finish_once_per_issue(self):
        """The issues the notes name get the fix version when the notes are made or edited, not only at finish; an
        issue linked then is not linked again at finish (release_ticket_links), and the version is released then."""
        integ, case = self.jira()
        key = case.info["key"]
        self.fakes.register("jira", {"issues": {k: {"id": k[-3:], "project": key, "summary": k, "issuetype": "Task",
                                                    "labels": [], "fixVersions": [], "comments": [], "status": "To Do"}
                                                for k in (key + "-911", key + "-912")}})
        mark = self.fakes.mark()
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant,
                                 {"approvalRoles": ["owner"], "approvalCount": 1}, token=self.owner.token), 200)
        _, scm, _, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("4.5.0", scm)["id"])
        rid = rel["id"]
        self.expect(self.request("PATCH", self.path(rid), {"notes": "- %s-911 fix the login" % key},
                                 token=self.owner.token), 200)

        def puts(path):
            return [r for r in self.fakes.requests("jira", mark) if r["method"] == "PUT" and r["path"] == path]
        self.assertTrue(vf.wait_for(lambda: puts("/rest/api/3/issue/%s-911" % key), 60), "linked before finish")
        version = [v for v in self.fakes.data("jira")["versions"][key] if v["name"] == "4.5.0"][0]
        self.assertFalse(version.get("released"), "released only at finish")
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        self.wait(rid, lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        self.act(rid, "approve")
        self.expect(self.request("PATCH", self.path(rid), {"notes": "- %s-911 fix the login\n- %s-912 and more" % (key, key)},
                                 token=self.owner.token), 200)
        self.act(rid, "finish")
        self.wait(rid, lambda r: r["status"] == "FINISHED", "finished")
        released = lambda: [v for v in self.fakes.data("jira")["versions"][key] if v["name"] == "4.5.0" and v.get("released")]  # noqa: E731
        self.assertTrue(vf.wait_for(released, 60), "released at finish")
        issues = self.fakes.data("jira")["issues"]
        self.assertEqual([issues[key + n]["fixVersions"] for n in ("-911", "-912")], [[version["id"]]] * 2)
        # Once, even when two link jobs of the release overlapped (the kickoff's notes and an edit): the first to claim
        # the issue in release_ticket_links sends the add, the other leaves it (docs/notifications.md).
        for n in ("-911", "-912"):
            self.assertEqual(len(puts("/rest/api/3/issue/%s%s" % (key, n))), 1, "each issue once across edits and finish")

    def test_jira_issue_transition_when_the_version_is_released(self):
        """issueTransition set: once the fix version is released (here at finish, the release never RELEASED), each
        issue the notes name is moved through the transition of that name (case aside), once; an issue whose workflow
        offers no such transition now, or that does not exist, is skipped, and the job still succeeds."""
        integ, case = self.jira(issueTransition="done")
        key = case.info["key"]
        issue = {"project": key, "issuetype": "Task", "labels": [], "fixVersions": [], "comments": [], "status": "To Do"}
        self.fakes.register("jira", {"issues": {
            key + "-921": dict(issue, id="921", summary="moved"),
            key + "-922": dict(issue, id="922", summary="stuck", transitions=[{"id": "71", "name": "Review", "to": "Review"}]),
        }})
        mark = self.fakes.mark()
        rid = self.release_to_finish("4.6.0", notes="- %s-921 a\n- %s-922 b\n- %s-998 gone\n" % (key, key, key))
        issues = lambda: self.fakes.data("jira")["issues"]  # noqa: E731
        self.assertTrue(vf.wait_for(lambda: issues()[key + "-921"]["status"] == "Done", 60), "moved when released: %s" % [
            (r["method"], r["path"], r.get("status")) for r in self.fakes.requests("jira", mark)])
        version = [v for v in self.fakes.data("jira")["versions"][key] if v["name"] == "4.6.0"][0]
        self.assertTrue(version["released"])
        self.assertEqual(version["releaseDate"], time.strftime("%Y-%m-%d", time.gmtime()))
        self.settle(rid, lambda t: t and t[0]["status"] == "DONE", "moved to done")
        time.sleep(1)  # a second move would come now
        self.assertEqual(issues()[key + "-922"]["status"], "To Do", "no such transition: skipped")
        posts = [r["path"] for r in self.fakes.requests("jira", mark) if r["method"] == "POST" and r["path"].endswith(
            "/transitions") and "-9" in r["path"]]
        self.assertEqual(posts, ["/rest/api/3/issue/%s-921/transitions" % key], "each issue once, only where offered")
        seen = [(r["method"], r["path"]) for r in self.fakes.requests("jira", mark)]
        release_put = [i for i, (m, p) in enumerate(seen) if m == "PUT" and "/version/" in p]
        self.assertEqual(len(release_put), 1)
        self.assertLess(release_put[0], seen.index(("POST", posts[0])), "moved once the version is released")
        _, rows = fx.db_query(self.server, "SELECT output FROM jobs WHERE tenantId = ? AND kind = 'ticket-sync'",
                              (self.tenant,))
        outs = [o if isinstance(o, dict) else json.loads(o) for (o,) in rows if o]
        outs = [o for o in outs if "moved" in o]
        self.assertEqual(len(outs), 1, rows)
        out = outs[0]
        self.assertEqual((out["moved"], sorted(out["skipped"])), ([key + "-921"], [key + "-922", key + "-998"]))

    def test_jira_fix_version_released_when_the_release_is(self):
        """A release whose one store released it (RELEASED) has its fix version marked released then, dated that
        day, before its finish; the finish after it releases the version no second time."""
        integ, case = self.jira()
        key = case.info["key"]
        self.fakes.register("jira", {"issues": {key + "-931": {"id": "931", "project": key, "summary": "x",
                                                               "issuetype": "Task", "labels": [], "fixVersions": [],
                                                               "comments": [], "status": "To Do"}}})
        mark = self.fakes.mark()
        sp.play_target(self.ctx)
        rel = sp.ready_release(self, self.ctx, "4.7.0")
        self.expect(self.request("PATCH", self.path(rel["id"]), {"notes": "- %s-931 fix the login" % key},
                                 token=self.owner.token), 200)
        subs = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"])
        sub = self.expect(self.request("POST", subs, {"platform": "ANDROID", "buildNumber": sp.CODE, "rolloutPermille": 100},
                                       token=self.owner.token), 201)
        sp.wait_for(self, "the submission", lambda: self.expect(self.request(
            "GET", subs + "/" + sub["id"], token=self.owner.token), 200)["status"] == "ROLLING_OUT")
        self.expect(self.request("POST", subs + "/%s/complete" % sub["id"], {}, token=self.owner.token), 200)
        self.wait(rel["id"], lambda r: r["status"] == "RELEASED", "released by the store")

        def version():
            return ([v for v in self.fakes.data("jira")["versions"].get(key, []) if v["name"] == "4.7.0"] or [{}])[0]
        self.assertTrue(vf.wait_for(lambda: version().get("released"), 60), "released with the release, before finish")
        self.assertEqual(version()["releaseDate"], time.strftime("%Y-%m-%d", time.gmtime()))
        self.assertEqual(self.read(rel["id"])["status"], "RELEASED")
        self.assertEqual(self.fakes.data("jira")["issues"][key + "-931"]["fixVersions"], [version()["id"]])
        self.act(rel["id"], "finish")
        self.wait(rel["id"], lambda r: r["status"] == "FINISHED", "finished")
        self.settle(rel["id"], lambda t: t and t[0]["status"] == "DONE", "moved to done")
        time.sleep(1)  # a second release of the version would come now
        puts = [r for r in self.fakes.requests("jira", mark) if r["method"] == "PUT" and "/version/" in r["path"]]
        self.assertEqual(len(puts), 1, "the version released once, either way")

    def test_jira_issue_transition_validated(self):
        for bad, why in ((7, "wrong type"), ("x" * 256, "too long"), (["Done"], "wrong type")):
            case = vf.build(self.ctx, "JIRA", True, True)
            case.body.update({"autoCreateEpics": True, "issueTransition": bad})
            details = harness.assert_error(self, fx.post_integration(self.server, self.owner.token, self.tenant, case.body),
                                           400, "invalid_request")
            self.assertEqual([d["field"] for d in details], ["issueTransition"], why)

    def test_jira_issues_added_after_the_release_are_moved_once(self):
        """A RELEASED release's version is released and its notes' issue moved by its fix-versions job; an edit of the
        notes afterwards (allowed until finish) names one more: its link job gives it the version and moves it
        (the fix-versions pass had ended), and moves neither the first issue again nor anything before the release."""
        integ, case = self.jira(issueTransition="Done")
        key = case.info["key"]
        issue = {"project": key, "issuetype": "Task", "labels": [], "fixVersions": [], "comments": [], "status": "To Do"}
        self.fakes.register("jira", {"issues": {key + "-951": dict(issue, id="951", summary="first"),
                                                key + "-952": dict(issue, id="952", summary="added later")}})
        mark = self.fakes.mark()
        sp.play_target(self.ctx)
        rel = sp.ready_release(self, self.ctx, "4.8.0")
        rid = rel["id"]
        self.expect(self.request("PATCH", self.path(rid), {"notes": "- %s-951 fix the login" % key},
                                 token=self.owner.token), 200)
        issues = lambda: self.fakes.data("jira")["issues"]  # noqa: E731
        self.assertTrue(vf.wait_for(lambda: issues()[key + "-951"]["fixVersions"], 60), "linked before the release")
        self.assertEqual(issues()[key + "-951"]["status"], "To Do", "not moved before the version is released")
        subs = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rid)
        sub = self.expect(self.request("POST", subs, {"platform": "ANDROID", "buildNumber": sp.CODE, "rolloutPermille": 100},
                                       token=self.owner.token), 201)
        sp.wait_for(self, "the submission", lambda: self.expect(self.request(
            "GET", subs + "/" + sub["id"], token=self.owner.token), 200)["status"] == "ROLLING_OUT")
        self.expect(self.request("POST", subs + "/%s/complete" % sub["id"], {}, token=self.owner.token), 200)
        self.wait(rid, lambda r: r["status"] == "RELEASED", "released by the store")
        self.assertTrue(vf.wait_for(lambda: issues()[key + "-951"]["status"] == "Done", 60), "moved with the release")
        self.assertEqual(issues()[key + "-952"]["status"], "To Do")

        self.expect(self.request("PATCH", self.path(rid), {"notes": "- %s-951 fix the login\n- %s-952 and this" % (key, key)},
                                 token=self.owner.token), 200)
        self.assertTrue(vf.wait_for(lambda: issues()[key + "-952"]["status"] == "Done", 60), "the added issue moved: %s" % [
            (r["method"], r["path"], r.get("status")) for r in self.fakes.requests("jira", mark)])
        self.assertTrue(issues()[key + "-952"]["fixVersions"], "and given the version")
        time.sleep(1)  # a second move would come now
        posts = sorted(r["path"] for r in self.fakes.requests("jira", mark) if r["method"] == "POST" and r["path"].endswith(
            "/transitions") and "-95" in r["path"])
        self.assertEqual(posts, ["/rest/api/3/issue/%s-95%d/transitions" % (key, n) for n in (1, 2)], "each issue once")
        seen = [(r["method"], r["path"]) for r in self.fakes.requests("jira", mark)]
        puts = [i for i, (m, p) in enumerate(seen) if m == "PUT" and "/version/" in p]
        self.assertEqual(len(puts), 1, "the version released once: the edit's job only links and moves")
        self.assertLess(puts[0], seen.index(("POST", posts[0])), "the first issue moved once the version is released")
        _, rows = fx.db_query(self.server, "SELECT issueKey, moveJobId, jobId FROM release_ticket_links WHERE releaseId = ? "
                                           "ORDER BY issueKey", (rid,))
        self.assertEqual([r[0] for r in rows], [key + "-951", key + "-952"])
        self.assertTrue(all(r[1] for r in rows), "each move claimed: %s" % rows)
        self.assertNotEqual(rows[0][1], rows[1][1], "by two jobs: the release's and the edit's")

    def test_linear_label_on_the_issues_the_notes_name(self):
        """Linear: the issues of the team the notes name (ENG-42) get the label release-{version} (found, else made
        once in the team, then issueAddLabel by identifier); one Linear does not know is missing, not a failure."""
        lin = vf.build(self.ctx, "LINEAR", True, True)
        lin.body["autoCreateEpics"] = True
        self.ctx.create(lin.body)
        team, tkey = lin.info["team"], "LN" + "".join(chr(65 + b % 26) for b in uuid.uuid4().bytes[:4])
        named = ["%s-%d" % (tkey, n) for n in (41, 42)]
        self.fakes.register("linear", {"teams": {team: {"key": tkey}}, "issues": {
            k: {"id": str(uuid.uuid4()), "identifier": k, "teamId": team, "title": "named", "description": None,
                "labelIds": [], "comments": [], "stateId": team + "-todo", "url": "https://linear.app/x/" + k}
            for k in named}})
        mark = self.fakes.mark()
        rid = self.create("4.6.0", test_releases.connect_scm(self.ctx)[0]["id"])["id"]
        self.expect(self.request("PATCH", self.path(rid), {"notes": "- fix %s, %s and %s-99 (X%s-43)" % (
            named[0], named[1], tkey, tkey)}, token=self.owner.token), 200)

        def added():
            return [json.loads(r["body"])["variables"]["id"] for r in self.fakes.requests("linear", mark)
                    if "issueAddLabel" in (r["body"] or "") and r.get("status") == 200]
        self.assertTrue(vf.wait_for(lambda: len(added()) == 3, 60), "labelled: %s" % added())
        self.assertEqual(sorted(added()), named + ["%s-99" % tkey], "each named issue, none inside a word")
        data = self.fakes.data("linear")
        for k in named:
            self.assertEqual([data["labels"][x]["name"] for x in data["issues"][k]["labelIds"]], ["release-4.6.0"], k)
        made = [r for r in self.fakes.requests("linear", mark) if "issueLabelCreate" in (r["body"] or "")
                and "release-4.6.0" in r["body"]]
        self.assertEqual(len(made), 1, "the label made once, in the team")

    def test_azure_devops_tags_the_work_items_the_notes_name(self):
        case = vf.build(self.ctx, "AZURE_DEVOPS", True, True)
        case.body["autoCreateEpics"] = True
        self.ctx.create(case.body)
        project = "%s/%s" % (case.info["org"], case.info["project"])
        self.fakes.register("azure", {"workitems": {project: {"101": {"tags": "backend; Urgent"}, "102": {},
                                                              "103": {"tags": "release-4.4.0"}}}})
        mark = self.fakes.mark()
        rid = self.release_to_finish("4.4.0", notes="- abc AB#101 fix (AB#101)\n- def AB#102, AB#103 and AB#999; XAB#104\n")

        def tagged():
            items = self.fakes.data("azure")["workitems"][project]
            return items if "release-4.4.0" in (items["102"].get("tags") or "") else None
        self.assertTrue(vf.wait_for(tagged, 60), "tagged: %s %s" % (self.fakes.data("azure")["workitems"][project], [
            (r["method"], r["path"], r.get("status")) for r in self.fakes.requests("azure", mark)]))
        items = tagged()
        self.assertEqual(items["101"]["tags"], "backend; Urgent; release-4.4.0", "its tags kept")
        self.assertEqual(items["102"]["tags"], "release-4.4.0")
        self.assertEqual(items["103"]["tags"], "release-4.4.0", "had it: unchanged")
        patches = [r["path"] for r in self.fakes.requests("azure", mark) if r["method"] == "PATCH"]
        self.assertEqual(sorted(p.rsplit("/", 1)[1] for p in patches), ["101", "102"], "each once, none for 103")
        self.assertEqual(self.tickets(rid)["items"], [], "Azure DevOps keeps no release ticket")

    def test_tickets_api_isolation_and_roles(self):
        rel = self.create("4.2.0", test_releases.connect_scm(self.ctx)[0]["id"])
        self.assertEqual(self.tickets(rel["id"])["items"], [])
        for who in (self.ctx.org.editor, self.ctx.org.viewer):
            self.assertEqual(self.tickets(rel["id"], token=who.token)["items"], [])
        other = vf.Ctx(self.server, self.fakes)
        resp = self.request("GET", "/api/v1/%s/releases/%s/tickets" % (other.tenant_id, rel["id"]), token=other.token)
        self.expect(resp, 404)
        resp = self.request("GET", self.path(rel["id"], "/tickets"), token=other.token)  # not a member of this tenant
        self.assertIn(resp.status, (403, 404), str(resp))
        self.tickets("00000000-0000-4000-8000-000000000000", status=404)

    # ---- TestRail: a run per candidate, its pass rate gating the approval (docs/notifications.md "Test runs") ----

    def runs_of(self, rid, token=None, status=200):
        return self.expect(self.request("GET", self.path(rid, "/test-runs"), token=token or self.owner.token), status)

    def settle_runs(self, rid, probe, what):
        self.assertTrue(vf.wait_for(lambda: probe(self.runs_of(rid)["items"]), 60), "test runs never %s: %s %s" % (
            what, self.runs_of(rid), [(r["method"], r["query"], r.get("status"))
                                        for r in self.fakes.requests("testrail")]))
        return self.runs_of(rid)["items"]

    def test_testrail_run_per_candidate_gates_the_approval(self):
        found, made = vf.build(self.ctx, "TEST_RAIL", True, True), vf.build(self.ctx, "TEST_RAIL", True, True)
        found_id, made_id = self.ctx.create(found.body)["id"], self.ctx.create(made.body)["id"]
        # found's project already has the candidate's run (an earlier job made it and died before recording it),
        # behind a page of newer runs: the job pages to it and makes none
        t = int(time.time()) - 60
        runs = {str(900 + i): {"id": 900 + i, "project_id": found.info["pid"],
                               "suite_id": None, "name": name, "created_on": t + i, "is_completed": False,
                               "url": "http://testrail.invalid/runs/%d" % (900 + i), "passed_count": 2,
                               "failed_count": 3, "blocked_count": 0, "retest_count": 0, "untested_count": 0}
                for i, name in enumerate(["5.1.0 RC1", "other A", "other B", "other C"])}
        self.fakes.register("testrail", {"runs": runs, "pageSize": 2})
        mark = self.fakes.mark()
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant,
                                 {"approvalRoles": ["owner"], "approvalCount": 1, "minTestPassRate": 80},
                                 token=self.owner.token), 200)
        integ, scm, case, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("5.1.0", scm)["id"])
        rid = rel["id"]
        items = self.settle_runs(rid, lambda r: len(r) == 2, "opened")
        by = {r["integrationId"]: r for r in items}
        self.assertEqual((by[found_id]["runId"], by[found_id]["name"], by[found_id]["counts"]["failed"],
                          by[found_id]["passRate"]), ("900", "5.1.0 RC1", 3, 40.0))
        self.assertEqual((by[made_id]["name"], by[made_id]["candidate"], by[made_id]["status"], by[made_id]["total"]),
                         ("5.1.0 RC1", 1, "ACTIVE", 10))
        adds = [r for r in self.fakes.requests("testrail", mark) if "add_run" in r["query"]]
        self.assertEqual(len(adds), 1, "one run made, none for the project that had it")
        self.assertIn("/add_run/%s" % made.info["pid"], adds[0]["query"])
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        self.wait(rid, lambda r: r["status"] == "REGRESSION", "reached REGRESSION")
        refused = self.act(rid, "approve", 409)
        self.assertIn("minTestPassRate of 80%", refused["error"]["message"])
        # the lower of the two runs is named, whichever was made first; the other is counted
        self.assertIn('"5.1.0 RC1" (run %s) passes 0.0%% of its tests (0 of 10)' % by[made_id]["runId"],
                      refused["error"]["message"])
        self.assertIn("(and 1 other run below it)", refused["error"]["message"])
        # the testers pass them; a refresh (an editor's) reads them now
        self.fakes.register("testrail", {"runs": {"900": {"passed_count": 5, "failed_count": 0},
                                                  by[made_id]["runId"]: {"passed_count": 8, "failed_count": 1,
                                                                         "untested_count": 1}}})
        resp = self.request("POST", self.path(rid, "/test-runs/refresh"), {}, token=self.ctx.org.editor.token)
        self.expect(resp, 202)
        items = self.settle_runs(rid, lambda r: sorted(x["passRate"] for x in r) == [80.0, 100.0], "read again")
        self.assertTrue(all(x["lastReadAt"] and x["lastError"] is None for x in items), items)
        self.act(rid, "approve")
        self.wait(rid, lambda r: r["status"] == "READY", "approved")
        self.assertEqual(len([r for r in self.fakes.requests("testrail", mark) if "add_run" in r["query"]]), 1)
        # viewers read them; a viewer's refresh answers as a tenant that does not exist; another tenant sees no release
        self.assertEqual(len(self.runs_of(rid, token=self.ctx.org.viewer.token)["items"]), 2)
        refresh = "/api/v1/%s/releases/" + rid + "/test-runs/refresh"
        harness.assert_same_not_found(self, self.request("POST", refresh % self.tenant, {}, token=self.ctx.org.viewer.token),
                                      self.request("POST", refresh % uuid.uuid4(), {}, token=self.ctx.org.viewer.token))
        other = vf.Ctx(self.server, self.fakes)
        self.expect(self.request("GET", "/api/v1/%s/releases/%s/test-runs" % (other.tenant_id, rid), token=other.token),
                    404)
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/test-runs/refresh" % (other.tenant_id, rid), {},
                                 token=other.token), 404)


if __name__ == "__main__":
    unittest.main()
