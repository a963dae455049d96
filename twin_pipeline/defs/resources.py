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
from twin_pipeline.sources.spec import Rules


class PostgresDatabase(dg.ConfigurableResource):
    """A PostgreSQL database of the twin: a source it only reads, or the twin store."""

    role: str = Field(description="a source's name, or twin")
    url: str | None = Field(default=None, description="SQLAlchemy/libpq URL; unset means the embedded server")
    twin_home: str = Field(description="Data directory of the embedded server (TWIN_HOME)")
    read_only: bool = Field(default=True, description="Open every transaction READ ONLY")
    connect_timeout_s: int = Field(default=5, description="Give up connecting after this long")
    statement_timeout_ms: int = Field(default=120_000, description="Cancel a query after this long")
    retries: int = Field(default=2, description="Retries of a failed connection before giving up")
    retry_backoff_s: float = Field(default=0.5, description="First wait between retries (doubles)")
    configured: bool = Field(default=True, description="False: an optional source whose URL is not set")

    def database(self) -> Database:
        return Database(**self.model_dump())

    def engine(self):
        return self.database().engine()

    @property
    def location(self) -> str:
        return self.database().location


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

    def rules(self) -> Rules:
        return Rules(self.timezone, self.currency, self.expiry_window_days, self.weekly_workout_target,
                     self.freshness_days)

    def today(self) -> date:
        return self.rules().today()


def database_resource(settings: TwinSettings, role: str) -> PostgresDatabase:
    """A source's or the store's resource; a configured URL stays an EnvVar reference."""
    database = Database.for_role(settings, role)
    variable = settings.twin_url_variable if role == "twin" else SOURCES[role].url_variable
    return PostgresDatabase(**{**database.__dict__, "url": dg.EnvVar(variable) if database.url else None})


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
