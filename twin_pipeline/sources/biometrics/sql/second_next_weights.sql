-- For each changed date, the second weight reading after it (NULL when none).
SELECT changed::text,
       (SELECT b.measurement_date FROM biometrics b
        WHERE b.measurement_date > changed AND b.weight_kg BETWEEN 40 AND 200
        ORDER BY b.measurement_date OFFSET 1 LIMIT 1)
FROM unnest(CAST(:dates AS date[])) AS changed
