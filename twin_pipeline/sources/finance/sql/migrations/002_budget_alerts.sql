-- get_current_budget_alerts(): the budget alerts of CURRENT_DATE, by CONTRACT.md's rules.
-- twin_pipeline.core.finance.budget_alerts reproduces this for any past day, figure for
-- figure: change one, change the other (in a new numbered migration).
--
--   budgets:  active (is_active), type 'Expense', budget_amount > 0, of CURRENT_DATE's month,
--             joined to their category (category_path = category_name || ' > ' || subcategory_name)
--   actual:   sum of the category's Expense transactions from the 1st of the month to
--             CURRENT_DATE inclusive, every currency summed, 0 when none
--   figures:  numeric throughout, round(x, 2) (half away from zero)
--   severity: CRITICAL utilization_pct >= 100, HIGH >= alert_threshold,
--             MEDIUM projected_month_end > budget_amount, otherwise LOW (never returned)
--   order:    priority Critical, High, Medium, other; utilization_pct DESC; alert_id (code points)

CREATE OR REPLACE FUNCTION get_current_budget_alerts()
RETURNS TABLE (
    alert_id               text,
    alert_severity         text,
    category_path          text,
    budget_amount          numeric,
    actual_amount          numeric,
    utilization_pct        numeric,
    alert_threshold        int,
    projected_month_end    numeric,
    days_remaining         int,
    daily_limit_remaining  numeric,
    recommended_action     text,
    priority               text
)
LANGUAGE sql
STABLE
AS $fn$
WITH today AS (
    SELECT d,
           date_trunc('month', d)::date                                          AS month_start,
           extract(day FROM d)::int                                              AS day_of_month,
           extract(day FROM date_trunc('month', d) + interval '1 month - 1 day')::int AS days_in_month
    FROM (SELECT CURRENT_DATE AS d) AS c
),
month_budgets AS (
    SELECT b.budget_id::text                                   AS budget_id,
           b.category_id,
           (c.category_name || ' > ' || c.subcategory_name)::text AS category_path,
           b.budget_amount::numeric                            AS budget_amount,
           b.alert_threshold,
           b.priority::text                                    AS priority
    FROM budgets b
    JOIN categories c ON c.category_id = b.category_id
    CROSS JOIN today t
    WHERE b.is_active
      AND b.type = 'Expense'
      AND b.budget_amount > 0
      AND b.budget_year = extract(year FROM t.d)::int
      AND b.budget_month = extract(month FROM t.d)::int
),
spent AS (
    SELECT tr.category_id, sum(tr.amount) AS actual
    FROM transactions tr
    CROSS JOIN today t
    WHERE tr.type = 'Expense'
      AND tr.transaction_date BETWEEN t.month_start AND t.d
      AND tr.category_id IN (SELECT category_id FROM month_budgets)
    GROUP BY tr.category_id
),
figures AS (
    SELECT mb.budget_id,
           mb.category_path,
           mb.budget_amount,
           COALESCE(s.actual, 0)::numeric                                        AS actual,
           round(COALESCE(s.actual, 0) / mb.budget_amount * 100, 2)              AS utilization_pct,
           mb.alert_threshold,
           round(COALESCE(s.actual, 0) / t.day_of_month * t.days_in_month, 2)    AS projected_month_end,
           t.days_in_month - t.day_of_month                                      AS days_remaining,
           CASE WHEN t.days_in_month - t.day_of_month = 0 THEN NULL
                ELSE round((mb.budget_amount - COALESCE(s.actual, 0))
                           / (t.days_in_month - t.day_of_month), 2)
           END                                                                   AS daily_limit_remaining,
           mb.priority
    FROM month_budgets mb
    CROSS JOIN today t
    LEFT JOIN spent s ON s.category_id = mb.category_id
),
graded AS (
    SELECT f.*,
           CASE WHEN f.utilization_pct >= 100 THEN 'CRITICAL'
                WHEN f.utilization_pct >= f.alert_threshold THEN 'HIGH'
                WHEN f.projected_month_end > f.budget_amount THEN 'MEDIUM'
                ELSE 'LOW'
           END AS severity
    FROM figures f
)
SELECT g.budget_id                          AS alert_id,
       g.severity                           AS alert_severity,
       g.category_path,
       g.budget_amount,
       g.actual                             AS actual_amount,
       g.utilization_pct,
       g.alert_threshold,
       g.projected_month_end,
       g.days_remaining,
       g.daily_limit_remaining,
       CASE g.severity
           WHEN 'CRITICAL' THEN 'Budget exceeded: stop spending in this category for the rest of the month'
           WHEN 'HIGH' THEN 'Alert threshold reached: keep spending under the daily limit remaining'
           WHEN 'MEDIUM' THEN 'On pace to exceed the budget by month end: slow down'
       END                                  AS recommended_action,
       g.priority
FROM graded g
WHERE g.utilization_pct >= g.alert_threshold
   OR g.projected_month_end > g.budget_amount
   OR g.utilization_pct >= 100
ORDER BY CASE g.priority WHEN 'Critical' THEN 1 WHEN 'High' THEN 2 WHEN 'Medium' THEN 3 ELSE 4 END,
         g.utilization_pct DESC,
         g.budget_id COLLATE "C"  -- code-point order, as Python sorts str
$fn$;

COMMENT ON FUNCTION get_current_budget_alerts() IS
    'Budget alerts of CURRENT_DATE (CONTRACT.md rules); twin_pipeline.core.finance.budget_alerts computes the same for any day.';
