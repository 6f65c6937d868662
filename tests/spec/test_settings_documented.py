#!/usr/bin/env python3
"""Every setting `slipway help` lists is in the README's configuration table.

The providers' settings (their base URLs, timeouts, feature flags) come from
the provider registry, so a new provider's setting reaches `slipway help` by
itself; this keeps the README from missing it.
"""
import os
import pathlib
import re
import subprocess
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]


class SettingsDocumentedTest(unittest.TestCase):
    def test_every_setting_in_the_readme(self):
        out = subprocess.run([os.environ["SLIPWAY_BIN"], "help"], capture_output=True, text=True, check=True).stdout
        names = re.findall(r"^  ([A-Z][A-Z0-9_]+) ", out, re.M)
        self.assertGreater(len(names), 30)
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        self.assertEqual([n for n in names if "`%s`" % n not in readme], [], "settings missing from README.md")


if __name__ == "__main__":
    unittest.main()
