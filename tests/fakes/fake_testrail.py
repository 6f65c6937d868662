#!/usr/bin/env python3
"""The TestRail fake (API v2)."""

import copy
import re
import urllib.parse

from fakebase import basic_credentials, J, html, Provider


class TestRail(Provider):
    """TestRail API v2: GET index.php?/api/v2/get_project/{id}.

    data: {"users": {email: {"keys": [api keys]}}, "projects": {"7": {"name", "users": [emails] | null}}}
    An unknown project is 400 "Field :project_id is not a valid or accessible project.", as TestRail answers
    (its documentation: 400 invalid or unknown project, 403 no access)."""

    name = "testrail"
    server_header = "Apache"

    def initial(self):
        return {"users": {}, "projects": {}}

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
        m = re.match(r"^/api/v2/([a-z_]+)(?:/(\d+))?(?:&.*)?$", urllib.parse.unquote(req.query))
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            users = copy.deepcopy(self.data["users"])
            projects = copy.deepcopy(self.data["projects"])
        if creds is None or creds[1] not in users.get(creds[0], {}).get("keys", []):
            return self.unauthorized(req)
        if not m:
            return J(400, {"error": "Unknown method '%s'" % req.query})
        if m.group(1) != "get_project":
            return J(400, {"error": "Unknown method '%s'" % m.group(1)})
        if m.group(2) is None:
            return J(400, {"error": "Field :project_id is a required field."})
        pid = m.group(2)
        project = projects.get(pid)
        if project is None:
            return self.not_found(req)
        if project.get("users") is not None and creds[0] not in project["users"]:
            return self.forbidden(req)
        return J(200, {"id": int(pid), "name": project.get("name", "Project %s" % pid), "announcement": None,
                       "show_announcement": False, "is_completed": False, "completed_on": None, "suite_mode": 1,
                       "default_role_id": None, "url": "%s/index.php?/projects/overview/%s" % (self.base_url, pid),
                       "users": [], "groups": []})
