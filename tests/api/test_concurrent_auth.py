"""Many callers at once, each answered as itself.

Every request's token is read with one statement; on PostgreSQL the reads
of concurrent requests share round trips (store_lookup, one pipeline per
batch). Whatever the batching, each answer must be the one for its own
token: owners of different tenants, a viewer, a token of another tenant, a
revoked token and an unknown one, all interleaved from many threads.
"""

import unittest

import harness
from harness import ApiTest, concurrently, new_org, revoked_token, unknown_token

tearDownModule = harness.stop_shared_server

THREADS = 24
ROUNDS = 40  # requests per case per thread


class ConcurrentAuthTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orgs = [new_org(cls.server) for _ in range(3)]

    def test_each_answer_is_its_own_tokens(self):
        a, b, c = self.orgs
        cases = []  # (label, path, token, status, orgName expected or None)
        for org in self.orgs:
            cases.append(("owner", "/api/v1/" + org.id, org.owner.token, 200, org.tenant["orgName"]))
            cases.append(("viewer", "/api/v1/" + org.id, org.viewer.token, 200, org.tenant["orgName"]))
        cases += [
            ("other tenant's owner", "/api/v1/" + a.id, b.owner.token, 404, None),
            ("other tenant's viewer", "/api/v1/" + b.id, c.viewer.token, 404, None),
            ("revoked", "/api/v1/" + c.id, revoked_token(self.server, c.owner.token), 401, None),
            ("unknown", "/api/v1/" + a.id, unknown_token(), 401, None),
            ("me", "/api/v1/me", b.editor.token, 200, None),
        ]

        def run(offset):
            wrong = []
            for i in range(ROUNDS * len(cases)):
                label, path, token, status, name = cases[(i + offset) % len(cases)]
                resp = self.server.request("GET", path, token=token)
                body = resp.json or {}
                if resp.status != status or (name and body.get("orgName") != name) or \
                        (label == "me" and body.get("id") != b.editor.id):
                    wrong.append("%s: %s" % (label, resp))
            return wrong

        wrong = [w for ws in concurrently(THREADS, run) for w in ws]
        self.assertEqual(wrong[:5], [], "%d of %d answers were not their token's" % (
            len(wrong), THREADS * ROUNDS * len(cases)))


if __name__ == "__main__":
    unittest.main()
