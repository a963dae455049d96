-- Held by the `twin` process executing run :run_id for as long as its session lasts: the
-- server drops it when that process dies, whichever host it ran on.
SELECT pg_advisory_lock(hashtextextended(:run_id, 0))
