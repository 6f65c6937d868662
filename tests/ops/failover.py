#!/usr/bin/env python3
"""Three slipway processes behind nginx on one database; one dies (SIGKILL) under load.

    SLIPWAY_TEST_DB_STATE=build/db-postgres.json SLIPWAY_BIN=build/slipway python3 tests/ops/failover.py

(CTest: ops.failover.postgres and ops.failover.mysql, on the private servers
tests/db/dbserver starts; docs/operations.md, "Several processes".)

tests/ops/cluster.py starts three `slipway serve` on one fresh database and
Debian's nginx in front of them with the recommended configuration
(proxy_next_upstream error timeout). Live audit streams are opened through
nginx by EventSource-like clients (they reconnect after the `retry:` the
stream gives, with Last-Event-ID); the process killed is one that holds a
stream (each process's /metrics says how many it holds). Then a mixed load
runs through nginx: readers (GET of a tenant, its members, its audit log,
the setup status, /me), and writers (renames of the streamed tenant, new
members of another tenant, new API tokens). Partway, the process is killed
with SIGKILL, and the load goes on. Checked:
- no request failed past nginx's retry: every GET answered 200; a write may
  fail only with nginx's 502, only if it had been sent to the killed process
  (nginx's log names it as the one and only upstream tried: a POST or PATCH
  already sent is not sent again, as it may have been applied), at most one
  per writer, and writes succeed after the kill;
- nginx did retry: a request that met the dead process was answered by a
  survivor;
- the streams reconnected to survivors and missed nothing: each client got
  every audit event of the tenant from its first connection on, once each,
  in order, although the streams on the killed process broke;
- the survivors stop cleanly (SIGTERM, exit 0).
- a workflow that was running on the killed process finished exactly once:
  each process runs a multi-step workflow of the test-only job kind probe
  (src/jobs/probe.h, the one tests/reliability/workflows.py kills processes
  under) whose first step's effect the fake provider holds unanswered until
  the kill; every workflow ends DONE, once, with each step's effect made
  once, the victim's interrupted step asked for again by a survivor, and no
  job left leased by the dead process (Workflows below). No HTTP route
  starts a workflow yet (releases do not exist): each process creates its
  own as it starts.
The run is bounded: a few seconds of load before and after the kill.
"""
import http.client
import os
import sys
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402
import harness  # noqa: E402 (tests/api, put on the path by cluster)
import workflows  # noqa: E402 (tests/reliability, put on the path by cluster)

LOAD_BEFORE_KILL = 4.0  # seconds of load before the kill, and after it
LOAD_AFTER_KILL = 6.0  # (longer: the broken streams wait the 3 s their `retry:` asks before reconnecting)
READERS = 4
STREAMS = 3
CATCH_UP = 30.0  # seconds the streams get to deliver the last events once the load stopped
NON_IDEMPOTENT = ("POST", "PATCH")  # what nginx never sends twice
WORKFLOW_END = 60.0  # seconds the workflows get to end after the load (the victim's is taken over once its lease ran out)
ENDED = ("DONE", "FAILED", "CANCELLED")


class Workflows:
    """A workflow running on the killed process finishes exactly once (the test-only job kind probe, src/jobs/probe.h).

    Each process created, as it started, one probe workflow of workflows.STEPS steps that is its own (cluster.py,
    probe_steps), and the fake holds every answer: each workflow waits at its first step, its effect made at the
    fake, leased by its process. start() checks that the victim holds one so; killed() lets the answers go (the
    victim's is lost with it); check() waits until every workflow ended and asserts that each finished exactly once:
    DONE, one finished run, each step's effect once at the fake (workflows.check), the victim's interrupted step
    asked for again by a survivor (same idempotency key: no second effect), and no job left leased by the dead
    process.
    """

    def __init__(self, cluster, victim):
        self.cluster, self.victim = cluster, victim
        self.interrupted = None

    def probes(self):
        return [r for r in self.cluster.jobs() if r["kind"] == "probe"]

    def start(self, test):
        fake, pids = self.cluster.fake, {str(n.pid) for n in self.cluster.nodes}
        workflows.wait_for("each process's workflow to make its first effect",
                           lambda: all(fake.unanswered_effect(pid) for pid in pids), 20)
        self.interrupted = fake.unanswered_effect(self.victim.pid)
        owners = {r["id"]: lease_pid(r["leaseowner"]) for r in self.probes() if r["state"] == "RUNNING"}
        test.assertEqual(sorted(owners.values()), sorted(pids), "one workflow running on each process")
        workflow_id = self.interrupted[0].split(".")[0]  # the key is <job id>.<cycle>.<step>
        test.assertEqual(owners.get(workflow_id), str(self.victim.pid), "the victim's held step is of its own workflow")

    def killed(self):
        self.cluster.fake.release()

    def check(self, test):
        cluster, fake, victim = self.cluster, self.cluster.fake, str(self.victim.pid)
        expected = len(cluster.nodes)
        workflows.wait_for("every workflow to end", lambda: all(r["state"] in ENDED for r in self.probes()), WORKFLOW_END)
        workflows.check(fake, self.probes(), [self.interrupted], expected)
        key = self.interrupted[0]
        test.assertEqual(fake.senders[key][0], victim, "the victim sent the interrupted step's request first")
        survivors = {str(n.pid) for n in cluster.survivors()}
        test.assertTrue(set(fake.senders[key][1:]) and set(fake.senders[key][1:]) <= survivors,
                        "a survivor took the victim's workflow over: %s" % fake.senders[key])
        workflows.wait_for("no job leased by the dead process",
                           lambda: not [r for r in cluster.jobs() if lease_pid(r["leaseowner"]) == victim], WORKFLOW_END)
        print("failover: %d workflows of %d steps DONE, each step's effect once; the victim's interrupted step %s asked "
              "again by %s" % (expected, workflows.STEPS, key, fake.senders[key][1:]), file=sys.stderr)


def lease_pid(owner):
    """The process id in a leaseOwner (host:pid:random#claim), or None."""
    return owner.split(":")[1] if owner else None


class EventStream(threading.Thread):
    """An EventSource-like client of the audit stream: on a break it waits `retry` ms and reconnects with
    Last-Event-ID. events: [(id, data)] in arrival order; connections: request ids of each connection."""

    def __init__(self, port, tenant, token):
        super().__init__(daemon=True)
        self.port, self.path, self.token = port, "/api/v1/%s/audit-logs/stream" % tenant, token
        self.events, self.connections, self.refused = [], [], []
        self.last_id, self.retry_ms = None, 3000
        self.stopping = threading.Event()
        self.connected = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            self.connect_once()
            self.stopping.wait(self.retry_ms / 1000)

    def connect_once(self):
        rid = "stream-" + uuid.uuid4().hex
        headers = {"Authorization": "Bearer " + self.token, "Accept": "text/event-stream", "X-Request-Id": rid}
        if self.last_id:
            headers["Last-Event-ID"] = self.last_id
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)  # heartbeats come every second
        try:
            conn.request("GET", self.path, headers=headers)
            resp = conn.getresponse()
            if resp.status != 200:
                self.refused.append((rid, resp.status))
                return
            self.connections.append(rid)
            self.connected.set()
            event = {}
            while not self.stopping.is_set():
                line = resp.readline()
                if not line:
                    return  # the stream broke (its process died) or ended
                line = line.decode("utf-8").rstrip("\r\n")
                if not line:
                    if "data" in event:
                        self.events.append((event.get("id"), event["data"]))
                        if event.get("id"):
                            self.last_id = event["id"]
                    event = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if name == "retry" and value.isdigit():
                        self.retry_ms = int(value)
                    elif name in ("id", "event", "data"):
                        event[name] = value
        except (OSError, http.client.HTTPException):
            return
        finally:
            conn.close()

    def ids(self):
        return [eid.split("/", 1)[1] for eid, _ in self.events]

    def stop(self):
        self.stopping.set()


class Load:
    """Readers and writers through nginx until stopped; results: (request id, method, path, status, start, end)."""

    def __init__(self, front, org, other):
        self.front, self.org, self.other = front, org, other
        self.results, self.stopping = [], threading.Event()
        t = org.id
        self.reads = [("/api/v1/%s" % t, "viewer"), ("/api/v1/%s/members" % t, "viewer"),
                      ("/api/v1/%s/audit-logs?limit=5" % t, "owner"), ("/api/v1/%s/release-management/setup" % t, "editor"),
                      ("/api/v1/me", "viewer")]
        self.threads = [threading.Thread(target=self.reader, args=(i,), daemon=True) for i in range(READERS)]
        self.threads += [threading.Thread(target=w, daemon=True) for w in (self.renamer, self.member_adder, self.tokens)]

    def call(self, method, path, token, body=None):
        rid = "load-" + uuid.uuid4().hex
        start = time.monotonic()
        try:
            resp = self.front.request(method, path, body=body, token=token, headers={"X-Request-Id": rid}, timeout=30)
            status = resp.status
        except OSError as e:
            status = "no answer: %s" % e
        self.results.append((rid, method, path, status, start, time.monotonic()))
        return status

    def reader(self, i):
        n = i
        while not self.stopping.is_set():
            path, role = self.reads[n % len(self.reads)]
            self.call("GET", path, self.org.by_role(role).token)
            n += 1

    def renamer(self):
        n = 0
        while not self.stopping.is_set():
            n += 1
            self.call("PATCH", "/api/v1/%s" % self.org.id, self.org.owner.token, {"orgName": "Failover %d" % n})

    def member_adder(self):
        while not self.stopping.is_set():
            self.call("POST", "/api/v1/%s/members" % self.other.id, self.other.owner.token,
                      {"email": harness.unique_email("fo"), "role": "viewer"})

    def tokens(self):
        while not self.stopping.is_set():
            self.call("POST", "/api/v1/me/tokens", self.other.editor.token, {"name": "failover"})

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(60)


class FailoverTest(unittest.TestCase):
    def audit_ids(self, front, org):
        return [row["id"] for row in harness.walk_pages(self, front, "/api/v1/%s/audit-logs" % org.id, org.owner.token,
                                                         limit=200)]

    def test_one_of_three_killed_under_load(self):
        state = os.environ.get("SLIPWAY_TEST_DB_STATE")
        if not state:
            self.fail("SLIPWAY_TEST_DB_STATE: the state file of a database server tests/db/dbserver started")
        env = {"SLIPWAY_STREAM_HEARTBEAT": "1", "SLIPWAY_JOB_LEASE": "2", "SLIPWAY_JOB_POLL_MS": "200"}
        with Cluster(state, processes=3, extra_env=env, probe_steps=workflows.STEPS) as cluster:
            front = cluster.front
            org, other = harness.new_org(front), harness.new_org(front)
            before = set(self.audit_ids(front, org))

            streams = [EventStream(front.port, org.id, org.owner.token) for _ in range(STREAMS)]
            for s in streams:
                s.start()
                self.assertTrue(s.connected.wait(20), "a stream did not connect: %r" % s.refused)
            held = {n.index: n.streams_open() for n in cluster.nodes}
            self.assertEqual(sum(held.values()), STREAMS, held)
            victim = cluster.nodes[max(held, key=held.get)]

            workflow = Workflows(cluster, victim)
            workflow.start(self)
            load = Load(front, org, other)
            load.start()
            time.sleep(LOAD_BEFORE_KILL)
            killed_at = time.monotonic()
            cluster.kill(victim)
            workflow.killed()
            time.sleep(LOAD_AFTER_KILL)
            load.stop()
            workflow.check(self)

            self.check_requests(cluster, victim, load.results, killed_at)
            self.check_streams(cluster, front, org, before, streams, held[victim.index])
            for s in streams:
                s.stop()

    def check_requests(self, cluster, victim, results, killed_at):
        log = cluster.nginx_log()
        failed = [r for r in results if r[3] != 200 and r[3] != 201]
        for rid, method, path, status, _, _ in failed:
            with self.subTest(request="%s %s -> %s" % (method, path, status)):
                self.assertIn(method, NON_IDEMPOTENT, "an idempotent request failed although nginx retries those")
                self.assertEqual(status, 502, "only nginx's 502 for a write the dead process had")
                self.assertEqual(log[rid][2], [victim.address], "the write had been sent to the killed process, once")
        self.assertLessEqual(len(failed), 3, "at most one write in flight per writer when the process died")
        after = [r for r in results if r[4] > killed_at + 1]
        for method in ("GET", "PATCH", "POST"):
            self.assertTrue([r for r in after if r[1] == method and r[3] in (200, 201)], "%ss served after the kill" % method)
        # A request that was on the dead process when it died, or met it afterwards (nginx tries it again every
        # fail_timeout, 2 s): answered by another.
        retried = [e for e in log.values() if len(e[2]) > 1 and e[2][0] == victim.address and e[1] in (200, 201)]
        self.assertTrue(retried, "nginx retried a request that met the dead process on another")
        served_by = {a for e in log.values() for a in e[2][-1:]}
        self.assertTrue({n.address for n in cluster.survivors()} <= served_by, "both survivors served")
        print("failover: %d requests (%d after the kill), %d writes lost with the killed process, %d retried by nginx"
              % (len(results), len([r for r in results if r[4] > killed_at]), len(failed), len(retried)), file=sys.stderr)

    def check_streams(self, cluster, front, org, before, streams, victim_streams):
        expected = [i for i in reversed(self.audit_ids(front, org)) if i not in before]
        self.assertTrue(expected, "the renames made audit events")
        deadline = time.monotonic() + CATCH_UP
        while time.monotonic() < deadline and not all(set(expected) <= set(s.ids()) for s in streams):
            time.sleep(0.2)
        for n, s in enumerate(streams):
            with self.subTest(stream=n):
                got = s.ids()
                self.assertEqual(len(got), len(set(got)), "an event came twice")
                self.assertEqual(sorted(set(expected) - set(got)), [], "a gap: events the stream never delivered")
                self.assertEqual(sorted(set(got) - set(expected)), [], "events that are not the tenant's new ones")
                self.assertEqual(got, sorted(got, key=lambda i: expected.index(i)), "out of order")
                self.assertEqual(s.refused, [])
        broken = [s for s in streams if len(s.connections) > 1]
        self.assertGreaterEqual(len(broken), victim_streams, "the killed process's streams reconnected")
        held = sum(n.streams_open() for n in cluster.survivors())
        self.assertEqual(held, STREAMS, "every stream is open on a survivor")
        print("failover: %d stream(s), %d reconnected, %d events each, no gap" % (len(streams), len(broken), len(expected)),
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
