#!/usr/bin/env python3
"""200 concurrent verifications against a provider that answers after one second.

Issue "Verify every integration": outbound calls run on one event loop, so a
slow provider holds no request thread. This starts a fake TestRail that waits
one second before each answer, starts slipway (two HTTP threads, a fresh
SQLite database), fires 200 `POST /api/v1/setup/verify-testrail` checks at
once, and meanwhile polls `GET /healthz`. It prints the wall time of the 200
(baseline: the provider's own 1 s) and /healthz's p50/p99 during the run.
Targets: wall time under 1.5 s; /healthz p99 under 50 ms.

    bench/verify_concurrency.py [--binary build-bench/slipway] [--count 200] [--delay 1.0]
"""
import argparse
import http.client
import http.server
import json
import os
import pathlib
import secrets
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "db"))
from ports import free_port  # noqa: E402


class SlowTestRail(http.server.BaseHTTPRequestHandler):
    delay = 1.0

    def do_GET(self):
        time.sleep(self.delay)
        body = json.dumps({"id": 1, "name": "Bench project"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def call(port, method, path, body=None, token=None, timeout=30):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    c.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))] if values else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=str(ROOT / "build-bench" / "slipway"))
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--delay", type=float, default=1.0)
    args = ap.parse_args()
    if not os.path.exists(args.binary):
        sys.exit("no %s: run bench/run once (it builds build-bench/), or pass --binary" % args.binary)

    SlowTestRail.delay = args.delay
    fake = Server(("127.0.0.1", free_port()), SlowTestRail)
    threading.Thread(target=fake.serve_forever, daemon=True).start()

    tmp = tempfile.mkdtemp(prefix="slipway-verify-bench-")
    port = free_port()
    env = dict(os.environ, SLIPWAY_DATABASE_URL="sqlite://%s/s.db" % tmp, SLIPWAY_LISTEN="127.0.0.1:%d" % port,
               INTEGRATION_ENCRYPTION_KEY=secrets.token_hex(32), SLIPWAY_OUTBOUND_ALLOW="127.0.0.0/8",
               SLIPWAY_THREADS="2", SLIPWAY_LOG_LEVEL="warn")
    boot = json.loads(subprocess.run([args.binary, "admin", "bootstrap", "--email", "bench@example.com", "--org", "Bench"],
                                     env=env, check=True, capture_output=True, text=True).stdout)
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([args.binary, "serve", "--migrate"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(100):
            try:
                if call(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        body = {"tenantId": boot["tenantId"],
                "config": {"displayName": "Bench", "testRailUrl": "http://127.0.0.1:%d" % fake.server_port,
                           "testRailUsername": "qa@example.com", "testRailApiKey": "bench-api-key-000000",
                           "testRailProjectId": 1}}
        assert json.loads(call(port, "POST", "/api/v1/setup/verify-testrail", body, boot["token"])[1])["verdict"] == "VALID"

        health, stop = [], threading.Event()

        def poll():
            while not stop.is_set():
                t = time.perf_counter()
                call(port, "GET", "/healthz")
                health.append((time.perf_counter() - t) * 1000)
                time.sleep(0.005)

        results = [None] * args.count
        barrier = threading.Barrier(args.count + 1)

        def verify(i):
            barrier.wait()
            results[i] = call(port, "POST", "/api/v1/setup/verify-testrail", body, boot["token"])

        poller = threading.Thread(target=poll)
        workers = [threading.Thread(target=verify, args=(i,)) for i in range(args.count)]
        for w in workers:
            w.start()
        poller.start()
        time.sleep(0.2)
        barrier.wait()
        start = time.perf_counter()
        for w in workers:
            w.join()
        wall = time.perf_counter() - start
        stop.set()
        poller.join()
        valid = sum(1 for s, d in results if s == 200 and json.loads(d)["verdict"] == "VALID")
        print("%d concurrent verifications, provider delay %.1f s" % (args.count, args.delay))
        print("  wall time      %.3f s   (%.2fx the provider's delay)   target < 1.5 s   %s"
              % (wall, wall / args.delay, "PASS" if wall < 1.5 * args.delay else "BELOW"))
        print("  VALID answers  %d/%d" % (valid, args.count))
        print("  /healthz       p50 %.1f ms   p99 %.1f ms   (%d probes)   target p99 < 50 ms   %s"
              % (percentile(health, 0.5), percentile(health, 0.99), len(health),
                 "PASS" if percentile(health, 0.99) < 50 else "BELOW"))
        sys.exit(0 if valid == args.count else 1)
    finally:
        server.terminate()
        server.wait(timeout=20)
        fake.shutdown()


if __name__ == "__main__":
    main()
