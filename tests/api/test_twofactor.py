"""The TOTP second factor (docs/accounts.md): enrol (the secret once), confirm with a code computed here with
Python's hmac, independently of slipway (the recovery codes once); then a password login answers totp_required
without a code, takes a right code once (a replay, even within its step, is refused; the next step is taken: a
clock one step ahead; one step behind is taken, two ahead are not, nor a step before the last one taken), takes a recovery code once; turning it off needs the password or a code."""

import base64
import hashlib
import hmac
import struct
import time
import unittest

import harness
import integration_fixtures  # noqa: F401 (sets INTEGRATION_ENCRYPTION_KEY for the server: the secret is stored encrypted)
from harness import ApiTest, new_user

tearDownModule = harness.stop_shared_server

TOTP, CONFIRM = "/api/v1/me/totp", "/api/v1/me/totp/confirm"


def code(secret, counter):
    """RFC 6238 with RFC 4226's dynamic truncation: HMAC-SHA1, 6 digits."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


def login(server, email, password, **extra):
    return server.request("POST", "/api/v1/auth/login", body=dict({"email": email, "password": password}, **extra))


class TwoFactorTest(ApiTest):
    def enrol(self, user):
        made = self.expect(self.request("POST", TOTP, token=user.token), 201)
        self.server.remember_secret(made["secret"])
        self.assertRegex(made["otpauthUri"], r"^otpauth://totp/slipway:.*\?secret=%s&issuer=slipway" % made["secret"])
        return made["secret"]

    def on(self, user):
        """Enrolled and confirmed: (secret, the step confirmed, the recovery codes)."""
        secret = self.enrol(user)
        step = int(time.time()) // 30
        codes = self.expect(self.request("POST", CONFIRM, body={"code": code(secret, step)}, token=user.token), 200)
        codes = codes["recoveryCodes"]
        for c in codes:
            self.server.remember_secret(c)
        self.assertEqual(len(set(codes)), 10)
        return secret, step, codes

    def test_login_needs_the_code_once(self):
        user = new_user(self.server)
        self.expect(login(self.server, user.email, user.password), 200)  # not asked before it is confirmed
        secret = self.enrol(user)
        self.expect(login(self.server, user.email, user.password), 200)
        self.assert_error(self.request("POST", CONFIRM, body={"code": "000000" if code(secret, int(time.time()) // 30) != "000000"
                                                               else "111111"}, token=user.token), 400, "invalid_request")
        step = int(time.time()) // 30
        self.expect(self.request("POST", CONFIRM, body={"code": code(secret, step)}, token=user.token), 200)
        self.assert_error(login(self.server, user.email, user.password), 401, "totp_required")
        self.assert_error(login(self.server, user.email, "wrong-password"), 401, "invalid_credentials")
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step)), 401,
                          "invalid_credentials")  # the confirming code: used
        self.expect(login(self.server, user.email, user.password, totpCode=code(secret, step + 1)), 200)
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step + 1)), 401,
                          "invalid_credentials")  # replayed within its step
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step + 9)), 401,
                          "invalid_credentials")  # far from now
        self.assert_error(self.request("POST", TOTP, token=user.token), 409, "conflict")

    def test_a_clock_one_step_off_is_taken_two_are_not(self):
        """A phone 30 s behind confirms; two steps ahead is refused; an older step than the last taken never is."""
        user = new_user(self.server)
        secret = self.enrol(user)
        if 30 - time.time() % 30 < 5:  # the checks below name steps around now: not across a step's end
            time.sleep(30 - time.time() % 30 + 0.5)
        step = int(time.time()) // 30
        self.expect(self.request("POST", CONFIRM, body={"code": code(secret, step - 1)}, token=user.token), 200)
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step + 2)), 401,
                          "invalid_credentials")
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step - 2)), 401,
                          "invalid_credentials")
        self.expect(login(self.server, user.email, user.password, totpCode=code(secret, step)), 200)
        self.assert_error(login(self.server, user.email, user.password, totpCode=code(secret, step - 1)), 401,
                          "invalid_credentials")  # within the window, but before the last step taken

    def state(self, user):
        return self.expect(self.request("GET", TOTP, token=user.token), 200)

    def test_a_recovery_code_works_once(self):
        user = new_user(self.server)
        self.assertEqual(self.state(user), {"enabled": False, "confirmedAt": None, "recoveryCodesLeft": 0})
        self.enrol(user)
        self.assertFalse(self.state(user)["enabled"], "not on until confirmed")
        self.request("DELETE", TOTP, body={"password": user.password}, token=user.token)
        _, _, codes = self.on(user)
        on = self.state(user)
        self.assertEqual((on["enabled"], on["recoveryCodesLeft"]), (True, 10))
        self.assertIsNotNone(on["confirmedAt"])
        self.assertNotIn(codes[0], str(on))
        self.expect(login(self.server, user.email, user.password, recoveryCode=codes[0].lower()), 200)
        self.assert_error(login(self.server, user.email, user.password, recoveryCode=codes[0]), 401, "invalid_credentials")
        self.expect(login(self.server, user.email, user.password, recoveryCode=codes[1].replace("-", "")), 200)
        self.assertEqual(self.state(user)["recoveryCodesLeft"], 8)
        other = new_user(self.server)
        self.assertFalse(self.state(other)["enabled"], "the caller's own, never another account's")

    def test_turning_it_off(self):
        user = new_user(self.server)
        self.on(user)
        self.assert_error(self.request("DELETE", TOTP, body={}, token=user.token), 400, "invalid_request")
        self.assert_error(self.request("DELETE", TOTP, body={"password": "not-it-at-all"}, token=user.token), 400,
                          "invalid_request")
        self.assert_error(login(self.server, user.email, user.password), 401, "totp_required")
        self.request("DELETE", TOTP, body={"password": user.password}, token=user.token)
        self.expect(login(self.server, user.email, user.password), 200)
        self.assert_error(self.request("DELETE", TOTP, body={"password": user.password}, token=user.token), 409, "conflict")


if __name__ == "__main__":
    unittest.main()
