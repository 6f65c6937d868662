"""Health-gated rollouts (docs/stores.md "Health-gated rollouts"): a staged
rollout's health rule read from its monitoring integration (the Sentry and
Bugsnag fakes, figures set by the test) every SLIPWAY_HEALTH_INTERVAL (1 s
here); a healthy rollout goes on; a breach shorter than its window halts
nothing; one that lasts the window (its start set back in the database, no
waiting) halts the staged rollouts on both stores, through the editors' halt,
and the timeline says why; a provider that does not answer is reported, never
a breach; another tenant's monitoring integration is not seen; the
monitoring token never appears in an answer."""

import datetime
import json
import unittest
import uuid

import harness
import integration_fixtures as fx
import test_releases as tr
import test_store_appstore as sa
import test_store_play as sp
import verify_fixtures as vf


def tearDownModule():
    vf.stop_servers()


class HealthTest(vf.VerifyTest):
    @classmethod
    def setUpClass(cls):
        client = vf.fakes()
        if "health" not in vf._servers:  # the module's own server: health read every second
            vf._servers["health"] = vf.start_server(client, extra={"SLIPWAY_HEALTH_INTERVAL": "1", "SLIPWAY_JOB_POLL_MS": "100"})
        cls.server, cls.fakes = vf._servers["health"], client
        cls.ctx = vf.Ctx(cls.server, cls.fakes)

    def setUp(self):
        super().setUp()
        self.prepare()  # a tenant with an App Store Connect target (test_store_appstore's)

    # borrowed from test_store_appstore (its tests are not this module's)
    prepare, expect, request, build, submit, until = (sa.AppStoreTest.prepare, sa.AppStoreTest.expect,
                                                      sa.AppStoreTest.request, sa.AppStoreTest.build,
                                                      sa.AppStoreTest.submit, sa.AppStoreTest.until)

    def sentry(self, ctx=None):
        """A Sentry integration of the tenant, the fake knowing its token and project: (integration, case)."""
        ctx = ctx or self.ctx
        case = vf.build(ctx, "SENTRY", True, True)
        self.fakes.register("sentry", {"projects": {case.info["org"] + "/" + case.info["project"]: {"id": "4242"}}})
        return ctx.create(case.body, tenant_id=ctx.tenant_id), case

    def figures(self, case, version, session, errored=0):
        """The crash-free rates of the hour (sessions API) and the error events of a minute ago (events-stats)."""
        key = "%s/%s@%s" % (case.info["org"], case.info["project"], version)
        self.fakes.register("sentry", {"health": {key: {"session": session, "user": 0.999}},
                                       "errors": {key: [[1, errored]]}})

    def release(self, version, platforms):
        integ, _ = tr.connect_scm(self.ctx)
        rel = self.expect(self.request("POST", "/api/v1/%s/releases" % self.tenant, {
            "version": version, "releaseType": "MINOR", "platforms": platforms, "scmIntegrationId": integ["id"]}), 201)
        sp.wait_for(self, "the kickoff to end", lambda: self.read(rel)["status"] != "KICKOFF")
        fx.db_execute(self.server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rel["id"],))
        return rel

    def read(self, rel):
        return self.expect(self.request("GET", "/api/v1/%s/releases/%s" % (self.tenant, rel["id"])), 200)

    def health(self, rel, probe, what):
        """The release's health entries once probe(entries) holds."""
        return sp.wait_for(self, what, lambda: (lambda h: h if probe(h) else None)(self.read(rel)["health"]))

    def play_rollout(self, rel, rule):
        """The release's Android build rolled out to 10% on the tenant's Play target (sp.play_target, made before)."""
        sub = self.expect(self.request("POST", "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"]), {
            "platform": "ANDROID", "buildNumber": sp.CODE, "rolloutPermille": 100, "healthRule": rule}), 201)
        return self.until(rel, sub, "rolled out", lambda s: s["status"] == "ROLLING_OUT" and not s["pendingAction"])

    def app_store_rollout(self, rel, version, rule):
        self.build(version, "VALID")
        rel, sub = self.submit(version, rel=rel, healthRule=rule)
        sub = self.until(rel, sub, "was submitted", lambda s: s["status"] == "SUBMITTED")
        self.fakes.register("appstore", {"versions": {sub["storeVersionId"]: {"appStoreState": "PENDING_DEVELOPER_RELEASE"}}})
        sub = self.until(rel, sub, "was approved", lambda s: s["status"] == "APPROVED")
        self.expect(self.request("POST", "/api/v1/%s/releases/%s/submissions/%s/rollout" % (self.tenant, rel["id"], sub["id"]),
                                 {"rolloutPermille": 10}), 200)
        return self.until(rel, sub, "rolled out", lambda s: s["status"] == "ROLLING_OUT" and not s["pendingAction"])

    def backdate_breach(self, sub, minutes):
        """The breach of sub began `minutes` earlier than recorded (time made to pass in the database)."""
        _, rows = fx.db_query(self.server, "SELECT breachSince FROM store_health WHERE submissionId = ?", (sub["id"],))
        stored = rows[0][0]
        if isinstance(stored, str):
            earlier = harness.format_time(harness.parse_time(stored) - datetime.timedelta(minutes=minutes))
        else:
            earlier = stored - datetime.timedelta(minutes=minutes)
        fx.db_execute(self.server, "UPDATE store_health SET breachSince = ? WHERE submissionId = ?", (earlier, sub["id"]))

    def test_lasting_breach_halts_both_stores(self):
        integ, case = self.sentry()
        rule = {"monitoringIntegrationId": integ["id"], "metric": "crashFreeSessions", "threshold": 99.5, "windowMinutes": 30}
        self.figures(case, "5.0.0", 0.999)
        rel = self.release("5.0.0", ["IOS", "ANDROID"])
        ios = self.app_store_rollout(rel, "5.0.0", rule)
        sp.play_target(self.ctx)
        android = self.play_rollout(rel, rule)

        # healthy: read, recorded, nothing halted
        got = self.health(rel, lambda h: len(h) == 2 and all(e["value"] is not None for e in h), "both readings")
        self.assertEqual({(e["platform"], e["value"], e["breachSince"], e["error"]) for e in got},
                         {("IOS", 99.9, None, None), ("ANDROID", 99.9, None, None)})
        self.assertEqual(got[0]["rule"], rule)

        # a breach, shorter than the window so far: recorded, nothing halted
        self.figures(case, "5.0.0", 0.97)
        got = self.health(rel, lambda h: all(e["breachSince"] for e in h), "the breach to be seen")
        self.assertEqual({e["value"] for e in got}, {97.0})
        self.assertEqual({e["status"] for e in got}, {"ROLLING_OUT"})
        self.assertNotIn("health-breached", [e["name"] for e in self.read(rel)["events"]])

        # it has lasted the window: both stores halted, the timeline says why
        self.backdate_breach(android, 31)
        sp.wait_for(self, "both rollouts to be halted", lambda: {
            s["status"] for s in self.expect(self.request("GET", "/api/v1/%s/releases/%s/submissions" % (
                self.tenant, rel["id"])), 200)["items"]} == {"HALTED"})
        pid = [p for p in self.fakes.data("appstore")["phasedReleases"].values() if p["version"] == ios["storeVersionId"]]
        self.assertEqual(pid[0]["phasedReleaseState"], "PAUSED")
        release = self.read(rel)
        [breach] = [e for e in release["events"] if e["name"] == "health-breached"]
        self.assertEqual((breach["kind"], breach["details"]["metric"], breach["details"]["value"],
                          breach["details"]["threshold"], breach["details"]["platform"]),
                         ("STATUS", "crashFreeSessions", 97.0, 99.5, "ANDROID"))
        self.assertEqual(sorted(breach["details"]["halted"]), sorted([ios["id"], android["id"]]))
        self.assertIn("below the threshold of 99.5%", breach["message"])
        halts = [e for e in release["events"] if (e["kind"], e["name"]) == ("ACTION", "halt")]
        self.assertEqual(len(halts), 2, "the editors' halt, once a store")
        self.assertNotIn(case.info["token"], json.dumps(release), "the monitoring token is never answered")
        listed = self.expect(self.request("GET", "/api/v1/%s/integrations/monitoring" % self.tenant), 200)
        self.assertNotIn(case.info["token"], json.dumps(listed))

    def test_readings_reach_the_release_stream(self):
        """Each new reading reaches the release's live stream (events/stream: "release-health", the release's health
        as its read has it), so the release page's health block follows without a reload; a release no rule watches
        sends none; the monitoring token is never in it."""
        from test_stream import SseClient
        integ, case = self.sentry()
        rule = {"monitoringIntegrationId": integ["id"], "metric": "crashFreeSessions", "threshold": 99.5, "windowMinutes": 30}
        self.figures(case, "5.2.0", 0.999)
        rel = self.release("5.2.0", ["ANDROID"])
        sp.play_target(self.ctx)
        self.play_rollout(rel, rule)
        stream = SseClient(self.server, self.tenant, self.ctx.org.viewer.token, path="releases/%s/events/stream" % rel["id"])
        self.assertEqual(stream.status, 200)

        def reading(probe, what):
            for _ in range(400):
                e = stream.next_event()
                self.assertNotIn(case.info["token"], json.dumps(e["json"]))
                if e["event"] == "release-health" and probe(e["json"]["health"]):
                    return e["json"]["health"]
            self.fail("no reading %s on the stream" % what)
        got = reading(lambda h: h and h[0]["value"] == 99.9, "of 99.9 %")
        self.assertEqual((got[0]["platform"], got[0]["rule"], got[0]["breachSince"]), ("ANDROID", rule, None))
        self.figures(case, "5.2.0", 0.97)
        got = reading(lambda h: h[0]["value"] == 97.0, "of 97 %")
        self.assertTrue(got[0]["breachSince"] and got[0]["checkedAt"])
        self.assertEqual(set(got[0]), set(self.read(rel)["health"][0]), "as the release's read has it")
        stream.close()
        quiet = self.release("5.2.1", ["ANDROID"])
        stream = SseClient(self.server, self.tenant, self.ctx.org.viewer.token, path="releases/%s/events/stream" % quiet["id"])
        events = [stream.next_event() for _ in self.read(quiet)["events"]]
        self.assertEqual({e["event"] for e in events}, {"release-event"}, "no rule: no health event")
        stream.close()

    def test_short_breach_provider_down_and_isolation(self):
        vcase = vf.build(self.ctx, "BUGSNAG", True, True)
        integ = self.ctx.create(vcase.body, tenant_id=self.ctx.tenant_id)
        pid = vcase.info["pid"]

        def counts(unhandled, total=1000):
            """Bugsnag's running counts of the release (they only grow; the rate is their difference in the window)."""
            self.fakes.register("bugsnag", {"releases": {pid: [{"app_version": "5.1.0", "total_sessions_count": total,
                                                                "unhandled_sessions_count": unhandled,
                                                                "accumulative_daily_users_seen": 100,
                                                                "accumulative_daily_users_with_unhandled": 1}]}})
        counts(2)
        rule = {"monitoringIntegrationId": integ["id"], "metric": "crashFreeSessions", "threshold": 99.5, "windowMinutes": 60}
        rel = self.release("5.1.0", ["ANDROID"])
        sp.play_target(self.ctx)

        # another tenant's monitoring integration is not seen; a bad rule is refused whole
        other = vf.Ctx(self.server, self.fakes)
        theirs, _ = self.sentry(other)
        path = "/api/v1/%s/releases/%s/submissions" % (self.tenant, rel["id"])
        for bad in ({"monitoringIntegrationId": theirs["id"], "metric": "crashFreeUsers", "threshold": 99, "windowMinutes": 5},
                    dict(rule, metric="errors"), dict(rule, threshold=101), dict(rule, windowMinutes=-1), dict(rule, extra=1),
                    dict(rule, metric="errorCount"), dict(rule, metric="errorCount", threshold=-1)):
            resp = self.request("POST", path, {"platform": "ANDROID", "buildNumber": sp.CODE, "healthRule": bad})
            body = harness.expect(self, resp, 400)
            self.assertIn("healthRule", [d["field"] for d in body["error"]["details"]], body)

        sub = self.play_rollout(rel, rule)
        self.health(rel, lambda h: h and h[0]["value"] == 99.8, "the healthy reading")
        counts(22, 2000)  # since the first reading (the window not filled yet): 20 of 1000 sessions, 98%: a breach begins
        self.health(rel, lambda h: h[0]["breachSince"] is not None and h[0]["value"] == 98, "the breach to be seen")
        counts(22, 21000)  # healthy again before the window (20 of 20000): the breach is over, nothing halted
        got = self.health(rel, lambda h: h[0]["breachSince"] is None and h[0]["value"] == 99.9, "the recovery")
        # the provider down: reported, the last figure kept, never a breach
        counts(5000, 22000)
        self.rule("bugsnag", "503", match=pid)
        got = self.health(rel, lambda h: h[0]["error"] and "window" not in h[0]["error"],
                          "the provider's silence to be reported")
        self.assertEqual((got[0]["value"], got[0]["breachSince"]), (99.9, None))
        sub = self.expect(self.request("GET", "%s/%s" % (path, sub["id"])), 200)
        self.assertEqual(sub["status"], "ROLLING_OUT")
        self.assertNotIn("health-breached", [e["name"] for e in self.read(rel)["events"]])
        self.assertNotIn(vcase.info["token"], json.dumps(self.read(rel)))

        # errorCount (the rule changed in the database, not by a new rollout): Bugsnag's error events of the version in
        # production (its trend) in the rule's window, the last hour for a window of 0: at the threshold healthy; a
        # window of 10 minutes reads another count; then Sentry's error events of the hour (events-stats), above the
        # threshold, halt at once (window 0)
        def count_rule(integration, window=0):
            fx.db_execute(self.server, "UPDATE store_submissions SET healthRule = ? WHERE id = ?", (json.dumps({
                "monitoringIntegrationId": integration, "metric": "errorCount", "threshold": 10, "windowMinutes": window}),
                sub["id"]))
        self.fakes.clear_rules("bugsnag")
        counts(1)
        self.fakes.register("bugsnag", {"events": {pid: [
            {"app_version": "5.1.0", "minutes_ago": 5, "count": 4}, {"app_version": "5.1.0", "minutes_ago": 20, "count": 6},
            {"app_version": "5.1.0", "minutes_ago": 90, "count": 30}, {"app_version": "5.0.9", "minutes_ago": 5, "count": 50},
            {"app_version": "5.1.0", "minutes_ago": 5, "count": 70, "release_stage": "staging"}]}})
        count_rule(integ["id"])
        got = self.health(rel, lambda h: h[0]["value"] == 10 and not h[0]["error"], "the error count at the threshold")
        self.assertEqual((got[0]["rule"]["metric"], got[0]["breachSince"]), ("errorCount", None))
        count_rule(integ["id"], 10)
        got = self.health(rel, lambda h: h[0]["value"] == 4 and not h[0]["error"], "the 10 minutes' error count")
        self.assertEqual((got[0]["rule"]["windowMinutes"], got[0]["breachSince"]), (10, None))
        mine, case = self.sentry()
        self.figures(case, "5.1.0", 0.999, errored=40)
        count_rule(mine["id"])
        sp.wait_for(self, "the rollout to be halted", lambda: self.expect(self.request(
            "GET", "%s/%s" % (path, sub["id"])), 200)["status"] == "HALTED")
        [breach] = [e for e in self.read(rel)["events"] if e["name"] == "health-breached"]
        self.assertEqual((breach["details"]["metric"], breach["details"]["value"], breach["details"]["threshold"]),
                         ("errorCount", 40, 10))
        self.assertIn("error count of ANDROID at 40, above the threshold of 10", breach["message"])

    def test_bugsnag_rate_over_the_rules_window(self):
        """Bugsnag answers a release's running counts only: each reading's are kept and the crash-free rate is their
        difference from the reading a window ago (time made to pass in the database), not the release's total; no
        session in the window is no figure (the last kept, saying why); readings older than the window's start go."""
        vcase = vf.build(self.ctx, "BUGSNAG", True, True)
        integ = self.ctx.create(vcase.body, tenant_id=self.ctx.tenant_id)
        pid = vcase.info["pid"]

        def counts(total, unhandled):
            self.fakes.register("bugsnag", {"releases": {pid: [{"app_version": "5.2.0", "total_sessions_count": total,
                                                                "unhandled_sessions_count": unhandled,
                                                                "accumulative_daily_users_seen": 100,
                                                                "accumulative_daily_users_with_unhandled": 1}]}})
        counts(10000, 10)
        rel = self.release("5.2.0", ["ANDROID"])
        sp.play_target(self.ctx)
        sub = self.play_rollout(rel, {"monitoringIntegrationId": integ["id"], "metric": "crashFreeSessions",
                                      "threshold": 90, "windowMinutes": 10})
        self.health(rel, lambda h: h and h[0]["value"] == 99.9, "the first reading: the release's own rate")
        self.health(rel, lambda h: h[0]["error"] and "window" in h[0]["error"], "no session since: no figure")
        _, rows = fx.db_query(self.server, "SELECT readAt FROM store_health_counts WHERE submissionId = ?", (sub["id"],))
        for (stored,) in rows:  # every reading so far 11 minutes older: the window's start
            earlier = (harness.format_time(harness.parse_time(stored) - datetime.timedelta(minutes=11))
                       if isinstance(stored, str) else stored - datetime.timedelta(minutes=11))
            fx.db_execute(self.server, "UPDATE store_health_counts SET readAt = ? WHERE submissionId = ? AND readAt = ?",
                          (earlier, sub["id"], stored))
        counts(10200, 30)  # the window's 200 sessions, 20 of them crashed: 90%... then 10 more crashed of 100 more
        got = self.health(rel, lambda h: h[0]["value"] == 90 and not h[0]["error"], "the window's rate, not 99.7%")
        self.assertIsNone(got[0]["breachSince"], "at the threshold is within the rule")
        counts(10300, 60)
        got = self.health(rel, lambda h: h[0]["value"] == 83.333, "the window's rate moving on")
        self.assertIsNotNone(got[0]["breachSince"])
        _, rows = fx.db_query(self.server, "SELECT COUNT(*) FROM store_health_counts WHERE submissionId = ? AND readAt < ?",
                              (sub["id"], rows[0][0]))
        self.assertEqual(rows[0][0], 1, "of the readings before the window, only the one it starts at is kept")

    def test_crash_free_rate_reads_the_rules_window(self):
        """Sentry's crash-free sessions over the rule's window (the sessions API's statsPeriod and interval, checked by
        the fake as Sentry checks them): 10 minutes and 60 minutes of the same sessions read different figures."""
        integ, case = self.sentry()
        key = "%s/%s@5.2.0" % (case.info["org"], case.info["project"])
        # [minutes ago, sessions, crashed, users, crashed users]: the last 10 minutes 98% crash-free, the hour 99%,
        # and a bad hour before it that neither window reads
        self.fakes.register("sentry", {"sessions": {key: [[5, 1000, 20, 100, 2], [30, 1000, 0, 100, 0],
                                                          [90, 1000, 1000, 100, 100]]}})
        rel = self.release("5.2.0", ["ANDROID"])
        sp.play_target(self.ctx)
        rule = {"monitoringIntegrationId": integ["id"], "metric": "crashFreeSessions", "threshold": 90, "windowMinutes": 10}
        sub = self.play_rollout(rel, rule)
        got = self.health(rel, lambda h: h and h[0]["value"] is not None, "the 10 minutes' reading")
        self.assertEqual((got[0]["value"], got[0]["error"], got[0]["breachSince"]), (98.0, None, None))

        def window(minutes, metric="crashFreeSessions"):
            fx.db_execute(self.server, "UPDATE store_submissions SET healthRule = ? WHERE id = ?",
                          (json.dumps(dict(rule, windowMinutes=minutes, metric=metric)), sub["id"]))
        window(60)
        got = self.health(rel, lambda h: h[0]["value"] == 99.0, "the hour's reading")
        self.assertEqual((got[0]["rule"]["windowMinutes"], got[0]["error"]), (60, None))
        window(10, "crashFreeUsers")
        self.health(rel, lambda h: h[0]["value"] == 98.0 and h[0]["rule"]["metric"] == "crashFreeUsers", "the users' 10 minutes")
        window(0)  # at the first bad reading: the last hour
        self.health(rel, lambda h: h[0]["value"] == 99.0 and h[0]["rule"]["windowMinutes"] == 0, "a window of 0: the hour")
        window(600)  # past 6 hours Sentry wants hourly points: all three entries, a third crash-free
        got = self.health(rel, lambda h: h[0]["rule"]["windowMinutes"] == 600 and h[0]["value"] != 99.0, "ten hours")
        self.assertAlmostEqual(got[0]["value"], 100 * (1 - 1020 / 3000), places=3)


if __name__ == "__main__":
    unittest.main()
