#!/usr/bin/env python3
"""Notifications fanned out (issue 16's benchmark; figures in docs/performance.md).

One slipway on a fresh SQLite database (the API tests' server, bench/README.md), its providers the
test fakes: a tenant with RELEASES releases kicked off on the GitHub fake, and three channels that take
every release event: a Slack channel (chat.postMessage, one thread a release, its root updated), a Teams
incoming webhook (an Adaptive Card) and an outbound webhook endpoint (Standard Webhooks, signed).

Events are made by pausing and resuming the releases (release.paused, release.resumed), from THREADS
clients, each on its own releases. A release's Slack messages are one thread, posted in order (each after
the one before it), so a release's deliveries to Slack are a chain: RELEASES sets how many chains run at once
(the default, 500, is 20 events a release, more than a real release makes).

a. EVENTS/2 events, the three channels only: deliveries per second (from the first action to the last
   delivery DELIVERED, read every 100 ms) and each delivery's delay (its row's last update less its
   creation, the moment the event was recorded), p50 and p99.
b. EVENTS/2 more, with a fourth channel: an endpoint that answers after five seconds (the fakes' `slow`
   rule on its path). The three fast channels' rate and delays again: the ratio b/a says whether the slow
   one holds the others back (1 is not at all). The slow endpoint's deliveries are counted, not waited for.

Checked, both phases: every event on every fast channel DELIVERED once (no loss: events x 3 rows, all
DELIVERED; no duplicate: one row an event and a channel, by the tables' unique keys, and the receivers'
counts: every webhook-id once at the endpoint, one Slack message or update a delivery, one card a delivery).

    bench/notifications.py [--binary build-bench/slipway] [--events 10000] [--releases 500] [--threads 4]
"""

import argparse
import os
import sys
import threading
import time
import unittest
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, os.path.join(ROOT, "bench"))


def say(text):
    print("notifications: " + text, file=sys.stderr, flush=True)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "slipway"))
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--releases", type=int, default=500)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    import benchlib
    import harness
    import integration_fixtures as fx
    import verify_fixtures as vf

    check = unittest.TestCase()
    shared, server, ctx, scm = benchlib.release_tenant(args.binary, {
        "SLIPWAY_TEAMS_WEBHOOK_HOSTS": "127.0.0.1", "SLIPWAY_METRICS_LISTEN": os.environ.get("BENCH_METRICS", "")})
    client = ctx.fakes
    base = "/api/v1/%s" % ctx.tenant_id

    def api(method, path, body=None, status=200):
        return harness.expect(check, server.request(method, base + path, body, token=ctx.token), status)

    def query(sql, params=()):
        return fx.db_query(server, sql, params)[1]

    say("channels: Slack, Teams, an outbound endpoint")
    slack = ctx.create(dict(vf.build(ctx, "SLACK", True, True).body, notifyOnEvents=[]))
    teams_url = client.url("webhooks") + "/webhookb2/" + fx.token("", 40)
    server.remember_secret(teams_url)
    teams = ctx.create(fx.valid_body("TEAMS", teamsWebhookUrl=teams_url, notifyOnEvents=[]))
    api("POST", "/notification-rules", {"eventPattern": "release.*", "integrationId": slack["id"], "channel": "releases"},
        201)
    api("POST", "/notification-rules", {"eventPattern": "release.*", "integrationId": teams["id"]}, 201)

    def endpoint():
        name = uuid.uuid4().hex[:12]
        made = api("POST", "/webhook-endpoints", {"url": client.url("webhooks") + "/outbound/" + name,
                                                  "events": ["release.*"]}, 201)
        server.remember_secret(made["secret"])
        client.register("webhooks", {"endpoints": {name: made["secret"]}})
        return made, name

    fast, fast_name = endpoint()

    say("%d releases kicked off" % args.releases)
    releases = [api("POST", "/releases", {"version": "9.%d.0" % i, "releaseType": "MINOR", "platforms": ["IOS"],
                                          "scmIntegrationId": scm["id"]}, 201)["id"] for i in range(args.releases)]
    deadline = time.monotonic() + 120
    while query("SELECT COUNT(*) FROM releases WHERE status = 'BUILDING'")[0][0] < args.releases:
        if time.monotonic() > deadline:
            raise SystemExit("the releases did not all reach BUILDING")
        time.sleep(0.2)

    def quiet():
        """The kickoffs' own deliveries done, so that the phases measure only theirs."""
        deadline = time.monotonic() + 600
        while (query("SELECT COUNT(*) FROM notification_deliveries WHERE status IN ('PENDING', 'RETRYING')")[0][0] +
               query("SELECT COUNT(*) FROM endpoint_deliveries WHERE status IN ('PENDING', 'RETRYING')")[0][0]):
            if time.monotonic() > deadline:
                raise SystemExit("the kickoffs' deliveries did not settle")
            time.sleep(0.2)

    quiet()

    def settled(since_events):
        """Deliveries of the fast channels for events recorded after since_events: (rows, pending)."""
        notes = query("SELECT d.status, d.createdAt, d.updatedAt, d.integrationId FROM notification_deliveries d JOIN "
                      "notification_events e ON e.id = d.eventId WHERE e.createdAt > ?", (since_events,))
        hooks = query("SELECT status, createdAt, updatedAt, endpointId FROM endpoint_deliveries WHERE endpointId = ? AND "
                      "createdAt > ?", (fast["id"], since_events))
        rows = notes + hooks
        return rows, sum(1 for r in rows if r[0] != "DELIVERED")

    def phase(name, events):
        """events events made by THREADS clients; then waits for the fast channels: a dict of figures."""
        since = query("SELECT COALESCE(MAX(createdAt), '') FROM notification_events")[0][0]
        pairs = events // 2
        per_release = [releases[i::args.threads] for i in range(args.threads)]

        def work(mine, count):
            for k in range(count):
                rel = mine[k % len(mine)]
                api("POST", "/releases/%s/pause" % rel, {"reason": "bench"})
                api("POST", "/releases/%s/resume" % rel, {})
        workers = [threading.Thread(target=work, args=(per_release[i], pairs // args.threads + (i < pairs % args.threads)))
                   for i in range(args.threads) if per_release[i]]
        began = time.monotonic()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        made = time.monotonic() - began
        want = pairs * 2 * 3
        deadline = time.monotonic() + 600
        while True:
            rows, pending = settled(since)
            if (len(rows) >= want and pending == 0) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        took = time.monotonic() - began
        delays = [(harness.parse_time(r[2]) - harness.parse_time(r[1])).total_seconds() * 1000 for r in rows]
        say("%s: %d events in %.1f s, %d deliveries in %.1f s" % (name, pairs * 2, made, len(rows), took))
        for label, channel in (("Slack", slack["id"]), ("Teams", teams["id"]), ("endpoint", fast["id"])):
            mine = [d for d, r in zip(delays, rows) if r[3] == channel]
            say("%s: %s delay p50 %.0f ms, p99 %.0f ms" % (name, label, percentile(mine, 0.5), percentile(mine, 0.99)))
        # deliveries tried more than once: a delay that is a retry, not a queue (the last error says why)
        for row in query("SELECT d.integrationId, COUNT(*), MAX(d.lastError) FROM notification_deliveries d JOIN notification_events e "
                         "ON e.id = d.eventId WHERE e.createdAt > ? AND d.attempts > 1 GROUP BY d.integrationId", (since,)):
            say("%s: %s: %d tried more than once (%s)" % (name, "Slack" if row[0] == slack["id"] else "Teams", row[1], row[2]))
        return {"events": pairs * 2, "rows": len(rows), "delivered": len(rows) - pending, "want": want, "took": took,
                "rate": (len(rows) - pending) / took, "p50": percentile(delays, 0.5), "p99": percentile(delays, 0.99)}

    say("a. the three channels")
    a = phase("a", args.events // 2)
    say("b. and an endpoint that answers after five seconds")
    slow, slow_name = endpoint()
    client.rule("webhooks", "slow", path="/outbound/" + slow_name, seconds=float(os.environ.get("BENCH_SLOW", "5")))
    b = phase("b", args.events - args.events // 2)
    slow_done = query("SELECT COUNT(*) FROM endpoint_deliveries WHERE endpointId = ? AND status = 'DELIVERED'",
                      (slow["id"],))[0][0]
    slow_all = query("SELECT COUNT(*) FROM endpoint_deliveries WHERE endpointId = ?", (slow["id"],))[0][0]

    # Duplicates and losses, counted at the receivers too.
    events = query("SELECT COUNT(*) FROM notification_events WHERE name IN ('release.paused', 'release.resumed')")[0][0]
    per_channel = query("SELECT integrationId, COUNT(*), COUNT(DISTINCT eventId) FROM notification_deliveries d JOIN "
                        "notification_events e ON e.id = d.eventId WHERE e.name IN ('release.paused', 'release.resumed') "
                        "GROUP BY integrationId")
    received = [r for r in client.data("webhooks")["received"] if r["endpoint"] == fast_name]
    ids = [r["id"] for r in received]
    hook_rows = query("SELECT COUNT(*) FROM endpoint_deliveries WHERE endpointId = ? AND status = 'DELIVERED'",
                      (fast["id"],))[0][0]  # the kickoffs' events too
    cards = [r for r in client.requests("webhooks") if r.get("path", "").startswith("/webhookb2/") and r["status"] == 200]
    teams_rows = query("SELECT COUNT(*) FROM notification_deliveries WHERE integrationId = ? AND status = 'DELIVERED'",
                       (teams["id"],))[0][0]
    shared.remember()
    shared.close()

    ok = True

    def row(what, value, target, passed):
        nonlocal ok
        ok &= passed
        print("%-62s %-30s %-12s %s" % (what, value, target, "PASS" if passed else "BELOW"))

    print("\nnotifications, %d events x 3 channels, %d releases, %d clients, SQLite, %s" % (
        args.events, args.releases, args.threads, time.strftime("%Y-%m-%d")))
    for label, f in (("a", a), ("b", b)):
        row("%s. deliveries per second (%d of %d in %.1f s)" % (label, f["delivered"], f["want"], f["took"]),
            "%.0f/s" % f["rate"], "", True)
        row("%s. ... delay p50 / p99 (ms)" % label, "%.0f / %.0f" % (f["p50"], f["p99"]), "", True)
        row("%s. ... none lost" % label, "%d of %d DELIVERED" % (f["delivered"], f["want"]), "= %d" % f["want"],
            f["delivered"] == f["want"] == f["rows"])
    row("b/a. fast channels' rate with a 5 s endpoint beside them", "x%.2f" % (b["rate"] / a["rate"]), ">= x0.8",
        b["rate"] / a["rate"] >= 0.8)
    row("b/a. ... their p99 delay", "x%.2f" % (b["p99"] / a["p99"]), "<= x1.5", b["p99"] <= a["p99"] * 1.5)
    row("b. the slow endpoint's deliveries done meanwhile", "%d of %d" % (slow_done, slow_all), "", True)
    row("no duplicate: one row an event and a channel", ", ".join("%d/%d" % (n, d) for _, n, d in per_channel),
        "= %d each" % events, all(n == d == events for _, n, d in per_channel) and len(per_channel) == 2)
    row("... the endpoint got each webhook-id once", "%d ids, %d distinct" % (len(ids), len(set(ids))),
        "= %d" % hook_rows, len(ids) == len(set(ids)) == hook_rows)
    row("... Teams got one card a delivery", "%d cards" % len(cards), "= %d" % teams_rows, len(cards) == teams_rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
