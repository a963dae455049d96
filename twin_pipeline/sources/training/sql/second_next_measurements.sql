-- For each changed date, the second measurement after it (NULL when none).
SELECT changed::text,
       (SELECT m.measurement_date FROM measurements m WHERE m.measurement_date > changed
        ORDER BY m.measurement_date OFFSET 1 LIMIT 1)
FROM unnest(CAST(:dates AS date[])) AS changed
