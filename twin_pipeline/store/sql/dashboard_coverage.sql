-- For each entity over the days :a..:b: how many days hold a state, how many of those are
-- unavailable or degraded, the first day without a usable state, and the corrections (days
-- whose state replaced an earlier row, and how many rows were replaced). The last row,
-- entity NULL, counts the days corrected in any entity.
WITH days AS (
    SELECT to_char(d, 'YYYY-MM-DD') AS as_of
    FROM generate_series(CAST(:a AS date), CAST(:b AS date), INTERVAL '1 day') AS d
), stored AS (
    -- jsonb_to_record reads each (compressed) document once, however often its fields are used
    SELECT entity_type, doc.as_of, count(*) AS versions,
           (array_agg(doc.status ORDER BY created_at DESC, id))[1] AS status
    FROM digital_twin_updates, jsonb_to_record(update_data) AS doc(as_of text, status text)
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type IN ('finance', 'health', 'pantry')
      AND (CAST(:since AS text) IS NULL OR update_data ->> 'as_of' >= CAST(:since AS text))
      AND (CAST(:until AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:until AS text))
      AND doc.as_of BETWEEN CAST(:a AS text) AND CAST(:b AS text)
    GROUP BY entity_type, doc.as_of
), entities AS (
    SELECT entity FROM (VALUES ('finance'), ('health'), ('pantry')) AS e(entity)
)
SELECT e.entity,
       count(*) AS days,
       count(s.as_of) AS stored,
       count(*) FILTER (WHERE s.status = 'unavailable') AS unavailable,
       count(*) FILTER (WHERE s.status = 'degraded') AS degraded,
       min(d.as_of) FILTER (WHERE s.as_of IS NULL OR s.status = 'unavailable') AS first_missing,
       count(*) FILTER (WHERE s.versions > 1) AS corrected_days,
       coalesce(sum(s.versions - 1), 0) AS replaced_rows
FROM entities AS e
CROSS JOIN days AS d
LEFT JOIN stored AS s ON s.entity_type = e.entity AND s.as_of = d.as_of
GROUP BY e.entity
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, count(DISTINCT as_of), coalesce(sum(versions - 1), 0)
FROM stored WHERE versions > 1
ORDER BY 1 NULLS LAST
