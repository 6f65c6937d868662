"""Black-box HTTP harness for slipway's API tests (stdlib only).

The tests speak HTTP to the real binary, started on a free port with a fresh
SQLite database.  docs/api.md is the contract they check.

As a library:
    server = harness.shared_server()      # the suite's server, or a private one
    resp = server.request("GET", "/api/v1/me", token=user.token)
    harness.assert_error(self, resp, 401, "unauthenticated")

As a fixture (CTest FIXTURES_SETUP/CLEANUP, or by hand):
    python3 tests/api/harness.py start STATEFILE   # server keeps running
    SLIPWAY_API_STATE=STATEFILE python3 tests/api/test_auth.py
    python3 tests/api/harness.py stop STATEFILE    # non-zero if it exited badly
    python3 tests/api/harness.py run [test_x.py ...]  # all three, files in parallel

Environment: SLIPWAY_BIN (default build/slipway, relative to the repo root),
SLIPWAY_API_STATE (the state file of a running fixture server),
SLIPWAY_API_KEEP=1 keeps every server's temporary directory,
SLIPWAY_TEST_BACKEND (sqlite, postgres or mysql; default sqlite) and
SLIPWAY_TEST_DB_STATE (for postgres and mysql: the state file of the
database server tests/db/dbserver started; each slipway server gets a fresh
database of its own on it).
"""

import atexit
import collections
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, "tests", "db"))
import dbclient  # noqa: E402
import spec_check  # noqa: E402
from ports import free_port  # noqa: E402,F401 (also harness.free_port)

BACKEND = os.environ.get("SLIPWAY_TEST_BACKEND", "sqlite")
if BACKEND not in ("sqlite", "postgres", "mysql"):
    raise SystemExit("SLIPWAY_TEST_BACKEND must be sqlite, postgres or mysql, not %r" % BACKEND)
USER_AGENT = "slipway-api-tests/1"
SANITIZER_PATTERNS = ("AddressSanitizer", "LeakSanitizer", "runtime error:")
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0
# The shared server serves every test file from 127.0.0.1: the default login
# limit (10 a minute per e-mail, 100 per address) would throttle the suite,
# and one hashing thread would queue every file's logins behind each other.
# lastUsedAt is written in batches every SLIPWAY_TOKEN_FLUSH seconds (30).
# Sign-up is open so that the route catalogues reach its handler (off by
# default: test_admin's SignupTest checks that on a server of its own).
SHARED_ENV = {"SLIPWAY_LOGIN_RATE": "1000", "SLIPWAY_INVITE_RATE": "100000", "SLIPWAY_HASH_THREADS": "4", "SLIPWAY_TOKEN_FLUSH": "1",
              "SLIPWAY_OPEN_SIGNUP": "true"}
# Every server the tests start runs with the tenant guard (docs/internals/store.md): a request that reads a
# row of a tenant other than its own fails with 500 and logs GUARD_MARK, and a test that sees that line fails.
# So every API test is also an isolation test.
# Passwords are hashed with argon2id's smallest memory cost (8 KiB, not the
# default 64 MiB): the suite makes thousands of accounts and logins, and at
# the default a hash is about 80 ms of a CI core each. What the cost is does
# not change what a test proves (tests/unit/test_crypto.c holds the hash's
# format; the cost settings are read like any other, tests/spec/test_settings.py).
TEST_ENV = {"SLIPWAY_TEST_TENANT_GUARD": "1", "SLIPWAY_ARGON2_MEMORY": "8"}
GUARD_MARK = "tenant guard:"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
ANY_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
TOKEN_RE = re.compile(r"^slw_[A-Za-z0-9_-]{43}$")
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ROLES = ("owner", "editor", "viewer")
ROLE_RANK = {"viewer": 1, "editor": 2, "owner": 3}

# --------------------------------------------------------------------------
# The route table, from the binary itself (`slipway routes`): every test that
# walks routes takes them from here, never from a list of its own or from
# docs/openapi.yaml (tests/spec/test_openapi_routes.py holds the two together),
# so a route added to src/routes.c is tested the day it lands.

# A route whose body names the tenant (the setup verifications) is open to any
# account in the table; its handler then wants the owner of that tenant
# (docs/verification.md "Endpoints").
BODY_TENANT_ROLE = "owner"
# A value for a path parameter that is neither an id nor one of a closed set
# the route table lists (a public route's file name).
FREE_PARAM_SAMPLES = {"asset": "app.js"}


class Route:
    """One line of `slipway routes`: method, path, role (public, account,
    viewer, editor, owner), params (names in order), values ({param: the
    values it takes} where the table lists them: categories, setup steps),
    body (None, or schema, optional, open, fields), fields ({name: field})."""

    def __init__(self, line):
        self.method, self.path, self.role = line["method"], line["path"], line["role"]
        self.params = [p["name"] for p in line["params"]]
        self.values = {p["name"]: p["values"] for p in line["params"] if p["values"] is not None}
        self.body = line["body"]
        self.fields = {f["name"]: f for f in self.body["fields"]} if self.body else {}
        # The body names the tenant: the router lets any account through and the handler checks the tenant.
        self.body_tenant = bool(self.fields.get("tenantId", {}).get("required"))
        self.tenant_route = "tenantId" in self.params or self.body_tenant
        self.tenant_role = BODY_TENANT_ROLE if self.body_tenant else self.role

    @property
    def takes_body(self):
        return self.body is not None

    @property
    def body_optional(self):
        return bool(self.body and self.body["optional"])

    def expansions(self):
        """One {param: value} per combination of the listed values ([{}] when there are none)."""
        out = [{}]
        for name in self.params:
            if name in self.values:
                if not self.values[name]:
                    raise AssertionError("%s: `slipway routes` lists no value for {%s}" % (self, name))
                out = [dict(e, **{name: v}) for e in out for v in self.values[name]]
        return out

    def fill(self, **ids):
        """The path with ids; parameters not given are random UUIDs (or a free parameter's sample)."""
        return self.path.format(**{n: ids.get(n) or FREE_PARAM_SAMPLES.get(n) or str(uuid.uuid4())
                                   for n in self.params})

    def __str__(self):
        return "%s %s" % (self.method, self.path)

    __repr__ = __str__


_route_table = None


def route_table():
    """Every route of the binary's table, as Route objects, in the table's order."""
    global _route_table
    if _route_table is None:
        proc = subprocess.run([binary_path(), "routes"], capture_output=True, timeout=30)
        if proc.returncode != 0:
            raise AssertionError("`slipway routes` failed (%d): %s" % (proc.returncode, proc.stderr[-2000:]))
        _route_table = [Route(json.loads(line)) for line in proc.stdout.decode("utf-8").splitlines() if line.strip()]
        if not _route_table:
            raise AssertionError("`slipway routes` printed no route")
    return list(_route_table)


def tenant_routes():
    """Routes on one tenant (in the path, or named by the body), destructive ones last."""
    return sorted((r for r in route_table() if r.tenant_route), key=lambda r: r.method == "DELETE")


def sample_value(field):
    """A value of a route body's field (schema_field_json's description) that the field's rules accept."""
    kind, tag = field["kind"], uuid.uuid4().hex[:8]
    if field["allowed"]:
        return [field["allowed"][0]] if kind == "array" else field["allowed"][0]  # an array's allowed are its items'
    if kind == "string":
        if field["format"] == "email":
            return unique_email("probe")
        if field["format"] == "uuid":
            return str(uuid.uuid4())
        if field["format"] == "url":
            return "https://probe-%s.example.com" % tag
        if field["format"] == "scopes":
            return "openid"
        if field["format"] == "hostname":
            return "probe-%s.example.com" % tag
        if field["format"] == "username":
            return "probe-" + tag
        if field["format"] == "ssh-fingerprint":
            return "SHA256:" + tag * 5 + "abc"
        if field["format"] == "color":
            return "#336699"
        if field["format"] == "date-time":
            return format_time(now())
        if field["format"] == "git-ref":
            return "release/probe-" + tag
        if field["format"] == "socket-path":
            return "/run/probe-%s.sock" % tag
        if field["format"] == "docker-image":
            return "probe-%s:1" % tag
        text = "Probe " + tag
        return text[:field["maxLength"]] if field["maxLength"] else text
    if kind == "integer":
        return field["minimum"] if field["minimum"] is not None else 1
    return {"boolean": False, "object": {}, "array": []}[kind]


def sample_body(route, tenant_id=None):
    """A body for route that gets through the router (fresh values each call), or None when it takes none.

    A closed schema's body is built from its fields, every field filled; an
    open one (the handler validates it) is {}, or names tenant_id where the
    body names the tenant. Good for every check the router makes before the
    handler (credentials, roles, the tenant, size, media type); tests that
    need the handler to accept it build their own."""
    if not route.takes_body:
        return None
    if route.body_tenant:
        return {"tenantId": tenant_id or str(uuid.uuid4()), "config": {}}
    if route.body["open"]:
        return {}
    return {name: sample_value(f) for name, f in route.fields.items()}


def fill(template, **ids):
    """Path of a route template; ids not given are random UUIDs."""
    names = re.findall(r"{(\w+)}", template)
    return template.format(**{n: ids.get(n) or str(uuid.uuid4()) for n in names})


# --------------------------------------------------------------------------
# The server process


def binary_path():
    path = os.environ.get("SLIPWAY_BIN", "build/slipway")
    if os.path.isabs(path):
        return path
    for base in (os.getcwd(), REPO_ROOT):
        candidate = os.path.abspath(os.path.join(base, path))
        if os.path.exists(candidate):
            return candidate
    return os.path.join(REPO_ROOT, path)


def database_url(database):
    """A database as slipway's SLIPWAY_DATABASE_URL: a URL as it is, a path as sqlite://PATH."""
    return database if "://" in database else "sqlite://" + database


def new_database(directory):
    """A fresh, empty database for the backend under test: a file in directory
    (SQLite), or a database of its own on the test database server."""
    if BACKEND == "sqlite":
        return os.path.join(directory, "slipway.db")
    state_file = os.environ.get("SLIPWAY_TEST_DB_STATE")
    if not state_file:
        raise AssertionError("SLIPWAY_TEST_BACKEND=%s needs SLIPWAY_TEST_DB_STATE (tests/db/dbserver's state file)" % BACKEND)
    with open(state_file) as f:
        admin_url = json.load(f)["url"]
    return dbclient.createdb(admin_url, "slw_" + uuid.uuid4().hex[:20])


def copy_database(src, directory):
    """A copy of a database no server is using: a file in directory (SQLite, by
    the backup API), or a new database on the same server (PostgreSQL: from
    src as template; MariaDB: mariadb-dump into it). Returns the copy."""
    copy = new_database(tempfile.mkdtemp(dir=directory))
    if BACKEND == "sqlite":
        a, b = sqlite3.connect(src, timeout=15), sqlite3.connect(copy)
        try:
            a.backup(b)
        finally:
            a.close()
            b.close()
        return copy
    dst, source = dbclient.Url(copy), dbclient.Url(src)
    if BACKEND == "postgres":
        admin = source.with_database("postgres")
        dbclient.dropdb(admin, dst.database)
        dbclient.admin(admin, 'CREATE DATABASE "%s" TEMPLATE "%s"' % (dst.database, source.database))
        return copy
    login = ["--no-defaults", "-h", source.host, "-P", str(source.port), "-u", source.user, "-p" + source.password]
    dumped = subprocess.run(["mariadb-dump"] + login + ["--routines", "--triggers", source.database],
                            capture_output=True, check=True, timeout=60).stdout
    subprocess.run(["mariadb"] + login + [dst.database], input=dumped, capture_output=True, check=True, timeout=60)
    return copy


def _write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _tail(text, lines=25):
    return "\n".join(text.splitlines()[-lines:])


def _mask(secret):
    return secret[:6] + "..." + "(%d chars)" % len(secret)


class Response(collections.namedtuple("Response", "status headers json raw")):
    """(status, lower-cased headers, parsed JSON or None, raw bytes) plus .request."""

    def __str__(self):
        return "%s -> %d %s" % (getattr(self, "request", "?"), self.status, self.raw[:600])


def _response(http_response, request_line):
    # An event stream's body never ends: its answer is its head (the caller closes the connection).
    streaming = (http_response.getheader("Content-Type") or "").startswith("text/event-stream")
    raw = b"" if streaming else http_response.read()
    headers = {}
    for name, value in http_response.getheaders():
        name = name.lower()
        headers[name] = headers[name] + ", " + value if name in headers else value
    try:
        parsed = json.loads(raw.decode("utf-8")) if raw else None
    except ValueError:
        parsed = None
    resp = Response(http_response.status, headers, parsed, raw)
    resp.request = request_line
    return resp


_live_servers = []


def _kill_leftovers():
    for server in _live_servers:
        if server.pid is not None:
            try:
                os.kill(server.pid, signal.SIGKILL)
            except OSError:
                pass


atexit.register(_kill_leftovers)


class PortTaken(Exception):
    """The server could not listen: its port was taken after free_port() chose it."""


class Server:
    """One slipway process with its own temporary directory and SQLite database.

    Started through a small supervisor (`harness.py _supervise`) that records
    the server's exit status in TMPDIR/exit_code, so a process that did not
    start it (the fixture's `stop`) can still check it.
    """

    serve_args = ["serve", "--migrate"]

    def __init__(self, extra_env=None):
        self.extra_env = dict(extra_env or {})
        self.database = None  # a path (SQLite) or URL; made at start unless a subclass sets it
        self.tmpdir = None
        self.port = None
        self.pid = None
        self.admin = None  # the bootstrap JSON: accountId, tenantId, email, password, token
        self.secrets = set()
        self._supervisor = None
        self._terminated = False

    # -- life cycle --------------------------------------------------------

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        env["SLIPWAY_DATABASE_URL"] = database_url(self.database_path())
        env["SLIPWAY_LISTEN"] = "127.0.0.1:%d" % self.port
        env.update(TEST_ENV)
        # "{port}" in a setting is the port this server listens on (SLIPWAY_PUBLIC_URL of a browser test).
        env.update({k: v.replace("{port}", str(self.port)) for k, v in self.extra_env.items()})
        return env

    def start(self, detached=False):
        binary = binary_path()
        if not os.access(binary, os.X_OK):
            raise AssertionError("slipway binary not found at %s (build it, or set SLIPWAY_BIN)" % binary)
        self.tmpdir = tempfile.mkdtemp(prefix="slipway-api-")
        if self.database is None:
            self.database = new_database(self.tmpdir)
        self.port = free_port()
        self.admin = self._bootstrap(binary, self.env())
        if not detached:
            _live_servers.append(self)
        for attempt in range(3):
            try:
                self._launch(binary)
                return self
            except PortTaken:
                # Another process bound the port between free_port() and
                # the server's listen(): try another one.
                for name in ("server.pid", "exit_code"):
                    os.unlink(self._path(name))
                self.port = free_port()
        raise AssertionError("slipway serve found its port taken three times\n--- stderr ---\n%s"
                             % _tail(self.log_text()))

    def _launch(self, binary):
        self._supervisor = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "_supervise", self.tmpdir, binary] + self.serve_args,
            env=self.env(), cwd=self.tmpdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        self.pid = self._wait_for_pid()
        self._wait_ready()

    def _bootstrap(self, binary, env):
        cmd = [binary, "admin", "bootstrap", "--email", "admin@example.com", "--org", "Admin Org"]
        proc = subprocess.run(cmd, env=env, cwd=self.tmpdir, capture_output=True, timeout=120)
        out = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0 or any(p in err for p in SANITIZER_PATTERNS):
            raise AssertionError("`slipway admin bootstrap` failed (exit %d)\nstdout: %s\nstderr: %s"
                                 % (proc.returncode, out, _tail(err)))
        lines = [line for line in out.splitlines() if line.strip()]
        if len(lines) != 1:
            raise AssertionError("`slipway admin bootstrap` must print one line of JSON, got: %r" % out)
        admin = json.loads(lines[0])
        missing = {"accountId", "tenantId", "email", "password", "token"} - set(admin)
        if missing:
            raise AssertionError("bootstrap JSON lacks %s: %s" % (sorted(missing), lines[0]))
        for key in ("password", "token"):
            self.remember_secret(admin[key])
        return admin

    def _path(self, name):
        return os.path.join(self.tmpdir, name)

    def _wait_for_pid(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with open(self._path("server.pid")) as f:
                    return int(f.read())
            except (OSError, ValueError):
                time.sleep(0.02)
        raise AssertionError("the supervisor did not start slipway")

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                self.pid = None
                if "cannot listen on 127.0.0.1:%d: Address already in use" % self.port in self.log_text():
                    raise PortTaken()
                raise AssertionError("slipway serve exited (%s) before it was ready\n--- stderr ---\n%s"
                                     % (code, _tail(self.log_text())))
            try:
                if self.request("GET", "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        self.terminate()
        raise AssertionError("slipway serve not ready after %.0f s\n--- stderr ---\n%s"
                             % (READY_TIMEOUT, _tail(self.log_text())))

    def state(self):
        return {"pid": self.pid, "port": self.port, "tmpdir": self.tmpdir, "bootstrap": self.admin,
                "database": self.database}

    @classmethod
    def attach(cls, state):
        server = cls()
        server.pid, server.port, server.tmpdir = state["pid"], state["port"], state["tmpdir"]
        server.database = state["database"]
        server.admin = state["bootstrap"]
        return server

    def exit_code(self):
        """The server's exit status as text ('0', '-15', ...), or None while it runs."""
        try:
            with open(self._path("exit_code")) as f:
                return f.read().strip() or None
        except OSError:
            return None

    def terminate(self):
        """Send SIGTERM once (a second one could mean 'hurry up')."""
        if self.pid is not None and not self._terminated:
            self._terminated = True
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def wait_exit(self, timeout=STOP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.exit_code()
            if code is not None:
                return code
            time.sleep(0.05)
        return None

    def stop(self):
        """SIGTERM, wait, and fail unless it exited 0 with a clean log."""
        if self.pid is None:
            return
        self.terminate()
        code = self.wait_exit()
        problems = []
        if code is None:
            problems.append("still running %.0f s after SIGTERM (killed)" % STOP_TIMEOUT)
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
        elif code != "0":
            problems.append("exit status %s after SIGTERM" % code)
        if self._supervisor is not None:
            try:
                self._supervisor.wait(5)
            except subprocess.TimeoutExpired:
                self._supervisor.kill()
        self.pid = None
        log = self.log_text()
        problems += ["stderr contains %r" % p for p in SANITIZER_PATTERNS if p in log]
        problems += ["the tenant guard refused a row: %s" % line for line in self.guard_lines()]
        leaked = [s for s in self.all_secrets() if s in log]
        if leaked:
            problems.append("%d secret(s) appear in the server log: %s"
                            % (len(leaked), ", ".join(_mask(s) for s in leaked[:5])))
        if problems:
            raise AssertionError("slipway server (%s): %s\n--- stderr tail ---\n%s"
                                 % (self.tmpdir, "; ".join(problems), _tail(log)))
        if os.environ.get("SLIPWAY_API_KEEP") != "1":
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def database_path(self):
        """The database: a file path (SQLite) or a URL (PostgreSQL, MySQL)."""
        return self.database

    def log_text(self):
        try:
            with open(self._path("stderr.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self._path("stderr.log"))
        except OSError:
            return 0

    def guard_lines(self, since=0):
        """Lines of the log (from byte offset since) where the tenant guard refused another tenant's row."""
        try:
            with open(self._path("stderr.log"), "rb") as f:
                f.seek(since)
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if GUARD_MARK in line]

    def log_lines_for(self, request_id, timeout=3.0):
        """Parsed access-log lines carrying this request id (waits for them to appear)."""
        deadline = time.monotonic() + timeout
        while True:
            found = []
            for line in self.log_text().splitlines():
                if request_id in line:
                    try:
                        found.append(json.loads(line))
                    except ValueError:
                        found.append({"unparsable": line})
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    # -- secrets: everything that must never reach the log --------------------

    def remember_secret(self, value):
        if isinstance(value, str) and len(value) >= 12 and value not in self.secrets:
            self.secrets.add(value)
            with open(self._path("secrets.txt"), "a") as f:
                f.write(value + "\n")

    def all_secrets(self):
        """Secrets noted by every process that used this server."""
        try:
            with open(self._path("secrets.txt")) as f:
                return sorted({line.rstrip("\n") for line in f if line.strip()})
        except OSError:
            return []

    # -- HTTP --------------------------------------------------------------

    def request(self, method, path, body=None, token=None, headers=None, raw=None, timeout=30, source=None):
        """One request on a fresh connection; returns a Response.

        body is sent as JSON, raw as exact bytes (both default to
        Content-Type application/json); headers override the defaults, a None
        value removes one. source: the client's own loopback address (e.g.
        "127.0.0.2", another client as the server sees it).
        """
        hdrs = {"User-Agent": USER_AGENT}
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode("utf-8")
            if isinstance(body, dict):
                self.remember_secret(body.get("password"))
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
            self.remember_secret(token)
        for name, value in (headers or {}).items():
            for existing in [k for k in hdrs if k.lower() == name.lower()]:
                del hdrs[existing]
            if value is not None:
                hdrs[name] = value
                if name.lower() == "authorization":
                    self.remember_secret(value.split(" ", 1)[-1])
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = _response(conn.getresponse(), "%s %s" % (method, path))
        finally:
            conn.close()
        if isinstance(resp.json, dict):
            for key in ("token", "initialPassword", "password"):
                self.remember_secret(resp.json.get(key))
        if resp.json is not None and resp.headers.get("content-type", "").startswith("application/json"):
            spec_check.check(method, path, resp.status, resp.json)
        return resp

    def raw_exchange(self, method, path, headers, body=b"", chunked=False, timeout=30):
        """Send a request by hand over a socket and parse the answer.

        The body is streamed, and sending stops as soon as the server answers
        (a 413 may come before the whole body is read).  With chunked=True the
        body goes with Transfer-Encoding: chunked and no Content-Length.
        """
        hdrs = dict({"Host": "127.0.0.1:%d" % self.port, "User-Agent": USER_AGENT, "Connection": "close"}, **headers)
        if chunked:
            hdrs["Transfer-Encoding"] = "chunked"
            payload = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 512]), body[i:i + 512])
                               for i in range(0, len(body), 512)) + b"0\r\n\r\n"
        else:
            hdrs.setdefault("Content-Length", str(len(body)))
            payload = body
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (method, path, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            sock.sendall(head.encode("latin-1"))
            view = memoryview(payload)
            while view:
                readable, writable, _ = select.select([sock], [sock], [], timeout)
                if readable:
                    break  # the server answered early
                if writable:
                    try:
                        view = view[sock.send(view[:65536]):]
                    except (BrokenPipeError, ConnectionResetError):
                        break
            answer = http.client.HTTPResponse(sock, method=method)
            answer.begin()
            return _response(answer, "%s %s" % (method, path))
        finally:
            sock.close()


def _supervise(tmpdir, argv):
    """Run slipway, forward termination signals, record its exit status."""
    with open(os.path.join(tmpdir, "stderr.log"), "ab") as err, \
            open(os.path.join(tmpdir, "stdout.log"), "ab") as out:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    def forward(signum, _frame):
        try:
            proc.send_signal(signum)
        except OSError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    _write_atomic(os.path.join(tmpdir, "server.pid"), str(proc.pid))
    code = proc.wait()
    _write_atomic(os.path.join(tmpdir, "exit_code"), str(code))


# --------------------------------------------------------------------------
# The suite's server

_shared = None
_shared_is_private = False


def shared_server():
    """The fixture's server (SLIPWAY_API_STATE), else a private one for this module."""
    global _shared, _shared_is_private
    if _shared is None:
        state_file = os.environ.get("SLIPWAY_API_STATE")
        if state_file:
            with open(state_file) as f:
                _shared = Server.attach(json.load(f))
        else:
            _shared = Server(SHARED_ENV).start()
            _shared_is_private = True
    return _shared


def stop_shared_server():
    """tearDownModule: stop (and check) the private server, if this module made one."""
    global _shared, _shared_is_private
    server, private = _shared, _shared_is_private
    _shared, _shared_is_private = None, False
    if server is not None and private:
        server.stop()


class ApiTest(unittest.TestCase):
    """Base class: self.server is the shared server, or with server_env set,
    a private one started for the class and checked when it ends."""

    server_env = None

    @classmethod
    def setUpClass(cls):
        cls.own_server = cls.server_env is not None
        cls.server = Server(cls.server_env).start() if cls.own_server else shared_server()
        cls.log_mark = cls.server.log_size()

    @classmethod
    def tearDownClass(cls):
        # The shared server's log has every file's lines: a refusal caused by another file fails here too,
        # which is right (the guard only speaks for a real leak), if not always the file to blame.
        refused = cls.server.guard_lines(getattr(cls, "log_mark", 0))
        if cls.own_server:
            cls.server.stop()
        if refused:
            raise AssertionError("the tenant guard refused %d row(s) of another tenant while %s ran:\n%s"
                                 % (len(refused), cls.__name__, "\n".join(refused[:5])))

    def request(self, *args, **kwargs):
        return self.server.request(*args, **kwargs)

    def expect(self, resp, status):
        return expect(self, resp, status)

    def assert_error(self, resp, status, code):
        return assert_error(self, resp, status, code)


# --------------------------------------------------------------------------
# Accounts, tenants and tokens


class User:
    def __init__(self, id, email, password, token, token_id=None):
        self.id, self.email, self.password, self.token, self.token_id = id, email, password, token, token_id

    def __repr__(self):
        return "User(%s)" % self.email


class Org:
    """A tenant with an owner, an editor and a viewer (each logged in)."""

    def __init__(self, tenant, owner, editor, viewer):
        self.tenant, self.owner, self.editor, self.viewer = tenant, owner, editor, viewer
        self.id = tenant["id"]

    def by_role(self, role):
        return getattr(self, role)


def concurrently(n, fn):
    """Run fn(0..n-1) on n threads at once; returns their results in order."""
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, range(n)))


def unique_email(tag="user"):
    return "%s-%s@example.com" % (tag, uuid.uuid4().hex[:12])


def expect(test, resp, status):
    """Assert the status (showing the answer on failure) and return the JSON body."""
    test.assertEqual(resp.status, status, str(resp))
    return resp.json


def login(server, email, password, **kwargs):
    return server.request("POST", "/api/v1/auth/login", body={"email": email, "password": password}, **kwargs)


def login_user(server, account_id, email, password):
    resp = login(server, email, password)
    if resp.status != 200:
        raise AssertionError("login of %s failed: %s" % (email, resp))
    return User(account_id, email, password, resp.json["token"], resp.json["tokenId"])


_passwords = {}  # e-mail address -> password, of the accounts add_member made


def add_member(server, owner_token, tenant_id, email, role, name=None):
    """Invite email to the tenant and accept the invitation as its account; returns the member (asserts each step).

    An address add_member made an account for (or the bootstrap admin's)
    logs in and accepts; any other address accepts without a login, which
    makes its account with a password chosen here and returned as
    initialPassword (name, if given, is the new account's name).
    """
    resp = server.request("POST", "/api/v1/%s/members" % tenant_id, body={"email": email, "role": role}, token=owner_token)
    if resp.status != 201:
        raise AssertionError("inviting %s failed: %s" % (email, resp))
    invite = resp.json["inviteToken"]
    server.remember_secret(invite)
    address = resp.json["email"]
    password = _passwords.get(address) or (server.admin["password"] if address == server.admin["email"] else None)
    new = password is None
    if new:
        password = "pw-" + uuid.uuid4().hex
        body = dict({"token": invite, "password": password}, **({"name": name} if name is not None else {}))
        resp = server.request("POST", "/api/v1/invitations/accept", body=body)
    else:
        token = login_user(server, None, address, password).token
        resp = server.request("POST", "/api/v1/invitations/accept", body={"token": invite}, token=token)
    if resp.status != 201:
        raise AssertionError("%s could not accept the invitation: %s" % (email, resp))
    if not new:
        return resp.json
    _passwords[address] = password
    return dict(resp.json, initialPassword=password)


def add_member_and_login(server, owner_token, tenant_id, role, email=None):
    """A brand-new account, member of tenant_id with role, logged in."""
    email = email or unique_email(role)
    member = add_member(server, owner_token, tenant_id, email, role)
    if "initialPassword" not in member:
        raise AssertionError("no initialPassword for new account %s: %s" % (email, member))
    return login_user(server, member["accountId"], member["email"], member["initialPassword"])


def new_account(server, owner_token, tenant_id, email, role):
    """Add a new account as a member, log it in; returns (accountId, token)."""
    user = add_member_and_login(server, owner_token, tenant_id, role, email)
    return user.id, user.token


def new_user(server):
    """A logged-in account that belongs to no tenant.

    Accounts are only made by adding members, so it joins the bootstrap
    tenant, logs in, and is removed from it again.
    """
    admin = server.admin
    user = add_member_and_login(server, admin["token"], admin["tenantId"], "viewer")
    resp = server.request("DELETE", "/api/v1/%s/members/%s" % (admin["tenantId"], user.id), token=admin["token"])
    if resp.status != 204:
        raise AssertionError("could not take %s out of the bootstrap tenant: %s" % (user.email, resp))
    return user


def new_tenant(server, token, org_name=None):
    resp = server.request("POST", "/api/v1/tenants", body={"orgName": org_name or "Org " + uuid.uuid4().hex[:8]},
                          token=token)
    if resp.status != 201:
        raise AssertionError("creating a tenant failed: %s" % (resp,))
    return resp.json


def new_org(server):
    """A fresh tenant whose only owner is a fresh account, plus an editor and a viewer."""
    owner = new_user(server)
    tenant = new_tenant(server, owner.token)
    editor = add_member_and_login(server, owner.token, tenant["id"], "editor")
    viewer = add_member_and_login(server, owner.token, tenant["id"], "viewer")
    return Org(tenant, owner, editor, viewer)


def create_token(server, token, name=None, expires_in_days=None):
    body = {"name": name or "token " + uuid.uuid4().hex[:8]}
    if expires_in_days is not None:
        body["expiresInDays"] = expires_in_days
    resp = server.request("POST", "/api/v1/me/tokens", body=body, token=token)
    if resp.status != 201:
        raise AssertionError("creating a token failed: %s" % (resp,))
    return resp.json


def revoked_token(server, token):
    """A token of the same account, created and then revoked."""
    created = create_token(server, token)
    resp = server.request("DELETE", "/api/v1/me/tokens/" + created["id"], token=token)
    if resp.status != 204:
        raise AssertionError("revoking a token failed: %s" % (resp,))
    return created["token"]


def unknown_token():
    return "slw_" + "".join(re.findall(r"[A-Za-z0-9]", uuid.uuid4().hex + uuid.uuid4().hex))[:43]


def bad_credentials(server, user):
    """(label, request kwargs) for every way of not being authenticated."""
    return [
        ("no Authorization", {}),
        ("empty bearer", {"headers": {"Authorization": "Bearer "}}),
        ("Basic scheme", {"headers": {"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="}}),
        ("token without scheme", {"headers": {"Authorization": user.token}}),
        ("garbage token", {"token": "not-a-token-at-all"}),
        ("unknown slw_ token", {"token": unknown_token()}),
        ("token with one character changed", {"token": user.token[:-1] + ("A" if user.token[-1] != "A" else "B")}),
        ("revoked token", {"token": revoked_token(server, user.token)}),
    ]


# --------------------------------------------------------------------------
# Assertions on answers


def assert_timestamp(test, value, what="timestamp"):
    test.assertIsInstance(value, str, what)
    test.assertRegex(value, TIME_RE, what)
    return parse_time(value)


def parse_time(value):
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)


def format_time(moment):
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (moment.microsecond // 1000)


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def assert_uuid(test, value, what="id"):
    test.assertIsInstance(value, str, what)
    test.assertRegex(value, UUID_RE, what)


def assert_keys(test, obj, keys, what="object"):
    test.assertIsInstance(obj, dict, what)
    test.assertEqual(sorted(obj), sorted(keys), "%s has exactly these fields" % what)


def assert_name(test, value, what="name"):
    test.assertIsInstance(value, str, what)
    test.assertTrue(1 <= len(value) <= 200, "%s has 1..200 characters" % what)


ME_ONLY = ("hasPassword", "passwordAllowed")  # GET /api/v1/me's own fields beside the account's


def assert_me(test, obj, account):
    """GET /api/v1/me's answer: the account (as a login answers it), and whether it has and may use a password."""
    test.assertEqual({k: v for k, v in obj.items() if k not in ME_ONLY}, account)
    for k in ME_ONLY:
        test.assertIsInstance(obj[k], bool, k)


def assert_account(test, obj):
    assert_keys(test, obj, ("id", "email", "name", "createdAt", "updatedAt"), "account")
    assert_uuid(test, obj["id"])
    test.assertEqual(obj["email"], obj["email"].lower())
    assert_name(test, obj["name"])
    assert_timestamp(test, obj["createdAt"])
    assert_timestamp(test, obj["updatedAt"])


TOKEN_KEYS = ("id", "name", "prefix", "createdAt", "lastUsedAt", "expiresAt", "revokedAt")


def assert_token(test, obj, with_secret=False):
    assert_keys(test, obj, TOKEN_KEYS + (("token",) if with_secret else ()), "token")
    assert_uuid(test, obj["id"])
    assert_name(test, obj["name"])
    test.assertRegex(obj["prefix"], r"^slw_[A-Za-z0-9_-]{4}$")
    assert_timestamp(test, obj["createdAt"])
    for key in ("lastUsedAt", "expiresAt", "revokedAt"):
        if obj[key] is not None:
            assert_timestamp(test, obj[key], key)
    if with_secret:
        test.assertRegex(obj["token"], TOKEN_RE)
        test.assertEqual(obj["prefix"], obj["token"][:8])


def assert_tenant(test, obj, role=None):
    assert_keys(test, obj, ("id", "orgName", "role", "createdAt", "updatedAt"), "tenant")
    assert_uuid(test, obj["id"])
    assert_name(test, obj["orgName"], "orgName")
    test.assertIn(obj["role"], ROLES)
    if role is not None:
        test.assertEqual(obj["role"], role)
    assert_timestamp(test, obj["createdAt"])
    assert_timestamp(test, obj["updatedAt"])


def assert_member(test, obj, with_password=False):
    keys = ("accountId", "email", "name", "role", "createdAt")
    assert_keys(test, obj, keys + (("initialPassword",) if with_password else ()), "member")
    assert_uuid(test, obj["accountId"])
    test.assertEqual(obj["email"], obj["email"].lower())
    assert_name(test, obj["name"])
    test.assertIn(obj["role"], ROLES)
    assert_timestamp(test, obj["createdAt"])
    if with_password:
        test.assertIsInstance(obj["initialPassword"], str)
        test.assertTrue(obj["initialPassword"])


AUDIT_KEYS = ("id", "tenantId", "actorAccountId", "actorEmail", "action", "targetType", "targetId", "outcome",
              "details", "ip", "userAgent", "requestId", "createdAt")


def assert_audit_row(test, obj):
    assert_keys(test, obj, AUDIT_KEYS, "audit row")
    assert_uuid(test, obj["id"])
    assert_uuid(test, obj["tenantId"])
    test.assertIn(obj["outcome"], ("success", "failure"))
    test.assertTrue(obj["details"] is None or isinstance(obj["details"], dict), "details is an object or null")
    test.assertRegex(obj["requestId"], REQUEST_ID_RE)
    assert_timestamp(test, obj["createdAt"])


def assert_error(test, resp, status, code):
    """The one error shape, exactly; returns the details list."""
    test.assertEqual(resp.status, status, str(resp))
    test.assertTrue(resp.headers.get("content-type", "").startswith("application/json"), str(resp.headers))
    body = resp.json
    test.assertIsInstance(body, dict, str(resp))
    test.assertEqual(sorted(body), ["error", "requestId"], str(resp))
    error = body["error"]
    test.assertIsInstance(error, dict, str(resp))
    test.assertEqual(sorted(error), ["code", "details", "message"], str(resp))
    test.assertEqual(error["code"], code, str(resp))
    test.assertIsInstance(error["message"], str)
    test.assertTrue(error["message"], "message is not empty")
    test.assertIsInstance(error["details"], list)
    for detail in error["details"]:
        test.assertIsInstance(detail, dict, str(resp))
        test.assertEqual(sorted(detail), ["field", "message"], str(resp))
        test.assertIsInstance(detail["field"], str)
        test.assertIsInstance(detail["message"], str)
        test.assertTrue(detail["message"])
    test.assertIsInstance(body["requestId"], str)
    test.assertEqual(resp.headers.get("x-request-id"), body["requestId"], "X-Request-Id header equals requestId")
    return error["details"]


def assert_invalid(test, resp, fields):
    """400 invalid_request with one detail per named field, and no others."""
    details = assert_error(test, resp, 400, "invalid_request")
    test.assertEqual(sorted(d["field"] for d in details), sorted(fields), str(resp))


def _normalized(resp):
    body = dict(resp.json) if isinstance(resp.json, dict) else resp.json
    if isinstance(body, dict):
        body.pop("requestId", None)
    headers = {k: v for k, v in resp.headers.items() if k not in ("x-request-id", "date", "content-length")}
    return resp.status, ANY_UUID_RE.sub("<uuid>", json.dumps(body, sort_keys=True)), headers


def assert_same_answer(test, resp, baseline):
    """The same status, body (but the request id and ids from the path) and headers."""
    test.assertEqual(_normalized(resp), _normalized(baseline), "%s\nvs baseline %s" % (resp, baseline))


def assert_same_not_found(test, resp, baseline):
    assert_error(test, resp, 404, "not_found")
    assert_same_answer(test, resp, baseline)


def assert_tenant_routes_hidden(test, server, token, tenant_id, account_id, routes=None):
    """Every route on this tenant (default: all of the route table's, each
    category and step it serves) answers like a tenant that never existed.

    For each: the real ids against random ones, once with a body the router
    accepts and once with a malformed one. Returns how many were checked.
    """
    routes = tenant_routes() if routes is None else routes
    test.assertTrue(routes, "no route to check")
    checked = 0
    for route in routes:
        for values in route.expansions():
            real = route.fill(tenantId=tenant_id, accountId=account_id, **values)
            fake = route.fill(**values)
            with test.subTest(route=str(route), **values):
                body, baseline = sample_body(route, tenant_id), sample_body(route)
                assert_same_not_found(test, server.request(route.method, real, body=body, token=token),
                                      server.request(route.method, fake, body=baseline, token=token))
                if body is not None:
                    assert_same_answer(test, server.request(route.method, real, raw=b"{", token=token),
                                       server.request(route.method, fake, raw=b"{", token=token))
            checked += 1
    return checked


# --------------------------------------------------------------------------
# Pagination


def page(test, server, path, token, **params):
    query = "&".join("%s=%s" % (k, quote(str(v), safe="")) for k, v in params.items())
    resp = server.request("GET", path + ("?" + query if query else ""), token=token)
    body = expect(test, resp, 200)
    assert_keys(test, body, ("items", "nextCursor"), "page")
    test.assertIsInstance(body["items"], list)
    test.assertTrue(body["nextCursor"] is None or isinstance(body["nextCursor"], str))
    return body


def walk_pages(test, server, path, token, limit=2, key="id"):
    """Every item of a list, page by page; checks page sizes and no repeats."""
    items, cursor, seen = [], None, set()
    for _ in range(1000):
        params = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        body = page(test, server, path, token, **params)
        test.assertLessEqual(len(body["items"]), limit)
        for item in body["items"]:
            test.assertNotIn(item[key], seen, "an item came twice while paging")
            seen.add(item[key])
        items += body["items"]
        cursor = body["nextCursor"]
        if cursor is None:
            return items
        test.assertEqual(len(body["items"]), limit, "only the last page may be short")
    test.fail("paging never ended")


def assert_paginates(test, server, path, token, expected_ids=(), key="id"):
    """limit=2 pages equal one limit=200 page, newest first, with expected_ids in it."""
    items = walk_pages(test, server, path, token, 2, key)
    whole = page(test, server, path, token, limit=200)
    test.assertIsNone(whole["nextCursor"])
    test.assertEqual([i[key] for i in items], [i[key] for i in whole["items"]], "no gap between pages")
    test.assertTrue(set(expected_ids) <= {i[key] for i in items}, "every expected item is listed")
    stamps = [i["createdAt"] for i in items]
    test.assertEqual(stamps, sorted(stamps, reverse=True), "newest first")
    return items


BAD_PAGE_PARAMS = ("limit=0", "limit=201", "limit=x", "limit=-1", "limit=1.5", "limit=10abc",
                   "cursor=garbage", "cursor=eyJ4IjoxfQ", "cursor=AAAAAAAAAAAAAAAA", "cursor=%00")


def assert_rejects_bad_page_params(test, server, path, token):
    for query in BAD_PAGE_PARAMS:
        with test.subTest(query=query):
            details = assert_error(test, server.request("GET", path + "?" + query, token=token), 400,
                                   "invalid_request")
            test.assertTrue({d["field"] for d in details} <= {query.split("=")[0]}, str(details))


# --------------------------------------------------------------------------
# The negative matrix of a body


MALFORMED_BODIES = (b"{", b"[]", b'"x"', b"", b"null", b"42", b"true", b'{"a":1,}', b"{'a': 1}", b"{} {}",
                    b"\xff\xfe{}", b'{"a": "\xc3"}')
WRONG_TYPES = (5, True, None, [], {}, ["x"], 1.5)
BAD_EMAILS = ("", "ab", "no-at-sign.example.com", "two@@example.com", "a@b@example.com", "has space@example.com",
              "tab\t@example.com", "nl\n@example.com", "del\x7f@example.com", "x" * 243 + "@example.com")


class BodySpec:
    """What a route's body must look like.

    valid: a valid body (never sent as is); required: field names;
    wrong_types: field -> values of the wrong JSON type; bad_values: field ->
    values of the right type that break a rule (length, format, range, enum).
    """

    def __init__(self, valid, required, wrong_types, bad_values):
        self.valid, self.required = valid, list(required)
        self.wrong_types, self.bad_values = wrong_types, bad_values


def check_body_matrix(test, send, spec):
    """Run the negative matrix; send(body=..|raw=.., headers=..) makes the request."""
    for raw in MALFORMED_BODIES:
        with test.subTest(malformed=raw):
            assert_error(test, send(raw=raw), 400, "malformed_json")
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        with test.subTest(content_type=content_type):
            assert_error(test, send(raw=json.dumps(spec.valid).encode(), headers={"Content-Type": content_type}),
                         415, "unsupported_media_type")

    def case(label, body, fields):
        with test.subTest(case=label, body=body):
            assert_invalid(test, send(body=body), fields)

    def without(*names):
        return {k: v for k, v in spec.valid.items() if k not in names}

    for field in spec.required:
        case("missing " + field, without(field), [field])
    case("all required missing", without(*spec.required), spec.required)
    for field, values in list(spec.wrong_types.items()) + list(spec.bad_values.items()):
        for value in values:
            case("%s=%r" % (field, value), dict(spec.valid, **{field: value}), [field])
    case("unknown fields", dict(spec.valid, unknownOne=1, unknown_two="x"), ["unknownOne", "unknown_two"])
    # three problems at once: a missing field, a wrong type, unknown fields to make three
    body, fields = without(spec.required[0]), [spec.required[0]]
    other = [f for f in spec.wrong_types if f != spec.required[0]]
    if other:
        body[other[0]] = spec.wrong_types[other[0]][0]
        fields.append(other[0])
    for i in range(3 - len(fields)):
        body["extra%d" % i] = i
        fields.append("extra%d" % i)
    case("three problems", body, fields)


# --------------------------------------------------------------------------
# Fixture commands


def _run_files(files, state_file, jobs):
    env = dict(os.environ, SLIPWAY_API_STATE=state_file)

    def run(path):
        proc = subprocess.run([sys.executable, path], env=env, capture_output=True, timeout=600)
        return path, proc.returncode, proc.stderr.decode("utf-8", "replace")

    failed = []
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for path, code, err in pool.map(run, files):
            print("%s %s" % ("ok  " if code == 0 else "FAIL", os.path.basename(path)))
            if code != 0:
                failed.append(path)
                print(err)
    return failed


def main(argv):
    if len(argv) >= 3 and argv[1] == "_supervise":
        _supervise(argv[2], argv[3:])
        return 0
    if len(argv) == 3 and argv[1] == "start":
        server = Server(SHARED_ENV).start(detached=True)
        _write_atomic(argv[2], json.dumps(server.state()))
        print("slipway serving on 127.0.0.1:%d (pid %d, %s)" % (server.port, server.pid, server.tmpdir))
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        with open(argv[2]) as f:
            server = Server.attach(json.load(f))
        try:
            server.stop()
        except AssertionError as e:
            print(e, file=sys.stderr)
            return 1
        os.unlink(argv[2])
        return 0
    if len(argv) >= 2 and argv[1] == "run":
        files = [os.path.abspath(p) for p in argv[2:]] or sorted(
            os.path.join(HERE, f) for f in os.listdir(HERE) if f.startswith("test_") and f.endswith(".py"))
        state_file = os.path.join(tempfile.mkdtemp(prefix="slipway-api-state-"), "state.json")
        if main([argv[0], "start", state_file]) != 0:
            return 1
        started = time.monotonic()
        try:
            failed = _run_files(files, state_file, int(os.environ.get("SLIPWAY_API_JOBS", "4")))
        finally:
            stopped = main([argv[0], "stop", state_file])
            if not stopped:
                shutil.rmtree(os.path.dirname(state_file), ignore_errors=True)
        print("%d file(s), %d failed, %.1f s" % (len(files), len(failed), time.monotonic() - started))
        return 1 if failed or stopped else 0
    print("usage: harness.py start STATEFILE | stop STATEFILE | run [test_x.py ...]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
