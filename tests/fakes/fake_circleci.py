#!/usr/bin/env python3
"""The CircleCI fake (API v2)."""

import copy
import urllib.parse
import uuid

from fakebase import number, J, Provider


class CircleCI(Provider):
    """CircleCI API v2.

    data: {"tokens": {token: {"login", "projects": ["gh/org/repo", ...]}}}
    `Circle-Token` authenticates; gh/github and bb/bitbucket name the same VCS, as CircleCI treats them."""

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
        if rest.startswith("project/"):
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
        return J(404, {"message": "Not found"})


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
