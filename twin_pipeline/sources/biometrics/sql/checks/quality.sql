-- Rows the contract's ranges refuse among those the run looked at (:start - 27 through
-- :end), rows dated after :today, and the newest row up to :today (freshness). Each count
-- matches a rule of docs/operations.md, "Bad data": such a value is unknown, such a weight no reading.
SELECT count(*) FILTER (WHERE readiness_score NOT BETWEEN 0 AND 100
                           OR sleep_score NOT BETWEEN 0 AND 100)                  AS score_out_of_range,
       count(*) FILTER (WHERE hrv_ms NOT BETWEEN 0 AND 300)                        AS hrv_out_of_range,
       count(*) FILTER (WHERE weight_kg NOT BETWEEN 40 AND 200)                    AS weight_out_of_range,
       count(*) FILTER (WHERE body_fat_pct NOT BETWEEN 3 AND 50)                   AS bodyfat_out_of_range,
       (SELECT count(*) FROM biometrics WHERE measurement_date > CAST(:today AS date)) AS future_dated,
       (SELECT max(measurement_date) FROM biometrics WHERE measurement_date <= CAST(:today AS date)) AS last_seen
FROM biometrics
WHERE measurement_date BETWEEN CAST(:start AS date) - 27 AND CAST(:end AS date)
