-- Pantry counts (low stock, expiring soon, expired) of each given day (every day of a short
-- range, each week's last day of a long one); NULLs on a day without a usable pantry state,
-- so a chart shows the gap. Each document is read once, by jsonb_to_record: a pantry state
-- is ~10 kB, stored compressed, and every ->> on the column would decompress it again.
WITH stored AS (
    SELECT doc.as_of, doc.status, doc.low_stock_count, doc.expiring_soon_count, doc.expired_count, created_at, id
    FROM digital_twin_updates,
         jsonb_to_record(update_data) AS doc(as_of text, status text, low_stock_count integer,
                                             expiring_soon_count integer, expired_count integer)
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'pantry'
      AND update_data ->> 'as_of' = ANY(:days)
), newest AS (
    SELECT DISTINCT ON (as_of) * FROM stored ORDER BY as_of, created_at DESC, id
)
SELECT d.as_of, n.low_stock_count, n.expiring_soon_count, n.expired_count
FROM unnest(CAST(:days AS text[])) AS d(as_of)
LEFT JOIN newest AS n ON n.as_of = d.as_of AND n.status <> 'unavailable'
ORDER BY d.as_of
