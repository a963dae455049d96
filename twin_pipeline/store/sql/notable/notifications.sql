-- The ledger of the conditions that started on a day.
SELECT item_key, attempts, last_error, delivered_at
FROM twin_notification
WHERE person_id = CAST(:p AS uuid) AND as_of = CAST(:d AS date)
ORDER BY item_key
