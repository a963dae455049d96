-- The person's expense calendar in the primary currency, rows dated :first..:last, with the
-- date each row was created on. created_at is their wall clock without a zone (their sheet's
-- sync writes local time): its date is taken as written, never converted.
-- Column order is the order of the matching dataclass in twin_pipeline/core (rows are unpacked into it).
-- Rows no bill comes from: a non-positive amount; a missing currency is the column's default,
-- the primary currency; codes are upper-cased (as transactions).
SELECT e.name,
       e.expense_date,
       e.amount,
       CAST(e.created_at AS date) AS created_on,
       COALESCE(e.is_paid, false) AS is_paid
FROM expense_calendar e
WHERE e.expense_date BETWEEN CAST(:first AS date) AND CAST(:last AS date)
  AND COALESCE(upper(trim(e.currency)), CAST(:currency AS text)) = CAST(:currency AS text)
  AND e.amount > 0
