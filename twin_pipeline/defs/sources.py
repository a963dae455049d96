"""Source assets: finance, training and pantry as of each day of the run.

Each reads its database once for the whole range (set-based SQL), computes the day
sections with the functional core, and upserts them into twin_section_day together with
the fingerprints of the rows it read (one snapshot), which source_change_sensor compares
with the sources later. A source that cannot be read marks its section unavailable for
those days and forgets their fingerprints, so the sensor restates them once it is back.
"""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    BackfillPolicy,
    Failure,
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
from twin_pipeline.core.sections import Unavailable, round2
from twin_pipeline.defs.shared import (
    TwinConfig,
    cyclic_gc_paused,
    daily_partitions,
    run_days,
    with_day_details,
)
from twin_pipeline.contract import ContractGap, SchemaDrift, require_contract
from twin_pipeline.faults import describe, kind_of, with_retries
from twin_pipeline.resources import PostgresDatabase
from twin_pipeline.sqlfiles import checks_query, fingerprint_query, query
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


def _location(database: PostgresDatabase) -> str:
    try:
        return database.location
    except Exception:  # the URL itself is unusable; still say which database
        return f"its configured URL ({database.role.upper()}_DATABASE_URL)"


def failure_reason(database: PostgresDatabase, exc: Exception) -> str:
    """A one-line reason naming the database, safe to store and show (no password)."""
    return describe(database.role, _location(database), exc)


# The checks every source asset reports (README, "Checks"). WARN: the twin goes on, degraded.
CHECKS = {
    "source_readable": "The source database answered and every day of the run was computed from it.",
    "matches_contract": "The source still has every table, view, function and column CONTRACT.md names.",
    "plausible_values": "No rows the contract's constraints would refuse (each is handled by a README rule).",
    "fresh": "The source's newest record is at most TWIN_FRESHNESS_DAYS old.",
}


def check_specs(asset_name: str, extra: dict[str, str] | None = None) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec(name, asset=asset_name, description=description)
        for name, description in {**CHECKS, **(extra or {})}.items()
    ]


@dataclass(frozen=True)
class Observation:
    """What the source looked like beside the rows read: contract gaps and data quality."""

    gaps: list[ContractGap]
    quality: dict


def materialize_section(
    context: AssetExecutionContext,
    entity_type: str,
    source: PostgresDatabase,
    twin_store: PostgresDatabase,
    config: TwinConfig,
    read: SectionReader,
    windows: Windows,
    reconcile: Callable[[Connection, list[dict]], AssetCheckResult] | None = None,
) -> MaterializeResult:
    """Read the source for the run's days (retrying what may pass), store the sections,
    report what happened and the checks."""
    days = run_days(context)
    asset_name = context.assets_def.key.to_user_string()
    reconciliation = None

    def attempt() -> tuple[SourceRead, Observation]:
        nonlocal reconciliation
        # One snapshot for the rows and their fingerprints, so a change committed while
        # the run reads is either in both or in neither (and then the sensor sees it).
        with source.engine().connect().execution_options(isolation_level="REPEATABLE READ") as conn:
            gaps = require_contract(conn, source.role, _location(source))
            with cyclic_gc_paused():
                got = read(conn, days)
            quality = dict(
                conn.execute(
                    checks_query(f"{source.role}_quality"),
                    {**_bounds(days), "today": config.today(), "tz": config.timezone},
                )
                .one()._mapping
            )
            if reconcile is not None:
                reconciliation = reconcile(conn, got.documents)
            return got, Observation(gaps, quality)

    def on_retry(exc: BaseException, wait: float) -> None:
        context.log.warning(f"{failure_reason(source, exc)}; trying again in {wait:.1f} s")

    failure: str | None = None
    try:
        got, observed = with_retries(
            attempt, retries=source.retries, backoff_s=source.retry_backoff_s, on_retry=on_retry
        )
    except (SQLAlchemyError, SchemaDrift) as exc:
        drift = isinstance(exc, SchemaDrift)
        failure = str(exc) if drift else failure_reason(source, exc)
        short = f"{source.role} database " + ("does not match the contract" if drift else kind_of(exc))
        context.log.warning(f"{failure}; {entity_type} section marked unavailable for {len(days)} day(s)")
        documents = [Unavailable(entity_type, day, short, failure).to_json() for day in days]
        # Forget what these days were computed from, so the sensor restates them once the
        # source answers again.
        forgotten = [Fingerprints(table, first, last, {}) for table, first, last in windows(days)]
        got = SourceRead(documents, 0, forgotten)
        observed = Observation([ContractGap(failure, True)] if drift else [], {})
    documents = got.documents
    try:
        with twin_store.engine().begin() as conn:
            upsert_sections(conn, entity_type, documents)
            record_fingerprints(conn, got.fingerprints)
    except SQLAlchemyError as exc:
        # Loud, and nothing half-written (one transaction); the next run writes these days,
        # on fresh connections (a pooled one may carry the state that refused the write).
        twin_store.engine().dispose()
        raise Failure(
            description=(
                f"{failure_reason(twin_store, exc)}: the {entity_type} section of {len(days)} day(s) "
                "was computed but not stored; nothing was written, the next run stores it"
            ),
            metadata={"computed_section": MetadataValue.json(documents[-1])},
        ) from None

    statuses = Counter(doc["status"] for doc in documents)
    problems = {doc["as_of"]: doc["error"] for doc in documents if doc["status"] != "ok"}
    counts = {
        "run_days": len(documents),
        "run_first_day": days[0].isoformat(),
        "run_last_day": days[-1].isoformat(),
        "source_rows_read": got.rows_read,
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
    metadata = with_day_details(days, counts, day_details(documents[0]))
    results = source_check_results(asset_name, failure, observed, config)
    if reconcile is not None:
        results.append(
            reconciliation
            or AssetCheckResult(
                asset_key=asset_name, check_name="reconciles_with_source", passed=False,
                severity=AssetCheckSeverity.WARN, metadata={"not evaluated": failure or "no rows"},
            )
        )
    return MaterializeResult(metadata=metadata, check_results=results)


# Numbers the UI plots over partitions (from single-day runs: the schedule's and the sensor's).
PLOTTED = {
    "finance": ("mtd_net", "mtd_income", "mtd_expense", "active_budget_alerts"),
    "health": ("workouts_last_7_days", "days_since_last_workout"),
    "pantry": ("low_stock_count", "expiring_soon_count", "expired_count"),
}


def day_details(document: dict) -> dict:
    """One day's section as metadata: the document, its numbers, and its alerts as a table."""
    details: dict = {"section": MetadataValue.json(document)}
    entity = next((e for e, keys in PLOTTED.items() if keys[0] in document), None)
    for key in PLOTTED.get(entity, ()):
        if isinstance(document.get(key), (int, float)):
            details[key] = float(document[key]) if isinstance(document[key], float) else document[key]
    body = document.get("body_composition") or {}
    if body.get("bodyweight_kg") is not None:
        details["bodyweight_kg"] = float(body["bodyweight_kg"])
    if document.get("alerts"):
        rows = [
            f"| {a['alert_severity']} | {a['category_path']} | {a['actual_amount']:,.2f} / {a['budget_amount']:,.2f} "
            f"| {a['utilization_pct']} % | {a['projected_month_end']:,.2f} |"
            for a in document["alerts"]
        ]
        details["alerts"] = MetadataValue.md(
            "| severity | category | spent / budget | used | projected |\n|---|---|---|---|---|\n" + "\n".join(rows)
        )
    return details


def source_check_results(
    asset_name: str, failure: str | None, observed: Observation, config: TwinConfig
) -> list[AssetCheckResult]:
    def result(name: str, passed: bool, severity=AssetCheckSeverity.WARN, **metadata) -> AssetCheckResult:
        return AssetCheckResult(
            asset_key=asset_name, check_name=name, passed=passed, severity=severity, metadata=metadata
        )

    blocking = [gap.description for gap in observed.gaps if gap.used]
    reported = [gap.description for gap in observed.gaps if not gap.used]
    quality = {k: v for k, v in observed.quality.items() if k != "last_seen"}
    last_seen = observed.quality.get("last_seen")
    age = None if last_seen is None else (config.today() - last_seen).days
    unreadable = failure if failure and not blocking else None
    return [
        result("source_readable", failure is None, reason=failure or "read"),
        result(
            "matches_contract",
            not observed.gaps,
            AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
            missing_and_read_by_the_twin=", ".join(blocking) or "none",
            missing_not_read_by_the_twin=", ".join(reported) or "none",
        ),
        result(
            "plausible_values",
            bool(quality) and not any(quality.values()),
            **(quality or {"not evaluated": unreadable or "source unreadable"}),
        ),
        result(
            "fresh",
            age is not None and age <= config.freshness_days,
            newest_record=str(last_seen) if last_seen else "none",
            days_old=-1 if age is None else age,
            threshold_days=config.freshness_days,
        ),
    ]


def _bounds(days: list[date]) -> dict[str, date]:
    return {"start": days[0], "end": days[-1]}


def finance_windows(days: list[date]) -> list[tuple[str, str, str]]:
    first = days[0].replace(day=1).isoformat()
    return [("finance.transactions", first, days[-1].isoformat()), ("finance.budgets", first, days[-1].isoformat())]


def read_finance(config: TwinConfig) -> SectionReader:
    def read(conn: Connection, days: list[date]) -> SourceRead:
        # Columns come in the dataclasses' field order (see the .sql files).
        bounds = {**_bounds(days), "currency": config.currency}
        flows = [DailyFlow(*row) for row in conn.execute(query("finance_daily_flows"), bounds)]
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


def sections_without_store(
    databases: dict[str, PostgresDatabase], config: TwinConfig, day: date
) -> dict[str, dict]:
    """One day's sections straight from the sources, for when the twin store cannot take
    them: `twin snapshot` still shows the person their day."""
    readers = {
        "finance": ("finance", read_finance(config)),
        "training": ("health", read_training(config)),
        "pantry": ("pantry", read_pantry(config)),
    }
    sections = {}
    for role, (entity, read) in readers.items():
        try:
            with databases[role].engine().connect() as conn:
                sections[entity] = read(conn, [day]).documents[0]
        except SQLAlchemyError as exc:
            reason = failure_reason(databases[role], exc)
            sections[entity] = Unavailable(entity, day, f"{role} database {kind_of(exc)}", reason).to_json()
    return sections


RECONCILE = "The last day's month-to-date income and expense equal the source's own totals, to the cent."


def reconcile_finance(config: TwinConfig) -> Callable[[Connection, list[dict]], AssetCheckResult]:
    """Sum the month straight from the source (SQL) and compare with the last day's section
    (Python over daily flows): two code paths that must agree."""

    def check(conn: Connection, documents: list[dict]) -> AssetCheckResult:
        last = documents[-1]
        rows = conn.execute(checks_query("finance_month_totals"), {"day": last["as_of"], "currency": config.currency})
        source = {c: (float(round2(i)), float(round2(e))) for c, i, e in rows}
        twin = last.get("by_currency") or {last["currency"]: last}
        computed = {c: (t["mtd_income"], t["mtd_expense"]) for c, t in twin.items() if t["mtd_income"] or t["mtd_expense"]}
        mismatches = {c: (computed.get(c), source.get(c)) for c in set(source) | set(computed) if computed.get(c) != source.get(c)}
        return AssetCheckResult(
            asset_key="finance", check_name="reconciles_with_source", passed=not mismatches,
            severity=AssetCheckSeverity.ERROR,
            metadata={"as_of": last["as_of"], "mismatches (twin, source)": json.dumps(mismatches) if mismatches else "none"},
        )

    return check


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
    check_specs=check_specs("finance", {"reconciles_with_source": RECONCILE}),
    **_common,
)
def finance(
    context: AssetExecutionContext,
    finance_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "finance", finance_db, twin_store, twin_config, read_finance(twin_config), finance_windows,
        reconcile=reconcile_finance(twin_config),
    )


@asset(
    kinds={"postgres", "python"},
    description=(
        "Body as of each day: last workout, workouts in the 7 days ending that day, and the "
        "latest body composition on or before it (lean mass only where body fat was measured), "
        "from autonomous_training."
    ),
    check_specs=check_specs("training"),
    **_common,
)
def training(
    context: AssetExecutionContext,
    training_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "health", training_db, twin_store, twin_config, read_training(twin_config), training_windows
    )


@asset(
    kinds={"postgres", "python"},
    description=(
        "Pantry as of each day: categories at or below their critical threshold, expired items "
        "and items expiring within the window, from autonomous_pantry. The source keeps only the "
        "current state, so only today can be computed; past days are marked unavailable."
    ),
    check_specs=check_specs("pantry"),
    **_common,
)
def pantry(
    context: AssetExecutionContext,
    pantry_db: PostgresDatabase,
    twin_store: PostgresDatabase,
    twin_config: TwinConfig,
) -> MaterializeResult:
    return materialize_section(
        context, "pantry", pantry_db, twin_store, twin_config, read_pantry(twin_config), pantry_windows(twin_config)
    )
