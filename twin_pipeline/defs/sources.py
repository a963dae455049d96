"""Source assets: finance, training and pantry as of each day of the run.

Each reads its database once for the whole range (set-based SQL), computes the day
sections with the functional core, and upserts them into twin_section_day. A source
that cannot be read marks its section unavailable for those days; the run goes on.
"""

from collections import Counter
from collections.abc import Callable
from datetime import date

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from twin_pipeline.core.finance import Budget, DailyFlow, finance_sections
from twin_pipeline.core.health import Measurement, WorkoutDay, health_sections
from twin_pipeline.core.pantry import PantryItem, pantry_section
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.defs.shared import TwinConfig, daily_partitions, run_days
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.sqlfiles import query
from twin_pipeline.store import upsert_sections

SectionReader = Callable[[Connection, list[date]], tuple[list[dict], int]]


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
) -> MaterializeResult:
    """Read the source for the run's days, store the sections, report what happened."""
    days = run_days(context)
    rows_read = 0
    try:
        with source.engine().connect() as conn:
            documents, rows_read = read(conn, days)
    except SQLAlchemyError as exc:
        reason = failure_reason(source, exc)
        context.log.warning(f"{reason}; {entity_type} section marked unavailable for {len(days)} day(s)")
        documents = [Unavailable(entity_type, day, reason).to_json() for day in days]
    with twin_store.engine().begin() as conn:
        upsert_sections(conn, entity_type, documents)

    statuses = Counter(doc["status"] for doc in documents)
    problems = {doc["as_of"]: doc["error"] for doc in documents if doc["status"] != "ok"}
    latest = max(documents, key=lambda doc: doc["as_of"])
    metadata = {
        "days": len(documents),
        "first_day": days[0].isoformat(),
        "last_day": days[-1].isoformat(),
        "source_rows_read": rows_read,
        "dagster/row_count": len(documents),
        "status_ok": statuses["ok"],
        "status_degraded": statuses["degraded"],
        "status_unavailable": statuses["unavailable"],
        "source": source.location if statuses["unavailable"] < len(documents) else "unreachable",
        "latest_section": MetadataValue.json(latest),
    }
    if problems:
        shown = sorted(problems.items())[-20:]
        metadata["problems"] = MetadataValue.md(
            "| day | reason |\n|---|---|\n" + "\n".join(f"| {d} | {r} |" for d, r in shown)
        )
    return MaterializeResult(metadata=metadata)


def _bounds(days: list[date]) -> dict[str, date]:
    return {"start": days[0], "end": days[-1]}


def read_finance(config: TwinConfig) -> SectionReader:
    def read(conn: Connection, days: list[date]) -> tuple[list[dict], int]:
        flows = [
            DailyFlow(r.day, r.currency, r.type, r.category_id, r.amount, r.n)
            for r in conn.execute(query("finance_daily_flows"), _bounds(days))
        ]
        budgets = [
            Budget(
                r.budget_id, r.budget_year, r.budget_month, r.category_id, r.category_path,
                r.budget_amount, r.alert_threshold, r.priority,
            )
            for r in conn.execute(query("finance_budgets"), _bounds(days))
        ]
        sections = finance_sections(days, flows, budgets, config.currency)
        return [sections[day].to_json() for day in days], len(flows) + len(budgets)

    return read


def read_training(conn: Connection, days: list[date]) -> tuple[list[dict], int]:
    workouts = [WorkoutDay(r.day, r.n) for r in conn.execute(query("training_workout_days"), _bounds(days))]
    measurements = [
        Measurement(r.measurement_date, r.bodyweight_kg, r.bodyfat_pct, r.weight_trend)
        for r in conn.execute(query("training_body_composition"), _bounds(days))
    ]
    sections = health_sections(days, workouts, measurements)
    return [sections[day].to_json() for day in days], len(workouts) + len(measurements)


def read_pantry(config: TwinConfig) -> SectionReader:
    def read(conn: Connection, days: list[date]) -> tuple[list[dict], int]:
        today = config.today()
        live_days = [day for day in days if day == today]
        items = []
        if live_days:
            items = [
                PantryItem(r.category, r.current_quantity, r.unit, r.next_expiry, r.critical_threshold)
                for r in conn.execute(query("pantry_inventory"))
            ]
        documents = []
        for day in days:
            if day == today:
                section = pantry_section(day, items, expiry_window_days=config.expiry_window_days, basis="live")
                documents.append(section.to_json())
            else:
                documents.append(
                    Unavailable(
                        "pantry",
                        day,
                        "pantry_inventory holds only the current state, so days before "
                        f"{today.isoformat()} cannot be reconstructed",
                    ).to_json()
                )
        return documents, len(items)

    return read


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
    return materialize_section(context, "finance", finance_db, twin_store, read_finance(twin_config))


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
    context: AssetExecutionContext, training_db: PostgresDatabase, twin_store: PostgresDatabase
) -> MaterializeResult:
    return materialize_section(context, "health", training_db, twin_store, read_training)


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
    return materialize_section(context, "pantry", pantry_db, twin_store, read_pantry(twin_config))
