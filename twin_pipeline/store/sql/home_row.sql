-- The person's current home.
SELECT h.home_id::text, h.name, h.address, h.latitude, h.longitude, h.environmental_data, h.device_inventory,
       h.occupancy_status, h.operational_status, h.last_updated
FROM home h
JOIN person p ON p.current_location_id = h.home_id
WHERE p.person_id = CAST(:p AS uuid)
