-- A goal's dependencies as the ids of the goals their codes name (unknown codes are dropped
-- here and reported by the goals asset).
UPDATE goal
SET dependencies = ARRAY(SELECT d.goal_id FROM goal d WHERE d.goal_code = ANY (CAST(:deps AS text[])) ORDER BY d.goal_code)
WHERE goal_code = :code
  AND dependencies IS DISTINCT FROM
      ARRAY(SELECT d.goal_id FROM goal d WHERE d.goal_code = ANY (CAST(:deps AS text[])) ORDER BY d.goal_code)
