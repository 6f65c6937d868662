#!/usr/bin/env python3
"""What the browser tests run against, started with the API tests' own helpers.

Starts the provider fakes (tests/fakes) and a slipway server whose providers
are those fakes (fresh SQLite database, free port, the fakes' CA trusted,
127.0.0.0/8 allowed), makes a tenant with an owner, an editor and a viewer,
registers valid credentials in the fakes (and leaves invalid ones out), and
prints one JSON line:

    {"baseUrl", "tenantId", "owner"|"editor"|"viewer": {"email", "password"},
     "github": {"organization", "repoName", "valid", "invalid"},
     "playStore": {"validEmail", "invalidEmail", "privateKey", "packageName"},
     "releases": {"tenantId", "repo", "control", "owner"|"editor"|"viewer": {"email", "password"}},
     "stores": {"tenantId", "releaseId", "buildNumber", "rejectedReleaseId", "approvedReleaseId", "testersReleaseId",
                "hotfixReleaseId", "hotfixBuildNumber", "owner"|"viewer": {"email", "password"}},
     "sso": {"issuer", "slug", "provider", "user", "email", "publishedDomain"} (null without node and tests/oidc's packages),
     "ssh": {"port", "user", "key", "fingerprint"} (a private sshd, tests/api/sshd.py; null without openssh-server),
     "admin": {"email", "password"} (the instance administrator: the first account, `slipway admin bootstrap`'s),
     "secrets": [strings that must never appear in a page]}

"sso" is the first tenant's single sign-on: the real oidc-provider of
tests/oidc (test_sso.Idp), found on the login page by the tenant's slug,
with a user whose group makes it an editor. Its provider claims
"publishedDomain" (claimed by an owner of that domain, who has left),
whose TXT record the DNS fake (tests/fakes/fake_dns.py,
SLIPWAY_DNS_RESOLVER) already answers and nobody has checked yet.

Open sign-up is on (SLIPWAY_OPEN_SIGNUP), for the sign-up page.

"mail" is a second slipway that sends mail (to the SMTP fake), for the
forgotten-password pages: {"baseUrl", "email", "password" (its
administrator), "control" (the fakes' control plane, where the mails can be read)}.
The first server sends none, so its invitations answer their link.

"releases" is a second tenant ready to release: its setup saved with GitHub
(the fake's repository "repo" has a main branch and a workflow release.yml)
and the App Store, both VALID; "control" is the fakes' control plane (a test
ends a CI run there, as tests/api/test_release_lifecycle.py does).

"stores" is a third tenant like it with a VALID Google Play target and a
release of Android set READY (as tests/api/test_store_play.py does: the
lifecycle before READY is the release tests'), its build known to the Play
fake, and a Sentry monitoring integration whose figures of the release's
version breach a 99.5 % rule (health read every second; "healthKey" names
them in the fake's data, "control" is the fakes' control plane, where a test
changes them); a second READY
Android release ("testersReleaseId") for Firebase App Distribution (a
target of the tenant whose group "qa" the fake knows, with the build
uploaded); and two iOS releases whose App Store submissions App Review
rejected and approved (pending the developer's release; the App Store fake
knowing the tenant's key), for the release page's store panels; and a
READY HOTFIX of Android ("hotfixReleaseId", its build "hotfixBuildNumber")
while the release it fixes (5.0.4) rolls out to 20 % on Play's beta track,
for carryRollout.

Then it waits for its standard input to close, stops the server (failing,
exit 1, if it did not exit cleanly or its log holds a secret) and the fakes.

Environment: SLIPWAY_BIN (the server binary), as for tests/api.
"""

import json
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))

import harness  # noqa: E402
import integration_fixtures as fx  # noqa: E402
import verify_fixtures as vf  # noqa: E402
import test_sso  # noqa: E402
import sshd  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "fakes"))
from fake_dns import DnsServer  # noqa: E402

STORE_BUILD = "5005"
HOTFIX_BUILD = "5006"


def release_ready(server, client, app_store=None):
    """A tenant that can-create-releases, its GitHub repository in the fake (ctx.repo, with a workflow release.yml a
    GitHub Actions pipeline can dispatch), a TestRail integration; (ctx, secrets).
    app_store: the setup's App Store Connect fields (default: a key no fake knows)."""
    ctx = vf.Ctx(server, client)
    token, organization, repo, _ = vf.github_token(ctx, workflows=("release.yml",))
    ctx.repo = organization + "/" + repo
    client.register("github", {"repos": {organization + "/" + repo: {"branches": {"main": "1" * 40}, "commits": ["1" * 40]}}})
    body = {"github": fx.setup_github(accessToken=token, organization=organization, repoName=repo), "targets": ["APP_STORE"],
            "platforms": ["IOS", "ANDROID"], "appStoreConnect": app_store or fx.setup_app_store()}
    resp = fx.post_setup(server, ctx.org.owner.token, ctx.org.id, body)
    if resp.status != 200:
        raise AssertionError("release tenant's setup: %s" % (resp,))
    for category, table in (("scm", "tenant_scm_integrations"), ("targets", "tenant_target_integrations")):
        _, rows = fx.db_query(server, "SELECT id FROM %s WHERE tenantId = ?" % table, (ctx.org.id,))
        fx.set_verification(server, category, rows[0][0], "VALID")
    # A TestRail integration: each candidate gets a run, shown on the release page (docs/notifications.md "Test runs").
    testrail = vf.build(ctx, "TEST_RAIL", True, True)
    ctx.create(testrail.body)
    return ctx, [token, body["appStoreConnect"]["privateKey"], testrail.info["key"]]


def disabled_endpoint(server, org):
    """An outbound webhook endpoint of org that slipway disabled after failing too long (the page says why and turns
    it on again): its secret."""
    resp = server.request("POST", "/api/v1/%s/webhook-endpoints" % org.id, token=org.owner.token,
                          body={"url": "https://hooks.example.com/failing", "events": ["release.*"]})
    if resp.status != 201:
        raise AssertionError("the disabled endpoint: %s" % (resp,))
    fx.db_execute(server, "UPDATE webhook_endpoints SET enabled = ?, failureCount = ?, failingSince = ?, disabledAt = ?, "
                  "disabledReason = ? WHERE id = ?", (False, 50, "2026-11-26T10:00:00.000Z", "2026-12-01T10:00:00.000Z",
                                                      "50 failed attempts in a row since 2026-11-26T10:00:00Z",
                                                      resp.json["id"]))
    fx.touch_tenant(server, org.id)
    return resp.json["secret"]


def wait_until(what, probe):
    """probe()'s first true answer (a bound on waiting, not a measurement)."""
    for _ in range(600):
        got = probe()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("stack.py: %s never happened" % what)


def ready_release(server, ctx, version, release_type, platform):
    """A release of ctx past its kickoff, set READY in the database (the lifecycle before READY is the release tests');
    its id."""
    base = "/api/v1/%s/releases" % ctx.tenant_id
    resp = server.request("POST", base, {"version": version, "releaseType": release_type, "platforms": [platform]}, token=ctx.token)
    if resp.status != 201:
        raise AssertionError("store tenant's release %s: %s" % (version, resp))
    rid = resp.json["id"]
    wait_until("the kickoff", lambda: server.request("GET", "%s/%s" % (base, rid), token=ctx.token).json["status"] != "KICKOFF")
    fx.db_execute(server, "UPDATE releases SET status = 'READY' WHERE id = ?", (rid,))
    return rid


def ios_submitted(server, client, ctx, app, version, build):
    """An iOS release of ctx (version) READY, whose build the App Store fake has submitted for review: (release id,
    the submission's path, the submission)."""
    client.register("appstore", {"builds": {"b-" + app + version: {"app": app, "version": build, "versionString": version,
                                                                  "processingState": "VALID"}}})
    base = "/api/v1/%s/releases" % ctx.tenant_id
    rid = ready_release(server, ctx, version, "PATCH", "IOS")
    sub = server.request("POST", "%s/%s/submissions" % (base, rid), {"platform": "IOS", "buildNumber": build}, token=ctx.token).json
    path = "%s/%s/submissions/%s" % (base, rid, sub["id"])
    return rid, path, wait_until("the App Store submission", lambda: (lambda s: s["status"] == "SUBMITTED" and s)(
        server.request("GET", path, token=ctx.token).json))


def review_ends(server, client, ctx, app, version, build, state, status):
    """An iOS release whose App Store submission App Review ended in the fake's state (the submission's status); its id."""
    rid, path, sub = ios_submitted(server, client, ctx, app, version, build)
    client.register("appstore", {"versions": {sub["storeVersionId"]: {"appStoreState": state}}})
    wait_until("the review's end", lambda: server.request("GET", path, token=ctx.token).json["status"] == status)
    return rid


def store_ready(server, client):
    """A tenant like release_ready's with a VALID Play target and a READY Android release, and an App Store Connect
    key and app the fake knows; (org, release id, the ids of an iOS release App Review rejected and of one it approved,
    the id of a READY Android release for Firebase's testers, secrets)."""
    kid, issuer, app, key = fx.apple_id10(), str(uuid.uuid4()), str(6400000000 + uuid.uuid4().int % 99999), fx.ec_private_key()
    bundle = "com.example.ui" + fx.tag()
    client.register("appstore", {"keys": {kid: {"issuer": issuer, "privateKey": key}},
                                 "apps": {issuer: [{"id": app, "bundleId": bundle, "name": "UI iOS"}]}, "locales": ["en-US"]})
    ctx, secrets = release_ready(server, client, fx.setup_app_store(apiKeyId=kid, issuerId=issuer, privateKey=key,
                                                                    bundleId=bundle))
    case = vf.build(ctx, "PLAY_STORE", True, True)
    integ = ctx.create(case.body, tenant_id=ctx.tenant_id)
    fx.set_verification(server, "targets", integ["id"], "VALID")
    client.register("play", {"packages": {case.info["package"]: {"bundles": [STORE_BUILD, HOTFIX_BUILD]}}})
    rid = ready_release(server, ctx, "5.0.0", "MINOR", "ANDROID")
    # a Sentry project whose crash-free sessions of 5.0.0 are below 99.5 %, for the health figures beside the rollout
    sentry = vf.build(ctx, "SENTRY", True, True)
    client.register("sentry", {"projects": {sentry.info["org"] + "/" + sentry.info["project"]: {"id": "4242"}},
                               "health": {"%s/%s@5.0.0" % (sentry.info["org"], sentry.info["project"]): {
                                   "session": 0.987, "user": 0.995, "errored": 13}}})
    ctx.create(sentry.body, tenant_id=ctx.tenant_id)
    # Firebase App Distribution (no store: named by the submission) whose release of the build CI has uploaded
    firebase = vf.build(ctx, "FIREBASE", True, True)
    ctx.create(firebase.body, tenant_id=ctx.tenant_id)
    client.register("firebase", {"groups": {firebase.info["project"]: ["qa"]}, "releases": {firebase.info["app_id"]: {
        "r1": {"buildVersion": STORE_BUILD, "displayVersion": "5.0.0"}}}})
    return (ctx.org, rid, review_ends(server, client, ctx, app, "5.0.1", "101", "REJECTED", "REJECTED"),
            review_ends(server, client, ctx, app, "5.0.2", "102", "PENDING_DEVELOPER_RELEASE", "APPROVED"),
            ready_release(server, ctx, "5.0.3", "PATCH", "ANDROID"), hotfix_ready(server, ctx),
            secrets + list(ctx.secrets) + [sentry.info["token"]],
            "%s/%s@5.0.0" % (sentry.info["org"], sentry.info["project"]))


def hotfix_ready(server, ctx):
    """A READY HOTFIX of Android while the release it fixes (5.0.4) rolls out to 20 % on Play's beta track; its id."""
    base = "/api/v1/%s/releases" % ctx.tenant_id
    fixed = ready_release(server, ctx, "5.0.4", "MINOR", "ANDROID")
    sub = server.request("POST", "%s/%s/submissions" % (base, fixed), {"platform": "ANDROID", "buildNumber": STORE_BUILD,
                                                                      "track": "beta", "rolloutPermille": 200},
                         token=ctx.token).json
    wait_until("the beta rollout", lambda: server.request("GET", "%s/%s/submissions/%s" % (base, fixed, sub["id"]),
                                                          token=ctx.token).json["status"] == "ROLLING_OUT")
    rid = ready_release(server, ctx, "5.0.5", "MINOR", "ANDROID")
    fx.db_execute(server, "UPDATE releases SET releaseType = 'HOTFIX' WHERE id = ?", (rid,))
    return rid


def sso(server, org, dns):
    """The tenant's sign-on at a real OpenID provider: (Idp, the stack's "sso" entry), or (None, None) without node."""
    try:
        idp = test_sso.Idp(redirect="http://127.0.0.1:%d/api/v1/auth/oidc/callback" % server.port)
    except test_sso.unittest.SkipTest:
        return None, None
    user = idp.user("ui-sso", ["eng"], email="sso-%s@example.com" % fx.tag())
    slug = "ui-" + fx.tag().lower()
    for method, path, body, want in (
            ("POST", "/api/v1/%s/iam/providers" % org.id,
             {"name": "Okta", "type": "OKTA", "issuer": idp.issuer, "clientId": "slipway-rs", "clientSecret": test_sso.SECRET,
              "scopes": "openid email profile groups", "allowSignup": True,
              "groupMappings": [{"group": "eng", "role": "editor"}]}, 201),
            ("PATCH", "/api/v1/%s/iam/settings" % org.id, {"slug": slug}, 200)):
        resp = server.request(method, path, body=body, token=org.owner.token)
        if resp.status != want:
            idp.stop()
            raise AssertionError("single sign-on set-up: %s" % (resp,))
        if method == "POST":
            provider_id = resp.json["id"]
    # An owner claims only their own address's domain: a passing owner of the domain claims it and leaves.
    domain = "proof-%s.example" % fx.tag().lower()
    boss = harness.add_member_and_login(server, org.owner.token, org.id, "owner", email="boss@" + domain)
    server.remember_secret(boss.password)
    for method, path, body, token, want in (
            ("POST", "/api/v1/%s/iam/providers/%s/domains" % (org.id, provider_id), {"domain": domain}, boss.token, 201),
            ("DELETE", "/api/v1/%s/members/%s" % (org.id, boss.id), None, org.owner.token, 204)):
        resp = server.request(method, path, body=body, token=token)
        if resp.status != want:
            idp.stop()
            raise AssertionError("single sign-on domain claim: %s %s" % (resp.status, resp.json))
        if method == "POST":
            dns.publish(resp.json["record"]["name"], resp.json["record"]["value"])
    return idp, {"issuer": idp.issuer, "slug": slug, "provider": "Okta", "user": "ui-sso", "email": user["email"],
                 "publishedDomain": domain}


def mail_server(client):
    """A second slipway that mails through the SMTP fake: (server, the stack's "mail" entry)."""
    password = fx.token("smtp-", 24)
    client.register("smtp", {"users": {"slipway-ui": password}})
    server = vf.start_server(client, extra={"SLIPWAY_SMTP_URL": "smtp://127.0.0.1:%d" % client.smtp_port,
                                            "SLIPWAY_SMTP_USER": "slipway-ui", "SLIPWAY_SMTP_PASSWORD": password,
                                            "SLIPWAY_SMTP_FROM": "slipway@example.com",
                                            "SLIPWAY_PUBLIC_URL": "http://127.0.0.1:{port}", "SLIPWAY_JOB_POLL_MS": "100",
                                            "SLIPWAY_OPEN_SIGNUP": "false"})
    server.remember_secret(password)
    return server, {"baseUrl": "http://127.0.0.1:%d" % server.port, "email": server.admin["email"],
                    "password": server.admin["password"], "control": client.control}


def main():
    client = vf.fakes()
    dns = DnsServer().start()
    # The browser reaches slipway at the address it listens on: single sign-on sends it back there.
    server = vf.start_server(client, extra={"SLIPWAY_PUBLIC_URL": "http://127.0.0.1:{port}",
                                                  "SLIPWAY_OPEN_SIGNUP": "true", "SLIPWAY_HEALTH_INTERVAL": "1",
                                                  "SLIPWAY_DNS_RESOLVER": "127.0.0.1:%d" % dns.port})
    idp = None
    mail, mail_entry = mail_server(client)
    ssh = sshd.Sshd().start() if sshd.available() else None
    try:
        ctx = vf.Ctx(server, client)
        org = ctx.org
        token, organization, repo, _ = vf.github_token(ctx, workflows=("release.yml",))
        bad_token, _, _, _ = vf.github_token(ctx, creds=False)
        valid_email, key = vf.google_account(ctx, True)
        invalid_email, _ = vf.google_account(ctx, False)
        package = "com.example.ui" + fx.tag()
        client.register("play", {"packages": {package: {"accounts": [valid_email]}}})
        rel_ctx, rel_secrets = release_ready(server, client)
        rel_org = rel_ctx.org
        rel_secrets.append(disabled_endpoint(server, org))
        store_org, store_release, rejected, approved, testers, hotfix, store_secrets, health_key = store_ready(server, client)
        idp, sso_entry = sso(server, org, dns)
        secrets = [token, bad_token, key, test_sso.SECRET] + rel_secrets + store_secrets + ([ssh.client_key] if ssh else [])
        fx.remember(server, *secrets)
        for user in (org.owner, org.editor, org.viewer, rel_org.owner, rel_org.viewer, rel_org.editor, store_org.editor,
                     store_org.viewer):
            server.remember_secret(user.password)
        fragments = sorted({f for s in secrets for f in fx.secret_fragments(s) if isinstance(f, str)})
        users = {role: {"email": u.email, "password": u.password}
                 for role, u in (("owner", org.owner), ("editor", org.editor), ("viewer", org.viewer))}
        print(json.dumps(dict(users, baseUrl="http://127.0.0.1:%d" % server.port, tenantId=org.id,
                              github={"organization": organization, "repoName": repo, "valid": token,
                                      "invalid": bad_token},
                              playStore={"validEmail": valid_email, "invalidEmail": invalid_email,
                                         "privateKey": key, "packageName": package},
                              releases={"tenantId": rel_org.id, "repo": rel_ctx.repo, "control": client.control,
                                        "owner": {"email": rel_org.owner.email, "password": rel_org.owner.password},
                                        "viewer": {"email": rel_org.viewer.email, "password": rel_org.viewer.password},
                                        "editor": {"email": rel_org.editor.email, "password": rel_org.editor.password}},
                              stores={"tenantId": store_org.id, "releaseId": store_release, "buildNumber": STORE_BUILD,
                                      "rejectedReleaseId": rejected, "approvedReleaseId": approved,
                                      "testersReleaseId": testers, "hotfixReleaseId": hotfix,
                                      "hotfixBuildNumber": HOTFIX_BUILD, "control": client.control,
                                      "healthKey": health_key,
                                      "editor": {"email": store_org.editor.email, "password": store_org.editor.password},
                                      "viewer": {"email": store_org.viewer.email, "password": store_org.viewer.password}},
                              sso=sso_entry, secrets=secrets + fragments,
                              admin={"email": server.admin["email"], "password": server.admin["password"]},
                              mail=mail_entry,
                              ssh=ssh and {"port": ssh.port, "user": ssh.user, "key": ssh.client_key,
                                           "fingerprint": ssh.fingerprint()})), flush=True)
        sys.stdin.read()
    finally:
        server.stop()
        mail.stop()
        if idp:
            idp.stop()
        if ssh:
            ssh.stop()
        dns.stop()


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print("stack.py: %s" % e, file=sys.stderr)
        sys.exit(1)
