#!/usr/bin/env python3
"""The SQLite database and its WAL and shared-memory files are the owner's alone (issue 11).

They hold password and token hashes. A server started under the usual umask
(022, which would make files readable by everyone) must create all three
with mode 600; a database file found readable by others is reported once in
the log. Other backends keep no file: the test is skipped there.
"""

import os
import shutil
import stat
import tempfile
import unittest

import harness
from harness import ApiTest


@unittest.skipUnless(harness.BACKEND == "sqlite", "only SQLite keeps the database in files")
class DatabaseFileModeTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.old_umask = os.umask(0o022)
        cls.server = harness.Server().start(detached=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        os.umask(cls.old_umask)

    def test_database_wal_and_shm_are_private(self):
        # A write makes sure the WAL and shared-memory files exist.
        harness.new_user(self.server)
        db = self.server.database_path()
        for path in (db, db + "-wal", db + "-shm"):
            self.assertTrue(os.path.exists(path), path)
            mode = stat.S_IMODE(os.stat(path).st_mode)
            self.assertEqual(mode & 0o077, 0, "%s has mode %03o: readable by others" % (os.path.basename(path), mode))

    def test_a_readable_database_is_reported_once(self):
        directory = tempfile.mkdtemp(prefix="slipway-files-")
        db = os.path.join(directory, "slipway.db")
        with open(db, "wb"):
            pass
        os.chmod(db, 0o644)  # as an older slipway, or a careless copy, left it
        server = harness.Server()
        server.database = db
        server.start(detached=True)
        try:
            harness.new_user(server)
            log = server.log_text()
        finally:
            server.stop()
            shutil.rmtree(directory, ignore_errors=True)
        self.assertEqual(log.count("readable by other users"), 1, log[-2000:])


if __name__ == "__main__":
    unittest.main()
