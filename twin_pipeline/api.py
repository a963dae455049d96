"""The read API on port 5677 (n8n, dashboards, Telegram bots): what the pipeline persisted.

Every answer comes from the twin store through TwinReader; nothing is recomputed here.
Answers are cached in memory and the cache is dropped as soon as the store changes
(checked at most twice a second), so a new state shows within half a second.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.faults import kind_of
from twin_pipeline.reader import NoState, TwinReader
from twin_pipeline.settings import describe_url
from twin_pipeline.store import StoreError

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0)


class AnswerCache:
    """Serialized answers keyed by request, valid while the store's version is unchanged.

    The version is polled by a background thread every `recheck_seconds`, so a request
    never waits for that query; with recheck_seconds=0 every request checks (tests)."""

    def __init__(self, version: Callable[[], tuple], recheck_seconds: float):
        self._version, self._recheck = version, recheck_seconds
        self._answers: dict[tuple, bytes] = {}
        self._seen: tuple | None = None
        self._lock = threading.Lock()
        if recheck_seconds > 0:
            threading.Thread(target=self._poll, name="twin-api-store-version", daemon=True).start()

    def _refresh(self) -> None:
        current = self._version()
        with self._lock:
            if current != self._seen:
                self._answers = {}
                self._seen = current

    def _poll(self) -> None:
        while True:
            try:
                self._refresh()
            except (SQLAlchemyError, StoreError):
                pass  # the requests themselves report the store being down
            time.sleep(self._recheck)

    def get(self, key: tuple, compute: Callable[[], bytes]) -> bytes:
        if self._recheck <= 0:
            self._refresh()
        answers = self._answers
        answer = answers.get(key)
        if answer is None:
            answer = compute()
            answers[key] = answer
        return answer


class MeasureRequests:
    """ASGI middleware: every request's route, status and duration into Metrics."""

    def __init__(self, app, metrics: "Metrics"):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        began, status = time.perf_counter(), 500

        async def sending(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - began)


class Metrics:
    """Request counts and latencies, in Prometheus' text format."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, int], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(LATENCY_BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, method: str, path: str, status: int, seconds: float) -> None:
        self.counts[(method, path, status)] += 1
        self.sums[path] += seconds
        buckets = self.buckets[path]
        for i, bound in enumerate(LATENCY_BUCKETS):
            if seconds <= bound:
                buckets[i] += 1
        buckets[-1] += 1

    def lines(self) -> list[str]:
        lines = ["# TYPE twin_api_requests_total counter"]
        lines += [
            f'twin_api_requests_total{{method="{m}",path="{p}",status="{s}"}} {n}'
            for (m, p, s), n in sorted(self.counts.items())
        ]
        lines.append("# TYPE twin_api_request_seconds histogram")
        for path, buckets in sorted(self.buckets.items()):
            for bound, count in zip(LATENCY_BUCKETS, buckets):
                lines.append(f'twin_api_request_seconds_bucket{{path="{path}",le="{bound}"}} {count}')
            lines.append(f'twin_api_request_seconds_bucket{{path="{path}",le="+Inf"}} {buckets[-1]}')
            lines.append(f'twin_api_request_seconds_sum{{path="{path}"}} {self.sums[path]:.6f}')
            lines.append(f'twin_api_request_seconds_count{{path="{path}"}} {buckets[-1]}')
        return lines


def create_app(
    reader: TwinReader,
    *,
    token: str | None = None,
    probes: dict[str, Engine] | None = None,
    recheck_seconds: float = 0.5,
) -> FastAPI:
    """The API over one twin store. `probes` are the databases /health/ready checks."""
    app = FastAPI(
        title="twin-pipeline read API",
        version="1",
        description=(
            "The digital twin's persisted state and daily status text. With TWIN_API_TOKEN set, "
            "every endpoint but /health/live needs `Authorization: Bearer <token>`."
        ),
    )
    cache = AnswerCache(reader.version, recheck_seconds)
    metrics = Metrics()
    store_location = describe_url(reader.engine.url.render_as_string(hide_password=True))

    async def authorized(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, credential = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(credential.encode(), token.encode()):
            raise HTTPException(401, "a bearer token is required (TWIN_API_TOKEN)",
                                headers={"WWW-Authenticate": "Bearer"})

    app.add_middleware(MeasureRequests, metrics=metrics)

    @app.exception_handler(NoState)
    async def no_state(request: Request, exc: NoState) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(SQLAlchemyError)
    async def store_down(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        return JSONResponse(
            {"detail": f"twin store {kind_of(exc)} at {store_location}; try again shortly"}, status_code=503
        )

    @app.exception_handler(StoreError)
    async def store_unusable(request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    def answer(key: tuple, compute: Callable[[], object], media_type: str = "application/json") -> Response:
        def serialized() -> bytes:
            value = compute()
            if media_type == "application/json":
                return json.dumps(value, ensure_ascii=False).encode()
            return str(value).encode()

        return Response(cache.get(key, serialized), media_type=media_type)

    day_query = Query(None, alias="date", description="YYYY-MM-DD; default: the newest day")
    guarded = [Depends(authorized)]

    @app.get("/status", dependencies=guarded, summary="The status text and the whole state of a day")
    async def status(day: date | None = day_query, format: Literal["json", "text"] = "json") -> Response:
        if format == "text":
            return answer(("status-text", day), lambda: reader.day(day).summary or "", "text/plain; charset=utf-8")

        def document() -> dict:
            found = reader.day(day)
            # n8n reads the text under any of these three keys; the state is under data.
            return {"as_of": found.as_of, "report": found.summary, "response_text": found.summary,
                    "content": found.summary, "data": found.entities}

        return answer(("status", day), document)

    def entity(name: str) -> Callable:
        async def one(day: date | None = day_query) -> Response:
            def document() -> dict:
                state = reader.day(day).entities
                if name not in state:
                    raise NoState(f"no {name} state for {day or 'the newest day'}")
                return state[name]

            return answer((name, day), document)

        one.__name__ = f"{name}_state"
        return one

    for name in ("health", "finance", "pantry"):
        app.get(f"/{name}", dependencies=guarded, summary=f"The {name} state of a day")(entity(name))

    @app.get("/person", dependencies=guarded, summary="The person: health metrics and goal progress")
    async def person() -> Response:
        return answer(("person",), reader.person)

    @app.get("/goals", dependencies=guarded, summary="The person's goals")
    async def goals() -> Response:
        return answer(("goals",), reader.goals)

    @app.get("/home", dependencies=guarded, summary="The home: environment, devices, status")
    async def home() -> Response:
        return answer(("home",), reader.home)

    @app.get("/history", dependencies=guarded, summary="State rows, newest first, corrections marked")
    async def history(
        limit: int = Query(10, ge=1, le=1000),
        entity_type: Literal["finance", "health", "pantry"] | None = None,
        start: date | None = Query(None, alias="from"),
        end: date | None = Query(None, alias="to"),
    ) -> Response:
        return answer(("history", limit, entity_type, start, end),
                      lambda: reader.history(limit, entity_type, start, end))

    @app.get("/health/live", summary="The API process answers (no token needed)")
    async def live() -> dict:
        return {"status": "ok"}

    @app.get("/health/ready", dependencies=guarded, summary="Every database answers")
    def ready() -> JSONResponse:
        results = {}
        for name, engine in {"twin_store": reader.engine, **(probes or {})}.items():
            try:
                with engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
                results[name] = "ok"
            except SQLAlchemyError as exc:
                results[name] = f"{kind_of(exc)} at {describe_url(engine.url.render_as_string(hide_password=True))}"
        down = {k: v for k, v in results.items() if v != "ok"}
        return JSONResponse({"status": "down" if down else "ok", "databases": results},
                            status_code=503 if down else 200)

    @app.get("/metrics", dependencies=guarded, summary="Prometheus metrics", response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        lines = ["# TYPE twin_state_age_seconds gauge", "# TYPE twin_sections_not_ok gauge"]
        try:
            now = datetime.now(timezone.utc)
            for row in reader.history(limit=3):
                age = now - datetime.fromisoformat(row["created_at"])
                lines.append(f'twin_state_age_seconds{{entity="{row["entity_type"]}"}} {age.total_seconds():.0f}')
            for name, document in reader.day().entities.items():
                lines.append(f'twin_sections_not_ok{{entity="{name}"}} {int(document.get("status") != "ok")}')
        except (NoState, StoreError, SQLAlchemyError):
            lines.append("twin_store_readable 0")
        return PlainTextResponse("\n".join(lines + metrics.lines()) + "\n", media_type="text/plain; version=0.0.4")

    return app
