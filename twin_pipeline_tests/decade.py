"""Ten years of day states in a twin store in about a second, for the dashboard's and the
export's tests.

A real ten-year backfill takes minutes (bench/api.py runs one). These states are instead
written by one INSERT ... SELECT over generate_series, shaped exactly like real ones: the
templates are the documents the pipeline computed from the demo data, kept current in
snapshots/demo_states.json by test_states_unchanged. Each day takes the template of its
day of the month (finance: month-to-date sums belong to a day of the month) or of its place
in a cycle (health, pantry), with as_of set to the day and the numbers varied in SQL:
income and expenses by year and season, weight along a slow wave, body fat measured on
some days only. Then the story a decade has: ten days missing in the middle, pantry
unavailable for thirty days, three days corrected (an earlier row replaced).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from twin_pipeline.core.forecast_review import READ_BACK_DAYS, review_forecasts
from twin_pipeline.core.summary import render_summary
from twin_pipeline.defs.forecast_review import OUTCOME_DAYS_PER_BLOCK
from twin_pipeline.store.person import resolve_person
from twin_pipeline.store.reviews import review_states, write_reviews
from twin_pipeline.store.schema import SOURCE_SYSTEM, UPDATE_TYPE
from twin_pipeline.store.states import newest_states
from twin_pipeline.store.summaries import upsert_summaries

SNAPSHOT = Path(__file__).parent / "snapshots" / "demo_states.json"
TEN_YEARS = 3653  # days, with the leap days


@dataclass(frozen=True)
class Decade:
    """What was written, for the assertions: days counted back from `end` (0 = end)."""

    person_id: str
    end: date
    days: int
    gap: range  # days without any state
    pantry_unavailable: range
    corrected: tuple[int, ...]  # finance days with a replaced row

    def day(self, back: int) -> date:
        return self.end - timedelta(days=back)


STATES = """
WITH templates AS (
    SELECT t ->> 'entity' AS entity, CAST(t ->> 'k' AS integer) AS k, t -> 'doc' AS doc
    FROM jsonb_array_elements(CAST(:templates AS jsonb)) AS t
), cycle AS (
    SELECT count(*) AS n FROM templates WHERE entity = 'health'
), days AS (
    SELECT n, CAST(:end AS date) - n AS d,
           -- a year-on-year drift and a season: money and weight are not flat over a decade
           1 + 0.03 * ((:days - n) / 365) + 0.08 * sin(2 * pi() * n / 365.0) AS scale
    FROM generate_series(0, :days - 1) AS n
    WHERE NOT n BETWEEN :gap_first AND :gap_last
), finance AS (
    SELECT days.n, days.d, t.doc, round(CAST(t.doc ->> 'mtd_income' AS numeric) * CAST(days.scale AS numeric), 2) AS income,
           round(CAST(t.doc ->> 'mtd_expense' AS numeric) * CAST(1.7 - days.scale AS numeric), 2) AS expense
    FROM days JOIN templates AS t ON t.entity = 'finance' AND t.k = extract(day FROM days.d)
), health AS (
    SELECT days.n, days.d, t.doc,
           -- a slow wave, and a day's noise of up to 0.4 kg either way
           round(CAST(77 + 3 * sin(2 * pi() * days.n / 730.0)
                      + 0.8 * (abs(sin(days.n * 12.9898) * 43758.5453) - floor(abs(sin(days.n * 12.9898) * 43758.5453)) - 0.5) AS numeric), 1) AS weight
    FROM days, cycle JOIN templates AS t ON t.entity = 'health'
    WHERE t.k = days.n % cycle.n
), states AS (
    SELECT n, d, 'finance' AS entity, jsonb_set(
               jsonb_set(jsonb_set(doc || jsonb_build_object('as_of', to_char(d, 'YYYY-MM-DD'), 'mtd_income', income,
                                                             'mtd_expense', expense, 'mtd_net', income - expense),
                                   -- the month-end projection moves with the month-to-date net
                                   '{forecast,month_end_net_projected}',
                                   to_jsonb(income - expense + CAST(doc #>> '{forecast,month_end_net_projected}' AS numeric)
                                            - CAST(doc ->> 'mtd_net' AS numeric)), false),
                         -- a budget's run-out day keeps its distance from the day, as the pantry's do
                         '{forecast,budgets}', (
                   SELECT coalesce(jsonb_agg(CASE WHEN b ->> 'runs_out_on' IS NULL THEN b
                       ELSE b || jsonb_build_object('runs_out_on', to_char(
                           CAST(b ->> 'runs_out_on' AS date) + (d - CAST(doc ->> 'as_of' AS date)), 'YYYY-MM-DD'))
                       END ORDER BY i), '[]')
                   FROM jsonb_array_elements(coalesce(doc #> '{forecast,budgets}', '[]')) WITH ORDINALITY AS e(b, i)
               ), false),
               -- the main currency's totals again, where the template has more than one
               ARRAY['by_currency', doc ->> 'currency'],
               coalesce(doc #> ARRAY['by_currency', doc ->> 'currency'], '{}')
                   || jsonb_build_object('mtd_income', income, 'mtd_expense', expense, 'mtd_net', income - expense),
               false) AS document
    FROM finance
    UNION ALL
    SELECT n, d, 'health', doc || jsonb_build_object(
               'as_of', to_char(d, 'YYYY-MM-DD'),
               'last_workout_date', to_char(d - CAST(doc ->> 'days_since_last_workout' AS integer), 'YYYY-MM-DD'),
               'body_composition', doc -> 'body_composition' || jsonb_build_object(
                   'measurement_date', to_char(d, 'YYYY-MM-DD'), 'bodyweight_kg', weight,
                   'bodyfat_pct', CASE WHEN n % 7 = 0 THEN round(CAST(14 + weight - 77 AS numeric) / 2 + 10, 1) END))
    FROM health
    UNION ALL
    SELECT days.n, days.d, 'pantry', CASE WHEN days.n BETWEEN :unavailable_first AND :unavailable_last
        THEN jsonb_build_object('as_of', to_char(days.d, 'YYYY-MM-DD'), 'status', 'unavailable',
                                'error', 'pantry database unreachable at 127.0.0.1:5432/autonomous_pantry (connection refused after 5 s)')
        ELSE jsonb_set(t.doc || jsonb_build_object('as_of', to_char(days.d, 'YYYY-MM-DD')), '{forecast,categories}', (
            -- the days each category has left stay as many: its date moves with the day
            SELECT coalesce(jsonb_agg(CASE WHEN c ->> 'reaches_threshold_on' IS NULL THEN c
                ELSE c || jsonb_build_object('reaches_threshold_on', to_char(
                    CAST(c ->> 'reaches_threshold_on' AS date) + (days.d - CAST(t.doc ->> 'as_of' AS date)), 'YYYY-MM-DD'))
                END ORDER BY i), '[]')
            FROM jsonb_array_elements(coalesce(t.doc #> '{forecast,categories}', '[]')) WITH ORDINALITY AS e(c, i)
        ), false) END
    FROM days, cycle JOIN templates AS t ON t.entity = 'pantry'
    WHERE t.k = days.n % cycle.n
)
INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, update_type, created_at)
SELECT entity, CAST(:p AS uuid), document, :s, :u, d + INTERVAL '23 hours'
FROM states
UNION ALL
-- the rows the corrections replaced: an hour older, 100 more spent
SELECT entity, CAST(:p AS uuid), jsonb_set(
           document || replaced, ARRAY['by_currency', document ->> 'currency'],
           coalesce(document #> ARRAY['by_currency', document ->> 'currency'], '{}') || replaced, false),
       :s, :u, d + INTERVAL '22 hours'
FROM states,
     LATERAL (SELECT jsonb_build_object('mtd_expense', CAST(document ->> 'mtd_expense' AS numeric) + 100,
                                        'mtd_net', CAST(document ->> 'mtd_net' AS numeric) - 100) AS replaced) AS r
WHERE entity = 'finance' AND n = ANY(:corrected)
"""


def templates() -> list[dict]:
    """Finance documents by day of the month (from the snapshot's March), health and pantry
    documents numbered in the snapshot's order."""
    snapshot = json.loads(SNAPSHOT.read_text(encoding="utf-8"))["states"]
    found = []
    for entity in ("health", "pantry"):
        documents = [json.loads(doc) for as_of, name, doc in sorted(snapshot) if name == entity]
        found += [{"entity": entity, "k": k, "doc": doc} for k, doc in enumerate(documents)]
    by_day = {int(as_of[8:]): json.loads(doc) for as_of, name, doc in sorted(snapshot) if name == "finance"}
    found += [{"entity": "finance", "k": day, "doc": doc} for day, doc in by_day.items()]
    assert set(by_day) == set(range(1, 32)), "the snapshot no longer holds a finance state for every day of a month"
    return found


def insert_states(engine: Engine, end: date, days: int = TEN_YEARS, *, story: bool = True,
                  summaries: bool = True, reviews: bool = False) -> Decade:
    """Write `days` days of states ending on `end` (and their status texts) for the store's
    person, created if none; `story`: the gap, the unavailable pantry and the corrections;
    `reviews`: every forecast of those states scored by the twin's own rules, as
    forecast_review scores them (a few seconds for a decade)."""
    gap, unavailable = (range(1000, 1010), range(2000, 2030)) if story else (range(-1, -1), range(-1, -1))
    corrected = (5, 40, 400) if story else ()
    with engine.begin() as conn:
        person = resolve_person(conn, None)
        conn.execute(text(STATES), {
            "templates": json.dumps(templates()), "end": end, "days": days, "p": person,
            "s": SOURCE_SYSTEM, "u": UPDATE_TYPE,
            "gap_first": gap.start, "gap_last": gap.stop - 1,
            "unavailable_first": unavailable.start, "unavailable_last": unavailable.stop - 1,
            "corrected": list(corrected),
        })
        if summaries:
            every_day = [end - timedelta(days=n) for n in range(days)]
            states = newest_states(conn, person, every_day)
            texts = []
            for day in every_day:
                found = {e: states[(e, day.isoformat())] for e in ("finance", "health", "pantry")
                         if (e, day.isoformat()) in states}
                if found:
                    texts.append((day.isoformat(), render_summary(
                        day.isoformat(), {e: s.document for e, s in found.items()}, forecasts=True),
                        [s.id for s in found.values()]))
            upsert_summaries(conn, person, texts)
    if reviews:
        score_forecasts(engine, person, [end - timedelta(days=n) for n in range(days - 1, -1, -1)])
    with engine.begin() as conn:
        # What autovacuum does within a minute of a bulk load; without statistics the planner
        # takes the state lookup index for useless on this table.
        conn.execute(text("ANALYZE digital_twin_updates"))
    return Decade(person, end, days, gap, unavailable, corrected)


def score_forecasts(engine: Engine, person: str, days: list[date]) -> int:
    """Score the forecasts whose outcome day is one of `days`, a year of outcome days at a
    time, exactly as the forecast_review asset does; how many rows were appended."""
    written = 0
    for first in range(0, len(days), OUTCOME_DAYS_PER_BLOCK):
        block = days[first:first + OUTCOME_DAYS_PER_BLOCK]
        with engine.begin() as conn:
            states = review_states(conn, person, block[0] - timedelta(days=READ_BACK_DAYS), block[-1])
            written += write_reviews(
                conn, person, review_forecasts(block, states["finance"], states["health"], states["pantry"]))
    return written
