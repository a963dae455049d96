-- How the month-end projection's accuracy grows with the day of the month: per day of the
-- month, over the forecasts made in :a..:b (their current reviews, made before their
-- outcome day), the median accuracy (the lower median: the accuracy formula is unbounded
-- below, a mean would follow its worst miss) and how many were scored.
SELECT CAST(extract(day FROM made_on) AS integer) AS day_of_month,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY accuracy_pct) AS median_accuracy_pct,
       count(*) AS scored
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND kind = 'month_end_net' AND outcome_on > made_on
  AND made_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
GROUP BY 1
ORDER BY 1
