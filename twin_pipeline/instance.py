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

The pool and the batching reach into Dagster's private storage internals: they live in
internals/dagster.py, with their fallback (stock storage) should Dagster change.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from dagster import Field, StringSource
from dagster_postgres.storage import DagsterPostgresStorage

from twin_pipeline.embedded import resolve_urls
from twin_pipeline.internals.dagster import TwinEventLogStorage, tune_storage
from twin_pipeline.settings import TwinSettings
from twin_pipeline.urls import normalise_url

__all__ = ["TwinEventLogStorage", "TwinPostgresStorage"]

EVENT_BATCH_SIZE = "1000"


class TwinPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage with the twin's URL resolution, pooling and batched events."""

    def __init__(self, postgres_url: str, *args: Any, pool_size: int = 2, **kwargs: Any):
        # Dagster reads this switch at every event; setdefault leaves an explicit choice alone.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", EVENT_BATCH_SIZE)
        super().__init__(postgres_url, *args, **kwargs)
        tune_storage(self, postgres_url, pool_size)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "postgres_url": Field(StringSource, is_required=False),
            "should_autocreate_tables": Field(bool, is_required=False, default_value=True),
            "pool_size": Field(int, is_required=False, default_value=2),
        }

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> TwinPostgresStorage:
        settings = TwinSettings.from_env()
        # A service given only DAGSTER_PG_URL (webserver, daemon) must not start the embedded server.
        url = config_value.get("postgres_url") or settings.dagster_url or resolve_urls(settings).dagster
        return cls(
            normalise_url(url),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
            pool_size=config_value.get("pool_size", 2),
        )
