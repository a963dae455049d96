-- The person's goals with their dependencies as codes.
SELECT g.goal_code, g.name, g.status, g.target_date, g.start_date, g.description, g.progress_metrics,
       g.roadmap_link, g.last_updated,
       ARRAY(SELECT d.goal_code FROM goal d WHERE d.goal_id = ANY (g.dependencies) ORDER BY d.goal_code) AS dependency_codes
FROM goal g
WHERE g.owner_person_id = CAST(:p AS uuid) OR g.owner_person_id IS NULL
ORDER BY g.goal_code
