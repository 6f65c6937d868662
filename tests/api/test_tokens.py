"""Personal API tokens: /api/v1/me/tokens."""

import datetime
import time
import unittest
import uuid

import harness
from harness import ApiTest, BodySpec, check_body_matrix, create_token

tearDownModule = harness.stop_shared_server

TOKENS = "/api/v1/me/tokens"

TOKEN_SPEC = BodySpec(
    valid={"name": "matrix", "expiresInDays": 30},
    required=["name"],
    wrong_types={"name": harness.WRONG_TYPES, "expiresInDays": ("30", 1.5, True, [], {}, ["x"])},
    bad_values={"name": ("", "x" * 201), "expiresInDays": (0, -1, 3651, 100000000000)},
)


class TokensTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)

    def listed(self, token=None):
        return harness.page(self, self.server, TOKENS, token or self.user.token, limit=200)

    def test_create_shows_the_secret_once(self):
        resp = self.request("POST", TOKENS, body={"name": "ci deploy"}, token=self.user.token)
        created = self.expect(resp, 201)
        harness.assert_token(self, created, with_secret=True)
        self.assertEqual(created["name"], "ci deploy")
        self.assertIsNone(created["expiresAt"], "no expiresInDays: never expires")
        self.assertIsNone(created["lastUsedAt"])
        self.assertIsNone(created["revokedAt"])
        me = self.expect(self.request("GET", "/api/v1/me", token=created["token"]), 200)
        self.assertEqual(me["id"], self.user.id)
        page = self.listed()
        mine = [t for t in page["items"] if t["id"] == created["id"]]
        self.assertEqual(len(mine), 1)
        harness.assert_token(self, mine[0])  # exactly the fields, so no "token"
        self.assertEqual(mine[0]["prefix"], created["token"][:8])
        self.assertNotIn(created["token"].encode(), self.request("GET", TOKENS + "?limit=200",
                                                                 token=self.user.token).raw)

    def test_expires_in_days(self):
        for days in (1, 30, 3650):
            with self.subTest(days=days):
                created = create_token(self.server, self.user.token, expires_in_days=days)
                expires = harness.assert_timestamp(self, created["expiresAt"])
                expected = harness.now() + datetime.timedelta(days=days)
                self.assertLess(abs((expires - expected).total_seconds()), 300)

    def test_name_limits_count_characters(self):
        for name in ("x", "x" * 200, "\u00e9" * 200, "\u6f22" * 200):
            with self.subTest(length=len(name), first=name[0]):
                self.assertEqual(create_token(self.server, self.user.token, name=name)["name"], name)

    def test_use_sets_last_used_at(self):
        """lastUsedAt is written in batches (SLIPWAY_TOKEN_FLUSH=1 on the shared server)."""
        created = create_token(self.server, self.user.token)
        used = harness.now()
        self.expect(self.request("GET", "/api/v1/me", token=created["token"]), 200)
        deadline = time.monotonic() + 5
        while True:
            item = next(t for t in self.listed()["items"] if t["id"] == created["id"])
            if item["lastUsedAt"] is not None or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        last_used = harness.assert_timestamp(self, item["lastUsedAt"], "lastUsedAt after a use")
        self.assertLess(abs((last_used - used).total_seconds()), 5)

    def test_body_matrix(self):
        check_body_matrix(self, lambda **kw: self.request("POST", TOKENS, token=self.user.token, **kw), TOKEN_SPEC)

    def test_revoke(self):
        created = create_token(self.server, self.user.token)
        resp = self.request("DELETE", "%s/%s" % (TOKENS, created["id"]), token=self.user.token)
        self.assertEqual(resp.status, 204, str(resp))
        self.assertEqual(resp.raw, b"")
        self.assert_error(self.request("GET", "/api/v1/me", token=created["token"]), 401, "unauthenticated")
        for item in self.listed()["items"]:
            if item["id"] == created["id"]:
                harness.assert_timestamp(self, item["revokedAt"], "revokedAt of a revoked token")
        self.expect(self.request("GET", "/api/v1/me", token=self.user.token), 200)

    def test_a_token_can_revoke_itself(self):
        created = create_token(self.server, self.user.token)
        resp = self.request("DELETE", "%s/%s" % (TOKENS, created["id"]), token=created["token"])
        self.assertEqual(resp.status, 204, str(resp))
        self.assert_error(self.request("GET", "/api/v1/me", token=created["token"]), 401, "unauthenticated")

    def test_revoke_unknown_ids(self):
        baseline = self.request("DELETE", "%s/%s" % (TOKENS, uuid.uuid4()), token=self.user.token)
        self.assert_error(baseline, 404, "not_found")
        for token_id in ("not-a-uuid", str(uuid.uuid4()).upper(), "0"):
            with self.subTest(token_id=token_id):
                self.assert_error(self.request("DELETE", "%s/%s" % (TOKENS, token_id), token=self.user.token),
                                  404, "not_found")

    def test_another_accounts_token_is_not_found(self):
        other = harness.new_user(self.server)
        other_api = create_token(self.server, other.token)
        for token_id in (other_api["id"], other.token_id):
            with self.subTest(token_id=token_id):
                resp = self.request("DELETE", "%s/%s" % (TOKENS, token_id), token=self.user.token)
                baseline = self.request("DELETE", "%s/%s" % (TOKENS, uuid.uuid4()), token=self.user.token)
                harness.assert_same_not_found(self, resp, baseline)
        for token in (other.token, other_api["token"]):
            self.expect(self.request("GET", "/api/v1/me", token=token), 200)
        listed_ids = {t["id"] for t in self.listed()["items"]}
        self.assertNotIn(other_api["id"], listed_ids)
        self.assertNotIn(other.token_id, listed_ids)


class TokenListTest(ApiTest):
    def test_pagination(self):
        user = harness.new_user(self.server)
        made = [create_token(self.server, user.token)["id"] for _ in range(5)]
        items = harness.assert_paginates(self, self.server, TOKENS, user.token, made + [user.token_id])
        self.assertEqual(len(items), 6, "five API tokens and the login token")
        for item in items:
            harness.assert_token(self, item)
        harness.assert_rejects_bad_page_params(self, self.server, TOKENS, user.token)

    def test_default_and_largest_page(self):
        user = harness.new_user(self.server)
        for _ in range(201):
            create_token(self.server, user.token)  # 202 tokens with the login token
        default = harness.page(self, self.server, TOKENS, user.token)
        self.assertEqual(len(default["items"]), 50, "the default limit is 50")
        self.assertIsNotNone(default["nextCursor"])
        largest = harness.page(self, self.server, TOKENS, user.token, limit=200)
        self.assertEqual(len(largest["items"]), 200)
        rest = harness.page(self, self.server, TOKENS, user.token, limit=200, cursor=largest["nextCursor"])
        self.assertEqual(len(rest["items"]), 2)
        self.assertIsNone(rest["nextCursor"])
        self.assertEqual(len({t["id"] for t in largest["items"] + rest["items"]}), 202)
        one = harness.page(self, self.server, TOKENS, user.token, limit=1)
        self.assertEqual([t["id"] for t in one["items"]], [largest["items"][0]["id"]])

    def test_pages_hold_still_while_tokens_are_added(self):
        user = harness.new_user(self.server)
        older = [create_token(self.server, user.token)["id"] for _ in range(5)] + [user.token_id]
        first = harness.page(self, self.server, TOKENS, user.token, limit=2)
        newer = create_token(self.server, user.token)["id"]  # lands before the cursor, newest first
        seen = [t["id"] for t in first["items"]]
        cursor = first["nextCursor"]
        while cursor is not None:
            body = harness.page(self, self.server, TOKENS, user.token, limit=2, cursor=cursor)
            seen += [t["id"] for t in body["items"]]
            cursor = body["nextCursor"]
        self.assertEqual(len(seen), len(set(seen)), "no token twice")
        self.assertEqual(set(seen) - {newer}, set(older), "no token missed")


if __name__ == "__main__":
    unittest.main()
