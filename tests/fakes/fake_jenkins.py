#!/usr/bin/env python3
"""The Jenkins fake (Basic auth with API tokens, crumbs)."""

import copy
import secrets
import uuid

from fakebase import basic_credentials, J, html, Provider


class Jenkins(Provider):
    """Jenkins (JSON API).

    data: {"users": {user: {"tokens": [api token]}}, "jobs": {"folder/job": {}, ...}, "crumbs": true,
           "crumb": "...", "crumbField": "Jenkins-Crumb" (older Jenkins said ".crumb")}
    Basic auth with a user's API token; anonymous is 403 (a secured Jenkins), a wrong token is 401.
    GET /crumbIssuer/api/json (404 when crumbs are off), /api/json, /job/a/job/b/api/json.  A POST needs
    the crumb in its crumbRequestField header.  notes["crumbSent"] tells whether a request carried it."""

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
        if parts == ["api", "json"]:
            tops = sorted({j.split("/")[0] for j in data["jobs"]})
            return J(200, {"_class": "hudson.model.Hudson", "assignedLabels": [{"name": "built-in"}],
                           "mode": "NORMAL", "nodeDescription": "the Jenkins controller's built-in node",
                           "nodeName": "", "numExecutors": 2, "description": None,
                           "jobs": [{"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": t,
                                     "url": "%s/job/%s/" % (self.base_url, t), "color": None} for t in tops],
                           "quietingDown": False, "slaveAgentPort": -1, "useCrumbs": data["crumbs"],
                           "useSecurity": True}, headers)
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
                               "fullName": path, "displayName": names[-1], "url": url, "buildable": True,
                               "color": "blue", "inQueue": False, "nextBuildNumber": 42,
                               "lastBuild": {"_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
                                             "number": 41, "url": url + "41/"}}, headers)
            return J(200, {"_class": "com.cloudbees.hudson.plugins.folder.Folder", "name": names[-1],
                           "fullName": path, "url": url, "jobs": []}, headers)
        return self.not_found(req)


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
