-- Measurements outside the contract's physical ranges among those the run looked at (from
-- the second-latest valid one on or before :start, as training_measurements.sql), rows dated
-- after :today, and the newest measurement up to :today (freshness). Each count matches a
-- rule of docs/operations.md, "Bad data".
SELECT count(*) FILTER (WHERE bodyweight_kg IS NULL OR bodyweight_kg NOT BETWEEN 40 AND 200) AS weight_out_of_range,
       count(*) FILTER (WHERE bodyfat_pct NOT BETWEEN 3 AND 50)                    AS bodyfat_out_of_range,
       (SELECT count(*) FROM measurements WHERE measurement_date > CAST(:today AS date))
         + (SELECT count(*) FROM workouts WHERE workout_date > CAST(:today AS date)) AS future_dated,
       (SELECT max(measurement_date) FROM measurements WHERE measurement_date <= CAST(:today AS date)) AS last_seen
FROM measurements
WHERE measurement_date <= CAST(:end AS date)
  AND measurement_date >= COALESCE(
        (SELECT measurement_date FROM measurements
         WHERE measurement_date <= CAST(:start AS date) AND bodyweight_kg BETWEEN 40 AND 200
         ORDER BY measurement_date DESC OFFSET 1 LIMIT 1),
        '-infinity'::date)
