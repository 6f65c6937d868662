#!/usr/bin/env python3
"""The incoming-webhooks fake: Slack's and Teams' webhook URLs, where slipway posts only with sendTest."""

from fakebase import Provider, Resp


class Webhooks(Provider):
    """Incoming webhooks, which slipway posts to only with sendTest: Slack's (POST /services/T.../B.../<secret>
    with a JSON {"text"}: 200 "ok") and Teams' (POST /webhookb2/... or /workflows/... with a JSON card, or a message of
    Adaptive Cards whose shape it checks: 200 "1").
    Errors are plain text, as Slack answers them (403 invalid_token, 404 no_service, 400 invalid_payload).
    A test's SLIPWAY_SLACK_WEBHOOK_HOSTS / SLIPWAY_TEAMS_WEBHOOK_HOSTS name 127.0.0.1 to reach it.

    data: {} (every well-formed hook is live; rules give the failures)"""

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

    @staticmethod
    def _card_ok(body):
        """A message of Adaptive Cards as Teams takes it: type message, each attachment an AdaptiveCard with a body."""
        atts = body.get("attachments")
        if body.get("type") != "message" or not isinstance(atts, list) or not atts:
            return False
        for a in atts:
            card = a.get("content") if isinstance(a, dict) else None
            if a.get("contentType") != "application/vnd.microsoft.card.adaptive" or not isinstance(card, dict):
                return False
            if card.get("type") != "AdaptiveCard" or not card.get("version") or not isinstance(card.get("body"), list):
                return False
        return True

    def route(self, req):
        body = req.json()
        if req.method != "POST" or not isinstance(body, dict):
            return self._text(400, "invalid_payload")
        if req.path.startswith("/services/"):
            return self._text(200, "ok") if body.get("text") else self._text(400, "no_text")
        if req.path.startswith(("/webhookb2/", "/workflows/")):
            if "attachments" in body and not self._card_ok(body):
                return self._text(400, "invalid_payload")
            return self._text(200, "1")
        return self.not_found(req)
