"""source_change_sensor: restate exactly the days a source change made stale.

Detection is sources/changes.py (no Dagster). Each stretch of consecutive stale days
becomes one run; the run key is the change itself, so the same change never launches two
runs, and a change that lands while a run is in progress makes a new key.
"""


import hashlib
import json
from datetime import datetime, timedelta, timezone

import dagster as dg

from twin_pipeline.core.changes import contiguous_ranges
from twin_pipeline.settings import TwinSettings, current_settings
from twin_pipeline.sources import SOURCES
from twin_pipeline.sources.changes import Detection, detect_changes


def run_requests(found: Detection) -> list[dg.RunRequest]:
    """One run per stretch of consecutive stale days, keyed by the change that caused it."""
    requests = []
    all_days = set().union(*found.stale.values()) if found.stale else set()
    for first, last in contiguous_ranges(all_days):
        tables = sorted(name for name, days in found.stale.items() if any(first <= d <= last for d in days))
        change = json.dumps({name: found.triggers[name] for name in tables}, sort_keys=True)
        key = hashlib.sha256(f"{first}:{last}:{change}".encode()).hexdigest()[:32]
        requests.append(
            dg.RunRequest(
                run_key=f"source-change-{key}",
                tags={
                    "dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat(),
                    "twin/trigger": "sensor",
                    "twin/changed_sources": ",".join(tables),
                    "twin/stale_days": f"{first.isoformat()}..{last.isoformat()}",
                },
            )
        )
    return requests


def build_source_change_sensor(settings: TwinSettings) -> dg.SensorDefinition:
    @dg.sensor(
        job_name="twin_daily_job",
        minimum_interval_seconds=settings.sensor_interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        required_resource_keys={*(f"{name}_db" for name in SOURCES), "twin_store", "twin_config"},
        description=(
            "Watches the source databases (read-only, no triggers) and, when rows change "
            "(inserted, updated or deleted, today or in the past), restates in one run exactly the "
            "days whose state depends on them. Skips with a reason when nothing changed or a "
            "database is unreachable."
        ),
    )
    def source_change_sensor(context: dg.SensorEvaluationContext, **_passed) -> dg.SensorResult:
        # The resources (a database per source, the store, the rules) are read from the
        # context; a direct call (tests, benchmarks) also passes them as keywords: ignored.
        resources = context.resources
        state = json.loads(context.cursor) if context.cursor else {}
        now = datetime.now(timezone.utc)
        last_full = state.get("full_check_at")
        full_check = last_full is None or now - datetime.fromisoformat(last_full) >= timedelta(
            minutes=settings.sensor_full_check_minutes
        )
        found = detect_changes(
            {name: getattr(resources, f"{name}_db") for name in SOURCES},
            resources.twin_store,
            resources.twin_config.settings(),
            settings.start_date,
            state.get("counters", {}),
            full_check,
        )
        cursor = json.dumps(
            {
                "counters": {**state.get("counters", {}), **found.counters},
                "full_check_at": now.isoformat() if full_check and not found.unreachable else last_full,
            },
            sort_keys=True,
        )
        for reason in found.unreachable:
            context.log.warning(f"{reason}; its changes will be picked up when it is back")
        requests = run_requests(found)
        if requests:
            for request in requests:
                context.log.info(
                    f"{request.tags['twin/changed_sources']} changed: restating {request.tags['twin/stale_days']}"
                )
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        if found.unreachable:
            reason = "; ".join(found.unreachable)
        elif found.checked:
            reason = f"no change the twin depends on in {', '.join(sorted(found.checked))}"
        else:
            reason = "no source table changed since the last check"
        return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=cursor)

    return source_change_sensor


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(sensors=[build_source_change_sensor(current_settings())])
