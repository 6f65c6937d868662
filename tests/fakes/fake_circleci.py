#!/usr/bin/env python3
"""The CircleCI fake (API v2)."""

import copy
import urllib.parse
import uuid

from fakebase import iso, number, J, Provider


class CircleCI(Provider):
    """CircleCI API v2.

    data: {"tokens": {token: {"login", "projects": ["gh/org/repo", ...]}}},
          "builds": {"gh/org/repo": {"parameters": [declared names], "workflows": ["release", ...],
                                     "refuse": "a message"?, "pipelines": [made, newest first]}}}
    `Circle-Token` authenticates; gh/github and bb/bitbucket name the same VCS, as CircleCI treats them.
    Builds: POST /project/{slug}/pipeline {"branch" or "tag", "parameters"} answers 201 with the pipeline (400 for a
    parameter the config does not declare, or the project's "refuse") and starts one workflow per name at once;
    GET /project/{slug}/pipeline?branch= lists the pipelines (their parameters in trigger_parameters), GET
    /pipeline/{id}/workflow its workflows, GET /workflow/{id} one, POST /workflow/{id}/cancel cancels it.
    finish_run (the control plane's POST /circleci/runs/{workflow id}/finish) ends a workflow and sends the signed
    workflow-completed webhook."""

    name = "circleci"
    env = ("SLIPWAY_CIRCLECI_API_URL", "/api/v2")
    server_header = "nginx"
    VCS = {"gh": "github", "github": "github", "bb": "bitbucket", "bitbucket": "bitbucket", "circleci": "circleci"}

    def initial(self):
        return {"tokens": {}}

    def unauthorized(self, req):
        return J(401, {"message": "You must log in first."})

    def not_found(self, req):
        return J(404, {"message": "Project not found"})

    def forbidden(self, req):
        return J(403, {"message": "Permission denied"})

    def server_error(self, req, status=500):
        return J(status, {"message": "Internal server error"})

    def _norm(self, slug):
        parts = slug.split("/")
        if len(parts) != 3 or parts[0] not in self.VCS:
            return None
        return "/".join([self.VCS[parts[0]]] + parts[1:])

    def route(self, req):
        if not req.path.startswith("/api/v2/"):
            return J(404, {"message": "Not found"})
        token = req.header("Circle-Token")
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token)) if token else None
        if info is None:
            return self.unauthorized(req)
        rest = urllib.parse.unquote(req.path[len("/api/v2/"):])
        login = info.get("login", "circle-bot")
        if rest == "me":
            return J(200, {"id": str(uuid.UUID(int=number(login, 30))), "login": login, "name": login.title()})
        if rest.startswith("project/") and rest.count("/") == 3:
            slug = rest[len("project/"):]
            wanted = self._norm(slug)
            known = {self._norm(s) for s in info.get("projects", [])}
            if wanted is None or wanted not in known:
                return self.not_found(req)
            vcs, org, repo = slug.split("/")
            provider = {"github": "GitHub", "bitbucket": "Bitbucket", "circleci": "CircleCI"}[self.VCS[vcs]]
            return J(200, {"slug": slug, "name": repo, "id": str(uuid.UUID(int=number(wanted, 30))),
                           "organization_name": org, "organization_slug": vcs + "/" + org,
                           "organization_id": str(uuid.UUID(int=number(org, 30))),
                           "vcs_info": {"vcs_url": "https://%s.com/%s/%s" % (self.VCS[vcs], org, repo),
                                        "provider": provider, "default_branch": "main"}})
        return self._builds(rest, req, {self._norm(s) for s in info.get("projects", [])})

    def _workflow_json(self, slug, p, w):
        return {"id": w["id"], "name": w["name"], "status": w["status"], "pipeline_id": p["id"],
                "pipeline_number": p["number"], "project_slug": slug, "created_at": p["created_at"],
                "stopped_at": w.get("stopped_at"), "started_by": str(uuid.UUID(int=number(slug, 30)))}

    def _pipeline_json(self, slug, p):
        return {"id": p["id"], "number": p["number"], "state": p["state"], "project_slug": slug, "created_at": p["created_at"],
                "updated_at": p["created_at"], "errors": [], "trigger": {"type": "api", "actor": {"login": "circle-bot"}},
                "trigger_parameters": dict(p["parameters"]), "vcs": {"branch": p["branch"], "revision": p["revision"],
                                                                     "provider_name": "GitHub", "tag": p.get("tag")}}

    def _find(self, key, value):
        """(slug, pipeline, workflow or None) holding the pipeline id or workflow id; None when none does."""
        for slug, project in self.data.get("builds", {}).items():
            for p in project.get("pipelines", []):
                if key == "pipeline" and p["id"] == value:
                    return slug, p, None
                for w in p["workflows"]:
                    if key == "workflow" and w["id"] == value:
                        return slug, p, w
        return None

    def _builds(self, rest, req, known):
        parts = rest.split("/")
        with self.lock:
            if len(parts) == 5 and parts[0] == "project" and parts[4] == "pipeline":
                slug = "/".join(parts[1:4])
                project = self.data.get("builds", {}).get(slug)
                if self._norm(slug) not in known or project is None:
                    return self.not_found(req)
                if req.method == "GET":
                    branch = req.param("branch")
                    items = [self._pipeline_json(slug, p) for p in project.get("pipelines", [])
                             if not branch or p["branch"] == branch]
                    return J(200, {"items": items[:20], "next_page_token": None})
                body = req.json()
                if not isinstance(body, dict) or ("tag" in body) == ("branch" in body) or \
                        not isinstance(body.get("tag", body.get("branch")), str):
                    return J(400, {"message": "branch or tag must be a string, and not both"})
                params = body.get("parameters") or {}
                unknown = sorted(k for k in params if k not in project.get("parameters", []))
                if unknown:
                    return J(400, {"message": "Unexpected argument(s): " + ", ".join(unknown)})
                if project.get("refuse"):
                    return J(400, {"message": project["refuse"]})
                pipelines = project.setdefault("pipelines", [])
                made = {"id": str(uuid.uuid4()), "number": 130 + len(pipelines), "state": "created", "created_at": iso(),
                        "branch": body.get("branch"), "tag": body.get("tag"), "parameters": params,
                        "revision": "f454a02b5d10fcccfd7d9dd7608a76d6493a98b4"}
                made["workflows"] = [{"id": str(uuid.uuid4()), "name": n, "status": "running"}
                                     for n in project.get("workflows", ["build"])]
                pipelines.insert(0, made)
                return J(201, {"id": made["id"], "state": "created", "number": made["number"],
                               "created_at": made["created_at"]})
            if len(parts) == 3 and parts[0] == "pipeline" and parts[2] == "config" and req.method == "GET":
                found = self._find("pipeline", parts[1])  # job discovery: the project's "config" text
                if found is None or self._norm(found[0]) not in known:
                    return J(404, {"message": "Pipeline not found"})
                config = self.data["builds"][found[0]].get("config", "version: 2.1\n")
                return J(200, {"source": config, "compiled": config, "setup-config": "", "compiled-setup-config": ""})
            if len(parts) == 3 and parts[0] == "pipeline" and parts[2] == "workflow" and req.method == "GET":
                found = self._find("pipeline", parts[1])
                if found is None or self._norm(found[0]) not in known:
                    return J(404, {"message": "Pipeline not found"})
                slug, p, _ = found
                return J(200, {"items": [self._workflow_json(slug, p, w) for w in p["workflows"]], "next_page_token": None})
            if parts[0] == "workflow" and len(parts) in (2, 3):
                found = self._find("workflow", parts[1])
                if found is None or self._norm(found[0]) not in known:
                    return J(404, {"message": "Workflow not found"})
                slug, p, w = found
                if len(parts) == 2 and req.method == "GET":
                    return J(200, self._workflow_json(slug, p, w))
                if parts[2:] == ["cancel"] and req.method == "POST":
                    if w["status"] in ("running", "on_hold", "failing"):
                        w.update(status="canceled", stopped_at=iso())
                    w["cancels"] = w.get("cancels", 0) + 1
                    return J(202, {"message": "Accepted."})
        return J(404, {"message": "Not found"})

    def finish_run(self, run_id, body):
        """Ends workflow run_id ("conclusion": success | failure | cancelled) and, with "webhook": {"url", "secret"},
        sends the workflow-completed event there, signed, as CircleCI does. The workflow's JSON."""
        from fakebase import send_hook
        status = {"success": "success", "failure": "failed", "cancelled": "canceled"}[body.get("conclusion", "success")]
        with self.lock:
            found = self._find("workflow", run_id)
            if found is None:
                raise KeyError("no workflow %s" % run_id)
            slug, p, w = found
            w.update(status=status, stopped_at=iso())
            out = self._workflow_json(slug, p, w)
            payload = workflow_completed_payload(workflow_id=w["id"], status=status, branch=p["branch"],
                                                 revision=p["revision"])
            payload["pipeline"].update(id=p["id"], number=p["number"])
            payload["workflow"]["name"] = w["name"]
        hook = body.get("webhook")
        if hook:
            send_hook(hook, *webhook(hook["secret"], payload))
        return out


# Inbound webhooks, as CircleCI sends them: circleci-signature "v1=" and the hex HMAC-SHA256 of the raw body;
# Circleci-Event-Type names the event, the body's id the delivery and its happened_at when it happened.

def webhook(secret, payload):
    """(raw body, headers) of a CircleCI delivery."""
    from fakebase import hmac_sha256_hex, webhook_body
    raw = webhook_body(payload)
    event = payload.get("type", "") if isinstance(payload, dict) else ""
    return raw, {"User-Agent": "CircleCI-Webhook/1.0", "Circleci-Event-Type": event,
                 "circleci-signature": "v1=" + hmac_sha256_hex(secret, raw)}


def workflow_completed_payload(workflow_id=None, status="success", branch="main", happened_at=None,
                               revision="f454a02b5d10fcccfd7d9dd7608a76d6493a98b4", delivery=None):
    from fakebase import iso
    workflow_id = workflow_id or str(uuid.uuid4())
    return {"type": "workflow-completed", "id": delivery or str(uuid.uuid4()), "happened_at": happened_at or iso(millis=True),
            "webhook": {"id": str(uuid.uuid4()), "name": "slipway"},
            "workflow": {"id": workflow_id, "name": "release", "status": status, "created_at": iso(), "stopped_at": iso(),
                         "url": "https://app.circleci.com/pipelines/bb/org/repo/130/workflows/" + workflow_id},
            "pipeline": {"id": str(uuid.uuid4()), "number": 130, "created_at": iso(), "trigger": {"type": "webhook"},
                         "vcs": {"provider_name": "bitbucket", "origin_repository_url": "https://bitbucket.org/org/repo",
                                 "target_repository_url": "https://bitbucket.org/org/repo", "revision": revision,
                                 "commit": {"subject": "Fix the release build", "author": {"name": "Ada"}},
                                 "branch": branch}},
            "project": {"id": str(uuid.uuid4()), "name": "repo", "slug": "bb/org/repo"},
            "organization": {"id": str(uuid.uuid4()), "name": "org"}}
