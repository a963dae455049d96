"""Prometheus metrics of one app, in its own registry: requests and latencies per route,
requests per key, and at scrape time the age of the newest state, the sections that are not
ok, and whether the stored history is behind (history_lag.py). The middleware measuring each
request also tells who sent it (the key's name, for the gates, the access log and the audit)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import Headers
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.api.auth import CALLER, KeyPolicy, presented_keys
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.api.key_use import KeyUse
from twin_pipeline.api.keys import ANONYMOUS, LET_THROUGH, Caller
from twin_pipeline.reader import NoState, TwinReader
from twin_pipeline.store.schema import StoreError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
UNIDENTIFIED = (LET_THROUGH.name, "none")  # the key and tier labels of a request without a valid key

access_log = logging.getLogger("twin_pipeline.api.access")


class StoreCollector:
    """The twin store's freshness, read when Prometheus scrapes."""

    def __init__(self, reader: TwinReader, history: HistoryWatch | None = None):
        self.reader, self.history = reader, history

    def describe(self) -> list[Metric]:
        # Named up front so registering never queries the store.
        history = ("twin_history_behind", "twin_newest_state_age_days", "twin_daemon_heartbeat_age_seconds")
        return [GaugeMetricFamily(name, "") for name in
                ("twin_state_age_seconds", "twin_sections_not_ok", "twin_store_readable",
                 *(history if self.history is not None else ()))]

    def collect(self) -> Iterator[Metric]:
        age = GaugeMetricFamily("twin_state_age_seconds", "Seconds since the newest state row of each entity",
                                labels=["entity"])
        not_ok = GaugeMetricFamily("twin_sections_not_ok", "1 when the newest day's section is not ok",
                                   labels=["entity"])
        readable = GaugeMetricFamily("twin_store_readable", "1 when the twin store answers")
        try:
            now = datetime.now(timezone.utc)
            for row in self.reader.history(limit=3):
                seconds = (now - datetime.fromisoformat(row["created_at"])).total_seconds()
                age.add_metric([row["entity_type"]], round(seconds))
            for name, document in self.reader.day().entities.items():
                not_ok.add_metric([name], int(document.get("status") != "ok"))
            readable.add_metric([], 1)
        except (NoState, StoreError, SQLAlchemyError):
            readable.add_metric([], 0)
        yield from (age, not_ok, readable)
        if self.history is not None:
            yield from self._history()

    def _history(self) -> Iterator[Metric]:
        behind = GaugeMetricFamily("twin_history_behind", "1 when the stored history is behind (see /health/ready)")
        newest = GaugeMetricFamily("twin_newest_state_age_days", "Days from the newest stored day to today")
        beat = GaugeMetricFamily("twin_daemon_heartbeat_age_seconds",
                                 "Seconds since the newest Dagster daemon heartbeat (absent: none found)")
        try:
            look = self.history.look(self.reader.latest_day())
        except (StoreError, SQLAlchemyError):
            return  # twin_store_readable 0 says why
        behind.add_metric([], int(look.behind))
        if look.newest_age_days is not None:
            newest.add_metric([], look.newest_age_days)
        if look.heartbeat_age_seconds is not None:
            beat.add_metric([], round(look.heartbeat_age_seconds, 1))
        yield from (behind, newest, beat)


class ApiMetrics:
    """Request counts and latency histograms, and the store's gauges, in one registry."""

    def __init__(self, reader: TwinReader, history: HistoryWatch | None = None):
        self.registry = CollectorRegistry()
        self.requests = Counter("twin_api_requests", "Requests answered", ["method", "path", "status"],
                                registry=self.registry)
        self.latency = Histogram("twin_api_request_seconds", "Time to answer", ["path"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.by_key = Counter("twin_api_key_requests", "Requests per API key name and tier", ["key", "tier"],
                              registry=self.registry)
        self.registry.register(StoreCollector(reader, history))
        self._series: dict[tuple[str, str, int], tuple] = {}
        self._key_series: dict[tuple[str, str], Counter] = {}

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        # The labelled children, looked up once per (method, route, status): labels() takes a lock.
        series = self._series.get((method, path, status))
        if series is None:
            series = (self.requests.labels(method, path, str(status)), self.latency.labels(path))
            self._series[(method, path, status)] = series
        series[0].inc()
        series[1].observe(seconds)

    def count_key(self, name: str, tier: str) -> None:
        child = self._key_series.get((name, tier))
        if child is None:
            child = self._key_series[(name, tier)] = self.by_key.labels(name, tier)
        child.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MeasureRequests:
    """ASGI middleware: who sent each request (from its key, kept in the scope for the routes'
    gates), and its route, status and duration into ApiMetrics and the access log; a key's use
    into the audit (KeyUse)."""

    def __init__(self, app, metrics: ApiMetrics, keys: KeyPolicy, key_use: KeyUse | None = None):
        self.app, self.metrics, self.keys, self.key_use = app, metrics, keys, key_use

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began, status = time.perf_counter(), 500
        scope[CALLER] = self.keys.ring.identify(presented_keys(Headers(scope=scope)))

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            seconds = time.perf_counter() - began
            # The route's template, not the raw path: unknown paths must not grow the label set.
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(scope["method"], route, status, seconds)
            self._account(scope, status, seconds)

    def _account(self, scope, status: int, seconds: float) -> None:
        # A gate in warn mode may have replaced an unidentified caller with the owner it reads as.
        caller: Caller | None = scope.get(CALLER)
        self.metrics.count_key(*((caller.name, caller.tier) if caller else UNIDENTIFIED))
        if self.key_use is not None and caller not in (None, ANONYMOUS, LET_THROUGH):
            self.key_use.seen(caller)
        if access_log.isEnabledFor(logging.INFO):
            who = caller.log_name if caller else UNIDENTIFIED[0]
            tier = caller.tier if caller else UNIDENTIFIED[1]
            access_log.info("%s %s %s %d %.1f ms (%s)", who, scope["method"], scope["path"], status,
                            seconds * 1000, tier)


async def api_metrics(request: Request) -> ApiMetrics:
    """The ApiMetrics of the app serving this request (create_app keeps them in app.state)."""
    return request.app.state.metrics


ApiMetricsDep = Annotated[ApiMetrics, Depends(api_metrics)]
