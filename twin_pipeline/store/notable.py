"""The store's side of what is notable: each day's items (append-only, the newest row is the
day's), and the ledger of their pushes to TWIN_NOTIFY_URL. Its SQL is in store/sql/notable/."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import Connection, TextClause

from twin_pipeline.sqlfiles import load

TABLES = ("twin_notable_day", "twin_notification")


def sql(name: str) -> TextClause:
    return load("twin_pipeline.store", f"notable/{name}")


def append_notable_days(conn: Connection, person_id: str, days: Mapping[date, Sequence[Mapping]]) -> list[str]:
    """Append each day's items that differ from its newest row (one statement for the range);
    the days appended."""
    if not days:
        return []
    ordered = sorted(days)
    rows = conn.execute(sql("append_notable_days"), {
        "p": person_id,
        "days": [day.isoformat() for day in ordered],
        "items": [json.dumps(days[day], ensure_ascii=False) for day in ordered],
    })
    return list(rows.scalars())


def notable_days(conn: Connection, person_id: str, first: date, last: date) -> dict[date, list[dict]]:
    """The items of each day from first to last that has a row (its newest)."""
    rows = conn.execute(sql("notable_days"), {"p": person_id, "first": first, "last": last})
    return {date.fromisoformat(day): items for day, items in rows}


Pairs = Sequence[tuple[str, date]]  # (item key, the day its condition started)


def _pairs(pairs: Pairs) -> dict:
    return {"keys": [key for key, _ in pairs], "days": [day for _, day in pairs]}


def delivered_notifications(conn: Connection, person_id: str, pairs: Pairs) -> set[tuple[str, date]]:
    """Of those conditions, the ones already delivered."""
    rows = conn.execute(sql("delivered_notifications"), {"p": person_id, **_pairs(pairs)})
    return {(key, day) for key, day in rows}


def record_notifications(conn: Connection, person_id: str, pairs: Pairs) -> None:
    """The ledger's row for each condition to push, before the first try."""
    conn.execute(sql("record_notifications"), {"p": person_id, **_pairs(pairs)})


def owed_notifications(conn: Connection, person_id: str, pairs: Pairs) -> list[tuple[str, date]]:
    """Of those conditions, the ones not delivered yet, locked until this transaction ends."""
    return [(key, day) for key, day in conn.execute(sql("owed_notifications"), {"p": person_id, **_pairs(pairs)})]


def record_attempts(conn: Connection, person_id: str, pairs: Pairs, tries: int, error: str | None) -> None:
    """A push's outcome for its conditions: delivered when error is None."""
    conn.execute(sql("record_attempts"), {
        "p": person_id, **_pairs(pairs), "tries": tries, "error": error, "delivered": error is None,
    })


def notifications(conn: Connection, person_id: str, day: date) -> list[Mapping]:
    """The ledger of the conditions that started on a day: item_key, attempts, last_error, delivered_at."""
    return list(conn.execute(sql("notifications"), {"p": person_id, "d": day}).mappings())
