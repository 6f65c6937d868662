#!/usr/bin/env python3
"""Backups (docs/operations.md, "Backups"): `slipway admin backup FILE` while
the server serves and writes, `slipway admin restore FILE` once it stopped.

SQLite: four clients create tenants without pause; the backup is started
while they write, and everything the server acknowledged before it started
must be in the copy, which is consistent (integrity check) and private
(mode 600). The restore is refused while a server has the database open,
and for a file that is not a sound slipway database; once the server is
stopped it puts the copy back, and the server serves it. PostgreSQL and
MySQL have their own tools: the commands say so and touch nothing.
"""

import concurrent.futures
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import harness
from harness import ApiTest

WRITERS = 4


def admin(server, *args, database=None):
    """Runs `slipway admin ARGS` on the server's database: (exit code, stdout, stderr)."""
    env = dict(server.env(), SLIPWAY_DATABASE_URL=harness.database_url(database or server.database_path()))
    proc = subprocess.run([harness.binary_path(), "admin"] + list(args), env=env, capture_output=True, timeout=120)
    return proc.returncode, proc.stdout.decode(), proc.stderr.decode()


def pause(server):
    """SIGTERM, and the server must exit 0; its directory (and database) stays for a later server._launch."""
    server.terminate()
    if server.wait_exit() != "0":
        raise AssertionError("slipway did not exit 0 on SIGTERM:\n%s" % server.log_text()[-3000:])
    server._supervisor.wait(10)
    for name in ("server.pid", "exit_code"):
        os.unlink(server._path(name))
    server.pid, server._terminated = None, False


class Writers:
    """Clients that create tenants until stopped; acked holds (monotonic time of the answer, tenant id)."""

    def __init__(self, server, token):
        self.server, self.token = server, token
        self.acked, self.failed = [], []
        self.stopping = threading.Event()
        self.pool = concurrent.futures.ThreadPoolExecutor(WRITERS)
        self.futures = [self.pool.submit(self.write, i) for i in range(WRITERS)]

    def write(self, worker):
        n = 0
        while not self.stopping.is_set():
            n += 1
            resp = self.server.request("POST", "/api/v1/tenants", {"orgName": "w%d-%d" % (worker, n)}, token=self.token)
            if resp.status == 201:
                self.acked.append((time.monotonic(), resp.json["id"]))
            else:
                self.failed.append(str(resp))

    def stop(self):
        self.stopping.set()
        for f in self.futures:
            f.result()
        self.pool.shutdown()


@unittest.skipUnless(harness.BACKEND == "sqlite", "the SQLite backup; the other databases: ServerDatabaseTest")
class SqliteBackupTest(ApiTest):
    def setUp(self):
        self.server = harness.Server(harness.SHARED_ENV).start(detached=True)
        self.dir = tempfile.mkdtemp(prefix="slipway-backup-")

    def tearDown(self):
        self.server.stop()  # checks the exit status and the log of every run
        shutil.rmtree(self.dir, ignore_errors=True)

    def tenant_ids(self, database):
        db = sqlite3.connect(database, timeout=15)
        try:
            return {row[0] for row in db.execute("SELECT id FROM tenants")}
        finally:
            db.close()  # an open connection would keep the restore out

    def test_backup_under_write_load_then_restore(self):
        writers = Writers(self.server, self.server.admin["token"])
        try:
            while len(writers.acked) < 50:
                time.sleep(0.02)
            began = time.monotonic()
            backup = os.path.join(self.dir, "backup.db")
            code, out, err = admin(self.server, "backup", backup)
            self.assertEqual(code, 0, err)
            written_during = len([t for t, _ in writers.acked if t > began])
            time.sleep(0.3)  # and a few more after it, which the copy must not be missing anything for
        finally:
            writers.stop()
        self.assertEqual(writers.failed, [])
        self.assertGreater(written_during, 0, "the server wrote while the backup ran")
        report = json.loads(out)
        self.assertEqual(report["backup"], backup)
        self.assertEqual(report["bytes"], os.path.getsize(backup))
        self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600, "the copy is its owner's alone")
        db = sqlite3.connect(backup)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "delete", "one file, no -wal beside it")
        db.close()
        before = {tenant for t, tenant in writers.acked if t < began}
        in_copy = self.tenant_ids(backup)
        self.assertEqual(sorted(before - in_copy), [], "acknowledged before the backup began, missing from the copy")
        print("backup: %d tenants acknowledged before it began, %d while it ran, %d in the copy, %d in all"
              % (len(before), written_during, len(in_copy), len(writers.acked)), file=sys.stderr)

        # A second backup never overwrites a file.
        code, _, err = admin(self.server, "backup", backup)
        self.assertNotEqual(code, 0)
        self.assertIn("exists", err)
        self.assertEqual(self.tenant_ids(backup), in_copy)

        # Restoring under a running server is refused, and changes nothing.
        live = self.tenant_ids(self.server.database)
        code, _, err = admin(self.server, "restore", backup)
        self.assertNotEqual(code, 0)
        self.assertIn("stop every slipway", err)
        pause(self.server)
        self.assertEqual(self.tenant_ids(self.server.database), live)
        self.assertGreater(len(live), len(in_copy), "the tenants made after the backup are in the live database")

        code, out, err = admin(self.server, "restore", backup)
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), {"restored": backup})
        self.assertEqual(self.tenant_ids(self.server.database), in_copy)
        self.assertEqual(stat.S_IMODE(os.stat(self.server.database).st_mode), 0o600)

        # The server serves the copy.
        self.server._launch(harness.binary_path())
        some = sorted(before)[:5]
        for tenant in some:
            resp = self.server.request("GET", "/api/v1/%s" % tenant, token=self.server.admin["token"])
            self.assertEqual(resp.status, 200, resp)

    def test_restore_checks_the_file(self):
        garbage = os.path.join(self.dir, "garbage.db")
        with open(garbage, "wb") as f:
            f.write(os.urandom(8192))
        empty = os.path.join(self.dir, "other.db")
        sqlite3.connect(empty).execute("CREATE TABLE t (x)").connection.close()
        backup = os.path.join(self.dir, "backup.db")
        self.assertEqual(admin(self.server, "backup", backup)[0], 0)
        truncated = os.path.join(self.dir, "truncated.db")
        with open(backup, "rb") as src, open(truncated, "wb") as dst:
            data = src.read()
            dst.write(data[:len(data) // 2])
        pause(self.server)
        target = os.path.join(self.dir, "restored.db")
        for path, words in ((garbage, "not a sound SQLite database"), (truncated, "not a sound SQLite database"),
                            (empty, "not a slipway database"), (os.path.join(self.dir, "absent.db"), "cannot open")):
            with self.subTest(file=os.path.basename(path)):
                code, _, err = admin(self.server, "restore", path, database=target)
                self.assertNotEqual(code, 0)
                self.assertIn(words, err)
                self.assertFalse(os.path.exists(target) and os.path.getsize(target) > 0, "nothing restored")

    def test_usage(self):
        self.assertEqual(admin(self.server, "backup")[0], 2)
        self.assertEqual(admin(self.server, "restore", "a", "b")[0], 2)


@unittest.skipIf(harness.BACKEND == "sqlite", "SQLite is backed up by slipway itself: SqliteBackupTest")
class ServerDatabaseTest(ApiTest):
    def test_the_database_tools_are_named(self):
        server = harness.Server()
        server.database = harness.new_database(tempfile.gettempdir())
        for command in ("backup", "restore"):
            with self.subTest(command=command):
                target = os.path.join(tempfile.gettempdir(), "slipway-backup-%s.db" % uuid.uuid4().hex)
                env = dict(os.environ, SLIPWAY_DATABASE_URL=server.database)
                proc = subprocess.run([harness.binary_path(), "admin", command, target], env=env, capture_output=True,
                                      timeout=60)
                self.assertEqual(proc.returncode, 1)
                self.assertIn("its own tools (docs/operations.md)", proc.stderr.decode())
                self.assertFalse(os.path.exists(target))


if __name__ == "__main__":
    unittest.main()
