#!/usr/bin/env python3
"""The Jira Cloud fake (REST API v3)."""

import copy
import re
import uuid

from fakebase import number, basic_credentials, J, Resp, Provider


class Jira(Provider):
    """Jira Cloud REST v3: /rest/api/3/myself, /rest/api/3/project/{key} (with its versions), and what a release's
    issue needs: GET /search/jql (project and labels), POST /version, POST /issue, POST /issue/{key}/comment,
    GET /issue/{key} (its status), GET and POST /issue/{key}/transitions; and what fix versions need: PUT /issue/{key} (update.fixVersions add),
    PUT /version/{id} (released, releaseDate).

    data: {"users": {email: {"tokens": [api token], "accountId", "displayName"}},
           "projects": {key: {"id", "name", "users": [emails] | null (everyone)}},
           "versions": {project key: [{"id", "name", "projectId"}]}                      (filled by the fake)
           "issues": {issue key: {"project", "summary", "issuetype", "description", "labels", "fixVersions": [ids],
                                  "comments": [ADF], "status"}}                           (filled by the fake)
           "transitions": [{"id", "name", "to"}] (every issue's, unless the issue has its own "transitions"; default
                          To Do -> In Progress -> Done)}
    Like Jira: a create without project, summary or issue type, a description that is not ADF, a fix version of
    another project, or a version name the project already has is a 400."""

    name = "jira"
    server_header = "AtlassianEdge"

    TRANSITIONS = [{"id": "11", "name": "To Do", "to": "To Do"}, {"id": "21", "name": "In Progress", "to": "In Progress"},
                   {"id": "31", "name": "Done", "to": "Done"}]
    JQL_RE = re.compile(r'^project\s*=\s*"([^"]+)"\s+AND\s+labels\s*=\s*"([^"]+)"$')

    def initial(self):
        return {"users": {}, "projects": {}, "versions": {}, "issues": {}}

    @staticmethod
    def _bad(errors):
        return J(400, {"errorMessages": [], "errors": errors})

    @staticmethod
    def _adf(doc):
        return isinstance(doc, dict) and doc.get("type") == "doc" and doc.get("version") == 1 and \
            isinstance(doc.get("content"), list)

    def _versions(self, key):
        with self.lock:
            return copy.deepcopy(self.data["versions"].get(key, []))

    def _visible(self, projects, key, email):
        project = projects.get(key)
        return project is not None and (project.get("users") is None or email in project["users"])

    @staticmethod
    def _status(name):
        """A status as Jira gives it (an issue's fields.status, a transition's to): its id stable for its name."""
        return {"id": str(number(name, 5)), "name": name}

    def _issues(self, req, parts, projects, email, headers):
        """The release-issue part of the API (None: not one of its paths)."""
        base = self.base_url
        if parts == ["rest", "api", "3", "search", "jql"] and req.method == "GET":
            m = self.JQL_RE.match(req.param("jql", ""))
            if not m:
                return self._bad({"jql": "The fake understands project = \"X\" AND labels = \"Y\" only."})
            if not self._visible(projects, m.group(1), email):
                return self._bad({"jql": "The value '%s' does not exist for the field 'project'." % m.group(1)})
            with self.lock:
                found = [{"id": i["id"], "key": k, "self": "%s/rest/api/3/issue/%s" % (base, i["id"])}
                         for k, i in self.data["issues"].items()
                         if i["project"] == m.group(1) and m.group(2) in i["labels"]]
            return J(200, {"issues": found, "isLast": True}, headers)
        if parts == ["rest", "api", "3", "version"] and req.method == "POST":
            body = req.json() or {}
            key = next((k for k, p in projects.items() if str(p.get("id", number(k, 5))) == str(body.get("projectId"))),
                       None)
            if key is None or not self._visible(projects, key, email):
                return self._bad({"projectId": "Project with id '%s' does not exist." % body.get("projectId")})
            if not isinstance(body.get("name"), str) or not body["name"]:
                return self._bad({"name": "You must specify a valid version name"})
            with self.lock:
                versions = self.data["versions"].setdefault(key, [])
                if any(v["name"] == body["name"] for v in versions):
                    return self._bad({"name": "A version with this name already exists in this project."})
                version = {"id": str(10000 + sum(len(v) for v in self.data["versions"].values())),
                           "name": body["name"], "projectId": int(body["projectId"]), "released": False,
                           "archived": False}
                versions.append(version)
            return J(201, dict(version, self="%s/rest/api/3/version/%s" % (base, version["id"])), headers)
        if parts == ["rest", "api", "3", "issue"] and req.method == "POST":
            fields = (req.json() or {}).get("fields") or {}
            key = (fields.get("project") or {}).get("key")
            errors = {}
            if not key or not self._visible(projects, key, email):
                errors["project"] = "Specify a valid project ID or key"
            if not isinstance(fields.get("summary"), str) or not fields["summary"]:
                errors["summary"] = "You must specify a summary of the issue."
            if (fields.get("issuetype") or {}).get("name") not in ("Epic", "Task", "Story", "Bug"):
                errors["issuetype"] = "Specify an issue type"
            if "description" in fields and not self._adf(fields["description"]):
                errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
            with self.lock:
                known = [v["id"] for v in self.data["versions"].get(key, [])]
            fix = [v.get("id") for v in fields.get("fixVersions") or []]
            if any(v not in known for v in fix):
                errors["fixVersions"] = "Version id '%s' is not valid" % fix
            if errors:
                return self._bad(errors)
            with self.lock:
                n = sum(1 for i in self.data["issues"].values() if i["project"] == key) + 1
                issue_id = str(10000 + len(self.data["issues"]))
                self.data["issues"]["%s-%d" % (key, n)] = {
                    "id": issue_id, "project": key, "summary": fields["summary"],
                    "issuetype": fields["issuetype"]["name"], "description": fields.get("description"),
                    "labels": list(fields.get("labels") or []), "fixVersions": fix, "comments": [], "status": "To Do"}
            return J(201, {"id": issue_id, "key": "%s-%d" % (key, n), "self": "%s/rest/api/3/issue/%s" % (base, issue_id)},
                     headers)
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "issue"] and req.method == "PUT":
            return self._edit_issue(req, parts[4], projects, email, headers)
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "issue"] and req.method == "GET":
            with self.lock:
                issue = copy.deepcopy(self.data["issues"].get(parts[4]))
            if issue is None or not self._visible(projects, issue["project"], email):
                return J(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                               "errors": {}}, headers)
            return J(200, {"id": issue["id"], "key": parts[4], "self": "%s/rest/api/3/issue/%s" % (base, issue["id"]),
                           "fields": {"summary": issue["summary"], "status": self._status(issue["status"])}}, headers)
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "version"] and req.method == "PUT":
            return self._edit_version(req, parts[4], projects, email, headers)
        if len(parts) == 6 and parts[:4] == ["rest", "api", "3", "issue"] and parts[5] in ("comment", "transitions"):
            with self.lock:
                issue = copy.deepcopy(self.data["issues"].get(parts[4]))
                transitions = copy.deepcopy(self.data.get("transitions", self.TRANSITIONS))
                if issue is not None and "transitions" in issue:  # what this issue's workflow offers from where it is
                    transitions = issue["transitions"]
            if issue is None or not self._visible(projects, issue["project"], email):
                return J(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                               "errors": {}}, headers)
            body = req.json() if req.method == "POST" else None
            if parts[5] == "comment" and req.method == "POST":
                if not self._adf((body or {}).get("body")):
                    return self._bad({"comment": "Comment body is not valid ADF."})
                with self.lock:
                    self.data["issues"][parts[4]]["comments"].append(body["body"])
                return J(201, {"id": str(uuid.uuid4().int % 100000), "body": body["body"]}, headers)
            if parts[5] == "transitions" and req.method == "GET":
                return J(200, {"expand": "transitions", "transitions": [
                    {"id": t["id"], "name": t["name"], "to": self._status(t["to"]), "isAvailable": True}
                    for t in transitions]}, headers)
            if parts[5] == "transitions" and req.method == "POST":
                want = ((body or {}).get("transition") or {}).get("id")
                to = next((t["to"] for t in transitions if t["id"] == want), None)
                if to is None:
                    return self._bad({"transition": "Transition id '%s' is not valid for this issue." % want})
                with self.lock:
                    self.data["issues"][parts[4]]["status"] = to
                return Resp(204, b"", headers)
        return None

    def _edit_issue(self, req, key, projects, email, headers):
        """PUT /issue/{key} {"update": {"fixVersions": [{"add": {"id"}}]}}: as Jira, a version of the issue's project
        only; adding one it has is no change; 204."""
        with self.lock:
            issue = copy.deepcopy(self.data["issues"].get(key))
        if issue is None or not self._visible(projects, issue["project"], email):
            return J(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."],
                           "errors": {}}, headers)
        ops = ((req.json() or {}).get("update") or {}).get("fixVersions")
        known = [v["id"] for v in self._versions(issue["project"])]
        if not isinstance(ops, list) or not ops or any(
                not isinstance(o, dict) or set(o) != {"add"} or (o["add"] or {}).get("id") not in known for o in ops):
            return self._bad({"fixVersions": "The fake takes update.fixVersions [{\"add\": {\"id\"}}] of the "
                                             "issue's project only."})
        with self.lock:
            fix = self.data["issues"][key]["fixVersions"]
            for o in ops:
                if o["add"]["id"] not in fix:
                    fix.append(o["add"]["id"])
        return Resp(204, b"", headers)

    def _edit_version(self, req, version_id, projects, email, headers):
        """PUT /version/{id} {"released", "releaseDate" (YYYY-MM-DD)}: the version as it is then."""
        body = req.json() or {}
        with self.lock:
            found = [(k, v) for k, vs in self.data["versions"].items() for v in vs if v["id"] == version_id]
        if not found or not self._visible(projects, found[0][0], email):
            return J(404, {"errorMessages": ["Could not find version for id '%s'" % version_id], "errors": {}}, headers)
        if not isinstance(body.get("released"), bool) or not re.match(r"^\d{4}-\d{2}-\d{2}$", str(body.get("releaseDate"))):
            return self._bad({"releaseDate": "The fake takes released (a boolean) and releaseDate (YYYY-MM-DD)."})
        with self.lock:
            found[0][1].update(released=body["released"], releaseDate=body["releaseDate"])
            version = copy.deepcopy(found[0][1])
        return J(200, dict(version, self="%s/rest/api/3/version/%s" % (self.base_url, version_id)), headers)

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
        answer = self._issues(req, parts, projects, email, headers)
        if answer is not None:
            return answer
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "project"]:
            key = parts[4]
            project = projects.get(key)
            if project is None or (project.get("users") is not None and email not in project["users"]):
                return self.not_found(req)
            return J(200, {"self": "%s/rest/api/3/project/%s" % (self.base_url, project.get("id", number(key, 5))),
                           "id": str(project.get("id", number(key, 5))), "key": key,
                           "name": project.get("name", key + " project"), "projectTypeKey": "software",
                           "simplified": False, "style": "classic", "isPrivate": False,
                           "issueTypes": [{"id": "10000", "name": "Epic"}, {"id": "10001", "name": "Task"}],
                           "versions": self._versions(key)}, headers)
        return J(404, {"errorMessages": ["null for uri: %s%s" % (self.base_url, req.path)], "errors": {}})
