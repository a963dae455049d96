SELECT source, as_of::text, section FROM twin_section_day
WHERE as_of = ANY(CAST(:days AS date[]))
