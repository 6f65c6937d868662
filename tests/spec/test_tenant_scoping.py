#!/usr/bin/env python3
"""A lint: every SQL statement in src/ that touches tenant-scoped data filters on the tenant.

STYLE.md: "Every tenant-scoped query filters on the tenant; a test checks it."
The proof is by behaviour: the API tests run the server with the tenant
guard (docs/internals/store.md), which fails any request that reads a row
of another tenant, and the mutation check (tests/mutation/run) drops each
filter in turn to show that the suite notices. This lint catches the
mistake earlier, and where no test reads.

The C sources are scanned for SQL string literals (adjacent literals joined,
as the compiler joins them). In each statement, and in each subquery on its
own, every tenant table it reads or writes must be held to one tenant:

  - SELECT, UPDATE, DELETE: a condition `tenantId = ?` (qualified by the
    table's alias where it has one) that is a whole top-level conjunct of
    the WHERE clause, or of the table's JOIN ... ON clause, or
    `alias.tenantId = other.tenantId` where `other` is held so. A WHERE
    with a top-level OR has no such conjunct: `(tenantId = ? OR 1 = 1)`,
    `tenantId = ? OR ...`, `tenantId IS NOT NULL`, `tenantId = tenantId`
    all fail;
  - INSERT: the column list names tenantId.

unless the statement is listed below with the reason it may not.
"""
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TENANT_TABLE = r"(?:tenant_members|tenant_release_settings|tenant_integrations|tenant_\w+_integrations|tenant_invitations|audit_logs|iam_providers|iam_user_mappings|iam_group_mappings|iam_domains|hosts|deployment_scripts|deployments|deployment_logs|%s)"
TENANT_TABLES = re.compile(r"(?<!\w)%s(?!\w)" % TENANT_TABLE)  # (?<!\w): "%s" starts with no word character
SQL_START = re.compile(r"^\s*(SELECT|UPDATE|DELETE|INSERT)\b", re.I)

# (file, a fragment of the statement) -> why it is not scoped to one tenant.
ALLOWED = {
    ("src/integrations/catalog.c", "SELECT DISTINCT SUBSTR("): "start-up check of every stored secret's key id (all tenants)",
    ("src/integrations/catalog.c", "SUBSTR(%s, 1, 12) <> ? AND id > ?"): "key rotation walks every tenant's secrets",
    ("src/integrations/catalog.c", "UPDATE %s SET %s = ? WHERE id = ? AND %s = ?"): "key rotation's compare-and-swap by row id",
    ("src/integrations/catalog.c", "SELECT COUNT(*) FROM %s WHERE SUBSTR("): "key rotation's count of rows already current",
    ("src/integrations/catalog.c", "WHERE verificationStatus = ? AND lastVerifiedAt < ?"): "periodic re-verification scans every tenant",
    ("src/deploy/repos.c", "WHERE isActive = ? AND COALESCE(lastSyncedAt, createdAt) < ?"): "the periodic repository sync scans every tenant",
    ("src/tenancy/tenants_http.c", "FROM tenant_members m"): "lists the caller's own tenants (filters m.accountId)",
    ("src/notify/approvals.c", "FROM releases s JOIN tenant_members m"): "a release's approvers: members joined on the "
                                                                          "release's tenant, which its WHERE holds to one "
                                                                          "(s.tenantId = ?; this lint does not hold releases)",
    ("src/tenancy/accounts.c", "FROM tenant_members m JOIN tenants t"): "the password rule of single sign-on counts "
                                                                        "the account's own memberships (filters m.accountId)",
    ("src/tenancy/audit_http.c", "WHERE tenantId IS NULL AND actorAccountId = ?"): "the caller's own account-level "
                                                                                    "events, which belong to no tenant",
    ("src/tenancy/invitations_http.c", "WHERE i.tokenHash = ?"): "accepting: the secret token names the invitation, "
                                                                 "and with it its one tenant",
    ("src/integrations/rekey.c", "SELECT DISTINCT SUBSTR(clientSecret"): "start-up check of every stored secret's key id "
                                                                         "(all tenants)",
    ("src/integrations/rekey.c", "SUBSTR(clientSecret, 1, 12) <> ? AND id > ?"): "key rotation walks every tenant's secrets",
    ("src/integrations/rekey.c", "UPDATE iam_providers SET clientSecret = ? WHERE id = ?"): "key rotation's compare-and-swap "
                                                                                           "by row id",
    ("src/integrations/rekey.c", "SELECT COUNT(*) FROM iam_providers WHERE SUBSTR("): "key rotation's count of rows already "
                                                                                     "current",
    ("src/identity/policy_http.c", "WHERE t.slug = ? AND t.deletedAt IS NULL"): "a login page finds a tenant's sign-on by "
                                                                              "its public slug (names and types only)",
    ("src/identity/policy_http.c", "WHERE d.domain = ? AND t.deletedAt IS NULL"): "a login page finds the sign-on a work "
                                                                                 "e-mail's domain is claimed by",
    ("src/integrations/rekey.c", "SELECT DISTINCT SUBSTR(secret, 1, 12) FROM hosts"): "start-up check of every stored "
                                                                                      "secret's key id (all tenants)",
    ("src/integrations/rekey.c", "FROM hosts WHERE SUBSTR(secret, 1, 12) <> ? AND id > ?"): "key rotation walks every "
                                                                                           "tenant's secrets",
    ("src/integrations/rekey.c", "UPDATE hosts SET secret = ? WHERE id = ?"): "key rotation's compare-and-swap by row id",
    ("src/integrations/rekey.c", "SELECT COUNT(*) FROM hosts WHERE SUBSTR("): "key rotation's count of rows already current",
    ("src/identity/iam.c", "FROM iam_providers WHERE id = ?"): "a login names its provider (by the start URL or by "
                                                                  "its spent state), and with it its one tenant",
    ("src/tenancy/admin_http.c", "FROM tenant_members m WHERE m.tenantId = t.id"): "the instance administrator's list of "
                                                                                 "every tenant, with its member count",
    ("src/sites/proof.c", "FROM iam_domains WHERE provenAt IS NOT NULL AND challengeToken"): "the re-check of proven "
                                                                                              "domains scans every tenant",
}

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
KEYWORDS = {"WHERE", "ON", "JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "ORDER", "GROUP", "LIMIT", "SET",
            "USING", "AND", "OR", "UNION", "HAVING", "FOR", "RETURNING", "VALUES", "SELECT", "AS"}
CLAUSE_END = re.compile(r"\b(ORDER\s+BY|GROUP\s+BY|LIMIT|HAVING|UNION|RETURNING|FOR\s+UPDATE|LEFT|RIGHT|INNER|"
                        r"OUTER|CROSS|JOIN|WHERE)\b", re.I)


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


def scopes(sql):
    """The statement with every parenthesized subquery cut out (as "(...)"), then each subquery the same way."""
    out, stack, flat = [], [], [""]
    for ch in sql:
        if ch == "(":
            stack.append(len(flat))
            flat.append("")
        elif ch == ")" and stack:
            inner = flat.pop()
            stack.pop()
            if re.match(r"\s*SELECT\b", inner, re.I):
                out.append(inner)
                flat[-1] += "(...)"
            else:
                flat[-1] += "(" + inner + ")"
        else:
            flat[-1] += ch
    while len(flat) > 1:  # unbalanced: keep what there is
        inner = flat.pop()
        flat[-1] += "(" + inner
    return [flat[0]] + out  # out holds every subquery, at any depth, each with its own subqueries cut out


def top_level(text, word):
    """text split at `word` (a keyword) where it is not inside parentheses."""
    parts, depth, start = [], 0, 0
    for m in re.finditer(r"\(|\)|\b%s\b" % word, text, re.I):
        if m.group() == "(":
            depth += 1
        elif m.group() == ")":
            depth -= 1
        elif depth == 0:
            parts.append(text[start:m.start()])
            start = m.end()
    parts.append(text[start:])
    return [p.strip() for p in parts]


def clause(scope, keyword, after=0):
    """The text of `keyword ...` up to the next clause, from position after; None when absent."""
    m = re.compile(r"\b%s\b" % keyword, re.I).search(scope, after)
    if not m:
        return None
    end = CLAUSE_END.search(scope, m.end())
    return scope[m.end():end.start() if end else len(scope)]


def conjuncts(expr):
    """The top-level AND terms of a condition; [] when it has a top-level OR (then no term holds it all)."""
    if expr is None or len(top_level(expr, "OR")) > 1:
        return []
    return [re.sub(r"\s+", " ", c) for c in top_level(expr, "AND")]


def tenant_tables(scope):
    """(table, alias or None, position) for each tenant table the scope reads or writes."""
    found = []
    for m in re.finditer(r"\b(FROM|JOIN|UPDATE|INTO)\s+(%s)(?:\s+(?:AS\s+)?(\w+))?" % TENANT_TABLE, scope, re.I):
        alias = m.group(3)
        if alias and alias.upper() in KEYWORDS:
            alias = None
        found.append((m.group(2), alias, m.start(), m.group(1).upper()))
    return found


def scope_problems(scope):
    """What is wrong with one scope (a statement without its subqueries), as sentences."""
    problems = []
    tables = tenant_tables(scope)
    where = conjuncts(clause(scope, "WHERE"))
    held = set()
    for table, alias, pos, how in tables:
        if how == "INTO":
            columns = re.search(r"\bINTO\s+\S+\s*\(([^)]*)\)", scope[pos:], re.I)
            if not columns or "tenantId" not in [c.strip() for c in columns.group(1).split(",")]:
                problems.append("INSERT INTO %s without a tenantId column" % table)
            continue
        name = alias or table
        own = {"%s.tenantId = ?" % name} | ({"tenantId = ?"} if alias is None or len(tables) == 1 else set())
        on = conjuncts(clause(scope, "ON", pos)) if how == "JOIN" else []
        if own & set(where + on):
            held.add(name)
    for table, alias, pos, how in tables:
        name = alias or table
        if how == "INTO" or name in held:
            continue
        joined = [c for c in conjuncts(clause(scope, "ON", pos)) + where
                  if re.fullmatch(r"(\w+)\.tenantId = (\w+)\.tenantId", c)]
        if any(set(re.findall(r"(\w+)\.tenantId", c)) - {name} <= held and name in c for c in joined):
            continue
        problems.append("%s%s is not held to one tenant (no top-level `%s = ?` in WHERE or its ON)"
                        % (table, " " + alias if alias else "", "%s.tenantId" % alias if alias else "tenantId"))
    return problems


def statement_problems(sql):
    return [p for scope in scopes(sql) for p in scope_problems(scope)]


class TenantScoping(unittest.TestCase):
    def test_every_tenant_query_filters_on_the_tenant(self):
        problems, seen = [], 0
        for path in sorted((ROOT / "src").rglob("*.c")):
            rel = str(path.relative_to(ROOT))
            for sql in statements(path.read_text()):
                if not SQL_START.match(sql) or not TENANT_TABLES.search(sql):
                    continue
                seen += 1
                if any(f == rel and frag in sql for (f, frag) in ALLOWED):
                    continue
                problems += ["%s: %s\n    %s" % (rel, p, sql) for p in statement_problems(sql)]
        self.assertGreater(seen, 20, "the scan found suspiciously few statements")
        self.assertEqual(problems, [], "statements on tenant data not held to one tenant:\n" + "\n".join(problems))

    def test_every_exception_is_still_used(self):
        texts = {f: (ROOT / f).read_text() for (f, _) in ALLOWED}
        stale = [(f, frag) for (f, frag) in ALLOWED if frag not in "".join(statements(texts[f]))]
        self.assertEqual(stale, [], "remove exceptions that no longer match anything")

    def test_the_lint_refuses_what_only_looks_scoped(self):
        refused = [
            "SELECT id FROM tenant_members WHERE (tenantId = ? OR 1 = 1) AND accountId = ?",
            "SELECT id FROM tenant_members WHERE tenantId = ? OR 1 = 1",
            "SELECT id FROM tenant_members WHERE accountId = ? OR tenantId = ?",
            "SELECT id FROM tenant_members WHERE tenantId IS NOT NULL",
            "SELECT id FROM tenant_members WHERE tenantId = tenantId",
            "SELECT id FROM %s WHERE id = ? AND note = 'tenantId = ?'",
            "UPDATE tenant_scm_integrations SET displayName = ? WHERE id = ?",
            "DELETE FROM audit_logs WHERE createdAt < ?",
            "SELECT (SELECT COUNT(*) FROM tenant_members WHERE role = ?), (SELECT COUNT(*) FROM audit_logs "
            "WHERE tenantId = ?)",
            "SELECT m.role FROM tenant_members m JOIN tenant_scm_integrations s ON s.id = ? WHERE m.tenantId = ?",
            "INSERT INTO audit_logs (id, action) VALUES (?, ?)",
        ]
        accepted = [
            "SELECT id FROM tenant_members WHERE tenantId = ? AND (createdAt < ? OR id < ?)",
            "SELECT m.role FROM tenant_members m JOIN accounts a ON a.id = m.accountId WHERE m.tenantId = ?",
            "SELECT t.id FROM api_tokens t LEFT JOIN tenant_members m ON m.tenantId = ? AND m.accountId = t.accountId",
            "SELECT (SELECT COUNT(*) FROM tenant_members WHERE tenantId = ?), (SELECT COUNT(*) FROM audit_logs "
            "WHERE tenantId = ? AND action = ?)",
            "SELECT m.role FROM tenant_members m JOIN tenant_scm_integrations s ON s.tenantId = m.tenantId "
            "WHERE m.tenantId = ?",
            "UPDATE %s SET verificationStatus = ? WHERE tenantId = ? AND id = ?",
            "INSERT INTO audit_logs (id, tenantId, action) VALUES (?, ?, ?)",
        ]
        for sql in refused:
            with self.subTest(refused=sql):
                self.assertTrue(statement_problems(sql), "the lint took it for scoped")
        for sql in accepted:
            with self.subTest(accepted=sql):
                self.assertEqual(statement_problems(sql), [])


if __name__ == "__main__":
    unittest.main()
