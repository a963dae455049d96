-- Month-to-date income and expense per currency as of :day, summed straight from the
-- source (with the rules of docs/operations.md, "Bad data"), to reconcile the finance section against.
SELECT COALESCE(upper(trim(t.currency)), CAST(:currency AS text)) AS currency,
       COALESCE(sum(t.amount) FILTER (WHERE t.type = 'Income'), 0)  AS income,
       COALESCE(sum(t.amount) FILTER (WHERE t.type = 'Expense'), 0) AS expense
FROM (SELECT DISTINCT ON (transaction_id, transaction_date) *
      FROM transactions
      WHERE transaction_date BETWEEN date_trunc('month', CAST(:day AS date))::date AND CAST(:day AS date)
      ORDER BY transaction_id, transaction_date, updated_at DESC NULLS LAST) t
WHERE t.amount > 0 AND t.type IN ('Income', 'Expense')
GROUP BY 1
