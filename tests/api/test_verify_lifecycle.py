"""The status lifecycle of docs/verification.md (document 000's table): every
cell, driven through one integration and the fake's answers; lastVerifiedAt
on verdicts only, lastVerificationError, and the integration.verify audit rows
with {from, to, verdict}."""

import datetime
import json
import unittest

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest, assert_answer, build, mentions


def tearDownModule():
    vf.stop_servers()


# from \ verdict -> status after (None: no verdict)
TABLE = {
    "NOT_VERIFIED": {"VALID": "VALID", "INVALID": "INVALID", "EXPIRED": "INVALID", None: "NOT_VERIFIED"},
    "VALID": {"VALID": "VALID", "INVALID": "INVALID", "EXPIRED": "EXPIRED", None: "VALID"},
    "INVALID": {"VALID": "VALID", "INVALID": "INVALID", "EXPIRED": "INVALID", None: "INVALID"},
    "EXPIRED": {"VALID": "VALID", "INVALID": "EXPIRED", "EXPIRED": "EXPIRED", None: "EXPIRED"},
}
# The fake's behaviour that makes each verdict for a GitHub token.
MODES = {"VALID": None, "INVALID": "401", "EXPIRED": "expired", None: "500"}
# One walk through 14 cells (NOT_VERIFIED is left for good after the second step; the two other
# NOT_VERIFIED cells get fresh integrations).
WALK = [None, "EXPIRED", None, "EXPIRED", "INVALID", "VALID", None, "VALID", "EXPIRED", None, "EXPIRED", "INVALID",
        "VALID", "INVALID"]


class LifecycleTest(VerifyTest):
    def step(self, case, integ, verdict, state):
        """Verify once with the fake answering for `verdict`; check the answer, the row and the audit trail
        against the table.  state: {"status", "lastVerifiedAt", "error", "rows"} (updated)."""
        ctx = self.ctx
        frm = state["status"]
        to = TABLE[frm][verdict]
        rule = None
        if MODES[verdict]:
            rule = self.rule("github", MODES[verdict], match=case.match)
        before = harness.now()
        resp = ctx.verify_stored(case.category, integ["id"])
        after = harness.now()
        if rule:
            self.fakes.drop(rule)
        where = "%s --%s--> expected %s" % (frm, verdict, to)
        body = assert_answer(self, resp, verdict, to, self.secrets_of(case))
        if frm == "NOT_VERIFIED" and verdict == "EXPIRED":
            self.assertTrue(mentions(body["message"], "expire"), "%s: the message says expired: %r"
                            % (where, body["message"]))
        obj = ctx.get(case.category, integ["id"])
        self.assertEqual(obj["verificationStatus"], to, where)
        if verdict is None:
            self.assertEqual(obj["lastVerifiedAt"], state["lastVerifiedAt"], "%s: lastVerifiedAt unchanged" % where)
            self.assertEqual(obj["lastVerificationError"], state["error"],
                             "%s: lastVerificationError unchanged without a verdict" % where)
        else:
            stamp = harness.assert_timestamp(self, obj["lastVerifiedAt"], "lastVerifiedAt")
            slack = datetime.timedelta(seconds=1)
            self.assertTrue(before - slack <= stamp <= after + slack,
                            "%s: lastVerifiedAt is this verification's time (%s not in %s..%s)"
                            % (where, stamp, before, after))
            if verdict == "VALID":
                self.assertIsNone(obj["lastVerificationError"], "%s: VALID clears lastVerificationError" % where)
            else:
                self.assertEqual(obj["lastVerificationError"], body["message"],
                                 "%s: lastVerificationError holds the verdict's message" % where)
        rows = ctx.audit_for(self, integ["id"])
        new = rows[:len(rows) - state["rows"]]
        if verdict is None:
            self.assertLessEqual(len(new), 1, "%s: at most one audit row" % where)
            for row in new:
                self.assertEqual((row["details"].get("from"), row["details"].get("to"), row["details"].get("verdict")),
                                 (frm, frm, None), "%s: audit of a check without verdict: %s" % (where, row))
        else:
            self.assertEqual(len(new), 1, "%s: one integration.verify row: %s" % (where, json.dumps(new)[:600]))
            harness.assert_audit_row(self, new[0])
            self.assertEqual({k: new[0]["details"].get(k) for k in ("from", "to", "verdict")},
                             {"from": frm, "to": to, "verdict": verdict}, where)
            self.assertEqual(new[0]["tenantId"], ctx.tenant_of(integ["id"]))
            self.assertEqual(new[0]["actorAccountId"], ctx.org.owner.id, "the owner who asked is the actor")
            self.assertFalse(set(vf.words(new[0]["details"])) & set(case.secrets), "no secret in the audit row")
        state.update(status=to, lastVerifiedAt=obj["lastVerifiedAt"], error=obj["lastVerificationError"],
                     rows=len(rows))
        return body

    def fresh(self):
        case = build(self.ctx, "GITHUB")
        integ = self.ctx.create(case.body)
        self.assertEqual(integ["verificationStatus"], "NOT_VERIFIED")
        return case, integ, {"status": "NOT_VERIFIED", "lastVerifiedAt": None, "error": None, "rows": 0}

    def test_walk_through_the_table(self):
        case, integ, state = self.fresh()
        seen = set()
        for verdict in WALK:
            with self.subTest(cell="%s + %s" % (state["status"], verdict)):
                seen.add((state["status"], verdict))
                self.step(case, integ, verdict, state)
        for verdict in ("VALID", "INVALID"):
            case2, integ2, state2 = self.fresh()
            with self.subTest(cell="NOT_VERIFIED + %s" % verdict):
                seen.add(("NOT_VERIFIED", verdict))
                self.step(case2, integ2, verdict, state2)
        self.assertEqual(seen, {(f, v) for f in TABLE for v in TABLE[f]}, "every cell of the table was visited")

    def test_config_change_resets_to_not_verified(self):
        case, integ, state = self.fresh()
        self.step(case, integ, "VALID", state)
        tok, org, repo, _ = vf.github_token(self.ctx)
        resp = fx.patch_integration(self.server, self.ctx.token, self.ctx.tenant_id, "scm", integ["id"],
                                    {"accessToken": tok})
        self.assertEqual(resp.status, 200, str(resp))
        self.assertEqual(resp.json["verificationStatus"], "NOT_VERIFIED", "a change of configuration resets it")

    def test_status_read_by_setup_and_listing(self):
        """The verdict shows wherever the integration does (its GET, the list, the setup status)."""
        case, integ, state = self.fresh()
        self.step(case, integ, "VALID", state)
        listed = harness.page(self, self.server, fx.ipath(self.ctx.tenant_id, "scm"), self.ctx.token, limit=200)
        mine = [i for i in listed["items"] if i["id"] == integ["id"]]
        self.assertEqual([(i["verificationStatus"], i["lastVerifiedAt"]) for i in mine],
                         [("VALID", state["lastVerifiedAt"])])
        status = harness.expect(self, self.server.request("GET", fx.SETUP_PATH % self.ctx.tenant_id,
                                                          token=self.ctx.token), 200)
        shown = [i for i in status["integrations"] if i["id"] == integ["id"]]
        self.assertEqual([(i["verificationStatus"], i["lastVerifiedAt"]) for i in shown],
                         [("VALID", state["lastVerifiedAt"])])

    def test_config_checks_leave_stored_ones_alone(self):
        """A config check with the same credentials as a stored integration changes nothing stored."""
        case, integ, state = self.fresh()
        self.step(case, integ, "VALID", state)
        rule = self.rule("github", "401", match=case.match)
        assert_answer(self, self.ctx.verify_config(case.kind, case.config()), "INVALID", "INVALID")
        self.fakes.drop(rule)
        obj = self.ctx.get(case.category, integ["id"])
        self.assertEqual((obj["verificationStatus"], obj["lastVerifiedAt"], obj["lastVerificationError"]),
                         ("VALID", state["lastVerifiedAt"], None))
        self.assertEqual(len(self.ctx.audit_for(self, integ["id"])), state["rows"])


if __name__ == "__main__":
    unittest.main()
