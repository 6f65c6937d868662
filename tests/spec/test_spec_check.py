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

# A Jenkins integration as the server answers it (one of 19 branches of the Integration oneOf, by `type`).
JENKINS_PATH = "/api/v1/%s/integrations/pipelines/01a24e2b-c29b-79b8-9e37-84d4081df38b" % TENANT_ID
JENKINS = {"id": "01a24e2b-c29b-79b8-9e37-84d4081df38b", "tenantId": "01a24e2b-c254-7012-af2d-8225d2f604c4", "category": "pipelines", "type": "JENKINS", "displayName": "Jenkins 6cae3274", "isActive": True, "scmIntegrationId": "01a24e2b-c259-7864-bbb2-197b23c10cfb", "targetIntegrationId": "01a24e2b-c289-7fd1-82e1-6fae6f095403", "description": "Release build 6cae3274", "platform": "ANDROID", "triggerOnRelease": True, "buildTimeout": 1800, "environmentVariables": {"FLAVOR": "production", "TRACK": "beta"}, "jenkinsUrl": "https://jenkins.example.com", "jenkinsUsername": "release-bot", "jenkinsApiToken": "****aOe4", "jenkinsJobPath": "mobile/release-6cae3274", "verificationStatus": "NOT_VERIFIED", "lastVerifiedAt": None, "lastVerificationError": None, "configuredByAccountId": "01a24e2b-c250-7edb-b3f2-00093d4408b8", "createdAt": "2026-12-07T01:43:40.443Z", "updatedAt": "2026-12-07T01:43:40.443Z"}


class SpecCheckTest(unittest.TestCase):
    def test_a_real_answer_matches(self):
        self.assertEqual(spec_check.problems("GET", "/api/v1/me", 401, UNAUTHENTICATED), [])
        self.assertEqual(spec_check.problems("GET", "/healthz", 200, {"status": "ok"}), [])

    def test_a_wrong_type_or_a_missing_field_is_found(self):
        wrong = copy.deepcopy(UNAUTHENTICATED)
        wrong["error"]["code"] = 401
        self.assertNotEqual(spec_check.problems("GET", "/api/v1/me", 401, wrong), [])
        self.assertNotEqual(spec_check.problems("GET", "/api/v1/me", 401, {"requestId": "x"}), [])

    def test_the_branch_a_discriminator_names_is_held(self):
        # The fast path (spec_check._one_of): the branch `type` names, checked first and told.
        self.assertEqual(spec_check.problems("GET", JENKINS_PATH, 200, JENKINS), [])
        wrong = dict(JENKINS, buildTimeout="1800")
        found = spec_check.problems("GET", JENKINS_PATH, 200, wrong)
        self.assertTrue(found and "/buildTimeout" in found[0], found)
        self.assertNotEqual(spec_check.problems("GET", JENKINS_PATH, 200, dict(JENKINS, jenkinsSecret="x")), [])
        # Valid under another branch only (a Jenkins body that says it is GitLab CI's): not valid.
        self.assertNotEqual(spec_check.problems("GET", JENKINS_PATH, 200, dict(JENKINS, type="GITLAB_CI")), [])

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
