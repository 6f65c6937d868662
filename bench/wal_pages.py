#!/usr/bin/env python3
"""The pages a build delivery's transaction writes on SQLite, by B-tree (issue 14; docs/performance.md).

On SQLite in WAL mode each commit appends one 4 KiB frame for every page it
changed, even a page the commit before it wrote too: the pages a delivery
touches, not its rows, are what its commit writes. This sets slipway up as
bench/release_builds.py does (the fakes, a GitHub SCM, CircleCI builds),
applies the deliveries of all releases but one, waits for the process to be
quiet, sends the last one, and reads the WAL's frames written since: each
commit's pages, named by SQLite's dbstat table (which table or index each
page belongs to) on a copy of the database.

    bench/wal_pages.py [--binary build-bench/slipway] [--releases 30]
"""

import argparse
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ.setdefault("SLIPWAY_SPEC_CHECK", "0")


def wal_commits(path):
    """(salt, [[page numbers of one commit], ...]) of the WAL's valid frames (the WAL format: sqlite.org/fileformat2.html)."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 32:
        return b"", []
    size = struct.unpack(">I", data[8:12])[0]
    salt = data[16:24]
    commits, pages, off = [], [], 32
    while off + 24 + size <= len(data) and data[off + 8:off + 16] == salt:
        page, after = struct.unpack(">II", data[off:off + 8])
        pages.append(page)
        if after:  # the database's size after a commit: set in a commit's last frame only
            commits.append(pages)
            pages = []
        off += 24 + size
    return salt, commits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "slipway"))
    ap.add_argument("--releases", type=int, default=30)
    args = ap.parse_args()
    import benchlib
    import fake_circleci
    import harness
    import integration_fixtures as fx

    check = unittest.TestCase()
    shared, server, ctx, scm = benchlib.release_tenant(args.binary)
    hook = benchlib.circleci_hook(ctx, server)
    n = args.releases
    for i in range(n):
        harness.expect(check, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                             {"version": "1.%d.0" % i, "releaseType": "MINOR", "platforms": ["IOS"],
                                              "scmIntegrationId": scm["id"]}, token=ctx.token, timeout=120), 201)
    deadline = time.monotonic() + 300  # a bound on waiting, not a measurement
    while fx.db_query(server, "SELECT COUNT(*) FROM release_builds WHERE runId IS NOT NULL")[1][0][0] < n:
        if time.monotonic() > deadline:
            raise SystemExit("the builds did not start")
        time.sleep(0.5)
    rows = fx.db_query(server, "SELECT b.runId, r.releaseBranch FROM release_builds b JOIN releases r ON r.id = b.releaseId")[1]
    deliveries = [fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(
        workflow_id=run, status="success", branch=branch)) for run, branch in rows]
    for raw, headers in deliveries[:-1]:
        check.assertIn(server.request("POST", hook["path"], raw=raw, headers=headers, timeout=60).status, (200, 202))
    time.sleep(3)  # the kickoffs' and deliveries' last jobs
    db = server.database_path()
    salt, before = wal_commits(db + "-wal")
    raw, headers = deliveries[-1]
    check.assertIn(server.request("POST", hook["path"], raw=raw, headers=headers, timeout=60).status, (200, 202))
    time.sleep(2)
    copy = tempfile.mkdtemp(prefix="slipway-wal-")
    for ext in ("", "-wal"):
        shutil.copy(db + ext, os.path.join(copy, "db" + ext))
    after_salt, after = wal_commits(os.path.join(copy, "db-wal"))
    new = after[len(before):] if after_salt == salt else after  # a restarted WAL holds only what came after
    names = dict((page, name) for name, page in sqlite3.connect(os.path.join(copy, "db")).execute(
        "SELECT name, pageno FROM dbstat"))
    shared.close()
    shutil.rmtree(copy, ignore_errors=True)
    print("\nWAL frames written after one build delivery, %d releases, %s" % (n, time.strftime("%Y-%m-%d")))
    for pages in new:
        print("a commit of %d frames:" % len(pages))
        for page in pages:
            print("  %7d  %s" % (page, names.get(page, "(free or new)")))


if __name__ == "__main__":
    main()
