-- A login for TWIN_DATABASE_URL: it reads and appends the twin's history and keeps the
-- project's own tables, nothing else. Run as the twin store's owner after
-- `twin db migrate` (which needs the owner, as any schema change does):
--
--   psql -d autonomous_finance -f sql/roles/twin_writer.sql
--   psql -d postgres -c "\password twin_writer"
--
-- digital_twin_updates is append-only for this role: SELECT and INSERT, no UPDATE or DELETE.

SELECT 'CREATE ROLE twin_writer LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'twin_writer') \gexec

GRANT CONNECT ON DATABASE :"DBNAME" TO twin_writer;
GRANT USAGE ON SCHEMA public TO twin_writer;
GRANT SELECT, INSERT ON digital_twin_updates TO twin_writer;
GRANT SELECT ON twin_schema_migrations TO twin_writer;
GRANT SELECT, INSERT, UPDATE ON person, home, goal TO twin_writer;
GRANT SELECT, INSERT, UPDATE, DELETE
    ON twin_section_day, twin_daily_summary, twin_source_fingerprint, twin_source_coverage
    TO twin_writer;
