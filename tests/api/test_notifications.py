"""Notifications (docs/notifications.md, docs/events.md): a release kickoff against the SCM fake told to Slack as
one thread (the root, replies in its thread, the root updated), each event once; a 429 honoured; a channel the
bot is not in recorded as FAILED with its attempt and error; notifyOnEvents honoured; and the rule API's
negative matrix (malformed, unknown fields, bad patterns, another tenant's integration, roles)."""

import datetime
import email
import email.policy
import email.utils
import json
import os
import signal
import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import test_release_builds
import verify_fixtures as vf
from verify_fixtures import VerifyTest

HEAD = "1111111111111111111111111111111111111111"
NEXT = "3333333333333333333333333333333333333333"


def tearDownModule():
    vf.stop_servers()


def iso_ms(text):
    """Milliseconds since the epoch of a fake's log time (2026-12-07T04:54:01.123Z)."""
    return round(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000)


class NotificationsTest(VerifyTest):
    # the build stage's helpers (its class is not imported by name, or unittest would run its tests here too)
    _b = test_release_builds.ReleaseBuildsTest
    pipeline, create, read, wait, triggered, finish = _b.pipeline, _b.create, _b.read, _b.wait, _b.triggered, _b.finish
    del _b

    def request(self, method, path, body=None, token=None, **kw):
        return self.server.request(method, path, body=body, token=token or self.owner.token, **kw)

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def setUp(self):
        super().setUp()
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner
        fx.ready_for_releases(self, self.server, self.owner.token, self.tenant)

    # -- helpers ------------------------------------------------------------------

    def scm(self):
        case = vf.build(self.ctx, "GITHUB", True, True)
        integ = self.ctx.create(case.body)
        fx.set_verification(self.server, "scm", integ["id"], "VALID")
        self.fakes.register("github", {"repos": {case.body["organization"] + "/" + case.body["repoName"]: {
            "branches": {"main": HEAD}, "commits": [HEAD]}}})
        return integ

    def slack(self, **extra):
        case = vf.build(self.ctx, "SLACK", True, True)
        case.body["notifyOnEvents"] = []  # every event the rules send
        case.body.update(extra)
        return self.ctx.create(case.body), case

    def add_rule(self, integ, channel="releases", pattern="release.*"):
        body = {"eventPattern": pattern, "integrationId": integ["id"]}
        if channel:
            body["channel"] = channel
        return self.expect(self.request("POST", "/api/v1/%s/notification-rules" % self.tenant, body), 201)

    def release(self, version="1.2.0"):
        scm = self.scm()
        rel = self.expect(self.request("POST", "/api/v1/%s/releases" % self.tenant,
                                       {"version": version, "releaseType": "MINOR", "platforms": ["IOS"],
                                        "scmIntegrationId": scm["id"]}), 201)
        return rel

    def deliveries(self, **query):
        qs = "&".join("%s=%s" % kv for kv in query.items())
        return self.expect(self.request("GET", "/api/v1/%s/notification-deliveries?%s" % (self.tenant, qs)), 200)["items"]

    def settle(self, count, seconds=60):
        """The deliveries once count of them have finished (none PENDING or RETRYING)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            items = self.deliveries()
            if len(items) >= count and all(d["status"] not in ("PENDING", "RETRYING") for d in items):
                return items
            time.sleep(0.2)
        self.fail("deliveries did not settle: %s" % self.deliveries())

    def posted(self, case):
        ids = {c["id"] for c in case.info["channels"].values()}
        data = self.fakes.data("slack")
        return [p for p in data["posted"] if p["channel"] in ids], \
            [u for u in data.get("updated", []) if u["channel"] in ids]

    # -- delivery -----------------------------------------------------------------

    def test_kickoff_thread(self):
        integ, case = self.slack()
        self.add_rule(integ)
        rel = self.release()
        items = self.settle(2)
        self.assertEqual(sorted(d["eventName"] for d in items), ["release.kickoff.completed", "release.kickoff.started"])
        self.assertTrue(all(d["status"] == "DELIVERED" and d["attempts"] == 1 for d in items), items)
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/pause" % (self.tenant, rel["id"]), {}), 200)
        items = self.settle(3)
        posted, updated = self.posted(case)
        roots = [p for p in posted if not p["thread_ts"]]
        self.assertEqual(len(roots), 1, posted)
        root = roots[0]
        self.assertEqual(root["channel"], case.info["channels"]["releases"]["id"])
        self.assertEqual(root["blocks"][0]["type"], "header")
        self.assertIn("1.2.0", root["blocks"][0]["text"]["text"])
        replies = [p for p in posted if p["thread_ts"]]
        self.assertEqual(len(replies), 2, posted)  # each event once: the root was the first
        self.assertTrue(all(r["thread_ts"] == root["ts"] for r in replies))
        self.assertEqual([u["ts"] for u in updated], [root["ts"]] * 2)
        self.assertIn("PAUSED", root["text"])  # the root, updated as the release moved
        by_event = {d["eventName"]: d for d in items}
        self.assertEqual(by_event["release.kickoff.started"]["messageRef"], root["ts"])
        self.assertEqual(by_event["release.paused"]["messageRef"], replies[-1]["ts"])

    def test_ratelimited_honoured(self):
        """A 429 waits its Retry-After (3 s here), not the engine's backoff (10 s): the post is tried again after 3 s and
        well before 10, and delivered once."""
        integ, case = self.slack()
        self.add_rule(integ, pattern="release.kickoff.started")
        mark = self.fakes.mark()
        self.rule("slack", "ratelimited", path="chat.postMessage", times=1, seconds=3, match=case.match)
        self.release()
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"]) for d in items], [("DELIVERED", 2)], items)
        self.assertEqual(len(self.posted(case)[0]), 1)
        tries = [r for r in self.fakes.requests("slack", mark) if r["path"].endswith("chat.postMessage")
                 and case.match in json.dumps(r)]
        self.assertEqual([r["status"] for r in tries], [429, 200])
        waited = (iso_ms(tries[1]["time"]) - iso_ms(tries[0]["time"])) / 1000
        self.assertTrue(3 <= waited < 9, "the second try came %.1f s after the 429 (Retry-After: 3)" % waited)

    def test_failing_channel_recorded(self):
        integ, case = self.slack()
        self.add_rule(integ, channel="design", pattern="release.kickoff.started")  # the bot is not in #design
        self.release()
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"]) for d in items], [("FAILED", 1)], items)
        self.assertIn("not_in_channel", items[0]["lastError"])
        self.assertEqual(self.deliveries(status="FAILED"), items)
        self.assertEqual(self.deliveries(status="DELIVERED"), [])

    def test_notify_on_events_honoured(self):
        integ, case = self.slack(notifyOnEvents=["build_failed"])  # leaves out release_started (release.kickoff.started)
        self.add_rule(integ, pattern="*")
        self.release()
        items = {d["eventName"]: d for d in self.settle(2)}
        self.assertEqual(items["release.kickoff.started"]["status"], "SKIPPED")
        self.assertIn("notifyOnEvents", items["release.kickoff.started"]["lastError"])
        self.assertEqual(items["release.kickoff.completed"]["status"], "DELIVERED")  # no alias: the rules decide
        self.assertEqual(len(self.posted(case)[0]), 1)

    def test_integration_status_event(self):
        """A verification that moves an integration's status is an event (docs/events.md); the same status again is none."""
        integ, case = self.slack()
        self.add_rule(integ, pattern="integration.*")
        verify = "/api/v1/%s/integrations/communication/%s/verify" % (self.tenant, integ["id"])
        self.assertEqual(self.expect(self.request("POST", verify, {"sendTest": False}), 200)["status"], "VALID")
        [item] = self.settle(1)
        self.assertEqual((item["eventName"], item["status"]), ("integration.status.changed", "DELIVERED"))
        self.expect(self.request("POST", verify, {"sendTest": False}), 200)  # VALID again: no event
        _, [(subject, payload)] = fx.db_query(self.server, "SELECT subjectId, payload FROM notification_events "
                                                           "WHERE tenantId = ?", (self.tenant,))
        self.assertEqual(subject, integ["id"])
        self.assertEqual(json.loads(payload)["integration"], {"id": integ["id"], "category": "communication",
                                                              "type": "SLACK", "from": "NOT_VERIFIED", "to": "VALID"})

    # -- e-mail -----------------------------------------------------------------------

    def email(self, creds=True):
        case = vf.build(self.ctx, "EMAIL", creds, True)
        case.body["notifyOnEvents"] = []
        integ = self.ctx.create(case.body)
        self.add_rule(integ, channel=None, pattern="release.kickoff.started")
        return case

    def sessions(self, mark):
        return [e["session"] for e in self.fakes.requests("smtp", mark) if "session" in e]

    def test_email_delivered(self):
        case = self.email()
        mark = self.fakes.mark()
        self.release("1.4.0")
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"]) for d in items], [("DELIVERED", 1)], items)
        sent = [(s, m) for s in self.sessions(mark) for m in s["messages"]]
        self.assertEqual(len(sent), 1, sent)
        session, wire = sent[0]
        self.assertTrue(session["tls"], "STARTTLS before anything else")
        self.assertEqual(session["auth"], case.info["user"], "AUTH as smtpUsername")
        self.assertIn(case.body["emailFromAddress"], wire["from"])
        for rcpt in case.body["emailRecipients"]:
            self.assertTrue(any(rcpt in r for r in wire["to"]), "RCPT %s: %s" % (rcpt, wire["to"]))
        msg = email.message_from_string(wire["data"], policy=email.policy.default)
        self.assertEqual(msg["From"], case.body["emailFromAddress"])
        self.assertEqual(sorted(a.addr_spec for a in msg["To"].addresses), sorted(case.body["emailRecipients"]))
        self.assertIn("Release 1.4.0", msg["Subject"])
        self.assertIn("release.kickoff.started", msg["Subject"])
        self.assertEqual(msg["Message-ID"], items[0]["messageRef"])
        self.assertTrue(msg["Message-ID"].endswith("@example.com>"), msg["Message-ID"])
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        parts = list(msg.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts], ["text/plain", "text/html"])
        text, html = parts[0].get_content(), parts[1].get_content()
        self.assertIn("Release 1.4.0", text)
        self.assertIn("release.kickoff.started", text)
        self.assertIn("<h2>Release 1.4.0", html)
        self.assertIn("<strong>release.kickoff.started</strong>", html)
        vf.assert_no_secret(self, wire["data"], case.secrets, "the message")

    def test_email_auth_refused(self):
        case = self.email(creds=False)  # the mail server does not know the user
        mark = self.fakes.mark()
        self.release()
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"]) for d in items], [("FAILED", 1)], items)
        self.assertIn("refused the user name or password", items[0]["lastError"])
        self.assertTrue(any(s["authFailed"] for s in self.sessions(mark)))
        self.assertEqual([m for s in self.sessions(mark) for m in s["messages"]], [])
        raw = self.request("GET", "/api/v1/%s/notification-deliveries" % self.tenant).raw
        vf.assert_no_secret(self, raw, case.secrets, "the delivery log")

    def test_notify_on_events_dotted_names(self):
        integ, case = self.slack(notifyOnEvents=["release.kickoff.completed", "build_failed"])  # a name and an alias
        self.add_rule(integ, pattern="*")
        self.release()
        items = {d["eventName"]: d for d in self.settle(2)}
        self.assertEqual(items["release.kickoff.started"]["status"], "SKIPPED")
        self.assertEqual(items["release.kickoff.completed"]["status"], "DELIVERED")
        catalogue = {e["name"]: e for e in self.expect(self.request(
            "GET", "/api/v1/%s/notification-events" % self.tenant), 200)["items"]}
        self.assertEqual(catalogue["release.kickoff.started"]["alias"], "release_started")
        self.assertIsNone(catalogue["release.kickoff.completed"]["alias"])

    def test_deployment_awaiting_approval_told_in_words(self):
        """A deployment to a protected environment waits, told in the creating transaction (no SSH connection):
        the Slack message names its scripts, hosts, environment, requester and the roles that may approve, its id
        nowhere (issue 16); the event's payload (what webhooks get) carries the names beside the ids, and says that
        no approver was asked by mail (no SLIPWAY_SMTP_URL here)."""
        integ, case = self.slack()
        self.add_rule(integ, pattern="deployment.*")
        dep, env = self.awaiting_deployment(["owner"], hosts=("box", "spare"))
        items = self.settle(1)
        self.assertEqual([(d["eventName"], d["status"]) for d in items], [("deployment.approval.requested", "DELIVERED")])
        posted, _ = self.posted(case)
        self.assertEqual(len(posted), 1, posted)
        words = posted[0]["text"] + json.dumps(posted[0]["blocks"])
        self.assertIn("Deploy ship on box, spare to production: AWAITING_APPROVAL", words)
        self.assertIn("Environment: production", words)
        owner = self.expect(self.request("GET", "/api/v1/me"), 200)
        self.assertIn("Requested by: %s" % owner["name"], words)
        self.assertIn("Approver roles: owner", words)
        self.assertIn("waiting for approvals: 0 of 1", words)
        for ident in (dep["id"], env["id"], self.owner.id):
            self.assertNotIn(ident, words, "names, not ids")
        _, [(payload,)] = fx.db_query(self.server, "SELECT payload FROM notification_events WHERE tenantId = ?", (self.tenant,))
        payload = json.loads(payload)
        self.assertEqual({k: payload["deployment"][k] for k in (
            "id", "environmentId", "environmentName", "requestedByAccountId", "requestedByName", "summary", "hostNames",
            "scriptNames", "url", "ref", "repository")}, {
            "id": dep["id"], "environmentId": env["id"], "environmentName": "production",
            "requestedByAccountId": self.owner.id, "requestedByName": owner["name"], "summary": "ship on box, spare",
            "hostNames": ["box", "spare"], "scriptNames": ["ship"], "url": None,  # no SLIPWAY_PUBLIC_URL: no link
            "ref": "release/7", "repository": None})
        self.assertEqual((payload["approverRoles"], payload["requiredApprovals"], payload["approversAsked"]), (["owner"], 1, 0))
        _, jobs = fx.db_query(self.server, "SELECT id FROM jobs WHERE kind = 'approval-mail' AND tenantId = ?", (self.tenant,))
        self.assertEqual(jobs, [], "no instance mail: no approver is asked")

    def awaiting_deployment(self, roles, hosts=("box",), env=None):
        """A deployment by the owner to a protected environment (made with approverRoles roles unless env is given):
        it waits for approval in its creating transaction (no SSH connection). (deployment, environment)."""
        made = [self.expect(self.request("POST", "/api/v1/%s/hosts" % self.tenant, {
            "name": name + uuid.uuid4().hex[:6] * (env is not None), "address": "127.0.0.1", "port": 22,
            "username": "deploy", "authMethod": "password", "secret": "never-used-" + uuid.uuid4().hex}), 201)
            for name in hosts]
        script = self.expect(self.request("POST", "/api/v1/%s/deployment-scripts" % self.tenant,
                                          {"name": "ship" + uuid.uuid4().hex[:6] * (env is not None), "body": "true\n"}), 201)
        env = env or self.expect(self.request("POST", "/api/v1/%s/environments" % self.tenant,
                                              {"name": "production", "protected": True, "approverRoles": roles}), 201)
        dep = self.expect(self.request("POST", "/api/v1/%s/deployments" % self.tenant,
                                       {"hostIds": [h["id"] for h in made], "scriptId": script["id"],
                                        "environmentId": env["id"], "ref": "release/7"}), 201)
        self.assertEqual(dep["status"], "AWAITING_APPROVAL")
        return dep, env

    def slack_people(self, case, scopes, **users):
        """The Slack fake's workspace of case gets users ({id: address}); its bot token the scopes."""
        self.fakes.register("slack", {"tokens": {case.info["token"]: {"scopes": scopes}}, "teams": {case.info["bot"]["team_id"]: {
            "users": {uid: {"email": address.upper(), "name": uid.lower()} for uid, address in users.items()}}}})

    def assert_mentions(self, integ, can):
        """The integration's verification says whether its bot token may look approvers up (users:read.email)."""
        got = self.expect(self.ctx.verify_stored("communication", integ["id"]), 200)
        self.assertEqual((got["verdict"], got["details"].get("mentionsApprovers")), ("VALID", can), got)

    def lookups(self, mark):
        return [r for r in self.fakes.requests("slack", mark) if r.get("path", "").endswith("/users.lookupByEmail")]

    def test_approvers_mentioned_in_slack(self):
        """A deployment waiting for approval mentions in Slack each approver Slack knows by their address
        (users.lookupByEmail, users:read.email), and names the others (mrkdwn escaped: a name cannot ping a channel);
        not the requester, not a viewer. Each address is looked up once and kept per integration: the next deployment
        asks Slack nothing and mentions the same people."""
        integ, case = self.slack()
        known, other = self.ctx.org.editor, harness.add_member_and_login(self.server, self.owner.token, self.tenant, "editor")
        fx.db_execute(self.server, "UPDATE accounts SET name = ? WHERE id = ?", ("<!channel> Other", other.id))
        self.slack_people(case, "chat:write,channels:read,groups:read,users:read.email", U0KNOWN0001=known.email)
        self.assert_mentions(integ, True)
        self.add_rule(integ, pattern="deployment.*")
        mark = self.fakes.mark()
        dep, env = self.awaiting_deployment(["editor", "owner"])
        self.settle(1)
        posted, _ = self.posted(case)
        self.assertEqual(len(posted), 1, posted)
        section = posted[0]["blocks"][1]["text"]["text"]
        self.assertIn("Approvers: <@U0KNOWN0001>, &lt;!channel&gt; Other", section)
        self.assertNotIn("<!channel>", json.dumps(posted[0]))
        self.assertIn("Approvers: <@U0KNOWN0001>", posted[0]["text"], "the notification's text mentions too")
        asked = sorted(r["query"].split("email=", 1)[1].replace("%40", "@") for r in self.lookups(mark))
        self.assertEqual(asked, sorted([known.email, other.email]), "the approvers, each once; not the requester, "
                                                                     "not the viewer")
        _, rows = fx.db_query(self.server, "SELECT email, userRef FROM notification_mentions WHERE tenantId = ? "
                                           "ORDER BY email", (self.tenant,))
        self.assertEqual(sorted(rows), sorted([(known.email, "U0KNOWN0001"), (other.email, None)]))

        mark = self.fakes.mark()
        self.awaiting_deployment(None, env=env)
        items = self.settle(2)
        self.assertTrue(all(d["status"] == "DELIVERED" for d in items), items)
        self.assertEqual(self.lookups(mark), [], "kept: asked again neither for the user nor for no one")
        posted, _ = self.posted(case)
        self.assertIn("Approvers: <@U0KNOWN0001>, &lt;!channel&gt; Other", posted[-1]["blocks"][1]["text"]["text"])

    def test_approvers_named_without_the_scope(self):
        """A bot without users:read.email: Slack answers missing_scope; the message goes, naming the approvers, after
        one lookup (the rest are not asked), and nothing is kept."""
        integ, case = self.slack()
        self.slack_people(case, "chat:write,channels:read,groups:read", U0KNOWN0002=self.ctx.org.editor.email)
        self.assert_mentions(integ, False)
        harness.add_member_and_login(self.server, self.owner.token, self.tenant, "editor")
        self.add_rule(integ, pattern="deployment.*")
        mark = self.fakes.mark()
        self.awaiting_deployment(["editor"])
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"], d["lastError"]) for d in items], [("DELIVERED", 1, None)])
        section = self.posted(case)[0][0]["blocks"][1]["text"]["text"]
        self.assertIn("Approvers: ", section)
        self.assertNotIn("<@", section)
        self.assertEqual([r["status"] for r in self.lookups(mark)], [200], "one lookup, refused (missing_scope)")
        _, rows = fx.db_query(self.server, "SELECT id FROM notification_mentions WHERE tenantId = ?", (self.tenant,))
        self.assertEqual(rows, [])

    def regression(self, case, **config):
        """The configuration set, then a release built on GitHub + GitHub Actions and in REGRESSION: (release, hook,
        the repository's full name)."""
        self.expect(self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant, config), 200)
        _, scm, pcase, hook = self.pipeline("GITHUB_ACTIONS")
        rel = self.triggered(self.create("1.2.0", scm)["id"])
        self.finish("github", rel["builds"][0]["runId"], hook=hook)
        return self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION"), hook, \
            pcase.info["org"] + "/" + pcase.info["repo"]

    def test_release_approval_requested_mentions_its_approvers(self):
        """A release whose builds are done waits for its regression approvals: release.approval.requested, once, with
        the configuration's approvalRoles and approvalCount, mentions in Slack each member of those roles Slack knows
        (the same lookup and kept mentions as a deployment's) and names the others; not the viewer nor the owner (not
        among the roles). A new candidate asks again, of everyone who has not approved it (an approval of candidate 1
        does not count), and Slack is not asked again."""
        integ, case = self.slack()
        known, other = self.ctx.org.editor, harness.add_member_and_login(self.server, self.owner.token, self.tenant, "editor")
        fx.db_execute(self.server, "UPDATE accounts SET name = ? WHERE id = ?", ("<!channel> Other", other.id))
        self.slack_people(case, "chat:write,channels:read,groups:read,users:read.email", U0KNOWN0003=known.email)
        self.add_rule(integ, pattern="release.approval.requested")
        mark = self.fakes.mark()
        rel, hook, full = self.regression(case, approvalRoles=["editor"], approvalCount=2)
        [item] = self.settle(1)
        self.assertEqual((item["eventName"], item["status"], item["attempts"]), ("release.approval.requested", "DELIVERED", 1))
        [root], _ = self.posted(case)
        section = root["blocks"][1]["text"]["text"]
        self.assertIn("Approvers: <@U0KNOWN0003>, &lt;!channel&gt; Other", section)
        self.assertNotIn("<!channel>", json.dumps(root))
        self.assertIn("Approvers: <@U0KNOWN0003>", root["text"], "the notification's text mentions too")
        self.assertIn("Approver roles: editor", section)
        self.assertIn("1.2.0", root["blocks"][0]["text"]["text"])
        asked = sorted(r["query"].split("email=", 1)[1].replace("%40", "@") for r in self.lookups(mark))
        self.assertEqual(asked, sorted([known.email, other.email]), "the editors, each once; not the owner, not the viewer")
        _, rows = fx.db_query(self.server, "SELECT payload FROM notification_events WHERE tenantId = ? AND name = ?",
                              (self.tenant, "release.approval.requested"))
        payload = json.loads(rows[0][0])
        self.assertEqual((payload["approvalRoles"], payload["approvalCount"], payload["approversAsked"], payload["release"]["id"],
                          payload["release"]["version"], payload["release"]["status"]),
                         (["editor"], 2, 0, rel["id"], "1.2.0", "REGRESSION"), "no approver mailed: no instance mail here")
        for person in (known, other, self.owner):
            self.assertNotIn(person.email, rows[0][0], "who is asked is read when the message goes, not kept in the event")

        # The editor approves candidate 1; a new candidate is built and asks again, the editor too.
        self.assertEqual(self.expect(self.request("POST", "/api/v1/%s/releases/%s/approve" % (self.tenant, rel["id"]), {},
                                                  token=known.token), 200)["status"], "REGRESSION")
        self.fakes.register("github", {"repos": {full: {"branches": {"release/1.2.0": NEXT}, "commits": [HEAD, NEXT]}}})
        mark = self.fakes.mark()
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/new-candidate" % (self.tenant, rel["id"]), {},
                                 token=known.token), 200)
        rel = self.wait(rel["id"], lambda r: r["candidateNumber"] == 2 and len([b for b in r["builds"] if b["runId"]]) == 2,
                        "built candidate 2")
        self.finish("github", [b for b in rel["builds"] if b["candidateNumber"] == 2][0]["runId"], hook=hook)
        self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION again")
        items = self.settle(2)
        self.assertEqual([d["status"] for d in items], ["DELIVERED"] * 2, "once a candidate")
        posted, _ = self.posted(case)
        self.assertEqual(len(posted), 2, posted)
        self.assertIn("Approvers: <@U0KNOWN0003>, &lt;!channel&gt; Other", posted[-1]["blocks"][0]["text"]["text"])
        self.assertEqual(self.lookups(mark), [], "kept: Slack is not asked again")

    def test_release_approvers_named_without_the_scope(self):
        """A bot without users:read.email: the release's approvers (the default roles, owner and editor) are named,
        the message delivered at its first attempt after one refused lookup; nothing kept."""
        integ, case = self.slack()
        self.slack_people(case, "chat:write,channels:read,groups:read", U0KNOWN0004=self.ctx.org.editor.email)
        self.add_rule(integ, pattern="release.approval.requested")
        mark = self.fakes.mark()
        self.regression(case, approvalCount=1)
        items = self.settle(1)
        self.assertEqual([(d["status"], d["attempts"], d["lastError"]) for d in items], [("DELIVERED", 1, None)])
        section = self.posted(case)[0][0]["blocks"][1]["text"]["text"]
        owner = self.expect(self.request("GET", "/api/v1/me"), 200)
        self.assertIn("Approvers: ", section)
        self.assertIn(owner["name"], section)
        self.assertNotIn("<@", section)
        self.assertEqual([r["status"] for r in self.lookups(mark)], [200], "one lookup, refused (missing_scope)")
        _, rows = fx.db_query(self.server, "SELECT id FROM notification_mentions WHERE tenantId = ?", (self.tenant,))
        self.assertEqual(rows, [])

    def test_release_events_carry_their_own_fields(self):
        """Each release event's payload holds the own fields its catalogue row names (docs/events.md), taken from the
        timeline entry: kickoff.completed its branch and candidateTag, paused its reason, candidate.created the new
        candidate's number and tag, approved its approvers (who, by name and role), finished its finalTag."""
        integ, case = self.slack()
        self.add_rule(integ, pattern="release.*")
        editor = self.ctx.org.editor
        rel, hook, full = self.regression(case, approvalRoles=["owner", "editor"], approvalCount=2)
        path = "/api/v1/%s/releases/%s/" % (self.tenant, rel["id"])
        self.expect(self.request("POST", path + "pause", {"reason": "waiting for legal"}), 200)
        self.expect(self.request("POST", path + "resume", {}), 200)
        self.fakes.register("github", {"repos": {full: {"branches": {"release/1.2.0": NEXT}, "commits": [HEAD, NEXT]}}})
        self.expect(self.request("POST", path + "new-candidate", {}), 200)
        rel = self.wait(rel["id"], lambda r: r["candidateNumber"] == 2 and len([b for b in r["builds"] if b["runId"]]) == 2,
                        "built candidate 2")
        self.finish("github", [b for b in rel["builds"] if b["candidateNumber"] == 2][0]["runId"], hook=hook)
        self.wait(rel["id"], lambda r: r["status"] == "REGRESSION", "reached REGRESSION again")
        self.expect(self.request("POST", path + "approve", {}), 200)
        self.assertEqual(self.expect(self.request("POST", path + "approve", {}, token=editor.token), 200)["status"], "READY")
        self.expect(self.request("POST", path + "finish", {}, token=editor.token), 200)
        self.wait(rel["id"], lambda r: r["status"] == "FINISHED", "finished")
        _, rows = fx.db_query(self.server, "SELECT name, payload FROM notification_events WHERE tenantId = ? AND subjectId = ?",
                              (self.tenant, rel["id"]))
        events = {name: json.loads(payload) for name, payload in rows}
        owner = self.expect(self.request("GET", "/api/v1/me"), 200)
        self.assertEqual({k: events["release.kickoff.completed"].get(k) for k in ("branch", "candidateTag")},
                         {"branch": "release/1.2.0", "candidateTag": "v1.2.0-rc.1"})
        self.assertEqual(events["release.paused"]["reason"], "waiting for legal")
        self.assertEqual({k: events["release.candidate.created"].get(k) for k in ("candidateNumber", "candidateTag")},
                         {"candidateNumber": 2, "candidateTag": "v1.2.0-rc.2"})
        self.assertEqual(events["release.approved"]["approvers"], [
            {"accountId": self.owner.id, "name": owner["name"], "role": "owner"},
            {"accountId": editor.id, "name": self.expect(self.request("GET", "/api/v1/me", token=editor.token), 200)["name"],
             "role": "editor"}])
        self.assertEqual(events["release.finished"]["finalTag"], "v1.2.0")
        self.assertNotIn("reason", events["release.resumed"], "only the fields its row names")

    def test_no_rule_no_delivery(self):
        self.release()
        time.sleep(0)  # nothing to wait for: the outbox is written with the change, or not at all
        self.assertEqual(self.deliveries(), [])

    # -- the rule API ---------------------------------------------------------------

    def test_rule_crud(self):
        integ, _ = self.slack()
        rule = self.add_rule(integ)
        path = "/api/v1/%s/notification-rules/%s" % (self.tenant, rule["id"])
        self.assertEqual(self.expect(self.request("GET", path, token=self.ctx.org.viewer.token), 200), rule)
        listed = self.expect(self.request("GET", "/api/v1/%s/notification-rules" % self.tenant), 200)["items"]
        self.assertEqual([r["id"] for r in listed], [rule["id"]])
        changed = self.expect(self.request("PUT", path, {"eventPattern": "release.kickoff.failed",
                                                         "integrationId": integ["id"], "channel": "dev-team"}), 200)
        self.assertEqual((changed["eventPattern"], changed["channel"]), ("release.kickoff.failed", "dev-team"))
        self.expect(self.request("DELETE", path), 204)
        self.expect(self.request("GET", path), 404)
        self.expect(self.request("DELETE", path), 404)
        catalogue = self.expect(self.request("GET", "/api/v1/%s/notification-events" % self.tenant), 200)["items"]
        self.assertIn("release.kickoff.failed", [e["name"] for e in catalogue])

    def assert_invalid(self, body, field):
        resp = self.request("POST", "/api/v1/%s/notification-rules" % self.tenant, body)
        got = self.expect(resp, 400)
        self.assertIn(field, [d.get("field") for d in got["error"].get("details", [])], got)

    def test_rule_negative(self):
        integ, _ = self.slack()
        ok = {"eventPattern": "release.*", "integrationId": integ["id"], "channel": "releases"}
        resp = self.server.request("POST", "/api/v1/%s/notification-rules" % self.tenant, raw=b'{"eventPattern": ',
                                   token=self.owner.token, headers={"Content-Type": "application/json"})
        self.expect(resp, 400)
        self.assert_invalid(dict(ok, colour="red"), "colour")
        self.assert_invalid(dict(ok, eventPattern=7), "eventPattern")
        for bad in ("release", "release.nope", "*.started", "release.kickoff.started.*", ""):
            self.assert_invalid(dict(ok, eventPattern=bad), "eventPattern")
        self.assert_invalid({k: v for k, v in ok.items() if k != "integrationId"}, "integrationId")
        self.assert_invalid({k: v for k, v in ok.items() if k != "channel"}, "channel")
        self.assert_invalid(dict(ok, integrationId=str(uuid.uuid4())), "integrationId")
        other = vf.Ctx(self.server, self.fakes)  # another tenant's Slack integration
        case = vf.build(other, "SLACK", True, True)
        theirs = other.create(case.body)
        self.assert_invalid(dict(ok, integrationId=theirs["id"]), "integrationId")
        mail = self.ctx.create(vf.build(self.ctx, "EMAIL", True, True).body)
        self.assert_invalid(dict(ok, integrationId=mail["id"]), "channel")  # its recipients say where it goes
        self.expect(self.request("GET", "/api/v1/%s/notification-rules" % self.tenant), 200)
        self.assertEqual(self.expect(self.request("GET", "/api/v1/%s/notification-rules" % self.tenant), 200)["items"], [])

    def test_rule_roles(self):
        integ, _ = self.slack()
        body = {"eventPattern": "release.*", "integrationId": integ["id"], "channel": "releases"}
        rule = self.add_rule(integ)
        for who in (self.ctx.org.editor, self.ctx.org.viewer):
            for method, path in (("POST", "/api/v1/{tenantId}/notification-rules"),
                                 ("PUT", "/api/v1/{tenantId}/notification-rules/" + rule["id"]),
                                 ("DELETE", "/api/v1/{tenantId}/notification-rules/" + rule["id"])):
                resp = self.request(method, path.format(tenantId=self.tenant), None if method == "DELETE" else body,
                                    token=who.token)
                baseline = self.request(method, path.format(tenantId=uuid.uuid4()), None if method == "DELETE" else body,
                                        token=who.token)
                harness.assert_same_not_found(self, resp, baseline)
            self.expect(self.request("GET", "/api/v1/%s/notification-deliveries" % self.tenant, token=who.token), 200)
        self.expect(self.request("GET", "/api/v1/%s/notification-deliveries?status=NOPE" % self.tenant), 400)
        other = harness.new_org(self.server)
        self.expect(self.request("GET", "/api/v1/%s/notification-rules/%s" % (other.id, rule["id"]),
                                 token=other.owner.token), 404)


class TeamsTest(VerifyTest):
    """Teams: an Adaptive Card per event through the incoming webhook (the fake checks the card's shape)."""

    @classmethod
    def setUpClass(cls):
        cls.fakes = vf.fakes()
        cls.server = vf.start_server(cls.fakes, extra={"SLIPWAY_TEAMS_WEBHOOK_HOSTS": "127.0.0.1"})

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_card_per_event(self):
        self.ctx = ctx = vf.Ctx(self.server, self.fakes)
        fx.ready_for_releases(self, self.server, ctx.token, ctx.tenant_id)
        url = self.fakes.url("webhooks") + "/webhookb2/" + fx.token("", 40)
        ctx.secrets.add(url)
        self.server.remember_secret(url)
        integ = ctx.create(fx.valid_body("TEAMS", teamsWebhookUrl=url, notifyOnEvents=[]))
        tenant = "/api/v1/%s" % ctx.tenant_id
        bad = self.server.request("POST", tenant + "/notification-rules", token=ctx.token, body={
            "eventPattern": "*", "integrationId": integ["id"], "channel": "general"})
        self.assertEqual(harness.expect(self, bad, 400)["error"]["details"][0]["field"], "channel")
        harness.expect(self, self.server.request("POST", tenant + "/notification-rules", token=ctx.token, body={
            "eventPattern": "release.kickoff.*", "integrationId": integ["id"]}), 201)
        scm_case = vf.build(ctx, "GITHUB", True, True)
        scm = ctx.create(scm_case.body)
        fx.set_verification(self.server, "scm", scm["id"], "VALID")
        self.fakes.register("github", {"repos": {scm_case.body["organization"] + "/" + scm_case.body["repoName"]: {
            "branches": {"main": HEAD}, "commits": [HEAD]}}})
        mark = self.fakes.mark()
        harness.expect(self, self.server.request("POST", tenant + "/releases", token=ctx.token, body={
            "version": "4.0.0", "releaseType": "MAJOR", "platforms": ["IOS"], "scmIntegrationId": scm["id"]}), 201)

        def settled():
            items = harness.expect(self, self.server.request("GET", tenant + "/notification-deliveries",
                                                             token=ctx.token), 200)["items"]
            return items if len(items) == 2 and all(d["status"] == "DELIVERED" for d in items) else None
        self.assertTrue(vf.wait_for(settled, 30), "both kickoff events delivered")
        cards = [r for r in self.fakes.requests("webhooks", mark) if r.get("path", "").startswith("/webhookb2/")]
        self.assertEqual([r["status"] for r in cards], [200, 200])
        self.assertIn("Release 4.0.0", cards[0]["body"])

    def test_card_names_the_approvers(self):
        """A deployment waiting for approval: the card's text is its message, then who is still to approve it, by
        name (Teams' incoming webhook cannot mention)."""
        self.ctx = ctx = vf.Ctx(self.server, self.fakes)
        url = self.fakes.url("webhooks") + "/webhookb2/" + fx.token("", 40)
        ctx.secrets.add(url)
        self.server.remember_secret(url)
        integ = ctx.create(fx.valid_body("TEAMS", teamsWebhookUrl=url, notifyOnEvents=[]))
        tenant = "/api/v1/%s" % ctx.tenant_id
        post = lambda path, body: harness.expect(self, self.server.request(  # noqa: E731
            "POST", tenant + path, token=ctx.token, body=body), 201)
        post("/notification-rules", {"eventPattern": "deployment.*", "integrationId": integ["id"]})
        host = post("/hosts", {"name": "box", "address": "127.0.0.1", "port": 22, "username": "deploy",
                               "authMethod": "password", "secret": "never-used-" + uuid.uuid4().hex})
        script = post("/deployment-scripts", {"name": "ship", "body": "true\n"})
        env = post("/environments", {"name": "production", "protected": True, "approverRoles": ["editor"]})
        mark = self.fakes.mark()
        post("/deployments", {"hostId": host["id"], "scriptId": script["id"], "environmentId": env["id"]})
        editor = harness.expect(self, self.server.request("GET", "/api/v1/me", token=ctx.org.editor.token), 200)
        cards = lambda: [json.loads(r["body"]) for r in self.fakes.requests("webhooks", mark)  # noqa: E731
                         if r.get("path", "").startswith("/webhookb2/")]
        self.assertTrue(vf.wait_for(cards, 30), "the card posted")
        text = cards()[0]["attachments"][0]["content"]["body"][2]["text"]
        self.assertIn("waiting for approvals: 0 of 1", text)
        self.assertTrue(text.endswith("\nApprovers: %s" % editor["name"]), text)


class KilledMidDeliveryTest(unittest.TestCase):
    """A process killed (SIGKILL) while Slack holds its root post: another process on the database delivers it,
    once (the held request was abandoned, so Slack never took it)."""

    def test_delivered_once_after_kill(self):
        client = vf.fakes()
        shared = vf.SharedDatabase(client)
        shared.env.update({"SLIPWAY_JOB_LEASE": "2", "SLIPWAY_JOB_POLL_MS": "100", "SLIPWAY_OUTBOUND_TIMEOUT": "60000"})
        held = None
        try:
            a = shared.start()
            ctx = vf.Ctx(a, client)
            fx.ready_for_releases(self, a, ctx.token, ctx.tenant_id)
            case = vf.build(ctx, "SLACK", True, True)
            case.body["notifyOnEvents"] = []
            integ = ctx.create(case.body)
            scm_case = vf.build(ctx, "GITHUB", True, True)
            scm = ctx.create(scm_case.body)
            fx.set_verification(a, "scm", scm["id"], "VALID")
            client.register("github", {"repos": {scm_case.body["organization"] + "/" + scm_case.body["repoName"]: {
                "branches": {"main": HEAD}, "commits": [HEAD]}}})
            tenant = "/api/v1/%s" % ctx.tenant_id
            harness.expect(self, a.request("POST", tenant + "/notification-rules", token=ctx.token, body={
                "eventPattern": "release.kickoff.started", "integrationId": integ["id"], "channel": "releases"}), 201)
            held = client.rule("slack", "hold", path="chat.postMessage", match=case.match, seconds=60)
            mark = client.mark()
            harness.expect(self, a.request("POST", tenant + "/releases", token=ctx.token, body={
                "version": "3.0.0", "releaseType": "MAJOR", "platforms": ["IOS"], "scmIntegrationId": scm["id"]}), 201)
            self.assertTrue(vf.wait_for(lambda: any(r.get("rule") for r in client.requests("slack", mark)), 20),
                            "A posts the root, and Slack holds it")
            shared.remember()
            b = shared.start(migrate=False)
            os.kill(a.pid, signal.SIGKILL)
            self.assertIsNotNone(a.wait_exit(10), "the killed process is gone")
            a.pid = None
            client.drop(held)
            held = None

            def delivered():
                items = harness.expect(self, b.request("GET", tenant + "/notification-deliveries", token=ctx.token),
                                       200)["items"]
                return items if items and items[0]["status"] == "DELIVERED" else None
            self.assertTrue(vf.wait_for(delivered, 30), "B delivers after A's lease runs out")
            items = delivered()
            ids = {c["id"] for c in case.info["channels"].values()}
            posted = [p for p in client.data("slack")["posted"] if p["channel"] in ids]
            self.assertEqual(len(posted), 1, "one root, posted once: %s" % posted)
            self.assertEqual((len(items), items[0]["attempts"], items[0]["messageRef"]), (1, 1, posted[0]["ts"]))
        finally:
            if held:
                client.drop(held)
            shared.close()


if __name__ == "__main__":
    unittest.main()
