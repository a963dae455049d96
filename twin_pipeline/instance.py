"""Dagster's own run/event/schedule storage in PostgreSQL, configured by dagster.yaml.

A thin subclass of dagster-postgres' storage that does three things:

* the URL comes from DAGSTER_PG_URL when set, otherwise from the embedded server, and is
  normalised to psycopg2 either way;
* its engines keep a small connection pool. Stock dagster-postgres uses NullPool outside
  the webserver, so every event of a run opens a new connection (about half of the
  ~20 ms each event costs; see bench/backfill.py);
* a range run writes its per-partition events in batches: materializations through
  DAGSTER_EVENT_BATCH_SIZE (Dagster's own switch, defaulted here to 1000), and the
  "materialization planned" events Dagster logs when it creates the run (one per asset
  and partition, stored one by one by stock dagster-postgres) through
  TwinEventLogStorage.store_event_batch. Every event is still stored; only the round
  trips go.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any


from dagster import DagsterEventType, Field, StringSource
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._serdes import ConfigurableClassData, serialize_value
from dagster_postgres.event_log import PostgresEventLogStorage
from dagster_postgres.storage import DagsterPostgresStorage
from dagster_postgres.utils import create_pg_engine

from twin_pipeline.embedded import resolve_urls
from twin_pipeline.settings import TwinSettings
from twin_pipeline.urls import normalise_url

EVENT_BATCH_SIZE = "1000"


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
        serializing the event once instead of once per partition: a ten-year backfill has
        3,650 partitions for each of the 13 checks."""
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


class TwinPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage with the twin's URL resolution, pooling and batched events."""

    def __init__(self, postgres_url: str, *args: Any, pool_size: int = 2, **kwargs: Any):
        # Dagster reads this switch at every event; setdefault leaves an explicit choice alone.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
        super().__init__(postgres_url, *args, **kwargs)
        self._event_log_storage._engine.dispose()
        self._event_log_storage = TwinEventLogStorage(postgres_url, self.should_autocreate_tables)
        for storage in (self._run_storage, self._event_log_storage, self._schedule_storage):
            storage._engine.dispose()
            # The webserver replaces this engine again through optimize_for_webserver().
            storage._engine = create_pg_engine(
                postgres_url,
                isolation_level="AUTOCOMMIT",
                pool_size=pool_size,
                max_overflow=8,
                pool_recycle=3600,
                pool_pre_ping=True,
            )

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "postgres_url": Field(StringSource, is_required=False),
            "should_autocreate_tables": Field(bool, is_required=False, default_value=True),
            "pool_size": Field(int, is_required=False, default_value=2),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> TwinPostgresStorage:
        url = config_value.get("postgres_url") or resolve_urls(TwinSettings.from_env()).dagster
        return cls(
            normalise_url(url),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
            pool_size=config_value.get("pool_size", 2),
        )
