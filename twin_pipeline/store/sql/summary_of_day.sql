-- (as_of, text) of day :d, or of the newest day with a summary when :d is NULL.
SELECT as_of::text, summary_text FROM twin_daily_summary
WHERE person_id = CAST(:p AS uuid) AND (CAST(:d AS date) IS NULL OR as_of = CAST(:d AS date))
ORDER BY as_of DESC LIMIT 1
