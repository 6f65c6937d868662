#!/usr/bin/env python3
"""Usage roll-up under kill -9 (docs/sites.md "Usage metering"; docs/reliability.md).

One tenant's site is viewed, its usage read (which flushes the counts into
usage_events: from then on they are the database's), and the process is
killed (SIGKILL) at a random moment within the next 1.2 s, while the
usage-rollup job (every second) may be half-way through a batch; the next
process on the same SQLite database goes on. At the end every event has been
rolled up, and tenant_usage holds exactly the page views made: none lost,
none counted twice.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/usage_rollup.py [KILLS]
"""

import os
import random
import signal
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402
from harness import dbclient  # noqa: E402

KILLS = int(sys.argv.pop(1)) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 5
ENV = dict(harness.SHARED_ENV, SLIPWAY_USAGE_FLUSH="1", SLIPWAY_USAGE_ROLLUP="1", SLIPWAY_JOB_POLL_MS="20",
           SLIPWAY_JOB_LEASE="2", SLIPWAY_ARGON2_MEMORY="8")
WAIT_SECONDS = 60  # a bound on the final wait, not a measurement


class UsageRollupKillTest(unittest.TestCase):
    def test_each_event_counted_once(self):
        database = harness.new_database(tempfile.mkdtemp(prefix="slipway-usage-"))
        url = harness.database_url(database)
        server = fx.IntegrationServer(ENV, database=database).start()
        admin = server.admin
        org = harness.new_org(server)
        site = harness.expect(self, server.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "usage-kill", "name": "U"},
                                                   token=org.editor.token), 201)
        usage = lambda s: harness.expect(self, s.request("GET", "/api/v1/%s/usage" % org.id, token=org.owner.token), 200)
        rng, expected = random.Random(19), 0
        for _ in range(KILLS):
            views = 20 + rng.randrange(30)
            for _ in range(views):
                self.assertEqual(server.request("GET", "/s/usage-kill/").status, 200)
            expected += views
            self.assertEqual(usage(server)["totals"]["pageViews"], expected, "flushed before the kill: exact")
            time.sleep(rng.uniform(0, 1.2))  # where the kill falls, not what passes
            os.kill(server.pid, signal.SIGKILL)
            self.assertIsNotNone(server.wait_exit(10), "the killed process is gone")
            server.pid = None  # killed: nothing to stop or check
            server = fx.IntegrationServer(ENV, database=database, admin=admin).start()

        deadline, row = time.monotonic() + WAIT_SECONDS, None
        while time.monotonic() < deadline:
            pending = dbclient.query(url, "SELECT COUNT(*) FROM usage_events WHERE tenantId = ? AND metric = 'pageViews'",
                                     (org.id,))[1][0][0]
            row = dbclient.query(url, "SELECT count FROM tenant_usage WHERE tenantId = ? AND metric = 'pageViews'", (org.id,))[1]
            if pending == 0 and row:
                break
            time.sleep(0.05)
        self.assertEqual(pending, 0, "every event rolled up")
        self.assertEqual(row[0][0], expected, "tenant_usage holds each page view once")
        self.assertEqual(usage(server)["totals"]["pageViews"], expected)
        server.stop()
        print("usage_rollup: killed %d times with the roll-up running every second; %d page views, each counted once"
              % (KILLS, expected))


if __name__ == "__main__":
    unittest.main()
