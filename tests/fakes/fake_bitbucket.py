#!/usr/bin/env python3
"""The Bitbucket fake (Cloud API 2.0)."""

import copy
import hashlib
import uuid

from fakebase import iso, number, bearer, git_between, git_make, git_message, git_resolve, paged, page_url, oauth_refresh, Resp, J, Provider


class Bitbucket(Provider):
    """Bitbucket Cloud 2.0.

    data: {"tokens": {token: {"username", "display_name", "repos": ["workspace/slug"], "readonly": false}},
           "repos": {"workspace/slug": {"branches": {name: sha}, "tags": {name: sha}, "commits": [sha], "made": [...]}}}
    Refs (fakebase.git_*): GET .../commit/{ref}, GET and POST .../refs/branches[/{name}] and .../refs/tags[/{name}]
    ({"name", "target": {"hash"}}; 400 when the ref exists; a readonly token gets 403)."""

    name = "bitbucket"
    env = ("SLIPWAY_BITBUCKET_API_URL", "")
    more_env = (("SLIPWAY_BITBUCKET_TOKEN_URL", "/site/oauth2/access_token"),)
    server_header = "nginx"

    def initial(self):
        return {"tokens": {}, "repos": {}}

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

    def _list_repos(self, req, info, headers):
        """GET /2.0/repositories?role=member (?pagelen= up to 100, default 10; ?page=): the token's repositories by
        full name, paged in the body as Bitbucket does ({"values", "page", "pagelen", "size", "next"}; no "next" on
        the last page)."""
        names = sorted(info.get("repos") or [])
        page, number_, pages, size = paged(req, names, "pagelen", 10, 100)
        body = {"pagelen": size, "page": number_, "size": len(names),
                "values": [{"type": "repository", "uuid": "{%s}" % uuid.UUID(int=number(full, 30)), "full_name": full,
                            "name": full.split("/", 1)[1], "slug": full.split("/", 1)[1], "is_private": True,
                            "mainbranch": {"type": "branch", "name": "main"},
                            "links": {"html": {"href": "https://bitbucket.org/" + full}}} for full in page]}
        if number_ < pages:
            body["next"] = page_url(req, number_ + 1)
        return J(200, body, headers)

    def route(self, req):
        parts = req.segments()
        if parts == ["site", "oauth2", "access_token"] and req.method == "POST":
            return oauth_refresh(self, req)
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
        if parts == ["2.0", "repositories"] and req.method == "GET":
            return self._list_repos(req, info, headers)
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
        if len(parts) >= 5 and parts[:2] == ["2.0", "repositories"]:
            full = parts[2] + "/" + parts[3]
            if full not in (info.get("repos") or []):
                return self.not_found(req)
            return self._refs(req, info, full, parts[4:], headers)
        return J(404, {"type": "error", "error": {"message": "Resource not found"}})

    def _error(self, status, message):
        return J(status, {"type": "error", "error": {"message": message}})

    def _ref(self, full, kind, name, sha):
        links = {"html": {"href": "https://bitbucket.org/%s/%s/%s" % (full, "branch" if kind == "branches" else "commits/tag",
                                                                       name)}}
        return {"type": "branch" if kind == "branches" else "tag", "name": name, "links": links,
                "target": {"type": "commit", "hash": sha, "date": iso(), "message": "commit " + sha[:7]}}

    def _commits(self, req, full, repo, headers):
        """GET .../commits?include={head}&exclude={base}: the commits reachable from head and not from base (here:
        after base up to head in "commits"), newest first, pagelen (default 30, at most 100) a page, "next" the whole
        URL of the next page (?page=N, as Bitbucket answers)."""
        ahead = git_between(repo, req.param("exclude") or "", req.param("include") or "")
        if ahead is None:
            return self._error(404, "Commit not found")
        ahead.reverse()
        size = max(1, min(int(req.param("pagelen") or 30), 100))
        page = int(req.param("page") or 1)
        values = [{"type": "commit", "hash": c, "date": iso(), "message": git_message(repo, c),
                   "links": {"html": {"href": "https://bitbucket.org/%s/commits/%s" % (full, c)}}}
                  for c in ahead[(page - 1) * size:page * size]]
        out = {"pagelen": size, "page": page, "values": values}
        if page * size < len(ahead):
            out["next"] = "%s/2.0/repositories/%s/commits?include=%s&exclude=%s&page=%d" % (
                self.base_url or "", full, req.param("include"), req.param("exclude"), page + 1)
        return J(200, out, headers)

    def _refs(self, req, info, full, rest, headers):
        with self.lock:
            repo = copy.deepcopy(self.data["repos"].get(full, {}))
        if rest[0] == "commit" and len(rest) > 1 and req.method == "GET":
            sha = git_resolve(repo, "/".join(rest[1:]))
            if sha is None:
                return self._error(404, "Commit not found")
            return J(200, {"type": "commit", "hash": sha, "date": iso(), "message": "commit " + sha[:7]}, headers)
        if rest == ["commits"] and req.method == "GET":
            return self._commits(req, full, repo, headers)
        if rest[0] != "refs" or len(rest) < 2 or rest[1] not in ("branches", "tags"):
            return self._error(404, "Resource not found")
        kind, name = rest[1], "/".join(rest[2:])
        if name and req.method == "GET":
            sha = repo.get(kind, {}).get(name)
            if sha is None:
                return self._error(404, "%s not found" % ("Branch" if kind == "branches" else "Tag"))
            return J(200, self._ref(full, kind, name, sha), headers)
        if name or req.method != "POST":
            return self._error(405 if name else 404, "Method not allowed" if name else "Resource not found")
        if info.get("readonly"):
            return self.forbidden(req)
        body = req.json()
        new = body.get("name") if isinstance(body, dict) else None
        target = (body.get("target") or {}).get("hash") if isinstance(body, dict) and isinstance(body.get("target"), dict) else None
        if not isinstance(new, str) or not new or not isinstance(target, str):
            return self._error(400, "name and target.hash are required")
        with self.lock:
            stored = self.data["repos"].setdefault(full, {})
            sha = git_resolve(stored, target)
            made = git_make(stored, kind, new, sha) if sha else "unknown"
        if made == "exists":
            if kind == "branches":
                return J(400, {"type": "error", "error": {"message": "BRANCH_ALREADY_EXISTS", "code": "BRANCH_ALREADY_EXISTS",
                                                          "data": {"key": "BRANCH_ALREADY_EXISTS"}}})
            return self._error(400, 'tag "%s" already exists' % new)
        if made == "unknown":
            return self._error(400, "target %s does not exist" % target)
        return J(201, self._ref(full, kind, new, sha), headers)
