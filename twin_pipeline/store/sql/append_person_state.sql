INSERT INTO digital_twin_updates (entity_type, entity_id, update_data, source_system, update_type)
VALUES ('person', CAST(:p AS uuid), CAST(:d AS jsonb), :s, :u)
