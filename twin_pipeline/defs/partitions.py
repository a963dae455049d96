"""What every daily asset shares: the partitions (from the settings) and the days of a run."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, timedelta
from functools import cache
from typing import Any

import dagster as dg

from twin_pipeline.internals.dagster import add_partition_metadata
from twin_pipeline.settings import TwinSettings


@cache
def _daily(start: date, timezone: str) -> dg.DailyPartitionsDefinition:
    # end_offset=1: today's (still open) day is a partition too, so the sensor and
    # `twin snapshot` can refresh it during the day.
    return dg.DailyPartitionsDefinition(start_date=start.isoformat(), timezone=timezone, end_offset=1)


def daily_partitions(settings: TwinSettings) -> dg.DailyPartitionsDefinition:
    """One partition per day of the person, from TWIN_START_DATE to today, in TWIN_TIMEZONE."""
    return _daily(settings.start_date, settings.timezone)


def daily_asset_options(settings: TwinSettings, group_name: str) -> dict:
    """Every daily asset: the same partitions, and any range in one run."""
    return dict(
        group_name=group_name,
        partitions_def=daily_partitions(settings),
        backfill_policy=dg.BackfillPolicy.single_run(),
        owners=["team:twin"],
    )


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    """The days of this run: one partition or a whole backfill range.

    From the range's two ends: daily partitions have every day in between, and Dagster's
    `partition_keys` builds each key through the time zone (20 ms an asset for a year)."""
    keys = context.partition_key_range
    first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def add_day_metadata(context: dg.AssetExecutionContext, per_day: Mapping[str, Mapping[str, Any]]) -> None:
    """Each day's own metadata on its own partition, for a run of one day or ten years.

    The same as `context.add_asset_metadata(metadata, partition_key=day)` per day, whose
    cost grows with the square of the range in Dagster 1.13 (3,653 days cost about 3 s an
    asset; bench/backfill.py): internals/dagster.py builds Dagster's metadata accumulator
    once instead, and falls back to the public per-day calls (correct, only slower) should
    Dagster's internals change, saying so in the run's log.
    """
    keys = context.partition_key_range
    stray = [day for day in per_day if not keys.start <= day <= keys.end]  # ISO days sort as text
    if stray:
        raise dg.DagsterInvariantViolationError(
            f"day metadata for {len(stray)} day(s) this run does not materialize (first: {stray[0]})"
        )
    add_partition_metadata(context, per_day)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector while the core turns rows into documents.

    The core allocates tens of thousands of short-lived, acyclic objects (Decimals,
    dataclasses); inside a Dagster run, whose heap is large, each automatic collection
    walks that heap, and a year's finance took 110 ms instead of 25 ms. Reference
    counting still frees everything; collection resumes (and runs) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
