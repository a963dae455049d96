-- Changes whenever the pipeline writes a state, a summary or an entity (API caches).
SELECT (SELECT max(created_at) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT count(*) FROM digital_twin_updates WHERE entity_id = CAST(:p AS uuid)),
       (SELECT max(rendered_at) FROM twin_daily_summary WHERE person_id = CAST(:p AS uuid)),
       (SELECT max(last_updated) FROM person),
       (SELECT max(last_updated) FROM goal),
       (SELECT count(*) FROM goal),
       (SELECT max(last_updated) FROM home)
