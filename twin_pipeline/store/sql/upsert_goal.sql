-- Insert or update a goal by its code (dependencies are set once every goal exists).
INSERT INTO goal (goal_code, name, description, owner_person_id, status, start_date, target_date,
                  progress_metrics, roadmap_link)
VALUES (:code, :name, :description, CAST(:owner AS uuid), :status, :start, :target, CAST(:progress AS jsonb), :link)
ON CONFLICT (goal_code) DO UPDATE
SET name = excluded.name, description = excluded.description, owner_person_id = excluded.owner_person_id,
    status = excluded.status, start_date = excluded.start_date, target_date = excluded.target_date,
    progress_metrics = excluded.progress_metrics, roadmap_link = excluded.roadmap_link
WHERE (goal.name, goal.description, goal.owner_person_id, goal.status, goal.start_date, goal.target_date,
       goal.progress_metrics, goal.roadmap_link)
      IS DISTINCT FROM
      (excluded.name, excluded.description, excluded.owner_person_id, excluded.status, excluded.start_date,
       excluded.target_date, excluded.progress_metrics, excluded.roadmap_link)
