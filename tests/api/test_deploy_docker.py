"""Docker hosts (docs/deployments.md "Docker hosts"): a private Docker Engine (tests/api/dockerd.py) reached through a
private OpenSSH server (tests/api/sshd.py) over a direct-streamlocal channel. The host's fields and their negative
cases; the connection test (the Engine's version, and an Engine that is not there); scripts run in containers: their
output and exit code, a non-zero exit, a timeout and a cancel that kill the container, the container removed
afterwards, an ssh host and a docker host in one deployment; and slipway killed -9 while a container runs: the next
process finds the container again by its name and never starts a second one."""

import os
import signal
import shutil
import tempfile
import time
import unittest
import uuid

import dockerd
import harness
import integration_fixtures as fx
import sshd
import verify_fixtures as vf
from test_deploy import harness_job_state, wait_for

WAIT = 30.0
KEY = "5eed0000000000000000000000000000000000000000000000000000000000a1"
ENDED = ("SUCCEEDED", "FAILED", "PARTIALLY_FAILED", "CANCELLED")


def api(tenant, *parts):
    return "/api/v1/%s/%s" % (tenant, "/".join(parts))


def host_body(ssh, engine, **extra):
    body = {"name": "dk-" + uuid.uuid4().hex[:8], "type": "docker", "address": "127.0.0.1", "port": ssh.port,
            "username": ssh.user, "authMethod": "key", "secret": ssh.client_key, "dockerSocket": engine.socket,
            "dockerImage": engine.image}
    body.update(extra)
    return body


def log_lines(server, dep_id):
    _, rows = fx.db_query(server, "SELECT stream, message FROM deployment_logs WHERE deploymentId = ? ORDER BY seq",
                          (dep_id,))
    return [tuple(r) for r in rows]


def engine_or_skip(ssh):
    """A private Engine, or the test skipped (ssh closed) when dockerd does not start here."""
    try:
        return dockerd.Dockerd().start()
    except RuntimeError as e:
        ssh.close()
        raise unittest.SkipTest("dockerd did not start: %s" % e)


def mine(engine, dep_id):
    """The containers slipway made for the deployment (by their label), in any state."""
    return engine.containers(label="io.slipway.deployment=%s" % dep_id)


@unittest.skipUnless(sshd.available() and dockerd.available(),
                     "needs openssh-server, docker.io, busybox-static and root (scripts/install-deps test)")
class DockerBase(harness.ApiTest):
    server_env = {"SLIPWAY_OUTBOUND_ALLOW": "127.0.0.0/8", "SLIPWAY_DEPLOY_OUTPUT_CAP": "65536"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ssh = sshd.Sshd().start()
        cls.engine = engine_or_skip(cls.ssh)
        cls.org = harness.new_org(cls.server)
        cls.tenant = cls.org.id
        cls.server.remember_secret(cls.ssh.client_key.strip())

    @classmethod
    def tearDownClass(cls):
        cls.engine.close()
        cls.ssh.close()
        super().tearDownClass()

    def host(self, status=201, token=None, **extra):
        resp = self.request("POST", api(self.tenant, "hosts"), host_body(self.ssh, self.engine, **extra),
                            token=token or self.org.owner.token)
        return self.expect(resp, status)

    def check_host(self, host_id):
        return self.expect(self.request("POST", api(self.tenant, "hosts", host_id, "test"), token=self.org.owner.token), 200)


class DockerHostsTest(DockerBase):
    def test_a_docker_host_answers_its_engine_fields_and_its_test_the_version(self):
        host = self.host()
        self.assertEqual((host["type"], host["dockerSocket"], host["dockerImage"], host["engineVersion"]),
                         ("docker", self.engine.socket, self.engine.image, None))
        tested = self.check_host(host["id"])
        self.assertEqual(tested["status"], "OK", tested)
        self.assertIsNone(tested["lastError"])
        version = self.engine.api("GET", "/version")[1]["Version"]
        self.assertEqual(tested["engineVersion"], version)
        self.assertNotIn("PRIVATE KEY", str(tested))
        # The default socket when none is named.
        plain = self.host(dockerSocket=None)
        self.assertEqual(plain["dockerSocket"], "/var/run/docker.sock")

    def test_an_engine_that_is_not_there_fails_the_test(self):
        host = self.host(dockerSocket="/tmp/no-such-dir-%s/docker.sock" % uuid.uuid4().hex[:8])
        tested = self.check_host(host["id"])
        self.assertEqual(tested["status"], "FAILED", tested)
        self.assertIn("Docker Engine is unreachable", tested["lastError"])
        self.assertIsNotNone(tested["hostKeyFingerprint"])  # the SSH side worked: its key is pinned
        self.assertIsNone(tested["engineVersion"])

    def test_bad_fields_are_refused(self):
        cases = [
            (dict(dockerImage=None), "dockerImage"),  # a docker host without its image
            (dict(dockerSocket="relative/docker.sock"), "dockerSocket"),
            (dict(dockerSocket="/var/run/../docker.sock"), "dockerSocket"),
            (dict(dockerSocket="/run/" + "x" * 120), "dockerSocket"),
            (dict(dockerSocket=5), "dockerSocket"),
            (dict(dockerImage="-bad"), "dockerImage"),
            (dict(dockerImage="a b"), "dockerImage"),
            (dict(dockerImage=["x"]), "dockerImage"),
            (dict(type="ssh"), "dockerSocket"),  # the Engine's fields on an ssh host
            (dict(type="ssh", dockerSocket=None), "dockerImage"),
            (dict(dockerEngine="x"), "dockerEngine"),  # unknown
        ]
        for extra, field in cases:
            body = host_body(self.ssh, self.engine, **extra)
            for k in [k for k, v in extra.items() if v is None]:
                del body[k]
            resp = self.request("POST", api(self.tenant, "hosts"), body, token=self.org.owner.token)
            details = self.assert_error(resp, 400, "invalid_request")
            self.assertIn(field, [d["field"] for d in details], (extra, details))
        resp = self.request("POST", api(self.tenant, "hosts"), raw=b'{"type": "docker",', token=self.org.owner.token)
        self.assertEqual(resp.status, 400)

    def test_only_owners_write_and_another_tenant_sees_nothing(self):
        for who in (self.org.editor, self.org.viewer):
            resp = self.request("POST", api(self.tenant, "hosts"), host_body(self.ssh, self.engine), token=who.token)
            self.assertIn(resp.status, (403, 404), str(resp))
        host = self.host()
        seen = self.expect(self.request("GET", api(self.tenant, "hosts", host["id"]), token=self.org.viewer.token), 200)
        self.assertEqual(seen["dockerImage"], self.engine.image)
        other = harness.new_org(self.server)
        self.assert_error(self.request("PATCH", api(other.id, "hosts", host["id"]), {"dockerImage": "x:1"},
                                       token=other.owner.token), 404, "not_found")

    def test_a_host_made_ssh_drops_the_engine_fields_and_one_made_docker_needs_an_image(self):
        host = self.host()
        patched = self.expect(self.request("PATCH", api(self.tenant, "hosts", host["id"]), {"type": "ssh"},
                                           token=self.org.owner.token), 200)
        self.assertEqual((patched["type"], patched["dockerSocket"], patched["dockerImage"]), ("ssh", None, None))
        resp = self.request("PATCH", api(self.tenant, "hosts", host["id"]), {"type": "docker"}, token=self.org.owner.token)
        self.assertIn("dockerImage", [d["field"] for d in self.assert_error(resp, 400, "invalid_request")])
        back = self.expect(self.request("PATCH", api(self.tenant, "hosts", host["id"]),
                                        {"type": "docker", "dockerImage": self.engine.image}, token=self.org.owner.token), 200)
        self.assertEqual((back["dockerSocket"], back["dockerImage"]), ("/var/run/docker.sock", self.engine.image))


class DockerRunsTest(DockerBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.host_id = cls.server.request("POST", api(cls.tenant, "hosts"), host_body(cls.ssh, cls.engine),
                                         token=cls.org.owner.token).json["id"]
        cls.ssh_host_id = cls.server.request("POST", api(cls.tenant, "hosts"), {
            "name": "plain", "address": "127.0.0.1", "port": cls.ssh.port, "username": cls.ssh.user, "authMethod": "key",
            "secret": cls.ssh.client_key}, token=cls.org.owner.token).json["id"]

    def script(self, body, **extra):
        resp = self.request("POST", api(self.tenant, "deployment-scripts"),
                            dict({"name": "s-" + uuid.uuid4().hex[:8], "body": body}, **extra), token=self.org.editor.token)
        return self.expect(resp, 201)["id"]

    def deploy(self, script_ids, host_ids=None):
        resp = self.request("POST", api(self.tenant, "deployments"),
                            {"hostIds": host_ids or [self.host_id], "scriptIds": script_ids}, token=self.org.editor.token)
        return self.expect(resp, 201)["id"]

    def get(self, dep_id):
        return self.expect(self.request("GET", api(self.tenant, "deployments", dep_id), token=self.org.viewer.token), 200)

    def wait_end(self, dep_id):
        return wait_for(lambda: (lambda d: d if d["status"] in ENDED else None)(self.get(dep_id)),
                        "deployment %s ends" % dep_id, WAIT)

    def gone(self, dep_id):
        wait_for(lambda: harness_job_state(self.server, dep_id) in ("DONE", "FAILED"), "the job ends", WAIT)
        wait_for(lambda: mine(self.engine, dep_id) == [], "its containers removed", WAIT)

    def test_output_and_exit_code_and_the_container_is_removed(self):
        body = ('for i in $(seq 1 20); do echo "line $i"; done\necho oops >&2\necho "ref=$SLIPWAY_REF"\n'
                "printf 'no newline at the end'\n")
        dep = self.deploy([self.script(body)])
        done = self.wait_end(dep)
        self.assertEqual(done["status"], "SUCCEEDED", (done, log_lines(self.server, dep)))
        self.assertEqual(done["exitCode"], 0)
        lines = log_lines(self.server, dep)
        self.assertEqual([m for s, m in lines if s == "stdout"],
                         ["line %d" % i for i in range(1, 21)] + ["ref=", "no newline at the end"])
        self.assertEqual([m for s, m in lines if s == "stderr"], ["oops"])
        self.assertTrue(any(m.startswith("creating container slipway-") for s, m in lines if s == "system"), lines)
        self.gone(dep)

    def leftover(self, name, labels, start):
        status, body = self.engine.api("POST", "/containers/create?name=" + name,
                                       {"Image": self.engine.image, "Cmd": ["true"], "Labels": labels,
                                        "HostConfig": {"NetworkMode": "none"}})
        self.assertEqual(status, 201, body)
        if start:
            self.assertEqual(self.engine.api("POST", "/containers/%s/start" % name)[0], 204)
            self.assertEqual(self.engine.api("POST", "/containers/%s/wait" % name)[0], 200)

    def test_a_container_an_ended_step_left_is_removed_by_the_next_step(self):
        # slipway died between a step's end and its container's removal: the exited container is still there
        dep = self.deploy([self.script("echo first\n")])
        self.wait_end(dep)
        self.gone(dep)
        step = self.get(dep)["steps"][0]["id"]
        ours = {"io.slipway.tenant": self.tenant, "io.slipway.deployment": dep, "io.slipway.step": step}
        self.leftover("slipway-" + step, ours, start=True)
        # a deployment deleted since (its step unknown) leaves one never started; another tenant's is not ours
        gone_step, theirs_step = str(uuid.uuid4()), str(uuid.uuid4())
        self.leftover("slipway-" + gone_step, dict(ours, **{"io.slipway.step": gone_step}), start=False)
        theirs = {"io.slipway.tenant": str(uuid.uuid4()), "io.slipway.step": theirs_step}
        self.leftover("slipway-" + theirs_step, theirs, start=True)
        try:
            later = self.deploy([self.script("echo second\n")])
            self.assertEqual(self.wait_end(later)["status"], "SUCCEEDED")
            names = {c["Names"][0].lstrip("/") for c in self.engine.containers(label="io.slipway.step")}
            self.assertNotIn("slipway-" + step, names)
            self.assertNotIn("slipway-" + gone_step, names)
            self.assertIn("slipway-" + theirs_step, names)  # the label of another tenant: never touched
        finally:
            self.engine.api("DELETE", "/containers/slipway-%s?force=1" % theirs_step)

    def test_a_nonzero_exit_fails_the_step(self):
        dep = self.deploy([self.script("echo before\nexit 3\necho after\n")])
        done = self.wait_end(dep)
        self.assertEqual((done["status"], done["exitCode"]), ("FAILED", 3), done)
        self.assertIn("status 3", done["statusReason"])
        messages = [m for _, m in log_lines(self.server, dep)]
        self.assertIn("before", messages)
        self.assertNotIn("after", messages)
        self.gone(dep)

    def test_a_timeout_kills_the_container(self):
        dep = self.deploy([self.script("echo started\nsleep 60\necho never\n", timeoutSeconds=2)])
        t0 = time.monotonic()
        done = self.wait_end(dep)
        self.assertLess(time.monotonic() - t0, 20)
        self.assertEqual(done["status"], "FAILED", done)
        self.assertTrue(done["statusReason"].startswith("timeout"), done)
        messages = [m for _, m in log_lines(self.server, dep)]
        self.assertIn("started", messages)
        self.assertNotIn("never", messages)
        self.gone(dep)

    def test_cancel_kills_the_container(self):
        dep = self.deploy([self.script("echo started\nsleep 60\necho never\n")])
        wait_for(lambda: "started" in [m for _, m in log_lines(self.server, dep)], "the container runs", WAIT)
        running = mine(self.engine, dep)
        self.assertEqual([c["State"] for c in running], ["running"])
        self.assertEqual(running[0]["Labels"]["io.slipway.tenant"], self.tenant)
        cancelled = self.expect(self.request("POST", api(self.tenant, "deployments", dep, "cancel"),
                                             token=self.org.editor.token), 200)
        self.assertEqual(cancelled["status"], "CANCELLED")
        self.gone(dep)
        self.assertEqual(self.get(dep)["status"], "CANCELLED")
        self.assertNotIn("never", [m for _, m in log_lines(self.server, dep)])

    def test_an_image_the_host_lacks_fails_the_step_with_the_engines_words(self):
        host = self.expect(self.request("POST", api(self.tenant, "hosts"),
                                        host_body(self.ssh, self.engine, dockerImage="slipway-missing:%s" % uuid.uuid4().hex[:6]),
                                        token=self.org.owner.token), 201)
        dep = self.deploy([self.script("echo never\n")], host_ids=[host["id"]])
        done = self.wait_end(dep)
        self.assertEqual(done["status"], "FAILED", done)
        self.assertIn("refused to create the container (HTTP 404)", done["statusReason"])
        self.assertIn("No such image", done["statusReason"])
        self.assertEqual(mine(self.engine, dep), [])

    def test_an_ssh_host_and_a_docker_host_in_one_deployment(self):
        dep = self.deploy([self.script('echo "on $(cat /proc/1/comm)"\n')], host_ids=[self.ssh_host_id, self.host_id])
        done = self.wait_end(dep)
        self.assertEqual(done["status"], "SUCCEEDED", (done, log_lines(self.server, dep)))
        steps = self.get(dep)["steps"]
        self.assertEqual([(s["hostId"], s["status"], s["exitCode"]) for s in steps],
                         [(self.ssh_host_id, "SUCCEEDED", 0), (self.host_id, "SUCCEEDED", 0)])
        out = [m for s, m in log_lines(self.server, dep) if s == "stdout"]
        self.assertEqual(len(out), 2, out)
        self.assertEqual(out[1], "on sh")  # pid 1 of the container is the script's shell
        self.assertNotEqual(out[0], "on sh")
        self.gone(dep)


@unittest.skipUnless(sshd.available() and dockerd.available(),
                     "needs openssh-server, docker.io, busybox-static and root (scripts/install-deps test)")
class DockerKillTest(unittest.TestCase):
    """slipway killed -9 while a step's container runs: the next process finds the container by its name, follows
    it to its end from where the stored log stopped and removes it; the script ran once (a file it appends to inside
    the container says so) and each line of its output is stored once."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="slipway-docker-kill-")
        self.database = harness.new_database(self.tmp)
        self.env = {"INTEGRATION_ENCRYPTION_KEY": KEY, "SLIPWAY_OUTBOUND_ALLOW": "127.0.0.0/8", "SLIPWAY_JOB_LEASE": "2",
                    "SLIPWAY_JOB_POLL_MS": "50"}
        self.ssh = sshd.Sshd().start()
        self.engine = engine_or_skip(self.ssh)
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.stop()
        self.engine.close()
        self.ssh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, admin=None):
        cls = vf.NoMigrateServer if admin else fx.IntegrationServer
        server = cls(self.env, database=self.database, admin=admin).start()
        server.remember_secret(self.ssh.client_key.strip())
        self.servers.append(server)
        return server

    def test_the_container_is_found_again_not_started_twice(self):
        first = self.start()
        tenant, token = first.admin["tenantId"], first.admin["token"]
        host = harness.expect(self, first.request("POST", api(tenant, "hosts"), host_body(self.ssh, self.engine),
                                                  token=token), 201)
        script = harness.expect(self, first.request("POST", api(tenant, "deployment-scripts"), {
            "name": "once", "body": "echo run >> /tmp/runs\necho started\necho warned >&2\nsleep 4\n"
                                    "echo \"runs: $(cat /tmp/runs | wc -l)\"\nprintf 'no newline'\n"},
            token=token), 201)
        dep = harness.expect(self, first.request("POST", api(tenant, "deployments"),
                                                 {"hostId": host["id"], "scriptId": script["id"]}, token=token), 201)["id"]
        wait_for(lambda: {("stdout", "started"), ("stderr", "warned")} <= set(log_lines(first, dep)),
                 "the container's first lines stored", WAIT)
        os.kill(first.pid, signal.SIGKILL)
        self.assertIsNotNone(first.wait_exit(10), "the killed process is gone")
        first.pid = None
        self.assertEqual(len(mine(self.engine, dep)), 1)
        second = self.start(admin=first.admin)

        def ended():
            got = harness.expect(self, second.request("GET", api(tenant, "deployments", dep), token=token), 200)
            return got if got["status"] in ENDED else None
        got = wait_for(ended, "the deployment ends", 60)
        messages = [m for _, m in log_lines(second, dep)]
        self.assertEqual(got["status"], "SUCCEEDED", messages)
        self.assertIn("runs: 1", messages)  # one container, started once: its file has one line
        # the follow after the restart skips what the first process stored: each line once, the last one too
        # (per stream: Docker copies the two streams apart, so their lines may interleave either way)
        lines = log_lines(second, dep)
        self.assertEqual([m for s, m in lines if s == "stdout"], ["started", "runs: 1", "no newline"])
        self.assertEqual([m for s, m in lines if s == "stderr"], ["warned"])
        self.assertTrue(any(m.startswith("found container slipway-") for m in messages), messages)
        self.assertEqual(sum(m.startswith("creating container") for m in messages), 1, messages)
        wait_for(lambda: mine(self.engine, dep) == [], "the container removed", WAIT)


if __name__ == "__main__":
    unittest.main()
