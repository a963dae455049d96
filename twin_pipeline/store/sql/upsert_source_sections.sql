-- Each day's part of an entity's section from one source (one statement for any number of days).
INSERT INTO twin_source_section_day (source, entity_type, as_of, section)
SELECT :source, :e, CAST(doc ->> 'as_of' AS date), doc
FROM jsonb_array_elements(CAST(:docs AS jsonb)) AS doc
ON CONFLICT (source, as_of) DO UPDATE
SET section = excluded.section, entity_type = excluded.entity_type, computed_at = now()
