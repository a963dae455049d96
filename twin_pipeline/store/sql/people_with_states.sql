-- The people the twin (or the person's earlier engine) already wrote day states for.
SELECT DISTINCT entity_id::text FROM digital_twin_updates
WHERE source_system = :s AND (entity_type = 'person' OR entity_type = ANY(CAST(:entities AS text[])))
