-- Two first runs at once must not create two people.
SELECT pg_advisory_xact_lock(hashtext('twin_person'))
