"""The twin store: every read and write of it goes through this package, a module per job, its
SQL in store/sql/.

The append-only rules live here once: the state of (entity, day) is its newest row; a
row is appended only when the document says something new; an unavailable recomputation
never buries a usable state; writers of one person take turns (an advisory lock).

The package's code imports each name from its module; the names are also re-exported here
so that `from twin_pipeline.store import X`, as code written before the split spells it,
keeps working.
"""

from twin_pipeline.store.dashboard import (
    DayRange,
    body_measurements,
    budgets_of_day,
    coverage,
    month_end_accuracy,
    month_end_bands,
    monthly_net,
    pantry_counts,
    readiness_readings,
    runout_errors,
    state_bounds,
    workouts_per_week,
)
from twin_pipeline.store.entities import goal_rows, home_row, upsert_goals, upsert_home
from twin_pipeline.store.fingerprints import record_fingerprints, stored_fingerprints
from twin_pipeline.store.person import append_person_state, person_row, resolve_person, update_person
from twin_pipeline.store.reviews import attach_ranges, review_states, review_totals, reviews_between, write_reviews
from twin_pipeline.store.schema import (
    REQUIRED_TABLES,
    SOURCE_SYSTEM,
    UPDATE_TYPE,
    StoreError,
    check_store,
    day_entities,
)
from twin_pipeline.store.states import (
    StoredState,
    day_states,
    day_written_at,
    latest_state_day,
    newest_states,
    state_history,
    states_between,
    store_version,
)
from twin_pipeline.store.summaries import latest_summary, summaries_between, upsert_summaries
from twin_pipeline.store.write_path import (
    SECTIONS_PER_STATEMENT,
    StateDecision,
    lock_entity_sections,
    source_sections,
    upsert_sections,
    upsert_source_sections,
    write_day_states,
)

__all__ = [
    "REQUIRED_TABLES", "SECTIONS_PER_STATEMENT", "SOURCE_SYSTEM", "UPDATE_TYPE",
    "DayRange", "StateDecision", "StoreError", "StoredState",
    "append_person_state", "body_measurements", "budgets_of_day", "check_store", "coverage", "day_entities",
    "day_states", "day_written_at", "goal_rows", "home_row", "latest_state_day", "latest_summary",
    "lock_entity_sections", "month_end_accuracy", "monthly_net", "newest_states", "pantry_counts", "person_row",
    "readiness_readings", "record_fingerprints", "resolve_person", "review_states", "review_totals",
    "reviews_between", "runout_errors", "source_sections", "state_bounds", "state_history", "states_between",
    "store_version", "stored_fingerprints", "summaries_between", "update_person", "upsert_goals", "upsert_home",
    "upsert_sections", "upsert_source_sections", "upsert_summaries", "workouts_per_week", "write_day_states",
    "write_reviews",
]
