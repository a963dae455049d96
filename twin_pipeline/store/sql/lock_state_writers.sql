-- Writers of one person's states take turns: two runs of the same days (a backfill and
-- the sensor, say) end with the rows one run would have written.
SELECT pg_advisory_xact_lock(hashtext('twin_state:' || :p))
