#!/usr/bin/env python3
"""What every provider fake shares: requests and answers, the rule modes, JWT and Basic parsing, the
`openssl` command line and throwaway TLS certificates. One module a provider (fake_<name>.py) builds on
it; fakes.py serves them all (its docstring is the contract)."""

import base64
import hmac
import binascii
import copy
import datetime
import hashlib
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid

HOST = "127.0.0.1"


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
# Git refs of a fake repository (the SCM fakes' branches, tags and commits)
#
# A repository holds {"branches": {name: sha}, "tags": {name: sha}, "commits": [sha, ...], "made": [...]}:
# every sha a branch or tag names is a known commit too; "made" lists each ref the API created, as
# [kind, name, sha], so a test sees that a ref was made exactly once.


def git_known(repo, sha):
    """True when sha (a full 40-hex commit id) is a commit of the repository."""
    sha = (sha or "").lower()
    return bool(re.fullmatch(r"[0-9a-f]{40}", sha)) and (
        sha in [c.lower() for c in repo.get("commits", [])] or sha in [v.lower() for v in repo.get("branches", {}).values()]
        or sha in [v.lower() for v in repo.get("tags", {}).values()])


def git_resolve(repo, ref):
    """The commit a branch, a tag or a commit id names, or None."""
    if ref in repo.get("branches", {}):
        return repo["branches"][ref]
    if ref in repo.get("tags", {}):
        return repo["tags"][ref]
    return ref.lower() if git_known(repo, ref) else None


def git_between(repo, base, head):
    """The compare of base...head: (the commits after base up to head in the repository's "commits" list, oldest first;
    None when either ref is unknown). A commit's message is repo["messages"][sha], else "commit <short sha>"."""
    a, b = git_resolve(repo, base), git_resolve(repo, head)
    if a is None or b is None:
        return None
    order = [c.lower() for c in repo.get("commits", [])]
    return order[order.index(a) + 1:order.index(b) + 1] if a in order and b in order else []


def git_message(repo, sha):
    return repo.get("messages", {}).get(sha, "commit " + sha[:7])


def git_make(repo, kind, name, sha):
    """Creates the branch or tag (kind "branches" or "tags") at sha: "made", "exists" or "unknown" (no such commit).
    Call it holding the provider's lock, on its stored data (not a copy)."""
    refs = repo.setdefault(kind, {})
    if name in refs:
        return "exists"
    if not git_known(repo, sha):
        return "unknown"
    refs[name] = sha.lower()
    repo.setdefault("made", []).append([kind, name, sha.lower()])
    return "made"


# --------------------------------------------------------------------------
# Repository listings and OAuth refresh (issue 17): what the SCM fakes share


def paged(req, items, size_param, default, maximum):
    """One page of items as the request asks for it (?page= from 1, ?<size_param>=): (items, page, pages, size)."""
    try:
        size = min(max(int(req.param(size_param, default)), 1), maximum)
        page = max(int(req.param("page", "1")), 1)
    except ValueError:
        size, page = default, 1
    pages = max((len(items) + size - 1) // size, 1)
    return items[(page - 1) * size:page * size], page, pages, size


def page_url(req, page):
    """This request's URL with ?page= replaced."""
    query = [(k, v) for k, vs in req.params.items() for v in vs if k != "page"] + [("page", str(page))]
    return "%s%s?%s" % (req.base_url or "", req.path, urllib.parse.urlencode(query))


def link_header(req, page, pages):
    """An RFC 8288 Link header as GitHub, GitLab and Gitea send it: next and last (prev and first past page 1)."""
    links = []
    if page < pages:
        links.append('<%s>; rel="next"' % page_url(req, page + 1))
        links.append('<%s>; rel="last"' % page_url(req, pages))
    if page > 1:
        links.append('<%s>; rel="prev"' % page_url(req, page - 1))
        links.append('<%s>; rel="first"' % page_url(req, 1))
    return ", ".join(links)


def oauth_refresh(provider, req, github=False):
    """POST of an OAuth token endpoint with grant_type=refresh_token (form or JSON body): the refresh token must be
    one of data["refresh_tokens"] {refresh: access token it renews}; it is spent (rotated, as GitLab, Gitea and
    Bitbucket do) for a new access token (a copy of the old one's entry) and a new refresh token. Each use is
    counted in data["refreshes"]. A bad one answers 400 invalid_grant as RFC 6749 says. The client authenticates as
    the three services require (RFC 6749 2.3.1): client_id and client_secret in the body, or HTTP Basic (Bitbucket),
    one of data["clients"] {client id: secret}; else 401 invalid_client, before the grant is looked at.
    github: GitHub's endpoint (github.com/login/oauth/access_token) instead, which answers its errors with 200 and
    its own codes (incorrect_client_credentials, bad_refresh_token), and JSON only when asked (Accept), else a form."""
    body = req.json() if (req.header("Content-Type") or "").startswith("application/json") else None
    if not isinstance(body, dict):
        body = {k: v[0] for k, v in req.form().items()}
    basic = basic_credentials(req.header("Authorization")) if req.header("Authorization") else None
    client, secret = basic if basic else (body.get("client_id"), body.get("client_secret"))
    with provider.lock:
        known = provider.data.get("clients", {}).get(client or "")
    if known is None or not hmac.compare_digest(known.encode(), (secret or "").encode()):
        if github:
            return _github_oauth(req, {"error": "incorrect_client_credentials",
                                       "error_description": "The client_id and/or client_secret passed are incorrect."})
        return J(401, {"error": "invalid_client", "error_description": "Client authentication failed due to unknown "
                                                                       "client, no client authentication included, or "
                                                                       "unsupported authentication method."})
    if body.get("grant_type") != "refresh_token":
        return J(400, {"error": "unsupported_grant_type",
                       "error_description": "The authorization grant type is not supported by the authorization "
                                            "server."})
    with provider.lock:
        spent = provider.data.setdefault("refresh_tokens", {}).pop(body.get("refresh_token") or "", None)
        old = provider.data["tokens"].get(spent) if spent else None
        if old is None and github:
            return _github_oauth(req, {"error": "bad_refresh_token",
                                       "error_description": "The refresh token passed is incorrect or expired."})
        if old is None:
            return J(400, {"error": "invalid_grant",
                           "error_description": "The provided authorization grant is invalid, expired, revoked, does "
                                                "not match the redirection URI used in the authorization request, or "
                                                "was issued to another client."})
        access, refresh = "at-" + uuid.uuid4().hex, "rt-" + uuid.uuid4().hex
        provider.data["tokens"][access] = copy.deepcopy(old)
        provider.data["refresh_tokens"][refresh] = access
        provider.data["refreshes"] = provider.data.get("refreshes", 0) + 1
    if github:
        return _github_oauth(req, {"access_token": access, "expires_in": 28800, "refresh_token": refresh,
                                   "refresh_token_expires_in": 15811200, "scope": "", "token_type": "bearer"})
    return J(200, {"access_token": access, "token_type": "bearer", "expires_in": 7200, "refresh_token": refresh,
                   "scope": "api", "created_at": int(now())})


def _github_oauth(req, body):
    """GitHub's token endpoint answers 200 whatever happened, as JSON when the request accepts it, else as a form."""
    if "application/json" in (req.header("Accept") or ""):
        return J(200, body)
    return Resp(200, urllib.parse.urlencode(body), content_type="application/x-www-form-urlencoded; charset=utf-8")


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
    for an answer) or `seconds` pass ("expired"). A client gone is said first: a test that kills the client and then
    drops the rule may find both done by the time this thread runs again, and the client went first."""
    deadline = time.monotonic() + float(rule.get("seconds", 30))
    while time.monotonic() < deadline:
        if select.select([sock], [], [], 0)[0]:
            return "abandoned"
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
    env = None  # (the variable slipway reads the fake's URL from, the path after its base URL); None: the integration names it

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

    def snapshot(self):
        """What changed() compares with after a registration (a fake that notifies slipway of changes: None here)."""
        return None

    def changed(self, before):
        """Called after a registration, outside the lock, with snapshot()'s value from before it."""

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


# --------------------------------------------------------------------------
# Inbound webhooks: what a provider sends to slipway. Each fake builds its
# provider's deliveries (fake_github.webhook, fake_gitlab.webhook, ...);
# these sign and post them.


def hmac_sha256_hex(secret, raw):
    """The lower-case hex HMAC-SHA256 of raw (bytes) under secret (text), as GitHub, CircleCI and Jenkins callbacks sign."""
    import hmac
    return hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def webhook_body(payload):
    """payload as the bytes a provider sends (compact JSON, as GitHub does); bytes pass through."""
    return payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode("utf-8")


def send_hook(hook, raw, headers):
    """Sends a delivery to hook["url"] (a finished run's callback); (status, headers, body)."""
    parts = urllib.parse.urlsplit(hook["url"])
    return send_webhook("%s://%s" % (parts.scheme, parts.netloc), parts.path, raw, headers)


def send_webhook(base_url, path, raw, headers, timeout=10):
    """POSTs a delivery, raw bytes with the provider's headers, the way the provider does; (status, headers, body)."""
    import http.client
    parts = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        try:
            conn.request("POST", path, body=raw, headers=dict({"Content-Type": "application/json"}, **headers))
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the whole body was read (too large): the answer is there
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()
