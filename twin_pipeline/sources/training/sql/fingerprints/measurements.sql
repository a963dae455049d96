-- One fingerprint per measurement_date, within :start..:end when given.
SELECT m.measurement_date::text AS bucket,
       '1:' || hashtextextended(m::text, 0) AS fingerprint
FROM measurements m
WHERE (CAST(:start AS date) IS NULL OR m.measurement_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR m.measurement_date <= CAST(:end AS date))
