#!/usr/bin/env python3
"""Workflows under kill -9, and many jobs from several processes (docs/reliability.md, "Workflows (issue 12)").

Both use the test-only job kind "probe" (src/jobs/probe.h), which slipway
registers when SLIPWAY_TEST_PROBE is set: a multi-step workflow whose even
steps post an effect with an idempotency key, whose odd steps read before
they write, and whose middle step waits for an event a neighbour signals.
The fake provider is served here and counts every effect.

    workflows.py kill [KILLS]   two processes run workflows; KILLS times (20) one of them gets SIGKILL while a
                                request that made an effect is still unanswered, and a new process takes its
                                place (and enqueues more workflows). At the end every workflow is DONE, every
                                step's effect happened exactly once, every effect interrupted by a kill was asked
                                for again (and not made twice), every waiting step got its event.
    workflows.py many [JOBS]    three processes each enqueue a third of JOBS (1000) one-step jobs, due together;
                                each job runs exactly once (one request per idempotency key), whichever process
                                claims it.
    workflows.py crossed        a signal kept while its job started waiting (the two transactions crossed, as
                                under READ COMMITTED they can): the keeper hands it over within a turn.

The backend is SLIPWAY_TEST_BACKEND (sqlite, postgres, mysql; the servers'
state in SLIPWAY_TEST_DB_STATE, as for the API tests); SLIPWAY_BIN the
binary. Every process is stopped with SIGTERM at the end and must exit 0
with no sanitizer report. Prints one summary line.
"""

import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402  (binary, backend, fresh databases, free ports)
from harness import dbclient  # noqa: E402

KEY = "c0ffee00000000000000000000000000000000000000000000000000000000c2"
READY_TIMEOUT = 20.0
STEPS = 8        # the middle one (4) waits or signals; the others each make one effect
PER_START = 4    # workflows each process enqueues as it starts: two pairs
SANITIZER = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
TAKEOVER_RE = re.compile(r"running probe \S+ step \d+ \(attempt [2-9]")
HOLD_MAX = 60.0  # seconds a held answer waits for release() at most
KEY_RE = re.compile(r"^/(keyed|items)/([0-9a-f-]{36})\.(\d+)\.(\d+)$")


class Fake:
    """The provider: keyed effects (a repeated Idempotency-Key makes none), items read before written.
    With hold, every answer waits (at most HOLD_MAX seconds) until release(): the effects are made, the answers not
    yet given (tests/ops/failover.py kills a process while its step waits so)."""

    def __init__(self, delay=(0.05, 0.4), hold=False):
        self.lock = threading.Lock()
        self.delay = delay
        self.released = threading.Event()
        if not hold:
            self.released.set()
        self.keyed = {}       # key -> requests that carried it
        self.senders = {}     # key -> the processes that sent it
        self.items = {}       # key -> times created (more than one: an effect made twice)
        self.reads = {}       # key -> GETs
        self.pids = {}        # pid -> requests
        self.in_flight = {}   # (pid, key) -> kind of effect made and not yet answered
        self.bad = []         # requests the fake refused (wrong key header...)
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "GET")

            def do_POST(self):
                fake.handle(self, "POST")

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 1024  # hundreds of jobs call at once: none may wait in SYN retries

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, h, method):
        length = int(h.headers.get("Content-Length") or 0)
        if length:
            h.rfile.read(length)
        m = KEY_RE.match(h.path)
        pid = h.headers.get("X-Probe-Pid", "?")
        key = m.group(2) + "." + m.group(3) + "." + m.group(4) if m else None
        status, effect = 404, None
        with self.lock:
            self.pids[pid] = self.pids.get(pid, 0) + 1
            if not m or (method == "POST" and h.headers.get("Idempotency-Key") != key):
                self.bad.append((method, h.path, h.headers.get("Idempotency-Key")))
                status = 400
            elif m.group(1) == "keyed" and method == "POST":
                self.keyed[key] = self.keyed.get(key, 0) + 1
                self.senders.setdefault(key, []).append(pid)
                status, effect = (201, "keyed") if self.keyed[key] == 1 else (200, None)
            elif m.group(1) == "items" and method == "GET":
                self.reads[key] = self.reads.get(key, 0) + 1
                status = 200 if key in self.items else 404
            elif m.group(1) == "items" and method == "POST":
                self.items[key] = self.items.get(key, 0) + 1
                status, effect = 201, "item"
            if effect:
                self.in_flight[(pid, key)] = effect
        # The effect is made; the answer takes a while (a kill now loses it).
        self.released.wait(HOLD_MAX)
        time.sleep(random.uniform(*self.delay))
        with self.lock:
            self.in_flight.pop((pid, key), None)
        body = b"{}"
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except OSError:
            pass  # the process that asked is gone

    def unanswered_effect(self, pid):
        with self.lock:
            return next(((key, kind) for (p, key), kind in self.in_flight.items() if p == str(pid)), None)

    def release(self):
        self.released.set()

    def close(self):
        self.released.set()
        self.server.shutdown()


class Slipway:
    """One `slipway serve` on the shared database."""

    def __init__(self, tmp, database, probe, n, lease=2):
        self.port = harness.free_port()
        self.log_path = os.path.join(tmp, "slipway-%d.log" % n)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        self.env.update(SLIPWAY_DATABASE_URL=harness.database_url(database), SLIPWAY_LISTEN="127.0.0.1:%d" % self.port,
                        INTEGRATION_ENCRYPTION_KEY=KEY, SLIPWAY_JOB_LEASE=str(lease), SLIPWAY_JOB_POLL_MS="50",
                        SLIPWAY_JOB_WORKERS="2", SLIPWAY_OUTBOUND_ALLOW="127.0.0.0/8", SLIPWAY_LOG_LEVEL="info",
                        SLIPWAY_TEST_PROBE=json.dumps(probe))
        self.proc = subprocess.Popen([harness.binary_path(), "serve"], env=self.env, cwd=tmp, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=open(self.log_path, "ab"))
        self.pid = self.proc.pid

    def wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("slipway exited (%s) on start:\n%s" % (self.proc.returncode, self.log()[-3000:]))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.port, timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("slipway not ready after %.0f s:\n%s" % (READY_TIMEOUT, self.log()[-3000:]))

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        log = self.log()
        problems = ["exit status %d after SIGTERM" % code] if code != 0 else []
        problems += ["its log contains %r" % p for p in SANITIZER if p in log]
        if problems:
            raise AssertionError("slipway %d: %s\n%s" % (self.pid, "; ".join(problems), log[-3000:]))

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def migrate(tmp, database):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    env["SLIPWAY_DATABASE_URL"] = harness.database_url(database)
    subprocess.run([harness.binary_path(), "migrate", "up"], env=env, cwd=tmp, check=True, capture_output=True, timeout=120)


def rows(database):
    names, found = dbclient.query(harness.database_url(database),
                                  "SELECT id, state, attempts, output, payload FROM jobs WHERE kind = 'probe'")
    return [dict(zip((n.lower() for n in names), r)) for r in found]


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    if not predicate():
        raise AssertionError("waited %.0f s for %s" % (seconds, what))


def all_done(database, expected):
    found = rows(database)
    return len(found) == expected and all(r["state"] == "DONE" for r in found)


def kill_test(kills):
    tmp = tempfile.mkdtemp(prefix="slipway-workflows-")
    database = harness.new_database(tmp)
    fake = Fake()
    live, everyone, starts, interrupted = [], [], 0, []
    started = time.monotonic()

    def start():
        nonlocal starts
        probe = {"url": fake.url, "enqueue": {"count": PER_START, "steps": STEPS, "tag": "start%d" % starts, "pairs": True}}
        p = Slipway(tmp, database, probe, starts).wait_ready()
        starts += 1
        live.append(p)
        everyone.append(p)

    try:
        migrate(tmp, database)
        start()
        start()
        for k in range(kills):
            victim, found = None, None
            deadline = time.monotonic() + 20
            while found is None and time.monotonic() < deadline:
                for p in (live[k % 2], live[1 - k % 2]):  # alternately, whichever has an effect unanswered
                    found = fake.unanswered_effect(p.pid)
                    if found:
                        victim = p
                        break
                else:
                    time.sleep(0.01)
            if found is None:
                raise AssertionError("kill %d: no process had an effect unanswered for 20 s: %s" % (k + 1, rows(database)))
            victim.kill9()
            interrupted.append(found)
            live.remove(victim)
            start()
        expected = starts * PER_START
        wait_for("every workflow to end", lambda: all_done(database, expected), 120)
        for p in live:
            p.stop()
        live = []
        check(fake, rows(database), interrupted, expected)
        takeovers = sum(len(TAKEOVER_RE.findall(p.log())) for p in everyone)
        print("workflows %s: %d kills, %d workflows of %d steps, all DONE; each effect once; %d effects interrupted by a "
              "kill asked for again; %d steps taken over (attempt 2 or more); %.0f s" %
              (harness.BACKEND, kills, expected, STEPS, len(interrupted), takeovers, time.monotonic() - started))
    finally:
        for p in live:
            try:
                p.kill9()
            except Exception:
                pass
        fake.close()
        if os.environ.get("SLIPWAY_API_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def check(fake, found, interrupted, expected):
    problems = []
    if fake.bad:
        problems.append("requests the fake refused: %s" % fake.bad[:5])
    ids = {r["id"] for r in found}
    if len(ids) != expected:
        problems.append("%d workflows, expected %d" % (len(ids), expected))
    for r in found:
        out, payload = json.loads(r["output"] or "{}"), json.loads(r["payload"])
        if r["state"] != "DONE" or out.get("steps") != STEPS:
            problems.append("workflow %s ended %s with %s" % (r["id"], r["state"], out))
        if payload.get("wait") and (out.get("gotEvent") is not True or out.get("timedOut")):
            problems.append("workflow %s waited for its event in vain: %s" % (r["id"], out))
        for step in range(STEPS):
            key = "%s.0.%d" % (r["id"], step)
            if step == STEPS // 2 and (payload.get("wait") or payload.get("signal")):
                if key in fake.keyed or key in fake.items:
                    problems.append("the event step %s made an effect" % key)
            elif step % 2 == 0 and key not in fake.keyed:
                problems.append("step %s: its keyed effect never happened" % key)
            elif step % 2 == 1 and fake.items.get(key) != 1:
                problems.append("step %s: its item was created %d times" % (key, fake.items.get(key, 0)))
    known = {"%s.0.%d" % (i, s) for i in ids for s in range(STEPS)}
    strays = [k for k in list(fake.keyed) + list(fake.items) if k not in known]
    if strays:
        problems.append("effects of no step: %s" % strays[:5])
    for key, kind in interrupted:
        if kind == "keyed" and fake.keyed.get(key, 0) < 2:
            problems.append("the keyed effect %s interrupted by a kill was never asked for again" % key)
        if kind == "item" and fake.reads.get(key, 0) < 2:
            problems.append("the item %s interrupted by a kill was never read again before going on" % key)
    if problems:
        raise AssertionError("%d problem(s):\n  %s" % (len(problems), "\n  ".join(problems[:30])))


def many_test(jobs):
    tmp = tempfile.mkdtemp(prefix="slipway-manyjobs-")
    database = harness.new_database(tmp)
    fake = Fake(delay=(0, 0.005))
    procs = []
    started = time.monotonic()
    try:
        migrate(tmp, database)
        due = int(time.time() * 1000) + 3000  # after all three are up, as far as it goes
        shares = [jobs // 3 + (1 if n < jobs % 3 else 0) for n in range(3)]
        for n, share in enumerate(shares):
            # No process dies here, so what this test is about (each job claimed by one process of three) needs
            # no short lease or call timeout: a lease that runs out (a keeper late on a loaded machine) or a call
            # that times out (the fake slow to answer a thousand requests beside other tests) runs the step
            # again with the same key, which is right for a keyed effect but not this test's subject. Both were
            # seen to send a key twice in CI with the kill tests' 2 s lease and, twice, with 8 s and 10 s.
            probe = {"url": fake.url, "timeoutMs": 60000,
                     "enqueue": {"count": share, "steps": 1, "tag": "p%d" % n, "notBeforeMs": due}}
            procs.append(Slipway(tmp, database, probe, n, lease=30))
        for p in procs:
            p.wait_ready()
        wait_for("%d jobs to end" % jobs, lambda: all_done(database, jobs), 180)
        for p in procs:
            p.stop()
        found = rows(database)
        problems = []
        runs = {}
        for key, n in fake.keyed.items():
            runs[key] = n
        twice = [k for k, n in runs.items() if n != 1]
        if twice:
            problems.append("%d job(s) ran more than once: %s" % (len(twice), [(k, fake.senders[k]) for k in twice[:5]]))
        if len(runs) != jobs:
            problems.append("%d jobs ran, expected %d" % (len(runs), jobs))
        if any(r["attempts"] != 1 for r in found):
            problems.append("jobs with more than one attempt: %s" % [r for r in found if r["attempts"] != 1][:5])
        if fake.bad:
            problems.append("requests the fake refused: %s" % fake.bad[:5])
        if problems:  # with what the processes said about their jobs, to tell a retried call from a second claim
            said = [line for p in procs for line in p.log().splitlines() if '"level":"warn"' in line or "attempt 2" in line]
            raise AssertionError("\n".join(problems + said[:20]))
        by_pid = {pid: n for pid, n in fake.pids.items()}
        print("many %s: %d jobs enqueued by 3 processes (%s), each run once; runs by process %s; %.0f s" %
              (harness.BACKEND, jobs, "/".join(map(str, shares)), sorted(by_pid.values(), reverse=True),
               time.monotonic() - started))
    finally:
        for p in procs:
            if p.proc.poll() is None:
                p.kill9()
        fake.close()
        if os.environ.get("SLIPWAY_API_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


def crossed_test():
    """A signal kept while its job was starting to wait (the two transactions crossed): the job wakes a keeper's turn
    later, not at its deadline. The crossing is made by hand: one workflow waits for a key nobody signals, then the
    kept signal is written straight into job_events, as a signal that missed the WAITING row leaves it."""
    tmp = tempfile.mkdtemp(prefix="slipway-crossed-")
    database = harness.new_database(tmp)
    url = harness.database_url(database)
    fake = Fake()
    p = None
    started = time.monotonic()
    try:
        migrate(tmp, database)
        probe = {"url": fake.url, "enqueue": {"count": 1, "steps": 3, "tag": "crossed", "pairs": True}}
        p = Slipway(tmp, database, probe, 0).wait_ready()
        waiting = lambda: dbclient.query(url, "SELECT eventKey FROM jobs WHERE kind = 'probe' AND state = 'WAITING'")[1]
        wait_for("the workflow to wait for its event", lambda: bool(waiting()), 30)
        key = waiting()[0][0]
        dbclient.execute(url, "INSERT INTO job_events (eventKey, payload, createdAt) VALUES (?, ?, ?)",
                         (key, json.dumps({"from": "crossed"}), harness.format_time(harness.now())))
        # The probe waits up to 30 s (probe.c, WAIT_MS); the keeper runs every lease / 3 (SLIPWAY_JOB_LEASE=2 here).
        wait_for("the workflow to take the kept signal", lambda: all_done(database, 1), 10)
        out = json.loads(rows(database)[0]["output"] or "{}")
        if out.get("gotEvent") is not True or out.get("timedOut"):
            raise AssertionError("the workflow ended without its event: %s" % out)
        left = dbclient.query(url, "SELECT eventKey FROM job_events WHERE eventKey = ?", (key,))[1]
        if left:
            raise AssertionError("the signal handed over is still kept: %s" % left)
        p.stop()
        p = None
        print("crossed %s: the kept signal reached its waiting workflow; %.1f s" % (harness.BACKEND, time.monotonic() - started))
    finally:
        if p is not None and p.proc.poll() is None:
            p.kill9()
        fake.close()
        if os.environ.get("SLIPWAY_API_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "kill"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if mode == "kill":
        kill_test(count or 20)
    elif mode == "many":
        many_test(count or 1000)
    elif mode == "crossed":
        crossed_test()
    else:
        raise SystemExit(__doc__)
