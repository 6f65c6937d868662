"""Release trains and kickoff from CI (docs/releases.md, "Scheduled trains" and "Starting a release from CI").

The train: three tenants on one database set a schedule; the process is
stopped and the next one starts with the wall clock moved past the slot
(SLIPWAY_TEST_CLOCK_OFFSET_MS, test runs only). The first tenant's slot
starts exactly one release (the next minor version, kicked off against the
GitHub fake, "started by the train"); the second removed its schedule, so
nothing fires; the third's slot is more than an hour late, so it is skipped
with an audit note; the fourth's schedule has no job (saved before trains
existed) and the next process's start queues its next slot. A process
killed (-9) after the train fired and the one after it start nothing again. (Starting a release from CI: test_releases.py,
FromCiTest.)"""

import argparse
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
        # b and c fire nothing, so they need neither setup nor SCM: tenants of a's owner.
        b = argparse.Namespace(tenant_id=harness.new_tenant(first, a.token)["id"], token=a.token)
        c = argparse.Namespace(tenant_id=harness.new_tenant(first, a.token)["id"], token=a.token)
        harness.expect(self, first.request("POST", "/api/v1/%s/releases" % a.tenant_id,
                                           {"version": "1.4.2", "releaseType": "MINOR", "platforms": ["IOS"]},
                                           token=a.token), 201)
        config = self.put_config(first, a, {"schedule": schedule_at(slot)})
        self.assertEqual(config["schedule"], schedule_at(slot))
        self.put_config(first, b, {"schedule": schedule_at(slot)})
        self.put_config(first, b, {})  # removed: its slot's job finds no schedule
        self.put_config(first, c, {"schedule": schedule_at(now + datetime.timedelta(minutes=30), releaseType="MAJOR")})
        self.assertEqual([r["version"] for r in self.releases(first, a)], ["1.4.2"], "nothing fires before the slot")
        # d's schedule was saved before trains existed: no job; the next process's start queues its next slot.
        d = argparse.Namespace(tenant_id=harness.new_tenant(first, a.token)["id"], token=a.token)
        d_slot = slot + datetime.timedelta(days=1)
        self.put_config(first, d, {"schedule": schedule_at(d_slot)})
        fx.db_execute(first, "DELETE FROM jobs WHERE kind = 'release-train' AND tenantId = ?", (d.tenant_id,))
        first.stop()

        # The next process's clock is 30 s past a's slot, and 90 minutes past c's.
        offset_ms = int((slot - datetime.datetime.now(datetime.timezone.utc)).total_seconds() * 1000) + 30000
        self.shared.env["SLIPWAY_TEST_CLOCK_OFFSET_MS"] = str(offset_ms)
        second = self.shared.start(migrate=False)
        self.assertEqual([s for s, _ in self.train_jobs(second, d)], ["QUEUED"], "d's next slot, queued at start-up")
        self.assertIn(iso(d_slot), str(self.train_jobs(second, d)[0][1]))
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
        self.assertIn("missed by more than an hour", skipped[0]["details"]["reason"])
        self.assertEqual(skipped[0]["actorEmail"], "release train")
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


if __name__ == "__main__":
    unittest.main()
