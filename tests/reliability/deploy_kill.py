#!/usr/bin/env python3
"""Deployments under kill -9 (docs/deployments.md, "Scripts and deployments"; docs/reliability.md).

A script runs on a private OpenSSH server (tests/api/sshd.py); once its
first line is stored, the slipway process running it is killed (SIGKILL).
The next process on the same SQLite database takes the deployment's job
over when the dead one's lease runs out and finds the deployment RUNNING:
it cannot know what the script did, so a script not marked idempotent is
not run again (the deployment ends FAILED, "interrupted"), and an
idempotent one runs again from the start (SUCCEEDED, its first line
stored twice). With several steps, the steps that ended before the kill
are not run again and the steps after it run (PARTIALLY_FAILED). A run
scheduled for later waits as a row (job_wait with its time as the
deadline): the process holding it killed, the next one starts it at its
time. A CI/CD job whose trigger was sent when the process was killed is
found by its correlation id by the next one, never triggered twice.

    SLIPWAY_BIN=build/slipway python3 tests/reliability/deploy_kill.py
"""

import os
import shutil
import signal
import sys
import tempfile
import unittest
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402
import sshd  # noqa: E402
import verify_fixtures as vf  # noqa: E402
from test_deploy import harness_job_state, later, wait_for  # noqa: E402  (fn until true, with a bound)

KEY = "5eed0000000000000000000000000000000000000000000000000000000000a1"
@unittest.skipUnless(sshd.available(), "openssh-server is not installed (scripts/install-deps test)")
class DeployKillTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="slipway-deploy-kill-")
        self.database = harness.new_database(self.tmp)
        self.env = {"INTEGRATION_ENCRYPTION_KEY": KEY, "SLIPWAY_OUTBOUND_ALLOW": "127.0.0.0/8", "SLIPWAY_JOB_LEASE": "2",
                    "SLIPWAY_JOB_POLL_MS": "50"}
        self.ssh = sshd.Sshd().start()
        self.servers = []

    def tearDown(self):
        errors = []
        for s in self.servers:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        self.ssh.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        if errors:
            raise AssertionError("\n".join(errors))

    def start(self, admin=None):
        cls = vf.NoMigrateServer if admin else fx.IntegrationServer
        server = cls(self.env, database=self.database, admin=admin).start()
        server.remember_secret(self.ssh.client_key.strip())
        self.servers.append(server)
        return server

    def lines(self, server, dep_id):
        _, rows = fx.db_query(server, "SELECT message FROM deployment_logs WHERE deploymentId = ? ORDER BY seq", (dep_id,))
        return [r[0] for r in rows]

    def run_and_kill(self, idempotent, before=(), after=()):
        """A deployment of a script that prints "started", sleeps and prints "finished" (after the scripts before,
        and before those after, on one host), its process killed once "started" is stored; the next process's view
        of it once it has ended: (deployment, its lines)."""
        first = self.start()
        tenant, token = first.admin["tenantId"], first.admin["token"]
        host = harness.expect(self, first.request("POST", "/api/v1/%s/hosts" % tenant, {
            "name": "box", "address": "127.0.0.1", "port": self.ssh.port, "username": self.ssh.user, "authMethod": "key",
            "secret": self.ssh.client_key}, token=token), 201)
        script = harness.expect(self, first.request("POST", "/api/v1/%s/deployment-scripts" % tenant, {
            "name": "s-" + uuid.uuid4().hex[:6], "body": "echo started\nsleep 2\necho finished\n",
            "idempotent": idempotent}, token=token), 201)
        others = [harness.expect(self, first.request("POST", "/api/v1/%s/deployment-scripts" % tenant, {
            "name": "s-" + uuid.uuid4().hex[:6], "body": body}, token=token), 201)["id"] for body in list(before) + list(after)]
        scripts = others[:len(before)] + [script["id"]] + others[len(before):]
        dep = harness.expect(self, first.request("POST", "/api/v1/%s/deployments" % tenant,
                                                 {"hostId": host["id"], "scriptIds": scripts}, token=token), 201)
        wait_for(lambda: "started" in self.lines(first, dep["id"]), "the script's first line")
        os.kill(first.pid, signal.SIGKILL)
        self.assertIsNotNone(first.wait_exit(10), "the killed process is gone")
        first.pid = None  # killed: nothing to stop or check
        second = self.start(admin=first.admin)

        def ended():
            got = harness.expect(self, second.request("GET", "/api/v1/%s/deployments/%s" % (tenant, dep["id"]),
                                                      token=token), 200)
            return got if got["status"] not in ("PENDING", "RUNNING") else None
        return wait_for(ended, "the deployment to end", 60), self.lines(second, dep["id"])

    def test_a_script_that_was_running_is_not_run_again(self):
        got, lines = self.run_and_kill(idempotent=False)
        self.assertEqual(got["status"], "FAILED", lines)
        self.assertTrue(got["statusReason"].startswith("interrupted"), got)
        self.assertIsNone(got["exitCode"])
        self.assertEqual(lines.count("started"), 1, lines)
        self.assertNotIn("finished", lines)

    def test_an_idempotent_script_runs_again(self):
        got, lines = self.run_and_kill(idempotent=True)
        self.assertEqual(got["status"], "SUCCEEDED", lines)
        self.assertEqual(got["exitCode"], 0)
        self.assertEqual(lines.count("started"), 2, lines)
        self.assertEqual(lines.count("finished"), 1, lines)

    def test_steps_that_ended_are_not_run_again_and_the_rest_run(self):
        got, lines = self.run_and_kill(idempotent=False, before=["echo one-done\n"], after=["echo three-done\n"])
        self.assertEqual(got["status"], "PARTIALLY_FAILED", lines)
        self.assertIn("1 of 3 steps failed; the first: interrupted", got["statusReason"])
        self.assertEqual(lines.count("one-done"), 1, lines)  # ended before the kill: never run again
        self.assertEqual(lines.count("started"), 1, lines)
        self.assertNotIn("finished", lines)
        self.assertEqual(lines.count("three-done"), 1, lines)

    def test_a_scheduled_run_survives_the_kill_and_starts_at_its_time(self):
        first = self.start()
        tenant, token = first.admin["tenantId"], first.admin["token"]
        host = harness.expect(self, first.request("POST", "/api/v1/%s/hosts" % tenant, {
            "name": "box", "address": "127.0.0.1", "port": self.ssh.port, "username": self.ssh.user, "authMethod": "key",
            "secret": self.ssh.client_key}, token=token), 201)
        script = harness.expect(self, first.request("POST", "/api/v1/%s/deployment-scripts" % tenant, {
            "name": "due", "body": "echo due\n"}, token=token), 201)
        at = later(4)
        dep = harness.expect(self, first.request("POST", "/api/v1/%s/deployments" % tenant, {
            "hostId": host["id"], "scriptId": script["id"], "schedule": "later", "scheduledTime": at}, token=token), 201)
        wait_for(lambda: harness_job_state(first, dep["id"]) == "WAITING", "the scheduled run waits as a row")
        os.kill(first.pid, signal.SIGKILL)
        self.assertIsNotNone(first.wait_exit(10), "the killed process is gone")
        first.pid = None
        second = self.start(admin=first.admin)

        def ended():
            got = harness.expect(self, second.request("GET", "/api/v1/%s/deployments/%s" % (tenant, dep["id"]),
                                                      token=token), 200)
            return got if got["status"] not in ("SCHEDULED", "PENDING", "RUNNING") else None
        got = wait_for(ended, "the scheduled deployment to end", 60)
        self.assertEqual(got["status"], "SUCCEEDED", got)
        self.assertGreaterEqual(got["startedAt"], at)
        self.assertEqual(self.lines(second, dep["id"]).count("due"), 1)

    def test_a_deployment_held_by_a_freeze_resumes_once_after_the_kill(self):
        """A running deployment held between its two steps by its environment's freeze (its job waiting for the thaw
        as a row), the process holding it killed -9: after the unfreeze the next process runs the second step, once,
        and not the first, which had ended."""
        first = self.start()
        tenant, token = first.admin["tenantId"], first.admin["token"]
        base = "/api/v1/%s/" % tenant
        d = tempfile.mkdtemp(prefix="slipway-deploy-kill-go-")
        self.addCleanup(shutil.rmtree, d, True)
        host = harness.expect(self, first.request("POST", base + "hosts", {
            "name": "box", "address": "127.0.0.1", "port": self.ssh.port, "username": self.ssh.user, "authMethod": "key",
            "secret": self.ssh.client_key}, token=token), 201)
        scripts = [harness.expect(self, first.request("POST", base + "deployment-scripts", {"name": name, "body": body},
                                                      token=token), 201)["id"]
                   for name, body in (("one", "echo one-done\nwhile [ ! -e %s/go ]; do sleep 0.05; done\n" % d),
                                      ("two", "echo two-done\n"))]
        env = harness.expect(self, first.request("POST", base + "environments", {"name": "prod"}, token=token), 201)
        dep = harness.expect(self, first.request("POST", base + "deployments", {
            "hostId": host["id"], "scriptIds": scripts, "environmentId": env["id"]}, token=token), 201)
        wait_for(lambda: "one-done" in self.lines(first, dep["id"]), "the first step runs")
        harness.expect(self, first.request("POST", base + "environments/%s/freeze" % env["id"], {"reason": "incident"},
                                           token=token), 200)
        open(os.path.join(d, "go"), "w").close()  # the step in flight finishes
        wait_for(lambda: harness_job_state(first, dep["id"]) == "WAITING", "the job waits for the thaw")
        os.kill(first.pid, signal.SIGKILL)
        self.assertIsNotNone(first.wait_exit(10), "the killed process is gone")
        first.pid = None
        second = self.start(admin=first.admin)
        harness.expect(self, second.request("POST", base + "environments/%s/unfreeze" % env["id"], token=token), 200)

        def ended():
            got = harness.expect(self, second.request("GET", base + "deployments/%s" % dep["id"], token=token), 200)
            return got if got["status"] not in ("PENDING", "RUNNING") else None
        got = wait_for(ended, "the held deployment to end", 60)
        lines = self.lines(second, dep["id"])
        self.assertEqual((got["status"], [s["status"] for s in got["steps"]]), ("SUCCEEDED", ["SUCCEEDED", "SUCCEEDED"]), lines)
        self.assertEqual((lines.count("one-done"), lines.count("two-done")), (1, 1), lines)

    def test_a_ci_job_triggered_before_the_kill_is_found_not_triggered_again(self):
        """A deployment's Jenkins job (docs/deployments.md "CI/CD jobs"): the fake starts the build but holds its
        answer, and the process is killed then; the next one lists the job's builds first and finds the one carrying
        the mapping's id (slipway_build_id), follows it to its end, and never triggers a second build."""
        client = vf.fakes()
        self.env = vf.server_env(client, extra=self.env)
        first = self.start()
        ctx = vf.Ctx(first, client)
        case = vf.build(ctx, "JENKINS")
        builds = lambda: client.data("jenkins")["jobs"][case.info["job"]].get("builds", [])  # noqa: E731
        integ = ctx.create(case.body)
        hook = harness.expect(self, first.request("POST", "/api/v1/%s/integrations/pipelines/%s/webhook" % (
            ctx.tenant_id, integ["id"]), token=ctx.token), 201)
        harness.expect(self, first.request("POST", "/api/v1/%s/cicd-jobs/discover" % ctx.tenant_id,
                                           {"integrationId": integ["id"]}, token=ctx.token), 202)
        job = wait_for(lambda: [j for j in harness.expect(self, first.request(
            "GET", "/api/v1/%s/cicd-jobs?integrationId=%s" % (ctx.tenant_id, integ["id"]), token=ctx.token), 200)["items"]
            if j["externalId"] == case.info["job"]], "the job discovered")[0]
        host = harness.expect(self, first.request("POST", "/api/v1/%s/hosts" % ctx.tenant_id, {
            "name": "box", "address": "127.0.0.1", "port": self.ssh.port, "username": self.ssh.user, "authMethod": "key",
            "secret": self.ssh.client_key}, token=ctx.token), 201)
        script = harness.expect(self, first.request("POST", "/api/v1/%s/deployment-scripts" % ctx.tenant_id, {
            "name": "ok", "body": "true\n"}, token=ctx.token), 201)
        client.rule("jenkins", "lose", match="buildWithParameters", times=1)  # the build starts; its answer is lost
        dep = harness.expect(self, first.request("POST", "/api/v1/%s/deployments" % ctx.tenant_id, {
            "hostId": host["id"], "scriptId": script["id"], "cicdJobs": [{"jobId": job["id"]}], "ref": "main"}, token=ctx.token), 201)
        wait_for(lambda: builds(), "the build started by the first process")
        os.kill(first.pid, signal.SIGKILL)
        self.assertIsNotNone(first.wait_exit(10), "the killed process is gone")
        first.pid = None
        second = self.start(admin=first.admin)
        second.remember_secret(hook["secret"])

        def read():
            return harness.expect(self, second.request("GET", "/api/v1/%s/deployments/%s" % (ctx.tenant_id, dep["id"]),
                                                       token=ctx.token), 200)
        mapping = wait_for(lambda: read()["cicdJobs"][0]["runId"] and read()["cicdJobs"][0], "the run found", 30)
        [build] = builds()
        self.assertEqual((mapping["runId"], build["parameters"]["slipway_build_id"]),
                         ("%s#%d" % (case.info["job"], build["number"]), mapping["id"]))
        client._call("POST", "/jenkins/runs/%s/finish" % urllib.parse.quote(mapping["runId"], safe=""), {
            "conclusion": "success", "webhook": {"url": "http://127.0.0.1:%d%s" % (second.port, hook["path"]),
                                                 "secret": hook["secret"]}})
        got = wait_for(lambda: (lambda d: d if d["status"] not in ("PENDING", "RUNNING") else None)(read()),
                       "the deployment to end", 30)
        self.assertEqual((got["status"], got["cicdJobs"][0]["status"]), ("SUCCEEDED", "SUCCEEDED"), got)
        self.assertEqual(len(builds()), 1, "triggered once")


if __name__ == "__main__":
    unittest.main()
