-- A run's day states, decided and appended inside PostgreSQL: core/history.py's plan_rows
-- rule, set-based, so an unchanged day's document never leaves the server.
--   :days      the run's days ('YYYY-MM-DD' text[]); :entities the day's entity types
--   :fallbacks {entity: its Unavailable document} for a section not materialized that day
--              (its as_of is replaced by the day's)
-- Run after lock_state_writers in the same transaction: this statement's snapshot is taken
-- once the lock is held, so it sees every row of the writer before.
WITH computed AS (
    SELECT e.entity_type, d.as_of,
           COALESCE(s.section,
                    (CAST(:fallbacks AS jsonb) -> e.entity_type) || jsonb_build_object('as_of', d.as_of)) AS document
    FROM unnest(CAST(:days AS text[])) AS d(as_of)
    CROSS JOIN unnest(CAST(:entities AS text[])) AS e(entity_type)
    LEFT JOIN twin_section_day AS s ON s.entity_type = e.entity_type AND s.as_of = CAST(d.as_of AS date)
),
decided AS (
    -- jsonb equality, like Python's on parsed JSON: key order and 1 vs 1.0 do not matter.
    -- A stored status NULL or missing is not 'unavailable' (IS DISTINCT FROM), as in plan_rows.
    SELECT c.entity_type, c.as_of, c.document,
           CASE WHEN newest.update_data IS NULL THEN 'new'
                WHEN newest.update_data = c.document THEN 'unchanged'
                WHEN c.document ->> 'status' = 'unavailable'
                     AND newest.update_data ->> 'status' IS DISTINCT FROM 'unavailable' THEN 'kept'
                -- A part that could not be read (parts_unavailable: the health database down)
                -- and was read in the stored state: that state is not buried either.
                WHEN newest.update_data ->> 'status' IS DISTINCT FROM 'unavailable'
                     AND EXISTS (
                         SELECT 1 FROM jsonb_array_elements_text(
                             CASE WHEN jsonb_typeof(c.document -> 'parts_unavailable') = 'array'
                                  THEN c.document -> 'parts_unavailable' ELSE '[]'::jsonb END) AS part(name)
                         WHERE NOT COALESCE(newest.update_data -> 'parts_unavailable', '[]'::jsonb) ? part.name
                     ) THEN 'kept'
                ELSE 'correction'
           END AS decision
    FROM computed AS c
    LEFT JOIN LATERAL (
        -- The state of (entity, day): its newest row (digital_twin_updates_state_lookup_idx).
        SELECT u.update_data FROM digital_twin_updates AS u
        WHERE u.entity_id = CAST(:p AS uuid) AND u.source_system = :s AND u.update_type = :u
          AND u.entity_type = c.entity_type AND u.update_data ->> 'as_of' = c.as_of
        ORDER BY u.created_at DESC, u.id
        LIMIT 1
    ) AS newest ON true
),
appended AS (
    -- clock_timestamp(), row by row in (day, entity) order (as append_states did): rows of
    -- one run get increasing times, so "ORDER BY created_at DESC" lists the latest days first.
    INSERT INTO digital_twin_updates
        (entity_type, entity_id, update_data, source_system, update_type, created_at)
    SELECT w.entity_type, CAST(:p AS uuid), w.document, :s, :u, clock_timestamp()
    FROM (SELECT entity_type, document FROM decided
          WHERE decision IN ('new', 'correction')
          ORDER BY as_of, entity_type COLLATE "C") AS w
)
SELECT entity_type, as_of, decision, document ->> 'status' AS status
FROM decided
ORDER BY as_of, entity_type COLLATE "C"
