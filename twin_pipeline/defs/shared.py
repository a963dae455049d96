"""What every twin asset shares: the settings, the daily partitions and the days of a run."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from zoneinfo import ZoneInfo

from dagster import AssetExecutionContext, ConfigurableResource, DailyPartitionsDefinition
from pydantic import Field

from twin_pipeline.settings import TwinSettings

SETTINGS = TwinSettings.from_env()

# end_offset=1: today's (still open) day is a partition too, so the sensor and
# `twin snapshot` can refresh it during the day.
daily_partitions = DailyPartitionsDefinition(
    start_date=SETTINGS.start_date.isoformat(),
    timezone=SETTINGS.timezone,
    end_offset=1,
)


class TwinConfig(ConfigurableResource):
    """Rules and identity of the twin that are not database URLs."""

    timezone: str = Field(default="Europe/Warsaw", description="IANA zone of the person's days")
    currency: str = Field(default="PLN", description="Primary currency of the finance section")
    expiry_window_days: int = Field(default=3, description="Pantry 'expiring soon' horizon")
    weekly_workout_target: int = Field(default=3, description="Workouts a week the summary counts against")
    person_id: str | None = Field(default=None, description="TWIN_PERSON_ID; unset = the single person in the store")
    freshness_days: int = Field(default=7, description="A source whose newest record is older warns")
    goals_dir: str | None = Field(default=None, description="TWIN_GOALS_DIR: the goal markdown files")
    home_states: str | None = Field(default=None, description="TWIN_HOME_STATES: Home Assistant states file or URL")
    home_states_token: str | None = Field(default=None, description="TWIN_HOME_STATES_TOKEN for a Home Assistant URL")

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


def run_days(context: AssetExecutionContext) -> list[date]:
    """The days of this run: one partition or a whole backfill range."""
    return [date.fromisoformat(key) for key in context.partition_keys]


def with_day_details(days: list[date], counts: dict, details: dict) -> dict:
    """Run metadata: counts always, one day's details (its figures, its text) only on a
    single-day run. Dagster copies a range run's metadata onto every partition of the
    range, where one day's figures would be wrong for all the others (and 3,650 copies
    of a JSON preview would cost more than the backfill itself)."""
    return {**counts, **details} if len(days) == 1 else counts


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while the core turns rows into documents.

    The core allocates tens of thousands of short-lived, acyclic objects (Decimals,
    dataclasses); inside a Dagster run, whose heap is large, each automatic collection
    walks that heap, and a year's finance took 110 ms instead of 25 ms. Reference
    counting still frees everything; collection resumes (and runs) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
