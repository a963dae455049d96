-- Of the given conditions, those not delivered yet, locked for this sender. SKIP LOCKED: two
-- runs of today (the schedule's and the sensor's) never send one item at the same time.
SELECT n.item_key, n.as_of
FROM twin_notification n
JOIN unnest(CAST(:keys AS text[]), CAST(:days AS date[])) AS u(item_key, as_of)
  ON n.item_key = u.item_key AND n.as_of = u.as_of
WHERE n.person_id = CAST(:p AS uuid) AND n.delivered_at IS NULL
ORDER BY n.item_key, n.as_of
FOR UPDATE OF n SKIP LOCKED
