-- State rows newest first, each with its place among the rows of its (entity, day):
-- version 1 is the first computation, a later one a correction; the last is current.
SELECT id, entity_type, as_of, created_at, update_data, version, versions
FROM (
    SELECT id::text AS id, entity_type, update_data ->> 'as_of' AS as_of, created_at, update_data,
           row_number() OVER (PARTITION BY entity_type, update_data ->> 'as_of' ORDER BY created_at, id) AS version,
           count(*) OVER (PARTITION BY entity_type, update_data ->> 'as_of') AS versions
    FROM digital_twin_updates
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = ANY(CAST(:entities AS text[]))
      AND (CAST(:entity AS text) IS NULL OR entity_type = CAST(:entity AS text))
      AND (CAST(:start AS text) IS NULL OR update_data ->> 'as_of' >= CAST(:start AS text))
      AND (CAST(:end AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:end AS text))
) AS h
ORDER BY created_at DESC, id DESC
LIMIT :limit
