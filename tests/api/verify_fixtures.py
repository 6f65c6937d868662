"""Shared material for the tests of integration verification (docs/verification.md).

- the provider fakes (tests/fakes/fakes.py): started in this process, or the
  ones a state file names (SLIPWAY_FAKES_STATE, from `fakes.py serve STATEFILE`),
  driven through their control plane (FakesClient);
- slipway servers whose every provider URL points at the fakes (or at a
  closed port: `dead=True`), trusting the fakes' CA, with small timeouts, and
  SLIPWAY_OUTBOUND_ALLOW=127.0.0.0/8 unless `allow=False`;
- Ctx: one server, a tenant with an owner (plus an editor and a viewer), and
  helpers for the three verify endpoints;
- build(ctx, TYPE, creds=..., resource=...): for every one of the 19 types,
  a valid create body whose credentials and resources are registered in the
  fakes (or deliberately not: unknown credentials, a missing repository,
  bundle id, package, job, channel, project...);
- the answer's assertions, and the secrets seen on the wire (JWTs, access
  tokens, Basic credentials) so no answer and no server log holds one.
"""

import atexit
import base64
import datetime
import json
import os
import re
import secrets
import string
import shutil
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

import harness
import integration_fixtures as fx

FAKES_DIR = os.path.join(harness.REPO_ROOT, "tests", "fakes")
if FAKES_DIR not in sys.path:
    sys.path.insert(0, FAKES_DIR)
import fakes as fakes_module  # noqa: E402

# Small timeouts keep the slow cases fast: a fake asked to be slow sleeps SLOW_SECONDS, past the timeout. 2 s, not
# 1: an App Store check (a JWT, then TLS to the fake) beside eleven others ran past 1 s under ASan on a loaded machine.
TIMEOUT_MS = int(os.environ.get("SLIPWAY_VERIFY_TEST_TIMEOUT_MS", "2000"))
SLOW_SECONDS = 3.0
USER_AGENT = "slipway/0.1"
GITHUB_ACCEPT = "application/vnd.github+json"
GITHUB_API_VERSION = "2022-11-28"
PLAY_SCOPE = fakes_module.PLAY_SCOPE
FIREBASE_SCOPE = "https://www.googleapis.com/auth/firebase"
JWT_BEARER = fakes_module.GOOGLE_JWT_BEARER

KINDS = {"GITHUB": "github", "GITLAB": "gitlab", "BITBUCKET": "bitbucket", "GITEA": "gitea", "APP_STORE": "appstore",
         "PLAY_STORE": "playstore", "FIREBASE": "firebase", "JENKINS": "jenkins", "GITHUB_ACTIONS": "github-actions",
         "GITLAB_CI": "gitlab-ci", "CIRCLECI": "circleci", "SLACK": "slack", "TEAMS": "teams", "EMAIL": "email",
         "JIRA": "jira", "LINEAR": "linear", "AZURE_DEVOPS": "azure-devops", "TEST_RAIL": "testrail",
         "CODE_SIGNING": "code-signing", "SENTRY": "sentry", "BUGSNAG": "bugsnag"}
TYPE_OF_KIND = {v: k for k, v in KINDS.items()}
OFFLINE_TYPES = ("TEAMS", "CODE_SIGNING")  # checked without any network call
NETWORK_TYPES = tuple(t for t in KINDS if t not in OFFLINE_TYPES)
# Types with a resource that can be missing (repository, bundle id, package, app, job, workflow, project, channel,
# team): the rest (EMAIL, TEAMS, CODE_SIGNING) have none.
RESOURCE_TYPES = tuple(t for t in NETWORK_TYPES if t != "EMAIL")
ANSWER_KEYS = ("success", "status", "message", "timestamp", "details", "verdict")
VERDICTS = ("VALID", "INVALID", "EXPIRED")
GITHUB_PERMS = {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True}


# --------------------------------------------------------------------------
# The fakes


class FakesClient:
    """The fakes' control plane (tests/fakes/fakes.py documents it)."""

    def __init__(self, state):
        self.state = state
        self.control = state["control"]
        self.ca = state["ca"]

    def _call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.control + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"} if data is not None else {})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read().decode())
        except urllib.error.HTTPError as e:
            raise AssertionError("fakes control %s %s: %s %s" % (method, path, e.code, e.read()[:500]))

    def url(self, provider):
        return self.state["providers"][provider]["url"]

    def env(self):
        return dict(self.state["env"])

    @property
    def smtp_port(self):
        return self.state["smtp"]["port"]

    @property
    def google_token_url(self):
        return self.state["googleTokenUrl"]

    def register(self, provider, patch):
        return self._call("POST", "/%s/data" % provider, patch)

    def data(self, provider):
        return self._call("GET", "/%s/data" % provider)

    def rule(self, provider, mode, **kw):
        """Switch the matching requests of a provider into a mode; returns the rule (its id)."""
        rule = dict(kw, mode=mode)
        made = self._call("POST", "/%s/rules" % provider, rule)
        made["provider"] = provider
        return made

    def drop(self, rule):
        self._call("DELETE", "/%s/rules/%s" % (rule["provider"], rule["id"]))

    def clear_rules(self, provider):
        self._call("DELETE", "/%s/rules" % provider)

    def mark(self):
        return self._call("GET", "/seq")["seq"]

    def requests(self, provider=None, since=0):
        path = ("/%s/requests" % provider) if provider else "/requests"
        return self._call("GET", "%s?since=%d" % (path, since))["items"]


_fakes = None
_client = None


def fakes():
    """The FakesClient of this process's fakes (started on first use) or of SLIPWAY_FAKES_STATE's."""
    global _fakes, _client
    if _client is None:
        state_file = os.environ.get("SLIPWAY_FAKES_STATE")
        if state_file:
            with open(state_file) as f:
                _client = FakesClient(json.load(f))
        else:
            _fakes = fakes_module.Fakes().start()
            atexit.register(_fakes.stop)
            _client = FakesClient(_fakes.state())
    return _client


def closed_port():
    """A port nothing listens on."""
    return harness.free_port()


# --------------------------------------------------------------------------
# slipway servers


def server_env(client, allow=True, dead_port=None, extra=None):
    """The environment of a slipway that calls the fakes (or, with dead_port, a closed port instead)."""
    env = dict(harness.SHARED_ENV)
    for var, value in client.env().items():
        if dead_port and var != "SLIPWAY_CA_BUNDLE":
            value = re.sub(r"^https://127\.0\.0\.1:\d+", "https://127.0.0.1:%d" % dead_port, value)
        env[var] = value
    env.update({"SLIPWAY_OUTBOUND_TIMEOUT": str(TIMEOUT_MS), "APPSTORE_CONNECT_TIMEOUT": str(TIMEOUT_MS),
                "PLAYSTORE_API_TIMEOUT": str(TIMEOUT_MS)})
    if allow:
        env["SLIPWAY_OUTBOUND_ALLOW"] = "127.0.0.0/8"
    env.update(extra or {})
    return env


def start_server(client, allow=True, dead=False, extra=None, unset=()):
    unset = tuple(unset) + (() if allow else ("SLIPWAY_OUTBOUND_ALLOW",))
    dead_port = closed_port() if dead else None
    server = fx.IntegrationServer(server_env(client, allow, dead_port, extra), unset=unset).start()
    server.dead_port = dead_port
    return server


class NoMigrateServer(fx.IntegrationServer):
    """A server on an already migrated database, started with `serve` alone (harness.Server runs `serve
    --migrate`, whose migration lease lets only one process start at a time)."""

    serve_args = ["serve"]


_servers = {}


def shared(kind="main"):
    """(server, FakesClient) shared by a test module: kind main (allow-list, live fakes), dead (every URL a closed
    port) or noallow (no SLIPWAY_OUTBOUND_ALLOW: 127.0.0.1 is refused)."""
    client = fakes()
    if kind not in _servers:
        _servers[kind] = start_server(client, allow=kind != "noallow", dead=kind == "dead")
    return _servers[kind], client


def stop_servers():
    """tearDownModule: stop (and check: exit 0, clean log, no secret in it) every server this module started."""
    errors = []
    for kind in list(_servers):
        try:
            _servers.pop(kind).stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        raise AssertionError("\n".join(errors))


# --------------------------------------------------------------------------
# A tenant on a server, and the verify endpoints


class Ctx:
    def __init__(self, server, client, org=None):
        """org: a harness.Org made otherwise (a server with instance mail invites members by mail); None: a new one."""
        self.server, self.fakes = server, client
        self.dead_port = getattr(server, "dead_port", None)
        self.org = org or harness.new_org(server)
        self.tenant_id = self.org.id
        self.token = self.org.owner.token
        self._target = None
        self._tenants = {}
        self.secrets = set()

    # -- where the providers are, for the types that take a URL ------------------

    def url(self, provider):
        if self.dead_port:
            return "https://127.0.0.1:%d" % self.dead_port
        return self.fakes.url(provider)

    def smtp_port(self):
        return self.dead_port or self.fakes.smtp_port

    # -- integrations ---------------------------------------------------------------

    def remember(self, *values):
        for v in values:
            if isinstance(v, str) and len(v) >= 8:
                self.secrets.add(v)
        fx.remember(self.server, *values)

    def create(self, body, tenant_id=None):
        """Create an integration.  A target goes to a fresh tenant of the same owner (a tenant has one target of
        each type, and the pipelines' PLAY_STORE target already lives in self.tenant_id)."""
        self.remember(*fx.body_secrets(body["type"], body).values())
        if tenant_id is None and fx.category_of(body["type"]) == "targets":
            tenant_id = harness.new_tenant(self.server, self.token)["id"]
        tenant_id = tenant_id or self.tenant_id
        integ = fx.create_integration(self.server, self.token, tenant_id, body)
        self._tenants[integ["id"]] = tenant_id
        return integ

    def tenant_of(self, id):
        return self._tenants.get(id, self.tenant_id)

    def get(self, category, id):
        resp = self.server.request("GET", fx.ipath(self.tenant_of(id), category, id), token=self.token)
        if resp.status != 200:
            raise AssertionError("GET integration: %s" % resp)
        return resp.json

    def target(self):
        """The tenant's PLAY_STORE target (one per tenant: targets are unique per type)."""
        if self._target is None:
            self._target = self.create(fx.valid_body("PLAY_STORE"), tenant_id=self.tenant_id)
        return self._target

    def scm(self, type_="GITHUB", **overrides):
        return self.create(fx.valid_body(type_, **overrides))

    # -- the endpoints ----------------------------------------------------------------

    def verify_stored(self, category, id, body=None, token=None, **kw):
        return self.server.request("POST", fx.ipath(self.tenant_of(id), category, id) + "/verify", body=body,
                                   token=token or self.token, **kw)

    def verify_setup(self, kind, body, token=None, **kw):
        if isinstance(body, dict) and isinstance(body.get("config"), dict):
            type_ = TYPE_OF_KIND.get(kind)
            if type_:
                self.remember(*fx.body_secrets(type_, body["config"]).values())
        return self.server.request("POST", "/api/v1/setup/verify-%s" % kind, body=body, token=token or self.token,
                                   **kw)

    def verify_config(self, kind, config, send_test=None, tenant_id=None, token=None):
        body = {"tenantId": tenant_id or self.tenant_id, "config": config}
        if send_test is not None:
            body["sendTest"] = send_test
        return self.verify_setup(kind, body, token=token)

    def verify_id(self, kind, id, tenant_id=None, token=None):
        return self.verify_setup(kind, {"tenantId": tenant_id or self.tenant_of(id), "integrationId": id}, token=token)

    def verify_all(self, token=None, **kw):
        return self.server.request("POST", "/api/v1/%s/integrations/verify-all" % self.tenant_id,
                                   token=token or self.token, **kw)

    def audit(self, test, action="integration.verify", tenant_id=None):
        return fx.audit_rows(test, self.server, self.token, tenant_id or self.tenant_id, action=action)

    def audit_for(self, test, id, action="integration.verify"):
        return [r for r in self.audit(test, action, self.tenant_of(id)) if r.get("targetId") == id]

    def absorb_wire_secrets(self, since=0):
        """Credentials the fakes saw or issued after mark `since` become secrets of this server."""
        found = wire_secrets(self.fakes.requests(since=since))
        for value in found:
            self.secrets.add(value)
            self.server.remember_secret(value)
        return found


# --------------------------------------------------------------------------
# Secrets on the wire


def wire_secrets(entries):
    """Every credential in the fakes' log entries: bearer tokens and JWTs, Basic passwords, PRIVATE-TOKEN,
    Circle-Token, Linear keys, JWT assertions, Google access tokens, SMTP nothing (not logged)."""
    out = set()
    for e in entries:
        for name, value in e.get("headers") or []:
            lname = name.lower()
            if lname == "authorization":
                creds = fakes_module.basic_credentials(value)
                if creds:
                    out.add(creds[1])
                    out.add(value.split(" ", 1)[1])
                else:
                    out.add(value.split(" ", 1)[-1])
            elif lname in ("private-token", "circle-token"):
                out.add(value)
        body = e.get("body") or ""
        if "assertion=" in body:
            for v in urllib.parse.parse_qs(body).get("assertion", []):
                out.add(v)
        resp = e.get("responseBody") or ""
        if e.get("provider") == "google" and '"access_token"' in resp:
            try:
                out.add(json.loads(resp)["access_token"])
            except (ValueError, KeyError):
                pass
    return {v for v in out if isinstance(v, str) and len(v) >= 12}


def assert_no_secret(test, raw, secrets_, what="the answer"):
    """No fragment of any secret in raw (bytes or text)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    for secret in secrets_:
        for frag in fx.secret_fragments(secret):
            hay = raw if isinstance(frag, bytes) and isinstance(raw, bytes) else text
            if isinstance(frag, bytes) and not isinstance(hay, bytes):
                continue
            if frag in hay:
                test.fail("%s holds a secret (%s...): %s" % (what, str(secret)[:6], text[:400]))


# --------------------------------------------------------------------------
# The answers


def assert_answer(test, resp, verdict, status=None, secrets_=()):
    """The verify answer of docs/verification.md; returns it."""
    body = harness.expect(test, resp, 200)
    harness.assert_keys(test, body, ANSWER_KEYS, "verify answer")
    return check_answer_body(test, body, resp, verdict, status, secrets_)


def check_answer_body(test, body, resp, verdict, status=None, secrets_=()):
    where = "%s\n%s" % (getattr(resp, "request", ""), json.dumps(body)[:800])
    if verdict == "ANY":
        test.assertIn(body["verdict"], VERDICTS + (None,), where)
    elif verdict == "NOT_VALID":
        test.assertIn(body["verdict"], ("INVALID", "EXPIRED", None), where)
    else:
        test.assertEqual(body["verdict"], verdict, "verdict: " + where)
    test.assertIs(body["success"], body["verdict"] == "VALID", "success is verdict == VALID: " + where)
    if status is not None:
        test.assertEqual(body["status"], status, "status: " + where)
    test.assertIn(body["status"], fx.STATUSES, where)
    test.assertIsInstance(body["message"], str, where)
    test.assertTrue(body["message"].strip(), "a message a person can act on: " + where)
    harness.assert_timestamp(test, body["timestamp"], "timestamp")
    test.assertIsInstance(body["details"], dict, "details is an object: " + where)
    if secrets_:
        assert_no_secret(test, resp.raw if hasattr(resp, "raw") else json.dumps(body), secrets_)
    return body


def held_calls(fakes, since, count, tries=200):
    """The calls `hold` rules caught since the mark, once count of them have ended: [(arrival seq, end seq,
    "abandoned" (slipway gave up and closed the connection) | "released" | "expired")], by arrival. Polls the
    fakes every 50 ms, 10 s at most: a bound on waiting, never a measurement (the order is the fakes' own)."""
    for _ in range(tries):
        log = fakes.requests(None, since)
        arrivals = sorted(e["seq"] for e in log if (e.get("rule") or {}).get("mode") == "hold")
        ends = {e["request"]: (e["seq"], e["hold"]) for e in log if "request" in e and "hold" in e}
        if len(arrivals) >= count and all(a in ends for a in arrivals):
            return [(a,) + ends[a] for a in arrivals]
        time.sleep(0.05)
    raise AssertionError("the fakes never saw %d held calls end" % count)


def most_at_once(calls):
    """The most held calls open at the same moment, from the fakes' order of arrivals and ends."""
    steps = sorted([(arrival, 1) for arrival, _, _ in calls] + [(end, -1) for _, end, _ in calls])
    most = now = 0
    for _, step in steps:
        now += step
        most = max(most, now)
    return most


def assert_stored(test, ctx, category, id, status, verified_at=None, error="unset"):
    """The stored integration's verificationStatus, lastVerifiedAt (None: must be null; a string: exactly that;
    "set": any timestamp) and lastVerificationError ("unset": not checked)."""
    obj = ctx.get(category, id)
    test.assertEqual(obj["verificationStatus"], status, "stored verificationStatus: %s" % json.dumps(obj)[:600])
    if verified_at is None:
        test.assertIsNone(obj["lastVerifiedAt"], "lastVerifiedAt stays null without a verdict")
    elif verified_at == "set":
        harness.assert_timestamp(test, obj["lastVerifiedAt"], "lastVerifiedAt")
    elif verified_at != "any":
        test.assertEqual(obj["lastVerifiedAt"], verified_at, "lastVerifiedAt")
    if error != "unset":
        test.assertEqual(obj["lastVerificationError"], error, "lastVerificationError")
    return obj


def words(obj):
    return fx.json_words(obj)


def mentions(text, *needles):
    low = text.lower()
    return all(n.lower() in low for n in needles)


# --------------------------------------------------------------------------
# The cases: one per type, registered in the fakes (or not)


class Case:
    """A type's create body with its fakes registrations.

    providers: the fakes it talks to (in call order); match: a string in each of its requests (a rule with it
    touches only this case); resource: the name of the thing that may be missing (expected in the message);
    facts: provider facts expected somewhere in `details`; info: anything else the builder knows."""

    def __init__(self, type_, body, secrets_=(), providers=(), match=None, resource=None, facts=None, **info):
        self.type = type_
        self.kind = KINDS[type_]
        self.category = fx.category_of(type_)
        self.body = body
        self.secrets = [s for s in secrets_ if s]
        self.providers = list(providers)
        self.match = match
        self.resource = resource
        self.facts = facts or {}
        self.info = info

    def config(self, **overrides):
        cfg = {k: v for k, v in self.body.items() if k != "type"}
        cfg.update(overrides)
        return cfg

    def rules(self, client, mode, **kw):
        """The same rule on every fake of this case (matching its requests only)."""
        return [client.rule(p, mode, match=self.match, **kw) for p in self.providers if p != "smtp"] + \
            ([client.rule("smtp", mode, **kw)] if "smtp" in self.providers else [])

    def __repr__(self):
        return "Case(%s)" % self.type


def _tag():
    return fx.tag()


def _upper(n):
    return fx.random_string(n, string.ascii_uppercase)


def github_token(ctx, creds=True, resource=True, perms=None, scopes="repo, workflow", expiration=None,
                 workflows=()):
    """(token, org, repo, login) registered in the GitHub fake."""
    t = _tag()
    org, repo, tok, login = "org-" + t, "app-" + t, fx.token("ghp_", 36), "release-bot-" + t
    full = org + "/" + repo
    if creds:
        ctx.fakes.register("github", {
            "tokens": {tok: {"login": login, "scopes": scopes, "expiration": expiration,
                             "repos": {full: dict(perms or GITHUB_PERMS)} if resource else {}}},
            "repos": {full: {"workflows": list(workflows)}}})
    return tok, org, repo, login


def gitlab_token(ctx, creds=True, resource=True, project_access=30, group_access=None):
    t = _tag()
    group, app, tok, user = "group-" + t, "app-" + t, fx.token("glpat-", 20), "gitlab-bot-" + t
    full = group + "/" + app
    pid = fakes_module.number(full, 7)
    if creds:
        ctx.fakes.register("gitlab", {
            "tokens": {tok: {"username": user, "projects": {full: {"project_access": project_access,
                                                                    "group_access": group_access}}
                             if resource else {}}},
            "projects": {full: {"id": pid, "pipelines": [{"id": pid + 1, "status": "success"}]}}})
    return tok, group, app, user, pid


def build(ctx, type_, creds=True, resource=True, **opts):
    """A Case of type_ on ctx: creds=False leaves the credentials unknown to the fake, resource=False leaves the
    repository/bundle/package/app/job/workflow/project/channel/team out."""
    return BUILDERS[type_](ctx, creds, resource, **opts)


def _b_github(ctx, creds, resource, perms=None, scopes="repo, workflow", expiration=None, server_url=None):
    tok, org, repo, login = github_token(ctx, creds, resource, perms, scopes, expiration)
    overrides = {"serverUrl": server_url} if server_url else {}
    body = fx.valid_body("GITHUB", organization=org, repoName=repo, accessToken=tok, **overrides)
    return Case("GITHUB", body, [tok], ["github"], tok, org + "/" + repo, {"login": login}, login=login, org=org,
                repo=repo, token=tok)


def _b_gitlab(ctx, creds, resource, project_access=30, group_access=None):
    tok, group, app, user, pid = gitlab_token(ctx, creds, resource, project_access, group_access)
    body = fx.valid_body("GITLAB", organization=group, repoName=app, accessToken=tok)
    return Case("GITLAB", body, [tok], ["gitlab"], tok, group + "/" + app, {}, token=tok,
                org=group, repo=app, pid=pid)


def _b_bitbucket(ctx, creds, resource):
    t = _tag()
    ws, slug, tok, user = "ws-" + t, "app-" + t, fx.token("ATBB", 32), "bb-bot-" + t
    if creds:
        ctx.fakes.register("bitbucket", {"tokens": {tok: {"username": user, "display_name": "BB Bot " + t,
                                                          "repos": [ws + "/" + slug] if resource else []}}})
    body = fx.valid_body("BITBUCKET", organization=ws, repoName=slug, accessToken=tok)
    return Case("BITBUCKET", body, [tok], ["bitbucket"], tok, ws + "/" + slug, {}, token=tok, org=ws, repo=slug)


def _b_gitea(ctx, creds, resource, push=True):
    t = _tag()
    org, repo, tok, login = "org-" + t, "app-" + t, fx.token("gitea_", 34), "gitea-bot-" + t
    if creds:
        ctx.fakes.register("gitea", {"tokens": {tok: {"login": login, "repos": {
            org + "/" + repo: {"admin": False, "push": push, "pull": True}} if resource else {}}}})
    body = fx.valid_body("GITEA", organization=org, repoName=repo, accessToken=tok, serverUrl=ctx.url("gitea"))
    return Case("GITEA", body, [tok], ["gitea"], tok, org + "/" + repo, {}, token=tok, org=org,
                repo=repo)


def _b_app_store(ctx, creds, resource, key_tag="default", register_key=None):
    t = _tag()
    kid, issuer, bundle = fx.apple_id10(), str(uuid.uuid4()), "com.example.app" + t
    key = fx.ec_private_key(tag=key_tag)
    name = "Slipway App " + t
    if creds:
        ctx.fakes.register("appstore", {"keys": {kid: {"issuer": issuer, "privateKey": register_key or key}}})
    if resource:
        ctx.fakes.register("appstore", {"apps": {issuer: [{"bundleId": "com.other.app" + t, "name": "Other"},
                                                          {"bundleId": bundle, "name": name}]}})
    body = fx.valid_body("APP_STORE", appleApiKeyId=kid, appleIssuerId=issuer, applePrivateKey=key,
                         appleBundleId=bundle)
    return Case("APP_STORE", body, [key], ["appstore"], bundle, bundle, {"appName": name}, kid=kid,
                issuer=issuer, bundle=bundle, app_name=name)


def google_account(ctx, creds, prefix="release"):
    t = _tag()
    email = "%s-%s@project-x.iam.gserviceaccount.com" % (prefix, t)
    key = fx.rsa_private_key()
    if creds:
        ctx.fakes.register("google", {"accounts": {email: {"privateKey": key}}})
    return email, key


def _b_play_store(ctx, creds, resource, access=True):
    email, key = google_account(ctx, creds)
    package = "com.example.app" + _tag()
    if resource:
        ctx.fakes.register("play", {"packages": {package: {"accounts": [email] if access else []}}})
    body = fx.valid_body("PLAY_STORE", googleServiceAccountEmail=email, googlePrivateKey=key,
                         googlePackageName=package)
    return Case("PLAY_STORE", body, [key], ["google", "play"], email, package, {}, email=email, package=package)


def _b_firebase(ctx, creds, resource, platform="android"):
    email, key = google_account(ctx, creds, "firebase")
    t = _tag()
    project = "slipway-" + t
    app_id = "1:123456789012:%s:%s" % (platform, uuid.uuid4().hex)
    ctx.fakes.register("firebase", {"projects": {project: {"accounts": [email], "apps": {
        app_id: {"platform": platform, "displayName": "Slipway " + t}} if resource else {}}}})
    body = fx.valid_body("FIREBASE", firebaseProjectId=project, firebaseAppId=app_id, googleServiceAccountEmail=email,
                         googlePrivateKey=key)
    return Case("FIREBASE", body, [key], ["google", "firebase"], email, app_id, {}, email=email, project=project,
                app_id=app_id, platform=platform)


def _pipeline_refs(ctx, scm):
    return {"scm": scm["id"], "target": ctx.target()["id"]}


def _b_jenkins(ctx, creds, resource, crumbs=True):
    t = _tag()
    user, tok, job = "release-bot-" + t, fx.token("jnk-", 32), "mobile-%s/release-%s" % (t, t)
    if creds:
        ctx.fakes.register("jenkins", {"users": {user: {"tokens": [tok]}}, "crumbs": crumbs})
    if resource:
        ctx.fakes.register("jenkins", {"jobs": {job: {}}})
    scm = ctx.scm("GITHUB")
    body = fx.valid_body("JENKINS", jenkinsUrl=ctx.url("jenkins"), jenkinsUsername=user, jenkinsApiToken=tok,
                         jenkinsJobPath=job, **_pipeline_refs(ctx, scm))
    return Case("JENKINS", body, [tok], ["jenkins"], user, job, {}, user=user, token=tok, job=job)


def _b_github_actions(ctx, creds, resource):
    t = _tag()
    workflow = "release-%s.yml" % t
    tok, org, repo, login = github_token(ctx, creds, True, workflows=[workflow] if resource else [])
    scm = ctx.scm("GITHUB", organization=org, repoName=repo, accessToken=tok)
    body = fx.valid_body("GITHUB_ACTIONS", githubWorkflowPath=".github/workflows/" + workflow,
                         **_pipeline_refs(ctx, scm))
    return Case("GITHUB_ACTIONS", body, [tok], ["github"], tok, workflow, {}, token=tok, org=org, repo=repo,
                workflow=workflow)


def _b_gitlab_ci(ctx, creds, resource):
    tok, group, app, user, pid = gitlab_token(ctx, creds, resource)
    scm = ctx.scm("GITLAB", organization=group, repoName=app, accessToken=tok)
    body = fx.valid_body("GITLAB_CI", **_pipeline_refs(ctx, scm))
    return Case("GITLAB_CI", body, [tok], ["gitlab"], tok, group + "/" + app, {}, token=tok, org=group, repo=app,
                pid=pid)


def _b_circleci(ctx, creds, resource):
    t = _tag()
    slug, tok = "gh/org-%s/app-%s" % (t, t), fx.token("CCIPAT_", 40)
    if creds:
        ctx.fakes.register("circleci", {"tokens": {tok: {"login": "circle-" + t,
                                                         "projects": [slug] if resource else []}}})
    scm = ctx.scm("GITHUB")
    body = fx.valid_body("CIRCLECI", circleciProjectSlug=slug, circleciApiToken=tok, **_pipeline_refs(ctx, scm))
    return Case("CIRCLECI", body, [tok], ["circleci"], tok, slug, {}, token=tok, slug=slug)


SLACK_CHANNELS = ("general", "random", "design", "releases", "ops", "dev-team")


def slack_team(ctx, member_of=("releases", "dev-team"), missing=(), error=None, scopes=None, page_size=2):
    """A bot token and its team: six channels (two a page), the bot a member of member_of."""
    t = _tag()
    tok, team_id, bot_user = fx.token("xoxb-", 40), "T" + _upper(9), "U" + _upper(9)
    channels = [{"id": "C" + _upper(9), "name": name, "is_private": name == "ops",
                 "members": ["U0HUMAN0001"] + ([bot_user] if name in member_of else [])}
                for name in SLACK_CHANNELS if name not in missing]
    info = {"team": "Team" + t, "team_id": team_id, "user": "slipway", "user_id": bot_user, "bot_id": "B" + _upper(9)}
    if error:
        info["error"] = error
    if scopes:
        info["scopes"] = scopes
    ctx.fakes.register("slack", {"tokens": {tok: info}, "teams": {team_id: {"page_size": page_size,
                                                                            "channels": channels}}})
    return tok, {c["name"]: c for c in channels}, info


def _b_slack(ctx, creds, resource, channels=("releases", "dev-team"), member_of=("releases", "dev-team"),
             error=None):
    if creds:
        tok, chans, info = slack_team(ctx, member_of=member_of, missing=() if resource else ("dev-team",),
                                      error=error)
    else:
        tok, chans, info = fx.token("xoxb-", 40), {}, {}
    body = fx.valid_body("SLACK", slackBotToken=tok, slackChannels=list(channels))
    return Case("SLACK", body, [tok], ["slack"], tok, "dev-team", {}, token=tok, channels=chans, bot=info)


def _b_teams(ctx, creds, resource):
    url = "https://example.webhook.office.com/webhookb2/" + fx.token("", 40) if creds \
        else "https://hooks.example.com/teams/" + fx.token("", 40)
    body = fx.valid_body("TEAMS", teamsWebhookUrl=url)
    return Case("TEAMS", body, [url], [], None, None, {})


def _b_email(ctx, creds, resource):
    t = _tag()
    user, password = "slipway-" + t, fx.token("smtp-", 24)
    if creds:
        ctx.fakes.register("smtp", {"users": {user: password}})
    body = fx.valid_body("EMAIL", smtpHost="127.0.0.1", smtpPort=ctx.smtp_port(), smtpUsername=user,
                         smtpPassword=password, emailFromAddress="slipway-%s@example.com" % t,
                         emailRecipients=["release-%s@example.com" % t, "qa-%s@example.com" % t])
    return Case("EMAIL", body, [password], ["smtp"], None, None, {}, user=user, password=password)


def _b_jira(ctx, creds, resource):
    t = _tag()
    email, tok, key = "jira-bot-%s@example.com" % t, fx.token("ATATT3x", 40), "R" + _upper(5)
    if creds:
        ctx.fakes.register("jira", {"users": {email: {"tokens": [tok], "accountId": "5b10a" + t,
                                                      "displayName": "Jira Bot " + t}}})
    if resource:
        ctx.fakes.register("jira", {"projects": {key: {"name": "Release " + t, "id": fakes_module.number(key, 5)}}})
    body = fx.valid_body("JIRA", jiraUrl=ctx.url("jira"), jiraEmail=email, jiraApiToken=tok, jiraProjectKey=key)
    return Case("JIRA", body, [tok], ["jira"], email, key, {}, email=email, token=tok, key=key)


def _b_linear(ctx, creds, resource):
    t = _tag()
    key, team = fx.token("lin_api_", 40), "team-" + t
    ctx.fakes.register("linear", {"teams": {team: {"name": "Mobile " + t}}})
    if creds:
        ctx.fakes.register("linear", {"keys": {key: {"viewer": {"id": str(uuid.uuid4()), "name": "Bot " + t},
                                                     "teams": [team] if resource else []}}})
    body = fx.valid_body("LINEAR", linearApiKey=key, linearTeamId=team)
    return Case("LINEAR", body, [key], ["linear"], key, team, {}, key=key, team=team)


def _b_azure(ctx, creds, resource):
    t = _tag()
    org, project, pat = "example-org-" + t, "mobile-" + t, fx.token("", 52).lower()
    if creds:
        ctx.fakes.register("azure", {"pats": {pat: {"orgs": [org]}}})
    if resource:
        ctx.fakes.register("azure", {"projects": {org + "/" + project: {"name": project}}})
    body = fx.valid_body("AZURE_DEVOPS", azureOrganization=org, azureProject=project, azurePatToken=pat,
                         azureUrl=ctx.url("azure"))
    return Case("AZURE_DEVOPS", body, [pat], ["azure"], org, project, {}, org=org, project=project, pat=pat)


def _b_testrail(ctx, creds, resource):
    t = _tag()
    user, key, pid = "qa-%s@example.com" % t, fx.token("trk-", 30), secrets.randbelow(90000) + 1000
    if creds:
        ctx.fakes.register("testrail", {"users": {user: {"keys": [key]}}})
    if resource:
        ctx.fakes.register("testrail", {"projects": {str(pid): {"name": "Mobile " + t}}})
    body = fx.valid_body("TEST_RAIL", testRailUrl=ctx.url("testrail"), testRailUsername=user, testRailApiKey=key,
                         testRailProjectId=pid)
    return Case("TEST_RAIL", body, [key], ["testrail"], user, str(pid), {}, user=user, key=key, pid=pid)


def _b_sentry(ctx, creds, resource):
    t = _tag()
    org, project, token = "acme-" + t, "mobile-" + t, fx.token("sntrys_", 40)
    if creds:
        ctx.fakes.register("sentry", {"tokens": {token: {"projects": [org + "/" + project] if resource else []}}})
    body = fx.valid_body("SENTRY", sentryUrl=ctx.url("sentry"), sentryOrganization=org, sentryProject=project,
                         sentryAuthToken=token)
    return Case("SENTRY", body, [token], ["sentry"], org, project, {}, org=org, project=project, token=token)


def _b_bugsnag(ctx, creds, resource):
    t = _tag()
    pid, token = "5f" + t, fx.token("", 36)
    if creds:
        ctx.fakes.register("bugsnag", {"tokens": {token: {"projects": [pid] if resource else []}}})
    body = fx.valid_body("BUGSNAG", bugsnagUrl=ctx.url("bugsnag"), bugsnagProjectId=pid, bugsnagAuthToken=token)
    return Case("BUGSNAG", body, [token], ["bugsnag"], pid, pid, {}, pid=pid, token=token)


def _b_code_signing(ctx, creds, resource, cert=None):
    cert = cert or fx.certificate()
    body = fx.valid_body("CODE_SIGNING", certificateData=cert.p12_b64, certificatePassword=cert.password)
    return Case("CODE_SIGNING", body, [cert.p12_b64, cert.password], [], None, None, {}, cert=cert)


BUILDERS = {"GITHUB": _b_github, "GITLAB": _b_gitlab, "BITBUCKET": _b_bitbucket, "GITEA": _b_gitea,
            "APP_STORE": _b_app_store, "PLAY_STORE": _b_play_store, "FIREBASE": _b_firebase, "JENKINS": _b_jenkins,
            "GITHUB_ACTIONS": _b_github_actions, "GITLAB_CI": _b_gitlab_ci, "CIRCLECI": _b_circleci,
            "SLACK": _b_slack, "TEAMS": _b_teams, "EMAIL": _b_email, "JIRA": _b_jira, "LINEAR": _b_linear,
            "AZURE_DEVOPS": _b_azure, "TEST_RAIL": _b_testrail, "CODE_SIGNING": _b_code_signing,
            "SENTRY": _b_sentry, "BUGSNAG": _b_bugsnag}
assert sorted(BUILDERS) == sorted(fx.TYPES), "a builder for every type"


# --------------------------------------------------------------------------
# Certificates the integration fixtures do not make


_not_yet = {}


def future_certificate():
    """A self-signed certificate valid from 2099 (not yet valid), as PKCS#12 (fx.Certificate)."""
    if "cert" not in _not_yet:
        d = fx._dir()
        base = "cert-future-" + uuid.uuid4().hex[:6]
        cadir = base + "-ca"
        os.mkdir(os.path.join(d, cadir))
        with open(os.path.join(d, cadir, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\n"
                    "default_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n"
                    "organizationName = optional\n" % (cadir, cadir, cadir))
        open(os.path.join(d, cadir, "index.txt"), "w").close()
        with open(os.path.join(d, cadir, "serial"), "w") as f:
            f.write("01\n")
        cn = "Slipway Test Signing Future " + uuid.uuid4().hex[:8]
        fx._openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr",
                    "-subj", "/CN=%s/O=Slipway API Tests" % cn)
        fx._openssl("ca", "-batch", "-config", cadir + "/ca.cnf", "-selfsign", "-keyfile", base + ".key", "-in",
                    base + ".csr", "-out", base + ".crt", "-startdate", "20990101000000Z", "-enddate",
                    "20991231000000Z", "-notext")
        password = "p12-pass-" + fx.random_string(16)
        fx._openssl("pkcs12", "-export", "-inkey", base + ".key", "-in", base + ".crt", "-out", base + ".p12",
                    "-passout", "pass:" + password, "-name", "slipway-signing")
        raw = fx._read(base + ".p12", "rb")
        _not_yet["cert"] = fx.Certificate(fx._read(base + ".crt"), fx._read(base + ".key"), raw,
                                          base64.b64encode(raw).decode(), password, cn, None, None, None)
    return _not_yet["cert"]


# --------------------------------------------------------------------------
# Test base


class VerifyTest(unittest.TestCase):
    """self.ctx: a fresh tenant on the module's main server (live fakes); self.fakes: the FakesClient.
    Every test's wire credentials become server secrets (the harness checks the log for them at stop)."""

    server_kind = "main"

    @classmethod
    def setUpClass(cls):
        cls.server, cls.fakes = shared(cls.server_kind)
        cls.ctx = Ctx(cls.server, cls.fakes)

    def setUp(self):
        self.mark = self.fakes.mark()
        self.rules = []

    def tearDown(self):
        for rule in self.rules:
            try:
                self.fakes.drop(rule)
            except AssertionError:
                pass
        self.ctx.absorb_wire_secrets(self.mark)

    def rule(self, provider, mode, **kw):
        made = self.fakes.rule(provider, mode, **kw)
        self.rules.append(made)
        return made

    def case_rules(self, case, mode, **kw):
        made = case.rules(self.fakes, mode, **kw)
        self.rules.extend(made)
        return made

    def wire(self, provider=None):
        """The fakes' log since this test began."""
        return self.fakes.requests(provider, self.mark)

    def secrets_of(self, case):
        return list(case.secrets) + sorted(self.ctx.absorb_wire_secrets(self.mark))


# --------------------------------------------------------------------------
# Several servers on one database (re-verification, the job queue)

REVERIFY_INTERVAL = 60  # the smallest SLIPWAY_REVERIFY_INTERVAL the server takes


def user_calls(entries, token):
    return [e for e in entries if e.get("path") == "/user"
            and any(k.lower() == "authorization" and token in v for k, v in e.get("headers", []))]


def backdate(server, id, hours=2):
    """Set an SCM integration's lastVerifiedAt `hours` back (in the format the server stores); returns it."""
    stored = fx.column_value(server, "scm", id, "lastVerifiedAt")
    if isinstance(stored, str):
        old = harness.format_time(harness.parse_time(stored) - datetime.timedelta(hours=hours))
    else:  # epoch seconds or milliseconds
        old = stored - (hours * 3600 * 1000 if stored > 10 ** 11 else hours * 3600)
    fx.db_execute(server, "UPDATE tenant_scm_integrations SET lastVerifiedAt = ? WHERE id = ?", (old, id))
    return old


class SharedDatabase:
    """A database in a directory of the test's, servers started on it, all stopped and checked at the end."""

    def __init__(self, client):
        self.client = client
        self.tmp = tempfile.mkdtemp(prefix="slipway-reverify-")
        self.database = harness.new_database(self.tmp)
        self.env = server_env(client, extra={"SLIPWAY_REVERIFY_INTERVAL": str(REVERIFY_INTERVAL)})
        self.servers = []
        self.admin = None
        self.secrets = set()

    def start(self, migrate=True):
        cls = fx.IntegrationServer if migrate else NoMigrateServer
        server = cls(self.env, database=self.database, admin=self.admin)
        self.servers.append(server)
        server.start()
        self.admin = self.admin or server.admin
        return server

    def remember(self):
        self.secrets |= wire_secrets(self.client.requests())
        for s in self.servers:
            if s.pid is None:  # stopped (and checked) or killed: its directory is gone
                continue
            fx.remember(s, *self.secrets)
            for value in self.secrets:
                s.remember_secret(value)

    def close(self):
        self.remember()
        errors = []
        for s in self.servers:
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        shutil.rmtree(self.tmp, ignore_errors=True)
        if errors:
            raise AssertionError("\n".join(errors))


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()
