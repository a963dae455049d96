-- Whether Dagster's run storage has been created in this database.
SELECT to_regclass('daemon_heartbeats') IS NOT NULL
