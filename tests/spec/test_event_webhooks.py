"""docs/openapi.yaml's `webhooks:` against the event catalogue (src/events/catalog.h).

Every event slipway emits is an outbound webhook a receiver may get, so
the document lists each catalogue name once, with the catalogue's own
words as its summary and the common payload (EventPayload) with `event`
fixed to the name; and it lists nothing else. A name added to the
catalogue without its entry, or an entry left after a rename, fails here.
(Debian's python3 with python3-yaml.)
"""

import os
import re
import unittest

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# A row may run over several lines (clang-format breaks a long one after a comma).
EVENT_ROW = re.compile(r'X\(\s*"([a-z._]+)",\s*"(\w+)",\s*"([^"]*)",\s*"([^"]*)"\s*\)')


def catalogue():
    """(name, subject, own fields, what it says) of every EVENTS(X) row, in order."""
    with open(os.path.join(REPO, "src", "events", "catalog.h")) as f:
        text = f.read()
    table = text[text.index("#define EVENTS(X)"):text.index("#define EVENT_ALIASES")].replace("\\\n", " ")
    rows = EVENT_ROW.findall(table)
    # Every row read, or this test would not hold the events it cannot parse (one did not, once).
    assert len(rows) == table.count("X(\""), "%d rows in EVENTS(X), %d read" % (table.count("X(\""), len(rows))
    return rows


class EventWebhooksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(os.path.join(REPO, "docs", "openapi.yaml")) as f:
            cls.spec = yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        cls.events = catalogue()

    def test_the_catalogue_is_read(self):
        self.assertGreaterEqual(len(self.events), 10, "the EVENTS(X) rows of src/events/catalog.h")

    def test_one_entry_per_event_and_nothing_else(self):
        self.assertEqual(sorted(self.spec.get("webhooks") or {}), sorted(name for name, _, _, _ in self.events))

    def test_each_entry_says_what_the_catalogue_says(self):
        hooks = self.spec["webhooks"]
        for name, subject, fields, says in self.events:
            with self.subTest(event=name):
                op = hooks[name]["post"]
                self.assertEqual(op["summary"], says)
                for field in filter(None, (f.strip() for f in fields.split(","))):
                    self.assertIn("`%s`" % field, op["description"], "its own fields are named")
                schema = op["requestBody"]["content"]["application/json"]["schema"]["allOf"]
                self.assertEqual(schema[0], {"$ref": "#/components/schemas/EventPayload"})
                self.assertEqual(schema[1]["properties"]["event"]["const"], name)


class EventsPageTest(unittest.TestCase):
    """docs/events.md's catalogue table against EVENTS(X): a row per event, none other, each with its subject and
    naming its own fields (the page is written by hand, so this is what keeps it the catalogue's reading)."""

    def test_one_row_per_event_with_its_fields(self):
        with open(os.path.join(REPO, "docs", "events.md")) as f:
            rows = {m.group(1): [c.strip() for c in m.group(2).split(" | ")]
                    for m in re.finditer(r"^\| `([a-z._]+)` \| (.*) \|$", f.read(), re.M)}
        events = catalogue()
        self.assertEqual(sorted(rows), sorted(name for name, _, _, _ in events))
        for name, subject, fields, _ in events:
            with self.subTest(event=name):
                self.assertEqual(rows[name][0], subject)
                for field in filter(None, (f.strip() for f in fields.split(","))):
                    self.assertRegex(rows[name][1], r"\b%s\b" % field, "its own fields are named")


if __name__ == "__main__":
    unittest.main()
