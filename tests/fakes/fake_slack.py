#!/usr/bin/env python3
"""The Slack Web API fake (cursor pagination, {"ok": false} at HTTP 200)."""

import base64
import binascii
import copy
import uuid

from fakebase import now, bearer, Resp, J, Provider


class Slack(Provider):
    """Slack Web API: auth.test, conversations.info, conversations.list (cursor pagination), chat.postMessage
    (threads: thread_ts), chat.update, users.lookupByEmail (users:read.email).

    data: {"tokens": {token: {"team_id", "team", "user", "user_id", "bot_id",
                              "scopes": "chat:write,channels:read,groups:read", "error": null | "token_revoked"...}},
           "teams": {team_id: {"page_size": 2, "channels": [{"id", "name", "is_private", "members": [user ids]}],
                               "users": {user id: {"email", "name", "real_name", "deleted": false}}}},
           "posted": [{"channel", "text", "blocks", "ts", "thread_ts"}], "updated": [...]  (filled by the fake)}
    Errors are HTTP 200 {"ok": false, "error": ...}, as Slack answers; rate limiting is 429 + Retry-After."""

    name = "slack"
    env = ("SLIPWAY_SLACK_API_URL", "/api")
    server_header = "Apache"

    def initial(self):
        return {"tokens": {}, "teams": {}, "posted": []}

    def _ok(self, obj, scopes=None, accepted=""):
        body = {"ok": True}
        body.update(obj)
        headers = {"X-Slack-Req-Id": uuid.uuid4().hex, "X-Accepted-OAuth-Scopes": accepted}
        if scopes is not None:
            headers["X-OAuth-Scopes"] = scopes
        return J(200, body, headers)

    def _fail(self, error, status=200, **extra):
        body = {"ok": False, "error": error}
        body.update(extra)
        return J(status, body, {"X-Slack-Req-Id": uuid.uuid4().hex})

    def unauthorized(self, req):
        return self._fail("invalid_auth")

    def forbidden(self, req):
        return self._fail("account_inactive")

    def not_found(self, req):
        return self._fail("channel_not_found")

    def expired(self, req):
        return self._fail("token_expired")

    def server_error(self, req, status=500):
        return self._fail("fatal_error", status)

    def ratelimited(self, req, rule):
        return J(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(rule.get("seconds", 30))})

    def _token(self, req):
        token = bearer(req.header("Authorization"))
        if token is None:
            ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                token = (req.form().get("token") or [None])[0]
            if token is None:
                token = req.param("token")
        return token

    def _args(self, req):
        args = {k: v[0] for k, v in req.params.items()}
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        if req.method == "POST" and ctype == "application/x-www-form-urlencoded":
            args.update({k: v[0] for k, v in req.form().items()})
        elif req.method == "POST" and ctype == "application/json":
            body = req.json()
            if isinstance(body, dict):
                args.update(body)
        return args

    @staticmethod
    def _blocks_ok(blocks):
        """Block Kit's outer shape: a list of at most 50 objects, each with a known type; section text is an object."""
        if not isinstance(blocks, list) or len(blocks) > 50:
            return False
        for b in blocks:
            if not isinstance(b, dict) or b.get("type") not in ("section", "header", "context", "divider", "actions"):
                return False
            if b["type"] in ("section", "header") and not isinstance(b.get("text"), dict):
                return False
            if b["type"] == "context" and not isinstance(b.get("elements"), list):
                return False
        return True

    @staticmethod
    def _channel(c, user_id):
        return {"id": c["id"], "name": c["name"], "name_normalized": c["name"],
                "is_channel": not c.get("is_private", False), "is_group": False, "is_im": False, "is_mpim": False,
                "is_private": c.get("is_private", False), "is_archived": c.get("is_archived", False),
                "is_general": c.get("is_general", False), "is_shared": False, "is_ext_shared": False,
                "is_org_shared": False, "is_member": user_id in c.get("members", []), "created": 1600000000,
                "creator": "U0000000001", "unlinked": 0, "num_members": len(c.get("members", [])),
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {"value": "", "creator": "", "last_set": 0}}

    def route(self, req):
        parts = req.segments()
        if len(parts) != 2 or parts[0] != "api":
            return Resp(404, "", content_type=None)
        method = parts[1]
        token = self._token(req)
        if not token:
            return self._fail("not_authed")
        with self.lock:
            info = copy.deepcopy(self.data["tokens"].get(token))
            teams = copy.deepcopy(self.data["teams"])
        if info is None:
            return self._fail("invalid_auth")
        if info.get("error"):
            return self._fail(info["error"])
        scopes = info.get("scopes", "chat:write,channels:read,groups:read")
        scope_set = set(scopes.split(","))
        team = teams.get(info.get("team_id"), {})
        channels = team.get("channels", [])
        user_id = info.get("user_id", "U0BOT")
        args = self._args(req)
        if method == "auth.test":
            return self._ok({"url": "https://%s.slack.com/" % info.get("team", "team").lower(),
                             "team": info.get("team", "Team"), "user": info.get("user", "slipway"),
                             "team_id": info.get("team_id", "T0TEAM"), "user_id": user_id,
                             "bot_id": info.get("bot_id", "B0BOT"), "is_enterprise_install": False}, scopes)
        if method == "conversations.info":
            cid = args.get("channel")
            if not cid:
                return self._fail("channel_not_found")
            found = [c for c in channels if c["id"] == cid]
            if not found or (found[0].get("is_private") and user_id not in found[0].get("members", [])):
                return self._fail("channel_not_found")
            needed = "groups:read" if found[0].get("is_private") else "channels:read"
            if needed not in scope_set:
                return self._fail("missing_scope", needed=needed, provided=scopes)
            return self._ok({"channel": self._channel(found[0], user_id)}, scopes, needed)
        if method == "conversations.list":
            types = (args.get("types") or "public_channel").split(",")
            for t in types:
                if t not in ("public_channel", "private_channel", "mpim", "im"):
                    return self._fail("invalid_types")
            needed = [s for t, s in (("public_channel", "channels:read"), ("private_channel", "groups:read"))
                      if t in types and s not in scope_set]
            if needed:
                return self._fail("missing_scope", needed=",".join(needed), provided=scopes)
            try:
                limit = int(args.get("limit", 100))
            except ValueError:
                return self._fail("invalid_limit")
            if limit > 1000:
                return self._fail("invalid_limit")
            visible = [c for c in channels
                       if (("private_channel" in types and c.get("is_private") and user_id in c.get("members", []))
                           or ("public_channel" in types and not c.get("is_private")))]
            start = 0
            cursor = args.get("cursor")
            if cursor:
                try:
                    start = int(base64.b64decode(cursor).decode().split(":", 1)[1])
                except (ValueError, IndexError, binascii.Error, UnicodeDecodeError):
                    return self._fail("invalid_cursor")
            size = max(1, min(limit or 100, team.get("page_size", 100)))
            page = visible[start:start + size]
            nxt = base64.b64encode(("next:%d" % (start + size)).encode()).decode() \
                if start + size < len(visible) else ""
            return self._ok({"channels": [self._channel(c, user_id) for c in page],
                             "response_metadata": {"next_cursor": nxt}}, scopes, "channels:read,groups:read")
        if method == "chat.postMessage":
            if "chat:write" not in scope_set:
                return self._fail("missing_scope", needed="chat:write", provided=scopes)
            cid = args.get("channel")
            found = [c for c in channels if cid in (c["id"], c["name"], "#" + c["name"])]
            if not found:
                return self._fail("channel_not_found")
            if user_id not in found[0].get("members", []):
                return self._fail("not_in_channel")
            if not args.get("text") and not args.get("blocks"):
                return self._fail("no_text")
            if args.get("blocks") is not None and not self._blocks_ok(args["blocks"]):
                return self._fail("invalid_blocks")
            thread = args.get("thread_ts")
            with self.lock:
                if thread and not any(p["ts"] == thread and p["channel"] == found[0]["id"] and not p.get("thread_ts")
                                      for p in self.data["posted"]):
                    return self._fail("thread_not_found")
                self._seq = getattr(self, "_seq", 0) + 1
                ts = "%d.%06d" % (int(now()), self._seq)
                self.data["posted"].append({"channel": found[0]["id"], "text": args.get("text"),
                                            "blocks": args.get("blocks"), "ts": ts, "thread_ts": thread})
            return self._ok({"channel": found[0]["id"], "ts": ts, "message": {"text": args.get("text"), "ts": ts}},
                            scopes, "chat:write")
        if method == "chat.update":
            if "chat:write" not in scope_set:
                return self._fail("missing_scope", needed="chat:write", provided=scopes)
            if args.get("blocks") is not None and not self._blocks_ok(args["blocks"]):
                return self._fail("invalid_blocks")
            with self.lock:  # as Slack: the channel's id (not its name) and the ts of a message the bot posted
                found = [p for p in self.data["posted"] if p["channel"] == args.get("channel") and p["ts"] == args.get("ts")]
                if not found:
                    return self._fail("message_not_found")
                found[0]["text"], found[0]["blocks"] = args.get("text"), args.get("blocks")
                self.data.setdefault("updated", []).append({"channel": args.get("channel"), "ts": args.get("ts"),
                                                            "text": args.get("text"), "blocks": args.get("blocks")})
            return self._ok({"channel": args.get("channel"), "ts": args.get("ts"), "text": args.get("text")},
                            scopes, "chat:write")
        if method == "users.lookupByEmail":
            # As Slack: the bot token needs users:read.email; an address no member of the workspace has is
            # users_not_found; a deactivated member is answered with "deleted": true.
            if "users:read.email" not in scope_set:
                return self._fail("missing_scope", needed="users:read.email", provided=scopes)
            address = args.get("email")
            if not isinstance(address, str) or not address:
                return self._fail("invalid_arguments")
            with self.lock:
                self.data.setdefault("lookups", []).append({"team": info.get("team_id"), "email": address})
            found = [(uid, u) for uid, u in team.get("users", {}).items()
                     if u.get("email", "").lower() == address.lower()]
            if not found:
                return self._fail("users_not_found")
            uid, u = found[0]
            return self._ok({"user": {"id": uid, "team_id": info.get("team_id", "T0TEAM"), "name": u.get("name", uid),
                                      "deleted": bool(u.get("deleted")), "real_name": u.get("real_name", ""),
                                      "is_bot": False, "profile": {"email": u.get("email"),
                                                                   "real_name": u.get("real_name", ""),
                                                                   "display_name": u.get("name", "")}}},
                            scopes, "users:read.email")
        return self._fail("unknown_method")
