"""Self-test of the provider fakes: they must refuse what the real services
refuse (a fake that accepts anything would hide slipway's mistakes).

    python3 tests/fakes/test_fakes.py

Stdlib + the openssl command line; signs its own JWTs the way App Store
Connect and Google want them (and the ways they do not)."""

import base64
import http.client
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

import fakes

TMP = tempfile.mkdtemp(prefix="fakes-selftest-")
F = None


def setUpModule():
    global F
    F = fakes.Fakes().start()


def tearDownModule():
    F.stop()
    shutil.rmtree(TMP, ignore_errors=True)


def openssl(*args, stdin=None):
    return subprocess.run(["openssl"] + list(args), cwd=TMP, input=stdin, capture_output=True, check=True).stdout


def key(kind):
    path = os.path.join(TMP, kind + ".pem")
    if not os.path.exists(path):
        if kind.startswith("ec"):
            openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path)
        else:
            openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
    with open(path) as f:
        return path, f.read()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_to_raw(der):
    i, out = 2, b""
    for _ in range(2):
        n = der[i + 1]
        out += der[i + 2:i + 2 + n].lstrip(b"\0").rjust(32, b"\0")
        i += 2 + n
    return out


def jwt(key_path, header, claims, raw=True):
    signing = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    path = os.path.join(TMP, "signing-input")
    with open(path, "w") as f:
        f.write(signing)
    sig = openssl("dgst", "-sha256", "-sign", key_path, path)
    if header.get("alg") == "ES256" and raw:
        sig = der_to_raw(sig)
    return signing + "." + b64(sig)


def call(provider, method, path, headers=None, body=None):
    """One request on a connection of its own: (status, headers, body). Its wait is bounded at 30 s (two busy cores
    shared with the rest of the suite, not a measurement); a request not answered in it fails with what the fake's
    log says of it, which tells a request the fake never read from an answer that never arrived."""
    url = urllib.parse.urlsplit(F.providers[provider].base_url)
    ctx = ssl.create_default_context(cafile=F.ca)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=30)
    mark = F.seq()
    try:
        conn.request(method, path, body=body, headers=headers or {})
        try:
            resp = conn.getresponse()
        except TimeoutError:
            seen = [{k: e.get(k) for k in ("seq", "time", "method", "path", "status", "rule", "sendError")}
                    for e in F.requests(provider, mark)]
            raise AssertionError("%s %s %s: no answer in 30 s; the fake logged %s" % (provider, method, path, seen))
        raw = resp.read()
        try:
            data = json.loads(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def held(since):
    """The requests a hold rule caught since the mark."""
    return [e for e in F.requests("github", since) if (e.get("rule") or {}).get("mode") == "hold"]


def wait_for(probe, tries=200):
    """probe() until it is true (every 50 ms, 10 s at most: a bound on waiting, not a measurement); its value."""
    for _ in range(tries):
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("never came true")


class GitHubTest(unittest.TestCase):
    def setUp(self):
        F.register("github", {"tokens": {"ghp_selftest": {"login": "bot", "scopes": "repo",
                                                          "repos": {"o/r": {"pull": True, "push": True}}}}})

    def gh(self, path, **headers):
        h = {"User-Agent": "t", "Authorization": "Bearer ghp_selftest", "Accept": "application/vnd.github+json",
             "X-GitHub-Api-Version": "2022-11-28"}
        h.update(headers)
        return call("github", "GET", path, {k: v for k, v in h.items() if v is not None})

    def test_hold(self):
        """A held request stays unanswered until its rule is dropped, or the client gives up: events say which."""
        rule = F.add_rule("github", {"mode": "hold", "match": "hold-test"})
        mark = F.seq()
        with self.assertRaises(OSError):  # socket.timeout is an OSError
            url = urllib.parse.urlsplit(F.providers["github"].base_url)
            conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=0.5,
                                               context=ssl.create_default_context(cafile=F.ca))
            try:
                conn.request("GET", "/user?hold-test", headers={"User-Agent": "t"})
                conn.getresponse()
            finally:
                conn.close()
        releaser = threading.Thread(target=lambda: (wait_for(lambda: len(held(mark)) == 2),
                                                    F.remove_rule("github", rule["id"])))
        releaser.start()
        self.assertEqual(self.gh("/user?hold-test")[0], 200, "answered once released")
        releaser.join()
        events = wait_for(lambda: [e["hold"] for e in F.requests("github", mark) if "hold" in e and "method" not in e])
        self.assertEqual(sorted(events), ["abandoned", "released"])

    def test_rules(self):
        self.assertEqual(self.gh("/user")[0], 200)
        self.assertEqual(self.gh("/user", **{"User-Agent": None})[0], 403)
        self.assertEqual(self.gh("/user", **{"X-GitHub-Api-Version": "1999-01-01"})[0], 400)
        self.assertEqual(self.gh("/user", Authorization="Bearer nope")[0], 401)
        self.assertEqual(self.gh("/repos/o/x")[0], 404)
        status, headers, body = self.gh("/repos/o/r")
        self.assertEqual((status, body["permissions"]["push"], headers["x-oauth-scopes"]), (200, True, "repo"))
        self.assertEqual(self.gh("/api/v3/user")[0], 200, "GitHub Enterprise's prefix")


class AppStoreTest(unittest.TestCase):
    def setUp(self):
        self.path, pem = key("ec")
        F.register("appstore", {"keys": {"KID0000001": {"issuer": "iss-1", "privateKey": pem}},
                                "apps": {"iss-1": [{"bundleId": "com.x.app", "name": "X"}]}})

    def ask(self, token):
        return call("appstore", "GET", "/v1/apps?filter%5BbundleId%5D=com.x.app&limit=1",
                    {"Authorization": "Bearer " + token})

    def test_jwt_rules(self):
        now = int(time.time())
        header = {"alg": "ES256", "kid": "KID0000001", "typ": "JWT"}
        claims = {"iss": "iss-1", "iat": now, "exp": now + 1200, "aud": "appstoreconnect-v1"}
        status, _, body = self.ask(jwt(self.path, header, claims))
        self.assertEqual((status, body["data"][0]["attributes"]["bundleId"]), (200, "com.x.app"))
        bad = {
            "exp over 20 minutes": (header, dict(claims, exp=now + 1201)),
            "expired": (header, dict(claims, iat=now - 1300, exp=now - 100)),
            "wrong aud": (header, dict(claims, aud="appstoreconnect-v2")),
            "wrong iss": (header, dict(claims, iss="iss-2")),
            "unknown kid": (dict(header, kid="KID0000002"), claims),
            "no typ": ({"alg": "ES256", "kid": "KID0000001"}, claims),
        }
        for label, (h, c) in bad.items():
            with self.subTest(label):
                self.assertEqual(self.ask(jwt(self.path, h, c))[0], 401)
        with self.subTest("DER signature instead of R||S"):
            self.assertEqual(self.ask(jwt(self.path, header, claims, raw=False))[0], 401)
        with self.subTest("another key"):
            other, _ = key("ec-other")
            self.assertEqual(self.ask(jwt(other, header, claims))[0], 401)


class GoogleTest(unittest.TestCase):
    EMAIL = "sa@p.iam.gserviceaccount.com"

    def setUp(self):
        self.path, pem = key("rsa")
        F.register("google", {"accounts": {self.EMAIL: {"privateKey": pem}}})
        F.register("play", {"packages": {"com.x.app": {"accounts": [self.EMAIL]}}})

    def token(self, claims, grant=fakes.GOOGLE_JWT_BEARER, ctype="application/x-www-form-urlencoded", signer=None):
        assertion = jwt(signer or self.path, {"alg": "RS256", "typ": "JWT"}, claims)
        body = urllib.parse.urlencode({"grant_type": grant, "assertion": assertion})
        return call("google", "POST", "/token", {"Content-Type": ctype}, body)

    def test_rules(self):
        now = int(time.time())
        claims = {"iss": self.EMAIL, "scope": fakes.PLAY_SCOPE, "aud": F.providers["google"].token_url(),
                  "iat": now, "exp": now + 3600}
        status, _, body = self.token(claims)
        self.assertEqual(status, 200, body)
        access = body["access_token"]
        for label, kw, error in (("grant", {"grant": "client_credentials"}, "unsupported_grant_type"),
                                 ("json", {"ctype": "application/json"}, "invalid_request")):
            with self.subTest(label):
                status, _, body = self.token(claims, **kw)
                self.assertEqual((status, body["error"]), (400, error))
        for label, c, error in (("aud", dict(claims, aud="https://oauth2.googleapis.com/token"), "invalid_grant"),
                                ("lifetime", dict(claims, exp=now + 3601), "invalid_grant"),
                                ("iss", dict(claims, iss="x@p.iam.gserviceaccount.com"), "invalid_grant"),
                                ("scope", {k: v for k, v in claims.items() if k != "scope"}, "invalid_scope")):
            with self.subTest(label):
                status, _, body = self.token(c)
                self.assertEqual((status, body["error"]), (400, error))
        with self.subTest("signed by another key"):
            other, _ = key("rsa-other")
            status, _, body = self.token(claims, signer=other)
            self.assertEqual((status, body["error"]), (400, "invalid_grant"))
        status, _, edit = call("play", "POST", "/androidpublisher/v3/applications/com.x.app/edits",
                               {"Authorization": "Bearer " + access})
        self.assertEqual(status, 200)
        self.assertEqual(call("play", "DELETE", "/androidpublisher/v3/applications/com.x.app/edits/" + edit["id"],
                              {"Authorization": "Bearer " + access})[0], 204)
        self.assertEqual(call("play", "POST", "/androidpublisher/v3/applications/com.y/edits",
                              {"Authorization": "Bearer " + access})[0], 404)
        status, _, fb = self.token(dict(claims, scope="https://www.googleapis.com/auth/firebase"))
        self.assertEqual(call("play", "POST", "/androidpublisher/v3/applications/com.x.app/edits",
                              {"Authorization": "Bearer " + fb["access_token"]})[0], 403, "a token of another scope")


class SlackJenkinsSmtpTest(unittest.TestCase):
    def test_slack_pages(self):
        F.register("slack", {"tokens": {"xoxb-selftest": {"team_id": "T1", "user_id": "UBOT"}},
                             "teams": {"T1": {"page_size": 2, "channels": [
                                 {"id": "C%d" % i, "name": "c%d" % i, "members": ["UBOT"]} for i in range(5)]}}})
        names, cursor = [], None
        for _ in range(5):
            q = "limit=200&types=public_channel,private_channel" + ("&cursor=" + cursor if cursor else "")
            status, _, body = call("slack", "GET", "/api/conversations.list?" + q,
                                   {"Authorization": "Bearer xoxb-selftest"})
            self.assertEqual((status, body["ok"]), (200, True))
            names += [c["name"] for c in body["channels"]]
            cursor = body["response_metadata"]["next_cursor"]
            if not cursor:
                break
        self.assertEqual(names, ["c0", "c1", "c2", "c3", "c4"])
        status, _, body = call("slack", "POST", "/api/auth.test", {"Authorization": "Bearer nope"})
        self.assertEqual((status, body), (200, {"ok": False, "error": "invalid_auth"}))

    def test_slack_lookup_by_email(self):
        """users.lookupByEmail as Slack answers it: users:read.email needed, users_not_found, a deactivated user."""
        F.register("slack", {"tokens": {"xoxb-lookup": {"team_id": "T2", "user_id": "UBOT2",
                                                        "scopes": "chat:write,users:read,users:read.email"},
                                        "xoxb-noscope": {"team_id": "T2", "user_id": "UBOT2"}},
                             "teams": {"T2": {"users": {"U0ANN00001": {"email": "ann@example.com", "name": "ann"},
                                                        "U0GONE0001": {"email": "gone@example.com", "deleted": True}}}}})
        ask = lambda token, address: call("slack", "GET", "/api/users.lookupByEmail?email=" + address,  # noqa: E731
                                          {"Authorization": "Bearer " + token})
        status, _, body = ask("xoxb-lookup", "ANN@example.com")
        self.assertEqual((status, body["ok"], body["user"]["id"], body["user"]["deleted"]), (200, True, "U0ANN00001", False))
        self.assertTrue(ask("xoxb-lookup", "gone@example.com")[2]["user"]["deleted"])
        self.assertEqual(ask("xoxb-lookup", "nobody@example.com")[2], {"ok": False, "error": "users_not_found"})
        body = ask("xoxb-noscope", "ann@example.com")[2]
        self.assertEqual((body["error"], body["needed"]), ("missing_scope", "users:read.email"))
        self.assertEqual(ask("nope", "ann@example.com")[2]["error"], "invalid_auth")

    def test_jenkins_crumb_on_post(self):
        F.register("jenkins", {"users": {"u": {"tokens": ["t0123456789"]}}})
        auth = {"Authorization": "Basic " + base64.b64encode(b"u:t0123456789").decode()}
        self.assertEqual(call("jenkins", "GET", "/api/json", auth)[0], 200)
        self.assertEqual(call("jenkins", "GET", "/api/json")[0], 403, "anonymous")
        self.assertEqual(call("jenkins", "POST", "/job/a/build", auth)[0], 403, "POST without the crumb")

    def test_teams_card_schema(self):
        """Teams refuses a card it cannot render: an unknown element, a TextBlock without text, a value outside an
        enumeration, an action without its url, a version past 1.5, a message over 28 KB."""
        def card(body, actions=(), version="1.4"):
            return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                         "content": {"type": "AdaptiveCard", "version": version,
                                                                     "body": body, "actions": list(actions)}}]}
        post = lambda msg: call("webhooks", "POST", "/webhookb2/selftest", {"Content-Type": "application/json"},  # noqa: E731
                                json.dumps(msg))[0]
        good = [{"type": "TextBlock", "text": "Release 1.2.0", "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "FactSet", "facts": [{"title": "Branch", "value": "release/1.2.0"}]}]
        self.assertEqual(post(card(good, [{"type": "Action.OpenUrl", "title": "Open", "url": "https://x.example"}])), 200)
        for why, msg in [("unknown element", card([{"type": "Marquee", "text": "x"}])),
                         ("TextBlock without text", card([{"type": "TextBlock", "wrap": True}])),
                         ("weight outside its enumeration", card([{"type": "TextBlock", "text": "x", "weight": "Heavy"}])),
                         ("a fact that is not a string", card([{"type": "FactSet", "facts": [{"title": "n", "value": 1}]}])),
                         ("OpenUrl without its url", card(good, [{"type": "Action.OpenUrl", "title": "Open"}])),
                         ("a version Teams does not render", card(good, version="1.6")),
                         ("over 28 KB", card([{"type": "TextBlock", "text": "x" * 29000}]))]:
            self.assertEqual(post(msg), 400, why)

    def test_linear_validates_graphql(self):
        """Linear validates a query before it runs: unbalanced braces, an undeclared variable, a required one not
        given are 400 GRAPHQL_VALIDATION_FAILED, whatever the key; a valid query with a good key answers."""
        F.register("linear", {"keys": {"lin_api_selftest": {"teams": []}}})
        ask = lambda query, variables=None: call("linear", "POST", "/graphql", {  # noqa: E731
            "Content-Type": "application/json", "Authorization": "lin_api_selftest"},
            json.dumps({"query": query, "variables": variables or {}}))
        status, _, body = ask("query { viewer { id name } }")
        self.assertEqual((status, sorted(body["data"]["viewer"])), (200, ["id", "name"]))
        for why, query, variables in [("unbalanced", "query { viewer { id }", {}),
                                      ("undeclared", "query { team(id: $team) { key } }", {"team": "T"}),
                                      ("required, not given", "query T($team: String!) { team(id: $team) { key } }", {})]:
            status, _, body = ask(query, variables)
            self.assertEqual((status, body["errors"][0]["extensions"]["code"]), (400, "GRAPHQL_VALIDATION_FAILED"), why)

    def test_smtp_auth_needs_tls(self):
        F.register("smtp", {"users": {"u": "p0123456789"}})
        c = smtplib.SMTP("127.0.0.1", F.smtp.port, timeout=5)
        try:
            c.ehlo()
            self.assertNotIn("auth", c.esmtp_features, "no AUTH offered before STARTTLS")
            self.assertEqual(c.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0u\0p0123456789").decode())[0], 530)
            c.starttls(context=ssl.create_default_context(cafile=F.ca))
            c.ehlo()
            self.assertEqual(c.login("u", "p0123456789")[0], 235)
        finally:
            c.quit()


HEAD = "1" * 40
OTHER = "2" * 40


class RefsTest(unittest.TestCase):
    """Kickoff's ref calls on the four SCM fakes: resolve a ref, read a branch and a tag, make each once (again: the
    provider's own refusal, nothing made twice), refuse an unknown commit and a token that may not push."""

    REPO = {"branches": {"main": HEAD}, "commits": [HEAD, OTHER]}

    def made(self, provider, key, full):
        fake = F.providers[provider]
        with fake.lock:
            return list(fake.data[key][full].get("made", []))

    def check(self, provider, key, full, headers, resolve, read, make, exists, unknown):
        """headers(writer): a token's headers (one that may push, or one that may not); resolve a path; read the
        paths of a branch and a tag ({} the name); make the (path, body) of each; exists the provider's status for a
        ref that exists; unknown the body's fields naming a commit that does not exist."""
        def ask(method, path, body=None, writer=True):
            h = dict(headers(writer), **{"Content-Type": "application/json"})
            status, _, data = call(provider, method, path, h, json.dumps(body) if body is not None else None)
            return status, data

        status, body = ask("GET", resolve)
        self.assertEqual((status, HEAD in json.dumps(body)), (200, True), body)
        self.assertEqual(ask("GET", read[0].format("nope"))[0], 404, "an unknown branch")
        for kind, (path, fields) in (("branches", make[0]), ("tags", make[1])):
            with self.subTest(kind=kind):
                status, body = ask("POST", path, fields)
                self.assertEqual(status, 201, body)
                self.assertEqual(ask("POST", path, fields)[0], exists, "the ref exists")
                self.assertIn(ask("POST", path, dict(fields, **unknown))[0], (400, 404, 422), "an unknown commit")
                self.assertEqual(ask("POST", path, fields, writer=False)[0], 403, "a token that may not push")
        for path in (read[0].format("release/1.0.0"), read[1].format("v1.0.0-rc.1")):
            status, body = ask("GET", path)
            self.assertEqual((status, HEAD in json.dumps(body)), (200, True), body)
        self.assertEqual(sorted(m[:2] for m in self.made(provider, key, full)),
                         [["branches", "release/1.0.0"], ["tags", "v1.0.0-rc.1"]], "each made once")

    def test_github(self):
        F.register("github", {"tokens": {"ghp_w": {"login": "w", "scopes": "repo", "repos": {"o/r": {"pull": True,
                                                                                                     "push": True}}},
                                         "ghp_r": {"login": "r", "scopes": "repo", "repos": {"o/r": {"pull": True}}}},
                              "repos": {"o/r": dict(self.REPO)}})
        self.check("github", "repos", "o/r",
                   lambda writer: {"User-Agent": "t", "Authorization": "Bearer " + ("ghp_w" if writer else "ghp_r"),
                                   "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
                   "/repos/o/r/commits/main", ("/repos/o/r/git/ref/heads/{}", "/repos/o/r/git/ref/tags/{}"),
                   (("/repos/o/r/git/refs", {"ref": "refs/heads/release/1.0.0", "sha": HEAD}),
                    ("/repos/o/r/git/refs", {"ref": "refs/tags/v1.0.0-rc.1", "sha": HEAD})),
                   422, {"sha": "3" * 40})

    def test_gitlab(self):
        F.register("gitlab", {"tokens": {"glpat-w": {"username": "w", "projects": {"g/p": {"project_access": 30}}},
                                         "glpat-r": {"username": "r", "projects": {"g/p": {"project_access": 20}}}},
                              "projects": {"g/p": dict(self.REPO, id=77)}})
        base = "/api/v4/projects/g%2Fp/repository"
        self.check("gitlab", "projects", "g/p", lambda writer: {"PRIVATE-TOKEN": "glpat-w" if writer else "glpat-r"},
                   base + "/commits/main", (base + "/branches/{}", base + "/tags/{}"),
                   ((base + "/branches", {"branch": "release/1.0.0", "ref": HEAD}),
                    (base + "/tags", {"tag_name": "v1.0.0-rc.1", "ref": HEAD})),
                   400, {"ref": "3" * 40})

    def test_bitbucket(self):
        F.register("bitbucket", {"tokens": {"bb-w": {"username": "w", "repos": ["ws/r"]},
                                            "bb-r": {"username": "r", "repos": ["ws/r"], "readonly": True}},
                                 "repos": {"ws/r": dict(self.REPO)}})
        base = "/2.0/repositories/ws/r"
        self.check("bitbucket", "repos", "ws/r",
                   lambda writer: {"Authorization": "Bearer " + ("bb-w" if writer else "bb-r")},
                   base + "/commit/main", (base + "/refs/branches/{}", base + "/refs/tags/{}"),
                   ((base + "/refs/branches", {"name": "release/1.0.0", "target": {"hash": HEAD}}),
                    (base + "/refs/tags", {"name": "v1.0.0-rc.1", "target": {"hash": HEAD}})),
                   400, {"target": {"hash": "3" * 40}})

    def test_gitea(self):
        F.register("gitea", {"tokens": {"gt-w": {"login": "w", "repos": {"o/r": {"pull": True, "push": True}}},
                                        "gt-r": {"login": "r", "repos": {"o/r": {"pull": True}}}},
                             "repos": {"o/r": dict(self.REPO)}})
        base = "/api/v1/repos/o/r"
        self.check("gitea", "repos", "o/r", lambda writer: {"Authorization": "token " + ("gt-w" if writer else "gt-r")},
                   base + "/commits?sha=main&limit=1", (base + "/branches/{}", base + "/tags/{}"),
                   ((base + "/branches", {"new_branch_name": "release/1.0.0", "old_ref_name": HEAD}),
                    (base + "/tags", {"tag_name": "v1.0.0-rc.1", "target": HEAD})),
                   409, {"old_ref_name": "3" * 40, "target": "3" * 40})


class ListingTest(unittest.TestCase):
    """The SCM fakes' repository listings (issue 17): each walks every page by the provider's own way of naming the
    next one (GitHub and Gitea a Link header, GitLab X-Next-Page, Bitbucket "next" in the body); each OAuth token
    endpoint spends a refresh token once for a new access token that lists the same repositories."""

    NAMES = ["o/r%02d" % i for i in range(5)]

    def walk(self, provider, path, headers, items, follow):
        """Every full name the pages list, following follow(headers, body) -> the next path or None."""
        names, pages = [], 0
        while path:
            status, got, body = call(provider, "GET", path, headers)
            self.assertEqual(status, 200, body)
            names += [r.get("full_name") or r.get("path_with_namespace") for r in items(body)]
            pages += 1
            path = follow(got, body)
            if path and path.startswith("https://"):
                path = "/" + path.split("/", 3)[3]
        return names, pages

    @staticmethod
    def link_next(headers, body):
        for part in (headers.get("link") or "").split(","):
            if 'rel="next"' in part:
                return part.split(";")[0].strip().strip("<>")
        return None

    def refresh(self, provider, path, access):
        F.providers[provider].data["refresh_tokens"] = {"rt-1": access}
        F.providers[provider].data["clients"] = {"app-1": "app-secret"}
        form = "grant_type=refresh_token&refresh_token=rt-1"
        unknown = call(provider, "POST", path, {"Content-Type": "application/x-www-form-urlencoded"}, form)
        self.assertEqual((unknown[0], unknown[2].get("error")), (401, "invalid_client"), "no client, no refresh")
        form += "&client_id=app-1&client_secret=app-secret"
        status, _, body = call(provider, "POST", path, {"Content-Type": "application/x-www-form-urlencoded"}, form)
        self.assertEqual((status, sorted(body)), (200, ["access_token", "created_at", "expires_in", "refresh_token",
                                                        "scope", "token_type"]), body)
        again = call(provider, "POST", path, {"Content-Type": "application/x-www-form-urlencoded"}, form)
        self.assertEqual((again[0], again[2].get("error")), (400, "invalid_grant"), "a refresh token is spent once")
        return body["access_token"]

    def test_github(self):
        F.register("github", {"tokens": {"ghp_l": {"login": "l", "repos": {n: {"pull": True} for n in self.NAMES}}}})
        headers = {"User-Agent": "t", "Authorization": "Bearer ghp_l"}
        self.assertEqual(self.walk("github", "/user/repos?per_page=2", headers, lambda b: b, self.link_next),
                         (self.NAMES, 3))
        status, got, _ = call("github", "GET", "/user/repos", headers)
        self.assertEqual((status, "link" in got), (200, False), "one page: no Link")

    def test_gitlab(self):
        F.register("gitlab", {"tokens": {"glpat-l": {"username": "l", "projects": {n: {"project_access": 30}
                                                                                   for n in self.NAMES}}}})
        nxt = lambda h, b: ("/api/v4/projects?membership=true&per_page=2&page=" + h["x-next-page"]
                            if h.get("x-next-page") else None)
        self.assertEqual(self.walk("gitlab", "/api/v4/projects?membership=true&per_page=2",
                                   {"PRIVATE-TOKEN": "glpat-l"}, lambda b: b, nxt), (self.NAMES, 3))
        self.assertEqual(self.walk("gitlab", "/api/v4/projects?membership=true&per_page=2",
                                   {"PRIVATE-TOKEN": "glpat-l"}, lambda b: b, self.link_next), (self.NAMES, 3))
        access = self.refresh("gitlab", "/oauth/token", "glpat-l")
        self.assertEqual(call("gitlab", "GET", "/api/v4/projects?membership=true",
                              {"Authorization": "Bearer " + access})[0], 200)

    def test_gitea(self):
        F.register("gitea", {"tokens": {"gt-l": {"login": "l", "repos": {n: {"pull": True} for n in self.NAMES}}}})
        headers = {"Authorization": "token gt-l"}
        self.assertEqual(self.walk("gitea", "/api/v1/user/repos?limit=2", headers, lambda b: b, self.link_next),
                         (self.NAMES, 3))
        access = self.refresh("gitea", "/login/oauth/access_token", "gt-l")
        self.assertEqual(call("gitea", "GET", "/api/v1/user/repos", {"Authorization": "token " + access})[0], 200)

    def test_bitbucket(self):
        F.register("bitbucket", {"tokens": {"bb-l": {"username": "l", "repos": list(self.NAMES)}}})
        headers = {"Authorization": "Bearer bb-l"}
        self.assertEqual(self.walk("bitbucket", "/2.0/repositories?role=member&pagelen=2", headers,
                                   lambda b: b["values"], lambda h, b: b.get("next")), (self.NAMES, 3))
        access = self.refresh("bitbucket", "/site/oauth2/access_token", "bb-l")
        self.assertEqual(call("bitbucket", "GET", "/2.0/repositories", {"Authorization": "Bearer " + access})[0], 200)
        self.assertEqual(F.providers["bitbucket"].data["refreshes"], 1)


class BuildsTest(unittest.TestCase):
    """The CI calls of the release builds: a run started, found by its correlation id, read, then finished by the
    control plane, which sends the provider's build event, signed, to the URL it is given."""

    def setUp(self):
        import http.server
        self.got = []

        class Hook(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(inner):
                raw = inner.rfile.read(int(inner.headers["Content-Length"]))
                self.got.append((inner.path, {k.lower(): v for k, v in inner.headers.items()}, raw))
                inner.send_response(202)
                inner.send_header("Content-Length", "0")
                inner.end_headers()

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.hook = {"url": "http://127.0.0.1:%d/hooks/v1/h1" % self.server.server_address[1], "secret": "s3cret"}

    def tearDown(self):
        self.server.shutdown()
        self.server.server_close()

    def finish(self, provider, run_id, **body):
        return F.providers[provider].finish_run(run_id, dict(body, webhook=self.hook))

    def test_github_actions(self):
        import fakebase
        F.register("github", {"tokens": {"ghp_b": {"login": "b", "repos": {"o/b": {"pull": True, "push": True}}}},
                              "repos": {"o/b": {"branches": {"release/1.0.0": HEAD}, "workflows": ["ios.yml", "x.yml"],
                                                "no_dispatch": ["x.yml"]}}})
        h = {"User-Agent": "t", "Authorization": "Bearer ghp_b", "Content-Type": "application/json"}
        base = "/repos/o/b/actions/workflows/"
        inputs = {"version": "1.0.0", "slipway_build_id": "corr-1"}
        status, _, body = call("github", "POST", base + "ios.yml/dispatches", h,
                               json.dumps({"ref": "release/1.0.0", "inputs": inputs}))
        self.assertEqual((status, body), (204, ""))
        self.assertEqual(call("github", "POST", base + "x.yml/dispatches", h,
                              json.dumps({"ref": "release/1.0.0"}))[0], 422, "no workflow_dispatch trigger")
        self.assertEqual(call("github", "POST", base + "ios.yml/dispatches", h,
                              json.dumps({"ref": "nope"}))[0], 422, "an unknown ref")
        status, _, body = call("github", "GET", base + "ios.yml/runs?branch=release/1.0.0&event=workflow_dispatch", h)
        run = body["workflow_runs"][0]
        self.assertEqual((status, body["total_count"], run["display_title"], run["status"]), (200, 1, "corr-1", "queued"))
        self.finish("github", run["id"], conclusion="failure")
        status, _, body = call("github", "GET", "/repos/o/b/actions/runs/%d" % run["id"], h)
        self.assertEqual((body["status"], body["conclusion"]), ("completed", "failure"))
        path, headers, raw = self.got[0]
        self.assertEqual((path, headers["x-github-event"]), ("/hooks/v1/h1", "workflow_run"))
        self.assertEqual(headers["x-hub-signature-256"], "sha256=" + fakebase.hmac_sha256_hex("s3cret", raw))
        self.assertEqual(json.loads(raw)["workflow_run"]["id"], run["id"])

    def test_gitlab_ci(self):
        F.register("gitlab", {"tokens": {"glpat-b": {"username": "b", "projects": {"g/b": {"project_access": 30}}}},
                              "projects": {"g/b": {"id": 78, "branches": {"release/1.0.0": HEAD}}}})
        h = {"PRIVATE-TOKEN": "glpat-b", "Content-Type": "application/json"}
        base = "/api/v4/projects/g%2Fb/"
        status, _, made = call("gitlab", "POST", base + "pipeline", h, json.dumps(
            {"ref": "release/1.0.0", "variables": [{"key": "slipway_build_id", "value": "corr-2"}]}))
        self.assertEqual((status, made["name"], made["status"]), (201, "corr-2", "created"))
        self.assertEqual(call("gitlab", "POST", base + "pipeline", h, json.dumps({"ref": "nope"}))[0], 400)
        status, _, listed = call("gitlab", "GET", base + "pipelines?ref=release%2F1.0.0&name=corr-2", h)
        self.assertEqual([p["id"] for p in listed], [made["id"]])
        self.assertEqual(call("gitlab", "GET", base + "pipelines?name=other", h)[2], [])
        self.finish("gitlab", made["id"])
        self.assertEqual(call("gitlab", "GET", base + "pipelines/%d" % made["id"], h)[2]["status"], "success")
        path, headers, raw = self.got[0]
        self.assertEqual((headers["x-gitlab-event"], headers["x-gitlab-token"]), ("Pipeline Hook", "s3cret"))
        self.assertEqual(json.loads(raw)["object_attributes"]["id"], made["id"])


if __name__ == "__main__":
    unittest.main()
