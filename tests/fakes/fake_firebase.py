#!/usr/bin/env python3
"""The Firebase Management API fake."""

import copy
import hashlib

from fakebase import J
from fake_google import FIREBASE_SCOPES, GoogleApi


class Firebase(GoogleApi):
    """Firebase Management API v1beta1: GET projects/{project}/{androidApps|iosApps|webApps}/{appId}.

    data: {"projects": {project id: {"accounts": [service account e-mails], "apps": {app id: {"platform":
           "android"|"ios"|"web", "displayName", "packageName"|"bundleId"}}}}}
    A token needs the firebase (or cloud-platform) scope; a project the account may not see is 403, as Google
    answers; an app that is not there (or asked for in another collection) is 404.

    Also App Distribution v1 (SLIPWAY_FIREBASE_DISTRIBUTION_URL, on this server): data "releases": {app id:
    {release id: {"buildVersion", "displayVersion", "releaseNotes": {"text"}, "testerEmails": [], "groupAliases": [],
    "distributions": n}}} (the test uploads them), "groups": {project id: [aliases]}. projects/{number}/apps/{app}/
    releases listed (filter buildVersion="..."), PATCHed (updateMask release_notes.text), :distribute (testers and
    groups added as sets; an unknown group alias is 400). The token needs the cloud-platform scope; the account
    must be one of the app's project's."""

    name = "firebase"
    env = ("SLIPWAY_FIREBASE_API_URL", "")
    more_env = (("SLIPWAY_FIREBASE_DISTRIBUTION_URL", ""),)
    server_header = "ESF"

    COLLECTIONS = {"androidApps": "android", "iosApps": "ios", "webApps": "web"}

    def initial(self):
        return {"projects": {}, "releases": {}, "groups": {}}

    def not_found(self, req):
        return self._gerr(404, "Requested entity was not found.", "NOT_FOUND")

    def route(self, req):
        parts = req.segments()
        if parts[:2] == ["v1", "projects"] and len(parts) >= 6 and parts[3] == "apps" and parts[5] == "releases":
            return self._distribution(req, parts)
        if len(parts) != 5 or parts[:2] != ["v1beta1", "projects"] or parts[3] not in self.COLLECTIONS:
            return self.not_found(req)
        info = self.token_info(req)
        if info is None:
            return self.unauthorized(req)
        req.notes["account"] = info["email"]
        if not set(info["scope"].split()) & set(FIREBASE_SCOPES):
            return self.insufficient_scope(req)
        project_id, collection, app_id = parts[2], parts[3], parts[4]
        with self.lock:
            project = copy.deepcopy(self.data["projects"].get(project_id))
        if project is None or info["email"] not in project.get("accounts", []):
            return self.forbidden(req)
        app = project.get("apps", {}).get(app_id)
        if app is None or app.get("platform") != self.COLLECTIONS[collection]:
            return self.not_found(req)
        body = {"name": "projects/%s/%s/%s" % (project_id, collection, app_id), "appId": app_id,
                "displayName": app.get("displayName", app_id), "projectId": project_id,
                "apiKeyId": "key-" + hashlib.md5(app_id.encode()).hexdigest()[:12], "state": "ACTIVE",
                "etag": "1_" + hashlib.md5(app_id.encode()).hexdigest()}
        if collection == "androidApps":
            body["packageName"] = app.get("packageName", "com.example.app")
        elif collection == "iosApps":
            body["bundleId"] = app.get("bundleId", "com.example.app")
        else:
            body["appUrls"] = []
            body["webId"] = hashlib.md5(app_id.encode()).hexdigest()[:16]
        return J(200, body)

    def _distribution(self, req, parts):
        info = self.token_info(req)
        if info is None:
            return self.unauthorized(req)
        req.notes["account"] = info["email"]
        if "https://www.googleapis.com/auth/cloud-platform" not in info["scope"].split():
            return self.insufficient_scope(req)
        app_id = parts[4]
        with self.lock:
            owner = [(pid, p) for pid, p in self.data["projects"].items() if app_id in p.get("apps", {})]
            if not owner or app_id.split(":")[1] != parts[2]:
                return self.not_found(req)
            if info["email"] not in owner[0][1].get("accounts", []):
                return self.forbidden(req)
            releases = self.data["releases"].setdefault(app_id, {})
            name = lambda rid: "projects/%s/apps/%s/releases/%s" % (parts[2], app_id, rid)  # noqa: E731
            view = lambda rid, r: {"name": name(rid), "buildVersion": r["buildVersion"],  # noqa: E731
                                   "displayVersion": r.get("displayVersion", ""),
                                   "releaseNotes": r.get("releaseNotes", {})}
            if len(parts) == 6 and req.method == "GET":
                want = req.param("filter", "")
                found = [(rid, r) for rid, r in releases.items() if not want or want == 'buildVersion="%s"' % r["buildVersion"]]
                return J(200, {"releases": [view(rid, r) for rid, r in found[:int(req.param("pageSize", "25"))]]}
                         if found else {})
            rid, _, verb = parts[6].partition(":") if len(parts) == 7 else ("", "", "")
            r = releases.get(rid)
            if r is None:
                return self.not_found(req)
            body = req.json() if req.body else {}
            if not verb and req.method == "PATCH" and req.param("updateMask") == "release_notes.text":
                r["releaseNotes"] = {"text": ((body or {}).get("releaseNotes") or {}).get("text", "")}
                return J(200, view(rid, r))
            if verb == "distribute" and req.method == "POST":
                known = self.data["groups"].get(owner[0][0], [])
                unknown = [g for g in body.get("groupAliases", []) if g not in known]
                if unknown:
                    return self._gerr(400, "group not found: %s" % unknown[0], "INVALID_ARGUMENT")
                for key in ("testerEmails", "groupAliases"):
                    r[key] = sorted(set(r.get(key, [])) | set(body.get(key, [])))
                r["distributions"] = r.get("distributions", 0) + 1
                return J(200, {})
        return self.not_found(req)
