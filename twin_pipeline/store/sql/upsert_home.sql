-- The person's current home, refreshed from Home Assistant; created (named "Home") and
-- linked to the person the first time.
WITH existing AS (
    SELECT h.home_id FROM home h JOIN person p ON p.current_location_id = h.home_id
    WHERE p.person_id = CAST(:person AS uuid)
), refreshed AS (
    UPDATE home
    SET environmental_data = CAST(:env AS jsonb), device_inventory = CAST(:devices AS jsonb),
        operational_status = :operational, occupancy_status = :occupancy
    WHERE home_id IN (SELECT home_id FROM existing)
    RETURNING home_id
), created AS (
    INSERT INTO home (name, environmental_data, device_inventory, operational_status, occupancy_status)
    SELECT 'Home', CAST(:env AS jsonb), CAST(:devices AS jsonb), :operational, :occupancy
    WHERE NOT EXISTS (SELECT 1 FROM existing)
    RETURNING home_id
)
UPDATE person SET current_location_id = (SELECT home_id FROM created)
WHERE person_id = CAST(:person AS uuid) AND EXISTS (SELECT 1 FROM created)
