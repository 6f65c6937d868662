"""Several slipway processes behind nginx on one database, for tests
(docs/operations.md, "Several processes"). Python 3 standard library,
Debian's nginx, and a database server that tests/db/dbserver started.

    with Cluster(db_state_file, processes=3) as c:
        c.front            # a harness.Server-like client of nginx (request(), admin, remember_secret())
        c.nodes[i]         # each slipway process: .port, .metrics_port, .pid, .log_text(), .scrape()
        c.kill(node)       # SIGKILL
        c.nginx_log()      # parsed access lines: request id, method, status, upstream addresses and statuses
        c.jobs()           # the rows of the jobs table

With probe_steps=S, every process is started with SLIPWAY_TEST_PROBE (the
test-only job kind "probe", src/jobs/probe.h) and creates, as it starts, one
workflow of S steps that is its own (created `here`: it runs on that process
unless it dies); c.fake is the provider they call, tests/reliability/
workflows.py's Fake, which holds every answer until c.fake.release(): until
then each process's workflow waits at its first step, its effect made.

The database is fresh (a database of its own on the server), migrated once
and bootstrapped once; every process then starts with `serve` alone. nginx
runs from a private prefix with the configuration below, which is the one
docs/operations.md recommends, on loopback ports. Leaving the block stops
every process it started (SIGTERM; slipway must exit 0) and checks the logs
for sanitizer reports.
"""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "db"))
sys.path.insert(0, os.path.join(ROOT, "tests", "reliability"))
import dbclient  # noqa: E402
import harness  # noqa: E402
from ports import free_port  # noqa: E402
import workflows  # noqa: E402

KEY = "5eed0000000000000000000000000000000000000000000000000000000000c1"
READY_TIMEOUT = 30.0

# The upstream block and the locations are what docs/operations.md shows; the rest makes nginx private to a test.
NGINX_CONF = """
worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    log_format upstreams '$http_x_request_id $request_method $status "$upstream_addr" "$upstream_status"';
    access_log {prefix}/access.log upstreams;

    upstream slipway {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        # A process that died or does not answer: the request goes to the next one. nginx never sends a
        # request that was already sent on again unless its method is idempotent (GET, HEAD, PUT, DELETE...).
        proxy_next_upstream error timeout;
        proxy_next_upstream_tries 3;
        proxy_connect_timeout 2s;
        location / {{
            proxy_pass http://slipway;
        }}
        # Event streams: passed on as they come, kept open between heartbeats (SLIPWAY_STREAM_HEARTBEAT).
        location ~ ^/api/v1/[^/]+/audit-logs/stream$ {{
            proxy_pass http://slipway;
            proxy_buffering off;
            proxy_read_timeout 1h;
        }}
    }}
}}
"""


def _tail(text, lines=30):
    return "\n".join(text.splitlines()[-lines:])


def wait_healthy(port, what, proc, log):
    """Until GET /healthz on port answers 200; fails when proc exits first (log() says why) or after READY_TIMEOUT."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise AssertionError("%s exited (%s) before it was ready\n%s" % (what, proc.returncode, _tail(log())))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        if time.monotonic() > deadline:
            raise AssertionError("%s not ready after %.0f s\n%s" % (what, READY_TIMEOUT, _tail(log())))
        time.sleep(0.05)


class Node:
    """One `slipway serve` process."""

    def __init__(self, cluster, index):
        self.cluster, self.index = cluster, index
        self.port, self.metrics_port = free_port(), free_port()
        self.dir = os.path.join(cluster.dir, "node%d" % index)
        os.makedirs(self.dir)
        self.proc = None
        self.killed = False

    @property
    def pid(self):
        return self.proc.pid

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        env = dict(self.cluster.env(), SLIPWAY_LISTEN=self.address,
                   SLIPWAY_METRICS_LISTEN="127.0.0.1:%d" % self.metrics_port)
        if self.cluster.fake:
            # The probe's request waits for the fake's release: it may take as long as the fake holds it.
            probe = {"url": self.cluster.fake.url, "timeoutMs": int((workflows.HOLD_MAX + 10) * 1000),
                     "enqueue": {"count": 1, "steps": self.cluster.probe_steps, "tag": "node%d" % self.index, "here": True}}
            env.update(SLIPWAY_TEST_PROBE=json.dumps(probe), SLIPWAY_OUTBOUND_ALLOW="127.0.0.0/8")
        with open(os.path.join(self.dir, "stderr.log"), "ab") as err:
            self.proc = subprocess.Popen([harness.binary_path(), "serve"], env=env, cwd=self.dir,
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)

    def wait_ready(self):
        wait_healthy(self.port, "slipway %d" % self.index, self.proc, self.log_text)

    def scrape(self):
        """{(name, frozenset of label pairs): value} from this process's /metrics."""
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        try:
            conn.request("GET", "/metrics")
            resp = conn.getresponse()
            text = resp.read().decode()
            if resp.status != 200:
                raise AssertionError("metrics of slipway %d: %d %s" % (self.index, resp.status, text[:300]))
        finally:
            conn.close()
        samples = {}
        for line in text.splitlines():
            m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$', line)
            if m:
                labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
                samples[(m.group(1), labels)] = float(m.group(3))
        return samples

    def streams_open(self):
        return int(self.scrape().get(("slipway_sse_streams_open", frozenset()), 0))

    def log_text(self):
        try:
            with open(os.path.join(self.dir, "stderr.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """SIGTERM; problems (not exit 0, a sanitizer report), or []."""
        if self.killed or self.proc is None:
            return []
        problems = []
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(harness.STOP_TIMEOUT)
            if code != 0:
                problems.append("slipway %d: exit %d after SIGTERM" % (self.index, code))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            problems.append("slipway %d: still running %.0f s after SIGTERM" % (self.index, harness.STOP_TIMEOUT))
        log = self.log_text()
        problems += ["slipway %d: stderr contains %r" % (self.index, p) for p in harness.SANITIZER_PATTERNS if p in log]
        return problems


class Front(harness.Server):
    """The API as clients see it: through nginx. harness.Server's client half only (it starts nothing)."""

    def __init__(self, port, tmpdir, admin):
        super().__init__()
        self.port, self.tmpdir, self.admin = port, tmpdir, admin


class Cluster:
    def __init__(self, db_state_file, processes=3, extra_env=None, probe_steps=0):
        self.db_state_file = db_state_file
        self.count = processes
        self.extra_env = dict(extra_env or {})
        self.probe_steps = probe_steps
        self.dir = tempfile.mkdtemp(prefix="slipway-cluster-")
        self.nodes, self.nginx, self.fake = [], None, None
        self.database = None

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
        env.update({"SLIPWAY_DATABASE_URL": self.database, "INTEGRATION_ENCRYPTION_KEY": KEY,
                    # Behind nginx every client is nginx's address: no per-address connection limit.
                    "SLIPWAY_MAX_CONNECTIONS_PER_CLIENT": "0", "SLIPWAY_DB_POOL": "8",
                    "SLIPWAY_LOGIN_RATE": "1000", "SLIPWAY_HASH_THREADS": "2", "SLIPWAY_TOKEN_FLUSH": "1",
                    # The load's writers invite members at hundreds an hour into one tenant.
                    "SLIPWAY_INVITE_RATE": "100000"})
        env.update(self.extra_env)
        return env

    def admin_command(self, *args):
        proc = subprocess.run([harness.binary_path()] + list(args), env=self.env(), cwd=self.dir, capture_output=True,
                              timeout=120)
        if proc.returncode != 0:
            raise AssertionError("slipway %s: exit %d\n%s" % (" ".join(args), proc.returncode, proc.stderr.decode()))
        return proc.stdout.decode()

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        problems = self.close()
        if problems and exc[0] is None:
            raise AssertionError("; ".join(problems))

    def start(self):
        with open(self.db_state_file) as f:
            admin_url = json.load(f)["url"]
        self.database = dbclient.createdb(admin_url, "slw_" + uuid.uuid4().hex[:20])
        self.admin_command("migrate", "up")
        admin = json.loads(self.admin_command("admin", "bootstrap", "--email", "admin@example.com", "--org", "Admin Org"))
        if self.probe_steps:
            self.fake = workflows.Fake(delay=(0, 0.05), hold=True)
        self.nodes = [Node(self, i) for i in range(self.count)]
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()
        self.start_nginx()
        self.front = Front(self.nginx_port, self.dir, admin)
        for key in ("password", "token"):
            self.front.remember_secret(admin[key])

    def start_nginx(self):
        prefix = os.path.join(self.dir, "nginx")
        for sub in ("tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            os.makedirs(os.path.join(prefix, sub))
        # The workers run as nobody when nginx starts as root: they may write their temporary files.
        for path, _, _ in os.walk(prefix):
            os.chmod(path, 0o777)
        os.chmod(self.dir, 0o755)
        self.nginx_port = free_port()
        servers = "\n".join("        server %s max_fails=1 fail_timeout=2s;" % n.address for n in self.nodes)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(prefix=prefix, port=self.nginx_port, servers=servers))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.access(nginx, os.X_OK):
            raise AssertionError("nginx is missing (Debian's nginx: scripts/install-deps test)")
        self.nginx_prefix = prefix
        with open(os.path.join(prefix, "stderr.log"), "wb") as err:
            self.nginx = subprocess.Popen([nginx, "-p", prefix, "-c", conf], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)

        def log():
            with open(os.path.join(prefix, "error.log")) as f:
                return f.read()
        wait_healthy(self.nginx_port, "nginx", self.nginx, log)

    def kill(self, node):
        os.kill(node.pid, signal.SIGKILL)
        node.proc.wait()
        node.killed = True

    def jobs(self):
        """The rows of the jobs table: [{id, kind, state, attempts, leaseowner, output, payload}]."""
        names, found = dbclient.query(self.database, "SELECT id, kind, state, attempts, leaseOwner, output, payload FROM jobs")
        return [dict(zip((n.lower() for n in names), r)) for r in found]

    def survivors(self):
        return [n for n in self.nodes if not n.killed]

    def node_at(self, address):
        return next(n for n in self.nodes if n.address == address)

    def nginx_log(self):
        """{request id: (method, status, [upstream addresses], [upstream statuses])} of nginx's access log."""
        entries = {}
        with open(os.path.join(self.nginx_prefix, "access.log")) as f:
            for line in f:
                m = re.match(r'^(\S+) (\S+) (\d+) "([^"]*)" "([^"]*)"$', line.strip())
                if m:
                    # Several tries: "a, b"; an internal redirect between groups: "a : b".
                    addrs, statuses = (re.split(r", | : ", g) if g not in ("", "-") else [] for g in m.group(4, 5))
                    entries[m.group(1)] = (m.group(2), int(m.group(3)), addrs, statuses)
        return entries

    def close(self):
        problems = []
        if self.fake:
            self.fake.release()  # held answers go out: no process waits for one as it stops
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: open streams end
            try:
                self.nginx.wait(15)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        for node in self.nodes:
            problems += node.stop()
        if self.fake:
            self.fake.close()
        if self.database:
            with open(self.db_state_file) as f:
                admin_url = json.load(f)["url"]
            try:
                dbclient.dropdb(admin_url, dbclient.Url(self.database).database)
            except Exception as e:  # noqa: BLE001 (the database server may be gone already; it is private anyway)
                problems.append("could not drop the test database: %s" % e)
        if problems or os.environ.get("SLIPWAY_API_KEEP") == "1":
            print("cluster: kept %s" % self.dir, file=sys.stderr)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return problems
