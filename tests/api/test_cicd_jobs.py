"""CI/CD job discovery (docs/deployments.md "CI/CD jobs"), against the fakes: Jenkins' job tree through folders with
parameter definitions, GitHub Actions' workflows with their workflow_dispatch inputs (and one that cannot be
dispatched), GitLab's pipeline with .gitlab-ci.yml's variables, CircleCI's pipeline with its config's parameters;
a job gone from the provider marked removed; a refused credential recorded; another tenant's jobs unseen."""

import unittest
import uuid

import harness
import verify_fixtures as vf
from verify_fixtures import VerifyTest


def tearDownModule():
    vf.stop_servers()


WORKFLOW = """name: Deploy
run-name: deploy ${{ inputs.slipway_build_id }}
on:
  push:
    branches: [main]
  workflow_dispatch:
    inputs:
      environment:
        description: Where to
        type: choice
        required: true
        default: staging
        options: [staging, production]
      dry_run:
        type: boolean
        default: false
      slipway_build_id:
        type: string
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps: [{run: echo}]
"""

GITLAB_CI = """variables:
  DEPLOY_ENV:
    value: staging
    description: Where to deploy
    options: [staging, production]
  REGION: eu-west-1
stages: [deploy]
deploy:
  stage: deploy
  script: [echo $DEPLOY_ENV]
"""

CIRCLE_CONFIG = """version: 2.1
parameters:
  target:
    type: enum
    enum: [blue, green]
    default: blue
  replicas:
    type: integer
    default: 2
    description: How many
  slipway_build_id:
    type: string
    default: ""
workflows:
  deploy: {jobs: [build]}
"""


class CicdJobsTest(VerifyTest):
    def setUp(self):
        super().setUp()
        self.ctx = vf.Ctx(self.server, self.fakes)
        self.tenant, self.owner = self.ctx.tenant_id, self.ctx.org.owner

    def request(self, method, path, body=None, token=None):
        return self.server.request(method, path, body=body, token=token or self.owner.token)

    def discover(self, integ, expect="DISCOVERED"):
        """Discovery of integ to its end: its jobs (by externalId) and its state."""
        made = harness.expect(self, self.request("POST", "/api/v1/%s/cicd-jobs/discover" % self.tenant,
                                                 {"integrationId": integ["id"]}, token=self.ctx.org.editor.token), 202)
        self.assertEqual(len(made["jobIds"]), 1)
        state = {}

        def ended():
            page = self.listing(integ)
            state.update([s for s in page["integrations"] if s["id"] == integ["id"]][0], items=page["items"])
            return state["discoveryStatus"] in ("DISCOVERED", "FAILED")

        self.assertTrue(vf.wait_for(ended, 20), state)
        self.assertEqual(state["discoveryStatus"], expect, state)
        return {j["externalId"]: j for j in state["items"]}, state

    def listing(self, integ, token=None):
        return harness.expect(self, self.request("GET", "/api/v1/%s/cicd-jobs?integrationId=%s" % (self.tenant, integ["id"]),
                                                 token=token or self.ctx.org.viewer.token), 200)

    def params(self, job):
        return {p["name"]: p for p in job["parameters"]}

    def test_jenkins_tree_with_parameters_and_removal(self):
        case = vf.build(self.ctx, "JENKINS")
        folder = case.info["job"].split("/")[0]
        deploy = folder + "/ops/deploy"
        self.fakes.register("jenkins", {"jobs": {deploy: {"description": "Deploys the app", "parameters": [
            {"name": "TARGET", "type": "ChoiceParameterDefinition", "choices": ["staging", "production"],
             "defaultParameterValue": {"value": "staging"}, "description": "where"},
            {"name": "DRY_RUN", "type": "BooleanParameterDefinition", "defaultParameterValue": {"value": True}},
            {"name": "TAG", "type": "StringParameterDefinition", "defaultParameterValue": {"value": "v1"}}]}}})
        integ = self.ctx.create(case.body)
        jobs, state = self.discover(integ)
        self.assertIn(case.info["job"], jobs)
        job = jobs[deploy]
        self.assertEqual((job["name"], job["path"], job["description"], job["removedAt"]),
                         ("deploy", deploy, "Deploys the app", None))
        p = self.params(job)
        self.assertEqual(p["TARGET"], {"name": "TARGET", "type": "choice", "default": "staging",
                                       "choices": ["staging", "production"], "description": "where", "required": False})
        self.assertEqual((p["DRY_RUN"]["type"], p["DRY_RUN"]["default"]), ("boolean", "true"))
        self.assertEqual((p["TAG"]["type"], p["TAG"]["default"]), ("string", "v1"))
        self.assertIsNotNone(state["lastDiscoveredAt"])
        # The job leaves Jenkins: its row stays, marked removed; the same id when it comes back.
        self.fakes.register("jenkins", {"jobs": {deploy: {"gone": True}}})
        again, _ = self.discover(integ)
        self.assertEqual(again[deploy]["id"], job["id"])
        self.assertIsNotNone(again[deploy]["removedAt"])
        self.assertIsNone(again[case.info["job"]]["removedAt"])

    def test_github_actions_workflows_and_inputs(self):
        case = vf.build(self.ctx, "GITHUB_ACTIONS")
        full = case.info["org"] + "/" + case.info["repo"]
        self.fakes.register("github", {"repos": {full: {
            "workflows": [case.info["workflow"], "lint.yml"],
            "files": {".github/workflows/" + case.info["workflow"]: WORKFLOW,
                      ".github/workflows/lint.yml": "on: [push]\njobs: {lint: {runs-on: x, steps: []}}\n"}}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        job = jobs[".github/workflows/" + case.info["workflow"]]
        self.assertEqual(job["name"], case.info["workflow"].rsplit(".", 1)[0])
        p = self.params(job)
        self.assertEqual(p["environment"], {"name": "environment", "type": "choice", "default": "staging",
                                            "choices": ["staging", "production"], "description": "Where to",
                                            "required": True})
        self.assertEqual((p["dry_run"]["type"], p["dry_run"]["default"]), ("boolean", "false"))
        self.assertEqual(jobs[".github/workflows/lint.yml"]["parameters"], [])

    def test_gitlab_pipeline_variables(self):
        case = vf.build(self.ctx, "GITLAB_CI")
        self.fakes.register("gitlab", {"projects": {case.info["org"] + "/" + case.info["repo"]: {
            "files": {".gitlab-ci.yml": GITLAB_CI}}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        p = self.params(jobs["pipeline"])
        self.assertEqual(p["DEPLOY_ENV"], {"name": "DEPLOY_ENV", "type": "choice", "default": "staging",
                                           "choices": ["staging", "production"], "description": "Where to deploy",
                                           "required": False})
        self.assertEqual((p["REGION"]["type"], p["REGION"]["default"]), ("string", "eu-west-1"))

    def test_circleci_pipeline_parameters(self):
        case = vf.build(self.ctx, "CIRCLECI")
        self.fakes.register("circleci", {"builds": {case.info["slug"]: {"config": CIRCLE_CONFIG, "pipelines": [
            {"id": str(uuid.uuid4()), "number": 7, "state": "created", "created_at": "2026-01-01T00:00:00Z",
             "branch": "main", "parameters": {}, "revision": "f454a02b5d10fcccfd7d9dd7608a76d6493a98b4",
             "workflows": []}]}}})
        integ = self.ctx.create(case.body)
        jobs, _ = self.discover(integ)
        p = self.params(jobs["pipeline"])
        self.assertEqual(sorted(p), ["replicas", "target"], "slipway_build_id is slipway's own")
        self.assertEqual((p["target"]["type"], p["target"]["choices"], p["target"]["default"]),
                         ("choice", ["blue", "green"], "blue"))
        self.assertEqual((p["replicas"]["type"], p["replicas"]["default"], p["replicas"]["description"]),
                         ("number", "2", "How many"))

    def test_refused_credentials_and_walls(self):
        case = vf.build(self.ctx, "JENKINS", creds=False)
        integ = self.ctx.create(case.body)
        jobs, state = self.discover(integ, expect="FAILED")
        self.assertEqual(jobs, {})
        self.assertIn("rejected", state["lastDiscoveryError"])
        # Another tenant neither sees the jobs nor starts a discovery of this tenant's integration; a viewer cannot.
        other = vf.Ctx(self.server, self.fakes)
        resp = self.server.request("POST", "/api/v1/%s/cicd-jobs/discover" % other.tenant_id,
                                   body={"integrationId": integ["id"]}, token=other.token)
        self.assertEqual(resp.status, 404, resp)
        page = harness.expect(self, self.server.request("GET", "/api/v1/%s/cicd-jobs" % other.tenant_id,
                                                        token=other.token), 200)
        self.assertEqual((page["items"], page["integrations"]), ([], []))
        resp = self.request("POST", "/api/v1/%s/cicd-jobs/discover" % self.tenant, {"integrationId": integ["id"]},
                            token=self.ctx.org.viewer.token)
        self.assertEqual(resp.status, 404, resp)


if __name__ == "__main__":
    unittest.main()
