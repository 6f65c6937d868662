"""The bad-input catalogue: every write route of the table, fed bad bodies.

For each route that takes a body (read from the route table and the served
OpenAPI document, as the isolation matrix does), tenant A's owner sends:
malformed JSON, each top-level field with each wrong type, huge strings and
a body past the limit, deep nesting (of the whole body and inside a field),
invalid UTF-8, NUL bytes (escaped and raw), unknown fields, and SQL and
path injection strings in every path parameter (of every route with one,
reads and deletes included). Each answer must be a 4xx
with the error envelope, and tenant A's rows in the database are the same
before and after (compared row by row, read-only columns such as
lastUsedAt left out).

Injection strings in body fields are also sent, on a second tenant C: a
field of free text may take one as text (and must give it back verbatim),
every other field refuses it with a 4xx; and still nothing of A changes.

A route with a body needs a valid example in VALID (the mutations start
from it): a new write route without one fails here, by name.
"""

import json
import unittest
import uuid
from urllib.parse import quote

import harness
from harness import dbclient
import integration_fixtures as fx
import route_matrix

tearDownModule = harness.stop_shared_server

SQL_INJECTIONS = ("' OR '1'='1", "'; DROP TABLE tenants; --", "\" OR 1=1 --", "1; SELECT * FROM api_tokens",
                  "' UNION SELECT tokenHash FROM api_tokens --", "%' AND 1=0 UNION SELECT NULL --")
PATH_INJECTIONS = ("../../../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2f", "/etc/shadow",
                   "file:///etc/passwd", "....//....//", "%00", "a/../../b")
WRONG_TYPES = tuple(t for t in harness.WRONG_TYPES if t is not None)  # null means "absent" (or "clear" in a PATCH)
HUGE = "x" * 300_000
DEEP = 100_000


def nested(depth, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def verify_kind_body(tenant_id):
    return {"tenantId": tenant_id, "config": {"displayName": "probe"}}


# A valid body for each write route, made fresh for org (the catalogue only
# ever sends it broken). Keyed by (method, path); the setup verifications
# share one shape.
VALID = {
    ("POST", "/api/v1/auth/login"): lambda org: {"email": org.owner.email, "password": "not-the-password"},
    ("POST", "/api/v1/me/tokens"): lambda org: {"name": "probe", "expiresInDays": 30},
    ("POST", "/api/v1/tenants"): lambda org: {"orgName": "Probe"},
    ("PATCH", "/api/v1/{tenantId}"): lambda org: {"orgName": "Renamed"},
    ("POST", "/api/v1/{tenantId}/members"): lambda org: {"email": harness.unique_email("probe"), "role": "viewer"},
    ("PATCH", "/api/v1/{tenantId}/members/{accountId}"): lambda org: {"role": "editor"},
    ("POST", "/api/v1/invitations/accept"): lambda org: {"token": "slwi_" + "A" * 43},
    ("POST", "/api/v1/{tenantId}/integrations/{category}"): lambda org: fx.valid_body("GITHUB"),
    ("PATCH", "/api/v1/{tenantId}/integrations/{category}/{id}"): lambda org: {"displayName": "Renamed",
                                                                                 "defaultBranch": "main"},
    ("POST", "/api/v1/{tenantId}/integrations/{category}/{id}/verify"): lambda org: {"sendTest": False},
    ("POST", "/api/v1/{tenantId}/release-management/setup"): lambda org: fx.full_setup_body(),
    ("PUT", "/api/v1/{tenantId}/release-management/setup/steps/{step}"): lambda org: fx.setup_github(),
}


def valid_body(case, org):
    if case.body_tenant:
        return verify_kind_body(org.id)
    make = VALID.get((case.method, case.path))
    return make(org) if make else None


class BadInputTest(harness.ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a, cls.c = route_matrix.orgs_with_github(cls.server, 2)
        every = route_matrix.cases(cls.server)
        cls.cases = [c for c in every if c.has_body]
        cls.with_params = [c for c in every if c.params and c.role != "public"]
        cls.requests = 0
        cls.before = cls.snapshot(cls.a)
        for table in ("tenants", "accounts", "tenant_members", "api_tokens", "tenant_scm_integrations"):
            assert cls.before.get(table), "the snapshot of tenant A has no %s rows: it would compare nothing" % table

    @classmethod
    def tearDownClass(cls):
        print("bad-input catalogue: %d write routes with a body, %d routes with path parameters, %d requests"
              % (len(cls.cases), len(cls.with_params), cls.requests))
        super().tearDownClass()

    # ---- the database, before and after

    @classmethod
    def snapshot(cls, org):
        """Every row of org's: the tenant, its members and their accounts and tokens, its settings and integrations."""
        accounts = [org.by_role(r).id for r in harness.ROLES]
        marks = ",".join("?" * len(accounts))
        rows = {}
        url = harness.database_url(cls.server.database_path())
        for table in dbclient.tables(url):
            if table == "audit_logs" or table.startswith("schema_migrations"):
                continue  # the trail records refusals too; migrations are not tenant data
            columns = [c.lower() for c in dbclient.query(url, "SELECT * FROM %s WHERE 1 = 0" % table)[0]]
            keep = ", ".join(c for c in columns if c not in ("lastusedat", "lastloginat"))
            if table == "tenants":
                query, args = "SELECT %s FROM tenants WHERE id = ?" % keep, [org.id]
            elif table == "accounts":
                query, args = "SELECT %s FROM accounts WHERE id IN (%s)" % (keep, marks), accounts
            elif "tenantid" in columns and "accountid" in columns:
                query = "SELECT %s FROM %s WHERE tenantId = ? OR accountId IN (%s)" % (keep, table, marks)
                args = [org.id] + accounts
            elif "tenantid" in columns:
                query, args = "SELECT %s FROM %s WHERE tenantId = ?" % (keep, table), [org.id]
            elif "accountid" in columns:
                query, args = "SELECT %s FROM %s WHERE accountId IN (%s)" % (keep, table, marks), accounts
            else:
                continue
            rows[table] = sorted(map(repr, dbclient.query(url, query, args)[1]))
        return rows

    def assert_a_unchanged(self):
        after = self.snapshot(self.a)
        for table in sorted(set(self.before) | set(after)):
            self.assertEqual(self.before.get(table), after.get(table), "tenant A's %s changed" % table)

    # ---- requests

    def ids(self, case, org):
        ids = {"tenantId": org.id, "accountId": org.viewer.id, "category": "scm", "step": "github",
               "id": org.scm["id"]}
        return case.path.format(**{p: ids[p] for p in case.params})

    def send(self, case, org, body=None, raw=None, path=None, headers=None, past_limit=None):
        type(self).requests += 1
        if past_limit is not None:  # streamed: the server answers 413 before reading it all
            return self.server.raw_exchange(case.method, path or self.ids(case, org),
                                            {"Authorization": "Bearer " + org.owner.token,
                                             "Content-Type": "application/json"}, past_limit)
        return self.server.request(case.method, path or self.ids(case, org), body=body, raw=raw,
                                   token=org.owner.token, headers=headers)

    def assert_refused(self, resp):
        """A 4xx with the error envelope."""
        self.assertTrue(400 <= resp.status < 500, str(resp))
        harness.assert_error(self, resp, resp.status, resp.json["error"]["code"] if isinstance(resp.json, dict)
                             and isinstance(resp.json.get("error"), dict) else "<no envelope>")

    def bad_bodies(self, case, valid):
        """(label, kwargs for send) for every bad body of the catalogue."""
        out = []
        malformed = harness.MALFORMED_BODIES + fx.MORE_MALFORMED + (
            b"[" * DEEP + b"]" * DEEP,                       # deep nesting, whole body
            b'{"a":' * DEEP + b"1" + b"}" * DEEP,
            b'{"x": "\xff\xfe\xfd"}', b'{"x": "\xc0\xaf"}',  # invalid UTF-8 (overlong '/')
            b'{"x": "\xed\xa0\x80"}',                        # a UTF-16 surrogate in UTF-8
            b'{"x": "a\x00b"}', b'{"x": "a\\u0000b"}', b"{}\x00",
        )
        for raw in malformed:
            if raw == b"" and case.path.endswith("/verify"):
                continue  # an optional body: absent is valid (and would verify for real)
            out.append(("malformed %r" % raw[:40], {"raw": raw}))
        out.append(("body past the limit", {"past_limit": json.dumps(dict(valid, pad="x" * (2 << 20))).encode()}))
        out.append(("text/plain", {"raw": json.dumps(valid).encode(), "headers": {"Content-Type": "text/plain"}}))
        for field, value in valid.items():
            for wrong in WRONG_TYPES:
                if type(wrong) is not type(value) and not (isinstance(value, list) and wrong == ["x"]):
                    out.append(("%s = %r" % (field, wrong), {"body": dict(valid, **{field: wrong})}))
            out.append(("%s nested %d deep" % (field, 500), {"body": dict(valid, **{field: nested(500)})}))
            if isinstance(value, str):
                out.append(("%s huge" % field, {"body": dict(valid, **{field: HUGE})}))
                body = json.dumps(dict(valid, **{field: "@@@"})).encode()
                for label, bad in (("invalid UTF-8", b"\xff\xfe"), ("raw NUL", b"a\x00b"), ("escaped NUL", b"a\\u0000b")):
                    out.append(("%s %s" % (field, label), {"raw": body.replace(b"@@@", bad)}))
        for extra in ({"unknownField": 1}, {"__proto__": {"admin": True}}, {"tenantId": str(uuid.uuid4())},
                      {"id": str(uuid.uuid4())}, {"": 1}):
            if not set(extra) & set(valid):
                out.append(("unknown field %s" % list(extra)[0], {"body": dict(valid, **extra)}))
        return out

    # ---- the catalogue

    def test_every_write_route_refuses_bad_bodies(self):
        for case in self.cases:
            valid = valid_body(case, self.a)
            with self.subTest(route=str(case)):
                self.assertIsNotNone(valid, "%s takes a body: add a valid example to VALID in %s" % (case, __file__))
            if valid is None:
                continue
            for label, kwargs in self.bad_bodies(case, valid):
                with self.subTest(route=str(case), input=label):
                    self.assert_refused(self.send(case, self.a, **kwargs))
        self.assert_a_unchanged()

    def test_injection_in_path_parameters(self):
        """Every route with path parameters (reads and deletes too), each parameter in turn."""
        for case in self.with_params:
            valid = valid_body(case, self.a) if case.has_body else None
            for param in case.params:
                for bad in SQL_INJECTIONS + PATH_INJECTIONS:
                    path = case.path.replace("{%s}" % param, quote(bad, safe=""))
                    path = path.format(**{p: v for p, v in (("tenantId", self.a.id), ("accountId", self.a.viewer.id),
                                                             ("category", "scm"), ("step", "github"),
                                                             ("id", self.a.scm["id"])) if p != param})
                    with self.subTest(route=str(case), param=param, value=bad):
                        self.assert_refused(self.send(case, self.a, body=valid, path=path))
        self.assert_a_unchanged()

    def test_injection_in_fields(self):
        accepted = refused = 0
        for case in self.cases:
            valid = valid_body(case, self.c)
            if valid is None:
                continue
            for field in [f for f, v in valid.items() if isinstance(v, str)]:
                for bad in SQL_INJECTIONS + PATH_INJECTIONS:
                    body = valid_body(case, self.c)
                    if field == "password" or field in fx.ALL_SECRET_FIELDS:
                        # Secrets must never reach the log (the harness checks); the same strings in a path do.
                        bad += " " + uuid.uuid4().hex[:8]
                    body[field] = bad
                    with self.subTest(route=str(case), field=field, value=bad):
                        resp = self.send(case, self.c, body=body)
                        if resp.status < 300:
                            accepted += 1
                            if field in (resp.json or {}) and field not in fx.ALL_SECRET_FIELDS:
                                self.assertEqual(resp.json[field], bad, "%s: stored verbatim" % (resp,))
                        else:
                            refused += 1
                            self.assert_refused(resp)
        print("injection in fields: %d accepted as text (given back verbatim), %d refused" % (accepted, refused))
        self.assert_a_unchanged()


if __name__ == "__main__":
    unittest.main()
