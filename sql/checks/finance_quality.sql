-- Rows the contract's constraints would have refused, and the newest transaction up to
-- :today (freshness). Each count matches a rule in the README ("Bad data").
SELECT count(*) FILTER (WHERE amount IS NULL OR amount <= 0)                       AS non_positive_amounts,
       count(*) FILTER (WHERE type IS NULL OR type NOT IN ('Income', 'Expense', 'Transfer')) AS unknown_types,
       count(*) FILTER (WHERE currency IS NOT NULL AND upper(trim(currency)) !~ '^[A-Z]{3}$') AS unknown_currencies,
       count(*) FILTER (WHERE amount > 1000000)                                    AS very_large_amounts,
       count(*) FILTER (WHERE transaction_date > CAST(:today AS date))             AS future_dated,
       count(*) - count(DISTINCT (transaction_id, transaction_date))               AS duplicate_keys,
       max(transaction_date) FILTER (WHERE transaction_date <= CAST(:today AS date)) AS last_seen
FROM transactions
