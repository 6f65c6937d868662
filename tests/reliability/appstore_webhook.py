#!/usr/bin/env python3
"""App Store Connect's webhook registered and deleted under kill -9 (docs/stores.md "App Store Connect's webhooks";
docs/reliability.md).

A tenant whose APP_STORE target is the fake, on one SQLite database shared by the processes, with a fixed
SLIPWAY_PUBLIC_URL (the webhook's URL is the same for every process, as in production).

Registration: the process running the store-webhook job is killed (SIGKILL) after Apple made the webhook (the fake
acted on POST /v1/webhooks; its answer is lost: the rule `lose`) and before the job recorded Apple's id. The next
process takes the job over once the lease runs out, lists the app's webhooks before it makes one, finds the one of
its URL and updates it: the app has one webhook, and the registration holds its id.

Deletion: the target is deleted while registered; the process running the deleting job is killed after Apple deleted
the webhook (DELETE /v1/webhooks/{id} acted on, its answer lost). The next process deletes it again, Apple answers 404,
which is success: the job is DONE, its secrets (the deleted target's credentials) wiped.

And one case without a kill: the target deleted while its registration's POST is held at the fake; the deleting job
waits for the registration's job to end, then deletes the webhook it made.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/appstore_webhook.py
"""

import json
import os
import signal
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import integration_fixtures as fx  # noqa: E402
import verify_fixtures as vf  # noqa: E402
import test_store_appstore as sa  # noqa: E402  (the tenant, key and app of the API tests)
from kickoff import LEASE_SECONDS, wait_for  # noqa: E402

PUBLIC_URL = "https://slipway.example.test/"


class AppStoreWebhookKillTest(unittest.TestCase):
    def setUp(self):
        self.client = vf.fakes()
        self.shared = vf.SharedDatabase(self.client)
        self.shared.env.update({"SLIPWAY_JOB_LEASE": str(LEASE_SECONDS), "SLIPWAY_JOB_POLL_MS": "50",
                                "SLIPWAY_OUTBOUND_TIMEOUT": "60000", "APPSTORE_CONNECT_TIMEOUT": "60000",
                                "SLIPWAY_PUBLIC_URL": PUBLIC_URL})
        self.rules = []
        self.server = self.shared.start()
        self.t = sa.AppStoreTest("test_webhook_registered_with_apple")
        self.t.server, self.t.fakes, self.t.mark = self.server, self.client, self.client.mark()
        self.t.prepare()
        self.shared.secrets |= self.t.ctx.secrets
        self.shared.remember()
        _, rows = fx.db_query(self.server, "SELECT id FROM tenant_target_integrations WHERE tenantId = ?", (self.t.tenant,))
        self.target = "/api/v1/%s/integrations/targets/%s" % (self.t.tenant, rows[0][0])
        self.hook = self.t.expect(self.t.request("POST", self.target + "/webhook"), 201)
        self.server.remember_secret(self.hook["secret"])
        self.shared.secrets.add(self.hook["secret"])

    def tearDown(self):
        for rule in self.rules:
            self.client.drop(rule)
        self.shared.close()

    def hooks(self):
        """The app's webhooks at the fake: {id: webhook}."""
        return {wid: w for wid, w in self.client.data("appstore")["webhooks"].items() if w["app"] == self.t.app}

    def kill(self, what, method, path, ask):
        """The call the fake acts on lost, the process running it killed, a new one started on the database."""
        def answered():
            return [r for r in self.client.requests("appstore", since)
                    if r.get("method") == method and r.get("path") == path and r.get("status") is not None]
        since = self.client.mark()
        self.rules.append(self.client.rule("appstore", "lose", method=method, path=path))
        ask()
        wait_for(what, answered)
        os.kill(self.server.pid, signal.SIGKILL)
        self.assertIsNotNone(self.server.wait_exit(10), "the killed process is gone")
        self.server.pid = None
        self.client.drop(self.rules.pop())
        self.server = self.t.server = self.t.ctx.server = self.shared.start(migrate=False)

    def test_registration_killed_after_apple_made_it(self):
        path = self.target + "/webhook/registration"
        start = self.client.mark()
        asked = {}
        self.kill("Apple to make the webhook", "POST", "/v1/webhooks",
                  lambda: asked.update(self.t.expect(self.t.request("POST", path), 202)))
        self.assertEqual(len(self.hooks()), 1, "made by the killed process")
        reg = self.t.registration(path, asked["jobId"], "registered after the kill")
        (wid, w), = self.hooks().items()
        self.assertEqual((reg["status"], reg["appleWebhookId"]), ("REGISTERED", wid))
        self.assertEqual(w["url"], PUBLIC_URL.rstrip("/") + self.hook["path"])
        writes = [(r["method"], r["path"], r["status"]) for r in self.client.requests("appstore", start)
                  if r.get("method") in ("POST", "PATCH") and r.get("path", "").startswith("/v1/webhooks")]
        self.assertEqual(writes, [("POST", "/v1/webhooks", 201), ("PATCH", "/v1/webhooks/" + wid, 200)],
                         "made once; the resumed job found it by its URL and updated it")
        print("appstore_webhook: killed after Apple made the webhook; one webhook, its id recorded")

    def test_deletion_killed_after_apple_deleted_it(self):
        path = self.target + "/webhook/registration"
        reg = self.t.registration(path, self.t.expect(self.t.request("POST", path), 202)["jobId"], "registered")
        wid = reg["appleWebhookId"]
        start = self.client.mark()
        self.kill("Apple to delete the webhook", "DELETE", "/v1/webhooks/" + wid,
                  lambda: self.t.expect(self.t.request("DELETE", self.target), 204))
        self.assertEqual(self.hooks(), {}, "deleted by the killed process")
        key = "store-webhook-delete:" + self.target.rsplit("/", 1)[1]

        def ended():
            _, r = fx.db_query(self.server, "SELECT state, secrets, output, attempts FROM jobs WHERE dedupeKey = ?", (key,))
            return r[0] if r and r[0][0] in ("DONE", "FAILED") else None
        state, secrets, output, attempts = wait_for("the deleting job to end", ended)
        self.assertEqual((state, secrets, json.loads(output)["deleted"]), ("DONE", None, True))
        self.assertGreaterEqual(attempts, 2, "taken over from the killed process")
        deletes = [r["status"] for r in self.client.requests("appstore", start)
                   if (r.get("method"), r.get("path")) == ("DELETE", "/v1/webhooks/" + wid)]
        self.assertEqual(deletes, [204, 404], "deleted by the killed process; gone for the next, which is done")
        print("appstore_webhook: killed after Apple deleted the webhook; the next process's 404 ends the job DONE")

    def test_deleted_while_registering(self):
        """Not a kill: the target deleted while its registration's POST is held at the fake (Apple has not made the
        webhook yet). The deleting job waits for the registration's job to end, then finds the webhook by its URL."""
        path = self.target + "/webhook/registration"
        start = self.client.mark()
        self.rules.append(self.client.rule("appstore", "hold", method="POST", path="/v1/webhooks"))
        job = self.t.expect(self.t.request("POST", path), 202)["jobId"]
        wait_for("the POST to be held", lambda: [r for r in self.client.requests("appstore", start)
                                                 if (r.get("method"), r.get("path")) == ("POST", "/v1/webhooks")])
        self.t.expect(self.t.request("DELETE", self.target), 204)
        key = "store-webhook-delete:" + self.target.rsplit("/", 1)[1]
        wait_for("the deleting job to wait for the registration", lambda: fx.db_query(
            self.server, "SELECT state FROM jobs WHERE dedupeKey = ?", (key,))[1] == [("WAITING",)])
        self.client.drop(self.rules.pop())  # Apple makes the webhook now
        wait_for("the registration's job to end", lambda: fx.db_query(
            self.server, "SELECT state FROM jobs WHERE id = ?", (job,))[1] == [("DONE",)])

        def ended():
            _, r = fx.db_query(self.server, "SELECT state, output FROM jobs WHERE dedupeKey = ?", (key,))
            return r[0] if r and r[0][0] in ("DONE", "FAILED") else None
        state, output = wait_for("the deleting job to end", ended)
        self.assertEqual((state, json.loads(output)["deleted"], self.hooks()), ("DONE", True, {}))
        writes = [(r["method"], r["status"]) for r in self.client.requests("appstore", start)
                  if r.get("method") in ("POST", "DELETE") and r.get("path", "").startswith("/v1/webhooks")]
        self.assertEqual(writes, [("POST", 201), ("DELETE", 204)], "made by the registration, then deleted")
        print("appstore_webhook: deleted while registering; the webhook made then is deleted after")


if __name__ == "__main__":
    unittest.main()
