"""What bench/growth.py and bench/soak.py share (standard library only).

A slipway of their own, on a fresh SQLite database in a temporary
directory (bootstrapped, one setup saved, like bench/run's), wrk runs
parsed into numbers, and the process's memory from /proc.
"""

import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "db"))
from ports import free_port  # noqa: E402,F401 (also benchlib.free_port)


def arguments(**defaults):
    """The command line bench/growth.py and bench/soak.py share: SLIPWAY_BIN SETUP_BODY [--connections] [--threads], plus
    one --NAME option per keyword (its default's type)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("slipway")
    ap.add_argument("body")
    ap.add_argument("--threads", type=int, default=2)
    for name, default in defaults.items():
        ap.add_argument("--" + name, type=type(default), default=default)
    return ap.parse_args()


def rss_kib(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Slipway:
    """slipway serve on a fresh database; stop() checks it exits 0."""

    def __init__(self, binary, threads, log_level=None):
        self.binary = binary
        self.tmp = tempfile.mkdtemp(prefix="slipway-bench-")
        self.db = os.path.join(self.tmp, "slipway.db")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.env = dict(os.environ, SLIPWAY_DATABASE_URL="sqlite://" + self.db,
                        SLIPWAY_LISTEN="127.0.0.1:%d" % self.port, SLIPWAY_THREADS=str(threads))
        if not self.env.get("INTEGRATION_ENCRYPTION_KEY") and not self.env.get("INTEGRATION_ENCRYPTION_KEY_FILE"):
            self.env["INTEGRATION_ENCRYPTION_KEY"] = os.urandom(32).hex()
        if log_level:
            self.env["SLIPWAY_LOG_LEVEL"] = log_level
        out = subprocess.run([binary, "admin", "bootstrap", "--email", "bench@example.com", "--org", "Bench"],
                             env=self.env, capture_output=True, check=True, timeout=120).stdout.decode()
        boot = json.loads([line for line in out.splitlines() if line.startswith("{")][0])
        self.token, self.tenant, self.account = boot["token"], boot["tenantId"], boot["accountId"]
        self.log_path = os.path.join(self.tmp, "slipway.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([binary, "serve", "--migrate"], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(300):
            if self.proc.poll() is not None:
                raise SystemExit("slipway exited on start; see %s" % self.log_path)
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("slipway did not start; see %s" % self.log_path)

    def request(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            headers = {"Authorization": "Bearer " + self.token}
            if body is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def must(self, method, path, body=None):
        status, raw = self.request(method, path, body)
        if status // 100 != 2:
            raise SystemExit("%s %s answered %d: %s" % (method, path, status, raw[:300]))
        return json.loads(raw) if raw else None

    def new_tenant(self, name):
        return self.must("POST", "/api/v1/tenants", json.dumps({"orgName": name}))["id"]

    def save_setup(self, tenant, body_file):
        with open(body_file, "rb") as f:
            answer = self.must("POST", "/api/v1/%s/release-management/setup" % tenant, f.read())
        if not answer.get("setupComplete"):
            raise SystemExit("the setup saved for %s is not complete: %s" % (tenant, answer))

    def rss(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        self.log.close()
        return code


class WrkFailed(Exception):
    """wrk ran no request (the server is not there)."""


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    n = float(m.group(1))
    return n * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[m.group(2)]


def wrk(url, seconds, connections, threads=2, headers=(), script=None, env=None):
    """Runs wrk --latency; returns {rps, p50, p99, requests, errors} (errors: non-2xx, socket errors, script errors)."""
    cmd = [os.environ.get("BENCH_WRK", "wrk"), "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", script]
    proc = subprocess.run(cmd + [url], capture_output=True, env=env, timeout=seconds + 60)
    out = proc.stdout.decode()
    if not re.search(r"^Requests/sec:", out, re.M):
        raise WrkFailed("exit status %s: %s" % (proc.returncode, (out + proc.stderr.decode()).strip()[:300]))
    result = {"rps": float(re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M).group(1)),
              "p50": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
              "p99": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1)), "errors": 0, "non2xx": 0}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        result["non2xx"] = int(m.group(1))
        result["errors"] += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        result["errors"] += int(m.group(1)) + int(m.group(4))
    m = re.search(r"^Script errors: (\d+)", out, re.M)
    if m:
        result["errors"] += int(m.group(1))
    result["output"] = out
    return result


def release_tenant(binary, env=None):
    """A slipway (SLIPWAY_BIN = binary) on a fresh SQLite database with the API tests' fakes, and a tenant that can
    run releases on a VALID GitHub connection: (shared database, server, its verify_fixtures.Ctx, the SCM
    integration). Kickoffs are not what the benches measure: the GitHub budget is out of the way, and the fakes
    (Python) get time under load. env: more settings."""
    os.environ["SLIPWAY_BIN"] = os.path.abspath(binary)
    import unittest
    import test_releases as tr
    import verify_fixtures as vf

    client = vf.fakes()
    shared = vf.SharedDatabase(client)
    shared.env.update({"SLIPWAY_LOG_LEVEL": "warn", "SLIPWAY_JOB_POLL_MS": "200", "GITHUB_API_RATE_LIMIT": "1000000",
                       "SLIPWAY_OUTBOUND_TIMEOUT": "60000"})
    shared.env.update(env or {})
    server = shared.start()
    ctx = vf.Ctx(server, client)
    tr.allow_releases(unittest.TestCase(), ctx)
    scm, _ = tr.connect_scm(ctx)
    return shared, server, ctx, scm


def circleci_hook(ctx, server):
    """The tenant's IOS builds on the CircleCI fake (workflow "release", taking the parameters a release build sends)
    and the signed webhook CircleCI's deliveries come to: the webhook as POST .../webhook answered it (path, secret)."""
    import unittest
    import harness
    import verify_fixtures as vf

    case = vf.build(ctx, "CIRCLECI", True, True)
    case.body.update(platform="IOS", circleciWorkflowName="release")
    ctx.fakes.register("circleci", {"builds": {case.info["slug"]: {
        "parameters": ["version", "candidate", "buildNumber", "slipway_build_id"], "workflows": ["release"]}}})
    integ = ctx.create(case.body)
    return harness.expect(unittest.TestCase(), server.request(
        "POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (ctx.tenant_id, integ["id"]), token=ctx.token), 201)
