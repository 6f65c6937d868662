#!/usr/bin/env python3
"""The GitLab fake (API v4)."""

import copy
import hashlib

from fakebase import iso, number, bearer, git_between, git_make, git_message, git_resolve, paged, link_header, oauth_refresh, J, Provider


class GitLab(Provider):
    """GitLab REST v4.

    data: {"tokens": {token: {"username", "expired": false, "revoked": false,
                              "projects": {"group/project": {"project_access": 30, "group_access": null}}}},
           "projects": {"group/project": {"id": 1234, "pipelines": [{"id", "status", "ref"}],
                                          "branches": {name: sha}, "tags": {name: sha}, "commits": [sha], "made": [...]}}}
    `PRIVATE-TOKEN` (or `Authorization: Bearer`) authenticates; a project is visible to the tokens that list it.
    Refs (fakebase.git_*): GET .../repository/commits/{ref}, GET and POST .../repository/branches[/{name}] and
    .../repository/tags[/{name}] (Developer access to make one; 400 "Branch already exists", "Tag x already exists").
    CI: POST .../pipeline {"ref", "variables": [{"key", "value"}]} makes a pipeline (Developer access; 400 "Reference
    not found" for an unknown branch), named as `workflow: name: $slipway_build_id` names it; GET .../pipelines
    (?ref=, ?name=, ?per_page=) lists them newest first, GET .../pipelines/{id} reads one, POST .../pipelines/{id}/cancel
    cancels one (a pipeline already ended stays as it is, counted in its "cancels"). finish_run (the control
    plane's POST /gitlab/runs/{id}/finish) ends one and sends the Pipeline Hook."""

    name = "gitlab"
    env = ("SLIPWAY_GITLAB_URL", "")
    server_header = "nginx"

    def initial(self):
        return {"tokens": {}, "projects": {}}

    def unauthorized(self, req):
        return J(401, {"message": "401 Unauthorized"})

    def forbidden(self, req):
        return J(403, {"message": "403 Forbidden"})

    def not_found(self, req):
        return J(404, {"message": "404 Project Not Found"})

    def server_error(self, req, status=500):
        return J(status, {"message": "%d Internal Server Error" % status})

    def expired(self, req):
        return J(401, {"error": "invalid_token",
                       "error_description": "Token is expired. You can either do re-authorization or token refresh."},
                 {"WWW-Authenticate": 'Bearer realm="", error="invalid_token", error_description="Token is expired. '
                                      'You can either do re-authorization or token refresh."'})

    def _project(self, ident, projects):
        if ident in projects:
            return ident, projects[ident]
        for full, p in projects.items():
            if str(p.get("id")) == ident:
                return full, p
        return None, None

    def _list_projects(self, req, info, projects):
        """GET /projects?membership=true (?per_page= up to 100, default 20; ?page=): the token's projects by path,
        paged with X-Page, X-Next-Page (empty on the last), X-Total-Pages and a Link header as GitLab sends them."""
        names = sorted(info.get("projects") or {})
        page, number_, pages, size = paged(req, names, "per_page", 20, 100)
        headers = {"X-Page": str(number_), "X-Per-Page": str(size), "X-Total": str(len(names)),
                   "X-Total-Pages": str(pages), "X-Next-Page": str(number_ + 1) if number_ < pages else "",
                   "X-Prev-Page": str(number_ - 1) if number_ > 1 else ""}
        if pages > 1:
            headers["Link"] = link_header(req, number_, pages)
        return J(200, [{"id": projects.get(full, {}).get("id", number(full, 6)), "name": full.rsplit("/", 1)[-1],
                        "path_with_namespace": full, "default_branch": projects.get(full, {}).get("default_branch",
                                                                                                  "main"),
                        "visibility": projects.get(full, {}).get("visibility", "private"),
                        "web_url": "https://gitlab.example.com/" + full} for full in page], headers)

    def route(self, req):
        parts = req.segments()
        if parts == ["oauth", "token"] and req.method == "POST":
            return oauth_refresh(self, req)
        if parts[:2] != ["api", "v4"]:
            return J(404, {"error": "404 Not Found"})
        parts = parts[2:]
        token = req.header("PRIVATE-TOKEN") or bearer(req.header("Authorization"))
        req.notes["via"] = "PRIVATE-TOKEN" if req.header("PRIVATE-TOKEN") else ("Authorization" if token else None)
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token)) if token else None
            projects = copy.deepcopy(self.data["projects"])
        if info is None:
            return self.unauthorized(req)
        if info.get("expired"):
            return self.expired(req)
        if info.get("revoked"):
            return J(401, {"error": "invalid_token",
                           "error_description": "Token was revoked. You have to re-authorize from the user."})
        username = info.get("username", "gitlab-bot")
        if parts == ["user"]:
            return J(200, {"id": number(username, 6), "username": username, "name": username.title(), "state": "active",
                           "locked": False, "avatar_url": None, "web_url": "https://gitlab.example.com/" + username,
                           "created_at": "2020-01-01T00:00:00.000Z", "bot": False})
        if parts == ["projects"] and req.method == "GET":
            return self._list_projects(req, info, projects)
        if len(parts) >= 2 and parts[0] == "projects":
            full, project = self._project(parts[1], projects)
            access = (info.get("projects") or {}).get(full) if full else None
            if project is None or access is None:
                return self.not_found(req)
            level = max(access.get("project_access") or 0, access.get("group_access") or 0)
            if len(parts) == 2:
                perm = lambda v: None if v is None else {"access_level": v, "notification_level": 3}
                return J(200, {"id": project.get("id", number(full, 6)), "name": full.rsplit("/", 1)[-1],
                               "path": full.rsplit("/", 1)[-1], "path_with_namespace": full,
                               "name_with_namespace": full.replace("/", " / "), "default_branch": "main",
                               "visibility": "private", "web_url": "https://gitlab.example.com/" + full,
                               "permissions": {"project_access": perm(access.get("project_access")),
                                               "group_access": perm(access.get("group_access"))}})
            if len(parts) == 3 and parts[2] == "pipelines":
                if level < 20:
                    return self.forbidden(req)
                per_page = int(req.param("per_page", "20") or 20)
                out = [self._pipeline(full, project, p, i) for i, p in enumerate(project.get("pipelines", []))]
                out = [p for p in out if req.param("ref") in (None, p["ref"]) and req.param("name") in (None, p["name"])]
                out = out[:per_page]
                return J(200, out, {"X-Page": "1", "X-Per-Page": str(per_page), "X-Total": str(len(out)),
                                    "X-Total-Pages": "1", "X-Next-Page": "", "X-Prev-Page": ""})
            if len(parts) == 4 and parts[2] == "pipelines" and req.method == "GET":
                found = [self._pipeline(full, project, p, i) for i, p in enumerate(project.get("pipelines", []))]
                found = [p for p in found if str(p["id"]) == parts[3]]
                return J(200, found[0]) if found else J(404, {"message": "404 Not found"})
            if len(parts) == 5 and parts[2] == "pipelines" and parts[4] == "cancel" and req.method == "POST":
                if level < 30:
                    return self.forbidden(req)
                with self.lock:
                    made = [p for p in self.data["projects"][full].get("pipelines", []) if str(p.get("id")) == parts[3]]
                    if not made:
                        return J(404, {"message": "404 Not found"})
                    if made[0].get("status") in ("created", "waiting_for_resource", "preparing", "pending", "running"):
                        made[0]["status"] = "canceled"
                    made[0]["cancels"] = made[0].get("cancels", 0) + 1
                    return J(200, self._pipeline(full, project, made[0], 0))
            if len(parts) == 3 and parts[2] == "pipeline" and req.method == "POST":
                return self._create_pipeline(req, full, level)
            if len(parts) >= 3 and parts[2] == "releases":
                return self._releases(req, full, level, parts[3:])
            if len(parts) == 5 and parts[2:4] == ["repository", "files"] and req.method == "GET":
                return self._file(req, project, parts[4])
            if len(parts) >= 4 and parts[2] == "repository":
                return self._repository(req, full, project, level, parts[3:])
        return J(404, {"error": "404 Not Found"})

    def _file(self, req, project, path):
        """Job discovery: GET .../repository/files/{path}?ref= (ref required) from the project's "files" {path: text}."""
        import base64
        if not req.param("ref"):
            return J(400, {"error": "ref is missing"})
        text = project.get("files", {}).get(path)
        if text is None:
            return J(404, {"message": "404 File Not Found"})
        return J(200, {"file_name": path.rsplit("/", 1)[-1], "file_path": path, "size": len(text.encode()),
                       "encoding": "base64", "content": base64.b64encode(text.encode()).decode(), "ref": req.param("ref"),
                       "blob_id": "%040x" % number(text, 40), "last_commit_id": "%040x" % number(path, 40)})

    def _pipeline(self, full, project, p, i):
        pid = p.get("id", 1000 + i)
        return {"id": pid, "iid": p.get("iid", i + 1), "project_id": project.get("id"), "name": p.get("name"),
                "sha": p.get("sha") or hashlib.sha1(str(i).encode()).hexdigest(), "ref": p.get("ref", "main"),
                "status": p.get("status", "success"), "source": p.get("source", "push"), "created_at": iso(millis=True),
                "updated_at": iso(millis=True), "web_url": "https://gitlab.example.com/%s/-/pipelines/%s" % (full, pid)}

    def _create_pipeline(self, req, full, level):
        if level < 30:
            return self.forbidden(req)
        body = req.json() if req.body else {}
        body = body if isinstance(body, dict) else {}
        ref, variables = body.get("ref"), body.get("variables") or []
        if not isinstance(ref, str) or not ref:
            return J(400, {"error": "ref is missing"})
        if not isinstance(variables, list) or any(not isinstance(v, dict) or "key" not in v for v in variables):
            return J(400, {"error": "variables is invalid"})
        values = {v["key"]: v.get("value") for v in variables}
        with self.lock:
            project = self.data["projects"][full]
            sha = project.get("branches", {}).get(ref)
            if sha is None:
                return J(400, {"message": {"base": ["Reference not found"]}})
            pipelines = project.setdefault("pipelines", [])
            made = {"id": 5000 + sum(len(p.get("pipelines", [])) for p in self.data["projects"].values()),
                    "iid": len(pipelines) + 1, "ref": ref, "sha": sha, "status": "created",
                    "source": "api", "name": values.get("slipway_build_id"), "variables": values}
            pipelines.insert(0, made)
            return J(201, self._pipeline(full, project, made, 0))

    def finish_run(self, run_id, body):
        """Ends a pipeline ("conclusion": success | failure | cancelled, as GitLab's success | failed | canceled)
        and, with "webhook": {"url", "secret"}, sends the Pipeline Hook there. The pipeline's JSON."""
        from fakebase import send_hook
        status = {"success": "success", "failure": "failed", "cancelled": "canceled"}.get(
            body.get("conclusion", "success"), body.get("conclusion"))
        with self.lock:
            for full, project in self.data["projects"].items():
                p = next((p for p in project.get("pipelines", []) if str(p.get("id")) == str(run_id)), None)
                if p is not None:
                    p["status"] = status
                    break
            else:
                raise KeyError("no pipeline %s" % run_id)
            payload = pipeline_payload(pipeline_id=p["id"], status=status, ref=p["ref"], sha=p["sha"], project=full)
            out = self._pipeline(full, project, p, 0)
        hook = body.get("webhook")
        if hook:
            send_hook(hook, *webhook(hook["secret"], "Pipeline Hook", payload))
        return out

    def _branch(self, full, name, sha):
        return {"name": name, "merged": False, "protected": False, "default": name == "main", "developers_can_push": False,
                "developers_can_merge": False, "can_push": True,
                "web_url": "https://gitlab.example.com/%s/-/tree/%s" % (full, name), "commit": self._commit(sha)}

    def _commit(self, sha):
        return {"id": sha, "short_id": sha[:8], "title": "commit " + sha[:7], "message": "commit " + sha[:7],
                "created_at": "2026-01-01T00:00:00.000Z", "parent_ids": []}

    def _tag(self, name, sha):
        return {"name": name, "message": None, "target": sha, "commit": self._commit(sha), "release": None,
                "protected": False, "created_at": None}

    def _release_json(self, full, rel):
        return {"tag_name": rel["tag_name"], "name": rel["name"], "description": rel["description"],
                "created_at": rel["created_at"], "released_at": rel["created_at"], "upcoming_release": False,
                "commit": self._commit(rel["sha"]), "assets": {"count": 0, "sources": [], "links": []},
                "_links": {"self": "https://gitlab.example.com/%s/-/releases/%s" % (full, rel["tag_name"])}}

    def _releases(self, req, full, level, rest):
        """A project's release of a tag: GET /projects/{id}/releases/{tag} (404 when none), POST /projects/{id}/releases
        {tag_name, name, description} (Developer access; 409 "Release already exists"; the tag must exist: slipway tags
        first, and no "ref" is sent)."""
        with self.lock:
            stored = self.data["projects"][full]
            if rest and req.method == "GET":
                rel = next((r for r in stored.get("releases", []) if r["tag_name"] == "/".join(rest)), None)
                return J(200, self._release_json(full, rel)) if rel else J(404, {"message": "404 Not Found"})
            if rest or req.method != "POST":
                return J(404, {"error": "404 Not Found"})
            if level < 30:
                return self.forbidden(req)
            body = req.json() if req.body else {}
            body = body if isinstance(body, dict) else {}
            tag = body.get("tag_name")
            if not isinstance(tag, str) or not tag:
                return J(400, {"error": "tag_name is missing"})
            if tag not in stored.get("tags", {}):
                return J(422, {"message": "Ref is not specified"})
            if any(r["tag_name"] == tag for r in stored.get("releases", [])):
                return J(409, {"message": "Release already exists"})
            rel = {"tag_name": tag, "name": body.get("name") or tag, "description": body.get("description") or "",
                   "sha": stored["tags"][tag], "created_at": iso()}
            stored.setdefault("releases", []).append(rel)
        return J(201, self._release_json(full, rel))

    def _repository(self, req, full, project, level, rest):
        """Commits, branches, tags and compares of a project."""
        what, name = rest[0], "/".join(rest[1:])
        if what == "compare" and not name and req.method == "GET":
            ahead = git_between(project, req.param("from") or "", req.param("to") or "")
            if ahead is None:
                return J(404, {"message": "404 Ref Not Found"})
            commits = [dict(self._commit(c), title=git_message(project, c).split("\n")[0], message=git_message(project, c))
                       for c in ahead]
            return J(200, {"commit": commits[-1] if commits else None, "commits": commits, "diffs": [],
                           "compare_timeout": False, "compare_same_ref": False,
                           "web_url": "https://gitlab.example.com/%s/-/compare/%s...%s" % (full, req.param("from"),
                                                                                           req.param("to"))})
        if what == "commits" and name and req.method == "GET":
            sha = git_resolve(project, name)
            return J(200, self._commit(sha)) if sha else J(404, {"message": "404 Commit Not Found"})
        if what not in ("branches", "tags"):
            return J(404, {"error": "404 Not Found"})
        kind, branch = what, what == "branches"
        if name and req.method == "GET":
            sha = project.get(kind, {}).get(name)
            if sha is None:
                return J(404, {"message": "404 %s Not Found" % ("Branch" if branch else "Tag")})
            return J(200, self._branch(full, name, sha) if branch else self._tag(name, sha))
        if name or req.method != "POST":
            return J(404, {"error": "404 Not Found"})
        if level < 30:
            return self.forbidden(req)
        body = req.json() if req.body else {}
        body = body if isinstance(body, dict) else {}
        field = "branch" if branch else "tag_name"
        new, ref = body.get(field) or req.param(field), body.get("ref") or req.param("ref")
        if not new or not ref:
            return J(400, {"error": "%s is missing" % (field if not new else "ref")})
        with self.lock:
            stored = self.data["projects"][full]
            sha = git_resolve(stored, ref)
            made = git_make(stored, kind, new, sha) if sha else "unknown"
        if made == "exists":
            return J(400, {"message": "Branch already exists" if branch else "Tag %s already exists" % new})
        if made == "unknown":
            return J(400, {"message": ("Invalid reference name: %s" if branch else "Target %s is invalid") % ref})
        return J(201, self._branch(full, new, sha) if branch else self._tag(new, sha))

# Inbound webhooks, as GitLab sends them: no signature, the hook's secret token itself in X-Gitlab-Token;
# X-Gitlab-Event names the event, X-Gitlab-Event-UUID the event and Idempotency-Key the delivery (kept on retries).

def webhook(secret, event, payload, delivery=None):
    """(raw body, headers) of a GitLab delivery."""
    import uuid
    from fakebase import webhook_body
    key = delivery or str(uuid.uuid4())
    return webhook_body(payload), {"User-Agent": "GitLab/17.5.0", "X-Gitlab-Event": event, "X-Gitlab-Token": secret,
                                   "X-Gitlab-Event-UUID": key, "Idempotency-Key": key,
                                   "X-Gitlab-Instance": "https://gitlab.com", "X-Gitlab-Webhook-UUID": str(uuid.uuid4())}


def pipeline_payload(pipeline_id=31, status="success", ref="main", sha="bcbb5ec396a2c0f828686f14fac9b80b780504f2",
                     project="org/mobile-app"):
    url = "https://gitlab.com/%s" % project
    return {"object_kind": "pipeline",
            "object_attributes": {"id": pipeline_id, "iid": 3, "ref": ref, "tag": False, "sha": sha, "status": status,
                                  "detailed_status": status, "source": "push", "stages": ["build", "test"],
                                  "created_at": "2026-03-10 10:00:00 UTC", "finished_at": "2026-03-10 10:12:00 UTC",
                                  "duration": 720, "url": "%s/-/pipelines/%d" % (url, pipeline_id)},
            "project": {"id": number(project), "path_with_namespace": project, "web_url": url, "default_branch": "main"},
            "builds": [{"id": 380, "stage": "build", "name": "build-android", "status": status}]}


def push_payload(ref="refs/heads/main", sha="da1560886d4f094c3e6c9ef40349f7d38b5d27d7", project="org/mobile-app"):
    return {"object_kind": "tag_push" if ref.startswith("refs/tags/") else "push", "ref": ref,
            "before": "0" * 40, "after": sha, "checkout_sha": sha, "user_username": "ada",
            "project": {"id": number(project), "path_with_namespace": project, "web_url": "https://gitlab.com/" + project},
            "commits": [{"id": sha, "message": "Fix the release build"}], "total_commits_count": 1}
