-- The state of each (entity, day): the newest row the twin wrote for it.
SELECT DISTINCT ON (entity_type, update_data ->> 'as_of')
       id::text, entity_type, update_data ->> 'as_of', update_data
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type = ANY(CAST(:entities AS text[]))
  AND update_data ->> 'as_of' = ANY(:days)
ORDER BY entity_type, update_data ->> 'as_of', created_at DESC, id
