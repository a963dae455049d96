"""Dagster's own storage as dagster.yaml configures it: pooled, batched, and still complete."""

import logging
from types import SimpleNamespace

import pytest
from dagster import AssetKey, DagsterEventType, materialize
from dagster._core.test_utils import instance_for_test
from dagster_postgres.event_log import PostgresEventLogStorage

from twin_pipeline.instance import TwinEventLogStorage, TwinPostgresStorage
from twin_pipeline.defs.resources import TwinStore
from twin_pipeline.internals import dagster as dagster_internals
from twin_pipeline_tests.conftest import daily_assets

DAYS = ("2025-04-01", "2025-04-03")
RANGE_TAGS = {"dagster/asset_partition_range_start": DAYS[0], "dagster/asset_partition_range_end": DAYS[1]}


@pytest.fixture(scope="module")
def instance(pg_server):
    pg_server.ensure_databases(["instance_dagster"])
    url = pg_server.url("instance_dagster").replace("postgresql+psycopg2://", "postgresql://")
    storage = {"custom": {"module": "twin_pipeline.instance", "class": "TwinPostgresStorage",
                          "config": {"postgres_url": url}}}
    with instance_for_test(overrides={"storage": storage}) as instance:
        yield instance


def test_dagster_yaml_storage_is_the_tuned_postgres_storage(instance):
    assert instance.get_ref().storage_data.class_name == TwinPostgresStorage.__name__
    assert isinstance(instance.event_log_storage, TwinEventLogStorage)
    for engine in (instance.event_log_storage._engine, instance.run_storage._engine):
        assert engine.url.drivername == "postgresql+psycopg2"  # a bare postgresql:// was given
        assert type(engine.pool).__name__ == "QueuePool"


def test_a_range_run_still_records_every_partition(instance, sources):
    result = materialize(daily_assets(), resources=sources.resources(), instance=instance, tags=RANGE_TAGS)
    assert result.success
    for event_type in (DagsterEventType.ASSET_MATERIALIZATION_PLANNED, DagsterEventType.ASSET_MATERIALIZATION):
        records = instance.get_records_for_run(result.run_id, of_type=event_type).records
        partitions = sorted(
            r.partition_key for r in records if r.event_log_entry.dagster_event.asset_key == AssetKey("twin_state")
        )
        assert partitions == ["2025-04-01", "2025-04-02", "2025-04-03"], event_type
    assert instance.get_latest_materialization_event(AssetKey("daily_summary")).run_id == result.run_id


def test_partitions_of_a_failed_range_run_are_marked_failed(instance, sources, pg_server):
    pg_server.ensure_databases(["instance_unmigrated_store"])
    broken_store = TwinStore(url=pg_server.url("instance_unmigrated_store"), twin_home=sources.twin_home)
    tags = {"dagster/asset_partition_range_start": "2025-05-01", "dagster/asset_partition_range_end": "2025-05-02"}
    result = materialize(
        daily_assets(), resources={**sources.resources(), "twin_store": broken_store}, instance=instance,
        tags=tags, raise_on_error=False,
    )
    assert not result.success
    failed = instance.event_log_storage.get_latest_asset_partition_materialization_attempts_without_materializations(
        AssetKey("twin_state")
    )
    assert {"2025-05-01", "2025-05-02"} <= set(failed)


def test_planned_checks_are_recorded_for_every_partition(instance, sources, pg_server):
    from sqlalchemy import create_engine, text

    tags = {"dagster/asset_partition_range_start": "2025-06-01", "dagster/asset_partition_range_end": "2025-06-04"}
    result = materialize(daily_assets(), resources=sources.resources(), instance=instance, tags=tags)
    engine = create_engine(pg_server.url("instance_dagster"))
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT check_name, count(DISTINCT partition) FROM asset_check_executions "
                 "WHERE run_id = :r AND asset_key LIKE '%training%' GROUP BY 1"), {"r": result.run_id}
        ).all()
    engine.dispose()
    assert dict(rows) == {name: 4 for name in ("source_readable", "matches_contract", "plausible_values", "fresh")}


@pytest.mark.parametrize("internal", [True, False], ids=["batched", "stock-fallback"])
def test_the_event_log_is_batched_or_stock_when_dagsters_internals_move(pg_server, monkeypatch, internal):
    pg_server.ensure_databases(["instance_dagster"])
    if not internal:  # as if a Dagster upgrade moved the event log's tables
        monkeypatch.setattr(dagster_internals, "SqlEventLogStorageTable", None)
    storage = TwinPostgresStorage(pg_server.url("instance_dagster"))
    try:
        assert type(storage.event_log_storage) is (TwinEventLogStorage if internal else PostgresEventLogStorage)
        # Pooled either way: only the batching needs the event log's internals.
        assert {type(s._engine.pool).__name__ for s in (storage.event_log_storage, storage.run_storage)} == {"QueuePool"}
    finally:
        for part in (storage.event_log_storage, storage.run_storage, storage.schedule_storage):
            part.dispose()


def test_a_storage_without_the_expected_parts_is_left_stock(caplog):
    storage = SimpleNamespace(_run_storage=None, _event_log_storage=None, _schedule_storage=None)
    with caplog.at_level(logging.WARNING, logger=dagster_internals.__name__):
        dagster_internals.tune_storage(storage, "postgresql+psycopg2://nobody@nowhere/none", 2)
    assert storage._event_log_storage is None and "stock dagster-postgres storage" in caplog.text
