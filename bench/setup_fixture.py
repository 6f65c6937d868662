#!/usr/bin/env python3
"""Material for bench/run's setup cases (standard library only).

    setup_fixture.py body EC_PEM RSA_PEM
        prints document 001 section 9's setup body with real values: the
        P-256 PKCS#8 key (App Store Connect .p8) and the RSA-2048 key (a Google
        service account's) read from the two PEM files, which bench/run makes
        with `openssl genpkey`; GitHub Actions workflows for both targets.

    setup_fixture.py tenants URL TOKEN COUNT PREFIX
        creates COUNT tenants with POST URL/api/v1/tenants {"orgName": PREFIX-n}
        as the token's account (which becomes their owner) over a few
        keep-alive connections, and prints their ids, one a line. Exits 1 on
        the first answer that is not 201.

    setup_fixture.py site | post
        prints the post_page case's site, or its published post (about 2.5 KB
        of Markdown release notes).

    setup_fixture.py release DB_PATH TENANT_ID ACCOUNT_ID
        writes the release_page case's release straight into slipway's SQLite
        database (no provider is called): a release in REGRESSION with one
        succeeded IOS build and the nine timeline entries a release has by
        then in bench/release_builds.py, and prints its id.
"""
import http.client
import json
import sqlite3
import sys
import threading
import time
import urllib.parse


def body(ec_path, rsa_path):
    with open(ec_path) as f:
        ec = f.read()
    with open(rsa_path) as f:
        rsa = f.read()
    return {
        "github": {"accessToken": "ghp_Q3bV8xK2mN7pL4rT9wY6zA1cE5fH0jD2sG8k",
                   "organization": "dream11", "repoName": "mobile-app"},
        "targets": ["APP_STORE", "PLAY_STORE"],
        "platforms": ["IOS", "ANDROID"],
        "appStoreConnect": {"apiKeyId": "2X9R4HXF34", "issuerId": "c3a5f1d2-7b4e-4a9c-8f21-5d6e9b0a4c37",
                            "privateKey": ec, "bundleId": "com.dream11.app", "teamId": "A1B2C3D4E5"},
        "playStore": {"serviceAccountEmail": "release-bot@dream11-mobile.iam.gserviceaccount.com",
                      "privateKey": rsa, "packageName": "com.dream11.app"},
        "cicd": {"type": "GITHUB_ACTIONS", "workflows": [
            {"name": "iOS Build", "workflowPath": ".github/workflows/ios-build.yml", "platform": "IOS",
             "target": "APP_STORE"},
            {"name": "Android Build", "workflowPath": ".github/workflows/android-build.yml", "platform": "ANDROID",
             "target": "PLAY_STORE"}]},
        "slack": {"botToken": "xoxb-2741938204-5528316640913-Wq7nR3kTz9LmXc2VbP4sHd8J",
                  "channels": ["releases"],
                  "notifyOnEvents": ["release_started", "build_completed", "release_submitted"]},
    }


def tenants(url, token, count, prefix, nconn=4):
    u = urllib.parse.urlsplit(url)
    ids = [None] * count
    failure = []
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

    def work(first):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        for i in range(first, count, nconn):
            if failure:
                return
            conn.request("POST", "/api/v1/tenants", body=json.dumps({"orgName": "%s-%d" % (prefix, i)}),
                         headers=headers)
            r = conn.getresponse()
            answer = r.read()
            if r.status != 201:
                failure.append("POST /api/v1/tenants answered %d: %s" % (r.status, answer[:300]))
                return
            ids[i] = json.loads(answer)["id"]
        conn.close()

    started = time.monotonic()
    workers = [threading.Thread(target=work, args=(t,)) for t in range(nconn)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if failure:
        sys.exit("setup_fixture.py: " + failure[0])
    print("setup_fixture.py: %d tenants in %.1f s" % (count, time.monotonic() - started), file=sys.stderr)
    return ids


def site():
    """The post_page case's site (docs/sites.md)."""
    return {"slug": "bench-notes", "name": "Bench release notes"}


def post():
    """The post_page case's post: about 3 KB of Markdown, published (release notes as a team writes them)."""
    items = "".join("- Fixed issue #%d: the %s screen no longer freezes when the network drops `mid-sync`.\n"
                    % (100 + i, ("settings", "login", "upload", "search")[i % 4]) for i in range(24))
    body = ("## What's new\n\nRelease **1.2.0** brings *offline sync* and a faster start. See the "
            "[guide](https://example.com/guide) for details.\n\n## Fixes\n\n" + items +
            "\n## Known issues\n\n> Sync of very large libraries can take a while on first start.\n\n"
            "```\nadb install app-release.apk\n```\n")
    return {"title": "Release 1.2.0", "slug": "release-1-2-0", "body": body, "status": "PUBLISHED"}


def release(db_path, tenant, account):
    """The release_page case's release, its build and its timeline, as kickoff and a webhook leave them."""
    def uuid7(n):
        return "0193a000-0000-7000-8000-%012d" % n

    def at(n):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 600 + n)) + ".%03dZ" % n

    rid, bid, run = uuid7(1), uuid7(2), "5f1c9e2a-8d3b-4c6e-9a7f-1b2c3d4e5f60"
    url = "https://app.circleci.com/pipelines/github/acme/mobile/42/workflows/" + run
    events = [("ACTION", "create", None, None, None, "release 1.2.0 created", None),
              ("CALL", "resolve-ref", "OK", None, None, "main is at 9fceb02", {"commit": "9fceb02d0ae598e95dc970b74767f19372d61af8"}),
              ("CALL", "create-branch", "OK", None, None, "release/1.2.0 created at 9fceb02", {"created": True}),
              ("CALL", "create-tag", "OK", None, None, "v1.2.0-rc.1 created", {"created": True}),
              ("STATUS", "kicked-off", None, "KICKOFF", "BUILDING", "candidate 1 tagged", None),
              ("CALL", "trigger-build", "OK", None, None, "the IOS build was triggered", {"runId": run, "triggered": True}),
              ("CALL", "build-webhook", "OK", None, None, "the CI says run %s is success" % run,
               {"event": "build", "runId": run, "status": "completed", "conclusion": "success", "url": url}),
              ("STATUS", "build-succeeded", None, None, None, "the IOS build (candidate 1, attempt 1) succeeded",
               {"runId": run, "number": 42, "url": url}),
              ("STATUS", "builds-done", None, "BUILDING", "REGRESSION", "every build of the candidate succeeded", None)]
    db = sqlite3.connect(db_path, timeout=30)
    with db:
        db.execute("INSERT INTO releases (id, tenantId, version, releaseType, platforms, status, baseRef, baseCommit, "
                   "releaseBranch, branchCommit, candidateNumber, candidateTag, kickoffAt, createdByAccountId, createdAt, "
                   "updatedAt) VALUES (?, ?, '1.2.0', 'MINOR', '[\"IOS\"]', 'REGRESSION', 'main', ?, 'release/1.2.0', ?, 1, "
                   "'v1.2.0-rc.1', ?, ?, ?, ?)",
                   (rid, tenant, "9fceb02d0ae598e95dc970b74767f19372d61af8", "9fceb02d0ae598e95dc970b74767f19372d61af8",
                    at(4), account, at(0), at(8)))
        db.execute("INSERT INTO release_builds (id, tenantId, releaseId, platform, candidateNumber, attempt, status, runId, "
                   "buildNumber, buildUrl, startedAt, finishedAt, createdAt, updatedAt) VALUES "
                   "(?, ?, ?, 'IOS', 1, 1, 'SUCCEEDED', ?, '42', ?, ?, ?, ?, ?)",
                   (bid, tenant, rid, run, url, at(5), at(7), at(5), at(7)))
        for i, (kind, name, outcome, frm, to, message, details) in enumerate(events):
            db.execute("INSERT INTO release_events (id, tenantId, releaseId, kind, name, outcome, fromStatus, toStatus, "
                       "message, details, actorAccountId, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (uuid7(10 + i), tenant, rid, kind, name, outcome, frm, to, message,
                        json.dumps(details) if details else None, account if kind == "ACTION" else None, at(i)))
    db.close()
    return rid


def main(argv):
    if len(argv) == 4 and argv[1] == "body":
        json.dump(body(argv[2], argv[3]), sys.stdout)
        sys.stdout.write("\n")
    elif len(argv) == 2 and argv[1] in ("site", "post"):
        json.dump(site() if argv[1] == "site" else post(), sys.stdout)
        sys.stdout.write("\n")
    elif len(argv) == 5 and argv[1] == "release":
        print(release(argv[2], argv[3], argv[4]))
    elif len(argv) == 6 and argv[1] == "tenants":
        sys.stdout.write("".join(i + "\n" for i in tenants(argv[2], argv[3], int(argv[4]), argv[5])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
