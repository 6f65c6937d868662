"""Usage metering and limits (docs/sites.md "Usage metering"): counts appended as usage_events and rolled up into
tenant_usage exactly once by the recurring usage-rollup job (a private server flushes and rolls up every second);
GET usage exact whether or not the roll-up has run; limits set by the instance administrator only, read by owners,
and past one a 429 usage_limit naming the metric, the limit and the period, with Retry-After to the period's end."""

import time
import unittest
import uuid

import dns_fixture
import harness
import route_matrix
from harness import dbclient

LIMITS = "/api/v1/admin/tenants/%s/limits"


def route_body(method, template):
    """A body of the route that its schema accepts (an array gets one value: its first allowed, else an id)."""
    route = [r for r in harness.route_table() if r.method == method and r.path == template][0]
    body = harness.sample_body(route)
    body.pop("cicdJobs", None)  # an optional list of objects {jobId, parameters}, not of ids: no job is needed here
    for name, field in route.fields.items():
        if field["kind"] == "array" and name in body:
            body[name] = [field["allowed"][0] if field["allowed"] else str(uuid.uuid4())]
    return body


class UsageTest(dns_fixture.WithDns, harness.ApiTest):
    """Domain checks by DNS count too: the fake publishes no record, so each check fails, and counts."""
    server_env = dict(harness.SHARED_ENV, SLIPWAY_USAGE_FLUSH="1", SLIPWAY_USAGE_ROLLUP="1", SLIPWAY_USAGE_STORAGE="1",
                      SLIPWAY_JOB_POLL_MS="100",
                      SLIPWAY_ARGON2_MEMORY="8")  # cheap logins: this file makes several tenants

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.server.admin["token"]
        cls.url = harness.database_url(cls.server.database_path())

    def db(self, sql, *params):
        return dbclient.query(self.url, sql, params)[1]

    def usage(self, org):
        return self.expect(self.request("GET", "/api/v1/%s/usage" % org.id, token=org.owner.token), 200)

    def rolled(self, org, metric, count, timeout=20):
        """Polls until no event of org's metric waits and tenant_usage holds count; fails past timeout."""
        deadline, seen = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            pending = self.db("SELECT COUNT(*) FROM usage_events WHERE tenantId = ? AND metric = ?", org.id, metric)
            seen = self.db("SELECT SUM(count) FROM tenant_usage WHERE tenantId = ? AND metric = ?", org.id, metric)
            if pending[0][0] == 0 and seen and seen[0][0] == count:  # every site's row and the tenant's own
                return
            time.sleep(0.1)
        self.fail("%s not rolled up to %d: tenant_usage has %r" % (metric, count, seen))

    def views(self, slug, n):
        for _ in range(n):
            self.assertEqual(self.request("GET", "/s/%s/" % slug).status, 200)

    # -- events and the roll-up ----------------------------------------------------

    def test_events_rolled_up_exactly_once(self):
        org = harness.new_org(self.server)
        site = self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "u-" + uuid.uuid4().hex[:10],
                                                                             "name": "U"}, token=org.editor.token), 201)
        self.views(site["slug"], 5)
        self.assertEqual(self.usage(org)["totals"]["pageViews"], 5)  # flushed by the GET, rolled up or not
        self.rolled(org, "pageViews", 5)
        self.views(site["slug"], 3)
        self.assertEqual(self.usage(org)["totals"]["pageViews"], 8)  # 5 rolled up + 3 pending, each once
        self.rolled(org, "pageViews", 8)
        got = self.usage(org)
        self.assertEqual(got["totals"]["pageViews"], 8)
        self.assertEqual([(i["metric"], i["count"]) for i in got["items"] if i["metric"] == "pageViews"],
                         [("pageViews", 8)])
        self.assertEqual(got["limits"], [])

    def test_a_post_counted_once_when_published(self):
        org = harness.new_org(self.server)
        site = self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "u-" + uuid.uuid4().hex[:10],
                                                                             "name": "U"}, token=org.editor.token), 201)
        posts = "/api/v1/%s/sites/%s/posts" % (org.id, site["id"])
        draft = self.expect(self.request("POST", posts, {"title": "T", "slug": "p-" + uuid.uuid4().hex[:8], "body": "B"},
                                         token=org.editor.token), 201)
        self.assertEqual(self.usage(org)["totals"].get("postsPublished", 0), 0)  # a draft is not published
        for change in ({"status": "PUBLISHED"}, {"title": "T2"}):  # the edit of a published post counts nothing
            self.expect(self.request("PATCH", "%s/%s" % (posts, draft["id"]), change, token=org.editor.token), 200)
            self.assertEqual(self.usage(org)["totals"]["postsPublished"], 1)
        self.expect(self.request("POST", posts, {"title": "N", "slug": "p-" + uuid.uuid4().hex[:8], "body": "B",
                                                 "status": "PUBLISHED"}, token=org.editor.token), 201)
        self.assertEqual(self.usage(org)["totals"]["postsPublished"], 2)
        self.rolled(org, "postsPublished", 2)

    def test_storage_is_what_is_kept(self):
        """storageBytes is a gauge: the bytes (UTF-8) of post bodies, release notes and deployment log lines kept now."""
        org = harness.new_org(self.server)
        site = self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "u-" + uuid.uuid4().hex[:10],
                                                                             "name": "U"}, token=org.editor.token), 201)
        posts = "/api/v1/%s/sites/%s/posts" % (org.id, site["id"])
        kept = lambda: self.usage(org)["totals"]["storageBytes"]
        post = self.expect(self.request("POST", posts, {"title": "T", "slug": "p-" + uuid.uuid4().hex[:8], "body": "x" * 1000},
                                        token=org.editor.token), 201)
        self.assertEqual(kept(), 1000)
        self.expect(self.request("PATCH", "%s/%s" % (posts, post["id"]), {"title": "T2"}, token=org.editor.token), 200)
        self.assertEqual(kept(), 1000)  # no body written
        self.expect(self.request("PATCH", "%s/%s" % (posts, post["id"]), {"body": "\u00e9" * 100}, token=org.editor.token), 200)
        self.assertEqual(kept(), 200)  # bytes of UTF-8; the new body replaces the old one
        release = route_matrix.plant_release(self.server, org.id)
        notes = "/api/v1/%s/releases/%s" % (org.id, release)
        self.expect(self.request("PATCH", notes, {"notes": "n" * 50}, token=org.editor.token), 200)
        self.assertEqual(kept(), 250)
        self.rolled(org, "storageBytes", 250)  # the roll-up records the day's reading
        got = self.usage(org)
        self.assertEqual([i for i in got["items"] if i["metric"] == "storageBytes"],
                         [{"day": got["to"], "metric": "storageBytes", "count": 250}])  # one reading a day, not a sum
        yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        self.assertEqual(self.expect(self.request("GET", "/api/v1/%s/usage?to=%s" % (org.id, yesterday),
                                                  token=org.owner.token), 200)["totals"]["storageBytes"], 0)
        # Deleting gives back: the soft-deleted post's body is the tenant's no more, and the day's row goes down.
        self.expect(self.request("DELETE", "%s/%s" % (posts, post["id"]), token=org.editor.token), 204)
        self.assertEqual(kept(), 50)
        self.rolled(org, "storageBytes", 50)
        # A write that would grow storage past the limit is refused whole; one that reaches it exactly is taken; a write
        # that does not grow storage always is; deleting makes room again.
        limits = [{"metric": "storageBytes", "period": "day", "max": 300}]
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": limits}, token=self.admin), 200)
        new_post = lambda n: self.request("POST", posts, {"title": "N", "slug": "n-" + uuid.uuid4().hex[:8], "body": "y" * n},
                                          token=org.editor.token)
        self.assert_storage_limit(new_post(251), 300, 50, 251)
        self.assert_storage_limit(self.request("PATCH", notes, {"notes": "n" * 301}, token=org.editor.token), 300, 50, 251)
        big = self.expect(new_post(250), 201)
        self.assertEqual([(l["metric"], l["used"]) for l in self.usage(org)["limits"]], [("storageBytes", 300)])
        self.assertNotIn("resetsAt", self.usage(org)["limits"][0])  # a gauge never resets
        self.assert_storage_limit(self.request("PATCH", "%s/%s" % (posts, big["id"]), {"body": "y" * 251},
                                               token=org.editor.token), 300, 300, 1)
        self.expect(self.request("PATCH", notes, {"notes": "m" * 50}, token=org.editor.token), 200)  # grows nothing
        self.expect(self.request("PATCH", notes, {"notes": "m" * 10}, token=org.editor.token), 200)  # shrinks
        self.expect(self.request("DELETE", "%s/%s" % (posts, big["id"]), token=org.editor.token), 204)
        self.expect(new_post(290), 201)
        self.assertEqual(kept(), 300)
        self.assertEqual(self.db("SELECT COUNT(*) FROM usage_events WHERE tenantId = ? AND metric = ?", org.id,
                                 "storageBytes")[0][0], 0)  # a gauge is read, never counted
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": []}, token=self.admin), 200)

    def assert_storage_limit(self, resp, limit, kept, grow):
        self.assert_error(resp, 429, "usage_limit")
        message = resp.json["error"]["message"]
        self.assertIn("storageBytes is limited to %d bytes kept (kept: %d; this write adds %d)" % (limit, kept, grow), message)
        self.assertNotIn("retry-after", resp.headers)  # waiting gives nothing back

    def test_domain_checks_counted_once(self):
        org = harness.new_org(self.server)
        site = self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "u-" + uuid.uuid4().hex[:10],
                                                                             "name": "U"}, token=org.editor.token), 201)
        # Domain checks: a site domain's and a single sign-on domain's, one each per check.
        host = "d-%s.example.test" % uuid.uuid4().hex[:8]
        domain = self.expect(self.request("POST", "/api/v1/%s/sites/%s/domains" % (org.id, site["id"]), {"hostName": host},
                                          token=org.owner.token), 201)
        checked = self.expect(self.request("POST", "/api/v1/%s/sites/%s/domains/%s/verify" % (org.id, site["id"], domain["id"]),
                                           {"method": "dns"}, token=org.owner.token), 200)
        self.assertEqual(checked["status"], "FAILED")
        owner = harness.add_member_and_login(self.server, org.owner.token, org.id, "owner", email="boss@" + host)
        idp = route_matrix.iam_provider(self.server, owner.token, org.id)
        sso = "/api/v1/%s/iam/providers/%s/domains" % (org.id, idp)
        self.expect(self.request("POST", sso, {"domain": host}, token=owner.token), 201)
        self.assertFalse(self.expect(self.request("POST", sso + "/check", {"domain": host}, token=owner.token), 200)["proven"])
        self.assertEqual(self.usage(org)["totals"]["domainChecks"], 2)
        self.rolled(org, "domainChecks", 2)

    # -- per site (tenant_usage unique per tenant, site, metric and day) -------------

    def site(self, org):
        return self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": "u-" + uuid.uuid4().hex[:10],
                                                                            "name": "U"}, token=org.editor.token), 201)

    def usage_of(self, org, query, status=200, token=None):
        resp = self.request("GET", "/api/v1/%s/usage?%s" % (org.id, query), token=token or org.owner.token)
        return self.expect(resp, status) if status == 200 else resp

    def test_usage_per_site(self):
        """Page views, posts published and a site domain's checks are their site's; the rest the tenant's own (siteId
        ''); rolled up per (tenant, site, day, metric); GET usage filters by site or splits items by site."""
        org = harness.new_org(self.server)
        a, b = self.site(org), self.site(org)
        self.views(a["slug"], 3)
        self.views(b["slug"], 2)
        self.expect(self.request("POST", "/api/v1/%s/sites/%s/posts" % (org.id, a["id"]),
                                 {"title": "T", "slug": "p-" + uuid.uuid4().hex[:8], "body": "B", "status": "PUBLISHED"},
                                 token=org.editor.token), 201)
        host = "d-%s.example.test" % uuid.uuid4().hex[:8]
        domain = self.expect(self.request("POST", "/api/v1/%s/sites/%s/domains" % (org.id, b["id"]), {"hostName": host},
                                          token=org.owner.token), 201)
        self.expect(self.request("POST", "/api/v1/%s/sites/%s/domains/%s/verify" % (org.id, b["id"], domain["id"]),
                                 {"method": "dns"}, token=org.owner.token), 200)
        whole = self.usage(org)
        self.assertIsNone(whole["siteId"])
        self.assertEqual((whole["totals"]["pageViews"], whole["totals"]["postsPublished"], whole["totals"]["domainChecks"]),
                         (5, 1, 1))
        for site, want in ((a, (3, 1, 0)), (b, (2, 0, 1))):
            got = self.usage_of(org, "siteId=" + site["id"])
            self.assertEqual(got["siteId"], site["id"])
            self.assertEqual((got["totals"]["pageViews"], got["totals"]["postsPublished"], got["totals"]["domainChecks"]),
                             want)
            self.assertEqual(got["totals"]["apiRequests"], 0)  # the tenant's own, no site's
            self.assertEqual(got["limits"], whole["limits"])  # limits are the tenant's
        self.rolled(org, "pageViews", 5)
        self.rolled(org, "postsPublished", 1)
        rows = self.db("SELECT siteId, metric, count FROM tenant_usage WHERE tenantId = ? AND metric IN (?, ?, ?, ?)",
                       org.id, "pageViews", "postsPublished", "domainChecks", "apiRequests")
        got = {(site, metric): count for site, metric, count in rows}
        self.assertEqual({k: v for k, v in got.items() if k[1] != "apiRequests"},
                         {(a["id"], "pageViews"): 3, (b["id"], "pageViews"): 2, (a["id"], "postsPublished"): 1,
                          (b["id"], "domainChecks"): 1})
        self.assertEqual({k[0] for k in got if k[1] == "apiRequests"}, {""})  # the tenant's own: one key, no NULL
        split = self.usage_of(org, "groupBy=site")
        views = sorted((i["siteId"], i["count"]) for i in split["items"] if i["metric"] == "pageViews")
        self.assertEqual(views, sorted([(a["id"], 3), (b["id"], 2)]))
        self.assertEqual({i["siteId"] for i in split["items"] if i["metric"] == "apiRequests"}, {None})
        self.assertEqual(split["totals"]["pageViews"], 5)
        one = self.usage_of(org, "siteId=%s&groupBy=site" % a["id"])
        self.assertEqual({i["siteId"] for i in one["items"]}, {a["id"]})
        # The roll-up adds to a site's row, never to another's: more views of b, rolled up again.
        self.views(b["slug"], 4)
        self.rolled(org, "pageViews", 9)
        self.assertEqual(self.db("SELECT count FROM tenant_usage WHERE tenantId = ? AND siteId = ? AND metric = ?", org.id,
                                 b["id"], "pageViews")[0][0], 6)
        # A limit stays the tenant's: every site's views count against it.
        limits = [{"metric": "pageViews", "period": "day", "max": 100}]
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": limits}, token=self.admin), 200)
        self.assertEqual(self.usage_of(org, "siteId=" + a["id"])["limits"][0]["used"], 9)
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": []}, token=self.admin), 200)

    def test_usage_per_site_refused(self):
        org, other = harness.new_org(self.server), harness.new_org(self.server)
        mine, theirs = self.site(org), self.site(other)
        for query in ("siteId=" + theirs["id"], "siteId=%s" % uuid.uuid4()):  # another tenant's site, or none: as any id
            with self.subTest(query=query):
                self.assert_error(self.usage_of(org, query, 404), 404, "not_found")
        self.assert_error(self.usage_of(other, "siteId=" + mine["id"], 404), 404, "not_found")
        self.assert_error(self.usage_of(other, "siteId=" + mine["id"], 404, token=org.owner.token), 404, "not_found")
        for query in ("siteId=nope", "siteId=", "groupBy=day", "groupBy=", "siteId=nope&groupBy=x&from=2026-13-01"):
            with self.subTest(query=query):
                self.assert_error(self.usage_of(org, query, 400), 400, "invalid_request")
        details = self.usage_of(org, "siteId=nope&groupBy=x&from=2026-13-01", 400).json["error"]["details"]
        self.assertEqual(sorted(d["field"] for d in details), ["from", "groupBy", "siteId"])  # every problem at once
        for role in ("editor", "viewer"):
            self.assert_error(self.usage_of(org, "siteId=" + mine["id"], 404, token=org.by_role(role).token), 404,
                              "not_found")

    # -- limits --------------------------------------------------------------------

    def test_limits_only_the_administrator_sets(self):
        org, other = harness.new_org(self.server), harness.new_org(self.server)
        body = {"limits": [{"metric": "releasesCreated", "period": "day", "max": 3}]}
        for role in harness.ROLES:
            self.assert_error(self.request("PUT", LIMITS % org.id, body, token=org.by_role(role).token), 404, "not_found")
        self.assert_error(self.request("PUT", LIMITS % org.id, body, token=other.owner.token), 404, "not_found")
        self.assert_error(self.request("PUT", LIMITS % org.id, body), 401, "unauthenticated")
        self.assert_error(self.request("PUT", LIMITS % uuid.uuid4(), body, token=self.admin), 404, "not_found")
        for bad in ([{"metric": "nope", "period": "day", "max": 1}], [{"metric": "apiRequests", "period": "week", "max": 1}],
                    [{"metric": "apiRequests", "period": "day", "max": -1}],
                    [{"metric": "apiRequests", "period": "day", "max": "1"}],
                    [{"metric": "apiRequests", "period": "day", "max": 1, "extra": 1}], [{"metric": "apiRequests"}],
                    [{"metric": "apiRequests", "period": "day", "max": 1}] * 2, "x", [1]):
            with self.subTest(limits=bad):
                self.assert_error(self.request("PUT", LIMITS % org.id, {"limits": bad}, token=self.admin), 400,
                                  "invalid_request")
        self.assertEqual(self.usage(org)["limits"], [])
        got = self.expect(self.request("PUT", LIMITS % org.id, body, token=self.admin), 200)
        self.assertEqual(got["tenantId"], org.id)
        self.assertEqual([(l["metric"], l["period"], l["max"], l["used"]) for l in got["limits"]],
                         [("releasesCreated", "day", 3, 0)])
        self.assertEqual(self.usage(org)["limits"], got["limits"])  # the owner reads them
        self.assertEqual(self.usage(other)["limits"], [])  # another tenant's are not its
        self.assert_error(self.request("GET", "/api/v1/%s/usage" % org.id, token=org.editor.token), 404, "not_found")

    def assert_usage_limit(self, resp, metric, period):
        self.assert_error(resp, 429, "usage_limit")
        message = resp.json["error"]["message"]
        self.assertIn(metric, message)
        self.assertIn("per " + period, message)
        self.assertGreater(int(resp.headers["retry-after"]), 0)
        self.assertLessEqual(int(resp.headers["retry-after"]), 86400 if period == "day" else 31 * 86400)

    def test_past_a_limit_429(self):
        org = harness.new_org(self.server)
        limits = [{"metric": "releasesCreated", "period": "month", "max": 0},
                  {"metric": "deploymentsStarted", "period": "day", "max": 0}]
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": limits}, token=self.admin), 200)
        release = route_body("POST", "/api/v1/{tenantId}/releases")
        self.assert_usage_limit(self.request("POST", "/api/v1/%s/releases" % org.id, release, token=org.editor.token),
                                "releasesCreated", "month")
        deployment = route_body("POST", "/api/v1/{tenantId}/deployments")
        self.assert_usage_limit(self.request("POST", "/api/v1/%s/deployments" % org.id, deployment,
                                             token=org.editor.token), "deploymentsStarted", "day")
        # Without the limit a deployment starts and counts; at a limit of one, the next is refused.
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": []}, token=self.admin), 200)
        host, script, _ = route_matrix.plant_deploy(self.server, org.id, deployment=False)  # never reached
        deployment = {"hostIds": [host], "scriptIds": [script]}
        self.expect(self.request("POST", "/api/v1/%s/deployments" % org.id, deployment, token=org.editor.token), 201)
        self.assertEqual(self.usage(org)["totals"]["deploymentsStarted"], 1)
        limits = [{"metric": "deploymentsStarted", "period": "day", "max": 1}]
        self.assertEqual(self.expect(self.request("PUT", LIMITS % org.id, {"limits": limits}, token=self.admin),
                                     200)["limits"][0]["used"], 1)
        self.assert_usage_limit(self.request("POST", "/api/v1/%s/deployments" % org.id, deployment,
                                             token=org.editor.token), "deploymentsStarted", "day")
        # Deployment minutes refuse the next start once used up (a running deployment is not cut off).
        limits = [{"metric": "deploymentMinutes", "period": "month", "max": 0}]
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": limits}, token=self.admin), 200)
        self.assert_usage_limit(self.request("POST", "/api/v1/%s/deployments" % org.id, deployment,
                                             token=org.editor.token), "deploymentMinutes", "month")

    def test_api_requests_limit(self):
        org = harness.new_org(self.server)
        used = self.usage(org)["totals"]["apiRequests"]  # flushed by the GET itself: exact
        limit = [{"metric": "apiRequests", "period": "day", "max": used + 3}]
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": limit}, token=self.admin), 200)
        for _ in range(2):
            self.expect(self.request("GET", "/api/v1/%s/sites" % org.id, token=org.viewer.token), 200)
        got = self.usage(org)  # the third: at the limit now
        self.assertEqual(got["limits"][0]["used"], used + 3)
        self.assert_usage_limit(self.request("GET", "/api/v1/%s/usage" % org.id, token=org.owner.token),
                                "apiRequests", "day")
        other = harness.new_org(self.server)  # another tenant is not limited by it
        self.expect(self.request("GET", "/api/v1/%s/sites" % other.id, token=other.viewer.token), 200)
        self.expect(self.request("PUT", LIMITS % org.id, {"limits": []}, token=self.admin), 200)
        self.expect(self.request("GET", "/api/v1/%s/sites" % org.id, token=org.viewer.token), 200)


if __name__ == "__main__":
    unittest.main()
