-- Append each review that differs from its forecast's newest row (or is its first): a
-- rerun appends nothing, a correction appends and keeps the old row. Compared in the
-- database, by value (numeric 1.50 equals 1.5), against the newest stored row of each
-- forecast made in the reviews' made_on range (one pass over that range, hash-joined: a
-- decade's 150,000 reviews are one join, not 150,000 index probes); appended in order
-- (clock_timestamp(): increasing created_at within the run).
-- The reviews come as one array per column (array input parses several times faster than
-- a JSON document of 150,000 objects).
WITH computed AS (
    SELECT *
    FROM unnest(CAST(:kind AS text[]), CAST(:subject AS text[]), CAST(:made_on AS date[]),
                CAST(:outcome_on AS date[]), CAST(:predicted AS numeric[]), CAST(:actual AS numeric[]),
                CAST(:error AS numeric[]), CAST(:accuracy_pct AS numeric[]), CAST(:accuracy_reason AS text[]),
                CAST(:range_low AS numeric[]), CAST(:range_high AS numeric[]), CAST(:in_range AS boolean[]))
         WITH ORDINALITY AS t(kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct,
                              accuracy_reason, range_low, range_high, in_range, n)
),
newest AS (
    SELECT DISTINCT ON (s.made_on, s.kind, s.subject)
           s.made_on, s.kind, s.subject, s.outcome_on, s.predicted, s.actual, s.error, s.accuracy_pct,
           s.accuracy_reason, s.range_low, s.range_high, s.in_range
    FROM twin_forecast_review AS s
    WHERE s.person_id = CAST(:p AS uuid)
      AND s.made_on BETWEEN (SELECT min(made_on) FROM computed) AND (SELECT max(made_on) FROM computed)
    ORDER BY s.made_on, s.kind, s.subject, s.created_at DESC, s.review_id DESC
)
INSERT INTO twin_forecast_review
    (person_id, kind, subject, made_on, outcome_on, predicted, actual, error, accuracy_pct, accuracy_reason,
     range_low, range_high, in_range, created_at)
SELECT CAST(:p AS uuid), c.kind, c.subject, c.made_on, c.outcome_on, c.predicted, c.actual, c.error,
       c.accuracy_pct, c.accuracy_reason, c.range_low, c.range_high, c.in_range, clock_timestamp()
FROM computed AS c
LEFT JOIN newest ON newest.made_on = c.made_on AND newest.kind = c.kind AND newest.subject = c.subject
WHERE newest.outcome_on IS NULL
   OR (newest.outcome_on, newest.predicted, newest.actual, newest.error, newest.accuracy_pct, newest.accuracy_reason,
       newest.range_low, newest.range_high, newest.in_range)
      IS DISTINCT FROM (c.outcome_on, c.predicted, c.actual, c.error, c.accuracy_pct, c.accuracy_reason,
                        c.range_low, c.range_high, c.in_range)
ORDER BY c.n
