"""The twin store: every read and write of it goes through here, its SQL in store/sql/.

The append-only rules live here once: the state of (entity, day) is its newest row; a
row is appended only when the document says something new; an unavailable recomputation
never buries a usable state; writers of one person take turns (an advisory lock).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, TextClause

from twin_pipeline.core.forecast_review import THRESHOLD_PCT, KindSummary, KindTotals, Review, summaries
from twin_pipeline.core.history import Decision
from twin_pipeline.migrations import MigrationError, pending, pending_line
from twin_pipeline.sources import ENTITY_SOURCES
from twin_pipeline.sources.spec import Fingerprints
from twin_pipeline.sqlfiles import load

SOURCE_SYSTEM = "g04_engine"
UPDATE_TYPE = "status_sync"

REQUIRED_TABLES = (
    "digital_twin_updates",
    "person",
    "twin_section_day",
    "twin_daily_summary",
    "twin_source_fingerprint",
    "twin_source_coverage",
    "goal",
    "home",
    "twin_forecast_review",
    "twin_source_section_day",
)


def sql(name: str) -> TextClause:
    return load(__name__, name)


class StoreError(RuntimeError):
    """The twin store is not usable as it is; the message says what to do."""


def check_store(conn: Connection, location: str) -> None:
    """Read-only: the store has the twin's tables and every shipped migration applied.

    The pipeline's login (sql/roles/twin_writer.sql) may not change the schema, so a run
    never migrates; it names what is missing and the owner's command instead."""
    missing = conn.execute(sql("required_tables"), {"names": list(REQUIRED_TABLES)}).scalars().all()
    if missing:
        raise StoreError(
            f"twin store {location} lacks {', '.join(missing)}: run `twin db migrate` as the database "
            "owner to create the twin's tables (it never touches the source databases)"
        )
    try:
        waiting = pending(conn, "twin")
    except MigrationError as exc:
        raise StoreError(str(exc)) from None
    if waiting:
        raise StoreError(pending_line("twin", location, waiting))


def day_entities() -> list[str]:
    """The entity types of a day's state: one per source (sources/), in the contract's order."""
    return list(ENTITY_SOURCES)


def _filters(person_id: str) -> dict:
    return {"p": person_id, "s": SOURCE_SYSTEM, "u": UPDATE_TYPE, "entities": day_entities()}


# --- the person ---------------------------------------------------------------------------


def resolve_person(conn: Connection, configured: str | None, create: bool = True, name: str | None = None) -> str:
    """TWIN_PERSON_ID if set; else the single person known to the store (adopting the one
    already in digital_twin_updates if the person table is empty, creating one on a fresh
    store; readers pass create=False and get a StoreError instead). With create, the
    person's row exists when this returns, whatever asset runs first, so the goals and the
    home can refer to it; `name` (the owner the goals name) names a row created here, and
    never renames an existing one."""
    if configured:
        if create and conn.execute(sql("person_exists"), {"p": configured}).first() is None:
            conn.execute(sql("ensure_person"), {"p": configured, "name": name or "Me"})
        return configured
    conn.execute(sql("lock_person"))
    people = conn.execute(sql("people")).scalars().all()
    if len(people) > 1:
        raise StoreError(
            f"the twin store knows {len(people)} people ({', '.join(people)}): "
            "set TWIN_PERSON_ID to the one this pipeline is for"
        )
    if people:
        return people[0]
    known = conn.execute(sql("people_with_states"), {"s": SOURCE_SYSTEM, "entities": day_entities()}).scalars().all()
    if len(known) > 1:
        raise StoreError(
            f"digital_twin_updates holds states for {len(known)} people ({', '.join(sorted(known))}): "
            "set TWIN_PERSON_ID to the one this pipeline is for"
        )
    if not create:
        if known:
            return known[0]
        raise StoreError("the twin store knows no person yet: run `twin snapshot` or `twin up` first")
    return conn.execute(sql("create_person"), {"p": known[0] if known else None, "name": name or "Me"}).scalar_one()


def person_row(conn: Connection, person_id: str) -> Mapping | None:
    return conn.execute(sql("person_row"), {"p": person_id}).mappings().first()


def update_person(conn: Connection, person_id: str, health_metrics: dict, goals_progress: dict) -> None:
    conn.execute(
        sql("update_person"),
        {"p": person_id, "health": json.dumps(health_metrics), "goals": json.dumps(goals_progress)},
    )


def append_person_state(conn: Connection, person_id: str, as_of: date, document: dict) -> bool:
    """Append a person row when its document (less the day) differs from the newest one;
    under the same lock as the day states."""
    conn.execute(sql("lock_state_writers"), {"p": person_id})
    newest = conn.execute(sql("newest_person_state"), _filters(person_id)).scalar()
    if newest is not None and {k: v for k, v in newest.items() if k != "as_of"} == document:
        return False
    conn.execute(
        sql("append_person_state"),
        {**_filters(person_id), "d": json.dumps({"as_of": as_of.isoformat(), **document})},
    )
    return True


# --- goals and home -----------------------------------------------------------------------


def goal_rows(conn: Connection, person_id: str) -> list[Mapping]:
    return list(conn.execute(sql("goal_rows"), {"p": person_id}).mappings())


def upsert_goals(conn: Connection, owner: str, goals: Iterable) -> None:
    """Insert or update goals by code, then their dependencies (once every goal exists)."""
    goals = list(goals)
    for goal in goals:
        conn.execute(sql("upsert_goal"), {
            "code": goal.goal_code, "name": goal.name, "description": goal.description, "owner": owner,
            "status": goal.status, "start": goal.start_date, "target": goal.target_date,
            "progress": json.dumps(goal.progress_metrics, default=str), "link": goal.roadmap_link,
        })
    for goal in goals:
        conn.execute(sql("set_goal_dependencies"), {"code": goal.goal_code, "deps": list(goal.dependencies)})


def home_row(conn: Connection, person_id: str) -> Mapping | None:
    return conn.execute(sql("home_row"), {"p": person_id}).mappings().first()


def upsert_home(conn: Connection, person_id: str, snapshot) -> None:
    conn.execute(sql("upsert_home"), {
        "person": person_id, "env": json.dumps(snapshot.environmental_data),
        "devices": json.dumps(snapshot.device_inventory), "operational": snapshot.operational_status,
        "occupancy": snapshot.occupancy_status,
    })


# --- day sections and states --------------------------------------------------------------


# Sections per statement: few writes, and a decade's pantry sections (36 MiB of JSON) are not
# copied whole into one parameter (its text, its quoting, its bytes) beside the documents.
SECTIONS_PER_STATEMENT = 366


def _upsert_by_year(conn: Connection, query: str, params: dict, documents: Iterable[dict]) -> int:
    documents = list(documents)
    for first in range(0, len(documents), SECTIONS_PER_STATEMENT):
        batch = json.dumps(documents[first:first + SECTIONS_PER_STATEMENT], ensure_ascii=False)
        conn.execute(sql(query), {**params, "docs": batch})
    return len(documents)


def upsert_sections(conn: Connection, entity_type: str, documents: Iterable[dict]) -> int:
    """Store each day's section of an entity (a statement per year of days)."""
    return _upsert_by_year(conn, "upsert_sections", {"e": entity_type}, documents)


def upsert_source_sections(conn: Connection, source: str, entity_type: str, documents: Iterable[dict]) -> int:
    """Store each day's part of an entity's section from one of its several sources."""
    return _upsert_by_year(conn, "upsert_source_sections", {"source": source, "e": entity_type}, documents)


def lock_entity_sections(conn: Connection, entity_type: str) -> None:
    """Wait for any other run composing the entity's sections (until commit)."""
    conn.execute(sql("lock_entity_sections"), {"e": entity_type})


def source_sections(conn: Connection, sources: list[str], days: list[str]) -> dict[tuple[str, str], dict]:
    """(source, as_of) -> the part that source computed for the day ('YYYY-MM-DD' days)."""
    rows = conn.execute(sql("source_sections_of_days"), {"sources": sources, "days": days})
    return {(source, as_of): section for source, as_of, section in rows}


@dataclass(frozen=True)
class StoredState:
    id: str
    entity_type: str
    as_of: str
    document: dict


def newest_states(conn: Connection, person_id: str, days: list[date]) -> dict[tuple[str, str], StoredState]:
    """The state of each (entity, day): the newest row the twin wrote for it."""
    rows = conn.execute(sql("newest_states"), {**_filters(person_id), "days": [d.isoformat() for d in days]})
    return {(e, a): StoredState(i, e, a, doc) for i, e, a, doc in rows}


def day_states(conn: Connection, person_id: str, as_of: str) -> dict[str, dict]:
    """entity -> the state document of one day."""
    return dict(conn.execute(sql("day_states"), {**_filters(person_id), "d": as_of}).all())


def day_written_at(conn: Connection, person_id: str, as_of: str):
    """When the day's current state was written (the newest row among its entities'), or None."""
    return conn.execute(sql("day_written_at"), {**_filters(person_id), "d": as_of}).scalar()


def latest_state_day(conn: Connection, person_id: str) -> str | None:
    return conn.execute(sql("latest_state_day"), _filters(person_id)).scalar()


@dataclass(frozen=True)
class StateDecision:
    """What a run did with one (entity, day): core/history.py's decision, and the status of
    the state it computed."""

    entity_type: str
    as_of: str
    decision: Decision
    status: str | None

    @property
    def writes(self) -> bool:
        return self.decision in ("new", "correction")


def write_day_states(
    conn: Connection, person_id: str, days: list[date], fallbacks: Mapping[str, dict]
) -> list[StateDecision]:
    """Append the day states of the run's stored sections that say something new, inside the
    caller's transaction, with the person's writers taking turns; in (day, entity) order.

    One statement decides and writes in PostgreSQL (plan_rows' rule, compared as jsonb), so
    only the decisions come back. `fallbacks`: entity -> the Unavailable document to state
    on a day without its section (any day's; the statement sets its as_of)."""
    conn.execute(sql("lock_state_writers"), {"p": person_id})
    params = {
        **_filters(person_id),
        "days": [d.isoformat() for d in days],
        "fallbacks": json.dumps(fallbacks, ensure_ascii=False),
    }
    return [StateDecision(*row) for row in conn.execute(sql("write_day_states"), params)]


def state_history(
    conn: Connection, person_id: str, *, limit: int, entity_type: str | None, start: str | None, end: str | None
) -> list[Mapping]:
    """State rows newest first, each with its version among the rows of its (entity, day)."""
    params = {**_filters(person_id), "limit": limit, "entity": entity_type, "start": start, "end": end}
    return list(conn.execute(sql("state_history"), params).mappings())


def store_version(conn: Connection, person_id: str) -> tuple:
    """Changes whenever the pipeline writes a state, a summary or an entity (for caches)."""
    return tuple(conn.execute(sql("store_version"), {"p": person_id}).one())


# --- summaries ----------------------------------------------------------------------------


def upsert_summaries(conn: Connection, person_id: str, summaries: list[tuple[str, str, list[str]]]) -> int:
    """Store each day's text (as_of, text, state row ids); returns how many days changed."""
    if not summaries:
        return 0
    result = conn.execute(sql("upsert_summaries"), {
        "p": person_id,
        "days": [as_of for as_of, _, _ in summaries],
        "texts": [summary_text for _, summary_text, _ in summaries],
        "ids": [",".join(ids) for _, _, ids in summaries],
    })
    return result.rowcount


def latest_summary(conn: Connection, person_id: str, as_of: date | None = None) -> tuple[str, str] | None:
    """(as_of, text) of the given day, or of the newest day with a summary."""
    row = conn.execute(sql("summary_of_day"), {"p": person_id, "d": None if as_of is None else as_of.isoformat()}).first()
    return None if row is None else (row[0], row[1])


def summaries_between(conn: Connection, person_id: str, first: date, last: date) -> dict[str, str]:
    """as_of -> status text for the days first..last that have one."""
    return dict(conn.execute(sql("summaries_between"), {"p": person_id, "a": first, "b": last}).all())


# --- the forecasts' reviews (core/forecast_review.py) -------------------------------------

def review_states(
    conn: Connection, person_id: str, first: date, last: date, run_days: Sequence[date] = ()
) -> dict[str, dict[date, dict]]:
    """entity -> day -> what the reviews read of the day's state, for the days first..last
    (one statement for any range); on `run_days`, the usable section about to be written."""
    params = {**_filters(person_id), "a": first.isoformat(), "b": last.isoformat(),
              "run_days": [day.isoformat() for day in run_days]}
    states: dict[str, dict[date, dict]] = {"finance": {}, "health": {}, "pantry": {}}
    for entity, as_of, document in conn.execute(sql("review_states"), params):
        states[entity][date.fromisoformat(as_of)] = document
    return states


def attach_ranges(conn: Connection, ranges: Mapping[str, Mapping[str, dict]]) -> None:
    """Set the forecasts' ranges ({entity: {as_of: patch}}) into the stored sections of
    those days, before their states are written (attach_ranges.sql; a statement per year of
    days, as the sections are written)."""
    for entity, patches in ranges.items():
        days = sorted(patches)
        for first in range(0, len(days), SECTIONS_PER_STATEMENT):
            batch = days[first:first + SECTIONS_PER_STATEMENT]
            conn.execute(sql("attach_ranges"), {
                "e": entity, "days": batch,
                "ranges": json.dumps({day: patches[day] for day in batch}, ensure_ascii=False),
            })


def write_reviews(conn: Connection, person_id: str, reviews: Sequence[Review]) -> int:
    """Append the reviews that differ from their forecast's newest row, under the states'
    lock, in one statement; returns how many were appended. A review no longer computed
    (its outcome state went unavailable) keeps its row, like a state."""
    if not reviews:
        return 0
    conn.execute(sql("lock_state_writers"), {"p": person_id})
    kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct, reason, low, high, held = zip(*reviews)
    columns = {
        "range_low": _plain_array(map(_text_or_null, low)), "range_high": _plain_array(map(_text_or_null, high)),
        "in_range": _plain_array("NULL" if h is None else str(h).lower() for h in held),
        "kind": _array_literal(kind), "subject": _array_literal(subject),
        "made_on": _plain_array(map(date.isoformat, made_on)),
        "outcome_on": _plain_array(map(date.isoformat, outcome_on)),
        "predicted": _plain_array(map(str, predicted)), "actual": _plain_array(map(_text_or_null, actual)),
        "error": _plain_array(map(_text_or_null, error)),
        "accuracy_pct": _plain_array(map(_text_or_null, accuracy_pct)), "accuracy_reason": _array_literal(reason),
    }
    return conn.execute(sql("append_reviews"), {"p": person_id, **columns}).rowcount


def _text_or_null(value: Decimal | None) -> str:
    return "NULL" if value is None else str(value)


def _plain_array(elements: Iterable[str]) -> str:
    """PostgreSQL's array input of elements that need no quoting (ISO dates, numbers, NULL)."""
    return "{" + ",".join(elements) + "}"


def _array_literal(values: Iterable[str | None]) -> str:
    """PostgreSQL's array input for text values ('{"a","b\\"c",NULL}'), every element quoted."""
    def element(value: str | None) -> str:
        if value is None:
            return "NULL"
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return "{" + ",".join(map(element, values)) + "}"


def reviews_between(
    conn: Connection, person_id: str, *, kind: str | None = None, made_from: date | None = None,
    made_to: date | None = None, outcome_from: date | None = None, outcome_to: date | None = None,
) -> list[Mapping]:
    """The current review (newest row) of each forecast in the ranges, by made_on."""
    params = {"p": person_id, "kind": kind, "a": made_from, "b": made_to, "oa": outcome_from, "ob": outcome_to}
    return list(conn.execute(sql("reviews_between"), params).mappings())


def review_totals(
    conn: Connection, person_id: str, *, by_month: bool, made_from: date | None = None,
    outcome_from: date | None = None, outcome_to: date | None = None,
) -> dict[date | None, dict[str, KindSummary]]:
    """The summaries of the current reviews in the ranges, per month of the outcome day
    (by_month) or all together (under None), added up in the database (review_totals.sql)."""
    params = {"p": person_id, "by_month": by_month, "a": made_from, "oa": outcome_from, "ob": outcome_to,
              "thresholds": json.dumps(THRESHOLD_PCT)}
    totals: dict[date | None, list[KindTotals]] = {}
    for month, *sums in conn.execute(sql("review_totals"), params):
        totals.setdefault(month, []).append(KindTotals(*sums))
    return {month: summaries(found) for month, found in totals.items()}


# --- what the twin computed from (for source_change_sensor) -------------------------------


def record_fingerprints(conn: Connection, windows: Iterable[Fingerprints]) -> None:
    """Replace each window's stored fingerprints (a bucket absent now is absent there too)."""
    for window in windows:
        bounds = {"t": window.source_table, "a": window.first_bucket, "b": window.last_bucket}
        conn.execute(sql("forget_fingerprints"), bounds)
        if window.values:
            conn.execute(sql("insert_fingerprints"), {"t": window.source_table, "values": json.dumps(window.values)})
        conn.execute(sql("extend_coverage"), bounds)


def stored_fingerprints(conn: Connection, source_table: str) -> tuple[dict[str, str], str | None]:
    """(bucket -> fingerprint, first covered bucket) of what the twin last computed from."""
    values = dict(conn.execute(sql("stored_fingerprints"), {"t": source_table}).all())
    return values, conn.execute(sql("coverage"), {"t": source_table}).scalar()


# --- history at a glance (the dashboard, data frames) -------------------------------------
# One statement per series over the whole range, never one per day: a decade is ~11,000 rows.


def states_between(
    conn: Connection, person_id: str, entity_type: str, first: date | None, last: date | None
) -> list[tuple[str, dict]]:
    """(as_of, document) of each day of one entity in first..last (None: open), oldest first."""
    params = {**_filters(person_id), "entity": entity_type, "a": _iso_or_none(first), "b": _iso_or_none(last)}
    return [(as_of, document) for as_of, document in conn.execute(sql("states_between"), params)]


def state_bounds(conn: Connection, person_id: str) -> tuple[str | None, str | None]:
    """The first and the newest day holding a state (None, None in an empty store)."""
    first, last = conn.execute(sql("dashboard_bounds"), _filters(person_id)).one()
    return first, last


@dataclass(frozen=True)
class DayRange:
    """The days first..last of a chart; `from_first_stored` / `to_last_stored`: the range
    starts on the store's first day / ends on its newest. The queries then leave that bound
    out: testing it reads `as_of` out of every (compressed) document before the document is
    read for its figures, which on a decade costs more than the rest of the query."""

    first: date
    last: date
    from_first_stored: bool = False
    to_last_stored: bool = False

    def params(self, person_id: str) -> dict:
        return {
            **_filters(person_id), "a": self.first.isoformat(), "b": self.last.isoformat(),
            "since": None if self.from_first_stored else self.first.isoformat(),
            "until": None if self.to_last_stored else self.last.isoformat(),
        }


def coverage(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """Per entity over the days: days, stored, unavailable, degraded, first_missing,
    corrected_days, replaced_rows; then a row with entity None: the days corrected in any."""
    return list(conn.execute(sql("dashboard_coverage"), days.params(person_id)).mappings())


def monthly_net(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(month, as_of, currency, net) of each month touching the days: the month-to-date
    net of its last usable day; (month, None, None, None) for a month without one."""
    return [tuple(row) for row in conn.execute(sql("dashboard_cashflow"), days.params(person_id))]


def body_measurements(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(measured_on, bodyweight_kg, bodyfat_pct, 28-day average weight) of each measurement."""
    return [tuple(row) for row in conn.execute(sql("dashboard_weight"), days.params(person_id))]


def readiness_readings(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(measured_on, readiness_score, sleep_score, hrv_ms) of each watch reading the days' states report."""
    return [tuple(row) for row in conn.execute(sql("dashboard_readiness"), days.params(person_id))]


def workouts_per_week(conn: Connection, person_id: str, week_ends: list[date]) -> list[tuple[str, int | None]]:
    """(last day, workouts in the 7 days ending then) of each week; None without a state."""
    params = {**_filters(person_id), "week_ends": [d.isoformat() for d in week_ends]}
    return [tuple(row) for row in conn.execute(sql("dashboard_workouts"), params)]


def pantry_counts(conn: Connection, person_id: str, days: list[date]) -> list[tuple]:
    """(as_of, low stock, expiring soon, expired) of each day; Nones where none is known."""
    params = {**_filters(person_id), "days": [d.isoformat() for d in days]}
    return [tuple(row) for row in conn.execute(sql("dashboard_pantry"), params)]


def budgets_of_day(conn: Connection, person_id: str, as_of: date) -> list[Mapping]:
    """Each budget of the day's finance state: status (the state's), category_path,
    budget_amount, actual_amount, utilization_pct and alert_severity (None when it is not an
    alert); no row without a state that day, one with category_path None without budgets."""
    return list(conn.execute(sql("dashboard_budgets"), {**_filters(person_id), "d": as_of.isoformat()}).mappings())


def month_end_accuracy(conn: Connection, person_id: str, days: DayRange) -> list[tuple]:
    """(day of month, median accuracy %, scored) of the month-end projections made in the days."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return [tuple(row) for row in conn.execute(sql("dashboard_month_end_accuracy"), params)]


def month_end_bands(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """made_on, predicted, range_low, range_high, actual, in_range of each month-end
    projection made in the days and scored."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return list(conn.execute(sql("dashboard_month_end_bands"), params).mappings())


def runout_errors(conn: Connection, person_id: str, days: DayRange) -> list[Mapping]:
    """Per budget category: subject, mean_error_days, mean_absolute_error_days, scored, of
    the run-out forecasts made in the days."""
    params = {"p": person_id, "a": days.first, "b": days.last}
    return list(conn.execute(sql("dashboard_runout_error"), params).mappings())


def _iso_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
