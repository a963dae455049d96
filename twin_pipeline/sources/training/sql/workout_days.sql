-- Workouts per day from :lookback (the 7-day counts read from :start - 6, the trends from the
-- 52 weeks before :start's week) through :end, plus the last workout day before that window
-- (so the first day of the range knows its last workout).
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- docs/operations.md, "Bad data": a (workout_date, template_id) key seen twice is one workout.
SELECT w.workout_date AS day, count(DISTINCT w.template_id) AS n
FROM workouts w
WHERE w.workout_date BETWEEN LEAST(CAST(:lookback AS date), CAST(:start AS date) - 6) AND CAST(:end AS date)
   OR w.workout_date = (SELECT max(workout_date) FROM workouts
                        WHERE workout_date < LEAST(CAST(:lookback AS date), CAST(:start AS date) - 6))
GROUP BY w.workout_date
