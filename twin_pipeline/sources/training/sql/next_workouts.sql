-- For each changed date, the first workout day after it (NULL when none).
SELECT changed::text, (SELECT min(w.workout_date) FROM workouts w WHERE w.workout_date > changed)
FROM unnest(CAST(:dates AS date[])) AS changed
