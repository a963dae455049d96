"""What a user sees does not change by accident: every state and status text of a fixed
demo range equals the committed snapshot, byte for byte.

A deliberate change of the documents or the text (a new key, a new line) regenerates it:
`TWIN_UPDATE_SNAPSHOTS=1 python3.11 dev.py test twin_pipeline_tests/test_states_unchanged.py`
and the diff of `snapshots/demo_states.json` is then part of that change's review.
"""

from __future__ import annotations

import difflib
import json
import os
from datetime import date
from pathlib import Path

from sqlalchemy import text

from twin_pipeline.demo import load_demo_data
from twin_pipeline.migrations import migrate
from twin_pipeline_tests.conftest import materialize_days

SNAPSHOT = Path(__file__).parent / "snapshots" / "demo_states.json"
SEED, DEMO_DAYS = 4, 400
FIRST, LAST = date(2026, 1, 20), date(2026, 3, 31)  # a month end, a leap-free February, DST on 03-29


def _stored(sources) -> dict:
    with sources.twin.connect() as conn:
        states = conn.execute(
            text(
                "SELECT update_data ->> 'as_of', entity_type, update_data::text FROM digital_twin_updates "
                "WHERE entity_type IN ('finance', 'health', 'pantry') ORDER BY 1, 2, created_at"
            )
        ).all()
        summaries = conn.execute(
            text("SELECT as_of::text, summary_text FROM twin_daily_summary ORDER BY as_of")
        ).all()
    # jsonb's own text form: the bytes the person's SELECT shows.
    return {
        "states": [[as_of, entity, document] for as_of, entity, document in states],
        "summaries": {as_of: summary for as_of, summary in summaries},
    }


def test_demo_states_and_texts_equal_the_snapshot(sources):
    migrate(sources.pantry, "pantry_history")
    load_demo_data(sources.finance, sources.training, sources.pantry, days=DEMO_DAYS, seed=SEED, end=LAST,
                   biometrics=sources.health)
    materialize_days(sources, FIRST, LAST)
    got = json.dumps(_stored(sources), indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    if os.environ.get("TWIN_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(got, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    if got != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.splitlines(True), got.splitlines(True), "snapshot", "now", n=1))[:80])
        raise AssertionError(
            "the demo's states or texts changed; if deliberate, regenerate with TWIN_UPDATE_SNAPSHOTS=1\n" + diff
        )
    assert len(json.loads(got)["states"]) == 3 * ((LAST - FIRST).days + 1)
