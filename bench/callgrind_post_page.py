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
post_page_hit leaves out the pages rendered when the cache moved (misses()).

    bench/callgrind_post_page.py [--binary build/slipway] [--requests 2000] [--out DIR]

Prints instructions per request of each, and the post page's over /healthz's;
the dumps stay in DIR for `callgrind_annotate --inclusive=yes DIR/callgrind.out.*`.
"""

import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import benchlib  # noqa: E402
import setup_fixture  # noqa: E402
from callgrind_builds import measure, wrapper  # noqa: E402  (serve under callgrind; instructions over a piece of work)


def misses(dump):
    """Instructions the dump spent on pages not in the cache: page_post's beyond page_cached's (the site and post read,
    the rendering). The cache moves every second, so under callgrind, about 100 times slower than wrk, a re-rendering
    weighs on a few hundred requests instead of tens of thousands: the hits alone are the figure to compare."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", dump], capture_output=True,
                          text=True).stdout

    def inclusive(name):
        m = re.search(r"^\s*([\d,]+) .*pages_http\.c:%s " % name, text, re.M)
        return int(m.group(1).replace(",", "")) if m else 0
    return inclusive("page_post") - inclusive("page_cached")


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
            total, _, dumps = measure(server.proc.pid, out, label, work)
            figures[label] = total / args.requests
            if label == "post_page":
                figures["post_page_hit"] = (total - misses(dumps[-1])) / args.requests
        for label, ir in figures.items():
            print("%-14s %9.0f instructions per request (%.2f x healthz)" % (label, ir, ir / figures["healthz"]))
        print("dumps: %s" % out)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
