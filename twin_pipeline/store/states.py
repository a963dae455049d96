"""Reading the day states back: a day's, the newest of many days, their history row by row,
one entity's over a range, and the store's version (for caches)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.store.schema import _filters, sql


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


def state_history(
    conn: Connection, person_id: str, *, limit: int, entity_type: str | None, start: str | None, end: str | None
) -> list[Mapping]:
    """State rows newest first, each with its version among the rows of its (entity, day)."""
    params = {**_filters(person_id), "limit": limit, "entity": entity_type, "start": start, "end": end}
    return list(conn.execute(sql("state_history"), params).mappings())


def store_version(conn: Connection, person_id: str) -> tuple:
    """Changes whenever the pipeline writes a state, a summary or an entity (for caches)."""
    return tuple(conn.execute(sql("store_version"), {"p": person_id}).one())


# One statement over the whole range, never one per day: a decade is ~11,000 rows.
def states_between(
    conn: Connection, person_id: str, entity_type: str, first: date | None, last: date | None
) -> list[tuple[str, dict]]:
    """(as_of, document) of each day of one entity in first..last (None: open), oldest first."""
    params = {**_filters(person_id), "entity": entity_type, "a": _iso_or_none(first), "b": _iso_or_none(last)}
    return [(as_of, document) for as_of, document in conn.execute(sql("states_between"), params)]


def _iso_or_none(day: date | None) -> str | None:
    return None if day is None else day.isoformat()
