-- Measurements from the second-latest one on or before :start (so the first day's latest
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- measurement has its predecessor for the trend) through :end. Index range scans only.
SELECT m.measurement_date, m.bodyweight_kg, m.bodyfat_pct
FROM measurements m
WHERE m.measurement_date <= CAST(:end AS date)
  AND m.measurement_date >= COALESCE(
        (SELECT measurement_date FROM measurements
         WHERE measurement_date <= CAST(:start AS date)
         ORDER BY measurement_date DESC OFFSET 1 LIMIT 1),
        '-infinity'::date)
