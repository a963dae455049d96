-- The newest person row the twin appended to digital_twin_updates.
SELECT update_data FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND entity_type = 'person' AND source_system = :s AND update_type = :u
ORDER BY created_at DESC, id LIMIT 1
