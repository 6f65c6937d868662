"""A test class whose server asks a local DNS fake as its resolver (SLIPWAY_DNS_RESOLVER): domain proofs by TXT record.

    class DomainsTest(dns_fixture.WithDns, harness.ApiTest): ...

cls.dns (tests/fakes/fake_dns.py: publish() records, answers as an authoritative server) is started before the
server and stopped after it, also when the server's start fails (unittest runs no tearDownClass then)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fakes"))
from fake_dns import DnsServer  # noqa: E402


class WithDns:
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer().start()
        cls.server_env = dict(getattr(cls, "server_env", None) or {}, SLIPWAY_DNS_RESOLVER="127.0.0.1:%d" % cls.dns.port)
        try:
            super().setUpClass()
        except BaseException:
            cls.dns.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.dns.stop()
