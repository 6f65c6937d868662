"""Tenants: POST/GET /api/v1/tenants and GET/PATCH/DELETE /api/v1/{tenantId}."""

import unittest
import uuid

import harness
from harness import ApiTest, BodySpec, assert_tenant, check_body_matrix, new_org, new_tenant, new_user

tearDownModule = harness.stop_shared_server

TENANTS = "/api/v1/tenants"

ORG_NAME_SPEC = BodySpec(
    valid={"orgName": "Matrix"},
    required=["orgName"],
    wrong_types={"orgName": harness.WRONG_TYPES},
    bad_values={"orgName": ("", "x" * 201)},
)


def tenant_path(tenant_id):
    return "/api/v1/" + tenant_id


class CreateAndListTest(ApiTest):
    def test_create_makes_the_caller_owner(self):
        user = new_user(self.server)
        resp = self.request("POST", TENANTS, body={"orgName": "Acme Releases"}, token=user.token)
        created = self.expect(resp, 201)
        assert_tenant(self, created, role="owner")
        self.assertEqual(created["orgName"], "Acme Releases")
        got = self.expect(self.request("GET", tenant_path(created["id"]), token=user.token), 200)
        self.assertEqual(got, created)
        members = harness.page(self, self.server, tenant_path(created["id"]) + "/members", user.token)["items"]
        self.assertEqual([(m["accountId"], m["role"]) for m in members], [(user.id, "owner")])

    def test_org_name_limits_count_characters(self):
        user = new_user(self.server)
        for name in ("x", "x" * 200, "\u00e9" * 200):
            with self.subTest(length=len(name), first=name[0]):
                self.assertEqual(new_tenant(self.server, user.token, name)["orgName"], name)

    def test_create_body_matrix(self):
        user = new_user(self.server)
        check_body_matrix(self, lambda **kw: self.request("POST", TENANTS, token=user.token, **kw), ORG_NAME_SPEC)
        self.assertEqual(harness.page(self, self.server, TENANTS, user.token)["items"], [], "nothing was created")

    def test_list_shows_my_tenants_with_my_role(self):
        user = new_user(self.server)
        self.assertEqual(harness.page(self, self.server, TENANTS, user.token)["items"], [])
        other = new_user(self.server)
        theirs = new_tenant(self.server, other.token)
        harness.add_member(self.server, other.token, theirs["id"], user.email, "editor")
        mine = [new_tenant(self.server, user.token) for _ in range(4)]
        items = harness.assert_paginates(self, self.server, TENANTS, user.token,
                                         [t["id"] for t in mine] + [theirs["id"]])
        self.assertEqual(len(items), 5)
        roles = {t["id"]: t["role"] for t in items}
        self.assertEqual(roles, dict({t["id"]: "owner" for t in mine}, **{theirs["id"]: "editor"}))
        for item in items:
            assert_tenant(self, item)
        harness.assert_rejects_bad_page_params(self, self.server, TENANTS, user.token)
        other_items = harness.page(self, self.server, TENANTS, other.token)["items"]
        self.assertEqual([t["id"] for t in other_items], [theirs["id"]])


class TenantTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.outsider = new_user(cls.server)

    def get(self, user):
        return self.request("GET", tenant_path(self.org.id), token=user.token)

    def test_get_by_each_role(self):
        for role in harness.ROLES:
            with self.subTest(role=role):
                got = self.expect(self.get(self.org.by_role(role)), 200)
                assert_tenant(self, got, role=role)
                self.assertEqual(got["id"], self.org.id)

    def test_get_by_an_outsider_or_of_an_unknown_id(self):
        baseline = self.request("GET", tenant_path(str(uuid.uuid4())), token=self.outsider.token)
        harness.assert_same_not_found(self, self.get(self.outsider), baseline)
        for tenant_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
            with self.subTest(tenant_id=tenant_id):
                self.assert_error(self.request("GET", tenant_path(tenant_id), token=self.org.owner.token),
                                  404, "not_found")

    def test_owner_renames(self):
        before = self.expect(self.get(self.org.owner), 200)
        name = "Renamed " + uuid.uuid4().hex[:6]
        resp = self.request("PATCH", tenant_path(self.org.id), body={"orgName": name}, token=self.org.owner.token)
        updated = self.expect(resp, 200)
        assert_tenant(self, updated, role="owner")
        self.assertEqual(updated["orgName"], name)
        self.assertEqual(updated["createdAt"], before["createdAt"])
        self.assertGreaterEqual(updated["updatedAt"], before["updatedAt"])
        seen_by_viewer = self.expect(self.get(self.org.viewer), 200)
        self.assertEqual((seen_by_viewer["orgName"], seen_by_viewer["role"]), (name, "viewer"))

    def test_only_the_owner_renames(self):
        name = self.expect(self.get(self.org.owner), 200)["orgName"]
        for user in (self.org.editor, self.org.viewer, self.outsider):
            with self.subTest(user=user):
                resp = self.request("PATCH", tenant_path(self.org.id), body={"orgName": "Hijacked"}, token=user.token)
                baseline = self.request("PATCH", tenant_path(str(uuid.uuid4())), body={"orgName": "Hijacked"},
                                        token=user.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.assertEqual(self.expect(self.get(self.org.owner), 200)["orgName"], name)

    def test_rename_body_matrix(self):
        check_body_matrix(self, lambda **kw: self.request("PATCH", tenant_path(self.org.id),
                                                          token=self.org.owner.token, **kw), ORG_NAME_SPEC)


class DeleteTest(ApiTest):
    def test_soft_delete_hides_the_tenant_from_everyone(self):
        org = new_org(self.server)
        for user in (org.editor, org.viewer):
            with self.subTest(user=user):
                resp = self.request("DELETE", tenant_path(org.id), token=user.token)
                baseline = self.request("DELETE", tenant_path(str(uuid.uuid4())), token=user.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.expect(self.request("GET", tenant_path(org.id), token=org.viewer.token), 200)

        resp = self.request("DELETE", tenant_path(org.id), token=org.owner.token)
        self.assertEqual(resp.status, 204, str(resp))
        self.assertEqual(resp.raw, b"")

        for role in harness.ROLES:
            user = org.by_role(role)
            with self.subTest(role=role):
                harness.assert_tenant_routes_hidden(self, self.server, user.token, org.id, org.viewer.id)
                listed = harness.page(self, self.server, TENANTS, user.token, limit=200)["items"]
                self.assertNotIn(org.id, [t["id"] for t in listed])
                self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)  # accounts live on

    def test_owner_of_another_tenant_cannot_delete(self):
        org = new_org(self.server)
        stranger = new_user(self.server)
        new_tenant(self.server, stranger.token)
        resp = self.request("DELETE", tenant_path(org.id), token=stranger.token)
        harness.assert_same_not_found(self, resp, self.request("DELETE", tenant_path(str(uuid.uuid4())),
                                                               token=stranger.token))
        self.expect(self.request("GET", tenant_path(org.id), token=org.owner.token), 200)


if __name__ == "__main__":
    unittest.main()
