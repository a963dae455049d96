-- Append each day's items unless they equal its newest row's; returns the days appended.
WITH given AS (
    SELECT u.as_of, CAST(u.items AS jsonb) AS items
    FROM unnest(CAST(:days AS date[]), CAST(:items AS text[])) AS u(as_of, items)
), newest AS (
    SELECT DISTINCT ON (as_of) as_of, items
    FROM twin_notable_day
    WHERE person_id = CAST(:p AS uuid) AND as_of = ANY(CAST(:days AS date[]))
    ORDER BY as_of, notable_id DESC
)
INSERT INTO twin_notable_day (person_id, as_of, items)
SELECT CAST(:p AS uuid), g.as_of, g.items
FROM given g LEFT JOIN newest n ON n.as_of = g.as_of
WHERE n.items IS DISTINCT FROM g.items
ORDER BY g.as_of
RETURNING as_of::text
