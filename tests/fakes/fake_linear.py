#!/usr/bin/env python3
"""The Linear fake (GraphQL)."""

import copy
import re
import uuid

from fakebase import now, Resp, J, Provider


class Linear(Provider):
    """Linear GraphQL: the viewer and a team (with its workflow states), and what a release's issue needs: issues
    filtered by team and label name, issueLabels by name, issueLabelCreate, issueCreate, commentCreate, issueUpdate,
    issueAddLabel (a label on an issue named by its identifier or id: once; all through variables, as slipway sends
    them).

    data: {"keys": {api key: {"viewer": {"id", "name"}, "teams": [team ids]}},
           "teams": {team id: {"name", "key"}}, "authErrorStatus": 401,
           "labels": {label id: {"name", "teamId"}}                                      (filled by the fake)
           "issues": {identifier: {"id", "teamId", "title", "description", "labelIds", "comments": [body],
                                   "stateId", "url"}}                                    (filled by the fake)}
    A team's states: Todo (unstarted), In Progress (started), Done (completed), ids "<team>-todo" and so on.
    `Authorization: <api key>` (a personal API key is sent bare; "Bearer <key>" is refused as Linear does).
    Errors in GraphQL's shape: an authentication error at HTTP `authErrorStatus`, a missing team as
    "Entity not found: Team" at HTTP 200 with data null."""

    name = "linear"
    env = ("SLIPWAY_LINEAR_API_URL", "/graphql")
    server_header = "cloudflare"
    TEAM_RE = re.compile(r'\bteam\s*\(\s*id\s*:\s*(?:"((?:[^"\\]|\\.)*)"|\$(\w+))\s*\)')

    def initial(self):
        return {"keys": {}, "teams": {}, "authErrorStatus": 401, "labels": {}, "issues": {}}

    STATES = (("todo", "Todo", "unstarted"), ("progress", "In Progress", "started"), ("done", "Done", "completed"))

    def _input_error(self, message):
        return J(200, {"data": None, "errors": [self._errors(400, message, "INVALID_INPUT", "invalid input", message)]})

    def _mutations(self, query, variables, key):
        """The release-issue operations (None: not one of them). Runs under self.lock."""
        teams = key.get("teams", [])
        inp = variables.get("input") or {}
        if re.search(r"\bissueLabelCreate\s*\(", query):
            if inp.get("teamId") not in teams or not inp.get("name"):
                return self._input_error("Argument Validation Error")
            label_id = str(uuid.uuid4())
            self.data["labels"][label_id] = {"name": inp["name"], "teamId": inp["teamId"]}
            return J(200, {"data": {"issueLabelCreate": {"success": True, "issueLabel": {"id": label_id}}}})
        if re.search(r"\bissueLabels\s*\(", query):
            nodes = [{"id": i} for i, l in self.data["labels"].items()
                     if l["name"] == variables.get("label") and l["teamId"] in teams]
            return J(200, {"data": {"issueLabels": {"nodes": nodes}}})
        if re.search(r"\bissueCreate\s*\(", query):
            team = inp.get("teamId")
            if team not in teams or team not in self.data["teams"] or not inp.get("title") or \
                    any(l not in self.data["labels"] for l in inp.get("labelIds") or []):
                return self._input_error("Argument Validation Error")
            prefix = self.data["teams"][team].get("key", "TEAM")
            ident = "%s-%d" % (prefix, 1 + sum(1 for i in self.data["issues"].values() if i["teamId"] == team))
            issue = {"id": str(uuid.uuid4()), "identifier": ident, "teamId": team, "title": inp["title"],
                     "description": inp.get("description"), "labelIds": list(inp.get("labelIds") or []),
                     "comments": [], "stateId": team + "-todo", "url": "https://linear.app/example/issue/" + ident}
            self.data["issues"][ident] = issue
            return J(200, {"data": {"issueCreate": {"success": True, "issue": {
                k: issue[k] for k in ("id", "identifier", "url")}}}})
        found = None
        if re.search(r"\b(commentCreate|issueUpdate|issueAddLabel)\s*\(", query):
            ref = inp.get("issueId") if "commentCreate" in query else variables.get("id")
            found = next((i for k, i in self.data["issues"].items() if ref in (k, i["id"]) and i["teamId"] in teams),
                         None)
            if found is None:
                return J(200, {"data": None, "errors": [self._errors(404, "Entity not found: Issue", "INPUT_ERROR",
                                                                     "invalid input", "Could not find referenced Issue.")]})
        if re.search(r"\bissueAddLabel\s*\(", query):  # issueAddLabel(id: identifier or id, labelId)
            if variables.get("label") not in self.data["labels"]:
                return self._input_error("Argument Validation Error")
            if variables["label"] not in found["labelIds"]:
                found["labelIds"].append(variables["label"])
            return J(200, {"data": {"issueAddLabel": {"success": True}}})
        if re.search(r"\bcommentCreate\s*\(", query):
            if not inp.get("body"):
                return self._input_error("Argument Validation Error")
            found["comments"].append(inp["body"])
            return J(200, {"data": {"commentCreate": {"success": True}}})
        if re.search(r"\bissueUpdate\s*\(", query):
            if inp.get("stateId") not in ["%s-%s" % (found["teamId"], s[0]) for s in self.STATES]:
                return self._input_error("Argument Validation Error")
            found["stateId"] = inp["stateId"]
            return J(200, {"data": {"issueUpdate": {"success": True}}})
        if re.search(r"\bissues\s*\(", query):
            nodes = [{k: i[k] for k in ("id", "identifier", "url")} for i in self.data["issues"].values()
                     if i["teamId"] == variables.get("team") and i["teamId"] in teams and
                     any(self.data["labels"].get(l, {}).get("name") == variables.get("label") for l in i["labelIds"])]
            return J(200, {"data": {"issues": {"nodes": nodes}}})
        return None

    def _errors(self, status, message, code, type_, presentable, path=None):
        err = {"message": message, "extensions": {"type": type_, "code": code, "statusCode": status,
                                                  "userError": True, "userPresentableMessage": presentable}}
        if path:
            err["path"] = path
            err["locations"] = [{"line": 1, "column": 1}]
        return err

    @staticmethod
    def invalid(query, variables):
        """What GraphQL's validation refuses before anything runs (HTTP 400, GRAPHQL_VALIDATION_FAILED), as far as a
        fake can tell without the schema: unbalanced braces or parentheses (outside strings), a $variable the
        operation does not declare, a non-null one declared and not given. None when it passes."""
        depth, pairs, text = [], {"}": "{", ")": "("}, re.sub(r'"(?:[^"\\]|\\.)*"', '""', query)
        for ch in text:
            if ch in "{(":
                depth.append(ch)
            elif ch in "})" and (not depth or depth.pop() != pairs[ch]):
                return "Syntax Error: Unexpected \"%s\"." % ch
        if depth or "{" not in text:
            return "Syntax Error: Expected Name, found <EOF>."
        head, body = text[:text.index("{")], text[text.index("{"):]
        declared = dict(re.findall(r"\$(\w+)\s*:\s*([\w\[\]!]+)", head))
        for name in re.findall(r"\$(\w+)", body):
            if name not in declared:
                return "Variable \"$%s\" is not defined." % name
        for name, type_ in declared.items():
            if type_.endswith("!") and variables.get(name) is None:
                return "Variable \"$%s\" of required type \"%s\" was not provided." % (name, type_)
        return None

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
        why = self.invalid(query, variables if isinstance(variables, dict) else {})
        if why:
            return J(400, {"errors": [self._errors(400, why, "GRAPHQL_VALIDATION_FAILED", "graphql error", why)]})
        with self.lock:
            key = copy.deepcopy(self.data["keys"].get(auth))
            teams = copy.deepcopy(self.data["teams"])
        if key is None:
            return self.unauthorized(req)
        with self.lock:
            answer = self._mutations(query, variables if isinstance(variables, dict) else {}, key)
        if answer is not None:
            return answer
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
            if re.search(r"\bstates\s*\{", query):
                data["team"]["states"] = {"nodes": [{"id": "%s-%s" % (team_id, s[0]), "name": s[1], "type": s[2]}
                                                    for s in self.STATES]}
        return J(200, {"data": data})
