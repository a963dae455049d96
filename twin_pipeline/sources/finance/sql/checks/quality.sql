-- Rows the contract's constraints would have refused among those the run read (from the
-- first of :start's month to :end), rows dated after :today, and the newest transaction up
-- to :today (freshness). Each count matches a rule of docs/operations.md, "Bad data".
SELECT count(*) FILTER (WHERE amount IS NULL OR amount <= 0)                        AS non_positive_amounts,
       count(*) FILTER (WHERE type IS NULL OR type NOT IN ('Income', 'Expense', 'Transfer')) AS unknown_types,
       count(*) FILTER (WHERE currency IS NOT NULL AND upper(trim(currency)) !~ '^[A-Z]{3}$') AS unknown_currencies,
       count(*) FILTER (WHERE amount > 1000000)                                     AS very_large_amounts,
       (SELECT count(*) FROM transactions WHERE transaction_date > CAST(:today AS date)) AS future_dated,
       count(*) - count(DISTINCT (transaction_id, transaction_date))                AS duplicate_keys,
       (SELECT max(transaction_date) FROM transactions WHERE transaction_date <= CAST(:today AS date)) AS last_seen
FROM transactions
WHERE transaction_date BETWEEN date_trunc('month', CAST(:start AS date))::date AND CAST(:end AS date)
