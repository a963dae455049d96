-- Functions with these names in the search path.
SELECT DISTINCT p.proname
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY (current_schemas(false))
  AND p.proname = ANY (CAST(:names AS text[]))
