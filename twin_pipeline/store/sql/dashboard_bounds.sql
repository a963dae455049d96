-- The first and the newest day the twin holds a state for (the dashboard's "everything"):
-- per entity, so each min and max is one step down the state lookup index.
SELECT min(bounds.first_day), max(bounds.last_day)
FROM (VALUES ('finance'), ('health'), ('pantry')) AS e(entity)
CROSS JOIN LATERAL (
    SELECT min(update_data ->> 'as_of') AS first_day, max(update_data ->> 'as_of') AS last_day
    FROM digital_twin_updates
    WHERE entity_id = CAST(:p AS uuid) AND entity_type = e.entity AND source_system = :s AND update_type = :u
) AS bounds
