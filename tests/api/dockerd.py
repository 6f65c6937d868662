"""A private Docker Engine for the docker-host tests (Debian's docker.io).

    with dockerd.Dockerd() as d:      # dockerd on a unix socket in a temporary directory
        d.socket                      # the Engine's socket path (reached by slipway through sshd's streamlocal forwarding)
        d.image                       # "slipway-test:1": busybox and its applets, imported, no registry
        d.containers(label=None)      # [{"Id", "Names", "State", "Labels"}...] of every container (GET /containers/json?all=1)
        d.api(method, path, body=None) -> (status, parsed JSON or text)

Nothing of the machine's own Docker is read or changed: its own data root,
exec root, pid file and socket; no bridge, no iptables (containers run with
network "none"). dockerd needs root: available() is False otherwise, and so
when dockerd or a static busybox is missing, and the tests skip (exit 77).
"""

import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time

DOCKERD = "/usr/sbin/dockerd"
BUSYBOX = "/bin/busybox"
IMAGE = "slipway-test:1"
START_TIMEOUT = 30.0
API = "/v1.41"
APPLETS = ("sh", "echo", "cat", "sleep", "ls", "kill", "ps", "env", "true", "false", "touch", "printf", "seq", "id", "date")


def available():
    return os.geteuid() == 0 and os.access(DOCKERD, os.X_OK) and os.access(BUSYBOX, os.X_OK) and \
        _static(BUSYBOX)


def _static(path):
    out = subprocess.run(["file", "-L", path], capture_output=True, text=True).stdout if shutil.which("file") else "static"
    return "dynamically" not in out


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=30):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Dockerd:
    def __init__(self):
        # Short: a unix socket's path is at most 107 bytes.
        self.dir = tempfile.mkdtemp(prefix="slw-dockerd-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "docker.sock")
        self.image = IMAGE
        self.proc = None

    def api(self, method, path, body=None, raw=None, timeout=30):
        conn = _UnixConnection(self.socket, timeout)
        try:
            headers = {}
            data = raw
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            elif raw is not None:
                headers["Content-Type"] = "application/x-tar"
            conn.request(method, API + path, body=data, headers=headers)
            r = conn.getresponse()
            text = r.read().decode(errors="replace")
            try:
                return r.status, json.loads(text) if text else None
            except ValueError:
                return r.status, text
        finally:
            conn.close()

    def _image_tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for d in ("bin", "tmp", "etc"):
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o1777 if d == "tmp" else 0o755
                tar.addfile(info)
            tar.add(BUSYBOX, arcname="bin/busybox")
            for a in APPLETS:
                info = tarfile.TarInfo("bin/" + a)
                info.type = tarfile.SYMTYPE
                info.linkname = "busybox"
                tar.addfile(info)
        return buf.getvalue()

    def start(self):
        log = open(os.path.join(self.dir, "dockerd.log"), "ab")
        self.proc = subprocess.Popen(
            [DOCKERD, "--host", "unix://" + self.socket, "--data-root", os.path.join(self.dir, "data"),
             "--exec-root", os.path.join(self.dir, "exec"), "--pidfile", os.path.join(self.dir, "pid"),
             "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false", "--bridge=none",
             "--log-level=error"],
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
        log.close()
        end = time.monotonic() + START_TIMEOUT
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                if self.api("GET", "/_ping", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("dockerd did not start:\n%s" % open(os.path.join(self.dir, "dockerd.log")).read()[-2000:])
        repo, tag = IMAGE.split(":")
        status, body = self.api("POST", "/images/create?fromSrc=-&repo=%s&tag=%s" % (repo, tag), raw=self._image_tar(),
                                timeout=60)
        if status != 200:
            self.stop()
            raise RuntimeError("the test image was not imported: %s %s" % (status, body))
        return self

    def containers(self, label=None):
        q = "/containers/json?all=1"
        if label:
            q += "&filters=" + json.dumps({"label": [label]}).replace(" ", "")
        status, body = self.api("GET", q)
        assert status == 200, (status, body)
        return body

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def close(self):
        self.stop()
        # containerd's shims may outlive dockerd for a moment; their mounts are under exec
        subprocess.run(["umount", "-R", "-l", os.path.join(self.dir, "exec")], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
