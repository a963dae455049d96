-- The newest day the twin holds a state for.
SELECT max(update_data ->> 'as_of')
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type = ANY(CAST(:entities AS text[]))
