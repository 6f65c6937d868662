"""What the fakes saw: each provider's protocol exactly as docs/verification.md
"What each verification does" says (methods, paths, headers, JWT headers and
claims, the grant type, the crumb, SMTP's STARTTLS before AUTH), and no
secret in any answer."""

import base64
import json
import time
import unittest
import urllib.parse

import integration_fixtures as fx
import verify_fixtures as vf
from verify_fixtures import VerifyTest, assert_answer, build


def tearDownModule():
    vf.stop_servers()


def header(entry, name):
    values = [v for k, v in entry["headers"] if k.lower() == name.lower()]
    return values[0] if len(values) == 1 else (values or None)


def basic(user, password):
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


class ProtocolTest(VerifyTest):
    def valid(self, case, **kw):
        """A VALID config check; returns (answer, the requests the fakes saw, in order)."""
        body = assert_answer(self, self.ctx.verify_config(case.kind, case.config(), **kw), "VALID", "VALID",
                             self.secrets_of(case))
        seen = [e for e in self.wire() if "method" in e]
        return body, seen

    def calls(self, seen):
        return [(e["provider"], e["method"], e["path"]) for e in seen]

    def assert_headers(self, seen, **expected):
        for e in seen:
            for name, value in expected.items():
                self.assertEqual(header(e, name.replace("_", "-")), value,
                                 "%s %s: header %s" % (e["method"], e["path"], name.replace("_", "-")))

    # -- SCM -------------------------------------------------------------------------

    def test_github(self):
        case = build(self.ctx, "GITHUB", scopes="repo, workflow")
        body, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("github", "GET", "/user"),
                                            ("github", "GET", "/repos/%s/%s" % (case.info["org"], case.info["repo"]))])
        self.assert_headers(seen, Authorization="Bearer " + case.info["token"], Accept=vf.GITHUB_ACCEPT,
                            X_GitHub_Api_Version=vf.GITHUB_API_VERSION, User_Agent=vf.USER_AGENT)
        details = vf.words(body["details"])
        self.assertTrue(any(case.info["login"] in w for w in details), "details: the login")
        self.assertTrue(any("workflow" in w for w in details), "details: the scopes (X-OAuth-Scopes)")
        self.assertTrue(any("push" in w for w in details), "details: the repository permissions")

    def test_gitlab(self):
        case = build(self.ctx, "GITLAB")
        _, seen = self.valid(case)
        full = case.info["org"] + "/" + case.info["repo"]
        self.assertEqual([(e["method"], e["path"].lower()) for e in seen],
                         [("GET", "/api/v4/user"), ("GET", "/api/v4/projects/" + urllib.parse.quote(full, safe="")
                                                    .lower())], "the project path is URL-encoded (%2F)")
        self.assert_headers(seen, PRIVATE_TOKEN=case.info["token"])

    def test_bitbucket(self):
        case = build(self.ctx, "BITBUCKET")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("bitbucket", "GET", "/2.0/user"),
                                            ("bitbucket", "GET", "/2.0/repositories/%s/%s"
                                             % (case.info["org"], case.info["repo"]))])
        self.assert_headers(seen, Authorization="Bearer " + case.info["token"])

    def test_gitea(self):
        case = build(self.ctx, "GITEA")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("gitea", "GET", "/api/v1/user"),
                                            ("gitea", "GET", "/api/v1/repos/%s/%s"
                                             % (case.info["org"], case.info["repo"]))])
        self.assert_headers(seen, Authorization="token " + case.info["token"])

    # -- targets -----------------------------------------------------------------------

    def test_app_store_jwt(self):
        case = build(self.ctx, "APP_STORE")
        started = int(time.time())
        body, seen = self.valid(case)
        ended = int(time.time())
        self.assertEqual(self.calls(seen), [("appstore", "GET", "/v1/apps")])
        e = seen[0]
        params = urllib.parse.parse_qs(e["query"])
        self.assertEqual(params, {"filter[bundleId]": [case.info["bundle"]], "limit": ["1"]}, e["query"])
        jwt = e["notes"]["jwt"]
        self.assertTrue(jwt["ok"], jwt)
        self.assertTrue(jwt["signatureVerified"], "the ES256 signature (raw R||S) verifies with the key")
        self.assertEqual(jwt["header"], {"alg": "ES256", "kid": case.info["kid"], "typ": "JWT"})
        claims = jwt["claims"]
        self.assertEqual(sorted(claims), ["aud", "exp", "iat", "iss"], claims)
        self.assertEqual(claims["iss"], case.info["issuer"])
        self.assertEqual(claims["aud"], "appstoreconnect-v1")
        self.assertTrue(started - 2 <= claims["iat"] <= ended + 2, "iat is now")
        self.assertEqual(claims["exp"], claims["iat"] + 1200, "exp is iat + 1200")
        self.assertTrue(any(case.info["app_name"] in w for w in vf.words(body["details"])), "details: the app name")

    def check_google_token(self, entry, email, scope):
        self.assertEqual((entry["method"], entry["path"]), ("POST", "/token"))
        self.assertEqual((header(entry, "Content-Type") or "").split(";")[0].strip(),
                         "application/x-www-form-urlencoded")
        form = urllib.parse.parse_qs(entry["body"], keep_blank_values=True)
        self.assertEqual(sorted(form), ["assertion", "grant_type"], entry["body"][:200])
        self.assertEqual(form["grant_type"], [vf.JWT_BEARER])
        jwt = entry["notes"]["jwt"]
        self.assertTrue(jwt["ok"] and jwt["signatureVerified"], jwt)
        self.assertEqual(jwt["header"].get("alg"), "RS256")
        self.assertEqual(jwt["header"].get("typ", "JWT"), "JWT")
        claims = jwt["claims"]
        self.assertEqual(claims["iss"], email)
        self.assertEqual(claims["scope"], scope)
        self.assertEqual(claims["aud"], self.fakes.google_token_url, "aud is the token URL")
        self.assertEqual(claims["exp"], claims["iat"] + 3600)
        self.assertLessEqual(abs(claims["iat"] - time.time()), 60, "iat is now")
        self.assertEqual(entry["status"], 200)
        return json.loads(entry["responseBody"])["access_token"]

    def test_play_store(self):
        case = build(self.ctx, "PLAY_STORE")
        _, seen = self.valid(case)
        pkg = case.info["package"]
        self.assertEqual(len(seen), 3, self.calls(seen))
        access = self.check_google_token(seen[0], case.info["email"], vf.PLAY_SCOPE)
        insert, delete = seen[1], seen[2]
        self.assertEqual((insert["provider"], insert["method"], insert["path"]),
                         ("play", "POST", "/androidpublisher/v3/applications/%s/edits" % pkg))
        edit = insert["notes"]["editId"]
        self.assertEqual((delete["provider"], delete["method"], delete["path"]),
                         ("play", "DELETE", "/androidpublisher/v3/applications/%s/edits/%s" % (pkg, edit)),
                         "the edit it answered is deleted")
        self.assert_headers([insert, delete], Authorization="Bearer " + access)
        self.assertTrue(self.fakes.data("play")["edits"][edit]["deleted"])

    def test_firebase(self):
        for platform, collection in (("android", "androidApps"), ("ios", "iosApps"), ("web", "webApps")):
            with self.subTest(platform=platform):
                self.mark = self.fakes.mark()
                case = build(self.ctx, "FIREBASE", platform=platform)
                _, seen = self.valid(case)
                self.assertEqual(len(seen), 2, self.calls(seen))
                access = self.check_google_token(seen[0], case.info["email"], vf.FIREBASE_SCOPE)
                e = seen[1]
                self.assertEqual(e["provider"], "firebase")
                self.assertEqual(e["method"], "GET")
                self.assertEqual([urllib.parse.unquote(p) for p in e["path"].split("/")],
                                 ["", "v1beta1", "projects", case.info["project"], collection, case.info["app_id"]])
                self.assertEqual(header(e, "Authorization"), "Bearer " + access)

    # -- pipelines -----------------------------------------------------------------------

    def test_jenkins_with_crumbs(self):
        case = build(self.ctx, "JENKINS")
        _, seen = self.valid(case)
        a, b = case.info["job"].split("/")
        self.assertEqual(self.calls(seen), [("jenkins", "GET", "/crumbIssuer/api/json"), ("jenkins", "GET", "/api/json"),
                                            ("jenkins", "GET", "/job/%s/job/%s/api/json" % (a, b))])
        self.assert_headers(seen, Authorization=basic(case.info["user"], case.info["token"]))
        crumb = self.fakes.data("jenkins")["crumb"]
        self.assertIsNone(header(seen[0], "Jenkins-Crumb"))
        for e in seen[1:]:
            self.assertEqual(header(e, "Jenkins-Crumb"), crumb, "the crumb goes on later calls, in crumbRequestField")

    def test_jenkins_without_crumbs(self):
        case = build(self.ctx, "JENKINS", crumbs=False)
        try:
            _, seen = self.valid(case)
        finally:
            self.fakes.register("jenkins", {"crumbs": True})
        self.assertEqual(seen[0]["path"], "/crumbIssuer/api/json")
        self.assertEqual(seen[0]["status"], 404)
        self.assertEqual([e["path"] for e in seen[1:]], ["/api/json", "/job/%s/job/%s/api/json"
                                                         % tuple(case.info["job"].split("/"))])
        for e in seen[1:]:
            self.assertIsNone(header(e, "Jenkins-Crumb"))

    def test_jenkins_crumb_field_from_the_answer(self):
        """The crumb goes in the header the crumb issuer names (crumbRequestField), e.g. an older ".crumb"."""
        self.fakes.register("jenkins", {"crumbField": ".crumb"})
        try:
            case = build(self.ctx, "JENKINS")
            _, seen = self.valid(case)
        finally:
            self.fakes.register("jenkins", {"crumbField": "Jenkins-Crumb"})
        crumb = self.fakes.data("jenkins")["crumb"]
        for e in seen[1:]:
            self.assertEqual(header(e, ".crumb"), crumb, "%s carries the crumb in .crumb" % e["path"])

    def test_github_actions(self):
        case = build(self.ctx, "GITHUB_ACTIONS")
        _, seen = self.valid(case)
        wanted = ("github", "GET", "/repos/%s/%s/actions/workflows/%s"
                  % (case.info["org"], case.info["repo"], case.info["workflow"]))
        self.assertIn(wanted, self.calls(seen))
        self.assert_headers(seen, Authorization="Bearer " + case.info["token"], Accept=vf.GITHUB_ACCEPT,
                            X_GitHub_Api_Version=vf.GITHUB_API_VERSION, User_Agent=vf.USER_AGENT)

    def test_gitlab_ci(self):
        case = build(self.ctx, "GITLAB_CI")
        _, seen = self.valid(case)
        full = case.info["org"] + "/" + case.info["repo"]
        ids = {urllib.parse.quote(full, safe="").lower(), str(case.info["pid"])}
        pipelines = [e for e in seen if e["path"].endswith("/pipelines")]
        self.assertEqual(len(pipelines), 1, self.calls(seen))
        e = pipelines[0]
        self.assertIn(e["path"].split("/")[4].lower(), ids, "the SCM's project")
        self.assertEqual(urllib.parse.parse_qs(e["query"]), {"per_page": ["1"]})
        self.assert_headers(seen, PRIVATE_TOKEN=case.info["token"])

    def test_circleci(self):
        case = build(self.ctx, "CIRCLECI")
        _, seen = self.valid(case)
        self.assertEqual(len(seen), 1, self.calls(seen))
        self.assertEqual(seen[0]["method"], "GET")
        self.assertEqual(urllib.parse.unquote(seen[0]["path"]), "/api/v2/project/" + case.info["slug"])
        self.assert_headers(seen, Circle_Token=case.info["token"])
        self.assertIsNone(header(seen[0], "Authorization"))

    # -- communication ---------------------------------------------------------------------

    def test_slack_channel_names_follow_the_cursor(self):
        case = build(self.ctx, "SLACK")
        _, seen = self.valid(case)
        self.assertEqual((seen[0]["method"], seen[0]["path"]), ("POST", "/api/auth.test"))
        self.assert_headers(seen, Authorization="Bearer " + case.info["token"])
        lists = [e for e in seen if e["path"] == "/api/conversations.list"]
        self.assertGreaterEqual(len(lists), 3, "three pages of two channels: the cursor is followed")
        previous, followed = None, 0
        for e in lists:
            self.assertEqual(e["method"], "GET")
            params = urllib.parse.parse_qs(e["query"])
            self.assertEqual(params.get("limit"), ["200"])
            self.assertEqual(params.get("types"), ["public_channel,private_channel"])
            cursor = params.get("cursor", [None])[0]
            self.assertIn(cursor, (None, previous), "a page starts a walk or asks for the previous next_cursor")
            followed += cursor is not None
            previous = json.loads(e["responseBody"])["response_metadata"]["next_cursor"] or None
        self.assertGreaterEqual(followed, 2, "dev-team is on the third page: two cursors followed")

    def test_slack_channel_ids(self):
        tok, chans, _ = vf.slack_team(self.ctx)
        body = fx.valid_body("SLACK", slackBotToken=tok, slackChannels=[chans["releases"]["id"],
                                                                        chans["dev-team"]["id"]])
        _, seen = self.valid(vf.Case("SLACK", body, [tok], ["slack"], tok))
        infos = [urllib.parse.parse_qs(e["query"]).get("channel") for e in seen
                 if e["path"] == "/api/conversations.info"]
        self.assertEqual(sorted(infos), sorted([[chans["releases"]["id"]], [chans["dev-team"]["id"]]]))
        self.assertFalse([e for e in seen if e["path"] == "/api/conversations.list"])

    def test_email(self):
        case = build(self.ctx, "EMAIL")
        self.valid(case)
        sessions = [e["session"] for e in self.wire("smtp")]
        self.assertEqual(len(sessions), 1)
        cmds = [c.split(" ")[0].upper() for c in sessions[0]["commands"]]
        self.assertIn("STARTTLS", cmds)
        self.assertIn("AUTH", cmds)
        self.assertLess(cmds.index("STARTTLS"), cmds.index("AUTH"), "STARTTLS before AUTH")
        self.assertIn("NOOP", cmds)
        self.assertEqual(sessions[0]["auth"], case.info["user"])
        self.assertEqual(sessions[0]["messages"], [])

    def test_teams_and_code_signing_call_nobody(self):
        for type_ in vf.OFFLINE_TYPES:
            with self.subTest(type=type_):
                self.mark = self.fakes.mark()
                self.valid(build(self.ctx, type_))
                self.assertEqual(self.wire(), [])

    # -- tickets, test management -------------------------------------------------------------

    def test_jira(self):
        case = build(self.ctx, "JIRA")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("jira", "GET", "/rest/api/3/myself"),
                                            ("jira", "GET", "/rest/api/3/project/" + case.info["key"])])
        self.assert_headers(seen, Authorization=basic(case.info["email"], case.info["token"]))

    def test_linear(self):
        case = build(self.ctx, "LINEAR")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("linear", "POST", "/graphql")])
        e = seen[0]
        self.assertEqual(header(e, "Authorization"), case.info["key"], "the API key, without Bearer")
        self.assertEqual(e["notes"]["contentType"], "application/json")
        query = e["notes"]["query"]
        self.assertRegex(query, r"viewer\s*\{\s*id\s+name\s*\}")
        self.assertRegex(query, r"team\s*\(\s*id\s*:")
        self.assertEqual(e["notes"]["teamId"], case.info["team"], "the team asked for is linearTeamId")

    def test_azure_devops(self):
        case = build(self.ctx, "AZURE_DEVOPS")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("azure", "GET", "/%s/_apis/projects/%s"
                                             % (case.info["org"], case.info["project"]))])
        self.assertEqual(urllib.parse.parse_qs(seen[0]["query"]), {"api-version": ["7.0"]})
        self.assert_headers(seen, Authorization=basic("", case.info["pat"]))

    def test_testrail(self):
        case = build(self.ctx, "TEST_RAIL")
        _, seen = self.valid(case)
        self.assertEqual(self.calls(seen), [("testrail", "GET", "/index.php")])
        self.assertEqual(seen[0]["query"], "/api/v2/get_project/%d" % case.info["pid"])
        self.assert_headers(seen, Authorization=basic(case.info["user"], case.info["key"]),
                            Content_Type="application/json")


class NoSecretTest(VerifyTest):
    """No token, key or password in any answer of any outcome, nor in the server log (checked when the server
    stops: every credential the fakes saw is remembered as a secret)."""

    def test_every_type_and_outcome(self):
        for type_ in vf.KINDS:
            for label, kw in (("valid", {}), ("unknown credentials", {"creds": False}),
                              ("missing resource", {"resource": False})):
                if type_ in ("CODE_SIGNING",) and kw:
                    continue
                with self.subTest(type=type_, outcome=label):
                    case = build(self.ctx, type_, **kw)
                    resp = self.ctx.verify_config(case.kind, case.config())
                    assert_answer(self, resp, "ANY", None, self.secrets_of(case))
                    integ = self.ctx.create(case.body)
                    assert_answer(self, self.ctx.verify_stored(case.category, integ["id"]), "ANY", None,
                                  self.secrets_of(case))
                    obj = self.ctx.get(case.category, integ["id"])
                    vf.assert_no_secret(self, json.dumps(obj), self.secrets_of(case), "the stored integration")
        rows = self.ctx.audit(self)
        vf.assert_no_secret(self, json.dumps(rows), sorted(self.ctx.secrets), "the audit rows")
        log = self.server.log_text()
        vf.assert_no_secret(self, log, [s for s in self.ctx.secrets if "BEGIN" not in s], "the server log")


if __name__ == "__main__":
    unittest.main()
