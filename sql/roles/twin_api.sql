-- A login for the read API (TWIN_API_DATABASE_URL, TWIN_API_DAGSTER_URL): it reads the twin
-- store and writes only when each API key was last used; in Dagster's storage it reads the
-- daemon's heartbeats, nothing else. Run it as the owner in the twin store after `twin db
-- migrate` (and again after a later one: the grants name the tables), and in Dagster's
-- storage database once Dagster has created its tables (`twin up` or the daemon did):
--
--   psql -d autonomous_finance -f sql/roles/twin_api.sql
--   psql -d dagster            -f sql/roles/twin_api.sql
--   psql -d postgres -c "\password twin_api"
--
-- The file tells the two apart by their tables (twin_schema_migrations, daemon_heartbeats);
-- a database with neither is refused. In the twin store: SELECT on the twin's tables, and
-- SELECT, INSERT, UPDATE on twin_api_key_use (an upsert a minute), no more: no INSERT,
-- UPDATE or DELETE on digital_twin_updates. Not the source tables sharing the database: the
-- API reads those as twin_reader. In Dagster's storage: SELECT on daemon_heartbeats.

SELECT 'CREATE ROLE twin_api LOGIN'
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'twin_api') \gexec

SELECT to_regclass('twin_schema_migrations') IS NOT NULL AS twin_store,
       to_regclass('daemon_heartbeats') IS NOT NULL AS dagster_storage \gset

\if :twin_store
\elif :dagster_storage
\else
DO $$ BEGIN
    RAISE EXCEPTION 'database % holds neither the twin store nor Dagster''s storage', current_database()
        USING HINT = 'run `twin db migrate` as the owner first, or start Dagster once on this database; '
                     'then apply sql/roles/twin_api.sql again';
END $$;
\quit
\endif

GRANT CONNECT ON DATABASE :"DBNAME" TO twin_api;
GRANT USAGE ON SCHEMA public TO twin_api;

\if :twin_store
GRANT SELECT
    ON digital_twin_updates, person, home, goal, twin_section_day, twin_source_section_day, twin_daily_summary,
       twin_source_coverage, twin_source_fingerprint, twin_forecast_review, twin_forecast_review_current,
       twin_notable_day, twin_notification, twin_schema_migrations
    TO twin_api;
GRANT SELECT, INSERT, UPDATE ON twin_api_key_use TO twin_api;
-- Exactly that, also where an earlier grant gave more.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE
    ON digital_twin_updates, person, home, goal, twin_section_day, twin_source_section_day, twin_daily_summary,
       twin_source_coverage, twin_source_fingerprint, twin_forecast_review, twin_notable_day, twin_notification,
       twin_schema_migrations
    FROM twin_api;
REVOKE DELETE, TRUNCATE ON twin_api_key_use FROM twin_api;
\endif

\if :dagster_storage
GRANT SELECT ON daemon_heartbeats TO twin_api;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON daemon_heartbeats FROM twin_api;
\endif
