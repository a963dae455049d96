-- Net cashflow per month over :a..:b, per currency: the month-to-date net of each month's
-- last day with a usable finance state (the whole month's net, or the net so far for a
-- month still running at :b). A month without one comes back with NULLs.
WITH newest AS (
    -- each (compressed) document read once, by jsonb_to_record
    SELECT DISTINCT ON (doc.as_of) doc.*
    FROM digital_twin_updates,
         jsonb_to_record(update_data) AS doc(as_of text, status text, currency text, mtd_net jsonb, by_currency jsonb)
    WHERE entity_id = CAST(:p AS uuid) AND source_system = :s AND update_type = :u
      AND entity_type = 'finance'
      AND (CAST(:since AS text) IS NULL OR update_data ->> 'as_of' >= CAST(:since AS text))
      AND (CAST(:until AS text) IS NULL OR update_data ->> 'as_of' <= CAST(:until AS text))
      AND doc.as_of BETWEEN CAST(:a AS text) AND CAST(:b AS text)
    ORDER BY doc.as_of, created_at DESC, id
), month_end AS (
    SELECT DISTINCT ON (left(as_of, 7)) left(as_of, 7) AS month, as_of, currency, mtd_net, by_currency
    FROM newest
    WHERE status <> 'unavailable' AND jsonb_typeof(mtd_net) = 'number'
    ORDER BY left(as_of, 7), as_of DESC
), months AS (
    SELECT to_char(m, 'YYYY-MM') AS month
    FROM generate_series(date_trunc('month', CAST(:a AS date)), CAST(:b AS date), INTERVAL '1 month') AS m
)
SELECT months.month, e.as_of, c.key AS currency, CAST(c.value ->> 'mtd_net' AS double precision) AS net
FROM months
LEFT JOIN month_end AS e ON e.month = months.month
LEFT JOIN LATERAL jsonb_each(coalesce(
    e.by_currency,
    CASE WHEN e.currency IS NOT NULL THEN jsonb_build_object(e.currency, jsonb_build_object('mtd_net', e.mtd_net)) END
)) AS c ON true
ORDER BY months.month, c.key
