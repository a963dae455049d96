"""A snapshot of the whole Dagster graph (assets, checks, jobs, schedules, sensors), so an
accidental change to the graph fails a test instead of surprising the 06:00 run.

The snapshot is of the definitions as the test environment loads them: conftest clears the
database URLs, and the variables that shape the graph (TWIN_NOTES_DIR adds the `daily_note`
asset; TWIN_START_DATE, TWIN_TIMEZONE and TWIN_SENSOR_INTERVAL_SECONDS change partitions,
schedules and the sensor) must be unset, so it is the default graph, without `daily_note`.
After a deliberate change, regenerate and commit the snapshot:

    TWIN_UPDATE_SNAPSHOTS=1 pytest twin_pipeline_tests/pure/test_asset_specs.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import pytest
from dagster import Definitions, PartitionsDefinition, TimeWindowPartitionsDefinition


def load_defs() -> Definitions:
    """The project's definitions: the one line to change when they move."""
    from twin_pipeline.definitions import defs

    return defs()


SNAPSHOT = Path(__file__).parents[1] / "snapshots" / "asset_specs.json"
UPDATE_VARIABLE = "TWIN_UPDATE_SNAPSHOTS"
GRAPH_SHAPING_VARIABLES = ("TWIN_NOTES_DIR", "TWIN_START_DATE", "TWIN_TIMEZONE", "TWIN_SENSOR_INTERVAL_SECONDS")


def describe_partitions(partitions_def: PartitionsDefinition | None) -> dict | None:
    if partitions_def is None:
        return None
    if isinstance(partitions_def, TimeWindowPartitionsDefinition):
        return {
            "type": type(partitions_def).__name__,
            "start": partitions_def.start.strftime(partitions_def.fmt),
            "end": None if partitions_def.end is None else partitions_def.end.strftime(partitions_def.fmt),
            "timezone": partitions_def.timezone,
            "cron_schedule": partitions_def.cron_schedule,
            "end_offset": partitions_def.end_offset,
            "fmt": partitions_def.fmt,
        }
    return {"type": type(partitions_def).__name__, "description": str(partitions_def)}


def graph_snapshot(defs: Definitions) -> dict:
    """Everything about the graph that a change should be deliberate for, as plain JSON data."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for assets_def in graph.assets_defs:
        policy = assets_def.backfill_policy
        checks_by_asset: dict[str, list[dict]] = {}
        for check in assets_def.check_specs:
            checks_by_asset.setdefault(check.asset_key.to_user_string(), []).append(
                {"name": check.name, "blocking": check.blocking}
            )
        for spec in assets_def.specs:
            key = spec.key.to_user_string()
            assets[key] = {
                "group": spec.group_name,
                "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps),
                "partition_mappings": {
                    dep.asset_key.to_user_string(): type(dep.partition_mapping).__name__
                    for dep in spec.deps
                    if dep.partition_mapping is not None
                },
                "partitions": describe_partitions(spec.partitions_def),
                "backfill_policy": None if policy is None else {
                    "single_run": policy.max_partitions_per_run is None,
                    "max_partitions_per_run": policy.max_partitions_per_run,
                },
                "checks": sorted(checks_by_asset.get(key, []), key=lambda c: c["name"]),
                "kinds": sorted(spec.kinds),
                "owners": sorted(spec.owners),
                "automation_condition": None if spec.automation_condition is None else spec.automation_condition.get_label(),
            }
    repository = defs.get_repository_def()
    jobs = {
        job.name: {
            "assets": sorted(key.to_user_string() for key in job.asset_layer.executable_asset_keys),
            "partitions": describe_partitions(job.partitions_def),
            "executor": job.executor_def.name,
        }
        for job in repository.get_all_jobs()
        if not job.name.startswith("__")  # Dagster's implicit asset job
    }
    schedules = {
        schedule.name: {
            "cron_schedule": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "job": schedule.job_name,
            "default_status": schedule.default_status.value,
        }
        for schedule in repository.schedule_defs
    }
    sensors = {
        sensor.name: {
            "jobs": sorted(target.job_name for target in sensor.targets),
            "minimum_interval_seconds": sensor.minimum_interval_seconds,
            "default_status": sensor.default_status.value,
        }
        for sensor in repository.sensor_defs
    }
    return {
        "assets": dict(sorted(assets.items())),
        "jobs": dict(sorted(jobs.items())),
        "schedules": dict(sorted(schedules.items())),
        "sensors": dict(sorted(sensors.items())),
    }


def as_text(snapshot: dict) -> str:
    return json.dumps(snapshot, indent=2, sort_keys=True) + "\n"


def test_the_asset_graph_matches_the_committed_snapshot():
    shaping = [name for name in GRAPH_SHAPING_VARIABLES if os.environ.get(name, "").strip()]
    if shaping:
        pytest.fail(
            f"{', '.join(shaping)} set: the snapshot is of the default graph; "
            f"run with them unset (env -u {' -u '.join(shaping)} pytest ...)",
            pytrace=False,
        )
    current = as_text(graph_snapshot(load_defs()))
    if os.environ.get(UPDATE_VARIABLE) == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(current)
        return
    assert SNAPSHOT.exists(), (
        f"no snapshot at {SNAPSHOT.name}: create it with "
        f"{UPDATE_VARIABLE}=1 pytest twin_pipeline_tests/pure/test_asset_specs.py, review it and commit it"
    )
    committed = SNAPSHOT.read_text()
    if current != committed:
        diff = "".join(difflib.unified_diff(
            committed.splitlines(keepends=True), current.splitlines(keepends=True),
            fromfile="snapshots/asset_specs.json (committed)", tofile="the graph as loaded now",
        ))
        pytest.fail(
            "the Dagster graph differs from the committed snapshot:\n"
            f"{diff}\n"
            "If the change is deliberate, regenerate and commit the snapshot: "
            f"{UPDATE_VARIABLE}=1 pytest twin_pipeline_tests/pure/test_asset_specs.py",
            pytrace=False,
        )
