"""The isolation matrix, generated from the server's own route table.

Every route that `slipway routes` prints is called, with tenant A's ids, by:
  - no token, a revoked token and an expired token: 401 unauthenticated;
  - each role of A: below the route's role, the answer of a tenant that does
    not exist (404, DESIGN.md: "404, not 403"); at or above it, the router
    lets the call through (an answer that is neither 401 nor that 404);
  - each role of tenant B, and an account in no tenant: A's tenant is
    hidden (the same 404 as a random id);
  - A's owner with B's ids in A's path (a member, an integration, a token):
    the same 404 as a random id.
and no answer to a caller contains the other tenant's data.

A route is covered as soon as it is in the table: what the matrix needs to
know about it is read from the table (role, path parameters) and from the
server's OpenAPI document (whether it takes a body, whether the body names
the tenant). A path parameter the matrix cannot fill fails the test, naming
it, so a new kind of route cannot slip through unchecked.
"""

import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ROLE_RANK, ROLES, new_user
import route_matrix

tearDownModule = harness.stop_shared_server

EXPIRED_AT = "2001-01-01T00:00:00.000Z"
# Integration routes are called on this category; setup steps on this step.
CATEGORY, STEP = "scm", "github"


class IsolationMatrixTest(harness.ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a, cls.b = route_matrix.orgs_with_github(cls.server, 2)
        cls.outsider = new_user(cls.server)
        cls.cases = route_matrix.cases(cls.server)
        cls.requests = 0

    @classmethod
    def tearDownClass(cls):
        print("isolation matrix: %d routes, %d requests" % (len(cls.cases), cls.requests))
        super().tearDownClass()

    # ---- requests

    def call(self, case, ids, token=None, body=None, raw=None, headers=None):
        type(self).requests += 1
        return self.server.request(case.method, self.path_of(case, ids), token=token, body=body, raw=raw,
                                   headers=headers)

    def path_of(self, case, ids):
        missing = [p for p in case.params if p not in ids]
        if missing:
            self.fail("%s: the isolation matrix does not know how to fill {%s}: teach ids_of() about it"
                      % (case, "}, {".join(missing)))
        return case.path.format(**{p: ids[p] for p in case.params})

    def ids_of(self, case, org, other=None):
        """Path values in org; with other, org's tenant but other's ids for everything below it."""
        src = other or org
        ids = {"tenantId": org.id, "accountId": src.viewer.id, "category": CATEGORY, "step": STEP}
        if case.path.startswith("/api/v1/me/tokens/"):
            ids["id"] = src.owner.token_id
        elif case.path.endswith("/invitations/{id}"):
            ids["id"] = src.invitation["invitationId"]
        else:
            ids["id"] = src.scm["id"]
        return ids

    def random_ids(self, case, keep=()):
        ids = {p: str(uuid.uuid4()) for p in case.params}
        ids.update(category=CATEGORY, step=STEP)
        ids.update(keep)
        return ids

    def body_for(self, case, tenant_id):
        """A body the router accepts, naming tenant_id where the body names the tenant."""
        if not case.has_body:
            return None
        if case.body_tenant:
            return {"tenantId": tenant_id, "config": {"type": "NOT_A_TYPE"}}
        return harness.example_body(case.method, case.path) or {}

    # ---- assertions

    def assert_hidden(self, case, resp, baseline):
        harness.assert_same_not_found(self, resp, baseline)

    def assert_nothing_of(self, org, resp, sent_ids=()):
        """resp holds none of org's data (ids the caller sent in the request excepted)."""
        text = resp.raw.decode("utf-8", "replace")
        markers = {org.tenant["orgName"], org.scm["displayName"], org.scm["organization"]}
        markers |= {org.by_role(r).email for r in ROLES}
        markers |= {org.id, org.scm["id"]} | {org.by_role(r).id for r in ROLES} - set(sent_ids)
        for value in markers:
            self.assertNotIn(value, text, "%s shows data of tenant %s" % (resp, org.tenant["orgName"]))

    def tokens(self):
        """(label, token) for every way of not being authenticated with a token of A's owner."""
        if not hasattr(type(self), "_dead_tokens"):
            expired = harness.create_token(self.server, self.a.owner.token, expires_in_days=1)
            fx.db_execute(self.server, "UPDATE api_tokens SET expiresAt = ? WHERE id = ?", (EXPIRED_AT, expired["id"]))
            type(self)._dead_tokens = [("no token", None),
                                       ("revoked token", harness.revoked_token(self.server, self.a.owner.token)),
                                       ("expired token", expired["token"])]
        return self._dead_tokens

    # ---- the matrix

    def test_unauthenticated(self):
        for case in self.cases:
            if case.role == "public":
                continue
            for label, token in self.tokens():
                with self.subTest(route=str(case), caller=label):
                    resp = self.call(case, self.ids_of(case, self.a), token=token, body=self.body_for(case, self.a.id))
                    self.assert_error(resp, 401, "unauthenticated")
                    self.assert_nothing_of(self.a, resp, self.ids_of(case, self.a).values())

    def test_other_tenants_and_outsiders(self):
        callers = [("B " + r, self.b.by_role(r)) for r in ROLES] + [("outsider", self.outsider)]
        for case in self.cases:
            if not case.tenant_route:
                continue
            ids = self.ids_of(case, self.a)
            for label, caller in callers:
                with self.subTest(route=str(case), caller=label):
                    resp = self.call(case, ids, token=caller.token, body=self.body_for(case, self.a.id))
                    baseline = self.call(case, self.random_ids(case), token=caller.token,
                                         body=self.body_for(case, str(uuid.uuid4())))
                    self.assert_hidden(case, resp, baseline)
                    self.assert_nothing_of(self.a, resp, ids.values())

    def test_other_tenants_ids_in_my_tenant(self):
        for case in self.cases:
            below = [p for p in case.params if p not in ("tenantId", "category", "step")]
            if not below or case.role == "public":
                continue
            mine = self.ids_of(case, self.a)
            theirs = self.ids_of(case, self.a, other=self.b)
            with self.subTest(route=str(case)):
                resp = self.call(case, theirs, token=self.a.owner.token, body=self.body_for(case, self.a.id))
                baseline = self.call(case, self.random_ids(case, keep={"tenantId": self.a.id}),
                                     token=self.a.owner.token, body=self.body_for(case, self.a.id))
                self.assert_hidden(case, resp, baseline)
                self.assert_nothing_of(self.b, resp, theirs.values())
                self.assertNotEqual(mine, theirs)

    def test_each_role(self):
        for case in self.cases:
            if not case.tenant_route:
                continue
            for role in ROLES:
                caller = self.a.by_role(role)
                with self.subTest(route=str(case), role=role):
                    if ROLE_RANK[role] < ROLE_RANK[case.tenant_role]:
                        ids = self.ids_of(case, self.a)
                        resp = self.call(case, ids, token=caller.token, body=self.body_for(case, self.a.id))
                        baseline = self.call(case, self.random_ids(case), token=caller.token,
                                             body=self.body_for(case, str(uuid.uuid4())))
                        self.assert_hidden(case, resp, baseline)
                    else:
                        resp = self.allowed_call(case, caller)
                        self.assertNotIn(resp.status, (401, 403, 404), str(resp))
                    self.assert_nothing_of(self.b, resp)

    def allowed_call(self, case, caller):
        """A call the router lets through, with no lasting effect on A.

        Reads are made for real. A route with a body gets one the router
        passes and the handler refuses (a JSON array; a wrong type where the
        body names the tenant): 400 shows the caller got past the router.
        Other writes act on throwaway resources made for the call.
        """
        ids = self.ids_of(case, self.a)
        if case.method == "GET":
            resp = self.call(case, ids, token=caller.token)
            self.assertLess(resp.status, 300, str(resp))
            return resp
        if case.has_body:
            if case.body_tenant:
                resp = self.call(case, ids, token=caller.token, body=self.body_for(case, self.a.id))
                self.assert_error(resp, 400, "invalid_request")
            else:
                resp = self.call(case, ids, token=caller.token, raw=b"[]")
                self.assert_error(resp, 400, "malformed_json")
            return resp
        token = caller.token
        if case.path == "/api/v1/auth/logout":
            token = harness.create_token(self.server, caller.token)["token"]
        elif case.params and case.params[-1] == "tenantId":
            ids["tenantId"] = harness.new_tenant(self.server, caller.token)["id"]
        elif case.path.startswith("/api/v1/me/tokens/"):
            ids["id"] = harness.create_token(self.server, caller.token)["id"]
        elif case.params and case.params[-1] == "accountId":
            ids["accountId"] = harness.add_member(self.server, self.a.owner.token, self.a.id,
                                                  harness.unique_email("throwaway"), "viewer")["accountId"]
        elif case.path.endswith("/invitations/{id}"):
            ids["id"] = route_matrix.invite(self.server, self.a.owner.token, self.a.id)["invitationId"]
        elif case.params and case.params[-1] == "id":
            ids["id"] = fx.create_integration(self.server, self.a.owner.token, self.a.id,
                                              fx.valid_body("GITHUB"))["id"]
        else:
            self.fail("%s: the isolation matrix does not know how to call it without lasting effect" % case)
        resp = self.call(case, ids, token=token)
        self.assertLess(resp.status, 300, str(resp))
        return resp


if __name__ == "__main__":
    unittest.main()
