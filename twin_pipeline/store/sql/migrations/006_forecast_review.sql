-- The twin grading its own forecasts (core/forecast_review.py): one row per forecast scored,
-- append-only like digital_twin_updates. The review of (person, kind, subject, made_on) is
-- its newest row; a rerun appends nothing, a corrected source appends a row and keeps the old.
CREATE TABLE IF NOT EXISTS twin_forecast_review (
    review_id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key: a per-row check costs a decade's backfill seconds, and only the
    -- pipeline writes here, for the person it resolved (as digital_twin_updates).
    person_id       uuid        NOT NULL,
    kind            text        NOT NULL CONSTRAINT forecast_review_kind_valid
                                CHECK (kind IN ('month_end_net', 'budget_run_out', 'weight_28d', 'pantry_threshold')),
    subject         text        NOT NULL DEFAULT '',
    made_on         date        NOT NULL,
    outcome_on      date        NOT NULL CONSTRAINT forecast_review_outcome_not_before_made CHECK (outcome_on >= made_on),
    predicted       numeric     NOT NULL,
    actual          numeric,
    error           numeric,
    accuracy_pct    numeric,
    accuracy_reason text,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The newest review of each forecast, by the day it was made: a new review's comparison
-- (one probe), the API's range, and the outcome-day reads, which bound made_on too (an
-- outcome lies at most 42 days after its forecast). One index: a decade's backfill
-- appends ~150,000 rows.
CREATE INDEX IF NOT EXISTS twin_forecast_review_made
    ON twin_forecast_review (person_id, made_on, kind, subject, created_at DESC);

-- The current review of each forecast: its newest row. Filters on the person, kind, subject
-- or made_on reach the index through it (they are its DISTINCT ON columns).
CREATE OR REPLACE VIEW twin_forecast_review_current AS
SELECT DISTINCT ON (person_id, kind, subject, made_on) *
FROM twin_forecast_review
ORDER BY person_id, kind, subject, made_on, created_at DESC, review_id DESC;
