"""Outbound webhooks (docs/notifications.md): a tenant's endpoints (CRUD, the secret shown once and rotatable, a ping),
each matching event delivered once, signed the Standard Webhooks way, which the receiving fake checks with its own
implementation of the convention; a failure retried with backoff; the SSRF guard; the delivery log; an endpoint that
keeps failing disabled, with an event, and enabled again; a process killed mid-delivery (delivered once by another)."""

import datetime
import json
import os
import signal
import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest

HEAD = "1111111111111111111111111111111111111111"


def tearDownModule():
    vf.stop_servers()


def iso_ms(text):
    """Milliseconds since the epoch of a timestamp as slipway writes it (2026-12-07T04:54:01.123Z)."""
    at = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return round(at.timestamp() * 1000)


def endpoint_body(url, events=("release.*",), **extra):
    return dict({"url": url, "events": list(events)}, **extra)


class EndpointsBase(VerifyTest):
    def request(self, method, path, body=None, token=None, **kw):
        return self.server.request(method, path, body=body, token=token or self.owner.token, **kw)

    def expect(self, resp, status):
        return harness.expect(self, resp, status)

    def setUp(self):
        super().setUp()
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner
        self.base = "/api/v1/%s" % self.tenant

    # -- helpers ------------------------------------------------------------------

    def receiver(self):
        """A fresh name at the fake's receiver, and its URL."""
        name = uuid.uuid4().hex[:12]
        return name, self.fakes.url("webhooks") + "/outbound/" + name

    def add(self, events=("release.*",), register=True, **extra):
        name, url = self.receiver()
        made = self.expect(self.request("POST", self.base + "/webhook-endpoints", endpoint_body(url, events, **extra)), 201)
        self.server.remember_secret(made["secret"])
        if register:
            self.fakes.register("webhooks", {"endpoints": {name: made["secret"]}})
        return made, name

    def received(self, name):
        return [r for r in self.fakes.data("webhooks")["received"] if r["endpoint"] == name]

    def deliveries(self, **query):
        qs = "&".join("%s=%s" % kv for kv in query.items())
        return self.expect(self.request("GET", self.base + "/webhook-deliveries?" + qs), 200)["items"]

    def settle(self, count, seconds=30, **query):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            items = self.deliveries(**query)
            if len(items) >= count and all(d["status"] not in ("PENDING",) for d in items):
                return items
            time.sleep(0.2)
        self.fail("deliveries did not settle: %s" % self.deliveries(**query))

    def release(self, version="1.2.0"):
        fx.ready_for_releases(self, self.server, self.owner.token, self.tenant)
        case = vf.build(self.ctx, "GITHUB", True, True)
        scm = self.ctx.create(case.body)
        fx.set_verification(self.server, "scm", scm["id"], "VALID")
        self.fakes.register("github", {"repos": {case.body["organization"] + "/" + case.body["repoName"]: {
            "branches": {"main": HEAD}, "commits": [HEAD]}}})
        return self.expect(self.request("POST", self.base + "/releases", {
            "version": version, "releaseType": "MINOR", "platforms": ["IOS"], "scmIntegrationId": scm["id"]}), 201)


class EndpointsTest(EndpointsBase):
    # -- the API --------------------------------------------------------------------

    def test_crud_and_secret_once(self):
        made, _ = self.add(description="CI bridge")
        self.assertRegex(made["secret"], r"^whsec_[A-Za-z0-9+/]{32}$")
        path = self.base + "/webhook-endpoints/" + made["id"]
        got = self.expect(self.request("GET", path), 200)
        self.assertNotIn("secret", got)
        self.assertEqual((got["events"], got["enabled"], got["description"]), (["release.*"], True, "CI bridge"))
        listed = self.expect(self.request("GET", self.base + "/webhook-endpoints"), 200)
        self.assertEqual([e["id"] for e in listed["items"]], [made["id"]])
        vf.assert_no_secret(self, json.dumps(listed), [made["secret"]], "the list")
        changed = self.expect(self.request("PUT", path, endpoint_body(made["url"], ["build.*", "release.finished"],
                                                                       enabled=False)), 200)
        self.assertEqual((changed["events"], changed["enabled"], changed["description"]),
                         (["build.*", "release.finished"], False, None))
        rotated = self.expect(self.request("POST", path + "/rotate-secret"), 200)
        self.server.remember_secret(rotated["secret"])
        self.assertNotEqual(rotated["secret"], made["secret"])
        self.assertRegex(rotated["secret"], r"^whsec_")
        self.expect(self.request("DELETE", path), 204)
        self.expect(self.request("GET", path), 404)
        self.expect(self.request("DELETE", path), 404)

    def assert_invalid(self, body, field):
        got = self.expect(self.request("POST", self.base + "/webhook-endpoints", body), 400)
        self.assertIn(field, [d.get("field") for d in got["error"].get("details", [])], got)

    def test_negative(self):
        _, url = self.receiver()
        ok = endpoint_body(url)
        self.assert_invalid(dict(ok, url="http://hooks.example.com/x"), "url")
        self.assert_invalid(dict(ok, url="https://user:pw@hooks.example.com/x"), "url")
        self.assert_invalid(dict(ok, url="not a url"), "url")
        self.assert_invalid(dict(ok, events=[]), "events")
        self.assert_invalid(dict(ok, events="release.*"), "events")
        for bad in ("release", "release.nope", "*.started", 7):
            self.assert_invalid(dict(ok, events=[bad]), "events")
        self.assert_invalid(dict(ok, colour="red"), "colour")
        self.assert_invalid(dict(ok, enabled="yes"), "enabled")
        self.assert_invalid({"events": ["*"]}, "url")
        made, _ = self.add()
        path = "/api/v1/{tenantId}/webhook-endpoints/" + made["id"]
        for who in (self.ctx.org.editor, self.ctx.org.viewer):
            for method, suffix in (("GET", ""), ("PUT", ""), ("DELETE", ""), ("POST", "/rotate-secret"), ("POST", "/ping")):
                body = ok if method == "PUT" else None
                resp = self.request(method, path.format(tenantId=self.tenant) + suffix, body, token=who.token)
                baseline = self.request(method, path.format(tenantId=uuid.uuid4()) + suffix, body, token=who.token)
                harness.assert_same_not_found(self, resp, baseline)
            self.expect(self.request("GET", self.base + "/webhook-deliveries", token=who.token), 200)
        other = harness.new_org(self.server)
        self.expect(self.request("GET", "/api/v1/%s/webhook-endpoints/%s" % (other.id, made["id"]),
                                 token=other.owner.token), 404)
        self.expect(self.request("POST", "/api/v1/%s/webhook-endpoints/%s/ping" % (other.id, made["id"]),
                                 token=other.owner.token), 404)
        self.expect(self.request("GET", self.base + "/webhook-deliveries?status=NOPE"), 400)
        self.expect(self.request("GET", self.base + "/webhook-deliveries?endpointId=nope"), 400)

    # -- delivery -------------------------------------------------------------------

    def test_events_delivered_signed_once(self):
        made, name = self.add(events=["release.kickoff.*"])
        off, off_name = self.add(events=["*"], enabled=False)
        rel = self.release()
        items = self.settle(2)
        self.assertEqual(sorted(d["eventName"] for d in items), ["release.kickoff.completed", "release.kickoff.started"])
        self.assertTrue(all((d["status"], d["attempts"], d["responseCode"], d["endpointId"]) ==
                            ("DELIVERED", 1, 200, made["id"]) for d in items), items)
        got = self.received(name)
        self.assertEqual(sorted(r["id"] for r in got), sorted(d["id"] for d in items), "webhook-id: the delivery's id")
        bodies = {json.loads(r["body"])["event"]: json.loads(r["body"]) for r in got}
        started = bodies["release.kickoff.started"]
        self.assertEqual((started["tenantId"], started["release"]["id"], started["release"]["version"]),
                         (self.tenant, rel["id"], "1.2.0"))
        self.assertEqual(self.received(off_name), [], "a disabled endpoint gets nothing")
        self.assertEqual(self.deliveries(endpointId=off["id"]), [])
        self.assertEqual(len(self.deliveries(endpointId=made["id"], status="DELIVERED")), 2)

    def test_ping_and_retry(self):
        made, name = self.add()
        self.rule("webhooks", "500", path="/outbound/" + name, times=1)
        ping = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        first = self.settle(1)
        self.assertEqual(first[0]["id"], ping["deliveryId"])

        def delivered():
            items = self.deliveries()
            return items if items and items[0]["status"] == "DELIVERED" else None
        self.assertTrue(vf.wait_for(delivered, 20), "tried again after its backoff: %s" % self.deliveries())
        d = delivered()[0]
        self.assertEqual((d["eventName"], d["attempts"], d["responseCode"], d["lastError"]), ("webhook.ping", 2, 200, None))
        got = self.received(name)
        self.assertEqual([r["id"] for r in got], [d["id"]])
        self.assertEqual(json.loads(got[0]["body"])["endpointId"], made["id"])
        usage = self.expect(self.request("GET", self.base + "/usage"), 200)["totals"]  # docs/sites.md "Usage metering"
        self.assertEqual(usage["notificationsSent"], 1, "the delivery the endpoint took, once; its 500 is no send")

    def test_retried_over_about_a_day(self):
        """An endpoint that never takes it: the delivery's job waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h between
        its 8 attempts (about 27.6 h in all: Standard Webhooks' schedule less its immediate retry), each wait a job row
        with that deadline (moved to now here, so the test does not wait a day), then FAILED with its last answer."""
        made, name = self.add()
        self.rule("webhooks", "500", path="/outbound/" + name)
        ping = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        key = "webhook-retry:%s" % ping["deliveryId"]
        waits = []
        for attempt in range(1, 8):
            def waiting():
                _, rows = fx.db_query(self.server, "SELECT id, runAt, updatedAt FROM jobs WHERE eventKey = ? AND state = "
                                      "'WAITING'", (key,))
                [d] = self.deliveries()
                return rows if rows and d["attempts"] == attempt and d["status"] == "RETRYING" else None
            self.assertTrue(vf.wait_for(waiting, 30), "attempt %d made, its retry waiting: %s" % (attempt, self.deliveries()))
            [(job, run_at, updated)] = waiting()
            waits.append(round((iso_ms(run_at) - iso_ms(updated)) / 1000))
            now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            fx.db_execute(self.server, "UPDATE jobs SET runAt = ? WHERE id = ?", (now, job))
        [d] = self.settle(1, seconds=30, status="FAILED")
        self.assertEqual((d["attempts"], d["responseCode"]), (8, 500))
        self.assertEqual(waits, [5, 300, 1800, 7200, 18000, 36000, 36000])
        self.assertEqual(len(self.received(name)), 0)

    def test_redeliver_keeps_webhook_id(self):
        made = self.expect(self.request("POST", self.base + "/webhook-endpoints",
                                        endpoint_body("https://169.254.169.254/hook")), 201)
        self.server.remember_secret(made["secret"])
        ping = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        failed = self.settle(1)[0]  # the guard refuses the address: FAILED at once
        self.assertEqual((failed["id"], failed["status"], failed["attempts"]), (ping["deliveryId"], "FAILED", 1), failed)
        name, url = self.receiver()
        self.expect(self.request("PUT", self.base + "/webhook-endpoints/" + made["id"], endpoint_body(url)), 200)
        self.fakes.register("webhooks", {"endpoints": {name: made["secret"]}})
        path = self.base + "/webhook-endpoints/%s/deliveries/%s/redeliver" % (made["id"], failed["id"])

        def attempted(n):
            items = self.deliveries()
            return items if items[0]["status"] == "DELIVERED" and items[0]["attempts"] == n else None
        for n in (2, 3):  # the failed one, then a delivered one again
            self.assertEqual(self.expect(self.request("POST", path), 202), {"deliveryId": failed["id"]})
            self.assertTrue(vf.wait_for(lambda: attempted(n), 20), "redelivered: %s" % self.deliveries())
        got = self.received(name)
        self.assertEqual([r["id"] for r in got], [failed["id"]] * 2, "the same webhook-id, so the receiver can drop it")
        self.assertEqual(got[0]["body"], got[1]["body"])
        self.assertEqual(len(self.deliveries()), 1, "a redelivery is no new delivery")

        stuck, stuck_name = self.add()  # answers 500 throughout: RETRYING, its third attempt minutes away
        self.rule("webhooks", "500", path="/outbound/" + stuck_name)
        busy = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % stuck["id"]), 202)
        self.assertEqual(self.settle(1, endpointId=stuck["id"])[0]["status"], "RETRYING")
        self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/deliveries/%s/redeliver" %
                                 (stuck["id"], busy["deliveryId"])), 409)
        # another endpoint's, an unknown, another tenant's delivery: 404; editors and viewers: 404 as for a stranger
        for endpoint, delivery in ((stuck["id"], failed["id"]), (made["id"], uuid.uuid4()), (made["id"], "nope")):
            self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/deliveries/%s/redeliver" %
                                     (endpoint, delivery)), 404)
        stranger = harness.new_org(self.server)
        self.expect(self.request("POST", path.replace(self.tenant, stranger.id), token=stranger.owner.token), 404)
        for who in (self.ctx.org.editor, self.ctx.org.viewer):
            harness.assert_same_not_found(self, self.request("POST", path, token=who.token),
                                          self.request("POST", path.replace(self.tenant, str(uuid.uuid4())),
                                                       token=who.token))

    def test_rotated_secret_signs(self):
        made, name = self.add()
        rotated = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/rotate-secret" % made["id"]), 200)
        self.server.remember_secret(rotated["secret"])
        self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        d = self.settle(1)[0]  # the receiver still holds the old secret: the signature is refused
        self.assertEqual((d["status"], d["attempts"], d["responseCode"]), ("RETRYING", 1, 401), d)
        self.assertIn("401", d["lastError"])
        self.fakes.register("webhooks", {"endpoints": {name: rotated["secret"]}})
        self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        self.assertTrue(vf.wait_for(lambda: self.received(name), 20), "signed with the new secret")

    def test_rotation_overlap_signs_with_both(self):
        made, name = self.add()
        path = self.base + "/webhook-endpoints/%s/rotate-secret" % made["id"]
        for bad in ({"overlapSeconds": -1}, {"overlapSeconds": 604801}, {"overlapSeconds": "60"}, {"overlap": 60}):
            self.expect(self.request("POST", path, bad), 400)
        self.assertIsNone(made["previousSecretUntil"])
        rotated = self.expect(self.request("POST", path, {"overlapSeconds": 3600}), 200)
        self.server.remember_secret(rotated["secret"])
        self.assertNotEqual(rotated["secret"], made["secret"])
        # the answer and the endpoint say when the overlap ends: an hour after the rotation
        until = rotated["previousSecretUntil"]
        self.assertEqual(self.expect(self.request("GET", self.base + "/webhook-endpoints/" + made["id"]), 200)
                         ["previousSecretUntil"], until)
        self.assertEqual(iso_ms(until) - iso_ms(rotated["secretRotatedAt"]), 3600 * 1000)
        # the receiver holds the old secret, then the new one: during the overlap each finds its signature
        for secret in (made["secret"], rotated["secret"]):
            self.fakes.register("webhooks", {"endpoints": {name: secret}})
            ping = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
            self.assertTrue(vf.wait_for(lambda: ping["deliveryId"] in [r["id"] for r in self.received(name)], 20),
                            "verified with %s secret: %s" % ("the old" if secret == made["secret"] else "the new",
                                                             self.deliveries()))
        # a rotation without an overlap ends the old one at once, and the overlap's too
        again = self.expect(self.request("POST", path), 200)
        self.server.remember_secret(again["secret"])
        self.assertIsNone(again["previousSecretUntil"])
        ping = self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        d = self.settle(3)[0]
        self.assertEqual((d["id"], d["status"], d["responseCode"]), (ping["deliveryId"], "RETRYING", 401), d)

    def test_ssrf_guard(self):
        made = self.expect(self.request("POST", self.base + "/webhook-endpoints",
                                        endpoint_body("https://169.254.169.254/latest/meta-data")), 201)
        self.server.remember_secret(made["secret"])
        self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)
        d = self.settle(1)[0]
        self.assertEqual((d["status"], d["attempts"], d["responseCode"]), ("FAILED", 1, None), d)
        self.assertIn("may not call", d["lastError"])
        self.assertNotIn("169.254", d["lastError"])


class DisabledAfterFailuresTest(EndpointsBase):
    """A server that disables an endpoint after 3 failed attempts in a row (over any span: the production period of 5
    days is a setting, 0 here)."""

    @classmethod
    def setUpClass(cls):
        cls.fakes = vf.fakes()
        cls.server = vf._servers["disable"] = vf.start_server(cls.fakes, extra={
            "SLIPWAY_WEBHOOK_DISABLE_FAILURES": "3", "SLIPWAY_WEBHOOK_DISABLE_PERIOD": "0"})

    def endpoint(self, made):
        return self.expect(self.request("GET", self.base + "/webhook-endpoints/" + made["id"]), 200)

    def ping(self, made):
        return self.expect(self.request("POST", self.base + "/webhook-endpoints/%s/ping" % made["id"]), 202)

    def test_disabled_with_an_event_and_enabled_again(self):
        watcher, watcher_name = self.add(events=["webhook.endpoint.*"])
        failing, name = self.add(events=["*"], description="flaky")
        failing_rule = self.rule("webhooks", "500", path="/outbound/" + name)
        for n in (1, 2):  # below the count: still on, the run counted
            self.ping(failing)
            self.settle(n, endpointId=failing["id"])
            got = self.endpoint(failing)
            self.assertEqual((got["enabled"], got["failureCount"], got["disabledAt"]), (True, n, None), got)
            self.assertIsNotNone(got["failingSince"])
        self.ping(failing)
        self.assertTrue(vf.wait_for(lambda: not self.endpoint(failing)["enabled"], 20), "the third failure disables it")
        got = self.endpoint(failing)
        self.assertEqual(got["failureCount"], 3)
        self.assertIsNotNone(got["disabledAt"])
        self.assertIn("3 failed attempts in a row", got["disabledReason"])
        items = self.settle(3, endpointId=failing["id"])
        self.assertEqual([d["status"] for d in items], ["FAILED"] * 3, "no more retries: kept, marked")
        self.assertEqual(sorted(d["lastError"] for d in items)[-1], "the endpoint answered 500")
        self.assertIn("not attempted again: the endpoint was disabled", [d["lastError"] for d in items])
        told = self.settle(1, endpointId=watcher["id"])
        self.assertEqual((told[0]["eventName"], told[0]["status"]), ("webhook.endpoint.disabled", "DELIVERED"), told)
        body = json.loads(self.received(watcher_name)[0]["body"])
        self.assertEqual((body["event"], body["endpointId"], body["failures"], body["tenantId"]),
                         ("webhook.endpoint.disabled", failing["id"], 3, self.tenant))
        self.assertNotIn(failing["url"], json.dumps(body), "the URL may carry a token")
        # enabled again (PUT): its count starts anew
        path = self.base + "/webhook-endpoints/" + failing["id"]
        again = self.expect(self.request("PUT", path, endpoint_body(failing["url"], ["*"], enabled=True)), 200)
        self.assertEqual((again["enabled"], again["failureCount"], again["failingSince"], again["disabledAt"],
                          again["disabledReason"]), (True, 0, None, None, None), again)
        # one failure, then a success: the run ends
        self.ping(failing)
        self.settle(4, endpointId=failing["id"])
        self.assertEqual(self.endpoint(failing)["failureCount"], 1)
        self.fakes.drop(failing_rule)
        self.rules.remove(failing_rule)
        self.ping(failing)
        self.assertTrue(vf.wait_for(lambda: self.endpoint(failing)["failureCount"] == 0, 20), "a 2xx ends the run")
        got = self.endpoint(failing)
        self.assertEqual((got["enabled"], got["failingSince"]), (True, None), got)


def held_endpoint(test, ctx):
    """An endpoint of ctx's tenant at the receiver, which holds every request it gets: (made, its name, the rule)."""
    name = uuid.uuid4().hex[:12]
    made = harness.expect(test, ctx.server.request("POST", "/api/v1/%s/webhook-endpoints" % ctx.tenant_id, token=ctx.token,
                                                   body=endpoint_body(ctx.fakes.url("webhooks") + "/outbound/" + name)), 201)
    ctx.server.remember_secret(made["secret"])
    ctx.fakes.register("webhooks", {"endpoints": {name: made["secret"]}})
    return made, name, ctx.fakes.rule("webhooks", "hold", path="/outbound/" + name, seconds=60)


class KilledMidDeliveryTest(unittest.TestCase):
    """A process killed (SIGKILL) while the endpoint holds its delivery: another process on the database delivers it,
    once (the held request was abandoned, so the receiver never took it)."""

    def test_delivered_once_after_kill(self):
        client = vf.fakes()
        shared = vf.SharedDatabase(client)
        shared.env.update({"SLIPWAY_JOB_LEASE": "2", "SLIPWAY_JOB_POLL_MS": "100", "SLIPWAY_OUTBOUND_TIMEOUT": "60000"})
        held = None
        try:
            a = shared.start()
            ctx = vf.Ctx(a, client)
            tenant = "/api/v1/%s" % ctx.tenant_id
            made, name, held = held_endpoint(self, ctx)
            mark = client.mark()
            harness.expect(self, a.request("POST", tenant + "/webhook-endpoints/%s/ping" % made["id"], token=ctx.token), 202)
            self.assertTrue(vf.wait_for(lambda: any(r.get("rule") for r in client.requests("webhooks", mark)), 20),
                            "A posts, and the endpoint holds it")
            shared.remember()
            b = shared.start(migrate=False)
            b.remember_secret(made["secret"])
            os.kill(a.pid, signal.SIGKILL)
            self.assertIsNotNone(a.wait_exit(10), "the killed process is gone")
            a.pid = None
            client.drop(held)
            held = None

            def delivered():
                items = harness.expect(self, b.request("GET", tenant + "/webhook-deliveries", token=ctx.token), 200)["items"]
                return items if items and items[0]["status"] == "DELIVERED" else None
            self.assertTrue(vf.wait_for(delivered, 30), "B delivers after A's lease runs out")
            items = delivered()
            got = [r for r in client.data("webhooks")["received"] if r["endpoint"] == name]
            self.assertEqual([r["id"] for r in got], [items[0]["id"]], "taken once")
            self.assertEqual((len(items), items[0]["attempts"]), (1, 1))
        finally:
            if held:
                client.drop(held)
            shared.close()


@unittest.skipUnless(harness.BACKEND == "sqlite", "the limit is counted in memory, whatever the database: once is enough")
class SlowEndpointTest(unittest.TestCase):
    """ENDPOINT_IN_FLIGHT_MAX (src/notify/endpoints.h): twelve pings to an endpoint that holds every request; eight
    reach it, the rest wait as rows until answers come, then all twelve are delivered, each once. Its own server:
    the shared one gives up on a call after a second, which would free the eight."""

    def test_at_most_eight_in_flight(self):
        client = vf.fakes()
        shared = vf.SharedDatabase(client)
        shared.env.update({"SLIPWAY_OUTBOUND_TIMEOUT": "60000"})
        held = None
        try:
            server = shared.start()
            ctx = vf.Ctx(server, client)
            base = "/api/v1/%s" % ctx.tenant_id
            made, name, held = held_endpoint(self, ctx)
            mark = client.mark()
            for _ in range(12):
                harness.expect(self, server.request("POST", base + "/webhook-endpoints/%s/ping" % made["id"],
                                                    token=ctx.token), 202)

            def arrived():
                return [r for r in client.requests("webhooks", mark) if r.get("path") == "/outbound/" + name]
            self.assertTrue(vf.wait_for(lambda: len(arrived()) >= 8, 20), "eight reach it: %d" % len(arrived()))
            time.sleep(3)  # no answer meanwhile: none may reach it while eight are held
            self.assertEqual(len(arrived()), 8)
            # the four others wait in line to be called back by an answer, not on a clock of their own: each was
            # refused once (its first try), none woke to be refused again
            turns = fx.db_query(server, "SELECT data FROM jobs WHERE kind = 'webhook-delivery' AND state = 'WAITING'")[1]
            self.assertEqual(sorted(json.loads(t[0]).get("turns") for t in turns), [1, 1, 1, 1], turns)
            client.drop(held)
            held = None

            def delivered():
                items = harness.expect(self, server.request("GET", base + "/webhook-deliveries?limit=50",
                                                            token=ctx.token), 200)["items"]
                return items if len(items) == 12 and all(d["status"] == "DELIVERED" for d in items) else None
            # called back by the answers (their deadlines are minutes away)
            self.assertTrue(vf.wait_for(delivered, 20), "all twelve delivered once the endpoint answers")
            got = [r["id"] for r in client.data("webhooks")["received"] if r["endpoint"] == name]
            self.assertEqual(sorted(got), sorted(d["id"] for d in delivered()), "each once")
        finally:
            if held:
                client.drop(held)
            shared.close()


if __name__ == "__main__":
    unittest.main()
