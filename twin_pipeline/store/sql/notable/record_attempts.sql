-- The outcome of a push: its tries added, delivered_at set when it went through.
UPDATE twin_notification
SET attempts = attempts + :tries, last_error = :error,
    delivered_at = CASE WHEN :delivered THEN clock_timestamp() END
WHERE person_id = CAST(:p AS uuid) AND as_of = CAST(:d AS date) AND item_key = ANY(CAST(:keys AS text[]))
