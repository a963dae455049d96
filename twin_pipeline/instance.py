"""Dagster's own run/event/schedule storage in PostgreSQL, configured by dagster.yaml.

A thin subclass of dagster-postgres' storage: the URL comes from DAGSTER_PG_URL when set,
otherwise from the embedded server, and is normalised to psycopg2 either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import Field, StringSource
from dagster._serdes import ConfigurableClassData
from dagster_postgres.storage import DagsterPostgresStorage

from twin_pipeline.embedded import resolve_urls
from twin_pipeline.settings import TwinSettings, normalise_url


class TwinPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage whose URL defaults to the twin's embedded server."""

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            "postgres_url": Field(StringSource, is_required=False),
            "should_autocreate_tables": Field(bool, is_required=False, default_value=True),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> TwinPostgresStorage:
        url = config_value.get("postgres_url") or resolve_urls(TwinSettings.from_env()).dagster
        return cls(
            postgres_url=normalise_url(url),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
        )

