SELECT person_id::text FROM person ORDER BY person_id
