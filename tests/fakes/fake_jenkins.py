#!/usr/bin/env python3
"""The Jenkins fake (Basic auth with API tokens, crumbs)."""

import copy
import secrets
import urllib.parse
import uuid

from fakebase import basic_credentials, J, html, Provider


class Jenkins(Provider):
    """Jenkins (JSON API).

    data: {"users": {user: {"tokens": [api token]}}, "jobs": {"folder/job": {}, ...}, "crumbs": true,
           "crumb": "...", "crumbField": "Jenkins-Crumb" (older Jenkins said ".crumb")}
    Basic auth with a user's API token; anonymous is 403 (a secured Jenkins), a wrong token is 401.
    GET /crumbIssuer/api/json (404 when crumbs are off), /api/json, /job/a/job/b/api/json.  A POST needs
    the crumb in its crumbRequestField header.  notes["crumbSent"] tells whether a request carried it.
    Builds: POST /job/a/job/b/buildWithParameters?name=value... answers 201 with the queue item's Location and
    starts the build at once (kept in the job's "builds", newest first, its parameters in a ParametersAction);
    GET /job/a/job/b/api/json lists them under "builds", GET /job/a/job/b/{n}/api/json reads one, POST
    /job/a/job/b/{n}/stop aborts it (302 either way, counted in its "stops"). finish_run (the
    control plane's POST /jenkins/runs/{path}#{n}/finish) ends one and posts the job's signed callback."""

    name = "jenkins"
    server_header = "Jetty(10.0.20)"

    def initial(self):
        return {"users": {}, "jobs": {}, "crumbs": True, "crumb": secrets.token_hex(32), "crumbField": "Jenkins-Crumb"}

    def _headers(self):
        return {"X-Jenkins": "2.440.3", "X-Hudson": "1.395", "X-Jenkins-Session": uuid.uuid4().hex[:8]}

    def unauthorized(self, req):
        creds = basic_credentials(req.header("Authorization"))
        return html(401, "Invalid password/token for user: %s" % (creds[0] if creds else ""),
                    dict(self._headers(), **{"WWW-Authenticate": 'Basic realm="Jenkins"'}))

    def forbidden(self, req):
        return html(403, "Authentication required", dict(self._headers(),
                                                         **{"X-You-Are-Authenticated-As": "anonymous",
                                                            "X-Required-Permission": "hudson.model.Hudson.Read"}))

    def not_found(self, req):
        return html(404, "Not Found", self._headers())

    def server_error(self, req, status=500):
        return html(status, "Oops!", self._headers())

    def route(self, req):
        with self.lock:
            data = copy.deepcopy(self.data)
        crumb_field = data.get("crumbField") or "Jenkins-Crumb"
        req.notes["crumbSent"] = req.header(crumb_field) == data["crumb"]
        req.notes["crumbHeader"] = req.header(crumb_field)
        auth = req.header("Authorization")
        if not auth:
            return self.forbidden(req)
        creds = basic_credentials(auth)
        if creds is None or creds[1] not in data["users"].get(creds[0], {}).get("tokens", []):
            return self.unauthorized(req)
        req.notes["user"] = creds[0]
        headers = dict(self._headers(), **{"X-You-Are-Authenticated-As": creds[0]})
        if req.method == "POST" and data["crumbs"] and not req.notes["crumbSent"]:
            return html(403, "No valid crumb was included in the request", headers)
        parts = [p for p in req.segments() if p != ""]
        if parts == ["crumbIssuer", "api", "json"]:
            if not data["crumbs"]:
                return self.not_found(req)
            return J(200, {"_class": "hudson.security.csrf.DefaultCrumbIssuer", "crumb": data["crumb"],
                           "crumbRequestField": crumb_field}, headers)
        if parts == ["api", "json"] and "jobs[" in (req.param("tree") or ""):
            return J(200, {"_class": "hudson.model.Hudson", "jobs": self._tree(data, "", req.param("tree"))}, headers)
        if parts == ["api", "json"]:
            tops = sorted({j.split("/")[0] for j in data["jobs"]})
            return J(200, {"_class": "hudson.model.Hudson", "assignedLabels": [{"name": "built-in"}],
                           "mode": "NORMAL", "nodeDescription": "the Jenkins controller's built-in node",
                           "nodeName": "", "numExecutors": 2, "description": None,
                           "jobs": [{"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": t,
                                     "url": "%s/job/%s/" % (self.base_url, t), "color": None} for t in tops],
                           "quietingDown": False, "slaveAgentPort": -1, "useCrumbs": data["crumbs"],
                           "useSecurity": True}, headers)
        if len(parts) >= 4 and parts[0] == "job" and parts[-1] == "stop" and parts[-2].isdigit() and req.method == "POST":
            return self._stop(req, parts, headers)
        if len(parts) >= 3 and parts[0] == "job" and (parts[-1] == "buildWithParameters" or
                                                      (parts[-2:] == ["api", "json"] and parts[-3].isdigit())):
            return self._builds(req, parts, headers)
        if len(parts) >= 4 and parts[-2:] == ["api", "json"] and parts[0] == "job":
            names = parts[:-2]
            if len(names) % 2 or any(names[i] != "job" for i in range(0, len(names), 2)):
                return self.not_found(req)
            path = "/".join(names[1::2])
            is_job = path in data["jobs"]
            is_folder = any(j.startswith(path + "/") for j in data["jobs"])
            if not (is_job or is_folder):
                return self.not_found(req)
            url = "%s/%s/" % (self.base_url, "/".join(parts[:-2]))
            if is_job:
                return J(200, {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": names[-1],
                               "builds": [self._build_json(path, b) for b in data["jobs"][path].get("builds", [])],
                               "fullName": path, "displayName": names[-1], "url": url, "buildable": True,
                               "color": "blue", "inQueue": False, "nextBuildNumber": 42,
                               "lastBuild": {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
                                             "number": 41, "url": url + "41/"}}, headers)
            return J(200, {"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": names[-1],
                           "fullName": path, "url": url, "jobs": []}, headers)
        return self.not_found(req)

    def _tree(self, data, prefix, tree, depth=None):
        """Job discovery: GET /api/json?tree=jobs[...,jobs[...]] as Jenkins answers it: the folders under prefix with
        their jobs, each job with its "parameters" (definitions: {"name", "type": "StringParameterDefinition" | ...,
        "defaultParameterValue": {"value"}, "choices"?, "description"}) and "description" only when the tree asks
        for them, as Jenkins keeps to the fields a tree names; folders only as deep as the tree nests jobs[...]. A job
        marked "gone" is not listed (deleted from Jenkins)."""
        depth = tree.count("jobs[") if depth is None else depth
        names = sorted({j[len(prefix):].split("/")[0] for j, v in data["jobs"].items()
                        if j.startswith(prefix) and not v.get("gone")})
        out = []
        for name in names:
            path = prefix + name
            url = "%s/job/%s/" % (self.base_url, path.replace("/", "/job/"))
            if path in data["jobs"]:
                job = data["jobs"][path]
                item = {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob", "name": name, "url": url}
                if "description" in tree:
                    item["description"] = job.get("description")
                if "parameterDefinitions" in tree:
                    item["property"] = [{"_class": "hudson.model.ParametersDefinitionProperty",
                                         "parameterDefinitions": [dict(d, _class="hudson.model." + d["type"])
                                                                  for d in job.get("parameters", [])]}] \
                        if job.get("parameters") else []
                out.append(item)
            elif depth > 1:
                out.append({"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": name, "url": url,
                            "jobs": self._tree(data, path + "/", tree, depth - 1)})
        return out

    def _build_json(self, path, b):
        return {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun", "number": b["number"],
                "url": "%s/job/%s/%d/" % (self.base_url, path.replace("/", "/job/"), b["number"]),
                "building": b["building"], "result": b["result"],
                "actions": [{"_class": "hudson.model.CauseAction"},
                            {"_class": "hudson.model.ParametersAction",
                             "parameters": [{"_class": "hudson.model.StringParameterValue", "name": k, "value": v}
                                            for k, v in b["parameters"].items()]}]}

    def _builds(self, req, parts, headers):
        names = parts[:-1] if parts[-1] == "buildWithParameters" else parts[:-3]
        if len(names) % 2 or any(names[i] != "job" for i in range(0, len(names), 2)):
            return self.not_found(req)
        path = "/".join(names[1::2])
        with self.lock:
            job = self.data["jobs"].get(path)
            if job is None:
                return self.not_found(req)
            builds = job.setdefault("builds", [])
            if parts[-1] != "buildWithParameters":
                found = [b for b in builds if b["number"] == int(parts[-3])]
                return J(200, self._build_json(path, found[0]), headers) if found else self.not_found(req)
            if req.method != "POST":
                return html(405, "Method Not Allowed", headers)
            params = {k: v[0] for k, v in urllib.parse.parse_qs(req.query).items()}
            number = 42 + len(builds)
            builds.insert(0, {"number": number, "building": True, "result": None, "parameters": params})
            queue = 7000 + number
        return html(201, "", dict(headers, Location="%s/queue/item/%d/" % (self.base_url, queue)))

    def _stop(self, req, parts, headers):
        """POST .../{n}/stop: aborts a running build; Jenkins answers 302 to the build's page either way."""
        names = parts[:-2]
        path = "/".join(names[1::2])
        with self.lock:
            found = [b for b in self.data["jobs"].get(path, {}).get("builds", []) if b["number"] == int(parts[-2])]
            if not found:
                return self.not_found(req)
            found[0]["stops"] = found[0].get("stops", 0) + 1
            if found[0]["building"]:
                found[0].update(building=False, result="ABORTED")
        return html(302, "", dict(headers, Location="%s/%s/" % (self.base_url, "/".join(parts[:-1]))))

    def finish_run(self, run_id, body):
        """Ends build "path#n" ("conclusion": success | failure | cancelled) and, with "webhook": {"url", "secret"},
        posts the job's signed callback there. The build's JSON."""
        from fakebase import send_hook
        path, _, number = run_id.rpartition("#")
        result = {"success": "SUCCESS", "failure": "FAILURE", "cancelled": "ABORTED"}[body.get("conclusion", "success")]
        with self.lock:
            build = [b for b in self.data["jobs"][path].get("builds", []) if b["number"] == int(number)][0]
            build.update(building=False, result=result)
            out = self._build_json(path, build)
        hook = body.get("webhook")
        if hook:
            send_hook(hook, *webhook(hook["secret"], callback_payload(job=path, number=int(number), status=result,
                                                                      branch="release")))
        return out


# Inbound webhooks: Jenkins signs nothing itself, so a job posts slipway's callback (docs/api.md, "Webhooks"): the
# Notification plugin's JSON with a sentAt time, X-Slipway-Delivery, and X-Slipway-Signature "sha256=" and the hex
# HMAC-SHA256 of the raw body under the webhook's secret.

def webhook(secret, payload, delivery=None):
    """(raw body, headers) of a Jenkins job's callback."""
    from fakebase import hmac_sha256_hex, webhook_body
    raw = webhook_body(payload)
    return raw, {"User-Agent": "Jenkins/2.462", "X-Slipway-Delivery": delivery or str(uuid.uuid4()),
                 "X-Slipway-Signature": "sha256=" + hmac_sha256_hex(secret, raw)}


def callback_payload(job="mobile/release", number=42, phase="COMPLETED", status="SUCCESS", branch="main",
                     commit="9e2d1c4b7a3f5e8d0c6b1a2f3e4d5c6b7a8f9e0d", sent_at=None):
    from fakebase import iso
    return {"name": job, "url": "job/%s/" % job.replace("/", "/job/"), "sentAt": sent_at or iso(),
            "build": {"full_url": "https://jenkins.example.com/job/%s/%d/" % (job.replace("/", "/job/"), number),
                      "number": number, "queue_id": 1337, "phase": phase, "status": status if phase != "STARTED" else None,
                      "url": "job/%s/%d/" % (job, number), "scm": {"branch": branch, "commit": commit}}}
