"""Prometheus metrics of one app, in its own registry: requests and latencies per route,
requests per key, wrong keys and the requests refused for guessing, and at scrape time the age
of the newest state, the sections that are not ok, whether the stored history is behind
(history_lag.py) and whether the keys file is usable. The middleware measuring each request
also tells who sent it (the key's name, for the gates, the access log and the audit) and
refuses an address guessing keys (throttle.py)."""

from __future__ import annotations

import json
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

from twin_pipeline.api.answers import error_answer
from twin_pipeline.api.auth import CALLER, REFUSAL, KeyPolicy, presented_keys
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.api.key_use import KeyUse
from twin_pipeline.api.keys import ANONYMOUS, LET_THROUGH, Caller, KeysFile, Refusal
from twin_pipeline.api.log_fields import api_logger
from twin_pipeline.api.throttle import KeyGuessing
from twin_pipeline.reader import NoState, TwinReader
from twin_pipeline.store.schema import StoreError

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
UNIDENTIFIED = (LET_THROUGH.name, "none")  # the key and tier labels of a request without a valid key

# What a client refused for guessing keys may still ask: whether the process is live.
NEVER_THROTTLED = ("/health/live",)

access_log = api_logger("twin_pipeline.api.access")
security_log = api_logger("twin_pipeline.api.security")


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


class KeysFileCollector:
    """Whether the keys file is usable (0: every key from it is refused; /health/ready says why)."""

    def __init__(self, keys_file: KeysFile):
        self.keys_file = keys_file

    def describe(self) -> list[Metric]:
        return [GaugeMetricFamily("twin_api_keys_file_ok", "")]

    def collect(self) -> Iterator[Metric]:
        usable = GaugeMetricFamily("twin_api_keys_file_ok", "1 when TWIN_API_KEYS_FILE is readable and valid")
        usable.add_metric([], int(self.keys_file.problem is None))
        yield usable


class ApiMetrics:
    """Request counts and latency histograms, and the store's gauges, in one registry."""

    def __init__(self, reader: TwinReader, history: HistoryWatch | None = None, keys_file: KeysFile | None = None):
        self.registry = CollectorRegistry()
        self.requests = Counter("twin_api_requests", "Requests answered", ["method", "path", "status"],
                                registry=self.registry)
        self.latency = Histogram("twin_api_request_seconds", "Time to answer", ["path"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.by_key = Counter("twin_api_key_requests", "Requests per API key name and tier", ["key", "tier"],
                              registry=self.registry)
        self.failed_keys = Counter("twin_api_failed_keys", "Wrong API keys presented", registry=self.registry)
        self.throttled = Counter("twin_api_throttled_requests",
                                 "Requests answered 429 because their address sent too many wrong keys",
                                 registry=self.registry)
        self.registry.register(StoreCollector(reader, history))
        if keys_file is not None:
            self.registry.register(KeysFileCollector(keys_file))
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
    into the audit (KeyUse); an address that keeps sending wrong keys refused (429) for a minute."""

    def __init__(self, app, metrics: ApiMetrics, keys: KeyPolicy, key_use: KeyUse | None = None,
                 guessing: KeyGuessing | None = None):
        self.app, self.metrics, self.keys, self.key_use = app, metrics, keys, key_use
        self.guessing = guessing or KeyGuessing()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began, status = time.perf_counter(), 500
        address = client_address(scope)
        if self.keys.ring.required and scope["path"] not in NEVER_THROTTLED and self.guessing.blocked(address):
            self.metrics.throttled.inc()
            status = await too_many_wrong_keys(send, self.guessing.block_seconds)
            self._account(scope, None, status, time.perf_counter() - began)
            return
        presented = presented_keys(Headers(scope=scope))
        identified = self.keys.ring.identify(presented)
        scope[CALLER] = identified if isinstance(identified, Caller) else None
        if isinstance(identified, Refusal):
            scope[REFUSAL] = identified
        elif identified is None and presented:
            self.metrics.failed_keys.inc(len(presented))
            if self.guessing.failed(address, len(presented)):
                security_log.warning("%s sent %d wrong API keys within a minute: refused (429) for %.0f s",
                                     address, self.guessing.limit, self.guessing.block_seconds)

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._account(scope, address, status, time.perf_counter() - began)

    def _account(self, scope, address: str | None, status: int, seconds: float) -> None:
        # The route's template, not the raw path: unknown paths must not grow the label set.
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.observe(scope["method"], route, status, seconds)
        # A gate in warn mode may have replaced an unidentified caller with the owner it reads as.
        caller: Caller | None = scope.get(CALLER)
        self.metrics.count_key(*((caller.name, caller.tier) if caller else UNIDENTIFIED))
        if self.key_use is not None and address is not None and caller not in (None, ANONYMOUS, LET_THROUGH):
            self.key_use.seen(caller, address)
        if access_log.isEnabledFor(logging.INFO):
            who = caller.log_name if caller else UNIDENTIFIED[0]
            tier = caller.tier if caller else UNIDENTIFIED[1]
            access_log.info("%s %s %s %d %.1f ms (%s)", who, scope["method"], scope["path"], status,
                            seconds * 1000, tier)


def client_address(scope) -> str:
    """The client's address as the server saw it (behind a trusted proxy, uvicorn's
    proxy headers have put the forwarded one there)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def too_many_wrong_keys(send, seconds: float) -> int:
    """Answer 429 in the API's error shape, without reading the request."""
    message = (f"too many wrong API keys from this address: try again in {seconds:.0f} s with the right key")
    body = json.dumps(error_answer(message, message), ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 429,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(round(seconds)).encode())]})
    await send({"type": "http.response.body", "body": body})
    return 429


async def api_metrics(request: Request) -> ApiMetrics:
    """The ApiMetrics of the app serving this request (create_app keeps them in app.state)."""
    return request.app.state.metrics


ApiMetricsDep = Annotated[ApiMetrics, Depends(api_metrics)]
