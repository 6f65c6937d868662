#!/usr/bin/env python3
"""Server-Sent Events: the live audit trail (issue 12's streaming responses).

A private server with a one-second heartbeat. Each stream is read by hand
over its own socket. Checked: the events come as they happen and in order;
Last-Event-ID resumes after the event it names and nothing is sent twice;
heartbeats keep a silent stream alive; more open streams than worker threads
hold no worker (other requests are answered meanwhile); roles, tenants and a
malformed Last-Event-ID are refused like any route; SIGTERM ends open
streams at once; streams whose clients left are freed (the sanitizer build's
leak check at exit).
"""

import json
import socket
import time
import unittest

import harness
from harness import ApiTest, new_org

THREADS = 2


class SseClient:
    """One stream over a raw socket: the head, then events as they arrive."""

    def __init__(self, server, tenant, token, last_event_id=None, path="audit-logs/stream"):
        self.sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        head = "GET /api/v1/%s/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n" % (
            tenant, path, token)
        if last_event_id:
            head += "Last-Event-ID: %s\r\n" % last_event_id
        self.sock.sendall((head + "\r\n").encode())
        self.buffer = b""
        raw = self._until(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        self.chunked = self.headers.get("transfer-encoding") == "chunked"
        self.text = ""

    def _until(self, marker, deadline=10):
        end = time.monotonic() + deadline
        while marker not in self.buffer:
            if time.monotonic() > end:
                raise AssertionError("nothing came within %d s (have %r)" % (deadline, self.buffer[-300:]))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the stream")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _pump(self):
        """Moves whole chunks of the body into self.text."""
        while True:
            if not self.chunked:
                self.text += self.buffer.decode()
                self.buffer = b""
                return
            size_line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                return
            size = int(size_line, 16)
            if size == 0:
                raise EOFError("the stream ended")
            if len(rest) < size + 2:
                return
            self.text += rest[:size].decode()
            self.buffer = rest[size + 2:]

    def next_block(self, deadline=10):
        """The next SSE block (an event, a comment or the retry line), as a dict of its fields."""
        end = time.monotonic() + deadline
        while "\n\n" not in self.text:
            self._pump()
            if "\n\n" in self.text:
                break
            if time.monotonic() > end:
                raise AssertionError("no event within %d s (have %r)" % (deadline, self.text[-300:]))
            self.sock.settimeout(max(0.1, end - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the stream")
            self.buffer += chunk
        block, _, self.text = self.text.partition("\n\n")
        fields = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            fields.setdefault(name, value[1:] if value.startswith(" ") else value)
        return fields

    def next_event(self, deadline=10):
        while True:
            block = self.next_block(deadline)
            if "event" in block:
                block["json"] = json.loads(block["data"])
                return block

    def close(self):
        self.sock.close()


class StreamTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.server = harness.Server(dict(harness.SHARED_ENV, SLIPWAY_STREAM_HEARTBEAT="1", SLIPWAY_THREADS=str(THREADS)))
        cls.server.start(detached=True)
        cls.org = new_org(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def rename(self, name):
        resp = self.server.request("PATCH", "/api/v1/%s" % self.org.tenant["id"], {"orgName": name}, token=self.org.owner.token)
        self.assertEqual(resp.status, 200, resp)
        time.sleep(0.002)  # rows of one millisecond come in id order, not in the order they were made
        return resp.headers["x-request-id"]

    def test_events_arrive_in_order_and_resume_after_the_last(self):
        stream = SseClient(self.server, self.org.tenant["id"], self.org.owner.token)
        self.assertEqual(stream.status, 200)
        self.assertTrue(stream.headers["content-type"].startswith("text/event-stream"))
        self.assertEqual(stream.headers.get("cache-control"), "no-store")
        self.assertEqual(stream.next_block().get("retry"), "3000")
        renames = [self.rename("stream-%d" % i) for i in range(3)]
        seen = [stream.next_event() for _ in renames]
        self.assertEqual([e["event"] for e in seen], ["audit"] * 3)
        self.assertEqual([e["json"]["requestId"] for e in seen], renames, seen)
        self.assertEqual({e["json"]["action"] for e in seen}, {"tenant.update"})
        self.assertTrue(all(e["json"]["tenantId"] == self.org.tenant["id"] for e in seen))
        stream.close()

        # Two more while away; the stream picks up after the last event seen, and only then.
        away = [self.rename("away-1"), self.rename("away-2")]
        again = SseClient(self.server, self.org.tenant["id"], self.org.owner.token, last_event_id=seen[-1]["id"])
        self.assertEqual(again.status, 200)
        got = [again.next_event()["json"]["requestId"] for _ in away]
        self.assertEqual(got, away)
        again.close()

    def test_heartbeats_keep_a_silent_stream_alive(self):
        stream = SseClient(self.server, self.org.tenant["id"], self.org.owner.token)
        blocks = [stream.next_block(5) for _ in range(3)]
        self.assertEqual(blocks[0].get("retry"), "3000")
        self.assertEqual([list(b) for b in blocks[1:]], [[""], [""]], "heartbeats are comment lines: %r" % blocks)
        stream.close()

    def test_open_streams_hold_no_worker(self):
        streams = [SseClient(self.server, self.org.tenant["id"], self.org.owner.token) for _ in range(4 * THREADS)]
        try:
            for _ in range(5):
                resp = self.server.request("GET", "/api/v1/%s" % self.org.tenant["id"], token=self.org.owner.token, timeout=5)
                self.assertEqual(resp.status, 200)
            rid = self.rename("while-streams-are-open")
            for s in streams:
                self.assertEqual(s.next_event()["json"]["requestId"], rid)
        finally:
            for s in streams:
                s.close()

    def test_who_may_stream(self):
        for role in ("editor", "viewer"):
            stream = SseClient(self.server, self.org.tenant["id"], self.org.by_role(role).token)
            self.assertEqual(stream.status, 404, role)
            stream.close()
        other = new_org(self.server)
        stream = SseClient(self.server, self.org.tenant["id"], other.owner.token)
        self.assertEqual(stream.status, 404, "another tenant's owner")
        stream.close()
        stream = SseClient(self.server, self.org.tenant["id"], "slw_" + "0" * 43)
        self.assertEqual(stream.status, 401)
        stream.close()

    def test_a_malformed_last_event_id_is_refused(self):
        for bad in ("x", "2026-01-01T00:00:00Z/not-a-uuid", "nonsense/" + "0" * 36, "a" * 200):
            stream = SseClient(self.server, self.org.tenant["id"], self.org.owner.token, last_event_id=bad)
            self.assertEqual(stream.status, 400, bad)
            stream.close()


class StreamShutdownTest(ApiTest):
    def test_sigterm_ends_open_streams_at_once(self):
        server = harness.Server(dict(harness.SHARED_ENV, SLIPWAY_SHUTDOWN_TIMEOUT="30"))
        server.start(detached=True)
        org = new_org(server)
        streams = [SseClient(server, org.tenant["id"], org.owner.token) for _ in range(3)]
        left = [SseClient(server, org.tenant["id"], org.owner.token) for _ in range(3)]
        for s in left:  # clients that went away without a word
            s.close()
        start = time.monotonic()
        server.stop()  # fails unless it exits 0 with a clean log (and, under ASan, nothing leaked)
        self.assertLess(time.monotonic() - start, 10, "SIGTERM waited for open streams")
        for s in streams:
            with self.assertRaises((EOFError, OSError)):
                while True:
                    s.next_block(5)
            s.close()


if __name__ == "__main__":
    unittest.main()
