"""Dagster from the CLI: jobs run in this process (`twin snapshot`, `twin backfill`, `twin up`'s runs)
on the instance dagster.yaml configures, so every run shows in the UI like a scheduled one; and
`twin up`'s UI and daemon (`dg dev`) on that same instance."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, EventLogEntry, JobDefinition

from twin_pipeline.database import Database
from twin_pipeline.definitions import defs
from twin_pipeline.preflight import require_current_store
from twin_pipeline.dagster_home import prepare_dagster_home
from twin_pipeline.paths import WORKSPACE_YAML
from twin_pipeline.serve.ghosts import holding_run_lock, in_process_tags
from twin_pipeline.serve.supervise import run_supervised
from twin_pipeline.settings import ConfigurationError, TwinSettings

Say = Callable[[str], None]


def materialize_days(settings: TwinSettings, start: date, end: date, trigger: str, say: Say | None = None) -> bool:
    """Materialize sources -> twin_state -> daily_summary for start..end in one run; with
    `say`, a progress line per step as it finishes. Failed steps are always said (`say` or print)."""
    prepare_dagster_home(settings)  # before defs(): it builds once per process, from this environment
    first, today = settings.start_date, settings.today()
    if start > end:
        raise ConfigurationError(f"--start {start} is after --end {end}")
    if start < first:
        raise ConfigurationError(
            f"{start} is before the first partition ({first}); set TWIN_START_DATE earlier"
        )
    if end > today:
        raise ConfigurationError(
            f"{end} is in the future: the last day is today, {today} in {settings.timezone}"
        )
    require_current_store(Database.for_role(settings, "twin"))
    job = defs().resolve_job_def("twin_daily_job")
    tags = {
        "dagster/asset_partition_range_start": start.isoformat(),
        "dagster/asset_partition_range_end": end.isoformat(),
        "twin/trigger": trigger,
    }
    progress = None if say is None else _step_progress(job, (end - start).days + 1, say)
    return _execute(settings, job, tags, progress)


def materialize_entities(settings: TwinSettings) -> bool:
    """Materialize goals, home and person in-process (recorded in Dagster's storage)."""
    prepare_dagster_home(settings)
    return _execute(settings, defs().resolve_job_def("twin_entities_job"), {"twin/trigger": "twin-up"})


def serve_dagster(settings: TwinSettings, host: str, port: int) -> int:
    """Dagster's UI and daemon on the same instance, until interrupted; the server's exit code."""
    home = prepare_dagster_home(settings)
    # `dg dev` (Dagster's own dev server since 1.13) with the package's workspace file, so it
    # runs the same from a checkout and from an installed wheel, as the location twin_pipeline.
    command = [str(Path(sys.executable).with_name("dg")), "dev", "-w", str(WORKSPACE_YAML), "-h", host, "-p", str(port)]
    # cwd = DAGSTER_HOME, so Dagster reads its dagster.yaml there and nowhere else. Supervised:
    # SIGTERM, SIGINT or SIGHUP stops the whole tree (webserver, daemon, code server, runs).
    return run_supervised(command, cwd=home)


def _step_progress(job: JobDefinition, days: int, say: Say) -> Callable[[EventLogEntry], None]:
    """An event listener saying `[k/n] step  N day(s) done in S s` as each step ends."""
    steps = len(job.asset_layer.executable_asset_keys)
    began: dict[str, float] = {}

    def report(event: EventLogEntry) -> None:
        dagster_event = event.get_dagster_event() if event.is_dagster_event else None
        if dagster_event is None or dagster_event.step_key is None:
            return
        step = dagster_event.step_key
        if dagster_event.event_type == DagsterEventType.STEP_START:
            began[step] = event.timestamp
        elif dagster_event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            outcome = "done" if dagster_event.event_type == DagsterEventType.STEP_SUCCESS else "FAILED"
            say(
                f"  [{len(began)}/{steps}] {step:<14} {days} day(s) "
                f"{outcome} in {event.timestamp - began.get(step, event.timestamp):.2f} s"
            )

    return report


def _execute(
    settings: TwinSettings, job: JobDefinition, tags: dict, listener: Callable[[EventLogEntry], None] | None = None
) -> bool:
    """Run a job in this process on the configured instance; say which steps failed and why."""
    # The run id is chosen here so the listener is registered before the run's first event.
    run_id = str(uuid.uuid4())
    # Named, and its lock held, for the ghost-run check: if this process dies, the next `twin`
    # command or the daemon's sweep fails the run.
    tags = {**tags, **in_process_tags()}
    with holding_run_lock(Database.for_role(settings, "dagster"), run_id), DagsterInstance.get() as instance:
        if listener is not None:
            instance.add_event_listener(run_id, listener)
        result = job.execute_in_process(
            instance=instance,
            tags=tags,
            run_id=run_id,
            # Dagster's step-by-step DEBUG log stays in the run's log in the UI, not on stdout.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            raise_on_error=False,
        )
    for event in result.all_events:
        if event.is_step_failure:
            print(f"step {event.step_key} failed: {event.step_failure_data.error.message.strip()}", flush=True)
    return result.success
