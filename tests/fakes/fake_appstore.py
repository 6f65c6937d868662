#!/usr/bin/env python3
"""The App Store Connect fake (ES256 JWTs verified for real)."""

import copy
import uuid

from fakebase import now, number, bearer, parse_jwt, ecdsa_raw_to_der, J, Provider


class AppStore(Provider):
    """App Store Connect API.

    data: {"keys": {kid: {"issuer": issuer id, "publicKey": PEM (or "privateKey": PEM, turned into its
                          public key on registration), "revoked": false}},
           "apps": {issuer id: [{"id", "bundleId", "name", "sku"}]}}
    Every request needs `Authorization: Bearer <ES256 JWT>`; the fake checks the header (alg ES256, kid
    registered, typ JWT), the claims (iss = the key's issuer, aud = appstoreconnect-v1, iat not in the future,
    exp after now and at most iat + 1200) and the signature (raw R||S, verified with openssl).  The outcome is
    in the request's notes["jwt"]."""

    name = "appstore"
    env = ("SLIPWAY_APPSTORE_API_URL", "")
    server_header = "daiquiri/5"

    def initial(self):
        return {"keys": {}, "apps": {}}

    def prepare(self, patch):
        for info in (patch.get("keys") or {}).values():
            if isinstance(info, dict) and info.get("privateKey"):
                info["publicKey"] = self.fakes.openssl.public_key(info.pop("privateKey"))
        return patch

    def _errors(self, status, code, title, detail):
        return J(status, {"errors": [{"id": str(uuid.uuid4()), "status": str(status), "code": code, "title": title,
                                      "detail": detail}]})

    def unauthorized(self, req):
        return self._errors(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.",
                            "Provide a properly configured and signed bearer token, and make sure that it has not "
                            "expired. Learn more about Generating Tokens for API Requests "
                            "https://developer.apple.com/go/?id=api-generating-tokens")

    def forbidden(self, req):
        return self._errors(403, "FORBIDDEN_ERROR", "This request is forbidden for security reasons",
                            "The API key in use does not allow this request")

    def not_found(self, req):
        return self._errors(404, "NOT_FOUND", "The specified resource does not exist",
                            "The path provided does not match a defined resource type.")

    def server_error(self, req, status=500):
        return self._errors(status, "UNEXPECTED_ERROR", "An unexpected error occurred.",
                            "An unexpected error occurred on the server side. If this issue continues, contact us at "
                            "https://developer.apple.com/contact/.")

    def ratelimited(self, req, rule):
        resp = self._errors(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.",
                            "We've received too many requests for this API. Please wait and try again or slow down "
                            "your request rate.")
        resp.set_header("X-Rate-Limit", "user-hour-lim:3500;user-hour-rem:0;")
        return resp

    def check_jwt(self, req):
        """None when the bearer JWT is good, else why not (also in notes["jwt"])."""
        note = {"ok": False}
        req.notes["jwt"] = note
        token = bearer(req.header("Authorization"))
        if not token:
            note["why"] = "no bearer token"
            return note["why"]
        parsed = parse_jwt(token)
        if not parsed:
            note["why"] = "not a JWT"
            return note["why"]
        header, claims, signing_input, signature = parsed
        note.update(header=header, claims=claims)
        with self.lock:
            key = copy.deepcopy(self.data["keys"].get(header.get("kid")))
        t = now()
        problems = []
        if header.get("alg") != "ES256":
            problems.append("alg is not ES256")
        if header.get("typ") != "JWT":
            problems.append("typ is not JWT")
        if key is None:
            problems.append("unknown kid")
        elif key.get("revoked"):
            problems.append("revoked key")
        if key is not None and claims.get("iss") != key.get("issuer"):
            problems.append("iss is not the key's issuer")
        if claims.get("aud") != "appstoreconnect-v1":
            problems.append("aud is not appstoreconnect-v1")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or isinstance(iat, bool) or not isinstance(exp, int) or isinstance(exp, bool):
            problems.append("iat and exp must be integers")
        else:
            if iat > t + 60:
                problems.append("iat is in the future")
            if exp <= t:
                problems.append("expired")
            if exp - iat > 1200:
                problems.append("exp is more than 20 minutes after iat")
        if key is not None and not key.get("revoked"):
            try:
                good = self.fakes.openssl.verify(key["publicKey"], signing_input, ecdsa_raw_to_der(signature))
            except ValueError as e:
                good = False
                problems.append(str(e))
            note["signatureVerified"] = good
            if not good:
                problems.append("bad signature")
        if problems:
            note["why"] = "; ".join(problems)
            return note["why"]
        note["ok"] = True
        return None

    def route(self, req):
        if self.check_jwt(req):
            return self.unauthorized(req)
        issuer = req.notes["jwt"]["claims"]["iss"]
        parts = req.segments()
        if parts == ["v1", "apps"]:
            limit = req.param("limit", "50")
            if not limit.isdigit() or not 1 <= int(limit) <= 200:
                return self._errors(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value",
                                    "'%s' is not a valid value for the parameter 'limit'" % limit)
            with self.lock:
                apps = copy.deepcopy(self.data["apps"].get(issuer, []))
            wanted = req.param("filter[bundleId]")
            req.notes["filterBundleId"] = wanted
            if wanted is not None:
                apps = [a for a in apps if a.get("bundleId") in wanted.split(",")]
            apps = apps[:int(limit)]
            base = "https://api.appstoreconnect.apple.com/v1/apps"
            return J(200, {"data": [{"type": "apps", "id": str(a.get("id", number(a["bundleId"], 10))),
                                     "attributes": {"name": a.get("name", a["bundleId"]), "bundleId": a["bundleId"],
                                                    "sku": a.get("sku", "SKU-" + a["bundleId"]),
                                                    "primaryLocale": "en-US", "isOrEverWasMadeForKids": False},
                                     "links": {"self": base + "/" + str(a.get("id", number(a["bundleId"], 10)))}}
                                    for a in apps],
                           "links": {"self": base + ("?" + req.query if req.query else "")},
                           "meta": {"paging": {"total": len(apps), "limit": int(limit)}}})
        return self.not_found(req)
