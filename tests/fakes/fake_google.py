#!/usr/bin/env python3
"""Google's OAuth token endpoint (RS256 jwt-bearer assertions verified for real), and what Google's APIs share."""

import copy
import secrets

from fakebase import now, bearer, parse_jwt, Resp, J, Provider


GOOGLE_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
PLAY_SCOPE = "https://www.googleapis.com/auth/androidpublisher"
FIREBASE_SCOPES = ("https://www.googleapis.com/auth/firebase", "https://www.googleapis.com/auth/cloud-platform",
                   "https://www.googleapis.com/auth/firebase.readonly")

class GoogleToken(Provider):
    """Google's OAuth 2.0 token endpoint (POST /token), the JWT bearer grant of RFC 7523.

    data: {"accounts": {email: {"publicKey": PEM (or "privateKey"), "disabled": false, "keyExpired": false}},
           "issued": {access token: {"email", "scope", "exp"}}  (filled by the fake)}
    Checks: form-encoded body, grant_type = urn:ietf:params:oauth:grant-type:jwt-bearer, the assertion's header
    (alg RS256) and claims (iss a registered account, aud = this endpoint's URL, scope present, iat not in the
    future, exp after now and at most iat + 3600) and its RS256 signature (openssl).  notes["jwt"] says what it
    found."""

    name = "google"
    env = ("SLIPWAY_GOOGLE_TOKEN_URL", "/token")
    server_header = "scaffolding on HTTPServer2"

    def initial(self):
        return {"accounts": {}, "issued": {}}

    def prepare(self, patch):
        for info in (patch.get("accounts") or {}).values():
            if isinstance(info, dict) and info.get("privateKey"):
                info["publicKey"] = self.fakes.openssl.public_key(info.pop("privateKey"))
        return patch

    def token_url(self):
        return self.base_url + "/token"

    def _err(self, status, error, description):
        return J(status, {"error": error, "error_description": description},
                 {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"})

    def unauthorized(self, req):
        return self._err(401, "invalid_client", "The OAuth client was not found.")

    def forbidden(self, req):
        return self._err(403, "access_denied", "Access denied.")

    def not_found(self, req):
        return Resp(404, "<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
                         "<p><b>404.</b> <ins>That's an error.</ins>", content_type="text/html; charset=UTF-8")

    def server_error(self, req, status=500):
        return self._err(status, "internal_failure", "Backend Error")

    def expired(self, req):
        return self._err(400, "invalid_grant", "Invalid grant: the service account key has expired.")

    def route(self, req):
        if req.path != "/token":
            return self.not_found(req)
        if req.method != "POST":
            return Resp(405, "Method Not Allowed", {"Allow": "POST"}, "text/html; charset=UTF-8")
        ctype = (req.header("Content-Type") or "").split(";")[0].strip().lower()
        req.notes["contentType"] = ctype
        if ctype != "application/x-www-form-urlencoded":
            return self._err(400, "invalid_request", "Invalid Content-Type: %s" % (ctype or "(none)"))
        form = req.form()
        grant = (form.get("grant_type") or [None])[0]
        req.notes["grantType"] = grant
        if grant is None:
            return self._err(400, "invalid_request", "Missing required parameter: grant_type")
        if grant != GOOGLE_JWT_BEARER:
            return self._err(400, "unsupported_grant_type", "Invalid grant_type: " + grant)
        assertion = (form.get("assertion") or [None])[0]
        note = {"ok": False}
        req.notes["jwt"] = note
        if not assertion:
            return self._err(400, "invalid_request", "Missing required parameter: assertion")
        parsed = parse_jwt(assertion)
        if not parsed:
            note["why"] = "not a JWT"
            return self._err(400, "invalid_grant", "Invalid JWT: Failed to parse the JWT.")
        header, claims, signing_input, signature = parsed
        note.update(header=header, claims=claims)
        if header.get("alg") != "RS256":
            note["why"] = "alg is not RS256"
            return self._err(400, "invalid_grant", "Invalid JWT Signature.")
        with self.lock:
            account = copy.deepcopy(self.data["accounts"].get(claims.get("iss")))
        if account is None:
            note["why"] = "unknown iss"
            return self._err(400, "invalid_grant", "Invalid grant: account not found")
        good = self.fakes.openssl.verify(account["publicKey"], signing_input, signature)
        note["signatureVerified"] = good
        if not good:
            note["why"] = "bad signature"
            return self._err(400, "invalid_grant", "Invalid JWT Signature.")
        if account.get("disabled"):
            note["why"] = "disabled account"
            return self._err(400, "invalid_grant", "Invalid grant: account disabled")
        if account.get("keyExpired"):
            note["why"] = "expired key"
            return self.expired(req)
        if claims.get("aud") != self.token_url():
            note["why"] = "aud is not the token URL"
            return self._err(400, "invalid_grant", "Invalid JWT: Failed audience check. The expected audience is %s."
                             % self.token_url())
        iat, exp, t = claims.get("iat"), claims.get("exp"), now()
        if not isinstance(iat, int) or not isinstance(exp, int) or iat > t + 60 or exp <= t or exp - iat > 3600:
            note["why"] = "iat/exp"
            return self._err(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and "
                                                   "in a reasonable timeframe. Check your iat and exp values in the "
                                                   "JWT claim.")
        scope = claims.get("scope")
        if not isinstance(scope, str) or not scope.strip():
            note["why"] = "no scope"
            return self._err(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        note["ok"] = True
        access = "ya29.c." + secrets.token_urlsafe(48)
        with self.lock:
            self.data["issued"][access] = {"email": claims["iss"], "scope": scope, "exp": int(t) + 3599}
        return J(200, {"access_token": access, "expires_in": 3599, "token_type": "Bearer"},
                 {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate", "Pragma": "no-cache"})


class GoogleApi(Provider):
    """Shared by Play and Firebase: the bearer access token the token endpoint issued."""

    def google(self):
        return self.fakes.providers["google"]

    def token_info(self, req):
        token = bearer(req.header("Authorization"))
        if not token:
            return None
        with self.google().lock:
            info = copy.deepcopy(self.google().data["issued"].get(token))
        if info is None or info["exp"] <= now():
            return None
        return info

    def identity(self, req):
        info = self.token_info(req)
        return "google-account:%s" % info["email"] if info else ""

    def _gerr(self, status, message, state, extra=None):
        body = {"error": {"code": status, "message": message, "status": state}}
        body["error"].update(extra or {})
        return J(status, body, {"Vary": "Origin, X-Origin, Referer"})

    def unauthorized(self, req):
        return self._gerr(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                               "cookie or other valid authentication credential. See https://developers.google.com/"
                               "identity/sign-in/web/devconsole-project.", "UNAUTHENTICATED")

    def forbidden(self, req):
        return self._gerr(403, "The caller does not have permission", "PERMISSION_DENIED")

    def insufficient_scope(self, req):
        return self._gerr(403, "Request had insufficient authentication scopes.", "PERMISSION_DENIED",
                          {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                        "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "domain": "googleapis.com"}]})

    def server_error(self, req, status=500):
        return self._gerr(status, "Internal error encountered." if status == 500 else "The service is currently "
                                                                                     "unavailable.",
                          "INTERNAL" if status == 500 else "UNAVAILABLE")

    def ratelimited(self, req, rule):
        return self._gerr(429, "Quota exceeded.", "RESOURCE_EXHAUSTED")
