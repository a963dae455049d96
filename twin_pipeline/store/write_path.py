"""The day-state write path: each source's sections of the days, an entity's section
composed from its sources' parts, then the day states appended where they say something new
(one statement decides and writes; the person's writers take turns)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.core.history import Decision
from twin_pipeline.store.schema import _filters, sql

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
