#!/usr/bin/env python3
"""The Bugsnag fake (Data Access API v2)."""

import copy
import datetime
import re

from fakebase import J, Provider, iso, now


class Bugsnag(Provider):
    """Bugsnag's Data Access API v2: GET /projects/{id} and GET /projects/{id}/releases?release_stage=production,
    and the project's trend, GET /projects/{id}/trend?buckets_count=N (or resolution=...) with filters
    (filters[field][][type]=eq&filters[field][][value]=...: event.since an ISO 8601 UTC time, app.version,
    app.release_stage): [{"from", "to", "events_count"}] from data "events": {id: [{"app_version", "minutes_ago",
    "count", "release_stage"?}]} (the test's events, by age; release_stage production unless said).

    data: {"tokens": {token: {"projects": [id, ...]}}, "releases": {id: [{"app_version", "total_sessions_count",
           "unhandled_sessions_count", "accumulative_daily_users_seen", "accumulative_daily_users_with_unhandled",
           "errors_seen_count"}]}}
    `Authorization: token <token>` authenticates (401 otherwise); `X-Version: 2` is required (400 without, as the
    API refuses a request without a version it serves); a project the token cannot see is 404. The test sets the
    releases' counts; the stability is computed from them as Bugsnag's dashboard does."""

    name = "bugsnag"

    def initial(self):
        return {"tokens": {}, "releases": {}, "events": {}}

    def unauthorized(self, req):
        return J(401, {"errors": ["Unauthorized"]})

    def not_found(self, req):
        return J(404, {"errors": ["Not found"]})

    def route(self, req):
        value = req.header("Authorization") or ""
        token = value[len("token "):] if value.startswith("token ") else None
        with self.lock:
            data = copy.deepcopy(self.data)
        info = data["tokens"].get(token) if token else None
        if info is None:
            return self.unauthorized(req)
        if req.header("X-Version") != "2":
            return J(400, {"errors": ["X-Version header: 2 expected"]})
        parts = req.segments()
        if len(parts) < 2 or parts[0] != "projects" or parts[1] not in info.get("projects", []):
            return self.not_found(req)
        if len(parts) == 2:
            return J(200, {"id": parts[1], "name": "Project " + parts[1], "slug": "project-" + parts[1], "type": "android"})
        if len(parts) == 3 and parts[2] == "releases":
            stage = req.param("release_stage")
            releases = data["releases"].get(parts[1], [])
            return J(200, [dict(r, id="r-%d" % i, release_stage_name=stage or "production")
                           for i, r in enumerate(releases)])
        if len(parts) == 3 and parts[2] == "trend":
            return self._trend(req, data.get("events", {}).get(parts[1], []))
        return self.not_found(req)

    @staticmethod
    def _filters(req):
        """{field: [(type, value)]} from filters[field][][type] and filters[field][][value], in order."""
        out = {}
        for key, values in req.params.items():
            m = re.match(r"^filters\[([^\]]+)\]\[\]\[(type|value)\]$", key)
            if m:
                out.setdefault(m.group(1), {})[m.group(2)] = values
        return {f: list(zip(tv.get("type", []), tv.get("value", []))) for f, tv in out.items()}

    def _trend(self, req, events):
        filters = self._filters(req)
        count = req.param("buckets_count")
        since = [v for t, v in filters.get("event.since", []) if t == "eq"]
        if not (count or req.param("resolution")) or (count and not count.isdigit()) or len(since) != 1:
            return J(400, {"errors": ["buckets_count (or resolution) and one event.since filter expected"]})
        try:
            if not since[0].endswith("Z"):
                raise ValueError(since[0])
            start = datetime.datetime.strptime(since[0][:19], "%Y-%m-%dT%H:%M:%S").replace(
                tzinfo=datetime.timezone.utc).timestamp()
        except ValueError:
            return J(400, {"errors": ["event.since: an ISO 8601 UTC time expected"]})

        def wanted(e):
            have = {"app.version": e.get("app_version"), "app.release_stage": e.get("release_stage", "production")}
            return all(t == "eq" and have[f] == v for f in have for t, v in filters.get(f, []))
        t = now()
        n = max(1, int(count or 1))
        width = max(t - start, 1) / n
        buckets = [{"from": iso(start + i * width), "to": iso(start + (i + 1) * width), "events_count": 0} for i in range(n)]
        for e in events:
            at = t - e["minutes_ago"] * 60
            if at >= start and wanted(e):
                buckets[min(n - 1, int((at - start) / width))]["events_count"] += e["count"]
        return J(200, buckets)
