-- Income and Expense per day, currency and category, from :lookback (the month-to-date sums
-- read from the first of :start's month, the forecasts further back) to :end.
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- Rows the contract's constraints would have refused (docs/operations.md, "Bad data"): a key seen twice
-- counts once (the latest updated), rows without a positive amount are not money moved,
-- a missing currency is the column's default, the primary currency; codes are upper-cased.
SELECT t.transaction_date AS day,
       COALESCE(upper(trim(t.currency)), CAST(:currency AS text)) AS currency,
       t.type,
       t.category_id,
       sum(t.amount) AS amount,
       count(*)      AS n
FROM (SELECT DISTINCT ON (transaction_id, transaction_date) transaction_date, currency, type, category_id, amount
      FROM transactions
      WHERE transaction_date BETWEEN CAST(:lookback AS date) AND CAST(:end AS date)
      ORDER BY transaction_id, transaction_date, updated_at DESC NULLS LAST) t
WHERE t.type IN ('Income', 'Expense')
  AND t.amount > 0
GROUP BY 1, 2, 3, 4
