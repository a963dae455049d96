-- The state of each entity on day :d: its newest row.
SELECT DISTINCT ON (entity_type) entity_type, update_data
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type = ANY(CAST(:entities AS text[]))
  AND update_data ->> 'as_of' = CAST(:d AS text)
ORDER BY entity_type, created_at DESC, id
