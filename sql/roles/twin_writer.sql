-- A login for TWIN_DATABASE_URL: it reads and appends the twin's history and keeps the
-- project's own tables, nothing else; it may not change the schema. Run as the twin
-- store's owner after `twin db migrate` (which needs the owner, as any schema change does),
-- and again after a later `twin db migrate` (the grants name the tables):
--
--   psql -d autonomous_finance -f sql/roles/twin_writer.sql
--   psql -d postgres -c "\password twin_writer"
--
-- digital_twin_updates, twin_forecast_review and twin_notable_day are append-only for this
-- role: SELECT and INSERT, no UPDATE or DELETE.
-- twin_schema_migrations is read only: the pipeline checks that nothing is pending.

SELECT 'CREATE ROLE twin_writer LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'twin_writer') \gexec

GRANT CONNECT ON DATABASE :"DBNAME" TO twin_writer;
GRANT USAGE ON SCHEMA public TO twin_writer;
GRANT SELECT, INSERT ON digital_twin_updates TO twin_writer;
-- twin_forecast_review is append-only like the states.
GRANT SELECT, INSERT ON twin_forecast_review TO twin_writer;
GRANT SELECT ON twin_forecast_review_current TO twin_writer;
GRANT SELECT ON twin_schema_migrations TO twin_writer;
-- twin_notable_day too; the ledger of pushes records each try (UPDATE).
GRANT SELECT, INSERT ON twin_notable_day TO twin_writer;
GRANT SELECT, INSERT, UPDATE ON twin_notification TO twin_writer;
GRANT SELECT, INSERT, UPDATE
    ON person, home, goal, twin_section_day, twin_source_section_day, twin_daily_summary, twin_source_coverage
    TO twin_writer;
GRANT SELECT, INSERT, DELETE ON twin_source_fingerprint TO twin_writer;
-- The API, when it logs in as twin_writer, records when each key was last used (`twin keys list`).
GRANT SELECT, INSERT, UPDATE ON twin_api_key_use TO twin_writer;
-- Exactly that, also where an earlier version of this file granted more.
REVOKE UPDATE, DELETE, TRUNCATE ON digital_twin_updates, twin_forecast_review, twin_notable_day FROM twin_writer;
REVOKE DELETE, TRUNCATE ON twin_notification FROM twin_writer;
REVOKE DELETE ON twin_section_day, twin_source_section_day, twin_daily_summary, twin_source_coverage FROM twin_writer;
REVOKE UPDATE ON twin_source_fingerprint FROM twin_writer;
