"""The 06:00 schedule: each morning, materialize the day that just ended."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from twin_pipeline.defs.shared import SETTINGS, daily_partitions

twin_daily_job = define_asset_job(
    "twin_daily_job",
    selection=AssetSelection.groups("sources", "twin", "outputs"),
    partitions_def=daily_partitions,
    description="Sources -> twin_state -> daily_summary for the selected day(s).",
)


@schedule(
    job=twin_daily_job,
    cron_schedule="0 6 * * *",
    execution_timezone=SETTINGS.timezone,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every day at 06:00 in TWIN_TIMEZONE: the twin and summary of the day that just ended.",
)
def daily_twin_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    # The partitions include today's open day, so the "last partition" would be today;
    # the morning run is for yesterday, which is now complete.
    tick = context.scheduled_execution_time.astimezone(ZoneInfo(daily_partitions.timezone))
    day = (tick.date() - timedelta(days=1)).isoformat()
    return RunRequest(run_key=f"daily-{day}", partition_key=day, tags={"twin/trigger": "schedule"})
