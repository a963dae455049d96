-- The day's items not delivered yet, locked for this sender. SKIP LOCKED: two runs of today
-- (the schedule's and the sensor's) never send one item at the same time.
SELECT item_key FROM twin_notification
WHERE person_id = CAST(:p AS uuid) AND as_of = CAST(:d AS date)
  AND item_key = ANY(CAST(:keys AS text[])) AND delivered_at IS NULL
ORDER BY item_key
FOR UPDATE SKIP LOCKED
