-- Every version of a pantry row alive at some day end in (:first_end .. :last_end).
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- docs/operations.md, "Bad data": a negative quantity is none left; a missing one stays unknown (never "low").
-- The last column is the quantity as written, for the forecasts' plausibility count.
SELECT category, CASE WHEN current_quantity < 0 THEN 0 ELSE current_quantity END, unit, next_expiry, critical_threshold,
       valid_from, valid_to, current_quantity
FROM pantry_inventory_history
WHERE valid_from < CAST(:last_end AS timestamptz)
  AND COALESCE(valid_to, 'infinity'::timestamptz) >= CAST(:first_end AS timestamptz)
