-- Each review keeps the 80 % range its state gave the forecast (core/forecast_ranges.py), in
-- the forecast's own unit (days after made_on for a day), and whether the outcome fell
-- inside it: the forecasts are graded by how often their ranges held. Null for a review of
-- a forecast made without a range (too few comparable errors, or made before ranges).
ALTER TABLE twin_forecast_review
    ADD COLUMN IF NOT EXISTS range_low  numeric,
    ADD COLUMN IF NOT EXISTS range_high numeric,
    ADD COLUMN IF NOT EXISTS in_range   boolean;

-- The view's * was expanded when it was made: made again, it carries the new columns.
CREATE OR REPLACE VIEW twin_forecast_review_current AS
SELECT DISTINCT ON (person_id, kind, subject, made_on) *
FROM twin_forecast_review
ORDER BY person_id, kind, subject, made_on, created_at DESC, review_id DESC;
