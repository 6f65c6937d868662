#!/usr/bin/env python3
"""Growth: do list reads stay flat as the database grows? (bench/run --growth)

    growth.py SLIPWAY_BIN SETUP_BODY [--duration S] [--connections C] [--threads N]

Starts a slipway of its own on a fresh database, saves the whole setup for
the bootstrap tenant (6 integrations), and times with wrk, at two sizes:

  - integration_list  GET /api/v1/{tenant}/integrations/targets?limit=50
  - audit_page        GET /api/v1/{tenant}/audit-logs?limit=50 (the newest page)
  - audit_deep        the same with a cursor half-way down the tenant's trail

small: the tenant has 10,000 audit rows; large: 1,000,000 audit rows and the
database 100,000 tenants (each owned by the bench account). The rows are
written straight into the database (one transaction each, while slipway
runs: WAL lets it keep serving), dated before the real ones.

Keyset paging should keep every read flat: PASS when the large case's
req/s is at least the small case's / 1.5 (its mean latency within 1.5
times). Prints a table; exit status 1 on a FAIL or an error answer.
"""

import base64
import sqlite3
import sys
import time

import benchlib

SMALL_AUDIT, LARGE_AUDIT, LARGE_TENANTS = 10_000, 1_000_000, 100_000
LIMIT = 1.5

UUID = "printf('%08x-%04x-4%03x-8%03x-%012x', ?1 + i, i % 65536, i % 4096, (i / 4096) % 4096, i)"


def add_audit_rows(db, tenant, account, count, salt):
    """count audit rows for tenant, 1 ms apart, dated in 2025 (before every real row)."""
    started = time.monotonic()
    with sqlite3.connect(db, timeout=120) as c:
        c.execute(
            "INSERT INTO audit_logs (id, tenantId, actorAccountId, actorEmail, action, targetType, targetId, outcome, "
            "details, ip, userAgent, requestId, createdAt) "
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2) "
            "SELECT " + UUID + ", ?3, ?4, 'bench@example.com', 'tenant.update', 'tenant', ?3, 'success', "
            "'{\"fields\":[\"orgName\"]}', '127.0.0.1', 'bench/growth', printf('growth-%d', i), "
            "strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', printf('+%d.%03d seconds', (?1 + i) / 1000, (?1 + i) % 1000)) "
            "FROM n", (salt, count, tenant, account))
    return time.monotonic() - started


def add_tenants(db, account, count):
    started = time.monotonic()
    with sqlite3.connect(db, timeout=120) as c:
        for table, columns, values in (
                ("tenants", "id, orgName, createdAt, updatedAt",
                 "printf('%08x-0000-4000-9000-%012x', i, i), printf('growth-%d', i), '2025-06-01T00:00:00.000Z', "
                 "'2025-06-01T00:00:00.000Z'"),
                ("tenant_members", "tenantId, accountId, role, createdAt, updatedAt",
                 "printf('%08x-0000-4000-9000-%012x', i, i), ?2, 'owner', '2025-06-01T00:00:00.000Z', "
                 "'2025-06-01T00:00:00.000Z'")):
            c.execute("INSERT INTO %s (%s) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) "
                      "SELECT %s FROM n" % (table, columns, values), (count, account) if "?2" in values else (count,))
    return time.monotonic() - started


def deep_cursor(db, tenant):
    """The cursor of the row half-way down the tenant's trail (page.h: base64url of "createdAt|id")."""
    with sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=60) as c:
        (n,) = c.execute("SELECT COUNT(*) FROM audit_logs WHERE tenantId = ?", (tenant,)).fetchone()
        at, id_ = c.execute("SELECT createdAt, id FROM audit_logs WHERE tenantId = ? ORDER BY createdAt DESC, id DESC "
                            "LIMIT 1 OFFSET ?", (tenant, n // 2)).fetchone()
    return base64.urlsafe_b64encode(("%s|%s" % (at, id_)).encode()).decode().rstrip("=")


def measure(server, args, label):
    auth = "Authorization: Bearer " + server.token
    paths = {
        "integration_list": "/api/v1/%s/integrations/targets?limit=50" % server.tenant,
        "audit_page": "/api/v1/%s/audit-logs?limit=50" % server.tenant,
        "audit_deep": "/api/v1/%s/audit-logs?limit=50&cursor=%s" % (server.tenant, deep_cursor(server.db,
                                                                                             server.tenant)),
    }
    results = {}
    for name, path in paths.items():
        server.must("GET", path)  # 2xx before it is timed
        r = benchlib.wrk(server.url + path, args.duration, args.connections, headers=[auth])
        print("   %-6s %-17s %9.0f req/s  p50 %7.3f ms  p99 %7.3f ms%s" % (
            label, name, r["rps"], r["p50"], r["p99"], "  %d errors" % r["errors"] if r["errors"] else ""),
            file=sys.stderr, flush=True)
        results[name] = r
    return results


def main():
    args = benchlib.arguments(duration=5, connections=32)

    server = benchlib.Slipway(args.slipway, args.threads)
    try:
        server.save_setup(server.tenant, args.body)
        print("== growth: %d s per read at -c%d" % (args.duration, args.connections), file=sys.stderr)
        t = add_audit_rows(server.db, server.tenant, server.account, SMALL_AUDIT, 0)
        print("   %d audit rows written in %.1f s" % (SMALL_AUDIT, t), file=sys.stderr)
        small = measure(server, args, "small")
        t = add_audit_rows(server.db, server.tenant, server.account, LARGE_AUDIT - SMALL_AUDIT, SMALL_AUDIT)
        t2 = add_tenants(server.db, server.account, LARGE_TENANTS)
        print("   %d more audit rows in %.1f s, %d tenants in %.1f s" % (LARGE_AUDIT - SMALL_AUDIT, t, LARGE_TENANTS, t2),
              file=sys.stderr)
        large = measure(server, args, "large")
        rss = server.rss() // 1024
    finally:
        code = server.stop()
    status = 0 if code == 0 else 1
    print()
    print("growth: %d audit rows vs %d audit rows and %d tenants; -c%d, %d s each; slipway RSS at the end %d MiB"
          % (SMALL_AUDIT, LARGE_AUDIT, LARGE_TENANTS, args.connections, args.duration, rss))
    print("%-17s %12s %12s %10s %10s %8s  %s" % ("read", "small req/s", "large req/s", "small p50", "large p50",
                                               "ratio", "verdict"))
    for name in small:
        s, l = small[name], large[name]
        ratio = s["rps"] / l["rps"] if l["rps"] else float("inf")
        verdict = "PASS" if ratio <= LIMIT else "FAIL"
        if s["errors"] or l["errors"]:
            verdict = "INVALID (errors)"
        if verdict != "PASS":
            status = 1
        print("%-17s %12.0f %12.0f %9.3fms %9.3fms %8.2f  %s (<= %.1f)" % (name, s["rps"], l["rps"], s["p50"], l["p50"],
                                                                      ratio, verdict, LIMIT))
    if code != 0:
        print("slipway exited %s after SIGTERM; its log: %s" % (code, server.log_path))
    return status


if __name__ == "__main__":
    sys.exit(main())
