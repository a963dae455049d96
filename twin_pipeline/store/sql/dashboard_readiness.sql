-- The watch's readings the health states of :a..:b report (readiness, sleep score, HRV), one
-- point per reading's own date (biometrics.measurement_date), from the newest state that
-- reports it; a reading unknown (null: 0 or not synced) stays a gap.
WITH newest AS (
    -- each document read once, by jsonb_to_record
    SELECT DISTINCT ON (doc.as_of) doc.as_of, doc.biometrics AS bio
    FROM digital_twin_updates, jsonb_to_record(update_data) AS doc(as_of text, biometrics jsonb)
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'health'
      AND (CAST(:since AS date) IS NULL OR update_data ->> 'as_of' >= CAST(:since AS text))
      AND (CAST(:until AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:until AS text))
      AND doc.as_of BETWEEN CAST(:a AS text) AND CAST(:b AS text)
    ORDER BY doc.as_of, created_at DESC, id
)
SELECT DISTINCT ON (bio ->> 'measurement_date')
       bio ->> 'measurement_date',
       CAST(bio ->> 'readiness_score' AS double precision),
       CAST(bio ->> 'sleep_score' AS double precision),
       CAST(bio ->> 'hrv_ms' AS double precision)
FROM newest
WHERE jsonb_typeof(bio) = 'object' AND bio ->> 'measurement_date' BETWEEN CAST(:a AS text) AND CAST(:b AS text)
ORDER BY bio ->> 'measurement_date', as_of DESC
