"""Database faults, on the server databases (PostgreSQL, MariaDB).

- The database restarts in the middle of a run of requests (four clients
  without pause): no request hangs; requests answer 503 (the error envelope,
  code "unavailable") only while it is down, and /readyz fails then;
  afterwards everything answers again without restarting slipway (dead
  pooled connections are replaced).
- A serialization failure (SQLSTATE 40001) injected by a trigger into the
  first two attempts of a transaction is retried, and the request succeeds.

The restart uses a private database server (tests/db/dbserver), so the rest
of the suite, sharing the fixture's server, is not disturbed. SQLite has no
server to restart and no serialization failures (its writers queue on a
lock): these tests are skipped there.
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import harness
import integration_fixtures as fx
from harness import assert_error, dbclient

DBSERVER = os.path.join(harness.REPO_ROOT, "tests", "db", "dbserver")
REQUEST_TIMEOUT = 15  # a request slower than this counts as hung
WORKERS = 4


@unittest.skipIf(harness.BACKEND == "sqlite", "SQLite is embedded: there is no database server to restart")
class RestartTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="slipway-faults-")
        self.state = os.path.join(self.tmp, "db.json")
        subprocess.run([sys.executable, DBSERVER, "start", harness.BACKEND, self.state], check=True, capture_output=True,
                       timeout=120)
        with open(self.state) as f:
            admin = json.load(f)["url"]
        self.server = fx.IntegrationServer({"SLIPWAY_DB_CONNECT_TIMEOUT": "2"},
                                           database=dbclient.createdb(admin, "faults")).start()

    def tearDown(self):
        try:
            self.server.stop()
        finally:
            subprocess.run([sys.executable, DBSERVER, "stop", self.state], capture_output=True, timeout=120)

    def test_requests_during_a_restart(self):
        admin = self.server.admin
        token, tenant = admin["token"], admin["tenantId"]
        paths = ["/api/v1/me", "/api/v1/%s/release-management/setup" % tenant, "/api/v1/tenants", "/readyz"]
        results, stop = [], threading.Event()  # (started, finished, status, code, path)

        def hammer(i):
            n = 0
            while not stop.is_set():
                path = paths[(i + n) % len(paths)]
                n += 1
                started = time.monotonic()
                try:
                    resp = self.server.request("GET", path, token=token, timeout=REQUEST_TIMEOUT)
                    code = (resp.json or {}).get("error", {}).get("code") if resp.status != 200 else None
                    results.append((started, time.monotonic(), resp.status, code, path))
                except OSError as e:
                    results.append((started, time.monotonic(), "hung or dropped: %s" % e, None, path))
                time.sleep(0.01)

        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(WORKERS)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            down_from = time.monotonic()
            subprocess.run([sys.executable, DBSERVER, "restart", self.state], check=True, capture_output=True, timeout=120)
            up_at = time.monotonic()
            # Recovery: every request answers 200 again, within a few seconds.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if all(self.server.request("GET", p, token=token).status == 200 for p in paths):
                    break
                time.sleep(0.1)
            recovered_at = time.monotonic()
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(REQUEST_TIMEOUT + 5)

        self.assertLess(recovered_at - up_at, 10, "slipway recovers without a restart once the database is back")
        broken = [r for r in results if not isinstance(r[2], int)]
        self.assertEqual(broken, [], "no request hangs or loses its connection")
        bad = [r for r in results if r[2] not in (200, 503) or (r[2] == 503 and r[3] != "unavailable")]
        self.assertEqual(bad, [], "answers are 200, or 503 'unavailable' with the error envelope")
        # 503s only while the database was down (a request that started just before is allowed to see it).
        late = [r for r in results if r[2] == 503 and not (down_from - 1 <= r[0] <= recovered_at)]
        self.assertEqual(late, [], "503 only while the database is down")
        after = [r for r in results if r[0] > recovered_at]
        self.assertTrue(after and all(r[2] == 200 for r in after), "everything answers after recovery")
        self.assertTrue([r for r in results if r[2] == 503 and r[4] == "/readyz"], "/readyz fails while the database is down")
        self.assertEqual(self.server.request("GET", "/readyz").status, 200)
        self.assertGreater(len(results), 50, "requests kept flowing")


# A trigger that fails the first two inserts into tenants with SQLSTATE 40001. The
# counter is a sequence: its increments survive the rollback of the failed attempt.
INJECT = {
    "postgres": [
        "CREATE SEQUENCE fault_attempts",
        "CREATE FUNCTION fault_inject() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF nextval('fault_attempts') <= 2 THEN RAISE EXCEPTION 'injected serialization failure' USING ERRCODE = '40001'; "
        "END IF; RETURN NEW; END $$",
        "CREATE TRIGGER fault_inject BEFORE INSERT ON tenants FOR EACH ROW EXECUTE FUNCTION fault_inject()",
    ],
    "mysql": [
        "CREATE SEQUENCE fault_attempts NOCACHE",
        "CREATE TRIGGER fault_inject BEFORE INSERT ON tenants FOR EACH ROW BEGIN "
        "IF NEXTVAL(fault_attempts) <= 2 THEN SIGNAL SQLSTATE '40001' SET MESSAGE_TEXT = 'injected serialization failure'; "
        "END IF; END",
    ],
}
ATTEMPTS = {"postgres": "SELECT last_value FROM fault_attempts", "mysql": "SELECT next_not_cached_value - 1 FROM fault_attempts"}


@unittest.skipIf(harness.BACKEND == "sqlite", "SQLite has no serialization failures: its writers queue on a lock")
class SerializationFailureTest(unittest.TestCase):
    def setUp(self):
        self.server = fx.IntegrationServer({}).start()

    def tearDown(self):
        self.server.stop()

    def test_the_transaction_is_run_again(self):
        url = harness.database_url(self.server.database_path())
        for sql in INJECT[harness.BACKEND]:
            dbclient.execute(url, sql)
        token = self.server.admin["token"]
        resp = self.server.request("POST", "/api/v1/tenants", body={"orgName": "Retried Org"}, token=token)
        self.assertEqual(resp.status, 201, resp)
        _, rows = dbclient.query(url, ATTEMPTS[harness.BACKEND])
        self.assertEqual(rows[0][0], 3, "two attempts failed with 40001, the third succeeded")
        names = [t["orgName"] for t in harness.page(self, self.server, "/api/v1/tenants", token)["items"]]
        self.assertEqual(names.count("Retried Org"), 1, "the tenant exists once")


if __name__ == "__main__":
    unittest.main()
