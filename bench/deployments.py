#!/usr/bin/env python3
"""Deployments run over SSH at once (issue 17's benchmark; figures in docs/performance.md).

One slipway on a fresh SQLite database (bench/benchlib.py) and the API tests' private OpenSSH server
(tests/api/sshd.py, loopback), with four host rows on it (each maxConcurrent 64). A script prints LINES
lines, INTERVAL seconds apart, each carrying the host's clock when it was printed (`date +%s%N`).
DEPLOYMENTS deployments of that script on the four hosts (four steps each, one after another) are created
at once, and a Server-Sent Events client follows each deployment's log.

Measured, first for one deployment (the baseline, in the same process), then for DEPLOYMENTS:
- wall time, from the first POST to the last deployment ended;
- slipway's threads and resident set, idle before the run and at their peak during it (sampled every
  0.1 s): flat means no thread per running script;
- the delay from a line printed on the host to its event read by the SSE client, p50 and p99 (the target is
  p99 < 100 ms), and, to tell the SSH loop's part from the stream's, to the line's createdAt in the database
  (stamped as the line arrives from the host).
Ratios are against the one-deployment run; nothing passes or fails. Every deployment must succeed, and
every line must arrive once, in order: otherwise the run is INVALID (exit status 1).

    bench/deployments.py [--binary build-bench/slipway] [--deployments 50] [--lines 10] [--interval 0.1]
"""

import argparse
import datetime
import json
import os
import sqlite3
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import benchlib  # noqa: E402
import sshd  # noqa: E402

HOSTS = 4
END = ("SUCCEEDED", "FAILED", "PARTIALLY_FAILED", "CANCELLED")


def say(text):
    print("deployments: " + text, file=sys.stderr, flush=True)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


class Follower(threading.Thread):
    """Reads one deployment's log over SSE until its `want` stdout lines came: their delays (ms) and order."""

    def __init__(self, slipway, dep_id, want):
        super().__init__(daemon=True)
        from test_stream import SseClient
        self.client = SseClient(slipway, slipway.tenant, slipway.token, path="deployments/%s/logs/stream" % dep_id)
        self.want, self.delays, self.seqs, self.error = want, [], [], None

    def run(self):
        try:
            got = 0
            while got < self.want:
                event = self.client.next_event(deadline=120)
                now_ns = time.time_ns()
                line = event["json"]
                if line["stream"] != "stdout":
                    continue
                self.delays.append((now_ns - int(line["message"].split()[1])) / 1e6)
                self.seqs.append(line["seq"])
                got += 1
        except Exception as e:  # noqa: BLE001 (reported as INVALID)
            self.error = e
        finally:
            self.client.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "slipway"))
    ap.add_argument("--deployments", type=int, default=50)
    ap.add_argument("--lines", type=int, default=10)
    ap.add_argument("--interval", type=float, default=0.1)
    args = ap.parse_args()

    if not sshd.available():
        raise SystemExit("openssh-server is not installed (scripts/install-deps test)")
    os.environ["SLIPWAY_OUTBOUND_ALLOW"] = "127.0.0.0/8"
    with sshd.Sshd() as ssh:
        slipway = benchlib.Slipway(args.binary, 2, log_level="warn")
        try:
            return run(args, ssh, slipway)
        finally:
            slipway.stop()


def run(args, ssh, slipway):
    base = "/api/v1/%s/" % slipway.tenant

    def post(path, body=None):
        return slipway.must("POST", base + path, None if body is None else json.dumps(body))

    hosts = [post("hosts", {"name": "box-%d" % i, "address": "127.0.0.1", "port": ssh.port, "username": ssh.user,
                            "authMethod": "key", "secret": ssh.client_key, "maxConcurrent": 64})["id"]
             for i in range(HOSTS)]
    for h in hosts:
        post("hosts/%s/test" % h)  # the host key pinned before the run
    body = 'for i in $(seq 1 %d); do echo "t $(date +%%s%%N)"; sleep %s; done\n' % (args.lines, args.interval)
    script = post("deployment-scripts", {"name": "lines", "body": body})["id"]

    def sample():
        return benchlib.rss_kib(slipway.proc.pid, "Threads"), slipway.rss()

    def stored_delays(deps):
        """Each line's createdAt (stamped as it arrived) less the host's clock in it, in ms."""
        db = sqlite3.connect(slipway.db)
        try:
            rows = db.execute("SELECT message, createdAt FROM deployment_logs WHERE stream = 'stdout' AND deploymentId IN "
                              "(%s)" % ",".join("?" * len(deps)), deps).fetchall()
        finally:
            db.close()
        return [datetime.datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000 - int(m.split()[1]) / 1e6
                for m, at in rows]

    def most_at_once(deps):
        """The most steps of these deployments RUNNING at the same moment (from their startedAt, finishedAt)."""
        db = sqlite3.connect(slipway.db)
        try:
            rows = db.execute("SELECT startedAt, finishedAt FROM deployment_runs WHERE startedAt IS NOT NULL AND "
                              "finishedAt IS NOT NULL AND deploymentId IN (%s)" % ",".join("?" * len(deps)), deps).fetchall()
        finally:
            db.close()
        edges = sorted([(a, 1) for a, _ in rows] + [(b, -1) for _, b in rows], key=lambda e: (e[0], e[1]))
        most = now = 0
        for _, d in edges:
            now += d
            most = max(most, now)
        return most

    def phase(n):
        idle = sample()
        peak = list(idle)
        start = time.monotonic()
        deps = [post("deployments", {"hostIds": hosts, "scriptIds": [script]})["id"] for _ in range(n)]
        followers = [Follower(slipway, d, HOSTS * args.lines) for d in deps]
        for f in followers:
            f.start()
        pending = set(deps)
        statuses = {}
        deadline = time.monotonic() + 600
        while pending and time.monotonic() < deadline:
            threads, rss = sample()
            peak = [max(peak[0], threads), max(peak[1], rss)]
            for d in list(pending):
                status = slipway.must("GET", base + "deployments/" + d)["status"]
                if status in END:
                    statuses[d] = status
                    pending.discard(d)
            time.sleep(0.1)
        wall = time.monotonic() - start
        for f in followers:
            f.join(120)
        problems = ["%d deployment(s) did not end" % len(pending)] if pending else []
        problems += ["deployment %s ended %s" % (d, s) for d, s in statuses.items() if s != "SUCCEEDED"]
        problems += ["a follower: %r" % f.error for f in followers if f.error]
        problems += ["lines out of order" for f in followers if f.seqs != sorted(f.seqs)]
        delays = [x for f in followers for x in f.delays]
        stored = stored_delays(deps)
        result = {"n": n, "wall": wall, "at_once": most_at_once(deps), "idle": idle, "peak": peak, "p50": percentile(delays, 0.5),
                  "p99": percentile(delays, 0.99), "s50": percentile(stored, 0.5), "s99": percentile(stored, 0.99),
                  "lines": len(delays), "problems": problems}
        say("%d deployment(s): %.1f s, at most %d steps running at once, threads %d -> %d, RSS %d -> %d KiB, delay to SSE p50 %.0f ms p99 %.0f ms, to the row "
            "p50 %.0f ms p99 %.0f ms (%d lines)%s" % (
                n, wall, result["at_once"], idle[0], peak[0], idle[1], peak[1], result["p50"], result["p99"], result["s50"], result["s99"],
                len(delays), "; INVALID: " + "; ".join(problems[:5]) if problems else ""))
        return result

    one = phase(1)
    many = phase(args.deployments)
    print("| run | wall s | steps at once | threads idle | threads peak | RSS idle KiB | RSS peak KiB | host to row p50 / p99 ms | "
          "host to SSE p50 / p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in (one, many):
        print("| %d x %d hosts | %.1f | %d | %d | %d | %d | %d | %.0f / %.0f | %.0f / %.0f |" % (
            r["n"], HOSTS, r["wall"], r["at_once"], r["idle"][0], r["peak"][0], r["idle"][1], r["peak"][1], r["s50"], r["s99"], r["p50"],
            r["p99"]))
    print("%d x the deployments: wall time x%.2f, peak threads x%.2f, peak RSS x%.2f (against 1 deployment)" % (
        args.deployments, many["wall"] / one["wall"], many["peak"][0] / one["peak"][0], many["peak"][1] / one["peak"][1]))
    return 1 if one["problems"] or many["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
