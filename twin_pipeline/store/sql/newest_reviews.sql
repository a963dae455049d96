-- The newest review of each forecast made in :a..:b (the one a new review is compared with).
SELECT DISTINCT ON (kind, subject, made_on)
       kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct, accuracy_reason
FROM twin_forecast_review
WHERE person_id = CAST(:p AS uuid) AND made_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
ORDER BY kind, subject, made_on, created_at DESC, review_id DESC
