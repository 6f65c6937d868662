"""The bad-input catalogue: every route of the table that takes a body, fed bad bodies.

The routes come from the route table (`slipway routes`: which routes take a
body, its schema and fields), each with every category and setup step it
serves, as the isolation matrix takes them. For each, tenant A's owner
sends: malformed JSON, each top-level field with each wrong type, huge
strings and a body past the limit, deep nesting (of the whole body and
inside a field), invalid UTF-8, NUL bytes (escaped and raw), unknown fields,
a wrong media type, and SQL and path injection strings in every path
parameter (of every route with one, reads and deletes included). Each answer
is the exact one the contract (docs/api.md) gives:

    malformed JSON, invalid UTF-8, NUL       400 malformed_json
    a body past the limit                    413 payload_too_large
    a media type other than JSON             415 unsupported_media_type
    a wrong type, a huge or deep value,      400 invalid_request, with a detail
      an unknown field                           naming the field
    an injection string in a path parameter  404 not_found

and tenant A's rows in the database are the same before and after (compared
row by row, read-only columns such as lastUsedAt left out).

Injection strings in body fields are also sent, on a second tenant C: a
field of free text may take one as text (and must give it back verbatim),
every other field refuses it with 400 invalid_request (a login: 401
invalid_credentials); and still nothing of A changes. On PostgreSQL and
MariaDB only the SQL strings are sent (in paths and fields): the path
strings test no database, and SQLite's run holds them (half the time of the
file, which was the suite's slowest).

A body of a closed schema is built from its fields; a route whose handler
validates its body (an open schema) needs a valid example in OPEN_BODIES (the
mutations start from it): a new one without it fails here, by name.
"""

import json
import re
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
# What the SQL strings probe, each dialect's statements (bound, never spliced), runs on every database; what
# the path strings probe, a value taken as text or as a path, no database decides: SQLite's run holds it.
INJECTIONS = SQL_INJECTIONS + (PATH_INJECTIONS if harness.BACKEND == "sqlite" else ())
WRONG_TYPES = tuple(t for t in harness.WRONG_TYPES if t is not None)  # null means "absent" (or "clear" in a PATCH)
HUGE = "x" * 300_000
DEEP = 100_000


def nested(depth, leaf=1):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def category_body(org, category, types):
    """A valid create body in category for org: of a type org does not hold yet where there is one (a
    target is one per type), referencing org's own SCM connection and target where it is a pipeline."""
    of_category = [t for t, c in types.items() if c == category]
    type_ = next((t for t in of_category if t not in org.by_type), of_category[0])
    return fx.valid_body(type_, **fx.pipeline_refs(type_, lambda t: org.by_type[t], lambda: org.by_category["targets"]))


# A valid body for each route whose handler validates its body itself, made fresh for org and the case
# (the catalogue only ever sends it broken, or with one field replaced). Keyed by (method, path).
OPEN_BODIES = {
    ("POST", "/api/v1/{tenantId}/integrations/{category}"): lambda t, org, case: category_body(org, case.category,
                                                                                                t.types),
    ("PATCH", "/api/v1/{tenantId}/integrations/{category}/{id}"): lambda t, org, case: {"displayName": "Renamed"},
    ("POST", "/api/v1/{tenantId}/integrations/{category}/{id}/verify"): lambda t, org, case: {"sendTest": False},
    ("POST", "/api/v1/{tenantId}/release-management/setup"): lambda t, org, case: fx.full_setup_body(),
    ("PUT", "/api/v1/{tenantId}/release-management/setup/steps/{step}"): lambda t, org, case: fx.step_body(case.step),
}


class BadInputTest(harness.ApiTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.types = route_matrix.catalog(cls.server, cls.server.admin["token"])
        # Each tenant holds its categories' first types (and what a pipeline references).
        firsts = {}
        for type_, category in cls.types.items():
            if category not in firsts.values():
                firsts[type_] = category
        cls.a = route_matrix.org_with_integrations(cls.server, firsts)
        cls.c = route_matrix.org_with_integrations(cls.server, firsts)
        every = route_matrix.cases()
        cls.cases = [c for c in every if c.has_body]
        cls.with_params = [c for c in every if c.params and c.role != "public"]
        cls.requests = 0
        cls.before = cls.snapshot(cls.a)
        tables = ["tenants", "accounts", "tenant_members", "api_tokens"] + [t for t, _ in fx.CATEGORIES.values()]
        for table in tables:
            assert cls.before.get(table), "the snapshot of tenant A has no %s rows: it would compare nothing" % table

    @classmethod
    def tearDownClass(cls):
        print("bad-input catalogue: %d cases with a body (each category and step), %d with path parameters, "
              "%d requests" % (len(cls.cases), len(cls.with_params), cls.requests))
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
            if table in ("audit_logs", "tenant_usage", "usage_events") or table.startswith("schema_migrations"):
                continue  # the trail records refusals too, and usage counts them; migrations are not tenant data
            columns = [c.lower() for c in dbclient.query(url, "SELECT * FROM %s WHERE 1 = 0" % table)[0]]
            # tenants.revision is a cache's counter, not tenant data: other tests' direct writes to the release
            # tables raise every tenant's (integration_fixtures.db_execute), on this shared server too.
            keep = ", ".join(c for c in columns if c not in ("lastusedat", "lastloginat", "revision"))
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

    def valid_body(self, case, org):
        """A valid body of case for org, or None when the catalogue has none (a failure, by name)."""
        if case.body_tenant:
            return {"tenantId": org.id, "config": {"displayName": "probe"}}
        if not case.open_body:
            return harness.sample_body(case.route)
        make = OPEN_BODIES.get((case.method, case.path))
        return make(self, org, case) if make else None

    def ids(self, case, org, **override):
        ids = dict(case.values, tenantId=org.id, accountId=org.viewer.id)
        if case.category:
            ids["id"] = org.by_category[case.category]["id"]
        elif case.path.endswith("/invitations/{id}"):
            ids["id"] = org.invitation["invitationId"]
        elif "/iam/providers/{id}" in case.path:  # the provider and its domains
            ids["id"] = org.iam_provider_id
        elif case.path.startswith("/api/v1/admin/tenants/{id}"):  # the administrator's view of a tenant
            ids["id"] = org.id
        elif case.path.startswith("/api/v1/{tenantId}/integrations/targets/{id}/"):  # a target's store webhook
            ids["id"] = org.by_category["targets"]["id"]
        if "releaseId" in case.params:
            ids["releaseId"] = org.release_id
        if "ruleId" in case.params:
            ids["ruleId"] = org.rule_id
        ids.update({k: v for k, v in route_matrix.planted_ids(org).items() if k in case.params})
        ids.update(override)
        missing = [p for p in case.params if p not in ids]
        if missing:
            self.fail("%s: the catalogue does not know how to fill {%s}" % (case, "}, {".join(missing)))
        return case.path.format(**{p: ids[p] for p in case.params})

    def send(self, case, org, body=None, raw=None, path=None, headers=None, past_limit=None):
        type(self).requests += 1
        # The instance administrator's routes: the first account's (the bootstrap admin); the rest: the org's owner.
        token = self.server.admin["token"] if case.role == "admin" else org.owner.token
        if past_limit is not None:  # streamed: the server answers 413 before reading it all
            return self.server.raw_exchange(case.method, path or self.ids(case, org),
                                            {"Authorization": "Bearer " + token,
                                             "Content-Type": "application/json"}, past_limit)
        return self.server.request(case.method, path or self.ids(case, org), body=body, raw=raw, token=token,
                                   headers=headers)

    def assert_invalid_field(self, resp, field):
        """400 invalid_request with a detail on field: its path names it (field, section.field, field[0].x)."""
        details = harness.assert_error(self, resp, 400, "invalid_request")
        paths = [d["field"] for d in details]
        self.assertTrue([p for p in paths if p == field or field in re.split(r"[.\[\]]", p)],
                        "a detail on %r in %s" % (field, resp))

    def bad_bodies(self, case, valid):
        """(label, kwargs for send, the check of the answer) for every bad body of the catalogue."""
        out = []

        def error(status, code):
            return lambda resp: harness.assert_error(self, resp, status, code)

        def invalid(field):
            return lambda resp: self.assert_invalid_field(resp, field)

        malformed = harness.MALFORMED_BODIES + fx.MORE_MALFORMED + (
            b"[" * DEEP + b"]" * DEEP,                       # deep nesting, whole body
            b'{"a":' * DEEP + b"1" + b"}" * DEEP,
            b'{"x": "\xff\xfe\xfd"}', b'{"x": "\xc0\xaf"}',  # invalid UTF-8 (overlong '/')
            b'{"x": "\xed\xa0\x80"}',                        # a UTF-16 surrogate in UTF-8
            b'{"x": "a\x00b"}', b'{"x": "a\\u0000b"}', b"{}\x00",
        )
        for raw in malformed:
            if raw == b"" and case.body_optional:
                continue  # an optional body: absent is valid (and would verify for real)
            out.append(("malformed %r" % raw[:40], {"raw": raw}, error(400, "malformed_json")))
        out.append(("body past the limit", {"past_limit": json.dumps(dict(valid, pad="x" * (2 << 20))).encode()},
                    error(413, "payload_too_large")))
        out.append(("text/plain", {"raw": json.dumps(valid).encode(), "headers": {"Content-Type": "text/plain"}},
                    error(415, "unsupported_media_type")))
        for field, value in valid.items():
            for wrong in WRONG_TYPES:
                if type(wrong) is not type(value) and not (isinstance(value, list) and wrong == ["x"]):
                    out.append(("%s = %r" % (field, wrong), {"body": dict(valid, **{field: wrong})}, invalid(field)))
            if not isinstance(value, (dict, list)):
                out.append(("%s nested %d deep" % (field, 500), {"body": dict(valid, **{field: nested(500)})},
                            invalid(field)))
            if isinstance(value, str):
                out.append(("%s huge" % field, {"body": dict(valid, **{field: HUGE})}, invalid(field)))
                body = json.dumps(dict(valid, **{field: "@@@"})).encode()
                for label, bad in (("invalid UTF-8", b"\xff\xfe"), ("raw NUL", b"a\x00b"), ("escaped NUL", b"a\\u0000b")):
                    out.append(("%s %s" % (field, label), {"raw": body.replace(b"@@@", bad)},
                                error(400, "malformed_json")))
        for extra in ({"unknownField": 1}, {"__proto__": {"admin": True}}, {"tenantId": str(uuid.uuid4())},
                      {"id": str(uuid.uuid4())}, {"": 1}):
            if not set(extra) & set(valid):
                name = list(extra)[0]
                out.append(("unknown field %r" % name, {"body": dict(valid, **extra)}, invalid(name)))
        return out

    # ---- the catalogue

    def test_every_write_route_refuses_bad_bodies(self):
        self.assertTrue(self.cases, "the route table has no route with a body")
        for case in self.cases:
            valid = self.valid_body(case, self.a)
            with self.subTest(case=str(case)):
                self.assertIsNotNone(valid, "%s takes a body its handler validates: add a valid example to "
                                            "OPEN_BODIES in %s" % (case, __file__))
            if valid is None:
                continue
            for label, kwargs, check in self.bad_bodies(case, valid):
                with self.subTest(case=str(case), input=label):
                    check(self.send(case, self.a, **kwargs))
        self.assert_a_unchanged()

    def test_injection_in_path_parameters(self):
        """Every route with path parameters (reads and deletes too), each parameter in turn: 404 (a signed
        webhook's route: 401, its one answer for a hook that does not exist, as for a bad signature)."""
        self.assertTrue(self.with_params, "the route table has no route with path parameters")
        for case in self.with_params:
            valid = self.valid_body(case, self.a) if case.has_body else None
            for param in case.params:
                for bad in INJECTIONS:
                    path = self.ids(case, self.a, **{param: quote(bad, safe="")})
                    with self.subTest(case=str(case), param=param, value=bad):
                        # A value with a slash is another path, which no route has: 404 there too.
                        webhook = case.role == "webhook" and "/" not in bad
                        expected = (401, "unauthenticated") if webhook else (404, "not_found")
                        harness.assert_error(self, self.send(case, self.a, body=valid, path=path), *expected)
        self.assert_a_unchanged()

    def test_injection_in_fields(self):
        accepted = refused = 0
        refusals = [(400, "invalid_request")]
        for case in self.cases:
            valid = self.valid_body(case, self.c)
            if valid is None:
                continue
            for field in [f for f, v in valid.items() if isinstance(v, str)]:
                # A secret of an integration type, or a field the route's schema marks write-only.
                secret = field in fx.ALL_SECRET_FIELDS or (case.route.fields.get(field) or {}).get("secret")
                for bad in INJECTIONS:
                    body = self.valid_body(case, self.c)
                    if field == "password" or secret:
                        # Secrets must never reach the log (the harness checks); the same strings in a path do.
                        bad += " " + uuid.uuid4().hex[:8]
                    body[field] = bad
                    with self.subTest(case=str(case), field=field, value=bad):
                        if route_matrix.release_action_of(case):  # an action is accepted once; put the release back
                            route_matrix.set_release_status(self.server, self.c.release_id,
                                                            route_matrix.release_action_of(case))
                        if case.values.get("storeAction"):  # the same for a store submission's action
                            route_matrix.reset_submission(self.server, self.c.submission_id, case.values["storeAction"])
                        elif case.method == "POST" and case.path.endswith("/submissions"):  # and for a submission
                            route_matrix.ready_for_submission(self.server, self.c.release_id)
                        elif case.path.endswith("/deployments/{deploymentId}/approve"):  # and a deployment's approval
                            route_matrix.await_approval(self.server, self.c.deployment_id)
                        resp = self.send(case, self.c, body=body)
                        if resp.status < 300:
                            accepted += 1
                            if field in (resp.json or {}) and not secret:
                                self.assertEqual(resp.json[field], bad, "%s: stored verbatim" % (resp,))
                            self.clean_up(case, resp)
                        else:
                            refused += 1
                            error = resp.json.get("error", {}) if isinstance(resp.json, dict) else {}
                            expected = refusals + ([(401, "invalid_credentials")] if case.role == "public" else [])
                            self.assertIn((resp.status, error.get("code")), expected, str(resp))
                            harness.assert_error(self, resp, resp.status, error["code"])
        self.assertGreater(accepted + refused, 0, "no string field to inject into")
        print("injection in fields: %d accepted as text (given back verbatim), %d refused" % (accepted, refused))
        self.assert_a_unchanged()

    def clean_up(self, case, resp):
        """Deletes an integration, host, script or environment an accepted injection made (no duplicate next)."""
        if case.method == "POST" and case.category and case.path.endswith("{category}"):
            gone = self.server.request("DELETE", fx.ipath(self.c.id, case.category, resp.json["id"]),
                                       token=self.c.owner.token)
            self.assertEqual(gone.status, 204, str(gone))
        elif case.method == "POST" and case.path.endswith(("/hosts", "/deployment-scripts", "/environments")):
            gone = self.server.request("DELETE", "%s/%s" % (case.path.format(tenantId=self.c.id), resp.json["id"]),
                                       token=self.c.owner.token)
            self.assertEqual(gone.status, 204, str(gone))


if __name__ == "__main__":
    unittest.main()
