-- The forecasts' 80 % ranges (core/forecast_ranges.py) set into the sections of one entity
-- that a twin_state run is about to write, so each day's state carries them beside its points.
--   :e       the entity; :days the days patched ('YYYY-MM-DD' text[])
--   :ranges  {as_of: patch}: finance {month_end_net_range, its _reason, budgets: {budget_id:
--            {runs_out_range, its _reason}}} into the forecast; health {weight_28d_range, its
--            _reason} into the trends; pantry {category: {reaches_threshold_range, its
--            _reason}} into the forecast's categories.
-- The days are found by the primary key (a scan of every section would read each document);
-- a section without what its patch goes into (an unavailable one) is left as it is.
UPDATE twin_section_day AS s
SET section = (SELECT CASE
    WHEN s.section ->> 'status' = 'unavailable' THEN s.section
    WHEN s.entity_type = 'finance' THEN CASE WHEN jsonb_typeof(s.section -> 'forecast') = 'object' THEN
        jsonb_set(s.section, '{forecast}',
            (s.section -> 'forecast') || (p.patch - 'budgets') || jsonb_build_object('budgets', (
                SELECT coalesce(jsonb_agg(b.value || coalesce(p.patch -> 'budgets' -> (b.value ->> 'budget_id'), '{}')
                                          ORDER BY b.n), '[]')
                FROM jsonb_array_elements(
                         CASE jsonb_typeof(s.section -> 'forecast' -> 'budgets')
                         WHEN 'array' THEN s.section -> 'forecast' -> 'budgets' ELSE '[]' END)
                     WITH ORDINALITY AS b(value, n))))
        ELSE s.section END
    WHEN s.entity_type = 'health' THEN CASE WHEN jsonb_typeof(s.section -> 'trends') = 'object' THEN
        jsonb_set(s.section, '{trends}', (s.section -> 'trends') || p.patch)
        ELSE s.section END
    ELSE CASE WHEN jsonb_typeof(s.section -> 'forecast' -> 'categories') = 'array' THEN
        jsonb_set(s.section, '{forecast,categories}', (
            SELECT coalesce(jsonb_agg(c.value || coalesce(p.patch -> (c.value ->> 'category'), '{}') ORDER BY c.n), '[]')
            FROM jsonb_array_elements(s.section -> 'forecast' -> 'categories') WITH ORDINALITY AS c(value, n)))
        ELSE s.section END
    END
    FROM (SELECT CAST(:ranges AS jsonb) -> CAST(s.as_of AS text) AS patch) AS p)
WHERE s.entity_type = :e AND s.as_of = ANY(CAST(:days AS date[]))
