"""Deployments (docs/deployments.md) against a private OpenSSH server (tests/api/sshd.py): hosts with key and
password logins, a wrong password, the host key pinned on first use and a changed one refused until an owner
accepts it, the outbound guard on host addresses, another tenant's hosts unseen; scripts run as deployments
whose output arrives in order over Server-Sent Events, a non-zero exit that fails the deployment, and cancel; a
script past its timeout stopped on the host, a connection dropped mid-script, output past the cap counted, a
host's one slot never shared, scheduled runs (cancelled, and started at their time), protected environments'
approvals (from their approver roles only) and frozen environments (holding a running deployment between its steps
too)."""

import datetime
import json
import os
import shutil
import tempfile

import time
import unittest
import uuid

import harness
import integration_fixtures as fx
import sshd
from test_stream import SseClient

WAIT = 20.0


def api(tenant, *parts):
    return "/api/v1/%s/%s" % (tenant, "/".join(parts))


def wait_for(fn, what, deadline=WAIT):
    """fn() until it returns something true; its last value."""
    end = time.monotonic() + deadline
    while True:
        value = fn()
        if value or time.monotonic() > end:
            if not value:
                raise AssertionError("%s: not within %d s" % (what, deadline))
            return value
        time.sleep(0.1)


@unittest.skipUnless(sshd.available(), "openssh-server is not installed (scripts/install-deps test)")
class DeployBase(harness.ApiTest):
    """A server that may call loopback (the sshd), an sshd, and a tenant with an owner, an editor and a viewer."""

    server_env = {"SLIPWAY_OUTBOUND_ALLOW": "127.0.0.0/8", "SLIPWAY_DEPLOY_OUTPUT_CAP": "4096"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ssh = sshd.Sshd().start()
        cls.org = harness.new_org(cls.server)
        cls.tenant = cls.org.id
        cls.server.remember_secret(cls.ssh.client_key.strip())
        if cls.ssh.password:
            cls.server.remember_secret(cls.ssh.password)

    @classmethod
    def tearDownClass(cls):
        cls.ssh.close()
        super().tearDownClass()

    def host(self, auth="key", secret=None, user=None, **extra):
        body = {"name": "host-" + uuid.uuid4().hex[:8], "address": "127.0.0.1", "port": self.ssh.port,
                "username": user or (self.ssh.user if auth == "key" else self.ssh.password_user), "authMethod": auth,
                "secret": secret or (self.ssh.client_key if auth == "key" else self.ssh.password)}
        body.update(extra)
        return self.expect(self.request("POST", api(self.tenant, "hosts"), body, token=self.org.owner.token), 201)

    def check_host(self, host_id):
        return self.expect(self.request("POST", api(self.tenant, "hosts", host_id, "test"), token=self.org.owner.token), 200)


class HostsTest(DeployBase):
    def assert_no_secret(self, resp_json):
        text = str(resp_json)
        self.assertNotIn("PRIVATE KEY", text)
        self.assertNotIn(self.ssh.client_key.strip().splitlines()[1], text)
        if self.ssh.password:
            self.assertNotIn(self.ssh.password, text)

    def test_key_login_pins_the_host_key(self):
        host = self.host()
        self.assertEqual(host["status"], "UNTESTED")
        self.assertIsNone(host["hostKeyFingerprint"])
        self.assertEqual(host["port"], self.ssh.port)
        self.assert_no_secret(host)
        tested = self.check_host(host["id"])
        self.assertEqual(tested["status"], "OK", tested)
        self.assertEqual(tested["hostKeyFingerprint"], self.ssh.fingerprint())
        self.assertIsNone(tested["lastError"])
        self.assertIsNotNone(tested["lastTestedAt"])
        for who in (self.org.owner, self.org.editor, self.org.viewer):
            seen = self.expect(self.request("GET", api(self.tenant, "hosts", host["id"]), token=who.token), 200)
            self.assertEqual(seen["hostKeyFingerprint"], self.ssh.fingerprint())
            self.assert_no_secret(seen)
        listed = self.expect(self.request("GET", api(self.tenant, "hosts"), token=self.org.viewer.token), 200)
        self.assertIn(host["id"], [h["id"] for h in listed["items"]])
        self.assert_no_secret(listed)

    def test_password_login_and_a_wrong_password(self):
        if not self.ssh.password:
            self.skipTest("a password login needs sshd to run as root")
        good = self.check_host(self.host(auth="password")["id"])
        self.assertEqual(good["status"], "OK", good)
        self.assertTrue(good["secret"].startswith("****"))
        self.assert_no_secret(good)
        wrong = "wrong-" + uuid.uuid4().hex
        self.server.remember_secret(wrong)
        bad = self.check_host(self.host(auth="password", secret=wrong)["id"])
        self.assertEqual(bad["status"], "FAILED", bad)
        self.assertIn("refused", bad["lastError"])
        self.assertNotIn(wrong, str(bad))

    def test_a_key_that_is_no_key_is_refused(self):
        resp = self.request("POST", api(self.tenant, "hosts"),
                            {"name": "nokey", "address": "127.0.0.1", "username": "x", "authMethod": "key",
                             "secret": "not a key"}, token=self.org.owner.token)
        details = self.assert_error(resp, 400, "invalid_request")
        self.assertIn("secret", [d["field"] for d in details])

    def test_only_owners_manage_hosts(self):
        body = {"name": "x", "address": "127.0.0.1", "username": "x", "authMethod": "password", "secret": "pw-123456789"}
        for who in (self.org.editor, self.org.viewer):
            resp = self.request("POST", api(self.tenant, "hosts"), body, token=who.token)
            self.assertIn(resp.status, (403, 404), str(resp))

    def test_another_tenants_host_is_invisible(self):
        host = self.host()
        other = harness.new_org(self.server)
        for method, path in (("GET", api(other.id, "hosts", host["id"])), ("POST", api(other.id, "hosts", host["id"], "test")),
                             ("DELETE", api(other.id, "hosts", host["id"]))):
            self.assert_error(self.request(method, path, token=other.owner.token), 404, "not_found")
        listed = self.expect(self.request("GET", api(other.id, "hosts"), token=other.owner.token), 200)
        self.assertEqual(listed["items"], [])
        resp = self.request("POST", api(other.id, "deployments"), {"hostId": host["id"], "scriptId": str(uuid.uuid4())},
                            token=other.owner.token)
        self.assert_error(resp, 400, "invalid_request")

    def test_a_changed_key_is_refused_until_an_owner_accepts_it(self):
        with sshd.Sshd() as ssh:  # its own: the key changes under it
            self.changed_key(ssh)

    def changed_key(self, ssh):
        self.server.remember_secret(ssh.client_key.strip())
        host = self.host(port=ssh.port, secret=ssh.client_key)
        first = ssh.fingerprint()
        self.assertEqual(self.check_host(host["id"])["hostKeyFingerprint"], first)
        ssh.new_host_key()
        second = ssh.fingerprint()
        self.assertNotEqual(first, second)
        changed = self.check_host(host["id"])
        self.assertEqual(changed["status"], "HOST_KEY_CHANGED", changed)
        self.assertEqual(changed["hostKeyFingerprint"], first)
        self.assertEqual(changed["seenHostKeyFingerprint"], second)
        self.assertIn(second, changed["lastError"])
        # A deployment to it does not log in either.
        script = self.expect(self.request("POST", api(self.tenant, "deployment-scripts"), {"name": "s-" + uuid.uuid4().hex[:6],
                                          "body": "echo hi\n"}, token=self.org.editor.token), 201)
        dep = self.expect(self.request("POST", api(self.tenant, "deployments"), {"hostId": host["id"], "scriptId": script["id"]},
                                       token=self.org.editor.token), 201)
        done = wait_for(lambda: self.finished(dep["id"]), "the deployment ends")
        self.assertEqual(done["status"], "FAILED")
        self.assertIn("host key changed", done["statusReason"])
        # Only the key the host showed, and only by an owner.
        path = api(self.tenant, "hosts", host["id"], "accept-host-key")
        self.assertIn(self.request("POST", path, {"fingerprint": second}, token=self.org.editor.token).status, (403, 404))
        self.assert_error(self.request("POST", path, {"fingerprint": first}, token=self.org.owner.token), 409, "conflict")
        accepted = self.expect(self.request("POST", path, {"fingerprint": second}, token=self.org.owner.token), 200)
        self.assertEqual(accepted["hostKeyFingerprint"], second)
        self.assertEqual(accepted["status"], "UNTESTED")
        again = self.check_host(host["id"])
        self.assertEqual(again["status"], "OK", again)
        self.assertEqual(again["hostKeyFingerprint"], second)

    def finished(self, dep_id):
        dep = self.expect(self.request("GET", api(self.tenant, "deployments", dep_id), token=self.org.viewer.token), 200)
        return dep if dep["status"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None


class DeploymentsBase(DeployBase):
    """A host of the tenant's (host_id), and how scripts and deployments are made and read."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        resp = cls.server.request("POST", api(cls.tenant, "hosts"),
                                  {"name": "box", "address": "127.0.0.1", "port": cls.ssh.port, "username": cls.ssh.user,
                                   "authMethod": "key", "secret": cls.ssh.client_key}, token=cls.org.owner.token)
        assert resp.status == 201, resp
        cls.host_id = resp.json["id"]

    def script(self, body, **extra):
        resp = self.request("POST", api(self.tenant, "deployment-scripts"),
                            dict({"name": "s-" + uuid.uuid4().hex[:8], "body": body}, **extra), token=self.org.editor.token)
        return self.expect(resp, 201)

    def deploy(self, script_id):
        resp = self.request("POST", api(self.tenant, "deployments"), {"hostId": self.host_id, "scriptId": script_id},
                            token=self.org.editor.token)
        dep = self.expect(resp, 201)
        self.assertEqual(dep["status"], "PENDING")
        self.assertEqual(dep["requestedByAccountId"], self.org.editor.id)
        return dep

    def get(self, dep_id):
        return self.expect(self.request("GET", api(self.tenant, "deployments", dep_id), token=self.org.viewer.token), 200)

    def wait_end(self, dep_id):
        return wait_for(lambda: (lambda d: d if d["status"] in ("SUCCEEDED", "FAILED", "PARTIALLY_FAILED", "CANCELLED") else None)(
            self.get(dep_id)), "deployment %s ends" % dep_id)

    def lines(self, dep_id, n, stream=None):
        """The first n log events of the deployment, over Server-Sent Events."""
        stream = stream or SseClient(self.server, self.tenant, self.org.viewer.token,
                                     path="deployments/%s/logs/stream" % dep_id)
        try:
            self.assertEqual(stream.status, 200)
            return [stream.next_event(deadline=WAIT) for _ in range(n)]
        finally:
            stream.close()

    def told(self):
        """An outbound webhook endpoint told every deployment event (so the events are written, docs/events.md): a
        function giving the (event, status, exitCode) of the deployment's events; the endpoint goes at the test's end."""
        made = self.expect(self.request("POST", api(self.tenant, "webhook-endpoints"),
                                        {"url": "https://hooks.example.com/deploy", "events": ["deployment.*"]},
                                        token=self.org.owner.token), 201)
        self.server.remember_secret(made["secret"])
        self.addCleanup(lambda: self.request("DELETE", api(self.tenant, "webhook-endpoints", made["id"]),
                                             token=self.org.owner.token))

        def events(dep_id):
            _, rows = fx.db_query(self.server, "SELECT name, payload FROM notification_events WHERE tenantId = ? AND "
                                               "subjectId = ? ORDER BY createdAt, id", (self.tenant, dep_id))
            return [(name, json.loads(p)["deployment"]["status"], json.loads(p)["deployment"]["exitCode"])
                    for name, p in rows]
        return events

    def steps(self, dep_id):
        """The deployment's steps as GET answers them, in order: (hostId, scriptId, status, exitCode)."""
        steps = self.get(dep_id)["steps"]
        self.assertEqual([s["stepIndex"] for s in steps], list(range(len(steps))))
        return [(s["hostId"], s["scriptId"], s["status"], s["exitCode"]) for s in steps]


class DeploymentsTest(DeploymentsBase):
    def test_output_arrives_in_order_and_the_exit_code_is_kept(self):
        events = self.told()
        body = "for i in $(seq 1 30); do echo \"line $i\"; done\necho oops >&2\necho 'caf\u00e9'\n"
        dep = self.deploy(self.script(body)["id"])
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(done["exitCode"], 0)
        self.assertIsNotNone(done["startedAt"])
        self.assertIsNotNone(done["finishedAt"])
        self.assertEqual(events(dep["id"]), [("deployment.started", "RUNNING", None), ("deployment.succeeded", "SUCCEEDED", 0)])
        events = self.lines(dep["id"], 2 + 32)  # "connecting", "running", then the script's 32 lines
        self.assertEqual([e["event"] for e in events], ["log"] * len(events))
        seqs = [e["json"]["seq"] for e in events]
        self.assertEqual(seqs, sorted(seqs))
        out = [e["json"]["message"] for e in events if e["json"]["stream"] == "stdout"]
        self.assertEqual(out, ["line %d" % i for i in range(1, 31)] + ["caf\u00e9"])
        self.assertEqual([e["json"]["message"] for e in events if e["json"]["stream"] == "stderr"], ["oops"])
        # Resumed after the tenth line: the eleventh comes next.
        stream = SseClient(self.server, self.tenant, self.org.viewer.token, last_event_id=events[9]["id"],
                           path="deployments/%s/logs/stream" % dep["id"])
        self.assertEqual(self.lines(dep["id"], 1, stream)[0]["json"]["seq"], events[10]["json"]["seq"])

    def test_a_log_stream_resumed_mid_run_gets_every_later_line_once(self):
        """An event's id is its line's seq; a client that leaves while the script prints and comes back with it as
        Last-Event-ID gets every line stored after it, in seq order, none twice, none missing (docs/deployments.md)."""
        dep = self.deploy(self.script('for i in $(seq 1 20); do echo "line $i"; sleep 0.05; done\n')["id"])
        path = "deployments/%s/logs/stream" % dep["id"]
        first = self.lines(dep["id"], 5)  # "connecting", "running", then lines the script printed so far
        self.assertEqual([e["id"] for e in first], [str(e["json"]["seq"]) for e in first])
        resumed = SseClient(self.server, self.tenant, self.org.viewer.token, last_event_id=first[-1]["id"], path=path)
        try:
            self.assertEqual(resumed.status, 200)
            self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
            _, rows = fx.db_query(self.server, "SELECT seq, message FROM deployment_logs WHERE deploymentId = ? ORDER BY seq",
                                  (dep["id"],))
            # Every line is stored by now, and the stream sends what is stored within its fallback poll at worst.
            rest = [resumed.next_event(deadline=10)["json"] for _ in range(len(rows) - len(first))]
        finally:
            resumed.close()
        self.assertEqual([(e["json"]["seq"], e["json"]["message"]) for e in first] + [(e["seq"], e["message"]) for e in rest],
                         [tuple(r) for r in rows])
        self.assertEqual([r[0] for r in rows], list(range(rows[0][0], rows[0][0] + len(rows))))  # numbered without a hole
        # An id of the stream's earlier form (createdAt/lineId) is no seq.
        old = SseClient(self.server, self.tenant, self.org.viewer.token, path=path,
                        last_event_id="2026-01-01T00:00:00.000Z/00000000-0000-7000-8000-000000000001")
        old.close()
        self.assertEqual(old.status, 400)

    def test_a_nonzero_exit_fails_the_deployment(self):
        """... and its end is told once, as deployment.failed with the exit status."""
        events = self.told()
        dep = self.deploy(self.script("echo before\nexit 3\necho after\n")["id"])
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "FAILED", done)
        self.assertEqual(done["exitCode"], 3)
        self.assertEqual(events(dep["id"]), [("deployment.started", "RUNNING", None), ("deployment.failed", "FAILED", 3)])
        self.assertIn("status 3", done["statusReason"])
        messages = [e["json"]["message"] for e in self.lines(dep["id"], 4)]
        self.assertIn("before", messages)
        self.assertNotIn("after", messages)

    def test_cancel_stops_a_running_script(self):
        """... and the cancel is the one event of its end (the job's end after it tells nothing)."""
        events = self.told()
        dep = self.deploy(self.script("echo started\nsleep 30\necho never\n")["id"])
        stream = SseClient(self.server, self.tenant, self.org.viewer.token, path="deployments/%s/logs/stream" % dep["id"])
        try:
            wait_for(lambda: stream.next_event(deadline=WAIT)["json"]["message"] == "started", "the script runs")
        finally:
            stream.close()
        cancelled = self.expect(self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"),
                                             token=self.org.editor.token), 200)
        self.assertEqual(cancelled["status"], "CANCELLED")
        self.assertIsNone(cancelled["exitCode"])
        again = self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"), token=self.org.editor.token)
        self.assert_error(again, 409, "conflict")
        viewer = self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"), token=self.org.viewer.token)
        self.assertIn(viewer.status, (403, 404))
        # The job stops the remote command (well before its 30 s): its job ends, and "never" is never written.
        wait_for(lambda: harness_job_state(self.server, dep["id"]) == "DONE", "the deployment's job ends")
        self.assertEqual(self.get(dep["id"])["status"], "CANCELLED")
        _, rows = fx.db_query(self.server, "SELECT message FROM deployment_logs WHERE deploymentId = ?", (dep["id"],))
        self.assertIn("started", [r[0] for r in rows])
        self.assertNotIn("never", [r[0] for r in rows])
        self.assertEqual(events(dep["id"]), [("deployment.started", "RUNNING", None), ("deployment.cancelled", "CANCELLED", None)])

    def test_hosts_x_scripts_with_one_failing_script_is_partially_failed(self):
        def usage():
            return self.expect(self.request("GET", api(self.tenant, "usage"), token=self.org.owner.token), 200)["totals"]
        before = usage()
        other = self.host()["id"]
        ok, bad = self.script("echo fine\n")["id"], self.script("echo failing\nexit 4\n")["id"]
        resp = self.request("POST", api(self.tenant, "deployments"), {"hostIds": [self.host_id, other], "scriptIds": [ok, bad]},
                            token=self.org.editor.token)
        dep = self.expect(resp, 201)
        self.assertEqual((dep["status"], dep["hostId"], dep["scriptId"]), ("PENDING", self.host_id, ok))
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "PARTIALLY_FAILED", done)
        self.assertEqual(done["exitCode"], 4)
        self.assertIn("2 of 4 steps failed", done["statusReason"])
        self.assertIn("status 4", done["statusReason"])
        # Host by host, each host's scripts in order; every step ran once.
        self.assertEqual(self.steps(dep["id"]), [(self.host_id, ok, "SUCCEEDED", 0), (self.host_id, bad, "FAILED", 4),
                                                 (other, ok, "SUCCEEDED", 0), (other, bad, "FAILED", 4)])
        _, rows = fx.db_query(self.server, "SELECT message FROM deployment_logs WHERE deploymentId = ? ORDER BY seq",
                              (dep["id"],))
        messages = [r[0] for r in rows]
        self.assertEqual(messages.count("fine"), 2)
        self.assertEqual(messages.count("failing"), 2)
        self.assertEqual([m[:11] for m in messages if m.startswith("step ")], ["step %d of 4" % i for i in range(1, 5)])
        # Usage (docs/sites.md "Usage metering"): one start, a begun minute a step, the stored lines' bytes, each once.
        after = usage()
        self.assertEqual({k: after[k] - before[k] for k in ("deploymentsStarted", "deploymentMinutes", "storageBytes")},
                         {"deploymentsStarted": 1, "deploymentMinutes": 4,
                          "storageBytes": sum(len(m.encode()) for m in messages)})

    def test_a_one_host_deployment_is_one_step(self):
        dep = self.deploy(self.script("echo one\n")["id"])
        self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
        self.assertEqual(self.steps(dep["id"]), [(self.host_id, dep["scriptId"], "SUCCEEDED", 0)])

    def test_hosts_and_scripts_are_named_once_each(self):
        script = self.script("true\n")["id"]
        for body, field in [({"scriptId": script}, "hostIds"),
                            ({"hostId": self.host_id, "hostIds": [self.host_id], "scriptId": script}, "hostIds"),
                            ({"hostIds": [self.host_id, self.host_id], "scriptId": script}, "hostIds"),
                            ({"hostIds": [], "scriptId": script}, "hostIds"),
                            ({"hostIds": ["nope"], "scriptId": script}, "hostIds"),
                            ({"hostIds": [self.host_id, str(uuid.uuid4())], "scriptId": script}, "hostIds"),
                            ({"hostId": self.host_id, "scriptIds": [script, str(uuid.uuid4())]}, "scriptIds"),
                            ({"hostId": self.host_id}, "scriptIds")]:
            resp = self.request("POST", api(self.tenant, "deployments"), body, token=self.org.editor.token)
            details = self.assert_error(resp, 400, "invalid_request")
            self.assertIn(field, [d["field"] for d in details], (body, resp.json))

    def test_cancel_cancels_the_steps_not_run(self):
        slow, after = self.script("echo started\nsleep 30\n")["id"], self.script("echo never\n")["id"]
        resp = self.request("POST", api(self.tenant, "deployments"), {"hostId": self.host_id, "scriptIds": [slow, after]},
                            token=self.org.editor.token)
        dep = self.expect(resp, 201)
        wait_for(lambda: self.steps(dep["id"])[0][2] == "RUNNING", "the first step runs")
        self.expect(self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"), token=self.org.editor.token), 200)
        wait_for(lambda: harness_job_state(self.server, dep["id"]) == "DONE", "the deployment's job ends")
        self.assertEqual([s[2] for s in self.steps(dep["id"])], ["CANCELLED", "CANCELLED"])
        self.assertEqual(self.get(dep["id"])["status"], "CANCELLED")

    def test_scripts_are_an_editors_and_deployments_read_by_viewers(self):
        script = self.script("true\n", shell="bash", idempotent=True)
        self.assertEqual((script["shell"], script["idempotent"]), ("bash", True))
        patched = self.expect(self.request("PATCH", api(self.tenant, "deployment-scripts", script["id"]), {"body": "echo 1\n"},
                                           token=self.org.editor.token), 200)
        self.assertEqual((patched["body"], patched["shell"]), ("echo 1\n", "bash"))
        resp = self.request("POST", api(self.tenant, "deployment-scripts"), {"name": "v", "body": "true"},
                            token=self.org.viewer.token)
        self.assertIn(resp.status, (403, 404))
        dep = self.deploy(script["id"])
        listed = self.expect(self.request("GET", api(self.tenant, "deployments"), token=self.org.viewer.token), 200)
        self.assertIn(dep["id"], [d["id"] for d in listed["items"]])
        self.wait_end(dep["id"])
        # A script or host with deployments is kept for their record.
        self.assert_error(self.request("DELETE", api(self.tenant, "deployment-scripts", script["id"]),
                                       token=self.org.editor.token), 409, "conflict")
        self.assert_error(self.request("DELETE", api(self.tenant, "hosts", self.host_id), token=self.org.owner.token),
                          409, "conflict")


def later(seconds):
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def read(path):
    with open(path) as f:
        return f.read()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def descendants(pid):
    """The processes under pid (children, theirs, ...), from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        todo += kids
    return found


class LimitsTest(DeploymentsBase):
    """Part 2 (docs/deployments.md): timeouts, the output cap, host slots, schedules, environments."""

    def place(self):
        """A fresh directory the scripts (run as the sshd's key user, this process's) write to."""
        d = tempfile.mkdtemp(prefix="slipway-deploy-")
        self.addCleanup(shutil.rmtree, d, True)
        return d

    def create(self, body, token=None, status=201):
        resp = self.request("POST", api(self.tenant, "deployments"), body, token=token or self.org.editor.token)
        return self.expect(resp, status) if status == 201 else resp

    def environment(self, **body):
        body.setdefault("name", "env-" + uuid.uuid4().hex[:8])
        return self.expect(self.request("POST", api(self.tenant, "environments"), body, token=self.org.owner.token), 201)

    def patch_env(self, env_id, body):
        return self.expect(self.request("PATCH", api(self.tenant, "environments", env_id), body, token=self.org.owner.token), 200)

    def test_a_script_past_its_timeout_is_stopped_on_the_host(self):
        d = self.place()
        body = "echo $$ > %s/shell\nsleep 30 &\necho $! > %s/child\nwait\necho never\n" % (d, d)
        # 3 s, not 1: the clock starts once connected, and on a loaded machine the shell can take more than a
        # second to write its pid, which the test needs to prove the processes were stopped.
        script = self.script(body, timeoutSeconds=3)
        self.assertEqual(script["timeoutSeconds"], 3)
        done = self.wait_end(self.deploy(script["id"])["id"])
        self.assertEqual(done["status"], "FAILED", done)
        self.assertTrue(done["statusReason"].startswith("timeout"), done)
        self.assertIsNone(done["exitCode"])
        pids = [int(read(os.path.join(d, f))) for f in ("shell", "child")]
        wait_for(lambda: not any(alive(p) for p in pids), "the script's processes are gone from the host")

    def test_a_connection_dropped_mid_script_fails_the_step(self):
        dep = self.deploy(self.script("echo started\nsleep 30\necho never\n")["id"])

        def started():
            _, rows = fx.db_query(self.server, "SELECT message FROM deployment_logs WHERE deploymentId = ?", (dep["id"],))
            return "started" in [r[0] for r in rows]

        wait_for(started, "the script runs")
        # The host side of the session goes (sshd's processes for it, the script with them): the socket closes.
        for pid in descendants(self.ssh.proc.pid):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "FAILED", done)
        self.assertIn("the connection dropped while the command ran", done["statusReason"])
        self.assertIsNone(done["exitCode"])
        _, rows = fx.db_query(self.server, "SELECT message FROM deployment_logs WHERE deploymentId = ?", (dep["id"],))
        self.assertNotIn("never", [r[0] for r in rows])

    def test_output_past_the_cap_is_counted_not_stored(self):
        lines = ["line %d %s" % (i, "x" * 50) for i in range(400)]  # about 24 KB, the cap 4 KB
        dep = self.deploy(self.script("i=0\nwhile [ $i -lt 400 ]; do echo \"line $i %s\"; i=$((i+1)); done\n" % ("x" * 50))["id"])
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "SUCCEEDED", done)
        _, rows = fx.db_query(self.server, "SELECT stream, message FROM deployment_logs WHERE deploymentId = ? ORDER BY seq",
                              (dep["id"],))
        stored = [m for stream, m in rows if stream == "stdout"]
        self.assertEqual(stored, lines[:len(stored)])
        self.assertLessEqual(sum(len(m) for m in stored), 4096)
        self.assertEqual(done["droppedLines"], len(lines) - len(stored))
        self.assertEqual(done["droppedBytes"], sum(len(m) for m in lines[len(stored):]))
        step = self.get(dep["id"])["steps"][0]
        self.assertEqual((step["droppedLines"], step["droppedBytes"]), (done["droppedLines"], done["droppedBytes"]))
        self.assertIn("%d lines (%d bytes) of output past the cap were counted, not stored" % (
            done["droppedLines"], done["droppedBytes"]), [m for stream, m in rows if stream == "system"])

    def test_a_host_with_one_slot_runs_one_step_at_a_time(self):
        d = self.place()
        host = self.host()
        self.assertEqual(host["maxConcurrent"], 1)
        scripts = [self.script("echo start %s >> %s/log\nsleep 1\necho end %s >> %s/log\n" % (n, d, n, d))["id"]
                   for n in ("a", "b")]
        deps = [self.create({"hostId": host["id"], "scriptId": s}) for s in scripts]
        for dep in deps:
            self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
        marks = read(os.path.join(d, "log")).split()
        pairs = [marks[i:i + 4] for i in range(0, len(marks), 4)]
        self.assertIn(pairs, ([["start", "a", "end", "a"], ["start", "b", "end", "b"]],
                              [["start", "b", "end", "b"], ["start", "a", "end", "a"]]), marks)
        patched = self.expect(self.request("PATCH", api(self.tenant, "hosts", host["id"]), {"maxConcurrent": 3},
                                           token=self.org.owner.token), 200)
        self.assertEqual(patched["maxConcurrent"], 3)

    def test_a_run_scheduled_later_waits_and_can_be_cancelled(self):
        script = self.script("echo never\n")["id"]
        at = later(3600)
        dep = self.create({"hostId": self.host_id, "scriptId": script, "schedule": "later", "scheduledTime": at})
        self.assertEqual((dep["status"], dep["scheduledTime"]), ("SCHEDULED", at))
        # Its job waits for the time, holding no worker (cancelled while it still runs its first step, the job sees
        # the deployment ended and ends DONE, not CANCELLED: the waiting one is the case here).
        wait_for(lambda: harness_job_state(self.server, dep["id"]) == "WAITING", "its job waiting")
        cancelled = self.expect(self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"),
                                             token=self.org.editor.token), 200)
        self.assertEqual(cancelled["status"], "CANCELLED")
        self.assertEqual(harness_job_state(self.server, dep["id"]), "CANCELLED")
        self.assertEqual([s[2] for s in self.steps(dep["id"])], ["CANCELLED"])
        for body in [{"schedule": "later"}, {"schedule": "later", "scheduledTime": later(-60)},
                     {"schedule": "later", "scheduledTime": later(400 * 86400)}, {"schedule": "now", "scheduledTime": at},
                     {"scheduledTime": at}, {"schedule": "later", "scheduledTime": "tomorrow"}]:
            resp = self.create(dict(body, hostId=self.host_id, scriptId=script), status=400)
            details = self.assert_error(resp, 400, "invalid_request")
            self.assertIn("scheduledTime", [d["field"] for d in details], body)

    def test_a_run_scheduled_later_starts_at_its_time(self):
        at = later(2)
        dep = self.create({"hostId": self.host_id, "scriptId": self.script("echo due\n")["id"], "schedule": "later",
                           "scheduledTime": at})
        self.assertEqual(dep["status"], "SCHEDULED")
        done = self.wait_end(dep["id"])
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertGreaterEqual(done["startedAt"], at)

    def test_a_protected_environment_waits_for_approvals_of_others(self):
        """... its wait told once, to the roles that may approve, then its start and end."""
        events = self.told()
        env = self.environment(protected=True, requiredApprovals=2)
        second = harness.add_member_and_login(self.server, self.org.owner.token, self.tenant, "editor")
        dep = self.create({"hostId": self.host_id, "scriptId": self.script("echo approved\n")["id"], "environmentId": env["id"]})
        self.assertEqual((dep["status"], dep["environmentId"], dep["approvals"]), ("AWAITING_APPROVAL", env["id"], []))
        path = api(self.tenant, "deployments", dep["id"], "approve")
        self.assert_error(self.request("POST", path, {}, token=self.org.editor.token), 409, "conflict")  # the requester
        self.assertEqual(self.request("POST", path, {}, token=self.org.viewer.token).status, 404)
        one = self.expect(self.request("POST", path, {"note": "looks fine"}, token=self.org.owner.token), 200)
        self.assertEqual(one["status"], "AWAITING_APPROVAL")
        self.assertEqual([(a["accountId"], a["note"]) for a in one["approvals"]], [(self.org.owner.id, "looks fine")])
        self.assertEqual(one["statusReason"], "waiting for approvals: 1 of 2")
        self.assert_error(self.request("POST", path, {}, token=self.org.owner.token), 409, "conflict")  # once each
        two = self.expect(self.request("POST", path, token=second.token), 200)
        self.assertEqual(len(two["approvals"]), 2)
        self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
        self.assertEqual(events(dep["id"]), [("deployment.approval.requested", "AWAITING_APPROVAL", None),
                                             ("deployment.started", "RUNNING", None), ("deployment.succeeded", "SUCCEEDED", 0)])
        _, rows = fx.db_query(self.server, "SELECT payload FROM notification_events WHERE subjectId = ? AND name = ?",
                              (dep["id"], "deployment.approval.requested"))
        told = json.loads(rows[0][0])
        self.assertEqual((told["approverRoles"], told["requiredApprovals"]), (["editor", "owner"], 2))
        self.assertEqual(told["deployment"]["statusReason"], "waiting for approvals: 0 of 2")
        self.assert_error(self.request("POST", path, {}, token=self.org.owner.token), 409, "conflict")  # ended
        _, rows = fx.db_query(self.server, "SELECT action FROM audit_logs WHERE targetId = ? AND action = ?",
                              (dep["id"], "deployment.approve"))
        self.assertEqual(len(rows), 2)

    def test_a_frozen_environment_starts_nothing_until_unfrozen(self):
        env = self.environment()
        path = api(self.tenant, "environments", env["id"])
        for who in (self.org.editor, self.org.viewer):
            self.assertEqual(self.request("POST", path + "/freeze", {"reason": "x"}, token=who.token).status, 404)
        frozen = self.expect(self.request("POST", path + "/freeze", {"reason": "release week"}, token=self.org.owner.token), 200)
        self.assertEqual((frozen["frozen"], frozen["frozenReason"], frozen["frozenByAccountId"]),
                         (True, "release week", self.org.owner.id))
        dep = self.create({"hostId": self.host_id, "scriptId": self.script("echo thawed\n")["id"], "environmentId": env["id"]})
        self.assertEqual(dep["status"], "PENDING")
        self.assertIn("is frozen: release week", dep["statusReason"])
        wait_for(lambda: harness_job_state(self.server, dep["id"]) == "WAITING", "the job waits for the thaw")
        held = self.get(dep["id"])
        self.assertEqual((held["status"], held["startedAt"], held["steps"][0]["status"]), ("PENDING", None, "PENDING"))
        self.assertIn("release week", held["statusReason"])
        thawed = self.expect(self.request("POST", path + "/unfreeze", token=self.org.owner.token), 200)
        self.assertEqual((thawed["frozen"], thawed["frozenReason"]), (False, None))
        self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
        self.assert_error(self.request("DELETE", path, token=self.org.owner.token), 409, "conflict")

    def test_only_the_approver_roles_approve_and_once_an_account(self):
        self.assertEqual(self.environment()["approverRoles"], ["editor", "owner"])
        for roles in (["viewer"], [], ["owner", "owner"], "owner", ["editor", "owner", "editor"]):
            resp = self.request("POST", api(self.tenant, "environments"), {"name": "r", "approverRoles": roles},
                                token=self.org.owner.token)
            self.assertIn("approverRoles", [d["field"] for d in self.assert_error(resp, 400, "invalid_request")], roles)
        env = self.environment(protected=True, approverRoles=["owner"])
        self.assertEqual(env["approverRoles"], ["owner"])
        other = harness.add_member_and_login(self.server, self.org.owner.token, self.tenant, "editor")
        dep = self.create({"hostId": self.host_id, "scriptId": self.script("echo approved\n")["id"], "environmentId": env["id"]})
        path = api(self.tenant, "deployments", dep["id"], "approve")
        refused = self.request("POST", path, {}, token=other.token)  # an editor, where only owners approve
        self.assert_error(refused, 409, "conflict")
        self.assertIn("approverRoles (owner) do not include your role (editor)", refused.json["error"]["message"])
        one = self.expect(self.request("POST", path, {}, token=self.org.owner.token), 200)
        self.assertEqual([(a["accountId"], a["role"]) for a in one["approvals"]], [(self.org.owner.id, "owner")])
        self.assertEqual(self.wait_end(dep["id"])["status"], "SUCCEEDED")
        _, rows = fx.db_query(self.server, "SELECT details FROM audit_logs WHERE targetId = ? AND action = ?",
                              (dep["id"], "deployment.approve"))
        self.assertEqual(len(rows), 1)
        self.assertIn('"owner"', rows[0][0])
        # Both roles, two approvals: an editor who approves and is then made an owner still counts once.
        both = self.patch_env(env["id"], {"approverRoles": ["owner", "editor"], "requiredApprovals": 2})
        self.assertEqual(both["approverRoles"], ["editor", "owner"])
        dep = self.create({"hostId": self.host_id, "scriptId": self.script("true\n")["id"], "environmentId": env["id"]})
        path = api(self.tenant, "deployments", dep["id"], "approve")
        self.assertEqual(self.expect(self.request("POST", path, {}, token=other.token), 200)["approvals"][0]["role"], "editor")
        self.expect(self.request("PATCH", api(self.tenant, "members", other.id), {"role": "owner"},
                                 token=self.org.owner.token), 200)
        self.assert_error(self.request("POST", path, {}, token=other.token), 409, "conflict")
        held = self.get(dep["id"])
        self.assertEqual((held["status"], held["statusReason"], len(held["approvals"])),
                         ("AWAITING_APPROVAL", "waiting for approvals: 1 of 2", 1))
        self.expect(self.request("POST", api(self.tenant, "deployments", dep["id"], "cancel"), token=self.org.editor.token), 200)

    def test_a_freeze_holds_a_running_deployment_between_steps(self):
        d = self.place()
        env = self.environment()
        first = self.script("echo first\nwhile [ ! -e %s/go ]; do sleep 0.05; done\n" % d)["id"]
        second = self.script("echo second\n")["id"]
        dep = self.create({"hostId": self.host_id, "scriptIds": [first, second], "environmentId": env["id"]})
        wait_for(lambda: self.steps(dep["id"])[0][2] == "RUNNING", "the first step runs")
        path = api(self.tenant, "environments", env["id"])
        self.expect(self.request("POST", path + "/freeze", {"reason": "incident 42"}, token=self.org.owner.token), 200)
        open(os.path.join(d, "go"), "w").close()  # the step in flight finishes
        wait_for(lambda: self.steps(dep["id"])[0][2] == "SUCCEEDED", "the first step ends")
        wait_for(lambda: harness_job_state(self.server, dep["id"]) == "WAITING", "the job waits for the thaw")
        held = self.get(dep["id"])
        self.assertEqual((held["status"], [s["status"] for s in held["steps"]]), ("RUNNING", ["SUCCEEDED", "PENDING"]))
        self.assertEqual(held["statusReason"], "waiting: environment %s is frozen: incident 42" % env["name"])
        self.expect(self.request("POST", path + "/unfreeze", token=self.org.owner.token), 200)
        done = self.wait_end(dep["id"])
        self.assertEqual((done["status"], [s[2] for s in self.steps(dep["id"])]), ("SUCCEEDED", ["SUCCEEDED", "SUCCEEDED"]))

    def test_environments_are_an_owners_and_another_tenants_are_unseen(self):
        env = self.environment(protected=True)
        self.assertEqual((env["protected"], env["requiredApprovals"], env["frozen"]), (True, 1, False))
        listed = self.expect(self.request("GET", api(self.tenant, "environments"), token=self.org.viewer.token), 200)
        self.assertIn(env["id"], [e["id"] for e in listed["items"]])
        self.assertEqual(self.request("POST", api(self.tenant, "environments"), {"name": "e"},
                                      token=self.org.editor.token).status, 404)
        self.assert_error(self.request("POST", api(self.tenant, "environments"), {"name": env["name"]},
                                       token=self.org.owner.token), 409, "conflict")
        patched = self.expect(self.request("PATCH", api(self.tenant, "environments", env["id"]), {"requiredApprovals": 3},
                                           token=self.org.owner.token), 200)
        self.assertEqual((patched["name"], patched["requiredApprovals"]), (env["name"], 3))
        other = harness.new_org(self.server)
        for method in ("GET", "DELETE"):
            self.assertEqual(self.request(method, api(other.id, "environments", env["id"]), token=other.owner.token).status, 404)
        self.assertEqual(self.request("POST", api(other.id, "environments", env["id"], "freeze"), {"reason": "mine"},
                                      token=other.owner.token).status, 404)
        script = self.expect(self.request("POST", api(other.id, "deployment-scripts"), {"name": "s", "body": "true"},
                                          token=other.editor.token), 201)
        resp = self.request("POST", api(other.id, "deployments"), {"hostId": self.host_id, "scriptId": script["id"],
                                                                    "environmentId": env["id"]}, token=other.editor.token)
        self.assert_error(resp, 400, "invalid_request")
        self.assertEqual(self.expect(self.request("DELETE", api(self.tenant, "environments", env["id"]),
                                                  token=self.org.owner.token), 204), None)


def harness_job_state(server, deployment_id):
    _, rows = fx.db_query(server, "SELECT j.state FROM jobs j JOIN deployments d ON d.jobId = j.id WHERE d.id = ?",
                           (deployment_id,))
    return rows[0][0] if rows else None


class GuardTest(harness.ApiTest):
    """The shared server, whose outbound guard allows no loopback: a host on 127.0.0.1 is not connected to."""

    def test_a_loopback_host_is_refused_by_the_outbound_guard(self):
        org = harness.new_org(self.server)
        resp = self.request("POST", api(org.id, "hosts"),
                            {"name": "local", "address": "127.0.0.1", "port": 22, "username": "root",
                             "authMethod": "password", "secret": "pw-" + uuid.uuid4().hex}, token=org.owner.token)
        host = self.expect(resp, 201)
        tested = self.expect(self.request("POST", api(org.id, "hosts", host["id"], "test"), token=org.owner.token), 200)
        self.assertEqual(tested["status"], "FAILED", tested)
        self.assertIn("SLIPWAY_OUTBOUND_ALLOW", tested["lastError"])


if __name__ == "__main__":
    unittest.main()
