#!/usr/bin/env python3
"""The Bitbucket fake (Cloud API 2.0)."""

import copy
import hashlib
import uuid

from fakebase import iso, number, bearer, Resp, J, Provider


class Bitbucket(Provider):
    """Bitbucket Cloud 2.0.

    data: {"tokens": {token: {"username", "display_name", "repos": ["workspace/slug"]}}}"""

    name = "bitbucket"
    env = ("SLIPWAY_BITBUCKET_API_URL", "")
    server_header = "nginx"

    def initial(self):
        return {"tokens": {}}

    def unauthorized(self, req):
        return Resp(401, "Token is invalid, expired, or not supported for this endpoint.",
                    content_type="text/plain")

    def forbidden(self, req):
        return J(403, {"type": "error", "error": {"message": "Your credentials lack one or more required privilege "
                                                              "scopes.", "detail": {"granted": ["account"],
                                                                                    "required": ["repository"]}}})

    def not_found(self, req):
        return J(404, {"type": "error", "error": {
            "message": "You may not have access to this repository or it no longer exists in this workspace. If you "
                       "think this repository exists and you have access, make sure you are authenticated."}})

    def server_error(self, req, status=500):
        return J(status, {"type": "error", "error": {"message": "Something went wrong"}})

    def route(self, req):
        parts = req.segments()
        token = bearer(req.header("Authorization"))
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token)) if token else None
        if info is None:
            return self.unauthorized(req)
        headers = {"X-OAuth-Scopes": "account, repository", "X-Accepted-OAuth-Scopes": "account"}
        user = info.get("username", "bb-bot")
        if parts == ["2.0", "user"]:
            return J(200, {"type": "user", "uuid": "{%s}" % uuid.UUID(int=number(user, 30)),
                           "account_id": "557058:" + hashlib.md5(user.encode()).hexdigest(),
                           "nickname": user, "display_name": info.get("display_name", user.title()),
                           "created_on": "2020-01-01T00:00:00.000000+00:00", "is_staff": False,
                           "links": {"html": {"href": "https://bitbucket.org/%7B" + user + "%7D/"}}}, headers)
        if len(parts) == 4 and parts[:2] == ["2.0", "repositories"]:
            full = parts[2] + "/" + parts[3]
            if full not in (info.get("repos") or []):
                return self.not_found(req)
            headers["X-Accepted-OAuth-Scopes"] = "repository"
            return J(200, {"type": "repository", "uuid": "{%s}" % uuid.UUID(int=number(full, 30)), "full_name": full,
                           "name": parts[3], "slug": parts[3], "is_private": True, "scm": "git",
                           "mainbranch": {"type": "branch", "name": "main"},
                           "workspace": {"type": "workspace", "slug": parts[2], "name": parts[2]},
                           "links": {"html": {"href": "https://bitbucket.org/" + full}},
                           "created_on": "2021-01-01T00:00:00.000000+00:00", "updated_on": iso()}, headers)
        return J(404, {"type": "error", "error": {"message": "Resource not found"}})
