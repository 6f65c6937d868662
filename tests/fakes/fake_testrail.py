#!/usr/bin/env python3
"""The TestRail fake (API v2)."""

import copy
import re
import time
import urllib.parse

from fakebase import basic_credentials, J, html, Provider


class TestRail(Provider):
    """TestRail API v2: GET index.php?/api/v2/get_project/{id}, and a release candidate's run: get_runs/{project}
    (paged, newest first, filters created_after and suite_id), POST add_run/{project}, get_run/{id}.

    data: {"users": {email: {"keys": [api keys]}},
           "projects": {"7": {"name", "users": [emails] | null, "suites": [suite ids] (a multi-suite project: add_run
                              needs one of them as suite_id)}},
           "runs": {"1": {"id", "project_id", "suite_id", "name", "description", "created_on", "url", "is_completed",
                          "passed_count", "failed_count", "blocked_count", "retest_count", "untested_count",
                          "custom_status1_count"...}}   (filled by add_run; a test sets the counts by registering them)
           "pageSize": 250}
    An unknown project is 400 "Field :project_id is not a valid or accessible project.", as TestRail answers
    (its documentation: 400 invalid or unknown project, 403 no access); an unknown run 400 too. add_run takes JSON
    only (Content-Type application/json, as TestRail requires) and a name."""

    name = "testrail"
    server_header = "Apache"

    def initial(self):
        return {"users": {}, "projects": {}, "runs": {}, "pageSize": 250}

    def unauthorized(self, req):
        return J(401, {"error": "Authentication failed: invalid or missing user/password or session cookie."})

    def forbidden(self, req):
        return J(403, {"error": "The requested project does not exist or you do not have the permissions to access "
                                "it."})

    def not_found(self, req):
        return J(400, {"error": "Field :project_id is not a valid or accessible project."})

    def server_error(self, req, status=500):
        return J(status, {"error": "An unexpected error occurred."})

    def route(self, req):
        if req.path != "/index.php":
            return html(404, "Not Found")
        req.notes["contentType"] = req.header("Content-Type")
        m = re.match(r"^/api/v2/([a-z_]+)(?:/(\d+))?((?:&.*)?)$", urllib.parse.unquote(req.query))
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            users = copy.deepcopy(self.data["users"])
            projects = copy.deepcopy(self.data["projects"])
        if creds is None or creds[1] not in users.get(creds[0], {}).get("keys", []):
            return self.unauthorized(req)
        if not m:
            return J(400, {"error": "Unknown method '%s'" % req.query})
        method = m.group(1)
        if method not in ("get_project", "get_runs", "add_run", "get_run"):
            return J(400, {"error": "Unknown method '%s'" % method})
        if m.group(2) is None:
            return J(400, {"error": "Field :%s_id is a required field." % ("run" if method == "get_run" else "project")})
        if method == "get_run":
            return self.get_run(m.group(2))
        pid = m.group(2)
        project = projects.get(pid)
        if project is None:
            return self.not_found(req)
        if project.get("users") is not None and creds[0] not in project["users"]:
            return self.forbidden(req)
        if method == "get_runs":
            return self.get_runs(pid, dict(p.split("=", 1) for p in m.group(3).split("&") if "=" in p))
        if method == "add_run":
            return self.add_run(req, pid, project)
        return J(200, {"id": int(pid), "name": project.get("name", "Project %s" % pid), "announcement": None,
                       "show_announcement": False, "is_completed": False, "completed_on": None, "suite_mode": 1,
                       "default_role_id": None, "url": "%s/index.php?/projects/overview/%s" % (self.base_url, pid),
                       "users": [], "groups": []})

    def get_run(self, rid):
        with self.lock:
            run = copy.deepcopy(self.data["runs"].get(rid))
        if run is None:
            return J(400, {"error": "Field :run_id is not a valid test run."})
        return J(200, run)

    def get_runs(self, pid, params):
        for name in ("created_after", "offset", "limit", "suite_id"):
            if name in params and not params[name].isdigit():
                return J(400, {"error": "Field :%s is not a valid integer." % name})
        with self.lock:
            runs = [copy.deepcopy(r) for r in self.data["runs"].values() if str(r["project_id"]) == pid]
            size = min(int(params.get("limit", self.data["pageSize"])), self.data["pageSize"])
        runs = [r for r in runs if r["created_on"] >= int(params.get("created_after", 0))
                and ("suite_id" not in params or str(r.get("suite_id")) == params["suite_id"])]
        runs.sort(key=lambda r: (r["created_on"], r["id"]), reverse=True)  # newest first, as TestRail lists them
        offset = int(params.get("offset", 0))
        page = runs[offset:offset + size]
        rest = "".join("&%s=%s" % (k, v) for k, v in sorted(params.items()) if k != "offset")
        link = lambda o: "/api/v2/get_runs/%s%s&offset=%d" % (pid, rest, o)  # noqa: E731
        return J(200, {"offset": offset, "limit": size, "size": len(page), "runs": page,
                       "_links": {"next": link(offset + size) if offset + size < len(runs) else None,
                                  "prev": link(max(0, offset - size)) if offset > 0 else None}})

    def add_run(self, req, pid, project):
        if req.method != "POST":
            return J(400, {"error": "add_run requires POST"})
        if not (req.header("Content-Type") or "").startswith("application/json"):
            return J(400, {"error": "Content-Type header missing (use Content-Type: application/json)"})
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            return J(400, {"error": "Field :name is a required field."})
        suites = project.get("suites")
        if suites and body.get("suite_id") not in suites:
            return J(400, {"error": "Field :suite_id is a required field." if "suite_id" not in body
                           else "Field :suite_id is not a valid test suite."})
        with self.lock:
            rid = max([int(k) for k in self.data["runs"]] + [0]) + 1
            run = {"id": rid, "project_id": int(pid), "suite_id": body.get("suite_id"), "name": body["name"],
                   "description": body.get("description"), "created_on": int(time.time()), "is_completed": False,
                   "url": "%s/index.php?/runs/view/%d" % (self.base_url, rid), "passed_count": 0, "failed_count": 0,
                   "blocked_count": 0, "retest_count": 0, "untested_count": 10,
                   "custom_status1_count": 0, "include_all": bool(body.get("include_all", True))}
            self.data["runs"][str(rid)] = run
            return J(200, copy.deepcopy(run))
