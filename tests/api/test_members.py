"""Members: GET/POST /api/v1/{tenantId}/members, PATCH/DELETE .../members/{accountId}.

Since issue 11, POST invites (test_invitations.py): harness.add_member invites and accepts.
"""

import unittest
import uuid

import harness
from harness import ApiTest, BodySpec, add_member, add_member_and_login, assert_member, check_body_matrix, login, \
    new_org, new_tenant, new_user

tearDownModule = harness.stop_shared_server

BAD_ROLES = ("admin", "", "Owner", "owner ")

# Adding a member is inviting them (test_invitations.py): the name is the invitee's to give when they accept.
ADD_SPEC = BodySpec(
    valid={"email": "matrix-member@example.com", "role": "viewer"},
    required=["email", "role"],
    wrong_types={"email": harness.WRONG_TYPES, "role": harness.WRONG_TYPES},
    bad_values={"email": harness.BAD_EMAILS, "role": BAD_ROLES},
)

ROLE_SPEC = BodySpec(
    valid={"role": "editor"},
    required=["role"],
    wrong_types={"role": harness.WRONG_TYPES},
    bad_values={"role": BAD_ROLES},
)


def members_path(tenant_id, account_id=None):
    return "/api/v1/%s/members" % tenant_id + ("/" + account_id if account_id else "")


class MembersTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = new_org(cls.server)
        cls.outsider = new_user(cls.server)

    def members(self, user=None):
        items = harness.page(self, self.server, members_path(self.org.id), (user or self.org.owner).token,
                             limit=200)["items"]
        return {m["accountId"]: m for m in items}

    def role_in_tenant(self, user):
        resp = self.request("GET", "/api/v1/" + self.org.id, token=user.token)
        return resp.json["role"] if resp.status == 200 else resp.status

    def test_every_role_lists_members(self):
        expected = {self.org.by_role(r).id: (self.org.by_role(r).email, r) for r in harness.ROLES}
        for role in harness.ROLES:
            with self.subTest(role=role):
                listed = self.members(self.org.by_role(role))
                for member in listed.values():
                    assert_member(self, member)  # exactly the fields: no initialPassword
                self.assertTrue(set(expected) <= set(listed))
                for account_id, (email, member_role) in expected.items():
                    self.assertEqual((listed[account_id]["email"], listed[account_id]["role"]), (email, member_role))

    def test_outsider_cannot_list(self):
        resp = self.request("GET", members_path(self.org.id), token=self.outsider.token)
        baseline = self.request("GET", members_path(str(uuid.uuid4())), token=self.outsider.token)
        harness.assert_same_not_found(self, resp, baseline)

    def test_add_a_new_account(self):
        """Adding is inviting: the account and the membership come when the invitee accepts."""
        email = harness.unique_email("grace")
        resp = self.request("POST", members_path(self.org.id), token=self.org.owner.token,
                            body={"email": email, "role": "editor"})
        invitation = self.expect(resp, 201)
        self.server.remember_secret(invitation["inviteToken"])
        harness.assert_keys(self, invitation, ("invitationId", "email", "role", "expiresAt", "delivery", "inviteToken"), "invitation")
        self.assertEqual((invitation["email"], invitation["role"]), (email, "editor"))
        self.assertNotIn(email, [m["email"] for m in self.members().values()])
        self.assert_error(login(self.server, email, "any password at all"), 401, "invalid_credentials")
        member = self.expect(self.request("POST", "/api/v1/invitations/accept", body={
            "token": invitation["inviteToken"], "password": "Grace's own password", "name": "Grace Hopper"}), 201)
        self.assertEqual((member["email"], member["role"], member["name"]), (email, "editor", "Grace Hopper"))
        token = self.expect(login(self.server, email, "Grace's own password"), 200)["token"]
        got = self.expect(self.request("GET", "/api/v1/" + self.org.id, token=token), 200)
        self.assertEqual(got["role"], "editor")
        listed = self.members()[member["accountId"]]
        assert_member(self, listed)
        self.assertEqual(listed, {k: v for k, v in member.items() if k != "tenantId"})

    def test_add_an_existing_account(self):
        """The same answer as for a new address, and no membership until the account accepts."""
        user = new_user(self.server)
        invitation = self.expect(self.request("POST", members_path(self.org.id), token=self.org.owner.token,
                                              body={"email": user.email.upper(), "role": "viewer"}), 201)
        self.server.remember_secret(invitation["inviteToken"])
        self.assertEqual(sorted(invitation), ["delivery", "email", "expiresAt", "invitationId", "inviteToken", "role"])
        self.assertEqual(invitation["email"], user.email)
        self.assertEqual(self.role_in_tenant(user), 404)
        self.expect(self.request("POST", "/api/v1/invitations/accept", body={"token": invitation["inviteToken"]},
                                 token=user.token), 201)
        self.assertEqual(self.role_in_tenant(user), "viewer")
        self.expect(login(self.server, user.email, user.password), 200)  # password unchanged

    def test_email_is_stored_lower_case(self):
        tag = uuid.uuid4().hex[:8]
        mixed = "Mixed.Case-%s@Example.COM" % tag
        member = add_member(self.server, self.org.owner.token, self.org.id, mixed, "viewer")
        self.assertEqual(member["email"], mixed.lower())
        self.expect(login(self.server, mixed, member["initialPassword"]), 200)

    def test_adding_a_member_twice_conflicts(self):
        user = new_user(self.server)
        add_member(self.server, self.org.owner.token, self.org.id, user.email, "viewer")
        for email in (user.email, user.email.upper()):
            for role in ("viewer", "owner"):
                with self.subTest(email=email, role=role):
                    resp = self.request("POST", members_path(self.org.id), token=self.org.owner.token,
                                        body={"email": email, "role": role})
                    self.assert_error(resp, 409, "conflict")
        self.assertEqual(self.role_in_tenant(user), "viewer")

    def test_concurrent_adds_of_one_new_email(self):
        """Each invitation replaces the pending one: one is left."""
        email = harness.unique_email("race")
        statuses = harness.concurrently(6, lambda i: self.request(
            "POST", members_path(self.org.id), token=self.org.owner.token, body={"email": email, "role": "viewer"}))
        self.assertEqual([r.status for r in statuses], [201] * 6, [str(r) for r in statuses])
        for resp in statuses:
            self.server.remember_secret(resp.json["inviteToken"])
        pending = harness.page(self, self.server, "/api/v1/%s/invitations" % self.org.id, self.org.owner.token,
                               limit=200)["items"]
        self.assertEqual([i["email"] for i in pending].count(email), 1)
        self.assertNotIn(email, [m["email"] for m in self.members().values()])

    def test_only_the_owner_adds(self):
        email = harness.unique_email("nope")
        for user in (self.org.editor, self.org.viewer, self.outsider):
            with self.subTest(user=user):
                body = {"email": email, "role": "owner"}
                resp = self.request("POST", members_path(self.org.id), token=user.token, body=body)
                baseline = self.request("POST", members_path(str(uuid.uuid4())), token=user.token, body=body)
                harness.assert_same_not_found(self, resp, baseline)
        self.assertNotIn(email, [m["email"] for m in self.members().values()])

    def test_add_name_limit_counts_characters(self):
        """The new account's name, given when accepting, counts characters."""
        for name in ("x" * 200, "\u00e9" * 200):
            with self.subTest(first=name[0]):
                member = add_member(self.server, self.org.owner.token, self.org.id, harness.unique_email("long"),
                                    "viewer", name=name)
                self.assertEqual(member["name"], name)
                self.assertIn(member["accountId"], self.members())

    def test_add_body_matrix(self):
        check_body_matrix(self, lambda **kw: self.request("POST", members_path(self.org.id),
                                                          token=self.org.owner.token, **kw), ADD_SPEC)

    def test_change_role(self):
        user = add_member_and_login(self.server, self.org.owner.token, self.org.id, "viewer")
        for role in ("editor", "owner", "viewer"):
            with self.subTest(role=role):
                resp = self.request("PATCH", members_path(self.org.id, user.id), body={"role": role},
                                    token=self.org.owner.token)
                member = self.expect(resp, 200)
                assert_member(self, member)
                self.assertEqual((member["accountId"], member["role"]), (user.id, role))
                self.assertEqual(self.role_in_tenant(user), role)
                self.assertEqual(self.members()[user.id]["role"], role)

    def test_only_the_owner_changes_roles(self):
        for user in (self.org.editor, self.org.viewer, self.outsider):
            with self.subTest(user=user):
                resp = self.request("PATCH", members_path(self.org.id, user.id), body={"role": "owner"},
                                    token=user.token)
                baseline = self.request("PATCH", members_path(str(uuid.uuid4()), user.id), body={"role": "owner"},
                                        token=user.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.assertEqual((self.role_in_tenant(self.org.editor), self.role_in_tenant(self.org.viewer)),
                         ("editor", "viewer"))

    def test_change_role_of_a_non_member(self):
        baseline = self.request("PATCH", members_path(self.org.id, str(uuid.uuid4())), body={"role": "viewer"},
                                token=self.org.owner.token)
        self.assert_error(baseline, 404, "not_found")
        for account_id in (self.outsider.id, "not-a-uuid"):
            with self.subTest(account_id=account_id):
                resp = self.request("PATCH", members_path(self.org.id, account_id), body={"role": "viewer"},
                                    token=self.org.owner.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.assertEqual(self.role_in_tenant(self.outsider), 404)

    def test_change_role_body_matrix(self):
        check_body_matrix(self, lambda **kw: self.request("PATCH", members_path(self.org.id, self.org.viewer.id),
                                                          token=self.org.owner.token, **kw), ROLE_SPEC)

    def test_remove(self):
        user = add_member_and_login(self.server, self.org.owner.token, self.org.id, "editor")
        for caller in (self.org.editor, self.org.viewer, self.outsider):
            with self.subTest(caller=caller):
                resp = self.request("DELETE", members_path(self.org.id, user.id), token=caller.token)
                baseline = self.request("DELETE", members_path(str(uuid.uuid4()), user.id), token=caller.token)
                harness.assert_same_not_found(self, resp, baseline)
        self.assertEqual(self.role_in_tenant(user), "editor")

        resp = self.request("DELETE", members_path(self.org.id, user.id), token=self.org.owner.token)
        self.assertEqual(resp.status, 204, str(resp))
        self.assertEqual(resp.raw, b"")
        self.assertNotIn(user.id, self.members())
        harness.assert_tenant_routes_hidden(self, self.server, user.token, self.org.id, self.org.viewer.id)
        self.expect(self.request("GET", "/api/v1/me", token=user.token), 200)  # the account lives on
        again = self.request("DELETE", members_path(self.org.id, user.id), token=self.org.owner.token)
        harness.assert_same_not_found(self, again, self.request(
            "DELETE", members_path(self.org.id, str(uuid.uuid4())), token=self.org.owner.token))


class LastOwnerTest(ApiTest):
    def demote(self, tenant_id, target, caller, role="editor"):
        return self.request("PATCH", members_path(tenant_id, target.id), body={"role": role}, token=caller.token)

    def remove(self, tenant_id, target, caller):
        return self.request("DELETE", members_path(tenant_id, target.id), token=caller.token)

    def test_the_last_owner_stays(self):
        first = new_user(self.server)
        tenant_id = new_tenant(self.server, first.token)["id"]
        for role in ("editor", "viewer"):
            self.assert_error(self.demote(tenant_id, first, first, role), 409, "conflict")
        self.assert_error(self.remove(tenant_id, first, first), 409, "conflict")
        self.assertEqual(self.request("GET", "/api/v1/" + tenant_id, token=first.token).json["role"], "owner")

        second = add_member_and_login(self.server, first.token, tenant_id, "owner")
        self.assertEqual(self.expect(self.demote(tenant_id, first, first), 200)["role"], "editor")
        # second is now the only owner
        self.assert_error(self.demote(tenant_id, second, second), 409, "conflict")
        self.assert_error(self.remove(tenant_id, second, second), 409, "conflict")
        self.assert_error(self.remove(tenant_id, second, first), 404, "not_found")  # first is only an editor

        # with two owners again, an owner may leave
        self.assertEqual(self.expect(self.demote(tenant_id, first, second, "owner"), 200)["role"], "owner")
        self.assertEqual(self.remove(tenant_id, first, first).status, 204)
        self.assert_error(self.request("GET", "/api/v1/" + tenant_id, token=first.token), 404, "not_found")
        members = harness.page(self, self.server, members_path(tenant_id), second.token)["items"]
        self.assertEqual([(m["accountId"], m["role"]) for m in members], [(second.id, "owner")])
        self.assert_error(self.remove(tenant_id, second, second), 409, "conflict")


class LastOwnerRaceTest(ApiTest):
    """Two owners demote or remove each other at the same moment: one owner must remain."""

    def test_mutual_demotion_and_removal(self):
        a = new_user(self.server)
        tenant_id = new_tenant(self.server, a.token)["id"]
        b = add_member_and_login(self.server, a.token, tenant_id, "owner")
        for round_ in range(6):
            remove = round_ % 2 == 1

            def act(i):
                caller, target = (a, b) if i == 0 else (b, a)
                if remove:
                    return self.request("DELETE", members_path(tenant_id, target.id), token=caller.token)
                return self.request("PATCH", members_path(tenant_id, target.id), body={"role": "viewer"},
                                    token=caller.token)

            with self.subTest(round=round_, action="remove" if remove else "demote"):
                results = harness.concurrently(2, act)
                answers = [str(r) for r in results]
                owners = [u for u in (a, b) if self.role(tenant_id, u) == "owner"]
                self.assertEqual(len(owners), 1, "exactly one owner is left: %s" % answers)
                self.assertEqual([r.status for r in results].count(204 if remove else 200), 1, answers)
                # two owners again for the next round
                survivor, loser = (a, b) if owners[0] is a else (b, a)
                if remove:
                    add_member(self.server, survivor.token, tenant_id, loser.email, "owner")
                else:
                    self.expect(self.request("PATCH", members_path(tenant_id, loser.id), body={"role": "owner"},
                                             token=survivor.token), 200)

    def role(self, tenant_id, user):
        resp = self.request("GET", "/api/v1/" + tenant_id, token=user.token)
        return resp.json["role"] if resp.status == 200 else None


class MemberListTest(ApiTest):
    def test_pagination(self):
        owner = new_user(self.server)
        tenant_id = new_tenant(self.server, owner.token)["id"]
        added = [add_member(self.server, owner.token, tenant_id, harness.unique_email(role), role)["accountId"]
                 for role in ("viewer", "editor", "owner", "viewer")]
        items = harness.assert_paginates(self, self.server, members_path(tenant_id), owner.token,
                                         added + [owner.id], key="accountId")
        self.assertEqual(len(items), 5)
        harness.assert_rejects_bad_page_params(self, self.server, members_path(tenant_id), owner.token)


if __name__ == "__main__":
    unittest.main()
