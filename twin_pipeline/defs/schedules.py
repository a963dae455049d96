"""The daily job, and the 06:00 schedule: each morning, materialize the day that just ended."""


from datetime import timedelta
from zoneinfo import ZoneInfo

import dagster as dg

from twin_pipeline.defs.partitions import daily_partitions
from twin_pipeline.settings import TwinSettings, current_settings


# On every run of the job, however it starts (schedule, sensor, backfill, launchpad, a
# retry): at most 2 retries, each restating every step of the same days, so a retry reads
# the sources afresh rather than reusing half a run; and one run at a time (the queue's
# tag_concurrency_limits in dagster.yaml), so two runs of the same days never overlap.
DAILY_RUN_TAGS = {
    "dagster/max_retries": "2",
    "dagster/retry_strategy": "ALL_STEPS",
    "twin/serial": "twin_daily_job",
}


def build_daily_job(settings: TwinSettings):
    return dg.define_asset_job(
        "twin_daily_job",
        selection=dg.AssetSelection.groups("sources", "twin", "outputs"),
        partitions_def=daily_partitions(settings),
        description="Sources -> twin_state -> daily_summary for the selected day(s).",
        # As `tags`, not `run_tags`: GraphQL launches (the UI, a retry of one) copy only these.
        tags=DAILY_RUN_TAGS,
    )


def build_daily_schedule(settings: TwinSettings) -> dg.ScheduleDefinition:
    @dg.schedule(
        job_name="twin_daily_job",
        cron_schedule="0 6 * * *",
        execution_timezone=settings.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every day at 06:00 in TWIN_TIMEZONE: the twin and summary of the day that just ended.",
    )
    def daily_twin_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        # The partitions include today's open day, so the "last partition" would be today;
        # the morning run is for yesterday, which is now complete.
        tick = context.scheduled_execution_time.astimezone(ZoneInfo(settings.timezone))
        day = (tick.date() - timedelta(days=1)).isoformat()
        return dg.RunRequest(run_key=f"daily-{day}", partition_key=day, tags={"twin/trigger": "schedule"})

    return daily_twin_schedule


@dg.definitions
def defs() -> dg.Definitions:
    settings = current_settings()
    return dg.Definitions(jobs=[build_daily_job(settings)], schedules=[build_daily_schedule(settings)])
