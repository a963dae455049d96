-- The pantry as it is now (pantry_inventory holds the current state only).
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
SELECT category, current_quantity, unit, next_expiry, critical_threshold
FROM pantry_inventory
