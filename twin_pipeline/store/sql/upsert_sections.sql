-- Each day's section of one entity (one statement for any number of days).
INSERT INTO twin_section_day (entity_type, as_of, section)
SELECT :e, CAST(doc ->> 'as_of' AS date), doc
FROM jsonb_array_elements(CAST(:docs AS jsonb)) AS doc
ON CONFLICT (entity_type, as_of) DO UPDATE
SET section = excluded.section, computed_at = now()
