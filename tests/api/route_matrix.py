"""The route table as test cases: what the isolation matrix and the bad-input
catalogue know of each route, read from the server itself.

`slipway routes` gives method, path and role; the served OpenAPI document
(/api/v1/openapi.json, which a spec test keeps equal to the table) gives
whether a route takes a body and whether that body names the tenant.
Not a test file (no test_ prefix): the test files import it.
"""

import json
import re
import subprocess

import harness
import integration_fixtures as fx

PARAM_RE = re.compile(r"{(\w+)}")
# A route whose body names the tenant (the setup verifications) is open to any
# account in the table; the handler then asks for this role in that tenant.
BODY_TENANT_ROLE = "owner"


def route_table():
    """[(method, path, role)] from `slipway routes`."""
    out = subprocess.run([harness.binary_path(), "routes"], capture_output=True, check=True, timeout=30).stdout
    return [(r["method"], r["path"], r["role"]) for r in map(json.loads, out.decode().splitlines()) if r]


def body_facts(spec, method, path):
    """(takes a body, the body names the tenant) from the OpenAPI document."""
    op = spec["paths"].get(path, {}).get(method.lower(), {})
    body = op.get("requestBody")
    if not body:
        return False, False
    return True, "tenantId" in _required(spec, body["content"]["application/json"]["schema"])


def _required(spec, schema):
    """Required property names of a schema, through $ref and allOf."""
    if "$ref" in schema:
        node = spec
        for part in schema["$ref"][2:].split("/"):
            node = node[part]
        return _required(spec, node)
    names = set(schema.get("required", ()))
    for sub in schema.get("allOf", ()):
        names |= _required(spec, sub)
    return names


class Case:
    """One route of the table, with what the matrix knows of it."""

    def __init__(self, method, path, role, has_body, body_tenant):
        self.method, self.path, self.role = method, path, role
        self.has_body, self.body_tenant = has_body, body_tenant
        self.params = PARAM_RE.findall(path)
        self.tenant_route = "tenantId" in self.params or body_tenant
        self.tenant_role = BODY_TENANT_ROLE if body_tenant else role

    def __str__(self):
        return "%s %s" % (self.method, self.path)


def cases(server):
    """Every route of the table as a Case."""
    spec = server.request("GET", "/api/v1/openapi.json").json
    return [Case(m, p, r, *body_facts(spec, m, p)) for m, p, r in route_table()]


def invite(server, owner_token, tenant_id):
    """A pending invitation of a fresh address to the tenant (its token noted as a secret)."""
    resp = server.request("POST", "/api/v1/%s/members" % tenant_id, body={"email": harness.unique_email("invited"),
                                                                          "role": "viewer"}, token=owner_token)
    if resp.status != 201:
        raise AssertionError("inviting failed: %s" % resp)
    server.remember_secret(resp.json["inviteToken"])
    return resp.json


def orgs_with_github(server, count):
    """count fresh tenants (harness.new_org: owner, editor, viewer), each with a GitHub integration in .scm
    and a pending invitation in .invitation."""
    orgs = [harness.new_org(server) for _ in range(count)]
    for org in orgs:
        org.scm = fx.create_integration(server, org.owner.token, org.id, fx.valid_body("GITHUB"))
        org.invitation = invite(server, org.owner.token, org.id)
    return orgs
