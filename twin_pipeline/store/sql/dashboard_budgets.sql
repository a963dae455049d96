-- Every budget of day :d's finance state with its utilisation and, when it is an alert,
-- the alert's severity: the forecast lists every budget, the alerts only those alerting
-- (a state without a forecast still shows its alerts). Highest utilisation first. No row
-- without a finance state that day; one row of NULLs but the status when it has no budget.
WITH day AS (
    SELECT update_data AS doc
    FROM digital_twin_updates
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'finance' AND update_data ->> 'as_of' = CAST(:d AS text)
    ORDER BY created_at DESC, id
    LIMIT 1
), alerts AS (
    SELECT a ->> 'alert_id' AS budget_id, a
    FROM day, jsonb_array_elements(CASE jsonb_typeof(doc -> 'alerts') WHEN 'array' THEN doc -> 'alerts' ELSE '[]' END) AS a
), budgets AS (
    SELECT b ->> 'budget_id' AS budget_id, b
    FROM day, jsonb_array_elements(
        CASE jsonb_typeof(doc #> '{forecast,budgets}') WHEN 'array' THEN doc #> '{forecast,budgets}' ELSE '[]' END
    ) AS b
), joined AS (
    SELECT coalesce(a.a ->> 'category_path', b.b ->> 'category_path') AS category_path,
           CAST(coalesce(a.a ->> 'budget_amount', b.b ->> 'budget_amount') AS numeric) AS budget_amount,
           CAST(coalesce(a.a ->> 'actual_amount', b.b ->> 'actual_amount') AS numeric) AS actual_amount,
           CAST(a.a ->> 'utilization_pct' AS numeric) AS alert_utilization,
           a.a ->> 'alert_severity' AS alert_severity
    FROM budgets AS b
    FULL JOIN alerts AS a USING (budget_id)
)
SELECT day.doc ->> 'status' AS status, category_path,
       CAST(budget_amount AS double precision) AS budget_amount,
       CAST(actual_amount AS double precision) AS actual_amount,
       CAST(coalesce(alert_utilization, round(actual_amount / nullif(budget_amount, 0) * 100, 2)) AS double precision)
           AS utilization_pct,
       alert_severity
FROM day
LEFT JOIN joined ON true
ORDER BY utilization_pct DESC NULLS LAST, category_path
