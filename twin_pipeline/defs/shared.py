"""What every twin asset shares: the settings, the daily partitions and the days of a run."""

from __future__ import annotations

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

    def today(self) -> date:
        return datetime.now(ZoneInfo(self.timezone)).date()


def run_days(context: AssetExecutionContext) -> list[date]:
    """The days of this run: one partition or a whole backfill range."""
    return [date.fromisoformat(key) for key in context.partition_keys]
