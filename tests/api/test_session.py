"""Browser sessions (docs/ui.md, docs/api.md): the login token in an HttpOnly
cookie, the CSRF token bound to it, logout clearing both; and the web UI's
two routes (/ and /ui/{asset}) with their security and caching headers."""

import hashlib
import unittest

import harness
from harness import ApiTest, login

tearDownModule = harness.stop_shared_server

CSRF_LABEL = "slipway-csrf-v1:"


def cookies_set(resp):
    """{name: (value, [attributes])} from the answer's Set-Cookie headers."""
    out = {}
    for line in (resp.headers.get("set-cookie") or "").split(", "):
        if not line:
            continue
        parts = [p.strip() for p in line.split(";")]
        name, _, value = parts[0].partition("=")
        out[name] = (value, parts[1:])
    return out


class SessionTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = harness.new_user(cls.server)

    def browser_login(self, headers=None):
        resp = self.request("POST", "/api/v1/auth/login",
                            body={"email": self.user.email, "password": self.user.password, "cookie": True},
                            headers=headers)
        body = self.expect(resp, 200)
        jar = cookies_set(resp)
        self.assertIn("slipway_session", jar, resp.headers)
        token = jar["slipway_session"][0]
        self.server.remember_secret(token)
        return resp, body, jar, token

    def cookie_request(self, method, path, token, csrf=None, body=None):
        headers = {"Cookie": "slipway_session=%s" % token}
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        return self.request(method, path, body=body, headers=headers)

    def test_cookie_login_sets_httponly_strict_cookies_and_never_answers_the_token(self):
        resp, body, jar, token = self.browser_login()
        self.assertRegex(token, harness.TOKEN_RE)
        self.assertNotIn("token", body)
        self.assertNotIn(token.encode(), resp.raw, "the token is in the answer's body")
        value, attrs = jar["slipway_session"]
        self.assertIn("HttpOnly", attrs)
        self.assertIn("SameSite=Strict", attrs)
        self.assertIn("Path=/", attrs)
        self.assertIn("Max-Age=86400", attrs)
        self.assertNotIn("Secure", attrs, "plain HTTP without X-Forwarded-Proto: not Secure")
        csrf, csrf_attrs = jar["slipway_csrf"]
        self.assertNotIn("HttpOnly", csrf_attrs, "the page must be able to read the CSRF token")
        self.assertEqual(body["csrfToken"], csrf)
        self.assertEqual(csrf, hashlib.sha256((CSRF_LABEL + token).encode()).hexdigest())

    def test_behind_tls_the_cookies_are_secure(self):
        _, _, jar, _ = self.browser_login(headers={"X-Forwarded-Proto": "https"})
        self.assertIn("Secure", jar["slipway_session"][1])
        self.assertIn("Secure", jar["slipway_csrf"][1])

    def test_the_cookie_authenticates_reads_like_a_bearer_token(self):
        _, body, _, token = self.browser_login()
        me = self.expect(self.cookie_request("GET", "/api/v1/me", token), 200)
        self.assertEqual(me["id"], self.user.id)
        harness.assert_me(self, me, body["account"])

    def test_writes_by_cookie_need_the_csrf_token(self):
        _, body, _, token = self.browser_login()
        for csrf in (None, "", "0" * 64, body["csrfToken"].upper(), body["csrfToken"][:-1]):
            resp = self.cookie_request("POST", "/api/v1/tenants", token, csrf=csrf, body={"orgName": "csrf probe"})
            self.assert_error(resp, 403, "csrf_failed")
        made = self.expect(self.cookie_request("POST", "/api/v1/tenants", token, csrf=body["csrfToken"],
                                               body={"orgName": "by cookie"}), 201)
        self.assertEqual(made["role"], "owner")

    def test_a_csrf_token_of_another_session_is_refused(self):
        _, _, _, token = self.browser_login()
        _, other, _, _ = self.browser_login()
        resp = self.cookie_request("POST", "/api/v1/tenants", token, csrf=other["csrfToken"], body={"orgName": "x"})
        self.assert_error(resp, 403, "csrf_failed")

    def test_bearer_requests_need_no_csrf_token_and_win_over_a_cookie(self):
        made = self.request("POST", "/api/v1/tenants", body={"orgName": "by bearer"}, token=self.user.token,
                            headers={"Cookie": "slipway_session=slw_" + "A" * 43})
        self.expect(made, 201)

    def test_tenant_checks_are_the_same_by_cookie(self):
        _, _, _, token = self.browser_login()
        admin_tenant = self.server.admin["tenantId"]
        self.assert_error(self.cookie_request("GET", "/api/v1/%s" % admin_tenant, token), 404, "not_found")

    def test_bad_cookies_are_unauthenticated(self):
        for value in ("", "nonsense", "slw_" + "A" * 43):
            resp = self.request("GET", "/api/v1/me", headers={"Cookie": "slipway_session=%s" % value})
            self.assert_error(resp, 401, "unauthenticated")

    def test_logout_by_cookie_revokes_the_token_and_clears_both_cookies(self):
        _, body, _, token = self.browser_login()
        self.assert_error(self.cookie_request("POST", "/api/v1/auth/logout", token), 403, "csrf_failed")
        resp = self.cookie_request("POST", "/api/v1/auth/logout", token, csrf=body["csrfToken"])
        self.expect(resp, 204)
        jar = cookies_set(resp)
        for name in ("slipway_session", "slipway_csrf"):
            self.assertEqual(jar[name][0], "")
            self.assertIn("Max-Age=0", jar[name][1])
        self.assert_error(self.cookie_request("GET", "/api/v1/me", token), 401, "unauthenticated")

    def test_a_script_login_still_answers_the_token(self):
        body = self.expect(login(self.server, self.user.email, self.user.password), 200)
        self.assertRegex(body["token"], harness.TOKEN_RE)
        self.assertNotIn("csrfToken", body)

    def test_cookie_must_be_a_boolean(self):
        resp = self.request("POST", "/api/v1/auth/login",
                            body={"email": self.user.email, "password": self.user.password, "cookie": "yes"})
        self.assert_error(resp, 400, "invalid_request")


class WebUiRoutesTest(ApiTest):
    def test_page_has_a_strict_csp_and_revalidates(self):
        resp = self.request("GET", "/")
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.headers["content-type"].startswith("text/html"))
        csp = resp.headers["content-security-policy"]
        for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'",
                          "frame-ancestors 'none'", "base-uri 'none'"):
            self.assertIn(directive, csp)
        self.assertNotIn("unsafe", csp)
        self.assertEqual(resp.headers["x-content-type-options"], "nosniff")
        self.assertEqual(resp.headers["referrer-policy"], "no-referrer")
        self.assertEqual(resp.headers["cache-control"], "no-cache")
        etag = resp.headers["etag"]
        self.assertRegex(etag, r'^"[0-9a-f]{20}"$')
        again = self.request("GET", "/", headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304, again)
        self.assertEqual(again.raw, b"")
        self.assertEqual(self.request("GET", "/", headers={"If-None-Match": '"other"'}).status, 200)
        for header in ('W/' + etag, '"other", ' + etag, '*'):
            self.assertEqual(self.request("GET", "/", headers={"If-None-Match": header}).status, 304, header)
        self.assertEqual(self.request("GET", "/", headers={"If-None-Match": etag[:-2] + '"'}).status, 200)

    def test_assets_have_their_content_types(self):
        page = self.request("GET", "/").raw.decode()
        for asset, ctype in (("app.js", "text/javascript"), ("app.css", "text/css"), ("favicon.svg", "image/svg+xml")):
            self.assertIn("/ui/" + asset, page)
            resp = self.request("GET", "/ui/" + asset)
            self.assertEqual(resp.status, 200, resp)
            self.assertTrue(resp.headers["content-type"].startswith(ctype), resp.headers)
            self.assertIn("content-security-policy", resp.headers)

    def test_unknown_assets_are_404_and_writes_405(self):
        for path in ("/ui/nope.js", "/ui/..", "/ui/index.htm"):
            self.assert_error(self.request("GET", path), 404, "not_found")
        resp = self.request("POST", "/", body={})
        self.assert_error(resp, 405, "method_not_allowed")

    def test_api_answers_are_still_never_cached(self):
        self.assertEqual(self.request("GET", "/healthz").headers["cache-control"], "no-store")


if __name__ == "__main__":
    unittest.main(verbosity=2)
