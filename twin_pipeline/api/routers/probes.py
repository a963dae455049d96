"""Probes: the process is live, every database answers (or one source's), and /metrics."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.api.answers import DomainAnswer, LiveAnswer, ReadyAnswer, enveloped, error_answer
from twin_pipeline.api.auth import HOUSEHOLD, OPEN, OWNER
from twin_pipeline.api.context import TwinApi, TwinApiDep
from twin_pipeline.api.metrics import CONTENT_TYPE, ApiMetricsDep
from twin_pipeline.api.routers import read_route
from twin_pipeline.faults import kind_of
from twin_pipeline.urls import describe_url
from twin_pipeline.sources import SOURCES

# The sources by name, and the twin store.
Domain = Literal[(*SOURCES, "twin")]


def where(engine: Engine) -> str:
    return describe_url(engine.url.render_as_string(hide_password=True))


def probe(engine: Engine) -> str:
    """`ok`, or why the database does not answer, naming it as host:port/database."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as exc:
        return f"{kind_of(exc)} at {where(engine)}"


live_router = APIRouter(tags=["probes"])


@read_route(live_router, "/health/live", LiveAnswer, access=OPEN, errors={}, openapi_extra={"security": []},
            summary="The API process answers (no key needed)")
async def live() -> dict:
    return enveloped("✅ the twin API is live", status="ok")


router = APIRouter(tags=["probes"])


def databases(api: TwinApi) -> dict[str, Engine]:
    """What /health/ready probes: the twin store and the source databases `twin api` was given."""
    return {"twin_store": api.reader.engine, **api.probes}


@read_route(router, "/health/ready", ReadyAnswer, access=HOUSEHOLD, summary="Every database answers, and the history keeps up",
            description="503 `down` naming a database that does not answer; 503 `keys_file_unusable` when "
            "TWIN_API_KEYS_FILE cannot be read or is invalid (its keys are refused until it is mended); 503 "
            "`behind` when the stored history is behind (the newest stored day older than yesterday after "
            "06:30 in TWIN_TIMEZONE, or no Dagster daemon heartbeat for over two minutes), naming what to start.")
def ready(api: TwinApiDep, request: Request) -> JSONResponse:
    results = {name: probe(engine) for name, engine in databases(api).items()}
    down = [f"{name} {result}" for name, result in results.items() if result != "ok"]
    if down:
        message = "not ready: " + "; ".join(down)
        return JSONResponse({**error_answer(message, message), "status": "down", "databases": results}, 503)
    keys_file = request.app.state.keys.ring.keys_file
    problem = None if keys_file is None else keys_file.problem
    keys = {} if keys_file is None else {"keys_file": problem or "ok"}
    if problem is not None:
        message = f"not ready: {problem}; its keys are refused until it is mended"
        return JSONResponse({**error_answer(message, message), "status": "keys_file_unusable",
                             "databases": results, **keys}, 503)
    look = api.history_look()
    history = {} if look is None else {"history": {
        "behind": look.behind, "newest_day": look.newest_day, "newest_age_days": look.newest_age_days,
        "daemon_heartbeat_age_seconds": look.heartbeat_age_seconds, "reasons": list(look.reasons)}}
    if look is not None and look.behind:
        return JSONResponse({**error_answer(look.message, look.message), "status": "behind",
                             "databases": results, **keys, **history}, 503)
    return JSONResponse(enveloped("✅ every database answers", status="ok", databases=results, **keys, **history))


@read_route(router, "/health/domain/{name}", DomainAnswer, access=HOUSEHOLD, summary="One source's database answers",
            description="`twin` is the twin store; the others the sources (`finance`, `training`, `pantry`, "
            "`biometrics`); an optional source the install leaves out answers 200 `not_configured`.")
def domain(api: TwinApiDep, name: Domain) -> JSONResponse:
    database = "twin_store" if name == "twin" else f"{name}_database"
    engine = databases(api).get(database)
    if engine is None and name in SOURCES and SOURCES[name].optional:
        # An optional source left out of the install: nothing wrong, and nothing to probe.
        message = f"{name} database not configured ({SOURCES[name].url_variable}): nothing to probe"
        return JSONResponse(enveloped(message, domain=name, database=database, status="not_configured"))
    result = probe(engine) if engine is not None else "not configured for this API (`twin api` probes it)"
    if result != "ok":
        message = f"{name} database {result}"
        return JSONResponse({**error_answer(message, message), "domain": name, "database": database,
                             "status": "down"}, 503)
    return JSONResponse(enveloped(f"✅ {name} database answers at {where(engine)}",
                                  domain=name, database=database, status="ok"))


@read_route(router, "/metrics", access=OWNER, summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Prometheus text format"}})
def prometheus(metrics: ApiMetricsDep) -> Response:
    return Response(metrics.exposition(), media_type=CONTENT_TYPE)
