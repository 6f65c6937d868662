#!/usr/bin/env python3
"""Crash consistency: kill -9 slipway during concurrent whole-setup saves.

One slipway on a fresh SQLite database; TENANTS tenants, each saved over
and over by its own client (document 001 section 9's body, every save
stamped with a new generation number in every integration it writes:
repository, bundle id, package name, workflow paths, Slack channel). At a
random moment the server gets SIGKILL; it is then started again, as an
operator would, with nothing done in between. After each restart:

  - it is ready within READY_TIMEOUT (it starts without help);
  - `PRAGMA integrity_check` answers ok;
  - every tenant's setup is all or nothing: either no integration at all
    and no settings, or all six integrations carrying the same generation,
    with the targets selected (no save is half-applied, none mixes two);
  - that generation is at least the last one the server acknowledged
    (a 200 is durable) and at most the last one sent;
  - the setup.save audit rows of the tenant number at least the acknowledged
    saves and at most the sent ones (the audit row commits with the save).

At the end the server is stopped with SIGTERM and must exit 0 with no
sanitizer report in its log. Prints one summary line.

    crash_consistency.py [KILLS]        (SLIPWAY_BIN: the binary; default build/slipway)
"""

import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402  (tests/api: binary path, free port)
import integration_fixtures as fx  # noqa: E402  (key material made with openssl)

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
TENANTS = 8
READY_TIMEOUT = 20.0
KEY = "c0ffee00000000000000000000000000000000000000000000000000000000c1"
GEN_RE = re.compile(r"gen(\d+)x")
CATEGORIES = ("scm", "targets", "pipelines", "communication")
EXPECTED_INTEGRATIONS = 6  # GitHub, App Store, Play Store, two workflows, Slack


class Slipway:
    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.db = os.path.join(tmpdir, "slipway.db")
        self.port = harness.free_port()
        self.proc = None
        self.log = open(os.path.join(tmpdir, "stderr.log"), "ab")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        self.env.update(SLIPWAY_DATABASE_URL="sqlite://" + self.db, SLIPWAY_LISTEN="127.0.0.1:%d" % self.port,
                        INTEGRATION_ENCRYPTION_KEY=KEY, SLIPWAY_LOG_LEVEL="warn")

    def bootstrap(self):
        out = subprocess.run([harness.binary_path(), "admin", "bootstrap", "--email", "crash@example.com", "--org",
                              "Crash Org"], env=self.env, cwd=self.tmpdir, capture_output=True, check=True, timeout=120)
        return json.loads(out.stdout.decode().strip().splitlines()[-1])

    def start(self):
        started = time.monotonic()
        self.proc = subprocess.Popen([harness.binary_path(), "serve", "--migrate"], env=self.env, cwd=self.tmpdir,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        while time.monotonic() - started < READY_TIMEOUT:
            if self.proc.poll() is not None:
                raise AssertionError("slipway exited (%s) on start; see %s/stderr.log" % (self.proc.returncode,
                                                                                          self.tmpdir))
            try:
                if self.request("GET", "/readyz", timeout=2)[0] == 200:
                    return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("slipway not ready %.0f s after a restart" % READY_TIMEOUT)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def request(self, method, path, body=None, token=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = "Bearer " + token
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
        finally:
            conn.close()


def setup_body(tenant_no, gen):
    mark = "gen%dx" % gen
    return fx.full_setup_body() | {
        "github": fx.setup_github(organization="crash-%d" % tenant_no, repoName="app-" + mark),
        "appStoreConnect": fx.setup_app_store(bundleId="com.slipway." + mark),
        "playStore": fx.setup_play_store(packageName="com.slipway." + mark),
        "cicd": fx.setup_actions([
            {"name": "iOS Build", "workflowPath": ".github/workflows/ios-%s.yml" % mark, "platform": "IOS",
             "target": "APP_STORE"},
            {"name": "Android Build", "workflowPath": ".github/workflows/android-%s.yml" % mark,
             "platform": "ANDROID", "target": "PLAY_STORE"}]),
        "slack": fx.setup_slack(channels=["rel-" + mark]),
    }


class Saver(threading.Thread):
    """Saves one tenant's setup again and again, until the server goes away."""

    def __init__(self, server, token, tenant_id, tenant_no, next_gen):
        super().__init__(daemon=True)
        self.server, self.token, self.tenant_id, self.tenant_no = server, token, tenant_id, tenant_no
        self.gen = next_gen
        self.sent = self.acked = None
        self.acked_count = self.sent_count = 0
        self.failure = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": "Bearer " + self.token}
        path = "/api/v1/%s/release-management/setup" % self.tenant_id
        while True:
            body = json.dumps(setup_body(self.tenant_no, self.gen))
            self.sent, self.sent_count = self.gen, self.sent_count + 1
            try:
                conn.request("POST", path, body=body, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException):
                return  # killed
            if resp.status != 200:
                self.failure = "save of generation %d answered %d: %s" % (self.gen, resp.status, raw[:300])
                return
            self.acked, self.acked_count = self.gen, self.acked_count + 1
            self.gen += 1


def check(server, token, tenants, history):
    """Integrity, and all-or-nothing per tenant against what the clients saw; returns committed saves."""
    with sqlite3.connect("file:%s?mode=ro" % server.db, uri=True, timeout=30) as db:
        result = db.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise AssertionError("integrity_check: %s" % result)
        audits = dict(db.execute("SELECT tenantId, COUNT(*) FROM audit_logs WHERE action = 'setup.save' AND "
                                 "outcome = 'success' GROUP BY tenantId").fetchall())
    committed = 0
    for no, tenant in enumerate(tenants):
        items = []
        for category in CATEGORIES:
            status, page = server.request("GET", "/api/v1/%s/integrations/%s?limit=100" % (tenant, category),
                                          token=token)
            if status != 200:
                raise AssertionError("listing %s of tenant %d answered %d" % (category, no, status))
            items += page["items"]
        status, setup = server.request("GET", "/api/v1/%s/release-management/setup" % tenant, token=token)
        gens = [set(map(int, GEN_RE.findall(json.dumps(i)))) for i in items]
        h = history[no]
        where = "tenant %d (acked %s, sent %s)" % (no, h["acked"], h["sent"])
        if not items:
            if h["acked"] is not None:
                raise AssertionError("%s: an acknowledged save was lost: no integrations" % where)
            if setup["selectedTargets"]:
                raise AssertionError("%s: targets selected but no integration saved" % where)
            gen = None
        else:
            if len(items) != EXPECTED_INTEGRATIONS or any(len(g) != 1 for g in gens):
                raise AssertionError("%s: half a save: %d integrations, generations %s" % (where, len(items), gens))
            gen = set.union(*gens)
            if len(gen) != 1:
                raise AssertionError("%s: one setup mixes saves %s" % (where, sorted(gen)))
            gen = gen.pop()
            if (h["acked"] is not None and gen < h["acked"]) or gen > h["sent"]:
                raise AssertionError("%s: holds generation %d" % (where, gen))
            if sorted(setup["selectedTargets"]) != ["APP_STORE", "PLAY_STORE"] or not setup["setupComplete"]:
                raise AssertionError("%s: integrations saved without the settings: %s" % (where, setup))
        n = audits.get(tenant, 0)
        if not h["acked_total"] <= n <= h["sent_total"]:
            raise AssertionError("%s: %d setup.save audit rows for %d acknowledged and %d sent saves"
                                 % (where, n, h["acked_total"], h["sent_total"]))
        h["committed"] = gen
        committed += n
    return committed


def main():
    tmpdir = tempfile.mkdtemp(prefix="slipway-crash-")
    server = Slipway(tmpdir)
    rng = random.Random(os.environ.get("SLIPWAY_CRASH_SEED") or time.time_ns())
    admin = server.bootstrap()
    token = admin["token"]
    server.start()
    tenants = []
    for no in range(TENANTS):
        status, tenant = server.request("POST", "/api/v1/tenants", {"orgName": "Crash %d" % no}, token=token)
        assert status == 201, (status, tenant)
        tenants.append(tenant["id"])
    history = [{"acked": None, "sent": None, "acked_total": 0, "sent_total": 0} for _ in tenants]
    next_gen = [1] * TENANTS
    restarts, saves_acked, started = [], 0, time.monotonic()
    for kill in range(KILLS):
        savers = [Saver(server, token, t, no, next_gen[no]) for no, t in enumerate(tenants)]
        for s in savers:
            s.start()
        time.sleep(rng.uniform(0.05, 1.5))
        server.kill9()
        for no, s in enumerate(savers):
            s.join(30)
            if s.failure:
                raise AssertionError("tenant %d: %s" % (no, s.failure))
            h = history[no]
            if s.sent is not None:
                h["sent"] = s.sent
            if s.acked is not None:
                h["acked"] = s.acked
            h["acked_total"] += s.acked_count
            h["sent_total"] += s.sent_count
            saves_acked += s.acked_count
            next_gen[no] = s.gen + 1
        restarts.append(server.start())
        check(server, token, tenants, history)
        print("kill %d/%d: %d saves acknowledged so far; restart ready in %.2f s; consistent"
              % (kill + 1, KILLS, saves_acked, restarts[-1]), flush=True)
    code = server.stop()
    log = open(os.path.join(tmpdir, "stderr.log"), "rb").read().decode("utf-8", "replace")
    bad = [p for p in harness.SANITIZER_PATTERNS if p in log]
    if code != 0 or bad:
        raise AssertionError("slipway exited %s after SIGTERM; log has %s; see %s" % (code, bad, tmpdir))
    empty = sum(1 for h in history if h["committed"] is None)
    print("crash consistency: %d kills -9 during concurrent setup saves of %d tenants, %d saves acknowledged, "
          "none lost or half-applied (%d tenants still empty), integrity ok after each restart, slowest restart "
          "%.2f s, %.0f s in all" % (KILLS, TENANTS, saves_acked, empty, max(restarts), time.monotonic() - started))
    shutil.rmtree(tmpdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
