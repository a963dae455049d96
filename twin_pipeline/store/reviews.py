"""The forecasts' reviews (core/forecast_review.py) in the store: the states a review reads,
the append-only review rows, and their read-back and totals."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date

from sqlalchemy import Connection

from twin_pipeline.core.forecast_review import THRESHOLD_PCT, KindSummary, KindTotals, Review, summaries
from twin_pipeline.store.schema import _filters, sql
from twin_pipeline.store.write_path import SECTIONS_PER_STATEMENT


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
    # A column per field, as Review names them; default=str writes a Decimal's digits and a
    # date's ISO form, which the statement reads back as numeric and date.
    columns = json.dumps(dict(zip(Review._fields, zip(*reviews))), default=str)
    return conn.execute(sql("append_reviews"), {"p": person_id, "reviews": columns}).rowcount


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
