-- One fingerprint per measurement_date that holds a weight reading (weight and body fat),
-- within :start..:end when given; a weight removed from a date is a change of that date.
SELECT b.measurement_date::text AS bucket,
       '1:' || hashtextextended(ROW(b.weight_kg, b.body_fat_pct)::text, 0) AS fingerprint
FROM biometrics b
WHERE b.weight_kg IS NOT NULL
  AND (CAST(:start AS date) IS NULL OR b.measurement_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR b.measurement_date <= CAST(:end AS date))
