"""The audit list's ?until= combined with its cursor (regression).

audit_http.c folds "createdAt before until" into the page position, so
that the query has a single upper bound on createdAt, which the index
seeks to (bench/growth.py: a page half-way down a million rows answered in
1 s before, as fast as the first page after). Walking the pages with and
without ?until= must still give exactly the rows before until, newest
first, with no row twice and none missing, whichever of the cursor and
until is the tighter bound on each page.
"""

import unittest

import harness
from harness import ApiTest, new_tenant, new_user, page

tearDownModule = harness.stop_shared_server


class AuditUntilPagingTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.owner = new_user(cls.server)
        cls.tenant = new_tenant(cls.server, cls.owner.token)["id"]
        for n in range(24):
            resp = cls.server.request("PATCH", "/api/v1/" + cls.tenant, body={"orgName": "Paging %d" % n},
                                      token=cls.owner.token)
            assert resp.status == 200, resp
        cls.path = "/api/v1/%s/audit-logs" % cls.tenant
        resp = cls.server.request("GET", cls.path + "?limit=200", token=cls.owner.token)
        assert resp.status == 200 and resp.json["nextCursor"] is None, resp
        cls.all = resp.json["items"]

    def walk(self, limit, **params):
        rows, cursor = [], None
        for _ in range(100):
            extra = dict(params, limit=limit)
            if cursor:
                extra["cursor"] = cursor
            body = page(self, self.server, self.path, self.owner.token, **extra)
            rows += body["items"]
            cursor = body["nextCursor"]
            if not cursor:
                return rows
        self.fail("more than 100 pages")

    def test_until_with_every_page_size(self):
        self.assertGreaterEqual(len(self.all), 25)
        times = sorted({r["createdAt"] for r in self.all})
        for until in (times[0], times[len(times) // 3], times[len(times) // 2], times[-1], "9999-12-31T23:59:59Z"):
            expected = [r["id"] for r in self.all if until.startswith("9999") or r["createdAt"] < until]
            for limit in (1, 2, 5, 7, 200):
                with self.subTest(until=until, limit=limit):
                    got = [r["id"] for r in self.walk(limit, until=until)]
                    self.assertEqual(got, expected)

    def test_without_until(self):
        for limit in (1, 3, 200):
            with self.subTest(limit=limit):
                self.assertEqual([r["id"] for r in self.walk(limit)], [r["id"] for r in self.all])


if __name__ == "__main__":
    unittest.main()
