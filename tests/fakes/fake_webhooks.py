#!/usr/bin/env python3
"""The incoming-webhooks fake: Slack's and Teams' webhook URLs, and a receiver of slipway's own outbound webhooks."""

import base64
import hashlib
import hmac
import time

from fakebase import Provider, Resp

TOLERANCE = 300  # seconds a webhook-timestamp may be off, as the Standard Webhooks libraries allow


def standard_webhooks_verify(secret, headers, body, now=None):
    """What a consumer does (https://www.standardwebhooks.com/, written from the spec, not from slipway): None when the
    delivery is genuine, else why not. secret is "whsec_<base64>"; headers a get(name) -> value or None."""
    msg_id, stamp, sigs = headers("webhook-id"), headers("webhook-timestamp"), headers("webhook-signature")
    if not msg_id or not stamp or not sigs:
        return "missing headers"
    try:
        ts = int(stamp)
    except ValueError:
        return "bad timestamp"
    if abs((now or time.time()) - ts) > TOLERANCE:
        return "timestamp out of tolerance"
    key = base64.b64decode(secret[len("whsec_"):]) if secret.startswith("whsec_") else secret.encode()
    want = base64.b64encode(hmac.new(key, b"%s.%d." % (msg_id.encode(), ts) + body, hashlib.sha256).digest()).decode()
    for sig in sigs.split(" "):
        version, _, value = sig.partition(",")
        if version == "v1" and hmac.compare_digest(value, want):
            return None
    return "no signature matches"


class Webhooks(Provider):
    """Incoming webhooks, which slipway posts to only with sendTest: Slack's (POST /services/T.../B.../<secret>
    with a JSON {"text"}: 200 "ok") and Teams' (POST /webhookb2/... or /workflows/... with a JSON card, or a message of
    Adaptive Cards whose shape it checks: 200 "1").
    Errors are plain text, as Slack answers them (403 invalid_token, 404 no_service, 400 invalid_payload).
    A test's SLIPWAY_SLACK_WEBHOOK_HOSTS / SLIPWAY_TEAMS_WEBHOOK_HOSTS name 127.0.0.1 to reach it.

    Outbound webhooks: POST /outbound/<name> verifies the Standard Webhooks signature with the secret registered as
    data["endpoints"][<name>] (an independent implementation of the convention) and records every delivery it took
    (2xx) in data["received"]: {endpoint, id, timestamp, body}; a bad signature is 401, an unknown name 404.

    data: {"endpoints": {}, "received": []} (every well-formed hook is live; rules give the failures)"""

    name = "webhooks"
    server_header = "fake-webhooks"

    @staticmethod
    def _text(status, text):
        return Resp(status, text, content_type="text/plain; charset=utf-8")

    def unauthorized(self, req):
        return self._text(403, "invalid_token")

    def forbidden(self, req):
        return self._text(403, "action_prohibited")

    def not_found(self, req):
        return self._text(404, "no_service")

    def server_error(self, req, status=500):
        return self._text(status, "internal_error")

    # The Adaptive Card schema's parts a card of slipway's may use (https://adaptivecards.io/explorer/): each element
    # type with its required properties, and the enumerations Teams rejects a card for breaking. Teams renders
    # schema 1.0 to 1.5 and takes a message of at most 28 KB.
    CARD_ELEMENTS = {"TextBlock": ("text",), "FactSet": ("facts",), "Container": ("items",), "ColumnSet": (),
                     "Image": ("url",)}
    CARD_ACTIONS = {"Action.OpenUrl": ("url",), "Action.ShowCard": ("card",), "Action.ToggleVisibility": ()}
    CARD_ENUMS = {"weight": ("Default", "Lighter", "Bolder"), "size": ("Default", "Small", "Medium", "Large", "ExtraLarge"),
                  "color": ("Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention")}
    CARD_MAX_BYTES = 28 * 1024

    @classmethod
    def _card_part_ok(cls, part, kinds):
        """One element or action: a known type, its required properties, its enumerations' values."""
        if not isinstance(part, dict) or part.get("type") not in kinds:
            return False
        if any(part.get(k) in (None, "") for k in kinds[part["type"]]):
            return False
        if part["type"] == "TextBlock" and not isinstance(part["text"], str):
            return False
        if part["type"] == "FactSet" and not all(isinstance(f, dict) and isinstance(f.get("title"), str) and
                                                 isinstance(f.get("value"), str) for f in part["facts"]):
            return False
        if part["type"] == "Container" and not all(cls._card_part_ok(i, cls.CARD_ELEMENTS) for i in part["items"]):
            return False
        return all(part[k] in allowed for k, allowed in cls.CARD_ENUMS.items() if k in part)

    @classmethod
    def _card_ok(cls, body, size=0):
        """A message of Adaptive Cards as Teams takes it: type message, each attachment an AdaptiveCard of a version
        Teams renders whose body and actions hold only elements it knows, each with its required properties."""
        atts = body.get("attachments")
        if body.get("type") != "message" or not isinstance(atts, list) or not atts or size > cls.CARD_MAX_BYTES:
            return False
        for a in atts:
            card = a.get("content") if isinstance(a, dict) else None
            if a.get("contentType") != "application/vnd.microsoft.card.adaptive" or not isinstance(card, dict):
                return False
            if card.get("type") != "AdaptiveCard" or card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5") \
                    or not isinstance(card.get("body"), list) or not isinstance(card.get("actions", []), list):
                return False
            if not all(cls._card_part_ok(e, cls.CARD_ELEMENTS) for e in card["body"]) or \
                    not all(cls._card_part_ok(x, cls.CARD_ACTIONS) for x in card.get("actions", [])):
                return False
        return True

    def initial(self):
        return {"endpoints": {}, "received": []}

    def outbound(self, req):
        name = req.path[len("/outbound/"):]
        with self.lock:
            secret = self.data["endpoints"].get(name)
        if req.method != "POST" or secret is None:
            return self.not_found(req)
        why = standard_webhooks_verify(secret, req.header, req.body)
        req.notes["signature"] = why or "valid"
        if why:
            return self._text(401, why)
        with self.lock:
            self.data["received"].append({"endpoint": name, "id": req.header("webhook-id"),
                                          "timestamp": req.header("webhook-timestamp"),
                                          "body": req.body.decode("utf-8")})
        return self._text(200, "ok")

    def route(self, req):
        if req.path.startswith("/outbound/"):
            return self.outbound(req)
        body = req.json()
        if req.method != "POST" or not isinstance(body, dict):
            return self._text(400, "invalid_payload")
        if req.path.startswith("/services/"):
            return self._text(200, "ok") if body.get("text") else self._text(400, "no_text")
        if req.path.startswith(("/webhookb2/", "/workflows/")):
            if "attachments" in body and not self._card_ok(body, len(req.body)):
                return self._text(400, "invalid_payload")
            return self._text(200, "1")
        return self.not_found(req)
