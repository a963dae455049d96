-- Measurements from the last one on or before :start through :end, with the person's trend.
SELECT v.measurement_date, v.bodyweight_kg, v.bodyfat_pct, v.weight_trend
FROM v_body_composition v
WHERE v.measurement_date <= CAST(:end AS date)
  AND v.measurement_date >= COALESCE(
        (SELECT max(measurement_date) FROM measurements WHERE measurement_date <= CAST(:start AS date)),
        CAST(:start AS date))
