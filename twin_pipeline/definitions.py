"""Assembles the twin's Dagster definitions; the logic lives in defs/ and core/."""

from __future__ import annotations

from dagster import Definitions, EnvVar, in_process_executor

from twin_pipeline.defs.daily_note import build_daily_note
from twin_pipeline.defs.daily_summary import daily_summary
from twin_pipeline.defs.entities import ENTITY_ASSETS, entities_schedule, twin_entities_job
from twin_pipeline.defs.schedules import daily_twin_schedule, twin_daily_job
from twin_pipeline.defs.sensors import source_change_sensor
from twin_pipeline.defs.shared import SETTINGS, TwinConfig
from twin_pipeline.defs.sources import finance, pantry, training
from twin_pipeline.defs.twin_state import twin_state
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.settings import URL_VARIABLES, TwinSettings


def build_resources(settings: TwinSettings) -> dict:
    """Resources from the settings; URLs stay EnvVar references so the UI never shows them."""

    def database(role: str, configured: str | None, variable: str | None, read_only: bool = True):
        return PostgresDatabase(
            role=role,
            url=EnvVar(variable) if configured and variable else None,
            twin_home=str(settings.twin_home),
            read_only=read_only,
            connect_timeout_s=settings.connect_timeout_seconds,
            statement_timeout_ms=settings.statement_timeout_ms,
            retries=settings.source_retries,
        )

    return {
        "finance_db": database("finance", settings.finance_url, URL_VARIABLES["finance"]),
        "training_db": database("training", settings.training_url, URL_VARIABLES["training"]),
        "pantry_db": database("pantry", settings.pantry_url, URL_VARIABLES["pantry"]),
        "twin_store": database("twin", settings.twin_url, settings.twin_url_variable, read_only=False),
        "twin_config": TwinConfig(
            timezone=settings.timezone,
            currency=settings.currency,
            expiry_window_days=settings.expiry_window_days,
            weekly_workout_target=settings.weekly_workout_target,
            freshness_days=settings.freshness_days,
            goals_dir=str(settings.goals_dir) if settings.goals_dir else None,
            home_states=settings.home_states,
            home_states_token=EnvVar("TWIN_HOME_STATES_TOKEN") if settings.home_states_token else None,
            person_id=EnvVar("TWIN_PERSON_ID") if settings.person_id else None,
        ),
    }


TWIN_ASSETS = [finance, training, pantry, twin_state, daily_summary]
# The Obsidian note is an output only where there is a vault to write to.
OPTIONAL_ASSETS = [build_daily_note(SETTINGS.notes_dir)] if SETTINGS.notes_dir else []

defs = Definitions(
    assets=[*TWIN_ASSETS, *OPTIONAL_ASSETS, *ENTITY_ASSETS],
    jobs=[twin_daily_job, twin_entities_job],
    schedules=[daily_twin_schedule, entities_schedule],
    sensors=[source_change_sensor],
    resources=build_resources(SETTINGS),
    # Every run (schedule, UI, backfill) is five SQL-bound steps in a chain: nothing to
    # parallelise, and a process per step costs more than the work (bench/backfill.py).
    executor=in_process_executor,
)
