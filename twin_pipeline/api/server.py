"""`twin api`: the read API assembled from the settings (the twin store, the source databases
it probes, today's live view, the history watch, the keys and their audit) and served by uvicorn.

With TWIN_API_DATABASE_URL and TWIN_API_DAGSTER_URL it logs in as its own login, twin_api
(sql/roles/twin_api.sql), and holds neither the pipeline writer's login nor Dagster's owner's:
a read API that holds a login able to rewrite the history is one bug away from doing it."""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from twin_pipeline.api.app import create_app
from twin_pipeline.api.freshness import LiveToday
from twin_pipeline.api.history_lag import HistoryWatch
from twin_pipeline.api.key_use import KeyUse
from twin_pipeline.api.keys import KeysFile
from twin_pipeline.database import Database
from twin_pipeline.preflight import require_current_store
from twin_pipeline.reader import TwinReader
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import SOURCES


def app_from_settings(settings: TwinSettings) -> FastAPI:
    """The API over the configured twin store, probing every source's database, reading today fresh from the sources (read-only sessions), and watching the
    history's lag in the store and the daemon's heartbeat in Dagster's storage (read only), each
    as the API's own login (TWIN_API_DATABASE_URL, TWIN_API_DAGSTER_URL) when it is set."""
    # A keys file that cannot be read stops the API first, in one line (KeysFileError).
    keys_file = KeysFile(settings.api_keys_file, timezone=settings.timezone) if settings.api_keys_file else None
    store = Database.for_role(settings, "twin", url=settings.api_twin_url, read_only=True)
    require_current_store(store)
    # An optional source left out of a configured install has nothing to probe.
    probes = {f"{role}_database": Database.for_role(settings, role).engine()
              for role in SOURCES if settings.source_configured(role)}
    dagster = Database.for_role(settings, "dagster", url=settings.api_dagster_url, read_only=True).engine()
    key_use = None
    if keys_file is not None or settings.api_key is not None:
        key_use = KeyUse(store.model_copy(update={"read_only": False}).engine())
    return create_app(
        TwinReader(engine=store.engine(), person_id=settings.person_id),
        token=settings.api_key, auth_mode=settings.api_auth,
        probes=probes, weekly_workout_target=settings.weekly_workout_target,
        live=LiveToday(settings), history=HistoryWatch(settings.timezone, dagster),
        keys_file=keys_file, key_use=key_use, allowed_hosts=settings.allowed_hosts,
    )


def key_policy(settings: TwinSettings) -> str:
    """How the served API treats the key, as `twin api` announces it."""
    household = f", household keys from {settings.api_keys_file}" if settings.api_keys_file else ""
    if settings.api_key is None and not household:
        return "no key (loopback only)"
    if settings.api_auth == "warn":
        return f"key checked{household}, requests without it let through and logged (TWIN_API_AUTH=warn)"
    return f"key required in X-API-KEY or as a bearer token{household}"


def serve(settings: TwinSettings, host: str, port: int) -> None:
    """Build the API and serve it until interrupted, announcing where and how."""
    # uvicorn configures only its own loggers; the security warnings of warn mode need a handler.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every request, with the key's name (never the key): who read what, for the audit.
    logging.getLogger("twin_pipeline.api.access").setLevel(logging.INFO)
    app = app_from_settings(settings)
    if (borrowed := settings.api_login_fallback()) is not None:
        print(f"warning: {borrowed}", flush=True)
    print(f"twin API on http://{host}:{port} ({key_policy(settings)}); docs at /docs", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
