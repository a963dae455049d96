-- A ledger row for each condition to push (item key, the day it started), made before the
-- first try, so a restart finds the ones still owed; a condition already in the ledger keeps
-- its row (and its delivery).
INSERT INTO twin_notification (person_id, as_of, item_key)
SELECT CAST(:p AS uuid), u.as_of, u.item_key
FROM unnest(CAST(:keys AS text[]), CAST(:days AS date[])) AS u(item_key, as_of)
ON CONFLICT DO NOTHING
