"""source_change_sensor: restate exactly the days a source change made stale.

Every evaluation reads the sources' change counters (pg_stat_user_tables: one cheap
query per database, read-only, no triggers on the person's tables). For a table whose
counters moved (and for every table every few minutes, as a safety net), it fingerprints
the rows per date and compares them with the fingerprints the twin last computed from
(stored by the source assets in the same snapshot they read). Changed dates become
stale days by the twin's own rules (core/changes.py), and each run of consecutive stale
days becomes one run. The run key is the change itself, so the same change never
launches two runs, and a change that lands while a run is in progress makes a new key.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.changes import (
    SOURCE_TABLES,
    SourceTable,
    affected_days,
    changed_buckets,
    contiguous_ranges,
)
from twin_pipeline.defs.schedules import twin_daily_job
from twin_pipeline.defs.shared import SETTINGS, TwinConfig, daily_partitions
from twin_pipeline.defs.sources import failure_reason
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.sqlfiles import fingerprint_query, query
from twin_pipeline.store import stored_fingerprints

LATER_QUERIES = {"training.workouts": "next_workouts", "training.measurements": "second_next_measurements"}


@dataclass
class Detection:
    """What one evaluation found: stale days per table, and what it could not read."""

    stale: dict[str, set[date]] = field(default_factory=dict)
    triggers: dict[str, dict[str, str]] = field(default_factory=dict)  # table -> bucket -> fingerprint
    unreachable: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)


def detect_changes(
    sources: dict[str, PostgresDatabase],
    twin_store: PostgresDatabase,
    config: TwinConfig,
    previous_counters: dict[str, int],
    full_check: bool,
) -> Detection:
    """Compare the sources with what the twin computed from; read-only on the sources."""
    found = Detection()
    today, first_day = config.today(), daily_partitions.start.date()
    for role, source in sources.items():
        tables = [t for t in SOURCE_TABLES if t.role == role]
        try:
            with source.engine().connect() as conn:
                counters = {t.name: sum(conn.execute(query("source_change_counters"), {"table": n}).scalar()
                                        for n in t.tables) for t in tables}
                to_check = [t for t in tables if full_check or counters[t.name] != previous_counters.get(t.name)]
                installed = {t.name for t in to_check if _installed(conn, t)}
                current = {
                    t.name: dict(conn.execute(
                        fingerprint_query(t.name), {"start": None, "end": None, "tz": config.timezone}
                    ).all())
                    for t in to_check if t.name in installed
                }
        except SQLAlchemyError as exc:
            found.unreachable.append(failure_reason(source, exc))
            continue
        found.counters.update(counters)
        found.checked += list(current)
        with twin_store.engine().connect() as store:
            stored = {name: stored_fingerprints(store, name) for name in current}
        for name, now in current.items():
            then, covered_from = stored[name]
            buckets = changed_buckets(now, then, covered_from)
            if not buckets:
                continue
            later = _later(source, name, buckets)
            days = affected_days(name, buckets, today=today, first_day=first_day, later=later)
            if days:
                found.stale[name] = days
                found.triggers[name] = {b: now.get(b, "gone") for b in buckets}
    return found


def _installed(conn, table: SourceTable) -> bool:
    return all(
        conn.execute(query("table_exists"), {"table": name}).scalar() for name in table.tables
    )


def _later(source: PostgresDatabase, table: str, buckets: list[str]) -> dict[str, date | None]:
    if table not in LATER_QUERIES:
        return {}
    with source.engine().connect() as conn:
        return dict(conn.execute(query(LATER_QUERIES[table]), {"dates": buckets}).all())


def run_requests(found: Detection) -> list[RunRequest]:
    """One run per stretch of consecutive stale days, keyed by the change that caused it."""
    requests = []
    all_days = set().union(*found.stale.values()) if found.stale else set()
    for first, last in contiguous_ranges(all_days):
        tables = sorted(name for name, days in found.stale.items() if any(first <= d <= last for d in days))
        change = json.dumps({name: found.triggers[name] for name in tables}, sort_keys=True)
        key = hashlib.sha256(f"{first}:{last}:{change}".encode()).hexdigest()[:32]
        requests.append(
            RunRequest(
                run_key=f"source-change-{key}",
                tags={
                    "dagster/asset_partition_range_start": first.isoformat(),
                    "dagster/asset_partition_range_end": last.isoformat(),
                    "twin/trigger": "sensor",
                    "twin/changed_sources": ",".join(tables),
                    "twin/stale_days": f"{first.isoformat()}..{last.isoformat()}",
                },
            )
        )
    return requests


@sensor(
    job=twin_daily_job,
    minimum_interval_seconds=SETTINGS.sensor_interval_seconds,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Watches the finance, training and pantry databases (read-only, no triggers) and, when "
        "rows change (inserted, updated or deleted, today or in the past), restates in one run "
        "exactly the days whose state depends on them. Skips with a reason when nothing changed "
        "or a database is unreachable."
    ),
)
def source_change_sensor(
    context: SensorEvaluationContext,
    finance_db: PostgresDatabase,
    training_db: PostgresDatabase,
    pantry_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> SensorResult:
    state = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(timezone.utc)
    last_full = state.get("full_check_at")
    full_check = last_full is None or now - datetime.fromisoformat(last_full) >= timedelta(
        minutes=SETTINGS.sensor_full_check_minutes
    )
    found = detect_changes(
        {"finance": finance_db, "training": training_db, "pantry": pantry_db},
        twin_store,
        twin_config,
        state.get("counters", {}),
        full_check,
    )
    cursor = json.dumps(
        {
            "counters": {**state.get("counters", {}), **found.counters},
            "full_check_at": now.isoformat() if full_check and not found.unreachable else last_full,
        },
        sort_keys=True,
    )
    for reason in found.unreachable:
        context.log.warning(f"{reason}; its changes will be picked up when it is back")
    requests = run_requests(found)
    if requests:
        for request in requests:
            context.log.info(
                f"{request.tags['twin/changed_sources']} changed: restating {request.tags['twin/stale_days']}"
            )
        return SensorResult(run_requests=requests, cursor=cursor)
    if found.unreachable:
        reason = "; ".join(found.unreachable)
    elif found.checked:
        reason = f"no change the twin depends on in {', '.join(sorted(found.checked))}"
    else:
        reason = "no source table changed since the last check"
    return SensorResult(skip_reason=SkipReason(reason), cursor=cursor)
