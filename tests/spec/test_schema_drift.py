#!/usr/bin/python3
"""The PostgreSQL and MariaDB schemas must not drift from SQLite's.

Migrates a fresh SQLite file and, when SLIPWAY_TEST_PG_STATE /
SLIPWAY_TEST_MYSQL_STATE name tests/db/dbserver state files, a fresh
PostgreSQL and a fresh MariaDB database, with `$SLIPWAY_BIN migrate up`
(SLIPWAY_DATABASE_URL=<url>). SLIPWAY_DRIFT_DIRECT=1 (every backend) or
=postgres,mysql (those named) applies the migration files directly instead,
split as the C runner splits them (tests/db/dbclient.py split_statements),
each statement in its own transaction: for a backend whose driver is not in
the binary yet (tests/CMakeLists.txt sets it from the driver sources present).

Each database is introspected into one normalized model (lower-cased names):
tables and their columns in order, nullability (a primary-key column is NOT
NULL everywhere: SQLite reports other-than-INTEGER key columns as nullable),
a coarse type family, the primary key, unique keys as column sets (unique
indexes and constraints alike), foreign keys with their ON DELETE action,
the named idx_* indexes, triggers, and views with their columns in order.
Any difference from SQLite fails with one line per difference. Document
000's four queries (read from tests/api/test_setup.py, so they stay the same
text) then run verbatim on every backend, over the same rows, and must give
the same answers. The migrations' down files must take each
schema back to empty, and up again must give the same model.
"""
import ast
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest
import uuid

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "db"))
import dbclient  # noqa: E402

MIGRATIONS = ROOT / "migrations"
_direct = os.environ.get("SLIPWAY_DRIFT_DIRECT", "").strip()
DIRECT = {"sqlite", "postgres", "mysql"} if _direct == "1" else {b.strip() for b in _direct.split(",") if b.strip()}
STATES = {"postgres": "SLIPWAY_TEST_PG_STATE", "mysql": "SLIPWAY_TEST_MYSQL_STATE"}
HISTORY_TABLES = {"schema_migrations", "schema_migrations_lease"}  # the runner's own, per dialect by design


def document_000_queries():
    """Document 000's four query patterns, verbatim, as tests/api/test_setup.py holds them (read, not imported:
    importing it would start its shared server)."""
    names = ["QUERY_SETUP_COMPLETE", "QUERY_ALL_INTEGRATIONS", "QUERY_ONE_INTEGRATION", "QUERY_CAN_CREATE"]
    labels = ["setup complete", "all integrations", "one integration", "can create releases"]
    found = {}
    for node in ast.parse((ROOT / "tests" / "api" / "test_setup.py").read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) in names:
            found[node.targets[0].id] = ast.literal_eval(node.value)
    missing = set(names) - set(found)
    if missing:
        raise AssertionError("tests/api/test_setup.py no longer defines %s" % ", ".join(sorted(missing)))
    return [(label, found[name]) for label, name in zip(labels, names)]


QUERIES = document_000_queries()

# Columns that hold UUIDs (uuid on PostgreSQL, latin1 CHAR(36) on MySQL); SQLite
# declares them CHAR(36) or VARCHAR(255), so its family comes from the name.
UUID_COLUMNS = {"id", "tenantid", "accountid", "configuredbyaccountid", "setupcompletedbyaccountid", "scmintegrationid",
                "targetintegrationid", "actoraccountid", "invitedbyaccountid", "acceptedbyaccountid", "parentid",
                "integrationid", "releaseid", "pipelineintegrationid", "createdbyaccountid", "updatedbyaccountid",
                "providerid", "eventid", "ruleid", "subjectid", "ssotenantid", "breakglassaccountid", "endpointid"}
UUID_COLUMNS |= {"hostid", "scriptid", "deploymentid", "jobid", "requestedbyaccountid"}  # deployments (0015)
UUID_COLUMNS |= {"siteid"}  # sites (0017)
UUID_COLUMNS |= {"repositoryid"}  # repositories (0020)
UUID_COLUMNS |= {"environmentid", "frozenbyaccountid"}  # environments (0028)
UUID_COLUMNS |= {"submissionid"}  # store health (0035)
UUID_COLUMNS |= {"cicdjobid"}  # CI/CD jobs (0034)
UUID_COLUMNS |= {"movejobid"}  # ticket move claims (0064)
# SQLite columns whose family its declared type does not say.
SQLITE_FAMILY = {("audit_logs", "details"): "json"}
# Usage's siteId is a site's id or '' (the tenant's own, 0055): text everywhere, since '' is no uuid.
SQLITE_FAMILY |= {("tenant_usage", "siteid"): "text", ("usage_events", "siteid"): "text"}


def binary():
    return os.path.abspath(os.environ.get("SLIPWAY_BIN") or str(ROOT / "build" / "slipway"))


def migration_files(dialect, kind):
    files = sorted((MIGRATIONS / dialect).glob("*.%s.sql" % kind))
    return files if kind == "up" else list(reversed(files))


def migrate(url, dialect, direction="up"):
    """All migrations up, or all of them down, through the binary or (SLIPWAY_DRIFT_DIRECT=1) directly."""
    if dialect in DIRECT:
        for path in migration_files(dialect, direction):
            try:
                dbclient.apply_script(url, path.read_text())
            except Exception as e:
                raise AssertionError("%s/%s: %s" % (dialect, path.name, e))
        return
    argv = [binary(), "migrate", direction] + ([str(len(migration_files(dialect, "up")))] if direction == "down" else [])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLIPWAY_")}
    env["SLIPWAY_DATABASE_URL"] = url
    with tempfile.TemporaryDirectory(prefix="slipway-drift-") as cwd:
        proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        raise AssertionError("`slipway %s` on %s failed (exit %d):\n%s%s" % (" ".join(argv[1:]), dialect, proc.returncode,
                                                                             proc.stdout, proc.stderr))


# -- introspection -------------------------------------------------------------

class Model:
    """A schema as comparable facts: {(kind, ...names): value}."""

    def __init__(self):
        self.facts = {}

    def add(self, key, value=True):
        self.facts[tuple(key)] = value

    def tables(self):
        return {k[1] for k in self.facts if k[0] == "table"}


def sqlite_family(table, column, decl):
    decl = decl.upper()
    if (table, column) in SQLITE_FAMILY:
        return SQLITE_FAMILY[(table, column)]
    if column in UUID_COLUMNS:
        return "uuid"
    if decl.startswith("BOOLEAN"):
        return "boolean"
    if decl.startswith("INT") or decl.startswith("BIGINT"):
        return "integer"
    if decl.startswith("JSON"):
        return "json"
    if decl.startswith("DATETIME") or decl == "VARCHAR(24)":
        return "timestamp"
    return "text"


def introspect_sqlite(url):
    m = Model()
    q = lambda sql: dbclient.query(url, sql)[1]  # noqa: E731
    for name, kind in q("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' "
                        "ESCAPE '\\'"):
        t = name.lower()
        if t in HISTORY_TABLES:
            continue
        cols = q("PRAGMA table_info(\"%s\")" % name)  # cid, name, type, notnull, dflt, pk
        if kind == "view":
            m.add(("view", t), [c[1].lower() for c in cols])
            continue
        m.add(("table", t))
        m.add(("column order", t), [c[1].lower() for c in cols])
        for _, col, decl, notnull, _, pk in cols:
            m.add(("column", t, col.lower()), "NOT NULL" if notnull or pk else "NULL")
            m.add(("type", t, col.lower()), sqlite_family(t, col.lower(), decl))
        m.add(("primary key", t), [c[1].lower() for c in sorted((c for c in cols if c[5]), key=lambda c: c[5])])
        for _, idx, unique, origin, _ in q("PRAGMA index_list(\"%s\")" % name):
            if origin == "pk":
                continue
            icols = [r[2].lower() for r in sorted(q("PRAGMA index_info(\"%s\")" % idx))]
            if unique:
                m.add(("unique key", t, tuple(sorted(icols))))
            elif idx.startswith("idx_"):
                m.add(("index", t, idx), icols)
        fks = {}
        for fid, seq, ref, frm, to, _, on_delete, _ in q("PRAGMA foreign_key_list(\"%s\")" % name):
            fks.setdefault(fid, []).append((seq, frm.lower(), ref.lower(), (to or "").lower(), on_delete.upper()))
        for rows in fks.values():
            rows.sort()
            m.add(("foreign key", t, tuple(r[1] for r in rows)), (rows[0][2], tuple(r[3] for r in rows), rows[0][4]))
    for name, table in q("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'"):
        m.add(("trigger", name.lower()), table.lower())
    return m


PG_FAMILY = {"uuid": "uuid", "timestamp with time zone": "timestamp", "boolean": "boolean", "integer": "integer",
             "bigint": "integer", "smallint": "integer", "jsonb": "json", "json": "json", "character varying": "text",
             "character": "text", "text": "text"}
PG_ON_DELETE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def introspect_postgres(url):
    m = Model()
    q = lambda sql: dbclient.query(url, sql)[1]  # noqa: E731
    kinds = dict(q("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema()"))
    cols = q("SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns "
             "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
    for t, kind in kinds.items():
        if t in HISTORY_TABLES:
            continue
        tcols = [c for c in cols if c[0] == t]
        if kind == "VIEW":
            m.add(("view", t), [c[1] for c in tcols])
            continue
        m.add(("table", t))
        m.add(("column order", t), [c[1] for c in tcols])
        for _, col, nullable, dtype in tcols:
            m.add(("column", t, col), "NULL" if nullable == "YES" else "NOT NULL")
            m.add(("type", t, col), PG_FAMILY.get(dtype, dtype))
    idx = q("SELECT c.relname, i.relname, ix.indisunique, ix.indisprimary, a.attname "
            "FROM pg_index ix JOIN pg_class c ON c.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE n.nspname = current_schema() ORDER BY c.relname, i.relname, k.ord")
    add_indexes(m, [(t, i, bool(u), bool(p), c) for t, i, u, p, c in idx])
    fks = q("SELECT c.relname, con.conname, con.confdeltype, r.relname, a.attname, ra.attname "
            "FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "CROSS JOIN LATERAL unnest(con.conkey, con.confkey) WITH ORDINALITY AS k(att, ratt, ord) "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.att "
            "JOIN pg_attribute ra ON ra.attrelid = r.oid AND ra.attnum = k.ratt "
            "WHERE con.contype = 'f' AND n.nspname = current_schema() ORDER BY c.relname, con.conname, k.ord")
    add_fks(m, [(t, name, PG_ON_DELETE[d], ref, col, rcol) for t, name, d, ref, col, rcol in fks])
    for name, table in q("SELECT DISTINCT trigger_name, event_object_table FROM information_schema.triggers "
                         "WHERE trigger_schema = current_schema()"):
        m.add(("trigger", name), table)
    return m


def introspect_mysql(url):
    m = Model()
    q = lambda sql: dbclient.query(url, sql)[1]  # noqa: E731
    lower = lambda rows: [tuple(v.lower() if isinstance(v, str) else v for v in r) for r in rows]  # noqa: E731
    kinds = dict(lower(q("SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = DATABASE()")))
    cols = q("SELECT table_name, column_name, is_nullable, data_type, column_type, character_set_name "
             "FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position")
    json_cols = {(t.lower(), c.lower()) for t, c in q(
        "SELECT table_name, SUBSTRING_INDEX(SUBSTRING_INDEX(check_clause, '`', 2), '`', -1) "
        "FROM information_schema.check_constraints WHERE constraint_schema = DATABASE() AND check_clause LIKE 'json_valid(%'")}
    for t, kind in kinds.items():
        if t in HISTORY_TABLES:
            continue
        tcols = [c for c in cols if c[0].lower() == t]
        if kind == "view":
            m.add(("view", t), [c[1].lower() for c in tcols])
            continue
        m.add(("table", t))
        m.add(("column order", t), [c[1].lower() for c in tcols])
        for _, col, nullable, dtype, ctype, charset in tcols:
            col = col.lower()
            m.add(("column", t, col), "NULL" if nullable == "YES" else "NOT NULL")
            m.add(("type", t, col), mysql_family(t, col, dtype.lower(), ctype.lower(), charset, json_cols))
    idx = q("SELECT table_name, index_name, non_unique, column_name FROM information_schema.statistics "
            "WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index")
    add_indexes(m, [(t.lower(), i, not nu, i == "PRIMARY", c.lower()) for t, i, nu, c in idx])
    fks = q("SELECT k.table_name, k.constraint_name, r.delete_rule, k.referenced_table_name, k.column_name, "
            "k.referenced_column_name FROM information_schema.key_column_usage k "
            "JOIN information_schema.referential_constraints r ON r.constraint_schema = k.constraint_schema "
            "AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
            "WHERE k.constraint_schema = DATABASE() ORDER BY k.table_name, k.constraint_name, k.ordinal_position")
    add_fks(m, [(t.lower(), n, d.upper(), r.lower(), c.lower(), rc.lower()) for t, n, d, r, c, rc in fks])
    for name, table in q("SELECT trigger_name, event_object_table FROM information_schema.triggers "
                         "WHERE trigger_schema = DATABASE()"):
        m.add(("trigger", name.lower()), table.lower())
    return m


def mysql_family(table, col, dtype, ctype, charset, json_cols):
    if (table, col) in json_cols or dtype == "json":
        return "json"
    if ctype == "char(36)" and charset == "latin1":
        return "uuid"
    if dtype == "datetime":
        return "timestamp"
    if ctype.startswith("tinyint(1)"):
        return "boolean"
    if dtype in ("int", "bigint", "smallint", "mediumint"):
        return "integer"
    if dtype in ("char", "varchar", "text", "mediumtext", "longtext", "enum"):
        return "text"
    return dtype


def add_indexes(m, rows):
    """rows: (table, index, unique, primary, column) in key order."""
    grouped = {}
    for t, i, unique, primary, col in rows:
        if t in HISTORY_TABLES:
            continue
        grouped.setdefault((t, i), [unique, primary, []])[2].append(col)
    for (t, i), (unique, primary, cols) in grouped.items():
        if primary:
            m.add(("primary key", t), cols)
        elif unique:
            m.add(("unique key", t, tuple(sorted(cols))))
        elif i.startswith("idx_"):  # named indexes; MySQL's implicit foreign-key indexes are not
            m.add(("index", t, i), cols)


def add_fks(m, rows):
    """rows: (table, constraint, on delete, referenced table, column, referenced column) in key order."""
    grouped = {}
    for t, name, on_delete, ref, col, rcol in rows:
        g = grouped.setdefault((t, name), [on_delete, ref, [], []])
        g[2].append(col)
        g[3].append(rcol)
    for (t, _), (on_delete, ref, cols, rcols) in grouped.items():
        m.add(("foreign key", t, tuple(cols)), (ref, tuple(rcols), on_delete))


INTROSPECT = {"sqlite": introspect_sqlite, "postgres": introspect_postgres, "mysql": introspect_mysql}


def describe(key):
    kind, rest = key[0], key[1:]
    return "%s %s" % (kind, ".".join(str(r) if not isinstance(r, tuple) else "(%s)" % ", ".join(r) for r in rest))


def diff(base, other, name):
    """One readable line per fact that differs between SQLite's model and another backend's."""
    lines = []
    for key in sorted(set(base.facts) | set(other.facts), key=lambda k: [str(p) for p in k]):
        a, b = base.facts.get(key), other.facts.get(key)
        if a == b:
            continue
        if b is None:
            lines.append("  %s: only in sqlite (%s)" % (describe(key), a))
        elif a is None:
            lines.append("  %s: only in %s (%s)" % (describe(key), name, b))
        else:
            lines.append("  %s: sqlite %s, %s %s" % (describe(key), a, name, b))
    return lines


# -- the databases under test ---------------------------------------------------

class Databases:
    """A fresh database per backend: SQLite always, the servers named by the state variables."""

    def __init__(self, tag):
        self.tmp = tempfile.TemporaryDirectory(prefix="slipway-drift-")
        self.urls = {"sqlite": "sqlite://" + os.path.join(self.tmp.name, "drift.db")}
        self.admins = {}
        self.name = "drift_%s_%s" % (tag, uuid.uuid4().hex[:8])
        for backend, var in STATES.items():
            path = os.environ.get(var)
            if not path:
                continue
            with open(path) as f:
                admin = json.load(f)["url"]
            self.admins[backend] = admin
            self.urls[backend] = dbclient.createdb(admin, self.name)

    def close(self):
        for backend, admin in self.admins.items():
            try:
                dbclient.dropdb(admin, self.name)
            except Exception as e:  # leave the test's own verdict standing
                sys.stderr.write("could not drop %s database %s: %s\n" % (backend, self.name, e))
        self.tmp.cleanup()


class SchemaDriftTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if DIRECT != {"sqlite", "postgres", "mysql"} and not os.access(binary(), os.X_OK):
            raise AssertionError("slipway binary not found at %s (build it, set SLIPWAY_BIN, or SLIPWAY_DRIFT_DIRECT=1)"
                                 % binary())
        cls.dbs = Databases("schema")
        cls.models = {}
        for backend, url in cls.dbs.urls.items():
            migrate(url, backend)
            cls.models[backend] = INTROSPECT[backend](url)

    @classmethod
    def tearDownClass(cls):
        cls.dbs.close()

    def test_servers_configured(self):
        missing = [var for backend, var in STATES.items() if backend not in self.dbs.urls]
        if missing:
            self.skipTest("not set: %s (only SQLite was checked)" % ", ".join(missing))

    def test_sqlite_model_is_whole(self):
        """Guards the introspection itself: SQLite's schema has what the migrations say."""
        m = self.models["sqlite"]
        self.assertIn("tenant_pipeline_integrations", m.tables())
        self.assertEqual(m.facts[("view", "tenant_integrations")],
                         ["id", "tenantid", "integrationtype", "isenabled", "isrequired", "config", "configuredbyaccountid",
                          "lastverifiedat", "verificationstatus", "createdat", "updatedat", "displayname"])
        self.assertEqual(m.facts[("foreign key", "tenant_pipeline_integrations", ("scmintegrationid",))],
                         ("tenant_scm_integrations", ("id",), "RESTRICT"))
        self.assertIn(("unique key", "tenant_scm_integrations", ("organization", "scmtype", "tenantid")), m.facts)
        self.assertEqual(m.facts[("primary key", "tenant_members")], ["tenantid", "accountid"])
        self.assertEqual(m.facts[("column", "tenant_release_settings", "id")], "NOT NULL")

    def test_no_drift(self):
        report = []
        for backend in ("postgres", "mysql"):
            if backend in self.models:
                lines = diff(self.models["sqlite"], self.models[backend], backend)
                if lines:
                    report.append("%s differs from sqlite in %d ways:\n%s" % (backend, len(lines), "\n".join(lines)))
        if report:
            self.fail("\n".join(report))

    def test_document_000_queries(self):
        """The four queries run verbatim on each backend and answer alike over the same rows."""
        ids = {k: str(uuid.uuid4()) for k in ("tenant", "account", "settings", "scm", "target", "pipeline")}
        tenant = ids["tenant"]
        answers = {}
        for backend, url in self.dbs.urls.items():
            seed(url, ids)
            answers[backend] = {}
            for label, sql in QUERIES:
                try:
                    names, rows = dbclient.query(url, sql, (tenant,))
                except Exception as e:
                    self.fail("document 000's %r query failed on %s: %s" % (label, backend, e))
                answers[backend][label] = comparable(names, rows)
        base = answers["sqlite"]
        self.assertEqual(base["setup complete"], (["setupcomplete", "githubconnected", "targetplatformsconfigured",
                                                    "platformcredentialsconfigured"], [(1, 1, 1, 1)]))
        self.assertEqual([r[0] for r in base["all integrations"][1]], ["APP_STORE", "GITHUB", "GITHUB_ACTIONS"])
        self.assertEqual(base["can create releases"][1], [(1, 3, 1)])
        for backend, got in answers.items():
            for label, _ in QUERIES:
                self.assertEqual(got[label], base[label], "%s answers document 000's %r query differently" % (backend, label))

    def test_down_then_up(self):
        """Every down file undoes its up file: all down leaves no table or view, and up again gives the same schema."""
        dbs = Databases("roundtrip")
        try:
            for backend, url in dbs.urls.items():
                migrate(url, backend, "up")
                migrate(url, backend, "down")
                left = {k for k in INTROSPECT[backend](url).facts if k[0] in ("table", "view", "trigger")}
                self.assertEqual(left, set(), "%s: left behind after every down migration" % backend)
                migrate(url, backend, "up")
                lines = diff(self.models[backend], INTROSPECT[backend](url), backend + " after down and up")
                self.assertEqual(lines, [], "%s: the schema after down and up differs:\n%s" % (backend, "\n".join(lines)))
        finally:
            dbs.close()


NOW = "2026-01-02T03:04:05.678Z"


def seed(url, ids):
    """The same rows (ids given) on every backend: a tenant whose setup is complete, with three integrations."""
    tenant, account, scm, target = ids["tenant"], ids["account"], ids["scm"], ids["target"]
    stmts = [
        ("INSERT INTO tenants (id, orgName, createdAt, updatedAt) VALUES (?, ?, ?, ?)", (tenant, "Drift \u00d6rg \u2713", NOW, NOW)),
        ("INSERT INTO accounts (id, email, name, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)",
         (account, "drift-%s@example.com" % account[:8], "Drift", NOW, NOW)),
        ("INSERT INTO tenant_release_settings (id, tenantId, setupComplete, githubConnected, targetPlatformsConfigured, "
         "platformCredentialsConfigured, selectedTargets, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         (ids["settings"], tenant, True, True, True, True, '["APP_STORE"]', NOW, NOW)),
        ("INSERT INTO tenant_scm_integrations (id, tenantId, scmType, displayName, organization, repoName, repositoryUrl, "
         "accessToken, verificationStatus, configuredByAccountId, createdAt, updatedAt) "
         "VALUES (?, ?, 'GITHUB', ?, ?, ?, ?, ?, 'VALID', ?, ?, ?)",
         (scm, tenant, "GitHub", "acme", "app", "https://github.example/acme/app", "v1.k.n.c", account, NOW, NOW)),
        ("INSERT INTO tenant_target_integrations (id, tenantId, targetType, displayName, appleBundleId, configuredByAccountId, "
         "createdAt, updatedAt) VALUES (?, ?, 'APP_STORE', ?, ?, ?, ?, ?)",
         (target, tenant, "App Store", "com.example.app", account, NOW, NOW)),
        ("INSERT INTO tenant_pipeline_integrations (id, tenantId, pipelineType, displayName, scmIntegrationId, "
         "targetIntegrationId, githubWorkflowPath, configuredByAccountId, createdAt, updatedAt) "
         "VALUES (?, ?, 'GITHUB_ACTIONS', ?, ?, ?, ?, ?, ?, ?)",
         (ids["pipeline"], tenant, "iOS build", scm, target, ".github/workflows/ios.yml", account, NOW, NOW)),
    ]
    for sql, params in stmts:
        dbclient.execute(url, sql, params)


def comparable(names, rows):
    """Lower-cased names; JSON text parsed (each database spaces it its own way)."""
    out = []
    for row in rows:
        vals = []
        for name, v in zip(names, row):
            if name.lower() == "config" and isinstance(v, str):
                v = json.dumps(json.loads(v), sort_keys=True)
            vals.append(v)
        out.append(tuple(vals))
    return [n.lower() for n in names], out


if __name__ == "__main__":
    unittest.main()
