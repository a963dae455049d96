-- The month-end projections made in :a..:b (their current reviews) against their outcome:
-- each with the 80 % range it was made with, for the dashboard's band. A forecast made on
-- its outcome day is not scored.
SELECT made_on, predicted, range_low, range_high, actual, in_range
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND kind = 'month_end_net' AND outcome_on > made_on
  AND made_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
ORDER BY made_on
