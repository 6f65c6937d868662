#!/usr/bin/env python3
"""The Sentry fake (Web API /api/0 with an auth token)."""

import copy
import re

from fakebase import J, Provider, bearer, iso, now

PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}  # statsPeriod's units, as Sentry parses them


class Sentry(Provider):
    """Sentry's Web API: GET /api/0/organizations/{org}/projects/{project}/ and the sessions API,
    GET /api/0/organizations/{org}/sessions/?project={id}&field=crash_free_rate(session)&field=crash_free_rate(user)
    &field=count_errored(session)&query=release:"{version}"&statsPeriod=...&interval=... (checked and rounded as
    Sentry does: _sessions_window), the totals over the period, from data "sessions" (the test's sessions by age)
    or, for a key not there, data "health"'s figures whatever the period.

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
        return {"tokens": {}, "projects": {}, "health": {}, "errors": {}, "sessions": {}}

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
            window = self._sessions_window(req)
            if isinstance(window, str):
                return J(400, {"detail": window})
            m = re.match(r'^release:"?([^"]+)"?$', req.param("query", ""))
            if not m:
                return J(400, {"detail": "query: release:<version> expected"})
            figures = self._sessions_figures(data, key + "@" + m.group(1), window)
            answers = {"crash_free_rate(session)": figures.get("session"), "crash_free_rate(user)": figures.get("user"),
                       "count_errored(session)": figures.get("errored", 0)}
            totals = {f: answers[f] for f in fields}
            return J(200, {"start": iso(window[0]), "end": iso(window[1]), "intervals": [],
                           "groups": [{"by": {}, "totals": totals, "series": {k: [] for k in totals}}], "query": m.group(0)})
        return self.not_found(req)

    @staticmethod
    def _sessions_window(req):
        """(start, end) in seconds as the sessions API constrains them (sentry/snuba/sessions_v2.py and the metrics
        backend's get_date_range): an interval (default 1h) that is a multiple of one minute (ten seconds on metrics;
        the fake asks for the stricter), at most a day and dividing one; below an hour only over at most 6 hours; at most
        10000 points; the end rounded up to the interval and the period up to whole intervals. A message: a 400."""
        period = re.match(r"^(\d+)([smhdw])$", req.param("statsPeriod", ""))
        interval = re.match(r"^(\d+)([smhd])$", req.param("interval", "1h"))
        if not period or not interval:
            return "Invalid statsPeriod or interval"
        seconds = int(period.group(1)) * PERIOD_UNITS[period.group(2)]
        step = int(interval.group(1)) * PERIOD_UNITS[interval.group(2)]
        if step <= 0 or step % 60:
            return "The interval has to be a multiple of the minimum interval of one minute."
        if step > 86400:
            return "The interval has to be less than one day."
        if 86400 % step:
            return "The interval should divide one day without a remainder."
        if step < 3600 and seconds > 6 * 3600:
            return "The time-range when using one-minute resolution intervals is restricted to 6 hours."
        span = step * -(-seconds // step)
        if span // step > 10000:
            return "Your interval and date range would create too many results. Use a larger interval, or a smaller date range."
        end = step * -(-int(now()) // step)
        return end - span, end

    @staticmethod
    def _sessions_figures(data, key, window):
        """The figures of key over window: from data "sessions" (the test's sessions by age: [[minutes ago, sessions,
        crashed, users, crashed users], ...], each user counted once per entry) when it has the key, the rates computed
        as Sentry does (1 - crashed / all; null without sessions); else data "health"'s fixed figures."""
        if key not in data.get("sessions", {}):
            return data["health"].get(key, {})
        t = now()
        inside = [e for e in data["sessions"][key] if window[0] <= t - e[0] * 60 < window[1]]
        total, crashed, users, crashed_users = (sum(e[i] for e in inside) for i in range(1, 5))
        return {"session": 1 - crashed / total if total else None, "user": 1 - crashed_users / users if users else None,
                "errored": 0}

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
