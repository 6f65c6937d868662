#!/usr/bin/env python3
"""The GitHub fake (REST, also under /api/v3 as GitHub Enterprise), and one whose certificate slipway does not trust."""

import copy
import urllib.parse
import uuid

from fakebase import now, iso, number, bearer, git_between, git_make, git_message, git_resolve, send_hook, paged, link_header, oauth_refresh, Resp, J, Provider


GITHUB_API_VERSIONS = ("2022-11-28", "2026-03-10")

class GitHub(Provider):
    """GitHub REST (also under /api/v3, as GitHub Enterprise serves it).

    data: {"tokens": {token: {"login", "scopes": "repo, workflow" | null (fine-grained: no X-OAuth-Scopes),
                              "expiration": "2026-12-01 10:00:00 UTC" | null,
                              "repos": {"org/repo": {"admin", "maintain", "push", "triage", "pull"}}}},
           "repos": {"org/repo": {"default_branch": "main", "private": true, "workflows": ["release.yml"],
                                  "branches": {name: sha}, "tags": {name: sha}, "commits": [sha], "made": [...]}}}
    A token sees the repositories named in its `repos` (with those permissions); making a ref takes push.
    Refs (fakebase.git_*): GET /repos/o/r/commits/{ref}, GET /repos/o/r/git/ref/{heads|tags}/{name},
    POST /repos/o/r/git/refs {"ref": "refs/heads/x" | "refs/tags/x", "sha"} (422 "Reference already exists").
    Actions: POST .../actions/workflows/{file}/dispatches {"ref": branch, "inputs": {name: string}} answers 204 and
    nothing else (a workflow in the repo's "no_dispatch" list has no workflow_dispatch trigger: 422); the run is kept
    in the repo's "runs" (newest first) and named as a workflow with `run-name: ${{ inputs.slipway_build_id }}` names
    it; GET .../actions/workflows/{file}/runs?branch=&event= lists them, GET .../actions/runs/{id} reads one, POST .../actions/runs/{id}/cancel cancels it (409 once completed).
    finish_run (the control plane's POST /github/runs/{id}/finish) ends one and sends the workflow_run webhook."""

    name = "github"
    env = ("SLIPWAY_GITHUB_API_URL", "")
    more_env = (("SLIPWAY_GITHUB_OAUTH_URL", "/login/oauth/access_token"),)
    server_header = "GitHub.com"
    DOCS = "https://docs.github.com/rest"

    def initial(self):
        return {"tokens": {}, "repos": {}}

    def _rate_headers(self, remaining=4999, reset=None):
        return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(reset or now() + 3600)), "X-RateLimit-Used": str(5000 - remaining),
                "X-RateLimit-Resource": "core", "X-GitHub-Media-Type": "github.v3; format=json",
                "X-GitHub-Request-Id": uuid.uuid4().hex[:20].upper(), "X-GitHub-Api-Version-Selected": "2022-11-28"}

    def _error(self, status, message, doc=None, extra=None):
        headers = self._rate_headers()
        headers.update(extra or {})
        return J(status, {"message": message, "documentation_url": doc or self.DOCS, "status": str(status)}, headers)

    def unauthorized(self, req):
        return self._error(401, "Bad credentials")

    def forbidden(self, req):
        return self._error(403, "Resource not accessible by personal access token",
                           "https://docs.github.com/rest/repos/repos#get-a-repository")

    def not_found(self, req):
        return self._error(404, "Not Found")

    def server_error(self, req, status=500):
        return self._error(status, "Server Error")

    def ratelimited(self, req, rule):
        reset = int(now() + float(rule.get("seconds", 60)))
        headers = self._rate_headers(0, reset)
        return J(403, {"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for "
                                  "help, please include the request ID %s." % headers["X-GitHub-Request-Id"],
                       "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                       "status": "403"}, headers)

    def expired(self, req):
        resp = self.route(req)
        resp.set_header("github-authentication-token-expiration", "2020-01-01 00:00:00 UTC")
        req.notes["expiredMode"] = True
        return resp

    def _list_repos(self, req, info, repos, headers):
        """GET /user/repos (?per_page= up to 100, default 30; ?page=): the token's repositories by full name, the
        next pages in a Link header as GitHub sends it (no Link at all when one page holds them)."""
        names = sorted(info.get("repos") or {})
        page, number_, pages, size = paged(req, names, "per_page", 30, 100)
        if pages > 1:
            headers["Link"] = link_header(req, number_, pages)
        return J(200, [{"id": number(full), "node_id": "R_" + full, "name": full.split("/", 1)[1], "full_name": full,
                        "private": repos.get(full, {}).get("private", True),
                        "owner": {"login": full.split("/", 1)[0], "id": number(full.split("/", 1)[0], 7)},
                        "html_url": "https://github.com/" + full, "fork": False,
                        "default_branch": repos.get(full, {}).get("default_branch", "main")} for full in page],
                 headers)

    def route(self, req):
        path = req.path
        if path == "/login/oauth/access_token" and req.method == "POST":  # on github.com, not the API host
            return oauth_refresh(self, req, github=True)
        if path.startswith("/api/v3/") or path == "/api/v3":
            path = path[len("/api/v3"):] or "/"
        if not req.header("User-Agent"):
            return Resp(403, "Request forbidden by administrative rules. Please make sure your request has a "
                             "User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api"
                             "#user-agent-required). Check https://developer.github.com for other possible causes.\n",
                        content_type="text/plain; charset=utf-8")
        version = req.header("X-GitHub-Api-Version")
        if version is not None and version not in GITHUB_API_VERSIONS:
            return self._error(400, "Unsupported 'X-GitHub-Api-Version' header: %s. Supported versions are: %s"
                               % (version, ", ".join(GITHUB_API_VERSIONS)),
                               "https://docs.github.com/rest/overview/api-versions")
        auth = req.header("Authorization")
        token = bearer(auth, ("bearer", "token"))
        req.notes["authScheme"] = auth.split(" ", 1)[0] if auth else None
        if token is None:
            return self._error(401, "Requires authentication")
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token))
            repos = copy.deepcopy(self.data["repos"])
        if info is None:
            return self.unauthorized(req)
        headers = self._rate_headers()
        if info.get("scopes") is not None:
            headers["X-OAuth-Scopes"] = info["scopes"]
            headers["X-Accepted-OAuth-Scopes"] = ""
        if info.get("expiration"):
            headers["github-authentication-token-expiration"] = info["expiration"]
        parts = [urllib.parse.unquote(p) for p in path.split("/")[1:]]
        login = info.get("login", "octocat")
        if parts == ["user"]:
            return J(200, {"login": login, "id": number(login, 7), "node_id": "U_" + login, "type": "User",
                           "site_admin": False, "name": info.get("name", login.title()), "company": None,
                           "html_url": "https://github.com/" + login, "created_at": "2020-01-01T00:00:00Z",
                           "updated_at": iso()}, headers)
        if parts == ["user", "repos"]:
            return self._list_repos(req, info, repos, headers)
        if len(parts) >= 3 and parts[0] == "repos":
            full = parts[1] + "/" + parts[2]
            perms = (info.get("repos") or {}).get(full)
            if perms is None:
                return self._error(404, "Not Found", "https://docs.github.com/rest/repos/repos#get-a-repository",
                                   headers)
            repo = repos.get(full, {})
            if len(parts) == 3:
                headers["X-Accepted-OAuth-Scopes"] = "repo"
                full_perms = {"admin": False, "maintain": False, "push": False, "triage": False, "pull": False}
                full_perms.update(perms)
                return J(200, {"id": number(full), "node_id": "R_" + full, "name": parts[2], "full_name": full,
                               "private": repo.get("private", True), "owner": {"login": parts[1],
                                                                                "id": number(parts[1], 7),
                                                                                "type": "Organization"},
                               "html_url": "https://github.com/" + full, "fork": False,
                               "default_branch": repo.get("default_branch", "main"),
                               "visibility": "private" if repo.get("private", True) else "public",
                               "permissions": full_perms, "created_at": "2021-01-01T00:00:00Z",
                               "updated_at": iso(), "pushed_at": iso()}, headers)
            if len(parts) == 5 and parts[3:5] == ["actions", "workflows"] and req.method == "GET":
                return self._list_workflows(req, full, repo, headers)
            if len(parts) >= 5 and parts[3] == "contents" and req.method == "GET":
                return self._contents(req, full, repo, "/".join(parts[4:]), headers)
            if len(parts) == 6 and parts[3:5] == ["actions", "workflows"]:
                wanted = parts[5]
                if wanted not in repo.get("workflows", []):
                    return self._error(404, "Not Found", "https://docs.github.com/rest/actions/workflows#get-a-workflow",
                                       headers)
                return J(200, {"id": number(full + wanted), "node_id": "W_" + wanted, "name": wanted.rsplit(".", 1)[0],
                               "path": ".github/workflows/" + wanted, "state": "active",
                               "created_at": "2022-01-01T00:00:00.000Z", "updated_at": iso(millis=True),
                               "url": "https://api.github.com/repos/%s/actions/workflows/%d" % (full,
                                                                                                number(full + wanted)),
                               "html_url": "https://github.com/%s/blob/main/.github/workflows/%s" % (full, wanted),
                               "badge_url": "https://github.com/%s/workflows/%s/badge.svg" % (full, wanted)}, headers)
            if len(parts) >= 6 and parts[3] == "actions":
                return self._actions(req, full, perms, repo, parts[4:], headers)
            if len(parts) >= 5 and parts[3] == "commits":
                ref = "/".join(parts[4:])
                sha = git_resolve(repo, ref)
                if sha is None:
                    return self._error(422, "No commit found for SHA: %s" % ref,
                                       "https://docs.github.com/rest/commits/commits#get-a-commit", headers)
                return J(200, {"sha": sha, "node_id": "C_" + sha[:12], "commit": {"message": "commit " + sha[:7]},
                               "html_url": "https://github.com/%s/commit/%s" % (full, sha)}, headers)
            if len(parts) >= 7 and parts[3:5] == ["git", "ref"] and parts[5] in ("heads", "tags"):
                ref = "refs/%s/%s" % (parts[5], "/".join(parts[6:]))
                sha = repo.get("branches" if parts[5] == "heads" else "tags", {}).get("/".join(parts[6:]))
                if sha is None:
                    return self._error(404, "Not Found", "https://docs.github.com/rest/git/refs#get-a-reference",
                                       headers)
                return J(200, self._ref(full, ref, sha), headers)
            if parts[3:] == ["git", "refs"] and req.method == "POST":
                return self._make_ref(req, full, perms, headers)
            if len(parts) >= 5 and parts[3] == "compare":
                return self._compare(full, repo, "/".join(parts[4:]), headers)
            if parts[3] == "releases":
                return self._releases(req, full, perms, repo, parts[4:], headers)
        return self._error(404, "Not Found", self.DOCS, headers)

    def _compare(self, full, repo, spec, headers):
        """The commits after base up to head in the repository's "commits" list (oldest first, as GitHub answers);
        a commit's message is repo["messages"][sha], else "commit <short sha>"."""
        base, _, head = spec.partition("...")
        ahead = git_between(repo, base, head) if _ else None
        if ahead is None:
            return self._error(404, "Not Found", "https://docs.github.com/rest/commits/commits#compare-two-commits", headers)
        return J(200, {"status": "ahead" if ahead else "identical", "ahead_by": len(ahead), "behind_by": 0,
                       "total_commits": len(ahead),
                       "commits": [{"sha": c, "commit": {"message": git_message(repo, c)},
                                    "html_url": "https://github.com/%s/commit/%s" % (full, c)} for c in ahead]}, headers)

    def _release_json(self, full, rel):
        return {"id": rel["id"], "node_id": "RE_%d" % rel["id"], "tag_name": rel["tag_name"], "name": rel["name"],
                "body": rel["body"], "draft": False, "prerelease": False, "created_at": rel["created_at"],
                "html_url": "https://github.com/%s/releases/tag/%s" % (full, urllib.parse.quote(rel["tag_name"])),
                "url": "https://api.github.com/repos/%s/releases/%d" % (full, rel["id"])}

    def _releases(self, req, full, perms, repo, rest, headers):
        """A release of a tag: read one by its tag, make one (the tag must exist here: slipway tags first)."""
        doc = "https://docs.github.com/rest/releases/releases"
        if len(rest) >= 2 and rest[0] == "tags" and req.method == "GET":
            tag = "/".join(rest[1:])
            rel = next((r for r in repo.get("releases", []) if r["tag_name"] == tag), None)
            if rel is None:
                return self._error(404, "Not Found", doc + "#get-a-release-by-tag-name", headers)
            return J(200, self._release_json(full, rel), headers)
        if rest or req.method != "POST":
            return self._error(404, "Not Found", doc, headers)
        if not perms.get("push"):
            return self._error(403, "Resource not accessible by personal access token", doc, headers)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("tag_name"), str):
            return self._error(422, "Invalid request.\n\n\"tag_name\" wasn't supplied.", doc, headers)
        with self.lock:
            stored = self.data["repos"].setdefault(full, {})
            if body["tag_name"] not in stored.get("tags", {}):
                return self._error(422, "Validation Failed: tag_name is invalid", doc, headers)
            if any(r["tag_name"] == body["tag_name"] for r in stored.get("releases", [])):
                return self._error(422, "Validation Failed: tag_name already_exists", doc, headers)
            rel = {"id": 1000 + sum(len(r.get("releases", [])) for r in self.data["repos"].values()),
                   "tag_name": body["tag_name"], "name": body.get("name") or body["tag_name"], "body": body.get("body") or "",
                   "created_at": iso()}
            stored.setdefault("releases", []).append(rel)
        return J(201, self._release_json(full, rel), headers)

    def _run_json(self, full, run):
        return {"id": run["id"], "name": run["workflow"].rsplit(".", 1)[0], "display_title": run["display_title"],
                "head_branch": run["branch"], "head_sha": run["sha"], "run_number": run["run_number"],
                "event": "workflow_dispatch", "status": run["status"], "conclusion": run.get("conclusion"),
                "workflow_id": number(full + run["workflow"]), "run_attempt": 1,
                "path": ".github/workflows/" + run["workflow"], "created_at": run["created_at"], "updated_at": iso(),
                "html_url": "https://github.com/%s/actions/runs/%d" % (full, run["id"]),
                "url": "https://api.github.com/repos/%s/actions/runs/%d" % (full, run["id"])}

    # Job discovery (docs/deployments.md "CI/CD jobs"): the repo's "workflows" listed, paged by per_page and page,
    # and its "files" {path: text} served by the contents API (base64, wrapped at 60 characters as GitHub does).
    def _workflow_json(self, full, name):
        return {"id": number(full + name), "node_id": "W_" + name, "name": name.rsplit(".", 1)[0],
                "path": ".github/workflows/" + name, "state": "active", "created_at": "2022-01-01T00:00:00.000Z",
                "updated_at": iso(millis=True),
                "url": "https://api.github.com/repos/%s/actions/workflows/%d" % (full, number(full + name)),
                "html_url": "https://github.com/%s/blob/main/.github/workflows/%s" % (full, name),
                "badge_url": "https://github.com/%s/workflows/%s/badge.svg" % (full, name)}

    def _list_workflows(self, req, full, repo, headers):
        per_page, page = min(int(req.param("per_page", "30") or 30), 100), int(req.param("page", "1") or 1)
        names = repo.get("workflows", [])
        return J(200, {"total_count": len(names), "workflows": [self._workflow_json(full, n) for n in
                                                                names[(page - 1) * per_page:page * per_page]]}, headers)

    def _contents(self, req, full, repo, path, headers):
        import base64
        text = repo.get("files", {}).get(path)
        if text is None:
            return self._error(404, "Not Found", "https://docs.github.com/rest/repos/contents#get-repository-content",
                               headers)
        b64 = base64.b64encode(text.encode()).decode()
        return J(200, {"type": "file", "encoding": "base64", "size": len(text.encode()), "name": path.rsplit("/", 1)[-1],
                       "path": path, "sha": "%040x" % number(text, 40),
                       "content": "\n".join(b64[i:i + 60] for i in range(0, len(b64), 60)) + "\n",
                       "html_url": "https://github.com/%s/blob/main/%s" % (full, path)}, headers)

    def _actions(self, req, full, perms, repo, rest, headers):
        """workflow_dispatch, the workflow's runs, one run."""
        doc = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"
        runs = repo.get("runs", [])
        if rest[0] == "runs" and len(rest) == 2 and req.method == "GET":
            run = next((r for r in runs if str(r["id"]) == rest[1]), None)
            if run is None:
                return self._error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-runs", headers)
            return J(200, self._run_json(full, run), headers)
        if rest[0] == "runs" and rest[2:] == ["cancel"] and req.method == "POST":
            if not perms.get("push"):
                return self._error(403, "Resource not accessible by personal access token", doc, headers)
            with self.lock:
                run = next((r for r in self.data["repos"][full].get("runs", []) if str(r["id"]) == rest[1]), None)
                if run is None:
                    return self._error(404, "Not Found", "https://docs.github.com/rest/actions/workflow-runs", headers)
                run["cancels"] = run.get("cancels", 0) + 1
                if run["status"] == "completed":
                    return self._error(409, "Cannot cancel a workflow run that is completed.",
                                       "https://docs.github.com/rest/actions/workflow-runs#cancel-a-workflow-run", headers)
                run.update(status="completed", conclusion="cancelled")
            return J(202, {}, headers)
        if rest[0] != "workflows" or len(rest) != 3 or rest[1] not in repo.get("workflows", []):
            return self._error(404, "Not Found", doc, headers)
        workflow = rest[1]
        if rest[2] == "runs" and req.method == "GET":
            branch, event = req.param("branch"), req.param("event")
            mine = [r for r in runs if r["workflow"] == workflow and (not branch or r["branch"] == branch)
                    and (not event or event == "workflow_dispatch")][:int(req.param("per_page", "30") or 30)]
            return J(200, {"total_count": len(mine), "workflow_runs": [self._run_json(full, r) for r in mine]}, headers)
        if rest[2] != "dispatches" or req.method != "POST":
            return self._error(404, "Not Found", doc, headers)
        if not perms.get("push"):
            return self._error(403, "Resource not accessible by personal access token", doc, headers)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str):
            return self._error(422, "Invalid request.\n\n\"ref\" wasn't supplied.", doc, headers)
        inputs = body.get("inputs") or {}
        if not isinstance(inputs, dict) or any(not isinstance(v, str) for v in inputs.values()):
            return self._error(422, "Invalid value for input: inputs are strings", doc, headers)
        if workflow in repo.get("no_dispatch", []):
            return self._error(422, "Workflow does not have 'workflow_dispatch' trigger", doc, headers)
        with self.lock:
            stored = self.data["repos"].setdefault(full, {})
            sha = stored.get("branches", {}).get(body["ref"])
            if sha is None:
                return self._error(422, "No ref found for: %s" % body["ref"], doc, headers)
            all_runs = stored.setdefault("runs", [])
            run_id = 30433642 + sum(len(r.get("runs", [])) for r in self.data["repos"].values())  # ids are global
            all_runs.insert(0, {"id": run_id, "run_number": len(all_runs) + 1, "workflow": workflow,
                                "branch": body["ref"], "sha": sha, "inputs": inputs, "status": "queued",
                                "conclusion": None, "created_at": iso(),
                                "display_title": inputs.get("slipway_build_id") or workflow.rsplit(".", 1)[0]})
        return Resp(204, b"", headers)

    def finish_run(self, run_id, body):
        """Ends a run ("conclusion": success | failure | cancelled) and, with "webhook": {"url", "secret"}, sends
        the workflow_run event there, signed, as GitHub does. The run's JSON."""
        with self.lock:
            for full, repo in self.data["repos"].items():
                run = next((r for r in repo.get("runs", []) if str(r["id"]) == str(run_id)), None)
                if run is not None:
                    run["status"] = body.get("status", "completed")
                    run["conclusion"] = body.get("conclusion", "success") if run["status"] == "completed" else None
                    break
            else:
                raise KeyError("no run %s" % run_id)
            payload = workflow_run_payload(run_id=run["id"], status=run["status"], conclusion=run["conclusion"],
                                           branch=run["branch"], sha=run["sha"], repo=full)
        hook = body.get("webhook")
        if hook:
            send_hook(hook, *webhook(hook["secret"], "workflow_run", payload))
        return self._run_json(full, run)

    def _ref(self, full, ref, sha):
        return {"ref": ref, "node_id": "REF_" + sha[:12],
                "url": "https://api.github.com/repos/%s/git/%s" % (full, ref),
                "object": {"sha": sha, "type": "commit", "url": "https://api.github.com/repos/%s/git/commits/%s"
                           % (full, sha)}}

    def _make_ref(self, req, full, perms, headers):
        doc = "https://docs.github.com/rest/git/refs#create-a-reference"
        if not perms.get("push"):
            return self._error(403, "Resource not accessible by personal access token", doc, headers)
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("ref"), str) or not isinstance(body.get("sha"), str):
            return self._error(422, "Invalid request.\n\n\"ref\", \"sha\" weren't supplied.", doc, headers)
        ref = body["ref"]
        kind = {"refs/heads/": "branches", "refs/tags/": "tags"}.get(ref[:10] if ref.startswith("refs/tags/")
                                                                     else ref[:11])
        name = ref.split("/", 2)[2] if ref.count("/") >= 2 else ""
        if kind is None or not name:
            return self._error(422, "Reference name is invalid", doc, headers)
        with self.lock:
            made = git_make(self.data["repos"].setdefault(full, {}), kind, name, body["sha"])
        if made == "exists":
            return self._error(422, "Reference already exists", doc, headers)
        if made == "unknown":
            return self._error(422, "Object does not exist", doc, headers)
        return J(201, self._ref(full, ref, body["sha"].lower()), dict(headers, Location="https://api.github.com/repos/%s/git/%s" % (full, ref)))


class Untrusted(GitHub):
    """A GitHub fake whose certificate no CA in SLIPWAY_CA_BUNDLE signed (TLS failures)."""

    name = "untrusted"


# Inbound webhooks, as GitHub sends them: the body signed by X-Hub-Signature-256 ("sha256=" and the hex HMAC-SHA256 of
# the raw body), X-GitHub-Event naming the event and X-GitHub-Delivery a GUID a redelivery repeats.

def webhook(secret, event, payload, delivery=None):
    """(raw body, headers) of a GitHub delivery."""
    from fakebase import hmac_sha256_hex, webhook_body
    raw = webhook_body(payload)
    return raw, {"User-Agent": "GitHub-Hookshot/7a3b9c1", "X-GitHub-Event": event,
                 "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "X-GitHub-Hook-ID": "474829301",
                 "X-Hub-Signature-256": "sha256=" + hmac_sha256_hex(secret, raw)}


def push_payload(repo="org/mobile-app", ref="refs/heads/main", after="6dcb09b5b57875f334f61aebed695e2e4193db5e"):
    owner, name = repo.split("/")
    return {"ref": ref, "before": "0" * 40, "after": after, "created": False, "deleted": False, "forced": False,
            "compare": "https://github.com/%s/compare/000000000000...%s" % (repo, after[:12]),
            "commits": [{"id": after, "message": "Fix the release build", "author": {"name": "Ada", "email": "ada@example.com"}}],
            "head_commit": {"id": after, "message": "Fix the release build"},
            "repository": {"id": number(repo), "name": name, "full_name": repo, "owner": {"login": owner}},
            "pusher": {"name": "ada", "email": "ada@example.com"}, "sender": {"login": "ada", "id": 1}}


def workflow_run_payload(run_id=30433642, status="completed", conclusion="success", branch="main",
                         sha="acb5820ced9479c074f688cc328bf03f341a511d", repo="org/mobile-app"):
    return {"action": "completed" if status == "completed" else "in_progress" if status == "in_progress" else "requested",
            "workflow_run": {"id": run_id, "name": "Release", "head_branch": branch, "head_sha": sha, "run_number": 562,
                             "event": "workflow_dispatch", "status": status,
                             "conclusion": conclusion if status == "completed" else None,
                             "workflow_id": 159038, "html_url": "https://github.com/%s/actions/runs/%d" % (repo, run_id),
                             "created_at": iso(), "updated_at": iso(), "run_attempt": 1},
            "workflow": {"id": 159038, "name": "Release", "path": ".github/workflows/release.yml"},
            "repository": {"id": number(repo), "full_name": repo}, "sender": {"login": "ada", "id": 1}}
