"""The isolation matrix, generated from the server's own route table and catalog.

Every route that `slipway routes` prints, for every category and setup step
it serves (the values the table lists for {category} and {step}, which must
be the catalog's categories and the wizard's steps), is called with tenant
A's ids by:
  - no token, and every kind of bad credential (empty bearer, another scheme,
    no scheme, garbage, an unknown token, one character changed, a revoked
    and an expired token): 401 unauthenticated;
  - each role of A: below the route's role, the answer of a tenant that does
    not exist (404, DESIGN.md: "404, not 403"); at or above it, the router
    lets the call through (an answer that is neither 401, 403 nor 404);
  - each role of tenant B, and an account in no tenant: A's tenant is
    hidden (the same 404 as a random id);
  - A's owner with B's ids in A's path (a member, an integration of the
    category, a token): the same 404 as a random id;
  - A's owner with B's ids in the body, in every field that holds an id (the
    route's schema and, for integrations, the catalog's fields): the same
    answer as a random id, which is a refusal;
and no answer to a caller contains the other tenant's data (names, e-mail
addresses, ids, every integration's name and id). Both tenants have one
integration of every type the catalog lists.

The server runs with the tenant guard (harness.TEST_ENV), so a read of a
row of the other tenant fails the request and the test even where the
answer alone would not show it.

A route, a category or a step added to the server is covered without an
edit here. A path parameter the matrix cannot fill, a type without a valid
body in integration_fixtures or a verify kind missing from verify_fixtures
fails the test, naming it.
"""

import unittest
import uuid

import harness
import integration_fixtures as fx
from harness import ROLE_RANK, ROLES, new_user
import route_matrix

tearDownModule = harness.stop_shared_server

EXPIRED_AT = "2001-01-01T00:00:00.000Z"


class IsolationMatrixTest(harness.ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.types = route_matrix.catalog(cls.server, cls.server.admin["token"])
        cls.a = route_matrix.org_with_integrations(cls.server, cls.types)
        cls.b = route_matrix.org_with_integrations(cls.server, cls.types)
        cls.outsider = new_user(cls.server)
        cls.cases = route_matrix.cases()
        cls.requests = 0

    @classmethod
    def tearDownClass(cls):
        print("isolation matrix: %d routes, %d cases (each category and step), %d requests"
              % (len({str(c.route) for c in cls.cases}), len(cls.cases), cls.requests))
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
        ids = dict(case.values, tenantId=org.id, accountId=src.viewer.id)
        if case.path.startswith("/api/v1/me/tokens/"):
            ids["id"] = src.owner.token_id
        elif case.path.endswith("/invitations/{id}"):
            ids["id"] = src.invitation["invitationId"]
        elif case.path.startswith("/api/v1/admin/tenants/{id}"):  # the administrator's view of a tenant
            ids["id"] = src.id
        elif case.category:
            ids["id"] = src.by_category[case.category]["id"]
        elif "/iam/providers/{id}" in case.path:  # the provider and its domains
            ids["id"] = src.iam_provider_id
        elif case.path.startswith("/api/v1/{tenantId}/integrations/targets/{id}/"):  # a target's store webhook
            ids["id"] = src.by_category["targets"]["id"]
        if "hookId" in case.params:
            # A signed webhook's route: no credential of the API opens it; an unknown hook answers as a bad signature.
            ids["hookId"] = "unknown-" + uuid.uuid4().hex
        if "releaseId" in case.params:
            ids["releaseId"] = src.release_id
        if "ruleId" in case.params:
            ids["ruleId"] = src.rule_id
        ids.update({k: v for k, v in route_matrix.planted_ids(src).items() if k in case.params})
        return ids

    def random_ids(self, case, keep=()):
        ids = {p: str(uuid.uuid4()) for p in case.params}
        ids.update(case.values)
        ids.update(keep)
        return ids

    def body_for(self, case, tenant_id):
        """A body the router accepts, naming tenant_id where the body names the tenant."""
        if case.body_tenant:
            return {"tenantId": tenant_id, "config": {"type": "NOT_A_TYPE"}}
        return harness.sample_body(case.route)

    # ---- assertions

    def assert_nothing_of(self, org, resp, sent_ids=()):
        """resp holds none of org's data (ids the caller sent in the request excepted)."""
        text = resp.raw.decode("utf-8", "replace")
        markers = {org.tenant["orgName"]} | {org.by_role(r).email for r in ROLES}
        markers |= {org.id, org.release_id} | {org.by_role(r).id for r in ROLES} | route_matrix.integration_markers(org)
        for value in markers - set(sent_ids):
            self.assertNotIn(value, text, "%s shows data of tenant %s" % (resp, org.tenant["orgName"]))

    def credentials(self):
        """(label, request kwargs) for every way of not being authenticated as A's owner."""
        if not hasattr(type(self), "_credentials"):
            expired = harness.create_token(self.server, self.a.owner.token, expires_in_days=1)
            fx.db_execute(self.server, "UPDATE api_tokens SET expiresAt = ? WHERE id = ?", (EXPIRED_AT, expired["id"]))
            type(self)._credentials = harness.bad_credentials(self.server, self.a.owner) + [
                ("expired token", {"token": expired["token"]})]
        return self._credentials

    # ---- the table and the catalog agree

    def test_cases_cover_every_category_and_step(self):
        self.assertTrue(self.cases, "the route table gave no case")
        self.assertEqual(sorted(route_matrix.route_categories()), sorted(set(self.types.values())),
                         "the route table's {category} values are the catalog's categories")
        steps = {c.step for c in self.cases if c.step}
        self.assertEqual(sorted(steps), sorted(s for s, _ in fx.STEPS), "the route table's {step} values")
        for category in set(self.types.values()):
            with self.subTest(category=category):
                self.assertTrue([c for c in self.cases if c.category == category], "no case serves it")
                self.assertIn(category, self.a.by_category)
        kinds = {c.kind for c in self.cases if c.kind}
        self.assertEqual(sorted(route_matrix.vf.TYPE_OF_KIND[k] for k in kinds), sorted(self.types),
                         "a setup verification route for every type of the catalog, and no other")

    # ---- the matrix

    def test_unauthenticated(self):
        checked = 0
        for case in self.cases:
            if case.role == "public":
                continue
            ids = self.ids_of(case, self.a)
            for label, kwargs in self.credentials():
                with self.subTest(case=str(case), caller=label):
                    resp = self.call(case, ids, body=self.body_for(case, self.a.id), **kwargs)
                    self.assert_error(resp, 401, "unauthenticated")
                    self.assert_nothing_of(self.a, resp, ids.values())
                checked += 1
        self.assertGreater(checked, 0)

    def test_other_tenants_and_outsiders(self):
        callers = [("B " + r, self.b.by_role(r)) for r in ROLES] + [("outsider", self.outsider)]
        tenant_cases = [c for c in self.cases if c.tenant_route]
        self.assertTrue(tenant_cases, "no tenant route")
        for case in tenant_cases:
            ids = self.ids_of(case, self.a)
            for label, caller in callers:
                with self.subTest(case=str(case), caller=label):
                    resp = self.call(case, ids, token=caller.token, body=self.body_for(case, self.a.id))
                    baseline = self.call(case, self.random_ids(case), token=caller.token,
                                         body=self.body_for(case, str(uuid.uuid4())))
                    harness.assert_same_not_found(self, resp, baseline)
                    self.assert_nothing_of(self.a, resp, ids.values())

    def test_other_tenants_ids_in_my_tenant(self):
        # A webhook's route names no tenant: another integration's hook is test_webhooks' case.
        below = [c for c in self.cases if c.role not in ("public", "webhook") and set(c.params) - {"tenantId", "category", "step"}]
        self.assertTrue(below, "no route with ids below the tenant")
        for case in below:
            mine = self.ids_of(case, self.a)
            theirs = self.ids_of(case, self.a, other=self.b)
            with self.subTest(case=str(case)):
                self.assertNotEqual(mine, theirs)
                resp = self.call(case, theirs, token=self.a.owner.token, body=self.body_for(case, self.a.id))
                baseline = self.call(case, self.random_ids(case, keep={"tenantId": self.a.id}),
                                     token=self.a.owner.token, body=self.body_for(case, self.a.id))
                harness.assert_same_not_found(self, resp, baseline)
                self.assert_nothing_of(self.b, resp, theirs.values())

    def id_fields(self, case):
        """(field, a valid body of A's for the case) for each body field that holds an id (format uuid)."""
        if case.kind:
            body = {"tenantId": self.a.id, "integrationId": None}
            return [("integrationId", body)]
        out = [(name, harness.sample_body(case.route)) for name, f in case.fields.items()
               if f["format"] == "uuid" and name != "tenantId"]
        if case.category and case.method in ("POST", "PATCH") and not case.body_optional:
            type_ = self.a.by_category[case.category]["type"]
            refs = fx.pipeline_refs(type_, lambda t: self.a.by_type[t], lambda: self.a.by_category["targets"])
            for name, value in refs.items():
                field = {"scm": "scmIntegrationId", "target": "targetIntegrationId"}[name]
                out.append((field, fx.valid_body(type_, **refs) if case.method == "POST" else {field: value}))
        return out

    def test_other_tenants_ids_in_bodies(self):
        """B's ids where a body holds an id: the answer a random id gets, and never a success."""
        theirs = [i["id"] for i in self.b.by_type.values()] + [self.b.id] + [self.b.by_role(r).id for r in ROLES]
        checked = 0
        for case in self.cases:
            if not case.has_body or case.role == "public":
                continue
            for field, body in self.id_fields(case):
                ids = self.ids_of(case, self.a)
                foreign = [self.b.by_type[case.verify_type]["id"]] if case.kind else theirs
                for value in foreign:
                    with self.subTest(case=str(case), field=field, value=value):
                        resp = self.call(case, ids, token=self.a.owner.token, body=dict(body, **{field: value}))
                        baseline = self.call(case, ids, token=self.a.owner.token,
                                             body=dict(body, **{field: str(uuid.uuid4())}))
                        self.assertIn(resp.status, (400, 404), str(resp))
                        harness.assert_same_answer(self, resp, baseline)
                        self.assert_nothing_of(self.b, resp, [value])
                    checked += 1
        self.assertGreater(checked, 0, "no body field holds an id: the body checks checked nothing")

    def test_each_role(self):
        tenant_cases = [c for c in self.cases if c.tenant_route]
        self.assertTrue(tenant_cases, "no tenant route")
        for case in tenant_cases:
            for role in ROLES:
                caller = self.a.by_role(role)
                with self.subTest(case=str(case), role=role):
                    if ROLE_RANK[role] < ROLE_RANK[case.tenant_role]:
                        ids = self.ids_of(case, self.a)
                        resp = self.call(case, ids, token=caller.token, body=self.body_for(case, self.a.id))
                        baseline = self.call(case, self.random_ids(case), token=caller.token,
                                             body=self.body_for(case, str(uuid.uuid4())))
                        harness.assert_same_not_found(self, resp, baseline)
                    else:
                        resp = self.allowed_call(case, caller)
                        self.assertNotIn(resp.status, (401, 403, 404), str(resp))
                    self.assert_nothing_of(self.b, resp)

    def allowed_call(self, case, caller):
        """A call the router lets through, with no lasting effect on A.

        Reads are made for real. A route with a body gets one the router
        passes and the handler refuses (a JSON array; a type that does not
        exist where the body names the tenant): 400 shows the caller got
        past the router. Other writes act on throwaway resources made for
        the call.
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
        elif case.params and case.params[-1] == "ruleId":
            ids["ruleId"] = route_matrix.plant_rule(self.server, self.a.id, self.a.by_category["communication"]["id"])
        elif case.params and case.params[-1] == "endpointId":
            ids["endpointId"] = route_matrix.endpoint(self.server, self.a.owner.token, self.a.id)
        elif case.method == "DELETE" and case.params and case.params[-1] == "environmentId":
            ids["environmentId"] = route_matrix.plant_environment(self.server, self.a.id)
        elif case.method == "DELETE" and case.params and case.params[-1] in ("hostId", "scriptId"):
            host_id, script_id, _ = route_matrix.plant_deploy(self.server, self.a.id, deployment=False)
            ids[case.params[-1]] = host_id if case.params[-1] == "hostId" else script_id
        elif case.params and case.params[-1] == "id" and case.category:
            ids["tenantId"], ids["id"] = route_matrix.throwaway_integration(self.server, caller.token, case.category,
                                                                            self.types)
        elif "/iam/providers/{id}" in case.path:  # the provider and its domains
            ids["tenantId"] = harness.new_tenant(self.server, caller.token)["id"]
            ids["id"] = route_matrix.iam_provider(self.server, caller.token, ids["tenantId"])
        elif case.params and case.params[-1] in ("siteId", "postId", "domainId"):
            site_id, _, post_id, domain_id = route_matrix.plant_site(self.server, self.a.id)
            ids.update(siteId=site_id, postId=post_id, domainId=domain_id)
        elif case.method == "DELETE" and case.params and case.params[-1] == "repositoryId":
            pass  # unpinning what the caller never pinned changes nothing
        elif case.path.startswith("/api/v1/{tenantId}/integrations/targets/{id}/"):  # a throwaway target's store webhook
            ids["tenantId"], ids["id"] = route_matrix.throwaway_integration(self.server, caller.token, "targets", self.types)
        else:
            self.fail("%s: the isolation matrix does not know how to call it without lasting effect" % case)
        resp = self.call(case, ids, token=token)
        if (case.path.endswith("/webhook") or case.path.endswith("/webhook/registration")) and resp.status == 400:
            # Past the router: the category's first type takes no webhooks (test_webhooks makes real ones).
            self.assert_error(resp, 400, "invalid_request")
            return resp
        self.assertLess(resp.status, 300, str(resp))
        return resp


if __name__ == "__main__":
    unittest.main()
