-- Workouts per week: for each given last day of a week (the range's last day, 7 days
-- before, ...) the workouts of the 7 days ending then
-- (the health state's workouts_last_7_days, the figure the status text calls "this week"),
-- so every week is whole. A week whose last day holds no usable state comes back NULL.
WITH newest AS (
    SELECT DISTINCT ON (update_data ->> 'as_of') update_data ->> 'as_of' AS as_of, update_data AS doc
    FROM digital_twin_updates
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'health'
      AND update_data ->> 'as_of' = ANY(:week_ends)
    ORDER BY update_data ->> 'as_of', created_at DESC, id
)
SELECT w.as_of, CAST(n.doc ->> 'workouts_last_7_days' AS integer)
FROM unnest(CAST(:week_ends AS text[])) AS w(as_of)
LEFT JOIN newest AS n ON n.as_of = w.as_of AND jsonb_typeof(n.doc -> 'workouts_last_7_days') = 'number'
ORDER BY w.as_of
