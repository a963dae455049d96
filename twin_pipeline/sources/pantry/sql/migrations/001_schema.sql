-- autonomous_pantry, fresh install: the shapes of CONTRACT.md.
-- pantry_inventory holds the current state only (one row per category).

CREATE TABLE IF NOT EXISTS pantry_inventory (
    category            varchar(255) PRIMARY KEY,
    current_quantity    numeric(10, 2) DEFAULT 0,
    unit                varchar(50),
    next_expiry         date,
    last_updated        date,
    status              varchar(50),
    critical_threshold  numeric(10, 2),
    notes               text,
    created_at          timestamptz DEFAULT now(),
    updated_at          timestamptz DEFAULT now()
);

CREATE INDEX IF NOT EXISTS idx_pantry_inventory_next_expiry ON pantry_inventory (next_expiry);

CREATE TABLE IF NOT EXISTS pantry_dictionary (
    category            varchar(255) PRIMARY KEY,
    ai_synonyms         text,
    default_unit        varchar(50),
    critical_threshold  numeric(10, 2),
    created_at          timestamptz DEFAULT now(),
    updated_at          timestamptz DEFAULT now()
);
