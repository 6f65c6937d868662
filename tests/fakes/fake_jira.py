#!/usr/bin/env python3
"""The Jira Cloud fake (REST API v3)."""

import copy
import uuid

from fakebase import number, basic_credentials, J, Provider


class Jira(Provider):
    """Jira Cloud REST v3: /rest/api/3/myself, /rest/api/3/project/{key}.

    data: {"users": {email: {"tokens": [api token], "accountId", "displayName"}},
           "projects": {key: {"id", "name", "users": [emails] | null (everyone)}}}"""

    name = "jira"
    server_header = "AtlassianEdge"

    def initial(self):
        return {"users": {}, "projects": {}}

    def _headers(self):
        return {"X-AREQUESTID": uuid.uuid4().hex[:12], "Timing-Allow-Origin": "*"}

    def unauthorized(self, req):
        return J(401, {"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}},
                 dict(self._headers(), **{"X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                                          "WWW-Authenticate": 'OAuth realm="https%3A%2F%2Fexample.atlassian.net"'}))

    def forbidden(self, req):
        return J(403, {"errorMessages": ["You do not have permission to view this project."], "errors": {}},
                 self._headers())

    def not_found(self, req):
        key = req.segments()[-1] if req.segments() else ""
        return J(404, {"errorMessages": ["No project could be found with key '%s'." % key], "errors": {}},
                 self._headers())

    def server_error(self, req, status=500):
        return J(status, {"errorMessages": ["Internal server error"], "errors": {}}, self._headers())

    def route(self, req):
        parts = req.segments()
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            users = copy.deepcopy(self.data["users"])
            projects = copy.deepcopy(self.data["projects"])
        user = users.get(creds[0]) if creds else None
        if user is None or creds[1] not in user.get("tokens", []):
            return self.unauthorized(req)
        email = creds[0]
        headers = dict(self._headers(), **{"X-AACCOUNTID": user.get("accountId", "5b10ac8d82e05b22cc7d4ef5")})
        if parts == ["rest", "api", "3", "myself"]:
            return J(200, {"self": "%s/rest/api/3/user?accountId=%s" % (self.base_url, user.get("accountId", "x")),
                           "accountId": user.get("accountId", "5b10ac8d82e05b22cc7d4ef5"),
                           "accountType": "atlassian", "emailAddress": email,
                           "displayName": user.get("displayName", email.split("@")[0]), "active": True,
                           "timeZone": "Etc/UTC", "locale": "en_US", "groups": {"size": 1, "items": []},
                           "applicationRoles": {"size": 1, "items": []}}, headers)
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "project"]:
            key = parts[4]
            project = projects.get(key)
            if project is None or (project.get("users") is not None and email not in project["users"]):
                return self.not_found(req)
            return J(200, {"self": "%s/rest/api/3/project/%s" % (self.base_url, project.get("id", number(key, 5))),
                           "id": str(project.get("id", number(key, 5))), "key": key,
                           "name": project.get("name", key + " project"), "projectTypeKey": "software",
                           "simplified": False, "style": "classic", "isPrivate": False,
                           "issueTypes": [{"id": "10000", "name": "Epic"}, {"id": "10001", "name": "Task"}]}, headers)
        return J(404, {"errorMessages": ["null for uri: %s%s" % (self.base_url, req.path)], "errors": {}})
