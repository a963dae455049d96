-- Each body measurement the health states of :a..:b report (weight, body fat where measured),
-- with the 28-day moving average of weight ending on its day. States from 27 days before :a
-- are read too, so the first points' average covers a full 28 days.
WITH newest AS (
    -- each document read once, by jsonb_to_record
    SELECT DISTINCT ON (doc.as_of) doc.as_of, doc.body_composition AS body
    FROM digital_twin_updates, jsonb_to_record(update_data) AS doc(as_of text, body_composition jsonb)
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'health'
      AND (CAST(:since AS date) IS NULL OR update_data ->> 'as_of' >= to_char(CAST(:since AS date) - 27, 'YYYY-MM-DD'))
      AND (CAST(:until AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:until AS text))
      AND doc.as_of BETWEEN to_char(CAST(:a AS date) - 27, 'YYYY-MM-DD') AND CAST(:b AS text)
    ORDER BY doc.as_of, created_at DESC, id
), measured AS (
    SELECT DISTINCT ON (body ->> 'measurement_date')
           CAST(body ->> 'measurement_date' AS date) AS measured_on,
           CAST(body ->> 'bodyweight_kg' AS numeric) AS bodyweight_kg,
           CAST(body ->> 'bodyfat_pct' AS double precision) AS bodyfat_pct
    FROM newest
    WHERE jsonb_typeof(body -> 'bodyweight_kg') = 'number' AND body ->> 'measurement_date' IS NOT NULL
    ORDER BY body ->> 'measurement_date', as_of DESC
), trended AS (
    SELECT measured_on, bodyweight_kg, bodyfat_pct,
           avg(bodyweight_kg) OVER (ORDER BY measured_on RANGE BETWEEN INTERVAL '27 days' PRECEDING AND CURRENT ROW)
               AS trend_kg
    FROM measured
)
SELECT to_char(measured_on, 'YYYY-MM-DD'), CAST(bodyweight_kg AS double precision), bodyfat_pct,
       CAST(round(trend_kg, 2) AS double precision)
FROM trended
WHERE measured_on BETWEEN CAST(:a AS date) AND CAST(:b AS date)
ORDER BY measured_on
