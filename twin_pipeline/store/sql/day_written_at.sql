-- When day :d's current state was written: the newest of its entities' newest rows.
SELECT max(created_at)
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type IN ('finance', 'health', 'pantry')
  AND update_data ->> 'as_of' = CAST(:d AS text)
