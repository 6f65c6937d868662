#!/usr/bin/env python3
"""GET /metrics (docs/operations.md, "Metrics"): Prometheus's text format on
an address of its own (SLIPWAY_METRICS_LISTEN), behind a token here
(SLIPWAY_METRICS_TOKEN), never on the API's address.

One private server that calls the provider fakes. After traffic of every
kind (requests with ids in their paths, unknown paths, an event stream, a
provider call, the re-verification job), `promtool check metrics` (Debian's
prometheus package) accepts the page, and each family counts what it says:
requests by route pattern (never by the path as sent), method and status,
with latencies; open streams; outbound calls by provider and outcome; jobs
by kind and state; the database pool; the process's memory and threads.
Scrapes are routine: they write no access line at info.
"""

import http.client
import re
import shutil
import subprocess
import time
import unittest
import uuid

import harness
import verify_fixtures as vf
from harness import ApiTest

TOKEN = "metrics-" + uuid.uuid4().hex
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse(text):
    """[(name, {label: value}, float)] of every sample."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        samples.append((m.group(1), dict(LABEL_RE.findall(m.group(2) or "")), float(m.group(3))))
    return samples


def value(samples, name, **labels):
    """The one sample of name with these labels (others may be present), or None."""
    found = [v for n, ls, v in samples if n == name and all(ls.get(k) == w for k, w in labels.items())]
    if len(found) > 1:
        raise AssertionError("%d samples of %s%r" % (len(found), name, labels))
    return found[0] if found else None


def tearDownModule():
    vf.stop_servers()


class MetricsTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.metrics_port = harness.free_port()
        client = vf.fakes()
        cls.server = vf.start_server(client, extra={
            "SLIPWAY_METRICS_LISTEN": "127.0.0.1:%d" % cls.metrics_port, "SLIPWAY_METRICS_TOKEN": TOKEN,
            "SLIPWAY_STREAM_HEARTBEAT": "1", "SLIPWAY_JOB_POLL_MS": "100"})
        cls.server.remember_secret(TOKEN)
        vf._servers["metrics"] = cls.server  # stopped, and its log checked, by tearDownModule
        cls.own_server = False
        cls.ctx = vf.Ctx(cls.server, client)

    def scrape(self, token=TOKEN, path="/metrics", method="GET", request_id=None):
        headers = {"Authorization": "Bearer " + token} if token else {}
        if request_id:
            headers["X-Request-Id"] = request_id
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=30)
        try:
            conn.request(method, path, headers=headers)
            resp = conn.getresponse()
            return resp.status, dict((k.lower(), v) for k, v in resp.getheaders()), resp.read().decode()
        finally:
            conn.close()

    def samples(self):
        status, headers, body = self.scrape()
        self.assertEqual(status, 200, body)
        self.assertEqual(headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        return body, parse(body)

    def wait_for(self, what, check, deadline=20):
        end = time.monotonic() + deadline
        while True:
            body, samples = self.samples()
            if check(samples):
                return samples
            if time.monotonic() > end:
                self.fail("%s: not within %d s\n%s" % (what, deadline, body[-3000:]))
            time.sleep(0.2)

    def test_not_on_the_api_address(self):
        resp = self.server.request("GET", "/metrics", headers={"Authorization": "Bearer " + TOKEN})
        harness.assert_error(self, resp, 404, "not_found")

    def test_the_metrics_address_serves_metrics_only(self):
        status, _, _ = self.scrape(path="/healthz")
        self.assertEqual(status, 404)
        status, headers, _ = self.scrape(path="/api/v1/me")
        self.assertEqual(status, 404)
        status, headers, _ = self.scrape(method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers.get("allow"), "GET")

    def test_the_token_is_asked_for(self):
        for token in (None, "", "wrong", TOKEN + "x", TOKEN[:-1]):
            with self.subTest(token=token):
                status, headers, body = self.scrape(token=token)
                self.assertEqual(status, 401, body)
                self.assertNotIn("slipway_http_requests_total", body)
                self.assertIn("Bearer", headers.get("www-authenticate", ""))
        self.assertEqual(self.scrape()[0], 200)

    def test_requests_by_route_pattern_method_and_status(self):
        org = harness.new_org(self.server)
        route = dict(method="GET", route="/api/v1/{tenantId}", code="200")
        before = value(self.samples()[1], "slipway_http_requests_total", **route) or 0
        for _ in range(3):
            self.assertEqual(self.server.request("GET", "/api/v1/%s" % org.id, token=org.owner.token).status, 200)
        stray = "/nope-%s/%s" % (uuid.uuid4().hex, uuid.uuid4())
        self.assertEqual(self.server.request("GET", stray).status, 404)
        # A request is counted as it completes, just after its answer went out: the last one may still be
        # completing when the client already scrapes, so the count is read again until it settles (at most 2 s).
        for _ in range(20):
            body, samples = self.samples()
            if value(samples, "slipway_http_requests_total", **route) == before + 3:
                break
            time.sleep(0.1)
        self.assertEqual(value(samples, "slipway_http_requests_total", **route), before + 3)
        self.assertGreaterEqual(value(samples, "slipway_http_requests_total", method="any", route="unmatched", code="404"), 1)
        # The histogram counts the same requests; no path as sent, no id, is ever a label.
        self.assertGreaterEqual(value(samples, "slipway_http_request_duration_seconds_count", method="GET",
                                      route="/api/v1/{tenantId}"), before + 3)
        self.assertEqual(value(samples, "slipway_http_request_duration_seconds_bucket", method="GET",
                               route="/api/v1/{tenantId}", le="+Inf"),
                         value(samples, "slipway_http_request_duration_seconds_count", method="GET",
                               route="/api/v1/{tenantId}"))
        self.assertNotIn(org.id, body)
        self.assertNotIn(stray.split("/")[1], body)
        routes = {ls["route"] for n, ls, _ in samples if n == "slipway_http_requests_total"}
        self.assertTrue(all(r == "unmatched" or r.startswith("/") for r in routes), routes)
        self.assertFalse([r for r in routes if harness.ANY_UUID_RE.search(r)], "an id in a route label")

    def test_open_streams(self):
        org = harness.new_org(self.server)
        streams = []
        for _ in range(2):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
            conn.request("GET", "/api/v1/%s/audit-logs/stream" % org.id,
                         headers={"Authorization": "Bearer " + org.owner.token, "Accept": "text/event-stream"})
            self.assertEqual(conn.getresponse().status, 200)
            streams.append(conn)
        self.wait_for("two streams open", lambda s: value(s, "slipway_sse_streams_open") == 2)
        for conn in streams:
            conn.close()
        # A client that left is noticed at the next heartbeat (1 s here).
        self.wait_for("no stream open", lambda s: value(s, "slipway_sse_streams_open") == 0)

    def test_outbound_calls_by_provider_and_outcome(self):
        case = vf.build(self.ctx, "GITHUB")
        vf.assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "VALID", "VALID", case.secrets)
        samples = self.samples()[1]
        self.assertGreaterEqual(value(samples, "slipway_outbound_calls_total", provider="GITHUB", outcome="2xx") or 0, 1)
        self.assertGreaterEqual(value(samples, "slipway_outbound_call_duration_seconds_count", provider="GITHUB"), 1)
        self.assertEqual(value(samples, "slipway_outbound_calls_in_flight"), 0)

    def test_jobs_by_kind_and_state(self):
        # Every process asks for a re-verification run at start: this one has run it at least once by now.
        samples = self.wait_for("a re-verification run", lambda s: (
            value(s, "slipway_job_runs_total", kind="reverify", outcome="ok") or 0) >= 1)
        self.assertEqual(value(samples, "slipway_jobs", kind="reverify", state="QUEUED")
                         or value(samples, "slipway_jobs", kind="reverify", state="RUNNING"), 1)
        self.assertIsNotNone(value(samples, "slipway_jobs_oldest_due_seconds", kind="reverify"))
        self.assertGreaterEqual(value(samples, "slipway_job_run_duration_seconds_count", kind="reverify"), 1)

    def test_pool_and_process(self):
        samples = self.samples()[1]
        self.assertIsNotNone(value(samples, "slipway_db_pool_connections", state="in_use"))
        self.assertIsNotNone(value(samples, "slipway_db_pool_connections", state="idle"))
        self.assertEqual(value(samples, "slipway_db_pool_max_connections"), 0 if harness.BACKEND == "sqlite" else 16)
        self.assertEqual(value(samples, "slipway_db_pool_timeouts_total"), 0)
        if harness.BACKEND == "sqlite":  # one writer connection: its transactions, and the time they held and waited for it
            writes, busy = value(samples, "slipway_db_writer_transactions_total"), value(samples, "slipway_db_writer_busy_seconds_total")
            self.assertGreater(writes, 0, "the set-up wrote")
            self.assertGreater(busy, 0)
            self.assertGreaterEqual(value(samples, "slipway_db_writer_wait_seconds_total"), 0)
            harness.expect(self, self.server.request("POST", "/api/v1/tenants", {"orgName": "Metrics writer"},
                                                     token=self.ctx.token), 201)
            after = self.samples()[1]
            self.assertGreater(value(after, "slipway_db_writer_transactions_total"), writes, "a write counted")
            self.assertGreater(value(after, "slipway_db_writer_busy_seconds_total"), busy)
        else:  # each connection commits on its own: no writer to count
            self.assertIsNone(value(samples, "slipway_db_writer_transactions_total"))
        self.assertGreater(value(samples, "process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(value(samples, "process_threads"), 3)
        self.assertGreater(value(samples, "process_open_fds"), 3)
        self.assertLess(abs(value(samples, "process_start_time_seconds") - time.time()), 3600)

    def test_promtool_accepts_the_page(self):
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool (Debian's prometheus package: scripts/install-deps test)")
        self.test_requests_by_route_pattern_method_and_status()
        self.test_outbound_calls_by_provider_and_outcome()
        body = self.samples()[0]
        proc = subprocess.run([promtool, "check", "metrics"], input=body.encode(), capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, "promtool: %s %s" % (proc.stdout.decode(), proc.stderr.decode()))

    def test_scrapes_are_routine(self):
        ids = ["scrape-%s" % uuid.uuid4().hex for _ in range(3)]
        for rid in ids:
            self.assertEqual(self.scrape(request_id=rid)[0], 200)
        marker = self.server.request("GET", "/healthz").headers["x-request-id"]
        self.assertTrue(self.server.log_lines_for(marker), "the API's access lines are written")
        log = self.server.log_text()
        self.assertEqual([rid for rid in ids if rid in log], [], "a scrape logged an access line at info")


if __name__ == "__main__":
    unittest.main()
