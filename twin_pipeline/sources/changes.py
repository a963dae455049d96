"""What changed in the sources since the twin computed from them (no Dagster).

Every look reads each source's change counters (pg_stat_user_tables: one cheap query per
table, read-only, no triggers on the person's tables). For a table whose counters moved
(or every table, on a full check), it fingerprints the rows per date and compares them
with the fingerprints the twin last computed from; changed dates become stale days by
each watched table's rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.changes import affected_days, changed_buckets
from twin_pipeline.core.forecast_review import with_outcome_days
from twin_pipeline.database import Database
from twin_pipeline.settings import TwinSettings
from twin_pipeline.sources import SOURCES
from twin_pipeline.sources.reading import failure_reason
from twin_pipeline.sources.spec import SourceSpec, WatchedTable
from twin_pipeline.sqlfiles import load
from twin_pipeline.store.fingerprints import stored_fingerprints


@dataclass
class Detection:
    """What one look found: stale days per table, and what it could not read."""

    stale: dict[str, set[date]] = field(default_factory=dict)
    triggers: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> bucket -> fingerprint
    unreachable: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)


def change_counters(conn: Connection, spec: SourceSpec) -> dict[str, int]:
    """watched table -> rows inserted, updated and deleted so far (catalog statistics)."""
    counter = load(__package__, "source_change_counters")
    return {
        table.name: sum(conn.execute(counter, {"table": name}).scalar() for name in table.counters)
        for table in spec.watched
    }


def _installed(conn: Connection, table: WatchedTable) -> bool:
    return all(conn.execute(load(__package__, "table_exists"), {"table": name}).scalar() for name in table.counters)


def detect_changes(
    sources: dict[str, Database],
    twin_store: Database,
    settings: TwinSettings,
    first_day: date,
    previous_counters: dict[str, int],
    full_check: bool,
) -> Detection:
    """Compare the sources with what the twin computed from; read-only on the sources."""
    found = Detection()
    today = settings.today()
    for name, source in sources.items():
        spec = SOURCES[name]
        if not source.configured:
            continue  # an optional source left out of the install: nothing to watch
        try:
            with source.engine().connect() as conn:
                counters = change_counters(conn, spec)
                to_check = [t for t in spec.watched if full_check or counters[t.name] != previous_counters.get(t.name)]
                current = {
                    table.name: dict(conn.execute(
                        spec.fingerprint_query(table.name), {"start": None, "end": None, "tz": settings.timezone}
                    ).all())
                    for table in to_check if _installed(conn, table)
                }
        except SQLAlchemyError as exc:
            found.unreachable.append(failure_reason(source, exc))
            continue
        found.counters.update(counters)
        found.checked += list(current)
        with twin_store.engine().connect() as store:
            stored = {table: stored_fingerprints(store, table) for table in current}
        for table_name, now in current.items():
            then, covered_from = stored[table_name]
            buckets = changed_buckets(now, then, covered_from)
            if not buckets:
                continue
            table = spec.watched_table(table_name)
            later = _later(spec, source, table, buckets)
            days = affected_days(table.stale, buckets, today=today, first_day=first_day, later=later)
            # A restated day can change forecast reviews up to 42 days later (forecast_review).
            days = with_outcome_days(days, today)
            if days:
                found.stale[table_name] = days
                found.triggers[table_name] = {b: now.get(b, "gone") for b in buckets}
    return found


def _later(spec: SourceSpec, source: Database, table: WatchedTable, buckets: list[str]) -> dict[str, date | None]:
    if table.later_query is None:
        return {}
    with source.engine().connect() as conn:
        return dict(conn.execute(spec.sql(table.later_query), {"dates": buckets}).all())
