-- What each kind's summary is the means of (core/forecast_review.py KindTotals), over the
-- current review of each forecast in the ranges (as reviews_between.sql filters them), per
-- kind, and per month of the outcome day when :by_month: a decade's 150,000 reviews are
-- added up here, not sent to Python. :thresholds is {kind: threshold_pct}. A forecast made
-- on its outcome day (zero horizon) is not counted; the median accuracy is the lower median
-- (percentile_disc: an accuracy one of them had, exact, as statistics.median_low).
SELECT CASE WHEN CAST(:by_month AS boolean) THEN CAST(date_trunc('month', outcome_on) AS date) END AS month,
       kind,
       count(*) AS count,
       count(accuracy_pct) AS scored,
       coalesce(sum(accuracy_pct), 0) AS accuracy_sum,
       count(error) AS errors,
       coalesce(sum(abs(error)), 0) AS abs_error_sum,
       count(*) FILTER (WHERE accuracy_pct >= CAST(CAST(:thresholds AS jsonb) ->> kind AS numeric)) AS within_threshold,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY accuracy_pct) AS median_accuracy,
       count(in_range) AS ranged,
       count(*) FILTER (WHERE in_range) AS in_range,
       CASE WHEN kind = 'month_end_net' THEN max(subject) END AS currency
FROM twin_forecast_review_current
WHERE person_id = CAST(:p AS uuid) AND outcome_on > made_on
  AND (CAST(:a AS date) IS NULL OR made_on >= CAST(:a AS date))
  AND (CAST(:oa AS date) IS NULL OR outcome_on >= CAST(:oa AS date))
  AND (CAST(:ob AS date) IS NULL OR outcome_on <= CAST(:ob AS date))
GROUP BY 1, 2
ORDER BY 1, 2
