#!/usr/bin/env python3
"""Every setting slipway reads is in `slipway help` and in the README's table.

`slipway help` prints the settings from the table that reads them
(src/core/config.c's config_options, and the integration catalog's feature
flags). Checked here:
- every environment variable a getenv() in src/ names is printed by help;
  a getenv() of anything but a literal must be one of the known readers
  below (the table itself, the feature flags), so a new way of reading the
  environment cannot slip past;
- every setting help prints has a default, and the README's configuration
  table lists exactly the same settings, with the same default where it is
  a single value.
"""
import os
import pathlib
import re
import subprocess
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GETENV = re.compile(r"\b(?:secure_)?getenv\s*\(\s*([^)]*)\)")
# (file, argument) of a getenv() that does not name a literal -> where the names it reads come from.
INDIRECT = {
    ("src/core/config.c", "o->env"): "config_options, which help prints",
    ("src/integrations/catalog.c", "p->flag"): "the catalog's feature flags (ENABLE_*_INTEGRATION literals)",
}
FLAG_LITERAL = re.compile(r'"(ENABLE_[A-Z0-9_]+_INTEGRATION)"')
HELP_LINE = re.compile(r"^  ([A-Z][A-Z0-9_]+)\s.*\(default: (.*)\)$")


def binary():
    path = os.environ.get("SLIPWAY_BIN", "build/slipway")
    return path if os.path.isabs(path) else str(ROOT / path)


def help_settings():
    """{name: default} from `slipway help`."""
    out = subprocess.run([binary(), "help"], capture_output=True, check=True, timeout=30).stdout.decode()
    settings = {}
    for line in out.splitlines():
        m = HELP_LINE.match(line)
        if m:
            settings[m.group(1)] = m.group(2)
    return settings


def readme_settings():
    """{name: default cell} from the README's configuration table (a row may name several variables)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        for name in names:
            rows[name] = cells[2] if len(names) == 1 else None
    return rows


def getenv_reads():
    """(literal names, [(file, argument) of the other getenv() calls])."""
    names, indirect, flags = set(), [], set()
    for path in sorted((ROOT / "src").rglob("*.c")):
        rel = str(path.relative_to(ROOT))
        text = path.read_text()
        flags |= set(FLAG_LITERAL.findall(text))
        for m in GETENV.finditer(text):
            arg = m.group(1).strip()
            literal = re.fullmatch(r'"([A-Za-z0-9_]+)"', arg)
            if literal:
                names.add(literal.group(1))
            else:
                indirect.append((rel, arg))
    return names, indirect, flags


class SettingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.help = help_settings()
        cls.readme = readme_settings()
        cls.literals, cls.indirect, cls.flags = getenv_reads()

    def test_help_prints_something(self):
        self.assertIn("SLIPWAY_LISTEN", self.help)
        self.assertIn("SLIPWAY_DATABASE_URL", self.help)

    def test_every_getenv_is_a_setting_help_prints(self):
        unknown = [read for read in self.indirect if read not in INDIRECT]
        self.assertEqual(unknown, [], "a getenv() of something other than a literal: add it to help and to INDIRECT")
        missing = sorted((self.literals | self.flags) - set(self.help))
        self.assertEqual(missing, [], "read from the environment but not printed by `slipway help`")

    def test_every_default_is_shown(self):
        empty = sorted(name for name, default in self.help.items() if not default.strip())
        self.assertEqual(empty, [], "help prints `(default: )`: give the option a def_text")

    def test_readme_lists_the_same_settings(self):
        self.assertEqual(sorted(set(self.help) - set(self.readme)), [], "in `slipway help`, not in the README's table")
        self.assertEqual(sorted(set(self.readme) - set(self.help)), [], "in the README's table, not in `slipway help`")

    def test_readme_defaults_agree(self):
        for name, default in self.help.items():
            cell = self.readme.get(name)
            if cell is None or " " in default:
                continue  # a row of several variables, or a default in words
            with self.subTest(setting=name):
                self.assertTrue("`%s`" % default in cell or cell.lower() == default.lower(),
                                "README's default for %s is %r, help's %r" % (name, cell, default))


if __name__ == "__main__":
    unittest.main()
