#!/usr/bin/env python3
"""The Sentry fake (Web API /api/0 with an auth token)."""

import copy
import re

from fakebase import J, Provider, bearer, now

PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}  # statsPeriod's units, as Sentry parses them


class Sentry(Provider):
    """Sentry's Web API: GET /api/0/organizations/{org}/projects/{project}/ and the sessions API,
    GET /api/0/organizations/{org}/sessions/?project={id}&field=crash_free_rate(session)&field=crash_free_rate(user)
    &field=count_errored(session)&query=release:"{version}"&statsPeriod=...

    data: {"tokens": {token: {"projects": ["org/slug", ...]}}, "projects": {"org/slug": {"id": "42"}},
           "health": {"org/slug@version": {"session": 0.998, "user": 0.999, "errored": 12}}}
    And Discover's time series, GET /api/0/organizations/{org}/events-stats/?project={id}&query=event.type:error
    release:"{version}"&yAxis=count()&statsPeriod={n}{s|m|h|d|w}&interval=...: data [[time, [{"count": n}]], ...], one
    point per minute that had error events within the period, from data "errors": {"org/slug@version": [[minutes ago,
    count], ...]} (the test's events, by age: a period includes those younger than it).
    `Authorization: Bearer <token>` authenticates (401 otherwise, {"detail": ...} as Sentry answers); a project the
    token cannot see is 404. A release with no figures answers null rates and 0 errored sessions, as Sentry does
    without sessions; totals hold the fields asked for, and a field it does not know is a 400. The test sets the
    figures (rates are fractions 0..1, as crash_free_rate answers; errored a count, as count_errored answers)."""

    name = "sentry"

    def initial(self):
        return {"tokens": {}, "projects": {}, "health": {}, "errors": {}}

    def unauthorized(self, req):
        return J(401, {"detail": "Invalid token"})

    def not_found(self, req):
        return J(404, {"detail": "The requested resource does not exist"})

    def route(self, req):
        token = bearer(req.header("Authorization"))
        with self.lock:
            data = copy.deepcopy(self.data)
        info = data["tokens"].get(token) if token else None
        if info is None:
            return self.unauthorized(req)
        parts = req.segments("/api/0")
        if len(parts) == 5 and parts[0] == "organizations" and parts[2] == "projects" and parts[4] == "":
            key = parts[1] + "/" + parts[3]
            if key not in info.get("projects", []):
                return self.not_found(req)
            pid = data["projects"].get(key, {}).get("id", "1")
            return J(200, {"id": pid, "slug": parts[3], "name": parts[3], "organization": {"slug": parts[1]}})
        if len(parts) == 4 and parts[0] == "organizations" and parts[2] == "events-stats" and parts[3] == "":
            return self._events_stats(req, data, info, parts[1])
        if len(parts) == 4 and parts[0] == "organizations" and parts[2] == "sessions" and parts[3] == "":
            org = parts[1]
            mine = {v.get("id", "1"): k for k, v in data["projects"].items() if k.startswith(org + "/")}
            key = mine.get(req.param("project", ""))
            if key is None or key not in info.get("projects", []):
                return J(403, {"detail": "You do not have permission to perform this action."})
            fields = req.params.get("field", [])
            known = {"crash_free_rate(session)", "crash_free_rate(user)", "count_errored(session)"}
            if not fields or not set(fields) <= known or not req.param("statsPeriod"):
                return J(400, {"detail": "Request is missing a \"field\" or a period"})
            m = re.match(r'^release:"?([^"]+)"?$', req.param("query", ""))
            if not m:
                return J(400, {"detail": "query: release:<version> expected"})
            figures = data["health"].get(key + "@" + m.group(1), {})
            answers = {"crash_free_rate(session)": figures.get("session"), "crash_free_rate(user)": figures.get("user"),
                       "count_errored(session)": figures.get("errored", 0)}
            totals = {f: answers[f] for f in fields}
            return J(200, {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T01:00:00Z", "intervals": [],
                           "groups": [{"by": {}, "totals": totals, "series": {k: [] for k in totals}}], "query": m.group(0)})
        return self.not_found(req)

    def _events_stats(self, req, data, info, org):
        mine = {v.get("id", "1"): k for k, v in data["projects"].items() if k.startswith(org + "/")}
        key = mine.get(req.param("project", ""))
        if key is None or key not in info.get("projects", []):
            return J(403, {"detail": "You do not have permission to perform this action."})
        period = re.match(r"^(\d+)([smhdw])$", req.param("statsPeriod", ""))
        if req.params.get("yAxis") != ["count()"] or not period or not req.param("interval"):
            return J(400, {"detail": "yAxis=count(), a statsPeriod and an interval expected"})
        m = re.match(r'^event\.type:error release:"([^"]+)"$', req.param("query", ""))
        if not m:
            return J(400, {"detail": 'query: event.type:error release:"<version>" expected'})
        seconds, t = int(period.group(1)) * PERIOD_UNITS[period.group(2)], int(now())
        points = [[t - t % 60 - int(ago) * 60, [{"count": n}]] for ago, n in data["errors"].get(key + "@" + m.group(1), [])
                  if ago * 60 < seconds]
        return J(200, {"data": sorted(points), "start": t - seconds, "end": t, "isMetricsData": False,
                       "meta": {"fields": {"count": "integer"}}})
