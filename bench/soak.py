#!/usr/bin/env python3
"""A bounded mixed soak: load, and memory over time (bench/run --soak MINUTES).

    soak.py SLIPWAY_BIN SETUP_BODY [--minutes 10] [--connections 64] [--threads N] [--chunk 30]

Starts a slipway of its own on a fresh database (log level warn: the access
log of millions of requests would fill the disk; errors still show), saves
the whole setup for one tenant and for another that the writes update, and
runs wrk with bench/mix.lua (nine status reads, then a whole-setup save) at
--connections for --minutes, in chunks of --chunk seconds, sampling
slipway's RSS after each chunk. Reports:

  - RSS idle (after start, before any request), after 1 million requests,
    at the second minute and at the end; PASS when no sample from the second
    minute on is more than 10 % above the second minute's;
  - requests, and answers other than 2xx (so every 5xx), socket errors:
    PASS when there are none;
  - lines of level "error" in slipway's log: PASS when there are none;
  - slipway exits 0 on SIGTERM at the end.

Exit status 1 when any of them fails.
"""

import os
import sys
import time

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
GROWTH_LIMIT = 0.10


def main():
    args = benchlib.arguments(minutes=10.0, connections=64, chunk=30)

    server = benchlib.Slipway(args.slipway, args.threads, log_level="warn")
    time.sleep(1)
    rss_idle = server.rss()
    server.save_setup(server.tenant, args.body)
    writes = server.new_tenant("Soak updates")
    server.save_setup(writes, args.body)
    env = dict(os.environ, BENCH_BODY=args.body,
               BENCH_MIX_POST="/api/v1/%s/release-management/setup" % writes)
    url = server.url + "/api/v1/%s/release-management/setup" % server.tenant
    auth = "Authorization: Bearer " + server.token

    print("== soak: %.0f min of mix.lua (90 %% status reads, 10 %% whole-setup saves) at -c%d, RSS idle %d MiB"
          % (args.minutes, args.connections, rss_idle // 1024), file=sys.stderr, flush=True)
    started = time.monotonic()
    samples = []  # (seconds since start, requests so far, RSS KiB)
    total = non2xx = errors = 0
    rss_1m = None
    died = None  # (seconds, exit status) when slipway went away during the soak
    while time.monotonic() - started < args.minutes * 60:
        left = args.minutes * 60 - (time.monotonic() - started)
        try:
            r = benchlib.wrk(url, max(1, min(args.chunk, int(left + 0.5))), args.connections, headers=[auth],
                             script=os.path.join(HERE, "mix.lua"), env=env)
        except benchlib.WrkFailed as e:
            r = None
            print("   wrk: %s" % str(e)[:200], file=sys.stderr)
        if server.proc.poll() is not None or r is None:
            died = (time.monotonic() - started, server.proc.poll())
            print("   slipway is gone after %.0f s: exit status %s (-9: SIGKILL, -11: SIGSEGV, -13: SIGPIPE)" % died,
                  file=sys.stderr, flush=True)
            break
        total += r["requests"]
        non2xx += r["non2xx"]
        errors += r["errors"] - r["non2xx"]
        rss = server.rss()
        t = time.monotonic() - started
        samples.append((t, total, rss))
        if rss_1m is None and total >= 1_000_000:
            rss_1m = rss
        print("   %5.0f s  %9d requests  %7.0f req/s  p99 %7.2f ms  RSS %6.1f MiB%s" % (
            t, total, r["rps"], r["p99"], rss / 1024, "  %d non-2xx, %d errors" % (r["non2xx"], r["errors"])
            if r["errors"] else ""), file=sys.stderr, flush=True)
    if died is not None and died[1] is None:
        code = server.stop()  # wrk went away, slipway did not
        died = (died[0], "%s (still running when wrk failed)" % code)
    else:
        code = server.stop() if died is None else died[1]
    with open(server.log_path, "rb") as f:
        log = f.read().decode("utf-8", "replace").splitlines()
    error_lines = [line for line in log if '"level":"error"' in line]

    if not samples:
        print("soak: slipway went away during the first run (exit %s); its log: %s" % (code, server.log_path))
        return 1
    base = next(((t, n, rss) for t, n, rss in samples if t >= 120), samples[0])
    later = [rss for t, n, rss in samples if t >= base[0]]
    growth = (max(later) - base[2]) / base[2] if base[2] else 0
    checks = [
        ("memory: RSS from minute %.0f to the end grows at most %d %%" % (base[0] / 60, GROWTH_LIMIT * 100),
         "%.1f %% (%.1f -> max %.1f MiB)" % (growth * 100, base[2] / 1024, max(later) / 1024), growth <= GROWTH_LIMIT),
        ("load: no answer other than 2xx (so no 5xx)", "%d of %d" % (non2xx, total), non2xx == 0),
        ("load: no socket error or timeout", "%d" % errors, errors == 0),
        ("log: no line of level error", "%d" % len(error_lines), not error_lines),
        ("slipway ran to the end, and exited 0 on SIGTERM", "exit %s%s" % (code, " after %.0f s" % died[0] if died else ""),
         died is None and code == 0),
    ]
    print()
    print("soak: %.1f min at -c%d, %d requests (%.0f req/s); RSS idle %.1f MiB, after 1 million requests %s, "
          "at minute %.0f %.1f MiB, at the end %.1f MiB"
          % ((samples[-1][0]) / 60, args.connections, total, total / samples[-1][0], rss_idle / 1024,
             "%.1f MiB" % (rss_1m / 1024) if rss_1m else "- (fewer requests)", base[0] / 60, base[2] / 1024,
             samples[-1][2] / 1024))
    status = 0
    for what, value, ok in checks:
        print("%-62s %-36s %s" % (what, value, "PASS" if ok else "FAIL"))
        status |= not ok
    for line in error_lines[:5]:
        print("   " + line[:300])
    if status:
        print("slipway's log: %s" % server.log_path)
    return status


if __name__ == "__main__":
    sys.exit(main())
