#!/usr/bin/env python3
"""The Linear fake (GraphQL)."""

import copy
import re
import uuid

from fakebase import now, Resp, J, Provider


class Linear(Provider):
    """Linear GraphQL: the viewer and a team.

    data: {"keys": {api key: {"viewer": {"id", "name"}, "teams": [team ids]}},
           "teams": {team id: {"name"}}, "authErrorStatus": 401}
    `Authorization: <api key>` (a personal API key is sent bare; "Bearer <key>" is refused as Linear does).
    Errors in GraphQL's shape: an authentication error at HTTP `authErrorStatus`, a missing team as
    "Entity not found: Team" at HTTP 200 with data null."""

    name = "linear"
    env = ("SLIPWAY_LINEAR_API_URL", "/graphql")
    server_header = "cloudflare"
    TEAM_RE = re.compile(r'\bteam\s*\(\s*id\s*:\s*(?:"((?:[^"\\]|\\.)*)"|\$(\w+))\s*\)')

    def initial(self):
        return {"keys": {}, "teams": {}, "authErrorStatus": 401}

    def _errors(self, status, message, code, type_, presentable, path=None):
        err = {"message": message, "extensions": {"type": type_, "code": code, "statusCode": status,
                                                  "userError": True, "userPresentableMessage": presentable}}
        if path:
            err["path"] = path
            err["locations"] = [{"line": 1, "column": 1}]
        return err

    def unauthorized(self, req):
        with self.lock:
            status = self.data.get("authErrorStatus", 401)
        return J(status, {"errors": [self._errors(401, "Authentication required, not authenticated",
                                                  "AUTHENTICATION_ERROR", "authentication error",
                                                  "You need to authenticate to access this operation.")]})

    def forbidden(self, req):
        return J(403, {"errors": [self._errors(403, "Forbidden", "FORBIDDEN", "forbidden",
                                               "You don't have permission to access this resource.")]})

    def not_found(self, req):
        return J(200, {"data": None, "errors": [self._errors(404, "Entity not found: Team", "INPUT_ERROR",
                                                             "invalid input", "Could not find referenced Team.",
                                                             ["team"])]})

    def server_error(self, req, status=500):
        return J(status, {"errors": [{"message": "Internal server error",
                                      "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})

    def ratelimited(self, req, rule):
        return J(429, {"errors": [self._errors(429, "Rate limit exceeded", "RATELIMITED", "ratelimited",
                                               "You have exceeded the rate limit.")]},
                 {"X-RateLimit-Requests-Remaining": "0",
                  "X-RateLimit-Requests-Reset": str(int((now() + rule.get("seconds", 60)) * 1000))})

    def route(self, req):
        if req.path != "/graphql":
            return Resp(404, "Cannot %s %s" % (req.method, req.path), content_type="text/html")
        if req.method != "POST":
            return J(400, {"errors": [{"message": "GET query missing."}]})
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        req.notes["contentType"] = ctype
        body = req.json() if ctype == "application/json" else None
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return J(400, {"errors": [{"message": "Must provide query string."}]})
        query, variables = body["query"], body.get("variables") or {}
        req.notes["query"] = query
        auth = req.header("Authorization") or ""
        if auth.lower().startswith("bearer lin_api_"):
            return J(400, {"errors": [self._errors(400, "It looks like you're trying to use an API key as a Bearer "
                                                        "token. Remove the Bearer prefix from the Authorization "
                                                        "header.", "AUTHENTICATION_ERROR", "authentication error",
                                                   "Invalid authorization header.")]})
        with self.lock:
            key = copy.deepcopy(self.data["keys"].get(auth))
            teams = copy.deepcopy(self.data["teams"])
        if key is None:
            return self.unauthorized(req)
        data = {}
        if re.search(r"\bviewer\s*\{", query):
            data["viewer"] = dict({"id": str(uuid.uuid4()), "name": "Linear Bot"}, **key.get("viewer", {}))
        m = self.TEAM_RE.search(query)
        if m:
            team_id = m.group(1) if m.group(1) is not None else variables.get(m.group(2))
            req.notes["teamId"] = team_id
            if team_id not in teams or team_id not in key.get("teams", []):
                return self.not_found(req)
            data["team"] = {"id": team_id, "name": teams[team_id].get("name", "Team"),
                            "key": teams[team_id].get("key", "TEAM")}
        return J(200, {"data": data})
