#!/usr/bin/python3
"""tests/api/spec_check.py, which validates every API test's JSON answers
against docs/openapi.yaml, fails when it should: a self-test on answers
written here, without a server.

Run: /usr/bin/python3 -m unittest tests/spec/test_spec_check.py
(Debian's python3 with python3-yaml and python3-jsonschema.)
"""

import copy
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import spec_check  # noqa: E402

UNAUTHENTICATED = {"error": {"code": "unauthenticated", "message": "send a token", "details": []},
                   "requestId": "01a24a1e-0a9c-73ae-9fb5-0b6f8d08a628"}
TENANT_ID = "01a24a1e-0a9c-73ae-9fb5-0b6f8d08a628"  # version 7, as the server issues


class SpecCheckTest(unittest.TestCase):
    def test_a_real_answer_matches(self):
        self.assertEqual(spec_check.problems("GET", "/api/v1/me", 401, UNAUTHENTICATED), [])
        self.assertEqual(spec_check.problems("GET", "/healthz", 200, {"status": "ok"}), [])

    def test_a_wrong_type_or_a_missing_field_is_found(self):
        wrong = copy.deepcopy(UNAUTHENTICATED)
        wrong["error"]["code"] = 401
        self.assertNotEqual(spec_check.problems("GET", "/api/v1/me", 401, wrong), [])
        self.assertNotEqual(spec_check.problems("GET", "/api/v1/me", 401, {"requestId": "x"}), [])

    def test_an_unlisted_status_is_found(self):
        self.assertNotEqual(spec_check.problems("GET", "/api/v1/me", 418, UNAUTHENTICATED), [])

    def test_the_parameter_route_is_chosen_after_the_literal_one(self):
        # /api/v1/tenants (a list) over /api/v1/{tenantId} (one tenant): the router's order.
        self.assertEqual(spec_check._operation(spec_check._load(), "GET", "/api/v1/tenants"), "/api/v1/tenants")
        self.assertEqual(spec_check._operation(spec_check._load(), "GET", "/api/v1/" + TENANT_ID), "/api/v1/{tenantId}")

    def test_check_raises(self):
        with self.assertRaises(AssertionError):
            spec_check.check("GET", "/api/v1/me", 418, UNAUTHENTICATED)


if __name__ == "__main__":
    unittest.main(verbosity=2)
