"""The workflow engine (src/jobs/jobs.h, docs/internals/jobs.md) with real processes.

Two `slipway serve` processes on one database share the work: the
re-verification job exists once however many processes start, and runs in
one of them at a time; each overdue integration is a "verify" job, its
child. A process killed (SIGKILL) in the middle of such a child (its
provider call unanswered) keeps its lease only until the lease runs out;
then the other process takes the child (attempt 2), asks the provider again
and records the verdict, and the re-verification, woken by its last child,
ends. Run for every backend the suite runs on (SQLite, PostgreSQL, MariaDB).
"""

import os
import signal
import unittest

import harness
import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import assert_answer, build

LEASE_SECONDS = 2
SLOW_SECONDS = 30  # the provider's answer to the process that will be killed never comes in time


def job_rows(server, kind=None):
    names, rows = fx.db_query(server, "SELECT kind, dedupeKey, state, attempts, leaseOwner, lastFinishedAt, payload FROM jobs "
                                      "ORDER BY createdAt")
    found = [dict(zip((n.lower() for n in names), r)) for r in rows]
    return [r for r in found if kind is None or r["kind"] == kind]


def children_of(server, integration_id):
    """The verify jobs of one integration that the re-verification made (the HTTP ones name who asked: an origin)."""
    return [r for r in job_rows(server, "verify") if integration_id in str(r["payload"]) and "origin" not in str(r["payload"])]


def owned_by(row, server):
    return row["leaseowner"] is not None and (":%d:" % server.pid) in row["leaseowner"]


class KilledMidJobTest(unittest.TestCase):
    def test_the_other_process_takes_over(self):
        client = vf.fakes()
        shared = vf.SharedDatabase(client)
        shared.env.update({"SLIPWAY_JOB_LEASE": str(LEASE_SECONDS), "SLIPWAY_JOB_POLL_MS": "100",
                           "SLIPWAY_OUTBOUND_TIMEOUT": str(SLOW_SECONDS * 2000)})
        rules = []
        try:
            first = shared.start()
            ctx = vf.Ctx(first, client)
            case = build(ctx, "GITHUB")
            integ = ctx.create(case.body)
            assert_answer(self, ctx.verify_stored("scm", integ["id"]), "VALID", "VALID")
            shared.secrets |= ctx.secrets
            shared.remember()
            first.stop()
            old = vf.backdate(first, integ["id"])

            # A takes the job, makes the integration a verify job of its own, and hangs in that one's provider call.
            rules.append(client.rule("github", "slow", match=case.match, seconds=SLOW_SECONDS))
            mark = client.mark()
            a = shared.start(migrate=False)
            self.assertTrue(vf.wait_for(lambda: vf.user_calls(client.requests("github", mark), case.info["token"]), 10),
                            "the first process starts the re-verification")
            sweeps = job_rows(a, "reverify")
            self.assertEqual([(r["dedupekey"], r["state"]) for r in sweeps], [("reverify", "WAITING")],
                             "one re-verification, waiting for its child: %s" % sweeps)
            swept_before = sweeps[0]["lastfinishedat"]
            children = children_of(a, integ["id"])
            self.assertEqual([r["state"] for r in children], ["RUNNING"], children)
            self.assertTrue(owned_by(children[0], a), "the first process holds the child's lease: %s" % children[0])

            # B starts, A dies mid-call; the provider answers at once from now on.
            b = shared.start(migrate=False)
            os.kill(a.pid, signal.SIGKILL)
            self.assertIsNotNone(a.wait_exit(10), "the killed process is gone")
            a.pid = None  # nothing to stop or check: it was killed
            client.drop(rules.pop())
            self.assertEqual(len(job_rows(b, "reverify")), 1, "B's start-up did not enqueue a second job")

            def taken_over_and_done():
                obj = ctx.get("scm", integ["id"])
                row = job_rows(b, "reverify")[0]
                return obj["lastVerifiedAt"] != old and row["state"] == "QUEUED" and row["lastfinishedat"] != swept_before
            ctx.server = b
            self.assertTrue(vf.wait_for(taken_over_and_done, 15),
                            "after the lease runs out B runs the job: %s %s" % (job_rows(b), ctx.get("scm", integ["id"])))
            self.assertEqual(ctx.get("scm", integ["id"])["verificationStatus"], "VALID")
            self.assertIn("(attempt 2)", b.log_text(), "B ran the child as its second attempt")
            self.assertEqual(len(vf.user_calls(client.requests("github", mark), case.info["token"])), 2,
                             "A's interrupted call and B's")
            self.assertEqual([(r["state"], r["attempts"]) for r in children_of(b, integ["id"])], [("DONE", 2)],
                             "one child, done at its second attempt")
            row = job_rows(b, "reverify")[0]
            self.assertEqual((row["state"], row["attempts"], row["leaseowner"]), ("QUEUED", 0, None),
                             "a recurring job is queued again, its lease given back")
        finally:
            for rule in rules:
                client.drop(rule)
            shared.close()


class OneJobManyProcessesTest(unittest.TestCase):
    def test_the_recurring_job_exists_once(self):
        client = vf.fakes()
        shared = vf.SharedDatabase(client)
        try:
            first = shared.start()
            first.stop()
            servers = [shared.start(migrate=False) for _ in range(3)]
            self.assertTrue(vf.wait_for(lambda: job_rows(servers[0], "reverify")[0]["lastfinishedat"] is not None, 10),
                            "a start-up asks for a run now")
            rows = job_rows(servers[0])
            # One row per recurring kind (main.c's table: the re-check of proven domains, the repository sweep,
            # re-verification, the OAuth token sweep, the rollouts' health sweep, the usage roll-up, the pruning of
            # old webhook deliveries), whatever the number of processes.
            self.assertEqual(sorted((r["kind"], r["dedupekey"]) for r in rows),
                             [("domains-recheck", "domains-recheck"), ("repos-sweep", "repos-sweep"), ("reverify", "reverify"),
                              ("scm-token-sweep", "scm-token-sweep"), ("store-health-sweep", "store-health-sweep"),
                              ("usage-rollup", "usage-rollup"), ("webhook-prune", "webhook-prune")],
                             "one job row per recurring kind whatever the number of processes")
        finally:
            shared.close()


if __name__ == "__main__":
    unittest.main()
