"""The store's set-based write of a run's states decides exactly as core/history.py's
plan_rows (the rule), on crafted sections and stored rows, on real PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from twin_pipeline.core.history import plan_rows
from twin_pipeline.core.sections import Unavailable
from twin_pipeline.store.person import resolve_person
from twin_pipeline.store.schema import SOURCE_SYSTEM, UPDATE_TYPE
from twin_pipeline.store.states import newest_states
from twin_pipeline.store.write_path import write_day_states

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(7)]
D1, D2, D3, D4, D5, D6, D7 = (d.isoformat() for d in DAYS)
ENTITIES = ("finance", "health", "pantry")
FALLBACKS = {e: Unavailable(e, DAYS[0], f"the {e} asset has not been materialized for this day").to_json() for e in ENTITIES}


def ok(day: str, **figures) -> str:
    return json.dumps({"as_of": day, "status": "ok", **figures})


# (entity, day) -> the stored rows, oldest first, as JSON text (the spelling is kept by jsonb).
STORED = {
    ("health", D1): ['{"b": [1, 2], "a": 1.0, "status": "ok", "as_of": "%s"}' % D1],  # same as the section
    ("pantry", D1): [ok(D1, x=1)],
    ("finance", D2): [ok(D2, x=1)],
    ("health", D2): [json.dumps({"as_of": D2, "status": "unavailable", "error": "down"})],
    ("pantry", D2): [json.dumps({"as_of": D2, "status": "unavailable", "error": "down"})],
    ("finance", D3): [ok(D3, x=1)],
    ("pantry", D3): [json.dumps({"as_of": D3, "x": 1})],  # no status at all
    ("finance", D4): [ok(D4, x=1), ok(D4, x=2)],  # the newest equals the section
    ("health", D4): [ok(D4, x=2), ok(D4, x=1)],  # an older row equals the section
    ("pantry", D4): [json.dumps({"as_of": D4, "status": None})],
    ("finance", D5): [json.dumps({"as_of": D5, "status": "degraded", "x": 1})],
    ("health", D6): [ok(D6, x=1)],
    ("health", D7): [json.dumps({"as_of": D7, "status": "degraded", "parts_unavailable": ["biometrics"], "x": 1})],
}
# (entity, day) -> the section a source stored; a key left out: its asset did not run that day.
SECTIONS = {
    ("finance", D1): ok(D1, x=1),  # nothing stored: new
    ("health", D1): ok(D1, a=1, b=[1, 2]),  # reordered keys, 1 vs 1.0: unchanged
    ("pantry", D1): ok(D1, x=2),  # correction
    ("finance", D2): json.dumps({"as_of": D2, "status": "unavailable", "error": "down"}),  # kept
    ("health", D2): json.dumps({"as_of": D2, "status": "unavailable", "error": "down"}),  # unchanged
    ("pantry", D2): json.dumps({"as_of": D2, "status": "unavailable", "error": "gone"}),  # correction
    # D3: no section: finance kept over its ok row, health new (unavailable), pantry kept (no status)
    ("finance", D4): ok(D4, x=2),  # unchanged
    ("health", D4): ok(D4, x=2),  # correction
    ("pantry", D4): json.dumps({"as_of": D4, "status": "unavailable", "error": "down"}),  # kept (status null)
    ("finance", D5): ok(D5, x=1),  # correction (degraded -> ok)
    ("health", D5): json.dumps({"as_of": D5, "status": "unavailable", "error": "down"}),  # new
    # pantry, D5: nothing stored, no section: new (unavailable)
    # A part unreadable (the health database down) where the stored state had it: kept.
    ("health", D6): json.dumps({"as_of": D6, "status": "degraded", "parts_unavailable": ["biometrics"], "x": 2}),
    # ... where the stored state lacked it too: a correction like any other.
    ("health", D7): json.dumps({"as_of": D7, "status": "degraded", "parts_unavailable": ["biometrics"], "x": 2}),
    # finance and pantry, D6 and D7: nothing stored, no section: new (unavailable)
}


@pytest.fixture
def sources(own_sources):
    """Each test a store of its own: a write changes what the next one decides."""
    return own_sources


@pytest.fixture
def person(sources) -> str:
    with sources.twin.begin() as conn:
        person_id = resolve_person(conn, None)
        stamp = 0
        for (entity, day), documents in STORED.items():
            for document in documents:
                stamp += 1
                conn.execute(
                    text(
                        "INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, "
                        "update_type, created_at) VALUES (:e, CAST(:p AS uuid), CAST(:d AS jsonb), :s, :u, "
                        "timestamptz '2024-01-01' + make_interval(secs => :n))"
                    ),
                    {"e": entity, "p": person_id, "d": document, "s": SOURCE_SYSTEM, "u": UPDATE_TYPE, "n": stamp},
                )
        # Another writer's row and another person's: never a state of this person's day.
        for source_system, entity_id in ((SOURCE_SYSTEM, "00000000-0000-0000-0000-000000000001"), ("other", person_id)):
            conn.execute(
                text(
                    "INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, update_type) "
                    "VALUES ('pantry', CAST(:p AS uuid), CAST(:d AS jsonb), :s, :u)"
                ),
                {"p": entity_id, "d": json.dumps({"as_of": D5, "status": "unavailable", "error": (
                    "the pantry asset has not been materialized for this day")}), "s": source_system, "u": UPDATE_TYPE},
            )
        for (entity, _), section in SECTIONS.items():
            conn.execute(
                text("INSERT INTO twin_section_day (entity_type, as_of, section) "
                     "VALUES (:e, CAST(CAST(:d AS jsonb) ->> 'as_of' AS date), CAST(:d AS jsonb))"),
                {"e": entity, "d": section},
            )
    return person_id


def _rule(conn, person_id: str) -> list[tuple]:
    """plan_rows on the same inputs, as the asset computed it before the store did."""
    computed = {
        (e, d.isoformat()): json.loads(SECTIONS[(e, d.isoformat())]) if (e, d.isoformat()) in SECTIONS
        else {**FALLBACKS[e], "as_of": d.isoformat()}
        for e in ENTITIES for d in DAYS
    }
    newest = {key: state.document for key, state in newest_states(conn, person_id, DAYS).items()}
    return [(r.entity_type, r.as_of, r.decision, r.document.get("status"), r.document) for r in plan_rows(computed, newest)]


def _rows_after(conn, stamp) -> list[tuple]:
    return conn.execute(
        text("SELECT entity_type, update_data FROM digital_twin_updates WHERE created_at > :t ORDER BY created_at"),
        {"t": stamp},
    ).all()


def test_the_sql_decides_as_plan_rows_and_appends_its_rows_in_day_entity_order(sources, person):
    with sources.twin.begin() as conn:
        expected = _rule(conn, person)
        began = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        got = write_day_states(conn, person, DAYS, FALLBACKS)
        appended = _rows_after(conn, began)

    assert [(r.entity_type, r.as_of, r.decision, r.status) for r in got] == [row[:4] for row in expected]
    # Every decision the rule knows shows up in the crafted cases.
    assert {r.decision for r in got} == {"new", "unchanged", "correction", "kept"}
    assert [(e, d) for e, d, decision, *_ in expected if decision == "kept"] == [
        ("finance", D2), ("finance", D3), ("pantry", D3), ("pantry", D4), ("health", D6)
    ]
    assert ("health", D7, "correction") in [row[:3] for row in expected]
    # The rows written are the rule's, in its (day, entity) order, each its computed document.
    assert [(e, doc) for e, doc in appended] == [(e, doc) for e, _, decision, _, doc in expected
                                                 if decision in ("new", "correction")]
    # A missing section: its Unavailable document, on its day.
    assert ("health", {**FALLBACKS["health"], "as_of": D3}) in appended


def test_running_it_again_writes_nothing(sources, person):
    with sources.twin.begin() as conn:
        write_day_states(conn, person, DAYS, FALLBACKS)  # the first run
    with sources.twin.begin() as conn:
        began = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        again = write_day_states(conn, person, DAYS, FALLBACKS)
        assert _rows_after(conn, began) == []
    assert {r.decision for r in again} == {"unchanged", "kept"}
    assert not any(r.writes for r in again)
