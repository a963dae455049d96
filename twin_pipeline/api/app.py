"""Builds the read API: the routers, behind the key guard, over one twin store."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from twin_pipeline.api.auth import AuthMode, document_keys, key_guard
from twin_pipeline.api.context import AnswerCache, TwinApi
from twin_pipeline.api.errors import install_error_handlers
from twin_pipeline.api.freshness import LiveToday
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.api.metrics import ApiMetrics, MeasureRequests
from twin_pipeline.api.routers import clients, dashboard, entities, forecasts, notable, people, status
from twin_pipeline.api.routers import history as history_routes
from twin_pipeline.api.routers import probes as probe_routes
from twin_pipeline.reader import TwinReader
from twin_pipeline.urls import describe_url

DESCRIPTION = """The digital twin's persisted state and daily status text, as the person's n8n
workflows, Obsidian dashboards and scripts call it. Every endpoint answers GET and POST.

**Auth.** With a key set (DIGITAL_TWIN_API_KEY or TWIN_API_TOKEN), every endpoint but
/health/live needs it in `X-API-KEY` or as `Authorization: Bearer <key>`: 401 without one,
403 with a wrong one. With TWIN_API_AUTH=warn such requests are let through and logged.

**Answers.** Every JSON object answer carries its text under `report`, copied to
`response_text` and `content`; errors keep their status code and `detail` and start their
`report` with `❌ Error:`. Names marked "kept for existing clients" are what their dashboards
read.

**Today is fresh.** Today's answers (`/status`, `/finance`, `/health`, `/pantry`, `/today`, `/all`,
`/morning_briefing`, `/notable` without `date` or with today's) reflect every source change committed before
the request: when a source changed since today's stored state, today is read from the sources
as a run would compute it (nothing is written) and `freshness` says `live`; otherwise `stored`.
Past days are always the stored history."""


def create_app(
    reader: TwinReader,
    *,
    token: str | None = None,
    auth_mode: AuthMode = "enforce",
    probes: dict[str, Engine] | None = None,
    recheck_seconds: float = 0.5,
    weekly_workout_target: int = 3,
    live: LiveToday | None = None,
    history: HistoryWatch | None = None,
) -> FastAPI:
    """The API over one twin store. `token` is the API key (None: no key, loopback only);
    `probes` are the source databases /health/ready and /health/domain check; `live` reads
    today from the sources when they changed (None: every day as stored); `history` makes
    /health/ready and /metrics say when the stored history is behind."""
    guard = key_guard(token, auth_mode)
    # First, so the answer cache's poller starts reading the store's version while the app is built.
    api = TwinApi(reader, AnswerCache(reader.version, recheck_seconds), weekly_workout_target, dict(probes or {}),
                  live, history)
    metrics = ApiMetrics(reader, history)
    app = FastAPI(title="twin-pipeline read API", version="2", description=DESCRIPTION)
    # What the endpoints receive through Depends (context.TwinApiDep, metrics.ApiMetricsDep).
    app.state.twin_api, app.state.metrics = api, metrics
    app.add_middleware(MeasureRequests, metrics=metrics)
    install_error_handlers(app, describe_url(reader.engine.url.render_as_string(hide_password=True)))
    app.include_router(probe_routes.live_router)
    app.include_router(dashboard.page_router)
    for routes in (status.router, clients.router, entities.router, history_routes.router, people.router,
                   probe_routes.router, dashboard.router, forecasts.router, notable.router):
        app.include_router(routes, dependencies=[Depends(guard)] if guard else [])
    if guard:
        document_keys(app)
    return app
