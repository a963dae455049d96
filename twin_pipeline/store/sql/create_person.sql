-- The person row, with the given id (an adopted one) or a new one.
INSERT INTO person (person_id, name) VALUES (COALESCE(CAST(:p AS uuid), gen_random_uuid()), :name)
RETURNING person_id::text
