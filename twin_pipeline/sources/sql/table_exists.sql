-- Whether a table exists in this database (the pantry history capture is opt-in).
SELECT to_regclass(:table) IS NOT NULL
