-- The person's derived fields (last_updated is set by the table's trigger when they change).
UPDATE person
SET health_metrics = CAST(:health AS jsonb), goals_progress = CAST(:goals AS jsonb)
WHERE person_id = CAST(:p AS uuid)
  AND (health_metrics, goals_progress) IS DISTINCT FROM (CAST(:health AS jsonb), CAST(:goals AS jsonb))
