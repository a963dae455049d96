-- Additive: finds "the newest state of entity E for day D" without a scan.
-- The pipeline works without it (same queries, slower on long histories).
CREATE INDEX IF NOT EXISTS digital_twin_updates_state_lookup_idx
    ON digital_twin_updates (entity_id, entity_type, (update_data ->> 'as_of'), created_at DESC);
