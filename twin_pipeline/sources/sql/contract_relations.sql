-- Tables and views with these names in the search path, with their columns (from the
-- catalog, so a role without privileges on them still sees what exists).
SELECT c.relname, a.attname
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = ANY (current_schemas(false))
  AND c.relname = ANY (CAST(:names AS text[]))
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
