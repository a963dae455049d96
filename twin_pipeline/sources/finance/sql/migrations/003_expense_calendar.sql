-- autonomous_finance, fresh install: the person's planned expenses (CONTRACT.md), the table
-- their sheet's sync fills (upsert on transaction_id), and their view of the unpaid bills of
-- the next 30 days. A database that already has the table or the view keeps its own,
-- untouched (no index added, no view replaced).

DO $$
BEGIN
    IF to_regclass('expense_calendar') IS NULL THEN
        CREATE TABLE expense_calendar (
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
        CREATE INDEX idx_expense_calendar_date ON expense_calendar (expense_date);
    END IF;
    IF to_regclass('v_upcoming_expenses') IS NULL THEN
        CREATE VIEW v_upcoming_expenses AS
        SELECT *
        FROM expense_calendar
        WHERE NOT is_paid
          AND expense_date BETWEEN CURRENT_DATE AND CURRENT_DATE + 30
        ORDER BY expense_date;
    END IF;
END
$$;
