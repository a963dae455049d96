SELECT 1 FROM person WHERE person_id = CAST(:p AS uuid)
