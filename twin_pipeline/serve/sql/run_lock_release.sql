SELECT pg_advisory_unlock(hashtextextended(:run_id, 0))
