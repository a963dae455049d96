SELECT as_of::text, summary_text FROM twin_daily_summary
WHERE person_id = CAST(:p AS uuid) AND as_of BETWEEN :a AND :b ORDER BY as_of
