#!/usr/bin/env python3
"""The Google Play Developer API fake (edits)."""

import copy
import uuid

from fakebase import now, number, Resp, J
from fake_google import PLAY_SCOPE, GoogleApi


class Play(GoogleApi):
    """Google Play Developer API v3, edits.

    data: {"packages": {package: {"accounts": [service account e-mails with access], "title"}},
           "edits": {edit id: {"package", "email", "deleted": false, "created"}}  (filled by the fake)}
    POST /androidpublisher/v3/applications/{package}/edits makes an edit; DELETE .../edits/{id} deletes it
    (204).  A token needs the androidpublisher scope."""

    name = "play"
    env = ("SLIPWAY_PLAY_API_URL", "")
    server_header = "ESF"

    def initial(self):
        return {"packages": {}, "edits": {}}

    def not_found(self, req):
        return self._gerr(404, "Package not found: %s." % (self._package(req) or ""), "NOT_FOUND",
                          {"errors": [{"message": "Package not found: %s." % (self._package(req) or ""),
                                       "domain": "global", "reason": "applicationNotFound"}]})

    def _package(self, req):
        parts = req.segments()
        return parts[3] if len(parts) >= 4 else None

    def route(self, req):
        parts = req.segments()
        if len(parts) < 5 or parts[:3] != ["androidpublisher", "v3", "applications"] or parts[4] != "edits":
            return self._gerr(404, "Not Found", "NOT_FOUND")
        info = self.token_info(req)
        if info is None:
            return self.unauthorized(req)
        req.notes["account"] = info["email"]
        if PLAY_SCOPE not in info["scope"].split():
            return self.insufficient_scope(req)
        package = parts[3]
        with self.lock:
            pkg = copy.deepcopy(self.data["packages"].get(package))
        if pkg is None:
            return self.not_found(req)
        if info["email"] not in pkg.get("accounts", []):
            return self.forbidden(req)
        if len(parts) == 5 and req.method == "POST":
            edit = str(number(package + uuid.uuid4().hex, 19))
            with self.lock:
                self.data["edits"][edit] = {"package": package, "email": info["email"], "deleted": False,
                                            "created": now()}
            req.notes["editId"] = edit
            return J(200, {"id": edit, "expiryTimeSeconds": str(int(now()) + 3600)})
        if len(parts) == 6 and req.method in ("DELETE", "GET"):
            with self.lock:
                edit = self.data["edits"].get(parts[5])
                if edit is None or edit["package"] != package or edit["deleted"]:
                    return self._gerr(404, "Edit not found: %s." % parts[5], "NOT_FOUND")
                if req.method == "DELETE":
                    edit["deleted"] = True
                    req.notes["editId"] = parts[5]
                    return Resp(204)
            return J(200, {"id": parts[5], "expiryTimeSeconds": str(int(edit["created"]) + 3600)})
        return self._gerr(404, "Not Found", "NOT_FOUND")
