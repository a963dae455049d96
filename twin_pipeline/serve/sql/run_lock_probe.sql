-- True when no session holds run :run_id's lock, i.e. the process executing it is gone; the
-- probe's own hold is released at once (run_lock_release.sql).
SELECT pg_try_advisory_lock(hashtextextended(:run_id, 0)) AS free
