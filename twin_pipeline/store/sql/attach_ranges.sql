-- The forecasts' 80 % ranges (core/forecast_ranges.py) set into the sections a twin_state
-- run is about to write, so each day's state carries them beside its points.
--   :ranges {entity: {as_of: patch}}: finance {month_end_net_range, its _reason,
--           budgets: {budget_id: {runs_out_range, its _reason}}} into the forecast;
--           health {weight_28d_range, its _reason} into the trends;
--           pantry {category: {reaches_threshold_range, its _reason}} into the forecast's categories.
-- Only sections that have what a patch goes into are touched (an unavailable one has none).
UPDATE twin_section_day AS s
SET section = CASE s.entity_type
    WHEN 'finance' THEN jsonb_set(s.section, '{forecast}',
        (s.section -> 'forecast') || (p.patch - 'budgets') || jsonb_build_object('budgets', (
            SELECT coalesce(jsonb_agg(b.value || coalesce(p.patch -> 'budgets' -> (b.value ->> 'budget_id'), '{}')
                                      ORDER BY b.n), '[]')
            FROM jsonb_array_elements(
                     CASE jsonb_typeof(s.section -> 'forecast' -> 'budgets')
                     WHEN 'array' THEN s.section -> 'forecast' -> 'budgets' ELSE '[]' END)
                 WITH ORDINALITY AS b(value, n))))
    WHEN 'health' THEN jsonb_set(s.section, '{trends}', (s.section -> 'trends') || p.patch)
    ELSE jsonb_set(s.section, '{forecast,categories}', (
        SELECT coalesce(jsonb_agg(c.value || coalesce(p.patch -> (c.value ->> 'category'), '{}') ORDER BY c.n), '[]')
        FROM jsonb_array_elements(s.section -> 'forecast' -> 'categories') WITH ORDINALITY AS c(value, n)))
    END
FROM (SELECT e.key AS entity_type, CAST(d.key AS date) AS as_of, d.value AS patch
      FROM jsonb_each(CAST(:ranges AS jsonb)) AS e, jsonb_each(e.value) AS d) AS p
WHERE s.entity_type = p.entity_type AND s.as_of = p.as_of
  AND s.section ->> 'status' IS DISTINCT FROM 'unavailable'
  AND CASE s.entity_type
      WHEN 'finance' THEN jsonb_typeof(s.section -> 'forecast') = 'object'
      WHEN 'health' THEN jsonb_typeof(s.section -> 'trends') = 'object'
      ELSE jsonb_typeof(s.section -> 'forecast' -> 'categories') = 'array'
      END
