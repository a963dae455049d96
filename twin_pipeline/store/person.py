"""The person the twin is of: who that is (resolve_person), their row, and their
append-only person states (digital_twin_updates, beside the day states)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.store.schema import SOURCE_SYSTEM, StoreError, _filters, day_entities, sql


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
