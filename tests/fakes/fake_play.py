#!/usr/bin/env python3
"""The Google Play Developer API fake (edits)."""

import copy
import uuid

from fakebase import now, number, Resp, J
from fake_google import PLAY_SCOPE, GoogleApi


class Play(GoogleApi):
    """Google Play Developer API v3, edits.

    data: {"packages": {package: {"accounts": [service account e-mails with access], "title",
                                  "bundles": [version codes uploaded], "tracks": {track: [releases]} (live),
                                  "inReview": bool, "commits": [{"edit", "tracks"}] (filled by the fake)}},
           "edits": {edit id: {"package", "email", "deleted": false, "committed": false, "created", "expires",
                               "base": the package's commit count when it was made, "tracks": {...}}}  (filled by the fake)}
    POST /androidpublisher/v3/applications/{package}/edits makes an edit (a copy of the live tracks); DELETE
    .../edits/{id} deletes it (204). GET and PUT .../edits/{id}/tracks/{track} read and replace a track's releases in
    the edit, checked as Play does (status draft, inProgress, halted or completed; userFraction in (0, 1) with
    inProgress or halted only, except a full rollout halted: halted with none; known version codes; at most one
    completed and one inProgress or halted release). A commit that halts a full rollout on a track left with no
    completed release puts back the last completed release of other version codes the track had (Play's "the
    previous release takes its place").
    POST .../edits/{id}:validate checks an edit without committing it (404 gone, 400 expired).
    POST .../edits/{id}:commit makes the edit's tracks live, once: a committed or deleted edit is not found (404),
    an expired one (set "expires" in the past) is refused (400), and so is one made before another edit's commit
    (409, one edit at a time), and a commit while changes are in review without changesInReviewBehavior=
    CANCEL_IN_REVIEW_AND_SUBMIT (400).  A token needs the androidpublisher scope.
    GET /androidpublisher/v3/applications/{package}/tracks/{track}/releases (no edit) lists the live track's releases
    as summaries: {releaseName, track, activeArtifacts: [{versionCode}], releaseLifecycleState} (a draft DRAFT, any
    other PUBLISHED unless reviewed). A package's "review": {"tracks": [reviewed tracks], "polls": n, "outcome":
    PUBLISHED, NOT_APPROVED or APPROVED_NOT_PUBLISHED, "changes": true to review a release's update too} puts each
    release a commit adds (or, with "changes", changes) on a reviewed track in review
    (IN_REVIEW, the package "inReview"), answered so for n reads of the list, then the outcome (the short names;
    the API's are RELEASE_LIFECYCLE_STATE_...); "lifecycle": {track: {version codes joined by ",": {"state",
    "left"}}} (filled by the fake) holds each one's."""

    name = "play"
    env = ("SLIPWAY_PLAY_API_URL", "")
    server_header = "ESF"

    def initial(self):
        return {"packages": {}, "edits": {}}

    def not_found(self, req):
        return self._gerr(404, "Package not found: %s." % (self._package(req) or ""), "NOT_FOUND",
                          {"errors": [{"message": "Package not found: %s." % (self._package(req) or ""),
                                       "domain": "global", "reason": "applicationNotFound"}]})

    def _package(self, req):
        parts = req.segments()
        return parts[3] if len(parts) >= 4 else None

    def route(self, req):
        parts = req.segments()
        if len(parts) < 5 or parts[:3] != ["androidpublisher", "v3", "applications"] or parts[4] not in ("edits", "tracks"):
            return self._gerr(404, "Not Found", "NOT_FOUND")
        info = self.token_info(req)
        if info is None:
            return self.unauthorized(req)
        req.notes["account"] = info["email"]
        if PLAY_SCOPE not in info["scope"].split():
            return self.insufficient_scope(req)
        package = parts[3]
        with self.lock:
            pkg = copy.deepcopy(self.data["packages"].get(package))
        if pkg is None:
            return self.not_found(req)
        if info["email"] not in pkg.get("accounts", []):
            return self.forbidden(req)
        if parts[4] == "tracks":
            if len(parts) == 7 and parts[6] == "releases" and req.method == "GET":
                return self._summaries(package, parts[5])
            return self._gerr(404, "Not Found", "NOT_FOUND")
        if len(parts) == 5 and req.method == "POST":
            edit = str(number(package + uuid.uuid4().hex, 19))
            with self.lock:
                live = self.data["packages"][package]
                self.data["edits"][edit] = {"package": package, "email": info["email"], "deleted": False,
                                            "committed": False, "created": now(), "expires": now() + 3600,
                                            "base": len(live.get("commits", [])),
                                            "tracks": copy.deepcopy(live.get("tracks", {}))}
            req.notes["editId"] = edit
            return J(200, {"id": edit, "expiryTimeSeconds": str(int(now()) + 3600)})
        if len(parts) == 6 and parts[5].endswith(":validate") and req.method == "POST":
            return self._validate(package, parts[5][:-len(":validate")])
        if len(parts) == 6 and parts[5].endswith(":commit") and req.method == "POST":
            return self._commit(req, package, parts[5][:-len(":commit")])
        if len(parts) == 8 and parts[6] == "tracks" and req.method in ("GET", "PUT"):
            return self._track(req, package, parts[5], parts[7])
        if len(parts) == 6 and req.method in ("DELETE", "GET"):
            with self.lock:
                edit = self.data["edits"].get(parts[5])
                if edit is None or edit["package"] != package or edit["deleted"]:
                    return self._gerr(404, "Edit not found: %s." % parts[5], "NOT_FOUND")
                if req.method == "DELETE":
                    edit["deleted"] = True
                    req.notes["editId"] = parts[5]
                    return Resp(204)
            return J(200, {"id": parts[5], "expiryTimeSeconds": str(int(edit["created"]) + 3600)})
        return self._gerr(404, "Not Found", "NOT_FOUND")

    # -- tracks and commits ----------------------------------------------------

    STANDARD_TRACKS = ("internal", "alpha", "beta", "production")
    STATUSES = ("draft", "inProgress", "halted", "completed")

    def _open_edit(self, package, edit_id):
        """The edit, open (not deleted or committed), of package; None otherwise. Under the lock."""
        edit = self.data["edits"].get(edit_id)
        if edit is None or edit["package"] != package or edit["deleted"] or edit["committed"]:
            return None
        return edit

    def _track(self, req, package, edit_id, track):
        with self.lock:
            edit = self._open_edit(package, edit_id)
            if edit is None:
                return self._gerr(404, "This Edit has been deleted.", "NOT_FOUND")
            if track not in self.STANDARD_TRACKS and track not in edit["tracks"]:
                return self._gerr(404, "Track not found: %s." % track, "NOT_FOUND")
            if req.method == "GET":
                return J(200, {"track": track, "releases": copy.deepcopy(edit["tracks"].get(track, []))})
            bundles = self.data["packages"][package].get("bundles", [])
        body = req.json()
        problem = self._bad_track(body, track, bundles)
        if problem:
            return self._gerr(400, problem, "INVALID_ARGUMENT")
        with self.lock:
            edit = self._open_edit(package, edit_id)
            if edit is None:
                return self._gerr(404, "This Edit has been deleted.", "NOT_FOUND")
            edit["tracks"][track] = body["releases"]
        req.notes["editId"] = edit_id
        return J(200, {"track": track, "releases": body["releases"]})

    def _bad_track(self, body, track, bundles):
        if not isinstance(body, dict) or body.get("track", track) != track or not isinstance(body.get("releases"), list):
            return "Invalid track: a track with its releases is required."
        counts = {"completed": 0, "staged": 0}
        for r in body["releases"]:
            if not isinstance(r, dict) or r.get("status") not in self.STATUSES:
                return "Invalid release status."
            codes = r.get("versionCodes")
            if not isinstance(codes, list) or not codes or any(c not in bundles for c in codes):
                return "Version code(s) %s not found in the app bundles." % codes
            staged = r["status"] in ("inProgress", "halted")
            fraction = r.get("userFraction")
            if r["status"] == "halted" and fraction is None:
                staged = False  # a full rollout halted (Play allows it: the previous release takes its place)
            elif staged != (fraction is not None):
                return "userFraction can only be set on releases with status inProgress or halted, and is required there."
            if staged and not (isinstance(fraction, (int, float)) and 0 < fraction < 1):
                return "userFraction must be greater than 0 and less than 1."
            if "inAppUpdatePriority" in r and r["inAppUpdatePriority"] not in range(6):
                return "inAppUpdatePriority must be between 0 and 5."
            for note in r.get("releaseNotes", []):
                if not isinstance(note, dict) or not note.get("language") or not isinstance(note.get("text"), str):
                    return "Invalid release notes."
            if r["status"] == "completed":
                counts["completed"] += 1
            elif staged:
                counts["staged"] += 1
        if counts["completed"] > 1 or counts["staged"] > 1:
            return "A track can have at most one completed release and one release in a staged rollout."
        return None

    @staticmethod
    def _previous_back(live, track, releases):
        """A full rollout halted (halted, no userFraction) on a track with no completed release: the last completed
        release of other version codes the track had takes its place, as Play does. Under the lock."""
        halted = [r for r in releases if r.get("status") == "halted" and r.get("userFraction") is None]
        if not halted or any(r.get("status") == "completed" for r in releases):
            return
        for commit in reversed(live.get("commits", [])):
            for r in commit["tracks"].get(track, []):
                if r.get("status") == "completed" and r.get("versionCodes") != halted[0].get("versionCodes"):
                    releases.insert(0, copy.deepcopy(r))
                    return

    LIFECYCLE = "RELEASE_LIFECYCLE_STATE_"

    @staticmethod
    def _key(release):
        return ",".join(str(c) for c in release.get("versionCodes", []))

    def _into_review(self, live, before):
        """The releases a commit added to a reviewed track go into review, and with "changes" also a release the commit
        changed (its status, share, notes or priority: Play sends an update to review again). Under the lock."""
        review = live.get("review") or {}
        for track in review.get("tracks", []):
            known = {self._key(r): r for r in before.get(track, [])}
            for r in live.get("tracks", {}).get(track, []):
                changed = review.get("changes") and self._key(r) in known and known[self._key(r)] != r
                if r.get("status") != "draft" and (self._key(r) not in known or changed):
                    live.setdefault("lifecycle", {}).setdefault(track, {})[self._key(r)] = {
                        "state": "IN_REVIEW", "left": int(review.get("polls", 0))}
                    live["inReview"] = True

    def _summaries(self, package, track):
        """tracks.releases.list: the live track's releases, each with its lifecycle state; a read moves a review on."""
        with self.lock:
            live = self.data["packages"][package]
            if track not in self.STANDARD_TRACKS and track not in live.get("tracks", {}):
                return self._gerr(404, "Track not found: %s." % track, "NOT_FOUND")
            states = live.get("lifecycle", {}).get(track, {})
            out, decided = [], False
            for r in live.get("tracks", {}).get(track, []):
                entry = states.get(self._key(r))
                if entry and entry["state"] == "IN_REVIEW":
                    if entry["left"] > 0:
                        entry["left"] -= 1
                    else:
                        entry["state"] = (live.get("review") or {}).get("outcome", "PUBLISHED")
                        decided = True
                state = entry["state"] if entry else "DRAFT" if r.get("status") == "draft" else "PUBLISHED"
                out.append({"releaseName": r.get("name", ""), "track": track,
                            "activeArtifacts": [{"versionCode": int(c)} for c in r.get("versionCodes", [])],
                            "releaseLifecycleState": self.LIFECYCLE + state})
            if decided:  # a review over: changes are in review only while another is
                live["inReview"] = any(e["state"] == "IN_REVIEW" for t in live["lifecycle"].values() for e in t.values())
        return J(200, {"releases": out})

    def _live_edit(self, package, edit_id):
        """(the edit, None) when it is open and not expired, else (None, Play's refusal). Under the lock."""
        edit = self._open_edit(package, edit_id)
        if edit is None:
            return None, self._gerr(404, "This Edit has been deleted.", "NOT_FOUND")
        if edit["expires"] <= now():
            return None, self._gerr(400, "This Edit has expired. Please create a new Edit.", "FAILED_PRECONDITION")
        return edit, None

    def _validate(self, package, edit_id):
        """edits:validate: the edit open and not expired (its tracks were checked as they were put)."""
        with self.lock:
            edit, refusal = self._live_edit(package, edit_id)
            return refusal or J(200, {"id": edit_id, "expiryTimeSeconds": str(int(edit["expires"]))})

    def _commit(self, req, package, edit_id):
        behavior = req.param("changesInReviewBehavior")
        if behavior not in (None, "CANCEL_IN_REVIEW_AND_SUBMIT", "ERROR_IF_IN_REVIEW",
                            "CHANGES_IN_REVIEW_BEHAVIOR_TYPE_UNSPECIFIED"):
            return self._gerr(400, "Invalid value for changesInReviewBehavior.", "INVALID_ARGUMENT")
        with self.lock:
            edit, refusal = self._live_edit(package, edit_id)
            if refusal:
                return refusal
            live = self.data["packages"][package]
            if edit["base"] != len(live.get("commits", [])):
                return self._gerr(409, "This Edit conflicts with another Edit committed since: create a new Edit.",
                                  "ABORTED")
            if live.get("inReview") and behavior != "CANCEL_IN_REVIEW_AND_SUBMIT":
                return self._gerr(400, "Changes are in review: commit with changesInReviewBehavior="
                                       "CANCEL_IN_REVIEW_AND_SUBMIT to cancel that review.", "FAILED_PRECONDITION")
            edit["committed"] = True
            for track, releases in edit["tracks"].items():
                self._previous_back(live, track, releases)
            before = live.get("tracks", {})
            live["tracks"] = copy.deepcopy(edit["tracks"])
            self._into_review(live, before)
            live.setdefault("commits", []).append({"edit": edit_id, "tracks": copy.deepcopy(edit["tracks"])})
        req.notes["editId"] = edit_id
        return J(200, {"id": edit_id, "expiryTimeSeconds": str(int(edit["expires"]))})
