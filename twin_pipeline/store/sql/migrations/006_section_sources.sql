-- A day's section per source, not per entity: two sources (training and biometrics) fill
-- the health entity, and twin_state composes their sections into one document. The rows
-- already stored came from the entity's one source then.
ALTER TABLE twin_section_day ADD COLUMN IF NOT EXISTS source varchar(50);
UPDATE twin_section_day
SET source = CASE entity_type WHEN 'health' THEN 'training' ELSE entity_type END
WHERE source IS NULL;
ALTER TABLE twin_section_day ALTER COLUMN source SET NOT NULL;
ALTER TABLE twin_section_day DROP CONSTRAINT IF EXISTS twin_section_day_pkey;
ALTER TABLE twin_section_day ADD PRIMARY KEY (source, as_of);
