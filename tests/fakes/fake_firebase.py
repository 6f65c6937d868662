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
    answers; an app that is not there (or asked for in another collection) is 404."""

    name = "firebase"
    env = ("SLIPWAY_FIREBASE_API_URL", "")
    server_header = "ESF"

    COLLECTIONS = {"androidApps": "android", "iosApps": "ios", "webApps": "web"}

    def initial(self):
        return {"projects": {}}

    def not_found(self, req):
        return self._gerr(404, "Requested entity was not found.", "NOT_FOUND")

    def route(self, req):
        parts = req.segments()
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
