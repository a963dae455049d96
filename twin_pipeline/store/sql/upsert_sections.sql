-- Each day's section from one source (one statement for any number of days).
INSERT INTO twin_section_day (entity_type, source, as_of, section)
SELECT :e, :source, CAST(doc ->> 'as_of' AS date), doc
FROM jsonb_array_elements(CAST(:docs AS jsonb)) AS doc
ON CONFLICT (source, as_of) DO UPDATE
SET section = excluded.section, entity_type = excluded.entity_type, computed_at = now()
