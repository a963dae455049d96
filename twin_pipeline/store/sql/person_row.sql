-- The person, with their current home's name.
SELECT p.person_id::text, p.name, p.date_of_birth, p.gender, p.contact_email, p.timezone,
       p.current_location_id::text, p.health_metrics, p.preferences, p.activity_level, p.goals_progress,
       p.last_updated
FROM person p
WHERE p.person_id = CAST(:p AS uuid)
