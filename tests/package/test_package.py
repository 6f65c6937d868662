#!/usr/bin/env python3
"""The Debian package (scripts/package), installed for real on this machine.

Needs root (CTest label `package`; skipped, exit 77, without it). Builds the
package around the binary under test (SLIPWAY_BIN), then:
- its contents, control fields and conffiles are as docs/operations.md says;
- `dpkg -i` creates the slipway user, /var/lib/slipway, and the credential
  encryption key /etc/slipway/slipway.key (64 hex characters, mode 600, the
  slipway user's);
- `systemd-analyze verify` accepts the installed unit, which carries the
  hardening (its own user, ProtectSystem=strict, StateDirectory,
  NoNewPrivileges, restricted address families and system calls), and
  `systemd-analyze security --offline` rates it OK;
- the installed binary, started by hand as the slipway user with the
  unit's environment file (no systemd runs here) and a lax umask, serves: the first start's
  login works, a credential is stored under the key, the database and its
  WAL are the slipway user's alone;
- installing again, and removing and installing again, keeps the key;
  a purge keeps the key and the database (the settings go).
Self-cleaning and idempotent: everything it made is removed at the end,
also after a failure, and a leftover of an interrupted run is removed
first; a slipway package this test did not install is never touched (exit
77). Runs are serialized across checkouts by a lock file.
"""
import fcntl
import hashlib
import http.client
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
import integration_fixtures as fx  # noqa: E402

SKIP = 77
LOCK = "/tmp/slipway-package-test.lock"
MARKER = "/var/lib/slipway-package-test.json"  # says an install is this test's, and what to undo
KEY = "/etc/slipway/slipway.key"
ENV_FILE = "/etc/slipway/slipway.env"
UNIT = "/lib/systemd/system/slipway.service"
STATE = "/var/lib/slipway"
HARDENING = {"User": "slipway", "ProtectSystem": "strict", "StateDirectory": "slipway", "NoNewPrivileges": "yes",
             "PrivateTmp": "yes", "ProtectHome": "yes", "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
             "SystemCallArchitectures": "native", "CapabilityBoundingSet": ""}


def run(*argv, check=True, **kw):
    proc = subprocess.run(list(argv), capture_output=True, timeout=300, **kw)
    if check and proc.returncode != 0:
        raise AssertionError("%s: exit %d\n%s%s" % (" ".join(argv), proc.returncode, proc.stdout.decode(),
                                                     proc.stderr.decode()))
    return proc


def installed():
    proc = run("dpkg-query", "-W", "-f=${Status}", "slipway", check=False)
    return proc.returncode == 0 and b"installed" in proc.stdout


def user_exists(name="slipway"):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def cleanup():
    """Undo everything an install by this test left (the marker says what existed before)."""
    try:
        with open(MARKER) as f:
            before = json.load(f)
    except (OSError, ValueError):
        before = {"user": False}
    if installed():
        run("dpkg", "--purge", "slipway")
    for path in ("/etc/slipway", STATE):
        shutil.rmtree(path, ignore_errors=True)
    if not before.get("user") and user_exists():
        run("userdel", "slipway", check=False)
        run("groupdel", "slipway", check=False)
    if os.path.exists(MARKER):
        os.unlink(MARKER)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def unit_settings(path):
    """{key: value} of the unit's [Service] section (the last assignment of a key wins, as systemd reads it)."""
    settings, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                key, _, value = line.partition("=")
                settings[key] = value
    return settings


def env_file(path):
    """KEY=VALUE lines, as systemd's EnvironmentFile= reads them (comments and blank lines skipped)."""
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = value
    return env


class Http:
    def __init__(self, port):
        self.port = port

    def request(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = "Bearer " + token
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
        finally:
            conn.close()


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="slipway-package-")
        binary = os.environ.get("SLIPWAY_BIN", os.path.join(ROOT, "build", "slipway"))
        out = run(os.path.join(ROOT, "scripts", "package"), "--binary", binary, "--out", cls.tmp).stdout.decode()
        cls.deb = out.strip().splitlines()[-1]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        cleanup()  # a leftover of an interrupted run (the marker says it is this test's)
        with open(MARKER, "w") as f:
            json.dump({"user": user_exists()}, f)

    def tearDown(self):
        cleanup()

    def test_contents(self):
        listing = run("dpkg-deb", "-c", self.deb).stdout.decode()
        for path, mode in (("./usr/bin/slipway", "-rwxr-xr-x"), ("./lib/systemd/system/slipway.service", "-rw-r--r--"),
                           ("./etc/slipway/slipway.env", "-rw-r-----"), ("./usr/share/doc/slipway/operations.md", None)):
            with self.subTest(path=path):
                line = [entry for entry in listing.splitlines() if entry.endswith(" " + path)]
                self.assertEqual(len(line), 1, listing)
                if mode:
                    self.assertTrue(line[0].startswith(mode + " root/root"), line[0])
        self.assertNotIn("slipway.key", listing, "the key is made at install, never shipped")
        fields = run("dpkg-deb", "-f", self.deb, "Package", "Depends").stdout.decode()
        self.assertIn("Package: slipway", fields)
        for lib in ("libmicrohttpd12", "libjansson4", "libsqlite3-0", "libpq5", "libmariadb3", "libssl3", "libcurl4"):
            self.assertIn(lib, fields)
        conffiles = run("dpkg-deb", "--ctrl-tarfile", self.deb)
        self.assertIn(b"conffiles", conffiles.stdout)

    def test_install_verify_serve_remove(self):
        run("dpkg", "-i", self.deb)
        self.assertTrue(installed())
        user = pwd.getpwnam("slipway")
        self.assertEqual(user.pw_dir, STATE)

        # The key: made at install, the slipway user's alone.
        st = os.stat(KEY)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_uid, user.pw_uid)
        with open(KEY) as f:
            self.assertRegex(f.read(), r"^[0-9a-f]{64}$")
        key_digest = digest(KEY)
        self.assertEqual(stat.S_IMODE(os.stat(ENV_FILE).st_mode), 0o640)
        self.assertEqual(os.stat(ENV_FILE).st_gid, user.pw_gid)
        self.assertEqual(os.stat(STATE).st_uid, user.pw_uid)
        self.assertEqual(stat.S_IMODE(os.stat(STATE).st_mode), 0o750)

        # The unit: systemd accepts it, and it is hardened.
        proc = run("systemd-analyze", "verify", UNIT, check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode() + proc.stdout.decode())
        settings = unit_settings(UNIT)
        for key, value in HARDENING.items():
            self.assertEqual(settings.get(key), value, key)
        self.assertTrue(settings.get("SystemCallFilter", "").startswith("~@privileged"), settings)
        self.assertEqual(settings.get("EnvironmentFile"), ENV_FILE)
        proc = run("systemd-analyze", "security", "--offline=true", UNIT, check=False)
        verdict = re.search(r"Overall exposure level for slipway.service: ([0-9.]+) (\w+)", proc.stdout.decode())
        self.assertIsNotNone(verdict, proc.stdout.decode() + proc.stderr.decode())
        self.assertLessEqual(float(verdict.group(1)), 2.0, verdict.group(0))

        self.serve_by_hand()

        # Installing again keeps the key; so does removing and installing.
        run("dpkg", "-i", self.deb)
        self.assertEqual(digest(KEY), key_digest)
        run("dpkg", "--remove", "slipway")
        self.assertFalse(os.path.exists("/usr/bin/slipway"))
        self.assertEqual(digest(KEY), key_digest)
        self.assertTrue(os.path.exists(ENV_FILE), "a removal keeps the settings")
        run("dpkg", "-i", self.deb)
        self.assertEqual(digest(KEY), key_digest)

        # A purge takes the settings, and leaves the key and the database for the operator.
        run("dpkg", "--purge", "slipway")
        self.assertFalse(installed())
        self.assertFalse(os.path.exists(ENV_FILE))
        self.assertEqual(digest(KEY), key_digest)
        self.assertTrue(os.path.exists(os.path.join(STATE, "slipway.db")))

    def serve_by_hand(self):
        """The installed binary, as the unit starts it: the slipway user, the environment file, the state directory."""
        port = free_port()
        env = dict(env_file(ENV_FILE), PATH="/usr/sbin:/usr/bin:/sbin:/bin", SLIPWAY_LISTEN="127.0.0.1:%d" % port)
        out_path, err_path = os.path.join(self.tmp, "stdout"), os.path.join(self.tmp, "stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            # umask 022, laxer than the unit's: the files must be private anyway.
            proc = subprocess.Popen(["/usr/bin/slipway", "serve"], env=env, cwd=STATE, stdout=out, stderr=err,
                                    stdin=subprocess.DEVNULL, user="slipway", group="slipway", extra_groups=[],
                                    umask=0o022)
        try:
            api = Http(port)
            deadline = time.monotonic() + 30
            while True:
                try:
                    if api.request("GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                self.assertIsNone(proc.poll(), open(err_path).read())
                self.assertLess(time.monotonic(), deadline, "not serving after 30 s: " + open(err_path).read())
                time.sleep(0.1)
            printed = open(out_path).read()
            password = re.search(r"password: (\S+)", printed).group(1)
            status, body = api.request("POST", "/api/v1/auth/login", {"email": "admin@localhost", "password": password})
            self.assertEqual(status, 200, body)
            token = body["token"]
            status, body = api.request("GET", "/api/v1/tenants", token=token)
            self.assertEqual(status, 200, body)
            tenant = body["items"][0]["id"]
            # A credential stored: the key in the environment file was read.
            status, body = api.request("POST", "/api/v1/%s/integrations/scm" % tenant, fx.valid_body("GITHUB"), token=token)
            self.assertEqual(status, 201, body)
            user = pwd.getpwnam("slipway")
            for name in ("slipway.db", "slipway.db-wal", "slipway.db-shm"):
                st = os.stat(os.path.join(STATE, name))
                self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o600, user.pw_uid), name)
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(30), 0, open(err_path).read())
            log = open(err_path).read()
            self.assertNotIn(password, log)
            self.assertNotIn("no INTEGRATION_ENCRYPTION_KEY", log)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def main():
    if os.geteuid() != 0:
        print("test_package: needs root (it installs the package on this machine); skipped")
        return SKIP
    for tool in ("dpkg-deb", "systemd-analyze", "readelf"):
        if not shutil.which(tool):
            print("test_package: %s is missing (scripts/install-deps test installs it)" % tool)
            return 1
    with open(LOCK, "w") as lock:
        deadline = time.monotonic() + 600
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    print("test_package: another run held %s for 10 minutes" % LOCK)
                    return 1
                time.sleep(1)
        if installed() and not os.path.exists(MARKER):
            print("test_package: a slipway package this test did not install is on this machine; not touching it")
            return SKIP
        result = unittest.main(exit=False).result
        return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
