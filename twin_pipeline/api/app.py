"""Builds the read API: the routers, each route behind its gate, over one twin store."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.middleware.trustedhost import TrustedHostMiddleware

from twin_pipeline.api.auth import LOOPBACK_HOSTS, AuthMode, KeyPolicy, document_keys
from twin_pipeline.api.bodies import BoundedBodies
from twin_pipeline.api.context import AnswerCache, TwinApi
from twin_pipeline.api.errors import install_error_handlers
from twin_pipeline.api.freshness import LiveToday
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.api.key_use import KeyUse
from twin_pipeline.api.keys import KeyRing, KeysFile
from twin_pipeline.api.metrics import ApiMetrics, MeasureRequests
from twin_pipeline.api.routers import clients, dashboard, entities, forecasts, notable, people, status
from twin_pipeline.api.routers import history as history_routes
from twin_pipeline.api.routers import probes as probe_routes
from twin_pipeline.reader import TwinReader
from twin_pipeline.urls import describe_url

DESCRIPTION = """The digital twin's persisted state and daily status text, as the person's n8n
workflows, Obsidian dashboards and scripts call it. Every endpoint answers GET and POST.

**Auth.** With a key set (DIGITAL_TWIN_API_KEY or TWIN_API_TOKEN, the owner's; or the household's
keys in TWIN_API_KEYS_FILE), every endpoint but /health/live and the dashboard's page needs one in
`X-API-KEY` or as `Authorization: Bearer <key>`: 401 without one (or with an expired key, or a key
of a keys file that cannot be read now), 403 with a wrong one, 429 for a minute after 20 wrong
keys a minute from one address. With TWIN_API_AUTH=warn (never beside a keys file) requests
without a valid key are let through and logged. A household key reads the pantry and the home
only (/pantry, /home, and /status, /today, /all, /morning_briefing and /dashboard/data reduced to
them; the probes); everything else answers it 403. `X-User-ID`, when sent, must be the key's
name (403 otherwise). Without any key the API answers only `Host` localhost, 127.0.0.1 and [::1]
(TWIN_ALLOWED_HOSTS sets the names otherwise).

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
    keys_file: KeysFile | None = None,
    key_use: KeyUse | None = None,
    allowed_hosts: Sequence[str] | None = None,
) -> FastAPI:
    """The API over one twin store. `token` is the owner's API key and `keys_file` the
    household's keys (neither: no key, loopback only); `key_use` records when each key was
    last used; `probes` are the source databases /health/ready and /health/domain check;
    `live` reads today from the sources when they changed (None: every day as stored);
    `history` makes /health/ready and /metrics say when the stored history is behind;
    `allowed_hosts` the Host names answered (None: the loopback names without a key, which
    keeps a web page from reaching a keyless API through a rebound name; any with a key)."""
    keys = KeyPolicy(KeyRing(token, keys_file), auth_mode)
    # First, so the answer cache's poller starts reading the store's version while the app is built.
    api = TwinApi(reader, AnswerCache(reader.version, recheck_seconds), weekly_workout_target, dict(probes or {}),
                  live, history)
    metrics = ApiMetrics(reader, history, keys_file)
    app = FastAPI(title="twin-pipeline read API", version="2", description=DESCRIPTION)
    # What the endpoints and gates receive through Depends (context.TwinApiDep, metrics.ApiMetricsDep, auth.Gate).
    app.state.twin_api, app.state.metrics, app.state.keys = api, metrics, keys
    app.add_middleware(BoundedBodies)  # inside MeasureRequests, which counts its 413s
    app.add_middleware(MeasureRequests, metrics=metrics, keys=keys, key_use=key_use)
    if allowed_hosts is None and not keys.ring.required:
        allowed_hosts = LOOPBACK_HOSTS
    if allowed_hosts is not None:
        # Added last, so it runs first: a request for another name is refused before anything else.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts), www_redirect=False)
    install_error_handlers(app, describe_url(reader.engine.url.render_as_string(hide_password=True)))
    for routes in (probe_routes.live_router, dashboard.page_router, status.router, clients.router, entities.router,
                   history_routes.router, people.router, probe_routes.router, dashboard.router, forecasts.router,
                   notable.router):
        app.include_router(routes)
    if keys.ring.required:
        document_keys(app)
    return app
