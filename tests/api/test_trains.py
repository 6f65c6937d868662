"""Release trains and kickoff from CI (docs/releases.md, "Scheduled trains" and "Starting a release from CI").

The train: three tenants on one database set a schedule; the process is
stopped and the next one starts with the wall clock moved past the slot
(SLIPWAY_TEST_CLOCK_OFFSET_MS, test runs only). The first tenant's slot
starts exactly one release (the next minor version, kicked off against the
GitHub fake, "started by the train"); the second removed its schedule, so
nothing fires; the third's slot is more than an hour late, so it is skipped
with an audit note. A process killed (-9) after the train fired and the one
after it start nothing again. From CI: `version: "next"` (semver and calver)
and the Idempotency-Key header (the same key answers the same release)."""

import datetime
import os
import signal
import time
import unittest

import harness
import integration_fixtures as fx
import test_releases as tr
import verify_fixtures as vf

WAIT_SECONDS = 60  # a bound on each wait, not a measurement
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def tearDownModule():
    vf.stop_servers()


def wait_for(what, probe, seconds=WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("waited %d s for %s" % (seconds, what))


def schedule_at(moment, **extra):
    """The weekly schedule whose slot is moment (a UTC datetime, whole minutes)."""
    return dict({"weekday": WEEKDAYS[moment.weekday()], "time": moment.strftime("%H:%M"), "platforms": ["IOS"]}, **extra)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:00.000Z")


class TrainTest(unittest.TestCase):
    def setUp(self):
        self.client = vf.fakes()
        self.shared = vf.SharedDatabase(self.client)
        self.shared.env.update({"SLIPWAY_JOB_POLL_MS": "50"})

    def tearDown(self):
        self.shared.close()

    def tenant(self, server):
        """A tenant that may create releases, with a VALID GitHub connection on the fake: (ctx, repository case)."""
        ctx = vf.Ctx(server, self.client)
        fx.ready_for_releases(self, server, ctx.token, ctx.tenant_id)
        _, case = tr.connect_scm(ctx)
        return ctx, case

    def put_config(self, server, ctx, body):
        return harness.expect(self, server.request("PUT", "/api/v1/%s/release-configuration" % ctx.tenant_id, body,
                                                   token=ctx.token), 200)

    def releases(self, server, ctx):
        return harness.expect(self, server.request("GET", "/api/v1/%s/releases?limit=50" % ctx.tenant_id,
                                                   token=ctx.token), 200)["items"]

    def train_jobs(self, server, ctx):
        _, rows = fx.db_query(server, "SELECT state, payload FROM jobs WHERE kind = 'release-train' AND tenantId = ? "
                                      "ORDER BY runAt", (ctx.tenant_id,))
        return rows

    def test_slot_fires_once(self):
        first = self.shared.start()
        now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
        slot = now + datetime.timedelta(hours=2)
        a, case = self.tenant(first)
        b, _ = self.tenant(first)
        c, _ = self.tenant(first)
        harness.expect(self, first.request("POST", "/api/v1/%s/releases" % a.tenant_id,
                                           {"version": "1.4.2", "releaseType": "MINOR", "platforms": ["IOS"]},
                                           token=a.token), 201)
        config = self.put_config(first, a, {"schedule": schedule_at(slot)})
        self.assertEqual(config["schedule"], schedule_at(slot))
        self.put_config(first, b, {"schedule": schedule_at(slot)})
        self.put_config(first, b, {})  # removed: its slot's job finds no schedule
        self.put_config(first, c, {"schedule": schedule_at(now + datetime.timedelta(minutes=30), releaseType="MAJOR")})
        self.assertEqual([r["version"] for r in self.releases(first, a)], ["1.4.2"], "nothing fires before the slot")
        first.stop()

        # The next process's clock is 30 s past a's slot, and 90 minutes past c's.
        offset_ms = int((slot - datetime.datetime.now(datetime.timezone.utc)).total_seconds() * 1000) + 30000
        self.shared.env["SLIPWAY_TEST_CLOCK_OFFSET_MS"] = str(offset_ms)
        second = self.shared.start(migrate=False)
        made = wait_for("the train's release", lambda: [r for r in self.releases(second, a) if r["trainSlot"]])
        self.assertEqual(len(made), 1)
        rel = made[0]
        self.assertEqual((rel["version"], rel["releaseType"], rel["platforms"]), ("1.5.0", "MINOR", ["IOS"]))
        self.assertEqual(rel["trainSlot"], iso(slot))
        self.assertIsNone(rel["createdByAccountId"])
        path = "/api/v1/%s/releases/%s" % (a.tenant_id, rel["id"])
        rel = wait_for("kickoff", lambda: (lambda r: r if r["status"] != "KICKOFF" else None)(
            harness.expect(self, second.request("GET", path, token=a.token), 200)))
        self.assertEqual(rel["status"], "BUILDING", rel["events"])
        repo = tr.fake_repo(self.client, "GITHUB", case)
        self.assertEqual(repo["branches"]["release/1.5.0"], tr.HEAD)
        self.assertEqual(repo["tags"]["v1.5.0-rc.1"], tr.HEAD)
        create = [e for e in rel["events"] if e["name"] == "create"][0]
        self.assertIn("started by the train", create["message"])
        self.assertIsNone(create["actorAccountId"])
        audit = fx.audit_rows(self, second, a.token, a.tenant_id, action="release.create")
        self.assertEqual([row["actorEmail"] for row in audit if row["targetId"] == rel["id"]], ["release train"])

        # c's slot was missed by more than an hour: skipped, noted, and the next week's queued.
        skipped = wait_for("c's skip", lambda: fx.audit_rows(self, second, c.token, c.tenant_id, action="release.train.skip"))
        self.assertEqual(len(skipped), 1)
        self.assertEqual(self.releases(second, c), [])
        # b removed its schedule: its slot's job ended without a release.
        wait_for("b's slot", lambda: [row for row in self.train_jobs(second, b) if row[0] == "DONE"])
        self.assertEqual(self.releases(second, b), [])
        states = wait_for("a's next slot", lambda: (lambda rows: rows if len(rows) == 2 else None)(self.train_jobs(second, a)))
        self.assertEqual([s for s, _ in states], ["DONE", "QUEUED"], "the slot done, the next week's waiting")

        # Killed, and started again on the same clock: nothing fires twice.
        os.kill(second.pid, signal.SIGKILL)
        self.assertIsNotNone(second.wait_exit(10))
        second.pid = None
        third = self.shared.start(migrate=False)
        self.put_config(third, a, {"schedule": schedule_at(slot)})  # the same schedule again queues nothing new
        self.assertEqual([s for s, _ in self.train_jobs(third, a)], ["DONE", "QUEUED"])
        self.assertEqual(len([r for r in self.releases(third, a) if r["trainSlot"]]), 1)


class FromCiTest(tr.ReleaseBase):
    """POST .../releases as a CI job sends it: version "next" and an Idempotency-Key."""

    def create(self, version, release_type="MINOR", key=None):
        return self.request("POST", "/api/v1/%s/releases" % self.tenant,
                            {"version": version, "releaseType": release_type, "platforms": ["IOS"]},
                            token=self.ctx.org.editor.token, headers={"Idempotency-Key": key} if key else None)

    def test_next_semver(self):
        tr.connect_scm(self.ctx)
        self.assertEqual(harness.expect(self, self.create("next"), 201)["version"], "0.1.0")
        self.assertEqual(harness.expect(self, self.create("next", "MAJOR"), 201)["version"], "1.0.0")
        self.assertEqual(harness.expect(self, self.create("1.9.3-beta.1"), 201)["version"], "1.9.3-beta.1")
        self.assertEqual(harness.expect(self, self.create("next", "PATCH"), 201)["version"], "1.9.4")
        self.assertEqual(harness.expect(self, self.create("next", "MINOR"), 201)["version"], "1.10.0")

    def test_next_calver(self):
        tr.connect_scm(self.ctx)
        harness.expect(self, self.request("PUT", "/api/v1/%s/release-configuration" % self.tenant,
                                          {"versionScheme": "CALVER"}, token=self.owner.token), 200)
        first = harness.expect(self, self.create("next"), 201)["version"]
        month = first  # the server's month, YYYY.MM
        self.assertRegex(first, r"^\d{4}\.\d{2}$")
        self.assertEqual(harness.expect(self, self.create("next"), 201)["version"], month + ".1")
        self.assertEqual(harness.expect(self, self.create(month + ".7"), 201)["version"], month + ".7")
        self.assertEqual(harness.expect(self, self.create("next"), 201)["version"], month + ".8")

    def test_idempotency_key(self):
        tr.connect_scm(self.ctx)
        one = harness.expect(self, self.create("next", key="ci-run-41"), 201)
        again = harness.expect(self, self.create("next", key="ci-run-41"), 201)
        self.assertEqual((again["id"], again["version"]), (one["id"], one["version"]))
        other = harness.expect(self, self.create("next", key="ci-run-42"), 201)
        self.assertNotEqual(other["id"], one["id"])
        items = harness.expect(self, self.request("GET", "/api/v1/%s/releases" % self.tenant, token=self.owner.token),
                               200)["items"]
        self.assertEqual(len(items), 2)
        self.assertEqual(len(fx.audit_rows(self, self.server, self.owner.token, self.tenant, action="release.create")), 2)
        for bad in ("x" * 201, "two words"):
            resp = self.create("next", key=bad)
            self.assertEqual(harness.expect(self, resp, 400)["error"]["code"], "invalid_request", resp)
        # Another tenant's key is its own.
        other_ctx = vf.Ctx(self.server, self.fakes)
        fx.ready_for_releases(self, self.server, other_ctx.token, other_ctx.tenant_id)
        tr.connect_scm(other_ctx)
        theirs = harness.expect(self, self.request("POST", "/api/v1/%s/releases" % other_ctx.tenant_id,
                                                   {"version": "next", "releaseType": "MINOR", "platforms": ["IOS"]},
                                                   token=other_ctx.token, headers={"Idempotency-Key": "ci-run-41"}), 201)
        self.assertNotEqual(theirs["id"], one["id"])


if __name__ == "__main__":
    unittest.main()
