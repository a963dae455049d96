"""The resources every asset, check and sensor uses, built from the settings; and the
executor: every run is a few SQL-bound steps in a chain, nothing to parallelise, and a
process per step costs more than the work (bench/backfill.py)."""

from __future__ import annotations

from datetime import date

import dagster as dg
from pydantic import Field

from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import SOURCES


class PostgresDatabase(dg.ConfigurableResource, Database):
    """A PostgreSQL database of the twin as a Dagster resource: a source it only reads, or the
    twin store; its fields and its way of opening the database are Database's."""


class TwinConfig(dg.ConfigurableResource):
    """The twin's rules and identity that are not database URLs; built from TwinSettings."""

    timezone: str = Field(description="TWIN_TIMEZONE: IANA zone of the person's days")
    currency: str = Field(description="TWIN_CURRENCY: primary currency of the finance section")
    expiry_window_days: int = Field(description="TWIN_EXPIRY_WINDOW_DAYS: pantry 'expiring soon' horizon")
    weekly_workout_target: int = Field(description="TWIN_WEEKLY_WORKOUT_TARGET: workouts a week")
    freshness_days: int = Field(description="TWIN_FRESHNESS_DAYS: a source whose newest record is older warns")
    person_id: str | None = Field(default=None, description="TWIN_PERSON_ID; unset = the single person in the store")
    goals_dir: str | None = Field(default=None, description="TWIN_GOALS_DIR: the goal markdown files")
    home_states: str | None = Field(default=None, description="TWIN_HOME_STATES: Home Assistant states file or URL")
    home_states_token: str | None = Field(default=None, description="TWIN_HOME_STATES_TOKEN for a Home Assistant URL")

    @classmethod
    def from_settings(cls, settings: TwinSettings, **overrides) -> TwinConfig:
        values = dict(
            timezone=settings.timezone,
            currency=settings.currency,
            expiry_window_days=settings.expiry_window_days,
            weekly_workout_target=settings.weekly_workout_target,
            freshness_days=settings.freshness_days,
            goals_dir=str(settings.goals_dir) if settings.goals_dir else None,
            home_states=settings.home_states,
            # Secrets and identity stay EnvVar references: the UI shows the variable, not the value.
            home_states_token=dg.EnvVar("TWIN_HOME_STATES_TOKEN") if settings.home_states_token else None,
            person_id=dg.EnvVar("TWIN_PERSON_ID") if settings.person_id else None,
        )
        return cls(**{**values, **overrides})

    def settings(self) -> TwinSettings:
        """These rules as the one settings object the readers and the core take."""
        return TwinSettings.from_env({
            "TWIN_TIMEZONE": self.timezone,
            "TWIN_CURRENCY": self.currency,
            "TWIN_EXPIRY_WINDOW_DAYS": str(self.expiry_window_days),
            "TWIN_WEEKLY_WORKOUT_TARGET": str(self.weekly_workout_target),
            "TWIN_FRESHNESS_DAYS": str(self.freshness_days),
        })

    def today(self) -> date:
        return self.settings().today()


def database_resource(settings: TwinSettings, role: str) -> PostgresDatabase:
    """A source's or the store's resource; a configured URL stays an EnvVar reference."""
    database = Database.for_role(settings, role)
    variable = settings.twin_url_variable if role == "twin" else SOURCES[role].url_variable
    return PostgresDatabase(**{**database.model_dump(), "url": dg.EnvVar(variable) if database.url else None})


def build_resources(settings: TwinSettings) -> dict:
    """Resources from the settings: a database per source, the store, the rules."""
    return {
        **{f"{name}_db": database_resource(settings, name) for name in SOURCES},
        "twin_store": database_resource(settings, "twin"),
        "twin_config": TwinConfig.from_settings(settings),
    }


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(resources=build_resources(current_settings()), executor=dg.in_process_executor)
