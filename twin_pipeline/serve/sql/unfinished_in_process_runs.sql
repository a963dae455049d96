-- Runs of Dagster's storage still unfinished that a `twin` command ran in its own process
-- (tagged twin/process = host:pid:start time), with that tag.
SELECT r.run_id, t.value AS process
FROM runs AS r
JOIN run_tags AS t ON t.run_id = r.run_id AND t.key = :tag
WHERE r.status IN ('NOT_STARTED', 'STARTING', 'STARTED', 'CANCELING')
