-- Since when the twin has computed from a watched table (the sensor ignores older changes).
INSERT INTO twin_source_coverage (source_table, covered_from) VALUES (:t, :a)
ON CONFLICT (source_table) DO UPDATE
SET covered_from = least(twin_source_coverage.covered_from, excluded.covered_from)
