"""Shared material for the setup, integration and secret-storage API tests.

docs/integrations.md is the contract.  This module holds:
- key material made at test time with the `openssl` command line (cached per
  process): App Store Connect .p8 keys (PKCS#8 P-256), RSA service-account
  keys, PKCS#12 signing certificates (valid and expired), and the negative
  material (an RSA key where EC is required, P-384, garbage PEM, JKS);
- the contract's table of the 19 integration types (category, fields,
  required and secret flags) and a valid body builder for each;
- builders for the setup body of document 001 section 9;
- small HTTP, SQLite and assertion helpers, and IntegrationServer, a
  harness.Server that can drop environment variables and reuse a database.

Importing it makes sure INTEGRATION_ENCRYPTION_KEY is set in this process's
environment (a fresh key when it is missing), so a server a test file starts
on its own (no CTest fixture) can store secrets, and drops the
ENABLE_*_INTEGRATION flags from it, so private servers have every type
unless a test sets a flag.
"""

import atexit
import base64
import collections
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import string
import struct
import subprocess
import tempfile
import time
import uuid

import harness
from harness import dbclient

# --------------------------------------------------------------------------
# Environment

KEY_VARS = ("INTEGRATION_ENCRYPTION_KEY", "INTEGRATION_ENCRYPTION_KEY_FILE", "INTEGRATION_ENCRYPTION_OLD_KEYS")
FLAG_VARS = {"JENKINS": "ENABLE_JENKINS_INTEGRATION", "GITHUB_ACTIONS": "ENABLE_GITHUB_ACTIONS_INTEGRATION",
             "SLACK": "ENABLE_SLACK_INTEGRATION"}


def new_encryption_key():
    """A fresh INTEGRATION_ENCRYPTION_KEY: 64 hex characters."""
    return secrets.token_hex(32)


def _ensure_encryption_key():
    if not os.environ.get("INTEGRATION_ENCRYPTION_KEY") and not os.environ.get("INTEGRATION_ENCRYPTION_KEY_FILE"):
        os.environ["INTEGRATION_ENCRYPTION_KEY"] = new_encryption_key()
    for flag in FLAG_VARS.values():  # the suite's servers have every type on unless a test says otherwise
        os.environ.pop(flag, None)


_ensure_encryption_key()


class IntegrationServer(harness.Server):
    """harness.Server plus: `unset` environment variables (e.g. the encryption
    key), a `database` path of the caller's (so it outlives the server's
    temporary directory), and `admin` (the bootstrap JSON of an earlier
    server on that database: bootstrap only runs on an empty one)."""

    def __init__(self, extra_env=None, unset=(), database=None, admin=None):
        super().__init__(extra_env)
        self.unset = set(unset)
        self.database = database
        self._reused_admin = admin

    def env(self):
        env = super().env()
        for name in self.unset:
            env.pop(name, None)
        return env

    def _bootstrap(self, binary, env):
        if self._reused_admin is not None:
            return dict(self._reused_admin)
        return super()._bootstrap(binary, env)


def command_env(extra=None, unset=(), database=None, port=None):
    """The environment a hand-run `slipway` command gets (like harness.Server.env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    if database is not None:
        env["SLIPWAY_DATABASE_URL"] = harness.database_url(database)
    if port is not None:
        env["SLIPWAY_LISTEN"] = "127.0.0.1:%d" % port
    env.update(extra or {})
    for name in unset:
        env.pop(name, None)
    return env


def run_slipway(args, env, cwd=None, timeout=60):
    """Run the binary to completion: (exit code, stdout text, stderr text).

    A process still running after `timeout` seconds is killed and reported as
    exit code None."""
    try:
        proc = subprocess.run([harness.binary_path()] + list(args), env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# Key material (openssl command line), cached per process

_workdir = None
_cache = {}


def _dir():
    global _workdir
    if _workdir is None:
        _workdir = tempfile.mkdtemp(prefix="slipway-keys-")
        atexit.register(shutil.rmtree, _workdir, True)
    return _workdir


def _openssl(*args):
    proc = subprocess.run(["openssl"] + list(args), cwd=_dir(), capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError("openssl %s failed: %s" % (" ".join(args), proc.stderr.decode("utf-8", "replace")))
    return proc.stdout


def _cached(key, make):
    if key not in _cache:
        _cache[key] = make()
    return _cache[key]


def _file(name):
    return os.path.join(_dir(), name)


def _read(name, mode="r"):
    with open(_file(name), mode) as f:
        return f.read()


def ec_private_key(curve="P-256", tag="default"):
    """PEM PKCS#8 EC private key (P-256: the App Store Connect .p8)."""
    def make():
        name = "ec-%s-%s.pem" % (curve, tag)
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + curve, "-out", name)
        return _read(name)
    return _cached(("ec", curve, tag), make)


def rsa_private_key(bits=2048, tag="default"):
    """PEM PKCS#8 RSA private key (a Google service account's private_key)."""
    def make():
        name = "rsa-%d-%s.pem" % (bits, tag)
        _openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:%d" % bits, "-out", name)
        return _read(name)
    return _cached(("rsa", bits, tag), make)


# Well-formed armour around bytes that are no key; and no PEM at all.
GARBAGE_PEM = ("-----BEGIN PRIVATE KEY-----\n" + base64.b64encode(b"this is not a private key at all" * 3).decode()
               + "\n-----END PRIVATE KEY-----\n")
BROKEN_PEM = "-----BEGIN PRIVATE KEY-----\n!!! not base64 !!!\n-----END PRIVATE KEY-----\n"
NOT_PEM = "just a string that is not a key"

Certificate = collections.namedtuple(
    "Certificate", "cert_pem key_pem p12 p12_b64 password common_name fingerprint not_after pem_bundle")


def certificate(expired=False, tag="default"):
    """A self-signed RSA certificate and key, also as a password-protected PKCS#12.

    fingerprint: SHA-256 of the DER certificate, lower-case hex; not_after: an
    aware datetime.  expired=True makes one valid from 2020-01-01 to
    2020-02-01 (`openssl ca -selfsign` with -startdate/-enddate: `req -x509`
    takes no negative -days on OpenSSL 3.0)."""
    def make():
        base = "cert-%s-%s" % ("expired" if expired else "valid", tag)
        cn = "Slipway Test Signing %s %s" % ("Expired" if expired else "Valid", uuid.uuid4().hex[:8])
        key, crt, p12 = base + ".key", base + ".crt", base + ".p12"
        subject = "/CN=%s/O=Slipway API Tests" % cn
        if expired:
            cadir = base + "-ca"
            os.mkdir(_file(cadir))
            with open(_file(cadir + "/ca.cnf"), "w") as f:
                f.write("[ca]\ndefault_ca = d\n[d]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\n"
                        "default_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n"
                        "organizationName = optional\n" % (cadir, cadir, cadir))
            open(_file(cadir + "/index.txt"), "w").close()
            with open(_file(cadir + "/serial"), "w") as f:
                f.write("01\n")
            _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", base + ".csr",
                     "-subj", subject)
            _openssl("ca", "-batch", "-config", cadir + "/ca.cnf", "-selfsign", "-keyfile", key, "-in", base + ".csr",
                     "-out", crt, "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", "-notext")
        else:
            _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "365",
                     "-subj", subject)
        password = "p12-pass-" + random_string(16)
        _openssl("pkcs12", "-export", "-inkey", key, "-in", crt, "-out", p12, "-passout", "pass:" + password,
                 "-name", "slipway-signing")
        der = _openssl("x509", "-in", crt, "-outform", "DER")
        end = _openssl("x509", "-in", crt, "-noout", "-enddate").decode().strip().split("=", 1)[1]
        not_after = datetime.datetime.strptime(end.replace("  ", " "), "%b %d %H:%M:%S %Y GMT").replace(
            tzinfo=datetime.timezone.utc)
        raw = _read(p12, "rb")
        cert_pem, key_pem = _read(crt), _read(key)
        return Certificate(cert_pem, key_pem, raw, base64.b64encode(raw).decode(), password, cn,
                           hashlib.sha256(der).hexdigest(), not_after, cert_pem + key_pem)
    return _cached(("cert", expired, tag), make)


def jks_keystore():
    """A Java KeyStore file (magic 0xFEEDFEED): the valid certificate converted
    with keytool when it is installed, else an empty but well-formed JKS."""
    def make():
        cert = certificate()
        if shutil.which("keytool"):
            with open(_file("jks.p12"), "wb") as f:
                f.write(cert.p12)
            proc = subprocess.run(["keytool", "-importkeystore", "-srckeystore", "jks.p12", "-srcstoretype", "PKCS12",
                                   "-srcstorepass", cert.password, "-destkeystore", "store.jks", "-deststoretype",
                                   "JKS", "-deststorepass", cert.password, "-noprompt"],
                                  cwd=_dir(), capture_output=True, timeout=120)
            if proc.returncode == 0:
                return _read("store.jks", "rb")
        body = struct.pack(">III", 0xFEEDFEED, 2, 0)
        digest = hashlib.sha1(cert.password.encode("utf-16-be") + b"Mighty Aphrodite" + body).digest()
        return body + digest
    return _cached("jks", make)


def pem_fragments(pem):
    """Distinctive pieces of a PEM: every body line, the joined base64's
    middle, and the middle of the DER it encodes."""
    lines = [l.strip() for l in pem.strip().splitlines() if l.strip() and not l.startswith("-----")]
    joined = "".join(lines)
    der = base64.b64decode(joined)
    out = [l for l in lines if len(l) >= 16]
    mid = len(joined) // 2
    out.append(joined[mid - 24:mid + 24])
    out.append(der[len(der) // 2 - 12:len(der) // 2 + 12])
    return out


def secret_fragments(value):
    """What must never be found where a secret may not be (bytes and str)."""
    if isinstance(value, bytes):
        mid = len(value) // 2
        return [value[max(0, mid - 12):mid + 12]]
    if "-----BEGIN" in value:
        return pem_fragments(value)
    out = [value]
    if len(value) >= 40 and re.fullmatch(r"[A-Za-z0-9+/]+=*", value) and len(value) % 4 == 0:
        out.append(value[max(0, len(value) // 2 - 24):len(value) // 2 + 24])  # base64 data: middle, and bytes
        out += secret_fragments(base64.b64decode(value))
    if len(value) >= 12:  # plaintext merely re-encoded is a leak too
        out.append(value.encode().hex())
        for pad in ("", "a", "ab"):
            enc = base64.b64encode((pad + value).encode()).decode()
            out.append(enc[4:-4])
    return [f for f in out if len(f) >= 8]  # shorter pieces could be a mask's last four


# --------------------------------------------------------------------------
# Random values

ALNUM = string.ascii_letters + string.digits


def random_string(n, alphabet=ALNUM):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def tag():
    return uuid.uuid4().hex[:8]


def token(prefix, n=36):
    return prefix + random_string(n)


def apple_id10():
    return random_string(10, string.ascii_uppercase + string.digits)


def mask(secret):
    """The contract's mask: `****` + the last four characters from 12 characters on."""
    return "****" + secret[-4:] if len(secret) >= 12 else "****"


# --------------------------------------------------------------------------
# The contract's table of types

CATEGORIES = {  # slug: (table, type column)
    "scm": ("tenant_scm_integrations", "scmType"),
    "targets": ("tenant_target_integrations", "targetType"),
    "pipelines": ("tenant_pipeline_integrations", "pipelineType"),
    "communication": ("tenant_communication_integrations", "communicationType"),
    "tickets": ("tenant_ticket_integrations", "ticketSystemType"),
    "test-management": ("tenant_test_management_integrations", "testManagementType"),
    "code-signing": ("tenant_code_signing_integrations", "signingType"),
    "monitoring": ("tenant_monitoring_integrations", "monitoringType"),
}

COMMON_KEYS = ("id", "tenantId", "displayName", "isActive", "verificationStatus", "lastVerifiedAt",
               "lastVerificationError", "configuredByAccountId", "createdAt", "updatedAt")
STATUSES = ("NOT_VERIFIED", "VALID", "INVALID", "EXPIRED")
EVENTS = ("release_started", "build_completed", "build_failed", "release_submitted", "release_approved",
          "release_rejected", "rollout_updated", "release_completed")

Field = collections.namedtuple("Field", "kind required secret")  # required None: the contract does not say


def F(kind="string", required=False, secret=False):
    return Field(kind, required, secret)


REQ, OPT, REQ_S, OPT_S = F(required=True), F(), F(required=True, secret=True), F(secret=True)

SCM_FIELDS = {"organization": REQ, "repoName": REQ, "repositoryUrl": OPT, "defaultBranch": OPT, "serverUrl": OPT,
              "accessToken": REQ_S, "refreshToken": OPT_S, "expiresAt": OPT, "clientId": OPT, "clientSecret": OPT_S}
PIPELINE_FIELDS = {"scmIntegrationId": REQ, "targetIntegrationId": REQ, "description": OPT, "platform": OPT,
                   "triggerOnRelease": F("boolean"), "buildTimeout": F("integer"),
                   "environmentVariables": F("object")}
GOOGLE_FIELDS = {"googleServiceAccountEmail": REQ, "googlePrivateKey": REQ_S}
TICKET_FIELDS = {"autoCreateEpics": F("boolean"), "epicTemplate": F("object")}
NOTIFY = {"notifyOnEvents": F("array")}

TYPES = {  # type: (category, {field: Field})
    "GITHUB": ("scm", SCM_FIELDS),
    "GITLAB": ("scm", SCM_FIELDS),
    "BITBUCKET": ("scm", SCM_FIELDS),
    "GITEA": ("scm", dict(SCM_FIELDS, serverUrl=REQ)),
    "APP_STORE": ("targets", {"appleApiKeyId": REQ, "appleIssuerId": REQ, "applePrivateKey": REQ_S,
                              "appleBundleId": REQ, "appleTeamId": OPT}),
    "PLAY_STORE": ("targets", dict(GOOGLE_FIELDS, googlePackageName=REQ)),
    "FIREBASE": ("targets", {"firebaseProjectId": REQ, "firebaseAppId": REQ,
                             "googleServiceAccountEmail": F(required=None),
                             "googlePrivateKey": F(required=None, secret=True)}),
    "JENKINS": ("pipelines", dict(PIPELINE_FIELDS, jenkinsUrl=REQ, jenkinsUsername=REQ, jenkinsApiToken=REQ_S,
                                  jenkinsJobPath=REQ)),
    "GITHUB_ACTIONS": ("pipelines", dict(PIPELINE_FIELDS, githubWorkflowPath=REQ, githubWorkflowRef=OPT)),
    "GITLAB_CI": ("pipelines", dict(PIPELINE_FIELDS, gitlabPipelineId=OPT, gitlabJobName=OPT)),
    "CIRCLECI": ("pipelines", dict(PIPELINE_FIELDS, circleciProjectSlug=REQ, circleciApiToken=REQ_S,
                                   circleciWorkflowName=OPT)),
    "SLACK": ("communication", dict(NOTIFY, slackBotToken=OPT_S, slackWebhookUrl=OPT_S,
                                    slackChannels=F("array"))),
    "EMAIL": ("communication", dict(NOTIFY, emailRecipients=F("array", True), emailFromAddress=REQ, smtpHost=REQ,
                                    smtpPort=F("integer"), smtpUsername=OPT, smtpPassword=OPT_S)),
    "TEAMS": ("communication", dict(NOTIFY, teamsWebhookUrl=REQ_S, teamsChannelId=OPT)),
    "JIRA": ("tickets", dict(TICKET_FIELDS, jiraUrl=REQ, jiraEmail=REQ, jiraApiToken=REQ_S, jiraProjectKey=REQ,
                             jiraDefaultIssueType=OPT, issueTransition=OPT)),
    "LINEAR": ("tickets", dict(TICKET_FIELDS, linearApiKey=REQ_S, linearTeamId=REQ, linearDefaultProjectId=OPT)),
    "AZURE_DEVOPS": ("tickets", dict(TICKET_FIELDS, azureOrganization=REQ, azureProject=REQ, azurePatToken=REQ_S,
                                     azureUrl=OPT)),
    "TEST_RAIL": ("test-management", {"testRailUrl": REQ, "testRailUsername": REQ, "testRailApiKey": REQ_S,
                                      "testRailProjectId": F("integer", True)}),
    "CODE_SIGNING": ("code-signing", {"platform": REQ, "certificateFormat": REQ, "certificateData": REQ_S,
                                      "certificatePassword": OPT_S, "keyAlias": OPT, "keyPassword": OPT_S}),
    "SENTRY": ("monitoring", {"sentryUrl": OPT, "sentryOrganization": REQ, "sentryProject": REQ, "sentryAuthToken": REQ_S}),
    "BUGSNAG": ("monitoring", {"bugsnagUrl": OPT, "bugsnagProjectId": REQ, "bugsnagAuthToken": REQ_S}),
}
READ_ONLY = {"CODE_SIGNING": ("certificateSubject", "certificateFingerprint", "certificateExpiresAt")}
# A pipeline type's SCM type, when the contract ties them.
PIPELINE_SCM = {"JENKINS": "GITHUB", "GITHUB_ACTIONS": "GITHUB", "GITLAB_CI": "GITLAB", "CIRCLECI": "BITBUCKET"}


def category_of(type_):
    return TYPES[type_][0]


def types_of(category):
    return [t for t, (c, _) in TYPES.items() if c == category]


def secret_fields(type_):
    return sorted(name for name, f in TYPES[type_][1].items() if f.secret)


def required_fields(type_):
    return sorted(name for name, f in TYPES[type_][1].items() if f.required)


# --------------------------------------------------------------------------
# Valid bodies for POST /integrations/{category}


def valid_body(type_, scm=None, target=None, **overrides):
    """A fresh, valid POST body for type_ (unique names, fresh secrets).

    Pipelines need scm= and target= (integration ids).  overrides replace
    fields; an override of None drops the field."""
    t = tag()
    body = {"type": type_, "displayName": "%s %s" % (type_.replace("_", " ").title(), t)}
    if category_of(type_) == "scm":
        body.update(organization="org-" + t, repoName="mobile-app-" + t, defaultBranch="main",
                    accessToken=token({"GITHUB": "ghp_", "GITLAB": "glpat-", "BITBUCKET": "ATBB",
                                       "GITEA": "gitea_"}[type_], 36))
        if type_ == "GITEA":
            body["serverUrl"] = "https://gitea.example.com"
    elif type_ == "APP_STORE":
        body.update(appleApiKeyId=apple_id10(), appleIssuerId=str(uuid.uuid4()), applePrivateKey=ec_private_key(),
                    appleBundleId="com.example.app" + t, appleTeamId=apple_id10())
    elif type_ == "PLAY_STORE":
        body.update(googleServiceAccountEmail="release-%s@project-x.iam.gserviceaccount.com" % t,
                    googlePrivateKey=rsa_private_key(), googlePackageName="com.example.app" + t)
    elif type_ == "FIREBASE":
        body.update(firebaseProjectId="slipway-" + t, firebaseAppId="1:123456789012:android:" + uuid.uuid4().hex,
                    googleServiceAccountEmail="firebase-%s@project-x.iam.gserviceaccount.com" % t,
                    googlePrivateKey=rsa_private_key())
    elif category_of(type_) == "pipelines":
        if scm is None or target is None:
            raise ValueError("a pipeline body needs scm= and target=")
        body.update(scmIntegrationId=scm, targetIntegrationId=target, description="Release build " + t,
                    platform="ANDROID", triggerOnRelease=True, buildTimeout=1800,
                    environmentVariables={"FLAVOR": "production", "TRACK": "beta"})
        body.update({
            "JENKINS": dict(jenkinsUrl="https://jenkins.example.com", jenkinsUsername="release-bot",
                            jenkinsApiToken=token("jnk-", 32), jenkinsJobPath="mobile/release-" + t),
            "GITHUB_ACTIONS": dict(githubWorkflowPath=".github/workflows/release-%s.yml" % t, githubWorkflowRef="main",
                                   platform="IOS"),
            "GITLAB_CI": dict(gitlabPipelineId="4242", gitlabJobName="build-android-" + t),
            "CIRCLECI": dict(circleciProjectSlug="bb/org-%s/repo" % t, circleciApiToken=token("circle-", 40),
                             circleciWorkflowName="release"),
        }[type_])
    elif type_ == "SLACK":
        body.update(slackBotToken=token("xoxb-", 40), slackChannels=["releases", "dev-team"],
                    notifyOnEvents=["release_started", "build_completed", "release_submitted"])
    elif type_ == "EMAIL":
        body.update(emailRecipients=["release@example.com", "qa-%s@example.com" % t],
                    emailFromAddress="slipway@example.com", smtpHost="smtp.example.com", smtpPort=587,
                    smtpUsername="slipway", smtpPassword=token("smtp-", 24), notifyOnEvents=["release_completed"])
    elif type_ == "TEAMS":
        body.update(teamsWebhookUrl="https://example.webhook.office.com/webhookb2/" + token("", 40),
                    teamsChannelId="19:%s@thread.tacv2" % t, notifyOnEvents=["build_failed", "rollout_updated"])
    elif type_ == "JIRA":
        body.update(jiraUrl="https://example.atlassian.net", jiraEmail="bot@example.com",
                    jiraApiToken=token("ATATT3x", 40), jiraProjectKey="REL", jiraDefaultIssueType="Epic",
                    autoCreateEpics=True, epicTemplate={"summary": "Release {version}", "labels": ["release"]})
    elif type_ == "LINEAR":
        body.update(linearApiKey=token("lin_api_", 40), linearTeamId="team-" + t, linearDefaultProjectId="proj-" + t)
    elif type_ == "AZURE_DEVOPS":
        body.update(azureOrganization="example-org-" + t, azureProject="mobile", azurePatToken=token("", 52),
                    azureUrl="https://dev.azure.com")
    elif type_ == "TEST_RAIL":
        body.update(testRailUrl="https://example.testrail.io", testRailUsername="qa@example.com",
                    testRailApiKey=token("trk-", 30), testRailProjectId=7)
    elif type_ == "CODE_SIGNING":
        cert = certificate()
        body.update(platform="IOS", certificateFormat="PKCS12", certificateData=cert.p12_b64,
                    certificatePassword=cert.password, keyAlias="slipway-signing")
    elif type_ == "SENTRY":
        body.update(sentryUrl="https://sentry.io", sentryOrganization="acme-" + t, sentryProject="mobile",
                    sentryAuthToken=token("sntrys_", 40))
    elif type_ == "BUGSNAG":
        body.update(bugsnagUrl="https://api.bugsnag.com", bugsnagProjectId="5f" + t, bugsnagAuthToken=token("", 36))
    else:
        raise KeyError(type_)
    for name, value in overrides.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def pipeline_refs(type_, scm, target):
    """valid_body's scm=/target= keywords for type_ ({} unless it is a pipeline).

    scm(scm_type) and target() return integrations (called only for a
    pipeline, so they may create them); the SCM is of PIPELINE_SCM's type."""
    if category_of(type_) != "pipelines":
        return {}
    return {"scm": scm(PIPELINE_SCM[type_])["id"], "target": target()["id"]}


def body_secrets(type_, body):
    """{field: value} of the secret fields present in a category body."""
    return {k: body[k] for k in secret_fields(type_) if isinstance(body.get(k), str)}


# --------------------------------------------------------------------------
# Setup bodies (document 001 section 9)

SETUP_PATH = "/api/v1/%s/release-management/setup"
SETUP_KEYS = ("success", "setupComplete", "message", "completedAt")
STATUS_KEYS = ("setupComplete", "setupCompletedAt", "setupCompletedByAccountId", "steps", "selectedTargets",
               "selectedPlatforms", "nextStep", "progress", "integrations")
STEPS = (("github", True), ("targets", True), ("credentials", True), ("cicd", False), ("slack", False))
SETUP_SECRET_KEYS = ("accessToken", "privateKey", "apiToken", "botToken", "webhookUrl")


def setup_github(**overrides):
    t = tag()
    return dict({"accessToken": token("ghp_", 36), "organization": "dream11-" + t, "repoName": "mobile-app"},
                **overrides)


def setup_app_store(**overrides):
    return dict({"apiKeyId": apple_id10(), "issuerId": str(uuid.uuid4()), "privateKey": ec_private_key(),
                 "bundleId": "com.dream11.app", "teamId": apple_id10()}, **overrides)


def setup_play_store(**overrides):
    return dict({"serviceAccountEmail": "sa-%s@project.iam.gserviceaccount.com" % tag(),
                 "privateKey": rsa_private_key(), "packageName": "com.dream11.app"}, **overrides)


def setup_workflows():
    return [{"name": "iOS Build", "workflowPath": ".github/workflows/ios-build.yml", "platform": "IOS",
             "target": "APP_STORE"},
            {"name": "Android Build", "workflowPath": ".github/workflows/android-build.yml", "platform": "ANDROID",
             "target": "PLAY_STORE"}]


def setup_actions(workflows=None):
    return {"type": "GITHUB_ACTIONS", "workflows": setup_workflows() if workflows is None else workflows}


def setup_jenkins(pipelines=None):
    return {"type": "JENKINS", "url": "https://jenkins.example.com", "username": "admin",
            "apiToken": token("jenkins-", 32),
            "pipelines": pipelines if pipelines is not None else [
                {"name": "production-build", "jobPath": "folder/job-name", "platform": "ANDROID",
                 "target": "PLAY_STORE"}]}


def setup_slack(**overrides):
    return dict({"botToken": token("xoxb-", 40), "channels": ["releases"],
                 "notifyOnEvents": ["release_started", "build_completed", "release_submitted"]}, **overrides)


def step_body(step):
    """A valid body for PUT .../setup/steps/{step} (fresh values), or KeyError for a step the contract lacks."""
    return {"github": setup_github, "slack": setup_slack, "cicd": setup_actions,
            "targets": lambda: {"targets": ["APP_STORE", "PLAY_STORE"], "platforms": ["IOS", "ANDROID"]},
            "credentials": lambda: {"appStoreConnect": setup_app_store()}}[step]()


def full_setup_body(cicd=None, without=()):
    """Document 001 section 9's request with real values (cicd: another
    cicd section; without: the parts to leave out)."""
    body = {"github": setup_github(), "targets": ["APP_STORE", "PLAY_STORE"], "platforms": ["IOS", "ANDROID"],
            "appStoreConnect": setup_app_store(), "playStore": setup_play_store(),
            "cicd": cicd if cicd is not None else setup_actions(), "slack": setup_slack()}
    for name in without:
        del body[name]
    return body


def setup_body_secrets(body):
    """Every secret string in a setup body (walks nested sections)."""
    found = []

    def walk(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                if k in SETUP_SECRET_KEYS and isinstance(v, str):
                    found.append(v)
                else:
                    walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
    walk(body)
    return found


# Refused as malformed_json besides harness.MALFORMED_BODIES (docs/api.md "JSON").
MORE_MALFORMED = (b'{"displayName": "a", "displayName": "b"}', b'{"displayName": "nul\\u0000inside"}')


# --------------------------------------------------------------------------
# HTTP helpers


def remember(server, *values):
    """Tell the harness these secrets must never reach the server's log.

    A PEM is remembered line by line (the harness keeps one secret a line)."""
    for value in values:
        if isinstance(value, str):
            for line in value.splitlines():
                if not line.startswith("-----"):
                    server.remember_secret(line.strip())


def remember_body(server, body, type_=None):
    if type_ is not None:
        remember(server, *body_secrets(type_, body).values())
    else:
        remember(server, *setup_body_secrets(body))


def ipath(tenant_id, category, id=None, query=None):
    path = "/api/v1/%s/integrations/%s" % (tenant_id, category)
    if id is not None:
        path += "/" + id
    return path + ("?" + query if query else "")


def post_integration(server, token, tenant_id, body, category=None, **kw):
    remember_body(server, body, body.get("type") if body.get("type") in TYPES else None)
    return server.request("POST", ipath(tenant_id, category or category_of(body["type"])), body=body, token=token,
                          **kw)


def create_integration(server, token, tenant_id, body):
    """POST a valid body; returns the integration (AssertionError unless 201)."""
    resp = post_integration(server, token, tenant_id, body)
    if resp.status != 201:
        raise AssertionError("creating %s failed: %s" % (body.get("type"), resp))
    return resp.json


ALL_SECRET_FIELDS = {name for _, fields in TYPES.values() for name, f in fields.items() if f.secret}


def patch_integration(server, token, tenant_id, category, id, body, **kw):
    if isinstance(body, dict):
        remember(server, *[v for k, v in body.items() if k in ALL_SECRET_FIELDS])
    return server.request("PATCH", ipath(tenant_id, category, id), body=body, token=token, **kw)


def post_setup(server, token, tenant_id, body, **kw):
    if isinstance(body, dict):
        remember_body(server, body)
    return server.request("POST", SETUP_PATH % tenant_id, body=body, token=token, **kw)


def put_step(server, token, tenant_id, step, body, **kw):
    if isinstance(body, dict):
        remember_body(server, {"section": body})
    return server.request("PUT", (SETUP_PATH % tenant_id) + "/steps/" + step, body=body, token=token, **kw)


class Pipeline:
    """An SCM and a target of one tenant, ready for pipelines to reference."""

    def __init__(self, server, token, tenant_id, scm_type="GITHUB", target_type="PLAY_STORE"):
        self.scm = create_integration(server, token, tenant_id, valid_body(scm_type))
        self.target = create_integration(server, token, tenant_id, valid_body(target_type))


# --------------------------------------------------------------------------
# Assertions


def integration_type(obj, category):
    """The type of an integration answer: `type`, or the table's type column."""
    column = CATEGORIES[category][1]
    return obj.get("type", obj.get(column))


PEM_KINDS = {"applePrivateKey": "P-256 EC key", "googlePrivateKey": "RSA key"}


def pem_masks(field, pem):
    """The masks a PEM key saved just now may have: what it is, the last four characters of its base64 body, and
    the day it was added (today, or yesterday across midnight UTC)."""
    body = pem[:pem.index("-----END")].rstrip()
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return {"%s ending \u2026%s, added on %s" % (PEM_KINDS.get(field, "PEM text"), body[-4:], day.isoformat())
            for day in (today, today - datetime.timedelta(days=1))}


def assert_secret_value(test, field, shown, sent):
    """The owner's view of a secret: the contract's mask (a PEM key's says what it is, how it ends, when it came)."""
    allowed = pem_masks(field, sent) if sent.startswith("-----BEGIN") else {mask(sent), mask(sent.rstrip("\n"))}
    test.assertIn(shown, allowed, "%s: the mask of a %d-character secret" % (field, len(sent)))


def assert_integration(test, obj, body, role="owner", tenant_id=None, configured_by=None):
    """An integration answer against the body that made (or last set) it."""
    type_ = body["type"]
    category = category_of(type_)
    test.assertIsInstance(obj, dict)
    for key in COMMON_KEYS:
        test.assertIn(key, obj, "every integration has %s" % key)
    harness.assert_uuid(test, obj["id"])
    test.assertEqual(integration_type(obj, category), type_, "type (or %s)" % CATEGORIES[category][1])
    test.assertEqual(obj.get("category"), category, "answers carry the category slug")
    if tenant_id is not None:
        test.assertEqual(obj["tenantId"], tenant_id)
    if configured_by is not None:
        test.assertEqual(obj["configuredByAccountId"], configured_by)
    test.assertEqual(obj["displayName"], body["displayName"])
    test.assertIs(obj["isActive"], body.get("isActive", True))
    test.assertIn(obj["verificationStatus"], STATUSES)
    harness.assert_timestamp(test, obj["createdAt"], "createdAt")
    harness.assert_timestamp(test, obj["updatedAt"], "updatedAt")
    if obj["lastVerifiedAt"] is not None:
        harness.assert_timestamp(test, obj["lastVerifiedAt"], "lastVerifiedAt")
    fields = TYPES[type_][1]
    for name, value in body.items():
        if name in ("type", "displayName", "isActive"):
            continue
        if fields[name].secret:
            if role == "owner":
                assert_secret_value(test, name, obj.get(name), value)
            else:
                test.assertNotIn(name, obj, "a %s sees no secret field" % role)
        elif name == "expiresAt":
            test.assertEqual(harness.parse_time(obj[name]), harness.parse_time(value))
        else:
            test.assertEqual(obj.get(name), value, "%s is echoed" % name)
    for name in secret_fields(type_):
        if role != "owner":
            test.assertNotIn(name, obj, "a %s sees no secret field" % role)
        elif name not in body:
            test.assertIsNone(obj.get(name), "an unset secret shows no mask")
    if role == "owner":
        test.assertEqual(obj.get("unreadableSecrets", []), [], "every secret decrypts")


def assert_no_secret_fields(test, obj, type_):
    for name in secret_fields(type_):
        test.assertNotIn(name, obj)


def detail_leaf(field):
    parts = [p for p in re.split(r"[.\[\]/]+", field) if p and not p.isdigit()]
    return parts[-1] if parts else field


def assert_invalid_at(test, resp, *expected):
    """400 invalid_request with a detail for each expected field path.

    A path is 'field' or 'section.field': the detail's field must end with the
    leaf name and mention every section named before it
    (`cicd.workflows[0].target` matches 'cicd.target')."""
    details = harness.assert_error(test, resp, 400, "invalid_request")
    for path in expected:
        parts = path.split(".")
        ok = [d for d in details if detail_leaf(d["field"]) == parts[-1] and all(p in d["field"] for p in parts[:-1])]
        test.assertTrue(ok, "a detail on %s in %s" % (path, resp))
    return details


def assert_invalid_fields(test, resp, fields):
    """harness.assert_invalid (exactly these fields), returning the details."""
    harness.assert_invalid(test, resp, fields)
    return resp.json["error"]["details"]


def assert_setup_answer(test, resp, complete):
    body = harness.expect(test, resp, 200)
    harness.assert_keys(test, body, SETUP_KEYS, "setup answer")
    test.assertIs(body["success"], True)
    test.assertIs(body["setupComplete"], complete)
    test.assertIsInstance(body["message"], str)
    test.assertTrue(body["message"])
    if complete:
        harness.assert_timestamp(test, body["completedAt"], "completedAt")
    else:
        test.assertIsNone(body["completedAt"], "completedAt is null until complete")
    return body


def assert_has_keys(test, obj, keys, what):
    test.assertIsInstance(obj, dict, what)
    test.assertFalse(set(keys) - set(obj), "%s has %s" % (what, sorted(keys)))


def assert_setup_status(test, body, exact=False):
    """GET .../setup: steps in order, progress and nextStep consistent.

    exact=True: no key beyond the contract's, here and in steps and integrations."""
    check = harness.assert_keys if exact else assert_has_keys
    check(test, body, STATUS_KEYS, "setup status")
    test.assertIsInstance(body["setupComplete"], bool)
    steps = body["steps"]
    test.assertEqual([(s.get("id"), s.get("required")) for s in steps], list(STEPS), "steps and required flags")
    for s in steps:
        check(test, s, ("id", "name", "required", "done"), "step")
        test.assertIsInstance(s["name"], str)
        test.assertTrue(s["name"])
        test.assertIsInstance(s["done"], bool)
    done = [s["done"] for s in steps]
    test.assertEqual(body["progress"], 20 * sum(done), "progress: done steps out of 5")
    test.assertIsInstance(body["progress"], int)
    required_left = [s["id"] for s in steps if s["required"] and not s["done"]]
    optional_left = [s["id"] for s in steps if not s["required"] and not s["done"]]
    test.assertEqual(body["nextStep"], (required_left + optional_left + [None])[0], "nextStep")
    if body["setupComplete"]:
        test.assertEqual(required_left, [], "complete means every required step is done")
        harness.assert_timestamp(test, body["setupCompletedAt"], "setupCompletedAt")
        harness.assert_uuid(test, body["setupCompletedByAccountId"])
    for key in ("selectedTargets", "selectedPlatforms"):
        test.assertIsInstance(body[key], list, key)
    test.assertIsInstance(body["integrations"], list)
    for item in body["integrations"]:
        check(test, item, ("id", "category", "type", "displayName", "verificationStatus", "lastVerifiedAt"),
              "setup integration")
        test.assertIn(item["category"], CATEGORIES)
        test.assertEqual(category_of(item["type"]), item["category"])
        test.assertIn(item["verificationStatus"], STATUSES)
    return body


def setup_status(test, server, token, tenant_id, exact=False):
    return assert_setup_status(test, harness.expect(test, server.request("GET", SETUP_PATH % tenant_id,
                                                                         token=token), 200), exact)


def step_done(status, step):
    return {s["id"]: s["done"] for s in status["steps"]}[step]


def json_words(obj):
    """Every key and string value in a JSON value (to look for names in audit details)."""
    out = set()
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            out |= json_words(v)
    elif isinstance(obj, list):
        for v in obj:
            out |= json_words(v)
    elif isinstance(obj, str):
        out.add(obj)
    return out


def audit_rows(test, server, token, tenant_id, **filters):
    body = harness.page(test, server, "/api/v1/%s/audit-logs" % tenant_id, token, limit=200, **filters)
    return body["items"]


# --------------------------------------------------------------------------
# The database under the server (SQLite file, or a PostgreSQL/MariaDB database)

CIPHERTEXT_RE = re.compile(r"^v1\.([^.\s]+)\.([^.\s]+)\.([^.\s]+)$")
# The tables the release page shows (releases_http.c keeps the page at the tenant's revision; docs/releases.md "API").
RELEASE_PAGE_TABLES = re.compile(
    r"\b(releases|release_builds|release_events|release_approvals|store_submissions|store_health)\b", re.I)
def db_execute(server, sql, params=()):
    """One write statement with ? placeholders, committed; returns the rows it changed.

    slipway caches what it derives from a tenant (the setup status, the
    release page) at the tenant's revision: a write behind its back that
    changes what a test reads next through the API must also call
    touch_tenant. A write to a table the release page shows raises every
    tenant's revision here, as slipway's own writes to them do."""
    url = harness.database_url(server.database_path())
    changed = dbclient.execute(url, sql, params)
    if RELEASE_PAGE_TABLES.search(sql):
        dbclient.execute(url, "UPDATE tenants SET revision = revision + 1", ())
    return changed


def touch_tenant(server, tenant_id):
    """Raises a tenant's revision, as slipway's own writes do (tenancy/tenants.h)."""
    db_execute(server, "UPDATE tenants SET revision = revision + 1 WHERE id = ?", (tenant_id,))


def db_query(server, sql, params=()):
    """(column names, rows) of a query with ? placeholders."""
    return dbclient.query(harness.database_url(server.database_path()), sql, params)


def ready_for_releases(test, server, token, tenant_id):
    """The setup wizard saved (GitHub, App Store) and its target VALID: what creating a release needs."""
    body = {"github": setup_github(), "targets": ["APP_STORE"], "platforms": ["IOS"], "appStoreConnect": setup_app_store()}
    remember_body(server, body)
    harness.expect(test, post_setup(server, token, tenant_id, body), 200)
    _, rows = db_query(server, "SELECT id FROM tenant_target_integrations WHERE tenantId = ?", (tenant_id,))
    set_verification(server, "targets", rows[0][0], "VALID")


def set_verification(server, category, id, status):
    """Flip verificationStatus in the database (verification is a later feature)."""
    table = CATEGORIES[category][0]
    if db_execute(server, "UPDATE %s SET verificationStatus = ? WHERE id = ?" % table, (status, id)) != 1:
        raise AssertionError("no %s row %s to set %s" % (table, id, status))
    _, rows = db_query(server, "SELECT tenantId FROM %s WHERE id = ?" % table, (id,))
    touch_tenant(server, rows[0][0])


def column_value(server, category, id, column):
    _, rows = db_query(server, "SELECT %s FROM %s WHERE id = ?" % (column, CATEGORIES[category][0]), (id,))
    if len(rows) != 1:
        raise AssertionError("no %s row %s" % (CATEGORIES[category][0], id))
    return rows[0][0]


def raw_database_bytes(server):
    """Everything the database holds, as bytes: the SQLite file with its -wal and
    -journal, or every row of every table of a server database."""
    database = server.database_path()
    if "://" in database:
        return repr(dbclient.dump(database)).encode("utf-8")
    out = b""
    for suffix in ("", "-wal", "-journal"):
        try:
            with open(database + suffix, "rb") as f:
                out += f.read()
        except OSError:
            pass
    return out


def stored_ciphertexts(database):
    """[(table, column, value)] of every text value shaped like v1.<keyId>.<nonce>.<ct> in a database."""
    url, found = harness.database_url(database), []
    for table in dbclient.tables(url):
        names, rows = dbclient.query(url, "SELECT * FROM %s" % table)
        for row in rows:
            for name, value in zip(names, row):
                if isinstance(value, str) and CIPHERTEXT_RE.match(value):
                    found.append((table, name, value))
    return found


def key_id(ciphertext):
    return CIPHERTEXT_RE.match(ciphertext).group(1)


def copy_database(src, directory):
    """A consistent copy of a stopped server's database; returns the copy (a
    path in directory for SQLite, a URL for a server database)."""
    return harness.copy_database(src, directory)