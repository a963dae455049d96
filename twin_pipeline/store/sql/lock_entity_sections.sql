-- Runs compose an entity's sections from its sources' parts in turns: the one that composes
-- second sees what the first committed (READ COMMITTED: the next statement's snapshot
-- follows the lock).
SELECT pg_advisory_xact_lock(hashtext('twin_section_day:' || :e))
