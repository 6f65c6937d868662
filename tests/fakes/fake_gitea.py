#!/usr/bin/env python3
"""The Gitea fake (API v1)."""

import copy

from fakebase import number, bearer, J, Provider


class Gitea(Provider):
    """Gitea API v1.

    data: {"tokens": {token: {"login", "repos": {"org/repo": {"admin", "push", "pull"}}}}}
    `Authorization: token X` (as Gitea documents; `Bearer` is accepted too, as Gitea does)."""

    name = "gitea"
    server_header = ""

    def initial(self):
        return {"tokens": {}}

    def _url(self):
        return (self.base_url or "") + "/api/swagger"

    def unauthorized(self, req):
        return J(401, {"message": "user does not exist [uid: 0, name: ]", "url": self._url()})

    def forbidden(self, req):
        return J(403, {"message": "token does not have at least one of required scope(s): [read:repository]",
                       "url": self._url()})

    def not_found(self, req):
        return J(404, {"errors": None, "message": "The target couldn't be found.", "url": self._url()})

    def route(self, req):
        parts = req.segments()
        if parts[:2] != ["api", "v1"]:
            return self.not_found(req)
        parts = parts[2:]
        token = bearer(req.header("Authorization"), ("token", "bearer"))
        req.notes["authScheme"] = (req.header("Authorization") or " ").split(" ", 1)[0] or None
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token)) if token else None
        if info is None:
            return self.unauthorized(req)
        login = info.get("login", "gitea-bot")
        if parts == ["user"]:
            return J(200, {"id": number(login, 5), "login": login, "login_name": "", "full_name": login.title(),
                           "email": login + "@noreply.gitea.example.com", "avatar_url": "", "language": "en-US",
                           "is_admin": False, "active": True, "created": "2020-01-01T00:00:00Z"})
        if len(parts) == 3 and parts[0] == "repos":
            full = parts[1] + "/" + parts[2]
            perms = (info.get("repos") or {}).get(full)
            if perms is None:
                return self.not_found(req)
            full_perms = {"admin": False, "push": False, "pull": False}
            full_perms.update(perms)
            return J(200, {"id": number(full, 5), "owner": {"id": number(parts[1], 5), "login": parts[1]},
                           "name": parts[2], "full_name": full, "private": True, "fork": False,
                           "default_branch": "main", "permissions": full_perms,
                           "html_url": (self.base_url or "") + "/" + full, "created_at": "2021-01-01T00:00:00Z"})
        return self.not_found(req)
