#!/usr/bin/env python3
"""The Bugsnag fake (Data Access API v2)."""

import copy

from fakebase import J, Provider


class Bugsnag(Provider):
    """Bugsnag's Data Access API v2: GET /projects/{id} and GET /projects/{id}/releases?release_stage=production.

    data: {"tokens": {token: {"projects": [id, ...]}}, "releases": {id: [{"app_version", "total_sessions_count",
           "unhandled_sessions_count", "accumulative_daily_users_seen", "accumulative_daily_users_with_unhandled",
           "errors_seen_count"}]}}
    `Authorization: token <token>` authenticates (401 otherwise); `X-Version: 2` is required (400 without, as the
    API refuses a request without a version it serves); a project the token cannot see is 404. The test sets the
    releases' counts; the stability is computed from them as Bugsnag's dashboard does."""

    name = "bugsnag"

    def initial(self):
        return {"tokens": {}, "releases": {}}

    def unauthorized(self, req):
        return J(401, {"errors": ["Unauthorized"]})

    def not_found(self, req):
        return J(404, {"errors": ["Not found"]})

    def route(self, req):
        value = req.header("Authorization") or ""
        token = value[len("token "):] if value.startswith("token ") else None
        with self.lock:
            data = copy.deepcopy(self.data)
        info = data["tokens"].get(token) if token else None
        if info is None:
            return self.unauthorized(req)
        if req.header("X-Version") != "2":
            return J(400, {"errors": ["X-Version header: 2 expected"]})
        parts = req.segments()
        if len(parts) < 2 or parts[0] != "projects" or parts[1] not in info.get("projects", []):
            return self.not_found(req)
        if len(parts) == 2:
            return J(200, {"id": parts[1], "name": "Project " + parts[1], "slug": "project-" + parts[1], "type": "android"})
        if len(parts) == 3 and parts[2] == "releases":
            stage = req.param("release_stage")
            releases = data["releases"].get(parts[1], [])
            return J(200, [dict(r, id="r-%d" % i, release_stage_name=stage or "production")
                           for i, r in enumerate(releases)])
        return self.not_found(req)
