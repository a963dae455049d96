-- The configured person's row, when the store has none yet (a store whose person exists
-- is never written to here: the existence is checked first, see person_exists.sql).
INSERT INTO person (person_id, name) VALUES (CAST(:p AS uuid), :name) ON CONFLICT (person_id) DO NOTHING
