"""Source assets: finance, training and pantry as of each day of the run.

Each reads its database once for the whole range (set-based SQL), computes the day
sections with the functional core, and upserts them into twin_section_day together with
the fingerprints of the rows it read (one snapshot), which source_change_sensor compares
with the sources later. A source that cannot be read marks its section unavailable for
those days and forgets their fingerprints, so the sensor restates them once it is back.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.changes import CURRENT
from twin_pipeline.core.finance import Budget, DailyFlow, finance_sections
from twin_pipeline.core.health import Measurement, WorkoutDay, health_sections
from twin_pipeline.core.pantry import PantryItem, PantryVersion, inventory_at, pantry_section
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.defs.shared import (
    TwinConfig,
    cyclic_gc_paused,
    daily_partitions,
    run_days,
    with_day_details,
)
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.sqlfiles import fingerprint_query, query
from twin_pipeline.store import Fingerprints, record_fingerprints, upsert_sections

@dataclass(frozen=True)
class SourceRead:
    """What a reader got from its source for the run's days, from one snapshot."""

    documents: list[dict]
    rows_read: int
    fingerprints: list[Fingerprints]


SectionReader = Callable[[Connection, list[date]], SourceRead]
Windows = Callable[[list[date]], list[tuple[str, str, str]]]


def read_fingerprints(conn: Connection, windows: list[tuple[str, str, str]], timezone: str) -> list[Fingerprints]:
    """Fingerprints of each (source table, first bucket, last bucket) window."""
    read = []
    for table, first, last in windows:
        bounds = (None, None) if first == CURRENT else (first, last)
        rows = conn.execute(fingerprint_query(table), {"start": bounds[0], "end": bounds[1], "tz": timezone})
        read.append(Fingerprints(table, first, last, dict(rows.all())))
    return read


def failure_reason(database: PostgresDatabase, exc: Exception) -> str:
    """A one-line reason naming the database, safe to store and show (no password)."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    detail = detail[0] if detail else type(exc).__name__
    try:
        where = database.location
    except Exception:
        where = "its configured URL"
    return f"{database.role} database at {where} could not be read: {detail}"


def materialize_section(
    context: AssetExecutionContext,
    entity_type: str,
    source: PostgresDatabase,
    twin_store: PostgresDatabase,
    read: SectionReader,
    windows: Windows,
) -> MaterializeResult:
    """Read the source for the run's days, store the sections, report what happened."""
    days = run_days(context)
    try:
        # One snapshot for the rows and their fingerprints, so a change committed while
        # the run reads is either in both or in neither (and then the sensor sees it).
        with source.engine().connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            with cyclic_gc_paused():
                got = read(conn, days)
    except SQLAlchemyError as exc:
        reason = failure_reason(source, exc)
        context.log.warning(f"{reason}; {entity_type} section marked unavailable for {len(days)} day(s)")
        documents = [Unavailable(entity_type, day, reason).to_json() for day in days]
        forgotten = [Fingerprints(table, first, last, {}) for table, first, last in windows(days)]
        got = SourceRead(documents, 0, forgotten)
    documents, rows_read = got.documents, got.rows_read
    with twin_store.engine().begin() as conn:
        upsert_sections(conn, entity_type, documents)
        record_fingerprints(conn, got.fingerprints)

    statuses = Counter(doc["status"] for doc in documents)
    problems = {doc["as_of"]: doc["error"] for doc in documents if doc["status"] != "ok"}
    counts = {
        "run_days": len(documents),
        "run_first_day": days[0].isoformat(),
        "run_last_day": days[-1].isoformat(),
        "source_rows_read": rows_read,
        "dagster/row_count": len(documents),
        "days_ok": statuses["ok"],
        "days_degraded": statuses["degraded"],
        "days_unavailable": statuses["unavailable"],
    }
    if problems:
        shown = sorted(problems.items())[-20:]
        counts["problems"] = MetadataValue.md(
            f"{len(problems)} day(s) not ok; the latest:\n\n| day | reason |\n|---|---|\n"
            + "\n".join(f"| {d} | {r} |" for d, r in shown)
        )
    metadata = with_day_details(days, counts, {"section": MetadataValue.json(documents[0])})
    return MaterializeResult(metadata=metadata)


def _bounds(days: list[date]) -> dict[str, date]:
    return {"start": days[0], "end": days[-1]}


def finance_windows(days: list[date]) -> list[tuple[str, str, str]]:
    first = days[0].replace(day=1).isoformat()
    return [("finance.transactions", first, days[-1].isoformat()), ("finance.budgets", first, days[-1].isoformat())]


def read_finance(config: TwinConfig) -> SectionReader:
    def read(conn: Connection, days: list[date]) -> SourceRead:
        # Columns come in the dataclasses' field order (see the .sql files).
        flows = [DailyFlow(*row) for row in conn.execute(query("finance_daily_flows"), _bounds(days))]
        budgets = [Budget(*row) for row in conn.execute(query("finance_budgets"), _bounds(days))]
        sections = finance_sections(days, flows, budgets, config.currency)
        return SourceRead(
            [sections[day].to_json() for day in days],
            len(flows) + len(budgets),
            read_fingerprints(conn, finance_windows(days), config.timezone),
        )

    return read


def training_windows(days: list[date], first_measurement: date | None = None) -> list[tuple[str, str, str]]:
    last = days[-1].isoformat()
    return [
        ("training.workouts", (days[0] - timedelta(days=6)).isoformat(), last),
        ("training.measurements", min(first_measurement or days[0], days[0]).isoformat(), last),
    ]


def read_training(config: TwinConfig) -> SectionReader:
    def read(conn: Connection, days: list[date]) -> SourceRead:
        workouts = [WorkoutDay(*row) for row in conn.execute(query("training_workout_days"), _bounds(days))]
        measurements = [Measurement(*row) for row in conn.execute(query("training_measurements"), _bounds(days))]
        sections = health_sections(days, workouts, measurements)
        first_measurement = min((m.measurement_date for m in measurements), default=None)
        return SourceRead(
            [sections[day].to_json() for day in days],
            len(workouts) + len(measurements),
            read_fingerprints(conn, training_windows(days, first_measurement), config.timezone),
        )

    return read


def read_pantry(config: TwinConfig) -> SectionReader:
    """Today from pantry_inventory; past days from the opt-in history capture when it
    covers them, otherwise unavailable with the first day that can be reconstructed."""

    def read(conn: Connection, days: list[date]) -> SourceRead:
        zone = ZoneInfo(config.timezone)
        today = config.today()
        installed = conn.execute(query("pantry_history_installed")).scalar()
        captured_since = conn.execute(query("pantry_history_capture")).scalar() if installed else None
        first_known = captured_since.astimezone(zone).date() if captured_since else today
        from_history = [day for day in days if first_known <= day < today]
        rows_read = 0
        inventories: dict[date, list[PantryItem]] = {}
        if today in days:
            inventories[today] = [PantryItem(*row) for row in conn.execute(query("pantry_inventory"))]
            rows_read += len(inventories[today])
        if from_history:
            day_ends = {day: datetime.combine(day + timedelta(days=1), time(0), zone) for day in from_history}
            versions = [
                PantryVersion(PantryItem(*row[:5]), row[5], row[6])
                for row in conn.execute(
                    query("pantry_history"),
                    {"first_end": min(day_ends.values()), "last_end": max(day_ends.values())},
                )
            ]
            rows_read += len(versions)
            inventories.update(inventory_at(day_ends, versions))

        if captured_since:
            missing = f"pantry history starts on {first_known.isoformat()}; earlier days cannot be reconstructed"
        else:
            missing = (
                "pantry_inventory keeps only the current state and its history capture is not installed "
                f"(twin pantry-history install); the first day that can be reconstructed is {today.isoformat()}"
            )
        documents = []
        for day in days:
            if day in inventories:
                section = pantry_section(day, inventories[day], expiry_window_days=config.expiry_window_days)
                documents.append(section.to_json())
            else:
                documents.append(Unavailable("pantry", day, missing).to_json())
        windows = pantry_windows(config)(days, from_history)
        return SourceRead(documents, rows_read, read_fingerprints(conn, windows, config.timezone))

    return read


def pantry_windows(config: TwinConfig) -> Callable[..., list[tuple[str, str, str]]]:
    """The live inventory when today is in the run; the history over the past days it served
    (all the run's past days when the read failed and there is nothing to go by)."""

    def windows(days: list[date], history_days: list[date] | None = None) -> list[tuple[str, str, str]]:
        today = config.today()
        found = [("pantry.inventory", CURRENT, CURRENT)] if today in days else []
        past = [day for day in (days if history_days is None else history_days) if day < today]
        if past:
            found.append(("pantry.history", past[0].isoformat(), past[-1].isoformat()))
        return found

    return windows


_common = dict(
    group_name="sources",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    owners=["team:twin"],
)


@asset(
    kinds={"postgres", "python"},
    description=(
        "Money as of each day: month-to-date income, spending and net per currency "
        "(Transfers excluded) and the budget alerts of that month as they read on that day, "
        "from autonomous_finance."
    ),
    **_common,
)
def finance(
    context: AssetExecutionContext,
    finance_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "finance", finance_db, twin_store, read_finance(twin_config), finance_windows
    )


@asset(
    kinds={"postgres", "python"},
    description=(
        "Body as of each day: last workout, workouts in the 7 days ending that day, and the "
        "latest body composition on or before it (lean mass only where body fat was measured), "
        "from autonomous_training."
    ),
    **_common,
)
def training(
    context: AssetExecutionContext,
    training_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "health", training_db, twin_store, read_training(twin_config), training_windows
    )


@asset(
    kinds={"postgres", "python"},
    description=(
        "Pantry as of each day: categories at or below their critical threshold, expired items "
        "and items expiring within the window, from autonomous_pantry. The source keeps only the "
        "current state, so only today can be computed; past days are marked unavailable."
    ),
    **_common,
)
def pantry(
    context: AssetExecutionContext,
    pantry_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "pantry", pantry_db, twin_store, read_pantry(twin_config), pantry_windows(twin_config)
    )
