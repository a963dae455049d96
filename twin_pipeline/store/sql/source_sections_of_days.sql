-- The parts the given sources computed for the given days (the days as 'YYYY-MM-DD' text[]).
SELECT source, as_of::text, section FROM twin_source_section_day
WHERE source = ANY(CAST(:sources AS text[])) AND as_of = ANY(CAST(:days AS date[]))
