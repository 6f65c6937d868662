"""Periodic re-verification (docs/verification.md): VALID integrations whose
lastVerifiedAt is older than SLIPWAY_REVERIFY_INTERVAL are verified again,
also at start-up for overdue ones, and turned INVALID or EXPIRED when that is
the truth (audited); other statuses are left alone; several processes on one
database check each integration once (the re-verification job's lease, jobs.h).

The server accepts no interval under 60 s, so these tests go through the
start-up path: integrations are made overdue in the database, then a server
starts on it."""

import concurrent.futures
import datetime
import os
import shutil
import tempfile
import time
import unittest

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import assert_answer, build



user_calls, backdate, SharedDatabase, wait_for = vf.user_calls, vf.backdate, vf.SharedDatabase, vf.wait_for


class StartUpTest(unittest.TestCase):
    def test_overdue_ones_are_checked_at_start_up(self):
        client = vf.fakes()
        shared = SharedDatabase(client)
        rules = []
        try:
            first = shared.start()
            ctx = vf.Ctx(first, client)
            names = ("stays", "revoked", "expires", "down", "invalid", "recent")
            cases = {n: build(ctx, "GITHUB", creds=n != "invalid") for n in names}
            integs = {n: ctx.create(c.body) for n, c in cases.items()}
            for n in names:
                verdict = "INVALID" if n == "invalid" else "VALID"
                assert_answer(self, ctx.verify_stored("scm", integs[n]["id"]), verdict, verdict)
            shared.secrets |= ctx.secrets
            shared.remember()
            first.stop()
            old = {n: backdate(first, integs[n]["id"]) for n in names if n != "recent"}
            recent = fx.column_value(first, "scm", integs["recent"]["id"], "lastVerifiedAt")
            rules = [client.rule("github", "401", match=cases["revoked"].match),
                     client.rule("github", "expired", match=cases["expires"].match),
                     client.rule("github", "500", match=cases["down"].match)]
            mark = client.mark()
            ctx.server = shared.start()
            shared.remember()

            checked = ("stays", "revoked", "expires", "down")

            def settled():
                seen = client.requests("github", mark)
                if not all(user_calls(seen, cases[n].info["token"]) for n in checked):
                    return False
                objs = {n: ctx.get("scm", integs[n]["id"]) for n in ("stays", "revoked", "expires")}
                return (objs["stays"]["lastVerifiedAt"] != old["stays"] and objs["revoked"]["verificationStatus"]
                        == "INVALID" and objs["expires"]["verificationStatus"] == "EXPIRED")
            wait_for(settled, 8)
            time.sleep(0.5)
            now = {n: ctx.get("scm", integs[n]["id"]) for n in names}
            self.assertEqual(now["stays"]["verificationStatus"], "VALID")
            self.assertEqual(now["revoked"]["verificationStatus"], "INVALID", "a revoked token is found out")
            self.assertEqual(now["expires"]["verificationStatus"], "EXPIRED", "an expired token is found out")
            self.assertEqual(now["invalid"]["verificationStatus"], "INVALID")
            seen = client.requests("github", mark)
            self.assertEqual(user_calls(seen, cases["invalid"].info["token"]), [], "an INVALID one is left alone")
            self.assertEqual(user_calls(seen, cases["recent"].info["token"]), [],
                             "a VALID one verified within the interval is left alone")
            self.assertEqual(now["recent"]["lastVerifiedAt"], recent)
            for n in checked:
                self.assertEqual(len(user_calls(seen, cases[n].info["token"])), 1,
                                 "%s: the overdue VALID integration is verified once at start-up" % n)
            self.assertEqual((now["down"]["verificationStatus"], now["down"]["lastVerifiedAt"]),
                             ("VALID", old["down"]), "no verdict (500): status and lastVerifiedAt stay")
            for n, to in (("revoked", "INVALID"), ("expires", "EXPIRED")):
                rows = ctx.audit_for(self, integs[n]["id"])
                changes = [r for r in rows if r["details"].get("from") == "VALID" and r["details"].get("to") == to]
                self.assertEqual(len(changes), 1, "the change is audited: %s" % rows)
                self.assertEqual(changes[0]["details"].get("verdict"), to)
        finally:
            for rule in rules:
                client.drop(rule)
            shared.close()


class SeveralProcessesTest(unittest.TestCase):
    """Two servers start together on one database holding overdue VALID integrations: each is checked once."""

    COUNT = 8

    def test_checked_once(self):
        client = vf.fakes()
        shared = SharedDatabase(client)
        rules = []
        try:
            first = shared.start()
            ctx = vf.Ctx(first, client)
            cases = [build(ctx, "GITHUB") for _ in range(self.COUNT)]
            integs = [ctx.create(c.body) for c in cases]
            for integ in integs:
                assert_answer(self, ctx.verify_stored("scm", integ["id"]), "VALID", "VALID")
            shared.secrets |= ctx.secrets
            shared.remember()
            first.stop()
            for integ in integs:
                backdate(first, integ["id"])
            # slow answers widen the window in which both processes could take the same integration
            rules = [client.rule("github", "slow", match=c.match, seconds=0.3) for c in cases]
            mark = client.mark()
            pair = [vf.NoMigrateServer(shared.env, database=shared.database, admin=shared.admin) for _ in range(2)]
            shared.servers += pair
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda s: s.start(), pair))
            shared.remember()
            ctx.server = pair[0]

            def all_checked():
                seen = client.requests("github", mark)
                return all(user_calls(seen, c.info["token"]) for c in cases)
            if not wait_for(all_checked, 10):
                seen = client.requests("github", mark)
                self.fail("every overdue integration is checked at start-up: calls per integration %s"
                          % [len(user_calls(seen, c.info["token"])) for c in cases])
            time.sleep(1.5)  # room for a second, wrong, check
            seen = client.requests("github", mark)
            counts = [len(user_calls(seen, c.info["token"])) for c in cases]
            self.assertEqual(counts, [1] * self.COUNT, "each integration checked by one process only")
        finally:
            for rule in rules:
                client.drop(rule)
            shared.close()


if __name__ == "__main__":
    unittest.main()
