-- autonomous_finance, fresh install: the person's planned expenses (CONTRACT.md), the table
-- their sheet's sync fills (upsert on transaction_id), and their view of the unpaid bills of
-- the next 30 days. IF NOT EXISTS: a database that already has them keeps its own.

CREATE TABLE IF NOT EXISTS expense_calendar (
    id              serial PRIMARY KEY,
    transaction_id  varchar(100) NOT NULL UNIQUE,
    name            varchar(255) NOT NULL,
    amount          numeric(12, 2) NOT NULL,
    currency        varchar(10) DEFAULT 'PLN',
    category        varchar(100),
    sub_category    varchar(100),
    frequency       varchar(50) DEFAULT 'one-time',
    expense_date    date NOT NULL,
    month           int,
    day             int,
    description     text,
    is_paid         boolean DEFAULT false,
    created_at      timestamp DEFAULT now(),
    updated_at      timestamp DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_expense_calendar_date ON expense_calendar (expense_date);

CREATE OR REPLACE VIEW v_upcoming_expenses AS
SELECT *
FROM expense_calendar
WHERE NOT is_paid
  AND expense_date BETWEEN CURRENT_DATE AND CURRENT_DATE + 30
ORDER BY expense_date;
