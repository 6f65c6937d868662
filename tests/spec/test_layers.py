#!/usr/bin/env python3
"""The include graph of src/: no circle, and no include from a lower layer to a higher one.

STYLE.md: "Data flows down, and so do includes." The layers are declared
below, top first (docs/internals/providers.md draws them); every quoted
#include of a file under src/ is an edge. A module is a folder, except that
a folder's HTTP handlers (*_http.c, *_http.h) form a module of their own,
one layer up (a domain folder owns its handlers, and the route table names
them), and the top-level files are modules of their own.

Fails on an include that goes up a layer (unless it is a known one, listed
with the reason and who removes it; a listed include that is gone must
leave the list too), and on a circle between modules. With -v, prints the
graph.

    python3 tests/spec/test_layers.py [-v]
"""
import fnmatch
import pathlib
import re
import sys
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

# Top first. Each entry: a layer's name and the patterns (paths under src/) of its files; the first match wins.
LAYERS = [
    ("command", ["main.c", "admin.c", "admin.h"]),
    # The application's context: only the command sees it; each module is handed what it needs at start-up.
    ("app", ["app.h"]),
    ("routes", ["routes.c", "routes.h"]),
    ("handlers", ["*/*_http.c", "*/*_http.h", "ui/*", "system/*"]),
    ("domains", ["releases/*", "setup/*", "verify/*", "identity/*", "notify/*", "stores/*", "deploy/*", "sites/*", "mail/*"]),
    ("integrations", ["integrations/*"]),
    ("providers", ["providers/*"]),
    ("tenancy", ["tenancy/*"]),
    # Usage metering: every domain counts (usage_count), so it sits under them all.
    ("usage", ["usage/*"]),
    ("jobs", ["jobs/*"]),
    # http above store: a request lends its handler a store connection (request_db).
    ("http", ["http/*"]),
    ("store", ["store/*"]),
    ("crypto, outbound", ["crypto/*", "outbound/*"]),
    # The event catalogue: names only, read by providers (notifyOnEvents) and the domains that emit.
    ("events", ["events/*"]),
    ("core", ["core/*"]),
]

# (file, included) -> why it may still go up, and what removes it.
KNOWN_UPWARD = {}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """(index, name) of the layer of a path relative to src/."""
    for i, (name, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatch(path, p) for p in patterns):
            return i, name
    raise AssertionError("%s is in no layer: add its folder to LAYERS in %s" % (path, __file__))


def module_of(path):
    """A folder, or a folder's handlers, or a top-level file."""
    if "/" not in path:
        return path
    folder = path.split("/", 1)[0]
    return folder + " (handlers)" if re.search(r"_http\.[ch]$", path) else folder


def edges():
    """(includer, included) for every quoted include of a file under src/, both relative to src/."""
    files = sorted(p.relative_to(SRC).as_posix() for p in SRC.rglob("*.[ch]"))
    known = set(files)
    out = []
    for f in files:
        for target in INCLUDE.findall((SRC / f).read_text(encoding="utf-8")):
            if target in known:
                out.append((f, target))
            elif "/" not in target and (pathlib.PurePosixPath(f).parent / target).as_posix() in known:
                out.append((f, (pathlib.PurePosixPath(f).parent / target).as_posix()))
    return files, out


def module_graph(pairs):
    graph = {}
    for a, b in pairs:
        ma, mb = module_of(a), module_of(b)
        if ma != mb:
            graph.setdefault(ma, set()).add(mb)
            graph.setdefault(mb, set())
    return graph


def find_cycle(graph):
    """A list of modules forming a circle, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


class LayersTest(unittest.TestCase):
    def setUp(self):
        self.files, self.pairs = edges()

    def test_every_file_has_a_layer(self):
        for f in self.files:
            layer_of(f)

    def test_no_upward_include(self):
        upward = []
        for a, b in self.pairs:
            (la, na), (lb, nb) = layer_of(a), layer_of(b)
            if lb < la and (a, b) not in KNOWN_UPWARD:
                upward.append("%s (%s) includes %s (%s)" % (a, na, b, nb))
        self.assertEqual(upward, [], "includes that go up a layer (STYLE.md: includes flow down)")

    def test_known_upward_includes_still_exist(self):
        gone = sorted("%s -> %s" % k for k in KNOWN_UPWARD if k not in set(self.pairs))
        self.assertEqual(gone, [], "no longer included: take them out of KNOWN_UPWARD")

    def test_no_circle(self):
        allowed = set(KNOWN_UPWARD)
        cycle = find_cycle(module_graph([e for e in self.pairs if e not in allowed]))
        self.assertIsNone(cycle, "modules that include each other in a circle: %s" % " -> ".join(cycle or []))

    def test_providers_know_nothing_above(self):
        """A provider knows its protocol and nothing of integrations, verification or releases."""
        top = next(i for i, (name, _) in enumerate(LAYERS) if name == "providers")
        for a, b in self.pairs:
            if a.startswith("providers/"):
                self.assertGreaterEqual(layer_of(b)[0], top, "%s includes %s" % (a, b))


def print_graph():
    files, pairs = edges()
    graph = module_graph(pairs)
    for i, (name, _) in enumerate(LAYERS):
        mods = sorted(m for m in graph if layer_of(next(f for f in files if module_of(f) == m))[0] == i)
        for m in mods:
            print("%-16s %-26s -> %s" % (name, m, ", ".join(sorted(graph[m])) or "-"))


if __name__ == "__main__":
    if "-v" in sys.argv:
        print_graph()
    unittest.main(argv=[a for a in sys.argv if a != "-v"])
