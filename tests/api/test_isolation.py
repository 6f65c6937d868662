"""Tenant isolation: tenants A and B, each with an owner, an editor and a viewer.

Whoever may not see something gets the very answer a random id gets, on
every tenant route of the route table (`slipway routes`), for every category
and setup step it serves.
"""

import json
import unittest
import uuid

import harness
from harness import ROLE_RANK, ROLES, ApiTest, assert_tenant_routes_hidden, new_org, new_user, page

tearDownModule = harness.stop_shared_server


class IsolationTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = new_org(cls.server)
        cls.b = new_org(cls.server)
        cls.outsider = new_user(cls.server)

    def snapshot(self, org):
        """What org's owner sees of it: name and members with roles."""
        tenant = self.expect(self.request("GET", "/api/v1/" + org.id, token=org.owner.token), 200)
        members = page(self, self.server, "/api/v1/%s/members" % org.id, org.owner.token, limit=200)["items"]
        return tenant["orgName"], tenant["updatedAt"], sorted((m["accountId"], m["role"]) for m in members)

    def assert_a_untouched(self, before):
        self.assertEqual(self.snapshot(self.a), before, "tenant A changed")

    def test_other_tenants_callers_see_nothing(self):
        before = self.snapshot(self.a)
        callers = [("B " + role, self.b.by_role(role)) for role in ROLES] + [("outsider", self.outsider)]
        for label, caller in callers:
            with self.subTest(caller=label):
                assert_tenant_routes_hidden(self, self.server, caller.token, self.a.id, self.a.viewer.id)
        self.assert_a_untouched(before)

    def test_roles_too_low_see_nothing(self):
        before = self.snapshot(self.a)
        for role in ("editor", "viewer"):
            routes = [r for r in harness.tenant_routes() if ROLE_RANK[r.tenant_role] > ROLE_RANK[role]]
            self.assertTrue(routes, "no route above %s to check" % role)
            with self.subTest(role=role):
                assert_tenant_routes_hidden(self, self.server, self.a.by_role(role).token, self.a.id,
                                            self.a.viewer.id, routes)
        self.assert_a_untouched(before)

    def test_other_tenants_accounts_through_my_tenant(self):
        before = self.snapshot(self.a)
        for account in (self.a.owner, self.a.viewer):
            for method, body in (("PATCH", {"role": "editor"}), ("DELETE", None)):
                with self.subTest(account=account, method=method):
                    resp = self.request(method, "/api/v1/%s/members/%s" % (self.b.id, account.id), body=body,
                                        token=self.b.owner.token)
                    baseline = self.request(method, "/api/v1/%s/members/%s" % (self.b.id, uuid.uuid4()), body=body,
                                            token=self.b.owner.token)
                    harness.assert_same_not_found(self, resp, baseline)
        self.assert_a_untouched(before)

    def test_other_accounts_tokens(self):
        for role in ROLES:
            caller = self.b.by_role(role)
            with self.subTest(caller=role):
                resp = self.request("DELETE", "/api/v1/me/tokens/" + self.a.owner.token_id, token=caller.token)
                baseline = self.request("DELETE", "/api/v1/me/tokens/%s" % uuid.uuid4(), token=caller.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.expect(self.request("GET", "/api/v1/me", token=self.a.owner.token), 200)

    def test_unauthenticated_callers_learn_nothing(self):
        routes = harness.tenant_routes()
        self.assertTrue(routes, "the route table has no tenant route")
        for route in routes:
            for values in route.expansions():
                with self.subTest(route=str(route), **values):
                    resp = self.request(route.method, route.fill(tenantId=self.a.id, accountId=self.a.viewer.id,
                                                                 **values),
                                        body=harness.sample_body(route, self.a.id))
                    self.assert_error(resp, 401, "unauthenticated")
                    harness.assert_same_answer(self, resp, self.request(route.method, route.fill(**values),
                                                                        body=harness.sample_body(route)))

    def test_lists_do_not_mix(self):
        a_ids = {self.a.id} | {self.a.by_role(r).id for r in ROLES}
        a_emails = {self.a.by_role(r).email for r in ROLES}
        b = self.b.owner.token
        listings = [
            page(self, self.server, "/api/v1/tenants", b, limit=200),
            page(self, self.server, "/api/v1/%s/members" % self.b.id, b, limit=200),
            page(self, self.server, "/api/v1/%s/audit-logs" % self.b.id, b, limit=200),
            page(self, self.server, "/api/v1/me/tokens", b, limit=200),
        ]
        text = json.dumps(listings)
        for value in a_ids | a_emails | {self.a.tenant["orgName"]}:
            self.assertNotIn(value, text, "something of tenant A shows in B's lists")


if __name__ == "__main__":
    unittest.main()
