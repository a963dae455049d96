-- One fingerprint per measurement_date of the readiness, sleep and HRV readings, within
-- :start..:end when given. Only documented columns are hashed: a sync touching another
-- column (heart rate, hydration) changes nothing the twin reads.
SELECT b.measurement_date::text AS bucket,
       '1:' || hashtextextended(ROW(b.readiness_score, b.sleep_score, b.hrv_ms)::text, 0) AS fingerprint
FROM biometrics b
WHERE (CAST(:start AS date) IS NULL OR b.measurement_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR b.measurement_date <= CAST(:end AS date))
