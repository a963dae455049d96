-- The budgets' run-out error in days, per budget category, over the forecasts made in
-- :a..:b (their current reviews): the mean error (negative: it ran out later than
-- predicted, or never), the mean absolute error, and how many.
SELECT subject, round(avg(error), 2) AS mean_error_days, round(avg(abs(error)), 2) AS mean_absolute_error_days,
       count(*) AS scored
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND kind = 'budget_run_out'
  AND made_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
GROUP BY subject
ORDER BY mean_absolute_error_days DESC, subject
