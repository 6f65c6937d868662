#!/usr/bin/env python3
"""The Azure DevOps fake."""

import copy
import uuid

from fakebase import iso, number, basic_credentials, Resp, J, html, Provider


class Azure(Provider):
    """Azure DevOps REST: GET /{organization}/_apis/projects/{project}?api-version=7.0, and a work item's tags:
    GET and PATCH /{organization}/{project}/_apis/wit/workitems/{id}.

    data: {"pats": {pat: {"orgs": [organizations], "expired": false}},
           "projects": {"organization/project": {"id", "name"}},
           "workitems": {"organization/project": {id: {"title", "tags": "a; b", "rev"}}}}
    Basic auth with any user name (slipway sends an empty one) and the PAT as password."""

    name = "azure"
    server_header = ""

    def initial(self):
        return {"pats": {}, "projects": {}}

    def _headers(self):
        return {"ActivityId": str(uuid.uuid4()), "X-TFS-ProcessId": str(uuid.uuid4()), "X-VSS-E2EID": str(uuid.uuid4())}

    def unauthorized(self, req):
        return Resp(401, "", dict(self._headers(), **{"WWW-Authenticate": 'Basic realm="https://dev.azure.com/"',
                                                      "X-TFS-FedAuthRealm": "https://app.vssps.visualstudio.com/"}),
                    content_type=None)

    def expired(self, req):
        return html(401, "Access Denied: The Personal Access Token used has expired.", self._headers())

    def _vss(self, status, message, type_key):
        return J(status, {"$id": "1", "innerException": None, "message": message,
                          "typeName": "Microsoft.TeamFoundation.Core.WebApi.%s, Microsoft.TeamFoundation.Core.WebApi"
                                      % type_key, "typeKey": type_key, "errorCode": 0, "eventId": 3000},
                 self._headers())

    def forbidden(self, req):
        return self._vss(403, "TF400813: The user is not authorized to access this resource.",
                         "UnauthorizedRequestException")

    def not_found(self, req):
        parts = req.segments()
        name = parts[-1] if parts else ""
        return self._vss(404, "TF200016: The following project does not exist: %s. Verify that the name of the "
                              "project is correct and that the project exists on the specified Azure DevOps Server."
                         % name, "ProjectDoesNotExistWithNameException")

    def server_error(self, req, status=500):
        return self._vss(status, "VS402371: An unexpected error occurred.", "VssServiceException")

    def route(self, req):
        parts = req.segments()
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            pat = copy.deepcopy(self.data["pats"].get(creds[1])) if creds else None
            projects = copy.deepcopy(self.data["projects"])
        workitem = len(parts) == 6 and parts[2:5] == ["_apis", "wit", "workitems"]
        if (len(parts) != 4 or parts[1:3] != ["_apis", "projects"]) and not workitem:
            return self._vss(404, "The resource cannot be found.", "VssResourceNotFoundException")
        org = parts[0]
        if pat is None or org not in pat.get("orgs", []):
            return self.unauthorized(req)
        if pat.get("expired"):
            return self.expired(req)
        if workitem:
            return self._workitem(req, org + "/" + parts[1], parts[5], projects)
        if not req.param("api-version"):
            return self._vss(400, 'No api-version was supplied for the "GET" request. The version must be supplied '
                                  'either as part of the Accept header (e.g. "application/json; api-version=1.0") or '
                                  'as a query parameter (e.g. "?api-version=1.0").', "VssVersionNotSpecifiedException")
        project = projects.get(org + "/" + parts[3])
        if project is None:
            return self.not_found(req)
        pid = project.get("id", str(uuid.UUID(int=number(org + parts[3], 30))))
        return J(200, {"id": pid, "name": project.get("name", parts[3]),
                       "url": "%s/%s/_apis/projects/%s" % (self.base_url, org, pid), "state": "wellFormed",
                       "revision": 11, "visibility": "private", "lastUpdateTime": iso(millis=True),
                       "defaultTeam": {"id": str(uuid.uuid4()), "name": parts[3] + " Team"},
                       "_links": {"self": {"href": "%s/%s/_apis/projects/%s" % (self.base_url, org, pid)}}},
                 self._headers())

    def _workitem(self, req, project, item, projects):
        """GET and PATCH /{org}/{project}/_apis/wit/workitems/{id}?api-version=7.1: System.Tags ("a; b") read, and
        set by a JSON Patch (Content-Type application/json-patch+json, else 415 as Azure answers)."""
        if project not in projects:
            return self.not_found(req)
        if not req.param("api-version"):
            return self._vss(400, "No api-version was supplied.", "VssVersionNotSpecifiedException")
        with self.lock:
            found = copy.deepcopy(self.data.get("workitems", {}).get(project, {}).get(item))
        if found is None:
            return self._vss(404, "TF401232: Work item %s does not exist, or you do not have permissions to read it."
                             % item, "WorkItemUnauthorizedAccessException")
        if req.method == "PATCH":
            kind = (req.header("Content-Type") or "").split(";")[0].strip()
            if kind != "application/json-patch+json":
                return self._vss(415, "The request indicated a Content-Type of \"%s\" for method type \"PATCH\" "
                                      "which is not supported. Valid content types for this method are: "
                                      "application/json-patch+json." % kind, "VssRequestContentTypeNotSupportedException")
            ops = req.json()
            if not isinstance(ops, list) or not ops or any(
                    not isinstance(o, dict) or o.get("op") != "add" or o.get("path") != "/fields/System.Tags"
                    or not isinstance(o.get("value"), str) for o in ops):
                return self._vss(400, "The fake takes [{op: add, path: /fields/System.Tags, value}] only.",
                                 "VssPropertyValidationException")
            with self.lock:
                stored = self.data["workitems"][project][item]
                stored["tags"] = ops[-1]["value"]
                stored["rev"] = stored.get("rev", 1) + 1
                found = copy.deepcopy(stored)
        fields = {"System.Id": int(item), "System.Title": found.get("title", "Work item " + item)}
        if found.get("tags"):
            fields["System.Tags"] = found["tags"]
        return J(200, {"id": int(item), "rev": found.get("rev", 1), "fields": fields,
                       "url": "%s/%s/_apis/wit/workItems/%s" % (self.base_url, project, item)}, self._headers())
