"""The whole Definitions load (the dg layout), the lineage is right, and the 06:00 schedule
asks for the right day; partitions and schedules follow the settings they are built from."""

import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import AssetKey, DagsterInstance, build_schedule_context

from twin_pipeline.definitions import defs
from twin_pipeline.defs.partitions import daily_partitions
from twin_pipeline.defs.schedules import build_daily_schedule
from twin_pipeline_tests.conftest import daily_assets, settings_for_tests

WARSAW = ZoneInfo("Europe/Warsaw")
ROOT = Path(__file__).resolve().parents[1]


def test_definitions_load_with_the_lineage_sources_twin_state_summary():
    loaded = defs()
    graph = loaded.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    # notable sits between the day's state and its text: the status text's ⚠️ line is read from it.
    assert keys == {"finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "notable",
                    "daily_summary", "goals", "home", "person"}
    assert graph.get(AssetKey("twin_state")).parent_keys == {
        AssetKey("finance"), AssetKey("training"), AssetKey("pantry"), AssetKey("biometrics")}
    assert graph.get(AssetKey("forecast_review")).parent_keys == {AssetKey("twin_state")}
    assert graph.get(AssetKey("notable")).parent_keys == {AssetKey("twin_state")}
    assert graph.get(AssetKey("daily_summary")).parent_keys == {
        AssetKey("twin_state"), AssetKey("forecast_review"), AssetKey("notable")}
    assert graph.get(AssetKey("person")).parent_keys == {AssetKey("twin_state"), AssetKey("goals"), AssetKey("home")}
    daily = {key.to_user_string() for key in loaded.resolve_job_def("twin_daily_job").asset_layer.executable_asset_keys}
    assert daily == {"finance", "training", "pantry", "biometrics", "twin_state", "forecast_review", "notable",
                     "daily_summary"}
    assert loaded.resolve_schedule_def("daily_twin_schedule").default_status.value == "RUNNING"
    assert loaded.resolve_sensor_def("source_change_sensor").default_status.value == "RUNNING"


def test_dg_check_defs_passes_from_the_repository_root():
    dg = Path(sys.executable).with_name("dg")
    done = subprocess.run([str(dg), "check", "defs"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "superseded" not in (done.stdout + done.stderr).lower()


def test_every_asset_shares_the_daily_partitions_and_runs_ranges_in_one_run():
    partitions = daily_partitions(settings_for_tests())
    for assets_def in daily_assets():
        assert assets_def.partitions_def == partitions
        assert assets_def.backfill_policy.max_partitions_per_run is None  # single run for any range
        spec = next(iter(assets_def.specs))
        assert spec.description and spec.group_name and spec.kinds


def test_partitions_are_days_in_the_settings_zone_including_today():
    partitions = daily_partitions(settings_for_tests())
    assert partitions.timezone == "Europe/Warsaw"
    today = datetime.now(WARSAW).date().isoformat()
    assert partitions.get_last_partition_key() == today
    assert partitions.get_first_partition_key() == "2020-01-01"
    other = daily_partitions(settings_for_tests(TWIN_TIMEZONE="America/New_York", TWIN_START_DATE="2024-02-29"))
    assert other.timezone == "America/New_York" and other.get_first_partition_key() == "2024-02-29"


def test_the_0600_warsaw_tick_requests_the_day_that_just_ended():
    schedule = build_daily_schedule(settings_for_tests())
    assert schedule.cron_schedule == "0 6 * * *"
    assert schedule.execution_timezone == "Europe/Warsaw"
    # The morning after the spring DST change: 06:00 CEST is 04:00 UTC.
    tick = datetime(2026, 3, 30, 6, 0, tzinfo=WARSAW)
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=tick, repository_def=defs().get_repository_def()
        )
        request = schedule.evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2026-03-29"


def test_the_schedule_ticks_at_0600_local_time_across_dst():
    schedule = build_daily_schedule(settings_for_tests())
    from dagster._utils.schedules import cron_string_iterator

    start = datetime(2026, 3, 28, 12, 0, tzinfo=WARSAW).timestamp()
    iterator = cron_string_iterator(start, schedule.cron_schedule, schedule.execution_timezone)
    local = [next(iterator).astimezone(WARSAW) for _ in range(3)]
    assert [(t.day, t.hour) for t in local] == [(29, 6), (30, 6), (31, 6)]
    assert [t.utcoffset().total_seconds() / 3600 for t in local] == [2, 2, 2]
    new_york = build_daily_schedule(settings_for_tests(TWIN_TIMEZONE="America/New_York"))
    assert new_york.execution_timezone == "America/New_York"


def test_dg_launch_runs_one_day_and_a_range_from_the_repository_root(sources, pg_server, tmp_path):
    import os
    import shutil

    from twin_pipeline.paths import DAGSTER_YAML
    from twin_pipeline_tests.conftest import count_state_rows

    pg_server.ensure_databases(["definitions_dagster"])
    shutil.copyfile(DAGSTER_YAML, tmp_path / "dagster.yaml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWIN_", "DAGSTER_"))}
    env.update(
        DAGSTER_HOME=str(tmp_path), TWIN_HOME=sources.twin_home, DAGSTER_PG_URL=pg_server.url("definitions_dagster"),
        FINANCE_DATABASE_URL=sources.finance_url, TRAINING_DATABASE_URL=sources.training_url,
        PANTRY_DATABASE_URL=sources.pantry_url,
    )
    dg = str(Path(sys.executable).with_name("dg"))
    for selection in (["--partition", "2025-06-03"], ["--partition-range", "2025-06-01...2025-06-02"]):
        done = subprocess.run([dg, "launch", "--job", "twin_daily_job", *selection], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # Three days, three entities each: every day of both launches reached the store.
    assert count_state_rows(sources) == 9
    listed = subprocess.run([dg, "list", "defs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert listed.returncode == 0 and "daily_summary" in listed.stdout and "source_change_sensor" in listed.stdout
