-- The sources of one entity compose its sections in turns: the one that composes second sees
-- the other's committed part (READ COMMITTED: the next statement's snapshot follows the lock).
SELECT pg_advisory_xact_lock(hashtext('twin_section_day:' || :e))
