"""Generic HTTP behaviour: health, OpenAPI, 404/405/413/415, request ids, access log, shutdown."""

import http.client
import json
import os
import re
import threading
import time
import unittest
import uuid

import harness
from harness import ApiTest, fill

tearDownModule = harness.stop_shared_server


class HealthTest(ApiTest):
    def test_healthz(self):
        resp = self.request("GET", "/healthz")
        self.assertEqual(self.expect(resp, 200), {"status": "ok"})
        self.assertTrue(resp.headers.get("content-type", "").startswith("application/json"))

    def test_readyz(self):
        self.assertEqual(self.expect(self.request("GET", "/readyz"), 200), {"status": "ready"})


class OpenApiTest(ApiTest):
    def test_json_document(self):
        doc = self.expect(self.request("GET", "/api/v1/openapi.json"), 200)
        self.assertIsInstance(doc, dict)
        self.assertIsInstance(doc.get("openapi"), str)
        self.assertTrue(doc["openapi"].startswith("3.1"), doc.get("openapi"))

    def test_json_document_describes_every_route(self):
        doc = self.expect(self.request("GET", "/api/v1/openapi.json"), 200)

        def shape(template):  # parameter names are the document's to choose
            return re.sub(r"{[^}]*}", "{}", template)

        paths = {shape(p): entry for p, entry in doc.get("paths", {}).items()}
        routes = harness.route_table()
        self.assertTrue(routes)
        for route in routes:
            with self.subTest(route=str(route)):
                self.assertIn(shape(route.path), paths, "path missing from openapi.json")
                self.assertIn(route.method.lower(), paths[shape(route.path)])

    def test_yaml_document(self):
        resp = self.request("GET", "/api/v1/openapi.yaml")
        self.assertEqual(resp.status, 200, str(resp))
        self.assertRegex(resp.raw.decode("utf-8"), r"(?m)^openapi:\s*['\"]?3\.1")


class NotFoundTest(ApiTest):
    # "/" is the web UI's page (test_session.py checks it).
    PATHS = ("/nope", "/ui", "/ui/nope.js", "/healthz/x", "/api", "/api/v1", "/api/v2/me", "/api/v1/me/nope",
             "/api/v1/auth/nope", "/api/v1/me/tokens/%s/x" % uuid.uuid4(),
             "/api/v1/%s/nope" % uuid.uuid4(), "/api/v1/%s/members/%s/x" % (uuid.uuid4(), uuid.uuid4()))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)

    def test_unknown_paths(self):
        for path in self.PATHS:
            for label, token in (("anonymous", None), ("signed in", self.user.token)):
                with self.subTest(path=path, caller=label):
                    self.assert_error(self.request("GET", path, token=token), 404, "not_found")


class MethodNotAllowedTest(ApiTest):
    """A wrong method on an existing path: 405 with Allow listing its methods.

    The methods are picked so that no other route pattern could claim them
    (/api/v1/{tenantId} also matches /api/v1/me and /api/v1/tenants).
    """

    CASES = (
        ("POST", "/healthz"),
        ("DELETE", "/readyz"),
        ("POST", "/api/v1/openapi.json"),
        ("PUT", "/api/v1/openapi.yaml"),
        ("GET", "/api/v1/auth/login"),
        ("GET", "/api/v1/auth/logout"),
        ("POST", "/api/v1/me"),
        ("PUT", "/api/v1/me/tokens"),
        ("GET", "/api/v1/me/tokens/{tokenId}"),
        ("PUT", "/api/v1/tenants"),
        ("PUT", "/api/v1/{tenantId}"),
        ("POST", "/api/v1/{tenantId}"),
        ("PUT", "/api/v1/{tenantId}/members"),
        ("GET", "/api/v1/{tenantId}/members/{accountId}"),
        ("POST", "/api/v1/{tenantId}/members/{accountId}"),
        ("POST", "/api/v1/{tenantId}/audit-logs"),
        ("DELETE", "/api/v1/{tenantId}/audit-logs"),
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = harness.new_user(cls.server)
        cls.tenant = harness.new_tenant(cls.server, cls.owner.token)

    def test_wrong_methods(self):
        table = harness.route_table()
        for method, template in self.CASES:
            allowed = {r.method for r in table if r.path == template.replace("{tokenId}", "{id}")}
            self.assertTrue(allowed, "%s is not a path of the route table" % template)
            path = fill(template, tenantId=self.tenant["id"], accountId=self.owner.id, tokenId=self.owner.token_id)
            with self.subTest(method=method, path=template):
                resp = self.request(method, path, token=self.owner.token,
                                    raw=b"{}" if method in ("POST", "PUT", "PATCH") else None)
                self.assert_error(resp, 405, "method_not_allowed")
                self.assertIn("allow", resp.headers)
                listed = {m.strip().upper() for m in resp.headers["allow"].split(",") if m.strip()}
                self.assertTrue(allowed <= listed, "Allow %r lacks %s" % (resp.headers["allow"], allowed - listed))
                self.assertTrue(listed <= allowed | {"HEAD", "OPTIONS"},
                                "Allow %r lists methods the path does not have" % resp.headers["allow"])
        # nothing above may have changed the tenant
        got = self.expect(self.request("GET", "/api/v1/" + self.tenant["id"], token=self.owner.token), 200)
        self.assertEqual(got["orgName"], self.tenant["orgName"])


class RequestIdTest(ApiTest):
    def test_sane_id_is_honoured(self):
        for rid in ("abc-123", "A.b_c-9", "x", "y" * 64):
            with self.subTest(rid=rid):
                ok = self.request("GET", "/healthz", headers={"X-Request-Id": rid})
                self.assertEqual(ok.headers.get("x-request-id"), rid)
                err = self.request("GET", "/nope", headers={"X-Request-Id": rid})
                self.assert_error(err, 404, "not_found")
                self.assertEqual(err.json["requestId"], rid)

    def test_insane_id_is_replaced(self):
        for rid in ("y" * 65, "abc 123", 'abc"123', "abc'123", "a/b", "a;b", "a,b", "<script>", "caf\u00e9", ""):
            with self.subTest(rid=rid):
                resp = self.request("GET", "/nope", headers={"X-Request-Id": rid})
                self.assert_error(resp, 404, "not_found")
                made = resp.headers.get("x-request-id")
                self.assertNotEqual(made, rid)
                self.assertRegex(made, harness.REQUEST_ID_RE)

    def test_generated_ids_are_sane_and_unique(self):
        ids = [self.request("GET", "/healthz").headers.get("x-request-id") for _ in range(20)]
        for rid in ids:
            self.assertIsNotNone(rid)
            self.assertRegex(rid, harness.REQUEST_ID_RE)
        self.assertEqual(len(set(ids)), len(ids))

    def test_every_answer_carries_one(self):
        user = harness.new_user(self.server)
        for resp in (self.request("GET", "/readyz"), self.request("GET", "/api/v1/me", token=user.token),
                     self.request("POST", "/api/v1/auth/logout", token=harness.create_token(
                         self.server, user.token)["token"]),
                     self.request("GET", "/api/v1/me"), self.request("PUT", "/healthz", raw=b"{}")):
            with self.subTest(resp=resp.request):
                self.assertRegex(resp.headers.get("x-request-id", ""), harness.REQUEST_ID_RE)


def body_routes():
    """Every route of the table that takes a body, with each category and step it serves: (route, values)."""
    out = [(r, v) for r in harness.route_table() if r.takes_body for v in r.expansions()]
    assert out, "the route table has no route with a body"
    return out


def _padded(body, size):
    """body as JSON, padded with spaces to exactly size bytes (still valid JSON)."""
    data = json.dumps(body).encode()
    return data[:-1] + b" " * (size - len(data)) + b"}"


class BodyLimitTest(ApiTest):
    server_env = {"SLIPWAY_BODY_LIMIT": "1024"}

    def test_every_body_route_refuses_2_kib(self):
        admin = self.server.admin
        for route, values in body_routes():
            with self.subTest(route=str(route), **values):
                body = _padded(harness.sample_body(route, admin["tenantId"]), 2048)
                path = route.fill(tenantId=admin["tenantId"], accountId=admin["accountId"], **values)
                resp = self.request(route.method, path, raw=body, token=admin["token"])
                self.assert_error(resp, 413, "payload_too_large")

    def test_chunked_body_over_the_limit(self):
        body = _padded({"name": "chunked"}, 2048)
        resp = self.server.raw_exchange("POST", "/api/v1/me/tokens", {
            "Authorization": "Bearer " + self.server.admin["token"], "Content-Type": "application/json"},
            body, chunked=True)
        self.assert_error(resp, 413, "payload_too_large")

    def test_body_under_the_limit_is_read(self):
        resp = self.request("POST", "/api/v1/me/tokens", raw=_padded({"name": "padded"}, 1000),
                            token=self.server.admin["token"])
        harness.assert_token(self, self.expect(resp, 201), with_secret=True)

    def test_limit_holds_for_anonymous_login(self):
        self.assert_error(self.request("POST", "/api/v1/auth/login", raw=b'{"email":"' + b"a" * 4096 + b'"}'),
                          413, "payload_too_large")


class DefaultBodyLimitTest(ApiTest):
    """The default limit is 1 MiB."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)

    def test_just_over_one_mib(self):
        body = _padded({"name": "big"}, 1024 * 1024 + 1)
        resp = self.server.raw_exchange("POST", "/api/v1/me/tokens", {
            "Authorization": "Bearer " + self.user.token, "Content-Type": "application/json"}, body)
        self.assert_error(resp, 413, "payload_too_large")

    def test_under_one_mib_is_read(self):
        resp = self.request("POST", "/api/v1/me/tokens", raw=_padded({"name": "big"}, 1000 * 1024),
                            token=self.user.token)
        self.expect(resp, 201)


class ContentTypeTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)

    def test_json_with_charset_is_accepted(self):
        resp = self.request("POST", "/api/v1/me/tokens", body={"name": "charset"}, token=self.user.token,
                            headers={"Content-Type": "application/json; charset=utf-8"})
        self.expect(resp, 201)

    def test_other_media_types_are_refused_on_every_body_route(self):
        tenant = harness.new_tenant(self.server, self.user.token)
        for route, values in body_routes():
            path = route.fill(tenantId=tenant["id"], accountId=self.user.id, **values)
            for content_type in ("text/plain", "application/xml", "application/x-www-form-urlencoded"):
                with self.subTest(route=str(route), content_type=content_type, **values):
                    # The instance administrator's routes: the bootstrap admin's token (any other account: 404).
                    token = self.server.admin["token"] if route.role == "admin" else self.user.token
                    resp = self.request(route.method, path, token=token,
                                        headers={"Content-Type": content_type},
                                        raw=json.dumps(harness.sample_body(route, tenant["id"])).encode())
                    self.assert_error(resp, 415, "unsupported_media_type")


class JsonEdgeTest(ApiTest):
    def test_deep_nesting_is_refused_and_survived(self):
        deep = b'{"email":' + b"[" * 100000 + b"]" * 100000 + b"}"
        resp = self.request("POST", "/api/v1/auth/login", raw=deep)
        self.assertEqual(resp.status, 400, str(resp))
        self.assertIn(resp.json["error"]["code"], ("malformed_json", "invalid_request"))
        self.expect(self.request("GET", "/healthz"), 200)

    def test_escaped_nul_is_refused(self):
        """RFC 8259 allows \\u0000 in a string, but a NUL would cut a C string short: docs/api.md refuses it as malformed."""
        resp = self.request("POST", "/api/v1/auth/login", raw=b'{"email": "nul\\u0000@example.com", "password": "x"}')
        harness.assert_error(self, resp, 400, "malformed_json")
        self.assertNotIn("JSON_ALLOW_NUL", resp[2]["error"]["message"])  # no library text reaches the client


class AccessLogTest(ApiTest):
    KEYS = ("time", "requestId", "method", "path", "status", "durationMs")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)
        cls.tenant = harness.new_tenant(cls.server, cls.user.token)

    def _logged(self, method, path, **kwargs):
        rid = "log-" + uuid.uuid4().hex
        resp = self.request(method, path, headers={"X-Request-Id": rid}, **kwargs)
        lines = [line for line in self.server.log_lines_for(rid) if line.get("requestId") == rid and "status" in line]
        self.assertEqual(len(lines), 1, "one access-log line for %s: %s" % (rid, lines))
        line = lines[0]
        for key in self.KEYS:
            self.assertIn(key, line)
        harness.assert_timestamp(self, line["time"], "time")
        self.assertEqual(line["method"], method)
        self.assertEqual(line["path"].split("?")[0], path.split("?")[0])
        self.assertEqual(line["status"], resp.status)
        self.assertIsInstance(line["durationMs"], (int, float))
        self.assertGreaterEqual(line["durationMs"], 0)
        return resp, line

    def test_anonymous_request(self):
        self._logged("GET", "/healthz")
        self._logged("GET", "/nope")

    def test_account_and_tenant_are_logged_when_known(self):
        path = "/api/v1/%s/members" % self.tenant["id"]
        resp, line = self._logged("GET", path + "?limit=5", token=self.user.token)
        self.assertEqual(resp.status, 200)
        values = set(map(str, line.values()))
        self.assertIn(self.user.id, values, "the account id is logged")
        self.assertIn(self.tenant["id"], values, "the tenant id is logged")

    def test_no_authorization_value_or_body_in_the_log(self):
        marker = "body-marker-" + uuid.uuid4().hex
        token = harness.create_token(self.server, self.user.token, name=marker)["token"]
        password = "pw-marker-" + uuid.uuid4().hex
        self._logged("POST", "/api/v1/auth/login", body={"email": self.user.email, "password": password})
        self._logged("GET", "/api/v1/me", token=token)
        self._logged("PATCH", "/api/v1/" + self.tenant["id"], body={"orgName": marker}, token=self.user.token)
        log = self.server.log_text()
        for secret in (marker, token, password, self.user.token, self.user.password):
            self.assertNotIn(secret, log)
        self.assertNotIn("Bearer", log)

    def test_every_line_is_json(self):
        self._logged("GET", "/readyz")
        lines = self.server.log_text().splitlines()
        self.assertTrue(lines)
        for line in lines:
            if line.strip():
                with self.subTest(line=line[:200]):
                    self.assertIsInstance(json.loads(line), dict)


METRICS_PORT, METRICS_TOKEN = harness.free_port(), "metrics-" + uuid.uuid4().hex


def in_flight():
    """The server's slipway_http_requests_in_flight, read from its metrics address."""
    conn = http.client.HTTPConnection("127.0.0.1", METRICS_PORT, timeout=10)
    try:
        conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + METRICS_TOKEN})
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    found = re.search(r"^slipway_http_requests_in_flight(?:\{[^}]*\})? (\d+)", text, re.M)
    return int(found.group(1)) if found else 0


class ShutdownTest(ApiTest):
    """SIGTERM lets requests in flight finish, then the server exits 0."""

    # Logins at the default hashing cost (64 MiB, tens of milliseconds; harness.TEST_ENV's is cheap), so that some are
    # still in flight when the signal comes.
    server_env = {"SLIPWAY_METRICS_LISTEN": "127.0.0.1:%d" % METRICS_PORT, "SLIPWAY_METRICS_TOKEN": METRICS_TOKEN,
                  "SLIPWAY_ARGON2_MEMORY": "65536"}

    def test_sigterm_during_logins(self):
        admin = self.server.admin
        results, finished = [None] * 3, [None] * 3

        def slow_login(i):
            try:
                results[i] = harness.login(self.server, admin["email"], admin["password"]).status
            except OSError as e:
                results[i] = repr(e)
            finished[i] = time.monotonic()

        threads = [threading.Thread(target=slow_login, args=(i,)) for i in range(len(results))]
        for t in threads:
            t.start()
        # Every login received before the signal (a request still in the kernel's queue at SIGTERM is refused, as it
        # should be): the server's own count, not a guess at how long three connections take on a loaded machine.
        # (Those answered first, then those in flight: a login ending between the two reads is counted in neither.)
        deadline = time.monotonic() + 20
        while sum(f is not None for f in finished) + in_flight() < len(results) and time.monotonic() < deadline:
            time.sleep(0.01)
        signalled = time.monotonic()
        self.server.terminate()
        for t in threads:
            t.join(30)
        self.assertEqual(results, [200] * len(results))
        self.assertTrue(any(f > signalled for f in finished), "no login was still in flight at SIGTERM")
        self.server.stop()  # fails unless the exit status is 0 and the log is clean


class SignalMaskTest(ApiTest):
    """SIGTERM and SIGINT are the main thread's alone, whatever the backend.

    A thread that does not block them takes a signal meant for the main thread's sigwait and dies of it: the server
    exits -15 without draining. The main thread sits in sigwait and so does not show them blocked in /proc.
    """

    def test_every_other_thread_blocks_them(self):
        pid = self.server.pid
        wanted = (1 << (15 - 1)) | (1 << (2 - 1))  # SIGTERM, SIGINT: bit n-1 of SigBlk
        threads = {}
        for tid in os.listdir("/proc/%d/task" % pid):
            if int(tid) == pid:
                continue
            with open("/proc/%d/task/%s/status" % (pid, tid)) as f:
                fields = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
            threads[tid] = (fields["Name"], int(fields["SigBlk"], 16))
        self.assertGreater(len(threads), 3, "the server runs worker threads: %s" % threads)
        open_to_them = {tid: name for tid, (name, blocked) in threads.items() if blocked & wanted != wanted}
        self.assertEqual(open_to_them, {}, "threads that would take SIGTERM or SIGINT")


if __name__ == "__main__":
    unittest.main()
