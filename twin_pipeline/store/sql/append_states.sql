-- Append day states. clock_timestamp(), not now(), row by row in (day, entity) order: rows
-- of one run get increasing times, so "ORDER BY created_at DESC" lists the latest days first.
INSERT INTO digital_twin_updates
    (entity_type, entity_id, update_data, source_system, update_type, created_at)
SELECT r.row ->> 'entity_type', CAST(:p AS uuid), r.row -> 'document', :s, :u, clock_timestamp()
FROM (SELECT row, n FROM jsonb_array_elements(CAST(:rows AS jsonb)) WITH ORDINALITY AS t(row, n)
      ORDER BY n) AS r
