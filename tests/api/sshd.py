"""A private OpenSSH server for the deployment tests (Debian's openssh-server).

    with sshd.Sshd() as ssh:          # /usr/sbin/sshd -D on a free loopback port
        ssh.port, ssh.user, ssh.client_key (OpenSSH private key text), ssh.password (None unless root)
        ssh.fingerprint()             # "SHA256:...", as ssh-keygen -l prints it
        ssh.new_host_key()            # restart on the same port with another host key

Its own configuration, host key, and authorized key, in a temporary
directory; nothing of the machine's own sshd is read or changed. The key
user is the user the tests run as. A password login needs sshd to run as
root (to read /etc/shadow): then a dedicated local account, PASSWORD_USER,
is made once (locked to this server by AllowUsers here; its password kept
in a root-only file beside the temporary directories), and `password` is
set; otherwise `password` is None and the password tests skip.
"""

import fcntl
import getpass
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

from ports import free_port

SSHD = "/usr/sbin/sshd"
PASSWORD_USER = "slipway-deploy-test"
START_TIMEOUT = 10.0


def available():
    return os.access(SSHD, os.X_OK) and shutil.which("ssh-keygen") is not None


def _password_account():
    """(user, password) of the dedicated account, made on first use (as root only)."""
    state = os.path.join(tempfile.gettempdir(), "slipway-deploy-test.pw")
    with open(state + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        exists = subprocess.run(["id", PASSWORD_USER], capture_output=True).returncode == 0
        if not exists:
            subprocess.run(["useradd", "--no-create-home", "--home-dir", "/tmp", "--shell", "/bin/sh", PASSWORD_USER],
                           check=True, capture_output=True)
        if not exists or not os.path.exists(state):
            password = "pw-" + secrets.token_hex(16)
            subprocess.run(["chpasswd"], input=("%s:%s\n" % (PASSWORD_USER, password)).encode(), check=True,
                           capture_output=True)
            fd = os.open(state, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(password)
        with open(state) as f:
            return PASSWORD_USER, f.read().strip()


class Sshd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="slipway-sshd-")
        self.port = None
        self.proc = None
        self.user = getpass.getuser()
        self.root = os.geteuid() == 0
        self.password_user, self.password = _password_account() if self.root else (None, None)
        key = os.path.join(self.dir, "client_key")
        self._keygen(key)
        with open(key) as f:
            self.client_key = f.read()
        shutil.copy(key + ".pub", os.path.join(self.dir, "authorized_keys"))
        self._keygen(os.path.join(self.dir, "host_key"))

    def _keygen(self, path):
        for p in (path, path + ".pub"):
            if os.path.exists(p):
                os.unlink(p)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "slipway-test", "-f", path], check=True)

    def fingerprint(self):
        out = subprocess.run(["ssh-keygen", "-l", "-E", "sha256", "-f", os.path.join(self.dir, "host_key.pub")],
                             check=True, capture_output=True, text=True).stdout
        return out.split()[1]

    def _config(self):
        users = " ".join(u for u in (self.user, self.password_user) if u)
        path = os.path.join(self.dir, "sshd_config")
        with open(path, "w") as f:
            f.write("\n".join([
                "Port %d" % self.port, "ListenAddress 127.0.0.1", "HostKey %s" % os.path.join(self.dir, "host_key"),
                "PidFile %s" % os.path.join(self.dir, "sshd.pid"),
                "AuthorizedKeysFile %s" % os.path.join(self.dir, "authorized_keys"),
                "StrictModes no", "UsePAM no", "PubkeyAuthentication yes",
                "PasswordAuthentication %s" % ("yes" if self.password else "no"),
                "KbdInteractiveAuthentication no", "PermitRootLogin %s" % ("prohibit-password" if self.root else "no"),
                "AllowUsers %s" % users, "LogLevel ERROR", "MaxStartups 50",
                # bash run by sshd reads ~/.bashrc unless it is a nested shell: a test machine's
                # rc (pyenv init here) took 2 s a session, 8 s with six at once, enough to time
                # out a 3 s script before its first line; a host's start-up is not under test.
                "SetEnv SHLVL=1", ""]))
        return path

    def start(self):
        if self.root:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege separation directory
        for _ in range(3):
            self.port = self.port or free_port()
            with open(os.path.join(self.dir, "sshd.log"), "ab") as log:
                self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", self._config()], stdout=subprocess.DEVNULL,
                                             stderr=log)
            end = time.monotonic() + START_TIMEOUT
            while time.monotonic() < end and self.proc.poll() is None:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                        if s.recv(4).startswith(b"SSH-"):
                            return self
                except OSError:
                    time.sleep(0.05)
            self.stop()
            self.port = None  # taken meanwhile: another port
        raise AssertionError("sshd did not start:\n%s" % open(os.path.join(self.dir, "sshd.log")).read()[-2000:])

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def new_host_key(self):
        """The same port, another host key: what a replaced (or impersonated) host looks like."""
        port = self.port
        self.stop()
        self._keygen(os.path.join(self.dir, "host_key"))
        self.port = port
        return self.start()

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
