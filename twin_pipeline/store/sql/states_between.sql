-- The state of each day of one entity in :a..:b (either bound NULL: open), oldest day first.
SELECT DISTINCT ON (update_data ->> 'as_of') update_data ->> 'as_of' AS as_of, update_data
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type = CAST(:entity AS text)
  AND (CAST(:a AS text) IS NULL OR update_data ->> 'as_of' >= CAST(:a AS text))
  AND (CAST(:b AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:b AS text))
ORDER BY update_data ->> 'as_of', created_at DESC, id
