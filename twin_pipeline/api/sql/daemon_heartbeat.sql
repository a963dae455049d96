-- The newest Dagster daemon heartbeat, in seconds since the epoch. Each daemon type keeps one
-- row in daemon_heartbeats (dagster/_core/storage/runs/schema.py); its serialized body holds
-- the exact timestamp (the `timestamp` column is zone-less, written in the writer's session
-- time zone). NULL when no daemon ever ran.
SELECT max(CAST(CAST(body AS json) ->> 'timestamp' AS double precision)) FROM daemon_heartbeats
