-- How the month-end projection's accuracy grows with the day of the month: per day of the
-- month, over the forecasts made in :a..:b (their current reviews), the mean accuracy and
-- how many were scored.
SELECT CAST(extract(day FROM made_on) AS integer) AS day_of_month,
       round(avg(accuracy_pct), 2) AS mean_accuracy_pct,
       count(*) AS scored
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND kind = 'month_end_net'
  AND made_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
GROUP BY 1
ORDER BY 1
