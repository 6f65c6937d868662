#!/usr/bin/env python3
"""The build stage under load (issue 14's benchmark; figures in docs/performance.md).

One slipway on a fresh SQLite database (the API tests' server, bench/README.md), its
providers the test fakes: a tenant whose releases kick off on the GitHub fake and build
on the CircleCI fake (one IOS build a release, its webhook never sent until phase b).

a. RELEASES releases created and kicked off, each then waiting on its build: slipway's
   threads and resident memory with a tenth of them in flight and with all of them (a
   waiting build is a job row with a deadline: no thread, no buffer of its own).
b. The signed workflow-completed webhook of every build, twice (the second a duplicate),
   and again, by wrk (bench/webhooks.lua) at CONNECTIONS: webhooks applied per second
   (from wrk's start to the last delivery row, read every 20 ms; each build
   applied once: one delivery row each, every release REGRESSION, every duplicate
   answered as one), beside the whole-setup save rate (bench/run's setup_update) of the
   same run.
c. The release page's read (GET .../releases/{id}: the release, its builds, its last 50
   events; kept per process at the tenant's revision, read again after a write to the
   tenant) as a ratio of GET /healthz in the same run.

    bench/release_builds.py [--binary build-bench/slipway] [--releases 1000] [--duration 5] [--connections 32]

Targets (the issue's): threads flat and RSS growth under 25 % from a tenth to all; at
least 3,000 webhooks applied per second; the release read at least 0.3 of /healthz.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakes"))
sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ.setdefault("SLIPWAY_SPEC_CHECK", "0")  # the API tests check answers against the spec; a bench measures


def proc_status(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def stat_cpu(path):
    """(command name, user and system CPU seconds so far) from a /proc stat file; None when it is gone."""
    try:
        with open(path) as f:
            name, rest = f.read().split("(", 1)[1].rsplit(")", 1)
    except OSError:
        return None
    fields = rest.split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """The process's user and system CPU time so far, in seconds."""
    return stat_cpu("/proc/%d/stat" % pid)[1]


def cpu_by_thread(pid):
    """The process's threads' CPU so far, by thread id: (name, seconds). slipway names its threads
    (src/core/thread.h)."""
    tasks = {t: stat_cpu("/proc/%d/task/%s/stat" % (pid, t)) for t in os.listdir("/proc/%d/task" % pid)}
    return {t: cpu for t, cpu in tasks.items() if cpu}


def cpu_by_process():
    """Every process's CPU so far, by pid: (command name, seconds); and "idle", the machine's idle time."""
    procs = {pid: stat_cpu("/proc/%s/stat" % pid) for pid in filter(str.isdigit, os.listdir("/proc"))}
    out = {pid: cpu for pid, cpu in procs.items() if cpu}
    with open("/proc/stat") as f:
        out["idle"] = ("(idle)", int(f.readline().split()[4]) / os.sysconf("SC_CLK_TCK"))
    return out


def cpu_spent(before, after):
    """The CPU each name spent between two readings of cpu_by_process (or cpu_by_thread), in seconds. By id, then by
    name: a kernel worker's name changes with the work it does, and one born meanwhile counts from zero."""
    out = {}
    for pid, (name, seconds) in after.items():
        name = name.split("-")[0] if name.startswith("kworker") else name
        out[name] = out.get(name, 0) + seconds - before.get(pid, (name, 0))[1]
    return out


def writer(metrics_port):
    """The SQLite writer's counters from /metrics: {transactions, wait, busy} (seconds for the last two)."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=10) as resp:
        lines = resp.read().decode().splitlines()
    out = {}
    for name in ("transactions", "wait_seconds", "busy_seconds"):
        prefix = "slipway_db_writer_%s_total " % name
        out[name.split("_")[0]] = next(float(line[len(prefix):]) for line in lines if line.startswith(prefix))
    return out


def say(text):
    print("release_builds: " + text, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "slipway"))
    ap.add_argument("--releases", type=int, default=1000)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--connections", type=int, default=32)
    args = ap.parse_args()
    import benchlib
    import fake_circleci
    import harness
    import integration_fixtures as fx
    import setup_fixture

    check = unittest.TestCase()
    metrics_port = harness.free_port()
    shared, server, ctx, scm = benchlib.release_tenant(args.binary, {"SLIPWAY_METRICS_LISTEN": "127.0.0.1:%d" % metrics_port})
    hook = benchlib.circleci_hook(ctx, server)
    auth = "Authorization: Bearer " + ctx.token
    url = "http://127.0.0.1:%d" % server.port

    def create(versions):
        for v in versions:
            harness.expect(check, server.request("POST", "/api/v1/%s/releases" % ctx.tenant_id,
                                                 {"version": v, "releaseType": "MINOR", "platforms": ["IOS"],
                                                  "scmIntegrationId": scm["id"]}, token=ctx.token), 201)

    def triggered():
        return fx.db_query(server, "SELECT COUNT(*) FROM release_builds WHERE runId IS NOT NULL")[1][0][0]

    def wait_triggered(n):
        deadline = time.monotonic() + 60 + n  # a bound on waiting, not a measurement
        while triggered() < n:
            if time.monotonic() > deadline:
                raise SystemExit("only %d of %d builds triggered" % (triggered(), n))
            time.sleep(0.5)

    def in_parallel(versions, threads=4):
        workers = [threading.Thread(target=create, args=(versions[i::threads],)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    say("a. creating %d releases" % args.releases)
    # a. releases in flight, each waiting on its build.
    n, tenth = args.releases, max(1, args.releases // 10)
    versions = ["%d.%d.0" % (1 + i // 1000, i % 1000) for i in range(n)]
    in_parallel(versions[:tenth])
    wait_triggered(tenth)
    time.sleep(1)
    threads_tenth, rss_tenth = proc_status(server.pid, "Threads"), proc_status(server.pid, "VmRSS")
    for at in range(tenth, n, tenth):  # a tenth at a time, so the fakes keep up with the kickoffs
        in_parallel(versions[at:at + tenth])
        wait_triggered(min(n, at + tenth))
        say("a. %d waiting on their builds" % min(n, at + tenth))
    time.sleep(1)
    threads_all, rss_all = proc_status(server.pid, "Threads"), proc_status(server.pid, "VmRSS")

    say("c. the release page and /healthz")
    # c. the release page against /healthz, same run.
    rid = fx.db_query(server, "SELECT id FROM releases ORDER BY createdAt LIMIT 1")[1][0][0]
    # Each also as slipway's CPU time per request: on a machine shared with other work, the load-independent figure.
    cpu = cpu_seconds(server.pid)
    healthz = benchlib.wrk(url + "/healthz", args.duration, args.connections)
    now = cpu_seconds(server.pid)
    healthz["cpu_us"], cpu = (now - cpu) * 1e6 / max(1, healthz["requests"]), now
    page = benchlib.wrk("%s/api/v1/%s/releases/%s" % (url, ctx.tenant_id, rid), args.duration, args.connections,
                        headers=[auth])
    page["cpu_us"] = (cpu_seconds(server.pid) - cpu) * 1e6 / max(1, page["requests"])

    say("b. the webhooks")
    # b. every build's signed webhook, twice; then the whole-setup save of the same run.
    tmp = tempfile.mkdtemp(prefix="slipway-bench-hooks-")
    rows = fx.db_query(server, "SELECT b.runId, r.releaseBranch FROM release_builds b JOIN releases r ON r.id = b.releaseId")[1]
    with open(os.path.join(tmp, "hooks.tsv"), "w") as f:
        for run, branch in rows:
            raw, headers = fake_circleci.webhook(hook["secret"], fake_circleci.workflow_completed_payload(
                workflow_id=run, status="success", branch=branch))
            f.write("%s\t%s\n" % (headers["circleci-signature"], raw.decode()))
    env = dict(os.environ, BENCH_HOOKS=os.path.join(tmp, "hooks.tsv"), BENCH_THREADS="2")
    result = {}
    sender = threading.Thread(target=lambda: result.update(benchlib.wrk(
        url + hook["path"], args.duration * 2, args.connections, script=os.path.join(ROOT, "bench", "webhooks.lua"), env=env)))
    began, cpu, threads_before = time.monotonic(), cpu_seconds(server.pid), cpu_by_thread(server.pid)
    machine_before, writer_before = cpu_by_process(), writer(metrics_port)
    sender.start()
    while fx.db_query(server, "SELECT COUNT(*) FROM webhook_deliveries")[1][0][0] < n and sender.is_alive():
        time.sleep(0.02)
    runtime = time.monotonic() - began  # to the last delivery applied (read every 20 ms)
    cpu = cpu_seconds(server.pid) - cpu  # all slipway did meanwhile: the copies answered, the waiting builds' polls
    by_thread = cpu_spent(threads_before, cpu_by_thread(server.pid))
    machine = cpu_spent(machine_before, cpu_by_process())
    writes = {k: v - writer_before[k] for k, v in writer(metrics_port).items()}
    sender.join()
    hooks = result
    applied = fx.db_query(server, "SELECT COUNT(*) FROM webhook_deliveries")[1][0][0]
    unique = fx.db_query(server, "SELECT COUNT(DISTINCT runId) FROM webhook_deliveries")[1][0][0]
    deadline = time.monotonic() + 120  # each release moved with its delivery (or by its job, had one been left to it)
    while fx.db_query(server, "SELECT COUNT(*) FROM releases WHERE status = 'REGRESSION'")[1][0][0] < n:
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    regression = fx.db_query(server, "SELECT COUNT(*) FROM releases WHERE status = 'REGRESSION'")[1][0][0]
    events = fx.db_query(server, "SELECT COUNT(*) FROM release_events WHERE name = 'build-webhook'")[1][0][0]

    say("b. the whole-setup saves")
    for name in ("ec.pem", "rsa.pem"):
        algo = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"] if name == "ec.pem" else \
            ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        subprocess.run(["openssl", "genpkey"] + algo + ["-out", os.path.join(tmp, name)], check=True, capture_output=True)
    body = setup_fixture.body(os.path.join(tmp, "ec.pem"), os.path.join(tmp, "rsa.pem"))
    tenant = harness.expect(check, server.request("POST", "/api/v1/tenants", {"orgName": "Bench saves"}, token=ctx.token),
                            201)["id"]
    with open(os.path.join(tmp, "setup.json"), "w") as f:
        json.dump(body, f)
    env = dict(os.environ, BENCH_BODY=os.path.join(tmp, "setup.json"))
    saves = benchlib.wrk("%s/api/v1/%s/release-management/setup" % (url, tenant), args.duration, args.connections,
                         headers=[auth], script=os.path.join(ROOT, "bench", "post_json.lua"), env=env)
    shared.remember()
    shared.close()

    ok = True

    def row(what, value, target, passed):
        nonlocal ok
        ok &= passed
        print("%-58s %-28s %-14s %s" % (what, value, target, "PASS" if passed else "BELOW"))

    print("\nbuild stage, %d releases, SQLite, wrk -c%d, %s" % (n, args.connections, time.strftime("%Y-%m-%d")))
    row("a. threads, %d -> %d releases waiting on builds" % (tenth, n), "%d -> %d" % (threads_tenth, threads_all),
        "flat", threads_all <= threads_tenth)
    row("a. RSS (MiB), %d -> %d releases waiting" % (tenth, n), "%.1f -> %.1f (x%.2f)" % (
        rss_tenth / 1024, rss_all / 1024, rss_all / rss_tenth), "< x1.25", rss_all < rss_tenth * 1.25)
    row("b. signed webhooks applied per second (and duplicates)", "%.0f/s (%d in %.2f s)" % (applied / runtime, applied,
                                                                                           runtime), ">= 3000/s",
        applied / runtime >= 3000)
    row("b. ... applied exactly once", "%d rows, %d runs, %d events" % (applied, unique, events), "= %d" % n,
        applied == unique == events == n and hooks.get("errors", 1) == 0)
    row("b. ... deliveries answered per second, duplicates included", "%.0f/s" % hooks["rps"], "", True)
    row("b. ... slipway's CPU per delivery applied, all it did meanwhile", "%.0f us" % (cpu * 1e6 / max(1, applied)), "", True)
    print("   ... that CPU by thread: " + ", ".join("%s %.0f us" % (k, v * 1e6 / max(1, applied))
                                                  for k, v in sorted(by_thread.items(), key=lambda kv: -kv[1]) if v > 0))
    print("   ... the machine's cores in that window, by process: " + ", ".join(
        "%s %.2f" % (k, v / runtime) for k, v in sorted(machine.items(), key=lambda kv: -kv[1]) if v / runtime >= 0.01))
    print("   ... the writer (one transaction at a time): busy %.0f%% of the window, %.0f us a transaction, %d "
          "transactions; the time they waited for it, %.2f s in all" % (
              writes["busy"] * 100 / runtime, writes["busy"] * 1e6 / max(1, writes["transactions"]),
              writes["transactions"], writes["wait"]))
    row("b. ... releases moved to REGRESSION", "%d" % regression, "= %d" % n, regression == n)
    row("b. whole-setup saves per second, same run", "%.0f/s" % saves["rps"], "(beside)", saves["errors"] == 0)
    row("c. release page read / healthz", "%.0f / %.0f = %.2f" % (page["rps"], healthz["rps"], page["rps"] / healthz["rps"]),
        ">= 0.3", page["rps"] / healthz["rps"] >= 0.3 and page["errors"] == 0)
    print("   p99: release page %.1f ms, healthz %.1f ms, webhooks %.1f ms" % (page["p99"], healthz["p99"], hooks["p99"]))
    print("   slipway's CPU per request: release page %.1f us, healthz %.1f us (%.2f)" % (
        page["cpu_us"], healthz["cpu_us"], healthz["cpu_us"] / page["cpu_us"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
