-- One fingerprint per budget month (bucket YYYY-MM-01), over the budgets with their
-- category names (a renamed category changes the alerts' category_path).
SELECT make_date(b.budget_year, b.budget_month, 1)::text AS bucket,
       count(*) || ':' || sum(hashtextextended(b::text || coalesce(c.category_name, '') || coalesce(c.subcategory_name, ''), 0)) AS fingerprint
FROM budgets b
LEFT JOIN categories c ON c.category_id = b.category_id
WHERE b.budget_month BETWEEN 1 AND 12
  AND (CAST(:start AS date) IS NULL OR make_date(b.budget_year, b.budget_month, 1) >= date_trunc('month', CAST(:start AS date)))
  AND (CAST(:end AS date) IS NULL OR make_date(b.budget_year, b.budget_month, 1) <= CAST(:end AS date))
GROUP BY b.budget_year, b.budget_month
