-- The pantry as it is now (pantry_inventory holds the current state only).
SELECT category, current_quantity, unit, next_expiry, critical_threshold
FROM pantry_inventory
