#!/usr/bin/env python3
"""The Gitea fake (API v1)."""

import copy

from fakebase import iso, number, bearer, git_between, git_make, git_message, git_resolve, paged, link_header, oauth_refresh, J, Provider


class Gitea(Provider):
    """Gitea API v1.

    data: {"tokens": {token: {"login", "repos": {"org/repo": {"admin", "push", "pull"}}}},
           "repos": {"org/repo": {"branches": {name: sha}, "tags": {name: sha}, "commits": [sha], "made": [...]}}}
    Refs (fakebase.git_*): GET .../commits?sha={ref}&limit=1, GET and POST .../branches[/{name}]
    ({"new_branch_name", "old_ref_name"}; 409 "The branch already exists.") and .../tags[/{name}] ({"tag_name",
    "target"}; 409 "tag already exists [name: x]"); making one takes push.
    `Authorization: token X` (as Gitea documents; `Bearer` is accepted too, as Gitea does)."""

    name = "gitea"
    server_header = ""

    def initial(self):
        return {"tokens": {}, "repos": {}}

    def _url(self):
        return (self.base_url or "") + "/api/swagger"

    def unauthorized(self, req):
        return J(401, {"message": "user does not exist [uid: 0, name: ]", "url": self._url()})

    def forbidden(self, req):
        return J(403, {"message": "token does not have at least one of required scope(s): [read:repository]",
                       "url": self._url()})

    def not_found(self, req):
        return J(404, {"errors": None, "message": "The target couldn't be found.", "url": self._url()})

    def _list_repos(self, req, info):
        """GET /user/repos (?limit= up to 50, default 30; ?page=): the token's repositories by full name, paged with
        a Link header and X-Total-Count as Gitea sends them."""
        names = sorted(info.get("repos") or {})
        page, number_, pages, size = paged(req, names, "limit", 30, 50)
        headers = {"X-Total-Count": str(len(names))}
        if pages > 1:
            headers["Link"] = link_header(req, number_, pages)
        with self.lock:
            repos = copy.deepcopy(self.data["repos"])
        return J(200, [{"id": number(full, 5), "name": full.split("/", 1)[1], "full_name": full,
                        "owner": {"login": full.split("/", 1)[0]}, "private": repos.get(full, {}).get("private", True),
                        "default_branch": repos.get(full, {}).get("default_branch", "main"),
                        "html_url": (self.base_url or "") + "/" + full} for full in page], headers)

    def route(self, req):
        parts = req.segments()
        if parts == ["login", "oauth", "access_token"] and req.method == "POST":
            return oauth_refresh(self, req)
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
        if parts == ["user", "repos"]:
            return self._list_repos(req, info)
        if len(parts) > 3 and parts[0] == "repos":
            full = parts[1] + "/" + parts[2]
            perms = (info.get("repos") or {}).get(full)
            if perms is None:
                return self.not_found(req)
            return self._refs(req, full, perms, parts[3:])
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

    def _error(self, status, message):
        return J(status, {"message": message, "url": self._url()})

    def _commit(self, full, sha):
        return {"url": "%s/api/v1/repos/%s/git/commits/%s" % (self.base_url or "", full, sha), "sha": sha,
                "created": iso(), "html_url": "%s/%s/commit/%s" % (self.base_url or "", full, sha),
                "commit": {"message": "commit " + sha[:7]}}

    def _branch(self, name, sha):
        return {"name": name, "commit": {"id": sha, "message": "commit " + sha[:7], "timestamp": iso()},
                "protected": False, "user_can_push": True, "user_can_merge": True}

    def _tag(self, full, name, sha):
        return {"name": name, "message": "", "id": sha, "commit": {"url": "%s/api/v1/repos/%s/git/commits/%s"
                                                                   % (self.base_url or "", full, sha),
                                                                   "sha": sha, "created": iso()}}

    def _releases(self, req, full, perms, rest):
        """A release of a tag: GET .../releases/tags/{tag}, POST .../releases {tag_name, name, body} (409 when the tag
        has one; the tag must exist here, slipway tags first)."""
        with self.lock:
            stored = self.data["repos"].setdefault(full, {})
            if len(rest) >= 2 and rest[0] == "tags" and req.method == "GET":
                rel = next((r for r in stored.get("releases", []) if r["tag_name"] == "/".join(rest[1:])), None)
                return J(200, rel) if rel else self.not_found(req)
            if rest or req.method != "POST":
                return self.not_found(req)
            if not perms.get("push"):
                return self.forbidden(req)
            body = req.json() if isinstance(req.json(), dict) else {}
            tag = body.get("tag_name")
            if not isinstance(tag, str) or tag not in stored.get("tags", {}):
                return J(422, {"message": "[TagName]: Required", "url": self._url()})
            if any(r["tag_name"] == tag for r in stored.get("releases", [])):
                return self._error(409, "release already exists")
            rel = {"id": len(stored.get("releases", [])) + 1, "tag_name": tag, "name": body.get("name") or tag,
                   "body": body.get("body") or "", "html_url": "%s/%s/releases/tag/%s" % (self.base_url or "", full, tag)}
            stored.setdefault("releases", []).append(rel)
        return J(201, rel)

    def _refs(self, req, full, perms, rest):
        with self.lock:
            repo = copy.deepcopy(self.data["repos"].get(full, {}))
        what, name = rest[0], "/".join(rest[1:])
        if what == "commits" and not name and req.method == "GET":
            ref = req.param("sha") or "main"
            sha = git_resolve(repo, ref)
            if sha is None:
                return self._error(404, "object does not exist [id: %s, rel_path: ]" % ref)
            return J(200, [self._commit(full, sha)][:int(req.param("limit", "1") or 1)])
        if what == "releases":
            return self._releases(req, full, perms, rest[1:])
        if what == "compare" and name and req.method == "GET":
            base, dots, head = name.partition("...")
            ahead = git_between(repo, base, head) if dots else None
            if ahead is None:
                return self.not_found(req)
            return J(200, {"total_commits": len(ahead),
                           "commits": [dict(self._commit(full, c), commit={"message": git_message(repo, c)}) for c in ahead]})
        if what not in ("branches", "tags"):
            return self.not_found(req)
        kind = what
        if name and req.method == "GET":
            sha = repo.get(kind, {}).get(name)
            if sha is None:
                return self.not_found(req)
            return J(200, self._branch(name, sha) if kind == "branches" else self._tag(full, name, sha))
        if name or req.method != "POST":
            return self.not_found(req)
        if not perms.get("push"):
            return self.forbidden(req)
        body = req.json()
        body = body if isinstance(body, dict) else {}
        new = body.get("new_branch_name" if kind == "branches" else "tag_name")
        ref = (body.get("old_ref_name") or body.get("old_branch_name") or "main") if kind == "branches" \
            else (body.get("target") or "main")
        if not isinstance(new, str) or not new:
            return J(422, {"message": "[%s]: Required" % ("NewBranchName" if kind == "branches" else "TagName"),
                           "url": self._url()})
        with self.lock:
            stored = self.data["repos"].setdefault(full, {})
            sha = git_resolve(stored, ref)
            made = git_make(stored, kind, new, sha) if sha else "unknown"
        if made == "exists":
            return self._error(409, "The branch already exists." if kind == "branches"
                               else "tag already exists [name: %s]" % new)
        if made == "unknown":
            return self._error(404, "The old branch does not exist" if kind == "branches" else "target not found")
        return J(201, self._branch(new, sha) if kind == "branches" else self._tag(full, new, sha))
