-- One fingerprint per local date a pantry version began, within :start..:end when given
-- (the bounds are turned into instants so the valid_from index does the work).
-- valid_to is left out: closing a version is implied by the next one beginning (or, for
-- a deleted row, by the current inventory's fingerprint).
SELECT (h.valid_from AT TIME ZONE CAST(:tz AS text))::date::text AS bucket,
       count(*) || ':' || sum(hashtextextended(
           concat_ws('|', h.history_id, h.category, h.current_quantity, h.unit, h.next_expiry,
                     h.critical_threshold, h.status, h.valid_from), 0)) AS fingerprint
FROM pantry_inventory_history h
WHERE (CAST(:start AS date) IS NULL
       OR h.valid_from >= (CAST(:start AS date)::timestamp AT TIME ZONE CAST(:tz AS text)))
  AND (CAST(:end AS date) IS NULL
       OR h.valid_from < ((CAST(:end AS date) + 1)::timestamp AT TIME ZONE CAST(:tz AS text)))
GROUP BY 1
