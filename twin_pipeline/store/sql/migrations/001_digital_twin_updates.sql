-- The twin store exactly as the person's existing databases have it (CONTRACT.md).
-- IF NOT EXISTS: on an existing database the table is already there and is left as is.
CREATE TABLE IF NOT EXISTS digital_twin_updates (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    entity_type   varchar(50) NOT NULL
                  CHECK (entity_type IN ('person', 'goal', 'health', 'training', 'finance', 'pantry')),
    entity_id     uuid        NOT NULL,
    update_data   jsonb       NOT NULL,
    source_system varchar(50) NOT NULL,
    update_type   varchar(50) NOT NULL,
    created_at    timestamptz DEFAULT now(),
    processed_at  timestamptz
);
