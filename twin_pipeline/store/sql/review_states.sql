-- What the forecast reviews and the forecasts' ranges read of the states of :a..:b
-- (core/forecast_review.py, core/forecast_ranges.py): the newest state of each (entity,
-- day), cut down in the database to the keys the rules use (a pantry state is ~10 KiB, its
-- threshold days a few hundred bytes). :run_days (date[], empty for the reviews) are the
-- days a twin_state run is writing: for those, the section it is about to write stands in
-- for the stored state, unless the section is unavailable (then the stored state is kept).
WITH stored AS (
    SELECT DISTINCT ON (entity_type, update_data ->> 'as_of')
           entity_type, update_data ->> 'as_of' AS as_of, update_data AS document
    FROM digital_twin_updates
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type IN ('finance', 'health', 'pantry')
      AND update_data ->> 'as_of' BETWEEN CAST(:a AS text) AND CAST(:b AS text)
    ORDER BY entity_type, update_data ->> 'as_of', created_at DESC, id
), run AS (
    SELECT entity_type, CAST(as_of AS text) AS as_of, section AS document
    FROM twin_section_day
    WHERE as_of = ANY(CAST(:run_days AS date[])) AND as_of BETWEEN CAST(:a AS date) AND CAST(:b AS date)
      AND entity_type IN ('finance', 'health', 'pantry')
      AND section ->> 'status' IS DISTINCT FROM 'unavailable'
), chosen AS (
    SELECT entity_type, as_of, document FROM run
    UNION ALL
    SELECT entity_type, as_of, document FROM stored AS s
    WHERE NOT EXISTS (SELECT 1 FROM run AS r WHERE r.entity_type = s.entity_type AND r.as_of = s.as_of)
)
SELECT entity_type,
       as_of,
       CASE entity_type
       WHEN 'finance' THEN jsonb_build_object(
           'status', document -> 'status', 'currency', document -> 'currency',
           'mtd_net', document -> 'mtd_net', 'forecast', document -> 'forecast')
       WHEN 'health' THEN jsonb_build_object(
           'status', document -> 'status', 'body_composition', document -> 'body_composition',
           'trends', document -> 'trends')
       ELSE jsonb_build_object(
           'status', document -> 'status', 'low_stock', document -> 'low_stock',
           'forecast', jsonb_build_object('categories', (
               SELECT jsonb_agg(jsonb_build_object('category', c -> 'category',
                                                   'reaches_threshold_on', c -> 'reaches_threshold_on',
                                                   'reaches_threshold_range', c -> 'reaches_threshold_range'))
               FROM jsonb_array_elements(
                        CASE jsonb_typeof(document -> 'forecast' -> 'categories')
                        WHEN 'array' THEN document -> 'forecast' -> 'categories' ELSE '[]' END) AS c)))
       END AS document
FROM chosen
