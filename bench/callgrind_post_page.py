#!/usr/bin/env python3
"""Instructions per request of a site's public post page against /healthz, under callgrind (issue 19).

bench/run's post_page ratio to the bare server moves with the machine's load
(docs/performance.md: 0.41 to 0.59 in one afternoon); callgrind's instruction
counts do not. This starts `slipway serve` (SQLite) under `valgrind
--tool=callgrind --instr-atstart=no`, makes bench/run's post_page fixture (the
site and its 2.5 KB published post, bench/setup_fixture.py), and counts the
server's user-space instructions (every thread) over N requests on one
keep-alive connection, as wrk sends them: first /healthz, then the post page
(its cached rendering: the case bench/run measures), then a 304 of it.

    bench/callgrind_post_page.py [--binary build/slipway] [--requests 2000] [--out DIR]

Prints instructions per request of each, and the post page's over /healthz's;
the dumps stay in DIR for `callgrind_annotate --inclusive=yes DIR/callgrind.out.*`.
"""

import argparse
import http.client
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import setup_fixture  # noqa: E402


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
    """Instructions of the server over work()."""
    before = set(os.listdir(out))
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-i", "on", str(pid)], check=True, capture_output=True)
    work()
    subprocess.run(["callgrind_control", "-i", "off", str(pid)], check=True, capture_output=True)
    subprocess.run(["callgrind_control", "-d", label, str(pid)], check=True, capture_output=True)
    total = 0
    for name in sorted(set(os.listdir(out)) - before):
        with open(os.path.join(out, name)) as f:
            for line in f:
                m = re.match(r"(?:summary|totals): (\d+)", line)
                if m:
                    total = max(total, int(m.group(1)))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "slipway"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="slipway-callgrind-"))
    os.makedirs(out, exist_ok=True)
    server = benchlib.Slipway(wrapper(args.binary, out), 2, log_level="warn")
    try:
        site = server.must("POST", "/api/v1/%s/sites" % server.tenant, json.dumps(setup_fixture.site()))
        server.must("POST", "/api/v1/%s/sites/%s/posts" % (server.tenant, site["id"]), json.dumps(setup_fixture.post()))
        page = "/s/%s/%s" % (site["slug"], setup_fixture.post()["slug"])
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)

        def get(path, headers=None):
            conn.request("GET", path, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp

        etag = get(page).headers["ETag"]

        def many(path, headers=None, status=200):
            def work():
                for _ in range(args.requests):
                    got = get(path, headers).status
                    if got != status:
                        raise SystemExit("%s answered %d" % (path, got))
            return work

        for warm in (many("/healthz"), many(page)):
            warm()
        figures = {}
        for label, work in (("healthz", many("/healthz")), ("post_page", many(page)),
                            ("post_page_304", many(page, {"If-None-Match": etag}, 304))):
            figures[label] = measure(server.proc.pid, out, label, work) / args.requests
        for label, ir in figures.items():
            print("%-14s %9.0f instructions per request (%.2f x healthz)" % (label, ir, ir / figures["healthz"]))
        print("dumps: %s" % out)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
