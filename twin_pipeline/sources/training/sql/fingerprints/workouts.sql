-- One fingerprint per workout_date, within :start..:end when given.
SELECT w.workout_date::text AS bucket,
       count(*) || ':' || sum(hashtextextended(w::text, 0)) AS fingerprint
FROM workouts w
WHERE (CAST(:start AS date) IS NULL OR w.workout_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR w.workout_date <= CAST(:end AS date))
GROUP BY w.workout_date
