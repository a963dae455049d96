-- Measurements from the second-latest one on or before :start (so the first day's latest
-- measurement has its predecessor for the trend), or from :start - 27 (the 28-day weight
-- trend) if that is earlier, through :end. Index range scans only.
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- docs/operations.md, "Bad data": a weight outside the contract's 40..200 kg is not a measurement;
-- a body fat outside 3..50 % is unknown.
SELECT m.measurement_date,
       m.bodyweight_kg,
       CASE WHEN m.bodyfat_pct BETWEEN 3 AND 50 THEN m.bodyfat_pct END
FROM measurements m
WHERE m.measurement_date <= CAST(:end AS date)
  AND m.bodyweight_kg BETWEEN 40 AND 200
  AND m.measurement_date >= LEAST(COALESCE(
        (SELECT measurement_date FROM measurements
         WHERE measurement_date <= CAST(:start AS date) AND bodyweight_kg BETWEEN 40 AND 200
         ORDER BY measurement_date DESC OFFSET 1 LIMIT 1),
        '-infinity'::date), CAST(:start AS date) - 27)
