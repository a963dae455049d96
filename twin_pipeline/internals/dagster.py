"""Dagster's private APIs the twin relies on, in this one file, so a Dagster upgrade breaks here
and nowhere else. Each has a measured reason and falls back to Dagster's public behaviour
(correct, only slower) when the internal is gone; test_internals.py and test_instance.py run
both paths.

* add_partition_metadata: each day's metadata on its own partition in a range run, through
  the step's private metadata accumulator (`_step_execution_context._metadata_accumulator`).
  The public `context.add_asset_metadata(metadata, partition_key=day)` per day costs the
  square of the range in Dagster 1.13: every call rebuilds the immutable accumulator and
  re-checks every entry in it (3,653 days: about 3 s an asset; bench/backfill.py). This
  builds it once, with the same handles and merge. Fallback: the public per-day calls, and
  a warning in the run's log.
* tune_storage, on dagster-postgres' storage (`_run_storage`, `_event_log_storage`,
  `_schedule_storage` and their `_engine`):
  - a small connection pool instead of stock NullPool outside the webserver, where every
    event of a run opens a connection (about half of the ~20 ms an event costs;
    bench/backfill.py). Fallback: the stock engines;
  - TwinEventLogStorage: a range run's "materialization planned" events (one per asset and
    partition, stored one by one by stock storage) in one INSERT, and an asset check's
    planned event serialized once rather than once per partition (a ten-year backfill plans
    3,650 partitions for each of the 13 checks). It uses the event log's private tables and
    methods. Fallback: the stock PostgresEventLogStorage.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster import DagsterEventType, EventLogEntry, serialize_value
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.utils import create_pg_engine

log = logging.getLogger(__name__)

try:
    from dagster._core.execution.context.metadata_logging import AssetMetadataHandle, OutputMetadataAccumulator
except ImportError:  # moved in a later Dagster: the public per-day calls
    AssetMetadataHandle = OutputMetadataAccumulator = None

try:
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
except ImportError:  # moved in a later Dagster: the stock event log storage
    AssetCheckExecutionRecordStatus = AssetCheckExecutionsTable = SqlEventLogStorageTable = None

# What TwinEventLogStorage calls or overrides on the stock storage.
EVENT_LOG_INTERNALS = ("_connect", "_store_asset_event", "_event_insert_timestamp",
                       "_store_asset_check_evaluation_planned", "prepare_insert_event_batch")
STORAGE_PARTS = ("_run_storage", "_event_log_storage", "_schedule_storage")


def add_partition_metadata(context: dg.AssetExecutionContext, per_partition: Mapping[str, Mapping[str, Any]]) -> None:
    """Each partition's own metadata on its own partition of this run's asset (the partitions
    are the run's: the caller checks)."""
    step = getattr(context, "_step_execution_context", None)
    accumulator = getattr(step, "_metadata_accumulator", None)
    if OutputMetadataAccumulator is None or not isinstance(accumulator, OutputMetadataAccumulator):
        context.log.warning("per-day metadata through Dagster's public calls (its internals changed)")
        for partition, metadata in per_partition.items():
            context.add_asset_metadata(dict(metadata), partition_key=partition)
        return
    key = context.assets_def.key
    merged = dict(accumulator.per_output_metadata)
    for partition, metadata in per_partition.items():
        handle = AssetMetadataHandle(asset_key=key, partition_key=partition)
        merged[handle] = {**merged.get(handle, {}), **metadata}
    step._metadata_accumulator = OutputMetadataAccumulator(per_output_metadata=merged)


class TwinEventLogStorage(PostgresEventLogStorage):
    """PostgresEventLogStorage that also writes a run's planned-materialization events in one go."""

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        planned = DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        if any(event.dagster_event_type not in (planned, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)
               for event in events):
            return super().store_event_batch(events)
        # A run's planned events: the asset checks' (one per check) one by one, as stock
        # storage does; the materializations' (one per asset and partition) in one INSERT.
        for event in events:
            if event.dagster_event_type != planned:
                self.store_event(event)
        events = [event for event in events if event.dagster_event_type == planned]
        if len(events) < 2:
            return None if not events else self.store_event(events[0])
        with self._connect() as conn:
            result = conn.execute(self.prepare_insert_event_batch(events).returning(SqlEventLogStorageTable.c.id))
            event_ids = [row[0] for row in result.fetchall()]
        # What store_event would do per event, once per asset: the asset row keeps only the
        # latest planned event (its last_run_id and timestamp).
        latest = {event.dagster_event.asset_key: (event, event_id) for event, event_id in zip(events, event_ids)}
        with self.index_transaction() as conn:
            for event, event_id in latest.values():
                self._store_asset_event(conn, event, event_id)

    def _store_asset_check_evaluation_planned(self, event: EventLogEntry, event_id: int | None) -> None:
        """As stock storage does (a PLANNED row per partition of the run for each check), but
        serializing the event once instead of once per partition."""
        planned = event.dagster_event.event_specific_data
        keys = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        shared = {
            "asset_key": planned.asset_key.to_string(),
            "check_name": planned.check_name,
            "run_id": event.run_id,
            "execution_status": AssetCheckExecutionRecordStatus.PLANNED.value,
            "evaluation_event": serialize_value(event),
            "evaluation_event_timestamp": self._event_insert_timestamp(event),
            "evaluation_event_storage_id": event_id,
        }
        with self.index_connection() as conn:
            conn.execute(AssetCheckExecutionsTable.insert().values([{**shared, "partition": key} for key in keys]))


def batched_events_available() -> bool:
    """Dagster still has what TwinEventLogStorage uses."""
    return SqlEventLogStorageTable is not None and all(
        hasattr(PostgresEventLogStorage, name) for name in EVENT_LOG_INTERNALS
    )


def tune_storage(storage: Any, postgres_url: str, pool_size: int) -> None:
    """On a freshly built DagsterPostgresStorage: the batched event log, and pooled engines.
    Either step is skipped, with a warning, when Dagster's internals it needs are gone."""
    parts = [getattr(storage, name, None) for name in STORAGE_PARTS]
    if any(part is None or not hasattr(part, "_engine") for part in parts):
        log.warning("Dagster's storage internals changed: stock dagster-postgres storage (a connection per event)")
        return
    if batched_events_available():
        storage._event_log_storage._engine.dispose()
        storage._event_log_storage = TwinEventLogStorage(postgres_url, storage.should_autocreate_tables)
    else:
        log.warning("Dagster's event log internals changed: a range run's planned events stored one by one")
    for name in STORAGE_PARTS:
        part = getattr(storage, name)
        part._engine.dispose()
        # The webserver replaces this engine again through optimize_for_webserver().
        part._engine = create_pg_engine(
            postgres_url, isolation_level="AUTOCOMMIT", pool_size=pool_size, max_overflow=8,
            pool_recycle=3600, pool_pre_ping=True,
        )
