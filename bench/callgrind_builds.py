#!/usr/bin/env python3
"""Instructions per request of the release page and of a build webhook, under callgrind (issue 14).

A machine shared with other work moves req/s two-fold from one run to the next;
callgrind's instruction counts do not move. This sets slipway up as
bench/release_builds.py does (SQLite, the fakes, a GitHub SCM, CircleCI builds), runs
`slipway serve` under `valgrind --tool=callgrind --instr-atstart=no`, and counts the
server's user-space instructions (every thread: the job workers' polling is in the
figures, as in the previous rounds') over:

c. PAGES reads of the release page (GET .../releases/{id}: the release, its builds,
   its last 50 events);
b. one signed workflow-completed delivery for each of RELEASES builds, each sent three
   times (the last two duplicates), until every release has moved to REGRESSION (a
   completed run's delivery applies its build in its own transaction: docs/releases.md, "Builds").

    bench/callgrind_builds.py [--binary build/slipway] [--releases 40] [--pages 200] [--out DIR]

Prints instructions per page read (all, and in the request handler) and per delivery applied
(the three requests and whatever the process did meanwhile); the dumps stay in DIR for
`callgrind_annotate --inclusive=yes DIR/callgrind.out.*`.
"""

import argparse
import os
import re
import stat
import subprocess
import sys
import tempfile
import time
import unittest

WARM = 10  # releases whose deliveries go first, unmeasured: the pool's connections are opened by then
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ.setdefault("SLIPWAY_SPEC_CHECK", "0")  # the API tests check answers; this counts instructions


def say(text):
    print("callgrind_builds: " + text, file=sys.stderr, flush=True)


def wrapper(binary, out):
    """A script that runs `serve` under callgrind, every other command as it is."""
    path = os.path.join(out, "slipway")
    with open(path, "w") as f:
        f.write('#!/bin/sh\nif [ "$1" = serve ]; then\n'
                '  exec valgrind -q --tool=callgrind --instr-atstart=no --callgrind-out-file=%s/callgrind.out.%%p %s "$@"\n'
                'fi\nexec %s "$@"\n' % (out, os.path.abspath(binary), os.path.abspath(binary)))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def measure(pid, out, label, work):
    """Instructions of the server over work(), dumped as DIR/callgrind.out.PID.N."""
    before = set(os.listdir(out))
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
    work()
    subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-d", label, str(pid)], check=True, capture_output=True)
    dumps = sorted(set(os.listdir(out)) - before)
    total = 0
    for name in dumps:
        with open(os.path.join(out, name)) as f:
            for line in f:
                m = re.match(r"(?:summary|totals): (\d+)", line)
                if m:
                    total = max(total, int(m.group(1)))
    handler = 0
    if dumps:
        text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", os.path.join(out, dumps[-1])],
                              capture_output=True, text=True).stdout
        m = re.search(r"^\s*([\d,]+) .*server\.c:on_request ", text, re.M)
        handler = int(m.group(1).replace(",", "")) if m else 0
    return total, handler, [os.path.join(out, d) for d in dumps]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "slipway"))
    ap.add_argument("--releases", type=int, default=40)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="slipway-callgrind-"))
    os.makedirs(out, exist_ok=True)
    import benchlib
    import fake_circleci
    import harness
    import integration_fixtures as fx

    harness.READY_TIMEOUT = max(harness.READY_TIMEOUT, 120)  # valgrind starts slowly
    check = unittest.TestCase()
    shared, server, ctx, scm = benchlib.release_tenant(wrapper(args.binary, out))
    hook = benchlib.circleci_hook(ctx, server)
    n = args.releases + WARM
    say("%d releases" % n)
    for i in range(n):
        harness.expect(check, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                             {"version": "1.%d.0" % i, "releaseType": "MINOR", "platforms": ["IOS"],
                                              "scmIntegrationId": scm["id"]}, token=ctx.token, timeout=120), 201)

    def count(sql):
        return fx.db_query(server, sql)[1][0][0]

    def wait(sql, want):
        deadline = time.monotonic() + 300  # a bound on waiting, not a measurement
        while count(sql) < want:
            if time.monotonic() > deadline:
                raise SystemExit("waited in vain: %s < %d" % (sql, want))
            time.sleep(0.5)

    wait("SELECT COUNT(*) FROM release_builds WHERE runId IS NOT NULL", n)
    time.sleep(2)  # the kickoffs' last steps
    rid = fx.db_query(server, "SELECT id FROM releases ORDER BY createdAt LIMIT 1")[1][0][0]
    page_path = "/api/v1/%s/releases/%s" % (ctx.tenant_id, rid)

    def pages():
        for _ in range(args.pages):
            harness.expect(check, server.request("GET", page_path, token=ctx.token, timeout=60), 200)

    say("c. %d page reads" % args.pages)
    pages()  # warm: the connections' statement caches
    page_ir, page_handler, page_dumps = measure(server.pid, out, "page", pages)

    rows = fx.db_query(server, "SELECT b.runId, r.releaseBranch FROM release_builds b JOIN releases r ON r.id = b.releaseId")[1]
    deliveries = [fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(
        workflow_id=run, status="success", branch=branch)) for run, branch in rows]

    def hooks(deliveries, want):
        for copy in range(3):
            for raw, headers in deliveries:
                resp = server.request("POST", hook["path"], raw=raw, headers=headers, timeout=60)
                check.assertIn(resp.status, (200, 202) if copy == 0 else (200,))
        wait("SELECT COUNT(*) FROM releases WHERE status = 'REGRESSION'", want)

    warm, deliveries = deliveries[:WARM], deliveries[WARM:]
    hooks(warm, WARM)
    say("b. %d deliveries, three times each" % len(deliveries))
    hook_ir, hook_handler, hook_dumps = measure(server.pid, out, "webhooks", lambda: hooks(deliveries, n))
    applied = count("SELECT COUNT(*) FROM webhook_deliveries") - WARM
    shared.remember()
    shared.close()
    print("\ncallgrind, %s, %s" % (os.path.basename(args.binary), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    print("c. release page: %d instructions a read, %d of them in the handler (%d reads)  %s"
          % (page_ir // args.pages, page_handler // args.pages, args.pages, page_dumps[-1]))
    print("b. webhooks: %d instructions a delivery applied (its three requests, %d in their handlers, and the "
          "rest of the process meanwhile; %d applied)  %s" % (hook_ir // max(1, applied), hook_handler // max(1, applied), applied, hook_dumps[-1]))


if __name__ == "__main__":
    main()
