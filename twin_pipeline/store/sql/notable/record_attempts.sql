-- The outcome of a push: its tries added, delivered_at set when it went through.
UPDATE twin_notification n
SET attempts = n.attempts + :tries, last_error = :error,
    delivered_at = CASE WHEN :delivered THEN clock_timestamp() END
FROM unnest(CAST(:keys AS text[]), CAST(:days AS date[])) AS u(item_key, as_of)
WHERE n.person_id = CAST(:p AS uuid) AND n.item_key = u.item_key AND n.as_of = u.as_of
