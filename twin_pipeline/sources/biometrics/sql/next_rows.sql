-- For each changed date, the first row after it (NULL when none): its readings are the
-- latest of every day until then.
SELECT changed::text, (SELECT min(b.measurement_date) FROM biometrics b WHERE b.measurement_date > changed)
FROM unnest(CAST(:dates AS date[])) AS changed
