-- The items of each day from :first to :last that has any: its newest row.
SELECT DISTINCT ON (as_of) as_of::text, items
FROM twin_notable_day
WHERE person_id = CAST(:p AS uuid) AND as_of BETWEEN CAST(:first AS date) AND CAST(:last AS date)
ORDER BY as_of, notable_id DESC
