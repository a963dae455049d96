-- Income and Expense per day, currency and category, from the first of :start's month to :end.
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
SELECT t.transaction_date AS day,
       t.currency,
       t.type,
       t.category_id,
       sum(t.amount) AS amount,
       count(*)      AS n
FROM transactions t
WHERE t.transaction_date BETWEEN date_trunc('month', CAST(:start AS date))::date AND CAST(:end AS date)
  AND t.type IN ('Income', 'Expense')
GROUP BY t.transaction_date, t.currency, t.type, t.category_id
