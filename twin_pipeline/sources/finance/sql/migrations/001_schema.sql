-- autonomous_finance, fresh install: the shapes of CONTRACT.md.
-- Applied once (recorded in twin_schema_migrations) and only to databases this
-- project creates or when explicitly asked; IF NOT EXISTS keeps a re-run harmless.

CREATE TABLE IF NOT EXISTS accounts (
    account_id    serial PRIMARY KEY,
    account_name  varchar(100) NOT NULL,
    account_type  varchar(30),
    currency      varchar(3) DEFAULT 'PLN',
    institution   varchar(100),
    is_active     boolean DEFAULT true,
    created_at    timestamp DEFAULT now()
);

CREATE TABLE IF NOT EXISTS merchants (
    merchant_id    serial PRIMARY KEY,
    merchant_name  varchar(200) NOT NULL,
    city           varchar(100),
    country        varchar(2) DEFAULT 'PL',
    is_active      boolean DEFAULT true,
    created_at     timestamp DEFAULT now()
);

CREATE TABLE IF NOT EXISTS categories (
    category_id       serial PRIMARY KEY,
    category_name     varchar(100),
    subcategory_name  varchar(100),
    category_type     varchar(20) CHECK (category_type IN ('Income', 'Expense', 'Transfer')),
    is_active         boolean DEFAULT true,
    display_order     int,
    created_at        timestamp DEFAULT now(),
    UNIQUE (category_name, subcategory_name)
);

CREATE TABLE IF NOT EXISTS transactions (
    transaction_id    varchar(50) NOT NULL,
    transaction_date  date NOT NULL,
    type              varchar(20) CHECK (type IN ('Income', 'Expense', 'Transfer')),
    amount            numeric(12, 2) CHECK (amount > 0),
    currency          varchar(3) DEFAULT 'PLN',
    merchant_source   varchar(100) NOT NULL,
    description       text,
    account_id        int REFERENCES accounts (account_id),
    category_id       int REFERENCES categories (category_id),
    merchant_id       int REFERENCES merchants (merchant_id),
    data_source       varchar(20),
    created_at        timestamp DEFAULT now(),
    updated_at        timestamp DEFAULT now(),
    PRIMARY KEY (transaction_id, transaction_date)
) PARTITION BY RANGE (transaction_date);

-- One partition a year, 2010..2040, and a default one for anything outside.
DO $$
DECLARE
    y int;
BEGIN
    FOR y IN 2010..2040 LOOP
        EXECUTE format(
            'CREATE TABLE IF NOT EXISTS %I PARTITION OF transactions FOR VALUES FROM (%L) TO (%L)',
            'transactions_' || y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
    END LOOP;
END
$$;
CREATE TABLE IF NOT EXISTS transactions_default PARTITION OF transactions DEFAULT;

CREATE INDEX IF NOT EXISTS idx_transactions_date ON transactions (transaction_date);
CREATE INDEX IF NOT EXISTS idx_transactions_category ON transactions (category_id);
CREATE INDEX IF NOT EXISTS idx_transactions_type ON transactions (type);

CREATE TABLE IF NOT EXISTS budgets (
    budget_id        varchar(100) PRIMARY KEY,
    budget_year      int,
    budget_month     int CHECK (budget_month BETWEEN 1 AND 12),
    type             varchar(20) CHECK (type IN ('Income', 'Expense', 'Transfer', 'Savings')),
    category_id      int REFERENCES categories (category_id),
    budget_amount    numeric(12, 2),
    alert_threshold  int CHECK (alert_threshold BETWEEN 0 AND 200),
    notes            text,
    budget_type      varchar(20) CHECK (budget_type IN ('Fixed', 'Variable', 'Flexible')),
    priority         varchar(20) CHECK (priority IN ('Critical', 'High', 'Medium', 'Low')),
    is_active        boolean DEFAULT true,
    created_at       timestamp DEFAULT now(),
    updated_at       timestamp DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_budgets_period ON budgets (budget_year, budget_month);
CREATE INDEX IF NOT EXISTS idx_budgets_category ON budgets (category_id);
