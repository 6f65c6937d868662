#!/usr/bin/env python3
"""HTTPS fakes of the providers slipway verifies credentials against.

docs/verification.md is the contract: slipway calls GitHub, GitLab,
Bitbucket, Gitea, App Store Connect, Google (OAuth token endpoint, Play
Developer API, Firebase Management API), Jenkins, CircleCI, Slack, Jira,
Linear, Azure DevOps, TestRail and an SMTP server.  Each fake here checks the
protocol as the real service does (authentication headers, signed JWTs with
their claims, grant types, crumbs, API versions) and answers like it: the
shape of the real JSON, the real status codes and headers, Slack's
`{"ok": false}` at HTTP 200, TestRail's 400 for an unknown project, Google's
`invalid_grant`.

Python 3 standard library only, plus the `openssl` command line (the throwaway
CA and server certificate, and the signature checks of ES256 and RS256 JWTs).
Everything listens on 127.0.0.1.

As a library:

    fakes = Fakes().start()
    fakes.env()        # SLIPWAY_*_URL values and SLIPWAY_CA_BUNDLE for slipway
    fakes.state()      # {"ca", "control", "providers": {name: {"url", "port"}}, "env", "smtp", ...}
    ...
    fakes.stop()

As a process (until SIGTERM or SIGINT):

    python3 tests/fakes/fakes.py serve STATEFILE

Control plane: plain HTTP on 127.0.0.1 (`control` in the state), JSON:

    GET    /state                          the state above
    GET    /seq                            {"seq": N}: the last request number (a mark)
    POST   /reset                          {"providers": [...]} or {} for all: data, rules, logs
    GET    /{provider}/data                the provider's data (what it knows)
    POST   /{provider}/data                deep-merge a JSON object into it (dicts merge, the rest replaces)
    PUT    /{provider}/data                replace it
    POST   /{provider}/rules               add a rule {"mode", "match"?, "path"?, "method"?, "times"?, "seconds"?}
    DELETE /{provider}/rules               drop every rule
    DELETE /{provider}/rules/{id}          drop one rule
    GET    /{provider}/requests?since=N    the requests it saw after mark N
    GET    /requests?since=N               every provider's requests after mark N

A rule switches the answers of the requests it applies to (all of them when
it has no `match`/`path`/`method`; `match` is a substring of the request's
method, path, query, headers, body, decoded Basic credentials and decoded JWT
claims; `times` limits how often it applies) into a mode: `401`, `403`,
`404`, `500`, `503`, `slow` (sleeps `seconds`, default 5, then answers
normally), `hold` (keeps the request unanswered until the rule is dropped,
then answers normally, or until the client gives up and closes the
connection, then never answers; at most `seconds`, default 30; either is
logged as an event {"hold": "released"|"abandoned"|"expired", "request":
the request's seq}, so a test can tell the order of arrivals and give-ups
without measuring time), `malformed` (200 with invalid JSON), `expired`,
`ratelimited` (`seconds`: when the limit resets), `close` (drops the
connection without an answer).  The SMTP fake takes `401`, `500`, `slow`,
`hold`, `close` and `nostarttls`.

Every request is logged with everything (method, path, query, headers,
body), the answer's status and `notes` (what the fake checked: a JWT's
header and claims and whether its signature verified, the crumb, ...).
The providers' data layouts are documented on each Provider class.
"""

import base64
import binascii
import copy
import datetime
import hashlib
import http.server
import json
import os
import re
import secrets
import select
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

HOST = "127.0.0.1"

# provider -> (environment variable, path appended to the fake's base URL)
ENV_VARS = {
    "github": ("SLIPWAY_GITHUB_API_URL", ""),
    "gitlab": ("SLIPWAY_GITLAB_URL", ""),
    "bitbucket": ("SLIPWAY_BITBUCKET_API_URL", ""),
    "appstore": ("SLIPWAY_APPSTORE_API_URL", ""),
    "google": ("SLIPWAY_GOOGLE_TOKEN_URL", "/token"),
    "play": ("SLIPWAY_PLAY_API_URL", ""),
    "firebase": ("SLIPWAY_FIREBASE_API_URL", ""),
    "slack": ("SLIPWAY_SLACK_API_URL", "/api"),
    "circleci": ("SLIPWAY_CIRCLECI_API_URL", "/api/v2"),
    "linear": ("SLIPWAY_LINEAR_API_URL", "/graphql"),
}
GOOGLE_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PLAY_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
FIREBASE_SCOPES = ("https://www.googleapis.com/auth/firebase", "https://www.googleapis.com/auth/cloud-platform",
                   "https://www.googleapis.com/auth/firebase.readonly")
GITHUB_API_VERSIONS = ("2022-11-28", "2026-03-10")


# --------------------------------------------------------------------------
# Small helpers


def now():
    return time.time()


def iso(ts=None, millis=False):
    moment = datetime.datetime.fromtimestamp(now() if ts is None else ts, datetime.timezone.utc)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def number(text, digits=9):
    """A stable positive integer for a string (ids of fake objects)."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % (10 ** digits) + 10 ** (digits - 1)


def b64url_decode(text):
    if isinstance(text, str):
        text = text.encode("ascii")
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def deep_merge(into, patch):
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            deep_merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


def basic_credentials(value):
    """(user, password) of an `Authorization: Basic` value, or None."""
    if not value or not value.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(value.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if ":" not in decoded:
        return None
    user, password = decoded.split(":", 1)
    return user, password


def bearer(value, schemes=("bearer",)):
    if not value or " " not in value:
        return None
    scheme, cred = value.split(" ", 1)
    return cred.strip() if scheme.lower() in schemes else None


JWT_RE = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")


def parse_jwt(token):
    """(header, claims, signing input bytes, signature bytes) or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return header, claims, (parts[0] + "." + parts[1]).encode("ascii"), signature


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def ecdsa_raw_to_der(raw):
    """JWS ES256 signature (R||S, 32 bytes each) -> DER ECDSA-Sig-Value, for openssl."""
    if len(raw) != 64:
        raise ValueError("an ES256 signature is 64 bytes, not %d" % len(raw))

    def integer(b):
        b = b.lstrip(b"\x00") or b"\x00"
        if b[0] & 0x80:
            b = b"\x00" + b
        return b"\x02" + _der_len(len(b)) + b

    body = integer(raw[:32]) + integer(raw[32:])
    return b"\x30" + _der_len(len(body)) + body


class OpenSSL:
    """The `openssl` command line in a private directory."""

    def __init__(self, workdir):
        self.workdir = workdir
        self._pub_cache = {}
        self._lock = threading.Lock()

    def run(self, *args, stdin=None):
        proc = subprocess.run(["openssl"] + list(args), cwd=self.workdir, input=stdin, capture_output=True,
                              timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("openssl %s: %s" % (" ".join(args), proc.stderr.decode("utf-8", "replace")))
        return proc.stdout

    def public_key(self, private_pem):
        """The PEM SubjectPublicKeyInfo of a PEM private key."""
        key = hashlib.sha256(private_pem.encode()).hexdigest()
        with self._lock:
            if key not in self._pub_cache:
                self._pub_cache[key] = self.run("pkey", "-pubout", stdin=private_pem.encode()).decode()
            return self._pub_cache[key]

    def verify(self, public_pem, data, signature_der):
        """True when signature_der is a SHA-256 signature of data by public_pem's key."""
        fd, base = tempfile.mkstemp(dir=self.workdir, prefix="verify-")
        os.close(fd)
        paths = [base + ".pub", base + ".data", base + ".sig"]
        try:
            for path, content in zip(paths, (public_pem.encode(), data, signature_der)):
                with open(path, "wb") as f:
                    f.write(content)
            proc = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths[0], "-signature", paths[2],
                                   paths[1]], capture_output=True, timeout=60)
            return proc.returncode == 0 and b"Verified OK" in proc.stdout
        finally:
            for path in paths + [base]:
                try:
                    os.unlink(path)
                except OSError:
                    pass


def make_tls(openssl, prefix, cn):
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost it signed.

    Returns (ca.pem, server.pem, server.key) paths."""
    d = openssl.workdir
    ca_key, ca_pem = prefix + "-ca.key", prefix + "-ca.pem"
    key, csr, crt, ext = prefix + "-server.key", prefix + "-server.csr", prefix + "-server.pem", prefix + "-ext.cnf"
    openssl.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", ca_key, "-out", ca_pem, "-days", "3", "-sha256",
                "-subj", "/CN=%s %s" % (cn, uuid.uuid4().hex[:8]),
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    with open(os.path.join(d, ext), "w") as f:
        f.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")
    openssl.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    openssl.run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
                "-days", "2", "-sha256", "-extfile", ext)
    return tuple(os.path.join(d, p) for p in (ca_pem, crt, key))


# --------------------------------------------------------------------------
# Requests and answers


class Request:
    def __init__(self, method, target, headers, body, base_url):
        self.method = method
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = split.query
        self.params = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        self.headers = headers  # email.message.Message: case-insensitive get
        self.header_list = [[k, v] for k, v in headers.items()]
        self.body = body
        self.base_url = base_url
        self.notes = {}

    def header(self, name):
        return self.headers.get(name)

    def param(self, name, default=None):
        values = self.params.get(name)
        return values[0] if values else default

    def segments(self, strip=""):
        """The path's segments, percent-decoded one by one (so %2F stays inside a segment)."""
        path = self.path
        if strip and path.startswith(strip):
            path = path[len(strip):]
        return [urllib.parse.unquote(s) for s in path.split("/")[1:]] if path.startswith("/") else []

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def form(self):
        try:
            return urllib.parse.parse_qs(self.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return {}

    def match_text(self, extra=""):
        parts = [self.method, self.path, self.query, self.body.decode("utf-8", "replace"), extra]
        for name, value in self.header_list:
            parts.append("%s: %s" % (name, value))
            creds = basic_credentials(value)
            if creds:
                parts.append("%s:%s" % creds)
        for blob in [v for _, v in self.header_list] + [self.body.decode("utf-8", "replace")]:
            for m in JWT_RE.finditer(blob):
                parsed = parse_jwt(m.group(0))
                if parsed:
                    parts.append(json.dumps(parsed[0]))
                    parts.append(json.dumps(parsed[1]))
        return "\n".join(parts)


class Resp:
    def __init__(self, status, body=b"", headers=None, content_type="application/json; charset=utf-8"):
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers = list((headers or {}).items()) if isinstance(headers, dict) else list(headers or [])
        if content_type and self.body and not any(k.lower() == "content-type" for k, _ in self.headers):
            self.headers.append(("Content-Type", content_type))

    def set_header(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]


def J(status, obj, headers=None):
    return Resp(status, json.dumps(obj), headers)


def html(status, text, headers=None):
    return Resp(status, "<html><head><title>%s</title></head><body><h1>%s</h1></body></html>" % (text, text), headers,
                "text/html;charset=utf-8")


# --------------------------------------------------------------------------
# Providers


def hold(owner, rule, sock):
    """`hold` mode for owner (a provider or the SMTP fake: .lock, .rules): waits until the rule is dropped
    ("released"), the client closes its connection ("abandoned": it has nothing else to send while it waits
    for an answer) or `seconds` pass ("expired")."""
    deadline = time.monotonic() + float(rule.get("seconds", 30))
    while time.monotonic() < deadline:
        with owner.lock:
            if not any(r.get("id") == rule["id"] for r in owner.rules):
                return "released"
        if select.select([sock], [], [], 0.05)[0]:
            return "abandoned"
    return "expired"


class Provider:
    """A fake service: `data` (what it knows, set through the control plane),
    `route(req)` for the protocol, and the answers of the rule modes."""

    name = None
    server_header = "fake"

    def __init__(self, fakes):
        self.fakes = fakes
        self.lock = threading.RLock()
        self.data = self.initial()
        self.rules = []
        self.base_url = None

    def initial(self):
        return {}

    def prepare(self, patch):
        """Adjust a registration before it is merged (derive public keys...)."""
        return patch

    def identity(self, req):
        """Extra text a rule's `match` may find (e.g. who an access token belongs to)."""
        return ""

    # -- rules --------------------------------------------------------------

    def add_rule(self, rule):
        rule = dict(rule)
        rule.setdefault("id", uuid.uuid4().hex[:12])
        with self.lock:
            self.rules.append(rule)
        return rule

    def take_rule(self, text, path, method):
        with self.lock:
            for rule in list(self.rules):
                if rule.get("path") and rule["path"] not in path:
                    continue
                if rule.get("method") and rule["method"].upper() != method:
                    continue
                if rule.get("match") and rule["match"] not in text:
                    continue
                if rule.get("times") is not None:
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self.rules.remove(rule)
                return dict(rule)
        return None

    # -- answers --------------------------------------------------------------

    def handle(self, req):
        try:
            return self.route(req)
        except Exception:  # a bug in the fake: say so loudly
            req.notes["fakeError"] = traceback.format_exc()
            sys.stderr.write("fake %s: %s\n" % (self.name, req.notes["fakeError"]))
            return J(500, {"message": "the fake crashed (see its log)"})

    def route(self, req):
        return self.not_found(req)

    def unauthorized(self, req):
        return J(401, {"message": "Unauthorized"})

    def forbidden(self, req):
        return J(403, {"message": "Forbidden"})

    def not_found(self, req):
        return J(404, {"message": "Not Found"})

    def server_error(self, req, status=500):
        return J(status, {"message": "Internal Server Error"})

    def expired(self, req):
        return self.unauthorized(req)

    def ratelimited(self, req, rule):
        return J(429, {"message": "Too Many Requests"}, {"Retry-After": str(rule.get("seconds", 30))})

    def malformed(self, req):
        return Resp(200, b'{"this is": "not JSON because it stops', content_type="application/json")

    def mode_answer(self, mode, req, rule):
        if mode == "401":
            return self.unauthorized(req)
        if mode == "403":
            return self.forbidden(req)
        if mode == "404":
            return self.not_found(req)
        if mode in ("500", "502", "503"):
            return self.server_error(req, int(mode))
        if mode == "malformed":
            return self.malformed(req)
        if mode == "expired":
            return self.expired(req)
        if mode == "ratelimited":
            return self.ratelimited(req, rule)
        raise ValueError("unknown mode %r" % mode)


# ---- GitHub -----------------------------------------------------------------


class GitHub(Provider):
    """GitHub REST (also under /api/v3, as GitHub Enterprise serves it).

    data: {"tokens": {token: {"login", "scopes": "repo, workflow" | null (fine-grained: no X-OAuth-Scopes),
                              "expiration": "2026-12-01 10:00:00 UTC" | null,
                              "repos": {"org/repo": {"admin", "maintain", "push", "triage", "pull"}}}},
           "repos": {"org/repo": {"default_branch": "main", "private": true, "workflows": ["release.yml"]}}}
    A token sees the repositories named in its `repos` (with those permissions)."""

    name = "github"
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

    def route(self, req):
        path = req.path
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
        return self._error(404, "Not Found", self.DOCS, headers)


# ---- GitLab -----------------------------------------------------------------


class GitLab(Provider):
    """GitLab REST v4.

    data: {"tokens": {token: {"username", "expired": false, "revoked": false,
                              "projects": {"group/project": {"project_access": 30, "group_access": null}}}},
           "projects": {"group/project": {"id": 1234, "pipelines": [{"id", "status", "ref"}]}}}
    `PRIVATE-TOKEN` (or `Authorization: Bearer`) authenticates; a project is visible to the tokens that list it."""

    name = "gitlab"
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

    def route(self, req):
        parts = req.segments()
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
                pipelines = project.get("pipelines", [])[:per_page]
                out = [{"id": p.get("id", 1000 + i), "iid": i + 1, "project_id": project.get("id"),
                        "sha": hashlib.sha1(str(i).encode()).hexdigest(), "ref": p.get("ref", "main"),
                        "status": p.get("status", "success"), "source": "push", "created_at": iso(millis=True),
                        "updated_at": iso(millis=True),
                        "web_url": "https://gitlab.example.com/%s/-/pipelines/%s" % (full, p.get("id", 1000 + i))}
                       for i, p in enumerate(pipelines)]
                return J(200, out, {"X-Page": "1", "X-Per-Page": str(per_page), "X-Total": str(len(out)),
                                    "X-Total-Pages": "1", "X-Next-Page": "", "X-Prev-Page": ""})
        return J(404, {"error": "404 Not Found"})


# ---- Bitbucket --------------------------------------------------------------


class Bitbucket(Provider):
    """Bitbucket Cloud 2.0.

    data: {"tokens": {token: {"username", "display_name", "repos": ["workspace/slug"]}}}"""

    name = "bitbucket"
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


# ---- Gitea ------------------------------------------------------------------


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


# ---- App Store Connect ------------------------------------------------------


class AppStore(Provider):
    """App Store Connect API.

    data: {"keys": {kid: {"issuer": issuer id, "publicKey": PEM (or "privateKey": PEM, turned into its
                          public key on registration), "revoked": false}},
           "apps": {issuer id: [{"id", "bundleId", "name", "sku"}]}}
    Every request needs `Authorization: Bearer <ES256 JWT>`; the fake checks the header (alg ES256, kid
    registered, typ JWT), the claims (iss = the key's issuer, aud = appstoreconnect-v1, iat not in the future,
    exp after now and at most iat + 1200) and the signature (raw R||S, verified with openssl).  The outcome is
    in the request's notes["jwt"]."""

    name = "appstore"
    server_header = "daiquiri/5"

    def initial(self):
        return {"keys": {}, "apps": {}}

    def prepare(self, patch):
        for info in (patch.get("keys") or {}).values():
            if isinstance(info, dict) and info.get("privateKey"):
                info["publicKey"] = self.fakes.openssl.public_key(info.pop("privateKey"))
        return patch

    def _errors(self, status, code, title, detail):
        return J(status, {"errors": [{"id": str(uuid.uuid4()), "status": str(status), "code": code, "title": title,
                                      "detail": detail}]})

    def unauthorized(self, req):
        return self._errors(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                            "Provide a properly configured and signed bearer token, and make sure that it has not "
                            "expired. Learn more about Generating Tokens for API Requests "
                            "https://developer.apple.com/go/?id=api-generating-tokens")

    def forbidden(self, req):
        return self._errors(403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons",
                            "The API key in use does not allow this request")

    def not_found(self, req):
        return self._errors(404, "NOT_FOUND", "The specified resource does not exist",
                            "The path provided does not match a defined resource type.")

    def server_error(self, req, status=500):
        return self._errors(status, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                            "An unexpected error occurred on the server side. If this issue continues, contact us at "
                            "https://developer.apple.com/contact/.")

    def ratelimited(self, req, rule):
        resp = self._errors(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                            "We've received too many requests for this API. Please wait and try again or slow down "
                            "your request rate.")
        resp.set_header("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:0;")
        return resp

    def check_jwt(self, req):
        """None when the bearer JWT is good, else why not (also in notes["jwt"])."""
        note = {"ok": False}
        req.notes["jwt"] = note
        token = bearer(req.header("Authorization"))
        if not token:
            note["why"] = "no bearer token"
            return note["why"]
        parsed = parse_jwt(token)
        if not parsed:
            note["why"] = "not a JWT"
            return note["why"]
        header, claims, signing_input, signature = parsed
        note.update(header=header, claims=claims)
        with self.lock:
            key = copy.deepcopy(self.data["keys"].get(header.get("kid")))
        t = now()
        problems = []
        if header.get("alg") != "ES256":
            problems.append("alg is not ES256")
        if header.get("typ") != "JWT":
            problems.append("typ is not JWT")
        if key is None:
            problems.append("unknown kid")
        elif key.get("revoked"):
            problems.append("revoked key")
        if key is not None and claims.get("iss") != key.get("issuer"):
            problems.append("iss is not the key's issuer")
        if claims.get("aud") != "appstoreconnect-v1":
            problems.append("aud is not appstoreconnect-v1")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or isinstance(iat, bool) or not isinstance(exp, int) or isinstance(exp, bool):
            problems.append("iat and exp must be integers")
        else:
            if iat > t + 60:
                problems.append("iat is in the future")
            if exp <= t:
                problems.append("expired")
            if exp - iat > 1200:
                problems.append("exp is more than 20 minutes after iat")
        if key is not None and not key.get("revoked"):
            try:
                good = self.fakes.openssl.verify(key["publicKey"], signing_input, ecdsa_raw_to_der(signature))
            except ValueError as e:
                good = False
                problems.append(str(e))
            note["signatureVerified"] = good
            if not good:
                problems.append("bad signature")
        if problems:
            note["why"] = "; ".join(problems)
            return note["why"]
        note["ok"] = True
        return None

    def route(self, req):
        if self.check_jwt(req):
            return self.unauthorized(req)
        issuer = req.notes["jwt"]["claims"]["iss"]
        parts = req.segments()
        if parts == ["v1", "apps"]:
            limit = req.param("limit", "50")
            if not limit.isdigit() or not 1 <= int(limit) <= 200:
                return self._errors(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
                                    "'%s' is not a valid value for the parameter 'limit'" % limit)
            with self.lock:
                apps = copy.deepcopy(self.data["apps"].get(issuer, []))
            wanted = req.param("filter[bundleId]")
            req.notes["filterBundleId"] = wanted
            if wanted is not None:
                apps = [a for a in apps if a.get("bundleId") in wanted.split(",")]
            apps = apps[:int(limit)]
            base = "https://api.appstoreconnect.apple.com/v1/apps"
            return J(200, {"data": [{"type": "apps", "id": str(a.get("id", number(a["bundleId"], 10))),
                                     "attributes": {"name": a.get("name", a["bundleId"]), "bundleId": a["bundleId"],
                                                    "sku": a.get("sku", "SKU-" + a["bundleId"]),
                                                    "primaryLocale": "en-US", "isOrEverWasMadeForKids": False},
                                     "links": {"self": base + "/" + str(a.get("id", number(a["bundleId"], 10)))}}
                                    for a in apps],
                           "links": {"self": base + ("?" + req.query if req.query else "")},
                           "meta": {"paging": {"total": len(apps), "limit": int(limit)}}})
        return self.not_found(req)


# ---- Google: OAuth token endpoint, Play Developer API, Firebase Management ----


class GoogleToken(Provider):
    """Google's OAuth 2.0 token endpoint (POST /token), the JWT bearer grant of RFC 7523.

    data: {"accounts": {email: {"publicKey": PEM (or "privateKey"), "disabled": false, "keyExpired": false}},
           "issued": {access token: {"email", "scope", "exp"}}  (filled by the fake)}
    Checks: form-encoded body, grant_type = urn:ietf:params:oauth:grant-type:jwt-bearer, the assertion's header
    (alg RS256) and claims (iss a registered account, aud = this endpoint's URL, scope present, iat not in the
    future, exp after now and at most iat + 3600) and its RS256 signature (openssl).  notes["jwt"] says what it
    found."""

    name = "google"
    server_header = "scaffolding on HTTPServer2"

    def initial(self):
        return {"accounts": {}, "issued": {}}

    def prepare(self, patch):
        for info in (patch.get("accounts") or {}).values():
            if isinstance(info, dict) and info.get("privateKey"):
                info["publicKey"] = self.fakes.openssl.public_key(info.pop("privateKey"))
        return patch

    def token_url(self):
        return self.base_url + "/token"

    def _err(self, status, error, description):
        return J(status, {"error": error, "error_description": description},
                 {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"})

    def unauthorized(self, req):
        return self._err(401, "invalid_client", "The OAuth client was not found.")

    def forbidden(self, req):
        return self._err(403, "access_denied", "Access denied.")

    def not_found(self, req):
        return Resp(404, "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
                         "<p><b>404.</b> <ins>That's an error.</ins>", content_type="text/html; charset=UTF-8")

    def server_error(self, req, status=500):
        return self._err(status, "internal_failure", "Backend Error")

    def expired(self, req):
        return self._err(400, "invalid_grant", "Invalid grant: the service account key has expired.")

    def route(self, req):
        if req.path != "/token":
            return self.not_found(req)
        if req.method != "POST":
            return Resp(405, "Method Not Allowed", {"Allow": "POST"}, "text/html; charset=UTF-8")
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        req.notes["contentType"] = ctype
        if ctype != "application/x-www-form-urlencoded":
            return self._err(400, "invalid_request", "Invalid Content-Type: %s" % (ctype or "(none)"))
        form = req.form()
        grant = (form.get("grant_type") or [None])[0]
        req.notes["grantType"] = grant
        if grant is None:
            return self._err(400, "invalid_request", "Missing required parameter: grant_type")
        if grant != GOOGLE_JWT_BEARER:
            return self._err(400, "unsupported_grant_type", "Invalid grant_type: " + grant)
        assertion = (form.get("assertion") or [None])[0]
        note = {"ok": False}
        req.notes["jwt"] = note
        if not assertion:
            return self._err(400, "invalid_request", "Missing required parameter: assertion")
        parsed = parse_jwt(assertion)
        if not parsed:
            note["why"] = "not a JWT"
            return self._err(400, "invalid_grant", "Invalid JWT: Failed to parse the JWT.")
        header, claims, signing_input, signature = parsed
        note.update(header=header, claims=claims)
        if header.get("alg") != "RS256":
            note["why"] = "alg is not RS256"
            return self._err(400, "invalid_grant", "Invalid JWT Signature.")
        with self.lock:
            account = copy.deepcopy(self.data["accounts"].get(claims.get("iss")))
        if account is None:
            note["why"] = "unknown iss"
            return self._err(400, "invalid_grant", "Invalid grant: account not found")
        good = self.fakes.openssl.verify(account["publicKey"], signing_input, signature)
        note["signatureVerified"] = good
        if not good:
            note["why"] = "bad signature"
            return self._err(400, "invalid_grant", "Invalid JWT Signature.")
        if account.get("disabled"):
            note["why"] = "disabled account"
            return self._err(400, "invalid_grant", "Invalid grant: account disabled")
        if account.get("keyExpired"):
            note["why"] = "expired key"
            return self.expired(req)
        if claims.get("aud") != self.token_url():
            note["why"] = "aud is not the token URL"
            return self._err(400, "invalid_grant", "Invalid JWT: Failed audience check. The expected audience is %s."
                             % self.token_url())
        iat, exp, t = claims.get("iat"), claims.get("exp"), now()
        if not isinstance(iat, int) or not isinstance(exp, int) or iat > t + 60 or exp <= t or exp - iat > 3600:
            note["why"] = "iat/exp"
            return self._err(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and "
                                                   "in a reasonable timeframe. Check your iat and exp values in the "
                                                   "JWT claim.")
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope.strip():
            note["why"] = "no scope"
            return self._err(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        note["ok"] = True
        access = "ya29.c." + secrets.token_urlsafe(48)
        with self.lock:
            self.data["issued"][access] = {"email": claims["iss"], "scope": scope, "exp": int(t) + 3599}
        return J(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"},
                 {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"})


class GoogleApi(Provider):
    """Shared by Play and Firebase: the bearer access token the token endpoint issued."""

    def google(self):
        return self.fakes.providers["google"]

    def token_info(self, req):
        token = bearer(req.header("Authorization"))
        if not token:
            return None
        with self.google().lock:
            info = copy.deepcopy(self.google().data["issued"].get(token))
        if info is None or info["exp"] <= now():
            return None
        return info

    def identity(self, req):
        info = self.token_info(req)
        return "google-account:%s" % info["email"] if info else ""

    def _gerr(self, status, message, state, extra=None):
        body = {"error": {"code": status, "message": message, "status": state}}
        body["error"].update(extra or {})
        return J(status, body, {"Vary": "Origin, X-Origin, Referer"})

    def unauthorized(self, req):
        return self._gerr(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                               "cookie or other valid authentication credential. See https://developers.google.com/"
                               "identity/sign-in/web/devconsole-project.", "UNAUTHENTICATED")

    def forbidden(self, req):
        return self._gerr(403, "The caller does not have permission", "PERMISSION_DENIED")

    def insufficient_scope(self, req):
        return self._gerr(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED",
                          {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com"}]})

    def server_error(self, req, status=500):
        return self._gerr(status, "Internal error encountered." if status == 500 else "The service is currently "
                                                                                     "unavailable.",
                          "INTERNAL" if status == 500 else "UNAVAILABLE")

    def ratelimited(self, req, rule):
        return self._gerr(429, "Quota exceeded.", "RESOURCE_EXHAUSTED")


class Play(GoogleApi):
    """Google Play Developer API v3, edits.

    data: {"packages": {package: {"accounts": [service account e-mails with access], "title"}},
           "edits": {edit id: {"package", "email", "deleted": false, "created"}}  (filled by the fake)}
    POST /androidpublisher/v3/applications/{package}/edits makes an edit; DELETE .../edits/{id} deletes it
    (204).  A token needs the androidpublisher scope."""

    name = "play"
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


class Firebase(GoogleApi):
    """Firebase Management API v1beta1: GET projects/{project}/{androidApps|iosApps|webApps}/{appId}.

    data: {"projects": {project id: {"accounts": [service account e-mails], "apps": {app id: {"platform":
           "android"|"ios"|"web", "displayName", "packageName"|"bundleId"}}}}}
    A token needs the firebase (or cloud-platform) scope; a project the account may not see is 403, as Google
    answers; an app that is not there (or asked for in another collection) is 404."""

    name = "firebase"
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


# ---- Jenkins ----------------------------------------------------------------


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


# ---- CircleCI ---------------------------------------------------------------


class CircleCI(Provider):
    """CircleCI API v2.

    data: {"tokens": {token: {"login", "projects": ["gh/org/repo", ...]}}}
    `Circle-Token` authenticates; gh/github and bb/bitbucket name the same VCS, as CircleCI treats them."""

    name = "circleci"
    server_header = "nginx"
    VCS = {"gh": "github", "github": "github", "bb": "bitbucket", "bitbucket": "bitbucket", "circleci": "circleci"}

    def initial(self):
        return {"tokens": {}}

    def unauthorized(self, req):
        return J(401, {"message": "You must log in first."})

    def not_found(self, req):
        return J(404, {"message": "Project not found"})

    def forbidden(self, req):
        return J(403, {"message": "Permission denied"})

    def server_error(self, req, status=500):
        return J(status, {"message": "Internal server error"})

    def _norm(self, slug):
        parts = slug.split("/")
        if len(parts) != 3 or parts[0] not in self.VCS:
            return None
        return "/".join([self.VCS[parts[0]]] + parts[1:])

    def route(self, req):
        if not req.path.startswith("/api/v2/"):
            return J(404, {"message": "Not found"})
        token = req.header("Circle-Token")
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token)) if token else None
        if info is None:
            return self.unauthorized(req)
        rest = urllib.parse.unquote(req.path[len("/api/v2/"):])
        login = info.get("login", "circle-bot")
        if rest == "me":
            return J(200, {"id": str(uuid.UUID(int=number(login, 30))), "login": login, "name": login.title()})
        if rest.startswith("project/"):
            slug = rest[len("project/"):]
            wanted = self._norm(slug)
            known = {self._norm(s) for s in info.get("projects", [])}
            if wanted is None or wanted not in known:
                return self.not_found(req)
            vcs, org, repo = slug.split("/")
            provider = {"github": "GitHub", "bitbucket": "Bitbucket", "circleci": "CircleCI"}[self.VCS[vcs]]
            return J(200, {"slug": slug, "name": repo, "id": str(uuid.UUID(int=number(wanted, 30))),
                           "organization_name": org, "organization_slug": vcs + "/" + org,
                           "organization_id": str(uuid.UUID(int=number(org, 30))),
                           "vcs_info": {"vcs_url": "https://%s.com/%s/%s" % (self.VCS[vcs], org, repo),
                                        "provider": provider, "default_branch": "main"}})
        return J(404, {"message": "Not found"})


# ---- Slack ------------------------------------------------------------------


class Slack(Provider):
    """Slack Web API: auth.test, conversations.info, conversations.list (cursor pagination), chat.postMessage.

    data: {"tokens": {token: {"team_id", "team", "user", "user_id", "bot_id",
                              "scopes": "chat:write,channels:read,groups:read", "error": null | "token_revoked"...}},
           "teams": {team_id: {"page_size": 2, "channels": [{"id", "name", "is_private", "members": [user ids]}]}},
           "posted": [...]  (filled by the fake)}
    Errors are HTTP 200 {"ok": false, "error": ...}, as Slack answers; rate limiting is 429 + Retry-After."""

    name = "slack"
    server_header = "Apache"

    def initial(self):
        return {"tokens": {}, "teams": {}, "posted": []}

    def _ok(self, obj, scopes=None, accepted=""):
        body = {"ok": True}
        body.update(obj)
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex, "X-Accepted-OAuth-Scopes": accepted}
        if scopes is not None:
            headers["X-OAuth-Scopes"] = scopes
        return J(200, body, headers)

    def _fail(self, error, status=200, **extra):
        body = {"ok": False, "error": error}
        body.update(extra)
        return J(status, body, {"X-Slack-Req-Id": uuid.uuid4().hex})

    def unauthorized(self, req):
        return self._fail("invalid_auth")

    def forbidden(self, req):
        return self._fail("account_inactive")

    def not_found(self, req):
        return self._fail("channel_not_found")

    def expired(self, req):
        return self._fail("token_expired")

    def server_error(self, req, status=500):
        return self._fail("fatal_error", status)

    def ratelimited(self, req, rule):
        return J(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(rule.get("seconds", 30))})

    def _token(self, req):
        token = bearer(req.header("Authorization"))
        if token is None:
            ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                token = (req.form().get("token") or [None])[0]
            if token is None:
                token = req.param("token")
        return token

    def _args(self, req):
        args = {k: v[0] for k, v in req.params.items()}
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if req.method == "POST" and ctype == "application/x-www-form-urlencoded":
            args.update({k: v[0] for k, v in req.form().items()})
        elif req.method == "POST" and ctype == "application/json":
            body = req.json()
            if isinstance(body, dict):
                args.update(body)
        return args

    @staticmethod
    def _channel(c, user_id):
        return {"id": c["id"], "name": c["name"], "name_normalized": c["name"],
                "is_channel": not c.get("is_private", False), "is_group": False, "is_im": False, "is_mpim": False,
                "is_private": c.get("is_private", False), "is_archived": c.get("is_archived", False),
                "is_general": c.get("is_general", False), "is_shared": False, "is_ext_shared": False,
                "is_org_shared": False, "is_member": user_id in c.get("members", []), "created": 1600000000,
                "creator": "U0000000001", "unlinked": 0, "num_members": len(c.get("members", [])),
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0}}

    def route(self, req):
        parts = req.segments()
        if len(parts) != 2 or parts[0] != "api":
            return Resp(404, "", content_type=None)
        method = parts[1]
        token = self._token(req)
        if not token:
            return self._fail("not_authed")
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token))
            teams = copy.deepcopy(self.data["teams"])
        if info is None:
            return self._fail("invalid_auth")
        if info.get("error"):
            return self._fail(info["error"])
        scopes = info.get("scopes", "chat:write,channels:read,groups:read")
        scope_set = set(scopes.split(","))
        team = teams.get(info.get("team_id"), {})
        channels = team.get("channels", [])
        user_id = info.get("user_id", "U0BOT")
        args = self._args(req)
        if method == "auth.test":
            return self._ok({"url": "https://%s.slack.com/" % info.get("team", "team").lower(),
                             "team": info.get("team", "Team"), "user": info.get("user", "slipway"),
                             "team_id": info.get("team_id", "T0TEAM"), "user_id": user_id,
                             "bot_id": info.get("bot_id", "B0BOT"), "is_enterprise_install": False}, scopes)
        if method == "conversations.info":
            cid = args.get("channel")
            if not cid:
                return self._fail("channel_not_found")
            found = [c for c in channels if c["id"] == cid]
            if not found or (found[0].get("is_private") and user_id not in found[0].get("members", [])):
                return self._fail("channel_not_found")
            needed = "groups:read" if found[0].get("is_private") else "channels:read"
            if needed not in scope_set:
                return self._fail("missing_scope", needed=needed, provided=scopes)
            return self._ok({"channel": self._channel(found[0], user_id)}, scopes, needed)
        if method == "conversations.list":
            types = (args.get("types") or "public_channel").split(",")
            for t in types:
                if t not in ("public_channel", "private_channel", "mpim", "im"):
                    return self._fail("invalid_types")
            needed = [s for t, s in (("public_channel", "channels:read"), ("private_channel", "groups:read"))
                      if t in types and s not in scope_set]
            if needed:
                return self._fail("missing_scope", needed=",".join(needed), provided=scopes)
            try:
                limit = int(args.get("limit", 100))
            except ValueError:
                return self._fail("invalid_limit")
            if limit > 1000:
                return self._fail("invalid_limit")
            visible = [c for c in channels
                       if (("private_channel" in types and c.get("is_private") and user_id in c.get("members", []))
                           or ("public_channel" in types and not c.get("is_private")))]
            start = 0
            cursor = args.get("cursor")
            if cursor:
                try:
                    start = int(base64.b64decode(cursor).decode().split(":", 1)[1])
                except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
                    return self._fail("invalid_cursor")
            size = max(1, min(limit or 100, team.get("page_size", 100)))
            page = visible[start:start + size]
            nxt = base64.b64encode(("next:%d" % (start + size)).encode()).decode() \
                if start + size < len(visible) else ""
            return self._ok({"channels": [self._channel(c, user_id) for c in page],
                             "response_metadata": {"next_cursor": nxt}}, scopes, "channels:read,groups:read")
        if method == "chat.postMessage":
            if "chat:write" not in scope_set:
                return self._fail("missing_scope", needed="chat:write", provided=scopes)
            cid = args.get("channel")
            found = [c for c in channels if cid in (c["id"], c["name"], "#" + c["name"])]
            if not found:
                return self._fail("channel_not_found")
            if user_id not in found[0].get("members", []):
                return self._fail("not_in_channel")
            ts = "%.6f" % now()
            with self.lock:
                self.data["posted"].append({"channel": found[0]["id"], "text": args.get("text"),
                                            "blocks": args.get("blocks"), "ts": ts})
            return self._ok({"channel": found[0]["id"], "ts": ts, "message": {"text": args.get("text"), "ts": ts}},
                            scopes, "chat:write")
        return self._fail("unknown_method")


# ---- Jira -------------------------------------------------------------------


class Jira(Provider):
    """Jira Cloud REST v3: /rest/api/3/myself, /rest/api/3/project/{key}.

    data: {"users": {email: {"tokens": [api token], "accountId", "displayName"}},
           "projects": {key: {"id", "name", "users": [emails] | null (everyone)}}}"""

    name = "jira"
    server_header = "AtlassianEdge"

    def initial(self):
        return {"users": {}, "projects": {}}

    def _headers(self):
        return {"X-AREQUESTID": uuid.uuid4().hex[:12], "Timing-Allow-Origin": "*"}

    def unauthorized(self, req):
        return J(401, {"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}},
                 dict(self._headers(), **{"X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
                                          "WWW-Authenticate": 'OAuth realm="https%3A%2F%2Fexample.atlassian.net"'}))

    def forbidden(self, req):
        return J(403, {"errorMessages": ["You do not have permission to view this project."], "errors": {}},
                 self._headers())

    def not_found(self, req):
        key = req.segments()[-1] if req.segments() else ""
        return J(404, {"errorMessages": ["No project could be found with key '%s'." % key], "errors": {}},
                 self._headers())

    def server_error(self, req, status=500):
        return J(status, {"errorMessages": ["Internal server error"], "errors": {}}, self._headers())

    def route(self, req):
        parts = req.segments()
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            users = copy.deepcopy(self.data["users"])
            projects = copy.deepcopy(self.data["projects"])
        user = users.get(creds[0]) if creds else None
        if user is None or creds[1] not in user.get("tokens", []):
            return self.unauthorized(req)
        email = creds[0]
        headers = dict(self._headers(), **{"X-AACCOUNTID": user.get("accountId", "5b10ac8d82e05b22cc7d4ef5")})
        if parts == ["rest", "api", "3", "myself"]:
            return J(200, {"self": "%s/rest/api/3/user?accountId=%s" % (self.base_url, user.get("accountId", "x")),
                           "accountId": user.get("accountId", "5b10ac8d82e05b22cc7d4ef5"),
                           "accountType": "atlassian", "emailAddress": email,
                           "displayName": user.get("displayName", email.split("@")[0]), "active": True,
                           "timeZone": "Etc/UTC", "locale": "en_US", "groups": {"size": 1, "items": []},
                           "applicationRoles": {"size": 1, "items": []}}, headers)
        if len(parts) == 5 and parts[:4] == ["rest", "api", "3", "project"]:
            key = parts[4]
            project = projects.get(key)
            if project is None or (project.get("users") is not None and email not in project["users"]):
                return self.not_found(req)
            return J(200, {"self": "%s/rest/api/3/project/%s" % (self.base_url, project.get("id", number(key, 5))),
                           "id": str(project.get("id", number(key, 5))), "key": key,
                           "name": project.get("name", key + " project"), "projectTypeKey": "software",
                           "simplified": False, "style": "classic", "isPrivate": False,
                           "issueTypes": [{"id": "10000", "name": "Epic"}, {"id": "10001", "name": "Task"}]}, headers)
        return J(404, {"errorMessages": ["null for uri: %s%s" % (self.base_url, req.path)], "errors": {}})


# ---- Linear -----------------------------------------------------------------


class Linear(Provider):
    """Linear GraphQL: the viewer and a team.

    data: {"keys": {api key: {"viewer": {"id", "name"}, "teams": [team ids]}},
           "teams": {team id: {"name"}}, "authErrorStatus": 401}
    `Authorization: <api key>` (a personal API key is sent bare; "Bearer <key>" is refused as Linear does).
    Errors in GraphQL's shape: an authentication error at HTTP `authErrorStatus`, a missing team as
    "Entity not found: Team" at HTTP 200 with data null."""

    name = "linear"
    server_header = "cloudflare"
    TEAM_RE = re.compile(r'\bteam\s*\(\s*id\s*:\s*(?:"((?:[^"\\]|\\.)*)"|\$(\w+))\s*\)')

    def initial(self):
        return {"keys": {}, "teams": {}, "authErrorStatus": 401}

    def _errors(self, status, message, code, type_, presentable, path=None):
        err = {"message": message, "extensions": {"type": type_, "code": code, "statusCode": status,
                                                  "userError": True, "userPresentableMessage": presentable}}
        if path:
            err["path"] = path
            err["locations"] = [{"line": 1, "column": 1}]
        return err

    def unauthorized(self, req):
        with self.lock:
            status = self.data.get("authErrorStatus", 401)
        return J(status, {"errors": [self._errors(401, "Authentication required, not authenticated",
                                                  "AUTHENTICATION_ERROR", "authentication error",
                                                  "You need to authenticate to access this operation.")]})

    def forbidden(self, req):
        return J(403, {"errors": [self._errors(403, "Forbidden", "FORBIDDEN", "forbidden",
                                               "You don't have permission to access this resource.")]})

    def not_found(self, req):
        return J(200, {"data": None, "errors": [self._errors(404, "Entity not found: Team", "INPUT_ERROR",
                                                             "invalid input", "Could not find referenced Team.",
                                                             ["team"])]})

    def server_error(self, req, status=500):
        return J(status, {"errors": [{"message": "Internal server error",
                                      "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})

    def ratelimited(self, req, rule):
        return J(429, {"errors": [self._errors(429, "Rate limit exceeded", "RATELIMITED", "ratelimited",
                                               "You have exceeded the rate limit.")]},
                 {"X-RateLimit-Requests-Remaining": "0",
                  "X-RateLimit-Requests-Reset": str(int((now() + rule.get("seconds", 60)) * 1000))})

    def route(self, req):
        if req.path != "/graphql":
            return Resp(404, "Cannot %s %s" % (req.method, req.path), content_type="text/html")
        if req.method != "POST":
            return J(400, {"errors": [{"message": "GET query missing."}]})
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        req.notes["contentType"] = ctype
        body = req.json() if ctype == "application/json" else None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return J(400, {"errors": [{"message": "Must provide query string."}]})
        query, variables = body["query"], body.get("variables") or {}
        req.notes["query"] = query
        auth = req.header("Authorization") or ""
        if auth.lower().startswith("bearer lin_api_"):
            return J(400, {"errors": [self._errors(400, "It looks like you're trying to use an API key as a Bearer "
                                                        "token. Remove the Bearer prefix from the Authorization "
                                                        "header.", "AUTHENTICATION_ERROR", "authentication error",
                                                   "Invalid authorization header.")]})
        with self.lock:
            key = copy.deepcopy(self.data["keys"].get(auth))
            teams = copy.deepcopy(self.data["teams"])
        if key is None:
            return self.unauthorized(req)
        data = {}
        if re.search(r"\bviewer\s*\{", query):
            data["viewer"] = dict({"id": str(uuid.uuid4()), "name": "Linear Bot"}, **key.get("viewer", {}))
        m = self.TEAM_RE.search(query)
        if m:
            team_id = m.group(1) if m.group(1) is not None else variables.get(m.group(2))
            req.notes["teamId"] = team_id
            if team_id not in teams or team_id not in key.get("teams", []):
                return self.not_found(req)
            data["team"] = {"id": team_id, "name": teams[team_id].get("name", "Team"),
                            "key": teams[team_id].get("key", "TEAM")}
        return J(200, {"data": data})


# ---- Azure DevOps -----------------------------------------------------------


class Azure(Provider):
    """Azure DevOps REST: GET /{organization}/_apis/projects/{project}?api-version=7.0.

    data: {"pats": {pat: {"orgs": [organizations], "expired": false}},
           "projects": {"organization/project": {"id", "name"}}}
    Basic auth with any user name (slipway sends an empty one) and the PAT as password."""

    name = "azure"
    server_header = ""

    def initial(self):
        return {"pats": {}, "projects": {}}

    def _headers(self):
        return {"ActivityId": str(uuid.uuid4()), "X-TFS-ProcessId": str(uuid.uuid4()), "X-VSS-E2EID": str(uuid.uuid4())}

    def unauthorized(self, req):
        return Resp(401, "", dict(self._headers(), **{"WWW-Authenticate": 'Basic realm="https://dev.azure.com/"',
                                                      "X-TFS-FedAuthRealm": "https://app.vssps.visualstudio.com/"}),
                    content_type=None)

    def expired(self, req):
        return html(401, "Access Denied: The Personal Access Token used has expired.", self._headers())

    def _vss(self, status, message, type_key):
        return J(status, {"$id": "1", "innerException": None, "message": message,
                          "typeName": "Microsoft.TeamFoundation.Core.WebApi.%s, Microsoft.TeamFoundation.Core.WebApi"
                                      % type_key, "typeKey": type_key, "errorCode": 0, "eventId": 3000},
                 self._headers())

    def forbidden(self, req):
        return self._vss(403, "TF400813: The user is not authorized to access this resource.",
                         "UnauthorizedRequestException")

    def not_found(self, req):
        parts = req.segments()
        name = parts[-1] if parts else ""
        return self._vss(404, "TF200016: The following project does not exist: %s. Verify that the name of the "
                              "project is correct and that the project exists on the specified Azure DevOps Server."
                         % name, "ProjectDoesNotExistWithNameException")

    def server_error(self, req, status=500):
        return self._vss(status, "VS402371: An unexpected error occurred.", "VssServiceException")

    def route(self, req):
        parts = req.segments()
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            pat = copy.deepcopy(self.data["pats"].get(creds[1])) if creds else None
            projects = copy.deepcopy(self.data["projects"])
        if len(parts) != 4 or parts[1:3] != ["_apis", "projects"]:
            return self._vss(404, "The resource cannot be found.", "VssResourceNotFoundException")
        org = parts[0]
        if pat is None or org not in pat.get("orgs", []):
            return self.unauthorized(req)
        if pat.get("expired"):
            return self.expired(req)
        if not req.param("api-version"):
            return self._vss(400, 'No api-version was supplied for the "GET" request. The version must be supplied '
                                  'either as part of the Accept header (e.g. "application/json; api-version=1.0") or '
                                  'as a query parameter (e.g. "?api-version=1.0").', "VssVersionNotSpecifiedException")
        project = projects.get(org + "/" + parts[3])
        if project is None:
            return self.not_found(req)
        pid = project.get("id", str(uuid.UUID(int=number(org + parts[3], 30))))
        return J(200, {"id": pid, "name": project.get("name", parts[3]),
                       "url": "%s/%s/_apis/projects/%s" % (self.base_url, org, pid), "state": "wellFormed",
                       "revision": 11, "visibility": "private", "lastUpdateTime": iso(millis=True),
                       "defaultTeam": {"id": str(uuid.uuid4()), "name": parts[3] + " Team"},
                       "_links": {"self": {"href": "%s/%s/_apis/projects/%s" % (self.base_url, org, pid)}}},
                 self._headers())


# ---- TestRail ---------------------------------------------------------------


class TestRail(Provider):
    """TestRail API v2: GET index.php?/api/v2/get_project/{id}.

    data: {"users": {email: {"keys": [api keys]}}, "projects": {"7": {"name", "users": [emails] | null}}}
    An unknown project is 400 "Field :project_id is not a valid or accessible project.", as TestRail answers
    (its documentation: 400 invalid or unknown project, 403 no access)."""

    name = "testrail"
    server_header = "Apache"

    def initial(self):
        return {"users": {}, "projects": {}}

    def unauthorized(self, req):
        return J(401, {"error": "Authentication failed: invalid or missing user/password or session cookie."})

    def forbidden(self, req):
        return J(403, {"error": "The requested project does not exist or you do not have the permissions to access "
                                "it."})

    def not_found(self, req):
        return J(400, {"error": "Field :project_id is not a valid or accessible project."})

    def server_error(self, req, status=500):
        return J(status, {"error": "An unexpected error occurred."})

    def route(self, req):
        if req.path != "/index.php":
            return html(404, "Not Found")
        req.notes["contentType"] = req.header("Content-Type")
        m = re.match(r"^/api/v2/([a-z_]+)(?:/(\d+))?(?:&.*)?$", urllib.parse.unquote(req.query))
        creds = basic_credentials(req.header("Authorization"))
        with self.lock:
            users = copy.deepcopy(self.data["users"])
            projects = copy.deepcopy(self.data["projects"])
        if creds is None or creds[1] not in users.get(creds[0], {}).get("keys", []):
            return self.unauthorized(req)
        if not m:
            return J(400, {"error": "Unknown method '%s'" % req.query})
        if m.group(1) != "get_project":
            return J(400, {"error": "Unknown method '%s'" % m.group(1)})
        if m.group(2) is None:
            return J(400, {"error": "Field :project_id is a required field."})
        pid = m.group(2)
        project = projects.get(pid)
        if project is None:
            return self.not_found(req)
        if project.get("users") is not None and creds[0] not in project["users"]:
            return self.forbidden(req)
        return J(200, {"id": int(pid), "name": project.get("name", "Project %s" % pid), "announcement": None,
                       "show_announcement": False, "is_completed": False, "completed_on": None, "suite_mode": 1,
                       "default_role_id": None, "url": "%s/index.php?/projects/overview/%s" % (self.base_url, pid),
                       "users": [], "groups": []})


PROVIDER_CLASSES = (GitHub, GitLab, Bitbucket, Gitea, AppStore, GoogleToken, Play, Firebase, Jenkins, CircleCI, Slack,
                    Jira, Linear, Azure, TestRail)
PROVIDERS = tuple(c.name for c in PROVIDER_CLASSES)


class Untrusted(GitHub):
    """A GitHub fake whose certificate no CA in SLIPWAY_CA_BUNDLE signed (TLS failures)."""

    name = "untrusted"


# --------------------------------------------------------------------------
# HTTPS servers


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server.provider.server_header or "fake"

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        server = self.server
        provider = server.provider
        body = self._read_body()
        req = Request(self.command, self.path, self.headers, body, provider.base_url)
        entry = server.fakes.log_request(provider.name, req)
        rule = provider.take_rule(req.match_text(provider.identity(req)), req.path, req.method)
        resp = None
        if rule is not None:
            entry["rule"] = rule
            mode = rule["mode"]
            if mode == "slow":
                time.sleep(float(rule.get("seconds", 5)))
            elif mode == "hold":
                entry["hold"] = hold(provider, rule, self.connection)
                server.fakes.log_event(provider.name, {"hold": entry["hold"], "request": entry["seq"]})
                if entry["hold"] == "abandoned":
                    self.close_connection = True
                    return
            elif mode == "close":
                entry["status"] = None
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            else:
                resp = provider.mode_answer(mode, req, rule)
        if resp is None:
            resp = provider.handle(req)
        entry["status"] = resp.status
        entry["notes"] = req.notes
        entry["responseHeaders"] = [[k, v] for k, v in resp.headers]
        entry["responseBody"] = resp.body.decode("utf-8", "replace")
        try:
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            if self.command != "HEAD" or resp.body:
                self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(resp.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError) as e:
            entry["sendError"] = str(e)
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 drops SYNs when slipway opens many connections at once

    def __init__(self, fakes, provider, ctx):
        self.fakes, self.provider, self.ctx = fakes, provider, ctx
        super().__init__((HOST, 0), _Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.fakes.log_event(self.provider.name, {"tlsError": str(e)})
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            try:
                tls.close()
            except OSError:
                pass


# --------------------------------------------------------------------------
# SMTP


class Smtp:
    """An SMTP server: STARTTLS (the same certificate), then AUTH PLAIN/LOGIN, NOOP, MAIL/RCPT/DATA.

    data: {"users": {user: password}, "requireAuth": true}
    AUTH and MAIL before STARTTLS are refused (530), as a submission server does.  Each session is logged:
    {"commands": [...], "tls", "auth" (the user, when AUTH succeeded), "authFailed", "messages": [...]}"""

    name = "smtp"

    def __init__(self, fakes, ctx):
        self.fakes, self.ctx = fakes, ctx
        self.lock = threading.RLock()
        self.data = self.initial()
        self.rules = []
        self.base_url = None

    def initial(self):
        return {"users": {}, "requireAuth": True}

    prepare = Provider.prepare
    add_rule = Provider.add_rule
    take_rule = Provider.take_rule

    def start(self):
        fake = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                fake.session(self.request)

        class S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            block_on_close = False
            allow_reuse_address = True
            request_queue_size = 128

        self.server = S((HOST, 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def session(self, sock):
        sock.settimeout(30)
        log = {"commands": [], "tls": False, "auth": None, "authFailed": False, "messages": [], "quit": False}
        entry = self.fakes.log_event(self.name, {"session": log})
        rule = self.take_rule("", "", "")
        if rule:
            entry["rule"] = rule
        mode = rule["mode"] if rule else None
        if mode == "slow":
            time.sleep(float(rule.get("seconds", 5)))
        if mode == "hold":
            log["hold"] = hold(self, rule, sock)
            self.fakes.log_event(self.name, {"hold": log["hold"], "request": entry["seq"]})
            if log["hold"] == "abandoned":
                sock.close()
                return
        if mode == "close":
            sock.close()
            return
        state = {"sock": sock, "rfile": sock.makefile("rb")}

        def send(line):
            state["sock"].sendall((line + "\r\n").encode())

        def readline():
            line = state["rfile"].readline(65536)
            if not line:
                raise EOFError
            return line.decode("utf-8", "replace").rstrip("\r\n")

        try:
            if mode in ("500", "503"):
                send("421 4.3.2 Service not available, closing transmission channel")
                return
            send("220 smtp.fake.test ESMTP ready")
            with self.lock:
                data = copy.deepcopy(self.data)
            starttls = mode != "nostarttls"
            authed, mail_from, rcpts = None, None, []
            while True:
                line = readline()
                verb = line.split(" ", 1)[0].upper()
                log["commands"].append(line if verb != "AUTH" else line.split(" ")[0] + " " +
                                       (line.split(" ")[1] if len(line.split(" ")) > 1 else ""))
                if verb in ("EHLO", "HELO"):
                    caps = ["smtp.fake.test Hello", "PIPELINING", "SIZE 10240000", "8BITMIME"]
                    if starttls and not log["tls"]:
                        caps.append("STARTTLS")
                    if log["tls"] or not starttls:
                        caps.append("AUTH PLAIN LOGIN")
                    if verb == "HELO":
                        send("250 smtp.fake.test")
                        continue
                    for c in caps[:-1]:
                        send("250-" + c)
                    send("250 " + caps[-1])
                elif verb == "STARTTLS":
                    if not starttls or log["tls"]:
                        send("502 5.5.1 Unrecognized command.")
                        continue
                    send("220 2.0.0 Ready to start TLS")
                    try:
                        tls = self.ctx.wrap_socket(state["sock"], server_side=True)
                    except (ssl.SSLError, OSError) as e:
                        log["tlsError"] = str(e)
                        return
                    state["sock"], state["rfile"] = tls, tls.makefile("rb")
                    log["tls"] = True
                    authed = None
                elif verb == "AUTH":
                    if starttls and not log["tls"]:
                        send("530 5.7.0 Must issue a STARTTLS command first")
                        continue
                    args = line.split(" ")[1:]
                    mech = args[0].upper() if args else ""
                    user = password = None
                    try:
                        if mech == "PLAIN":
                            blob = args[1] if len(args) > 1 else None
                            if blob is None:
                                send("334 ")
                                blob = readline()
                            fields = base64.b64decode(blob).decode().split("\0")
                            user, password = fields[1], fields[2]
                        elif mech == "LOGIN":
                            if len(args) > 1:
                                user = base64.b64decode(args[1]).decode()
                            else:
                                send("334 VXNlcm5hbWU6")
                                user = base64.b64decode(readline()).decode()
                            send("334 UGFzc3dvcmQ6")
                            password = base64.b64decode(readline()).decode()
                        else:
                            send("504 5.5.4 Unrecognized authentication type")
                            continue
                    except (binascii.Error, UnicodeDecodeError, IndexError):
                        send("501 5.5.2 Cannot decode response")
                        continue
                    log["authMechanism"] = mech
                    if mode != "401" and data["users"].get(user) == password:
                        authed = user
                        log["auth"] = user
                        send("235 2.7.0 Authentication successful")
                    else:
                        log["authFailed"] = True
                        send("535 5.7.8 Authentication credentials invalid")
                elif verb == "NOOP":
                    log["noop"] = True
                    send("250 2.0.0 OK")
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    send("250 2.0.0 OK")
                elif verb == "MAIL":
                    if starttls and not log["tls"]:
                        send("530 5.7.0 Must issue a STARTTLS command first")
                    elif data.get("requireAuth", True) and not authed:
                        send("530 5.7.0 Authentication required")
                    else:
                        mail_from, rcpts = line[5:].strip(), []
                        send("250 2.1.0 Sender OK")
                elif verb == "RCPT":
                    if mail_from is None:
                        send("503 5.5.1 Error: need MAIL command")
                    else:
                        rcpts.append(line[5:].strip())
                        send("250 2.1.5 Recipient OK")
                elif verb == "DATA":
                    if not rcpts:
                        send("503 5.5.1 Error: need RCPT command")
                        continue
                    send("354 End data with <CR><LF>.<CR><LF>")
                    lines = []
                    while True:
                        l = readline()
                        if l == ".":
                            break
                        lines.append(l[1:] if l.startswith("..") else l)
                    log["messages"].append({"from": mail_from, "to": rcpts, "data": "\r\n".join(lines)})
                    mail_from, rcpts = None, []
                    send("250 2.0.0 OK: queued as %s" % uuid.uuid4().hex[:10].upper())
                elif verb == "QUIT":
                    log["quit"] = True
                    send("221 2.0.0 Bye")
                    return
                else:
                    send("502 5.5.2 Error: command not recognized")
        except (EOFError, OSError, ssl.SSLError):
            return
        finally:
            try:
                state["sock"].close()
            except OSError:
                pass


# --------------------------------------------------------------------------
# Control plane


class _ControlHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return {}
        return json.loads(self.rfile.read(length).decode("utf-8"))

    def _handle(self):
        fakes = self.server.fakes
        split = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(split.query)
        parts = [p for p in split.path.split("/") if p]
        try:
            body = self._body() if self.command in ("POST", "PUT") else {}
            since = int(params.get("since", ["0"])[0])
            if parts == ["state"] and self.command == "GET":
                return self._send(200, fakes.state())
            if parts == ["seq"] and self.command == "GET":
                return self._send(200, {"seq": fakes.seq()})
            if parts == ["reset"] and self.command == "POST":
                fakes.reset(body.get("providers"))
                return self._send(200, {"ok": True})
            if parts == ["requests"] and self.command == "GET":
                return self._send(200, {"items": fakes.requests(None, since)})
            if len(parts) == 3 and parts[0] in fakes.providers and parts[1] == "rules" and self.command == "DELETE":
                return self._send(200, {"removed": fakes.remove_rule(parts[0], parts[2])})
            if len(parts) == 2 and parts[0] in fakes.providers:
                name, what = parts
                if what == "data":
                    if self.command == "GET":
                        return self._send(200, fakes.get_data(name))
                    if self.command in ("POST", "PUT"):
                        return self._send(200, fakes.register(name, body, replace=self.command == "PUT"))
                if what == "rules":
                    if self.command == "POST":
                        return self._send(200, fakes.add_rule(name, body))
                    if self.command == "DELETE":
                        fakes.clear_rules(name)
                        return self._send(200, {"ok": True})
                    if self.command == "GET":
                        return self._send(200, {"items": fakes.providers[name].rules})
                if what == "requests" and self.command == "GET":
                    return self._send(200, {"items": fakes.requests(name, since)})
            return self._send(404, {"error": "no such control route: %s %s" % (self.command, split.path)})
        except (ValueError, KeyError, RuntimeError) as e:
            return self._send(400, {"error": "%s: %s" % (type(e).__name__, e)})

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class _ControlServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, fakes):
        self.fakes = fakes
        super().__init__((HOST, 0), _ControlHandler)


# --------------------------------------------------------------------------
# All of it


class Fakes:
    def __init__(self, workdir=None):
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="slipway-fakes-")
        self.openssl = OpenSSL(self.workdir)
        self.providers = {}
        self.servers = {}
        self._log = []
        self._seq = 0
        self._log_lock = threading.Lock()
        self.ca = None

    # -- life cycle ----------------------------------------------------------

    def start(self):
        self.ca, cert, key = make_tls(self.openssl, "fakes", "slipway fakes test CA")
        _, ucert, ukey = make_tls(self.openssl, "untrusted", "untrusted test CA")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        uctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        uctx.load_cert_chain(ucert, ukey)
        self.server_cert = cert
        for cls in PROVIDER_CLASSES + (Untrusted,):
            provider = cls(self)
            server = _TLSServer(self, provider, uctx if cls is Untrusted else ctx)
            provider.base_url = "https://%s:%d" % (HOST, server.server_address[1])
            self.providers[provider.name] = provider
            self.servers[provider.name] = server
            threading.Thread(target=server.serve_forever, daemon=True, name="fake-" + provider.name).start()
        self.smtp = Smtp(self, ctx).start()
        self.providers["smtp"] = self.smtp
        self.control = _ControlServer(self)
        threading.Thread(target=self.control.serve_forever, daemon=True, name="fakes-control").start()
        return self

    def stop(self):
        servers = list(self.servers.values()) + [self.control, self.smtp.server]
        # serve_forever polls every 0.5 s: stop them all at once, not one after the other
        threads = [threading.Thread(target=server.shutdown) for server in servers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for server in servers:
            server.server_close()
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- what slipway needs -----------------------------------------------------

    def env(self):
        env = {var: self.providers[name].base_url + suffix for name, (var, suffix) in ENV_VARS.items()}
        env["SLIPWAY_CA_BUNDLE"] = self.ca
        return env

    def state(self):
        return {"ca": self.ca, "control": "http://%s:%d" % (HOST, self.control.server_address[1]),
                "providers": {name: {"url": p.base_url,
                                     "port": int(p.base_url.rsplit(":", 1)[1])}
                              for name, p in self.providers.items() if name != "smtp"},
                "smtp": {"host": HOST, "port": self.smtp.port}, "env": self.env(), "pid": os.getpid(),
                "googleTokenUrl": self.providers["google"].token_url()}

    # -- data, rules, logs --------------------------------------------------------

    def register(self, name, patch, replace=False):
        provider = self.providers[name]
        patch = provider.prepare(copy.deepcopy(patch))
        with provider.lock:
            if replace:
                provider.data = deep_merge(provider.initial(), patch)
            else:
                deep_merge(provider.data, patch)
            return copy.deepcopy(provider.data)

    def get_data(self, name):
        provider = self.providers[name]
        with provider.lock:
            return copy.deepcopy(provider.data)

    def add_rule(self, name, rule):
        if "mode" not in rule:
            raise ValueError("a rule needs a mode")
        return self.providers[name].add_rule(rule)

    def remove_rule(self, name, rule_id):
        provider = self.providers[name]
        with provider.lock:
            before = len(provider.rules)
            provider.rules = [r for r in provider.rules if r.get("id") != rule_id]
            return before - len(provider.rules)

    def clear_rules(self, name):
        provider = self.providers[name]
        with provider.lock:
            provider.rules = []

    def reset(self, names=None):
        for name in names or list(self.providers):
            provider = self.providers[name]
            with provider.lock:
                provider.data = provider.initial()
                provider.rules = []
        with self._log_lock:
            if names:
                self._log = [e for e in self._log if e["provider"] not in names]
            else:
                self._log = []

    def _next(self, entry):
        with self._log_lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._log.append(entry)
        return entry

    def log_request(self, name, req):
        return self._next({"provider": name, "time": iso(millis=True), "method": req.method, "path": req.path,
                           "query": req.query, "headers": req.header_list,
                           "body": req.body.decode("utf-8", "replace"), "status": None, "notes": req.notes})

    def log_event(self, name, event):
        entry = {"provider": name, "time": iso(millis=True)}
        entry.update(event)
        return self._next(entry)

    def seq(self):
        with self._log_lock:
            return self._seq

    def requests(self, name=None, since=0):
        with self._log_lock:
            return json.loads(json.dumps([e for e in self._log if e["seq"] > since
                                          and (name is None or e["provider"] == name)], default=str))


def main(argv):
    if len(argv) == 3 and argv[1] == "serve":
        fakes = Fakes().start()
        state_file = os.path.abspath(argv[2])
        tmp = state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(fakes.state(), f, indent=2)
        os.replace(tmp, state_file)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        print("fakes serving; control %s; state in %s" % (fakes.state()["control"], state_file), flush=True)
        while not stop.wait(1):
            pass
        fakes.stop()
        try:
            os.unlink(state_file)
        except OSError:
            pass
        return 0
    print("usage: fakes.py serve STATEFILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
