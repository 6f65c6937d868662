#!/usr/bin/env python3
"""Generic code names no provider: every type string lives under src/providers/.

STYLE.md: generic code (the catalog, validation, masking, forms,
verification) walks the provider registry and never names a provider. The
types are read from the providers' own files (`.type = "GITHUB"`); a string
literal equal to one, in C ("GITHUB") or SQL ('GITHUB'), anywhere else in
src/ fails, unless its file is listed below with the reason.
"""
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# file -> why it may name providers.
ALLOWED = {
    "setup/setup.c": "the setup wizard is document 001's body, whose sections are GitHub, the App Store, Google Play, "
                     "GitHub Actions or Jenkins, and Slack by name",
}

TYPE = re.compile(r'\.type\s*=\s*"([A-Z0-9_]+)"')


def provider_types():
    types = {}
    for f in sorted((SRC / "providers").rglob("*.c")):
        for t in TYPE.findall(f.read_text(encoding="utf-8")):
            types.setdefault(t, []).append(f.relative_to(SRC).as_posix())
    return types


class ProviderNamesTest(unittest.TestCase):
    def test_each_type_once(self):
        types = provider_types()
        self.assertGreaterEqual(len(types), 19)
        self.assertEqual({t: f for t, f in types.items() if len(f) > 1}, {}, "a type defined twice")

    def test_generic_code_names_no_provider(self):
        literal = re.compile(r"""["'](%s)["']""" % "|".join(sorted(provider_types(), key=len, reverse=True)))
        found = []
        for f in sorted(SRC.rglob("*.[ch]")):
            rel = f.relative_to(SRC).as_posix()
            if rel.startswith("providers/") or rel in ALLOWED:
                continue
            for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
                for m in literal.finditer(line):
                    found.append("src/%s:%d names %s" % (rel, n, m.group(1)))
        self.assertEqual(found, [], "provider types outside src/providers/: ask the registry instead")

    def test_allowed_files_still_need_it(self):
        literal = re.compile(r"""["'](%s)["']""" % "|".join(provider_types()))
        for rel in ALLOWED:
            self.assertRegex((SRC / rel).read_text(encoding="utf-8"), literal, "%s names no provider: take it off ALLOWED" % rel)


if __name__ == "__main__":
    unittest.main()
