-- Measurements outside the contract's physical ranges, future-dated rows, and the newest
-- measurement up to :today (freshness). Each count matches a rule in the README ("Bad data").
SELECT count(*) FILTER (WHERE bodyweight_kg IS NULL OR bodyweight_kg NOT BETWEEN 40 AND 200) AS weight_out_of_range,
       count(*) FILTER (WHERE bodyfat_pct NOT BETWEEN 3 AND 50)                   AS bodyfat_out_of_range,
       count(*) FILTER (WHERE measurement_date > CAST(:today AS date))
         + (SELECT count(*) FROM workouts WHERE workout_date > CAST(:today AS date)) AS future_dated,
       max(measurement_date) FILTER (WHERE measurement_date <= CAST(:today AS date)) AS last_seen
FROM measurements
