#!/usr/bin/env python3
"""Every SQL statement in src/ that touches tenant-scoped data filters on the tenant.

STYLE.md: "Every tenant-scoped query filters on the tenant; a test checks it."
The C sources are scanned for SQL string literals (adjacent literals joined,
as the compiler joins them). A statement naming a tenant-scoped table must
mention tenantId, unless it is listed below with the reason it may not.
"""
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TENANT_TABLES = re.compile(r"\b(tenant_members|tenant_release_settings|tenant_integrations|tenant_\w+_integrations|tenant_invitations|audit_logs|%s)\b")
SQL_START = re.compile(r"^\s*(SELECT|UPDATE|DELETE|INSERT)\b", re.I)

# (file, a fragment of the statement) -> why it is not scoped to one tenant.
ALLOWED = {
    ("src/integrations/catalog.c", "SELECT DISTINCT SUBSTR("): "start-up check of every stored secret's key id (all tenants)",
    ("src/integrations/catalog.c", "SUBSTR(%s, 1, 12) <> ? AND id > ?"): "key rotation walks every tenant's secrets",
    ("src/integrations/catalog.c", "UPDATE %s SET %s = ? WHERE id = ? AND %s = ?"): "key rotation's compare-and-swap by row id",
    ("src/integrations/catalog.c", "SELECT COUNT(*) FROM %s WHERE SUBSTR("): "key rotation's count of rows already current",
    ("src/integrations/catalog.c", "WHERE verificationStatus = ? AND lastVerifiedAt < ?"): "periodic re-verification scans every tenant",
    ("src/tenancy/tenants_http.c", "FROM tenant_members m"): "lists the caller's own tenants (filters m.accountId)",
}

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def statements(text):
    """Yields each run of adjacent string literals, joined."""
    pos = 0
    while True:
        m = LITERAL.search(text, pos)
        if not m:
            return
        parts, end = [m.group(1)], m.end()
        while True:
            nxt = re.match(r'\s*"((?:[^"\\\n]|\\.)*)"', text[end:])
            if not nxt:
                break
            parts.append(nxt.group(1))
            end += nxt.end()
        yield "".join(parts)
        pos = end


class TenantScoping(unittest.TestCase):
    def test_every_tenant_query_filters_on_the_tenant(self):
        problems, seen = [], 0
        for path in sorted((ROOT / "src").rglob("*.c")):
            rel = str(path.relative_to(ROOT))
            for sql in statements(path.read_text()):
                if not SQL_START.match(sql) or not TENANT_TABLES.search(sql):
                    continue
                seen += 1
                if "tenantId" in sql:
                    continue
                if any(f == rel and frag in sql for (f, frag) in ALLOWED):
                    continue
                problems.append("%s: %s" % (rel, sql))
        self.assertGreater(seen, 20, "the scan found suspiciously few statements")
        self.assertEqual(problems, [], "statements on tenant data without a tenant filter:\n" + "\n".join(problems))

    def test_every_exception_is_still_used(self):
        texts = {f: (ROOT / f).read_text() for (f, _) in ALLOWED}
        stale = [(f, frag) for (f, frag) in ALLOWED if frag not in "".join(statements(texts[f]))]
        self.assertEqual(stale, [], "remove exceptions that no longer match anything")


if __name__ == "__main__":
    unittest.main()
