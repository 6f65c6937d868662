#!/usr/bin/python3
"""docs/openapi.yaml against the server's own route table, in both directions.

`$SLIPWAY_BIN routes` prints one JSON object a line:

    {"method": "PATCH", "path": "/api/v1/{tenantId}/members/{accountId}", "role": "owner",
     "params": [{"name": "tenantId", "values": null}, {"name": "accountId", "values": null}],
     "body": {"schema": "member_update_schema", "optional": false, "open": false,
              "fields": [{"name": "role", "kind": "string", "required": true, "allowed": [...], ...}]}}

The API tests take their route lists from it (tests/api/harness.py
route_table), so this test is what keeps the document honest. It fails,
listing every difference at once, when:
  - a (method, path) is in the route table and not in the document, or the
    other way round, or an operation's `x-slipway-role` is not the route's;
  - a route takes a body and its operation has no requestBody, or the other
    way round, or one says the body may be absent and the other not;
  - a body whose fields the table lists (a schema the router applies, or
    one it describes) has other properties, required fields, types,
    lengths, ranges, allowed values (an array's: its items' enum) or formats
    in the document; a body the router applies must be
    `additionalProperties: false`;
  - a path parameter whose values the table lists (categories, steps) has
    another `enum` in the document, or the document enumerates one the
    table does not;
  - a path parameter's kind (uuid, int, text: the router checks it) is not
    its schema's in the document: uuid is `format: uuid`, int `type:
    integer`, text a string that is not a uuid.
It also checks the document on its own: it survives the build's YAML ->
JSON conversion, every operation has a role, a unique operationId and at
least one 4xx answer, public and webhook operations (and only they) opt out of the
bearer scheme, and path templates and path parameters agree.

Environment:
    SLIPWAY_BIN      the server binary (default: <repo>/build/slipway; the
                     route-table tests are skipped if it is unset and absent)
    SLIPWAY_OPENAPI  the document (default: <repo>/docs/openapi.yaml)

Run: /usr/bin/python3 -m unittest discover -s tests/spec -v
(Debian's python3 with python3-yaml.)
"""

import json
import os
import re
import subprocess
import unittest

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OPENAPI = os.environ.get("SLIPWAY_OPENAPI") or os.path.join(REPO, "docs", "openapi.yaml")
DEFAULT_BIN = os.path.join(REPO, "build", "slipway")

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# webhook: no token; the provider's signature over the raw body (docs/api.md, "Webhooks").
# admin: the instance administrator's account (docs/accounts.md).
ROLES = ("public", "account", "viewer", "editor", "owner", "webhook", "admin")
PARAM_RE = re.compile(r"\{([^{}]+)\}")


def load_spec():
    with open(OPENAPI, encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def spec_operations(spec):
    """Yields (METHOD, path, operation, path item) for every operation."""
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method], item


def resolve(spec, obj):
    """Follows one local $ref ("#/components/...")."""
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("non-local $ref: " + ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
    return obj


def slipway_bin():
    """The server binary, or None when none is configured or built."""
    path = os.environ.get("SLIPWAY_BIN")
    if path:
        return path
    return DEFAULT_BIN if os.path.exists(DEFAULT_BIN) else None


def server_routes(binary):
    """Runs `slipway routes`; returns {(METHOD, path): the route's line} and the problems met."""
    proc = subprocess.run([binary, "routes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30, check=False)
    if proc.returncode != 0:
        raise AssertionError(
            "%s routes exited %d: %s" % (binary, proc.returncode, proc.stderr.decode("utf-8", "replace").strip())
        )
    routes, problems = {}, []
    for n, line in enumerate(proc.stdout.decode("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            key = (r["method"].upper(), r["path"])
            if not isinstance(r["role"], str) or not isinstance(r["params"], list) or "body" not in r:
                raise TypeError("role, params and body")
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            problems.append("routes line %d is not a route object (%s): %r" % (n, e, line))
            continue
        if key in routes:
            problems.append("route table lists %s %s twice" % key)
        routes[key] = r
    return routes, problems


def schema_of(spec, node):
    """A schema with its $refs followed and allOf merged (properties, required)."""
    node = resolve(spec, node)
    if "allOf" not in node:
        return node
    merged = {k: v for k, v in node.items() if k != "allOf"}
    merged["properties"] = dict(merged.get("properties") or {})
    merged["required"] = list(merged.get("required") or [])
    for sub in node["allOf"]:
        sub = schema_of(spec, sub)
        merged["properties"].update(sub.get("properties") or {})
        merged["required"] += sub.get("required") or []
        for key in ("type", "additionalProperties"):
            if key in sub:
                merged.setdefault(key, sub[key])
    return merged


# A field of `slipway routes` (schema_field_json) against a property of the document: (field key, schema key).
FIELD_KEYS = (("kind", "type"), ("minLength", "minLength"), ("maxLength", "maxLength"), ("minimum", "minimum"),
              ("maximum", "maximum"), ("allowed", "enum"))


def body_problems(spec, where, body, op):
    """Differences between a route's body (None: takes none) and its operation's requestBody."""
    request = resolve(spec, op.get("requestBody")) if op.get("requestBody") else None
    if body is None:
        return ["%s: the route takes no body, the document has a requestBody" % where] if request else []
    if request is None:
        return ["%s: the route takes a body (%s), the document has no requestBody" % (where, body["schema"])]
    problems = []
    if body["optional"] == bool(request.get("required")):
        problems.append("%s: the body is %s in the route table, requestBody.required is %r"
                        % (where, "optional" if body["optional"] else "required", request.get("required")))
    try:
        schema = schema_of(spec, request["content"]["application/json"]["schema"])
    except (KeyError, TypeError):
        return problems + ["%s: requestBody has no application/json schema" % where]
    if not body["fields"]:
        return problems  # the handler validates a body of any shape (its document is the contract's prose)
    if not body["open"] and schema.get("additionalProperties") is not False:
        problems.append("%s: the router refuses unknown fields: the document must say additionalProperties: false"
                        % where)
    props = schema.get("properties") or {}
    fields = {f["name"]: f for f in body["fields"]}
    for name in sorted(set(fields) ^ set(props)):
        problems.append("%s: field %s is only in %s" % (where, name, "the route table" if name in fields
                                                         else "the document"))
    required = {n for n, f in fields.items() if f["required"]}
    if required != set(schema.get("required") or []):
        problems.append("%s: required fields: route table %s, document %s"
                        % (where, sorted(required), sorted(schema.get("required") or [])))
    for name in sorted(set(fields) & set(props)):
        field, prop = fields[name], schema_of(spec, props[name])
        items = schema_of(spec, prop.get("items") or {})  # an array's allowed values are its items' enum
        for fkey, skey in FIELD_KEYS:
            want = field[fkey]
            have = items.get(skey) if fkey == "allowed" and field["kind"] == "array" else prop.get(skey)
            if want is not None and (sorted(want) if isinstance(want, list) else want) != (
                    sorted(have) if isinstance(have, list) else have):
                problems.append("%s: %s.%s is %r in the route table, %s %r in the document"
                                % (where, name, fkey, want, skey, have))
        if field["format"] and prop.get("format") and field["format"] != prop["format"]:
            problems.append("%s: %s's format is %s in the route table, %s in the document"
                            % (where, name, field["format"], prop["format"]))
    return problems


def kind_of(schema):
    """The route table's kind of a path parameter with this (resolved) schema."""
    if schema.get("type") == "integer":
        return "int"
    return "uuid" if schema.get("format") == "uuid" else "text"


def param_problems(spec, where, route, op, item):
    """Differences between the kinds and values the route table lists for its path parameters and the document's."""
    params = [resolve(spec, p) for p in (item.get("parameters") or []) + (op.get("parameters") or [])]
    schemas = {p["name"]: schema_of(spec, p.get("schema") or {}) for p in params if p.get("in") == "path"}
    enums = {name: schema.get("enum") for name, schema in schemas.items()}
    problems = []
    for p in route["params"]:
        if p["name"] in schemas and kind_of(schemas[p["name"]]) != p["kind"]:
            problems.append("%s: {%s} is %s in the route table, %s in the document"
                            % (where, p["name"], p["kind"], kind_of(schemas[p["name"]])))
        want, have = p["values"], enums.get(p["name"])
        if want is None and have is not None:
            problems.append("%s: {%s} has enum %s in the document, no listed values in the route table"
                            % (where, p["name"], have))
        elif want is not None and sorted(want) != sorted(have or []):
            problems.append("%s: {%s} takes %s in the route table, enum %s in the document"
                            % (where, p["name"], want, have))
    return problems


def fail_on(test, problems, where=""):
    """Fails the test listing every problem, one a line."""
    if problems:
        test.fail("%d problem(s)%s:\n%s" % (len(problems), " " + where if where else "", "\n".join(problems)))


class SpecAlone(unittest.TestCase):
    """Checks that need only the document."""

    @classmethod
    def setUpClass(cls):
        cls.spec = load_spec()
        cls.ops = list(spec_operations(cls.spec))

    def test_loads_and_converts_to_json(self):
        # The build does yaml.safe_load + json.dump: dates and non-string
        # keys would break or silently change it.
        json.dumps(self.spec)
        bad = []

        def walk(node, where):
            if isinstance(node, dict):
                for k, v in node.items():
                    if not isinstance(k, str):
                        bad.append("%s: key %r is %s, not a string (quote it)" % (where, k, type(k).__name__))
                    walk(v, "%s/%s" % (where, k))
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i))

        walk(self.spec, "#")
        fail_on(self, bad)
        self.assertTrue(str(self.spec.get("openapi", "")).startswith("3.1."), "openapi must be 3.1.x")
        self.assertTrue(self.ops, "the document has no operations")

    def test_every_operation_has_a_known_role(self):
        bad = []
        for method, path, op, _ in self.ops:
            role = op.get("x-slipway-role")
            if role not in ROLES:
                bad.append("%s %s: x-slipway-role %r is not one of %s" % (method, path, role, ", ".join(ROLES)))
        fail_on(self, bad)

    def test_public_operations_and_only_they_skip_security(self):
        bad = []
        self.assertTrue(self.spec.get("security"), "no global security requirement")
        for method, path, op, _ in self.ops:
            public = op.get("x-slipway-role") in ("public", "webhook")  # a webhook's signature is no bearer scheme
            skips = op.get("security") == []
            if public and not skips:
                bad.append("%s %s: public but has no `security: []`" % (method, path))
            if not public and "security" in op:
                bad.append("%s %s: role %s but overrides security" % (method, path, op.get("x-slipway-role")))
        fail_on(self, bad)

    def test_every_operation_has_a_4xx_answer(self):
        bad = []
        for method, path, op, _ in self.ops:
            codes = [str(c) for c in (op.get("responses") or {})]
            if not any(c.startswith("4") for c in codes):
                bad.append("%s %s: no 4xx response (has %s)" % (method, path, ", ".join(codes) or "none"))
        fail_on(self, bad)

    def test_operation_ids_are_present_and_unique(self):
        seen, bad = {}, []
        for method, path, op, _ in self.ops:
            oid = op.get("operationId")
            if not oid:
                bad.append("%s %s: no operationId" % (method, path))
            elif oid in seen:
                bad.append("operationId %r is used by %s and by %s %s" % (oid, seen[oid], method, path))
            else:
                seen[oid] = "%s %s" % (method, path)
        fail_on(self, bad)

    def test_path_parameters_match_the_template(self):
        bad = []
        for method, path, op, item in self.ops:
            want = set(PARAM_RE.findall(path))
            params = [resolve(self.spec, p) for p in (item.get("parameters") or []) + (op.get("parameters") or [])]
            have = {p["name"] for p in params if p.get("in") == "path"}
            for p in params:
                if p.get("in") == "path" and p.get("required") is not True:
                    bad.append("%s %s: path parameter %s is not required: true" % (method, path, p["name"]))
            if want != have:
                bad.append(
                    "%s %s: template names {%s}, parameters declare {%s}"
                    % (method, path, ", ".join(sorted(want)), ", ".join(sorted(have)))
                )
        fail_on(self, bad)


class SpecAgainstRoutes(unittest.TestCase):
    """The document against `slipway routes`."""

    @classmethod
    def setUpClass(cls):
        binary = slipway_bin()
        if binary is None:
            raise unittest.SkipTest("SLIPWAY_BIN is not set and %s is not built" % DEFAULT_BIN)
        cls.binary = binary
        cls.routes, cls.problems = server_routes(binary)
        cls.spec = load_spec()
        cls.ops = {(m, p): (op, item) for m, p, op, item in spec_operations(cls.spec)}
        cls.spec_ops = {key: op.get("x-slipway-role") for key, (op, _) in cls.ops.items()}

    def both(self):
        """(where, route line, operation, path item) of every route the document has too."""
        keys = sorted(set(self.routes) & set(self.ops), key=lambda k: (k[1], k[0]))
        self.assertTrue(keys, "the route table and the document share no route")
        return [("%s %s" % key, self.routes[key]) + self.ops[key] for key in keys]

    def test_route_table_is_well_formed(self):
        self.assertTrue(self.routes, "%s routes printed no route" % self.binary)
        bad = list(self.problems)
        for (method, path), route in sorted(self.routes.items()):
            if route["role"] not in ROLES:
                bad.append("route %s %s: role %r is not one of %s" % (method, path, route["role"], ", ".join(ROLES)))
            names = [p["name"] for p in route["params"]]
            if names != PARAM_RE.findall(path):
                bad.append("route %s %s: params %s are not the path's" % (method, path, names))
        fail_on(self, bad)

    def test_same_routes_and_roles(self):
        diffs = []
        for key in sorted(set(self.routes) - set(self.spec_ops), key=lambda k: (k[1], k[0])):
            diffs.append("only in the server:  %-6s %s (role %s)" % (key[0], key[1], self.routes[key]["role"]))
        for key in sorted(set(self.spec_ops) - set(self.routes), key=lambda k: (k[1], k[0])):
            diffs.append("only in the spec:    %-6s %s (role %s)" % (key[0], key[1], self.spec_ops[key]))
        for key in sorted(set(self.routes) & set(self.spec_ops), key=lambda k: (k[1], k[0])):
            if self.routes[key]["role"] != self.spec_ops[key]:
                diffs.append(
                    "role differs:        %-6s %s: server %s, spec %s"
                    % (key[0], key[1], self.routes[key]["role"], self.spec_ops[key])
                )
        fail_on(self, diffs, "between %s and `%s routes`" % (OPENAPI, self.binary))

    def test_same_bodies(self):
        problems = []
        for where, route, op, _ in self.both():
            problems += body_problems(self.spec, where, route["body"], op)
        fail_on(self, problems, "between the bodies of %s and `%s routes`" % (OPENAPI, self.binary))

    def test_same_parameter_kinds_and_values(self):
        problems, listed = [], 0
        for where, route, op, item in self.both():
            problems += param_problems(self.spec, where, route, op, item)
            listed += sum(1 for p in route["params"] if p["values"] is not None)
        self.assertGreater(listed, 0, "no route lists the values of a parameter: nothing was compared")
        fail_on(self, problems, "between the path parameters of %s and `%s routes`" % (OPENAPI, self.binary))


if __name__ == "__main__":
    unittest.main(verbosity=2)
