"""Code signing: a PKCS#12 file that carries its issuers must verify against them (docs/integrations.md)."""
import base64
import unittest

import harness
import integration_fixtures as fx


def chained_p12(good_chain):
    """A leaf issued by a CA, exported with that CA (good_chain) or with an unrelated one."""
    def run(*args):
        return fx._openssl(*args)
    tag = "chain-%s-%s" % ("good" if good_chain else "bad", fx.random_string(6))
    for ca in ("ca", "other"):
        run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "%s-%s.key" % (tag, ca), "-out",
            "%s-%s.crt" % (tag, ca), "-days", "30", "-subj", "/CN=Slipway Test %s %s" % (ca, tag))
    run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tag + "-leaf.key", "-out", tag + "-leaf.csr",
        "-subj", "/CN=Slipway Test Leaf %s" % tag)
    run("x509", "-req", "-in", tag + "-leaf.csr", "-CA", tag + "-ca.crt", "-CAkey", tag + "-ca.key", "-CAcreateserial",
        "-out", tag + "-leaf.crt", "-days", "10")
    password = "chain-" + fx.random_string(10)
    run("pkcs12", "-export", "-inkey", tag + "-leaf.key", "-in", tag + "-leaf.crt", "-certfile",
        tag + ("-ca.crt" if good_chain else "-other.crt"), "-out", tag + ".p12", "-passout", "pass:" + password)
    with open(fx._file(tag + ".p12"), "rb") as f:
        return base64.b64encode(f.read()).decode(), password


class SigningChainTest(harness.ApiTest):
    def setUp(self):
        self.user = harness.new_user(self.server)
        self.tenant = harness.new_tenant(self.server, self.user.token)

    def create(self, good_chain):
        data, password = chained_p12(good_chain)
        return self.request("POST", "/api/v1/%s/integrations/code-signing" % self.tenant["id"],
                            body={"type": "CODE_SIGNING", "displayName": "Release signing", "platform": "IOS",
                                  "certificateFormat": "PKCS12", "certificateData": data,
                                  "certificatePassword": password},
                            token=self.user.token)

    def test_a_chain_that_verifies_is_accepted(self):
        body = self.expect(self.create(True), 201)
        self.assertIn("Slipway Test Leaf", body["certificateSubject"])

    def test_a_chain_that_does_not_verify_is_refused(self):
        resp = self.create(False)
        details = harness.assert_error(self, resp, 400, "invalid_request")
        self.assertIn("certificateData", [d["field"] for d in details])


if __name__ == "__main__":
    unittest.main()
