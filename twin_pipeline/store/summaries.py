"""The days' status texts (twin_daily_summary): written by daily_summary, read by the
reader and the API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection

from twin_pipeline.store.schema import sql


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
