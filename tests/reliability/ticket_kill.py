#!/usr/bin/env python3
"""A release ticket's open (Jira's and Linear's), and a candidate's TestRail run's, under kill -9 (docs/notifications.md, "Release tickets"; docs/reliability.md).

One release of a tenant with a Jira integration that keeps release tickets.
The process running the ticket's open job is killed (SIGKILL) twice while
Jira's `POST /rest/api/3/issue` is unanswered: first while the fake holds
the request without acting on it (the rule `hold`: no issue made), then
while it holds the answer of a create it made (the rule `lose`: the issue
exists, slipway never heard). Each time the next process on the same
SQLite database takes the job over once the dead one's lease runs out.
Jira's create is not idempotent: the open job searches for slipway's label
first, so after the second kill it finds the issue made and records it
instead of making a second. At the end the fake holds exactly one issue
with the label (the label search finds it) and release_tickets one row
(GET .../releases/{id}/tickets), which names it. Linear's issueCreate is
killed once, after the fake made the issue (its answer held): the next
process searches for the label, finds the issue, and sends no second create.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/ticket_kill.py
"""

import json
import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402
import verify_fixtures as vf  # noqa: E402

import kickoff  # noqa: E402  (its lease, its bounded wait, its set-up of a shared SQLite database)
from kickoff import wait_for  # noqa: E402

CREATE = ("POST", "/rest/api/3/issue")


class TicketKillTest(kickoff.KickoffKillTest):
    test_killed_at_each_step = None  # the kickoff's own test: run by kickoff.py, not here

    def creates(self, mark, project):
        """Jira's issue creates for project since mark."""
        return [r for r in self.client.requests("jira", mark)
                if (r.get("method"), r.get("path")) == CREATE and project in (r.get("body") or "")]

    def tenant_with_tickets(self, kind, **extra):
        """A tenant with an SCM and a ticket integration of kind that keeps release tickets (extra: more of its
        fields): server, ctx, scm, the integration's case and the integration."""
        server, ctx, scm, _ = self.tenant_with_scm()
        case = vf.build(ctx, kind, True, True)
        case.body.update(dict({"autoCreateEpics": True}, **extra))
        integ = ctx.create(case.body)
        self.shared.secrets |= ctx.secrets
        self.shared.remember()
        return server, ctx, scm, case, integ

    def hold(self, mode, project):
        """The next issue create of project held (mode hold: not acted on; lose: made, its answer held)."""
        self.rules.append(self.client.rule("jira", mode, method=CREATE[0], path=CREATE[1], match=project))

    def kill_when_held(self, server, mode, creates):
        """Waits until server's create (one of creates()) is held as mode says, kills server and drops the rule."""
        acted = (lambda r: r.get("status") is not None) if mode == "lose" else (lambda r: r.get("rule"))
        wait_for("the create held (%s)" % mode, lambda: [r for r in creates() if acted(r)])
        os.kill(server.pid, signal.SIGKILL)
        self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
        server.pid = None  # killed: nothing to stop or check
        self.client.drop(self.rules.pop())

    def test_killed_while_creating_the_issue(self):
        server, ctx, scm, jira, integ = self.tenant_with_tickets("JIRA")
        project = jira.info["key"]

        start = self.client.mark()
        self.hold("hold", project)
        rel = harness.expect(self, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                  {"version": "6.0.0", "releaseType": "MAJOR", "platforms": ["IOS"],
                                                   "scmIntegrationId": scm["id"]}, token=ctx.token), 201)
        self.kill_when_held(server, "hold", lambda: self.creates(start, project))
        mark = self.client.mark()
        self.hold("lose", project)  # in place before the next process takes the job over
        server = ctx.server = self.shared.start(migrate=False)
        self.kill_when_held(server, "lose", lambda: self.creates(mark, project))
        server = ctx.server = self.shared.start(migrate=False)

        path = "/api/v1/%s/releases/%s/tickets" % (ctx.tenant_id, rel["id"])
        rows = wait_for("the ticket recorded", lambda: harness.expect(
            self, server.request("GET", path, token=ctx.token), 200)["items"])
        issues = {k: i for k, i in self.client.data("jira")["issues"].items()
                  if i["project"] == project and "slipway-release-" + rel["id"] in i["labels"]}
        self.assertEqual(len(issues), 1, "one issue with the label, whatever was killed: %s" % list(issues))
        self.assertEqual([(r["integrationId"], r["key"], r["status"]) for r in rows],
                         [(integ["id"], list(issues)[0], "OPEN")], "one release_tickets row, naming it")
        made = [r["status"] for r in self.creates(start, project)]
        self.assertEqual(made.count(201), 1, "created once (the held one was never acted on): %s" % made)
        print("ticket open: killed twice at Jira's create (held unanswered, then made with its answer lost); one issue "
              "%s, one release_tickets row; %d create requests" % (list(issues)[0], len(made)))

    def test_killed_while_moving_an_issue(self):
        """A fix version's issue moves (issueTransition): the process is killed twice at Jira's transition POST, first
        held unacted (the issue still To Do), then acted with its answer lost (Done). Each next process finds the
        last one's claim, reads the issue's status first, and posts the transition only where it had not landed: the
        issue moved by exactly one transition, and the job's output says it moved."""
        server, ctx, scm, jira, integ = self.tenant_with_tickets("JIRA", issueTransition="Done")
        project = jira.info["key"]
        key = project + "-77"
        self.client.register("jira", {"issues": {key: {"id": "77077", "project": project, "summary": "moved once",
                                                      "issuetype": "Task", "labels": [], "fixVersions": [],
                                                      "comments": [], "status": "To Do"}}})
        path = "/api/v1/%s/releases" % ctx.tenant_id
        rel = harness.expect(self, server.request("POST", path, {"version": "6.3.0", "releaseType": "MINOR",
                                                                 "platforms": ["IOS"], "scmIntegrationId": scm["id"]},
                                                  token=ctx.token), 201)
        read = lambda: harness.expect(self, ctx.server.request("GET", "%s/%s" % (path, rel["id"]), token=ctx.token), 200)  # noqa: E731
        wait_for("the kickoff", lambda: read()["status"] == "BUILDING")
        harness.expect(self, server.request("PATCH", "%s/%s" % (path, rel["id"]), {"notes": "- %s fix the login" % key},
                                            token=ctx.token), 200)
        wait_for("the issue linked", lambda: self.client.data("jira")["issues"][key]["fixVersions"])
        fx.db_execute(server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))

        move = "/rest/api/3/issue/%s/transitions" % key
        posts = lambda mark: [r for r in self.client.requests("jira", mark)  # noqa: E731
                              if (r.get("method"), r.get("path")) == ("POST", move)]
        start = self.client.mark()
        self.rules.append(self.client.rule("jira", "hold", method="POST", path=move))
        harness.expect(self, server.request("POST", "%s/%s/finish" % (path, rel["id"]), {}, token=ctx.token), 200)
        self.kill_when_held(server, "hold", lambda: posts(start))
        self.assertEqual(self.client.data("jira")["issues"][key]["status"], "To Do", "the held transition never acted")
        mark = self.client.mark()
        self.rules.append(self.client.rule("jira", "lose", method="POST", path=move))
        server = ctx.server = self.shared.start(migrate=False)
        self.kill_when_held(server, "lose", lambda: posts(mark))
        server = ctx.server = self.shared.start(migrate=False)

        def moved():
            _, rows = fx.db_query(server, "SELECT output FROM jobs WHERE tenantId = ? AND kind = 'ticket-sync' AND "
                                          "state = 'DONE'", (ctx.tenant_id,))
            outs = [o if isinstance(o, dict) else json.loads(o) for (o,) in rows if o]
            return [o for o in outs if "moved" in o]
        outs = wait_for("the moves done", moved)
        self.assertEqual([o["moved"] for o in outs], [[key]], "the job says the issue moved: %s" % outs)
        self.assertEqual(self.client.data("jira")["issues"][key]["status"], "Done")
        sent = [r.get("status") for r in posts(start)]
        self.assertEqual(sent.count(204), 1, "one transition acted on, whatever was killed: %s" % sent)
        self.assertEqual(len(sent), 2, "no transition posted after the one that landed: %s" % sent)
        looked = [r for r in self.client.requests("jira", start) if (r.get("method"), r.get("path")) == (
            "GET", "/rest/api/3/issue/" + key)]
        self.assertEqual(len(looked), 2, "each next process read the status before anything else")
        print("issue move: killed twice at Jira's transition (held unacted, then made with its answer lost); the "
              "status read first each time; %s moved by one transition (%d posts)" % (key, len(sent)))

    def test_killed_after_linear_made_the_issue(self):
        """Linear's issueCreate, killed after the call: the fake made the issue and holds its answer when the process
        dies; the next process's open finds it by slipway's label (its marker) and records it: one issue, one row."""
        server, ctx, scm, lin, integ = self.tenant_with_tickets("LINEAR")
        team = lin.info["team"]
        creates = lambda: [r for r in self.client.requests("linear", start)  # noqa: E731
                           if "issueCreate" in (r.get("body") or "") and team in (r.get("body") or "")]

        start = self.client.mark()
        self.rules.append(self.client.rule("linear", "lose", method="POST", match="issueCreate"))
        rel = harness.expect(self, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                  {"version": "6.2.0", "releaseType": "MINOR", "platforms": ["IOS"],
                                                   "scmIntegrationId": scm["id"]}, token=ctx.token), 201)
        self.kill_when_held(server, "lose", creates)
        server = ctx.server = self.shared.start(migrate=False)

        path = "/api/v1/%s/releases/%s/tickets" % (ctx.tenant_id, rel["id"])
        rows = wait_for("the ticket recorded", lambda: harness.expect(
            self, server.request("GET", path, token=ctx.token), 200)["items"])
        data = self.client.data("linear")
        marked = [k for k, i in data["issues"].items() if i["teamId"] == team and any(
            data["labels"][label]["name"] == "slipway-release-" + rel["id"] for label in i["labelIds"])]
        self.assertEqual(len(marked), 1, "one issue with the label, though its answer was lost: %s" % marked)
        self.assertEqual([(r["integrationId"], r["key"], r["status"]) for r in rows],
                         [(integ["id"], marked[0], "OPEN")], "one release_tickets row, naming it")
        self.assertEqual(len(creates()), 1, "issueCreate sent once: the next process searched and found it")
        print("ticket open (Linear): killed after issueCreate made the issue (its answer lost); one issue %s, one "
              "release_tickets row" % marked[0])

    def test_killed_while_opening_the_test_run(self):
        """The same at TestRail's add_run (docs/notifications.md, "Test runs"): one run of the candidate's name, one
        release_test_runs row naming it."""
        server, ctx, scm, _ = self.tenant_with_scm()
        tr = vf.build(ctx, "TEST_RAIL", True, True)
        integ = ctx.create(tr.body)
        self.shared.secrets |= ctx.secrets
        self.shared.remember()
        add = "add_run/%d" % tr.info["pid"]
        adds = lambda mark: [r for r in self.client.requests("testrail", mark)  # noqa: E731
                             if r.get("method") == "POST" and add in (r.get("query") or "")]

        def kill_when_held(server, mode, mark):
            acted = (lambda r: r.get("status") is not None) if mode == "lose" else (lambda r: r.get("rule"))
            wait_for("the add_run held (%s)" % mode, lambda: [r for r in adds(mark) if acted(r)])
            os.kill(server.pid, signal.SIGKILL)
            self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
            server.pid = None
            self.client.drop(self.rules.pop())

        start = self.client.mark()
        self.rules.append(self.client.rule("testrail", "hold", method="POST", match=add))
        rel = harness.expect(self, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                  {"version": "6.1.0", "releaseType": "MINOR", "platforms": ["IOS"],
                                                   "scmIntegrationId": scm["id"]}, token=ctx.token), 201)
        kill_when_held(server, "hold", start)
        mark = self.client.mark()
        self.rules.append(self.client.rule("testrail", "lose", method="POST", match=add))
        server = ctx.server = self.shared.start(migrate=False)
        kill_when_held(server, "lose", mark)
        server = ctx.server = self.shared.start(migrate=False)

        path = "/api/v1/%s/releases/%s/test-runs" % (ctx.tenant_id, rel["id"])
        rows = wait_for("the run recorded", lambda: harness.expect(
            self, server.request("GET", path, token=ctx.token), 200)["items"])
        runs = [r for r in self.client.data("testrail")["runs"].values() if r["project_id"] == tr.info["pid"]]
        self.assertEqual([r["name"] for r in runs], ["6.1.0 RC1"], "one run, whatever was killed")
        self.assertEqual([(r["integrationId"], r["runId"], r["candidate"]) for r in rows],
                         [(integ["id"], str(runs[0]["id"]), 1)], "one release_test_runs row, naming it")
        made = [r["status"] for r in adds(start)]
        self.assertEqual(made.count(200), 1, "made once (the held one was never acted on): %s" % made)
        print("test run open: killed twice at TestRail's add_run (held unanswered, then made with its answer lost); "
              "one run %s, one release_test_runs row; %d add_run requests" % (runs[0]["id"], len(made)))


if __name__ == "__main__":
    unittest.main()
