-- Pantry rows the contract would not expect, and when the pantry was last updated
-- (freshness). Each count matches a rule of docs/operations.md, "Bad data".
SELECT count(*) FILTER (WHERE current_quantity < 0)       AS negative_quantities,
       count(*) FILTER (WHERE current_quantity IS NULL)   AS missing_quantities,
       count(*) FILTER (WHERE critical_threshold IS NULL) AS missing_thresholds,
       (max(updated_at) AT TIME ZONE CAST(:tz AS text))::date AS last_seen
FROM pantry_inventory
