-- The pantry as it is now (pantry_inventory holds the current state only).
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- docs/operations.md, "Bad data": a negative quantity is none left; a missing one stays unknown (never "low").
SELECT category, CASE WHEN current_quantity < 0 THEN 0 ELSE current_quantity END, unit, next_expiry, critical_threshold
FROM pantry_inventory
