-- The six documented columns of biometrics (docs/contract.md: never any other), from the
-- earliest row any day of :start..:end reads through :end: :start - 27 (the 28-day weight
-- trend, which also covers the 7-day baselines), the newest row on or before :start (its
-- readings), and the second-newest weight reading on or before :start (the latest
-- reading's change). Index range scans only (measurement_date is the key).
-- Column order is the order of core/health/biometrics.BiometricsRow (rows are unpacked into it).
SELECT b.measurement_date, b.readiness_score, b.sleep_score, b.hrv_ms, b.weight_kg, b.body_fat_pct
FROM biometrics b
WHERE b.measurement_date <= CAST(:end AS date)
  AND b.measurement_date >= LEAST(
        CAST(:start AS date) - 27,
        COALESCE((SELECT max(measurement_date) FROM biometrics WHERE measurement_date <= CAST(:start AS date)),
                 'infinity'::date),
        COALESCE((SELECT measurement_date FROM biometrics
                  WHERE measurement_date <= CAST(:start AS date) AND weight_kg BETWEEN 40 AND 200
                  ORDER BY measurement_date DESC OFFSET 1 LIMIT 1), 'infinity'::date))
ORDER BY b.measurement_date
