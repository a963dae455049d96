-- A ledger row for each new item of the day, made before the first try, so a restart finds
-- the ones still owed; an item already in the ledger keeps its row (and its delivery).
INSERT INTO twin_notification (person_id, as_of, item_key)
SELECT CAST(:p AS uuid), CAST(:d AS date), k FROM unnest(CAST(:keys AS text[])) AS k
ON CONFLICT DO NOTHING
