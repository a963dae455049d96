-- One fingerprint per transaction_date (row count and a hash of every row), within
-- :start..:end when given. Transfers are included: a row edited into or out of Transfer
-- changes the state.
SELECT t.transaction_date::text AS bucket,
       count(*) || ':' || sum(hashtextextended(t::text, 0)) AS fingerprint
FROM transactions t
WHERE (CAST(:start AS date) IS NULL OR t.transaction_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR t.transaction_date <= CAST(:end AS date))
GROUP BY t.transaction_date
