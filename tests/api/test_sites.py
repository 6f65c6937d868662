"""Sites (docs/sites.md): the owner/editor API for sites, settings, posts (drafts, schedule, publish, soft delete,
restore) and roles; the public pages (HTML escaping and raw HTML off, the CSP, ETag/Last-Modified and 304s, drafts,
scheduled and deleted posts invisible, another tenant's site invisible, the members' preview); the Atom feed, read
by an independent parser (feedparser); usage metering; and an unverified domain not served. Custom domains proven
against a local challenge server: test_sites_domains.py."""

import datetime
import email.utils
import time
import unittest
import uuid

import feedparser

import harness
import integration_fixtures


def ts(delta_seconds=0):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def slug(tag="site"):
    return "%s-%s" % (tag, uuid.uuid4().hex[:10])


class SitesTest(harness.ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = harness.new_org(cls.server)
        cls.other = harness.new_org(cls.server)

    def api(self, method, path, body=None, user=None, **kw):
        return self.request(method, "/api/v1/%s%s" % (self.org.id, path), body=body,
                            token=(user or self.org.editor).token, **kw)

    def make_site(self, org=None):
        org = org or self.org
        return self.expect(self.request("POST", "/api/v1/%s/sites" % org.id, {"slug": slug(), "name": "Acme <Notes>"},
                                        token=org.editor.token), 201)

    def target(self, org, type_="PLAY_STORE"):
        """A store target (an app) of org, made once per type and org."""
        key = (org.id, type_)
        if key not in SitesTest.targets:
            SitesTest.targets[key] = integration_fixtures.create_integration(
                self.server, org.owner.token, org.id, integration_fixtures.valid_body(type_))
        return SitesTest.targets[key]

    targets = {}

    def test_site_apps_are_store_targets(self):
        """A site's apps are its tenant's store target ids (docs/sites.md "Which apps a site shows")."""
        site = self.make_site()
        path = "/sites/%s/settings" % site["id"]
        play, ios = self.target(self.org)["id"], self.target(self.org, "APP_STORE")["id"]
        got = self.expect(self.api("PUT", path, {"title": "x", "apps": [play, ios]}), 200)
        self.assertEqual(got["apps"], [play, ios])
        self.assertEqual(self.expect(self.api("GET", path, user=self.org.viewer), 200)["apps"], [play, ios])
        self.assertEqual(self.expect(self.api("PUT", path, {"title": "x"}), 200)["apps"], [])  # left out: every app
        # A name, a random id, another tenant's target: 400 at apps, naming the value; nothing is saved.
        theirs = self.target(self.other)["id"]
        for bad in ("Acme", str(uuid.uuid4()), theirs):
            details = self.assert_error(self.api("PUT", path, {"title": "x", "apps": [play, bad]}), 400, "invalid_request")
            self.assertEqual([(d["field"], bad in d["message"]) for d in details], [("apps", True)], bad)
        for bad in ([1], [None], "x", [[play]], {"a": play}, [""]):
            details = self.assert_error(self.api("PUT", path, {"title": "x", "apps": bad}), 400, "invalid_request")
            self.assertIn("apps", [d["field"] for d in details], bad)
        self.assert_error(self.api("PUT", path, {"title": "x", "apps": [play], "app": play}), 400, "invalid_request")
        self.assert_error(self.api("PUT", path, raw=b'{"title": "x", "apps": [', headers={
            "Content-Type": "application/json"}), 400, "malformed_json")
        self.assertEqual(self.expect(self.api("GET", path), 200)["apps"], [])
        # Another tenant's editor, and this tenant's viewer, cannot write them.
        self.assert_error(self.request("PUT", "/api/v1/%s%s" % (self.other.id, path), {"title": "x", "apps": [theirs]},
                                       token=self.other.editor.token), 404, "not_found")
        self.assert_error(self.api("PUT", path, {"title": "x", "apps": [play]}, user=self.org.viewer), 404, "not_found")

    def make_post(self, site, **fields):
        body = {"title": "Post", "slug": slug("post"), "body": "Hello"}
        body.update(fields)
        return self.expect(self.api("POST", "/sites/%s/posts" % site["id"], body), 201)

    def page(self, path, **kw):
        return self.request("GET", path, **kw)

    # -- the API ----------------------------------------------------------------

    def test_site_crud_and_roles(self):
        site = self.make_site()
        self.assertEqual(site["settings"]["title"], "Acme <Notes>")
        self.assertEqual(site["settings"]["accentColor"], "#2563eb")
        self.assert_error(self.api("POST", "/sites", {"slug": "Bad Slug", "name": "x"}), 400, "invalid_request")
        self.assert_error(self.api("POST", "/sites", {"slug": site["slug"], "name": "x"}), 409, "conflict")
        # Viewers read; they cannot write (the role is too low: 404, as for a stranger).
        got = self.expect(self.api("GET", "/sites/%s" % site["id"], user=self.org.viewer), 200)
        self.assertEqual(got["slug"], site["slug"])
        listed = self.expect(self.api("GET", "/sites", user=self.org.viewer), 200)
        self.assertIn(site["id"], [s["id"] for s in listed["items"]])
        self.assert_error(self.api("POST", "/sites", {"slug": slug(), "name": "x"}, user=self.org.viewer), 404, "not_found")
        renamed = self.expect(self.api("PATCH", "/sites/%s" % site["id"], {"name": "Renamed"}), 200)
        self.assertEqual(renamed["name"], "Renamed")
        app = self.target(self.org)["id"]
        settings = self.expect(self.api("PUT", "/sites/%s/settings" % site["id"], {
            "title": "Notes", "accentColor": "#ff0000", "platforms": ["IOS"], "apps": [app], "footer": "(c) Acme",
            "logoUrl": "https://example.com/logo.png", "draftsPreviewable": True}), 200)
        self.assertEqual((settings["accentColor"], settings["platforms"], settings["apps"], settings["draftsPreviewable"]),
                         ("#ff0000", ["IOS"], [app], True))
        self.assert_error(self.api("PUT", "/sites/%s/settings" % site["id"], {"title": "x", "accentColor": "red"}), 400,
                          "invalid_request")
        self.assert_error(self.api("PUT", "/sites/%s/settings" % site["id"], {"title": "x", "logoUrl": "javascript:x"}),
                          400, "invalid_request")
        # Deleting a site is the owner's.
        self.assert_error(self.api("DELETE", "/sites/%s" % site["id"]), 404, "not_found")
        self.expect(self.api("DELETE", "/sites/%s" % site["id"], user=self.org.owner), 204)
        self.assert_error(self.api("GET", "/sites/%s" % site["id"]), 404, "not_found")
        self.assertEqual(self.page("/s/%s/" % site["slug"]).status, 404)

    def test_post_lifecycle(self):
        site = self.make_site()
        draft = self.make_post(site)
        self.assertEqual((draft["status"], draft["publishedAt"], draft["deletedAt"]), ("DRAFT", None, None))
        self.assert_error(self.api("POST", "/sites/%s/posts" % site["id"], {
            "title": "x", "slug": "x", "body": "", "status": "SCHEDULED"}), 400, "invalid_request")
        self.assert_error(self.api("POST", "/sites/%s/posts" % site["id"], {
            "title": "x", "slug": "x", "body": "", "publishedAt": ts()}), 400, "invalid_request")
        self.assert_error(self.api("POST", "/sites/%s/posts" % site["id"], {
            "title": "x", "slug": "feed.atom", "body": ""}), 400, "invalid_request")
        self.assert_error(self.api("POST", "/sites/%s/posts" % site["id"], {
            "title": "x", "slug": draft["slug"], "body": ""}), 409, "conflict")
        published = self.expect(self.api("PATCH", "/sites/%s/posts/%s" % (site["id"], draft["id"]),
                                         {"status": "PUBLISHED"}), 200)
        self.assertEqual(published["status"], "PUBLISHED")
        self.assertTrue(published["publishedAt"])
        later = self.make_post(site, status="SCHEDULED", publishedAt=ts(3600))
        self.assertEqual(later["status"], "SCHEDULED")
        due = self.make_post(site, status="SCHEDULED", publishedAt=ts(-60))
        self.assertEqual(due["status"], "PUBLISHED")  # its time has come
        # Soft delete: gone from the list, listed with ?deleted=true, restorable.
        self.expect(self.api("DELETE", "/sites/%s/posts/%s" % (site["id"], draft["id"])), 204)
        self.assert_error(self.api("DELETE", "/sites/%s/posts/%s" % (site["id"], draft["id"])), 409, "conflict")
        live = self.expect(self.api("GET", "/sites/%s/posts" % site["id"], user=self.org.viewer), 200)["items"]
        self.assertNotIn(draft["id"], [p["id"] for p in live])
        gone = self.expect(self.api("GET", "/sites/%s/posts?deleted=true" % site["id"]), 200)["items"]
        self.assertEqual([p["id"] for p in gone], [draft["id"]])
        self.assertTrue(gone[0]["deletedAt"])
        self.assert_error(self.api("PATCH", "/sites/%s/posts/%s" % (site["id"], draft["id"]), {"title": "y"}), 409,
                          "conflict")
        restored = self.expect(self.api("POST", "/sites/%s/posts/%s/restore" % (site["id"], draft["id"])), 200)
        self.assertIsNone(restored["deletedAt"])
        self.assert_error(self.api("POST", "/sites/%s/posts/%s/restore" % (site["id"], draft["id"])), 409, "conflict")
        self.assert_error(self.api("GET", "/sites/%s/posts?deleted=maybe" % site["id"]), 400, "invalid_request")
        # Viewers read, never write.
        self.assert_error(self.api("DELETE", "/sites/%s/posts/%s" % (site["id"], draft["id"]), user=self.org.viewer),
                          404, "not_found")

    def test_another_tenants_site_is_invisible(self):
        mine, theirs = self.make_site(), self.make_site(self.other)
        their_post = self.expect(self.request("POST", "/api/v1/%s/sites/%s/posts" % (self.other.id, theirs["id"]),
                                              {"title": "Theirs", "slug": "theirs", "body": "secret",
                                               "status": "PUBLISHED"}, token=self.other.editor.token), 201)
        for path in ("/sites/%s" % theirs["id"], "/sites/%s/settings" % theirs["id"], "/sites/%s/posts" % theirs["id"],
                     "/sites/%s/posts/%s" % (theirs["id"], their_post["id"]),
                     "/sites/%s/posts/%s" % (mine["id"], their_post["id"]), "/sites/%s/domains" % theirs["id"]):
            self.assert_error(self.api("GET", path, user=self.org.owner), 404, "not_found")
        self.assert_error(self.api("DELETE", "/sites/%s" % theirs["id"], user=self.org.owner), 404, "not_found")
        self.assertEqual(self.page("/s/%s/theirs" % mine["slug"]).status, 404)
        self.assertNotIn(b"secret", self.page("/s/%s/" % mine["slug"]).raw)

    def test_deleted_tenant_publishes_nothing(self):
        org = harness.new_org(self.server)
        site = self.make_site(org)
        self.expect(self.request("POST", "/api/v1/%s/sites/%s/posts" % (org.id, site["id"]),
                                 {"title": "x", "slug": "x", "body": "", "status": "PUBLISHED"}, token=org.editor.token), 201)
        self.assertEqual(self.page("/s/%s/x" % site["slug"]).status, 200)
        self.expect(self.request("DELETE", "/api/v1/%s" % org.id, token=org.owner.token), 204)
        # Another process may show its cached copy for up to a second (docs/sites.md); this one's is keyed by the second too.
        deadline = time.monotonic() + 5
        while self.page("/s/%s/x" % site["slug"]).status != 404 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.page("/s/%s/x" % site["slug"]).status, 404)
        self.assertEqual(self.page("/s/%s/feed.atom" % site["slug"]).status, 404)

    # -- public pages -----------------------------------------------------------

    def test_public_pages_escape_and_forbid_script(self):
        site = self.make_site()
        post = self.make_post(site, title="<script>alert('t')</script> & co", status="PUBLISHED", body=(
            "# Heading\n\n<script>alert('raw')</script>\n\n<img src=x onerror=alert(1)>\n\n"
            "[click](javascript:alert(1)) and [ok](https://example.com/?a=1&b=2)\n\n**bold**\n"))
        index = self.page("/s/%s/" % site["slug"])
        self.assertEqual(index.status, 200, index)
        self.assertTrue(index.headers["content-type"].startswith("text/html"))
        csp = index.headers["content-security-policy"]
        self.assertIn("default-src 'none'", csp)
        self.assertNotIn("script-src", csp)  # default-src 'none': no script at all
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertEqual(self.page("/s/%s" % site["slug"]).raw, index.raw)
        html = self.page("/s/%s/%s" % (site["slug"], post["slug"]))
        self.assertEqual(html.status, 200)
        text = html.raw.decode()
        for page in (index.raw.decode(), text):
            self.assertNotIn("<script", page)
            self.assertIn("&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; &amp; co", page)
            self.assertIn("Acme &lt;Notes&gt;", page)
        self.assertNotIn("onerror", text.replace("&lt;img src=x onerror", ""))
        self.assertNotIn("javascript:", text)
        self.assertIn("<h1>Heading</h1>", text)
        self.assertIn("<strong>bold</strong>", text)
        self.assertIn('href="https://example.com/?a=1&amp;b=2"', text)
        self.assertNotIn(site["id"], text)
        self.assertNotIn(self.org.id, text)

    def test_only_what_was_published(self):
        site = self.make_site()
        draft = self.make_post(site, title="DraftTitle")
        later = self.make_post(site, title="LaterTitle", status="SCHEDULED", publishedAt=ts(3600))
        due = self.make_post(site, title="DueTitle", status="SCHEDULED", publishedAt=ts(-1))
        gone = self.make_post(site, title="GoneTitle", status="PUBLISHED")
        self.expect(self.api("DELETE", "/sites/%s/posts/%s" % (site["id"], gone["id"])), 204)
        index = self.page("/s/%s/" % site["slug"]).raw.decode()
        self.assertIn("DueTitle", index)
        for hidden in ("DraftTitle", "LaterTitle", "GoneTitle"):
            self.assertNotIn(hidden, index)
        for post in (draft, later, gone):
            self.assertEqual(self.page("/s/%s/%s" % (site["slug"], post["slug"])).status, 404, post["title"])
        self.assertEqual(self.page("/s/%s/%s" % (site["slug"], due["slug"])).status, 200)
        self.assertEqual(self.page("/s/no-such-site-%s/" % uuid.uuid4().hex[:6]).status, 404)
        # Scheduled posts appear when due: move one into the past, as time would.
        self.expect(self.api("PATCH", "/sites/%s/posts/%s" % (site["id"], later["id"]), {"publishedAt": ts(-1)}), 200)
        self.assertEqual(self.page("/s/%s/%s" % (site["slug"], later["slug"])).status, 200)

    def test_preview_for_members_only(self):
        site = self.make_site()
        draft = self.make_post(site, title="PreviewDraft")
        path = "/s/%s/preview/%s" % (site["slug"], draft["slug"])
        self.assertEqual(self.page(path, token=self.org.viewer.token).status, 404)  # the setting is off
        self.expect(self.api("PUT", "/sites/%s/settings" % site["id"], {"title": "T", "draftsPreviewable": True}), 200)
        seen = self.page(path, token=self.org.viewer.token)
        self.assertEqual(seen.status, 200)
        self.assertIn(b"PreviewDraft", seen.raw)
        self.assertIn("no-store", seen.headers["cache-control"])
        self.assertIn(b"PreviewDraft", self.page("/s/%s/preview" % site["slug"], token=self.org.viewer.token).raw)
        self.assertEqual(self.page(path).status, 404)  # anonymous
        self.assertEqual(self.page(path, token=self.other.owner.token).status, 404)  # not a member
        self.assertEqual(self.page(path, token="slw_" + "A" * 43).status, 401)
        self.assertEqual(self.page("/s/%s/%s" % (site["slug"], draft["slug"]), token=self.org.viewer.token).status, 404)

    def test_etag_and_last_modified(self):
        site = self.make_site()
        post = self.make_post(site, status="PUBLISHED")
        for path in ("/s/%s/" % site["slug"], "/s/%s/%s" % (site["slug"], post["slug"]), "/s/%s/feed.atom" % site["slug"]):
            first = self.page(path)
            self.assertEqual(first.status, 200, path)
            etag, modified = first.headers["etag"], first.headers["last-modified"]
            self.assertIsNotNone(email.utils.parsedate_to_datetime(modified))
            self.assertEqual(self.page(path, headers={"If-None-Match": etag}).status, 304, path)
            self.assertEqual(self.page(path, headers={"If-None-Match": '"other", ' + etag}).status, 304, path)
            self.assertEqual(self.page(path, headers={"If-Modified-Since": modified}).status, 304, path)
            self.assertEqual(self.page(path, headers={"If-None-Match": '"stale"'}).status, 200, path)
            self.assertEqual(self.page(path, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status, 200)
        before = self.page("/s/%s/%s" % (site["slug"], post["slug"])).headers["etag"]
        self.expect(self.api("PATCH", "/sites/%s/posts/%s" % (site["id"], post["id"]), {"body": "changed"}), 200)
        after = self.page("/s/%s/%s" % (site["slug"], post["slug"]), headers={"If-None-Match": before})
        self.assertEqual(after.status, 200)
        self.assertNotEqual(after.headers["etag"], before)

    def test_feed_parses(self):
        site = self.make_site()
        self.make_post(site, title="First & <one>", status="PUBLISHED", publishedAt=ts(-120), body="*one*")
        self.make_post(site, title="Second", status="PUBLISHED", body="<script>x</script>two")
        self.make_post(site, title="Draft")
        resp = self.page("/s/%s/feed.atom" % site["slug"])
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.headers["content-type"].startswith("application/atom+xml"))
        feed = feedparser.parse(resp.raw)
        self.assertFalse(feed.bozo, feed.get("bozo_exception"))
        self.assertEqual(feed.version, "atom10")
        self.assertEqual(feed.feed.title, "Acme <Notes>")
        self.assertEqual([e.title for e in feed.entries], ["Second", "First & <one>"])
        self.assertIn("<em>one</em>", feed.entries[1].content[0].value)
        self.assertNotIn("<script", feed.entries[0].content[0].value)
        self.assertTrue(all(e.id.startswith("urn:uuid:") and e.published and e.updated for e in feed.entries))

    # -- usage ------------------------------------------------------------------

    def test_usage(self):
        org = harness.new_org(self.server)
        site = self.make_site(org)
        self.request("POST", "/api/v1/%s/sites/%s/posts" % (org.id, site["id"]),
                     {"title": "x", "slug": "x", "body": "", "status": "PUBLISHED"}, token=org.editor.token)
        for _ in range(3):
            self.page("/s/%s/" % site["slug"])
        self.assert_error(self.request("GET", "/api/v1/%s/usage" % org.id, token=org.editor.token), 404, "not_found")
        usage = self.expect(self.request("GET", "/api/v1/%s/usage" % org.id, token=org.owner.token), 200)
        self.assertGreaterEqual(usage["totals"]["apiRequests"], 3)
        self.assertEqual(usage["totals"]["pageViews"], 3)
        self.assertEqual(usage["totals"]["postsPublished"], 1)
        self.assertTrue(all(i["day"] == usage["to"] for i in usage["items"]), usage)
        none = self.expect(self.request("GET", "/api/v1/%s/usage?from=2001-01-01&to=2001-01-02" % org.id,
                                        token=org.owner.token), 200)
        self.assertEqual(none["items"], [])
        self.assert_error(self.request("GET", "/api/v1/%s/usage?from=yesterday" % org.id, token=org.owner.token), 400,
                          "invalid_request")

    # -- domains ----------------------------------------------------------------

    def test_unverified_domain_is_not_served(self):
        site = self.make_site()
        self.make_post(site, title="OnlyOnTheSite", status="PUBLISHED")
        host = "news-%s.example.com" % uuid.uuid4().hex[:8]
        domain = self.expect(self.api("POST", "/sites/%s/domains" % site["id"], {"hostName": host.upper()},
                                      user=self.org.owner), 201)
        self.assertEqual((domain["hostName"], domain["status"], domain["verifiedAt"]), (host, "PENDING", None))
        self.assertEqual(domain["challengeUrl"], "http://%s/.well-known/slipway-challenge/%s"
                         % (host, domain["challengeToken"]))
        self.assert_error(self.api("POST", "/sites/%s/domains" % site["id"], {"hostName": host}, user=self.org.owner),
                          409, "conflict")
        self.assert_error(self.api("POST", "/sites/%s/domains/%s/verify" % (site["id"], domain["id"]), {"method": "dns"},
                                   user=self.org.owner), 400, "invalid_request")  # this server has no DNS resolver
        self.assert_error(self.api("POST", "/sites/%s/domains" % site["id"], {"hostName": "x.example.com"}), 404,
                          "not_found")  # editors do not manage domains
        for bad in ("127.0.0.1", "localhost", "a..b", "-a.example.com", "under_score.example.com"):
            self.assert_error(self.api("POST", "/sites/%s/domains" % site["id"], {"hostName": bad}, user=self.org.owner),
                              400, "invalid_request")
        page = self.page("/", headers={"Host": host})
        self.assertNotIn(b"OnlyOnTheSite", page.raw)
        self.assertEqual(self.page("/feed.atom", headers={"Host": host}).status, 404)
        listed = self.expect(self.api("GET", "/sites/%s/domains" % site["id"], user=self.org.viewer), 200)["items"]
        self.assertEqual([d["id"] for d in listed], [domain["id"]])
        self.expect(self.api("DELETE", "/sites/%s/domains/%s" % (site["id"], domain["id"]), user=self.org.owner), 204)


if __name__ == "__main__":
    unittest.main()
