"""Text handled as text (issue 11): long non-ASCII input is cut between characters, never inside one.

Fixed-size buffers used to cut multibyte UTF-8 in the middle of a
character; jansson then refused to encode the answer, so a long non-ASCII
HTTP method got a 500 without its request id, and unknown fields with long
non-ASCII names lost their details. Every error answer, a 500 included,
carries its request id in the body and in X-Request-Id.
(Invitations to long non-ASCII addresses are in test_invitations.py.)
"""

import http.client
import json
import socket
import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ApiTest, new_user

tearDownModule = harness.stop_shared_server

LONG_METHODS = {
    "e-acute x200 (2 bytes each)": ("\u00e9" * 200).encode(),
    "CJK x150 (3 bytes each)": ("\u6f22" * 150).encode(),
    "emoji x100 (4 bytes each)": ("\U0001f6a2" * 100).encode(),
    "odd offset": ("x" + "\u00e9" * 200).encode(),
    "not UTF-8": b"\xff\xfe" * 100,
}


class TextTest(ApiTest):
    def raw(self, request_line, headers=()):
        """Sends one request made of bytes; returns the parsed Response."""
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=30)
        try:
            head = request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            head += b"".join(b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers) + b"\r\n"
            sock.sendall(head)
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            return harness._response(answer, request_line[:60].decode("utf-8", "replace"))
        finally:
            sock.close()

    def test_long_non_ascii_method_answers_405_with_its_request_id(self):
        for label, method in LONG_METHODS.items():
            with self.subTest(method=label):
                rid = "text-method-" + uuid.uuid4().hex[:12]
                resp = self.raw(method + b" /api/v1/me HTTP/1.1", [("X-Request-Id", rid)])
                self.assert_error(resp, 405, "method_not_allowed")  # also: requestId in the body equals X-Request-Id
                self.assertEqual(resp.json["requestId"], rid)
                self.assertEqual(resp.headers.get("allow"), "GET")
                # the message names the method, cut between two characters where it does not fit (a byte that is not UTF-8: ?),
                # and a cut message ends with an ellipsis, so the reader knows it was cut (issue 13)
                message = resp.json["error"]["message"]
                named = method.decode() if label != "not UTF-8" else "?" * len(method)
                whole = named + " is not allowed on this path (allowed: GET)"
                shown = message[:-1] if message != whole and message.endswith("\u2026") else message
                self.assertTrue(shown and whole.startswith(shown), message)
                # the access line of the request is still one JSON object, its method cut between characters
                lines = self.server.log_lines_for(rid)
                self.assertTrue(lines and all("unparsable" not in line for line in lines), lines)
                access = [line for line in lines if line.get("msg") == "request"]
                self.assertEqual(len(access), 1, lines)
                logged = access[0]["method"]
                self.assertTrue(logged, access)
                if label != "not UTF-8":
                    self.assertTrue(method.decode().startswith(logged), "%r is not a prefix of the method" % logged)
                else:
                    self.assertEqual(set(logged), {"\ufffd"})

    def test_unknown_fields_with_long_names_keep_their_details(self):
        user = new_user(self.server)
        keys = ["\u00e9" * 40, "x" + "\u6f22" * 30, "\U0001f6a2" * 20, "a" * 100]
        body = dict({k: 1 for k in keys}, orgName="Text probe")
        resp = self.request("POST", "/api/v1/tenants", body=body, token=user.token)
        details = self.assert_error(resp, 400, "invalid_request")
        self.assertEqual(len(details), len(keys), details)
        for detail in details:
            self.assertEqual(detail["message"], "is not a known field")
            self.assertTrue(detail["field"], details)
            self.assertEqual(sum(k.startswith(detail["field"]) for k in keys), 1,
                             "%r is the start of exactly one key sent" % detail["field"])
        self.assertEqual(harness.page(self, self.server, "/api/v1/tenants", user.token)["items"], [],
                         "nothing was created")

    @unittest.skipUnless(harness.BACKEND == "sqlite", "only SQLite stores text that is not UTF-8")
    def test_an_answer_that_cannot_be_encoded_is_a_500_with_its_request_id(self):
        user = new_user(self.server)
        fx.db_execute(self.server, "UPDATE accounts SET name = CAST(X'41FF42' AS TEXT) WHERE id = ?", (user.id,))
        rid = "text-500-" + uuid.uuid4().hex[:12]
        resp = self.request("GET", "/api/v1/me", token=user.token, headers={"X-Request-Id": rid})
        self.assert_error(resp, 500, "internal")
        self.assertEqual(resp.json["requestId"], rid)
        self.assertTrue(any(line.get("level") == "error" for line in self.server.log_lines_for(rid)))
        fx.db_execute(self.server, "UPDATE accounts SET name = ? WHERE id = ?", ("Repaired", user.id))
        self.assertEqual(self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)["name"], "Repaired")


if __name__ == "__main__":
    unittest.main()
