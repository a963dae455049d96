-- What the forecast reviews read of the states of :a..:b (core/forecast_review.py): the
-- newest state of each (entity, day), cut down in the database to the keys the rules use
-- (a pantry state is ~10 KiB, its threshold days a few hundred bytes).
SELECT DISTINCT ON (entity_type, update_data ->> 'as_of')
       entity_type,
       update_data ->> 'as_of' AS as_of,
       CASE entity_type
       WHEN 'finance' THEN jsonb_build_object(
           'status', update_data -> 'status', 'currency', update_data -> 'currency',
           'mtd_net', update_data -> 'mtd_net', 'forecast', update_data -> 'forecast')
       WHEN 'health' THEN jsonb_build_object(
           'status', update_data -> 'status', 'body_composition', update_data -> 'body_composition',
           'trends', update_data -> 'trends')
       ELSE jsonb_build_object(
           'status', update_data -> 'status', 'low_stock', update_data -> 'low_stock',
           'forecast', jsonb_build_object('categories', (
               SELECT jsonb_agg(jsonb_build_object('category', c -> 'category',
                                                   'reaches_threshold_on', c -> 'reaches_threshold_on'))
               FROM jsonb_array_elements(
                        CASE jsonb_typeof(update_data -> 'forecast' -> 'categories')
                        WHEN 'array' THEN update_data -> 'forecast' -> 'categories' ELSE '[]' END) AS c
               WHERE c ->> 'reaches_threshold_on' IS NOT NULL)))
       END AS document
FROM digital_twin_updates
WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
  AND entity_type IN ('finance', 'health', 'pantry')
  AND update_data ->> 'as_of' BETWEEN CAST(:a AS text) AND CAST(:b AS text)
ORDER BY entity_type, update_data ->> 'as_of', created_at DESC, id
