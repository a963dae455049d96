-- The current pantry as one fingerprint (it is only ever today's state).
SELECT 'current' AS bucket,
       count(*) || ':' || coalesce(sum(hashtextextended(p::text, 0)), 0) AS fingerprint
FROM pantry_inventory p
