-- The current review of each forecast, filtered by the day it was made (:a..:b) or the day
-- it was scored (:oa..:ob) and by kind; any NULL bound is open. A forecast made on its
-- outcome day (zero horizon) is not scored.
SELECT kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct, accuracy_reason,
       range_low, range_high, in_range, created_at
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND outcome_on > made_on
  AND (CAST(:kind AS text) IS NULL OR kind = CAST(:kind AS text))
  AND (CAST(:a AS date) IS NULL OR made_on >= CAST(:a AS date))
  AND (CAST(:b AS date) IS NULL OR made_on <= CAST(:b AS date))
  AND (CAST(:oa AS date) IS NULL OR outcome_on >= CAST(:oa AS date))
  AND (CAST(:ob AS date) IS NULL OR outcome_on <= CAST(:ob AS date))
ORDER BY made_on, kind, subject
