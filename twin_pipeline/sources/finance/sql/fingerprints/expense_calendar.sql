-- One fingerprint per expense_date (row count and a hash of every row), within :start..:end
-- when given: a row added, moved to another date, edited or marked paid changes its date's
-- (and, moved, its old date's) fingerprint.
SELECT e.expense_date::text AS bucket,
       count(*) || ':' || sum(hashtextextended(e::text, 0)) AS fingerprint
FROM expense_calendar e
WHERE (CAST(:start AS date) IS NULL OR e.expense_date >= CAST(:start AS date))
  AND (CAST(:end AS date) IS NULL OR e.expense_date <= CAST(:end AS date))
GROUP BY e.expense_date
