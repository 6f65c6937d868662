#!/usr/bin/env python3
"""An approver's mail under kill -9 (docs/notifications.md, "Approvers asked by mail"; docs/reliability.md).

A deployment to a protected environment asks its one approver (an editor)
by mail: one `approval-mail` job, sent through the instance's mail (the
SMTP fake). The process sending it is killed (SIGKILL) twice, each time on
the same SQLite database, and the next process takes the job over once the
dead one's lease has run out:

1. while the mail server holds the session before its greeting (the rule
   `hold`): nothing was sent, and the next process sends the mail once;
2. after the server took the message, its `250` held back (the rule
   `lose`: the message is queued, slipway never heard). SMTP has no
   idempotency key and no way to ask whether a message arrived, so the next
   process sends it again: two copies, with the same `Message-ID` (made
   from the job step's key, which a takeover keeps), which mail programs
   show once. That is the at-least-once window, and the only one: a kill
   anywhere before the end of the message's data sends it once.

At the end the job is DONE (one job: its dedupe key), and the fake holds
exactly two messages to the approver, one Message-ID.

The same two kills for a release: its candidate built (CircleCI, polled)
moves it to REGRESSION, which asks the editor (the default roles, owner and
editor; the owner started it and is not asked): one job
`approval-mail:<release>:1:<editor>`, DONE, two copies, one Message-ID.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/approval_mail_kill.py
"""

import email
import email.policy
import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402

import kickoff  # noqa: E402  (its lease, its bounded wait, its set-up of a shared SQLite database)
from kickoff import wait_for  # noqa: E402

USER, FROM = "slipway-kill-mail", "slipway@example.com"


class ApprovalMailKillTest(kickoff.KickoffKillTest):
    test_killed_at_each_step = None  # the kickoff's own test: run by kickoff.py, not here

    def messages_to(self, address, mark=0):
        """(session entry, parsed message) of every message to address the SMTP fake took since mark."""
        return [(e, email.message_from_string(m["data"], policy=email.policy.default))
                for e in self.client.requests("smtp", mark) if "session" in e
                for m in e["session"]["messages"] if any(address in r for r in m["to"])]

    def kill(self, server, what, probe):
        """Waits for probe(), kills server (SIGKILL) and drops the rule in place."""
        wait_for(what, probe)
        os.kill(server.pid, signal.SIGKILL)
        self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
        server.pid = None  # killed: nothing to stop or check
        self.client.drop(self.rules.pop())

    def with_mail(self):
        """The instance's mail (the SMTP fake) in the next processes' settings; the fakes' mark from here."""
        password = fx.token("smtp-", 24)
        self.client.register("smtp", {"users": {USER: password}})
        self.shared.secrets.add(password)
        self.shared.env.update({"SLIPWAY_SMTP_URL": "smtp://127.0.0.1:%d" % self.client.smtp_port,
                                "SLIPWAY_SMTP_USER": USER, "SLIPWAY_SMTP_PASSWORD": password, "SLIPWAY_SMTP_FROM": FROM,
                                "SLIPWAY_PUBLIC_URL": "http://127.0.0.1:{port}"})
        return self.client.mark()

    def killed_twice(self, ask, approver, tenant, key, subject, quiet):
        """ask(server) makes a process (with mail) ask approver, and answers the id of what waits; that process is
        killed with the SMTP session held before its greeting, the next after the server took the message and held
        its 250 back, and a third ends the job: one job (dedupe key: key % the id) DONE, two copies to approver with
        one Message-ID and subject, none to quiet. (The last process, the Message-ID.)"""
        start = self.with_mail()
        self.rules.append(self.client.rule("smtp", "hold"))
        server = self.shared.start(migrate=False)
        key %= ask(server)
        self.kill(server, "the session held before its greeting",
                  lambda: [e for e in self.client.requests("smtp", start) if e.get("rule")])
        self.assertEqual(self.messages_to(approver.email, start), [], "killed before anything was sent")

        self.rules.append(self.client.rule("smtp", "lose"))  # in place before the next process takes the job over
        server = self.shared.start(migrate=False)
        self.kill(server, "the message taken, its 250 held back", lambda: self.messages_to(approver.email, start))

        server = self.shared.start(migrate=False)

        def settled():
            _, rows = fx.db_query(server, "SELECT dedupeKey, state FROM jobs WHERE kind = 'approval-mail' AND tenantId = ?",
                                  (tenant,))
            return rows if rows and all(state == "DONE" for _, state in rows) else None
        rows = wait_for("the approval mail's job to end", settled)
        self.assertEqual(rows, [(key, "DONE")], "one job")
        sent = self.messages_to(approver.email, start)
        self.assertEqual(len(sent), 2, "the held session sent nothing; the lost 250 made one copy more")
        ids = {m["Message-ID"] for _, m in sent}
        self.assertEqual(len(ids), 1, "the copy is the same message to mail programs: %s" % ids)
        self.assertEqual({m["Subject"] for _, m in sent}, {subject})
        self.assertEqual([e["session"].get("lost") for e, _ in sent], ["abandoned", None],
                         "the first copy's 250 never reached the killed process")
        for other in quiet:
            self.assertEqual(self.messages_to(other.email, start), [], "%s is not asked" % other)
        return server, ids.pop()

    def test_killed_before_and_after_the_server_took_the_mail(self):
        first = self.shared.start()  # without instance mail: members join with an initial password
        org = harness.new_org(first)
        tenant, owner = org.tenant["id"], org.owner.token
        base = "/api/v1/%s" % tenant
        host = harness.expect(self, first.request("POST", base + "/hosts", {
            "name": "web-1", "address": "127.0.0.1", "port": 22, "username": "deploy", "authMethod": "password",
            "secret": "never-used-" + fx.token("", 16)}, token=owner), 201)
        script = harness.expect(self, first.request("POST", base + "/deployment-scripts", {
            "name": "ship", "body": "true\n"}, token=owner), 201)
        env = harness.expect(self, first.request("POST", base + "/environments", {
            "name": "production", "protected": True, "approverRoles": ["editor"]}, token=owner), 201)
        first.stop()

        def ask(server):
            dep = harness.expect(self, server.request("POST", base + "/deployments", {
                "hostId": host["id"], "scriptId": script["id"], "environmentId": env["id"]}, token=owner), 201)
            self.assertEqual(dep["status"], "AWAITING_APPROVAL")
            return dep["id"]
        _, mid = self.killed_twice(ask, org.editor, tenant, "approval-mail:%s:" + org.editor.id,
                                   "Approval needed: ship on web-1 to production", (org.owner, org.viewer))
        print("approval mail: killed with the session held (nothing sent) and after the server took the mail (its 250 "
              "lost); 2 copies with one Message-ID %s, one job DONE" % mid)

    def test_release_candidate_killed_before_and_after_the_server_took_the_mail(self):
        """A release's candidate built (CircleCI, polled) asks the tenant's editor (the default roles, owner and
        editor; the owner started it): the same two kills, one job for the candidate, two copies, one Message-ID."""
        first, ctx, scm, slug = self.tenant_with_circleci()
        first.stop()
        made = {}

        def ask(server):
            made.update(harness.expect(self, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id, {
                "version": "7.1.0", "releaseType": "MINOR", "platforms": ["IOS"], "scmIntegrationId": scm["id"]},
                token=ctx.token), 201))
            [pipeline] = wait_for("the pipeline triggered", lambda: self.client.data("circleci")["builds"][slug].get("pipelines"))
            self.client._call("POST", "/circleci/runs/%s/finish" % pipeline["workflows"][0]["id"], {})
            return made["id"]
        server, mid = self.killed_twice(ask, ctx.org.editor, ctx.tenant_id, "approval-mail:%s:1:" + ctx.org.editor.id,
                                        "Approval needed: release 7.1.0, candidate 1", (ctx.org.owner, ctx.org.viewer))
        got = harness.expect(self, server.request("GET", "/api/v1/%s/releases/%s" % (ctx.tenant_id, made["id"]),
                                                  token=ctx.token), 200)
        self.assertEqual((got["status"], got["candidateNumber"]), ("REGRESSION", 1))
        print("release approval mail: killed with the session held and after the server took the mail; 2 copies "
              "with one Message-ID %s, one job DONE" % mid)



if __name__ == "__main__":
    unittest.main()
