-- A read-only login for twin-pipeline's source connections (FINANCE_, TRAINING_,
-- PANTRY_ and HEALTH_DATABASE_URL). Run it as the databases' owner or a superuser, once in
-- each source database; it only grants, it never alters a table:
--
--   psql -d autonomous_finance  -f sql/roles/twin_reader.sql
--   psql -d autonomous_training -f sql/roles/twin_reader.sql
--   psql -d autonomous_pantry   -f sql/roles/twin_reader.sql
--   psql -d autonomous_health   -f sql/roles/twin_reader.sql   -- with HEALTH_DATABASE_URL
--   psql -d postgres -c "\password twin_reader"       -- set its password interactively
--
-- The pipeline needs nothing more than this: SELECT on the tables, EXECUTE on
-- get_current_budget_alerts(), and the statistics views every role can read.

SELECT 'CREATE ROLE twin_reader LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'twin_reader') \gexec

ALTER ROLE twin_reader SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE :"DBNAME" TO twin_reader;
GRANT USAGE ON SCHEMA public TO twin_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO twin_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO twin_reader;
SELECT 'GRANT EXECUTE ON FUNCTION get_current_budget_alerts() TO twin_reader'
WHERE to_regproc('get_current_budget_alerts') IS NOT NULL \gexec
