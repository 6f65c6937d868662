#!/usr/bin/env python3
"""A log that cannot be written must never hold a request.

slipway writes its log to stderr, which in production is a pipe to journald
or a file on a disk that may be throttling writes. Here stderr is a pipe
nobody reads until the end: it fills after a few hundred lines. Then:

  1. 3,000 authenticated reads over keep-alive are all answered (each has
     10 s, which only a request stuck behind the log ever needs): the access
     log drops the lines it cannot write instead of holding the request
     threads while it waits for the pipe;
  2. once the pipe is read again, the server reports how many lines it
     dropped, and SIGTERM stops it with exit status 0.

Before the fix the access log's flusher wrote while holding the lock every
request's completion takes, so a stalled stderr stopped every worker: under
the full suite's disk load a read waited seconds (reliability.flood).

    stuck_log.py        (SLIPWAY_BIN: the binary; default build/slipway)
"""

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
import harness  # noqa: E402

READS = 3000


def main():
    server = harness.Server()
    server.tmpdir = tempfile.mkdtemp(prefix="slipway-stuck-log-")
    server.database = harness.new_database(server.tmpdir)
    server.port = harness.free_port()
    binary = harness.binary_path()
    admin = server._bootstrap(binary, server.env())
    proc = subprocess.Popen([binary, "serve"], env=server.env(), cwd=server.tmpdir, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    drained = []
    try:
        server.pid = proc.pid
        conn = None
        for _ in range(200):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                break
            except OSError:
                conn = None
                threading.Event().wait(0.05)
        assert conn is not None, "slipway serve did not start"
        path = "/api/v1/%s" % admin["tenantId"]
        for i in range(READS):
            try:
                conn.request("GET", path, headers={"Authorization": "Bearer " + admin["token"]})
                resp = conn.getresponse()
                resp.read()
            except OSError as e:
                raise AssertionError("read %d of %d was not answered within 10 s while stderr was full: %r"
                                     % (i + 1, READS, e))
            assert resp.status == 200, "read %d: status %d" % (i + 1, resp.status)
        conn.close()

        reader = threading.Thread(target=lambda: drained.append(proc.stderr.read()), daemon=True)
        reader.start()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
        reader.join(10)
        assert code == 0, "exit status %d after SIGTERM" % code
    finally:
        if proc.poll() is None:
            proc.kill()
    log = b"".join(drained).decode("utf-8", "replace")
    for pattern in harness.SANITIZER_PATTERNS:
        assert pattern not in log, "stderr contains %r" % pattern
    assert "lines dropped" in log, "the dropped access lines were not reported:\n" + log[-2000:]
    print("stuck log: %d reads answered with stderr full; the log reports the dropped lines" % READS)


if __name__ == "__main__":
    main()
