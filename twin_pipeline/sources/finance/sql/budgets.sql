-- Active Expense budgets of every month from :start's month to :end's month.
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
SELECT b.budget_id,
       b.budget_year,
       b.budget_month,
       b.category_id,
       c.category_name || ' > ' || c.subcategory_name AS category_path,
       b.budget_amount,
       b.alert_threshold,
       b.priority,
       b.budget_type
FROM budgets b
JOIN categories c ON c.category_id = b.category_id
WHERE b.is_active
  AND b.type = 'Expense'
  AND b.budget_amount > 0
  AND (b.budget_year * 12 + b.budget_month)
      BETWEEN extract(year FROM CAST(:start AS date)) * 12 + extract(month FROM CAST(:start AS date))
          AND extract(year FROM CAST(:end AS date)) * 12 + extract(month FROM CAST(:end AS date))
