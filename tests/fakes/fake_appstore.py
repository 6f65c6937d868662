#!/usr/bin/env python3
"""The App Store Connect fake (ES256 JWTs verified for real)."""

import copy
import datetime
import threading
import uuid

from fakebase import now, iso, number, bearer, parse_jwt, ecdsa_raw_to_der, hmac_sha256_hex, send_hook, webhook_body, J, \
    Provider, Resp


def iso_seconds(text):
    """An ISO 8601 date and time (Z or an offset) as seconds since the epoch; 0 for none."""
    if not text:
        return 0
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class AppStore(Provider):
    """App Store Connect API.

    data: {"keys": {kid: {"issuer": issuer id, "publicKey": PEM (or "privateKey": PEM, turned into its
                          public key on registration), "revoked": false}},
           "apps": {issuer id: [{"id", "bundleId", "name", "sku"}]},
           "builds": {build id: {"app", "version" (the build number), "versionString", "processingState"}},
           "versions": {version id: {"app", "versionString", "platform", "appStoreState", "build",
                                     "localizations": {locale: {"id", "whatsNew"}}}},
           "reviewSubmissions": {id: {"app", "platform", "state", "items": [version ids]}},
           "blockers": {app id: [{"code", "detail"}]}  (a submit answers 409 with them; the test removes them),
           "phasedReleases": {id: {"version", "phasedReleaseState", "currentDayNumber"}},
           "betaGroups": {id: {"app", "name", "isInternalGroup", "builds": [build ids]}},
           "betaLocalizations": {build id: {locale: {"id", "whatsNew"}}} (made on first read, from "locales"),
           "betaReviews": {id: {"build", "betaReviewState"}},
           "locales": [the localizations a new version gets],
           "requests": {"release": [version ids], "phased": [version ids a phased release was made for],
                        "versionPatches": [{"version", "attributes"}]}}
    The store calls (docs/stores.md): builds by app, build number and version; appStoreVersions listed per app,
    made (PREPARE_FOR_SUBMISSION, with the default localizations), read, patched (releaseType and
    earliestReleaseDate, only in a state Apple lets a version be edited in: else 409 ENTITY_ERROR.ATTRIBUTE.INVALID
    naming the state); localizations listed and patched;
    the build attached (it must be VALID); review submissions (one open a platform: a second is 409), their
    items (a version once: 409), submitted (the versions WAITING_FOR_REVIEW, or 409 with the app's blockers);
    release requests (PENDING_DEVELOPER_RELEASE -> READY_FOR_SALE). Review advances when the test patches a
    version's appStoreState. Phased releases keep Apple's state machine: made for a version not live yet (one a
    version: a second is 409), INACTIVE until the version is released, then ACTIVE on day 1; PATCHed ACTIVE ->
    PAUSED -> ACTIVE, ACTIVE or PAUSED -> COMPLETE, anything else 409 with errors[]; read as the version's
    appStoreVersionPhasedRelease ({"data": null} when none). The test moves currentDayNumber.
    TestFlight: beta groups listed per app, builds added to them (a VALID build of the group's app), a build's
    betaBuildLocalizations listed and patched (whatsNew: "what to test"), its beta app review submission made
    (once a build: 409; only for a build in an external group, with whatsNew set: else 409 with errors[]) and read
    ({"data": null} when none); the test moves betaReviewState.
    Webhooks (API 4.0, 4.1; a test hook): with "webhook": {"url", "secret"} registered, each change of a version's
    appStoreState (appStoreVersionAppVersionStateUpdated) or a build's processingState (buildUploadStateUpdated), by a
    test's registration (sent before it returns) or by the fake's own moves (sent after the answer), is POSTed to the
    url signed as Apple signs it (x-apple-signature: "hmacsha256=" and the hex HMAC-SHA256 of the body under the
    secret), and kept in "notifications" ([{"body", "headers", "status"}]) for a test to send again.
    Every request needs `Authorization: Bearer <ES256 JWT>`; the fake checks the header (alg ES256, kid
    registered, typ JWT), the claims (iss = the key's issuer, aud = appstoreconnect-v1, iat not in the future,
    exp after now and at most iat + 1200) and the signature (raw R||S, verified with openssl).  The outcome is
    in the request's notes["jwt"]."""

    name = "appstore"
    env = ("SLIPWAY_APPSTORE_API_URL", "")
    server_header = "daiquiri/5"

    def initial(self):
        return {"keys": {}, "apps": {}, "builds": {}, "versions": {}, "reviewSubmissions": {}, "blockers": {},
                "phasedReleases": {}, "betaGroups": {}, "betaLocalizations": {}, "betaReviews": {},
                "locales": ["en-US"], "requests": {"release": [], "phased": [], "versionPatches": []}, "webhook": None, "notifications": [],
                "webhooks": {}}

    # -- webhooks (a test hook) -----------------------------------------------------

    # A beta review's state as the build's externalBuildState says it (buildBetaDetailExternalBuildStateUpdated).
    EXTERNAL_STATE = {"WAITING_FOR_REVIEW": "WAITING_FOR_BETA_REVIEW", "IN_REVIEW": "IN_BETA_REVIEW",
                      "APPROVED": "BETA_APPROVED", "REJECTED": "BETA_REJECTED"}

    def snapshot(self):
        """The states a notification is sent for: the versions', the builds' and the builds' external (TestFlight)
        states, a build's beta detail named by the build's id."""
        with self.lock:
            return ({vid: self._state(v) for vid, v in self.data["versions"].items()},
                    {bid: b.get("processingState") for bid, b in self.data["builds"].items()},
                    {r["build"]: self.EXTERNAL_STATE.get(r["betaReviewState"], r["betaReviewState"])
                     for r in self.data["betaReviews"].values()})

    def changed(self, before):
        """A signed notification for each version, build or build's external state that moved since before
        (fakes.register's hook)."""
        after = self.snapshot()
        kinds = (("appStoreVersionAppVersionStateUpdated", "appStoreVersions"), ("buildUploadStateUpdated", "buildUploads"),
                 ("buildBetaDetailExternalBuildStateUpdated", "buildBetaDetails"))
        for (event, resource), old, new in zip(kinds, before, after):
            for rid, state in new.items():
                if old.get(rid) != state:
                    self.notify(event, resource, rid, old.get(rid), state)

    def notify(self, event, resource, rid, old, new):
        with self.lock:
            hook = copy.deepcopy(self.data.get("webhook"))
        if not hook:
            return
        raw, headers = webhook(hook["secret"], {"data": {
            "type": event, "id": str(uuid.uuid4()), "version": 1,
            "attributes": {"oldValue": old, "newValue": "COMPLETE" if new == "VALID" else new, "timestamp": iso()},
            "relationships": {"instance": {"data": {"type": resource, "id": rid}}}}})
        status = send_hook(hook, raw, headers)[0]
        with self.lock:
            self.data["notifications"].append({"body": raw.decode("utf-8"), "headers": headers, "status": status})

    def handle(self, req):
        before = self.snapshot()
        resp = super().handle(req)
        threading.Thread(target=self.changed, args=(before,), daemon=True).start()  # the fake's own moves
        return resp

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
        if parts[:1] == ["v1"] and len(parts) >= 2:
            return self._store(req, issuer, parts[1:])
        return self.not_found(req)

    # -- the store calls -------------------------------------------------------

    def _app_ids(self, issuer):
        with self.lock:
            return {str(a.get("id", number(a["bundleId"], 10))) for a in self.data["apps"].get(issuer, [])}

    @staticmethod
    def _state(v):
        """The version's appStoreState. A test approves a version with the word APPROVED (App Review's yes); what
        it is then depends on its release type, as Apple's: MANUAL waits for the developer
        (PENDING_DEVELOPER_RELEASE), AFTER_APPROVAL is released (READY_FOR_SALE), SCHEDULED waits for Apple until
        its earliestReleaseDate (PENDING_APPLE_RELEASE), then is released."""
        if v["appStoreState"] != "APPROVED":
            return v["appStoreState"]
        kind = v.get("releaseType", "MANUAL")
        if kind == "SCHEDULED" and iso_seconds(v.get("earliestReleaseDate")) > now():
            return "PENDING_APPLE_RELEASE"
        return "PENDING_DEVELOPER_RELEASE" if kind == "MANUAL" else "READY_FOR_SALE"

    @classmethod
    def _version_json(cls, vid, v):
        return {"type": "appStoreVersions", "id": vid,
                "attributes": {"platform": v["platform"], "versionString": v["versionString"],
                               "appStoreState": cls._state(v), "releaseType": v.get("releaseType", "MANUAL"),
                               "earliestReleaseDate": v.get("earliestReleaseDate")}}

    @staticmethod
    def _phased_json(pid, p):
        return {"type": "appStoreVersionPhasedReleases", "id": pid,
                "attributes": {"phasedReleaseState": p["phasedReleaseState"], "startDate": p.get("startDate"),
                               "totalPauseDuration": 0, "currentDayNumber": p.get("currentDayNumber", 0)}}

    PHASED_MOVES = {("ACTIVE", "PAUSED"), ("PAUSED", "ACTIVE"), ("ACTIVE", "COMPLETE"), ("PAUSED", "COMPLETE")}

    # The appStoreStates in which Apple lets a version be edited; a PATCH in another is a 409.
    EDITABLE = {"PREPARE_FOR_SUBMISSION", "DEVELOPER_REJECTED", "REJECTED", "METADATA_REJECTED", "INVALID_BINARY"}
    RELEASE_TYPES = {"MANUAL", "AFTER_APPROVAL", "SCHEDULED"}

    def _version_patch(self, req, vid, v, data):
        """PATCH /v1/appStoreVersions/{id} (the lock held): releaseType and earliestReleaseDate (null clears it;
        required with SCHEDULED, refused without it), only while the version is editable. Kept in
        requests["versionPatches"] ([{"version", "attributes"}])."""
        attrs = (data or {}).get("attributes")
        if (data or {}).get("type") != "appStoreVersions" or data.get("id") != vid or not isinstance(attrs, dict):
            return self._errors(409, "ENTITY_ERROR", "The request entity is invalid.",
                                "The type or id does not match the URL")
        unknown = set(attrs) - {"releaseType", "earliestReleaseDate", "versionString", "copyright", "downloadable"}
        if unknown:
            return self._errors(409, "ENTITY_ERROR.ATTRIBUTE.UNKNOWN", "An attribute in the provided entity is unknown.",
                                "'%s' is not an attribute on the resource 'appStoreVersions'" % sorted(unknown)[0])
        state = self._state(v)
        if state not in self.EDITABLE:
            return self._conflict("ENTITY_ERROR.ATTRIBUTE.INVALID",
                                  "The version is %s: its attributes cannot be edited in this state." % state)
        kind = attrs.get("releaseType", v.get("releaseType", "MANUAL"))
        when = attrs.get("earliestReleaseDate", v.get("earliestReleaseDate") if "releaseType" not in attrs else None)
        if kind not in self.RELEASE_TYPES:
            return self._errors(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
                                "'%s' is not a valid value for the attribute 'releaseType'" % kind)
        if (kind == "SCHEDULED") != (when is not None):
            return self._errors(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
                                "earliestReleaseDate is required with SCHEDULED and only with it")
        if when is not None and iso_seconds(when) <= now():
            return self._errors(409, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
                                "earliestReleaseDate must be in the future")
        v.update(releaseType=kind, earliestReleaseDate=when)
        self.data["requests"]["versionPatches"].append({"version": vid, "attributes": attrs})
        req.notes["versionPatched"] = vid
        return J(200, {"data": self._version_json(vid, v)})

    def _beta_locs(self, d, bid):
        return d["betaLocalizations"].setdefault(bid, {loc: {"id": str(uuid.uuid4()), "whatsNew": None}
                                                       for loc in d["locales"]})

    def _testflight(self, req, d, apps, parts, data, rel):
        """TestFlight's calls (the lock held), or None when req is not one."""
        if parts == ["betaGroups"] and req.method == "GET":
            return J(200, {"data": [{"type": "betaGroups", "id": gid, "attributes": {
                "name": g["name"], "isInternalGroup": g["isInternalGroup"]}} for gid, g in d["betaGroups"].items()
                if g["app"] == req.param("filter[app]") and g["app"] in apps]})
        if len(parts) >= 3 and parts[0] == "builds":
            b = d["builds"].get(parts[1])
            if b is None or b["app"] not in apps:
                return self.not_found(req)
            if parts[2:] == ["relationships", "betaGroups"] and req.method == "POST":
                for ref in (data if isinstance(data, list) else []):
                    g = d["betaGroups"].get((ref or {}).get("id"))
                    if g is None or g["app"] != b["app"]:
                        return self.not_found(req)
                    if b["processingState"] != "VALID":
                        return self._conflict("ENTITY_ERROR.RELATIONSHIP.INVALID", "The build is not valid for testing.")
                    if parts[1] not in g["builds"]:
                        g["builds"].append(parts[1])
                return Resp(204)
            if parts[2:] == ["betaBuildLocalizations"] and req.method == "GET":
                return J(200, {"data": [{"type": "betaBuildLocalizations", "id": loc["id"],
                                         "attributes": {"locale": name, "whatsNew": loc["whatsNew"]}}
                                        for name, loc in self._beta_locs(d, parts[1]).items()]})
            if parts[2:] == ["betaAppReviewSubmission"] and req.method == "GET":
                found = [(rid, r) for rid, r in d["betaReviews"].items() if r["build"] == parts[1]]
                return J(200, {"data": {"type": "betaAppReviewSubmissions", "id": found[0][0], "attributes": {
                    "betaReviewState": found[0][1]["betaReviewState"]}} if found else None})
            return self.not_found(req)
        if len(parts) == 2 and parts[0] == "betaBuildLocalizations" and req.method == "PATCH":
            for bid, locs in d["betaLocalizations"].items():
                for loc in locs.values():
                    if loc["id"] == parts[1] and d["builds"][bid]["app"] in apps:
                        loc["whatsNew"] = (data or {}).get("attributes", {}).get("whatsNew")
                        return J(200, {"data": {"type": "betaBuildLocalizations", "id": parts[1]}})
            return self.not_found(req)
        if parts == ["betaAppReviewSubmissions"] and req.method == "POST":
            bid = rel("build")
            b = d["builds"].get(bid)
            if b is None or b["app"] not in apps:
                return self.not_found(req)
            if any(r["build"] == bid for r in d["betaReviews"].values()):
                return self._conflict("ENTITY_ERROR.RELATIONSHIP.INVALID", "The build has a beta review submission.")
            if not any(bid in g["builds"] and not g["isInternalGroup"] for g in d["betaGroups"].values()):
                return self._conflict("STATE_ERROR", "The build is in no external beta group.")
            if not any(loc["whatsNew"] for loc in self._beta_locs(d, bid).values()):
                return self._conflict("ENTITY_ERROR.ATTRIBUTE.REQUIRED", "What to Test is required for beta review.")
            rid = str(uuid.uuid4())
            d["betaReviews"][rid] = {"build": bid, "betaReviewState": "WAITING_FOR_REVIEW"}
            return J(201, {"data": {"type": "betaAppReviewSubmissions", "id": rid,
                                    "attributes": {"betaReviewState": "WAITING_FOR_REVIEW"}}})
        return None

    def _conflict(self, code, detail):
        return self._errors(409, code, "The request cannot be fulfilled because of the state of another resource.",
                            detail)

    def _store(self, req, issuer, parts):
        apps = self._app_ids(issuer)
        body = req.json() if req.body else None
        data = (body or {}).get("data") if isinstance(body, dict) else None
        rel = lambda name: ((data or {}).get("relationships", {}).get(name) or {}).get("data", {}).get("id")  # noqa: E731
        with self.lock:
            d = self.data
            if parts == ["builds"] and req.method == "GET":
                found = [(bid, b) for bid, b in d["builds"].items()
                         if b["app"] == req.param("filter[app]") and b["app"] in apps
                         and b["version"] == req.param("filter[version]")
                         and b["versionString"] == req.param("filter[preReleaseVersion.version]")]
                return J(200, {"data": [{"type": "builds", "id": bid, "attributes": {
                    "version": b["version"], "processingState": b["processingState"]}} for bid, b in found[:1]]})
            tf = self._testflight(req, d, apps, parts, data, rel)
            if tf is not None:
                return tf
            if len(parts) == 3 and parts[0] == "apps" and parts[2] == "appStoreVersions" and req.method == "GET":
                if parts[1] not in apps:
                    return self.not_found(req)
                found = [(vid, v) for vid, v in d["versions"].items() if v["app"] == parts[1]
                         and v["versionString"] == req.param("filter[versionString]", v["versionString"])
                         and v["platform"] == req.param("filter[platform]", v["platform"])]
                return J(200, {"data": [self._version_json(vid, v) for vid, v in found]})
            if parts == ["appStoreVersions"] and req.method == "POST":
                app, attrs = rel("app"), (data or {}).get("attributes", {})
                if app not in apps:
                    return self.not_found(req)
                if any(v["app"] == app and v["versionString"] == attrs.get("versionString") for v in d["versions"].values()):
                    return self._conflict("ENTITY_ERROR.ATTRIBUTE.INVALID.DUPLICATE",
                                          "You cannot create a new version of the App in the current state.")
                vid = str(uuid.uuid4())
                d["versions"][vid] = {"app": app, "versionString": attrs.get("versionString"),
                                      "platform": attrs.get("platform"), "appStoreState": "PREPARE_FOR_SUBMISSION",
                                      "releaseType": attrs.get("releaseType", "MANUAL"), "build": None,
                                      "earliestReleaseDate": attrs.get("earliestReleaseDate"),
                                      "localizations": {loc: {"id": str(uuid.uuid4()), "whatsNew": None}
                                                        for loc in d["locales"]}}
                return J(201, {"data": self._version_json(vid, d["versions"][vid])})
            if len(parts) >= 2 and parts[0] == "appStoreVersions":
                v = d["versions"].get(parts[1])
                if v is None or v["app"] not in apps:
                    return self.not_found(req)
                if len(parts) == 2 and req.method == "GET":
                    return J(200, {"data": self._version_json(parts[1], v)})
                if len(parts) == 2 and req.method == "PATCH":
                    return self._version_patch(req, parts[1], v, data)
                if parts[2:] == ["appStoreVersionPhasedRelease"] and req.method == "GET":
                    found = [(pid, p) for pid, p in d["phasedReleases"].items() if p["version"] == parts[1]]
                    return J(200, {"data": self._phased_json(*found[0]) if found else None})
                if parts[2:] == ["appStoreVersionLocalizations"] and req.method == "GET":
                    return J(200, {"data": [{"type": "appStoreVersionLocalizations", "id": loc["id"],
                                             "attributes": {"locale": name, "whatsNew": loc["whatsNew"]}}
                                            for name, loc in v["localizations"].items()]})
                if parts[2:] == ["relationships", "build"] and req.method == "PATCH":
                    b = d["builds"].get((data or {}).get("id"))
                    if b is None or b["app"] != v["app"] or b["processingState"] != "VALID":
                        return self._conflict("ENTITY_ERROR.RELATIONSHIP.INVALID", "The build is not valid for this version.")
                    v["build"] = data["id"]
                    return Resp(204)
                return self.not_found(req)
            if len(parts) == 2 and parts[0] == "appStoreVersionLocalizations" and req.method == "PATCH":
                for v in d["versions"].values():
                    for loc in v["localizations"].values():
                        if loc["id"] == parts[1] and v["app"] in apps:
                            loc["whatsNew"] = (data or {}).get("attributes", {}).get("whatsNew")
                            return J(200, {"data": {"type": "appStoreVersionLocalizations", "id": parts[1]}})
                return self.not_found(req)
            if parts == ["reviewSubmissions"] and req.method == "GET":
                states = (req.param("filter[state]") or "").split(",")
                found = [(rid, r) for rid, r in d["reviewSubmissions"].items() if r["app"] == req.param("filter[app]")
                         and r["app"] in apps and (not states[0] or r["state"] in states)]
                return J(200, {"data": [{"type": "reviewSubmissions", "id": rid, "attributes": {
                    "platform": r["platform"], "state": r["state"]}} for rid, r in found]})
            if parts == ["reviewSubmissions"] and req.method == "POST":
                app = rel("app")
                if app not in apps:
                    return self.not_found(req)
                if any(r["app"] == app and r["state"] == "READY_FOR_REVIEW" for r in d["reviewSubmissions"].values()):
                    return self._conflict("STATE_ERROR", "A review submission is already in progress for this platform.")
                rid = str(uuid.uuid4())
                d["reviewSubmissions"][rid] = {"app": app, "platform": "IOS", "state": "READY_FOR_REVIEW", "items": []}
                return J(201, {"data": {"type": "reviewSubmissions", "id": rid, "attributes": {"state": "READY_FOR_REVIEW"}}})
            if parts == ["reviewSubmissionItems"] and req.method == "POST":
                r, vid = d["reviewSubmissions"].get(rel("reviewSubmission")), rel("appStoreVersion")
                if r is None or r["app"] not in apps or vid not in d["versions"]:
                    return self.not_found(req)
                if vid in r["items"]:
                    return self._conflict("ENTITY_ERROR.RELATIONSHIP.INVALID", "The item is already in the submission.")
                r["items"].append(vid)
                return J(201, {"data": {"type": "reviewSubmissionItems", "id": str(uuid.uuid4())}})
            if len(parts) == 2 and parts[0] == "reviewSubmissions" and req.method == "PATCH":
                r = d["reviewSubmissions"].get(parts[1])
                if r is None or r["app"] not in apps:
                    return self.not_found(req)
                if r["state"] != "READY_FOR_REVIEW" or not (data or {}).get("attributes", {}).get("submitted"):
                    return self._conflict("STATE_ERROR", "The review submission cannot be submitted in its state.")
                blockers = d["blockers"].get(r["app"], [])
                if blockers:
                    return J(409, {"errors": [dict(b, id=str(uuid.uuid4()), status="409",
                                                   title="The request cannot be submitted.") for b in blockers]})
                if any(d["versions"][vid]["build"] is None for vid in r["items"]) or not r["items"]:
                    return self._conflict("STATE_ERROR.ENTITY_STATE_INVALID", "A version has no build attached.")
                r["state"] = "WAITING_FOR_REVIEW"
                for vid in r["items"]:
                    d["versions"][vid]["appStoreState"] = "WAITING_FOR_REVIEW"
                req.notes["submitted"] = parts[1]
                return J(200, {"data": {"type": "reviewSubmissions", "id": parts[1],
                                        "attributes": {"state": "WAITING_FOR_REVIEW"}}})
            if parts == ["appStoreVersionPhasedReleases"] and req.method == "POST":
                vid = rel("appStoreVersion")
                v = d["versions"].get(vid)
                if v is None or v["app"] not in apps:
                    return self.not_found(req)
                if any(p["version"] == vid for p in d["phasedReleases"].values()):
                    return self._conflict("ENTITY_ERROR.RELATIONSHIP.INVALID",
                                          "The version already has a phased release.")
                if self._state(v) in ("READY_FOR_SALE", "REPLACED_WITH_NEW_VERSION", "REMOVED_FROM_SALE"):
                    return self._conflict("STATE_ERROR", "A phased release cannot be added to a version that is live.")
                pid = str(uuid.uuid4())
                d["phasedReleases"][pid] = {"version": vid, "phasedReleaseState": "INACTIVE", "currentDayNumber": 0}
                d["requests"]["phased"].append(vid)
                return J(201, {"data": self._phased_json(pid, d["phasedReleases"][pid])})
            if len(parts) == 2 and parts[0] == "appStoreVersionPhasedReleases" and req.method == "PATCH":
                p = d["phasedReleases"].get(parts[1])
                if p is None or d["versions"][p["version"]]["app"] not in apps:
                    return self.not_found(req)
                want = (data or {}).get("attributes", {}).get("phasedReleaseState")
                if (p["phasedReleaseState"], want) not in self.PHASED_MOVES:
                    return self._conflict("STATE_ERROR", "The phased release cannot move from %s to %s."
                                          % (p["phasedReleaseState"], want))
                p["phasedReleaseState"] = want
                return J(200, {"data": self._phased_json(parts[1], p)})
            hooks = self._webhooks(req, d, apps, parts, data, rel)
            if hooks is not None:
                return hooks
            if parts == ["appStoreVersionReleaseRequests"] and req.method == "POST":
                v = d["versions"].get(rel("appStoreVersion"))
                if v is None or v["app"] not in apps:
                    return self.not_found(req)
                if self._state(v) != "PENDING_DEVELOPER_RELEASE":
                    return self._conflict("STATE_ERROR", "The version is not pending developer release.")
                v["appStoreState"] = "READY_FOR_SALE"
                d["requests"]["release"].append(rel("appStoreVersion"))
                for p in d["phasedReleases"].values():
                    if p["version"] == rel("appStoreVersion") and p["phasedReleaseState"] == "INACTIVE":
                        p.update(phasedReleaseState="ACTIVE", currentDayNumber=1, startDate=iso())
                return J(201, {"data": {"type": "appStoreVersionReleaseRequests", "id": str(uuid.uuid4())}})
        return self.not_found(req)

    # -- webhook configurations (API 4.0: POST /v1/webhooks, PATCH and DELETE /v1/webhooks/{id}, GET
    # /v1/apps/{id}/webhooks). The secret is write-only: no answer carries it. Apple accepts a second webhook of the
    # same URL (an app may have many), so a client that does not look first makes a duplicate. -----------------------

    EVENT_TYPES = {"APP_STORE_VERSION_APP_VERSION_STATE_UPDATED", "BUILD_UPLOAD_STATE_UPDATED",
                   "BUILD_BETA_DETAIL_EXTERNAL_BUILD_STATE_UPDATED", "BETA_FEEDBACK_SCREENSHOT_SUBMISSION_CREATED",
                   "BETA_FEEDBACK_CRASH_SUBMISSION_CREATED"}

    @staticmethod
    def _webhook_json(wid, w):
        return {"type": "webhooks", "id": wid, "attributes": {k: w[k] for k in ("name", "url", "eventTypes", "enabled")},
                "links": {"self": "https://api.appstoreconnect.apple.com/v1/webhooks/" + wid}}

    def _webhook_problem(self, attrs, create):
        for name in (("name", "url", "secret", "eventTypes", "enabled") if create else ()):
            if name not in attrs:
                return "You must provide a value for the attribute '%s' with this request" % name
        if "url" in attrs and not (isinstance(attrs["url"], str) and attrs["url"].startswith(("https://", "http://"))):
            return "'url' is not a valid URL"
        if "eventTypes" in attrs and not (isinstance(attrs["eventTypes"], list) and attrs["eventTypes"]
                                          and set(attrs["eventTypes"]) <= self.EVENT_TYPES):
            return "'eventTypes' has an invalid value"
        return None

    def _webhooks(self, req, d, apps, parts, data, rel):
        """The webhook configurations, or None for another path (called under the lock)."""
        if len(parts) == 3 and parts[0] == "apps" and parts[2] == "webhooks" and req.method == "GET":
            if parts[1] not in apps:
                return self.not_found(req)
            return J(200, {"data": [self._webhook_json(wid, w) for wid, w in d["webhooks"].items()
                                    if w["app"] == parts[1]], "meta": {"paging": {"total": 0, "limit": 200}}})
        if parts == ["webhooks"] and req.method == "POST":
            attrs = (data or {}).get("attributes") or {}
            if (data or {}).get("type") != "webhooks" or self._webhook_problem(attrs, True):
                return self._errors(422, "ENTITY_ERROR.ATTRIBUTE.INVALID", "An attribute value is invalid.",
                                    self._webhook_problem(attrs, True) or "The resource type is not 'webhooks'")
            if rel("app") not in apps:
                return self.not_found(req)
            wid = str(uuid.uuid4())
            d["webhooks"][wid] = dict({k: attrs[k] for k in ("name", "url", "secret", "eventTypes", "enabled")},
                                      app=rel("app"))
            return J(201, {"data": self._webhook_json(wid, d["webhooks"][wid])})
        if len(parts) == 2 and parts[0] == "webhooks" and req.method in ("PATCH", "DELETE"):
            w = d["webhooks"].get(parts[1])
            if w is None or w["app"] not in apps:
                return self.not_found(req)
            if req.method == "DELETE":
                del d["webhooks"][parts[1]]
                return Resp(204)
            attrs = (data or {}).get("attributes") or {}
            if (data or {}).get("type") != "webhooks" or (data or {}).get("id") != parts[1] \
                    or self._webhook_problem(attrs, False):
                return self._errors(409, "ENTITY_ERROR", "The request entity is invalid.",
                                    self._webhook_problem(attrs, False) or "The type or id does not match the URL")
            w.update({k: attrs[k] for k in ("name", "url", "secret", "eventTypes", "enabled") if k in attrs})
            return J(200, {"data": self._webhook_json(parts[1], w)})
        return None


def webhook(secret, payload):
    """(raw body, headers) of an App Store Connect notification, signed as Apple signs it."""
    raw = webhook_body(payload)
    return raw, {"User-Agent": "App Store Connect", "x-apple-signature": "hmacsha256=" + hmac_sha256_hex(secret, raw)}
