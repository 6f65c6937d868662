#!/usr/bin/env python3
"""HTTPS fakes of the providers slipway verifies credentials against.

docs/verification.md is the contract: slipway calls GitHub, GitLab,
Bitbucket, Gitea, App Store Connect, Google (OAuth token endpoint, Play
Developer API, Firebase Management API), Jenkins, CircleCI, Slack, Jira,
Linear, Azure DevOps, TestRail, Slack's and Teams' incoming webhooks and an
SMTP server.  Each fake here checks the
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
    POST   /{provider}/runs/{id}/finish    a CI run ends (id percent-escaped): {"conclusion"?: "success" (default) | "failure" | ...,
                                           "webhook"?: {"url", "secret"}: then the provider's signed build event
                                           is sent there, as the provider sends it} (github, gitlab, jenkins)

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
without measuring time), `lose` (acts on the request at once, its status
logged, and holds back the answer as `hold` does: an effect whose answer a
client killed meanwhile never gets), `malformed` (200 with invalid JSON), `expired`,
`ratelimited` (`seconds`: when the limit resets), `close` (drops the
connection without an answer).  The SMTP fake takes `401`, `500`, `slow`,
`hold`, `close` and `nostarttls`.

Every request is logged with everything (method, path, query, headers,
body), the answer's status and `notes` (what the fake checked: a JWT's
header and claims and whether its signature verified, the crumb, ...).
The providers' data layouts are documented on each Provider class.

Layout: fakebase.py holds what every fake shares (requests, answers, rule
modes, JWT and Basic parsing, openssl, TLS); each provider's fake is its own
module, fake_<name>.py; this file serves them all (HTTPS servers, the SMTP
server, the control plane) and re-exports what tests import from it.
"""

import copy
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse

from fakebase import HOST, OpenSSL, hold, Request, basic_credentials, deep_merge, iso, make_tls, number, parse_jwt
from fake_appstore import AppStore
from fake_azure import Azure
from fake_bitbucket import Bitbucket
from fake_circleci import CircleCI
from fake_firebase import Firebase
from fake_gitea import Gitea
from fake_github import GITHUB_API_VERSIONS, GitHub, Untrusted
from fake_gitlab import GitLab
from fake_google import FIREBASE_SCOPES, GOOGLE_JWT_BEARER, PLAY_SCOPE, GoogleToken
from fake_jenkins import Jenkins
from fake_jira import Jira
from fake_linear import Linear
from fake_play import Play
from fake_slack import Slack
from fake_smtp import Smtp
from fake_testrail import TestRail
from fake_webhooks import Webhooks
from fake_sentry import Sentry
from fake_bugsnag import Bugsnag

# What tests import from here (tests/api/verify_fixtures.py, test_fakes.py), wherever it is defined.
__all__ = ["Fakes", "PROVIDER_CLASSES", "PROVIDERS", "ENV_VARS", "HOST", "GOOGLE_JWT_BEARER", "PLAY_SCOPE", "FIREBASE_SCOPES",
           "GITHUB_API_VERSIONS", "basic_credentials", "number", "parse_jwt"]

PROVIDER_CLASSES = (GitHub, GitLab, Bitbucket, Gitea, AppStore, GoogleToken, Play, Firebase, Jenkins, CircleCI, Slack,
                    Jira, Linear, Azure, TestRail, Webhooks, Sentry, Bugsnag)
PROVIDERS = tuple(c.name for c in PROVIDER_CLASSES)

# provider -> (environment variable, path appended to the fake's base URL): the SaaS providers, whose URL slipway reads
ENV_VARS = {c.name: c.env for c in PROVIDER_CLASSES if c.env}


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
            elif mode in ("hold", "lose"):
                if mode == "lose":  # act on it now; only the answer waits
                    resp = provider.handle(req)
                    entry["status"] = resp.status
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
            if (len(parts) == 4 and parts[0] in fakes.providers and parts[1] == "runs" and parts[3] == "finish"
                    and self.command == "POST" and hasattr(fakes.providers[parts[0]], "finish_run")):
                return self._send(200, fakes.providers[parts[0]].finish_run(urllib.parse.unquote(parts[2]), body))
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
        for c in PROVIDER_CLASSES:  # a provider with a second API on another host (Firebase's App Distribution)
            env.update({var: self.providers[c.name].base_url + suffix for var, suffix in getattr(c, "more_env", ())})
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
        before = provider.snapshot() if hasattr(provider, "snapshot") else None  # the SMTP fake is no Provider
        with provider.lock:
            if replace:
                provider.data = deep_merge(provider.initial(), patch)
            else:
                deep_merge(provider.data, patch)
            data = copy.deepcopy(provider.data)
        if before is not None:
            provider.changed(before)
        return data

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
