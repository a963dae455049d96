-- Of the given conditions (item key, the day it started), those already delivered.
SELECT n.item_key, n.as_of
FROM twin_notification n
JOIN unnest(CAST(:keys AS text[]), CAST(:days AS date[])) AS u(item_key, as_of)
  ON n.item_key = u.item_key AND n.as_of = u.as_of
WHERE n.person_id = CAST(:p AS uuid) AND n.delivered_at IS NOT NULL
