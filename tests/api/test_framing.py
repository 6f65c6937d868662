#!/usr/bin/env python3
"""Strict reading of a request's head (RFC 9112 §5.1, §6.1, §6.3; issue 11).

Each case is sent by hand over its own socket, as an attacker would: the
answer must be 400 with the error envelope and a request id, and the server
must close the connection after it (nothing of the request, nor anything
smuggled behind it, is read as another request). The same request without
the fault is accepted, so the refusal is for the fault and nothing else.
"""

import json
import socket
import unittest

from harness import ApiTest, new_user

BODY = b'{"email": "nobody@example.com", "password": "not-the-password"}'


def exchange(port, raw, timeout=5):
    """Send raw bytes; read until the server closes. Returns (status, headers, body, closed)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    data = b""
    closed = False
    try:
        sock.sendall(raw)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, body, closed


def login_request(extra_headers=b"", length=None, target=b"/api/v1/auth/login", body=BODY):
    length = len(body) if length is None else length
    return (b"POST " + target + b" HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (b"Content-Length: %d\r\n" % length if length is not False else b"")
            + extra_headers + b"\r\n" + body)


class FramingTest(ApiTest):
    def refused(self, raw, why):
        status, headers, body, closed = exchange(self.server.port, raw)
        self.assertEqual(status, 400, "%s: expected 400, got %s %r" % (why, status, body[:200]))
        envelope = json.loads(body)
        self.assertEqual(envelope["error"]["code"], "invalid_request", why)
        self.assertTrue(envelope.get("requestId"), why)
        self.assertEqual(headers.get("x-request-id"), envelope["requestId"], why)
        self.assertTrue(closed, "%s: the connection stayed open after the 400" % why)
        return envelope["error"]["message"]

    def accepted(self, raw, status, why):
        got, _, body, _ = exchange(self.server.port, raw)
        self.assertEqual(got, status, "%s: expected %s, got %s %r" % (why, status, got, body[:200]))

    def test_control_requests_are_read(self):
        # The baselines the faults below are measured against.
        self.accepted(login_request(b"Connection: close\r\n"), 401, "a plain login")
        self.accepted(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, "a plain GET")
        self.accepted(b"GET /healthz?x=%41 HTTP/1.1\r\nHost: x\r\nX-A:b\r\nX-B: \tc \r\nConnection: close\r\n\r\n", 200,
                      "escapes, headers without and with blanks")

    def test_content_length_and_transfer_encoding(self):
        chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY)
        message = self.refused(login_request(b"Transfer-Encoding: chunked\r\n", body=chunked), "CL + TE")
        self.assertIn("Transfer-Encoding", message)

    def test_two_content_lengths(self):
        self.refused(login_request(b"Content-Length: 5\r\n"), "two different Content-Length values")
        self.refused(login_request(b"Content-Length: %d\r\n" % len(BODY)), "the same Content-Length twice")
        # A list is refused by libmicrohttpd itself, before slipway sees the request (its own page, not JSON).
        status, _, _, closed = exchange(self.server.port, login_request(
            length=False, extra_headers=b"Content-Length: %d, %d\r\n" % (len(BODY), len(BODY))))
        self.assertEqual((status, closed), (400, True), "a Content-Length list")

    def test_whitespace_before_colon(self):
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo : bar\r\n\r\n", "space before a colon")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo\t: bar\r\n\r\n", "tab before a colon")
        # The smuggling form: a Content-Length the server would otherwise not see as one.
        self.refused(login_request(length=False, extra_headers=b"Content-Length : %d\r\n" % len(BODY)),
                     "Content-Length with a space before its colon")

    def test_nul_in_the_path(self):
        for target in (b"/healthz\x00/x", b"/healthz%00", b"/healthz%00x", b"/api/v1/me%00", b"/healthz?a=%00"):
            self.refused(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n", "target %r" % target)

    def test_nul_in_a_header_never_passes_a_token(self):
        user = new_user(self.server)
        token = user.token.encode()
        # The control: the token itself works over the same kind of raw request.
        self.accepted(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
                      + b"\r\nConnection: close\r\n\r\n", 200, "the token")
        for value in (token + b"\x00junk", token + b"\x00", b"\x00" + token):
            self.refused(b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + value + b"\r\n\r\n",
                         "a NUL in the Authorization header")
        self.refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\r\n\r\n", "a NUL in another header")

    def test_nothing_is_smuggled_behind_a_refusal(self):
        # A request hidden behind the refused one must never be answered.
        hidden = b"GET /api/v1/me HTTP/1.1\r\nHost: x\r\n\r\n"
        raw = login_request(b"Content-Length: 0\r\n", body=b"") + hidden
        status, _, body, closed = exchange(self.server.port, raw)
        self.assertEqual(status, 400)
        self.assertTrue(closed)
        self.assertEqual(body.count(b"HTTP/1.1"), 0, "a second answer followed the 400")


if __name__ == "__main__":
    unittest.main()
